//! Triangular and general solves: the tile kernel `trsm`, `linalg.solve_triangular` (scipy) and `linalg.solve`.

use faer::linalg::triangular_solve as ts;
use faer::{Mat, MatMut, MatRef, Par};
use serde_json::Value as Json;

use super::convert::{Rows, Tile, float_dtype, from_mat, to_mat, to_square, with_parallelism};
use super::factor::lu_solve;
use crate::kernels::KernelError;
use crate::kernels::layout::reshape::reshape_array;
use crate::kernels::reduce::args::{self, Kwargs, err};
use crate::value::{Array, Value};

/// Solves `op(t) x = b` in place (`b` becomes `x`), `t` triangular (`lower`), `op` =
/// transpose when `trans`.
fn solve_left(
    op: &str,
    t: MatRef<'_, f64>,
    lower: bool,
    trans: bool,
    unit: bool,
    b: MatMut<'_, f64>,
    par: Par,
) -> Result<(), KernelError> {
    if !unit && let Some(i) = (0..t.nrows()).find(|&i| t[(i, i)] == 0.0) {
        return Err(err(
            op,
            format!("singular matrix: zero on the diagonal at index {i}"),
        ));
    }
    let (t, lower) = if trans {
        (t.transpose(), !lower)
    } else {
        (t, lower)
    };
    let rhs = b;
    match (lower, unit) {
        (true, false) => ts::solve_lower_triangular_in_place(t, rhs, par),
        (true, true) => ts::solve_unit_lower_triangular_in_place(t, rhs, par),
        (false, false) => ts::solve_upper_triangular_in_place(t, rhs, par),
        (false, true) => ts::solve_unit_upper_triangular_in_place(t, rhs, par),
    }
    Ok(())
}

/// The right-hand side as a matrix, and whether it was a vector.
fn rhs(op: &str, b: &Array) -> Result<(Mat<f64>, bool), KernelError> {
    match b.ndim() {
        1 => Ok((
            to_mat(op, &reshape_array(op, b, &[b.len(), 1])?, "b")?,
            true,
        )),
        2 => Ok((to_mat(op, b, "b")?, false)),
        _ => Err(err(
            op,
            format!("b must be 1-d or 2-d, got shape {:?}", b.shape()),
        )),
    }
}

fn output(op: &str, x: Mat<f64>, vector: bool, a: &Array, b: &Array) -> Result<Value, KernelError> {
    let dtype = float_dtype(a.dtype().promote(b.dtype()));
    let out = from_mat(x.as_ref(), dtype);
    let out = if vector {
        reshape_array(op, &out, &[out.len()])?
    } else {
        out
    };
    Ok(Value::Array(out))
}

fn trans_flag(op: &str, kwargs: &Kwargs) -> Result<bool, KernelError> {
    match kwargs.get("trans") {
        None | Some(Json::Null) => Ok(false),
        Some(Json::Bool(b)) => Ok(*b),
        Some(Json::Number(n)) => match n.as_i64() {
            Some(0) => Ok(false),
            Some(1 | 2) => Ok(true),
            _ => Err(err(
                op,
                format!("`trans` must be 0, 1, 2, 'N', 'T' or 'C', got {n}"),
            )),
        },
        Some(Json::String(s)) => match s.as_str() {
            "N" => Ok(false),
            "T" | "C" => Ok(true),
            _ => Err(err(
                op,
                format!("`trans` must be 0, 1, 2, 'N', 'T' or 'C', got {s:?}"),
            )),
        },
        Some(other) => Err(err(op, format!("bad `trans`: {other}"))),
    }
}

/// `trsm(a, b, side='left', lower=true, trans=false, unit_diagonal=false,
/// parallel=false)`: solves `op(a) x = b` (left) or `x op(a) = b` (right) for a
/// triangular tile `a`, in place in a row-major copy of `b` (for `right`, its
/// transpose is column-major: `op(a)ᵀ xᵀ = bᵀ` is solved on it directly).
pub(crate) fn trsm(values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "trsm";
    args::arity(op, values, 2)?;
    let (a, b) = (args::array(op, values, 0)?, args::array(op, values, 1)?);
    let t = Rows::new(op, &a, "a")?;
    let n = t.mat().nrows();
    if t.mat().ncols() != n {
        return Err(err(
            op,
            format!("a must be square, got shape {:?}", a.shape()),
        ));
    }
    let lower = args::boolean(op, kwargs, "lower", true)?;
    let trans = trans_flag(op, kwargs)?;
    let unit = args::boolean(op, kwargs, "unit_diagonal", false)?;
    let right = match kwargs.get("side") {
        None | Some(Json::Null) => false,
        Some(Json::String(s)) if s == "left" => false,
        Some(Json::String(s)) if s == "right" => true,
        Some(other) => {
            return Err(err(
                op,
                format!("`side` must be \"left\" or \"right\", got {other}"),
            ));
        }
    };
    let x = with_parallelism(op, kwargs, |par| {
        let mut x = Tile::copy_of(op, &b, "b")?;
        let (rows, cols) = x.shape();
        if right {
            if cols != n {
                return Err(err(op, format!("b has {cols} columns, a is {n}×{n}")));
            }
            solve_left(
                op,
                t.mat(),
                lower,
                !trans,
                unit,
                x.mat_mut().transpose_mut(),
                par,
            )?;
        } else {
            if rows != n {
                return Err(err(op, format!("b has {rows} rows, a is {n}×{n}")));
            }
            solve_left(op, t.mat(), lower, trans, unit, x.mat_mut(), par)?;
        }
        Ok(x)
    })?;
    let dtype = float_dtype(a.dtype().promote(b.dtype()));
    Ok(Value::Array(x.into_array(dtype)))
}

/// `linalg.solve_triangular(a, b, lower=false, trans=0, unit_diagonal=false)` as scipy.
pub(crate) fn solve_triangular(values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "linalg.solve_triangular";
    args::arity(op, values, 2)?;
    let (a, b) = (args::array(op, values, 0)?, args::array(op, values, 1)?);
    let t = to_square(op, &a, "a")?;
    let (mut x, vector) = rhs(op, &b)?;
    if x.nrows() != t.nrows() {
        return Err(err(
            op,
            format!(
                "shapes of a {:?} and b {:?} are incompatible",
                a.shape(),
                b.shape()
            ),
        ));
    }
    let lower = args::boolean(op, kwargs, "lower", false)?;
    let unit = args::boolean(op, kwargs, "unit_diagonal", false)?;
    let trans = trans_flag(op, kwargs)?;
    solve_left(op, t.as_ref(), lower, trans, unit, x.as_mut(), Par::Seq)?;
    output(op, x, vector, &a, &b)
}

/// `linalg.solve(a, b)`: LU with partial pivoting; a singular `a` is an error.
pub(crate) fn solve(values: &[Value], _kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "linalg.solve";
    args::arity(op, values, 2)?;
    let (a, b) = (args::array(op, values, 0)?, args::array(op, values, 1)?);
    to_square(op, &a, "a")?;
    let (bm, vector) = rhs(op, &b)?;
    let x = lu_solve(op, &a, bm)?;
    output(op, x, vector, &a, &b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::layout::cast::{from_vec, typed};
    use serde_json::json;

    fn run(
        f: crate::kernels::KernelFn,
        a: &Array,
        b: &Array,
        kw: serde_json::Value,
    ) -> Result<Vec<f64>, KernelError> {
        match f(
            &[Value::Array(a.clone()), Value::Array(b.clone())],
            kw.as_object().unwrap(),
        )? {
            Value::Array(x) => Ok(typed::<f64>(&x).iter().copied().collect()),
            other => panic!("{other:?}"),
        }
    }

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12)
    }

    #[test]
    fn trsm_all_sides_and_flags() {
        // L = [[2, 0], [1, 4]]; U = Lᵀ.
        let l = from_vec(&[2, 2], vec![2.0, 0.0, 1.0, 4.0]).unwrap();
        let b = from_vec(&[2, 2], vec![2.0, 4.0, 9.0, 6.0]).unwrap();
        // L x = b: x row0 = [1, 2], row1 = ([9, 6] - [1, 2]) / 4 = [2, 1].
        assert!(close(
            &run(trsm, &l, &b, json!({})).unwrap(),
            &[1.0, 2.0, 2.0, 1.0]
        ));
        // Lᵀ x = b: x row1 = [9, 6]/4, row0 = ([2, 4] - row1)/2.
        assert!(close(
            &run(trsm, &l, &b, json!({"trans": true})).unwrap(),
            &[-0.125, 1.25, 2.25, 1.5]
        ));
        // x L = b: column 1 first: x[:,1] = b[:,1]/4, x[:,0] = (b[:,0] - x[:,1])/2.
        assert!(close(
            &run(trsm, &l, &b, json!({"side": "right"})).unwrap(),
            &[0.5, 1.0, 3.75, 1.5]
        ));
        // x Lᵀ = b: x[:,0] = b[:,0]/2, x[:,1] = (b[:,1] - x[:,0])/4.
        assert!(close(
            &run(trsm, &l, &b, json!({"side": "right", "trans": true})).unwrap(),
            &[1.0, 0.75, 4.5, 0.375]
        ));
        // Unit diagonal ignores the stored diagonal.
        assert!(close(
            &run(trsm, &l, &b, json!({"unit_diagonal": true})).unwrap(),
            &[2.0, 4.0, 7.0, 2.0]
        ));
        let sing = from_vec(&[2, 2], vec![0.0, 0.0, 1.0, 4.0]).unwrap();
        assert!(
            run(trsm, &sing, &b, json!({}))
                .unwrap_err()
                .0
                .contains("singular matrix")
        );
        assert!(run(trsm, &l, &b, json!({"side": "up"})).is_err());
    }

    #[test]
    fn solve_triangular_defaults_to_upper_and_keeps_vectors() {
        let u = from_vec(&[2, 2], vec![2.0, 1.0, 0.0, 4.0]).unwrap();
        let v = from_vec(&[2], vec![4.0, 8.0]).unwrap();
        let Value::Array(x) = solve_triangular(
            &[Value::Array(u.clone()), Value::Array(v.clone())],
            &Kwargs::new(),
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(x.shape(), &[2]);
        assert!(close(
            &typed::<f64>(&x).iter().copied().collect::<Vec<_>>(),
            &[1.0, 2.0]
        ));
        // lower=True reads only the lower triangle ([[2, 0], [0, 4]]), as scipy.
        assert!(close(
            &run(solve_triangular, &u, &v, json!({"lower": true})).unwrap(),
            &[2.0, 2.0]
        ));
        assert!(close(
            &run(solve_triangular, &u, &v, json!({"trans": "T"})).unwrap(),
            &[2.0, 1.5]
        ));
    }

    #[test]
    fn solve_general_and_singular() {
        let a = from_vec(
            &[3, 3],
            vec![3.0, 2.0, -1.0, 2.0, -2.0, 4.0, -1.0, 0.5, -1.0],
        )
        .unwrap();
        let b = from_vec(&[3], vec![1.0, -2.0, 0.0]).unwrap();
        // The classic example: x = [1, -2, -2].
        assert!(close(
            &run(solve, &a, &b, json!({})).unwrap(),
            &[1.0, -2.0, -2.0]
        ));
        let b2 = from_vec(&[3, 1], vec![1.0, -2.0, 0.0]).unwrap();
        let Value::Array(x) =
            solve(&[Value::Array(a.clone()), Value::Array(b2)], &Kwargs::new()).unwrap()
        else {
            panic!()
        };
        assert_eq!(x.shape(), &[3, 1]);
        let s = from_vec(&[2, 2], vec![1.0, 2.0, 2.0, 4.0]).unwrap();
        let e = run(
            solve,
            &s,
            &from_vec(&[2], vec![1.0, 1.0]).unwrap(),
            json!({}),
        )
        .unwrap_err();
        assert!(e.0.starts_with("linalg.solve: singular matrix"), "{e}");
        assert!(
            run(
                solve,
                &a,
                &from_vec(&[2], vec![1.0, 1.0]).unwrap(),
                json!({})
            )
            .is_err()
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Every side, triangle, transpose and parallelism: the solution satisfies
        /// its equation (checked by the textbook product).
        #[test]
        fn trsm_solutions_satisfy_their_equation(
            n in 1usize..40, other in 1usize..30, seed in 0u64..1000,
            right: bool, lower: bool, trans: bool, unit: bool, parallel: bool,
        ) {
            let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            let mut next = move || {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
            };
            // A well-conditioned triangle; the other triangle holds garbage that
            // must not be read.
            let t: Vec<f64> = (0..n * n)
                .map(|x| {
                    let (i, j) = (x / n, x % n);
                    let inside = if lower { j <= i } else { j >= i };
                    match (i == j, inside) {
                        (true, _) => 2.0 + next(),
                        (false, true) => next() / n as f64,
                        (false, false) => 1e3,
                    }
                })
                .collect();
            let (rows, cols) = if right { (other, n) } else { (n, other) };
            let b: Vec<f64> = (0..rows * cols).map(|_| next()).collect();
            let kw = json!({"side": if right { "right" } else { "left" }, "lower": lower,
                            "trans": trans, "unit_diagonal": unit, "parallel": parallel});
            let x = run(trsm, &from_vec(&[n, n], t.clone()).unwrap(), &from_vec(&[rows, cols], b.clone()).unwrap(), kw).unwrap();
            // op(t)[i][j], with the unread triangle as zeros and a unit diagonal when asked.
            let op_t = |i: usize, j: usize| {
                let (r, c) = if trans { (j, i) } else { (i, j) };
                let inside = if lower { c <= r } else { c >= r };
                if r == c && unit { 1.0 } else if inside { t[r * n + c] } else { 0.0 }
            };
            for i in 0..rows {
                for j in 0..cols {
                    let got: f64 = if right {
                        (0..n).map(|p| x[i * cols + p] * op_t(p, j)).sum()
                    } else {
                        (0..n).map(|p| op_t(i, p) * x[p * cols + j]).sum()
                    };
                    proptest::prop_assert!((got - b[i * cols + j]).abs() < 1e-10, "({i}, {j}): {got} vs {}", b[i * cols + j]);
                }
            }
        }
    }
}
