//! Tests of the fused kernels against the reference: the unfused kernels run one
//! step at a time on whole arrays.

use ndarray::{ArrayD, IxDyn, s};
use serde_json::{Value as Json, json};
use tessera_ir::catalogue::fused::{Operand, parse_program};

use super::*;

fn kw(v: Json) -> Kwargs {
    v.as_object().cloned().unwrap_or_default()
}

/// The program run op by op with the unfused kernels on whole arrays.
fn reference(program: &Json, inputs: &[Value]) -> Value {
    let steps = parse_program(program).unwrap();
    let mut results: Vec<Value> = Vec::new();
    for step in steps {
        let args: Vec<Value> = step
            .args
            .iter()
            .map(|a| match a {
                Operand::Input(i) => inputs[*i].clone(),
                Operand::Step(k) => results[*k].clone(),
                Operand::Weak(_, v) => Value::from_json(v).unwrap(),
                Operand::Null => Value::None,
                Operand::Const(c) => {
                    let n: usize = c.shape.iter().product();
                    let flat = constant(&Value::from_json(&c.fill).unwrap(), c.dtype, n.max(1));
                    let flat = flat.unwrap();
                    Value::Array(crate::map_array!(flat, x => x
                        .slice_axis_move(ndarray::Axis(0), ndarray::Slice::from(0..n))
                        .into_shape_with_order(IxDyn(&c.shape))
                        .unwrap()))
                }
            })
            .collect();
        results.push(kernel(step.op.name).unwrap()(&args, &step.attrs).unwrap());
    }
    results.pop().unwrap()
}

fn f64_array(shape: &[usize], seed: u64) -> Array {
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    let data: Vec<f64> = (0..shape.iter().product::<usize>())
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 11) as f64 / (1u64 << 53) as f64) * 4.0 - 2.0
        })
        .collect();
    ArrayD::from_shape_vec(IxDyn(shape), data).unwrap().into()
}

fn run(program: &Json, inputs: &[Value]) -> Value {
    fused(inputs, &kw(json!({ "program": program }))).unwrap()
}

#[test]
fn equals_the_unfused_kernels_across_tile_boundaries() {
    let program = json!([
        {"op": "exp", "args": ["$0"]},
        {"op": "multiply", "args": ["%0", 2]},
        {"op": "sin", "args": ["$0"]},
        {"op": "power", "args": ["%2", 2]},
        {"op": "subtract", "args": ["%1", "%3"]}
    ]);
    for n in [0, 1, 7, TILE - 1, TILE, TILE + 1, 3 * TILE + 5] {
        let x = Value::Array(f64_array(&[n], n as u64));
        // `x ** 2` runs as `x * x` (NumPy's fast path), `powf` may differ by an ulp.
        let got = scalar_f64(&run(&program, std::slice::from_ref(&x)));
        let want = scalar_f64(&reference(&program, &[x]));
        assert_eq!(got.len(), n);
        for (a, b) in got.iter().zip(&want) {
            assert!(close(*a, *b, 1e-15), "n = {n}: {a} vs {b}");
        }
    }
    let x0 = Value::Array(f64_array(&[], 3));
    let r = run(&program, std::slice::from_ref(&x0));
    assert!(close(
        scalar_f64(&r)[0],
        scalar_f64(&reference(&program, &[x0]))[0],
        1e-15
    ));
    let Value::Array(r) = r else { panic!() };
    assert_eq!(r.shape(), &[] as &[usize]);
}

#[test]
fn strided_views_broadcasting_scalars_and_dtypes() {
    let big = f64_array(&[40, 300], 1);
    let Array::F64(b) = &big else { panic!() };
    let view: Array = b.clone().slice_move(s![1..;3, ..;-2]).into_dyn().into();
    let row: Array = ArrayD::from_shape_fn(IxDyn(&[150]), |i| i[0] as i32 - 70).into();
    let program = json!([
        {"op": "greater", "args": ["$0", 0.5]},
        {"op": "astype", "args": ["$1"], "dtype": "float32"},
        {"op": "where", "args": ["%0", "%1", "$2"]},
        {"op": "clip", "args": ["%2", -3, null]},
        {"op": "add", "args": ["%3", {"fill": 1, "dtype": "int64", "shape": [1, 150]}]},
        {"op": "floor_divide", "args": ["$1", 7]},
        {"op": "multiply", "args": ["%5", "%4"]}
    ]);
    let inputs = [Value::Array(view), Value::Array(row), Value::Int(-2)];
    let got = run(&program, &inputs);
    let want = reference(&program, &inputs);
    assert_eq!(got, want);
    let Value::Array(got) = got else { panic!() };
    assert_eq!(got.shape(), &[13, 150]);
    assert_eq!(got.dtype(), tessera_ir::DType::Float64);
}

#[test]
fn bool_and_integer_programs() {
    let a: Array = ArrayD::from_shape_fn(IxDyn(&[5000]), |i| i[0] as i64 % 7 - 3).into();
    let program = json!([
        {"op": "remainder", "args": ["$0", 3]},
        {"op": "equal", "args": ["%0", 0]},
        {"op": "logical_and", "args": ["%1", true]},
        {"op": "logical_not", "args": ["%2"]}
    ]);
    let inputs = [Value::Array(a)];
    assert_eq!(run(&program, &inputs), reference(&program, &inputs));
    // A kernel's own error surfaces with the step named.
    let bad = json!([{"op": "power", "args": ["$0", -1]}]);
    let e = fused(&inputs, &kw(json!({ "program": bad }))).unwrap_err();
    assert!(e.0.contains("step 0 (power)"), "{e}");
}

#[test]
fn constant_only_programs_have_the_constant_shape() {
    let program =
        json!([{"op": "exp", "args": [{"fill": 1.0, "dtype": "float64", "shape": [99, 99]}]}]);
    let got = run(&program, &[]);
    assert_eq!(got, reference(&program, &[]));
    let Value::Array(Array::F64(a)) = got else {
        panic!()
    };
    assert_eq!(a.shape(), &[99, 99]);
    assert!(a.iter().all(|&v| (v - std::f64::consts::E).abs() < 1e-15));
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    a == b || (a - b).abs() <= rel * a.abs().max(b.abs())
}

fn scalar_f64(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(Array::F64(a)) => a.iter().copied().collect(),
        Value::Array(a) => cast(a, tessera_ir::DType::Float64)
            .clone()
            .try_into()
            .map(|x: ArcArray<f64, IxDyn>| x.iter().copied().collect())
            .unwrap(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn fused_reductions_match_the_reductions_of_the_unfused_result() {
    let x = Value::Array(f64_array(&[37, 1000], 9));
    let program = json!([{"op": "exp", "args": ["$0"]}]);
    let body = reference(&program, std::slice::from_ref(&x));
    for (op, extra) in [
        ("sum", json!({})),
        ("prod", json!({})),
        ("min", json!({})),
        ("max", json!({})),
        ("mean", json!({})),
        ("var", json!({"ddof": 1})),
        ("std", json!({})),
        ("any", json!({})),
        ("all", json!({})),
    ] {
        for axis in [json!(null), json!(0), json!([-1]), json!([0, 1])] {
            let mut red = kw(extra.clone());
            red.insert("axis".into(), axis.clone());
            let want = kernel(op).unwrap()(std::slice::from_ref(&body), &red).unwrap();
            red.insert("op".into(), json!(op));
            let got = fused(
                std::slice::from_ref(&x),
                &kw(json!({"program": program, "reduce": red})),
            )
            .unwrap();
            let (g, w) = (scalar_f64(&got), scalar_f64(&want));
            assert_eq!(g.len(), w.len(), "{op} {axis}");
            for (a, b) in g.iter().zip(&w) {
                assert!(close(*a, *b, 1e-12), "{op} {axis}: {a} vs {b}");
            }
        }
    }
}

#[test]
fn partials_keep_the_reduced_axes_and_combine_like_the_unfused_partials() {
    let x = Value::Array(f64_array(&[3, 3000], 4));
    let program = json!([{"op": "exp", "args": ["$0"]}]);
    let body = reference(&program, std::slice::from_ref(&x));
    for op in ["sum", "mean", "var", "max"] {
        let want = kernel(&format!("{op}-partial")).unwrap()(
            std::slice::from_ref(&body),
            &kw(json!({"axis": [0, 1]})),
        )
        .unwrap();
        let got = fused_partial(
            std::slice::from_ref(&x),
            &kw(json!({"program": program, "reduce": {"op": op, "axis": [0, 1]}})),
        )
        .unwrap();
        let shapes = |v: &Value| match v {
            Value::Array(a) => vec![a.shape().to_vec()],
            Value::Tuple(t) => t
                .iter()
                .map(|p| match p {
                    Value::Array(a) => a.shape().to_vec(),
                    _ => panic!(),
                })
                .collect(),
            _ => panic!(),
        };
        assert_eq!(shapes(&got), shapes(&want), "{op}");
        let fin = |p: Value| {
            kernel(&format!("{op}-finalize")).unwrap()(&[p], &kw(json!({"axis": [0, 1]}))).unwrap()
        };
        let (g, w) = (scalar_f64(&fin(got)), scalar_f64(&fin(want)));
        assert!(close(g[0], w[0], 1e-12), "{op}: {g:?} {w:?}");
    }
}

#[test]
fn empty_blocks_reduced_over_some_axes_keep_the_other_axes() {
    // NumPy: np.exp(np.zeros((4, 0))).sum(axis=1) has shape (4,), all zeros;
    // np.multiply(np.zeros((0, 0)), 2).sum(axis=0) has shape (0,).
    let program = json!([{"op": "exp", "args": ["$0"]}]);
    for (shape, axis, expected) in [
        (vec![4, 0], 1, vec![4]),
        (vec![0, 0], 0, vec![0]),
        (vec![0, 3], 1, vec![0]),
        (vec![2, 0, 3], 1, vec![2, 3]),
    ] {
        let x = Value::Array(f64_array(&shape, 1));
        let got = fused(
            std::slice::from_ref(&x),
            &kw(json!({"program": program, "reduce": {"op": "sum", "axis": axis}})),
        )
        .unwrap();
        let Value::Array(a) = got else { panic!() };
        assert_eq!(
            a.shape(),
            expected.as_slice(),
            "sum over {axis} of {shape:?}"
        );
        assert!(scalar_f64(&Value::Array(a)).iter().all(|&v| v == 0.0));
    }
}

#[test]
fn empty_blocks_reduce_like_numpy() {
    let x = Value::Array(f64_array(&[0, 4], 1));
    let program = json!([{"op": "exp", "args": ["$0"]}]);
    let got = fused(
        std::slice::from_ref(&x),
        &kw(json!({"program": program, "reduce": {"op": "sum"}})),
    )
    .unwrap();
    assert_eq!(scalar_f64(&got), vec![0.0]);
    let got = run(&program, &[x]);
    let Value::Array(a) = got else { panic!() };
    assert_eq!(a.shape(), &[0, 4]);
}

#[test]
fn sums_are_pairwise_accurate() {
    // 10^6 values whose exact sum is known: 0.1 repeated (exp(log(0.1))).
    let n = 1_000_000;
    let x: Array = ArrayD::from_elem(IxDyn(&[n]), 0.1f64).into();
    let program = json!([{"op": "positive", "args": ["$0"]}]);
    let got = fused(
        &[Value::Array(x)],
        &kw(json!({"program": program, "reduce": {"op": "sum"}})),
    )
    .unwrap();
    let g = scalar_f64(&got)[0];
    assert!(close(g, 100_000.0, 1e-12), "{g}");
}

#[test]
fn blocks_of_a_wider_array_with_long_rows() {
    let wide = f64_array(&[3, 5000], 11);
    let Array::F64(w) = &wide else { panic!() };
    let block = Value::Array(w.clone().slice_move(s![.., 100..4700]).into_dyn().into());
    let program = json!([{"op": "exp", "args": ["$0"]}, {"op": "add", "args": ["%0", "$0"]}]);
    assert_eq!(
        run(&program, std::slice::from_ref(&block)),
        reference(&program, std::slice::from_ref(&block))
    );
    let body = reference(&program, std::slice::from_ref(&block));
    let want = kernel("sum").unwrap()(&[body], &Kwargs::new()).unwrap();
    let got = fused(
        std::slice::from_ref(&block),
        &kw(json!({"program": program, "reduce": {"op": "sum"}})),
    )
    .unwrap();
    assert!(close(scalar_f64(&got)[0], scalar_f64(&want)[0], 1e-12));
}

#[test]
fn slabs_keep_reduced_axes_whole_and_stay_near_a_tile() {
    assert_eq!(slab_shape(&[1000, 1000], &[0]), vec![1000, 4]);
    assert_eq!(slab_shape(&[1000, 1000], &[1]), vec![4, 1000]);
    assert_eq!(slab_shape(&[10, 20, 30], &[1]), vec![6, 20, 30]);
    // Reduced axes beyond a tile: one kept position per slab.
    assert_eq!(slab_shape(&[3, 5000], &[1]), vec![1, 5000]);
    assert_eq!(slab_shape(&[5000, 3], &[0]), vec![5000, 1]);
    // An inner kept axis longer than a tile: outer kept axes cut to 1.
    assert_eq!(slab_shape(&[7, 9000, 2], &[2]), vec![1, 2048, 2]);
}

#[test]
fn reductions_over_some_axes_go_slab_by_slab_like_the_unfused_result() {
    // Shapes whose slabs are smaller and larger than a tile, 3-d with a broadcast
    // input and a scalar, reductions with array and tuple partials.
    let cases: [(&[usize], &[usize], Json); 6] = [
        (&[37, 1000], &[1000], json!([0])),
        (&[37, 1000], &[37, 1], json!([1])),
        (&[3, 5000], &[5000], json!([1])),
        (&[5000, 3], &[1], json!([0])),
        (&[6, 20, 45], &[20, 1], json!([1])),
        (&[6, 20, 45], &[1, 20, 45], json!([0, 2])),
    ];
    let program = json!([
        {"op": "add", "args": ["$0", "$1"]},
        {"op": "multiply", "args": ["%0", 0.5]},
        {"op": "exp", "args": ["%1"]}
    ]);
    for (shape, other, axis) in cases {
        let x = Value::Array(f64_array(shape, 3));
        let y = Value::Array(f64_array(other, 5));
        let inputs = [x, y];
        let body = reference(&program, &inputs);
        for op in ["sum", "mean", "var", "max", "all"] {
            let red = kw(json!({"axis": axis}));
            let want = kernel(op).unwrap()(std::slice::from_ref(&body), &red).unwrap();
            let got = fused(
                &inputs,
                &kw(json!({"program": program, "reduce": {"op": op, "axis": axis}})),
            )
            .unwrap();
            let shape_of = |v: &Value| match v {
                Value::Array(a) => a.shape().to_vec(),
                other => panic!("{other:?}"),
            };
            assert_eq!(shape_of(&got), shape_of(&want), "{op} {shape:?} {axis}");
            let (g, w) = (scalar_f64(&got), scalar_f64(&want));
            for (a, b) in g.iter().zip(&w) {
                assert!(close(*a, *b, 1e-12), "{op} {shape:?} {axis}: {a} vs {b}");
            }
        }
    }
}
