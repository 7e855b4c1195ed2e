//! Errors of the `Array` API: building an expression (raised when it is built, as
//! NumPy raises), reading a document back, and computing.

use tessera_ir::{DType, Faults};

use crate::compute::ComputeError;

/// Why an `Array` operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ArrayError {
    /// The op refused its operands or attributes (shape, dtype, axis...).
    #[error("cannot build {op}{}: {message}", at.as_ref().map(|a| format!(" (at {a})")).unwrap_or_default())]
    Build {
        /// The op being built.
        op: String,
        /// The attribute or argument the fault is about (`axis`, `args/1`), if any.
        at: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// A typed result was asked for with the wrong element type.
    #[error("the array has dtype {found}, not {expected}; use astype to convert it")]
    DType {
        /// The element type asked for.
        expected: DType,
        /// The array's element type.
        found: DType,
    },
    /// A document could not be validated.
    #[error("invalid document:\n{0}")]
    Invalid(Faults),
    /// `from_document`: the output id names no node, or a node that is not an array.
    #[error("document node {id:?}: {message}")]
    Document {
        /// The node id.
        id: String,
        /// What is wrong.
        message: String,
    },
    /// Reading an `.npy` file failed.
    #[error("cannot read {path}: {message}")]
    Npy {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// Lowering or executing failed; the error names the node or task.
    #[error(transparent)]
    Compute(#[from] ComputeError),
    /// A computed output was not what its array promised (a bug or a bad binding).
    #[error("output {index} computed to {found}, not an array of dtype {expected}")]
    Output {
        /// Which output.
        index: usize,
        /// The dtype expected.
        expected: DType,
        /// What came back.
        found: String,
    },
}
