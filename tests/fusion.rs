//! Fusion, end to end: random elementwise chains (with `where`, `astype`, `clip`,
//! broadcasting, scalars, constants, shared and output intermediates), random
//! dtypes and chunkings, with and without a trailing reduction, computed fused (the
//! pipeline) and unfused (lowered and run without the pass): equal values, shapes
//! and dtypes. And W1's hand-pushed form is exactly one task.

use proptest::prelude::*;
use serde_json::{Value as Json, json};
use tessera::compiler::{LowerOptions, OptimizeOptions, fuse, lower};
use tessera::compute::{ComputeOptions, compute_graph};
use tessera::ir::{InferContext, ValidGraph, parse_and_validate};
use tessera::runtime::executor::{self, RunOptions};
use tessera::runtime::value::Array;
use tessera::runtime::{Value, policy};

fn valid(doc: &Json) -> Option<ValidGraph> {
    parse_and_validate(&doc.to_string(), &InferContext::default()).ok()
}

/// Every output, computed through the pipeline with the fusion pass alone.
fn fused(graph: &ValidGraph) -> Result<Vec<Value>, String> {
    let options = ComputeOptions {
        executor: "sync".into(),
        optimize: Some(OptimizeOptions {
            passes: Some(vec!["fuse".into()]),
            ..OptimizeOptions::default()
        }),
        ..ComputeOptions::default()
    };
    let out = compute_graph(graph, &options).map_err(|e| e.to_string())?;
    Ok(out.outputs.into_iter().map(|(_, v)| v).collect())
}

/// Every output, lowered and run without the fusion pass.
fn unfused(graph: &ValidGraph) -> Result<Vec<Value>, String> {
    let lowered = lower(graph, &LowerOptions::default()).map_err(|e| e.to_string())?;
    let exec = executor::by_name("sync", 1).expect("sync executor");
    let policy = policy::by_name("dask-order").expect("policy");
    let options = RunOptions {
        policy: policy.as_ref(),
        trace: None,
        progress: None,
        budget: None,
    };
    let out = executor::run(
        &lowered.graph,
        &lowered.outputs,
        tessera::registry::default_registry(),
        exec.as_ref(),
        &options,
    )
    .map_err(|e| e.to_string())?;
    Ok(out.outputs)
}

/// The values as `f64` (bool as 0/1), with the dtype name and shape.
fn flat(v: &Value) -> (String, Vec<usize>, Vec<f64>) {
    let Value::Array(a) = v else {
        panic!("not an array: {v:?}")
    };
    let values: Vec<f64> = match a {
        Array::F64(x) => x.iter().copied().collect(),
        Array::F32(x) => x.iter().map(|&v| f64::from(v)).collect(),
        Array::I64(x) => x.iter().map(|&v| v as f64).collect(),
        Array::I32(x) => x.iter().map(|&v| f64::from(v)).collect(),
        Array::Bool(x) => x.iter().map(|&v| f64::from(u8::from(v))).collect(),
    };
    (a.dtype().name().to_owned(), a.shape().to_vec(), values)
}

#[derive(Debug, Clone)]
enum Step {
    Unary(&'static str),
    Scalar(&'static str, Json),
    Input(&'static str, usize),
    Where(f64, usize),
    Astype(&'static str),
    Clip(f64),
    Constant(&'static str, f64),
    Reuse(usize),
}

fn step() -> impl Strategy<Value = Step> {
    let scalar = prop_oneof![
        (-3i64..4).prop_map(|i| json!(i)),
        (-2.0f64..2.0).prop_map(|f| json!(f)),
        any::<bool>().prop_map(|b| json!(b)),
    ];
    prop_oneof![
        prop::sample::select(vec![
            "sin",
            "exp",
            "abs",
            "square",
            "tanh",
            "floor",
            "isnan",
            "sqrt",
            "cos",
            "log1p",
            "logical_not",
            "sign",
        ])
        .prop_map(Step::Unary),
        (
            prop::sample::select(vec![
                "add", "multiply", "maximum", "minimum", "greater", "equal", "fmin", "hypot"
            ]),
            scalar
        )
            .prop_map(|(op, s)| Step::Scalar(op, s)),
        (
            prop::sample::select(vec!["add", "multiply", "subtract", "less", "arctan2"]),
            0usize..3
        )
            .prop_map(|(op, i)| Step::Input(op, i)),
        (-1.0f64..1.0, 0usize..3).prop_map(|(c, i)| Step::Where(c, i)),
        prop::sample::select(vec!["float32", "float64", "int32", "int64", "bool"])
            .prop_map(Step::Astype),
        (-1.0f64..1.0).prop_map(Step::Clip),
        (
            prop::sample::select(vec!["float64", "int32", "float32"]),
            -2.0f64..2.0
        )
            .prop_map(|(d, f)| Step::Constant(d, f)),
        (0usize..8).prop_map(Step::Reuse),
    ]
}

fn chunking(n: usize, parts: &[usize]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut left = n;
    for &s in parts {
        if left == 0 {
            break;
        }
        out.push(s.min(left));
        left -= s.min(left);
    }
    if left > 0 {
        out.push(left);
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn document(
    rows: usize,
    cols: usize,
    rc: &[usize],
    cc: &[usize],
    dtype: &str,
    steps: &[Step],
    reduce: Option<(&str, Json)>,
    extra_output: bool,
) -> Json {
    let chunks = json!([chunking(rows, rc), chunking(cols, cc)]);
    let mut nodes = serde_json::Map::new();
    nodes.insert(
        "i0".into(),
        json!({"op": "astype", "dtype": dtype, "args": [
            {"op": "random.uniform", "shape": [rows, cols], "low": -3, "high": 3, "seed": 1, "chunks": chunks}]}),
    );
    nodes.insert(
        "i1".into(),
        json!({"op": "random.normal", "shape": [cols], "seed": 2, "chunks": [chunking(cols, cc)]}),
    );
    nodes.insert(
        "i2".into(),
        json!({"op": "astype", "dtype": "int32", "args": [
            {"op": "random.integers", "low": -4, "high": 5, "shape": [rows, 1], "seed": 3, "chunks": [chunking(rows, rc), [1]]}]}),
    );
    let mut ids = vec!["i0".to_string()];
    for (k, s) in steps.iter().enumerate() {
        let last = ids.last().expect("a node").clone();
        let input = |i: usize| format!("i{i}");
        let node = match s {
            Step::Unary(op) => json!({"op": op, "args": [last]}),
            Step::Scalar(op, v) => json!({"op": op, "args": [last, v]}),
            Step::Input(op, i) => json!({"op": op, "args": [last, input(*i)]}),
            Step::Where(c, i) => json!({"op": "where", "args": [
                {"op": "greater", "args": [input(0), c]}, last, input(*i)]}),
            Step::Astype(d) => json!({"op": "astype", "dtype": d, "args": [last]}),
            Step::Clip(lo) => json!({"op": "clip", "args": [last, lo, {"lit": null}]}),
            Step::Constant(d, f) => json!({"op": "add", "args": [last,
                {"op": "full", "shape": [cols], "fill_value": f, "dtype": d, "chunks": [chunking(cols, cc)]}]}),
            Step::Reuse(j) => {
                let other = ids[j % ids.len()].clone();
                json!({"op": "multiply", "args": [last, other]})
            }
        };
        let id = format!("s{k}");
        nodes.insert(id.clone(), node);
        ids.push(id);
    }
    let last = ids.last().expect("a node").clone();
    let mut outputs = vec![];
    if extra_output && ids.len() > 2 {
        outputs.push(json!(ids[ids.len() / 2]));
    }
    match reduce {
        Some((op, axis)) => {
            nodes.insert("r".into(), json!({"op": op, "args": [last], "axis": axis}));
            outputs.push(json!("r"));
        }
        None => outputs.push(json!(last)),
    }
    json!({"tessera": 1, "nodes": nodes, "outputs": outputs})
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn fused_equals_unfused(
        rows in 1usize..9,
        cols in 1usize..9,
        rc in prop::collection::vec(1usize..5, 1..4),
        cc in prop::collection::vec(1usize..5, 1..4),
        dtype in prop::sample::select(vec!["float64", "float32", "int64", "int32", "bool"]),
        steps in prop::collection::vec(step(), 1..8),
        reduce in prop::option::of((
            prop::sample::select(vec!["sum", "prod", "min", "max", "mean", "var", "std", "any", "all"]),
            prop::sample::select(vec![json!(null), json!(0), json!(1), json!([0, 1])]),
        )),
        extra_output in any::<bool>(),
    ) {
        let doc = document(rows, cols, &rc, &cc, dtype, &steps, reduce.clone(), extra_output);
        // Documents that NumPy would refuse (bool negative...) are not this test's business.
        let graph = valid(&doc);
        prop_assume!(graph.is_some());
        let graph = graph.expect("assumed valid");
        let (a, b) = (fused(&graph), unfused(&graph));
        match (a, b) {
            (Ok(a), Ok(b)) => {
                prop_assert_eq!(a.len(), b.len());
                for (x, y) in a.iter().zip(&b) {
                    let (dx, sx, vx) = flat(x);
                    let (dy, sy, vy) = flat(y);
                    prop_assert_eq!(&dx, &dy, "dtype in {}", doc);
                    prop_assert_eq!(&sx, &sy, "shape in {}", doc);
                    let tol = if dx == "float32" { 1e-5 } else { 1e-12 };
                    for (p, q) in vx.iter().zip(&vy) {
                        prop_assert!(
                            p == q || (p.is_nan() && q.is_nan())
                                || (p - q).abs() <= tol * p.abs().max(q.abs()).max(1.0),
                            "{} vs {} in {}", p, q, doc
                        );
                    }
                }
            }
            // Both refuse (e.g. a reduction of an empty block): fine if both do.
            (Err(_), Err(_)) => {}
            (a, b) => prop_assert!(false, "fused {:?} but unfused {:?} for {}", a.err(), b.err(), doc),
        }
    }
}

#[test]
fn w1_hand_pushed_is_exactly_one_task() {
    let doc = json!({"tessera": 1, "nodes": {
        "o": {"op": "ones", "shape": [99, 99], "chunks": 100},
        "e": {"op": "exp", "args": ["o"]}},
        "outputs": ["e"]});
    let graph = valid(&doc).unwrap();
    let out = compute_graph(&graph, &ComputeOptions::default()).unwrap();
    assert_eq!(out.tasks, 1);
    let (dtype, shape, values) = flat(&out.outputs[0].1);
    assert_eq!((dtype.as_str(), shape), ("float64", vec![99, 99]));
    assert!(
        values
            .iter()
            .all(|&v| (v - std::f64::consts::E).abs() < 1e-15)
    );
}

#[test]
fn w1_through_the_whole_optimizer_is_exactly_one_task() {
    // The workload as written: slice pushdown shrinks the source, fusion makes
    // `exp(ones)` one task that computes exactly the 99×99 values.
    let doc = json!({"tessera": 1, "nodes": {
        "a": {"op": "ones", "shape": [10000, 10000], "chunks": 100},
        "b": {"op": "exp", "args": ["a"]},
        "c": {"op": "getitem", "args": ["b"], "index": [[1, 100, null], [1, 100, null]]}},
        "outputs": ["c"]});
    let graph = valid(&doc).unwrap();
    let out = compute_graph(&graph, &ComputeOptions::default()).unwrap();
    assert_eq!(out.tasks, 1);
    let (dtype, shape, values) = flat(&out.outputs[0].1);
    assert_eq!((dtype.as_str(), shape), ("float64", vec![99, 99]));
    assert!(
        values
            .iter()
            .all(|&v| (v - std::f64::consts::E).abs() < 1e-15)
    );
}

#[test]
fn exp_sum_makes_no_exp_block() {
    let doc = json!({"tessera": 1, "nodes": {
        "x": {"op": "random.uniform", "shape": [40, 40], "chunks": 10, "seed": 5},
        "s": {"op": "sum", "args": [{"op": "exp", "args": ["x"]}]}},
        "outputs": ["s"]});
    let graph = valid(&doc).unwrap();
    let f = fuse(&graph).unwrap();
    let lowered = lower(&f, &LowerOptions::default()).unwrap();
    let funcs: Vec<String> = lowered
        .graph
        .tasks()
        .iter()
        .filter_map(|t| match &t.expr {
            tessera::ir::TaskExpr::Call(c) => Some(c.func.to_string()),
            _ => None,
        })
        .collect();
    assert!(!funcs.iter().any(|f| f == "exp"), "{funcs:?}");
    assert_eq!(funcs.iter().filter(|f| *f == "fused-partial").count(), 16);
    let (a, b) = (fused(&graph).unwrap(), unfused(&graph).unwrap());
    let (va, vb) = (flat(&a[0]).2[0], flat(&b[0]).2[0]);
    assert!((va - vb).abs() <= 1e-12 * vb.abs(), "{va} vs {vb}");
}
