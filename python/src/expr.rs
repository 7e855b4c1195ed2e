//! `Expr`, the native handle of a lazy array (a [`tessera::Array`]), and the
//! functions over several of them: compute (GIL released), documents, task graph,
//! the optimizer's report.

use std::collections::BTreeMap;
use std::path::PathBuf;

use numpy::PyUntypedArray;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};
use serde_json::{Map, Value as Json};
use tessera::compute::ComputeOptions;
use tessera::{Array, Bindings, Chunking, compute_many_with, to_document};
use tessera_compiler::OptimizeOptions;
use tessera_ir::chunks::ChunkSpec;
use tessera_ir::{InferContext, parse_document};

use crate::callable::python_block_function;
use crate::convert::{numpy_to_data, to_operand, value_to_py};
use crate::errors::{compute_error, invalid_graph};

/// A lazy, chunked array: one node of tessera's expression (the Python class
/// `tessera.array.Array` wraps it).
#[pyclass(frozen, module = "tessera._tessera")]
pub(crate) struct Expr {
    /// The array.
    pub(crate) array: Array,
}

impl Expr {
    fn wrap(py: Python<'_>, built: Result<Array, tessera::ArrayError>) -> PyResult<Expr> {
        built
            .map(|array| Expr { array })
            .map_err(|e| compute_error(py, e))
    }
}

/// A JSON attribute object given as text by the Python layer.
fn attrs_of(text: &str) -> PyResult<Map<String, Json>> {
    match serde_json::from_str(text) {
        Ok(Json::Object(m)) => Ok(m),
        Ok(other) => Err(PyValueError::new_err(format!(
            "attributes must be a JSON object, not {other}"
        ))),
        Err(e) => Err(PyValueError::new_err(format!("bad attributes: {e}"))),
    }
}

/// A chunk spec given as JSON text (`100`, `[10, -1]`, `[[5, 5], [3]]`, `"auto"`).
fn chunking_of(text: &str) -> PyResult<Chunking> {
    let json: Json = serde_json::from_str(text)
        .map_err(|e| PyValueError::new_err(format!("bad chunks: {e}")))?;
    ChunkSpec::from_json(&json)
        .map(Chunking::Spec)
        .map_err(|e| PyValueError::new_err(format!("bad chunks {json}: {e}")))
}

#[pymethods]
impl Expr {
    /// The catalogue op `op` on `args` (expressions, NumPy arrays, scalars,
    /// `None`, lists) with attributes given as JSON text.
    #[staticmethod]
    fn build(py: Python<'_>, op: &str, args: &Bound<'_, PyList>, attrs: &str) -> PyResult<Expr> {
        let operands = args
            .iter()
            .map(|a| to_operand(&a))
            .collect::<PyResult<Vec<_>>>()?;
        Expr::wrap(py, Array::from_op(op, operands, attrs_of(attrs)?))
    }

    /// In-memory data split into `chunks` (JSON text); copied once into tessera's
    /// buffer, which blocks are views of.
    #[staticmethod]
    fn from_numpy(
        py: Python<'_>,
        data: &Bound<'_, PyUntypedArray>,
        chunks: &str,
    ) -> PyResult<Expr> {
        let data = numpy_to_data(data)?;
        Expr::wrap(py, Array::from_runtime(data, chunking_of(chunks)?))
    }

    /// An array read from a `.npy` file (lazily when under the working directory).
    #[staticmethod]
    fn from_npy(py: Python<'_>, path: PathBuf, chunks: &str) -> PyResult<Expr> {
        Expr::wrap(py, Array::from_npy(path, chunking_of(chunks)?))
    }

    /// `map_blocks` / `map_overlap` (`op`) with a Python callable on NumPy blocks;
    /// `attrs` (JSON text) are the op's other attributes.
    fn with_python_function(
        &self,
        py: Python<'_>,
        op: &str,
        func: Py<PyAny>,
        attrs: &str,
    ) -> PyResult<Expr> {
        let f = python_block_function(py, func)?;
        Expr::wrap(py, self.array.with_block_function(op, f, attrs_of(attrs)?))
    }

    /// Length of each axis.
    #[getter]
    fn shape<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.array.shape())
    }

    /// The dtype's name (`"float64"`...).
    #[getter]
    fn dtype(&self) -> &'static str {
        self.array.dtype().name()
    }

    /// Block sizes along each axis, as tuples (Dask's `chunks`).
    #[getter]
    fn chunks<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let axes = self
            .array
            .chunks()
            .0
            .iter()
            .map(|sizes| PyTuple::new(py, sizes))
            .collect::<PyResult<Vec<_>>>()?;
        PyTuple::new(py, axes)
    }

    /// The op that makes this array.
    #[getter]
    fn op(&self) -> &'static str {
        self.array.op()
    }

    /// The op's attributes as JSON text (defaults filled in).
    #[getter]
    fn attrs(&self) -> String {
        Json::Object(self.array.attrs().clone()).to_string()
    }

    /// Writes a picture of the task graph (`.dot`, `.svg`, `.png`).
    fn visualize(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        self.array
            .visualize(&path)
            .map_err(|e| compute_error(py, e))
    }

    /// Whether both are the same expression node.
    fn same_node(&self, other: &Expr) -> bool {
        self.array.same_node(&other.array)
    }

    fn __repr__(&self) -> String {
        self.array.to_string()
    }
}

fn arrays_of(exprs: &[Bound<'_, Expr>]) -> Vec<Array> {
    exprs.iter().map(|e| e.get().array.clone()).collect()
}

/// Computes several expressions together (shared work runs once) with the GIL
/// released; NumPy arrays (or Python values) in order.
#[pyfunction]
#[pyo3(signature = (exprs, threads=None, executor="threads", optimize=true))]
pub(crate) fn compute<'py>(
    py: Python<'py>,
    exprs: Vec<Bound<'py, Expr>>,
    threads: Option<usize>,
    executor: &str,
    optimize: bool,
) -> PyResult<Bound<'py, PyList>> {
    let arrays = arrays_of(&exprs);
    let options = ComputeOptions {
        executor: executor.to_owned(),
        threads,
        optimize: optimize.then(OptimizeOptions::default),
        ..ComputeOptions::default()
    };
    let values = py
        .detach(|| {
            let refs: Vec<&Array> = arrays.iter().collect();
            compute_many_with(&refs, &options)
        })
        .map_err(|e| compute_error(py, e))?;
    let out = values
        .into_iter()
        .map(|v| value_to_py(py, v))
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, out)
}

/// The graph document (v1, pretty JSON) of several expressions; in-memory inputs
/// are `input` nodes whose data is not written.
#[pyfunction]
pub(crate) fn to_json(exprs: Vec<Bound<'_, Expr>>) -> String {
    let arrays = arrays_of(&exprs);
    let refs: Vec<&Array> = arrays.iter().collect();
    to_document(&refs).0.to_json_pretty()
}

/// The array computed by output `output` (the first output when `None`) of a
/// graph document.
#[pyfunction]
#[pyo3(signature = (text, output=None))]
pub(crate) fn from_json(py: Python<'_>, text: &str, output: Option<String>) -> PyResult<Expr> {
    let doc = parse_document(text).map_err(|faults| invalid_graph(py, &faults))?;
    let output = match output.or_else(|| doc.outputs.first().cloned()) {
        Some(o) => o,
        None => return Err(PyValueError::new_err("the document has no output")),
    };
    Expr::wrap(py, Array::from_document(&doc, &output, &Bindings::new()))
}

/// The lowered task graph of several expressions: Dask-style key -> task text.
#[pyfunction]
pub(crate) fn task_graph(
    py: Python<'_>,
    exprs: Vec<Bound<'_, Expr>>,
) -> PyResult<BTreeMap<String, String>> {
    let arrays = arrays_of(&exprs);
    let refs: Vec<&Array> = arrays.iter().collect();
    tessera::task_graph(&refs).map_err(|e| compute_error(py, e))
}

/// The optimizer's report on several expressions (as `tessera explain`).
#[pyfunction]
pub(crate) fn explain(py: Python<'_>, exprs: Vec<Bound<'_, Expr>>) -> PyResult<String> {
    let arrays = arrays_of(&exprs);
    let refs: Vec<&Array> = arrays.iter().collect();
    let (doc, _) = to_document(&refs);
    let graph = tessera_ir::validate(&doc, &InferContext::default())
        .map_err(|faults| invalid_graph(py, &faults))?;
    let options = OptimizeOptions {
        explain: true,
        ..OptimizeOptions::default()
    };
    let optimized = py
        .detach(|| tessera_compiler::optimize(&graph, &options))
        .map_err(|e| compute_error(py, tessera::ArrayError::Compute(e.into())))?;
    Ok(optimized.report.to_string())
}

/// `linalg.qr`: the expressions of `q` and `r` (parts of one node).
#[pyfunction]
pub(crate) fn linalg_qr(py: Python<'_>, a: &Expr) -> PyResult<(Expr, Expr)> {
    let (q, r) = tessera::linalg::qr(&a.array).map_err(|e| compute_error(py, e))?;
    Ok((Expr { array: q }, Expr { array: r }))
}
