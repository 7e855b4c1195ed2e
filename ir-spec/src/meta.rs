//! What validation knows about a node's value before anything runs: an array's
//! shape, dtype and chunks, a scalar's kind, a tuple's parts, or nothing (`Any`).

use crate::dtype::{DType, ScalarKind};

/// Block sizes along each axis (Dask's `chunks`): `blocks[axis]` lists the sizes
/// of the blocks along `axis`, which add up to the length of that axis. Chunks may
/// be irregular. An axis of length 0 has a single block of size 0.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Chunks(pub Vec<Vec<usize>>);

impl Chunks {
    /// Number of axes.
    pub fn ndim(&self) -> usize {
        self.0.len()
    }

    /// Number of blocks along each axis.
    pub fn numblocks(&self) -> Vec<usize> {
        self.0.iter().map(Vec::len).collect()
    }

    /// The shape these chunks cover.
    pub fn shape(&self) -> Vec<usize> {
        self.0.iter().map(|c| c.iter().sum()).collect()
    }

    /// One block covering the whole of `shape`.
    pub fn single(shape: &[usize]) -> Chunks {
        Chunks(shape.iter().map(|&n| vec![n]).collect())
    }
}

/// An array known by its shape, element type and chunking.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ArrayMeta {
    /// Length of each axis.
    pub shape: Vec<usize>,
    /// Element type.
    pub dtype: DType,
    /// Block structure; `chunks.shape() == shape`.
    pub chunks: Chunks,
}

/// What is known about a node's value or an argument before execution.
#[derive(Debug, Clone, PartialEq)]
pub enum Meta {
    /// A chunked array.
    Array(ArrayMeta),
    /// A weak scalar literal (a JSON number or boolean given as an argument), with
    /// its value.
    Scalar(ScalarKind, f64),
    /// A list whose elements are evaluated (the arrays given to `concatenate`...).
    List(Vec<Meta>),
    /// A multi-part value whose parts are known (the pair of `linalg.qr`).
    Tuple(Vec<Meta>),
    /// A JSON literal given with `{"lit": ...}`.
    Literal(serde_json::Value),
    /// A value not known until run time (the result of a `call`).
    Any,
}

impl ArrayMeta {
    /// An array of `shape` and `dtype` chunked as `chunks`.
    pub fn new(shape: Vec<usize>, dtype: DType, chunks: Chunks) -> ArrayMeta {
        ArrayMeta {
            shape,
            dtype,
            chunks,
        }
    }

    /// A 0-d array (what a weak scalar becomes when it must be an array).
    pub fn scalar(dtype: DType) -> ArrayMeta {
        ArrayMeta::new(Vec::new(), dtype, Chunks(Vec::new()))
    }

    /// Number of axes.
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// Number of elements (saturating at `usize::MAX`).
    pub fn size(&self) -> usize {
        self.shape
            .iter()
            .fold(1usize, |acc, &n| acc.saturating_mul(n))
    }
}

impl Meta {
    /// What kind of value this is, for error messages: "an array", "a list"...
    pub fn describe(&self) -> &'static str {
        match self {
            Meta::Array(_) => "an array",
            Meta::Scalar(..) => "a scalar",
            Meta::List(_) => "a list",
            Meta::Tuple(_) => "a multi-part value",
            Meta::Literal(_) => "a literal",
            Meta::Any => "a value only known at run time",
        }
    }

    /// The array metadata, if this is an array.
    pub fn as_array(&self) -> Option<&ArrayMeta> {
        match self {
            Meta::Array(a) => Some(a),
            _ => None,
        }
    }
}
