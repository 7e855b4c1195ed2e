//! Fuzzing the document pipeline: parse -> validate -> optimize -> lower of
//! arbitrary and mutated documents (both dialects), and the `.npy` header parser.
//! Every input must end in a result or a clear error: no panic, no abort.
//!
//! CI runs a bounded slice (a few hundred cases per target). A long run sets
//! `TESSERA_FUZZ_CASES` (cases per target), in release mode:
//! `TESSERA_FUZZ_CASES=250000 cargo test --release --test fuzz_documents`.
//! Sizes are capped by a budget: a plan of more than [`MAX_BLOCKS`] blocks is not
//! lowered, blocks are limited to [`MAX_BLOCK_BYTES`], and the optimizer's budgets
//! are small, so each case takes milliseconds.

use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Value, json};
use tessera::compiler::{
    Budget, LowerOptions, OptimizeOptions, TaskPasses, TaskProgram, lower, optimize, optimize_tasks,
};
use tessera::ir::{InferContext, ValidGraph, catalogue};
use tessera::run::{Loaded, load};

/// Most blocks (summed over the plan's nodes) a fuzzed plan may have to be lowered.
const MAX_BLOCKS: u128 = 4096;
/// Most bytes of one block when lowering a fuzzed plan.
const MAX_BLOCK_BYTES: usize = 16 << 20;

/// Cases per fuzz target: `TESSERA_FUZZ_CASES`, or a slice of a few seconds.
fn config() -> Config {
    let cases = std::env::var("TESSERA_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    Config {
        cases,
        max_shrink_iters: 2048,
        failure_persistence: None,
        ..Config::default()
    }
}

/// The example documents, as JSON values.
fn examples() -> &'static [Value] {
    static EXAMPLES: OnceLock<Vec<Value>> = OnceLock::new();
    EXAMPLES.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("ir-spec/examples");
        let mut paths: Vec<_> = std::fs::read_dir(&dir)
            .expect("examples folder")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        paths.sort();
        paths
            .iter()
            .map(|p| serde_json::from_str(&std::fs::read_to_string(p).expect("readable")).unwrap())
            .collect()
    })
}

/// Values that stress attribute reading, inference and lowering.
fn interesting_values() -> &'static [Value] {
    static VALUES: OnceLock<Vec<Value>> = OnceLock::new();
    VALUES.get_or_init(interesting_values_list)
}

fn interesting_values_list() -> Vec<Value> {
    let mut values = vec![
        json!(0),
        json!(1),
        json!(-1),
        json!(2),
        json!(3),
        json!(7),
        json!(-7),
        json!(0.5),
        json!(-0.0),
        json!(1e300),
        json!(i32::MAX),
        json!(1u64 << 53),
        json!((1u64 << 53) + 1),
        json!(i64::MAX),
        json!(i64::MIN),
        json!(u64::MAX),
        json!(true),
        json!(false),
        Value::Null,
        json!(""),
        json!("auto"),
        json!("float64"),
        json!("int32"),
        json!("bool"),
        json!("x"),
        json!("a"),
        json!("b"),
        json!([]),
        json!([0]),
        json!([1, 1]),
        json!([2, 3]),
        json!([1000000, 1000000]),
        json!([0, 1u64 << 63]),
        json!([0, 4294967296u64, 4294967296u64, 4294967296u64]),
        json!([[0, 1, null]]),
        json!([null, [1, null, -1]]),
        json!([[1, 2], [3]]),
        json!({}),
        json!({"lit": 1}),
        json!({"lit": [1, 2]}),
        json!({"op": "ones", "shape": [2, 2], "chunks": 1}),
        json!({"op": "arange", "stop": 5}),
        json!(["add", 1, 2]),
        json!(["inc", "x"]),
        json!(["x", 0]),
    ];
    for op in catalogue::all().iter().step_by(3) {
        values.push(json!(op.name));
    }
    values
}

/// The pointers of every value inside `doc` (explicit stack: no recursion).
fn pointers(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![(String::new(), doc)];
    while let Some((p, v)) = stack.pop() {
        match v {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    stack.push((format!("{p}/{i}"), item));
                }
            }
            Value::Object(map) => {
                for (k, item) in map {
                    let k = k.replace('~', "~0").replace('/', "~1");
                    stack.push((format!("{p}/{k}"), item));
                }
            }
            _ => {}
        }
        out.push(p);
    }
    out
}

/// One structural change to a document.
#[derive(Debug, Clone)]
enum Mutation {
    /// Replace the value at a pointer by an interesting value.
    Replace(usize, usize),
    /// Remove the value at a pointer from its parent.
    Remove(usize),
    /// Copy the value at one pointer over another.
    Copy(usize, usize),
    /// Add an interesting value under a new key, or append it to a list.
    Add(usize, usize, String),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), any::<usize>()).prop_map(|(p, v)| Mutation::Replace(p, v)),
        1 => any::<usize>().prop_map(Mutation::Remove),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Copy(a, b)),
        2 => (any::<usize>(), any::<usize>(), "[a-z_]{1,8}")
            .prop_map(|(p, v, k)| Mutation::Add(p, v, k)),
    ]
}

fn apply(doc: &mut Value, m: &Mutation, pool: &[Value]) {
    let ptrs = pointers(doc);
    let at = |i: usize| ptrs[i % ptrs.len()].clone();
    match m {
        Mutation::Replace(p, v) => {
            if let Some(slot) = doc.pointer_mut(&at(*p)) {
                *slot = pool[v % pool.len()].clone();
            }
        }
        Mutation::Remove(p) => {
            let p = at(*p);
            let Some(split) = p.rfind('/') else { return };
            let (parent, last) = p.split_at(split);
            let last = last[1..].replace("~1", "/").replace("~0", "~");
            match doc.pointer_mut(parent) {
                Some(Value::Object(map)) => {
                    map.shift_remove(&last);
                }
                Some(Value::Array(items)) => {
                    if let Ok(i) = last.parse::<usize>()
                        && i < items.len()
                    {
                        items.remove(i);
                    }
                }
                _ => {}
            }
        }
        Mutation::Copy(a, b) => {
            let Some(value) = doc.pointer(&at(*a)).cloned() else {
                return;
            };
            if let Some(slot) = doc.pointer_mut(&at(*b)) {
                *slot = value;
            }
        }
        Mutation::Add(p, v, key) => match doc.pointer_mut(&at(*p)) {
            Some(Value::Object(map)) => {
                map.insert(key.clone(), pool[v % pool.len()].clone());
            }
            Some(Value::Array(items)) => items.push(pool[v % pool.len()].clone()),
            _ => {}
        },
    }
}

/// A change to the text of a document (what a value tree cannot express:
/// duplicate keys, `-0`, broken syntax).
#[derive(Debug, Clone)]
enum TextEdit {
    /// Insert a snippet at a position.
    Insert(usize, &'static str),
    /// Delete a byte range.
    Delete(usize, usize),
}

fn text_edit() -> impl Strategy<Value = TextEdit> {
    prop_oneof![
        (
            any::<usize>(),
            prop::sample::select(vec![
                "-",
                "-0",
                "0",
                "9",
                "e",
                ".",
                ",",
                "[",
                "]",
                "{",
                "}",
                "\"",
                "\\",
                "null",
                "\"op\": \"x\", ",
                "\"a\": 1, ",
                "1e400",
                "99999999999999999999",
            ])
        )
            .prop_map(|(i, s)| TextEdit::Insert(i, s)),
        (any::<usize>(), 1usize..8).prop_map(|(i, n)| TextEdit::Delete(i, n)),
    ]
}

fn edit(text: &mut String, e: &TextEdit) {
    let boundary = |text: &String, mut i: usize| {
        i %= text.len() + 1;
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    match e {
        TextEdit::Insert(i, s) => {
            let i = boundary(text, *i);
            text.insert_str(i, s);
        }
        TextEdit::Delete(i, n) => {
            let i = boundary(text, *i);
            let j = boundary(text, (i + n).min(text.len()));
            if j > i {
                text.replace_range(i..j, "");
            }
        }
    }
}

/// Blocks of a validated plan, summed over its nodes.
fn blocks(graph: &ValidGraph) -> u128 {
    graph
        .nodes
        .iter()
        .filter_map(|n| n.meta.as_array())
        .map(|a| {
            a.chunks
                .numblocks()
                .iter()
                .fold(1u128, |acc, &b| acc.saturating_mul(b as u128))
        })
        .fold(0u128, u128::saturating_add)
}

/// Runs a document through every stage before computing; only panics fail.
fn pipeline(text: &str) {
    let ctx = InferContext::default();
    match load(text, &ctx) {
        Err(faults) => assert!(!faults.0.is_empty(), "an error without a fault"),
        Ok(Loaded::Tasks(t)) => {
            let program = TaskProgram {
                graph: t.graph,
                outputs: t.outputs,
            };
            let _ = optimize_tasks(program, TaskPasses::default());
        }
        Ok(Loaded::Graph(graph)) => {
            let options = OptimizeOptions {
                budget: Budget {
                    iterations: 8,
                    nodes: 5_000,
                    time: Duration::from_millis(200),
                },
                ..OptimizeOptions::default()
            };
            let plan = optimize(&graph, &options).map(|o| o.graph);
            let plan = plan.as_ref().unwrap_or(&graph);
            if blocks(plan) <= MAX_BLOCKS {
                let lower_options = LowerOptions {
                    max_block_bytes: Some(MAX_BLOCK_BYTES),
                    ..LowerOptions::default()
                };
                let _ = lower(plan, &lower_options);
            }
        }
    }
}

/// A small random canonical document: ops of the catalogue, references to
/// other nodes, attributes from the op's own and interesting values.
fn arbitrary_canonical() -> impl Strategy<Value = String> {
    let node = (
        any::<prop::sample::Index>(),
        prop::collection::vec(any::<prop::sample::Index>(), 0..3),
        prop::collection::vec((any::<prop::sample::Index>(), any::<usize>()), 0..4),
    );
    (prop::collection::vec(node, 1..6), 0usize..6).prop_map(|(nodes, out)| {
        let ops = catalogue::all();
        let pool = interesting_values();
        let n = nodes.len();
        let mut map = serde_json::Map::new();
        for (i, (op, args, attrs)) in nodes.into_iter().enumerate() {
            let op = &ops[op.index(ops.len())];
            let mut node = serde_json::Map::new();
            node.insert("op".into(), json!(op.name));
            let args: Vec<Value> = args
                .iter()
                .map(|a| json!(format!("n{}", a.index(n))))
                .collect();
            if !args.is_empty() {
                node.insert("args".into(), Value::Array(args));
            }
            for (a, v) in attrs {
                if op.attrs.is_empty() {
                    break;
                }
                let spec = &op.attrs[a.index(op.attrs.len())];
                node.insert(spec.name.into(), pool[v % pool.len()].clone());
            }
            map.insert(format!("n{i}"), Value::Object(node));
        }
        let doc = json!({"tessera": 1, "nodes": map, "outputs": [format!("n{}", out % n)]});
        doc.to_string()
    })
}

/// A small random dask-dialect document: keys (plain and tuple), literals and
/// tasks of registered or unknown functions, nested.
fn arbitrary_dask() -> impl Strategy<Value = String> {
    let funcs = prop::sample::select(vec![
        "add", "inc", "sum", "identity", "mul", "neg", "getitem", "list", "ones", "arange",
        "from_npy", "nope",
    ]);
    let leaf = prop_oneof![
        (0usize..6).prop_map(|i| json!(format!("k{i}"))),
        (0usize..3).prop_map(|i| json!(["t", i])),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        Just(Value::Null),
        Just(json!("text")),
        Just(json!({"a": 1})),
    ];
    let value = leaf.prop_recursive(4, 24, 4, move |inner| {
        prop_oneof![
            (funcs.clone(), prop::collection::vec(inner.clone(), 0..4)).prop_map(|(f, args)| {
                let mut task = vec![json!(f)];
                task.extend(args);
                Value::Array(task)
            }),
            prop::collection::vec(inner, 0..4).prop_map(Value::Array),
        ]
    });
    (prop::collection::vec(value, 1..8), 0usize..8).prop_map(|(values, out)| {
        let mut graph = serde_json::Map::new();
        for (i, v) in values.iter().enumerate() {
            let key = if i % 3 == 2 {
                json!(["t", i / 3]).to_string()
            } else {
                format!("k{i}")
            };
            graph.insert(key, v.clone());
        }
        let outputs = [json!(format!("k{}", out % values.len())), json!(["t", 0])];
        json!({"tessera": 1, "dialect": "dask", "graph": graph, "outputs": outputs}).to_string()
    })
}

/// A `.npy` header dictionary: NumPy's keys and values, and anything else.
fn arbitrary_header() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "'descr'",
        "'fortran_order'",
        "'shape'",
        "\"descr\"",
        "'other'",
        "1",
        "None",
    ]);
    let value = prop::sample::select(vec![
        "'<f8'",
        "'>f8'",
        "'|b1'",
        "'<i4'",
        "'=i8'",
        "'<f4'",
        "'<u2'",
        "'<c16'",
        "'S3'",
        "[('a', '<f8')]",
        "True",
        "False",
        "0",
        "None",
        "()",
        "(3,)",
        "(2, 3)",
        "(-1,)",
        "(18446744073709551616,)",
        "(2**3,)",
        "(3L, 4L)",
        "[3]",
        "(((((((1,),),),),),),)",
        "'\\x3c\\x66\\x38'",
        "b'<f8'",
        "1.5",
        "{}",
        "{'a': 1}",
        "(1, 2, 3, 4, 5, 6, 7, 8)",
        "(0,)",
        "'",
        "(",
        "1e999",
        "(9223372036854775807, 9223372036854775807)",
    ]);
    let entries = prop::collection::vec((key, value), 0..6);
    let wrap = prop::sample::select(vec![
        ("{", "}"),
        ("{", ", }"),
        ("(", ")"),
        ("", ""),
        ("{", ""),
    ]);
    (entries, wrap, "[ -~]{0,6}").prop_map(|(entries, (open, close), junk)| {
        let body: Vec<String> = entries.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        format!("{open}{}{close}{junk}", body.join(", "))
    })
}

proptest! {
    #![proptest_config(config())]

    /// Mutated example documents never panic in parse -> validate -> optimize -> lower.
    #[test]
    fn mutated_examples_never_panic(
        example in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..5),
        edits in prop::collection::vec(text_edit(), 0..3),
    ) {
        let pool = interesting_values();
        let mut doc = examples()[example.index(examples().len())].clone();
        for m in &mutations {
            apply(&mut doc, m, pool);
        }
        let mut text = serde_json::to_string_pretty(&doc).unwrap();
        for e in &edits {
            edit(&mut text, e);
        }
        pipeline(&text);
    }

    /// Random canonical documents never panic.
    #[test]
    fn arbitrary_documents_never_panic(text in arbitrary_canonical()) {
        pipeline(&text);
    }

    /// Random dask-dialect documents never panic.
    #[test]
    fn dask_documents_never_panic(
        text in arbitrary_dask(),
        edits in prop::collection::vec(text_edit(), 0..2),
    ) {
        let mut text = text;
        for e in &edits {
            edit(&mut text, e);
        }
        pipeline(&text);
    }

    /// Random `.npy` header texts never panic the header parser.
    #[test]
    fn npy_headers_never_panic(text in arbitrary_header()) {
        let _ = tessera::ir::npy::parse_npy_header(&text);
    }
}

/// Found by this fuzzer: `tril`'s offset plus a block's origin overflowed i64 in
/// lowering.
#[test]
fn tril_with_k_near_the_i64_limit_lowers() {
    pipeline(
        r#"{"tessera": 1, "nodes": {"a": {"op": "ones", "shape": [4, 4], "chunks": 2},
            "x": {"op": "tril", "args": ["a"], "k": 9223372036854775807},
            "y": {"op": "triu", "args": ["a"], "k": -9223372036854775808}}, "outputs": ["x", "y"]}"#,
    );
}

/// Found by this fuzzer: a slice step of i64::MIN (valid in Python) was negated
/// in lowering (and in the getitem kernel).
#[test]
fn slice_step_of_i64_min_lowers() {
    pipeline(
        r#"{"tessera": 1, "nodes": {"a": {"op": "ones", "shape": [4, 3], "chunks": 2},
            "y": {"op": "getitem", "args": ["a"], "index": [[null, null, -9223372036854775808]]}}, "outputs": ["y"]}"#,
    );
}

/// Found by this fuzzer: pushing a slice of step near i64::MAX through an
/// elementwise op, and into an `arange`, overflowed computing its stop.
#[test]
fn slice_with_a_huge_step_is_pushed_through_elementwise_ops() {
    pipeline(
        r#"{"tessera": 1, "nodes": {"a": {"op": "ones", "shape": [4, 3], "chunks": 2},
            "b": {"op": "exp", "args": ["a"]},
            "y": {"op": "getitem", "args": ["b"], "index": [[1, null, 9223372036854775807]]}}, "outputs": ["y"]}"#,
    );
    pipeline(
        r#"{"tessera": 1, "nodes": {"a": {"op": "arange", "stop": 12, "chunks": 5},
            "b": {"op": "exp", "args": ["a"]},
            "y": {"op": "getitem", "args": ["b"], "index": [[1, null, 9223372036854775807]]},
            "z": {"op": "getitem", "args": ["b"], "index": [[10, null, -9223372036854775807]]}}, "outputs": ["y", "z"]}"#,
    );
}
