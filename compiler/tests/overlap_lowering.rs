//! Lowering of `map_overlap`: one task per block, each reading only its
//! neighbours on the overlapped axes (at most 3^k blocks for k overlapped axes when
//! blocks are at least the depth), boundary modes at the array's edges, a rechunk
//! (merging neighbours) when some block is smaller than the depth. (Values are checked against SciPy in the root
//! crate's `tests/chunked_algorithms.rs`.)

use serde_json::{Value, json};
use tessera_compiler::{LowerOptions, Lowered, lower};
use tessera_ir::{InferContext, TaskExpr, TaskGraph, TaskKey, parse_and_validate};

fn lower_doc(x: Value, overlap: Value) -> Lowered {
    let mut node = overlap;
    node["op"] = json!("map_overlap");
    node["args"] = json!(["x"]);
    let doc = json!({"tessera": 1, "nodes": {"x": x, "y": node}, "outputs": ["y"]});
    let g = parse_and_validate(&doc.to_string(), &InferContext::default()).expect("valid document");
    lower(&g, &LowerOptions::default()).expect("lowers")
}

fn ones(shape: Value, chunks: Value) -> Value {
    json!({"op": "ones", "shape": shape, "chunks": chunks})
}

fn outer_call(graph: &TaskGraph, func: &str) -> usize {
    graph
        .tasks()
        .iter()
        .filter(|t| matches!(&t.expr, TaskExpr::Call(c) if &*c.func == func))
        .count()
}

/// Every function called anywhere inside a task's expression.
fn nested_calls(expr: &TaskExpr) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        match e {
            TaskExpr::Call(c) => {
                out.push(c.func.to_string());
                stack.extend(&c.args);
            }
            TaskExpr::List(items) => stack.extend(items),
            _ => {}
        }
    }
    out
}

/// The block indices of `x` (the source, `ones` tasks) that block `index` of
/// the output reads.
fn source_blocks_read(l: &Lowered, index: &[usize]) -> Vec<Vec<usize>> {
    let g = &l.graph;
    let key = &l.output_blocks[0].as_ref().unwrap()[&index.to_vec()];
    let id = g.id_of(key).unwrap();
    let mut out: Vec<Vec<usize>> = g
        .dependencies(id)
        .into_iter()
        .map(|d| {
            let v: Value = serde_json::from_str(g.task(d).key.as_str()).unwrap();
            v.as_array().unwrap()[1..]
                .iter()
                .map(|i| i.as_u64().unwrap() as usize)
                .collect()
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

fn correlate(depth: Value, boundary: Value, weights: Value) -> Value {
    json!({"fn": "correlate", "depth": depth, "boundary": boundary, "weights": weights})
}

const W3: [[f64; 3]; 3] = [[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]];

#[test]
fn one_task_per_block_reading_its_neighbours() {
    let l = lower_doc(
        ones(json!([9, 9]), json!(3)),
        correlate(json!(1), json!("reflect"), json!(W3)),
    );
    assert_eq!(outer_call(&l.graph, "correlate"), 9);
    assert_eq!(outer_call(&l.graph, "ones"), 9);
    // The centre reads all 9 blocks, an edge block 6, a corner 4 (its reflected
    // ghost cells come from itself).
    assert_eq!(source_blocks_read(&l, &[1, 1]).len(), 9);
    assert_eq!(source_blocks_read(&l, &[0, 1]).len(), 6);
    assert_eq!(
        source_blocks_read(&l, &[0, 0]),
        vec![vec![0, 0], vec![0, 1], vec![1, 0], vec![1, 1]]
    );
    // No padding kernel for reflect: ghost cells are views, and `correlate` reads
    // them in place (nothing is assembled).
    for t in l.graph.tasks() {
        let calls = nested_calls(&t.expr);
        assert!(!calls.contains(&"overlap.pad".to_string()), "{calls:?}");
        if calls.first().map(String::as_str) == Some("correlate") {
            assert!(!calls.contains(&"chunk.assemble".to_string()), "{calls:?}");
        }
    }
    // The centre block's task gets the 3 x 3 grid of views as nested lists.
    let key = &l.output_blocks[0].as_ref().unwrap()[&vec![1, 1]];
    let t = l.graph.task(l.graph.id_of(key).unwrap());
    let TaskExpr::Call(c) = &t.expr else { panic!() };
    let TaskExpr::List(rows) = &c.args[0] else {
        panic!("{:?}", c.args[0])
    };
    assert_eq!(rows.len(), 3);
    assert!(
        rows.iter()
            .all(|r| matches!(r, TaskExpr::List(items) if items.len() == 3))
    );
}

#[test]
fn other_block_functions_still_get_one_assembled_block() {
    let l = lower_doc(
        ones(json!([9, 9]), json!(3)),
        json!({"fn": "f", "depth": 1, "boundary": "reflect"}),
    );
    for t in l.graph.tasks() {
        let calls = nested_calls(&t.expr);
        assert!(calls.iter().filter(|c| *c == "chunk.assemble").count() <= 1);
    }
    let key = &l.output_blocks[0].as_ref().unwrap()[&vec![1, 1]];
    let t = l.graph.task(l.graph.id_of(key).unwrap());
    assert!(nested_calls(&t.expr).contains(&"chunk.assemble".to_string()));
}

#[test]
fn only_overlapped_axes_take_neighbours() {
    // 3-d, 3 x 3 x 3 blocks, depth on axis 1 only: 3 blocks read, never 27.
    let l = lower_doc(
        ones(json!([6, 6, 6]), json!(2)),
        json!({"fn": "correlate", "depth": {"1": 1}, "boundary": "none", "weights": [[[1.0], [2.0], [1.0]]]}),
    );
    assert_eq!(outer_call(&l.graph, "correlate"), 27);
    assert_eq!(
        source_blocks_read(&l, &[1, 1, 1]),
        vec![vec![1, 0, 1], vec![1, 1, 1], vec![1, 2, 1]]
    );
    // Two overlapped axes of three: 3^2 blocks for an inner block.
    let l = lower_doc(
        ones(json!([6, 6, 6]), json!(2)),
        json!({"fn": "correlate", "depth": [1, 0, 1], "boundary": "periodic", "weights": [[[1.0, 1.0, 1.0]], [[1.0, 1.0, 1.0]], [[1.0, 1.0, 1.0]]]}),
    );
    assert_eq!(source_blocks_read(&l, &[1, 1, 1]).len(), 9);
    // Total task count: one per output block plus the sources, not per neighbour.
    assert_eq!(l.graph.len(), 27 + 27 + 1);
}

#[test]
fn periodic_ghost_cells_come_from_the_other_end() {
    let l = lower_doc(
        ones(json!([9]), json!(3)),
        correlate(json!(1), json!("periodic"), json!([1.0, 1.0, 1.0])),
    );
    assert_eq!(
        source_blocks_read(&l, &[0]),
        vec![vec![0], vec![1], vec![2]]
    );
    assert_eq!(
        source_blocks_read(&l, &[2]),
        vec![vec![0], vec![1], vec![2]]
    );
    let l = lower_doc(
        ones(json!([9]), json!(3)),
        correlate(json!(1), json!("none"), json!([1.0, 1.0, 1.0])),
    );
    assert_eq!(source_blocks_read(&l, &[0]), vec![vec![0], vec![1]]);
}

#[test]
fn blocks_smaller_than_the_depth_are_rechunked_first() {
    let l = lower_doc(
        ones(json!([10]), json!([[2, 1, 2, 3, 2]])),
        correlate(
            json!(3),
            json!("nearest"),
            json!([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]),
        ),
    );
    // Blocks merge until each is at least 3 long: 0..3 and 3..10 (the short tail
    // joins the block before it), one rechunk task each.
    let rechunk: Vec<String> = l
        .graph
        .tasks()
        .iter()
        .map(|t| t.key.to_string())
        .filter(|k| k.contains("-rechunk"))
        .collect();
    assert_eq!(rechunk.len(), 2, "{rechunk:?}");
    // Block 2 (3..5) with depth 3 reads positions 0..8: both merged blocks.
    assert_eq!(source_blocks_read(&l, &[2]), vec![vec![0], vec![1]]);
    for i in 0..5 {
        let id = l
            .graph
            .id_of(&l.output_blocks[0].as_ref().unwrap()[&vec![i]])
            .unwrap();
        let deps = l.graph.dependencies(id);
        assert!(deps.len() <= 3, "block {i} reads {} tasks", deps.len());
        assert!(
            deps.iter()
                .all(|&d| l.graph.task(d).key.as_str().contains("-rechunk")),
            "block {i} reads the rechunked input"
        );
    }
    assert_eq!(outer_call(&l.graph, "correlate"), 5);
}

#[test]
fn other_block_functions_get_padded_blocks_and_are_trimmed() {
    let l = lower_doc(
        ones(json!([8, 8]), json!(4)),
        json!({"fn": "my_filter", "depth": 2, "boundary": 0.5, "sigma": 3}),
    );
    let key = &l.output_blocks[0].as_ref().unwrap()[&vec![0, 0]];
    let t = l.graph.task(l.graph.id_of(key).unwrap());
    let TaskExpr::Call(trim) = &t.expr else {
        panic!("{:?}", t.expr)
    };
    assert_eq!(&*trim.func, "getitem");
    assert_eq!(trim.kwargs["index"], json!([[2, 6, 1], [2, 6, 1]]));
    let TaskExpr::Call(f) = &trim.args[0] else {
        panic!()
    };
    assert_eq!(&*f.func, "my_filter");
    assert_eq!(f.kwargs["sigma"], json!(3));
    assert!(!f.kwargs.contains_key("depth"));
    let TaskExpr::Call(pad) = &f.args[0] else {
        panic!()
    };
    assert_eq!(&*pad.func, "overlap.pad");
    assert_eq!(pad.kwargs["pad"], json!([[2, 0], [2, 0]]));
    assert_eq!(pad.kwargs["mode"], json!(["constant", "constant"]));
    assert_eq!(pad.kwargs["cval"], json!([0.5, 0.5]));
}

#[test]
fn correlate_extends_array_edges_itself_and_computes_the_trimmed_block() {
    let l = lower_doc(
        ones(json!([8, 8]), json!(4)),
        correlate(json!(1), json!("nearest"), json!(W3)),
    );
    let key = &l.output_blocks[0].as_ref().unwrap()[&vec![0, 1]];
    let t = l.graph.task(l.graph.id_of(key).unwrap());
    let TaskExpr::Call(c) = &t.expr else { panic!() };
    assert_eq!(&*c.func, "correlate");
    // Block (0, 1): no data above (the kernel extends it), one ghost column left.
    assert_eq!(c.kwargs["trim"], json!([[0, 1], [1, 0]]));
    assert_eq!(c.kwargs["mode"], json!(["nearest", "nearest"]));
    assert!(!nested_calls(&t.expr).contains(&"overlap.pad".to_string()));
}

#[test]
fn untrimmed_results_keep_ghost_cells() {
    let l = lower_doc(
        ones(json!([8]), json!(4)),
        json!({"fn": "correlate", "depth": 1, "boundary": "none", "trim": false, "weights": [1.0, 1.0, 1.0]}),
    );
    let key = TaskKey::new(l.output_blocks[0].as_ref().unwrap()[&vec![1]].to_string());
    let t = l.graph.task(l.graph.id_of(&key).unwrap());
    let TaskExpr::Call(c) = &t.expr else { panic!() };
    assert_eq!(c.kwargs["trim"], json!([[0, 0]]));
    // Too-small blocks cannot keep `depth` ghost cells with boundary none.
    let doc = json!({"tessera": 1, "nodes": {"x": ones(json!([5]), json!([[1, 4]])),
        "y": {"op": "map_overlap", "args": ["x"], "fn": "f", "depth": 2, "boundary": "none", "trim": false}},
        "outputs": ["y"]});
    let g = parse_and_validate(&doc.to_string(), &InferContext::default()).unwrap();
    let e = lower(&g, &LowerOptions::default()).unwrap_err();
    assert!(
        e.to_string().contains("\"y\"") && e.to_string().contains("rechunk"),
        "{e}"
    );
}

#[test]
fn keys_are_deterministic() {
    let go = || {
        let l = lower_doc(
            ones(json!([6, 6]), json!(3)),
            correlate(json!(1), json!("reflect"), json!(W3)),
        );
        let mut k: Vec<String> = l.graph.tasks().iter().map(|t| t.key.to_string()).collect();
        k.sort();
        k
    };
    let keys = go();
    assert_eq!(keys, go());
    assert!(
        keys.iter().any(|k| k.starts_with("[\"map_overlap-")),
        "{keys:?}"
    );
}

#[test]
fn task_count_is_blocks_and_edges_grow_as_3_to_the_overlapped_axes() {
    // 4 x 4 x 4 blocks of a 3-d array; overlap k = 0..3 of its axes.
    let blocks = 64;
    for k in 0..=3usize {
        let depth: Vec<usize> = (0..3).map(|a| usize::from(a < k)).collect();
        let l = lower_doc(
            ones(json!([16, 16, 16]), json!(4)),
            json!({"fn": "identity", "depth": depth, "boundary": "reflect"}),
        );
        // One task per source block and one per result block (and the output's
        // assembly), whatever k is.
        assert_eq!(l.graph.len(), 2 * blocks + 1, "k = {k}");
        let edges: usize = l.output_blocks[0]
            .as_ref()
            .unwrap()
            .keys()
            .map(|index| source_blocks_read(&l, index).len())
            .sum();
        // Each result block reads at most 3^k source blocks (its neighbours on the
        // overlapped axes only); an inner block reads exactly 3^k.
        assert!(edges <= blocks * 3usize.pow(k as u32), "k = {k}: {edges}");
        assert_eq!(
            source_blocks_read(&l, &[1, 1, 1]).len(),
            3usize.pow(k as u32)
        );
    }
}

#[test]
fn asymmetric_depths_with_boundary_none() {
    // Axis 0: 1 cell before, 2 after; blocks of 4 over 12.
    let l = lower_doc(
        ones(json!([12, 6]), json!([4, 6])),
        json!({"fn": "identity", "depth": {"0": [1, 2]}, "boundary": "none", "trim": false}),
    );
    let blocks = l.output_blocks[0].as_ref().unwrap();
    assert_eq!(blocks.len(), 3);
    // Block 0 reads block 1 (2 cells after); block 2 reads block 1 (1 cell before).
    assert_eq!(source_blocks_read(&l, &[0, 0]), [vec![0, 0], vec![1, 0]]);
    assert_eq!(source_blocks_read(&l, &[2, 0]), [vec![1, 0], vec![2, 0]]);
    // Asymmetric depths need boundary "none".
    let doc = json!({"tessera": 1, "nodes": {"x": ones(json!([12]), json!(4)),
        "y": {"op": "map_overlap", "args": ["x"], "fn": "identity", "depth": [[1, 2]],
              "boundary": "reflect"}}, "outputs": ["y"]});
    let e = parse_and_validate(&doc.to_string(), &InferContext::default()).unwrap_err();
    assert!(e.to_string().contains("asymmetric"), "{e}");
}
