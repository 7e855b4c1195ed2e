//! The op catalogue as data: every op of the graph format with its arity, its
//! attributes and its shape / dtype / chunks inference. Other crates read it;
//! nothing else hard-codes op names.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::meta::Meta;

pub use apply::check_and_infer;

mod apply;
mod attr;
mod blockwise;
mod broadcast;
mod elementwise;
pub mod fused;
mod linalg;
pub mod npy_header;
mod reductions;
mod shape_ops;
mod sources;
mod tasks;

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
    /// A number or a boolean (`full`'s `fill_value`).
    Scalar,
    /// A JSON object (`call`'s `kwargs`).
    Object,
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

/// The registered functions that open files, each with the keyword argument naming
/// the file. A `call` of one of them (however it is reached: a `call` node, a task
/// of the dask dialect, a `from_delayed` task) has its path checked by
/// [`InferContext::check_call_files`] when the document is validated, and the
/// function itself resolves the path the same way when it runs.
pub const FILE_ARGUMENTS: &[(&str, &str)] = &[("from_npy", "path")];

impl InferContext {
    /// Resolves a `from_npy` path against `data_root` (when set) or `base_dir`,
    /// refusing absolute paths, paths that leave that folder and anything but a
    /// regular file.
    pub fn resolve_data_path(&self, path: &str) -> Result<std::path::PathBuf, String> {
        sources::resolve_data_path(self, path)
    }

    /// Checks the files a call of `func` with `kwargs` would open (see
    /// [`FILE_ARGUMENTS`]); on a fault, the keyword argument and what is wrong.
    pub fn check_call_files(
        &self,
        func: &str,
        kwargs: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), (&'static str, String)> {
        for &(name, kwarg) in FILE_ARGUMENTS {
            if name != func {
                continue;
            }
            match kwargs.get(kwarg) {
                Some(serde_json::Value::String(path)) => {
                    self.resolve_data_path(path).map_err(|e| (kwarg, e))?;
                }
                Some(other) => {
                    return Err((
                        kwarg,
                        format!("`{kwarg}` of {func} must be a string, found {other}"),
                    ));
                }
                None => {}
            }
        }
        Ok(())
    }
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
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
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
    /// Names of the positional arguments as shown in [`OpSpec::signature`]
    /// (`"x"`, `"x1, x2"`, `"*args"`), empty for sources.
    pub arg_names: &'static str,
    /// Its attributes.
    pub attrs: &'static [AttrSpec],
    /// One line saying what it computes.
    pub doc: &'static str,
    /// Whether attributes not listed in `attrs` are accepted and passed on as they
    /// are (true only for `map_overlap` and `map_blocks`, whose block function takes
    /// its own attributes); for every other op an unknown attribute is an error.
    pub open_attrs: bool,
    /// Shape / dtype / chunks inference.
    pub infer: fn(&InferInput<'_>) -> Result<Meta, InferError>,
}

impl InferError {
    /// An error about the node as a whole.
    pub fn new(message: impl Into<String>) -> InferError {
        InferError {
            at: None,
            message: message.into(),
        }
    }

    /// An error about the attribute (or node path) `at`.
    pub fn at(at: impl Into<String>, message: impl Into<String>) -> InferError {
        InferError {
            at: Some(at.into()),
            message: message.into(),
        }
    }

    /// An error about positional argument `i` (`at` is `args/<i>`).
    pub fn arg(i: usize, message: impl Into<String>) -> InferError {
        InferError::at(format!("args/{i}"), message)
    }
}

impl OpSpec {
    /// The op as a call with its arguments and attributes, for `tessera ops`:
    /// `sum(x, axis=null, keepdims=false)`. Required attributes appear bare,
    /// optional ones with their default (`name=default`) or as `name?` when they
    /// have none; `...` marks ops that accept further attributes.
    pub fn signature(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if !self.arg_names.is_empty() {
            parts.push(self.arg_names.to_owned());
        }
        for a in self.attrs {
            parts.push(match (a.required, a.default) {
                (true, _) => a.name.to_owned(),
                (false, Some(d)) => format!("{}={d}", a.name),
                (false, None) => format!("{}?", a.name),
            });
        }
        if self.open_attrs {
            parts.push("...".to_owned());
        }
        format!("{}({})", self.name, parts.join(", "))
    }

    /// The attribute called `name`, if the op has one.
    pub fn attr(&self, name: &str) -> Option<&AttrSpec> {
        self.attrs.iter().find(|a| a.name == name)
    }
}

impl Family {
    /// Families in catalogue order.
    pub const ALL: [Family; 7] = [
        Family::Source,
        Family::Elementwise,
        Family::Reduction,
        Family::Shape,
        Family::Linalg,
        Family::Blockwise,
        Family::Task,
    ];

    /// Lower-case name of the family, for listings.
    pub fn name(self) -> &'static str {
        match self {
            Family::Source => "sources",
            Family::Elementwise => "elementwise",
            Family::Reduction => "reductions",
            Family::Shape => "shape",
            Family::Linalg => "linalg",
            Family::Blockwise => "blockwise",
            Family::Task => "tasks",
        }
    }
}

static ALL: LazyLock<Vec<OpSpec>> = LazyLock::new(|| {
    let families: [&[&[OpSpec]]; 8] = [
        sources::OPS,
        elementwise::OPS,
        reductions::OPS,
        shape_ops::OPS,
        linalg::OPS,
        blockwise::OPS,
        tasks::OPS,
        fused::OPS,
    ];
    let mut ops: Vec<OpSpec> = families
        .into_iter()
        .flatten()
        .flat_map(|g| g.iter())
        .copied()
        .collect();
    ops.sort_by_key(|op| (op.family as u8, op.name));
    ops
});

static BY_NAME: LazyLock<HashMap<&'static str, usize>> =
    LazyLock::new(|| ALL.iter().enumerate().map(|(i, op)| (op.name, i)).collect());

/// Every op of the graph format, ordered by family then name.
pub fn all() -> &'static [OpSpec] {
    &ALL
}

/// The op called `name`, if there is one.
pub fn lookup(name: &str) -> Option<&'static OpSpec> {
    BY_NAME.get(name).map(|&i| &ALL[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every op named in the graph-format contract (`graph-format.md`).
    const CONTRACT: &str = "array from_npy zeros ones full arange linspace eye random.uniform
        random.normal random.integers negative positive abs sign exp expm1 exp2 log log1p log2
        log10 sqrt cbrt square reciprocal sin cos tan arcsin arccos arctan sinh cosh tanh arcsinh
        arccosh arctanh floor ceil trunc rint isnan isinf isfinite logical_not add subtract
        multiply divide floor_divide remainder power maximum minimum fmax fmin arctan2 hypot equal
        not_equal less less_equal greater greater_equal logical_and logical_or logical_xor where
        clip astype sum prod mean min max var std any all argmin argmax cumsum cumprod getitem
        transpose reshape squeeze expand_dims broadcast_to concatenate stack rechunk tril triu
        matmul dot tensordot outer linalg.cholesky linalg.solve_triangular linalg.solve linalg.inv
        linalg.qr map_overlap map_blocks call from_delayed item literal";

    /// Ops tessera adds to the contract (`input`: in-memory data bound by name;
    /// `fused`: elementwise chains made by the fusion pass).
    const ADDITIONS: &str = "input fused";

    #[test]
    fn every_contract_op_is_in_the_catalogue_and_nothing_else() {
        let mut want: Vec<&str> = CONTRACT
            .split_whitespace()
            .chain(ADDITIONS.split_whitespace())
            .collect();
        want.sort_unstable();
        let mut have: Vec<&str> = all().iter().map(|op| op.name).collect();
        have.sort_unstable();
        assert_eq!(have, want);
    }

    #[test]
    fn ordered_by_family_then_name_and_found_by_lookup() {
        for w in all().windows(2) {
            assert!(
                (w[0].family as u8, w[0].name) < (w[1].family as u8, w[1].name),
                "{} before {}",
                w[0].name,
                w[1].name
            );
        }
        for op in all() {
            assert_eq!(lookup(op.name).map(|o| o.name), Some(op.name));
        }
        assert!(lookup("nope").is_none());
    }

    #[test]
    fn attribute_specs_are_consistent() {
        for op in all() {
            for (i, a) in op.attrs.iter().enumerate() {
                assert!(!a.doc.is_empty(), "{}.{} has no doc", op.name, a.name);
                assert!(
                    op.attrs[..i].iter().all(|b| b.name != a.name),
                    "{}.{} listed twice",
                    op.name,
                    a.name
                );
                assert!(
                    !(a.required && a.default.is_some()),
                    "{}.{}",
                    op.name,
                    a.name
                );
                if let Some(d) = a.default {
                    let v: serde_json::Value = serde_json::from_str(d)
                        .unwrap_or_else(|e| panic!("{}.{} default {d}: {e}", op.name, a.name));
                    let ok = a.ty.check(&v);
                    assert!(ok.is_ok(), "{}.{} default {d}: {ok:?}", op.name, a.name);
                }
            }
            assert!(!op.doc.is_empty());
            assert_eq!(
                op.open_attrs,
                matches!(op.name, "map_overlap" | "map_blocks")
            );
        }
    }

    #[test]
    fn signatures_show_arguments_and_attributes() {
        let sum = lookup("sum").unwrap();
        assert_eq!(sum.signature(), "sum(x, axis=null, keepdims=false)");
        assert_eq!(
            lookup("zeros").unwrap().signature(),
            "zeros(shape, dtype=\"float64\", chunks=\"auto\")"
        );
        assert!(
            lookup("map_blocks")
                .unwrap()
                .signature()
                .ends_with(", ...)")
        );
        assert_eq!(sum.attr("keepdims").map(|a| a.ty), Some(AttrType::Bool));
        assert!(sum.attr("ddof").is_none());
    }
}
