//! Trailing-matrix updates of blocked factorizations: `syrk` (C − A Aᵀ) and `gemm` (C − A Bᵀ).

use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::{Accum, Par};

use super::convert::{Rows, Tile, float_dtype, with_parallelism};
use crate::kernels::KernelError;
use crate::kernels::reduce::args::{self, Kwargs, err};
use crate::value::{Array, Value};

/// Which part of `c - a @ op(b)` a kernel computes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    /// Every entry.
    Whole,
    /// The lower triangle (diagonal included); the strict upper triangle stays `c`'s.
    Lower,
}

/// `c - a @ op(b)` with `op(b) = bᵀ` when `trans_b` (`b` is `a` when `None`),
/// computed in place in a row-major copy of `c` on row-major views of `a` and `b`.
fn update(
    op: &str,
    c: &Array,
    a: &Array,
    b: Option<&Array>,
    trans_b: bool,
    part: Part,
    par: Par,
) -> Result<Value, KernelError> {
    let mut out = Tile::copy_of(op, c, "c")?;
    let am = Rows::new(op, a, "a")?;
    let bm = b.map(|b| Rows::new(op, b, "b")).transpose()?;
    let a_mat = am.mat();
    let b_mat = bm.as_ref().map_or(a_mat, Rows::mat);
    let rhs = if trans_b { b_mat.transpose() } else { b_mat };
    let (m, n) = out.shape();
    let b_shape = b.map_or(a.shape(), Array::shape);
    if a_mat.nrows() != m || rhs.ncols() != n || a_mat.ncols() != rhs.nrows() {
        return Err(err(
            op,
            format!(
                "c {:?} - a {:?} @ {} {b_shape:?}: shapes do not match",
                c.shape(),
                a.shape(),
                if trans_b { "bᵀ" } else { "b" },
            ),
        ));
    }
    match part {
        Part::Whole => matmul(out.mat_mut(), Accum::Add, a_mat, rhs, -1.0, par),
        Part::Lower => {
            if m != n {
                return Err(err(
                    op,
                    format!("c must be square to update its lower triangle, got {m}×{n}"),
                ));
            }
            triangular::matmul(
                out.mat_mut(),
                BlockStructure::TriangularLower,
                Accum::Add,
                a_mat,
                BlockStructure::Rectangular,
                rhs,
                BlockStructure::Rectangular,
                -1.0,
                par,
            );
        }
    }
    let dtype = float_dtype(
        c.dtype()
            .promote(a.dtype())
            .promote(b.map_or(a.dtype(), Array::dtype)),
    );
    Ok(Value::Array(out.into_array(dtype)))
}

/// `syrk(c, a, lower=False, parallel=False)` = c − a aᵀ; with `lower`, only the
/// lower triangle (diagonal included) is computed and the strict upper triangle is
/// `c`'s (BLAS `syrk` with `uplo='L'`), half the flops.
pub(crate) fn syrk(values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "syrk";
    args::arity(op, values, 2)?;
    let (c, a) = (args::array(op, values, 0)?, args::array(op, values, 1)?);
    let part = if args::boolean(op, kwargs, "lower", false)? {
        Part::Lower
    } else {
        Part::Whole
    };
    with_parallelism(op, kwargs, |par| update(op, &c, &a, None, true, part, par))
}

/// `gemm(c, a, b, trans_b=True, parallel=False)` = c − a bᵀ (c − a b when `trans_b`
/// is false).
pub(crate) fn gemm(values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "gemm";
    args::arity(op, values, 3)?;
    let (c, a, b) = (
        args::array(op, values, 0)?,
        args::array(op, values, 1)?,
        args::array(op, values, 2)?,
    );
    let trans_b = args::boolean(op, kwargs, "trans_b", true)?;
    with_parallelism(op, kwargs, |par| {
        update(op, &c, &a, Some(&b), trans_b, Part::Whole, par)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::layout::cast::from_vec;
    use tessera_ir::DType;

    #[test]
    fn updates_subtract_products() {
        let c = from_vec(&[2, 2], vec![10.0, 10.0, 10.0, 10.0]).unwrap();
        let a = from_vec(&[2, 1], vec![1.0, 2.0]).unwrap();
        let b = from_vec(&[2, 1], vec![3.0, 4.0]).unwrap();
        let Value::Array(s) = syrk(
            &[Value::Array(c.clone()), Value::Array(a.clone())],
            &Kwargs::new(),
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(s, from_vec(&[2, 2], vec![9.0, 8.0, 8.0, 6.0]).unwrap());
        let Value::Array(g) = gemm(
            &[
                Value::Array(c.clone()),
                Value::Array(a.clone()),
                Value::Array(b),
            ],
            &Kwargs::new(),
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(g, from_vec(&[2, 2], vec![7.0, 6.0, 4.0, 2.0]).unwrap());
        let wide = from_vec(&[3, 1], vec![1.0, 2.0, 3.0]).unwrap();
        assert!(
            gemm(
                &[Value::Array(c), Value::Array(a), Value::Array(wide)],
                &Kwargs::new()
            )
            .is_err()
        );
    }

    /// Values `0..len` of a fixed pseudo-random stream in [-1, 1).
    fn values(len: usize, seed: u64) -> Vec<f64> {
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 11) as f64 / (1u64 << 52) as f64 - 1.0
            })
            .collect()
    }

    fn f64s(a: &Array) -> Vec<f64> {
        crate::kernels::layout::cast::typed::<f64>(a)
            .iter()
            .copied()
            .collect()
    }

    /// `c - a @ op(b)` by the textbook triple loop (row-major slices).
    fn naive(
        c: &[f64],
        a: &[f64],
        b: &[f64],
        (m, n, k): (usize, usize, usize),
        trans_b: bool,
    ) -> Vec<f64> {
        let mut out = c.to_vec();
        for i in 0..m {
            for j in 0..n {
                let dot: f64 = (0..k)
                    .map(|p| a[i * k + p] * if trans_b { b[j * k + p] } else { b[p * n + j] })
                    .sum();
                out[i * n + j] -= dot;
            }
        }
        out
    }

    fn run(f: crate::kernels::KernelFn, args: &[&Array], kw: serde_json::Value) -> Array {
        let values: Vec<Value> = args.iter().map(|a| Value::Array((*a).clone())).collect();
        match f(&values, kw.as_object().unwrap()).unwrap() {
            Value::Array(x) => x,
            other => panic!("{other:?}"),
        }
    }

    fn close(got: &[f64], want: &[f64]) -> bool {
        got.len() == want.len() && got.iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-12)
    }

    #[test]
    fn syrk_lower_leaves_the_strict_upper_triangle_of_c() {
        let (n, k) = (7, 5);
        let (c, a) = (values(n * n, 1), values(n * k, 2));
        let want = naive(&c, &a, &a, (n, n, k), true);
        for parallel in [false, true] {
            let out = run(
                syrk,
                &[
                    &from_vec(&[n, n], c.clone()).unwrap(),
                    &from_vec(&[n, k], a.clone()).unwrap(),
                ],
                serde_json::json!({"lower": true, "parallel": parallel}),
            );
            let got = f64s(&out);
            for i in 0..n {
                for j in 0..n {
                    let expect = if j <= i {
                        want[i * n + j]
                    } else {
                        c[i * n + j]
                    };
                    assert!(
                        (got[i * n + j] - expect).abs() < 1e-12,
                        "({i}, {j}) parallel {parallel}"
                    );
                }
            }
        }
        let wide = from_vec(&[2, 3], vec![0.0; 6]).unwrap();
        let e = syrk(
            &[Value::Array(wide.clone()), Value::Array(wide)],
            serde_json::json!({"lower": true}).as_object().unwrap(),
        )
        .unwrap_err();
        assert!(e.0.contains("shapes do not match"), "{e}");
    }

    #[test]
    fn updates_read_strided_views_and_other_dtypes() {
        // c and a are regions of bigger arrays (views with row stride 9), b is int32.
        let (m, n, k) = (4, 3, 5);
        let big = from_vec(&[9, 9], values(81, 3)).unwrap();
        let Array::F64(whole) = &big else { panic!() };
        let c_view = Array::F64(
            whole
                .clone()
                .slice_move(ndarray::s![1..1 + m, 2..2 + n])
                .into_dyn(),
        );
        let a_view = Array::F64(
            whole
                .clone()
                .slice_move(ndarray::s![4..4 + m, 0..k])
                .into_dyn(),
        );
        let b_ints: Vec<i32> = (0..n * k).map(|x| x as i32 - 7).collect();
        let b = from_vec(&[n, k], b_ints.clone()).unwrap();
        let want = naive(
            &f64s(&c_view),
            &f64s(&a_view),
            &b_ints.iter().map(|&x| f64::from(x)).collect::<Vec<_>>(),
            (m, n, k),
            true,
        );
        let got = run(gemm, &[&c_view, &a_view, &b], serde_json::json!({}));
        assert_eq!((got.shape(), got.dtype()), (&[m, n][..], DType::Float64));
        assert!(close(&f64s(&got), &want));
        // trans_b = false: c - a @ b with b k x n; float32 stays float32.
        let b2 = values(k * n, 4);
        let want = naive(&f64s(&c_view), &f64s(&a_view), &b2, (m, n, k), false);
        let got = run(
            gemm,
            &[&c_view, &a_view, &from_vec(&[k, n], b2).unwrap()],
            serde_json::json!({"trans_b": false, "parallel": true}),
        );
        assert!(close(&f64s(&got), &want));
        let c32 = from_vec(&[1, 1], vec![5.0f32]).unwrap();
        let a32 = from_vec(&[1, 1], vec![2.0f32]).unwrap();
        let got = run(syrk, &[&c32, &a32], serde_json::json!({"lower": true}));
        assert_eq!(got, from_vec(&[1, 1], vec![1.0f32]).unwrap());
        let e = gemm(
            &[
                Value::Array(c32.clone()),
                Value::Array(a32.clone()),
                Value::Array(a32),
            ],
            serde_json::json!({"parallel": 2}).as_object().unwrap(),
        )
        .unwrap_err();
        assert!(e.0.contains("`parallel` must be a boolean"), "{e}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// gemm and syrk (whole and lower) equal the triple loop on random shapes.
        #[test]
        fn updates_match_the_triple_loop(m in 1usize..24, n in 1usize..24, k in 0usize..24, seed in 0u64..1000, trans_b: bool) {
            let (c, a) = (values(m * n, seed), values(m * k, seed + 1));
            let b = values(n * k, seed + 2);
            let b_shape = if trans_b { [n, k] } else { [k, n] };
            let got = run(
                gemm,
                &[&from_vec(&[m, n], c.clone()).unwrap(), &from_vec(&[m, k], a.clone()).unwrap(), &from_vec(&b_shape, b.clone()).unwrap()],
                serde_json::json!({"trans_b": trans_b}),
            );
            proptest::prop_assert!(close(&f64s(&got), &naive(&c, &a, &b, (m, n, k), trans_b)));
            let c = values(m * m, seed + 3);
            let want = naive(&c, &a, &a, (m, m, k), true);
            for lower in [false, true] {
                let got = f64s(&run(
                    syrk,
                    &[&from_vec(&[m, m], c.clone()).unwrap(), &from_vec(&[m, k], a.clone()).unwrap()],
                    serde_json::json!({"lower": lower}),
                ));
                for i in 0..m {
                    for j in 0..m {
                        let expect = if lower && j > i { c[i * m + j] } else { want[i * m + j] };
                        proptest::prop_assert!((got[i * m + j] - expect).abs() < 1e-12);
                    }
                }
            }
        }
    }
}
