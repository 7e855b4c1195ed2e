//! Sources (`zeros`, `ones`, `full`, `arange`, `linspace`, `eye`, random): each
//! block is made directly by the source's kernel, told the whole array's shape,
//! the block's offset and the block's shape, so no block depends on another and
//! random values depend only on the seed and the global position.

use std::sync::Arc;

use serde_json::json;
use tessera_ir::NodeIdx;
use tessera_ir::{Literal, Meta, TaskExpr};

use super::fallback::view;
use crate::lower::Lowerer;
use crate::lower::context::call;
use crate::lower::select::AxisSel;

pub(super) fn block(
    cx: &mut Lowerer<'_>,
    node: NodeIdx,
    index: &[usize],
) -> Result<TaskExpr, String> {
    let n = cx.node(node);
    let Meta::Array(meta) = &n.meta else {
        return Err("a source must be an array".into());
    };
    let bounds = cx.block_bounds(node, index);
    let block_shape: Vec<usize> = bounds.iter().map(|b| b.1 - b.0).collect();
    // The offset is the call's argument, so that the keyword map is made once
    // per block shape and shared (not one map per block).
    let offset = json!(bounds.iter().map(|b| b.0).collect::<Vec<_>>());
    let (attrs, shape, dtype) = (&n.attrs, &meta.shape, meta.dtype.name());
    let kwargs = cx.shared_kwargs(
        node,
        &block_shape,
        |_| true,
        || {
            let mut kwargs = attrs.clone();
            // A random source's `shape` is the whole array's (its `region` may be less).
            kwargs.entry("shape").or_insert_with(|| json!(shape));
            kwargs.insert("dtype".into(), json!(dtype));
            kwargs.insert("block_shape".into(), json!(block_shape));
            kwargs
        },
    );
    Ok(call(
        n.op.name,
        vec![TaskExpr::Literal(Literal::json(offset))],
        kwargs,
    ))
}

/// A block of an `input` node: a view of the value bound to its name.
pub(super) fn input_block(
    cx: &mut Lowerer<'_>,
    node: NodeIdx,
    index: &[usize],
) -> Result<TaskExpr, String> {
    let n = cx.node(node);
    let name = n
        .attrs
        .get("name")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("");
    let Some(value) = cx.options().inputs.get(name).cloned() else {
        return Err(format!(
            "input \"{name}\" has no value: inputs are bound by the Rust API when computing"
        ));
    };
    let literal = TaskExpr::Literal(value);
    if cx.chunks(node).numblocks().iter().all(|&b| b == 1) {
        return Ok(literal);
    }
    let sels: Vec<AxisSel> = cx
        .block_bounds(node, index)
        .iter()
        .map(|&(lo, hi)| AxisSel::span(lo, hi))
        .collect();
    Ok(view(literal, &sels))
}

/// A block of a `from_npy` node: only that block's region is read from the file
/// (the path relative to the document's folder or the data root, which the
/// runtime's `from_npy` is bound to).
pub(super) fn npy_block(
    cx: &mut Lowerer<'_>,
    node: NodeIdx,
    index: &[usize],
) -> Result<TaskExpr, String> {
    let n = cx.node(node);
    let rel = n
        .attrs
        .get("path")
        .and_then(serde_json::Value::as_str)
        .ok_or("from_npy needs a `path`")?;
    // Checked here, resolved again by the runtime's `from_npy` against the same
    // root: the task carries the document's relative path.
    cx.options().files.resolve_data_path(rel)?;
    let bounds = cx.block_bounds(node, index);
    let mut kwargs = serde_json::Map::new();
    kwargs.insert("path".into(), json!(rel));
    kwargs.insert(
        "start".into(),
        json!(bounds.iter().map(|b| b.0).collect::<Vec<_>>()),
    );
    kwargs.insert(
        "stop".into(),
        json!(bounds.iter().map(|b| b.1).collect::<Vec<_>>()),
    );
    Ok(call("from_npy", vec![], Arc::new(kwargs)))
}
