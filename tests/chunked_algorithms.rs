//! Chunked algorithms end to end against NumPy / SciPy: the blocked Cholesky,
//! triangular solves, solve and inverse, TSQR and `map_overlap` with `correlate` in
//! every boundary mode, on irregular chunks, single tiles, 1-wide tiles and 3-d
//! arrays; failures (not positive definite, singular) name the failing task.
//!
//! Fixtures: `compiler/tests/fixtures/linalg_overlap/`, made by
//! `compiler/tests/fixtures/gen_linalg_overlap.py`; inputs are given inline as
//! `array` nodes.

use std::fs::File;
use std::path::{Path, PathBuf};

use ndarray::ArrayD;
use ndarray_npy::ReadNpyExt;
use serde_json::{Value as Json, json};
use tessera::compiler::LowerOptions;
use tessera::compute::{ComputeOptions, compute_graph};
use tessera::ir::{InferContext, parse_and_validate};
use tessera::runtime::{Array, Value};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("compiler/tests/fixtures/linalg_overlap")
}

fn npy(name: &str) -> ArrayD<f64> {
    let path = fixtures().join(format!("{name}.npy"));
    let file = File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    match ArrayD::<f64>::read_npy(file) {
        Ok(a) => a,
        Err(_) => ArrayD::<i64>::read_npy(File::open(&path).unwrap())
            .expect("float64 or int64 fixture")
            .mapv(|v| v as f64),
    }
}

/// A fixture as an `array` node (its data inline) with the given chunks.
fn load(name: &str, chunks: Json) -> Json {
    let path = fixtures().join(format!("{name}.npy"));
    let is_int = ArrayD::<i64>::read_npy(File::open(&path).expect("fixture")).is_ok();
    let data = npy(name);
    let mut text = nested(&data);
    if is_int {
        text = text.replace(".0", "");
    }
    let data: Json = serde_json::from_str(&text).expect("nested list");
    let dtype = if is_int { "int64" } else { "float64" };
    json!({"op": "array", "data": data, "dtype": dtype, "chunks": chunks})
}

/// Computes the outputs of a document (node map and outputs) with the threads
/// executor (2 workers) and the sync one; both must agree.
fn compute_with(
    nodes: Json,
    outputs: &[&str],
    split_every: usize,
    whole: bool,
) -> Result<Vec<Value>, String> {
    let doc = json!({"tessera": 1, "nodes": nodes, "outputs": outputs});
    let context = InferContext {
        base_dir: Some(fixtures()),
        data_root: None,
    };
    let graph = parse_and_validate(&doc.to_string(), &context).map_err(|e| e.to_string())?;
    let mut results = Vec::new();
    for executor in ["threads", "sync"] {
        let options = ComputeOptions {
            executor: executor.into(),
            threads: Some(2),
            lower: LowerOptions {
                split_every,
                whole_arrays: whole,
                ..LowerOptions::default()
            },
            ..ComputeOptions::default()
        };
        let out = compute_graph(&graph, &options).map_err(|e| e.to_string())?;
        results.push(out.outputs.into_iter().map(|(_, v)| v).collect::<Vec<_>>());
    }
    let sync = results.pop().expect("two runs");
    let threads = results.pop().expect("two runs");
    assert_eq!(threads, sync, "threads and sync executors disagree");
    Ok(threads)
}

fn compute(nodes: Json, outputs: &[&str]) -> Result<Vec<Value>, String> {
    compute_with(nodes, outputs, 8, false)
}

fn as_f64(v: &Value) -> ArrayD<f64> {
    match v {
        Value::Array(Array::F64(a)) => a.to_owned(),
        Value::Array(Array::I64(a)) => a.mapv(|x| x as f64),
        other => panic!("expected a float64 or int64 array, got {other:?}"),
    }
}

/// Largest |got - want| relative to the largest |want|.
fn rel_err(got: &ArrayD<f64>, want: &ArrayD<f64>) -> f64 {
    assert_eq!(got.shape(), want.shape(), "shapes differ");
    let scale = want.iter().fold(0.0f64, |m, x| m.max(x.abs())).max(1e-300);
    got.iter()
        .zip(want.iter())
        .fold(0.0f64, |m, (g, w)| m.max((g - w).abs()))
        / scale
}

fn assert_close(got: &Value, want: &str, tol: f64, what: &str) {
    let (g, w) = (as_f64(got), npy(want));
    let e = rel_err(&g, &w);
    assert!(
        e <= tol,
        "{what}: relative error {e:e} against {want} (tolerance {tol:e})"
    );
}

// ---------------------------------------------------------------- Cholesky

#[test]
fn cholesky_matches_numpy_on_every_tiling() {
    let tilings = [
        json!(4),                            // 3 x 3 square tiles
        json!([[5, 7], [4, 8]]),             // rows and columns cut differently: tiles 4, 1, 7
        json!([[2, 3, 1, 6], [2, 3, 1, 6]]), // irregular
        json!(12),                           // a single tile
        json!(1),                            // 1-wide tiles
    ];
    for chunks in tilings {
        for whole in [false, true] {
            let nodes = json!({"a": load("spd", chunks.clone()), "l": {"op": "linalg.cholesky", "args": ["a"]}});
            let out = compute_with(nodes, &["l"], 8, whole).unwrap();
            // NumPy's LAPACK and the tile algorithm sum in different orders.
            assert_close(
                &out[0],
                "spd_cholesky",
                1e-12,
                &format!("chunks {chunks}, whole {whole}"),
            );
        }
    }
}

#[test]
fn cholesky_of_a_matrix_that_is_not_positive_definite_names_the_tile() {
    let nodes =
        json!({"a": load("not_spd", json!(6)), "l": {"op": "linalg.cholesky", "args": ["a"]}});
    let e = compute(nodes, &["l"]).unwrap_err();
    assert!(e.contains("not positive definite"), "{e}");
    // Tile (0, 0) is fine; the failure is tile (1, 1), named by its node and block.
    assert!(e.contains("node \"l\" block [1, 1] failed in potrf"), "{e}");
}

// ---------------------------------------------------------------- triangular solves

#[test]
fn solve_triangular_matches_scipy_lower_and_upper_vector_and_matrix() {
    let a_chunks = json!([[5, 4, 3], [3, 9]]);
    for (tri, lower) in [("tri_lower", true), ("tri_upper", false)] {
        for (b, b_chunks) in [
            ("b_vec", json!([[6, 6]])),
            ("b_mat", json!([[2, 10], [2, 1]])),
        ] {
            let nodes = json!({"a": load(tri, a_chunks.clone()), "b": load(b, b_chunks),
                "x": {"op": "linalg.solve_triangular", "args": ["a", "b"], "lower": lower}});
            let want = format!(
                "solve_{}_{}",
                if lower { "lower" } else { "upper" },
                if b == "b_vec" { "vec" } else { "mat" }
            );
            for whole in [false, true] {
                let out = compute_with(nodes.clone(), &["x"], 8, whole).unwrap();
                assert_close(&out[0], &want, 1e-11, &format!("{want}, whole {whole}"));
            }
        }
    }
}

#[test]
fn singular_triangular_matrices_fail() {
    let nodes = json!({"a": load("tri_singular", json!(4)), "b": load("b_vec", json!(4)),
        "x": {"op": "linalg.solve_triangular", "args": ["a", "b"], "lower": true}});
    let e = compute(nodes, &["x"]).unwrap_err();
    assert!(e.contains("singular"), "{e}");
}

// ---------------------------------------------------------------- solve and inv

#[test]
fn solve_and_inv_match_numpy_on_every_tiling() {
    // Irregular chunks, a single tile, 1-wide tiles, and b chunked across the tiles.
    let tilings = [
        (json!([[5, 7], [3, 9]]), json!([[4, 8], [3]])),
        (json!(12), json!([[12], [3]])),
        (json!(1), json!([vec![1; 12], [1, 2]])),
        (json!(4), json!([[6, 6], [3]])),
    ];
    for (a_chunks, b_chunks) in tilings {
        for (a, x, inv) in [
            ("general", "solve_general_mat", "inv_general"),
            ("reversed", "solve_reversed_mat", "inv_reversed"),
        ] {
            let nodes = json!({"a": load(a, a_chunks.clone()), "b": load("b_mat", b_chunks.clone()),
                "v": load("b_vec", json!(5)),
                "x": {"op": "linalg.solve", "args": ["a", "b"]},
                "xv": {"op": "linalg.solve", "args": ["a", "v"]},
                "i": {"op": "linalg.inv", "args": ["a"]}});
            let out = compute(nodes, &["x", "xv", "i"]).unwrap();
            let what = format!("{a} chunks {a_chunks}");
            assert_close(&out[0], x, 1e-10, &format!("solve {what}"));
            assert_close(&out[2], inv, 1e-10, &format!("inv {what}"));
            if a == "general" {
                assert_close(
                    &out[1],
                    "solve_general_vec",
                    1e-10,
                    &format!("solve vec {what}"),
                );
            }
        }
    }
}

#[test]
fn positive_definite_solve_matches_scipy_on_every_tiling() {
    // scipy.linalg.solve(spd, b, assume_a="pos"); irregular, single, 1-wide tiles,
    // non-square chunks (rechunked to square tiles by the Cholesky), chunked and whole.
    let tilings = [
        (json!([[5, 7], [3, 9]]), json!([[4, 8], [3]]), json!([[12]])),
        (json!(12), json!([[12], [3]]), json!(5)),
        (json!(1), json!([vec![1; 12], [1, 2]]), json!(1)),
        (json!(4), json!([[6, 6], [3]]), json!([[2, 10]])),
    ];
    for (a_chunks, b_chunks, v_chunks) in tilings {
        let nodes = json!({"a": load("spd", a_chunks.clone()), "b": load("b_mat", b_chunks),
            "v": load("b_vec", v_chunks),
            "x": {"op": "linalg.solve", "args": ["a", "b"], "assume_a": "pos"},
            "xv": {"op": "linalg.solve", "args": ["a", "v"], "assume_a": "pos"}});
        for whole in [false, true] {
            let out = compute_with(nodes.clone(), &["x", "xv"], 8, whole).unwrap();
            let what = format!("chunks {a_chunks}, whole {whole}");
            assert_close(&out[0], "solve_spd_mat", 1e-10, &what);
            assert_close(&out[1], "solve_spd_vec", 1e-10, &what);
        }
    }
}

#[test]
fn positive_definite_solve_is_a_cholesky_dag_and_names_the_failing_tile() {
    let nodes = json!({"a": load("spd", json!(4)), "b": load("b_mat", json!(4)),
        "x": {"op": "linalg.solve", "args": ["a", "b"], "assume_a": "pos"}});
    let doc = json!({"tessera": 1, "nodes": nodes, "outputs": ["x"]});
    let graph = parse_and_validate(&doc.to_string(), &InferContext::default()).unwrap();
    let lowered = tessera::compiler::lower(&graph, &LowerOptions::default()).unwrap();
    let keys: Vec<String> = lowered
        .graph
        .tasks()
        .iter()
        .map(|t| t.key.to_string())
        .collect();
    let count = |part: &str| keys.iter().filter(|k| k.contains(part)).count();
    // 3 x 3 tiles: the 6 lower tiles of L (3 potrf, 3 trsm) and their 4 updates
    // (3 syrk, 1 gemm), no LU task.
    assert_eq!(count("linalg.cholesky-"), 10, "{keys:?}");
    assert_eq!(count("-syrk\""), 3, "{keys:?}");
    assert_eq!(count("-gemm\""), 1, "{keys:?}");
    assert_eq!(count("-lu-"), 0, "{keys:?}");
    let nodes = json!({"a": load("not_spd", json!(6)), "b": load("b_vec", json!(6)),
        "x": {"op": "linalg.solve", "args": ["a", "b"], "assume_a": "pos"}});
    let e = compute(nodes, &["x"]).unwrap_err();
    assert!(e.contains("not positive definite"), "{e}");
    // The Cholesky the solve became is named after the solve's node.
    assert!(
        e.contains("node \"x/cholesky\" block [1, 1] failed in potrf"),
        "{e}"
    );
}

#[test]
fn solve_and_inv_are_tile_dags() {
    // 3 x 3 tiles: 3 panels, 3 row tasks, 5 trailing updates (4 + 1).
    let nodes = json!({"a": load("general", json!(4)), "i": {"op": "linalg.inv", "args": ["a"]}});
    let doc = json!({"tessera": 1, "nodes": nodes, "outputs": ["i"]});
    let graph = parse_and_validate(&doc.to_string(), &InferContext::default()).unwrap();
    let lowered = tessera::compiler::lower(&graph, &LowerOptions::default()).unwrap();
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    for t in lowered.graph.tasks() {
        let key = t.key.to_string();
        for part in ["-lu-panel", "-lu-row", "-lu-update", "-lu-forward"] {
            if key.contains(part) {
                *counts.entry(part.to_string()).or_default() += 1;
            }
        }
    }
    assert_eq!(counts["-lu-panel"], 3, "{counts:?}");
    assert_eq!(counts["-lu-row"], 3, "{counts:?}");
    assert_eq!(counts["-lu-update"], 5, "{counts:?}");
    // One forward chain of 3 steps per column block of the identity.
    assert_eq!(counts["-lu-forward"], 9, "{counts:?}");
}

#[test]
fn singular_matrices_fail_naming_the_step() {
    for chunks in [json!(4), json!(12), json!([[5, 7], [3, 9]])] {
        let nodes = json!({"a": load("singular", chunks.clone()), "i": {"op": "linalg.inv", "args": ["a"]}});
        let e = compute(nodes, &["i"]).unwrap_err();
        assert!(
            e.contains("singular matrix") && e.contains("step"),
            "{chunks}: {e}"
        );
        let nodes = json!({"a": load("singular", chunks.clone()), "b": load("b_vec", json!(4)),
            "x": {"op": "linalg.solve", "args": ["a", "b"]}});
        let e = compute(nodes, &["x"]).unwrap_err();
        assert!(
            e.contains("singular matrix") && e.contains("lu-panel"),
            "{chunks}: {e}"
        );
    }
}

// ---------------------------------------------------------------- TSQR

fn matmul(a: &ArrayD<f64>, b: &ArrayD<f64>) -> ArrayD<f64> {
    let (m, k, n) = (a.shape()[0], a.shape()[1], b.shape()[1]);
    ArrayD::from_shape_fn(ndarray::IxDyn(&[m, n]), |ix| {
        (0..k).map(|p| a[[ix[0], p]] * b[[p, ix[1]]]).sum()
    })
}

fn transpose(a: &ArrayD<f64>) -> ArrayD<f64> {
    a.t().to_owned()
}

#[test]
fn tsqr_matches_numpy_up_to_signs() {
    let tall = npy("tall");
    let (q_np, r_np) = (npy("tall_q"), npy("tall_r"));
    // One row block (no tree), row blocks with a one-level tree, and split_every 2
    // with irregular row blocks (a three-level tree); columns chunked too.
    let cases = [
        (json!([[40], [5]]), 8),
        (json!([[10, 10, 10, 10], [2, 3]]), 8),
        (json!([[7, 9, 4, 10, 2, 8], [5]]), 2),
        (json!([[5, 3, 5, 6, 5, 5, 5, 6], [1, 4]]), 3),
    ];
    for (chunks, split_every) in cases {
        let nodes = json!({"a": load("tall", chunks.clone()), "qr": {"op": "linalg.qr", "args": ["a"]},
            "q": {"op": "item", "args": ["qr"], "index": 0},
            "r": {"op": "item", "args": ["qr"], "index": 1}});
        let out = compute_with(nodes, &["q", "r"], split_every, false).unwrap();
        let (q, r) = (as_f64(&out[0]), as_f64(&out[1]));
        assert_eq!(
            (q.shape(), r.shape()),
            (&[40usize, 5][..], &[5usize, 5][..])
        );
        let what = format!("chunks {chunks}, split_every {split_every}");
        assert!(
            rel_err(&matmul(&q, &r), &tall) < 1e-12,
            "{what}: q @ r != a"
        );
        let eye = ArrayD::from_shape_fn(ndarray::IxDyn(&[5, 5]), |ix| {
            f64::from(u8::from(ix[0] == ix[1]))
        });
        assert!(
            rel_err(&matmul(&transpose(&q), &q), &eye) < 1e-12,
            "{what}: q not orthonormal"
        );
        for i in 0..5 {
            assert!(r[[i, i]].abs() > 0.0, "{what}");
            for j in 0..i {
                assert_eq!(r[[i, j]], 0.0, "{what}: r not upper triangular");
            }
            // QR is unique up to the sign of each row of r (column of q).
            let s = (r[[i, i]] * r_np[[i, i]]).signum();
            for j in 0..5 {
                assert!(
                    (r[[i, j]] * s - r_np[[i, j]]).abs() < 1e-10,
                    "{what}: r[{i}, {j}]"
                );
            }
            for row in 0..40 {
                assert!(
                    (q[[row, i]] * s - q_np[[row, i]]).abs() < 1e-10,
                    "{what}: q[{row}, {i}]"
                );
            }
        }
    }
}

// ---------------------------------------------------------------- map_overlap

fn correlate_nodes(x: &str, chunks: Json, weights: &str, depth: Json, boundary: Json) -> Json {
    let w = npy(weights);
    let w_json: Json = serde_json::from_str(&nested(&w)).unwrap();
    json!({"x": load(x, chunks),
        "y": {"op": "map_overlap", "args": ["x"], "fn": "correlate", "weights": w_json,
              "depth": depth, "boundary": boundary}})
}

/// A small array as nested JSON lists text.
fn nested(a: &ArrayD<f64>) -> String {
    fn go(a: ndarray::ArrayViewD<'_, f64>, out: &mut String) {
        if a.ndim() == 0 {
            out.push_str(&format!("{:?}", a[[]]));
            return;
        }
        out.push('[');
        for (i, sub) in a.outer_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            go(sub, out);
        }
        out.push(']');
    }
    let mut s = String::new();
    go(a.view(), &mut s);
    s
}

#[test]
fn correlate_matches_scipy_in_every_boundary_mode() {
    let chunks = json!([[4, 4, 5], [3, 3, 5]]);
    let cases = [
        (json!("reflect"), "corr_reflect"),
        (json!("periodic"), "corr_wrap"),
        (json!("nearest"), "corr_nearest"),
        (json!(1.5), "corr_constant"),
        // No ghost cells at the edges: correlate's own default (reflect) there.
        (json!("none"), "corr_reflect"),
        (json!({"0": "nearest", "1": "nearest"}), "corr_nearest"),
    ];
    for (boundary, want) in cases {
        for depth in [json!(1), json!([2, 1]), json!({"0": 1, "1": 3})] {
            let nodes =
                correlate_nodes("x2", chunks.clone(), "w3", depth.clone(), boundary.clone());
            let out = compute(nodes, &["y"]).unwrap();
            assert_close(
                &out[0],
                want,
                1e-14,
                &format!("boundary {boundary}, depth {depth}"),
            );
        }
    }
}

#[test]
fn correlate_on_small_blocks_wide_and_even_weights() {
    // Blocks of 1 and 2 with depth 2: regions span several neighbours.
    let nodes = correlate_nodes(
        "x2",
        json!([[1, 1, 2, 3, 6], [2, 9]]),
        "w5",
        json!(2),
        json!("reflect"),
    );
    assert_close(
        &compute(nodes, &["y"]).unwrap()[0],
        "corr5_reflect",
        1e-14,
        "w5",
    );
    // 1-wide blocks everywhere, periodic, even-sized weights (origin as scipy).
    let nodes = correlate_nodes("x2", json!(1), "w24", json!([1, 2]), json!("periodic"));
    assert_close(
        &compute(nodes, &["y"]).unwrap()[0],
        "corr24_wrap",
        1e-14,
        "w24",
    );
    // The W8 stencil: 3x3 mean, reflect.
    let nodes = correlate_nodes("x2", json!(5), "w3", json!(1), json!("reflect"));
    let mut nodes = nodes;
    nodes["y"]["weights"] = json!(vec![vec![1.0 / 9.0; 3]; 3]);
    assert_close(
        &compute(nodes, &["y"]).unwrap()[0],
        "corr_mean_reflect",
        1e-14,
        "mean",
    );
}

#[test]
fn correlate_in_three_dimensions() {
    for (boundary, want) in [("reflect", "corr3d_reflect"), ("nearest", "corr3d_nearest")] {
        for chunks in [
            json!([[3, 4], [2, 2, 2], [5]]),
            json!(2),
            json!([[7], [6], [5]]),
        ] {
            let nodes = correlate_nodes("x3", chunks.clone(), "w333", json!(1), json!(boundary));
            let out = compute(nodes, &["y"]).unwrap();
            assert_close(
                &out[0],
                want,
                1e-14,
                &format!("{boundary}, chunks {chunks}"),
            );
        }
    }
}

#[test]
fn correlate_of_integers_is_exact() {
    let nodes = json!({"x": load("xi", json!(3)),
        "y": {"op": "map_overlap", "args": ["x"], "fn": "correlate",
              "weights": [[0, 1, 0], [1, -4, 1], [0, 1, 0]], "depth": 1, "boundary": "nearest"}});
    let out = compute(nodes, &["y"]).unwrap();
    let Value::Array(Array::I64(y)) = &out[0] else {
        panic!("int64 stays int64: {:?}", out[0])
    };
    assert_eq!(y.mapv(|v| v as f64), npy("corr_int_nearest"));
}

#[test]
fn asymmetric_depths_match_dask_overlap_and_scipy() {
    // correlate with asymmetric depths (boundary none) is still scipy's reflect.
    let depth = json!([[1, 2], [2, 1]]);
    let nodes = correlate_nodes(
        "x2",
        json!([[4, 4, 5], [3, 3, 5]]),
        "w3",
        depth,
        json!("none"),
    );
    assert_close(
        &compute(nodes, &["y"]).unwrap()[0],
        "corr_reflect",
        1e-14,
        "asymmetric",
    );
    // Untrimmed identity: Dask's overlap(x, depth={0: (1, 2)}, boundary="none"),
    // each block extended by 1 row before and 2 after where it has neighbours.
    let x = npy("x2");
    let nodes = json!({"x": load("x2", json!([[4, 4, 5], [11]])),
        "y": {"op": "map_overlap", "args": ["x"], "fn": "identity", "depth": {"0": [1, 2]},
              "boundary": "none", "trim": false}});
    let got = as_f64(&compute(nodes, &["y"]).unwrap()[0]);
    let rows: Vec<usize> = [(0, 6), (3, 10), (7, 13)]
        .iter()
        .flat_map(|&(lo, hi)| lo..hi)
        .collect();
    assert_eq!(got.shape(), [rows.len(), 11]);
    for (r, &src) in rows.iter().enumerate() {
        for c in 0..11 {
            assert_eq!(
                got[[r, c]],
                x[[src, c]],
                "row {r} (x row {src}), column {c}"
            );
        }
    }
}

#[test]
fn a_different_boundary_mode_on_each_axis() {
    let cases = [
        (
            json!({"0": "reflect", "1": "periodic"}),
            "corr_axes_reflect_wrap",
        ),
        (json!({"0": "nearest", "1": 1.5}), "corr_axes_nearest_const"),
        (
            json!({"0": -2.0, "1": "reflect"}),
            "corr_axes_const_reflect",
        ),
    ];
    for (boundary, want) in cases {
        for chunks in [json!([[4, 4, 5], [3, 3, 5]]), json!(1), json!(13)] {
            let nodes = correlate_nodes("x2", chunks.clone(), "w_sep", json!(1), boundary.clone());
            let out = compute(nodes, &["y"]).unwrap();
            assert_close(
                &out[0],
                want,
                1e-13,
                &format!("{boundary}, chunks {chunks}"),
            );
        }
    }
}
