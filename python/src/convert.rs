//! Values between NumPy / Python and the runtime: NumPy arrays in (one copy into
//! tessera's own buffer) and out (zero-copy: the result's buffer becomes the NumPy
//! array's memory), Python scalars as weak scalars, results as Python objects.

use numpy::{PyArray, PyArrayDyn, PyArrayMethods, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt, PyList, PyTuple};
use tessera::array::{OperandArg, operand};
use tessera::{Array, Chunking};
use tessera_runtime::{Array as Data, Value};

use crate::expr::Expr;

/// A NumPy array (any layout) as a runtime array of the same dtype and values.
///
/// The data is copied once: the runtime's arrays own their buffer (ndarray's
/// `ArcArray`), which cannot borrow memory owned by NumPy.
pub(crate) fn numpy_to_data(array: &Bound<'_, PyUntypedArray>) -> PyResult<Data> {
    macro_rules! try_dtype {
        ($($t:ty => $variant:ident),*) => {$(
            if let Ok(typed) = array.cast::<PyArrayDyn<$t>>() {
                let view = typed.readonly();
                return Ok(Data::$variant(view.as_array().to_owned().into_shared()));
            }
        )*};
    }
    try_dtype!(f64 => F64, f32 => F32, i64 => I64, i32 => I32, bool => Bool);
    Err(PyTypeError::new_err(format!(
        "tessera arrays hold float64, float32, int64, int32 or bool, not {}",
        array.dtype()
    )))
}

/// A runtime array as a NumPy array; its buffer is handed over without a copy
/// when the result is its only owner.
pub(crate) fn data_to_numpy(py: Python<'_>, data: Data) -> Bound<'_, PyAny> {
    match data {
        Data::F64(a) => PyArray::from_owned_array(py, a.into_owned()).into_any(),
        Data::F32(a) => PyArray::from_owned_array(py, a.into_owned()).into_any(),
        Data::I64(a) => PyArray::from_owned_array(py, a.into_owned()).into_any(),
        Data::I32(a) => PyArray::from_owned_array(py, a.into_owned()).into_any(),
        Data::Bool(a) => PyArray::from_owned_array(py, a.into_owned()).into_any(),
    }
}

/// A runtime value as a Python object: arrays as NumPy arrays, lists and tuples
/// element by element, JSON objects as dicts.
pub(crate) fn value_to_py(py: Python<'_>, value: Value) -> PyResult<Bound<'_, PyAny>> {
    Ok(match value {
        Value::None => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, b).to_owned().into_any(),
        Value::Int(i) => i.into_pyobject(py)?.into_any(),
        Value::Float(x) => PyFloat::new(py, x).into_any(),
        Value::Str(s) => s.as_ref().into_pyobject(py)?.into_any(),
        Value::List(items) => {
            let items = items
                .iter()
                .map(|v| value_to_py(py, v.clone()))
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_any()
        }
        Value::Tuple(items) => {
            let items = items
                .iter()
                .map(|v| value_to_py(py, v.clone()))
                .collect::<PyResult<Vec<_>>>()?;
            PyTuple::new(py, items)?.into_any()
        }
        Value::Array(a) => data_to_numpy(py, a),
        Value::Dict(map) => {
            let text = serde_json::Value::Object((*map).clone()).to_string();
            py.import("json")?.call_method1("loads", (text,))?
        }
    })
}

/// A Python object as an operand: an `Expr`, a NumPy array (bound as one block),
/// `bool` / `int` / `float` as weak scalars, `None` as the literal `null`, a list
/// or tuple as a list operand.
pub(crate) fn to_operand(obj: &Bound<'_, PyAny>) -> PyResult<OperandArg> {
    if let Ok(e) = obj.cast::<Expr>() {
        return Ok(operand(e.get().array.clone()));
    }
    if obj.is_none() {
        return Ok(OperandArg::literal(serde_json::Value::Null));
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(operand(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        let i: i64 = obj.extract().map_err(|_| {
            PyValueError::new_err(format!("the integer {obj} does not fit in 64 bits"))
        })?;
        return Ok(operand(i));
    }
    if obj.is_instance_of::<PyFloat>() {
        return Ok(operand(obj.extract::<f64>()?));
    }
    if let Ok(a) = obj.cast::<PyUntypedArray>() {
        let data = numpy_to_data(a)?;
        let array = Array::from_runtime(data, Chunking::Whole)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        return Ok(operand(array));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let items = obj
            .try_iter()?
            .map(|item| to_operand(&item?))
            .collect::<PyResult<Vec<_>>>()?;
        return Ok(OperandArg::list(items));
    }
    Err(PyTypeError::new_err(format!(
        "cannot use a {} as an array operand",
        obj.get_type().name()?
    )))
}
