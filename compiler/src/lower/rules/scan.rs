//! `cumsum` and `cumprod` as scans across blocks (Dask's `cumreduction`): every
//! block is scanned on its own (`<op>-block`), then a carry runs along the scan
//! axis — the carry into block `j + 1` is the carry into block `j` combined with
//! the last slice of scanned block `j` (`<op>-carry-next`) — and result block `j`
//! is scanned block `j` combined with its carry (`<op>-carry`). Only the blocks
//! at or before a requested block along the axis are made; carries already made
//! for another requested block are reused. `axis: null` scans the flattened
//! array: its blocks are the flattened input's blocks (see `reshape`).

use std::sync::Arc;

use serde_json::{Value as Json, json};
use tessera_ir::{Literal, NodeIdx, TaskExpr, TaskKey, ValidArg};

use super::axes::normalize_axis;
use super::reshape::reshaped_region;
use crate::lower::Lowerer;
use crate::lower::context::{call, kwargs};

pub(super) fn block(
    cx: &mut Lowerer<'_>,
    node: NodeIdx,
    index: &[usize],
) -> Result<TaskExpr, String> {
    let n = cx.node(node);
    let Some(ValidArg::Node(input)) = n.args.first() else {
        return Err(format!("{} takes one array argument", n.op.name));
    };
    let input = *input;
    let op = n.op.name;
    let flat = matches!(n.attrs.get("axis"), None | Some(Json::Null));
    let axis = match n.attrs.get("axis").and_then(Json::as_i64) {
        Some(a) => normalize_axis(a, cx.chunks(input).ndim())?,
        None => 0,
    };
    let name = cx.name(node).to_string();
    let axis_kwargs = kwargs(json!({ "axis": axis }));
    let out_shape = cx.chunks(node).shape();
    let lengths: Vec<usize> = cx.chunks(node).0[axis].clone();
    let k = index[axis];
    let at = |j: usize| {
        let mut i = index.to_vec();
        i[axis] = j;
        i
    };

    // The scanned block j (made once, shared by the result block and the carry).
    let scanned = |cx: &mut Lowerer<'_>, j: usize| -> Result<TaskExpr, String> {
        let block_index = at(j);
        let source = if flat {
            let bounds = cx.block_bounds(node, &block_index);
            reshaped_region(cx, input, &out_shape, &bounds)?
        } else {
            TaskExpr::Ref(cx.block(input, &block_index))
        };
        let key = TaskKey::block(&format!("{name}-block"), &block_index);
        let kw = axis_kwargs.clone();
        let id = cx.helper(key, |_| call(&format!("{op}-block"), vec![source], kw));
        Ok(TaskExpr::Ref(id))
    };

    // The carry into block k: start from the nearest carry already made.
    let carry_key = |j: usize| TaskKey::block(&format!("{name}-carry"), &at(j));
    let mut start = 0;
    let mut carry = TaskExpr::Literal(Literal::json(Json::Null));
    for j in (1..=k).rev() {
        if let Some(id) = cx.existing(&carry_key(j)) {
            start = j;
            carry = TaskExpr::Ref(id);
            break;
        }
    }
    for (j, &length) in lengths.iter().enumerate().take(k).skip(start) {
        if length == 0 {
            // An empty block carries nothing over.
            continue;
        }
        let last = scanned(cx, j)?;
        let kw = axis_kwargs.clone();
        let previous = carry;
        let id = cx.helper(carry_key(j + 1), |_| {
            call(&format!("{op}-carry-next"), vec![previous, last], kw)
        });
        carry = TaskExpr::Ref(id);
    }
    let this = scanned(cx, k)?;
    Ok(call(
        &format!("{op}-carry"),
        vec![this, carry],
        Arc::clone(&axis_kwargs),
    ))
}
