//! A failed task is named as its user wrote it: the document node and block of
//! a lowered array task (not its internal key), and the original key of a task
//! fused into a chain (not the key the chain was fused into); through the
//! command line and the library.

use std::process::Command;

use serde_json::json;
use tessera::compute::{ComputeOptions, compute_graph};
use tessera::ir::{InferContext, parse_and_validate};
use tessera::{Graph, Spec, get};

fn tessera_run(doc: &serde_json::Value) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.json");
    std::fs::write(&path, doc.to_string()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["run", path.to_str().unwrap(), "--out"])
        .arg(dir.path().join("out"))
        .output()
        .expect("tessera runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A Cholesky of a matrix that is not positive definite, chunked in 2 x 2.
fn cholesky_doc() -> serde_json::Value {
    json!({"tessera": 1, "nodes": {
        "a": {"op": "full", "shape": [4, 4], "fill_value": -1.0, "chunks": 2},
        "L": {"op": "linalg.cholesky", "args": ["a"]}},
        "outputs": ["L"]})
}

/// `boom` divides by zero; `b` and `c` use it once each, so the three fuse into
/// one task under `c`'s key.
fn fused_chain_doc() -> serde_json::Value {
    json!({"tessera": 1, "nodes": {
        "boom": {"op": "call", "fn": "div", "args": [1, 0]},
        "b": {"op": "call", "fn": "inc", "args": ["boom"]},
        "c": {"op": "call", "fn": "inc", "args": ["b"]}},
        "outputs": ["c"]})
}

#[test]
fn a_failed_block_names_its_node_and_block_not_the_internal_key() {
    let (code, err) = tessera_run(&cholesky_doc());
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("node \"L\" block [0, 0] failed in"), "{err}");
    assert!(!err.contains("linalg.cholesky-"), "{err}");

    let graph = parse_and_validate(&cholesky_doc().to_string(), &InferContext::default()).unwrap();
    let err = compute_graph(&graph, &ComputeOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("node \"L\" block [0, 0]"), "{err}");
}

#[test]
fn a_failure_inside_a_fused_chain_names_the_task_that_failed() {
    let (code, err) = tessera_run(&fused_chain_doc());
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("task boom (fused into c) failed in div: division by zero"),
        "{err}"
    );
}

#[test]
fn library_task_graphs_name_the_fused_task_that_failed_wherever_it_sits() {
    let lit = |v: i64| Spec::lit(v);
    let inc = |a: Spec| Spec::task("inc", [a]);
    // Each chain low -> mid -> top fuses into `top`; the failing call is in a
    // different task each time, with calls before and after it.
    let cases = [
        // The bottom task fails.
        (
            Spec::task("div", [lit(1), lit(0)]),
            inc(Spec::key("low")),
            Spec::task("add", [inc(lit(2)), Spec::key("mid")]),
            "task low (fused into top) failed in div",
        ),
        // The middle task fails, after its own calls and the bottom's ran.
        (
            inc(lit(1)),
            Spec::task(
                "div",
                [inc(Spec::key("low")), Spec::task("sub", [lit(1), lit(1)])],
            ),
            Spec::task("add", [inc(lit(2)), Spec::key("mid")]),
            "task mid (fused into top) failed in div",
        ),
        // The top task fails, after the whole chain below evaluated.
        (
            inc(lit(1)),
            inc(Spec::key("low")),
            Spec::task("div", [inc(Spec::key("mid")), lit(0)]),
            "task top failed in div",
        ),
    ];
    for (i, (low, mid, top, expected)) in cases.into_iter().enumerate() {
        let g = Graph::new()
            .with("low", low)
            .with("mid", mid)
            .with("top", top);
        let err = get(&g, &"top".into()).unwrap_err().to_string();
        assert!(err.contains(expected), "case {i}: {err}");
    }
}
