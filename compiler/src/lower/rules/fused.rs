//! `fused` nodes: block `i` is one `fused` task over the matching regions of the
//! inputs (views, as for any elementwise op); constant operands are given the
//! block's shape. A fused reduction is a tree whose leaves are `fused-partial`
//! tasks (the reduction's partial computed directly from the program, so no block
//! of the elementwise result is ever a task), combined and finalized by the
//! reduction's own kernels.

use serde_json::{Map, Value as Json, json};
use tessera_ir::catalogue::fused::body_meta;
use tessera_ir::{Chunks, Meta, NodeIdx, TaskExpr, ValidArg};

use super::elementwise::broadcast_region;
use super::reduction::tree;
use crate::lower::Lowerer;
use crate::lower::context::call;

/// Kernel of a fused block.
pub(crate) const FUSED: &str = "fused";
/// Kernel of the partial of a fused reduction over one block.
pub(crate) const FUSED_PARTIAL: &str = "fused-partial";

pub(super) fn block(
    cx: &mut Lowerer<'_>,
    node: NodeIdx,
    index: &[usize],
) -> Result<TaskExpr, String> {
    let n = cx.node(node);
    let reduce = match n.attrs.get("reduce") {
        None | Some(Json::Null) => None,
        Some(Json::Object(r)) => Some(r),
        Some(other) => return Err(format!("reduce must be null or an object, not {other}")),
    };
    let program = n
        .attrs
        .get("program")
        .ok_or("a fused node needs a program")?;
    let Some(reduce) = reduce else {
        let bounds = cx.block_bounds(node, index);
        let args = region_args(cx, node, &bounds);
        let kwargs = cx.shared_kwargs(
            node,
            &block_shape(&bounds),
            |_| true,
            || {
                let mut kwargs = Map::new();
                kwargs.insert("program".into(), localize(program, &bounds));
                kwargs
            },
        );
        return Ok(call(FUSED, args, kwargs));
    };
    let op = reduce
        .get("op")
        .and_then(Json::as_str)
        .ok_or("reduce needs an op")?
        .to_owned();
    // The chunks of the elementwise result, whose blocks the partials reduce.
    let metas: Vec<Meta> = n
        .args
        .iter()
        .map(|a| match a {
            ValidArg::Node(i) => cx.node(*i).meta.clone(),
            ValidArg::Scalar(k, v, _) => Meta::Scalar(*k, *v),
            ValidArg::Literal(v) => Meta::Literal(v.clone()),
            ValidArg::List(_) => Meta::Any,
        })
        .collect();
    let body = body_meta(&metas, &n.attrs, &cx.options().files).map_err(|e| e.message)?;
    let body_chunks = if cx.options().whole_arrays {
        Chunks::single(&body.shape)
    } else {
        body.chunks
    };
    tree(
        cx,
        node,
        index,
        &op,
        &body_chunks,
        &mut |cx, _block_index, bounds, kwargs| {
            let args = region_args(cx, node, bounds);
            let mut red = kwargs.clone();
            red.insert("op".into(), json!(op));
            let red = Json::Object(red);
            let kw = cx.shared_kwargs(
                node,
                &block_shape(bounds),
                |kw| kw.get("reduce") == Some(&red),
                || {
                    let mut kw = Map::new();
                    kw.insert("program".into(), localize(program, bounds));
                    kw.insert("reduce".into(), red.clone());
                    kw
                },
            );
            call(FUSED_PARTIAL, args, kw)
        },
    )
}

/// The node's arguments for the result region `bounds`: array inputs cut to the
/// region they broadcast onto, scalars as literals.
fn region_args(cx: &mut Lowerer<'_>, node: NodeIdx, bounds: &[(usize, usize)]) -> Vec<TaskExpr> {
    let n = cx.node(node);
    n.args
        .iter()
        .map(|arg| match arg {
            ValidArg::Node(input) if matches!(cx.node(*input).meta, Meta::Array(_)) => {
                broadcast_region(cx, *input, bounds)
            }
            other => cx.arg_whole(other),
        })
        .collect()
}

/// The lengths of a block's axes.
fn block_shape(bounds: &[(usize, usize)]) -> Vec<usize> {
    bounds.iter().map(|&(lo, hi)| hi - lo).collect()
}

/// The program with every constant operand given the shape of its part of the
/// region `bounds` (axes of length 1 stay 1; trailing axes align) and no chunks.
fn localize(program: &Json, bounds: &[(usize, usize)]) -> Json {
    let Some(steps) = program.as_array() else {
        return program.clone();
    };
    let mut out = steps.clone();
    for step in &mut out {
        let Some(args) = step.get_mut("args").and_then(Json::as_array_mut) else {
            continue;
        };
        for a in args {
            let Some(c) = a.as_object_mut() else {
                continue;
            };
            let shape: Vec<usize> = c
                .get("shape")
                .and_then(Json::as_array)
                .map(|s| {
                    s.iter()
                        .filter_map(|n| n.as_u64().map(|n| n as usize))
                        .collect()
                })
                .unwrap_or_default();
            let lead = bounds.len().saturating_sub(shape.len());
            let local: Vec<usize> = shape
                .iter()
                .enumerate()
                .map(|(axis, &len)| match bounds.get(lead + axis) {
                    Some(&(lo, hi)) if len != 1 => hi - lo,
                    _ => len,
                })
                .collect();
            c.insert("shape".into(), json!(local));
            c.remove("chunks");
        }
    }
    Json::Array(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_take_the_block_shape() {
        let p = json!([{"op": "add", "args": ["$0", {"fill": 1, "dtype": "int32", "shape": [1, 6], "chunks": [[1], [3, 3]]}]}]);
        let l = localize(&p, &[(2, 4), (3, 6)]);
        assert_eq!(
            l,
            json!([{"op": "add", "args": ["$0", {"fill": 1, "dtype": "int32", "shape": [1, 3]}]}])
        );
    }
}
