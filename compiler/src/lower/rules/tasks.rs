//! Imperative nodes: `call` (a registered function on whole values), `literal`,
//! `item` (one part of a multi-part value) and `from_delayed` (a task's array
//! value used as an array). Each is one task; array results are then cut into
//! blocks as views.

use std::sync::Arc;

use serde_json::{Map, Value as Json, json};
use tessera_ir::NodeIdx;
use tessera_ir::{Literal, TaskExpr};

use super::fallback;
use crate::lower::Lowerer;
use crate::lower::context::{call, kwargs};

/// Kernel taking part `index` of a tuple or list.
pub(crate) const ITEM: &str = "item";
/// Kernel checking that a task's value is an array of the declared shape and dtype.
pub(crate) const FROM_DELAYED: &str = "from_delayed";

/// The whole value of a task node.
pub(super) fn value(cx: &mut Lowerer<'_>, node: NodeIdx) -> Result<TaskExpr, String> {
    let n = cx.node(node);
    match n.op.name {
        "literal" => Ok(TaskExpr::Literal(Literal::json(
            n.attrs.get("value").cloned().unwrap_or(Json::Null),
        ))),
        "call" => {
            let func = n
                .attrs
                .get("fn")
                .and_then(Json::as_str)
                .ok_or("call needs a function name in `fn`")?;
            let kwargs: Map<String, Json> = match n.attrs.get("kwargs") {
                Some(Json::Object(m)) => m.clone(),
                None | Some(Json::Null) => Map::new(),
                Some(other) => return Err(format!("kwargs must be an object, not {other}")),
            };
            let args = n.args.iter().map(|a| cx.arg_whole(a)).collect();
            Ok(call(func, args, Arc::new(kwargs)))
        }
        "item" => {
            let args = n.args.iter().map(|a| cx.arg_whole(a)).collect();
            let index = n.attrs.get("index").cloned().unwrap_or(json!(0));
            Ok(call(ITEM, args, kwargs(json!({ "index": index }))))
        }
        "from_delayed" => {
            let args = n.args.iter().map(|a| cx.arg_whole(a)).collect();
            Ok(call(FROM_DELAYED, args, Arc::new(n.attrs.clone())))
        }
        other => Err(format!("no lowering for task op {other}")),
    }
}

/// A block of an array-valued task node: a view of its whole value.
pub(super) fn array_block(
    cx: &mut Lowerer<'_>,
    node: NodeIdx,
    index: &[usize],
) -> Result<TaskExpr, String> {
    if cx.chunks(node).numblocks().iter().all(|&n| n == 1) {
        return value(cx, node);
    }
    let whole = cx.value(node);
    let bounds = cx.block_bounds(node, index);
    let sels: Vec<_> = bounds
        .iter()
        .map(|&(lo, hi)| crate::lower::select::AxisSel::span(lo, hi))
        .collect();
    Ok(fallback::view(TaskExpr::Ref(whole), &sels))
}
