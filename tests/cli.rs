//! The `tessera` command as other programs see it: exit statuses, output files,
//! messages naming the node or task, stats, standard input.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn tessera(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .output()
        .expect("tessera runs")
}

fn tessera_stdin(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tessera runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("tessera finishes")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("ir-spec/examples")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn write_doc(dir: &Path, doc: serde_json::Value) -> String {
    let path = dir.join("graph.json");
    std::fs::write(&path, doc.to_string()).expect("write graph");
    path.to_string_lossy().into_owned()
}

#[test]
fn validate_accepts_an_example_and_refuses_a_fault_with_status_2() {
    let ok = tessera(&["validate", &example("lazy-slice.json")]);
    assert!(ok.status.success(), "{}", stderr(&ok));

    let bad = tessera_stdin(
        &["validate", "-"],
        r#"{"tessera": 1, "nodes": {"a": {"op": "onez", "shape": [2]}}, "outputs": ["a"]}"#,
    );
    assert_eq!(bad.status.code(), Some(2));
    let msg = stderr(&bad);
    assert!(msg.contains("\"a\"") && msg.contains("onez"), "{msg}");
}

#[test]
fn run_writes_npy_and_json_outputs_and_stats() {
    let dir = tempfile::tempdir().unwrap();
    let graph = write_doc(
        dir.path(),
        serde_json::json!({"tessera": 1, "nodes": {
            "x": {"op": "arange", "stop": 6, "chunks": 4},
            "s": {"op": "sum", "args": ["x"]},
            "n": {"op": "call", "fn": "add", "args": [2, 3]}},
            "outputs": ["s", "n", "x"]}),
    );
    let out = dir.path().join("out");
    let stats = dir.path().join("stats.json");
    let o = tessera(&[
        "run",
        &graph,
        "--out",
        out.to_str().unwrap(),
        "--stats",
        stats.to_str().unwrap(),
        "--threads",
        "2",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.join("s.npy").exists() && out.join("x.npy").exists());
    assert_eq!(
        std::fs::read_to_string(out.join("n.json")).unwrap().trim(),
        "5"
    );
    let stats: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(stats).unwrap()).unwrap();
    for field in [
        "total_s",
        "parse_s",
        "optimize_s",
        "lower_s",
        "execute_s",
        "write_s",
        "tasks",
        "peak_bytes",
    ] {
        assert!(stats.get(field).is_some(), "stats lacks {field}: {stats}");
    }
    assert!(stats["tasks"].as_u64().unwrap() >= 3);
}

#[test]
fn a_failing_task_exits_1_names_the_task_and_leaves_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let graph = write_doc(
        dir.path(),
        serde_json::json!({"tessera": 1, "nodes": {
            "ok": {"op": "call", "fn": "inc", "args": [1]},
            "boom": {"op": "call", "fn": "div", "args": [1, 0]}},
            "outputs": ["ok", "boom"]}),
    );
    let out = dir.path().join("out");
    let o = tessera(&["run", &graph, "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("boom"), "{}", stderr(&o));
    let left: Vec<_> = std::fs::read_dir(&out)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn an_invalid_document_exits_2_with_the_pointer() {
    let o = tessera_stdin(
        &["run", "-", "--out", "/nonexistent/never-written"],
        r#"{"tessera": 1, "nodes": {"b": {"op": "exp", "args": ["missing"]}}, "outputs": ["b"]}"#,
    );
    assert_eq!(o.status.code(), Some(2));
    let msg = stderr(&o);
    assert!(msg.contains("missing") && msg.contains("/nodes/b"), "{msg}");
}

#[test]
fn dask_dialect_tuple_keys_become_file_names() {
    let dir = tempfile::tempdir().unwrap();
    let graph = write_doc(
        dir.path(),
        serde_json::json!({"tessera": 1, "dialect": "dask", "graph": {
            "[\"x\", 0]": 1, "y": ["inc", ["x", 0]], "z": ["add", "y", 10]},
            "outputs": ["z", ["x", 0]]}),
    );
    let out = dir.path().join("out");
    let o = tessera(&["run", &graph, "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(out.join("z.json")).unwrap().trim(),
        "12"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("__x__0_.json"))
            .unwrap()
            .trim(),
        "1"
    );
}

#[test]
fn ops_lists_every_op_and_the_builtins() {
    let o = tessera(&["ops"]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    for name in [
        "linalg.cholesky",
        "map_overlap",
        "getitem",
        "random.normal",
        "floordiv",
        "inc",
    ] {
        assert!(text.contains(name), "ops lacks {name}");
    }
}

#[test]
fn trace_has_one_event_per_task() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace.json");
    let out = dir.path().join("out");
    let o = tessera(&[
        "run",
        &example("lazy-slice.json"),
        "--out",
        out.to_str().unwrap(),
        "--trace",
        trace.to_str().unwrap(),
        "--policy",
        "fifo",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let events: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(trace).unwrap()).unwrap();
    let list = events
        .get("traceEvents")
        .and_then(|e| e.as_array())
        .or_else(|| events.as_array())
        .expect("trace events");
    assert!(list.iter().any(|e| e["ph"] == "X"));
}
