//! Lowering from validated documents: only the needed blocks become tasks, keys are
//! deterministic, regions are cut where chunks differ.

use serde_json::json;
use tessera_compiler::{LowerOptions, lower};
use tessera_ir::{InferContext, TaskExpr, TaskGraph, ValidGraph, parse_and_validate};

fn valid(doc: serde_json::Value) -> ValidGraph {
    parse_and_validate(&doc.to_string(), &InferContext::default()).expect("valid document")
}

fn funcs(graph: &TaskGraph) -> Vec<String> {
    let mut out: Vec<String> = graph
        .tasks()
        .iter()
        .map(|t| match &t.expr {
            TaskExpr::Call(c) => c.func.to_string(),
            TaskExpr::Ref(_) => "ref".into(),
            TaskExpr::Literal(_) => "literal".into(),
            TaskExpr::List(_) => "list".into(),
        })
        .collect();
    out.sort();
    out
}

#[test]
fn the_lazy_slice_needs_one_block_of_each_node() {
    let g = valid(json!({"tessera": 1, "nodes": {
        "a": {"op": "ones", "shape": [10000, 10000], "chunks": [100, 100]},
        "b": {"op": "exp", "args": ["a"]},
        "c": {"op": "getitem", "args": ["b"], "index": [[1, 100, null], [1, 100, null]]}},
        "outputs": ["c"]}));
    let lowered = lower(&g, &LowerOptions::default()).unwrap();
    assert_eq!(funcs(&lowered.graph), vec!["exp", "getitem", "ones"]);
}

#[test]
fn planning_a_corner_of_a_million_chunks_is_proportional_to_the_corner() {
    let g = valid(json!({"tessera": 1, "nodes": {
        "a": {"op": "ones", "shape": [1000000, 1000000], "chunks": 1000},
        "b": {"op": "getitem", "args": ["a"], "index": [[null, 1500, null], [null, 1500, null]]},
        "c": {"op": "sum", "args": ["b"]}},
        "outputs": ["c"]}));
    let lowered = lower(&g, &LowerOptions::default()).unwrap();
    let f = funcs(&lowered.graph);
    assert_eq!(f.iter().filter(|f| *f == "ones").count(), 4, "{f:?}");
    assert!(lowered.graph.len() < 20, "{f:?}");
}

#[test]
fn keys_are_deterministic_and_dask_like() {
    let doc = json!({"tessera": 1, "nodes": {
        "a": {"op": "ones", "shape": [4, 4], "chunks": 2},
        "b": {"op": "negative", "args": ["a"]}}, "outputs": ["b"]});
    let one = lower(&valid(doc.clone()), &LowerOptions::default()).unwrap();
    let two = lower(&valid(doc), &LowerOptions::default()).unwrap();
    let keys = |g: &TaskGraph| {
        let mut k: Vec<String> = g.tasks().iter().map(|t| t.key.to_string()).collect();
        k.sort();
        k
    };
    assert_eq!(keys(&one.graph), keys(&two.graph));
    let blocks = one.output_blocks[0].as_ref().unwrap();
    assert_eq!(blocks.len(), 4);
    let key = blocks[&vec![1, 0]].to_string();
    assert!(
        key.starts_with("[\"negative-") && key.ends_with("\",1,0]"),
        "{key}"
    );
}

#[test]
fn mismatched_chunks_are_cut_into_regions() {
    let g = valid(json!({"tessera": 1, "nodes": {
        "a": {"op": "ones", "shape": [6], "chunks": [[3, 3]]},
        "b": {"op": "zeros", "shape": [6], "chunks": [[2, 4]]},
        "c": {"op": "add", "args": ["a", "b"]}},
        "outputs": ["c"]}));
    let lowered = lower(&g, &LowerOptions::default()).unwrap();
    // Unified chunks [2, 1, 3]: three add blocks, and views (calls nested in the
    // add tasks) where a block is cut.
    let f = funcs(&lowered.graph);
    assert_eq!(f.iter().filter(|f| *f == "add").count(), 3, "{f:?}");
    let mut nested = Vec::new();
    for task in lowered.graph.tasks() {
        let mut stack = vec![&task.expr];
        while let Some(e) = stack.pop() {
            match e {
                TaskExpr::Call(c) => {
                    nested.push(c.func.to_string());
                    stack.extend(&c.args);
                }
                TaskExpr::List(items) => stack.extend(items),
                _ => {}
            }
        }
    }
    // a = [3, 3] is cut in blocks 0 and 1; b = [2, 4] in blocks 1 and 2.
    assert_eq!(
        nested.iter().filter(|f| *f == "getitem").count(),
        4,
        "{nested:?}"
    );
}

#[test]
fn whole_array_mode_makes_one_block_per_node() {
    let g = valid(json!({"tessera": 1, "nodes": {
        "a": {"op": "ones", "shape": [100, 100], "chunks": 10},
        "b": {"op": "sin", "args": ["a"]}}, "outputs": ["b"]}));
    let options = LowerOptions {
        whole_arrays: true,
        ..LowerOptions::default()
    };
    let lowered = lower(&g, &options).unwrap();
    assert_eq!(funcs(&lowered.graph), vec!["ones", "sin"]);
}

#[test]
fn a_tree_reduction_combines_in_groups() {
    let g = valid(json!({"tessera": 1, "nodes": {
        "a": {"op": "ones", "shape": [100], "chunks": 10},
        "s": {"op": "sum", "args": ["a"]}}, "outputs": ["s"]}));
    let lowered = lower(
        &g,
        &LowerOptions {
            split_every: 4,
            ..LowerOptions::default()
        },
    )
    .unwrap();
    let f = funcs(&lowered.graph);
    assert_eq!(f.iter().filter(|f| *f == "sum-partial").count(), 10);
    // 10 partials -> 3 combines -> 1 combine -> finalize
    assert_eq!(f.iter().filter(|f| *f == "sum-combine").count(), 4, "{f:?}");
    assert_eq!(f.iter().filter(|f| *f == "sum-finalize").count(), 1);
}

#[test]
fn an_unbound_input_names_the_node() {
    let g = valid(json!({"tessera": 1, "nodes": {
        "x": {"op": "input", "name": "x", "shape": [3], "dtype": "float64"}},
        "outputs": ["x"]}));
    let err = lower(&g, &LowerOptions::default()).unwrap_err();
    assert!(err.to_string().contains("\"x\""), "{err}");
}
