//! The optimizer alone (W9: a deep expression graph; a long chain of slices)
//! and its overhead on a tiny
//! graph (W1's three nodes). W1 and W7 end to end, optimizer included, are in
//! `benches/arrays.rs` (they go through `compute_graph`, which optimizes).
//!
//! `cargo bench --bench optimizer`

use divan::Bencher;
use serde_json::json;
use tessera::compiler::{OptimizeOptions, optimize};
use tessera::ir::{InferContext, ValidGraph, parse_and_validate};

fn main() {
    divan::main();
}

/// W9: `x = (x * 1.0001 + 1).T` repeated, then `[:10, :10]` (3 ops per level).
fn w9(levels: usize) -> ValidGraph {
    let mut nodes = serde_json::Map::new();
    nodes.insert(
        "x0".into(),
        json!({"op": "ones", "shape": [10000, 10000], "chunks": 1000}),
    );
    let mut last = "x0".to_string();
    for i in 1..=levels {
        nodes.insert(
            format!("m{i}"),
            json!({"op": "multiply", "args": [last, 1.0001]}),
        );
        nodes.insert(
            format!("a{i}"),
            json!({"op": "add", "args": [format!("m{i}"), 1]}),
        );
        nodes.insert(
            format!("x{i}"),
            json!({"op": "transpose", "args": [format!("a{i}")]}),
        );
        last = format!("x{i}");
    }
    nodes.insert(
        "out".into(),
        json!({"op": "getitem", "args": [last], "index": [[null, 10, null], [null, 10, null]]}),
    );
    let doc = json!({"tessera": 1, "nodes": nodes, "outputs": ["out"]});
    parse_and_validate(&doc.to_string(), &InferContext::default()).expect("valid")
}

/// W9 with 1,000 ops (target: under 100 ms) and 10,000 ops.
#[divan::bench(args = [333, 3333], sample_count = 5, sample_size = 1)]
fn w9_optimize(bencher: Bencher, levels: usize) {
    let graph = w9(levels);
    let options = OptimizeOptions::default();
    bencher.bench(|| optimize(&graph, &options).expect("optimizes"));
}

/// `steps` slices in a row, `x[1:][1:]...`, of a one-block source.
fn slice_chain(steps: usize) -> ValidGraph {
    let mut nodes = serde_json::Map::new();
    nodes.insert(
        "g0".into(),
        json!({"op": "ones", "shape": [2 * steps + 10], "chunks": 1_000_000}),
    );
    for i in 1..=steps {
        nodes.insert(
            format!("g{i}"),
            json!({"op": "getitem", "args": [format!("g{}", i - 1)], "index": [[1, null, null]]}),
        );
    }
    let doc = json!({"tessera": 1, "nodes": nodes, "outputs": [format!("g{steps}")]});
    parse_and_validate(&doc.to_string(), &InferContext::default()).expect("valid")
}

/// Slice pushdown composes a chain of slices in linear time (target: 1,000
/// steps under 50 ms, 10,000 under 1 s).
#[divan::bench(args = [1000, 10000], sample_count = 5, sample_size = 1)]
fn slice_chain_optimize(bencher: Bencher, steps: usize) {
    let graph = slice_chain(steps);
    let options = OptimizeOptions::default();
    bencher.bench(|| optimize(&graph, &options).expect("optimizes"));
}

/// W1's graph, `exp(ones((10000, 10000), chunks=100))[1:100, 1:100]`: the
/// optimizer's overhead on three nodes.
#[divan::bench(sample_count = 200)]
fn w1_optimize(bencher: Bencher) {
    let graph = parse_and_validate(
        r#"{"tessera": 1, "nodes": {
            "a": {"op": "ones", "shape": [10000, 10000], "chunks": 100},
            "b": {"op": "exp", "args": ["a"]},
            "c": {"op": "getitem", "args": ["b"], "index": [[1, 100, null], [1, 100, null]]}
        }, "outputs": ["c"]}"#,
        &InferContext::default(),
    )
    .expect("valid");
    let options = OptimizeOptions::default();
    bencher.bench(|| optimize(&graph, &options).expect("optimizes"));
}
