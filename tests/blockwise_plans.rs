//! Plans that must stay block-wise: `reshape` and the scans `cumsum`/`cumprod`
//! make tasks per block (no whole-array task), planning follows the blocks that
//! are needed (a slice of an array of 10^6 chunks plans in a handful of tasks),
//! and a block too large for memory is refused with an error naming its node.
//! Values are checked against the same graph computed as whole arrays (the
//! NumPy fixtures in `conformance.rs` check the whole-array kernels themselves).

use serde_json::{Value as Json, json};
use tessera::compiler::{LowerOptions, lower};
use tessera::compute::{ComputeOptions, compute_graph};
use tessera::ir::{InferContext, TaskExpr, ValidGraph, parse_and_validate};
use tessera::runtime::Value;

fn graph(nodes: Json, output: &str) -> ValidGraph {
    let doc = json!({"tessera": 1, "nodes": nodes, "outputs": [output]});
    parse_and_validate(&doc.to_string(), &InferContext::default()).expect("valid document")
}

fn compute(graph: &ValidGraph, whole_arrays: bool) -> Value {
    let options = ComputeOptions {
        threads: Some(2),
        lower: LowerOptions {
            whole_arrays,
            ..LowerOptions::default()
        },
        ..ComputeOptions::default()
    };
    compute_graph(graph, &options)
        .expect("computes")
        .outputs
        .remove(0)
        .1
}

/// The functions called by the lowered tasks, one entry per task.
fn called(graph: &ValidGraph) -> Vec<String> {
    let lowered = lower(graph, &LowerOptions::default()).expect("lowers");
    lowered
        .graph
        .tasks()
        .iter()
        .filter_map(|t| match &t.expr {
            TaskExpr::Call(c) => Some(c.func.to_string()),
            _ => None,
        })
        .collect()
}

/// Equal dtypes and shapes, values within 1e-13 relative (a scan's carry
/// multiplies in another order than the whole-array scan).
fn assert_close(a: &Value, b: &Value, what: &str) {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.dtype(), y.dtype(), "{what}");
            assert_eq!(x.shape(), y.shape(), "{what}");
        }
        _ => panic!("{what}: expected arrays, got {a:?} and {b:?}"),
    }
    let (a, b) = (a.to_json(), b.to_json());
    let flat = |v: &Json| -> Vec<f64> {
        let mut out = Vec::new();
        let mut stack = vec![v.clone()];
        while let Some(v) = stack.pop() {
            match v {
                Json::Array(items) => stack.extend(items.into_iter().rev()),
                Json::Number(n) => out.push(n.as_f64().expect("a number")),
                Json::Bool(b) => out.push(f64::from(u8::from(b))),
                other => panic!("{what}: unexpected {other}"),
            }
        }
        out
    };
    for (x, y) in flat(&a).iter().zip(flat(&b)) {
        assert!(
            (x - y).abs() <= 1e-13 * y.abs().max(1.0),
            "{what}: {x} vs {y}"
        );
    }
}

fn count(calls: &[String], func: &str) -> usize {
    calls.iter().filter(|c| *c == func).count()
}

fn source(shape: &[usize], chunks: Json, dtype: &str) -> Json {
    let ints = json!({"op": "random.integers", "low": -3, "high": 4, "shape": shape, "seed": 3,
                      "chunks": chunks});
    json!({"op": "astype", "args": [ints], "dtype": dtype})
}

#[test]
fn scans_are_one_task_per_block_and_match_whole_arrays() {
    for (dtype, op) in [
        ("int64", "cumsum"),
        ("int32", "cumsum"),
        ("float64", "cumprod"),
        ("bool", "cumsum"),
    ] {
        let x = match dtype {
            "float64" => json!({"op": "random.uniform", "low": 0.5, "high": 1.5,
                                "shape": [7, 10], "seed": 1, "chunks": [[3, 0, 4], [2, 5, 3]]}),
            "bool" => {
                json!({"op": "greater", "args": [source(&[7, 10], json!([[3, 0, 4], [2, 5, 3]]), "int64"), 0]})
            }
            _ => source(&[7, 10], json!([[3, 0, 4], [2, 5, 3]]), dtype),
        };
        for axis in [json!(0), json!(1), json!(-1), Json::Null] {
            let g = graph(
                json!({"x": x, "s": {"op": op, "args": ["x"], "axis": axis}}),
                "s",
            );
            let calls = called(&g);
            assert_eq!(
                count(&calls, op),
                0,
                "{op} {dtype} axis {axis}: no whole-array scan"
            );
            let blocks: usize = g
                .node(g.outputs[0])
                .meta
                .as_array()
                .unwrap()
                .chunks
                .numblocks()
                .iter()
                .product();
            assert_eq!(count(&calls, &format!("{op}-block")), blocks, "{calls:?}");
            let (chunked, whole) = (compute(&g, false), compute(&g, true));
            assert_close(&chunked, &whole, &format!("{op} {dtype} axis {axis}"));
        }
    }
}

#[test]
fn a_flattened_scan_follows_the_input_rows() {
    // One block along the trailing axis: every input block is a run of the
    // flattened array, so the flattened scan has one block per input block.
    let g = graph(
        json!({
            "x": source(&[9, 4], json!([[2, 3, 4], 4]), "int64"),
            "s": {"op": "cumsum", "args": ["x"]}
        }),
        "s",
    );
    let calls = called(&g);
    assert_eq!(count(&calls, "cumsum-block"), 3, "{calls:?}");
    // The flattening reshape of each block is nested in its scan task.
    assert_eq!(calls.len(), 3 + 3 + 2 + 3 + 3 + 1, "{calls:?}");
    assert_eq!(compute(&g, false), compute(&g, true));
}

#[test]
fn a_slice_of_a_scan_makes_only_the_blocks_up_to_it() {
    // Blocks 0..=2 of 10 along the axis are scanned; the carry chain stops there.
    let g = graph(
        json!({
            "x": {"op": "ones", "shape": [100], "chunks": 10, "dtype": "int64"},
            "s": {"op": "cumsum", "args": ["x"], "axis": 0},
            "t": {"op": "getitem", "args": ["s"], "index": [[20, 25, null]]}
        }),
        "t",
    );
    let calls = called(&g);
    assert_eq!(count(&calls, "cumsum-block"), 3, "{calls:?}");
    assert_eq!(count(&calls, "cumsum-carry-next"), 2, "{calls:?}");
    let out = compute(&g, false).to_json();
    assert_eq!(out, json!([21, 22, 23, 24, 25]));
}

#[test]
fn reshapes_are_block_wise_and_match_whole_arrays() {
    let cases: [(&[usize], Json, &[i64]); 6] = [
        (&[6, 8], json!([[2, 4], 8]), &[12, 4]),
        (&[6, 8], json!([[2, 4], 8]), &[48]),
        (&[4, 6, 2], json!([[1, 3], [2, 4], 1]), &[4, 12]),
        (&[4, 6, 2], json!([[1, 3], [2, 4], 1]), &[4, 3, 4]),
        (&[12], json!([[5, 7]]), &[3, 4]),
        (&[3, 4], json!([[1, 2], [3, 1]]), &[3, 4, 1]),
    ];
    for (shape, chunks, to) in cases {
        let g = graph(
            json!({"x": source(shape, chunks.clone(), "int64"),
                   "r": {"op": "reshape", "args": ["x"], "shape": to}}),
            "r",
        );
        let calls = called(&g);
        let out_blocks = g
            .node(g.outputs[0])
            .meta
            .as_array()
            .unwrap()
            .chunks
            .numblocks();
        assert_eq!(
            count(&calls, "reshape"),
            out_blocks.iter().product::<usize>(),
            "{shape:?} {chunks} -> {to:?}: one reshape per result block"
        );
        assert_eq!(compute(&g, false), compute(&g, true), "{shape:?} -> {to:?}");
    }
}

#[test]
fn planning_a_slice_of_a_million_chunks_makes_a_handful_of_tasks() {
    let g = graph(
        json!({
            "x": {"op": "ones", "shape": [1_000_000, 1_000_000], "chunks": 1000},
            "y": {"op": "getitem", "args": ["x"], "index": [[null, 1500, null], [null, 1500, null]]},
            "s": {"op": "sum", "args": ["y"]}
        }),
        "s",
    );
    let calls = called(&g);
    assert_eq!(count(&calls, "ones"), 4, "{calls:?}");
    assert!(calls.len() <= 16, "{} tasks: {calls:?}", calls.len());
    let total = compute(&g, false);
    assert_eq!(total.to_json(), json!(1500.0 * 1500.0));
}

#[test]
fn a_block_larger_than_memory_is_refused_naming_its_node() {
    let g = graph(
        json!({
            "big": {"op": "ones", "shape": [1_000_000, 1_000_000], "chunks": 1_000_000},
            "s": {"op": "sum", "args": ["big"]}
        }),
        "s",
    );
    let err = compute_graph(&g, &ComputeOptions::default()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("\"big\""), "{text}");
    assert!(text.contains("GiB"), "{text}");
    assert!(text.contains("smaller chunks"), "{text}");
    // An explicit limit applies too.
    let options = ComputeOptions {
        lower: LowerOptions {
            max_block_bytes: Some(1000),
            ..LowerOptions::default()
        },
        ..ComputeOptions::default()
    };
    let g = graph(
        json!({"x": {"op": "zeros", "shape": [20, 20], "chunks": 20}}),
        "x",
    );
    let err = compute_graph(&g, &options).unwrap_err().to_string();
    assert!(err.contains("block [0, 0] of shape [20, 20]"), "{err}");
}
