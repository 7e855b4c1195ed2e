//! `tessera order`: static orders and their memory pressure on classic graph
//! shapes (snapshots), ranks covering exactly the document's keys, and the
//! command's exit statuses.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};
use tessera::order::{StaticOrder, order_source};
use tessera::runtime::policy::POLICY_NAMES;
use tessera::source::Source;

/// A dask-dialect document of `graph` computing `outputs`.
fn dask_doc(graph: Value, outputs: &[&str]) -> String {
    json!({"tessera": 1, "dialect": "dask", "graph": graph, "outputs": outputs}).to_string()
}

fn order_text(text: &str, policy: &str) -> StaticOrder {
    let source = Source::from_text("test", text, PathBuf::from("."));
    order_source(&source, policy, None).unwrap()
}

/// `x0 -> x1 -> ... -> x{n-1}`.
fn chain(n: usize) -> String {
    let mut g = serde_json::Map::new();
    g.insert("x0".into(), json!(1));
    for i in 1..n {
        g.insert(format!("x{i}"), json!(["inc", format!("x{}", i - 1)]));
    }
    dask_doc(Value::Object(g), &[&format!("x{}", n - 1)])
}

/// `n` sources summed by one task.
fn fan_in(n: usize) -> String {
    let mut g = serde_json::Map::new();
    for i in 0..n {
        g.insert(format!("a{i}"), json!(["inc", i]));
    }
    let leaves: Vec<String> = (0..n).map(|i| format!("a{i}")).collect();
    g.insert("total".into(), json!(["sum", leaves]));
    dask_doc(Value::Object(g), &["total"])
}

/// A binary tree reduction of `n` (a power of two) leaves: level `l` task `i`
/// adds tasks `2i` and `2i+1` of level `l-1`.
fn tree(n: usize) -> String {
    let mut g = serde_json::Map::new();
    for i in 0..n {
        g.insert(format!("l0-{i}"), json!(["inc", i]));
    }
    let (mut width, mut level) = (n, 0);
    while width > 1 {
        for i in 0..width / 2 {
            g.insert(
                format!("l{}-{i}", level + 1),
                json!([
                    "add",
                    format!("l{level}-{}", 2 * i),
                    format!("l{level}-{}", 2 * i + 1)
                ]),
            );
        }
        width /= 2;
        level += 1;
    }
    dask_doc(Value::Object(g), &[&format!("l{level}-0")])
}

/// A 1-d stencil of `cells` cells over `steps` steps, tuple keys
/// `["s", step, cell]`: each cell of a step sums itself and its neighbours of
/// the step before.
fn stencil(cells: usize, steps: usize) -> String {
    let key = |s: usize, c: usize| json!(["s", s, c]).to_string();
    let mut g = serde_json::Map::new();
    for c in 0..cells {
        g.insert(key(0, c), json!(c));
    }
    for s in 1..=steps {
        for c in 0..cells {
            let near: Vec<Value> = (c.saturating_sub(1)..=(c + 1).min(cells - 1))
                .map(|d| json!(["s", s - 1, d]))
                .collect();
            g.insert(key(s, c), json!(["sum", near]));
        }
    }
    let outputs: Vec<Value> = (0..cells).map(|c| json!(["s", steps, c])).collect();
    json!({"tessera": 1, "dialect": "dask", "graph": g, "outputs": outputs}).to_string()
}

/// Every policy's order and pressure on `text`, one block per policy.
fn report(text: &str) -> String {
    let mut out = String::new();
    for policy in POLICY_NAMES {
        let o = order_text(text, policy);
        let ages: Vec<usize> = o.info.iter().map(|x| x.age).collect();
        let _ = writeln!(out, "{policy}:");
        let _ = writeln!(out, "  order:    {}", o.keys.join(" "));
        let _ = writeln!(out, "  age:      {ages:?}");
        let _ = writeln!(
            out,
            "  pressure: {:?} (max {})",
            o.pressure,
            o.max_pressure()
        );
    }
    out
}

#[test]
fn orders_and_pressure_of_a_long_chain() {
    let text = chain(12);
    // A chain holds one result at a time whatever the policy.
    for policy in POLICY_NAMES {
        assert_eq!(order_text(&text, policy).max_pressure(), 1, "{policy}");
    }
    insta::assert_snapshot!("chain", report(&text));
}

#[test]
fn orders_and_pressure_of_a_wide_fan_in() {
    let text = fan_in(10);
    for policy in POLICY_NAMES {
        let o = order_text(&text, policy);
        // Every leaf is held when the sum runs, and the sum runs last.
        assert_eq!(o.max_pressure(), 10, "{policy}");
        assert_eq!(o.keys.last().map(String::as_str), Some("total"));
    }
    insta::assert_snapshot!("fan_in", report(&text));
}

#[test]
fn orders_and_pressure_of_a_tree_reduction() {
    let text = tree(16);
    // dask-order reduces pairs as soon as they exist: one held result per
    // level plus the pair being made (depth 4).
    assert!(order_text(&text, "dask-order").max_pressure() <= 5);
    // FIFO computes every leaf first.
    assert_eq!(order_text(&text, "fifo").max_pressure(), 16);
    insta::assert_snapshot!("tree", report(&text));
}

#[test]
fn orders_and_pressure_of_a_stencil() {
    let text = stencil(5, 3);
    insta::assert_snapshot!("stencil", report(&text));
}

/// The keys of a document's `graph` (dask dialect, tuple keys in compact
/// JSON) or `nodes` (canonical form).
fn document_keys(text: &str) -> BTreeSet<String> {
    let doc: Value = serde_json::from_str(text).unwrap();
    let map = doc
        .get("graph")
        .or_else(|| doc.get("nodes"))
        .and_then(Value::as_object)
        .unwrap();
    map.keys()
        .map(|k| match serde_json::from_str::<Vec<Value>>(k) {
            Ok(tuple) => Value::Array(tuple).to_string(),
            Err(_) => k.clone(),
        })
        .collect()
}

#[test]
fn ranks_cover_exactly_the_documents_keys() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("ir-spec/examples");
    let mut texts: Vec<String> = ["dask-merge.json", "dask-tuple-keys.json"]
        .iter()
        .map(|name| std::fs::read_to_string(examples.join(name)).unwrap())
        .collect();
    // Keys no output needs, an alias, a literal and a nested task are ranked too.
    texts.push(dask_doc(
        json!({"a": 1, "b": ["inc", "a"], "unused": ["inc", ["inc", "a"]],
               "lone": [1, 2], "alias": "b"}),
        &["b"],
    ));
    texts.push(stencil(3, 2));
    for text in &texts {
        let keys = document_keys(text);
        for policy in POLICY_NAMES {
            let o = order_text(text, policy);
            assert_eq!(o.keys.len(), keys.len(), "{policy}: each key once");
            let ranked: BTreeSet<String> = o.keys.iter().cloned().collect();
            assert_eq!(ranked, keys, "{policy}");
            // The printed map is key -> its position, 0 to n-1.
            let printed: serde_json::Map<String, Value> =
                serde_json::from_str(&o.to_json(false)).unwrap();
            for (i, key) in o.keys.iter().enumerate() {
                assert_eq!(printed[key], json!(i), "{policy}: {key}");
            }
        }
    }
}

fn tessera(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .output()
        .expect("tessera runs")
}

#[test]
fn order_command_exit_statuses() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_string_lossy().into_owned()
    };
    let good = write("tree.json", &tree(4));
    let ok = tessera(&["order", &good, "--diagnostics", "--policy", "fifo"]);
    assert_eq!(ok.status.code(), Some(0));
    let printed: Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(printed["policy"], "fifo");
    assert_eq!(printed["order"].as_object().unwrap().len(), 7);
    assert_eq!(printed["pressure"].as_array().unwrap().len(), 7);
    assert_eq!(printed["max_pressure"], 4);

    // An invalid document: exit 2, naming the key at fault, nothing printed.
    let bad = write(
        "bad.json",
        &dask_doc(json!({"a": 1, "b": ["frobnicate", "a"]}), &["b"]),
    );
    let out = tessera(&["order", &bad]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("\"b\"") && err.contains("frobnicate"), "{err}");

    // An unknown policy, a missing file: exit 2.
    let out = tessera(&["order", &good, "--policy", "random"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("dask-order"));
    let missing = dir.path().join("missing.json");
    let out = tessera(&["order", &missing.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn array_documents_order_their_lowered_tasks() {
    let doc = json!({"tessera": 1, "nodes": {
        "a": {"op": "ones", "shape": [4, 4], "chunks": 2},
        "s": {"op": "sum", "args": ["a"]}}, "outputs": ["s"]})
    .to_string();
    let o = order_text(&doc, "dask-order");
    assert!(o.lowered);
    assert!(!o.keys.is_empty());
    assert!(o.to_json(true).contains("\"lowered\": true"));
}

/// The ranks Dask gave each key, as a policy: with them tessera runs Dask's order.
struct DaskRanks(serde_json::Map<String, Value>);

impl tessera::runtime::Policy for DaskRanks {
    fn name(&self) -> &str {
        "dask.order.order"
    }
    fn priorities(&self, plan: &tessera::runtime::Plan<'_>) -> Vec<u32> {
        (0..plan.len() as u32)
            .map(|t| self.0[plan.key(t).as_str()].as_u64().unwrap() as u32)
            .collect()
    }
}

/// The shapes of `tests/fixtures/order_diagnostics.json` (written by
/// `gen_order_diagnostics.py` with Dask).
fn dask_fixture() -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/order_diagnostics.json");
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    fixture["shapes"].as_array().unwrap().clone()
}

fn order_with(document: &Value, policy: &dyn tessera::runtime::Policy) -> StaticOrder {
    let text = document.to_string();
    match tessera::run::load(&text, &tessera::ir::InferContext::default()).unwrap() {
        tessera::run::Loaded::Tasks(t) => tessera::order::order_tasks(
            &t.graph,
            &t.outputs,
            policy,
            tessera::registry::default_registry(),
        )
        .unwrap(),
        tessera::run::Loaded::Graph(_) => panic!("a task graph"),
    }
}

#[test]
fn diagnostics_equal_dasks_in_dasks_order() {
    for shape in dask_fixture() {
        let name = shape["name"].as_str().unwrap();
        let ranks = shape["order"].as_object().unwrap().clone();
        let o = order_with(&shape["document"], &DaskRanks(ranks.clone()));
        // Dask's order is topological: a one-thread run follows it exactly.
        let dask_keys: Vec<&String> = ranks.keys().collect();
        assert_eq!(o.keys.iter().collect::<Vec<_>>(), dask_keys, "{name}");
        let pressure: Vec<usize> = serde_json::from_value(shape["pressure"].clone()).unwrap();
        assert_eq!(o.pressure, pressure, "{name}: pressure");
        for (key, info) in o.keys.iter().zip(&o.info) {
            assert_eq!(json!(info.age), shape["age"][key], "{name}: age of {key}");
        }
    }
}

#[test]
fn peak_pressure_of_each_policy_beside_dasks() {
    let mut out = String::new();
    for shape in dask_fixture() {
        let pressure: Vec<usize> = serde_json::from_value(shape["pressure"].clone()).unwrap();
        let _ = write!(
            out,
            "{:9} dask.order {:2}",
            shape["name"].as_str().unwrap(),
            pressure.iter().max().unwrap()
        );
        for policy in POLICY_NAMES {
            let policy = tessera::runtime::policy::by_name(policy).unwrap();
            let peak = order_with(&shape["document"], policy.as_ref()).max_pressure();
            let _ = write!(out, "  {} {peak:2}", policy.name());
        }
        out.push('\n');
    }
    insta::assert_snapshot!("peak_pressure", out);
}
