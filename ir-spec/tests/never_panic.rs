//! Random documents and random mutations of the examples never make parsing or
//! validation panic: every input gives `Ok` or `Err`.

use std::path::Path;
use std::sync::LazyLock;

use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Map, Value, json};
use tessera_ir::{InferContext, catalogue, parse_and_validate, parse_value, validate};

static EXAMPLES: LazyLock<Vec<Value>> = LazyLock::new(|| {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect()
});

/// Every attribute name of the catalogue, plus a few that are not.
static ATTR_NAMES: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let mut names: Vec<&str> = catalogue::all()
        .iter()
        .flat_map(|op| op.attrs.iter().map(|a| a.name))
        .chain(["args", "op", "lit", "bogus"])
        .collect();
    names.sort_unstable();
    names.dedup();
    names
});

/// Runs the whole pipeline on a value and on its text; only panics can fail.
fn run(value: &Value) {
    let ctx = InferContext::default();
    if let Ok(doc) = parse_value(value) {
        let _ = validate(&doc, &ctx);
    }
    let _ = parse_and_validate(&value.to_string(), &ctx);
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-3i64..300).prop_map(|n| json!(n)),
        prop_oneof![Just(i64::MIN), Just(i64::MAX), Just(-1)].prop_map(|n| json!(n)),
        Just(json!(u64::MAX)),
        (-1e6f64..1e6).prop_map(|f| json!(f)),
        prop_oneof![
            Just("a"),
            Just("b"),
            Just("x"),
            Just("..."),
            Just("auto"),
            Just("float64"),
            Just("int32"),
            Just("bool"),
            Just("reflect"),
            Just("correlate"),
            Just("inc"),
            Just("")
        ]
        .prop_map(|s| json!(s)),
    ]
}

/// Arbitrary JSON, biased to the shapes documents have.
fn json_value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("op".to_owned()),
                        Just("args".to_owned()),
                        Just("lit".to_owned()),
                        Just("shape".to_owned()),
                        Just("a".to_owned()),
                        "[a-z]{1,3}"
                    ],
                    inner
                ),
                0..5
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A document-shaped random value: random nodes with real op names.
fn random_document() -> impl Strategy<Value = Value> {
    let ops = catalogue::all().len();
    let node = (
        0..ops + 1,
        prop::collection::vec(json_value(), 0..4),
        prop::collection::vec((any::<Index>(), json_value()), 0..4),
    )
        .prop_map(|(op, args, attrs)| {
            let mut m = Map::new();
            let name = catalogue::all().get(op).map_or("no-such-op", |o| o.name);
            m.insert("op".into(), json!(name));
            m.insert("args".into(), Value::Array(args));
            for (i, v) in attrs {
                m.insert(i.get(&ATTR_NAMES).to_string(), v);
            }
            Value::Object(m)
        });
    (prop::collection::vec(node, 0..6), any::<bool>()).prop_map(|(nodes, dask)| {
        let ids = ["a", "b", "x", "y", "c", "d"];
        let nodes: Map<String, Value> = nodes
            .into_iter()
            .enumerate()
            .map(|(i, n)| (ids[i].to_owned(), n))
            .collect();
        if dask {
            json!({"tessera": 1, "dialect": "dask", "graph": nodes, "outputs": ["a", ["x", 0]]})
        } else {
            json!({"tessera": 1, "nodes": nodes, "outputs": ["a", "b"]})
        }
    })
}

/// Every JSON pointer of a value.
fn pointers(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![(String::new(), v)];
    while let Some((p, v)) = stack.pop() {
        match v {
            Value::Array(items) => {
                for (i, x) in items.iter().enumerate() {
                    stack.push((format!("{p}/{i}"), x));
                }
            }
            Value::Object(m) => {
                for (k, x) in m {
                    let k = k.replace('~', "~0").replace('/', "~1");
                    stack.push((format!("{p}/{k}"), x));
                }
            }
            _ => {}
        }
        out.push(p);
    }
    out
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete(Index),
    Retype(Index, Value),
    Duplicate(Index),
    SetOp(Index, Index),
    AddAttr(Index, Index, Value),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<Index>().prop_map(Mutation::Delete),
        (any::<Index>(), json_value()).prop_map(|(i, v)| Mutation::Retype(i, v)),
        any::<Index>().prop_map(Mutation::Duplicate),
        (any::<Index>(), any::<Index>()).prop_map(|(i, o)| Mutation::SetOp(i, o)),
        (any::<Index>(), any::<Index>(), json_value())
            .prop_map(|(i, a, v)| Mutation::AddAttr(i, a, v)),
    ]
}

/// Applies a mutation at a random place.
fn mutate(doc: &mut Value, m: &Mutation) {
    let ptrs = pointers(doc);
    let pick = |i: &Index| ptrs[i.index(ptrs.len())].clone();
    match m {
        Mutation::Delete(i) => {
            let p = pick(i);
            if let Some((parent, last)) = p.rsplit_once('/') {
                let last = last.replace("~1", "/").replace("~0", "~");
                match doc.pointer_mut(parent) {
                    Some(Value::Object(o)) => {
                        o.shift_remove(&last);
                    }
                    Some(Value::Array(a)) => {
                        if let Ok(k) = last.parse::<usize>()
                            && k < a.len()
                        {
                            a.remove(k);
                        }
                    }
                    _ => {}
                }
            }
        }
        Mutation::Retype(i, v) => {
            if let Some(slot) = doc.pointer_mut(&pick(i)) {
                *slot = v.clone();
            }
        }
        Mutation::Duplicate(i) => {
            let p = pick(i);
            if let Some(v) = doc.pointer(&p).cloned() {
                if let Some(Value::Array(a)) = doc.pointer_mut(&p) {
                    a.push(Value::Array(Vec::new()));
                    a.extend(v.as_array().cloned().unwrap_or_default());
                } else if let Some(Value::Object(o)) = doc.pointer_mut(&p) {
                    let copy: Vec<_> = o
                        .iter()
                        .map(|(k, v)| (format!("{k}2"), v.clone()))
                        .collect();
                    o.extend(copy);
                }
            }
        }
        Mutation::SetOp(i, o) => {
            let name = o.get(catalogue::all()).name;
            if let Some(Value::Object(m)) = doc.pointer_mut(&pick(i)) {
                m.insert("op".into(), json!(name));
            }
        }
        Mutation::AddAttr(i, a, v) => {
            let name = a.get(&ATTR_NAMES).to_string();
            if let Some(Value::Object(m)) = doc.pointer_mut(&pick(i)) {
                m.insert(name, v.clone());
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn random_json_never_panics(v in json_value()) {
        run(&v);
        run(&json!({"tessera": 1, "nodes": v.clone(), "outputs": []}));
        run(&json!({"tessera": 1, "dialect": "dask", "graph": v, "outputs": ["a"]}));
    }

    #[test]
    fn random_documents_never_panic(v in random_document()) {
        run(&v);
    }

    #[test]
    fn mutated_examples_never_panic(
        which in any::<Index>(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let mut doc = which.get(&EXAMPLES).clone();
        for m in &mutations {
            mutate(&mut doc, m);
        }
        run(&doc);
    }
}

#[test]
fn random_text_never_panics() {
    proptest!(ProptestConfig { cases: 1000, ..ProptestConfig::default() }, |(text in "[\\[\\]{}\":,0-9a-z \\\\.-]{0,80}")| {
        let _ = parse_and_validate(&text, &InferContext::default());
    });
}

#[test]
fn duplicate_keys_in_text_never_panic() {
    for example in EXAMPLES.iter() {
        let text = example.to_string();
        // Duplicate the first key of every object: `{"k": v, ...}` -> `{"k": v, "k": v, ...}`
        // is hard to do textually in general; repeating the whole document body is enough
        // to hit the duplicate-key path at the top level.
        let body = &text[1..text.len() - 1];
        let doubled = format!("{{{body},{body}}}");
        assert!(parse_and_validate(&doubled, &InferContext::default()).is_err());
    }
}
