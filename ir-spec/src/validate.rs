//! Validation of a [`Document`] against the op catalogue: ops, arity, attributes,
//! references, outputs, cycles, then shape / dtype / chunks inference in
//! topological order. The result is a [`ValidGraph`]: an arena of nodes in
//! topological order with inline nodes flattened, every value's [`Meta`] known.
//!
//! Every walk uses explicit stacks: a chain of a million nodes validates without
//! deep recursion.

use std::collections::HashMap;

use serde_json::{Map, Number, Value};

use crate::catalogue::{self, Arity, InferContext, InferInput, OpSpec};
use crate::document::{Arg, Document, Node, Scalar};
use crate::dtype::ScalarKind;
use crate::fault::{Fault, FaultSink, Faults, Path, push_token, quote, suggestion};
use crate::meta::Meta;

/// Deepest nesting of argument lists accepted (documents read from JSON text never
/// reach it; it guards documents built in memory).
const MAX_DEPTH: usize = 128;

/// Above this many nodes, a missing reference is not compared with every id to
/// suggest a close one (that would be quadratic).
const SUGGEST_LIMIT: usize = 10_000;

/// Index of a node in a [`ValidGraph`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeIdx(pub u32);

impl NodeIdx {
    /// The index as `usize`, for indexing [`ValidGraph::nodes`].
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A checked positional argument.
#[derive(Debug, Clone, PartialEq)]
pub enum ValidArg {
    /// The value of another node (always earlier in the graph).
    Node(NodeIdx),
    /// A weak scalar literal: its kind, its value as `f64`, and the number exactly
    /// as written (`0` or `1` for a boolean).
    Scalar(ScalarKind, f64, Number),
    /// A JSON literal (`{"lit": ...}`).
    Literal(Value),
    /// A list whose elements are evaluated.
    List(Vec<ValidArg>),
}

/// A checked node with everything inference knows about its value.
#[derive(Debug, Clone)]
pub struct ValidNode {
    /// The node's id: the document's id, or for an inline node its JSON pointer
    /// within its parent without the leading `/nodes/` (`c/args/0`).
    pub id: String,
    /// The JSON pointer of the node in the document (`/nodes/c/args/0`).
    pub pointer: String,
    /// The op's specification.
    pub op: &'static OpSpec,
    /// Positional arguments.
    pub args: Vec<ValidArg>,
    /// Attributes, with defaults filled in.
    pub attrs: Map<String, Value>,
    /// What is known about the node's value.
    pub meta: Meta,
}

/// A validated graph: nodes in topological order (every node after its inputs).
#[derive(Debug, Clone)]
pub struct ValidGraph {
    /// The nodes, inputs before users.
    pub nodes: Vec<ValidNode>,
    /// The nodes to compute, in the document's order.
    pub outputs: Vec<NodeIdx>,
    index: HashMap<String, NodeIdx>,
}

impl ValidGraph {
    /// The index of the node with this id (document ids and inline ids).
    pub fn lookup(&self, id: &str) -> Option<NodeIdx> {
        self.index.get(id).copied()
    }

    /// The node at `idx`.
    pub fn node(&self, idx: NodeIdx) -> &ValidNode {
        &self.nodes[idx.index()]
    }

    /// Number of nodes (inline nodes included).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True when the graph has no node.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Builds a graph from nodes already in topological order (every node's
    /// arguments refer to earlier nodes) and output indices, as passes that
    /// rewrite a graph do. Node ids must be unique.
    ///
    /// # Panics
    /// When an argument refers to a node that is not earlier, an output is out of
    /// range, or two nodes share an id: these are bugs of the pass that built the
    /// nodes, not faults of a user's document.
    pub fn from_parts(nodes: Vec<ValidNode>, outputs: Vec<NodeIdx>) -> ValidGraph {
        let mut index = HashMap::with_capacity(nodes.len());
        for (pos, node) in nodes.iter().enumerate() {
            let mut stack: Vec<&ValidArg> = node.args.iter().collect();
            while let Some(arg) = stack.pop() {
                match arg {
                    ValidArg::Node(i) => assert!(
                        i.index() < pos,
                        "node {:?} refers to node {} which is not earlier",
                        node.id,
                        i.0
                    ),
                    ValidArg::List(items) => stack.extend(items),
                    ValidArg::Scalar(..) | ValidArg::Literal(_) => {}
                }
            }
            let idx = NodeIdx(u32::try_from(pos).expect("fewer than 2^32 nodes"));
            let previous = index.insert(node.id.clone(), idx);
            assert!(previous.is_none(), "two nodes share the id {:?}", node.id);
        }
        for o in &outputs {
            assert!(o.index() < nodes.len(), "output {} is out of range", o.0);
        }
        ValidGraph {
            nodes,
            outputs,
            index,
        }
    }

    /// The graph as a canonical document: every node (inline nodes become
    /// top-level nodes under their ids) with its arguments and attributes, and
    /// the outputs by id. Validating the result gives back an equivalent graph.
    pub fn to_document(&self) -> Document {
        let mut doc = Document::new();
        for node in &self.nodes {
            let mut out = Node::new(node.op.name);
            out.args = node.args.iter().map(|a| self.arg_to_document(a)).collect();
            out.attrs = node.attrs.clone();
            doc.nodes.insert(node.id.clone(), out);
        }
        doc.outputs = self
            .outputs
            .iter()
            .map(|&o| self.node(o).id.clone())
            .collect();
        doc
    }

    fn arg_to_document(&self, arg: &ValidArg) -> Arg {
        match arg {
            ValidArg::Node(i) => Arg::Ref(self.node(*i).id.clone()),
            ValidArg::Scalar(ScalarKind::Bool, v, _) => Arg::Scalar(Scalar::Bool(*v != 0.0)),
            ValidArg::Scalar(_, _, n) => Arg::Scalar(Scalar::Number(n.clone())),
            ValidArg::Literal(v) => Arg::Lit(v.clone()),
            ValidArg::List(items) => {
                Arg::List(items.iter().map(|a| self.arg_to_document(a)).collect())
            }
        }
    }
}

/// Parses document text (either dialect) and validates it.
pub fn parse_and_validate(text: &str, ctx: &InferContext) -> Result<ValidGraph, Faults> {
    validate(&crate::parse::parse_document(text)?, ctx)
}

/// Validates a document: every fault found is reported (up to the fault limit);
/// a node whose inputs failed is not inferred, so one fault does not cascade.
pub fn validate(doc: &Document, ctx: &InferContext) -> Result<ValidGraph, Faults> {
    let mut sink = FaultSink::default();
    let mut v = Validator::new(doc, &mut sink);
    v.flatten();
    v.check_nodes();
    let outputs = v.check_outputs(doc);
    let order = v.topological_order();
    v.infer(&order, ctx);
    let Validator { raws, .. } = v;
    sink.finish()?;
    Ok(assemble(raws, &order, &outputs))
}

/// A node being validated: a document node or a flattened inline node.
struct Raw<'d> {
    id: String,
    /// The document id of the node this one is written in (itself if top level).
    owner: usize,
    pointer: String,
    node: &'d Node,
    args: Vec<RawArg>,
    spec: Option<&'static OpSpec>,
    attrs: Map<String, Value>,
    /// Indices of the nodes this one uses.
    deps: Vec<usize>,
    /// Whether the node (or something it needs) is faulty.
    bad: bool,
    /// Whether the node is on a cycle already reported.
    cyclic: bool,
    meta: Option<Meta>,
}

enum RawArg {
    Node(usize),
    Scalar(ScalarKind, f64, Number),
    Literal(Value),
    List(Vec<RawArg>),
}

struct Validator<'d, 's> {
    raws: Vec<Raw<'d>>,
    ids: HashMap<String, usize>,
    /// Number of document (top-level) nodes; they come first in `raws`.
    top: usize,
    sink: &'s mut FaultSink,
}

impl<'d, 's> Validator<'d, 's> {
    fn new(doc: &'d Document, sink: &'s mut FaultSink) -> Validator<'d, 's> {
        let mut raws = Vec::with_capacity(doc.nodes.len());
        let mut ids = HashMap::with_capacity(doc.nodes.len());
        for (i, (id, node)) in doc.nodes.iter().enumerate() {
            let mut pointer = String::from("/nodes");
            push_token(&mut pointer, id);
            ids.insert(id.clone(), i);
            raws.push(Raw::new(id.clone(), i, pointer, node));
        }
        let top = raws.len();
        Validator {
            raws,
            ids,
            top,
            sink,
        }
    }

    fn fault(&mut self, raw: usize, pointer: String, message: String) {
        let owner = &self.raws[self.raws[raw].owner].id;
        self.sink
            .push(Fault::in_node(owner.clone(), pointer, message));
    }

    /// Converts every node's arguments, appending inline nodes as their own raws
    /// (a worklist, not recursion over nesting).
    fn flatten(&mut self) {
        let mut next = 0;
        while next < self.raws.len() {
            let node = self.raws[next].node;
            let mut args = Vec::with_capacity(node.args.len());
            let args_path = Path::ROOT.key("args");
            for (i, arg) in node.args.iter().enumerate() {
                if let Some(a) = self.convert_arg(next, arg, &args_path.index(i), 0) {
                    args.push(a);
                }
            }
            let raw = &mut self.raws[next];
            raw.args = args;
            let mut deps = Vec::new();
            for a in &raw.args {
                collect_deps(a, &mut deps);
            }
            raw.deps = deps;
            next += 1;
        }
    }

    /// Converts one argument of raw `parent`; `path` is where it is inside the node
    /// (`/args/1/0`), used for its pointer and, for inline nodes, its id.
    fn convert_arg(
        &mut self,
        parent: usize,
        arg: &'d Arg,
        path: &Path<'_>,
        depth: usize,
    ) -> Option<RawArg> {
        let pointer = || format!("{}{}", self.raws[parent].pointer, path.pointer());
        if depth > MAX_DEPTH {
            self.fault(
                parent,
                pointer(),
                format!("arguments are nested more than {MAX_DEPTH} levels deep"),
            );
            self.raws[parent].bad = true;
            return None;
        }
        Some(match arg {
            Arg::Ref(id) => match self.ids.get(id) {
                Some(&target) if target < self.top => RawArg::Node(target),
                _ => {
                    let hint = if self.top <= SUGGEST_LIMIT {
                        suggestion(id, self.raws[..self.top].iter().map(|r| r.id.as_str()))
                    } else {
                        String::new()
                    };
                    let pointer = pointer();
                    self.fault(
                        parent,
                        pointer,
                        format!(
                            "argument refers to node {}, which does not exist{hint}",
                            quote(id)
                        ),
                    );
                    self.raws[parent].bad = true;
                    return None;
                }
            },
            Arg::Scalar(Scalar::Bool(b)) => RawArg::Scalar(
                ScalarKind::Bool,
                f64::from(u8::from(*b)),
                Number::from(u8::from(*b)),
            ),
            Arg::Scalar(Scalar::Number(n)) => {
                let kind = if n.is_f64() {
                    ScalarKind::Float
                } else {
                    ScalarKind::Int
                };
                RawArg::Scalar(kind, n.as_f64().unwrap_or(f64::NAN), n.clone())
            }
            Arg::Lit(v) => RawArg::Literal(v.clone()),
            Arg::List(items) => {
                let mut list = Vec::with_capacity(items.len());
                for (j, item) in items.iter().enumerate() {
                    list.push(self.convert_arg(parent, item, &path.index(j), depth + 1)?);
                }
                RawArg::List(list)
            }
            Arg::Inline(node) => {
                let pointer = pointer();
                let suffix = path.pointer();
                let mut id = format!("{}{suffix}", self.raws[parent].id);
                // A document id may spell the same text: keep ids unique.
                let mut n = 2;
                while self.ids.contains_key(&id) {
                    id = format!("{}{suffix}#{n}", self.raws[parent].id);
                    n += 1;
                }
                let idx = self.raws.len();
                self.ids.insert(id.clone(), idx);
                let owner = self.raws[parent].owner;
                self.raws.push(Raw::new(id, owner, pointer, node));
                RawArg::Node(idx)
            }
        })
    }

    /// Op, arity and attribute checks of every node; fills in defaults.
    fn check_nodes(&mut self) {
        for i in 0..self.raws.len() {
            let node = self.raws[i].node;
            let pointer = self.raws[i].pointer.clone();
            let Some(spec) = catalogue::lookup(&node.op) else {
                let hint = suggestion(&node.op, catalogue::all().iter().map(|s| s.name));
                self.fault(
                    i,
                    format!("{pointer}/op"),
                    format!("unknown op {}{hint}", quote(&node.op)),
                );
                self.raws[i].bad = true;
                continue;
            };
            self.raws[i].spec = Some(spec);
            let mut ok = true;

            let n = node.args.len();
            let arity_ok = match spec.arity {
                Arity::Exact(k) => n == k,
                Arity::Range(lo, hi) => (lo..=hi).contains(&n),
                Arity::AtLeast(k) => n >= k,
            };
            if !arity_ok {
                let at = if n == 0 {
                    pointer.clone()
                } else {
                    format!("{pointer}/args")
                };
                self.fault(
                    i,
                    at,
                    format!(
                        "op {} takes {}, found {}",
                        quote(spec.name),
                        describe_arity(spec.arity),
                        plural(n, "argument")
                    ),
                );
                ok = false;
            }

            let mut attrs = Map::with_capacity(spec.attrs.len());
            for (name, value) in &node.attrs {
                let mut at = pointer.clone();
                push_token(&mut at, name);
                match spec.attr(name) {
                    // The block function of `map_overlap` / `map_blocks` takes its own
                    // attributes: passed on as they are.
                    None if spec.open_attrs => {
                        attrs.insert(name.clone(), value.clone());
                    }
                    None => {
                        let hint = suggestion(name, spec.attrs.iter().map(|a| a.name));
                        let known = if spec.attrs.is_empty() {
                            " (it takes none)".to_owned()
                        } else {
                            String::new()
                        };
                        self.fault(
                            i,
                            at,
                            format!(
                                "unknown attribute {} for op {}{known}{hint}",
                                quote(name),
                                quote(spec.name)
                            ),
                        );
                        ok = false;
                    }
                    Some(a) => match a.ty.check(value) {
                        Ok(()) => {
                            attrs.insert(name.clone(), value.clone());
                        }
                        Err(why) => {
                            self.fault(i, at, format!("attribute {}: {why}", quote(name)));
                            ok = false;
                        }
                    },
                }
            }
            for a in spec.attrs {
                if node.attrs.contains_key(a.name) {
                    continue;
                }
                if a.required {
                    self.fault(
                        i,
                        pointer.clone(),
                        format!(
                            "op {} needs the attribute {} ({})",
                            quote(spec.name),
                            quote(a.name),
                            a.doc
                        ),
                    );
                    ok = false;
                } else if let Some(default) = a.default.and_then(|d| serde_json::from_str(d).ok()) {
                    attrs.insert(a.name.to_owned(), default);
                }
            }
            let raw = &mut self.raws[i];
            raw.attrs = attrs;
            raw.bad |= !ok;
        }
    }

    /// The nodes named by `outputs`; unknown ids are faults.
    fn check_outputs(&mut self, doc: &Document) -> Vec<usize> {
        let mut outputs = Vec::with_capacity(doc.outputs.len());
        for (i, id) in doc.outputs.iter().enumerate() {
            match self.ids.get(id) {
                Some(&idx) if idx < self.top => outputs.push(idx),
                _ => {
                    let hint = if self.top <= SUGGEST_LIMIT {
                        suggestion(id, self.raws[..self.top].iter().map(|r| r.id.as_str()))
                    } else {
                        String::new()
                    };
                    self.sink.push(Fault::at(
                        format!("/outputs/{i}"),
                        format!("unknown output {}: no node has this id{hint}", quote(id)),
                    ));
                }
            }
        }
        outputs
    }

    /// Depth-first post-order over every node (inputs before users), with an
    /// explicit stack. Each cycle found is reported once, naming its nodes; the
    /// nodes on it are marked faulty.
    fn topological_order(&mut self) -> Vec<usize> {
        const NEW: u8 = 0;
        const ACTIVE: u8 = 1;
        const DONE: u8 = 2;
        let n = self.raws.len();
        let mut state = vec![NEW; n];
        // Position of each active node on the stack, to cut a cycle out in O(its length).
        let mut position = vec![0usize; n];
        let mut order = Vec::with_capacity(n);
        let mut stack: Vec<(usize, usize)> = Vec::new();
        for root in 0..n {
            if state[root] != NEW {
                continue;
            }
            state[root] = ACTIVE;
            position[root] = 0;
            stack.push((root, 0));
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                if let Some(&dep) = self.raws[node].deps.get(*next) {
                    *next += 1;
                    match state[dep] {
                        NEW => {
                            state[dep] = ACTIVE;
                            position[dep] = stack.len();
                            stack.push((dep, 0));
                        }
                        ACTIVE => {
                            let cycle: Vec<usize> =
                                stack[position[dep]..].iter().map(|&(i, _)| i).collect();
                            self.report_cycle(&cycle);
                        }
                        _ => {}
                    }
                } else {
                    state[node] = DONE;
                    order.push(node);
                    stack.pop();
                }
            }
        }
        order
    }

    fn report_cycle(&mut self, cycle: &[usize]) {
        // A cycle already reported (through another of its edges) is not repeated.
        if cycle.iter().all(|&i| self.raws[i].cyclic) {
            return;
        }
        let mut names: Vec<&str> = cycle.iter().map(|&i| self.raws[i].id.as_str()).collect();
        names.push(names[0]);
        let text = names
            .iter()
            .map(|n| quote(n))
            .collect::<Vec<_>>()
            .join(" -> ");
        let first = cycle[0];
        let pointer = self.raws[first].pointer.clone();
        self.fault(
            first,
            pointer,
            format!("the nodes form a cycle ({text}; each uses the next)"),
        );
        for &i in cycle {
            self.raws[i].bad = true;
            self.raws[i].cyclic = true;
        }
    }

    /// Runs each op's inference in topological order; a node is inferred only
    /// when it and all its inputs are sound.
    fn infer(&mut self, order: &[usize], ctx: &InferContext) {
        for &i in order {
            if self.raws[i].bad || self.raws[i].deps.iter().any(|&d| self.raws[d].bad) {
                self.raws[i].bad = true;
                continue;
            }
            let raw = &self.raws[i];
            let spec = raw.spec.expect("a node without fault has a spec");
            let args: Vec<Meta> = raw.args.iter().map(|a| self.meta_of(a)).collect();
            let input = InferInput {
                args: &args,
                attrs: &raw.attrs,
                ctx,
            };
            match (spec.infer)(&input) {
                Ok(meta) => self.raws[i].meta = Some(meta),
                Err(e) => {
                    let mut pointer = self.raws[i].pointer.clone();
                    if let Some(at) = e.at.as_deref().filter(|a| !a.is_empty()) {
                        pointer.push('/');
                        pointer.push_str(at.trim_start_matches('/'));
                    }
                    self.fault(i, pointer, e.message);
                    self.raws[i].bad = true;
                }
            }
        }
    }

    /// The metadata of an argument (nested lists are shallow: bounded by MAX_DEPTH).
    fn meta_of(&self, arg: &RawArg) -> Meta {
        match arg {
            RawArg::Node(j) => self.raws[*j].meta.clone().unwrap_or(Meta::Any),
            RawArg::Scalar(kind, v, _) => Meta::Scalar(*kind, *v),
            RawArg::Literal(v) => Meta::Literal(v.clone()),
            RawArg::List(items) => Meta::List(items.iter().map(|a| self.meta_of(a)).collect()),
        }
    }
}

impl<'d> Raw<'d> {
    fn new(id: String, owner: usize, pointer: String, node: &'d Node) -> Raw<'d> {
        Raw {
            id,
            owner,
            pointer,
            node,
            args: Vec::new(),
            spec: None,
            attrs: Map::new(),
            deps: Vec::new(),
            bad: false,
            cyclic: false,
            meta: None,
        }
    }
}

fn collect_deps(arg: &RawArg, deps: &mut Vec<usize>) {
    let mut stack = vec![arg];
    while let Some(a) = stack.pop() {
        match a {
            RawArg::Node(j) => deps.push(*j),
            RawArg::List(items) => stack.extend(items.iter().rev()),
            RawArg::Scalar(..) | RawArg::Literal(_) => {}
        }
    }
}

/// Builds the graph in topological order from fault-free raws.
fn assemble(raws: Vec<Raw<'_>>, order: &[usize], outputs: &[usize]) -> ValidGraph {
    let mut new_index = vec![0u32; raws.len()];
    for (pos, &raw) in order.iter().enumerate() {
        new_index[raw] = u32::try_from(pos).expect("fewer than 2^32 nodes");
    }
    let mut slots: Vec<Option<Raw<'_>>> = raws.into_iter().map(Some).collect();
    let mut nodes = Vec::with_capacity(order.len());
    let mut index = HashMap::with_capacity(order.len());
    for &raw in order {
        let r = slots[raw].take().expect("each node is placed once");
        index.insert(r.id.clone(), NodeIdx(new_index[raw]));
        nodes.push(ValidNode {
            args: r.args.into_iter().map(|a| remap(a, &new_index)).collect(),
            id: r.id,
            pointer: r.pointer,
            op: r.spec.expect("a valid node has a spec"),
            attrs: r.attrs,
            meta: r.meta.expect("a valid node was inferred"),
        });
    }
    ValidGraph {
        nodes,
        outputs: outputs.iter().map(|&o| NodeIdx(new_index[o])).collect(),
        index,
    }
}

fn remap(arg: RawArg, new_index: &[u32]) -> ValidArg {
    match arg {
        RawArg::Node(j) => ValidArg::Node(NodeIdx(new_index[j])),
        RawArg::Scalar(k, v, n) => ValidArg::Scalar(k, v, n),
        RawArg::Literal(v) => ValidArg::Literal(v),
        RawArg::List(items) => {
            ValidArg::List(items.into_iter().map(|a| remap(a, new_index)).collect())
        }
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// "exactly 2 arguments", "1 to 3 arguments", "at least 1 argument".
pub(crate) fn describe_arity(arity: Arity) -> String {
    match arity {
        Arity::Exact(0) => "no arguments".to_owned(),
        Arity::Exact(k) => format!("exactly {}", plural(k, "argument")),
        Arity::Range(lo, hi) => format!("{lo} to {hi} arguments"),
        Arity::AtLeast(k) => format!("at least {}", plural(k, "argument")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn valid(doc: Value) -> ValidGraph {
        let doc = crate::parse::parse_value(&doc).unwrap();
        validate(&doc, &InferContext::default()).unwrap_or_else(|f| panic!("{f}"))
    }

    #[test]
    fn inline_nodes_are_flattened_with_pointer_ids() {
        let g = valid(json!({"tessera": 1, "nodes": {
            "c": {"op": "add", "args": [{"op": "ones", "shape": [2]}, 1]},
            "d": {"op": "concatenate", "args": [["c", {"op": "zeros", "shape": [3]}]]}
        }, "outputs": ["d"]}));
        let ids: Vec<&str> = g.nodes.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids, ["c/args/0", "c", "d/args/0/1", "d"]);
        let inline = g.node(g.lookup("d/args/0/1").unwrap());
        assert_eq!(inline.pointer, "/nodes/d/args/0/1");
        assert_eq!(inline.op.name, "zeros");
        let d = g.node(g.lookup("d").unwrap());
        assert_eq!(
            d.args,
            [ValidArg::List(vec![
                ValidArg::Node(g.lookup("c").unwrap()),
                ValidArg::Node(g.lookup("d/args/0/1").unwrap())
            ])]
        );
        assert_eq!(g.outputs, [g.lookup("d").unwrap()]);
    }

    #[test]
    fn order_puts_inputs_first_whatever_the_document_order() {
        let g = valid(json!({"tessera": 1, "nodes": {
            "z": {"op": "exp", "args": ["y"]},
            "y": {"op": "negative", "args": ["x"]},
            "x": {"op": "ones", "shape": [2]}
        }, "outputs": ["z"]}));
        for (i, n) in g.nodes.iter().enumerate() {
            for a in &n.args {
                if let ValidArg::Node(j) = a {
                    assert!(j.index() < i, "{} before its input", n.id);
                }
            }
        }
        assert_eq!(g.len(), 3);
    }

    #[test]
    fn scalars_keep_kind_and_number_and_defaults_are_filled() {
        let g = valid(json!({"tessera": 1, "nodes": {
            "x": {"op": "ones", "shape": [2], "dtype": "int32"},
            "y": {"op": "add", "args": ["x", 3]},
            "z": {"op": "add", "args": ["y", 2.5]},
            "b": {"op": "logical_and", "args": ["x", true]},
            "s": {"op": "sum", "args": ["z"]}
        }, "outputs": ["s"]}));
        let y = g.node(g.lookup("y").unwrap());
        assert!(
            matches!(&y.args[1], ValidArg::Scalar(ScalarKind::Int, v, n) if *v == 3.0 && n.as_i64() == Some(3))
        );
        let z = g.node(g.lookup("z").unwrap());
        assert!(matches!(&z.args[1], ValidArg::Scalar(ScalarKind::Float, v, _) if *v == 2.5));
        let b = g.node(g.lookup("b").unwrap());
        assert!(matches!(&b.args[1], ValidArg::Scalar(ScalarKind::Bool, v, _) if *v == 1.0));
        // NEP 50: int32 + 1 stays int32, + 2.5 becomes float64.
        assert_eq!(y.meta.as_array().unwrap().dtype, crate::DType::Int32);
        assert_eq!(z.meta.as_array().unwrap().dtype, crate::DType::Float64);
        let s = g.node(g.lookup("s").unwrap());
        assert_eq!(s.attrs["keepdims"], json!(false));
        assert!(s.attrs.contains_key("axis"));
        let x = g.node(g.lookup("x").unwrap());
        assert_eq!(x.attrs["chunks"], json!("auto"));
    }

    #[test]
    fn open_attributes_pass_through_and_ids_stay_unique() {
        let g = valid(json!({"tessera": 1, "nodes": {
            "x": {"op": "ones", "shape": [8, 8], "chunks": 4},
            "c/args/0": {"op": "ones", "shape": [8, 8]},
            "c": {"op": "map_overlap", "args": [{"op": "negative", "args": ["x"]}],
                  "fn": "correlate", "weights": [[1.0, 2.0, 1.0]], "depth": 1, "boundary": "nearest"}
        }, "outputs": ["c", "c/args/0"]}));
        let c = g.node(g.lookup("c").unwrap());
        assert_eq!(c.attrs["weights"], json!([[1.0, 2.0, 1.0]]));
        assert!(g.lookup("c/args/0#2").is_some());
        assert_eq!(g.node(g.lookup("c/args/0").unwrap()).op.name, "ones");
    }

    #[test]
    fn arity_is_described_in_words() {
        assert_eq!(describe_arity(Arity::Exact(0)), "no arguments");
        assert_eq!(describe_arity(Arity::Exact(1)), "exactly 1 argument");
        assert_eq!(describe_arity(Arity::Range(1, 3)), "1 to 3 arguments");
        assert_eq!(describe_arity(Arity::AtLeast(2)), "at least 2 arguments");
    }
}
