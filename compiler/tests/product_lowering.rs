//! Lowering of the blocked products (`tensordot`, `outer`, `dot`, batched and
//! 1-d `matmul`): one product task per contracted block of each requested result
//! block, summed, and nothing else — which tasks exist and what each one reads.
//! (Values are checked against NumPy in the root crate's `tests/conformance.rs`
//! and chunked against whole arrays in `tests/products.rs`.)

use std::collections::BTreeMap;

use serde_json::{Value, json};
use tessera_compiler::{LowerOptions, Lowered, lower};
use tessera_ir::{InferContext, TaskExpr, TaskGraph, TaskId, parse_and_validate};

fn lowered(nodes: Value, outputs: &[&str]) -> Lowered {
    let doc = json!({"tessera": 1, "nodes": nodes, "outputs": outputs});
    let g = parse_and_validate(&doc.to_string(), &InferContext::default()).expect("valid document");
    lower(&g, &LowerOptions::default()).expect("lowers")
}

/// The function each task calls (its outermost call), counted.
fn calls(graph: &TaskGraph) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for t in graph.tasks() {
        let name = match &t.expr {
            TaskExpr::Call(c) => c.func.to_string(),
            TaskExpr::Ref(_) => "ref".into(),
            TaskExpr::Literal(_) => "literal".into(),
            TaskExpr::List(_) => "list".into(),
        };
        *out.entry(name).or_default() += 1;
    }
    out
}

fn count(graph: &TaskGraph, func: &str) -> usize {
    calls(graph).get(func).copied().unwrap_or(0)
}

/// The tasks whose outermost call is `func`.
fn tasks_calling(graph: &TaskGraph, func: &str) -> Vec<TaskId> {
    graph
        .tasks()
        .iter()
        .enumerate()
        .filter(|(_, t)| matches!(&t.expr, TaskExpr::Call(c) if &*c.func == func))
        .map(|(i, _)| graph.id_of(&graph.tasks()[i].key).expect("task"))
        .collect()
}

/// Block indices (the key's trailing integers) of the tasks a task reads whose
/// key names `op`.
fn reads(graph: &TaskGraph, id: TaskId, op: &str) -> Vec<Vec<u64>> {
    let mut out: Vec<Vec<u64>> = graph
        .dependencies(id)
        .into_iter()
        .filter_map(|d| {
            let key: Value = serde_json::from_str(&graph.task(d).key.to_string()).ok()?;
            let parts = key.as_array()?;
            parts[0].as_str()?.starts_with(&format!("{op}-")).then(|| {
                parts[1..]
                    .iter()
                    .filter_map(Value::as_u64)
                    .collect::<Vec<u64>>()
            })
        })
        .collect();
    out.sort();
    out
}

#[test]
fn one_block_of_a_big_tensordot_makes_only_its_products() {
    // 2,000 result blocks, 6 contracted blocks each; one result block asked for.
    let nodes = json!({
        "a": {"op": "ones", "shape": [4000, 300, 200], "chunks": 100},
        "b": {"op": "zeros", "shape": [300, 200, 5000], "chunks": 100},
        "t": {"op": "tensordot", "args": ["a", "b"]},
        "s": {"op": "getitem", "args": ["t"], "index": [[0, 100, null], [100, 200, null]]}});
    let l = lowered(nodes, &["s"]);
    let c = calls(&l.graph);
    assert_eq!(c["tensordot"], 6, "{c:?}");
    assert_eq!(c["chunk.sum_list"], 1, "{c:?}");
    assert_eq!((c["ones"], c["zeros"]), (6, 6), "{c:?}");
    // 6 products, their 12 input blocks, the sum and the output alias.
    assert_eq!(l.graph.len(), 20, "{c:?}");
    // Each product reads one block of a and one of b, of the same contracted block.
    for id in tasks_calling(&l.graph, "tensordot") {
        let (ra, rb) = (reads(&l.graph, id, "ones"), reads(&l.graph, id, "zeros"));
        assert_eq!((ra.len(), rb.len()), (1, 1));
        assert_eq!(ra[0][0], 0);
        assert_eq!(ra[0][1..], rb[0][..2]);
        assert_eq!(rb[0][2], 1);
    }
}

#[test]
fn tensordot_with_axis_lists_sums_over_the_grid_of_contracted_blocks() {
    let nodes = json!({
        "a": {"op": "ones", "shape": [6, 5, 4], "chunks": [[3, 3], [2, 3], [1, 1, 2]]},
        "b": {"op": "ones", "shape": [4, 7, 5], "chunks": [[4], [7], [5]]},
        "t": {"op": "tensordot", "args": ["a", "b"], "axes": [[2, 1], [0, 2]]}});
    let l = lowered(nodes, &["t"]);
    // Result (6, 7): 2 x 1 blocks, each summing 3 x 2 products.
    assert_eq!(count(&l.graph, "tensordot"), 2 * 6);
    assert_eq!(count(&l.graph, "chunk.sum_list"), 2);
    // B's single block is cut to a's contracted blocks by views.
    assert_eq!(count(&l.graph, "ones"), 12 + 1);
}

#[test]
fn one_contracted_block_is_the_block_task_itself() {
    let nodes = json!({
        "a": {"op": "ones", "shape": [4, 3], "chunks": [2, 3]},
        "b": {"op": "ones", "shape": [3, 5], "chunks": [3, 5]},
        "t": {"op": "tensordot", "args": ["a", "b"], "axes": 1},
        "o": {"op": "tensordot", "args": ["a", "b"], "axes": 0}});
    let l = lowered(nodes, &["t", "o"]);
    let c = calls(&l.graph);
    // t: 2 blocks; o (axes 0, shape (4, 3, 3, 5)): 2 blocks.
    assert_eq!(c["tensordot"], 4, "{c:?}");
    assert!(!c.contains_key("chunk.sum_list"), "{c:?}");
}

#[test]
fn batched_matmul_pairs_broadcast_batch_blocks() {
    // (6, 1, 40, 30) @ (5, 30, 20) -> (6, 5, 40, 20).
    let nodes = json!({
        "a": {"op": "ones", "shape": [6, 1, 40, 30], "chunks": [2, 1, 10, 10]},
        "b": {"op": "zeros", "shape": [5, 30, 20], "chunks": [1, 10, 10]},
        "p": {"op": "matmul", "args": ["a", "b"]},
        "s": {"op": "getitem", "args": ["p"], "index": [1, 2, [0, 10, null], [10, 20, null]]}});
    let l = lowered(nodes, &["s"]);
    let c = calls(&l.graph);
    assert_eq!(c["matmul"], 3, "{c:?}");
    assert_eq!((c["ones"], c["zeros"]), (3, 3), "{c:?}");
    for id in tasks_calling(&l.graph, "matmul") {
        let (ra, rb) = (reads(&l.graph, id, "ones"), reads(&l.graph, id, "zeros"));
        // a's batch block 0 (rows 0..2, its broadcast axis whole), b's batch block 2.
        assert_eq!(ra[0][..3], [0, 0, 0]);
        assert_eq!([rb[0][0], rb[0][2]], [2, 1]);
        assert_eq!(ra[0][3], rb[0][1]);
    }
}

#[test]
fn vector_operands_and_nd_dot_are_blocked() {
    let nodes = json!({
        "v": {"op": "ones", "shape": [30], "chunks": 10},
        "m": {"op": "ones", "shape": [4, 30, 20], "chunks": [1, 10, 10]},
        "vm": {"op": "matmul", "args": ["v", "m"]},
        "a": {"op": "ones", "shape": [4, 5, 6], "chunks": 2},
        "b": {"op": "ones", "shape": [3, 6, 7], "chunks": 3},
        "d": {"op": "dot", "args": ["a", "b"]}});
    // vm (4, 20): 4 x 2 blocks of 3 products.
    let l = lowered(nodes.clone(), &["vm"]);
    assert_eq!(count(&l.graph, "matmul"), 24);
    assert_eq!(count(&l.graph, "chunk.sum_list"), 8);
    // d (4, 5, 3, 7): 2 x 3 x 1 x 3 blocks, 3 contracted blocks each.
    let l = lowered(nodes, &["d"]);
    assert_eq!(count(&l.graph, "dot"), 18 * 3);
    assert_eq!(count(&l.graph, "chunk.sum_list"), 18);
}

#[test]
fn outer_of_nd_inputs_takes_the_regions_of_its_runs() {
    // a (30, 4) flattens to 120 elements in runs of 40 (10 whole rows each).
    let nodes = json!({
        "a": {"op": "ones", "shape": [30, 4], "chunks": [10, 4]},
        "b": {"op": "zeros", "shape": [50], "chunks": 10},
        "o": {"op": "outer", "args": ["a", "b"]},
        "s": {"op": "getitem", "args": ["o"], "index": [[40, 80, null], [10, 20, null]]}});
    let l = lowered(nodes, &["s"]);
    let c = calls(&l.graph);
    assert_eq!((c["outer"], c["ones"], c["zeros"]), (1, 1, 1), "{c:?}");
    let id = tasks_calling(&l.graph, "outer")[0];
    assert_eq!(reads(&l.graph, id, "ones"), [vec![1, 0]]);
    assert_eq!(reads(&l.graph, id, "zeros"), [vec![1]]);
}
