//! The expression node behind an [`Array`](super::Array): an op of the catalogue,
//! its operands and filled attributes, and the inferred metadata. Nodes are
//! immutable and shared by `Arc`; dropping a long chain unwinds with an explicit
//! stack instead of recursing.

use std::sync::Arc;

use serde_json::{Map, Number, Value as Json};
use tessera_ir::catalogue::{OpSpec, check_and_infer};
use tessera_ir::{InferContext, Meta, ScalarKind};
use tessera_runtime::Value;

use super::error::ArrayError;

/// One positional argument of an expression node.
#[derive(Clone)]
pub(crate) enum Operand {
    /// The value of another node.
    Node(Arc<Expr>),
    /// A weak (Python-style) scalar literal.
    Scalar(ScalarKind, Number),
    /// A JSON literal taken as is.
    Literal(Json),
    /// A list whose elements are evaluated.
    List(Vec<Operand>),
}

/// The in-memory value of an `input` node and the name it is bound under.
#[derive(Clone)]
pub(crate) struct InputData {
    /// The name given by a document; `None` for data handed over by the Rust API
    /// (named after its node id when a document is written).
    pub(crate) name: Option<String>,
    /// The value (absent for a document read without a binding for it).
    pub(crate) value: Option<Arc<Value>>,
    /// A lazy source computed with the array instead of a value: the delayed
    /// value of [`Array::from_delayed`](super::Array::from_delayed).
    pub(crate) source: Option<Arc<dyn std::any::Any + Send + Sync>>,
}

/// A Rust closure used as a block function, under the unique name the document
/// calls it by (registered for each computation that uses it).
pub(crate) struct BlockFn {
    /// The name in the document's `fn` attribute (`closure-<n>`).
    pub(crate) name: String,
    /// The function the runtime calls on each (extended) block.
    pub(crate) body: Arc<tessera_runtime::DynFn>,
}

/// An expression node.
pub(crate) struct Expr {
    /// The op.
    pub(crate) op: &'static OpSpec,
    /// Positional arguments.
    pub(crate) args: Vec<Operand>,
    /// Attributes, defaults filled in.
    pub(crate) attrs: Map<String, Json>,
    /// What inference knows about the value.
    pub(crate) meta: Meta,
    /// For `input` nodes: the bound data.
    pub(crate) input: Option<InputData>,
    /// For `map_blocks` / `map_overlap` with a Rust closure: the closure.
    pub(crate) block_fn: Option<Arc<BlockFn>>,
}

impl Expr {
    /// Checks and infers `op` applied to `args` with `attrs`; errors name the op.
    pub(crate) fn build(
        op_name: &str,
        args: Vec<Operand>,
        attrs: Map<String, Json>,
    ) -> Result<Arc<Expr>, ArrayError> {
        Expr::check(op_name, args, attrs).map(Arc::new)
    }

    /// As [`Expr::build`], the node not yet shared.
    pub(crate) fn check(
        op_name: &str,
        args: Vec<Operand>,
        attrs: Map<String, Json>,
    ) -> Result<Expr, ArrayError> {
        let op = tessera_ir::catalogue::lookup(op_name).ok_or_else(|| ArrayError::Build {
            op: op_name.to_owned(),
            at: None,
            message: "no such op in the catalogue".to_owned(),
        })?;
        let metas: Vec<Meta> = args.iter().map(Operand::meta).collect();
        let (attrs, meta) =
            check_and_infer(op, &metas, attrs, &InferContext::default()).map_err(|e| {
                ArrayError::Build {
                    op: op.name.to_owned(),
                    at: e.at,
                    message: e.message,
                }
            })?;
        Ok(Expr {
            op,
            args,
            attrs,
            meta,
            input: None,
            block_fn: None,
        })
    }

    /// The nodes this one uses, in argument order (lists flattened).
    pub(crate) fn children(&self) -> Vec<&Arc<Expr>> {
        let mut out = Vec::new();
        let mut stack: Vec<&Operand> = self.args.iter().rev().collect();
        while let Some(op) = stack.pop() {
            match op {
                Operand::Node(n) => out.push(n),
                Operand::List(items) => stack.extend(items.iter().rev()),
                Operand::Scalar(..) | Operand::Literal(_) => {}
            }
        }
        out
    }
}

impl std::fmt::Debug for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Expr")
            .field("op", &self.op.name)
            .field("args", &self.args.len())
            .field("meta", &self.meta)
            .finish()
    }
}

impl Operand {
    /// What inference sees for this operand (lists are shallow: they hold nodes).
    pub(crate) fn meta(&self) -> Meta {
        match self {
            Operand::Node(n) => n.meta.clone(),
            Operand::Scalar(kind, n) => Meta::Scalar(*kind, n.as_f64().unwrap_or(f64::NAN)),
            Operand::Literal(v) => Meta::Literal(v.clone()),
            Operand::List(items) => Meta::List(items.iter().map(Operand::meta).collect()),
        }
    }
}

/// Takes the children out of a node that is being dropped.
fn take_children(args: &mut Vec<Operand>, out: &mut Vec<Arc<Expr>>) {
    let mut stack = std::mem::take(args);
    while let Some(op) = stack.pop() {
        match op {
            Operand::Node(n) => out.push(n),
            Operand::List(items) => stack.extend(items),
            Operand::Scalar(..) | Operand::Literal(_) => {}
        }
    }
}

impl Drop for Expr {
    /// Unwinds a chain of uniquely owned nodes iteratively: a node whose last
    /// reference goes away has its own children taken before it is freed, so the
    /// default recursive drop never goes deeper than one level.
    fn drop(&mut self) {
        let mut pending = Vec::new();
        take_children(&mut self.args, &mut pending);
        while let Some(node) = pending.pop() {
            if let Some(mut inner) = Arc::into_inner(node) {
                take_children(&mut inner.args, &mut pending);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ones() -> Arc<Expr> {
        let attrs = json!({"shape": [4], "chunks": 2});
        Expr::build("ones", vec![], attrs.as_object().cloned().unwrap()).unwrap()
    }

    #[test]
    fn builds_with_filled_attributes_and_lists_children() {
        let a = ones();
        assert_eq!(a.attrs.get("dtype"), Some(&json!("float64")));
        let b = Expr::build(
            "concatenate",
            vec![Operand::List(vec![
                Operand::Node(a.clone()),
                Operand::Node(a.clone()),
            ])],
            Map::new(),
        )
        .unwrap();
        assert_eq!(b.children().len(), 2);
        assert_eq!(b.meta.as_array().unwrap().shape, vec![8]);
    }

    #[test]
    fn errors_name_the_op() {
        let e = Expr::build("nope", vec![], Map::new()).unwrap_err();
        assert!(e.to_string().contains("nope"), "{e}");
        let e = Expr::build("exp", vec![], Map::new()).unwrap_err();
        assert!(e.to_string().starts_with("cannot build exp"), "{e}");
    }

    #[test]
    fn dropping_a_long_chain_does_not_recurse() {
        let mut x = ones();
        for _ in 0..200_000 {
            x = Expr::build("negative", vec![Operand::Node(x)], Map::new()).unwrap();
        }
        drop(x);
    }
}
