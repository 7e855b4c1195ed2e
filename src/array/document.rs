//! An `Array` expression as a v1 graph document and back.
//!
//! Writing walks the expression with an explicit stack (a chain of any length
//! writes without recursion), emits every node once however many times it is
//! used, in topological order, with deterministic ids `<op>-<n>` (`n` counting
//! nodes in the order written). In-memory data becomes `input` nodes whose values
//! are returned beside the document as [`Bindings`]; an input made by the Rust API
//! is named after its node id.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use serde_json::Value as Json;
use tessera_ir::{
    Arg, Document, InferContext, Literal, Meta, Node, ScalarKind, ValidArg, ValidGraph,
};
use tessera_runtime::Value;

use super::Array;
use super::error::ArrayError;
use super::expr::{BlockFn, Expr, InputData, Operand};

/// Values of a document's `input` nodes, by the nodes' `name` attribute.
#[derive(Clone, Default)]
pub struct Bindings {
    values: HashMap<String, Arc<Value>>,
    /// Inputs computed from delayed values, by name.
    sources: HashMap<String, Arc<dyn std::any::Any + Send + Sync>>,
    /// Rust closures used as block functions, by the name the document calls.
    functions: Vec<Arc<BlockFn>>,
}

impl Bindings {
    /// No bindings.
    pub fn new() -> Bindings {
        Bindings::default()
    }

    /// Binds `value` to the inputs named `name` (replacing an earlier binding).
    pub fn insert(&mut self, name: impl Into<String>, value: Value) {
        self.values.insert(name.into(), Arc::new(value));
    }

    /// The value bound to `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.get(name).map(AsRef::as_ref)
    }

    /// A registry with the closures that the document's block functions name
    /// added to `base` (`None` when there are none: `base` serves as it is).
    pub(crate) fn registry_with_functions(
        &self,
        base: &tessera_runtime::Registry,
    ) -> Option<tessera_runtime::Registry> {
        if self.functions.is_empty() {
            return None;
        }
        let mut registry = base.clone();
        for f in &self.functions {
            let body = f.body.clone();
            registry.register(
                &f.name,
                &format!("{}(block) -> block", f.name),
                "A Rust closure given to map_blocks / map_overlap.",
                move |args: &[Value], kwargs: &tessera_runtime::Kwargs| body(args, kwargs),
            );
        }
        Some(registry)
    }

    /// Number of bound names.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when nothing is bound.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The bound names, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.values.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    /// The delayed sources of inputs, by name.
    pub(crate) fn sources(&self) -> impl Iterator<Item = &Arc<dyn std::any::Any + Send + Sync>> {
        self.sources.values()
    }

    /// The bindings as lowering takes them: opaque literals holding the runtime
    /// values (the same allocation each time, so keys stay the same).
    pub(crate) fn to_inputs(&self) -> HashMap<String, Literal> {
        self.values
            .iter()
            .map(|(name, v)| {
                let any: Arc<dyn std::any::Any + Send + Sync> = v.clone();
                (name.clone(), Literal::Opaque(any))
            })
            .chain(
                self.sources
                    .iter()
                    .map(|(name, s)| (name.clone(), Literal::Opaque(s.clone()))),
            )
            .collect()
    }
}

impl fmt::Debug for Bindings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.names()).finish()
    }
}

/// Writes several arrays as one document (their common subexpressions once); the
/// outputs are the arrays in order.
pub fn to_document(arrays: &[&Array]) -> (Document, Bindings) {
    let mut doc = Document::new();
    let mut bindings = Bindings::new();
    let mut ids: HashMap<*const Expr, String> = HashMap::new();
    let mut names: HashSet<String> = HashSet::new();
    for root in arrays {
        let mut stack: Vec<(&Arc<Expr>, bool)> = vec![(&root.node, false)];
        while let Some((node, expanded)) = stack.pop() {
            let key = Arc::as_ptr(node);
            if ids.contains_key(&key) {
                continue;
            }
            if !expanded {
                stack.push((node, true));
                for child in node.children().into_iter().rev() {
                    if !ids.contains_key(&Arc::as_ptr(child)) {
                        stack.push((child, false));
                    }
                }
                continue;
            }
            let id = format!("{}-{}", node.op.name, doc.nodes.len());
            let mut attrs = node.attrs.clone();
            if let Some(input) = &node.input {
                let wanted = input.name.clone().unwrap_or_else(|| id.clone());
                let mut name = wanted.clone();
                let mut n = 2;
                while names.contains(&name) {
                    name = format!("{wanted}#{n}");
                    n += 1;
                }
                names.insert(name.clone());
                if let Some(value) = &input.value {
                    bindings.values.insert(name.clone(), value.clone());
                }
                if let Some(source) = &input.source {
                    bindings.sources.insert(name.clone(), source.clone());
                }
                attrs.insert("name".into(), Json::String(name));
            }
            if let Some(f) = &node.block_fn
                && !bindings.functions.iter().any(|g| g.name == f.name)
            {
                bindings.functions.push(f.clone());
            }
            let args = node.args.iter().map(|a| to_arg(a, &ids)).collect();
            doc.nodes.insert(
                id.clone(),
                Node {
                    op: node.op.name.to_owned(),
                    args,
                    attrs,
                },
            );
            ids.insert(key, id);
        }
        doc.outputs.push(ids[&Arc::as_ptr(&root.node)].clone());
    }
    (doc, bindings)
}

fn to_arg(op: &Operand, ids: &HashMap<*const Expr, String>) -> Arg {
    match op {
        // Children are written before their users.
        Operand::Node(n) => Arg::Ref(ids.get(&Arc::as_ptr(n)).cloned().unwrap_or_default()),
        Operand::Scalar(ScalarKind::Bool, n) => Arg::from(n.as_u64() != Some(0)),
        Operand::Scalar(_, n) => Arg::Scalar(tessera_ir::Scalar::Number(n.clone())),
        Operand::Literal(v) => Arg::Lit(v.clone()),
        Operand::List(items) => Arg::List(items.iter().map(|a| to_arg(a, ids)).collect()),
    }
}

impl Array {
    /// This array as a one-output document, with the values of its inputs.
    pub fn to_document(&self) -> (Document, Bindings) {
        to_document(&[self])
    }

    /// Rebuilds the array computed by node `output` of `doc`; `input` nodes take
    /// their values from `bindings` (an input left unbound can be built and
    /// written, but computing it fails). The document is validated first, with
    /// `from_npy` paths relative to the working directory.
    pub fn from_document(
        doc: &Document,
        output: &str,
        bindings: &Bindings,
    ) -> Result<Array, ArrayError> {
        let graph =
            tessera_ir::validate(doc, &InferContext::default()).map_err(ArrayError::Invalid)?;
        let root = graph.lookup(output).ok_or_else(|| ArrayError::Document {
            id: output.to_owned(),
            message: "no node has this id".to_owned(),
        })?;
        let needed = reachable(&graph, root.index());
        let mut built: Vec<Option<Arc<Expr>>> = vec![None; graph.len()];
        for (i, node) in graph.nodes.iter().enumerate() {
            if !needed[i] {
                continue;
            }
            let args = node
                .args
                .iter()
                .map(|a| from_arg(a, &built))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| ArrayError::Document {
                    id: node.id.clone(),
                    message: "an argument was not built before its user".to_owned(),
                })?;
            let input = (node.op.name == "input")
                .then(|| bind_input(node, bindings))
                .transpose()?;
            built[i] = Some(Arc::new(Expr {
                op: node.op,
                args,
                attrs: node.attrs.clone(),
                meta: node.meta.clone(),
                input,
                block_fn: None,
            }));
        }
        let node = built[root.index()]
            .take()
            .ok_or_else(|| ArrayError::Document {
                id: output.to_owned(),
                message: "the node was not built".to_owned(),
            })?;
        drop(built);
        match &node.meta {
            Meta::Array(_) => Ok(Array { node }),
            other => Err(ArrayError::Document {
                id: output.to_owned(),
                message: format!("the node's value is {}, not an array", other.describe()),
            }),
        }
    }
}

/// The nodes `root` needs (itself included), by an explicit stack.
fn reachable(graph: &ValidGraph, root: usize) -> Vec<bool> {
    let mut seen = vec![false; graph.len()];
    let mut stack = vec![root];
    seen[root] = true;
    while let Some(i) = stack.pop() {
        let mut args: Vec<&ValidArg> = graph.nodes[i].args.iter().collect();
        while let Some(a) = args.pop() {
            match a {
                ValidArg::Node(n) if !seen[n.index()] => {
                    seen[n.index()] = true;
                    stack.push(n.index());
                }
                ValidArg::List(items) => args.extend(items),
                _ => {}
            }
        }
    }
    seen
}

fn from_arg(arg: &ValidArg, built: &[Option<Arc<Expr>>]) -> Option<Operand> {
    Some(match arg {
        ValidArg::Node(n) => Operand::Node(built[n.index()].clone()?),
        ValidArg::Scalar(kind, _, number) => Operand::Scalar(*kind, number.clone()),
        ValidArg::Literal(v) => Operand::Literal(v.clone()),
        ValidArg::List(items) => Operand::List(
            items
                .iter()
                .map(|a| from_arg(a, built))
                .collect::<Option<Vec<_>>>()?,
        ),
    })
}

/// The data of an `input` node from `bindings`, checked against what the node
/// declares.
fn bind_input(node: &tessera_ir::ValidNode, bindings: &Bindings) -> Result<InputData, ArrayError> {
    let name = node
        .attrs
        .get("name")
        .and_then(Json::as_str)
        .unwrap_or_default();
    let value = bindings.values.get(name).cloned();
    if let (Some(v), Meta::Array(meta)) = (&value, &node.meta) {
        let fits = match v.as_ref() {
            Value::Array(a) => a.shape() == meta.shape.as_slice() && a.dtype() == meta.dtype,
            _ => false,
        };
        if !fits {
            let found = match v.as_ref() {
                Value::Array(a) => {
                    format!("an array of shape {:?} and dtype {}", a.shape(), a.dtype())
                }
                other => format!("a value of type {}", other.type_name()),
            };
            return Err(ArrayError::Document {
                id: node.id.clone(),
                message: format!(
                    "input {name:?} declares shape {:?} and dtype {}, but is bound to {found}",
                    meta.shape, meta.dtype
                ),
            });
        }
    }
    Ok(InputData {
        name: Some(name.to_owned()),
        value,
        source: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::array::Axis;
    use ndarray::{ArrayD, IxDyn};
    use tessera_ir::DType;

    #[test]
    fn shared_nodes_are_written_once_in_order() {
        let a = Array::ones(&[4, 4], DType::Float64, 2).unwrap();
        let b = a.exp().unwrap();
        let c = (&b + &b).sum(Axis::All, false).unwrap();
        let d = b.max(0, false).unwrap();
        let (doc, bindings) = to_document(&[&c, &d]);
        assert!(bindings.is_empty());
        let ids: Vec<&str> = doc.nodes.keys().map(String::as_str).collect();
        assert_eq!(ids, ["ones-0", "exp-1", "add-2", "sum-3", "max-4"]);
        assert_eq!(doc.outputs, ["sum-3", "max-4"]);
        let text = serde_json::to_string(&doc.nodes["add-2"]).unwrap();
        assert_eq!(text, r#"{"op":"add","args":["exp-1","exp-1"]}"#);
    }

    #[test]
    fn scalars_and_lists_are_written_as_the_format_says() {
        let a = Array::ones(&[2], DType::Int64, 2).unwrap();
        let b = a.where_(true, 2.5).unwrap();
        let c = crate::array::concatenate(&[&a, &b], 0).unwrap();
        let (doc, _) = c.to_document();
        assert_eq!(
            serde_json::to_string(&doc.nodes["where-1"]).unwrap(),
            r#"{"op":"where","args":["ones-0",true,2.5]}"#
        );
        assert_eq!(
            serde_json::to_string(&doc.nodes["concatenate-2"]).unwrap(),
            r#"{"op":"concatenate","args":[["ones-0","where-1"]],"axis":0}"#
        );
    }

    #[test]
    fn inputs_round_trip_with_their_bindings() {
        let data = ArrayD::from_shape_fn(IxDyn(&[2, 3]), |i| (i[0] + i[1]) as f64);
        let x = Array::from_ndarray(data, 2).unwrap();
        let y = (&x * 2.0).sum(1, false).unwrap();
        let (doc, bindings) = y.to_document();
        assert_eq!(bindings.names(), ["input-0"]);
        assert_eq!(doc.nodes["input-0"].attrs["name"], "input-0");
        let back = Array::from_document(&doc, "sum-2", &bindings).unwrap();
        let (doc2, bindings2) = back.to_document();
        assert_eq!(doc.to_json_pretty(), doc2.to_json_pretty());
        assert_eq!(bindings2.names(), ["input-0"]);

        let mut wrong = Bindings::new();
        wrong.insert("input-0", Value::Int(3));
        let e = Array::from_document(&doc, "sum-2", &wrong).unwrap_err();
        assert!(
            e.to_string().contains("is bound to a value of type int"),
            "{e}"
        );
        let e = Array::from_document(&doc, "nope", &bindings).unwrap_err();
        assert!(e.to_string().contains("no node has this id"), "{e}");
    }

    #[test]
    fn two_inputs_never_share_a_name() {
        let x = Array::from_ndarray(ArrayD::<i32>::zeros(IxDyn(&[2])), 2).unwrap();
        let y = Array::from_ndarray(ArrayD::<i32>::ones(IxDyn(&[2])), 2).unwrap();
        let z = (&x + &y).try_add(&x).unwrap();
        let (doc, bindings) = z.to_document();
        assert_eq!(bindings.len(), 2);
        assert_eq!(doc.nodes["input-0"].attrs["name"], "input-0");
        assert_eq!(doc.nodes["input-1"].attrs["name"], "input-1");
    }
}
