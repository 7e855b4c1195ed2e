//! Moving matrices between tessera arrays and faer (`float64` inside; float32 results cast back).
//!
//! The tile kernels of blocked factorizations never change layout: a C-order buffer is
//! a faer matrix with row stride `cols` and column stride 1 (`Rows`, read in place, and
//! `Tile`, an owned result written in place), and faer's kernels take any strides.

use std::borrow::Cow;

use faer::{Mat, MatMut, MatRef, Par};
use tessera_ir::DType;

use crate::kernels::layout::cast::{cast, typed};
use crate::kernels::reduce::args::{self, Kwargs, err};
use crate::kernels::{KernelError, buffer};
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
    let mut data = buffer::zeroed(rows * cols);
    MatMut::from_row_major_slice_mut(&mut data, rows, cols).copy_from(m);
    Tile { data, rows, cols }.into_array(dtype)
}

/// The values of a 2-d array as `f64` in row-major order, copied row by row (any
/// strides; other dtypes converted first).
fn row_major_values(a: &Array) -> Vec<f64> {
    let x = typed::<f64>(a);
    let mut data = buffer::with_capacity(x.len());
    for row in x.rows() {
        match row.as_slice() {
            Some(s) => data.extend_from_slice(s),
            None => data.extend(row.iter().copied()),
        }
    }
    data
}

fn check_2d(op: &str, a: &Array, what: &str) -> Result<(usize, usize), KernelError> {
    match *a.shape() {
        [rows, cols] => Ok((rows, cols)),
        _ => Err(err(
            op,
            format!("{what} must be 2-d, got shape {:?}", a.shape()),
        )),
    }
}

/// A 2-d operand read in place: the array's own buffer when it is a C-contiguous
/// `float64` array, else a row-major `f64` copy.
pub(crate) struct Rows<'a> {
    data: Cow<'a, [f64]>,
    rows: usize,
    cols: usize,
}

impl<'a> Rows<'a> {
    /// The operand `what` of `op`; refuses arrays that are not 2-d.
    pub(crate) fn new(op: &str, a: &'a Array, what: &str) -> Result<Rows<'a>, KernelError> {
        let (rows, cols) = check_2d(op, a, what)?;
        let data = match a {
            Array::F64(x) => match x.as_slice() {
                Some(s) => Cow::Borrowed(s),
                None => Cow::Owned(row_major_values(a)),
            },
            _ => Cow::Owned(row_major_values(a)),
        };
        Ok(Rows { data, rows, cols })
    }

    /// The matrix (row stride `cols`, column stride 1).
    pub(crate) fn mat(&self) -> MatRef<'_, f64> {
        MatRef::from_row_major_slice(&self.data, self.rows, self.cols)
    }
}

/// An owned row-major `f64` matrix: a tile kernel's result, made as a copy of one
/// operand and updated in place.
pub(crate) struct Tile {
    data: Vec<f64>,
    rows: usize,
    cols: usize,
}

impl Tile {
    /// A copy of the 2-d operand `what` of `op` (any layout and dtype).
    pub(crate) fn copy_of(op: &str, a: &Array, what: &str) -> Result<Tile, KernelError> {
        let (rows, cols) = check_2d(op, a, what)?;
        Ok(Tile {
            data: row_major_values(a),
            rows,
            cols,
        })
    }

    /// Rows and columns.
    pub(crate) fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// The matrix, to update in place.
    pub(crate) fn mat_mut(&mut self) -> MatMut<'_, f64> {
        MatMut::from_row_major_slice_mut(&mut self.data, self.rows, self.cols)
    }

    /// Sets the entries above the diagonal to zero.
    pub(crate) fn zero_upper(&mut self) {
        let cols = self.cols;
        for (i, row) in self.data.chunks_exact_mut(cols.max(1)).enumerate() {
            row[(i + 1).min(cols)..].fill(0.0);
        }
    }

    /// The result as an array of NumPy's linalg dtype for `dtype` (float32 stays
    /// float32, the rest is float64).
    pub(crate) fn into_array(self, dtype: DType) -> Array {
        let out = ndarray::Array2::from_shape_vec((self.rows, self.cols), self.data)
            .expect("rows * cols values");
        cast(&Array::from(out.into_dyn()), float_dtype(dtype))
    }
}

/// Runs a tile kernel's `body` with the parallelism its `parallel` flag asks
/// for: `parallel=True` (lowering sets it on the critical path of a tile DAG,
/// where the other workers would otherwise wait) runs it on the run's kernel
/// pool with every thread of the `--threads` budget; the default is one thread.
pub(crate) fn with_parallelism<R: Send>(
    op: &str,
    kwargs: &Kwargs,
    body: impl FnOnce(Par) -> Result<R, KernelError> + Send,
) -> Result<R, KernelError> {
    if args::boolean(op, kwargs, "parallel", false)? {
        crate::budget::in_kernel_pool(|| body(Par::rayon(0)))
    } else {
        body(Par::Seq)
    }
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
