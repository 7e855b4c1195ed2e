//! The Rust `Array` API end to end: results against ndarray-computed expectations,
//! errors raised when expressions are built, documents written and read back,
//! shared work, long chains, and the seed's lazy W1 expression.

use ndarray::{ArrayD, Axis as NdAxis, IxDyn, array};
use tessera::compute::ComputeOptions;
use tessera::{
    Array, ArrayError, Axis, Bindings, Boundary, DType, NewAxis, compute_many, concatenate, linalg,
    random, s, task_graph, where_,
};

fn grid(rows: usize, cols: usize) -> ArrayD<f64> {
    ArrayD::from_shape_fn(IxDyn(&[rows, cols]), |i| {
        (i[0] * cols + i[1]) as f64 * 0.5 - 3.0
    })
}

fn close(a: &ArrayD<f64>, b: &ArrayD<f64>, tol: f64) {
    assert_eq!(a.shape(), b.shape());
    for (x, y) in a.iter().zip(b.iter()) {
        assert!(
            (x - y).abs() <= tol * (1.0 + y.abs()),
            "{x} vs {y}\n{a}\n{b}"
        );
    }
}

#[test]
fn elementwise_and_reductions_match_ndarray() {
    let data = grid(7, 5);
    let x = Array::from_ndarray(data.clone(), [3, 2]).unwrap();
    let y = ((&x * 2.0 + 1.0) / 4i64).exp().unwrap();
    let want = data.mapv(|v| ((v * 2.0 + 1.0) / 4.0).exp());
    close(&y.compute::<f64>().unwrap(), &want, 1e-14);

    let s = y.sum(0, false).unwrap();
    close(
        &s.compute::<f64>().unwrap(),
        &want.sum_axis(NdAxis(0)),
        1e-13,
    );
    let m = x.mean(Axis::All, false).unwrap().compute::<f64>().unwrap();
    assert!((m[[]] - data.mean().unwrap()).abs() < 1e-12);
    let v = x.var(1, true, 1).unwrap().compute::<f64>().unwrap();
    let want_v = data.var_axis(NdAxis(1), 1.0).insert_axis(NdAxis(1));
    close(&v, &want_v.into_dyn(), 1e-12);

    let c = x.cumsum(Some(1)).unwrap().compute::<f64>().unwrap();
    let mut want_c = data.clone();
    want_c.accumulate_axis_inplace(NdAxis(1), |&prev, cur| *cur += prev);
    close(&c, &want_c, 1e-13);

    let w = where_(x.gt(0.0).unwrap(), &x, 0.0)
        .unwrap()
        .compute::<f64>()
        .unwrap();
    close(&w, &data.mapv(|v| v.max(0.0)), 0.0);
    let cl = x.clip(-1.0, 1.0).unwrap().compute::<f64>().unwrap();
    close(&cl, &data.mapv(|v| v.clamp(-1.0, 1.0)), 0.0);
    let neg = (-&x).abs().unwrap().compute::<f64>().unwrap();
    close(&neg, &data.mapv(f64::abs), 0.0);
}

#[test]
fn argmin_argmax_take_the_first_occurrence() {
    let data = ArrayD::from_shape_vec(
        IxDyn(&[3, 4]),
        vec![1.0, 5.0, 5.0, 0.0, 7.0, 2.0, 7.0, 0.0, 3.0, 9.0, 1.0, 9.0],
    )
    .unwrap();
    let x = Array::from_ndarray(data, [2, 3]).unwrap();
    let am = x.argmax(Some(0)).unwrap().compute::<i64>().unwrap();
    assert_eq!(am.iter().copied().collect::<Vec<_>>(), vec![1, 2, 1, 2]);
    let flat = x.argmax(None).unwrap().compute::<i64>().unwrap();
    assert_eq!(flat[[]], 9);
    let low = x.argmin(Some(1)).unwrap().compute::<i64>().unwrap();
    assert_eq!(low.iter().copied().collect::<Vec<_>>(), vec![3, 3, 2]);
}

#[test]
fn integer_dtypes_and_comparisons() {
    let data = ArrayD::from_shape_fn(IxDyn(&[6]), |i| i[0] as i32 - 2);
    let x = Array::from_ndarray(data.clone(), 4).unwrap();
    let s = x.sum(Axis::All, false).unwrap();
    assert_eq!(s.dtype(), DType::Int64);
    assert_eq!(s.compute::<i64>().unwrap()[[]], 3);
    let r = (&x % 3i64).compute::<i32>().unwrap();
    // Python's %: the sign of the divisor.
    assert_eq!(
        r.iter().copied().collect::<Vec<_>>(),
        vec![1, 2, 0, 1, 2, 0]
    );
    let b = x.ge(1).unwrap().compute::<bool>().unwrap();
    assert_eq!(b.iter().filter(|&&v| v).count(), 3);
    let f = x.astype(DType::Float32).unwrap().compute::<f32>().unwrap();
    assert_eq!(f[[0]], -2.0f32);
}

#[test]
fn layout_ops_match_ndarray() {
    let data = grid(6, 8);
    let x = Array::from_ndarray(data.clone(), [4, 3]).unwrap();
    let t = x.transpose(None).unwrap().compute::<f64>().unwrap();
    close(&t, &data.t().to_owned(), 0.0);
    let r = x.reshape(&[4, -1]).unwrap().compute::<f64>().unwrap();
    close(
        &r,
        &data.clone().into_shape_with_order(IxDyn(&[4, 12])).unwrap(),
        0.0,
    );
    let c = concatenate(&[&x, &x], 1).unwrap().compute::<f64>().unwrap();
    close(
        &c,
        &ndarray::concatenate(NdAxis(1), &[data.view(), data.view()]).unwrap(),
        0.0,
    );
    let low = x.tril(0).unwrap().compute::<f64>().unwrap();
    let want = ArrayD::from_shape_fn(IxDyn(&[6, 8]), |i| {
        if i[1] <= i[0] {
            data[[i[0], i[1]]]
        } else {
            0.0
        }
    });
    close(&low, &want, 0.0);
    let re = x.rechunk(5).unwrap();
    assert_eq!(re.chunks().0, vec![vec![5, 1], vec![5, 3]]);
    close(&re.compute::<f64>().unwrap(), &data, 0.0);
}

#[test]
fn slicing_with_negative_steps_indices_and_new_axes() {
    let data = grid(10, 9);
    let x = Array::from_ndarray(data.clone(), [3, 4]).unwrap();
    // NumPy: x[8:1:-3, -1, np.newaxis] -> rows 8, 5, 2 of the last column.
    let y = x.slice(s![8..1;-3, -1, NewAxis]).unwrap();
    assert_eq!(y.shape(), &[3, 1]);
    let got = y.compute::<f64>().unwrap();
    let want: Vec<f64> = [8, 5, 2].iter().map(|&r| data[[r, 8]]).collect();
    assert_eq!(got.iter().copied().collect::<Vec<_>>(), want);
    // x[::-1, 2:7:2]
    let z = x
        .slice(s![..;-1, 2..7;2])
        .unwrap()
        .compute::<f64>()
        .unwrap();
    assert_eq!(z.shape(), &[10, 3]);
    assert_eq!(z[[0, 0]], data[[9, 2]]);
    assert_eq!(z[[9, 2]], data[[0, 6]]);
}

fn spd() -> (ArrayD<f64>, ArrayD<f64>) {
    let a = array![[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]].into_dyn();
    let b = array![[1.0, 2.0], [0.0, 1.0], [3.0, -1.0]].into_dyn();
    (a, b)
}

#[test]
fn products_and_solve_match_ndarray() {
    let (a, b) = spd();
    let xa = Array::from_ndarray(a.clone(), 2).unwrap();
    let xb = Array::from_ndarray(b.clone(), 2).unwrap();
    let a2 = a.clone().into_dimensionality::<ndarray::Ix2>().unwrap();
    let b2 = b.clone().into_dimensionality::<ndarray::Ix2>().unwrap();
    let prod = xa.matmul(&xb).unwrap().compute::<f64>().unwrap();
    close(&prod, &a2.dot(&b2).into_dyn(), 1e-14);
    let dot = xa.dot(&xb).unwrap().compute::<f64>().unwrap();
    close(&dot, &a2.dot(&b2).into_dyn(), 1e-14);
    // a @ solve(a, b) == b
    let sol = linalg::solve(&xa, &xb).unwrap();
    let back = xa.matmul(&sol).unwrap().compute::<f64>().unwrap();
    close(&back, &b, 1e-12);
}

#[test]
fn factorizations_reproduce_the_matrix() {
    let (a, _) = spd();
    let xa = Array::from_ndarray(a.clone(), 2).unwrap();
    // L L^T == a
    let l = linalg::cholesky(&xa).unwrap();
    let llt = l
        .matmul(&l.transpose(None).unwrap())
        .unwrap()
        .compute::<f64>()
        .unwrap();
    close(&llt, &a, 1e-12);
    let (q, r) = linalg::qr(&xa).unwrap();
    let qr = q.matmul(&r).unwrap().compute::<f64>().unwrap();
    close(&qr, &a, 1e-12);
}

#[test]
fn correlate_with_ghost_cells_matches_the_whole_array() {
    let data = grid(8, 8);
    let x = Array::from_ndarray(data.clone(), 3).unwrap();
    let w = ArrayD::from_elem(IxDyn(&[3, 3]), 1.0);
    let got = x
        .correlate(&w, Boundary::Constant(0.0))
        .unwrap()
        .compute::<f64>()
        .unwrap();
    let want = ArrayD::from_shape_fn(IxDyn(&[8, 8]), |i| {
        let mut s = 0.0;
        for di in -1i64..=1 {
            for dj in -1i64..=1 {
                let (r, c) = (i[0] as i64 + di, i[1] as i64 + dj);
                if (0..8).contains(&r) && (0..8).contains(&c) {
                    s += data[[r as usize, c as usize]];
                }
            }
        }
        s
    });
    close(&got, &want, 1e-13);
}

#[test]
fn random_values_depend_on_seed_shape_and_chunks_only() {
    let u = random::uniform(2.0, 3.0, &[50, 40], 11, 16).unwrap();
    let a = u.compute::<f64>().unwrap();
    assert!(a.iter().all(|&v| (2.0..3.0).contains(&v)));
    let part = u.slice(s![20..30, 5..]).unwrap().compute::<f64>().unwrap();
    close(
        &part,
        &a.slice(ndarray::s![20..30, 5..]).to_owned().into_dyn(),
        0.0,
    );
    let again = random::uniform(2.0, 3.0, &[50, 40], 11, 16)
        .unwrap()
        .compute::<f64>()
        .unwrap();
    assert_eq!(a, again);
    let k = random::integers(-3, 4, &[1000], 5, 100)
        .unwrap()
        .compute::<i64>()
        .unwrap();
    assert!(k.iter().all(|&v| (-3..4).contains(&v)));
    let n = random::normal(0.0, 1.0, &[20_000], 1, 5000).unwrap();
    let mean = n.mean(Axis::All, false).unwrap().compute::<f64>().unwrap()[[]];
    assert!(mean.abs() < 0.05, "{mean}");
}

#[test]
fn errors_are_raised_when_the_expression_is_built() {
    let a = Array::ones(&[3, 4], DType::Float64, 2).unwrap();
    let b = Array::ones(&[5], DType::Float64, 2).unwrap();
    let e = a.try_add(&b).unwrap_err();
    assert!(
        matches!(e, ArrayError::Build { ref op, .. } if op == "add"),
        "{e}"
    );
    assert!(e.to_string().contains("broadcast"), "{e}");
    let e = a.sum(2, false).unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot build sum (at axis): axis 2 is out of bounds for array of dimension 2"
    );
    let e = Array::full(&[3], 1i64 << 40, Some(DType::Int32), 3).unwrap_err();
    assert!(e.to_string().contains("out of bounds for int32"), "{e}");
    let e = a.compute::<i64>().unwrap_err();
    assert!(
        matches!(
            e,
            ArrayError::DType {
                expected: DType::Int64,
                found: DType::Float64
            }
        ),
        "{e}"
    );
    assert!(a.matmul(&a).is_err());
    let r = std::panic::catch_unwind(|| {
        let a = Array::ones(&[3], DType::Float64, 3).unwrap();
        let b = Array::ones(&[4], DType::Float64, 4).unwrap();
        &a * &b
    });
    assert!(r.is_err());
}

#[test]
fn documents_round_trip_to_the_same_json() {
    let data = grid(4, 6);
    let x = Array::from_ndarray(data.clone(), [2, 3]).unwrap();
    let y = Array::linspace(0.0, 1.0, 6, true, 3).unwrap();
    let z = ((&x + &y).exp().unwrap().slice(s![1.., ..;2]).unwrap())
        .max(Axis::All, true)
        .unwrap();
    let (doc, bindings) = z.to_document();
    let text = doc.to_json_pretty();
    // The document is the v1 format, which the strict parser reads back.
    let parsed = tessera::ir::parse_document(&text).unwrap();
    let back = Array::from_document(&parsed, &doc.outputs[0], &bindings).unwrap();
    let (doc2, bindings2) = back.to_document();
    assert_eq!(doc2.to_json_pretty(), text);
    assert_eq!(bindings2.names(), bindings.names());
    let want = data
        .slice(ndarray::s![1.., ..;2])
        .iter()
        .zip([0.0, 0.4, 0.8].iter().cycle())
        .map(|(a, b)| (a + b).exp())
        .fold(f64::MIN, f64::max);
    assert_eq!(back.compute::<f64>().unwrap()[[0, 0]], want);

    // Unbound inputs can be read and written, but computing them fails clearly.
    let unbound = Array::from_document(&parsed, &doc.outputs[0], &Bindings::new()).unwrap();
    let e = unbound.compute::<f64>().unwrap_err();
    assert!(e.to_string().contains("has no value"), "{e}");
}

#[test]
fn compute_many_shares_common_work() {
    let x = Array::ones(&[8, 8], DType::Float64, 4).unwrap();
    let shared = x.exp().unwrap();
    let a = shared.sum(Axis::All, false).unwrap();
    let b = shared.max(0, false).unwrap();
    let graph = task_graph(&[&a, &b]).unwrap();
    let exps = graph.keys().filter(|k| k.starts_with("('exp-")).count();
    assert_eq!(exps, 4, "{graph:#?}");
    let values = compute_many(&[&a, &b]).unwrap();
    assert_eq!(values.len(), 2);
    let e = std::f64::consts::E;
    let sum = a.compute::<f64>().unwrap()[[]];
    assert!((sum - 64.0 * e).abs() < 1e-12);
    let tessera::runtime::Value::Array(max) = &values[1] else {
        panic!("{:?}", values[1])
    };
    assert_eq!(max.shape(), &[8]);
}

#[test]
fn a_chain_of_ten_thousand_ops_builds_writes_and_computes() {
    // A thread with a small stack: nothing may recurse over the chain's depth.
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            let mut x = Array::ones(&[6], DType::Float64, 4).unwrap();
            for _ in 0..10_000 {
                x = &x + 1.0;
            }
            let (doc, _) = x.to_document();
            assert_eq!(doc.nodes.len(), 10_001);
            assert_eq!(doc.outputs, ["add-10000"]);
            let v = x.compute::<f64>().unwrap();
            assert!(v.iter().all(|&v| v == 10_001.0), "{v}");
            drop(x);
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn w1_only_the_blocks_under_the_slice_are_computed() {
    let x = Array::ones(&[10_000, 10_000], DType::Float64, 100).unwrap();
    let y = x.exp().unwrap().slice(s![1..100, 1..100]).unwrap();
    assert_eq!(
        y.to_string(),
        "tessera.Array<getitem, shape=(99, 99), dtype=float64, chunksize=(99, 99)>"
    );
    let graph = y.task_graph().unwrap();
    assert!(graph.len() <= 3, "{graph:#?}");
    let v = y.compute::<f64>().unwrap();
    assert_eq!(v.shape(), &[99, 99]);
    // exp(1) within an ulp of e (the kernel may use a vectorized exp).
    let e = std::f64::consts::E;
    assert!(
        v.iter().all(|&v| (v - e).abs() <= 2.0 * f64::EPSILON * e),
        "{}",
        v[[0, 0]]
    );
}

#[test]
fn compute_options_choose_executor_and_whole_arrays() {
    let data = grid(9, 7);
    let x = Array::from_ndarray(data.clone(), [2, 3]).unwrap();
    let y = x.sin().unwrap().sum(1, false).unwrap();
    let mut options = ComputeOptions {
        executor: "sync".into(),
        ..ComputeOptions::default()
    };
    let chunked = y.compute_with::<f64>(&options).unwrap();
    options.lower.whole_arrays = true;
    let whole = y.compute_with::<f64>(&options).unwrap();
    close(&chunked, &whole, 1e-14);
    close(&chunked, &data.mapv(f64::sin).sum_axis(NdAxis(1)), 1e-13);
    let bad = ComputeOptions {
        policy: "nope".into(),
        ..ComputeOptions::default()
    };
    assert!(y.compute_value_with(&bad).is_err());
}

#[test]
fn npy_files_outside_the_working_directory_are_read_when_built() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.npy");
    let data = ArrayD::from_shape_fn(IxDyn(&[5, 3]), |i| (i[0] * 3 + i[1]) as i64);
    ndarray_npy::write_npy(&path, &data).unwrap();
    let x = Array::from_npy(&path, 2).unwrap();
    assert_eq!((x.shape(), x.dtype()), (&[5usize, 3][..], DType::Int64));
    assert_eq!(x.compute::<i64>().unwrap(), data);
}
