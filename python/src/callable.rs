//! Python callables as block functions: a runtime function that takes the GIL
//! for each call, hands the block to the callable as a NumPy array and takes its
//! result back; an exception travels as the task's error ([`PythonError`]).

use std::sync::Arc;

use numpy::PyUntypedArray;
use pyo3::prelude::*;
use tessera_runtime::{DynFn, Kwargs, TaskError, Value};

use crate::convert::{data_to_numpy, numpy_to_data};
use crate::errors::PythonError;

/// `func` as a runtime function of one array block.
pub(crate) fn python_block_function(py: Python<'_>, func: Py<PyAny>) -> PyResult<Arc<DynFn>> {
    if !func.bind(py).is_callable() {
        return Err(pyo3::exceptions::PyTypeError::new_err(
            "the block function must be callable",
        ));
    }
    let body = move |args: &[Value], _: &Kwargs| -> Result<Value, TaskError> {
        let [Value::Array(block)] = args else {
            return Err(TaskError::type_error(format!(
                "a Python block function takes one array block, got {} argument(s)",
                args.len()
            )));
        };
        Python::attach(|py| {
            let input = data_to_numpy(py, block.clone());
            let result = func.bind(py).call1((input,)).and_then(|out| {
                let out = py.import("numpy")?.call_method1("asarray", (out,))?;
                numpy_to_data(out.cast::<PyUntypedArray>()?)
            });
            result.map(Value::Array).map_err(|err| {
                let text = err.to_string();
                TaskError::other(PythonError { err, text })
            })
        })
    };
    Ok(Arc::new(body))
}
