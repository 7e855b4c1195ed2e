//! Lowering of the blocked linear algebra: the Cholesky tile DAG, blocked
//! triangular substitution and TSQR — which tasks exist, their keys and what each
//! one reads. (Values are checked against NumPy in the root crate's
//! `tests/chunked_algorithms.rs`, where the runtime is available.)

use std::collections::BTreeMap;

use serde_json::{Value, json};
use tessera_compiler::{LowerOptions, Lowered, lower};
use tessera_ir::{InferContext, TaskExpr, TaskGraph, TaskId, TaskKey, parse_and_validate};

fn lowered(nodes: Value, outputs: &[&str], options: &LowerOptions) -> Lowered {
    let doc = json!({"tessera": 1, "nodes": nodes, "outputs": outputs});
    let g = parse_and_validate(&doc.to_string(), &InferContext::default()).expect("valid document");
    lower(&g, options).expect("lowers")
}

fn lower_default(nodes: Value, outputs: &[&str]) -> Lowered {
    lowered(nodes, outputs, &LowerOptions::default())
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

/// Keys of the tasks a task reads.
fn reads(graph: &TaskGraph, id: TaskId) -> Vec<String> {
    let mut keys: Vec<String> = graph
        .dependencies(id)
        .into_iter()
        .map(|d| graph.task(d).key.to_string())
        .collect();
    keys.sort();
    keys
}

fn id_of(graph: &TaskGraph, key: &str) -> TaskId {
    graph
        .id_of(&TaskKey::new(key))
        .unwrap_or_else(|| panic!("no task {key}"))
}

/// The name part of the output's block keys (`linalg.cholesky-<token>`).
fn block_name(l: &Lowered, output: usize) -> String {
    let blocks = l.output_blocks[output].as_ref().expect("array output");
    let key = blocks.values().next().unwrap().to_string();
    let v: Value = serde_json::from_str(&key).unwrap();
    v[0].as_str().unwrap().to_string()
}

/// The keyword attributes of a task's outermost call.
fn kwargs_of(graph: &TaskGraph, key: &str) -> Value {
    match &graph.task(id_of(graph, key)).expr {
        TaskExpr::Call(c) => Value::Object((*c.kwargs).clone()),
        other => panic!("{key} is not a call: {other:?}"),
    }
}

fn spd(n: usize, chunks: Value) -> Value {
    json!({"op": "eye", "N": n, "chunks": chunks})
}

#[test]
fn cholesky_is_a_tile_dag_of_potrf_trsm_syrk_gemm() {
    let l = lower_default(
        json!({"a": spd(9, json!(3)), "l": {"op": "linalg.cholesky", "args": ["a"]}}),
        &["l"],
    );
    let g = &l.graph;
    // 3 x 3 tiles: potrf on the diagonal, trsm below, syrk on the diagonal for
    // each earlier column (1 + 2), gemm for tile (2, 1) from column 0, zeros above.
    assert_eq!(count(g, "potrf"), 3);
    assert_eq!(count(g, "trsm"), 3);
    assert_eq!(count(g, "syrk"), 3);
    assert_eq!(count(g, "gemm"), 1);
    assert_eq!(count(g, "zeros"), 3);
    assert_eq!(count(g, "linalg.cholesky"), 0, "no whole-array call");
    let name = block_name(&l, 0);
    assert!(name.starts_with("linalg.cholesky-"), "{name}");
    // The last diagonal tile: potrf of the tile after two syrk updates.
    let potrf = id_of(g, &format!("[\"{name}\",2,2]"));
    assert_eq!(reads(g, potrf), vec![format!("[\"{name}-syrk\",2,1]")]);
    let syrk1 = id_of(g, &format!("[\"{name}-syrk\",2,1]"));
    assert_eq!(
        reads(g, syrk1),
        vec![
            format!("[\"{name}\",2,1]"),
            format!("[\"{name}-syrk\",2,0]")
        ]
    );
    // Tile (2, 1): trsm with L(1, 1) of the tile updated by column 0.
    let trsm = id_of(g, &format!("[\"{name}\",2,1]"));
    assert_eq!(
        reads(g, trsm),
        vec![
            format!("[\"{name}\",1,1]"),
            format!("[\"{name}-gemm\",2,1,0]")
        ]
    );
    let gemm = id_of(g, &format!("[\"{name}-gemm\",2,1,0]"));
    let gemm_reads = reads(g, gemm);
    assert!(
        gemm_reads.contains(&format!("[\"{name}\",2,0]")),
        "{gemm_reads:?}"
    );
    assert!(
        gemm_reads.contains(&format!("[\"{name}\",1,0]")),
        "{gemm_reads:?}"
    );
    // syrk updates the lower triangle only; the critical path (every potrf, the
    // trsm right below a diagonal tile, the last update of a diagonal tile and of
    // the tile right below it) is `parallel`, the other tasks are not.
    let kw = |key: String| kwargs_of(g, &key);
    assert_eq!(
        kw(format!("[\"{name}-syrk\",2,0]")),
        json!({"lower": true, "parallel": false})
    );
    assert_eq!(
        kw(format!("[\"{name}-syrk\",2,1]")),
        json!({"lower": true, "parallel": true})
    );
    for k in 0..3 {
        assert_eq!(
            kw(format!("[\"{name}\",{k},{k}]")),
            json!({"parallel": true})
        );
    }
    assert_eq!(kw(format!("[\"{name}\",1,0]"))["parallel"], json!(true));
    assert_eq!(kw(format!("[\"{name}\",2,0]"))["parallel"], json!(false));
    assert_eq!(kw(format!("[\"{name}\",2,1]"))["parallel"], json!(true));
    assert_eq!(
        kw(format!("[\"{name}-gemm\",2,1,0]")),
        json!({"parallel": true})
    );
    // With 4 tiles: (3, 1) is not right below the diagonal, and column 0 is not
    // the last update of (3, 2): both sequential.
    let l4 = lower_default(
        json!({"a": spd(12, json!(3)), "l": {"op": "linalg.cholesky", "args": ["a"]}}),
        &["l"],
    );
    let name4 = block_name(&l4, 0);
    let kw4 = |key: String| kwargs_of(&l4.graph, &key);
    assert_eq!(kw4(format!("[\"{name4}-gemm\",3,1,0]")), json!({}));
    assert_eq!(kw4(format!("[\"{name4}-gemm\",3,2,0]")), json!({}));
    assert_eq!(
        kw4(format!("[\"{name4}-gemm\",3,2,1]")),
        json!({"parallel": true})
    );
}

#[test]
fn cholesky_reads_only_the_lower_triangle_and_is_demand_driven() {
    // Only tile (1, 0) requested: potrf(0, 0) and one trsm, nothing else.
    let l = lower_default(
        json!({"a": spd(9, json!(3)), "l": {"op": "linalg.cholesky", "args": ["a"]},
               "t": {"op": "getitem", "args": ["l"], "index": [[3, 6, null], [0, 3, null]]}}),
        &["t"],
    );
    let c = calls(&l.graph);
    assert_eq!(
        (c.get("potrf"), c.get("trsm")),
        (Some(&1), Some(&1)),
        "{c:?}"
    );
    assert_eq!(c.get("syrk"), None);
    // Source blocks read: (0, 0) and (1, 0) of the input only.
    assert_eq!(c.get("eye"), Some(&2), "{c:?}");
    // The full factor never reads the input's upper tiles.
    let l = lower_default(
        json!({"a": spd(9, json!(3)), "l": {"op": "linalg.cholesky", "args": ["a"]}}),
        &["l"],
    );
    assert_eq!(count(&l.graph, "eye"), 6);
}

#[test]
fn cholesky_tiles_irregular_and_mismatched_chunks_on_the_common_refinement() {
    // Rows [5, 7], columns [4, 8]: square tiles [4, 1, 7].
    let l = lower_default(
        json!({"a": spd(12, json!([[5, 7], [4, 8]])), "l": {"op": "linalg.cholesky", "args": ["a"]}}),
        &["l"],
    );
    assert_eq!(l.output_blocks[0].as_ref().unwrap().len(), 9);
    assert_eq!(count(&l.graph, "potrf"), 3);
    assert_eq!(count(&l.graph, "trsm"), 3);
    // One tile and 1-wide tiles.
    let one = lower_default(
        json!({"a": spd(5, json!(5)), "l": {"op": "linalg.cholesky", "args": ["a"]}}),
        &["l"],
    );
    assert_eq!(count(&one.graph, "potrf"), 1);
    assert_eq!(one.graph.len(), 2, "the source block and potrf");
    let thin = lower_default(
        json!({"a": spd(4, json!(1)), "l": {"op": "linalg.cholesky", "args": ["a"]}}),
        &["l"],
    );
    // n = 4 tiles: 4 potrf, 6 trsm, syrk 0+1+2+3 = 6, gemm sum_j (j * (n-1-j)) = 0+2+2+0 = 4.
    let c = calls(&thin.graph);
    assert_eq!(
        (c["potrf"], c["trsm"], c["syrk"], c["gemm"], c["zeros"]),
        (4, 6, 6, 4, 6),
        "{c:?}"
    );
}

#[test]
fn cholesky_keys_are_deterministic() {
    let nodes = json!({"a": spd(6, json!(2)), "l": {"op": "linalg.cholesky", "args": ["a"]}});
    let keys = |l: &Lowered| {
        let mut k: Vec<String> = l.graph.tasks().iter().map(|t| t.key.to_string()).collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&lower_default(nodes.clone(), &["l"])),
        keys(&lower_default(nodes, &["l"]))
    );
}

#[test]
fn solve_triangular_is_blocked_substitution() {
    let nodes = |lower: bool, b: Value| {
        json!({"a": spd(9, json!(3)), "b": b,
               "x": {"op": "linalg.solve_triangular", "args": ["a", "b"], "lower": lower}})
    };
    // b a matrix with two column blocks: one task per block of x.
    let l = lower_default(
        nodes(
            true,
            json!({"op": "ones", "shape": [9, 4], "chunks": [3, 2]}),
        ),
        &["x"],
    );
    assert_eq!(count(&l.graph, "linalg.solve_triangular"), 6);
    let name = block_name(&l, 0);
    // Forward: block (2, 1) reads x blocks (0, 1) and (1, 1) and a's row 2.
    let x21 = id_of(&l.graph, &format!("[\"{name}\",2,1]"));
    let r = reads(&l.graph, x21);
    assert!(
        r.contains(&format!("[\"{name}\",0,1]")) && r.contains(&format!("[\"{name}\",1,1]")),
        "{r:?}"
    );
    assert!(
        !r.iter().any(|k| k.contains(&format!("{name}\",2,0"))),
        "{r:?}"
    );
    // Backward (upper): block 0 reads blocks 1 and 2; block 2 reads no x block.
    let l = lower_default(
        nodes(false, json!({"op": "ones", "shape": [9], "chunks": 3})),
        &["x"],
    );
    let name = block_name(&l, 0);
    let r0 = reads(&l.graph, id_of(&l.graph, &format!("[\"{name}\",0]")));
    assert!(
        r0.contains(&format!("[\"{name}\",1]")) && r0.contains(&format!("[\"{name}\",2]")),
        "{r0:?}"
    );
    let r2 = reads(&l.graph, id_of(&l.graph, &format!("[\"{name}\",2]")));
    assert!(
        !r2.iter().any(|k| k.starts_with(&format!("[\"{name}\""))),
        "{r2:?}"
    );
}

#[test]
fn solve_and_inv_are_blocked_lu_tile_dags() {
    let l = lower_default(
        json!({"a": spd(6, json!(3)), "b": {"op": "ones", "shape": [6], "chunks": 3},
               "x": {"op": "linalg.solve", "args": ["a", "b"]},
               "i": {"op": "linalg.inv", "args": ["a"]}}),
        &["x", "i"],
    );
    // Two tiles each: per factorization 2 panels, 1 row task, 1 trailing GEMM.
    let c = calls(&l.graph);
    assert_eq!(count(&l.graph, "linalg.solve"), 0, "{c:?}");
    assert_eq!(count(&l.graph, "linalg.inv"), 0, "{c:?}");
    assert_eq!(c["lu-panel"], 4, "{c:?}");
    assert_eq!(c["lu-row"], 2, "{c:?}");
    assert_eq!(c["gemm"], 2, "{c:?}");
    // Forward chains: 2 steps for the vector b, 2 steps x 2 column blocks for inv.
    assert_eq!(c["lu-forward"], 6, "{c:?}");
    // Back substitution: one triangular solve per result block (2 + 4).
    assert_eq!(c["linalg.solve_triangular"], 6, "{c:?}");
    // The second panel reads the trailing update of step 0, which reads the row task.
    let name = block_name(&l, 0);
    let panel1 = reads(
        &l.graph,
        id_of(&l.graph, &format!("[\"{name}-lu-panel\",1]")),
    );
    assert_eq!(panel1, [format!("[\"{name}-lu-update\",0,1,1]")]);
    let update = reads(
        &l.graph,
        id_of(&l.graph, &format!("[\"{name}-lu-update\",0,1,1]")),
    );
    assert_eq!(
        update,
        [
            format!("[\"{name}-lu-panel\",0]"),
            format!("[\"{name}-lu-row\",0,1]")
        ]
    );
}

#[test]
fn qr_is_tsqr_with_a_reduction_tree() {
    let nodes = json!({"a": {"op": "random.normal", "shape": [40, 5], "seed": 1, "chunks": [5, 2]},
        "qr": {"op": "linalg.qr", "args": ["a"]},
        "q": {"op": "item", "args": ["qr"], "index": 0},
        "r": {"op": "item", "args": ["qr"], "index": -1}});
    // 8 row blocks, groups of 4: 8 leaf QRs, 2 on level 1, the root on level 2.
    let options = LowerOptions {
        split_every: 4,
        ..LowerOptions::default()
    };
    let l = lowered(nodes.clone(), &["q", "r"], &options);
    let c = calls(&l.graph);
    assert_eq!(c["qr"], 11, "{c:?}");
    assert_eq!(l.output_blocks[0].as_ref().unwrap().len(), 8);
    assert_eq!(l.output_blocks[1].as_ref().unwrap().len(), 1);
    // Q blocks are leaf Q times a piece of the level-1 H; two H helpers.
    let keys: Vec<String> = l.graph.tasks().iter().map(|t| t.key.to_string()).collect();
    assert_eq!(
        keys.iter().filter(|k| k.contains("-h\",")).count(),
        2,
        "{keys:?}"
    );
    assert_eq!(c["matmul"], 8 + 2, "{c:?}");
    assert_eq!(count(&l.graph, "linalg.qr"), 0, "no whole-array call");
    // Columns are merged into one block per leaf; one row block: no tree.
    let one = json!({"a": {"op": "ones", "shape": [6, 3], "chunks": [6, 1]},
        "qr": {"op": "linalg.qr", "args": ["a"]},
        "q": {"op": "item", "args": ["qr"], "index": 0}});
    let l = lower_default(one, &["q"]);
    assert_eq!(count(&l.graph, "qr"), 1);
    // Only R requested: no Q work at all.
    let l = lowered(nodes, &["r"], &options);
    assert_eq!(count(&l.graph, "matmul"), 0);
}

#[test]
fn qr_refuses_wide_matrices() {
    let doc = json!({"tessera": 1, "nodes": {"a": {"op": "ones", "shape": [3, 5]},
        "qr": {"op": "linalg.qr", "args": ["a"]}}, "outputs": ["qr"]});
    let e = parse_and_validate(&doc.to_string(), &InferContext::default()).unwrap_err();
    assert!(
        e.to_string().contains("at least as many rows as columns"),
        "{e}"
    );
}
