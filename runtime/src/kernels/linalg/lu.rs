//! Tile kernels of the blocked right-looking LU with partial pivoting (`linalg.solve`,
//! `linalg.inv`): `lu-panel` factors the column of tiles at step k, `lu-row` applies
//! the step's row swaps to another block column and solves its U row, `lu-forward`
//! runs one step of forward substitution on a right-hand side.
//!
//! The panel's pivots are chosen over the whole column (the tall panel, faer's
//! partial-pivot LU), and its swaps are applied to the columns to its right and to
//! the right-hand side, not to the L tiles on its left: forward substitution then
//! applies each step's permutation in turn, which is the same elimination.

use faer::linalg::matmul::matmul;
use faer::linalg::triangular_solve::solve_unit_lower_triangular_in_place;
use faer::{Accum, Mat, MatRef, Par};
use tessera_ir::DType;

use super::convert::{float_dtype, from_mat, to_mat};
use crate::kernels::KernelError;
use crate::kernels::layout::cast::{from_vec, typed};
use crate::kernels::reduce::args::{self, Kwargs, err};
use crate::value::{Array, Value};

/// The tiles of one block column stacked into a matrix, with their heights; a
/// 1-d tile (a vector right-hand side) is one column, and `vector` says so.
struct Stack {
    mat: Mat<f64>,
    heights: Vec<usize>,
    vector: bool,
    dtype: DType,
}

fn stack(op: &str, tiles: &[Array]) -> Result<Stack, KernelError> {
    let first = tiles
        .first()
        .ok_or_else(|| err(op, "needs at least one tile"))?;
    let vector = first.ndim() == 1;
    let width = if vector { 1 } else { first.shape()[1] };
    let mut heights = Vec::with_capacity(tiles.len());
    let mut dtype = first.dtype();
    for (i, t) in tiles.iter().enumerate() {
        let ok = match t.shape() {
            [_] => vector,
            [_, w] => !vector && *w == width,
            _ => false,
        };
        if !ok {
            return Err(err(
                op,
                format!(
                    "tile {i} has shape {:?}, the first tile {:?}",
                    t.shape(),
                    first.shape()
                ),
            ));
        }
        heights.push(t.shape()[0]);
        dtype = dtype.promote(t.dtype());
    }
    let rows: usize = heights.iter().sum();
    let mut mat = Mat::<f64>::zeros(rows, width);
    let mut r0 = 0;
    for t in tiles {
        let x = typed::<f64>(t);
        let h = t.shape()[0];
        if vector {
            for (r, v) in x.iter().enumerate() {
                mat[(r0 + r, 0)] = *v;
            }
        } else {
            let x = x
                .into_dimensionality::<ndarray::Ix2>()
                .map_err(|e| err(op, e))?;
            for ((r, c), v) in x.indexed_iter() {
                mat[(r0 + r, c)] = *v;
            }
        }
        r0 += h;
    }
    Ok(Stack {
        mat,
        heights,
        vector,
        dtype: float_dtype(dtype),
    })
}

impl Stack {
    /// Rows permuted: row `r` of the result is row `perm[r]` of the stack.
    fn permuted(&self, op: &str, perm: &[usize]) -> Result<Mat<f64>, KernelError> {
        if perm.len() != self.mat.nrows() || perm.iter().any(|&p| p >= perm.len()) {
            return Err(err(
                op,
                format!(
                    "the permutation has {} entries, the block column {} rows",
                    perm.len(),
                    self.mat.nrows()
                ),
            ));
        }
        Ok(Mat::from_fn(self.mat.nrows(), self.mat.ncols(), |r, c| {
            self.mat[(perm[r], c)]
        }))
    }

    /// A matrix as a tile of this stack's kind (a vector when the stack is one).
    fn tile(&self, op: &str, m: MatRef<'_, f64>, dtype: DType) -> Result<Value, KernelError> {
        let out = from_mat(m, dtype);
        if self.vector {
            let data: Vec<f64> = (0..m.nrows()).map(|r| m[(r, 0)]).collect();
            let v = from_vec(&[m.nrows()], data).ok_or_else(|| err(op, "internal: vector"))?;
            return Ok(Value::Array(crate::kernels::layout::cast::cast(
                &v,
                float_dtype(dtype),
            )));
        }
        Ok(Value::Array(out))
    }
}

/// `lu-panel([tiles of column k, rows k..], step?, offset?)` -> the tuple
/// `(perm, u_kk, l_kk, l_(k+1)k, ...)`: the panel's rows permuted by `perm` (int64,
/// over the panel's rows) equal `L U` with `L` unit lower, cut into tiles of the
/// input's heights. An exact zero pivot is a singular matrix, named by its column
/// (`offset` + local column) and the step.
pub(crate) fn lu_panel(values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "lu-panel";
    args::arity(op, values, 1)?;
    let tiles = args::array_list(op, values, 0)?;
    let s = stack(op, &tiles)?;
    if s.vector {
        return Err(err(op, "panel tiles must be 2-d"));
    }
    let step = args::int(op, kwargs, "step")?.unwrap_or(0);
    let offset = args::int(op, kwargs, "offset")?.unwrap_or(0);
    let (m, w) = (s.mat.nrows(), s.mat.ncols());
    if s.heights[0] != w || m < w {
        return Err(err(
            op,
            format!(
                "the diagonal tile of step {step} must be square, got {} x {w}",
                s.heights[0]
            ),
        ));
    }
    let (perm, l, u) = if w == 0 {
        ((0..m).collect(), Mat::zeros(m, 0), Mat::zeros(0, 0))
    } else {
        // faer's global parallelism, inside the run's kernel pool.
        let mat = s.mat.as_ref();
        let lu = crate::budget::in_kernel_pool(|| mat.partial_piv_lu());
        let perm: Vec<usize> = lu.P().arrays().0.to_vec();
        (perm, lu.L().to_owned(), lu.U().to_owned())
    };
    if let Some(j) = (0..w).find(|&j| u[(j, j)] == 0.0 || u[(j, j)].is_nan()) {
        return Err(err(
            op,
            format!(
                "singular matrix: no nonzero pivot in column {} (step {step}, diagonal tile ({step}, {step}), local column {j})",
                offset + j as i64
            ),
        ));
    }
    let perm_arr = from_vec(&[m], perm.iter().map(|&p| p as i64).collect())
        .ok_or_else(|| err(op, "internal: permutation size"))?;
    let mut parts = vec![
        Value::Array(perm_arr),
        Value::Array(from_mat(u.as_ref(), s.dtype)),
    ];
    let mut r0 = 0;
    for &h in &s.heights {
        parts.push(Value::Array(from_mat(l.as_ref().subrows(r0, h), s.dtype)));
        r0 += h;
    }
    Ok(Value::Tuple(parts.into()))
}

/// The permutation and unit lower diagonal factor of a panel tuple, and its L tiles.
struct Panel {
    perm: Vec<usize>,
    l: Vec<Mat<f64>>,
}

fn panel(op: &str, values: &[Value]) -> Result<Panel, KernelError> {
    let parts = args::array_list(op, values, 0)?;
    if parts.len() < 3 {
        return Err(err(
            op,
            "argument 0 must be an lu-panel tuple (perm, u, l tiles)",
        ));
    }
    let Array::I64(p) = &parts[0] else {
        return Err(err(op, "the panel's permutation must be int64"));
    };
    let perm = p
        .iter()
        .map(|&x| usize::try_from(x).map_err(|_| err(op, "negative permutation entry")))
        .collect::<Result<_, _>>()?;
    let l = parts[2..]
        .iter()
        .map(|t| to_mat(op, t, "an L tile"))
        .collect::<Result<_, _>>()?;
    Ok(Panel { perm, l })
}

/// `c - a @ b` into `c`.
fn subtract_product(c: &mut Mat<f64>, a: MatRef<'_, f64>, b: MatRef<'_, f64>) {
    matmul(c.as_mut(), Accum::Add, a, b, -1.0, Par::Seq);
}

/// Applies the panel's row swaps to a block column (tiles of rows k..), solves the
/// diagonal unit lower factor on its first tile, and subtracts `L_ik @` that from
/// the others when `update` (forward substitution) — or leaves them for the GEMM
/// tasks (the U row of the factorization).
fn eliminate(op: &str, values: &[Value], update: bool) -> Result<Value, KernelError> {
    args::arity(op, values, 2)?;
    let p = panel(op, values)?;
    let tiles = args::array_list(op, values, 1)?;
    let s = stack(op, &tiles)?;
    if s.heights.len() != p.l.len() {
        return Err(err(
            op,
            format!(
                "{} tiles for a panel of {} tiles",
                s.heights.len(),
                p.l.len()
            ),
        ));
    }
    if let Some(i) = (0..p.l.len()).find(|&i| p.l[i].nrows() != s.heights[i]) {
        return Err(err(
            op,
            format!(
                "tile {i} has {} rows, the panel's {}",
                s.heights[i],
                p.l[i].nrows()
            ),
        ));
    }
    let x = s.permuted(op, &p.perm)?;
    let h0 = s.heights[0];
    let mut head = x.as_ref().subrows(0, h0).to_owned();
    solve_unit_lower_triangular_in_place(p.l[0].as_ref(), head.as_mut(), Par::Seq);
    let mut parts = vec![s.tile(op, head.as_ref(), s.dtype)?];
    let mut r0 = h0;
    for (i, &h) in s.heights.iter().enumerate().skip(1) {
        let mut rows = x.as_ref().subrows(r0, h).to_owned();
        if update {
            subtract_product(&mut rows, p.l[i].as_ref(), head.as_ref());
        }
        parts.push(s.tile(op, rows.as_ref(), s.dtype)?);
        r0 += h;
    }
    Ok(Value::Tuple(parts.into()))
}

/// `lu-row(panel, [tiles of column j, rows k..])` -> `(u_kj, a'_(k+1)j, ...)`: the
/// step's row swaps applied to block column j, `u_kj = L_kk⁻¹ a'_kj`, the other
/// swapped tiles as they are (the GEMM tasks update them).
pub(crate) fn lu_row(values: &[Value], _kwargs: &Kwargs) -> Result<Value, KernelError> {
    eliminate("lu-row", values, false)
}

/// `lu-forward(panel, [right-hand side tiles, rows k..])` -> `(y_k, b'_(k+1), ...)`:
/// one step of forward substitution (swaps, `y_k = L_kk⁻¹ b'_k`, `b'_i -= L_ik y_k`).
pub(crate) fn lu_forward(values: &[Value], _kwargs: &Kwargs) -> Result<Value, KernelError> {
    eliminate("lu-forward", values, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::linalg::products::matmul_arrays;

    fn mat(shape: [usize; 2], data: Vec<f64>) -> Array {
        from_vec(&shape, data).unwrap()
    }

    fn parts(v: Value) -> Vec<Array> {
        let Value::Tuple(p) = v else { panic!("{v:?}") };
        p.iter()
            .map(|x| match x {
                Value::Array(a) => a.clone(),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn panel_factors_the_tall_column_with_pivoting() {
        // Column of two tiles: [[1, 2], [3, 4]] over [[5, 6]].
        let top = mat([2, 2], vec![1.0, 2.0, 3.0, 4.0]);
        let bottom = mat([1, 2], vec![5.0, 6.0]);
        let v = lu_panel(
            &[Value::List(
                vec![Value::Array(top), Value::Array(bottom)].into(),
            )],
            &Kwargs::new(),
        )
        .unwrap();
        let p = parts(v);
        assert_eq!(p.len(), 4);
        let Array::I64(perm) = &p[0] else { panic!() };
        // Partial pivoting picks the largest first entry, row 2 (5.0).
        assert_eq!(perm[[0]], 2);
        let l = crate::kernels::layout::concat::concatenate_arrays(
            "t",
            &[p[2].clone(), p[3].clone()],
            0,
        )
        .unwrap();
        let lu = matmul_arrays("t", &l, &p[1]).unwrap();
        let all = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let want: Vec<f64> = perm
            .iter()
            .flat_map(|&r| [all[2 * r as usize], all[2 * r as usize + 1]])
            .collect();
        let got = typed::<f64>(&lu);
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-12, "{got:?} vs {want:?}");
        }
    }

    #[test]
    fn singular_panel_names_the_step_and_column() {
        let t = mat([2, 2], vec![1.0, 2.0, 2.0, 4.0]);
        let mut kw = Kwargs::new();
        kw.insert("step".into(), 3.into());
        kw.insert("offset".into(), 6.into());
        let e = lu_panel(&[Value::List(vec![Value::Array(t)].into())], &kw).unwrap_err();
        assert!(
            e.0.contains("singular matrix") && e.0.contains("column 7") && e.0.contains("step 3"),
            "{e}"
        );
    }

    #[test]
    fn forward_step_swaps_solves_and_updates() {
        // One tile panel [[2]] over [[4]]: pivot row 1 (4), L = [1, 0.5], U = [4].
        let pv = lu_panel(
            &[Value::List(
                vec![
                    Value::Array(mat([1, 1], vec![2.0])),
                    Value::Array(mat([1, 1], vec![4.0])),
                ]
                .into(),
            )],
            &Kwargs::new(),
        )
        .unwrap();
        let b = [
            Value::Array(from_vec(&[1], vec![1.0]).unwrap()),
            Value::Array(from_vec(&[1], vec![6.0]).unwrap()),
        ];
        let out = parts(
            lu_forward(
                &[pv.clone(), Value::List(b.to_vec().into())],
                &Kwargs::new(),
            )
            .unwrap(),
        );
        // Swapped b = [6, 1]; y0 = 6; b1 = 1 - 0.5 * 6 = -2.
        assert_eq!(
            typed::<f64>(&out[0]).iter().copied().collect::<Vec<_>>(),
            [6.0]
        );
        assert_eq!(
            typed::<f64>(&out[1]).iter().copied().collect::<Vec<_>>(),
            [-2.0]
        );
        let row = parts(lu_row(&[pv, Value::List(b.to_vec().into())], &Kwargs::new()).unwrap());
        assert_eq!(
            typed::<f64>(&row[1]).iter().copied().collect::<Vec<_>>(),
            [1.0]
        );
    }
}
