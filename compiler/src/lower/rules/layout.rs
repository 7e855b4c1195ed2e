//! Layout ops: each result block is computed from the region of the input it
//! comes from, so any chunking of the input works (regions are views of blocks,
//! assembled only where they span several).

use serde_json::{Value as Json, json};
use tessera_ir::index::{AxisIndex, normalize_index, parse_index};
use tessera_ir::{Meta, TaskExpr};
use tessera_ir::{NodeIdx, ValidArg};

use super::axes::{axis_list, normalize_axis};
use super::elementwise::broadcast_region;
use crate::lower::Lowerer;
use crate::lower::context::{call, kwargs};
use crate::lower::select::AxisSel;

fn single_input(cx: &Lowerer<'_>, node: NodeIdx) -> Result<NodeIdx, String> {
    match cx.node(node).args.first() {
        Some(ValidArg::Node(input)) if matches!(cx.node(*input).meta, Meta::Array(_)) => Ok(*input),
        _ => Err(format!("{} takes an array argument", cx.node(node).op.name)),
    }
}

fn spans(bounds: &[(usize, usize)]) -> Vec<AxisSel> {
    bounds
        .iter()
        .map(|&(lo, hi)| AxisSel::span(lo, hi))
        .collect()
}

/// `getitem`: the result block's positions map back to input positions; the
/// pieces of every input block touched are views, assembled when several.
pub(super) fn getitem(
    cx: &mut Lowerer<'_>,
    node: NodeIdx,
    index: &[usize],
) -> Result<TaskExpr, String> {
    let input = single_input(cx, node)?;
    let n = cx.node(node);
    let entries = parse_index(n.attrs.get("index").unwrap_or(&Json::Null))?;
    let in_shape = cx.chunks(input).shape();
    let normal = normalize_index(&entries, &in_shape)?;
    let bounds = cx.block_bounds(node, index);
    // Result axes are the input axes that are not picked, in order, with the new
    // axes (of length 1) inserted at `normal.new_axes`.
    let mut kept_bounds = bounds
        .iter()
        .enumerate()
        .filter(|(axis, _)| !normal.new_axes.contains(axis))
        .map(|(_, b)| *b);
    let mut sels = Vec::with_capacity(in_shape.len());
    for axis in &normal.axes {
        sels.push(match *axis {
            AxisIndex::Pick(p) => AxisSel::Pick(p),
            AxisIndex::Range { start, step, .. } => {
                let (lo, hi) = kept_bounds
                    .next()
                    .ok_or("index and result shape disagree")?;
                let first = start + lo as i64 * step;
                AxisSel::Range {
                    start: first.max(0) as usize,
                    step,
                    len: hi - lo,
                }
            }
        });
    }
    let new_axes = normal.new_axes.clone();
    let region = cx.region(input, &sels);
    if new_axes.is_empty() {
        return Ok(region);
    }
    Ok(call(
        "expand_dims",
        vec![region],
        kwargs(json!({ "axis": new_axes })),
    ))
}

/// `transpose`: result block bounds permuted back onto the input.
pub(super) fn transpose(
    cx: &mut Lowerer<'_>,
    node: NodeIdx,
    index: &[usize],
) -> Result<TaskExpr, String> {
    let input = single_input(cx, node)?;
    let ndim = cx.chunks(input).ndim();
    let axes: Vec<usize> = match cx.node(node).attrs.get("axes") {
        None | Some(Json::Null) => (0..ndim).rev().collect(),
        Some(Json::Array(list)) => list
            .iter()
            .map(|a| normalize_axis(a.as_i64().ok_or("axes must be integers")?, ndim))
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(format!("axes must be a list of integers, not {other}")),
    };
    let bounds = cx.block_bounds(node, index);
    let mut in_bounds = vec![(0, 0); ndim];
    for (out_axis, &in_axis) in axes.iter().enumerate() {
        in_bounds[in_axis] = bounds[out_axis];
    }
    let region = cx.region(input, &spans(&in_bounds));
    Ok(call(
        "transpose",
        vec![region],
        kwargs(json!({ "axes": axes })),
    ))
}

/// `rechunk`: a result block is the region of the input it covers.
pub(super) fn rechunk(
    cx: &mut Lowerer<'_>,
    node: NodeIdx,
    index: &[usize],
) -> Result<TaskExpr, String> {
    let input = single_input(cx, node)?;
    let bounds = cx.block_bounds(node, index);
    Ok(cx.region(input, &spans(&bounds)))
}

/// `broadcast_to`: the broadcast region of the input (or the scalar), broadcast
/// to the block's shape.
pub(super) fn broadcast_to(
    cx: &mut Lowerer<'_>,
    node: NodeIdx,
    index: &[usize],
) -> Result<TaskExpr, String> {
    let bounds = cx.block_bounds(node, index);
    let region = match cx.node(node).args.first() {
        // A scalar (a weak literal, or a scalar-valued node) broadcasts as a 0-d
        // array, as `numpy.broadcast_to(3.5, shape)` does.
        Some(arg @ ValidArg::Scalar(..)) => {
            let arg = arg.clone();
            cx.arg_whole(&arg)
        }
        _ => {
            let input = single_input(cx, node)?;
            broadcast_region(cx, input, &bounds)
        }
    };
    let shape: Vec<usize> = bounds.iter().map(|(lo, hi)| hi - lo).collect();
    Ok(call(
        "broadcast_to",
        vec![region],
        kwargs(json!({ "shape": shape })),
    ))
}

/// `expand_dims` and `squeeze`: the axes added or removed have length 1; the
/// others map one to one. The block kernel gets the explicit axis list, so a block
/// that happens to have length 1 elsewhere is not squeezed.
pub(super) fn expand_or_squeeze(
    cx: &mut Lowerer<'_>,
    node: NodeIdx,
    index: &[usize],
) -> Result<TaskExpr, String> {
    let input = single_input(cx, node)?;
    let n = cx.node(node);
    let in_shape = cx.chunks(input).shape();
    let bounds = cx.block_bounds(node, index);
    if n.op.name == "expand_dims" {
        let out_ndim = bounds.len();
        let added = axis_list(n.attrs.get("axis"), out_ndim)?.unwrap_or_default();
        let in_bounds: Vec<(usize, usize)> = (0..out_ndim)
            .filter(|a| !added.contains(a))
            .map(|a| bounds[a])
            .collect();
        let region = cx.region(input, &spans(&in_bounds));
        return Ok(call(
            "expand_dims",
            vec![region],
            kwargs(json!({ "axis": added })),
        ));
    }
    let removed = axis_list(n.attrs.get("axis"), in_shape.len())?
        .unwrap_or_else(|| (0..in_shape.len()).filter(|&a| in_shape[a] == 1).collect());
    let mut in_bounds = Vec::with_capacity(in_shape.len());
    let mut out_axis = 0;
    for a in 0..in_shape.len() {
        if removed.contains(&a) {
            in_bounds.push((0, 1));
        } else {
            in_bounds.push(bounds[out_axis]);
            out_axis += 1;
        }
    }
    let region = cx.region(input, &spans(&in_bounds));
    Ok(call(
        "squeeze",
        vec![region],
        kwargs(json!({ "axis": removed })),
    ))
}

/// `concatenate` and `stack`: the inputs a result block overlaps along the axis,
/// each cut to its part, joined by the whole-array kernel.
pub(super) fn concatenate(
    cx: &mut Lowerer<'_>,
    node: NodeIdx,
    index: &[usize],
) -> Result<TaskExpr, String> {
    let n = cx.node(node);
    let Some(ValidArg::List(items)) = n.args.first() else {
        return Err(format!("{} takes one list of arrays", n.op.name));
    };
    let inputs: Vec<NodeIdx> = items
        .iter()
        .map(|a| match a {
            ValidArg::Node(x) if matches!(cx.node(*x).meta, Meta::Array(_)) => Ok(*x),
            _ => Err(format!("{} takes a list of arrays", n.op.name)),
        })
        .collect::<Result<_, _>>()?;
    let bounds = cx.block_bounds(node, index);
    let ndim = bounds.len();
    let axis = normalize_axis(
        n.attrs.get("axis").and_then(Json::as_i64).unwrap_or(0),
        ndim,
    )?;
    let stack = n.op.name == "stack";
    let (lo, hi) = bounds[axis];
    let out_dtype = n
        .meta
        .as_array()
        .map(|m| m.dtype)
        .ok_or("concatenate of non-arrays")?;
    let mut parts = Vec::new();
    let mut start = 0usize;
    for &x in &inputs {
        let len = if stack { 1 } else { cx.chunks(x).shape()[axis] };
        let (a, b) = (lo.max(start), hi.min(start + len));
        if a < b || (len == 0 && lo == hi) {
            let mut in_bounds = bounds.clone();
            if stack {
                in_bounds.remove(axis);
            } else {
                in_bounds[axis] = (a - start, b - start);
            }
            let part = cx.region(x, &spans(&in_bounds));
            parts.push(cast_to(cx, part, x, out_dtype));
        }
        start += len;
    }
    if parts.len() == 1 && !stack {
        // The block lies inside one input: that input's region (already cast).
        return Ok(parts.pop().expect("one part"));
    }
    Ok(call(
        n.op.name,
        vec![TaskExpr::List(parts)],
        kwargs(json!({ "axis": axis })),
    ))
}

/// `tril` and `triu`: the same op on the block, with `k` moved by the block's
/// position on the diagonal.
pub(super) fn tril_triu(
    cx: &mut Lowerer<'_>,
    node: NodeIdx,
    index: &[usize],
) -> Result<TaskExpr, String> {
    let input = single_input(cx, node)?;
    let n = cx.node(node);
    let bounds = cx.block_bounds(node, index);
    let nd = bounds.len();
    let k = n.attrs.get("k").and_then(Json::as_i64).unwrap_or(0);
    let (r0, c0) = (bounds[nd - 2].0 as i64, bounds[nd - 1].0 as i64);
    let region = cx.region(input, &spans(&bounds));
    Ok(call(
        n.op.name,
        vec![region],
        // Saturating: a diagonal offset beyond the block keeps (or drops) all of it
        // either way, and a document's k may be near the i64 limits.
        kwargs(json!({ "k": k.saturating_add(r0).saturating_sub(c0) })),
    ))
}

/// `part` (a region of `input`) cast to `dtype` when the input's dtype differs, so
/// every block of a concatenation has the promoted dtype.
fn cast_to(cx: &Lowerer<'_>, part: TaskExpr, input: NodeIdx, dtype: tessera_ir::DType) -> TaskExpr {
    if cx.node(input).meta.as_array().map(|m| m.dtype) == Some(dtype) {
        return part;
    }
    call(
        "astype",
        vec![part],
        kwargs(json!({ "dtype": dtype.name() })),
    )
}
