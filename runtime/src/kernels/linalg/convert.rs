//! Moving matrices between tessera arrays and faer (`float64` inside; float32 results cast back).

use faer::{Mat, MatRef};
use tessera_ir::DType;

use crate::kernels::KernelError;
use crate::kernels::layout::cast::{cast, typed};
use crate::kernels::reduce::args::err;
use crate::value::Array;

/// NumPy's result dtype of a linalg routine: float32 stays float32, the rest is float64.
pub(crate) fn float_dtype(input: DType) -> DType {
    if input == DType::Float32 {
        DType::Float32
    } else {
        DType::Float64
    }
}

/// A 2-d array as a faer matrix of `f64`.
pub(crate) fn to_mat(op: &str, a: &Array, what: &str) -> Result<Mat<f64>, KernelError> {
    if a.ndim() != 2 {
        return Err(err(
            op,
            format!("{what} must be 2-d, got shape {:?}", a.shape()),
        ));
    }
    let x = typed::<f64>(a);
    let (m, n) = (a.shape()[0], a.shape()[1]);
    if let Some(slice) = x.as_slice() {
        // Row-major contiguous: one transposing copy into faer's column-major layout.
        return Ok(MatRef::from_row_major_slice(slice, m, n).to_owned());
    }
    Ok(Mat::from_fn(m, n, |i, j| x[[i, j]]))
}

/// A square 2-d array as a faer matrix of `f64`.
pub(crate) fn to_square(op: &str, a: &Array, what: &str) -> Result<Mat<f64>, KernelError> {
    let m = to_mat(op, a, what)?;
    if m.nrows() != m.ncols() {
        return Err(err(
            op,
            format!("{what} must be square, got shape {:?}", a.shape()),
        ));
    }
    Ok(m)
}

/// A faer matrix as an array of `dtype` (float32 or float64).
pub(crate) fn from_mat(m: MatRef<'_, f64>, dtype: DType) -> Array {
    let (rows, cols) = (m.nrows(), m.ncols());
    let mut data = vec![0.0f64; rows * cols];
    for j in 0..cols {
        let col = m.col(j);
        for (i, v) in col.iter().enumerate() {
            data[i * cols + j] = *v;
        }
    }
    let out = ndarray::Array2::from_shape_vec((rows, cols), data).expect("rows * cols values");
    cast(&Array::from(out.into_dyn()), float_dtype(dtype))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::layout::cast::from_vec;

    #[test]
    fn round_trip_and_shape_checks() {
        let a = from_vec(&[2, 3], vec![1i32, 2, 3, 4, 5, 6]).unwrap();
        let m = to_mat("t", &a, "a").unwrap();
        assert_eq!(m[(1, 2)], 6.0);
        assert_eq!(from_mat(m.as_ref(), DType::Int32).dtype(), DType::Float64);
        assert_eq!(from_mat(m.as_ref(), DType::Float32).dtype(), DType::Float32);
        assert!(to_square("t", &a, "a").unwrap_err().0.contains("square"));
        assert!(to_mat("t", &from_vec(&[1], vec![1.0]).unwrap(), "a").is_err());
    }
}
