//! Dask-dialect documents through `tessera run` and `tessera viz`: Dask's task-spec
//! semantics (nested tasks, lists of keys, literal strings versus keys, aliases,
//! tuple keys), every error case with its exit status, and pictures.

use std::path::Path;
use std::process::{Command, Output};

fn tessera(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .output()
        .expect("tessera runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `doc` and returns the exit status, standard error and the folder.
fn run(dir: &Path, doc: serde_json::Value) -> (Option<i32>, String) {
    let path = dir.join("graph.json");
    std::fs::write(&path, doc.to_string()).unwrap();
    let out = dir.join("out");
    let o = tessera(&[
        "run",
        path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    (o.status.code(), stderr(&o))
}

fn output(dir: &Path, name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("out").join(format!("{name}.json")))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::from_str(&text).unwrap()
}

#[test]
fn dask_task_spec_semantics() {
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = run(
        dir.path(),
        serde_json::json!({"tessera": 1, "dialect": "dask", "graph": {
            "x": 1,
            "y": ["inc", "x"],
            // a nested task and a list of keys
            "z": ["sum", ["x", ["inc", "y"], ["add", "x", "y"]]],
            // literal strings that are not keys
            "s": ["add", "abc", "def"],
            "k": ["len", ["list", "d"]],
            // an alias, and an alias of an alias
            "a": "z",
            "aa": "a",
            // tuple keys, referenced as lists, and an alias of a tuple key
            "[\"t\", 0]": 10,
            "[\"t\", 1]": ["inc", ["t", 0]],
            "r": ["t", 1],
            // a list holding keys is computed; a list of literals is data
            "l": ["x", "y", 5],
            "d": [1, 2, 3]},
            "outputs": ["z", "s", "aa", ["t", 1], "r", "l", "d", "k"]}),
    );
    assert_eq!(code, Some(0), "{err}");
    let d = dir.path();
    assert_eq!(output(d, "z"), 1 + 3 + 3);
    assert_eq!(output(d, "s"), "abcdef");
    assert_eq!(output(d, "aa"), 7);
    assert_eq!(output(d, "__t__1_"), 11);
    assert_eq!(output(d, "r"), 11);
    assert_eq!(output(d, "l"), serde_json::json!([1, 2, 5]));
    assert_eq!(output(d, "d"), serde_json::json!([1, 2, 3]));
    // `["list", "d"]` is a task of `list` on the value of d.
    assert_eq!(output(d, "k"), 3);
}

#[test]
fn invalid_documents_exit_2_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    // a missing key (an output)
    let (code, err) = run(
        dir.path(),
        serde_json::json!({"tessera": 1, "dialect": "dask", "graph": {"x": 1}, "outputs": ["y"]}),
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("\"y\""), "{err}");
    // a missing node in the canonical form
    let (code, err) = run(
        dir.path(),
        serde_json::json!({"tessera": 1, "nodes": {"b": {"op": "call", "fn": "inc", "args": ["a"]}}, "outputs": ["b"]}),
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("node \"b\"") && err.contains("\"a\", which does not exist"),
        "{err}"
    );
    // a cycle, with its path
    let (code, err) = run(
        dir.path(),
        serde_json::json!({"tessera": 1, "dialect": "dask",
            "graph": {"a": ["inc", "b"], "b": ["inc", "c"], "c": ["inc", "a"]}, "outputs": ["a"]}),
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("cycle (\"a\" -> \"b\" -> \"c\" -> \"a\""),
        "{err}"
    );
    // an unknown function, nested
    let (code, err) = run(
        dir.path(),
        serde_json::json!({"tessera": 1, "dialect": "dask",
            "graph": {"x": 1, "y": ["add", ["frobnicate", "x"], 1]}, "outputs": ["y"]}),
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("node \"y\" (/graph/y/1/0): unknown function \"frobnicate\""),
        "{err}"
    );
    // an unknown function next to array nodes
    let (code, err) = run(
        dir.path(),
        serde_json::json!({"tessera": 1, "nodes": {"a": {"op": "ones", "shape": [2]},
            "c": {"op": "call", "fn": "nope", "args": ["a"]}}, "outputs": ["c"]}),
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("node \"c\" (/nodes/c/fn): unknown function \"nope\""),
        "{err}"
    );
}

#[test]
fn failing_functions_exit_1_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    for (graph, key, what) in [
        (
            serde_json::json!({"x": 1, "y": ["div", "x", 0]}),
            "y",
            "division by zero",
        ),
        (
            serde_json::json!({"y": ["inc", 1, 2]}),
            "y",
            "expected 1 argument(s), got 2",
        ),
        (serde_json::json!({"y": ["inc", "text"]}), "y", "inc"),
        (
            serde_json::json!({"[\"y\", 0]": ["neg", [1]]}),
            "[\"y\",0]",
            "neg",
        ),
    ] {
        let (code, err) = run(
            dir.path(),
            serde_json::json!({"tessera": 1, "dialect": "dask", "graph": graph,
                "outputs": [serde_json::from_str::<serde_json::Value>(key).unwrap_or(key.into())]}),
        );
        assert_eq!(code, Some(1), "{err}");
        assert!(
            err.contains(&format!("task {key} failed")) && err.contains(what),
            "{err}"
        );
        assert!(!dir.path().join("out").join("y.json").exists());
    }
}

#[test]
fn stats_report_the_passes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.json");
    // a chain of 50 incs after a literal: inlined and fused into one task
    let mut graph = serde_json::Map::new();
    graph.insert("k0".into(), 0.into());
    for i in 1..50 {
        graph.insert(
            format!("k{i}"),
            serde_json::json!(["inc", format!("k{}", i - 1)]),
        );
    }
    let doc =
        serde_json::json!({"tessera": 1, "dialect": "dask", "graph": graph, "outputs": ["k49"]});
    std::fs::write(&path, doc.to_string()).unwrap();
    let stats = dir.path().join("stats.json");
    let out = dir.path().join("out");
    let o = tessera(&[
        "run",
        path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--stats",
        stats.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(stats).unwrap()).unwrap();
    assert_eq!(s["tasks"], 1);
    assert!(s["optimize_s"].as_f64().unwrap() > 0.0);
    assert_eq!(
        std::fs::read_to_string(out.join("k49.json"))
            .unwrap()
            .trim(),
        "49"
    );
}

#[test]
fn viz_writes_dot_and_refuses_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.json");
    std::fs::write(
        &path,
        r#"{"tessera": 1, "dialect": "dask", "graph": {"x": 1, "y": ["inc", "x"]}, "outputs": ["y"]}"#,
    )
    .unwrap();
    let p = path.to_str().unwrap();
    let o = tessera(&["viz", p, "--color", "order"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let dot = String::from_utf8(o.stdout).unwrap();
    assert!(dot.starts_with("digraph {\n  graph [rankdir=BT];"), "{dot}");
    assert!(dot.contains("[label=\"inc\", shape=circle"), "{dot}");
    let o = tessera(&["viz", p, "--level", "expr"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8(o.stdout).unwrap().contains("y\\ncall"));
    let file = dir.path().join("g.dot");
    let o = tessera(&["viz", p, "--out", file.to_str().unwrap()]);
    assert!(o.status.success() && file.exists(), "{}", stderr(&o));
    let svg = dir.path().join("g.svg");
    let o = tessera(&["viz", p, "--out", svg.to_str().unwrap()]);
    if !o.status.success() {
        assert_eq!(o.status.code(), Some(1));
        assert!(
            stderr(&o).contains("Graphviz's `dot` is not installed"),
            "{}",
            stderr(&o)
        );
    }
    let o = tessera(&["viz", p, "--level", "blocks"]);
    assert_eq!(o.status.code(), Some(2));
    std::fs::write(
        &path,
        r#"{"tessera": 1, "dialect": "dask", "graph": {"a": ["inc", "a"]}, "outputs": ["a"]}"#,
    )
    .unwrap();
    let o = tessera(&["viz", p]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cycle"), "{}", stderr(&o));
}
