//! `map_blocks`: block `i` of the result is the block function applied to block
//! `i` of every array argument (the common refinement of their chunks, with NumPy
//! broadcasting: an axis of length 1 is passed whole); other arguments are passed
//! whole, and the op's attributes other than `fn`, `dtype` and `chunks` go to the
//! function.

use std::sync::Arc;

use serde_json::{Map, Value as Json};
use tessera_ir::{Meta, NodeIdx, TaskExpr, ValidArg};

use super::elementwise::broadcast_region;
use crate::lower::Lowerer;
use crate::lower::context::call;

/// Attributes of `map_blocks` itself; the others go to the block function.
const OWN_ATTRS: [&str; 3] = ["fn", "dtype", "chunks"];

/// Block `index` of a `map_blocks` node.
pub(super) fn block(
    cx: &mut Lowerer<'_>,
    node: NodeIdx,
    index: &[usize],
) -> Result<TaskExpr, String> {
    let n = cx.node(node);
    let func = n
        .attrs
        .get("fn")
        .and_then(Json::as_str)
        .ok_or("map_blocks needs a block function name in `fn`")?
        .to_string();
    let ndim = index.len();
    // The input block grid: per axis, the union of the offsets of the array
    // arguments that have the axis with more than one element.
    let arrays: Vec<NodeIdx> = n
        .args
        .iter()
        .filter_map(|a| match a {
            ValidArg::Node(x) if matches!(cx.node(*x).meta, Meta::Array(_)) => Some(*x),
            _ => None,
        })
        .collect();
    let mut bounds = Vec::with_capacity(ndim);
    for (axis, &i) in index.iter().enumerate() {
        let mut offsets: Vec<usize> = Vec::new();
        for &x in &arrays {
            let shape = cx.chunks(x).shape();
            let Some(local) = (axis + shape.len()).checked_sub(ndim) else {
                continue;
            };
            if shape[local] != 1 {
                offsets.extend_from_slice(cx.offsets(x, local));
            }
        }
        offsets.sort_unstable();
        offsets.dedup();
        if offsets.len() < 2 {
            // Every argument broadcasts on this axis: one block of length 1 (or 0).
            offsets = cx.offsets(node, axis).to_vec();
        }
        let lo = *offsets.get(i).ok_or_else(|| {
            format!("map_blocks: block {i} on axis {axis} is beyond the inputs' blocks")
        })?;
        let hi = *offsets.get(i + 1).ok_or_else(|| {
            format!("map_blocks: block {i} on axis {axis} is beyond the inputs' blocks")
        })?;
        bounds.push((lo, hi));
    }
    let args = n.args.clone();
    let fn_attrs: Map<String, Json> = n
        .attrs
        .iter()
        .filter(|(k, _)| !OWN_ATTRS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut values = Vec::with_capacity(args.len());
    for arg in &args {
        values.push(match arg {
            ValidArg::Node(x) if matches!(cx.node(*x).meta, Meta::Array(_)) => {
                broadcast_region(cx, *x, &bounds)
            }
            other => cx.arg_whole(other),
        });
    }
    Ok(call(&func, values, Arc::new(fn_attrs)))
}
