//! Trailing-matrix updates of blocked factorizations: `syrk` (C − A Aᵀ) and `gemm` (C − A Bᵀ).

use faer::linalg::matmul::matmul;
use faer::{Accum, Par};

use super::convert::{float_dtype, from_mat, to_mat};
use crate::kernels::KernelError;
use crate::kernels::reduce::args::{self, Kwargs, err};
use crate::value::{Array, Value};

fn update(op: &str, c: &Array, a: &Array, b: &Array, trans_b: bool) -> Result<Value, KernelError> {
    let mut cm = to_mat(op, c, "c")?;
    let (am, bm) = (to_mat(op, a, "a")?, to_mat(op, b, "b")?);
    let bm = if trans_b {
        bm
    } else {
        bm.transpose().to_owned()
    };
    if am.nrows() != cm.nrows() || bm.nrows() != cm.ncols() || am.ncols() != bm.ncols() {
        return Err(err(
            op,
            format!(
                "c {:?} - a {:?} @ bᵀ {:?}: shapes do not match",
                c.shape(),
                a.shape(),
                b.shape()
            ),
        ));
    }
    matmul(
        cm.as_mut(),
        Accum::Add,
        am.as_ref(),
        bm.transpose(),
        -1.0,
        Par::Seq,
    );
    let dtype = float_dtype(c.dtype().promote(a.dtype()).promote(b.dtype()));
    Ok(Value::Array(from_mat(cm.as_ref(), dtype)))
}

/// `syrk(c, a)` = c − a aᵀ (the whole tile, both triangles).
pub(crate) fn syrk(values: &[Value], _kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "syrk";
    args::arity(op, values, 2)?;
    let (c, a) = (args::array(op, values, 0)?, args::array(op, values, 1)?);
    update(op, &c, &a, &a, true)
}

/// `gemm(c, a, b, trans_b=True)` = c − a bᵀ (c − a b when `trans_b` is false).
pub(crate) fn gemm(values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "gemm";
    args::arity(op, values, 3)?;
    let (c, a, b) = (
        args::array(op, values, 0)?,
        args::array(op, values, 1)?,
        args::array(op, values, 2)?,
    );
    let trans_b = args::boolean(op, kwargs, "trans_b", true)?;
    update(op, &c, &a, &b, trans_b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::layout::cast::from_vec;

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
}
