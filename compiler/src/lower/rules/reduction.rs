//! Reductions as trees (Dask's `split_every`): every input block along the reduced
//! axes gives a partial result (`<op>-partial`, reduced axes kept with length 1),
//! groups of `split_every` partials are combined (`<op>-combine`, one list
//! argument) level by level, and the last one is turned into the result block
//! (`<op>-finalize`: means divide, `keepdims` applies). The kernels take `axis`
//! (the reduced axes of the input, normalized); argmin/argmax partials also get
//! the block's global `offset` and the input's `shape` so indices are global.

use std::sync::Arc;

use serde_json::{Map, Value as Json, json};
use tessera_ir::{Chunks, NodeIdx, ValidArg};
use tessera_ir::{TaskExpr, TaskKey};

use super::axes::axis_list;
use crate::lower::Lowerer;
use crate::lower::context::call;
use crate::lower::select::offsets;

/// The reduced axes of an input of `ndim` axes given the `axis` attribute.
pub(crate) fn reduced_axes(axis: Option<&Json>, ndim: usize) -> Result<Vec<usize>, String> {
    let mut axes = axis_list(axis, ndim)?.unwrap_or_else(|| (0..ndim).collect());
    axes.sort_unstable();
    axes.dedup();
    Ok(axes)
}

pub(super) fn block(
    cx: &mut Lowerer<'_>,
    node: NodeIdx,
    index: &[usize],
) -> Result<TaskExpr, String> {
    let n = cx.node(node);
    let Some(ValidArg::Node(input)) = n.args.first() else {
        return Err("a reduction takes one array argument".into());
    };
    let input = *input;
    let in_chunks = cx.chunks(input).clone();
    let op = n.op.name;
    let partial_fn = format!("{op}-partial");
    // One map for every partial of the tree (argmin/argmax add their block's place).
    let mut shared: Option<Arc<Map<String, Json>>> = None;
    tree(
        cx,
        node,
        index,
        op,
        &in_chunks,
        &mut |cx, block_index, bounds, kwargs| {
            let kwargs = if matches!(op, "argmin" | "argmax") {
                let mut kwargs = kwargs.clone();
                kwargs.insert(
                    "offset".into(),
                    json!(bounds.iter().map(|b| b.0).collect::<Vec<_>>()),
                );
                kwargs.insert("shape".into(), json!(in_chunks.shape()));
                Arc::new(kwargs)
            } else {
                shared
                    .get_or_insert_with(|| Arc::new(kwargs.clone()))
                    .clone()
            };
            let block = cx.block(input, block_index);
            call(&partial_fn, vec![TaskExpr::Ref(block)], kwargs)
        },
    )
}

/// Makes the partial of one input block: the block index, its global bounds, and
/// the kwargs every partial gets (`axis`, `ddof`).
pub(super) type PartialFn<'f> =
    dyn FnMut(&mut Lowerer<'_>, &[usize], &[(usize, usize)], &Map<String, Json>) -> TaskExpr + 'f;

/// The tree reduction of block `index` of reduction node `node` (whose attributes
/// `axis`, `keepdims`, `ddof` are read) over an input chunked as `in_chunks`, with
/// `op`'s combine and finalize kernels; `partial` makes each leaf.
pub(super) fn tree(
    cx: &mut Lowerer<'_>,
    node: NodeIdx,
    index: &[usize],
    op: &str,
    in_chunks: &Chunks,
    partial: &mut PartialFn<'_>,
) -> Result<TaskExpr, String> {
    let n = cx.node(node);
    let attrs = reduction_attrs(n);
    let ndim = in_chunks.ndim();
    let axes = reduced_axes(attrs.get("axis"), ndim)?;
    let keepdims = attrs
        .get("keepdims")
        .and_then(Json::as_bool)
        .unwrap_or(false);
    let name = cx.name(node).to_string();
    let offsets: Vec<Vec<usize>> = in_chunks.0.iter().map(|a| offsets(a)).collect();

    // The input block index along kept axes, from the result block index.
    let mut fixed = vec![None; ndim];
    let mut out_axis = 0;
    for (axis, slot) in fixed.iter_mut().enumerate() {
        if axes.contains(&axis) {
            if keepdims {
                out_axis += 1;
            }
        } else {
            *slot = Some(index[out_axis]);
            out_axis += 1;
        }
    }
    // Every input block along the reduced axes, row-major.
    let numblocks = in_chunks.numblocks();
    let counts: Vec<usize> = (0..ndim)
        .map(|a| if fixed[a].is_some() { 1 } else { numblocks[a] })
        .collect();
    let total: usize = counts.iter().product();
    let mut base = Map::new();
    if matches!(op, "argmin" | "argmax") {
        // These take one axis (or null: the flattened array), as NumPy.
        let axis = attrs.get("axis").and_then(Json::as_i64);
        base.insert("axis".into(), json!(axis.map(|_| axes[0])));
    } else {
        base.insert("axis".into(), json!(axes));
    }
    if let Some(ddof) = attrs.get("ddof") {
        base.insert("ddof".into(), ddof.clone());
    }
    // Grown as needed: the task limit may stop the loop long before `total`.
    let mut level: Vec<TaskExpr> = Vec::with_capacity(total.min(1 << 16));
    let mut pos = vec![0usize; ndim];
    let partial_name = format!("{name}-partial");
    for _ in 0..total {
        if cx.over_task_limit() {
            return Err("the task graph is too large".into());
        }
        let block_index: Vec<usize> = (0..ndim).map(|a| fixed[a].unwrap_or(pos[a])).collect();
        let key = TaskKey::block(&partial_name, &block_index);
        let bounds: Vec<(usize, usize)> = block_index
            .iter()
            .enumerate()
            .map(|(a, &i)| (offsets[a][i], offsets[a][i + 1]))
            .collect();
        let id = cx.helper(key, |cx| partial(cx, &block_index, &bounds, &base));
        level.push(TaskExpr::Ref(id));
        for a in (0..ndim).rev() {
            pos[a] += 1;
            if pos[a] < counts[a] {
                break;
            }
            pos[a] = 0;
        }
    }
    // Combine level by level until one partial is left.
    let split_every = cx.options().split_every.max(2);
    let combine_kwargs = Arc::new(base.clone());
    let (combine_name, combine_fn) = (format!("{name}-combine"), format!("{op}-combine"));
    let mut depth = 0usize;
    while level.len() > 1 {
        depth += 1;
        let mut next = Vec::with_capacity(level.len().div_ceil(split_every));
        let mut groups = level.into_iter().peekable();
        let mut g = 0usize;
        while groups.peek().is_some() {
            let group: Vec<TaskExpr> = groups.by_ref().take(split_every).collect();
            let mut key_index = index.to_vec();
            key_index.extend([depth, g]);
            let key = TaskKey::block(&combine_name, &key_index);
            let kwargs = combine_kwargs.clone();
            let id = cx.helper(key, |_| {
                call(&combine_fn, vec![TaskExpr::List(group)], kwargs)
            });
            next.push(TaskExpr::Ref(id));
            g += 1;
        }
        level = next;
    }
    let mut finalize = base;
    finalize.insert("keepdims".into(), json!(keepdims));
    let partial = level.pop().ok_or("a reduction over no blocks")?;
    Ok(call(
        &format!("{op}-finalize"),
        vec![partial],
        Arc::new(finalize),
    ))
}

/// The attributes of the reduction: the node's own, or for a fused node the
/// object of its `reduce` attribute.
fn reduction_attrs(n: &tessera_ir::ValidNode) -> &Map<String, Json> {
    match n.attrs.get("reduce") {
        Some(Json::Object(r)) if n.op.name == "fused" => r,
        _ => &n.attrs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_are_normalized_sorted_and_checked() {
        assert_eq!(reduced_axes(None, 3).unwrap(), vec![0, 1, 2]);
        assert_eq!(reduced_axes(Some(&json!(-1)), 3).unwrap(), vec![2]);
        assert_eq!(reduced_axes(Some(&json!([2, 0])), 3).unwrap(), vec![0, 2]);
        assert!(
            reduced_axes(Some(&json!(3)), 3)
                .unwrap_err()
                .contains("out of range")
        );
    }
}
