//! The op catalogue as data: every op of the graph format with its arity, its
//! attributes and its shape / dtype / chunks inference. Other crates read it;
//! nothing else hard-codes op names.

use crate::meta::Meta;

/// How many positional arguments an op takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arity {
    /// Exactly this many.
    Exact(usize),
    /// Between `min` and `max` inclusive.
    Range(usize, usize),
    /// At least this many.
    AtLeast(usize),
}

/// The JSON type an attribute must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    /// An integer.
    Int,
    /// Any number.
    Number,
    /// `true` or `false`.
    Bool,
    /// A string.
    Str,
    /// A list of non-negative integers.
    Shape,
    /// A shape in which one entry may be `-1` (`reshape`).
    ReshapeShape,
    /// A dtype name.
    DType,
    /// A chunk spec: integer, per-axis list, or `"auto"`.
    Chunks,
    /// An integer, a list of integers, or `null`.
    Axis,
    /// An integer or `null`.
    AxisOrNull,
    /// A list of integers.
    IntList,
    /// A `getitem` index list.
    Index,
    /// Nested JSON lists of numbers or booleans (`array`'s `data`, `weights`).
    NestedList,
    /// Any JSON value (checked by the op's inference).
    Json,
}

/// One attribute of an op.
#[derive(Debug, Clone, Copy)]
pub struct AttrSpec {
    /// Attribute name as written in the JSON node.
    pub name: &'static str,
    /// Expected JSON type.
    pub ty: AttrType,
    /// Whether the attribute must be given.
    pub required: bool,
    /// Default value as JSON text, for optional attributes that have one.
    pub default: Option<&'static str>,
    /// One line saying what it does.
    pub doc: &'static str,
}

/// The family an op belongs to (used for grouping in `tessera ops` and by passes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// Ops with no arguments that create an array.
    Source,
    /// Elementwise ops with broadcasting.
    Elementwise,
    /// Reductions and scans.
    Reduction,
    /// Shape and layout changes.
    Shape,
    /// Linear algebra.
    Linalg,
    /// Ghosting and block-wise functions.
    Blockwise,
    /// Calls of registered functions and imperative glue.
    Task,
}

/// Where validation runs: what `from_npy` paths are resolved against.
#[derive(Debug, Clone, Default)]
pub struct InferContext {
    /// The folder of the graph file (`from_npy` paths are relative to it), if any.
    pub base_dir: Option<std::path::PathBuf>,
    /// Another root named with `--data-root`; when set, paths are resolved against
    /// it instead and may not leave it.
    pub data_root: Option<std::path::PathBuf>,
}

/// Inputs of an op's inference: the metadata of its (evaluated) arguments and its
/// attributes, already checked against their [`AttrType`] with defaults filled in.
#[derive(Debug)]
pub struct InferInput<'a> {
    /// Metadata of each positional argument.
    pub args: &'a [Meta],
    /// Attributes, with defaults filled in.
    pub attrs: &'a serde_json::Map<String, serde_json::Value>,
    /// Where the document lives (for sources that read files).
    pub ctx: &'a InferContext,
}

/// Why inference refused a node: a plain sentence, and the attribute (or `args`
/// position) it is about, so validation can point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InferError {
    /// Where in the node the fault is: `Some("index")`, `Some("args/1")`, or `None`
    /// for the node as a whole.
    pub at: Option<String>,
    /// What is wrong, as a sentence without the node id.
    pub message: String,
}

/// The specification of one op.
#[derive(Debug, Clone, Copy)]
pub struct OpSpec {
    /// The op's name in the graph format.
    pub name: &'static str,
    /// Its family.
    pub family: Family,
    /// Positional arguments it takes.
    pub arity: Arity,
    /// Its attributes.
    pub attrs: &'static [AttrSpec],
    /// One line saying what it computes.
    pub doc: &'static str,
    /// Shape / dtype / chunks inference.
    pub infer: fn(&InferInput<'_>) -> Result<Meta, InferError>,
}
