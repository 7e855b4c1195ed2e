//! Block-wise ops: `map_overlap` (ghost cells between neighbouring blocks, then a
//! block function) and `map_blocks` (a block function on aligned blocks). Both
//! accept the block function's own attributes (`OpSpec::open_attrs`); the built-in
//! block function `correlate` is checked here (`weights`, and a depth that covers the
//! kernel radius, so the result equals `scipy.ndimage.correlate` on the whole array).

use serde_json::Value;

use super::attr::{normalize_axis, short};
use super::broadcast::{Operand, broadcast};
use super::sources::nested_shape;
use super::{Arity, AttrSpec, AttrType, Family, InferError, InferInput, OpSpec};
use crate::chunks::{AxisChunks, ChunkSpec, fmt_shape};
use crate::dtype::DType;
use crate::meta::{ArrayMeta, Chunks, Meta};

/// Boundary names `map_overlap` accepts (besides a number).
const BOUNDARIES: [&str; 4] = ["reflect", "periodic", "nearest", "none"];

/// Per-axis depth `(before, after)` from an integer, a per-axis list, or an object
/// axis -> depth; each per-axis depth is an integer or a pair `[before, after]`
/// (asymmetric, as Dask's `overlap`).
fn depths(v: &Value, ndim: usize) -> Result<Vec<(usize, usize)>, String> {
    let int = |x: &Value| -> Result<usize, String> {
        x.as_u64()
            .and_then(|d| usize::try_from(d).ok())
            .ok_or_else(|| format!("a depth must be a non-negative integer, found {}", short(x)))
    };
    let one = |x: &Value| -> Result<(usize, usize), String> {
        match x {
            Value::Array(pair) if pair.len() == 2 => Ok((int(&pair[0])?, int(&pair[1])?)),
            Value::Array(_) => Err(format!(
                "an asymmetric depth is a pair [before, after], found {}",
                short(x)
            )),
            x => int(x).map(|d| (d, d)),
        }
    };
    match v {
        Value::Array(items) => {
            if items.len() != ndim {
                return Err(format!(
                    "depth has {} entries but the array has {ndim} axes",
                    items.len()
                ));
            }
            items.iter().map(one).collect()
        }
        Value::Object(map) => {
            let mut out = vec![(0, 0); ndim];
            for (k, d) in map {
                out[object_axis(k, ndim)?] = one(d)?;
            }
            Ok(out)
        }
        x => Ok(vec![one(x)?; ndim]),
    }
}

/// Refuses a depth larger than its axis: ghost cells beyond the array's length
/// add nothing a smaller depth does not, and a huge depth would make blocks that
/// cannot be allocated (the limit is the axis length, at least 1).
fn depths_within(
    depth: Vec<(usize, usize)>,
    shape: &[usize],
) -> Result<Vec<(usize, usize)>, String> {
    for (a, (&(before, after), &len)) in depth.iter().zip(shape).enumerate() {
        let limit = len.max(1);
        if before.max(after) > limit {
            return Err(format!(
                "depth {} on axis {a} is larger than the axis ({len} elements): at most {limit}",
                before.max(after)
            ));
        }
    }
    Ok(depth)
}

/// An axis written as an object key (`"0"`, `"-1"`).
fn object_axis(key: &str, ndim: usize) -> Result<usize, String> {
    let a: i64 = key
        .parse()
        .map_err(|_| format!("object keys must be axes (integers), found \"{key}\""))?;
    normalize_axis(a, ndim)
}

/// Per-axis boundary: whether the array's outer edges get ghost cells too.
fn boundaries(v: &Value, ndim: usize) -> Result<Vec<bool>, String> {
    let one = |x: &Value| -> Result<bool, String> {
        match x {
            Value::String(s) if BOUNDARIES.contains(&s.as_str()) => Ok(s != "none"),
            Value::Number(_) => Ok(true),
            other => Err(format!(
                "a boundary is \"reflect\", \"periodic\", \"nearest\", \"none\" or a number, found {}",
                short(other)
            )),
        }
    };
    match v {
        Value::Object(map) => {
            let mut out = vec![false; ndim];
            for (k, b) in map {
                out[object_axis(k, ndim)?] = one(b)?;
            }
            Ok(out)
        }
        x => Ok(vec![one(x)?; ndim]),
    }
}

fn map_overlap(input: &InferInput<'_>) -> Result<Meta, InferError> {
    let x = input.array(0)?.clone();
    let func = input.string("fn")?;
    let depth = depths(input.req("depth")?, x.ndim())
        .and_then(|d| depths_within(d, &x.shape))
        .map_err(|e| InferError::at("depth", e))?;
    let padded_edges =
        boundaries(input.req("boundary")?, x.ndim()).map_err(|e| InferError::at("boundary", e))?;
    if let Some(a) = (0..x.ndim()).find(|&a| depth[a].0 != depth[a].1 && padded_edges[a]) {
        return Err(InferError::at(
            "depth",
            format!(
                "an asymmetric depth ({} before, {} after) on axis {a} needs boundary \"none\" there",
                depth[a].0, depth[a].1
            ),
        ));
    }
    let trim = input.flag("trim", true)?;
    let mut dtype = input.opt_dtype("dtype")?.unwrap_or(x.dtype);
    if func == "correlate" {
        let weights = input.opt("weights").ok_or_else(|| {
            InferError::at(
                "weights",
                "the block function correlate needs a `weights` attribute",
            )
        })?;
        let wshape = nested_shape(weights)
            .map_err(|e| InferError::at("weights", e.replacen("data", "weights", 1)))?
            .shape;
        if wshape.len() != x.ndim() {
            return Err(InferError::at(
                "weights",
                format!(
                    "weights have {} dimensions but the array has {}",
                    wshape.len(),
                    x.ndim()
                ),
            ));
        }
        if wshape.contains(&0) {
            return Err(InferError::at(
                "weights",
                format!("weights of shape {} are empty", fmt_shape(&wshape)),
            ));
        }
        for (a, (&w, &(before, after))) in wshape.iter().zip(&depth).enumerate() {
            let d = before.min(after);
            if d < w / 2 {
                return Err(InferError::at(
                    "depth",
                    format!(
                        "depth {d} on axis {a} is smaller than the radius {} of the weights",
                        w / 2
                    ),
                ));
            }
        }
        if x.dtype == DType::Bool {
            return Err(InferError::arg(
                0,
                "correlate needs a numeric array, found bool",
            ));
        }
        // scipy.ndimage.correlate returns the input's dtype.
        dtype = input.opt_dtype("dtype")?.unwrap_or(x.dtype);
    }
    let chunks = if trim {
        x.chunks.clone()
    } else {
        // Without trimming every block keeps its ghost cells: `depth` on each side
        // that has a neighbour, and on the array's edges unless the boundary is "none".
        Chunks(
            x.chunks
                .0
                .iter()
                .enumerate()
                .map(|(a, sizes)| {
                    let n = sizes.len();
                    sizes
                        .iter()
                        .enumerate()
                        .map(|(i, &s)| {
                            let left = if i > 0 || padded_edges[a] {
                                depth[a].0
                            } else {
                                0
                            };
                            let right = if i + 1 < n || padded_edges[a] {
                                depth[a].1
                            } else {
                                0
                            };
                            s + left + right
                        })
                        .collect()
                })
                .collect(),
        )
    };
    let shape = chunks.shape();
    Ok(Meta::Array(ArrayMeta::new(shape, dtype, chunks)))
}

fn map_blocks(input: &InferInput<'_>) -> Result<Meta, InferError> {
    input.string("fn")?;
    let ops: Vec<Operand<'_>> = input
        .args
        .iter()
        .filter_map(|m| match m {
            Meta::Array(a) => Some(Operand::Array(a)),
            _ => None,
        })
        .collect();
    let Some(Operand::Array(first)) = ops.first().copied() else {
        return Err(InferError::new(
            "map_blocks needs at least one array argument",
        ));
    };
    let (_, chunks) = broadcast(&ops)?;
    let dtype = input.opt_dtype("dtype")?.unwrap_or(first.dtype);
    let chunks = match input.opt("chunks") {
        None => chunks,
        Some(spec) => {
            let spec = ChunkSpec::from_json(spec).map_err(|e| InferError::at("chunks", e))?;
            output_chunks(&spec, &chunks).map_err(|e| InferError::at("chunks", e))?
        }
    };
    let shape = chunks.shape();
    Ok(Meta::Array(ArrayMeta::new(shape, dtype, chunks)))
}

/// The result chunks of `map_blocks` given as `chunks`: one entry per axis, an
/// integer meaning "every block has this size" or a list with one size per block;
/// the number of blocks is the inputs'.
fn output_chunks(spec: &ChunkSpec, input: &Chunks) -> Result<Chunks, String> {
    let per_axis: Vec<AxisChunks> = match spec {
        ChunkSpec::PerAxis(items) => items.clone(),
        ChunkSpec::All(c) => vec![c.clone(); input.ndim()],
    };
    if per_axis.len() != input.ndim() {
        return Err(format!(
            "chunks has {} entries but the blocks have {} axes",
            per_axis.len(),
            input.ndim()
        ));
    }
    per_axis
        .iter()
        .zip(&input.0)
        .enumerate()
        .map(|(a, (c, blocks))| match c {
            AxisChunks::Size(k) => Ok(vec![*k; blocks.len()]),
            AxisChunks::Sizes(s) if s.len() == blocks.len() => Ok(s.clone()),
            AxisChunks::Sizes(s) => Err(format!(
                "axis {a}: {} block sizes given but the input has {} blocks",
                s.len(),
                blocks.len()
            )),
            AxisChunks::Whole | AxisChunks::Auto => Err(format!(
                "axis {a}: map_blocks needs the block sizes of its result (an integer or a list)"
            )),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Chunks)
}

const fn attr(
    name: &'static str,
    ty: AttrType,
    required: bool,
    default: Option<&'static str>,
    doc: &'static str,
) -> AttrSpec {
    AttrSpec {
        name,
        ty,
        required,
        default,
        doc,
    }
}

const FN: AttrSpec = attr(
    "fn",
    AttrType::Str,
    true,
    None,
    "Name of a registered block function.",
);
const DTYPE: AttrSpec = attr(
    "dtype",
    AttrType::DType,
    false,
    None,
    "Result dtype; the (first) input's when absent.",
);

const ALL: &[OpSpec] = &[
    OpSpec {
        name: "map_blocks",
        family: Family::Blockwise,
        arity: Arity::AtLeast(1),
        arg_names: "x, *args",
        attrs: &[
            FN,
            DTYPE,
            attr(
                "chunks",
                AttrType::Chunks,
                false,
                None,
                "Result block sizes per axis (integer or one size per block); the input's when absent.",
            ),
        ],
        doc: "Applies a block function to aligned blocks of the array arguments; other attributes go to the function.",
        open_attrs: true,
        infer: map_blocks,
    },
    OpSpec {
        name: "map_overlap",
        family: Family::Blockwise,
        arity: Arity::Exact(1),
        arg_names: "x",
        attrs: &[
            FN,
            attr(
                "depth",
                AttrType::Json,
                true,
                None,
                "Ghost cells per side: integer, per-axis list, or object axis -> integer; a per-axis entry may be [before, after] (asymmetric, boundary none only).",
            ),
            attr(
                "boundary",
                AttrType::Json,
                true,
                None,
                "\"reflect\", \"periodic\", \"nearest\", \"none\", a number, or an object axis -> one of these.",
            ),
            attr(
                "trim",
                AttrType::Bool,
                false,
                Some("true"),
                "Remove the ghost cells from the result blocks.",
            ),
            DTYPE,
            attr(
                "weights",
                AttrType::NestedList,
                false,
                None,
                "For fn \"correlate\": the kernel, same ndim as x.",
            ),
        ],
        doc: "Applies a block function to blocks extended with ghost cells from their neighbours; other attributes go to the function.",
        open_attrs: true,
        infer: map_overlap,
    },
];

/// Every block-wise op.
pub(super) const OPS: &[&[OpSpec]] = &[ALL];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{InferContext, lookup};
    use serde_json::json;

    fn arr(chunks: Vec<Vec<usize>>, dtype: DType) -> Meta {
        let c = Chunks(chunks);
        Meta::Array(ArrayMeta::new(c.shape(), dtype, c))
    }

    fn run(name: &str, args: Vec<Meta>, attrs: Value) -> Result<ArrayMeta, InferError> {
        let op = lookup(name).unwrap();
        let attrs = attrs.as_object().cloned().unwrap_or_default();
        (op.infer)(&InferInput {
            args: &args,
            attrs: &attrs,
            ctx: &InferContext::default(),
        })
        .map(|m| m.as_array().unwrap().clone())
    }

    fn x() -> Meta {
        arr(vec![vec![4, 4, 2], vec![5, 5]], DType::Float32)
    }

    #[test]
    fn map_overlap_correlate_keeps_shape_chunks_and_dtype() {
        let w = json!([[0, 1, 0], [1, -4, 1], [0, 1, 0]]);
        let r = run(
            "map_overlap",
            vec![x()],
            json!({"fn": "correlate", "depth": 1, "boundary": "reflect", "weights": w}),
        )
        .unwrap();
        assert_eq!((r.shape, r.dtype), (vec![10, 10], DType::Float32));
        assert_eq!(r.chunks.0, vec![vec![4, 4, 2], vec![5, 5]]);
        let r = run(
            "map_overlap",
            vec![arr(vec![vec![6]], DType::Int64)],
            json!({"fn": "correlate", "depth": {"0": 2}, "boundary": 0.5, "weights": [1, 2, 3, 4, 5]}),
        )
        .unwrap();
        assert_eq!(r.dtype, DType::Int64);
    }

    #[test]
    fn map_overlap_correlate_errors() {
        let go = |attrs: Value| run("map_overlap", vec![x()], attrs).unwrap_err();
        let e = go(json!({"fn": "correlate", "depth": 1, "boundary": "reflect"}));
        assert_eq!(e.at.as_deref(), Some("weights"));
        let e =
            go(json!({"fn": "correlate", "depth": 1, "boundary": "reflect", "weights": [1, 2, 1]}));
        assert_eq!(e.message, "weights have 1 dimensions but the array has 2");
        let e = go(
            json!({"fn": "correlate", "depth": [1, 0], "boundary": "reflect", "weights": [[1, 1, 1]]}),
        );
        assert_eq!(
            (e.at.as_deref(), e.message.as_str()),
            (
                Some("depth"),
                "depth 0 on axis 1 is smaller than the radius 1 of the weights"
            )
        );
        let e = go(
            json!({"fn": "correlate", "depth": 1, "boundary": "reflect", "weights": [[1], [1, 2]]}),
        );
        assert!(e.message.starts_with("weights is ragged"), "{}", e.message);
    }

    #[test]
    fn map_overlap_depth_and_boundary_forms() {
        let go = |attrs: Value| run("map_overlap", vec![x()], attrs);
        assert!(
            go(json!({"fn": "f", "depth": [1, 2], "boundary": {"0": "periodic", "-1": 3}})).is_ok()
        );
        assert_eq!(
            go(json!({"fn": "f", "depth": [1], "boundary": "none"}))
                .unwrap_err()
                .at
                .as_deref(),
            Some("depth")
        );
        assert!(go(json!({"fn": "f", "depth": -1, "boundary": "none"})).is_err());
        assert!(go(json!({"fn": "f", "depth": {"2": 1}, "boundary": "none"})).is_err());
        assert!(go(json!({"fn": "f", "depth": {"a": 1}, "boundary": "none"})).is_err());
        let e = go(json!({"fn": "f", "depth": 1, "boundary": "wrap"})).unwrap_err();
        assert_eq!(e.at.as_deref(), Some("boundary"));
        assert!(go(json!({"fn": "f", "boundary": "none"})).is_err());
        // Extra attributes of an unknown block function are passed through.
        assert!(go(json!({"fn": "f", "depth": 1, "boundary": "none", "sigma": 2})).is_ok());
    }

    #[test]
    fn map_overlap_without_trim_keeps_ghost_cells() {
        // Dask: da.overlap.overlap(ones(10, chunks=(4,4,2)), depth=1, boundary="none").chunks
        //   == ((5, 6, 3),); with boundary "reflect": ((6, 6, 4),)
        let v = arr(vec![vec![4, 4, 2]], DType::Float64);
        let r = run(
            "map_overlap",
            vec![v.clone()],
            json!({"fn": "f", "depth": 1, "boundary": "none", "trim": false}),
        )
        .unwrap();
        assert_eq!(r.chunks.0, vec![vec![5, 6, 3]]);
        assert_eq!(r.shape, vec![14]);
        let r = run(
            "map_overlap",
            vec![v],
            json!({"fn": "f", "depth": 1, "boundary": "reflect", "trim": false}),
        )
        .unwrap();
        assert_eq!(r.chunks.0, vec![vec![6, 6, 4]]);
    }

    #[test]
    fn map_blocks_shapes() {
        let r = run("map_blocks", vec![x()], json!({"fn": "f"})).unwrap();
        assert_eq!((r.shape, r.dtype), (vec![10, 10], DType::Float32));
        let r = run(
            "map_blocks",
            vec![x(), Meta::Any],
            json!({"fn": "f", "dtype": "int32", "chunks": [1, [2, 3]]}),
        )
        .unwrap();
        assert_eq!((r.shape, r.dtype), (vec![3, 5], DType::Int32));
        assert_eq!(r.chunks.0, vec![vec![1, 1, 1], vec![2, 3]]);
        // Several arrays broadcast and unify their blocks.
        let row = arr(vec![vec![10]], DType::Float64);
        let r = run("map_blocks", vec![x(), row], json!({"fn": "f"})).unwrap();
        assert_eq!(r.chunks.0, vec![vec![4, 4, 2], vec![5, 5]]);
        assert!(
            run(
                "map_blocks",
                vec![x()],
                json!({"fn": "f", "chunks": [1, [2, 3, 4]]})
            )
            .is_err()
        );
        assert!(run("map_blocks", vec![x()], json!({"fn": "f", "chunks": [1]})).is_err());
        assert!(
            run(
                "map_blocks",
                vec![x()],
                json!({"fn": "f", "chunks": "auto"})
            )
            .is_err()
        );
        assert!(run("map_blocks", vec![Meta::Any], json!({"fn": "f"})).is_err());
    }
}
