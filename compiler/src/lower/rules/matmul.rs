//! Blocked `matmul`/`dot` of two matrices: block `(i, j)` of the result is the sum
//! over the contracted axis of `A[rows i, k-block] @ B[k-block, cols j]`. The
//! contracted axis is cut where A's column blocks are cut (B's rows are taken as
//! regions, so the two chunkings need not agree). Other operand ranks (vectors,
//! batches) use the whole-array rule.

use std::sync::Arc;

use tessera_ir::{Meta, TaskExpr, TaskKey};
use tessera_ir::{NodeIdx, ValidArg};

use super::fallback;
use crate::lower::Lowerer;
use crate::lower::context::call;
use crate::lower::select::AxisSel;

/// Kernel summing a list of equally shaped arrays.
pub(crate) const SUM_LIST: &str = "chunk.sum_list";

pub(super) fn block(
    cx: &mut Lowerer<'_>,
    node: NodeIdx,
    index: &[usize],
) -> Result<TaskExpr, String> {
    let n = cx.node(node);
    let (a, b) = match n.args.as_slice() {
        [ValidArg::Node(a), ValidArg::Node(b)] => (*a, *b),
        _ => return fallback::block(cx, node, index),
    };
    let is_matrix = |cx: &Lowerer<'_>, x: NodeIdx| matches!(&cx.node(x).meta, Meta::Array(m) if m.shape.len() == 2);
    if !is_matrix(cx, a) || !is_matrix(cx, b) {
        return fallback::block(cx, node, index);
    }
    let bounds = cx.block_bounds(node, index);
    let (rows, cols) = (bounds[0], bounds[1]);
    let k_offsets = cx.offsets(a, 1).to_vec();
    let name = cx.name(node).to_string();
    let mut products = Vec::with_capacity(k_offsets.len().saturating_sub(1));
    for kb in 0..k_offsets.len() - 1 {
        let (k0, k1) = (k_offsets[kb], k_offsets[kb + 1]);
        if k1 == k0 && k_offsets.len() > 2 {
            continue;
        }
        let mut key_index = index.to_vec();
        key_index.push(kb);
        let key = TaskKey::block(&format!("{name}-product"), &key_index);
        let id = cx.helper(key, |cx| {
            let a_part = cx.region(a, &[AxisSel::span(rows.0, rows.1), AxisSel::span(k0, k1)]);
            let b_part = cx.region(b, &[AxisSel::span(k0, k1), AxisSel::span(cols.0, cols.1)]);
            call("matmul", vec![a_part, b_part], Arc::default())
        });
        products.push(TaskExpr::Ref(id));
    }
    Ok(match products.len() {
        1 => products.pop().expect("one product"),
        _ => call(SUM_LIST, vec![TaskExpr::List(products)], Arc::default()),
    })
}
