//! Factorizations with faer: `potrf`/`linalg.cholesky`, `lu` (partial pivoting), `qr`/`linalg.qr` (reduced), `inv`/`linalg.inv`.

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::cholesky::llt::factor as llt;
use faer::{Mat, MatRef, Par};

use super::convert::{Tile, from_mat, to_mat, to_square, with_parallelism};
use crate::kernels::KernelError;
use crate::kernels::layout::cast::from_vec;
use crate::kernels::reduce::args::{self, Kwargs, err};
use crate::value::{Array, Value};

/// The lower Cholesky factor of a symmetric positive definite matrix (only its
/// lower triangle is read, as LAPACK's `potrf('L')` and `numpy.linalg.cholesky`),
/// factored in place in a row-major copy of `a` with parallelism `par`.
pub(crate) fn cholesky(op: &str, a: &Array, par: Par) -> Result<Array, KernelError> {
    let mut tile = Tile::copy_of(op, a, "the matrix")?;
    let (n, cols) = tile.shape();
    if n != cols {
        return Err(err(
            op,
            format!("the matrix must be square, got shape {:?}", a.shape()),
        ));
    }
    let params = Default::default();
    let mut scratch = MemBuffer::new(llt::cholesky_in_place_scratch::<f64>(n, par, params));
    llt::cholesky_in_place(
        tile.mat_mut(),
        Default::default(),
        par,
        MemStack::new(&mut scratch),
        params,
    )
    .map_err(|e| match e {
        llt::LltError::NonPositivePivot { index } => err(
            op,
            format!(
                "matrix is not positive definite: the leading minor of order {} is not positive",
                index + 1
            ),
        ),
    })?;
    tile.zero_upper();
    Ok(tile.into_array(a.dtype()))
}

/// Row permutation, unit lower factor and upper factor of an LU factorization.
pub(crate) type LuFactors = (Vec<usize>, Mat<f64>, Mat<f64>);

/// LU with partial pivoting: `(perm, l, u)` with `a[perm, :] == l @ u`; `l` is
/// unit lower (m×k), `u` upper (k×n), k = min(m, n).
pub(crate) fn lu_factor(op: &str, a: &Array) -> Result<LuFactors, KernelError> {
    let m = to_mat(op, a, "the matrix")?;
    // faer's global parallelism, inside the run's kernel pool.
    let lu = crate::budget::in_kernel_pool(|| m.partial_piv_lu());
    let perm = lu.P().arrays().0.to_vec();
    Ok((perm, lu.L().to_owned(), lu.U().to_owned()))
}

/// Refuses a square LU whose `u` has an exact zero pivot (LAPACK `getrf`'s `info > 0`).
pub(crate) fn check_nonsingular(op: &str, u: MatRef<'_, f64>) -> Result<(), KernelError> {
    let k = u.nrows().min(u.ncols());
    match (0..k).find(|&i| u[(i, i)] == 0.0 || u[(i, i)].is_nan()) {
        Some(i) => Err(err(
            op,
            format!("singular matrix: U[{i}, {i}] is zero after pivoting"),
        )),
        None => Ok(()),
    }
}

/// Solves `a x = b` for square `a` through its LU factorization.
pub(crate) fn lu_solve(op: &str, a: &Array, b: Mat<f64>) -> Result<Mat<f64>, KernelError> {
    let (perm, l, u) = lu_factor(op, a)?;
    if l.nrows() != l.ncols() || u.nrows() != u.ncols() {
        return Err(err(
            op,
            format!("the matrix must be square, got shape {:?}", a.shape()),
        ));
    }
    check_nonsingular(op, u.as_ref())?;
    let n = l.nrows();
    if b.nrows() != n {
        return Err(err(
            op,
            format!("b has {} rows, the matrix has {n}", b.nrows()),
        ));
    }
    let mut x = Mat::from_fn(n, b.ncols(), |i, j| b[(perm[i], j)]);
    faer::linalg::triangular_solve::solve_unit_lower_triangular_in_place(
        l.as_ref(),
        x.as_mut(),
        faer::Par::Seq,
    );
    faer::linalg::triangular_solve::solve_upper_triangular_in_place(
        u.as_ref(),
        x.as_mut(),
        faer::Par::Seq,
    );
    Ok(x)
}

/// The inverse of a square matrix; singular matrices are an error.
pub(crate) fn inverse(op: &str, a: &Array) -> Result<Array, KernelError> {
    let m = to_square(op, a, "the matrix")?;
    let x = lu_solve(op, a, Mat::identity(m.nrows(), m.nrows()))?;
    Ok(from_mat(x.as_ref(), a.dtype()))
}

/// Reduced QR: `q` (m×k, orthonormal columns) and `r` (k×n, upper), k = min(m, n),
/// with LAPACK's Householder sign convention (as `numpy.linalg.qr`).
pub(crate) fn qr_reduced(op: &str, a: &Array) -> Result<(Array, Array), KernelError> {
    let m = to_mat(op, a, "the matrix")?;
    let k = m.nrows().min(m.ncols());
    if k == 0 {
        let q = Mat::<f64>::zeros(m.nrows(), 0);
        let r = Mat::<f64>::zeros(0, m.ncols());
        return Ok((
            from_mat(q.as_ref(), a.dtype()),
            from_mat(r.as_ref(), a.dtype()),
        ));
    }
    let qr = crate::budget::in_kernel_pool(|| m.qr());
    let q = qr.compute_thin_Q();
    let r = qr.thin_R();
    let r = Mat::from_fn(k, m.ncols(), |i, j| if j >= i { r[(i, j)] } else { 0.0 });
    Ok((
        from_mat(q.as_ref(), a.dtype()),
        from_mat(r.as_ref(), a.dtype()),
    ))
}

fn one(op: &str, values: &[Value]) -> Result<Array, KernelError> {
    args::arity(op, values, 1)?;
    args::array(op, values, 0)
}

/// `potrf(a, parallel=False)`: Cholesky of one tile (lower factor).
pub(crate) fn potrf(values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "potrf";
    let a = one(op, values)?;
    with_parallelism(op, kwargs, |par| cholesky(op, &a, par)).map(Value::Array)
}

/// `linalg.cholesky(a)` on a whole array (every thread of the run's kernel pool).
pub(crate) fn linalg_cholesky(values: &[Value], _kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "linalg.cholesky";
    let a = one(op, values)?;
    crate::budget::in_kernel_pool(|| cholesky(op, &a, Par::rayon(0))).map(Value::Array)
}

/// `lu(a)` -> `(perm, l, u)` with `a[perm] == l @ u` (`perm` int64).
pub(crate) fn lu(values: &[Value], _kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "lu";
    let a = one(op, values)?;
    let (perm, l, u) = lu_factor(op, &a)?;
    let perm = from_vec(&[perm.len()], perm.into_iter().map(|p| p as i64).collect())
        .ok_or_else(|| err(op, "internal: permutation size"))?;
    Ok(Value::Tuple(
        vec![
            Value::Array(perm),
            Value::Array(from_mat(l.as_ref(), a.dtype())),
            Value::Array(from_mat(u.as_ref(), a.dtype())),
        ]
        .into(),
    ))
}

fn qr_value(op: &str, values: &[Value]) -> Result<Value, KernelError> {
    let (q, r) = qr_reduced(op, &one(op, values)?)?;
    Ok(Value::Tuple(vec![Value::Array(q), Value::Array(r)].into()))
}

/// `qr(a)` -> `(q, r)`, reduced.
pub(crate) fn qr(values: &[Value], _kwargs: &Kwargs) -> Result<Value, KernelError> {
    qr_value("qr", values)
}

/// `linalg.qr(a)` -> `(q, r)`, reduced (NumPy's default mode).
pub(crate) fn linalg_qr(values: &[Value], _kwargs: &Kwargs) -> Result<Value, KernelError> {
    qr_value("linalg.qr", values)
}

/// `inv(a)` on a tile.
pub(crate) fn inv(values: &[Value], _kwargs: &Kwargs) -> Result<Value, KernelError> {
    inverse("inv", &one("inv", values)?).map(Value::Array)
}

/// `linalg.inv(a)`.
pub(crate) fn linalg_inv(values: &[Value], _kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "linalg.inv";
    inverse(op, &one(op, values)?).map(Value::Array)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::layout::cast::typed;
    use crate::kernels::linalg::products::matmul_arrays;
    use tessera_ir::DType;

    fn mat(shape: [usize; 2], data: Vec<f64>) -> Array {
        from_vec(&shape, data).unwrap()
    }

    fn close(a: &Array, b: &Array, tol: f64) -> bool {
        let (x, y) = (typed::<f64>(a), typed::<f64>(b));
        x.shape() == y.shape() && x.iter().zip(y.iter()).all(|(p, q)| (p - q).abs() <= tol)
    }

    fn t(a: &Array) -> Array {
        crate::kernels::layout::axes::transpose_array("t", a, None).unwrap()
    }

    #[test]
    fn cholesky_matches_numpy_and_refuses_non_spd() {
        // np.linalg.cholesky([[4, 2], [2, 3]]) == [[2, 0], [1, sqrt(2)]].
        let a = mat([2, 2], vec![4.0, 2.0, 2.0, 3.0]);
        let l = cholesky("potrf", &a, Par::Seq).unwrap();
        assert!(close(
            &l,
            &mat([2, 2], vec![2.0, 0.0, 1.0, 2f64.sqrt()]),
            1e-15
        ));
        let bad = mat([2, 2], vec![1.0, 2.0, 2.0, 1.0]);
        let e = potrf(&[Value::Array(bad)], &Kwargs::new()).unwrap_err();
        assert!(
            e.0.starts_with("potrf: matrix is not positive definite"),
            "{e}"
        );
        let f32s = from_vec(&[1, 1], vec![9.0f32]).unwrap();
        assert_eq!(
            cholesky("c", &f32s, Par::Seq).unwrap(),
            from_vec(&[1, 1], vec![3.0f32]).unwrap()
        );
        assert!(cholesky("c", &mat([1, 2], vec![1.0, 2.0]), Par::Seq).is_err());
    }

    #[test]
    fn lu_reconstructs_with_the_row_permutation() {
        let a = mat([3, 3], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 10.0]);
        let Value::Tuple(parts) = lu(&[Value::Array(a.clone())], &Kwargs::new()).unwrap() else {
            panic!()
        };
        let (Value::Array(Array::I64(p)), Value::Array(l), Value::Array(u)) =
            (&parts[0], &parts[1], &parts[2])
        else {
            panic!()
        };
        // Partial pivoting picks the largest first pivot: row 2.
        assert_eq!(p[[0]], 2);
        let lu = matmul_arrays("t", l, u).unwrap();
        let av = typed::<f64>(&a);
        let permuted: Vec<f64> = p
            .iter()
            .flat_map(|&r| (0..3).map(move |c| (r as usize, c)))
            .map(|(r, c)| av[[r, c]])
            .collect();
        assert!(close(&lu, &mat([3, 3], permuted), 1e-12));
    }

    #[test]
    fn inverse_and_singular_matrices() {
        let a = mat([2, 2], vec![4.0, 7.0, 2.0, 6.0]);
        let inv_a = inverse("inv", &a).unwrap();
        assert!(close(
            &inv_a,
            &mat([2, 2], vec![0.6, -0.7, -0.2, 0.4]),
            1e-15
        ));
        let singular = mat([3, 3], vec![1.0, 2.0, 3.0, 2.0, 4.0, 6.0, 1.0, 0.0, 1.0]);
        let e = linalg_inv(&[Value::Array(singular)], &Kwargs::new()).unwrap_err();
        assert!(e.0.starts_with("linalg.inv: singular matrix"), "{e}");
        assert!(inverse("inv", &mat([2, 2], vec![0.0; 4])).is_err());
        let i = from_vec(&[2, 2], vec![2i64, 0, 0, 4]).unwrap();
        let Array::F64(x) = inverse("inv", &i).unwrap() else {
            panic!("ints invert to float64")
        };
        assert_eq!(x[[1, 1]], 0.25);
    }

    #[test]
    fn qr_is_reduced_orthonormal_and_numpy_signed() {
        let a = mat([3, 2], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let Value::Tuple(parts) = linalg_qr(&[Value::Array(a.clone())], &Kwargs::new()).unwrap()
        else {
            panic!()
        };
        let (Value::Array(q), Value::Array(r)) = (&parts[0], &parts[1]) else {
            panic!()
        };
        assert_eq!((q.shape(), r.shape()), (&[3usize, 2][..], &[2usize, 2][..]));
        assert!(close(&matmul_arrays("t", q, r).unwrap(), &a, 1e-12));
        assert!(close(
            &matmul_arrays("t", &t(q), q).unwrap(),
            &mat([2, 2], vec![1.0, 0.0, 0.0, 1.0]),
            1e-12
        ));
        // numpy.linalg.qr: r = [[-5.916079783099616, -7.437357441610946], [0, 0.8280786712108251]].
        assert!(close(
            r,
            &mat(
                [2, 2],
                vec![
                    -5.916079783099616,
                    -7.437357441610946,
                    0.0,
                    0.8280786712108251
                ]
            ),
            1e-12
        ));
        let (q, r) = qr_reduced(
            "qr",
            &from_vec(&[2, 3], vec![1.0f32, 0.0, 0.0, 0.0, 1.0, 0.0]).unwrap(),
        )
        .unwrap();
        assert_eq!(
            (q.shape(), r.shape(), q.dtype()),
            (&[2usize, 2][..], &[2usize, 3][..], DType::Float32)
        );
    }

    /// The textbook (unblocked, Cholesky–Banachiewicz) lower factor of a row-major
    /// `n × n` matrix, reading its lower triangle only.
    fn naive_cholesky(a: &[f64], n: usize) -> Vec<f64> {
        let mut l = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..=i {
                let s: f64 = (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
                l[i * n + j] = if i == j {
                    (a[i * n + i] - s).sqrt()
                } else {
                    (a[i * n + j] - s) / l[j * n + j]
                };
            }
        }
        l
    }

    /// A random SPD matrix `R Rᵀ + n I` whose strict upper triangle is then
    /// overwritten with garbage (potrf must not read it).
    fn spd_with_garbage_above(n: usize, seed: u64) -> Vec<f64> {
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let r: Vec<f64> = (0..n * n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 11) as f64 / (1u64 << 53) as f64
            })
            .collect();
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                a[i * n + j] = if j > i {
                    -1e3
                } else {
                    (0..n).map(|k| r[i * n + k] * r[j * n + k]).sum::<f64>()
                        + if i == j { n as f64 } else { 0.0 }
                };
            }
        }
        a
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

        /// potrf (sequential and parallel) equals the unblocked factor, reads only the
        /// lower triangle and returns zeros above the diagonal.
        #[test]
        fn potrf_matches_the_unblocked_factor(n in 1usize..70, seed in 0u64..1000, parallel: bool) {
            let a = spd_with_garbage_above(n, seed);
            let kw = serde_json::json!({"parallel": parallel});
            let Value::Array(l) = potrf(&[Value::Array(mat([n, n], a.clone()))], kw.as_object().unwrap()).unwrap() else {
                panic!()
            };
            let want = mat([n, n], naive_cholesky(&a, n));
            proptest::prop_assert!(close(&l, &want, 1e-12));
        }
    }

    #[test]
    fn potrf_names_the_failing_minor_and_refuses_bad_flags() {
        // The leading 2 x 2 minor of [[1, 2, 0], [2, 1, 0], [0, 0, 1]] is negative.
        let a = mat([3, 3], vec![1.0, 2.0, 0.0, 2.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
        let e = potrf(&[Value::Array(a.clone())], &Kwargs::new()).unwrap_err();
        assert!(e.0.contains("leading minor of order 2"), "{e}");
        let kw = serde_json::json!({"parallel": "yes"});
        assert!(potrf(&[Value::Array(a)], kw.as_object().unwrap()).is_err());
        // A strided view (a region of a bigger array) is read as it is.
        let big = mat([4, 4], spd_with_garbage_above(4, 7));
        let Array::F64(x) = &big else { panic!() };
        let view = Array::F64(x.clone().slice_move(ndarray::s![1..3, 1..3]).into_dyn());
        let want = {
            let v: Vec<f64> = typed::<f64>(&view).iter().copied().collect();
            mat([2, 2], naive_cholesky(&v, 2))
        };
        assert!(close(
            &cholesky("potrf", &view, Par::Seq).unwrap(),
            &want,
            1e-14
        ));
    }
}
