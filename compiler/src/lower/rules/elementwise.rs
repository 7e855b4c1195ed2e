//! Elementwise ops (with NumPy broadcasting): block `i` of the result is the op
//! applied to the matching region of every input. Inputs whose chunks differ from
//! the result's are cut to the region (views, assembled only where a region spans
//! several blocks); broadcast axes of length 1 are passed whole.

use std::sync::Arc;

use tessera_ir::{Meta, TaskExpr};
use tessera_ir::{NodeIdx, ValidArg};

use crate::lower::Lowerer;
use crate::lower::context::call;
use crate::lower::select::AxisSel;

pub(super) fn block(
    cx: &mut Lowerer<'_>,
    node: NodeIdx,
    index: &[usize],
) -> Result<TaskExpr, String> {
    let n = cx.node(node);
    let bounds = cx.block_bounds(node, index);
    let mut args = Vec::with_capacity(n.args.len());
    for arg in &n.args {
        args.push(match arg {
            ValidArg::Node(input) if matches!(cx.node(*input).meta, Meta::Array(_)) => {
                broadcast_region(cx, *input, &bounds)
            }
            other => cx.arg_whole(other),
        });
    }
    Ok(call(n.op.name, args, Arc::new(n.attrs.clone())))
}

/// The region of `input` that broadcasts onto the result region `bounds`: trailing
/// axes align; an input axis of length 1 is taken whole.
pub(super) fn broadcast_region(
    cx: &mut Lowerer<'_>,
    input: NodeIdx,
    bounds: &[(usize, usize)],
) -> TaskExpr {
    let shape = cx.chunks(input).shape();
    let lead = bounds.len() - shape.len();
    let sels: Vec<AxisSel> = shape
        .iter()
        .enumerate()
        .map(|(axis, &len)| {
            let (lo, hi) = bounds[lead + axis];
            if len == 1 {
                AxisSel::span(0, 1)
            } else {
                AxisSel::span(lo, hi)
            }
        })
        .collect();
    cx.region(input, &sels)
}
