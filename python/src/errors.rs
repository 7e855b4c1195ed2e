//! Errors raised to Python: `InvalidGraph` (every fault, as `tessera validate`),
//! `ComputeError` (naming the node or task), build errors as `ValueError`, and a
//! Python block function's own exception re-raised with the task noted.

use pyo3::exceptions::{PyException, PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use tessera::ArrayError;
use tessera::compute::ComputeError as PipelineError;
use tessera_ir::Faults;
use tessera_runtime::{RunError, TaskError};

pyo3::create_exception!(
    tessera,
    TesseraError,
    PyException,
    "Base class of tessera's own errors."
);
pyo3::create_exception!(
    tessera,
    InvalidGraph,
    TesseraError,
    "The graph is invalid; `faults` lists every fault (node, JSON pointer, message)."
);
pyo3::create_exception!(
    tessera,
    ComputeError,
    TesseraError,
    "Computing failed; the message names the node or task, `key` the task."
);

/// An exception raised by a Python block function, carried through the runtime
/// as the task's error (`TaskError::Other`) and raised again after the compute.
#[derive(Debug)]
pub(crate) struct PythonError {
    /// The exception itself.
    pub(crate) err: PyErr,
    /// `Type: message`, for the runtime's error text.
    pub(crate) text: String,
}

impl std::fmt::Display for PythonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for PythonError {}

/// `InvalidGraph` with the faults' text as message and as the `faults` list.
pub(crate) fn invalid_graph(py: Python<'_>, faults: &Faults) -> PyErr {
    let err = InvalidGraph::new_err(faults.to_string());
    let list: PyResult<Vec<Bound<'_, PyDict>>> = faults
        .as_slice()
        .iter()
        .map(|f| {
            let d = PyDict::new(py);
            d.set_item("node", f.node.clone())?;
            d.set_item("pointer", &f.pointer)?;
            d.set_item("message", &f.message)?;
            Ok(d)
        })
        .collect();
    match list.and_then(|l| err.value(py).setattr("faults", l)) {
        Ok(()) => err,
        Err(e) => e,
    }
}

/// The Python exception for an error of the `Array` API.
pub(crate) fn compute_error(py: Python<'_>, error: ArrayError) -> PyErr {
    match error {
        ArrayError::Invalid(faults) => invalid_graph(py, &faults),
        ArrayError::Build { .. } | ArrayError::Document { .. } | ArrayError::Output { .. } => {
            PyValueError::new_err(error.to_string())
        }
        ArrayError::DType { .. } => PyTypeError::new_err(error.to_string()),
        ArrayError::Npy { .. } => PyOSError::new_err(error.to_string()),
        ArrayError::Compute(PipelineError::Execute(RunError::Task {
            key,
            task,
            func,
            source,
        })) => task_error(py, &key.to_string(), &task, &func, source),
        ArrayError::Compute(other) => ComputeError::new_err(other.to_string()),
    }
}

/// A failed task: a Python function's exception raised again as the same type,
/// its message noting the task as the user wrote it (`node "c" block [0, 1]`),
/// else `ComputeError` naming it; `key` is the internal key, kept as an attribute.
fn task_error(py: Python<'_>, key: &str, task: &str, func: &str, source: TaskError) -> PyErr {
    let source = match source {
        TaskError::Other(boxed) => match boxed.downcast::<PythonError>() {
            Ok(python) => return reraise(py, python.err, key, task, func),
            Err(other) => TaskError::Other(other),
        },
        other => other,
    };
    let err = ComputeError::new_err(format!("{task} failed in {func}: {source}"));
    // The key is data for callers; an attribute that cannot be set leaves the message.
    let _ = err.value(py).setattr("key", key);
    err
}

/// `original` as a new exception of its type whose message ends with the task
/// key and function (the original as its `__cause__`); when the type cannot be
/// built from one message, the original itself with a note (PEP 678).
fn reraise(py: Python<'_>, original: PyErr, key: &str, task: &str, func: &str) -> PyErr {
    let where_ = format!("in {task}, task {key} (block function {func})");
    let value = original.value(py).clone();
    let message = value
        .str()
        .map(|s| s.to_string())
        .unwrap_or_else(|_| String::new());
    let ty = original.get_type(py);
    if let Ok(new) = ty.call1((format!("{message} [{where_}]"),))
        && new.is_instance(&ty).unwrap_or(false)
    {
        let err = PyErr::from_value(new);
        err.set_cause(py, Some(original));
        let _ = err.value(py).setattr("key", key);
        return err;
    }
    let _ = value.call_method1("add_note", (where_,));
    let _ = value.setattr("key", key);
    original
}
