//! Reading a whole `.npy` file (C or Fortran order) into an [`Array`](crate::value::Array).

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use ndarray::ArrayD;
use ndarray_npy::{ReadNpyExt, ReadableElement};
use tessera_ir::DType;

use super::error::NpyError;
use super::header::read_header;
use crate::value::Array;

fn read_typed<T: ReadableElement>(path: &Path) -> Result<ArrayD<T>, NpyError> {
    let file = File::open(path).map_err(|source| NpyError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    ArrayD::<T>::read_npy(BufReader::new(file)).map_err(|e| NpyError::Data {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Reads the `.npy` file at `path` (dtypes f8 f4 i8 i4 b1, either byte order, C or
/// Fortran order).
pub fn read_npy(path: &Path) -> Result<Array, NpyError> {
    let header = read_header(path)?;
    Ok(match header.dtype {
        DType::Float64 => Array::from(read_typed::<f64>(path)?),
        DType::Float32 => Array::from(read_typed::<f32>(path)?),
        DType::Int64 => Array::from(read_typed::<i64>(path)?),
        DType::Int32 => Array::from(read_typed::<i32>(path)?),
        DType::Bool => Array::from(read_typed::<bool>(path)?),
    })
}
