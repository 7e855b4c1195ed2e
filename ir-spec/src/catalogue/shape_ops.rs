//! Shape and layout ops: `getitem`, `transpose`, `reshape`, `squeeze`, `expand_dims`,
//! `broadcast_to`, `concatenate`, `stack`, `rechunk`, `tril`, `triu`.
//!
//! Reshape chunks (a simple rule, always correct, exact for the common cases; Dask's
//! `reshape_rechunk` is more thorough): leading axes that keep their length keep
//! their chunks. In the remaining (trailing) part, if the input is one block along
//! every trailing axis but the first, each input block is a contiguous run of
//! elements; when every such run is a whole number of output rows (the product of
//! the output's later trailing axes), the output keeps those runs as blocks along its
//! first trailing axis and is one block along the others. Otherwise the output is
//! one block along all trailing axes (lowering rechunks the input to match).

use super::attr::{checked_size, normalize_axes, normalize_axis, not_an_array};
use super::{Arity, AttrSpec, AttrType, Family, InferError, InferInput, OpSpec};
use crate::chunks::{fmt_shape, reshape_kept_axes, tidy, unify_axis};
use crate::dtype::DType;
use crate::index::{normalize_index, parse_index};
use crate::meta::{ArrayMeta, Chunks, Meta};

/// Chunks of `input` (of shape `in_shape`) reshaped to `out_shape`, by the rule in
/// the module documentation. The element counts must agree.
pub(super) fn reshape_chunks(input: &Chunks, in_shape: &[usize], out_shape: &[usize]) -> Chunks {
    if in_shape == out_shape {
        return input.clone();
    }
    let p = reshape_kept_axes(in_shape, out_shape);
    let mut out: Vec<Vec<usize>> = input.0[..p].to_vec();
    let (rest_in, rest_out) = (&in_shape[p..], &out_shape[p..]);
    let whole = |shape: &[usize]| shape.iter().map(|&n| vec![n]).collect::<Vec<_>>();
    if rest_in.is_empty() || rest_out.is_empty() {
        out.extend(whole(rest_out));
        return Chunks(out);
    }
    let r_in: usize = rest_in[1..].iter().product();
    let r_out: usize = rest_out[1..].iter().product();
    let trailing_whole = (p + 1..in_shape.len()).all(|a| input.0[a].len() == 1);
    if trailing_whole && r_in > 0 && r_out > 0 {
        let runs: Option<Vec<usize>> = input.0[p]
            .iter()
            .map(|&c| {
                c.checked_mul(r_in)
                    .filter(|run| run % r_out == 0)
                    .map(|run| run / r_out)
            })
            .collect();
        if let Some(runs) = runs {
            out.push(tidy(runs));
            out.extend(whole(&rest_out[1..]));
            return Chunks(out);
        }
    }
    out.extend(whole(rest_out));
    Chunks(out)
}

fn array_result(shape: Vec<usize>, dtype: DType, chunks: Chunks) -> Result<Meta, InferError> {
    Ok(Meta::Array(ArrayMeta::new(shape, dtype, chunks)))
}

fn getitem(input: &InferInput<'_>) -> Result<Meta, InferError> {
    let x = input.array_like(0)?;
    let entries = parse_index(input.req("index")?).map_err(|e| InferError::at("index", e))?;
    let index = normalize_index(&entries, &x.shape).map_err(|e| InferError::at("index", e))?;
    let chunks = index.chunks(&x.chunks);
    array_result(index.shape, x.dtype, chunks)
}

fn transpose(input: &InferInput<'_>) -> Result<Meta, InferError> {
    let x = input.array_like(0)?;
    let n = x.ndim();
    let perm: Vec<usize> = match input.opt_int_list("axes")? {
        None => (0..n).rev().collect(),
        Some(axes) => {
            if axes.len() != n {
                return Err(InferError::at(
                    "axes",
                    format!(
                        "axes don't match array: {} axes given for an array of dimension {n}",
                        axes.len()
                    ),
                ));
            }
            let mut perm = Vec::with_capacity(n);
            for &a in &axes {
                let a = normalize_axis(a, n).map_err(|e| InferError::at("axes", e))?;
                if perm.contains(&a) {
                    return Err(InferError::at("axes", "repeated axis in transpose"));
                }
                perm.push(a);
            }
            perm
        }
    };
    let shape = perm.iter().map(|&a| x.shape[a]).collect();
    let chunks = Chunks(perm.iter().map(|&a| x.chunks.0[a].clone()).collect());
    array_result(shape, x.dtype, chunks)
}

fn reshape(input: &InferInput<'_>) -> Result<Meta, InferError> {
    let x = input.array_like(0)?;
    let raw = input
        .opt_int_list("shape")?
        .ok_or_else(|| InferError::at("shape", "attribute `shape` is required"))?;
    let size = x.size();
    let text = || {
        format!(
            "({})",
            raw.iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let cannot = || {
        InferError::at(
            "shape",
            format!("cannot reshape array of size {size} into shape {}", text()),
        )
    };
    let mut unknown = None;
    let mut known = 1usize;
    for (i, &n) in raw.iter().enumerate() {
        match n {
            -1 if unknown.is_some() => {
                return Err(InferError::at(
                    "shape",
                    "can only specify one unknown dimension",
                ));
            }
            -1 => unknown = Some(i),
            n => {
                let n = usize::try_from(n).map_err(|_| {
                    InferError::at(
                        "shape",
                        format!("negative dimensions are not allowed, found {n}"),
                    )
                })?;
                known = known.checked_mul(n).ok_or_else(cannot)?;
            }
        }
    }
    let mut shape: Vec<usize> = raw
        .iter()
        .map(|&n| usize::try_from(n).unwrap_or(0))
        .collect();
    match unknown {
        Some(i) => {
            if known == 0 || size % known != 0 {
                return Err(cannot());
            }
            shape[i] = size / known;
        }
        None if known != size => return Err(cannot()),
        None => {}
    }
    // A size-0 array takes any shape with a zero, as long as the other
    // dimensions' product fits (NumPy: "array is too big").
    checked_size(&shape).map_err(|e| InferError::at("shape", e))?;
    let chunks = reshape_chunks(&x.chunks, &x.shape, &shape);
    array_result(shape, x.dtype, chunks)
}

fn squeeze(input: &InferInput<'_>) -> Result<Meta, InferError> {
    let x = input.array_like(0)?;
    let axes = match input.axes("axis", x.ndim())? {
        None => (0..x.ndim()).filter(|&a| x.shape[a] == 1).collect(),
        Some(axes) => {
            if let Some(&a) = axes.iter().find(|&&a| x.shape[a] != 1) {
                return Err(InferError::at(
                    "axis",
                    format!(
                        "cannot select an axis to squeeze out which has size not equal to one (axis {a} has length {})",
                        x.shape[a]
                    ),
                ));
            }
            axes
        }
    };
    let keep: Vec<usize> = (0..x.ndim()).filter(|a| !axes.contains(a)).collect();
    let shape = keep.iter().map(|&a| x.shape[a]).collect();
    let chunks = Chunks(keep.iter().map(|&a| x.chunks.0[a].clone()).collect());
    array_result(shape, x.dtype, chunks)
}

fn expand_dims(input: &InferInput<'_>) -> Result<Meta, InferError> {
    let x = input.array_like(0)?;
    let raw: Vec<i64> = match input.req("axis")? {
        serde_json::Value::Array(_) => input.opt_int_list("axis")?.unwrap_or_default(),
        _ => vec![input.int("axis")?],
    };
    let out_ndim = x.ndim() + raw.len();
    let axes = normalize_axes(&raw, out_ndim).map_err(|e| {
        InferError::at(
            "axis",
            if e.starts_with("duplicate") {
                "repeated axis".to_owned()
            } else {
                e
            },
        )
    })?;
    let mut shape = Vec::with_capacity(out_ndim);
    let mut chunks = Vec::with_capacity(out_ndim);
    let mut next = 0;
    for pos in 0..out_ndim {
        if axes.contains(&pos) {
            shape.push(1);
            chunks.push(vec![1]);
        } else {
            shape.push(x.shape[next]);
            chunks.push(x.chunks.0[next].clone());
            next += 1;
        }
    }
    array_result(shape, x.dtype, Chunks(chunks))
}

fn broadcast_to(input: &InferInput<'_>) -> Result<Meta, InferError> {
    let x = input.array_like(0)?;
    let shape = input.shape("shape")?;
    let cannot = || {
        InferError::at(
            "shape",
            format!(
                "cannot broadcast an array of shape {} to shape {}",
                fmt_shape(&x.shape),
                fmt_shape(&shape)
            ),
        )
    };
    let new = shape.len().checked_sub(x.ndim()).ok_or_else(cannot)?;
    let mut chunks: Vec<Vec<usize>> = shape[..new].iter().map(|&n| vec![n]).collect();
    for (i, (&old, sizes)) in x.shape.iter().zip(&x.chunks.0).enumerate() {
        let n = shape[new + i];
        if old == n {
            chunks.push(sizes.clone());
        } else if old == 1 {
            chunks.push(vec![n]);
        } else {
            return Err(cannot());
        }
    }
    array_result(shape, x.dtype, Chunks(chunks))
}

/// The arrays of a `concatenate`/`stack` list argument (scalars become 0-d arrays).
fn array_list(input: &InferInput<'_>, what: &str) -> Result<Vec<ArrayMeta>, InferError> {
    let items = match input.arg(0)? {
        Meta::List(items) => items,
        other => {
            return Err(InferError::arg(
                0,
                format!(
                    "{what} takes one list of arrays as its argument, found {}",
                    other.describe()
                ),
            ));
        }
    };
    if items.is_empty() {
        return Err(InferError::arg(
            0,
            format!("need at least one array to {what}"),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(k, m)| match m {
            Meta::Array(a) => Ok(a.clone()),
            Meta::Scalar(kind, _) => Ok(ArrayMeta::scalar(DType::of_scalar(*kind))),
            other => Err(InferError::at(
                format!("args/0/{k}"),
                not_an_array(k, other)
                    .message
                    .replacen("argument", "list element", 1),
            )),
        })
        .collect()
}

/// Unifies the chunks of `arrays` on every axis but `skip`.
fn unify_except(arrays: &[ArrayMeta], skip: Option<usize>) -> Result<Vec<Vec<usize>>, InferError> {
    let first = &arrays[0];
    let mut out = first.chunks.0.clone();
    for a in &arrays[1..] {
        for (axis, sizes) in out.iter_mut().enumerate() {
            if Some(axis) != skip {
                *sizes = unify_axis(sizes, &a.chunks.0[axis]).map_err(|e| InferError::arg(0, e))?;
            }
        }
    }
    Ok(out)
}

fn concatenate(input: &InferInput<'_>) -> Result<Meta, InferError> {
    let arrays = array_list(input, "concatenate")?;
    let ndim = arrays[0].ndim();
    if ndim == 0 {
        return Err(InferError::arg(
            0,
            "zero-dimensional arrays cannot be concatenated",
        ));
    }
    let axis = normalize_axis(input.opt_int("axis")?.unwrap_or(0), ndim)
        .map_err(|e| InferError::at("axis", e))?;
    for (k, a) in arrays.iter().enumerate().skip(1) {
        if a.ndim() != ndim {
            return Err(InferError::at(
                format!("args/0/{k}"),
                format!(
                    "all the input arrays must have same number of dimensions, but the array at index 0 has {ndim} dimension(s) and the array at index {k} has {} dimension(s)",
                    a.ndim()
                ),
            ));
        }
        if let Some(d) = (0..ndim).find(|&d| d != axis && a.shape[d] != arrays[0].shape[d]) {
            return Err(InferError::at(
                format!("args/0/{k}"),
                format!(
                    "all the input array dimensions except for the concatenation axis must match exactly, but along dimension {d}, the array at index 0 has size {} and the array at index {k} has size {}",
                    arrays[0].shape[d], a.shape[d]
                ),
            ));
        }
    }
    let mut chunks = unify_except(&arrays, Some(axis))?;
    chunks[axis] = tidy(
        arrays
            .iter()
            .flat_map(|a| a.chunks.0[axis].iter().copied())
            .collect(),
    );
    let mut shape = arrays[0].shape.clone();
    shape[axis] = arrays.iter().map(|a| a.shape[axis]).sum();
    let dtype = arrays
        .iter()
        .map(|a| a.dtype)
        .reduce(DType::promote)
        .unwrap_or(DType::Float64);
    array_result(shape, dtype, Chunks(chunks))
}

fn stack(input: &InferInput<'_>) -> Result<Meta, InferError> {
    let arrays = array_list(input, "stack")?;
    let ndim = arrays[0].ndim();
    let axis = normalize_axis(input.opt_int("axis")?.unwrap_or(0), ndim + 1)
        .map_err(|e| InferError::at("axis", e))?;
    if let Some(k) = arrays.iter().position(|a| a.shape != arrays[0].shape) {
        return Err(InferError::at(
            format!("args/0/{k}"),
            format!(
                "all input arrays must have the same shape, but the array at index 0 has shape {} and the array at index {k} has shape {}",
                fmt_shape(&arrays[0].shape),
                fmt_shape(&arrays[k].shape)
            ),
        ));
    }
    let mut chunks = unify_except(&arrays, None)?;
    chunks.insert(axis, vec![1; arrays.len()]);
    let mut shape = arrays[0].shape.clone();
    shape.insert(axis, arrays.len());
    let dtype = arrays
        .iter()
        .map(|a| a.dtype)
        .reduce(DType::promote)
        .unwrap_or(DType::Float64);
    array_result(shape, dtype, Chunks(chunks))
}

fn rechunk(input: &InferInput<'_>) -> Result<Meta, InferError> {
    let x = input.array_like(0)?;
    input.req("chunks")?;
    let chunks = input.chunks(&x.shape, x.dtype)?;
    array_result(x.shape, x.dtype, chunks)
}

fn triangle(input: &InferInput<'_>) -> Result<Meta, InferError> {
    let x = input.array_like(0)?;
    if x.ndim() < 2 {
        return Err(InferError::arg(
            0,
            format!(
                "needs an array of at least 2 dimensions, found shape {}",
                fmt_shape(&x.shape)
            ),
        ));
    }
    input.opt_int("k")?;
    Ok(Meta::Array(x))
}

const fn op(
    name: &'static str,
    arity: Arity,
    arg_names: &'static str,
    attrs: &'static [AttrSpec],
    doc: &'static str,
    infer: fn(&InferInput<'_>) -> Result<Meta, InferError>,
) -> OpSpec {
    OpSpec {
        name,
        family: Family::Shape,
        arity,
        arg_names,
        attrs,
        doc,
        open_attrs: false,
        infer,
    }
}

const fn attr(
    name: &'static str,
    ty: AttrType,
    default: Option<&'static str>,
    doc: &'static str,
) -> AttrSpec {
    AttrSpec {
        name,
        ty,
        required: default.is_none(),
        default,
        doc,
    }
}

const fn optional(name: &'static str, ty: AttrType, doc: &'static str) -> AttrSpec {
    AttrSpec {
        name,
        ty,
        required: false,
        default: None,
        doc,
    }
}

const ONE: Arity = Arity::Exact(1);
const K: AttrSpec = attr(
    "k",
    AttrType::Int,
    Some("0"),
    "Diagonal offset: 0 main, > 0 above, < 0 below.",
);
const JOIN_AXIS: AttrSpec = attr("axis", AttrType::Int, Some("0"), "The axis to join along.");

const ALL: &[OpSpec] = &[
    op(
        "getitem",
        ONE,
        "x",
        &[attr(
            "index",
            AttrType::Index,
            None,
            "Index entries: integer, [start, stop, step], null (new axis) or \"...\".",
        )],
        "Basic NumPy indexing: integers, slices, new axes, ellipsis.",
        getitem,
    ),
    op(
        "transpose",
        ONE,
        "x",
        &[optional(
            "axes",
            AttrType::IntList,
            "A permutation of the axes; reversed order when absent.",
        )],
        "Permutes the axes.",
        transpose,
    ),
    op(
        "reshape",
        ONE,
        "x",
        &[attr(
            "shape",
            AttrType::ReshapeShape,
            None,
            "The new shape; one entry may be -1 (inferred).",
        )],
        "Gives a new shape to the array (C order).",
        reshape,
    ),
    op(
        "squeeze",
        ONE,
        "x",
        &[attr(
            "axis",
            AttrType::Axis,
            Some("null"),
            "Axes of length 1 to remove; null for all of them.",
        )],
        "Removes axes of length 1.",
        squeeze,
    ),
    op(
        "expand_dims",
        ONE,
        "x",
        &[attr(
            "axis",
            AttrType::Axis,
            None,
            "Position(s) of the new axes in the result.",
        )],
        "Inserts axes of length 1.",
        expand_dims,
    ),
    op(
        "broadcast_to",
        ONE,
        "x",
        &[attr(
            "shape",
            AttrType::Shape,
            None,
            "The shape to broadcast to.",
        )],
        "Broadcasts the array to a shape (NumPy rules).",
        broadcast_to,
    ),
    op(
        "concatenate",
        ONE,
        "arrays",
        &[JOIN_AXIS],
        "Joins a list of arrays along an existing axis.",
        concatenate,
    ),
    op(
        "stack",
        ONE,
        "arrays",
        &[JOIN_AXIS],
        "Joins a list of same-shaped arrays along a new axis.",
        stack,
    ),
    op(
        "rechunk",
        ONE,
        "x",
        &[attr(
            "chunks",
            AttrType::Chunks,
            None,
            "The new chunks: integer, per-axis list, or \"auto\".",
        )],
        "Changes the block structure without changing values.",
        rechunk,
    ),
    op(
        "tril",
        ONE,
        "x",
        &[K],
        "Lower triangle of the last two axes (zeros above diagonal k).",
        triangle,
    ),
    op(
        "triu",
        ONE,
        "x",
        &[K],
        "Upper triangle of the last two axes (zeros below diagonal k).",
        triangle,
    ),
];

/// Every shape and layout op.
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

    fn run(name: &str, args: Vec<Meta>, attrs: serde_json::Value) -> Result<ArrayMeta, InferError> {
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
        arr(vec![vec![2, 2], vec![3, 3]], DType::Float64)
    }

    #[test]
    fn getitem_shapes_and_chunks() {
        // x: (4, 6) chunks ((2, 2), (3, 3)); x[1:, ::-2] -> (3, 3) chunks ((1, 2), (2, 1))
        let r = run(
            "getitem",
            vec![x()],
            json!({"index": [[1, null, null], [null, null, -2]]}),
        )
        .unwrap();
        assert_eq!(
            (r.shape, r.chunks.0),
            (vec![3, 3], vec![vec![1, 2], vec![2, 1]])
        );
        let e = run("getitem", vec![x()], json!({"index": [4]})).unwrap_err();
        assert_eq!(e.at.as_deref(), Some("index"));
        assert_eq!(e.message, "index 4 is out of bounds for axis 0 with size 4");
    }

    #[test]
    fn transpose_permutes_shape_and_chunks() {
        let r = run("transpose", vec![x()], json!({})).unwrap();
        assert_eq!(
            (r.shape, r.chunks.0),
            (vec![6, 4], vec![vec![3, 3], vec![2, 2]])
        );
        let y = arr(vec![vec![2], vec![1], vec![3]], DType::Int32);
        assert_eq!(
            run("transpose", vec![y.clone()], json!({"axes": [-1, 0, 1]}))
                .unwrap()
                .shape,
            vec![3, 2, 1]
        );
        let e = run("transpose", vec![y.clone()], json!({"axes": [0, 0, 1]})).unwrap_err();
        assert_eq!(e.message, "repeated axis in transpose");
        assert!(
            run("transpose", vec![y.clone()], json!({"axes": [0, 1]}))
                .unwrap_err()
                .message
                .contains("don't match")
        );
        assert!(run("transpose", vec![y], json!({"axes": [0, 1, 3]})).is_err());
    }

    #[test]
    fn reshape_infers_minus_one_and_keeps_chunks_when_it_can() {
        // Dask: da.ones((6, 4), chunks=(2, 4)).reshape(24).chunks == ((8, 8, 8),)
        let a = arr(vec![vec![2, 2, 2], vec![4]], DType::Float64);
        let r = run("reshape", vec![a.clone()], json!({"shape": [-1]})).unwrap();
        assert_eq!((r.shape, r.chunks.0), (vec![24], vec![vec![8, 8, 8]]));
        // Dask: da.ones(24, chunks=8).reshape(6, 4).chunks == ((2, 2, 2), (4,))
        let b = arr(vec![vec![8, 8, 8]], DType::Float64);
        let r = run("reshape", vec![b], json!({"shape": [6, -1]})).unwrap();
        assert_eq!(
            (r.shape, r.chunks.0),
            (vec![6, 4], vec![vec![2, 2, 2], vec![4]])
        );
        // Leading axes that stay keep their chunks; runs of 2 x 3 merge into 6.
        let c = arr(vec![vec![1, 1], vec![2, 2], vec![3]], DType::Float64);
        let r = run("reshape", vec![c], json!({"shape": [2, 12]})).unwrap();
        assert_eq!(r.chunks.0, vec![vec![1, 1], vec![6, 6]]);
        // A last axis split in blocks cannot merge: the merged axis is whole.
        let c = arr(vec![vec![1, 1], vec![4], vec![2, 1]], DType::Float64);
        let r = run("reshape", vec![c], json!({"shape": [2, 12]})).unwrap();
        assert_eq!(r.chunks.0, vec![vec![1, 1], vec![12]]);
        // Not aligned: whole trailing axes.
        let d = arr(vec![vec![5, 5]], DType::Float64);
        let r = run("reshape", vec![d], json!({"shape": [5, 2]})).unwrap();
        assert_eq!(r.chunks.0, vec![vec![5], vec![2]]);
        // Adding trailing axes of length 1.
        let r = run("reshape", vec![x()], json!({"shape": [4, 6, 1]})).unwrap();
        assert_eq!(r.chunks.0, vec![vec![2, 2], vec![3, 3], vec![1]]);
    }

    #[test]
    fn reshape_errors() {
        let e = run("reshape", vec![x()], json!({"shape": [5, 5]})).unwrap_err();
        assert_eq!(
            e.message,
            "cannot reshape array of size 24 into shape (5, 5)"
        );
        assert!(
            run("reshape", vec![x()], json!({"shape": [-1, -1]}))
                .unwrap_err()
                .message
                .contains("one unknown")
        );
        assert!(run("reshape", vec![x()], json!({"shape": [5, -1]})).is_err());
        let empty = arr(vec![vec![0]], DType::Float64);
        assert!(run("reshape", vec![empty.clone()], json!({"shape": [-1, 0]})).is_err());
        assert_eq!(
            run("reshape", vec![empty], json!({"shape": [3, 0]}))
                .unwrap()
                .shape,
            vec![3, 0]
        );
    }

    #[test]
    fn squeeze_and_expand_dims() {
        let y = arr(vec![vec![1], vec![2, 2], vec![1]], DType::Bool);
        let r = run("squeeze", vec![y.clone()], json!({})).unwrap();
        assert_eq!((r.shape, r.chunks.0), (vec![4], vec![vec![2, 2]]));
        assert_eq!(
            run("squeeze", vec![y.clone()], json!({"axis": -1}))
                .unwrap()
                .shape,
            vec![1, 4]
        );
        let e = run("squeeze", vec![y], json!({"axis": 1})).unwrap_err();
        assert!(
            e.message
                .starts_with("cannot select an axis to squeeze out"),
            "{}",
            e.message
        );
        // np.expand_dims(np.zeros((4, 6)), (0, -1)).shape == (1, 4, 6, 1)
        let r = run("expand_dims", vec![x()], json!({"axis": [0, -1]})).unwrap();
        assert_eq!(r.shape, vec![1, 4, 6, 1]);
        assert_eq!(r.chunks.0, vec![vec![1], vec![2, 2], vec![3, 3], vec![1]]);
        assert_eq!(
            run("expand_dims", vec![x()], json!({"axis": 1}))
                .unwrap()
                .shape,
            vec![4, 1, 6]
        );
        assert_eq!(
            run("expand_dims", vec![x()], json!({"axis": [0, 0]}))
                .unwrap_err()
                .message,
            "repeated axis"
        );
        assert!(run("expand_dims", vec![x()], json!({"axis": 3})).is_err());
    }

    #[test]
    fn broadcast_to_follows_dask_chunks() {
        // Dask: da.broadcast_to(da.ones((1, 3), chunks=(1, 2)), (2, 4, 3)).chunks
        //   == ((2,), (4,), (2, 1))
        let y = arr(vec![vec![1], vec![2, 1]], DType::Int64);
        let r = run("broadcast_to", vec![y.clone()], json!({"shape": [2, 4, 3]})).unwrap();
        assert_eq!(
            (r.shape, r.chunks.0),
            (vec![2, 4, 3], vec![vec![2], vec![4], vec![2, 1]])
        );
        assert!(run("broadcast_to", vec![y.clone()], json!({"shape": [3]})).is_err());
        let e = run("broadcast_to", vec![y], json!({"shape": [2, 4]})).unwrap_err();
        assert_eq!(
            e.message,
            "cannot broadcast an array of shape (1, 3) to shape (2, 4)"
        );
    }

    #[test]
    fn concatenate_and_stack_match_dask() {
        let a = arr(vec![vec![2, 2], vec![3, 3]], DType::Int32);
        let b = arr(vec![vec![1, 1], vec![2, 2, 2]], DType::Float32);
        // Dask: ((2, 2, 1, 1), (2, 1, 1, 2))
        let r = run(
            "concatenate",
            vec![Meta::List(vec![a.clone(), b.clone()])],
            json!({}),
        )
        .unwrap();
        assert_eq!(r.shape, vec![6, 6]);
        assert_eq!(r.chunks.0, vec![vec![2, 2, 1, 1], vec![2, 1, 1, 2]]);
        assert_eq!(r.dtype, DType::Float64);
        let c = arr(vec![vec![1, 1, 1, 1], vec![2, 2, 2]], DType::Int32);
        // Dask: da.stack([a, c], axis=1).chunks == ((1, 1, 1, 1), (1, 1), (2, 1, 1, 2))
        let r = run(
            "stack",
            vec![Meta::List(vec![a.clone(), c])],
            json!({"axis": 1}),
        )
        .unwrap();
        assert_eq!(r.shape, vec![4, 2, 6]);
        assert_eq!(
            r.chunks.0,
            vec![vec![1, 1, 1, 1], vec![1, 1], vec![2, 1, 1, 2]]
        );
        assert_eq!(r.dtype, DType::Int32);
    }

    #[test]
    fn concatenate_and_stack_errors() {
        let a = arr(vec![vec![2, 2], vec![3, 3]], DType::Int32);
        let b = arr(vec![vec![3], vec![4]], DType::Int32);
        let e = run(
            "concatenate",
            vec![Meta::List(vec![a.clone(), b.clone()])],
            json!({}),
        )
        .unwrap_err();
        assert_eq!(e.at.as_deref(), Some("args/0/1"));
        assert!(e.message.contains("along dimension 1"), "{}", e.message);
        let e = run("stack", vec![Meta::List(vec![a.clone(), b])], json!({})).unwrap_err();
        assert!(
            e.message
                .starts_with("all input arrays must have the same shape")
        );
        assert!(run("concatenate", vec![Meta::List(vec![])], json!({})).is_err());
        assert!(
            run("concatenate", vec![a.clone()], json!({}))
                .unwrap_err()
                .message
                .contains("one list")
        );
        let s = Meta::Scalar(crate::dtype::ScalarKind::Int, 1.0);
        let e = run(
            "concatenate",
            vec![Meta::List(vec![s.clone(), s])],
            json!({}),
        )
        .unwrap_err();
        assert_eq!(e.message, "zero-dimensional arrays cannot be concatenated");
        let v = arr(vec![vec![4]], DType::Int32);
        assert!(
            run(
                "concatenate",
                vec![Meta::List(vec![a.clone(), v])],
                json!({})
            )
            .is_err()
        );
        assert!(
            run(
                "concatenate",
                vec![Meta::List(vec![a.clone()])],
                json!({"axis": 2})
            )
            .is_err()
        );
        let e = run("stack", vec![Meta::List(vec![a, Meta::Any])], json!({})).unwrap_err();
        assert_eq!(e.at.as_deref(), Some("args/0/1"));
    }

    #[test]
    fn rechunk_and_triangles() {
        let r = run("rechunk", vec![x()], json!({"chunks": [4, [1, 5]]})).unwrap();
        assert_eq!(r.chunks.0, vec![vec![4], vec![1, 5]]);
        let e = run("rechunk", vec![x()], json!({"chunks": [[1, 1], 6]})).unwrap_err();
        assert_eq!(e.at.as_deref(), Some("chunks"));
        assert!(run("rechunk", vec![x()], json!({})).is_err());
        assert_eq!(
            run("tril", vec![x()], json!({"k": -1})).unwrap().chunks.0,
            vec![vec![2, 2], vec![3, 3]]
        );
        let v = arr(vec![vec![4]], DType::Int32);
        assert!(
            run("triu", vec![v], json!({}))
                .unwrap_err()
                .message
                .contains("at least 2")
        );
    }
}
