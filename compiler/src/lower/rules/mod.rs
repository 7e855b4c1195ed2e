//! One lowering rule per op family: given a node and a block index, the
//! expression that computes that block.

mod axes;
pub(super) mod cholesky_tiles;
mod elementwise;
mod fallback;
mod fused;
mod layout;
mod linalg;
mod lu;
mod map_blocks;
mod matmul;
mod overlap;
mod reduction;
mod reshape;
mod scan;
pub(super) mod solve_pd;
mod sources;
mod tasks;

use tessera_ir::NodeIdx;
use tessera_ir::TaskExpr;
use tessera_ir::catalogue::Family;

use super::Lowerer;

/// The expression for block `index` of array node `node`.
pub(super) fn lower_block(
    cx: &mut Lowerer<'_>,
    node: NodeIdx,
    index: &[usize],
) -> Result<TaskExpr, String> {
    let op = cx.node(node).op;
    match (op.family, op.name) {
        (Family::Source, "array") => fallback::block(cx, node, index),
        (Family::Source, "from_npy") => sources::npy_block(cx, node, index),
        (Family::Source, "input") => sources::input_block(cx, node, index),
        (Family::Source, _) => sources::block(cx, node, index),
        (Family::Blockwise, "fused") => fused::block(cx, node, index),
        (Family::Elementwise, _) => elementwise::block(cx, node, index),
        (Family::Reduction, "cumsum" | "cumprod") => scan::block(cx, node, index),
        (Family::Reduction, _) => reduction::block(cx, node, index),
        (Family::Shape, "getitem") => layout::getitem(cx, node, index),
        (Family::Shape, "transpose") => layout::transpose(cx, node, index),
        (Family::Shape, "reshape") => reshape::block(cx, node, index),
        (Family::Shape, "rechunk") => layout::rechunk(cx, node, index),
        (Family::Shape, "broadcast_to") => layout::broadcast_to(cx, node, index),
        (Family::Shape, "expand_dims" | "squeeze") => layout::expand_or_squeeze(cx, node, index),
        (Family::Shape, "concatenate" | "stack") => layout::concatenate(cx, node, index),
        (Family::Shape, "tril" | "triu") => layout::tril_triu(cx, node, index),
        (Family::Linalg, "matmul" | "dot" | "tensordot" | "outer") => {
            matmul::block(cx, node, index)
        }
        (Family::Linalg, "linalg.cholesky" | "linalg.solve_triangular") => {
            linalg::block(cx, node, index)
        }
        (Family::Linalg, "linalg.solve" | "linalg.inv") => lu::block(cx, node, index),
        (Family::Blockwise, "map_overlap") => overlap::block(cx, node, index),
        (Family::Blockwise, "map_blocks") => map_blocks::block(cx, node, index),
        (Family::Task, "item") if linalg::qr_input(cx, node).is_some() => {
            linalg::qr_part_block(cx, node, index)
        }
        (Family::Task, "from_delayed" | "item") => tasks::array_block(cx, node, index),
        _ => fallback::block(cx, node, index),
    }
}

/// The expression for the whole value of a node that is lowered as one task.
pub(super) fn lower_value(cx: &mut Lowerer<'_>, node: NodeIdx) -> Result<TaskExpr, String> {
    match cx.node(node).op.family {
        Family::Linalg if cx.node(node).op.name == "linalg.qr" => linalg::qr_value(cx, node),
        Family::Task => tasks::value(cx, node),
        _ => Ok(fallback::whole_call(cx, node)),
    }
}
