//! Differential property test: random expressions over random chunkings compute the
//! same values chunked (as the document says) as with every array in one block,
//! on both executors. The steps cover elementwise ops with scalars, slices with
//! steps, transposes, reductions, rechunks, concatenation, matmul, new axes,
//! reshapes and scans.

use proptest::prelude::*;
use serde_json::{Value as Json, json};
use tessera::compiler::LowerOptions;
use tessera::compute::{ComputeOptions, compute_graph};
use tessera::ir::{InferContext, parse_and_validate};
use tessera::runtime::Value;

/// Random block sizes adding up to `n` (at least one block).
fn partition(n: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..=4, 1..=8).prop_map(move |sizes| {
        let mut out = Vec::new();
        let mut left = n;
        for s in sizes {
            if left == 0 {
                break;
            }
            let s = s.min(left);
            out.push(s);
            left -= s;
        }
        if left > 0 {
            out.push(left);
        }
        out
    })
}

/// One step of an expression chain, applied to the previous node `x` of `shape`.
#[derive(Debug, Clone)]
enum Step {
    Unary(&'static str),
    Scalar(&'static str, f64),
    Slice {
        axis: usize,
        start: i64,
        step: i64,
    },
    Transpose,
    SumAxis(usize),
    Rechunk(usize),
    AddTransposed,
    /// `concatenate([x, x], axis)`.
    Concat(usize),
    /// `x @ x.T` (2-d only).
    MatmulT,
    /// A new axis inserted at this position by `getitem`, then summed away.
    NewAxis(usize),
    /// `reshape` to the reversed shape.
    Reshape,
    /// `cumsum` along this axis (`null` for the flattened array when out of range).
    Cumsum(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        prop::sample::select(vec!["sin", "exp", "negative", "abs", "square", "tanh"])
            .prop_map(Step::Unary),
        (
            prop::sample::select(vec!["add", "multiply", "subtract", "maximum"]),
            -2.0f64..2.0
        )
            .prop_map(|(op, c)| Step::Scalar(op, c)),
        (
            0usize..2,
            -3i64..3,
            prop::sample::select(vec![1i64, 2, 3, -1, -2])
        )
            .prop_map(|(axis, start, step)| Step::Slice { axis, start, step }),
        Just(Step::Transpose),
        (0usize..2).prop_map(Step::SumAxis),
        (1usize..5).prop_map(Step::Rechunk),
        Just(Step::AddTransposed),
        (0usize..2).prop_map(Step::Concat),
        Just(Step::MatmulT),
        (0usize..3).prop_map(Step::NewAxis),
        Just(Step::Reshape),
        (0usize..3).prop_map(Step::Cumsum),
    ]
}

/// Builds the document; returns `None` when a step does not apply to the shape.
fn document(shape: [usize; 2], chunks: [Vec<usize>; 2], steps: &[Step]) -> Json {
    let mut nodes = serde_json::Map::new();
    nodes.insert(
        "n0".into(),
        json!({"op": "random.uniform", "shape": shape, "seed": 7, "chunks": chunks}),
    );
    let mut shape = shape.to_vec();
    let mut last = "n0".to_string();
    for (i, s) in steps.iter().enumerate() {
        let id = format!("n{}", i + 1);
        let ndim = shape.len();
        let node = match s {
            Step::Unary(op) => json!({"op": op, "args": [last]}),
            Step::Scalar(op, c) => json!({"op": op, "args": [last, c]}),
            Step::Slice { axis, start, step } if *axis < ndim => {
                let mut index = vec![json!([null, null, null]); ndim];
                index[*axis] = json!([start, null, step]);
                let len = shape[*axis] as i64;
                let s0 = if *start < 0 {
                    (start + len).max(0)
                } else {
                    (*start).min(len)
                };
                shape[*axis] = if *step > 0 {
                    ((len - s0).max(0) + step - 1) / step
                } else {
                    let s0 = if *start < 0 {
                        start + len
                    } else {
                        (*start).min(len - 1)
                    };
                    if s0 < 0 { 0 } else { (s0 / -step) + 1 }
                } as usize;
                json!({"op": "getitem", "args": [last], "index": index})
            }
            Step::Transpose => {
                shape.reverse();
                json!({"op": "transpose", "args": [last]})
            }
            Step::SumAxis(axis) if *axis < ndim && ndim > 1 => {
                shape.remove(*axis);
                json!({"op": "sum", "args": [last], "axis": axis})
            }
            Step::Rechunk(c) => json!({"op": "rechunk", "args": [last], "chunks": c}),
            Step::AddTransposed if ndim == 2 && shape[0] == shape[1] => {
                json!({"op": "add", "args": [last, {"op": "transpose", "args": [last]}]})
            }
            Step::Concat(axis) if *axis < ndim => {
                shape[*axis] *= 2;
                json!({"op": "concatenate", "args": [[last, last]], "axis": axis})
            }
            Step::MatmulT if ndim == 2 => {
                shape = vec![shape[0], shape[0]];
                json!({"op": "matmul", "args": [last, {"op": "transpose", "args": [last]}]})
            }
            Step::NewAxis(pos) if *pos <= ndim => {
                let mut index = vec![json!([null, null, null]); ndim];
                index.insert(*pos, Json::Null);
                let expanded = json!({"op": "getitem", "args": [last], "index": index});
                json!({"op": "sum", "args": [expanded], "axis": pos})
            }
            Step::Reshape => {
                shape.reverse();
                json!({"op": "reshape", "args": [last], "shape": shape})
            }
            Step::Cumsum(axis) if *axis < ndim => {
                json!({"op": "cumsum", "args": [last], "axis": axis})
            }
            Step::Cumsum(_) => {
                shape = vec![shape.iter().product()];
                json!({"op": "cumsum", "args": [last], "axis": null})
            }
            _ => continue,
        };
        nodes.insert(id.clone(), node);
        last = id;
    }
    json!({"tessera": 1, "nodes": nodes, "outputs": [last]})
}

fn compute(doc: &Json, whole_arrays: bool, executor: &str) -> Result<Value, String> {
    let graph = parse_and_validate(&doc.to_string(), &InferContext::default())
        .map_err(|f| f.to_string())?;
    let options = ComputeOptions {
        executor: executor.into(),
        threads: Some(2),
        lower: LowerOptions {
            whole_arrays,
            ..LowerOptions::default()
        },
        ..ComputeOptions::default()
    };
    let mut out = compute_graph(&graph, &options).map_err(|e| e.to_string())?;
    Ok(out.outputs.remove(0).1)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn chunked_equals_whole(
        rows in 1usize..12,
        cols in 1usize..12,
        seed_chunks in (partition(12), partition(12)),
        steps in prop::collection::vec(step(), 1..6),
        sync in any::<bool>(),
    ) {
        let fit = |p: &Vec<usize>, n: usize| {
            let mut out = Vec::new();
            let mut left = n;
            for &s in p {
                if left == 0 { break; }
                out.push(s.min(left));
                left -= s.min(left);
            }
            if left > 0 { out.push(left); }
            out
        };
        let chunks = [fit(&seed_chunks.0, rows), fit(&seed_chunks.1, cols)];
        let doc = document([rows, cols], chunks, &steps);
        let executor = if sync { "sync" } else { "threads" };
        let chunked = compute(&doc, false, executor);
        let whole = compute(&doc, true, "sync");
        match (chunked, whole) {
            (Ok(a), Ok(b)) => {
                let (a, b) = (a.to_json(), b.to_json());
                let (fa, fb) = (flatten(&a), flatten(&b));
                prop_assert_eq!(fa.len(), fb.len(), "{} vs {}", a, b);
                for (x, y) in fa.iter().zip(&fb) {
                    prop_assert!(x == y || (x.is_nan() && y.is_nan()) || (x - y).abs() <= 1e-12 * y.abs().max(1.0), "{} vs {} in {}", x, y, doc);
                }
            }
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            (a, b) => prop_assert!(false, "chunked {:?} but whole {:?} for {}", a.err(), b.err(), doc),
        }
    }
}

fn flatten(v: &Json) -> Vec<f64> {
    let mut out = Vec::new();
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Json::Array(items) => stack.extend(items.iter().rev()),
            Json::Number(n) => out.push(n.as_f64().unwrap_or(f64::NAN)),
            Json::Null => out.push(f64::NAN),
            other => out.push(if other.as_bool() == Some(true) {
                1.0
            } else {
                0.0
            }),
        }
    }
    out
}

#[test]
fn a_fixed_chain_computes_and_agrees() {
    let steps = [
        Step::Unary("sin"),
        Step::Slice {
            axis: 1,
            start: -1,
            step: -2,
        },
        Step::Rechunk(3),
        Step::SumAxis(0),
    ];
    let doc = document([7, 9], [vec![3, 4], vec![2, 5, 2]], &steps);
    let chunked = compute(&doc, false, "threads").expect("chunked computes");
    let whole = compute(&doc, true, "sync").expect("whole computes");
    let (a, b) = (flatten(&chunked.to_json()), flatten(&whole.to_json()));
    assert_eq!(a.len(), 5);
    for (x, y) in a.iter().zip(&b) {
        assert!((x - y).abs() <= 1e-12, "{x} vs {y}");
    }
}
