//! Planning cost follows the blocks that are needed, never the number of chunks
//! (issue #4): `ones((10^6, 10^6), chunks=1000)[:1500, :1500].sum()` — an array of
//! 10^6 chunks — is validated and lowered (planning), and computed end to end.
//! Dask's documentation calls planning such a graph "a second or two".
//!
//! `cargo bench --bench planning`.

use tessera::compiler::{LowerOptions, lower};
use tessera::compute::{ComputeOptions, compute_graph};
use tessera::ir::{InferContext, ValidGraph, parse_and_validate};

fn main() {
    divan::main();
}

const DOC: &str = r#"{"tessera": 1, "nodes": {
    "x": {"op": "ones", "shape": [1000000, 1000000], "chunks": 1000},
    "y": {"op": "getitem", "args": ["x"], "index": [[null, 1500, null], [null, 1500, null]]},
    "s": {"op": "sum", "args": ["y"]}
}, "outputs": ["s"]}"#;

fn validated() -> ValidGraph {
    parse_and_validate(DOC, &InferContext::default()).expect("valid")
}

/// Parse, validate (shape and chunk inference over 10^6 chunks) and lower.
#[divan::bench(sample_count = 100)]
fn plan_slice_of_million_chunks() -> usize {
    let graph = validated();
    lower(&graph, &LowerOptions::default())
        .expect("lowers")
        .graph
        .len()
}

/// Lowering alone, the graph validated beforehand.
#[divan::bench(sample_count = 100)]
fn lower_slice_of_million_chunks(bencher: divan::Bencher) {
    let graph = validated();
    bencher.bench(|| {
        lower(&graph, &LowerOptions::default())
            .expect("lowers")
            .graph
            .len()
    });
}

/// Plan and compute: 4 blocks' worth of work.
#[divan::bench(sample_count = 30)]
fn compute_slice_of_million_chunks(bencher: divan::Bencher) {
    let graph = validated();
    let options = ComputeOptions {
        threads: Some(2),
        ..ComputeOptions::default()
    };
    bencher.bench(|| compute_graph(&graph, &options).expect("computes").tasks);
}
