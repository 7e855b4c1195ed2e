//! The native part of tessera's Python package, `tessera._tessera`.
//!
//! Thin bindings over the root crate's frontends, so Python runs the very pipeline
//! the Rust API and `tessera run` run: [`Expr`] wraps a [`tessera::Array`]
//! (built by catalogue op name through [`tessera::Array::from_op`]), `compute`
//! goes through [`tessera::compute_many_with`] with the GIL released, `run` through
//! [`tessera::run::load`] and the shared compute functions. Everything
//! dask.array-shaped (names, operators, indexing, keyword arguments) is pure Python
//! in `tessera/`; this crate converts values and errors.

mod callable;
mod convert;
mod errors;
mod expr;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use tessera::compute::{ComputeOptions, compute_graph, compute_tasks};
use tessera::run::{Loaded, infer_context, load};
use tessera::source::Source;
use tessera_compiler::LowerOptions;

use crate::convert::value_to_py;
use crate::errors::{compute_error, invalid_graph};

/// `tessera.run(text)`: computes a graph document (v1 or the Dask dialect) and
/// returns `{output id: value}`; `from_npy` paths are relative to the working
/// directory. The GIL is released while computing.
#[pyfunction]
#[pyo3(signature = (text, threads=None))]
fn run<'py>(py: Python<'py>, text: String, threads: Option<usize>) -> PyResult<Bound<'py, PyDict>> {
    let base =
        std::env::current_dir().map_err(|e| pyo3::exceptions::PyOSError::new_err(e.to_string()))?;
    let source = Source::from_text("<python>", text, base);
    let ctx = infer_context(&source, None);
    let loaded = load(source.text(), &ctx).map_err(|faults| invalid_graph(py, &faults))?;
    let options = ComputeOptions {
        threads,
        lower: LowerOptions {
            files: ctx,
            ..LowerOptions::default()
        },
        ..ComputeOptions::default()
    };
    let computed = py
        .detach(|| match loaded {
            Loaded::Tasks(t) => compute_tasks(t.graph, t.outputs, t.output_names, &options),
            Loaded::Graph(graph) => compute_graph(&graph, &options),
        })
        .map_err(|e| compute_error(py, tessera::ArrayError::Compute(e)))?;
    let out = PyDict::new(py);
    for (id, value) in computed.outputs {
        out.set_item(id, value_to_py(py, value)?)?;
    }
    Ok(out)
}

/// `tessera.validate(text)`: `None` for a valid document, else raises
/// `InvalidGraph` listing every fault (as `tessera validate`).
#[pyfunction]
fn validate(py: Python<'_>, text: String) -> PyResult<String> {
    let base =
        std::env::current_dir().map_err(|e| pyo3::exceptions::PyOSError::new_err(e.to_string()))?;
    let source = Source::from_text("<python>", text, base);
    tessera::validate_source(&source, None).map_err(|faults| invalid_graph(py, &faults))
}

/// The catalogue as data, for the Python layer to generate its functions:
/// `(name, family, arg_names, [attribute names], doc)` per op.
#[pyfunction]
fn catalogue() -> Vec<(String, String, String, Vec<String>, String)> {
    tessera_ir::catalogue::all()
        .iter()
        .map(|op| {
            (
                op.name.to_owned(),
                format!("{:?}", op.family).to_lowercase(),
                op.arg_names.to_owned(),
                op.attrs.iter().map(|a| a.name.to_owned()).collect(),
                op.doc.to_owned(),
            )
        })
        .collect()
}

/// The module `tessera._tessera`.
#[pymodule]
fn _tessera(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("TesseraError", py.get_type::<errors::TesseraError>())?;
    m.add("InvalidGraph", py.get_type::<errors::InvalidGraph>())?;
    m.add("ComputeError", py.get_type::<errors::ComputeError>())?;
    m.add_class::<expr::Expr>()?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(validate, m)?)?;
    m.add_function(wrap_pyfunction!(catalogue, m)?)?;
    m.add_function(wrap_pyfunction!(expr::compute, m)?)?;
    m.add_function(wrap_pyfunction!(expr::to_json, m)?)?;
    m.add_function(wrap_pyfunction!(expr::from_json, m)?)?;
    m.add_function(wrap_pyfunction!(expr::task_graph, m)?)?;
    m.add_function(wrap_pyfunction!(expr::explain, m)?)?;
    m.add_function(wrap_pyfunction!(expr::linalg_qr, m)?)?;
    Ok(())
}
