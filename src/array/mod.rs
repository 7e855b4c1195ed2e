//! The chunked, lazy NumPy-style [`Array`].
//!
//! An `Array` is an immutable expression: an op of the graph format's catalogue
//! applied to other arrays, weak scalars and literals. Building one checks it the
//! way validation checks a document node (arity, attributes, shapes, dtypes,
//! chunks), so errors are raised when the expression is built, as NumPy raises;
//! nothing runs until [`Array::compute`]. Cloning is cheap (an `Arc`). An
//! expression is exactly a v1 graph document ([`Array::to_document`]), and
//! computing goes through that document: the Rust API and the JSON frontends share
//! one path.
//!
//! Fallible builders return `Result<Array, ArrayError>`. The `std::ops` operators
//! (`+ - * / %` and unary `-`, on `Array` and `&Array`, with arrays and `f64` /
//! `i64` weak scalars) panic with the error's message on a shape or dtype error,
//! as ndarray's operators do; use the methods ([`Array::try_add`] ...) to get a
//! `Result` instead.
//!
//! ```
//! use tessera::{Array, DType, s};
//!
//! // The seed's lazy case: only the blocks under the slice are ever computed.
//! let x = Array::ones(&[10_000, 10_000], DType::Float64, 100).unwrap();
//! let y = x.exp().unwrap().slice(s![1..100, 1..100]).unwrap();
//! assert_eq!(y.shape(), &[99, 99]);
//! assert_eq!(
//!     y.to_string(),
//!     "tessera.Array<getitem, shape=(99, 99), dtype=float64, chunksize=(99, 99)>"
//! );
//! let values = y.compute::<f64>().unwrap();
//! assert!(values.iter().all(|&v| (v - std::f64::consts::E).abs() < 1e-15));
//!
//! // Shape errors surface when the expression is built.
//! let a = Array::zeros(&[3], DType::Float64, 3).unwrap();
//! let b = Array::zeros(&[4], DType::Float64, 4).unwrap();
//! assert!(a.try_add(&b).is_err());
//! ```

mod args;
mod blockwise;
mod compute;
mod delayed;
mod document;
mod elementwise;
mod error;
mod expr;
mod index;
mod layout;
pub mod linalg;
mod operators;
pub mod random;
mod reductions;
mod sources;

use std::fmt;
use std::sync::Arc;

use serde_json::{Map, Value as Json};
use tessera_ir::{ArrayMeta, Chunks, Meta};

pub use args::{Axis, Boundaries, Boundary, Chunking, IntoOperand, OperandArg, Scalar, TensorAxes};
pub use blockwise::operand;
pub use compute::{Element, compute_many, compute_many_with, task_graph};
pub use delayed::DelayedBlocks;
pub use document::{Bindings, to_document};
pub use elementwise::where_;
pub use error::ArrayError;
pub use index::{Ellipsis, IndexEntry, IndexInt, IntoIndexEntry, NewAxis, stepped};
pub use layout::{concatenate, stack};
pub use tessera_ir::DType;

use expr::{Expr, Operand};

/// A lazy, immutable, chunked n-dimensional array (see the module documentation).
#[derive(Clone)]
pub struct Array {
    node: Arc<Expr>,
}

impl Array {
    /// Wraps a node whose value is an array.
    fn from_node(node: Arc<Expr>) -> Result<Array, ArrayError> {
        match &node.meta {
            Meta::Array(_) => Ok(Array { node }),
            other => Err(ArrayError::Build {
                op: node.op.name.to_owned(),
                at: None,
                message: format!("the result is {}, not an array", other.describe()),
            }),
        }
    }

    /// Builds `op(args, **attrs)`.
    fn apply(op: &str, args: Vec<Operand>, attrs: Map<String, Json>) -> Result<Array, ArrayError> {
        Array::from_node(Expr::build(op, args, attrs)?)
    }

    /// Builds the catalogue op named `op` on positional `args` with `attrs`
    /// (defaults filled in), checked as every builder checks its node: the
    /// generic builder for frontends that name ops as data (the Python package
    /// generates its functions from the catalogue through it).
    pub fn from_op(
        op: &str,
        args: Vec<OperandArg>,
        attrs: Map<String, Json>,
    ) -> Result<Array, ArrayError> {
        Array::apply(op, args.into_iter().map(|a| a.0).collect(), attrs)
    }

    /// Builds `op(self, **attrs)`.
    fn unary(&self, op: &str, attrs: Map<String, Json>) -> Result<Array, ArrayError> {
        Array::apply(op, vec![self.operand()], attrs)
    }

    /// This array as an operand.
    fn operand(&self) -> Operand {
        Operand::Node(self.node.clone())
    }

    fn meta(&self) -> &ArrayMeta {
        match &self.node.meta {
            Meta::Array(a) => a,
            // `from_node` admits array nodes only.
            _ => unreachable!("an Array always holds an array node"),
        }
    }

    /// Length of each axis.
    pub fn shape(&self) -> &[usize] {
        &self.meta().shape
    }

    /// Element type.
    pub fn dtype(&self) -> DType {
        self.meta().dtype
    }

    /// Block sizes along each axis (Dask's `chunks`).
    pub fn chunks(&self) -> &Chunks {
        &self.meta().chunks
    }

    /// Number of blocks along each axis.
    pub fn numblocks(&self) -> Vec<usize> {
        self.meta().chunks.numblocks()
    }

    /// Number of axes.
    pub fn ndim(&self) -> usize {
        self.meta().ndim()
    }

    /// Number of elements.
    pub fn size(&self) -> usize {
        self.meta().size()
    }

    /// The name of the op that makes this array (`"exp"`, `"getitem"`...).
    pub fn op(&self) -> &'static str {
        self.node.op.name
    }

    /// The attributes of the op, defaults filled in (as written in a document).
    pub fn attrs(&self) -> &Map<String, Json> {
        &self.node.attrs
    }

    /// Whether two arrays are the same expression node (not merely equal ones).
    pub fn same_node(&self, other: &Array) -> bool {
        Arc::ptr_eq(&self.node, &other.node)
    }
}

/// The attributes of a JSON object literal (empty for anything else).
fn obj(v: Json) -> Map<String, Json> {
    match v {
        Json::Object(m) => m,
        _ => Map::new(),
    }
}

/// `(10000, 10000)`, `(5,)`, `()` as Python prints tuples.
fn py_tuple(items: &[usize]) -> String {
    match items {
        [one] => format!("({one},)"),
        _ => format!(
            "({})",
            items
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

impl fmt::Display for Array {
    /// Like `dask.array`'s repr:
    /// `tessera.Array<exp, shape=(10000, 10000), dtype=float64, chunksize=(100, 100)>`,
    /// where `chunksize` is the largest block along each axis.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let chunksize: Vec<usize> = self
            .chunks()
            .0
            .iter()
            .map(|axis| axis.iter().copied().max().unwrap_or(0))
            .collect();
        write!(
            f,
            "tessera.Array<{}, shape={}, dtype={}, chunksize={}>",
            self.op(),
            py_tuple(self.shape()),
            self.dtype(),
            py_tuple(&chunksize)
        )
    }
}

impl fmt::Debug for Array {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::array::operand;

    #[test]
    fn accessors_and_repr() {
        let a = Array::ones(&[10, 7], DType::Int32, [4, 7]).unwrap();
        assert_eq!(a.shape(), &[10, 7]);
        assert_eq!(a.dtype(), DType::Int32);
        assert_eq!(a.chunks().0, vec![vec![4, 4, 2], vec![7]]);
        assert_eq!(a.numblocks(), vec![3, 1]);
        assert_eq!((a.ndim(), a.size()), (2, 70));
        assert_eq!(
            format!("{a:?}"),
            "tessera.Array<ones, shape=(10, 7), dtype=int32, chunksize=(4, 7)>"
        );
        let s = a.sum(Axis::All, false).unwrap();
        assert_eq!(
            s.to_string(),
            "tessera.Array<sum, shape=(), dtype=int64, chunksize=()>"
        );
        let v = Array::arange(0, 5, 1, None, 5).unwrap();
        assert_eq!(
            v.to_string(),
            "tessera.Array<arange, shape=(5,), dtype=int64, chunksize=(5,)>"
        );
        assert!(a.same_node(&a.clone()));
        assert!(!a.same_node(&Array::ones(&[10, 7], DType::Int32, [4, 7]).unwrap()));
        assert_eq!(a.op(), "ones");
        assert_eq!(a.attrs()["dtype"], "int32");
    }

    #[test]
    fn from_op_builds_any_catalogue_op_by_name() {
        let attrs = |v: Json| obj(v);
        let a = Array::from_op(
            "ones",
            vec![],
            attrs(serde_json::json!({"shape": [4], "chunks": 2})),
        )
        .unwrap();
        let b = Array::from_op("add", vec![operand(&a), operand(2.5)], Map::new()).unwrap();
        assert_eq!(
            b.compute::<f64>()
                .unwrap()
                .iter()
                .copied()
                .collect::<Vec<_>>(),
            vec![3.5; 4]
        );
        let c = Array::from_op(
            "concatenate",
            vec![OperandArg::list(vec![operand(&a), operand(&b)])],
            Map::new(),
        )
        .unwrap();
        assert_eq!(c.shape(), &[8]);
        let clipped = Array::from_op(
            "clip",
            vec![operand(&b), operand(0.0), OperandArg::literal(Json::Null)],
            Map::new(),
        )
        .unwrap();
        assert_eq!(
            clipped
                .compute::<f64>()
                .unwrap()
                .iter()
                .copied()
                .collect::<Vec<_>>(),
            vec![3.5; 4]
        );
        let e = Array::from_op("exp", vec![], Map::new()).unwrap_err();
        assert!(e.to_string().starts_with("cannot build exp"), "{e}");
        assert!(Array::from_op("nope", vec![], Map::new()).is_err());
    }

    #[test]
    fn with_block_function_runs_a_runtime_function_per_block() {
        use tessera_runtime::{TaskError, Value};
        let a = Array::arange(0, 6, 1, None, 2).unwrap();
        let double = Arc::new(|args: &[Value], _: &tessera_runtime::Kwargs| match args {
            [Value::Array(tessera_runtime::Array::I64(b))] => Ok(Value::Array(
                tessera_runtime::Array::I64(b.mapv(|v| v * 2).into_shared()),
            )),
            _ => Err(TaskError::type_error("expected an int64 block")),
        });
        let m = a
            .with_block_function("map_blocks", double, Map::new())
            .unwrap();
        assert!(m.attrs()["fn"].as_str().unwrap().starts_with("closure-"));
        assert_eq!(
            m.compute::<i64>()
                .unwrap()
                .iter()
                .copied()
                .collect::<Vec<_>>(),
            vec![0, 2, 4, 6, 8, 10]
        );
    }
}
