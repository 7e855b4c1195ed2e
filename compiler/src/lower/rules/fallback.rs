//! The rule for ops without a block-wise rule: compute the whole result with the
//! op's kernel on the whole inputs, then take each block as a view of it.

use tessera_ir::NodeIdx;
use tessera_ir::TaskExpr;

use crate::lower::Lowerer;
use crate::lower::context::call;
use crate::lower::select::AxisSel;

/// The whole-value call of the node's own kernel on its whole arguments.
pub(super) fn whole_call(cx: &mut Lowerer<'_>, node: NodeIdx) -> TaskExpr {
    let n = cx.node(node);
    let args = n.args.iter().map(|a| cx.arg_whole(a)).collect();
    call(n.op.name, args, std::sync::Arc::new(n.attrs.clone()))
}

/// Block `index` as a view of the whole result (the whole call itself when the
/// node has a single block).
pub(super) fn block(
    cx: &mut Lowerer<'_>,
    node: NodeIdx,
    index: &[usize],
) -> Result<TaskExpr, String> {
    if cx.chunks(node).numblocks().iter().all(|&n| n == 1) {
        return Ok(whole_call(cx, node));
    }
    let whole = cx.value(node);
    let bounds = cx.block_bounds(node, index);
    let sels: Vec<AxisSel> = bounds
        .iter()
        .map(|&(lo, hi)| AxisSel::span(lo, hi))
        .collect();
    Ok(view(TaskExpr::Ref(whole), &sels))
}

/// A view of a region of a value.
pub(super) fn view(value: TaskExpr, sels: &[AxisSel]) -> TaskExpr {
    let mut kwargs = serde_json::Map::new();
    kwargs.insert(
        "index".into(),
        serde_json::Value::Array(sels.iter().map(AxisSel::to_index_json).collect()),
    );
    call(
        crate::lower::context::GETITEM,
        vec![value],
        std::sync::Arc::new(kwargs),
    )
}
