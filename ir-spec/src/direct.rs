//! The direct path from a [`Document`] made only of `call` and `literal` nodes
//! (every dask-dialect document, and canonical documents without array nodes) to a
//! [`TaskGraph`], with no per-node validation records and no inference.
//!
//! The dialect rules live in one place, the parser; this module only reads its
//! canonical nodes. Anything out of the ordinary (another op, an unknown attribute,
//! a missing reference, a cycle, an unknown output) makes the caller fall back to
//! [`crate::validate`], so such documents get exactly the faults the generic path
//! reports. The one check added here is that every called function exists, which
//! the generic path leaves to [`unknown_functions`].

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::document::{Arg, Dialect, Document, FORMAT_VERSION, Node, Scalar};
use crate::fault::{Fault, FaultSink, Faults, pointer_of, push_token, quote};
use crate::parse::{DaskBuilder, convert_graph, dask_output};
use crate::task::{Call, Literal, TaskExpr, TaskGraph, TaskId, TaskKey};

/// Deepest nesting of arguments converted (the parser refuses deeper ones).
const MAX_DEPTH: usize = 130;

/// A task graph read straight from a document.
#[derive(Debug, Clone)]
pub struct TaskDocument {
    /// One task per document node, keyed by its id, in document order.
    pub graph: TaskGraph,
    /// The tasks to compute, in the document's order.
    pub outputs: Vec<TaskId>,
    /// The output ids as the document wrote them (canonical text for tuple keys).
    pub output_names: Vec<String>,
}

/// What [`direct_task_graph`] decided.
#[derive(Debug)]
pub enum Direct {
    /// The document is a task graph and is sound.
    Tasks(TaskDocument),
    /// The document is a task graph but calls functions that do not exist.
    Invalid(Faults),
    /// The document has array nodes or a fault only the generic path describes:
    /// validate it with [`crate::validate`].
    Generic,
}

/// Converts `doc` to a task graph when it has only `call` and `literal` nodes;
/// `known` says whether a function name is registered.
pub fn direct_task_graph(doc: &Document, known: &dyn Fn(&str) -> bool) -> Direct {
    let mut cx = Converter {
        doc,
        known,
        funcs: HashMap::new(),
        empty: Arc::new(Map::new()),
        sink: FaultSink::default(),
        path: Vec::new(),
    };
    let mut graph = TaskGraph::with_capacity(doc.nodes.len());
    for (id, node) in &doc.nodes {
        let Some(expr) = cx.node(id, node, 0) else {
            return Direct::Generic;
        };
        if graph.add(TaskKey::new(id.as_str()), expr).is_err() {
            return Direct::Generic;
        }
    }
    let mut outputs = Vec::with_capacity(doc.outputs.len());
    for name in &doc.outputs {
        match doc.nodes.get_index_of(name) {
            Some(i) => outputs.push(task_id(i)),
            None => return Direct::Generic,
        }
    }
    if let Err(faults) = cx.sink.finish() {
        return Direct::Invalid(faults);
    }
    if has_cycle(&graph) {
        return Direct::Generic;
    }
    Direct::Tasks(TaskDocument {
        graph,
        outputs,
        output_names: doc.outputs.clone(),
    })
}

/// The direct path from the JSON value of a dask-dialect document straight to a
/// task graph, without building its [`Document`]: the parser's dialect rules
/// ([`crate::parse`]'s conversion) emit task expressions instead of canonical
/// nodes. `None` when the value is not a sound dask-dialect document whose
/// functions `known` all knows (any fault, an unknown function, an unknown
/// output, a cycle): parse it with [`crate::parse_value`] and
/// [`direct_task_graph`] then, which report exactly what is wrong.
pub fn dask_task_graph(value: &Value, known: &dyn Fn(&str) -> bool) -> Option<TaskDocument> {
    let root = value.as_object()?;
    // Exactly the four fields of a dask-dialect document, each of its kind.
    if root.len() != 4
        || root.get("tessera")?.as_u64() != Some(FORMAT_VERSION)
        || root.get("dialect")?.as_str() != Some("dask")
    {
        return None;
    }
    let graph = root.get("graph")?.as_object()?;
    let outputs = root.get("outputs")?.as_array()?;
    let mut builder = TaskBuilder {
        known,
        funcs: HashMap::new(),
        last: None,
        empty: Arc::new(Map::new()),
        graph: TaskGraph::with_capacity(graph.len()),
        oversized: false,
    };
    let mut sink = FaultSink::default();
    convert_graph(graph, &mut sink, &mut builder)?;
    sink.finish().ok()?;
    let graph = builder.graph;
    let output_names = outputs
        .iter()
        .enumerate()
        .map(|(i, v)| dask_output(i, v).ok())
        .collect::<Option<Vec<String>>>()?;
    let outputs = output_names
        .iter()
        .map(|name| graph.id_of(&TaskKey::new(name.as_str())))
        .collect::<Option<Vec<TaskId>>>()?;
    if has_cycle(&graph) {
        return None;
    }
    Some(TaskDocument {
        graph,
        outputs,
        output_names,
    })
}

/// Builds task expressions from the dask dialect (see [`dask_task_graph`]); gives
/// up on a function `known` does not know or a duplicate task key.
struct TaskBuilder<'k> {
    known: &'k dyn Fn(&str) -> bool,
    /// One shared name per function.
    funcs: HashMap<String, Arc<str>>,
    /// The function of the previous call (tasks often call the same one).
    last: Option<Arc<str>>,
    empty: Arc<Map<String, Value>>,
    graph: TaskGraph,
    /// A literal holds an integer beyond 64 bits: the generic path reports it.
    oversized: bool,
}

impl DaskBuilder for TaskBuilder<'_> {
    type Arg = TaskExpr;
    type Node = TaskExpr;

    fn reference(&mut self, index: usize, _id: &str) -> Option<TaskExpr> {
        Some(TaskExpr::Ref(task_id(index)))
    }

    fn scalar(&mut self, value: &Value) -> TaskExpr {
        self.oversized |= oversized_integer(value).is_some();
        TaskExpr::Literal(Literal::json(value.clone()))
    }

    fn lit(&mut self, value: &Value) -> TaskExpr {
        self.oversized |= oversized_integer(value).is_some();
        TaskExpr::Literal(Literal::json(value.clone()))
    }

    fn list(&mut self, items: Vec<TaskExpr>) -> TaskExpr {
        TaskExpr::List(items)
    }

    fn inline(&mut self, node: TaskExpr) -> TaskExpr {
        node
    }

    fn call(&mut self, func: &str, args: Vec<TaskExpr>) -> Option<TaskExpr> {
        let cached = match &self.last {
            Some(last) if **last == *func => Some(last.clone()),
            _ => self.funcs.get(func).cloned(),
        };
        let func = match cached {
            Some(f) => f,
            None if !func.is_empty() && (self.known)(func) => {
                let f: Arc<str> = Arc::from(func);
                self.funcs.insert(func.to_owned(), f.clone());
                f
            }
            None => return None,
        };
        self.last = Some(func.clone());
        Some(TaskExpr::Call(Call {
            func,
            args,
            kwargs: self.empty.clone(),
        }))
    }

    fn literal(&mut self, value: &Value) -> TaskExpr {
        self.oversized |= oversized_integer(value).is_some();
        TaskExpr::Literal(Literal::json(value.clone()))
    }

    fn add(&mut self, id: String, node: TaskExpr) -> Option<()> {
        if self.oversized {
            return None;
        }
        self.graph.add(TaskKey::new(id), node).ok().map(|_| ())
    }
}

/// Every `call`, `map_blocks` and `map_overlap` of a function `known` does not
/// know, as faults naming the node and pointing at the function name (for
/// documents on the generic path).
pub fn unknown_functions(doc: &Document, known: &dyn Fn(&str) -> bool) -> Vec<Fault> {
    let mut faults = Vec::new();
    let mut stack: Vec<(&str, Vec<Step>, &Node)> = Vec::new();
    for (id, node) in &doc.nodes {
        stack.push((id, Vec::new(), node));
        while let Some((id, path, node)) = stack.pop() {
            // `call`, `map_blocks`, `map_overlap`: the ops whose `fn` names a
            // registered function.
            if crate::catalogue::lookup(&node.op).is_some_and(|op| op.attr("fn").is_some())
                && let Some(Value::String(f)) = node.attrs.get("fn")
                && !known(f)
            {
                faults.push(unknown_function_fault(doc.dialect, id, &path, f));
            }
            let mut args: Vec<(Vec<Step>, &Arg)> = node
                .args
                .iter()
                .enumerate()
                .map(|(i, a)| (with(&path, Step::Arg(i)), a))
                .collect();
            while let Some((p, arg)) = args.pop() {
                match arg {
                    Arg::Inline(inner) => stack.push((id, p, inner)),
                    Arg::List(items) => args.extend(
                        items
                            .iter()
                            .enumerate()
                            .map(|(j, a)| (with(&p, Step::Item(j)), a)),
                    ),
                    Arg::Ref(_) | Arg::Scalar(_) | Arg::Lit(_) => {}
                }
            }
        }
    }
    faults
}

fn with(path: &[Step], step: Step) -> Vec<Step> {
    let mut p = path.to_vec();
    p.push(step);
    p
}

/// One step from a node to a nested argument.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// Positional argument `i` of a call.
    Arg(usize),
    /// Element `j` of a list.
    Item(usize),
}

/// The fault for a call of an unknown function, pointing where the document
/// wrote the name: `/nodes/<id>/args/0/fn`, or `/graph/<key>/1/0` in the dask
/// dialect (a task's function is its first element).
fn unknown_function_fault(dialect: Dialect, id: &str, path: &[Step], func: &str) -> Fault {
    let mut pointer = path_pointer(dialect, id, path);
    pointer.push_str(match dialect {
        Dialect::Tessera => "/fn",
        Dialect::Dask => "/0",
    });
    Fault::in_node(
        id,
        pointer,
        format!(
            "unknown function {} (not in the function registry; `tessera ops` lists them)",
            quote(func)
        ),
    )
}

/// The pointer of the argument at `path` inside node `id`: `/nodes/<id>/args/0/1`,
/// or `/graph/<key>/1/1` in the dask dialect (a task's arguments follow its
/// function).
fn path_pointer(dialect: Dialect, id: &str, path: &[Step]) -> String {
    let mut pointer = String::new();
    match dialect {
        Dialect::Tessera => {
            pointer.push_str("/nodes");
            push_token(&mut pointer, id);
            for step in path {
                match step {
                    Step::Arg(i) => pointer.push_str(&format!("/args/{i}")),
                    Step::Item(j) => pointer.push_str(&format!("/{j}")),
                }
            }
        }
        Dialect::Dask => {
            pointer = pointer_of(["graph", id]);
            for step in path {
                match step {
                    Step::Arg(i) => pointer.push_str(&format!("/{}", i + 1)),
                    Step::Item(j) => pointer.push_str(&format!("/{j}")),
                }
            }
        }
    }
    pointer
}

/// The first integer in `value` (explicit stack) beyond the 64-bit range.
fn oversized_integer(value: &Value) -> Option<&serde_json::Number> {
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Number(n) if !n.is_f64() && n.as_i64().is_none() => return Some(n),
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.values()),
            _ => {}
        }
    }
    None
}

struct Converter<'d, 'k> {
    doc: &'d Document,
    known: &'k dyn Fn(&str) -> bool,
    /// One shared name per function.
    funcs: HashMap<&'d str, Arc<str>>,
    empty: Arc<Map<String, Value>>,
    sink: FaultSink,
    /// Where the converter is inside the current node.
    path: Vec<Step>,
}

impl<'d> Converter<'d, '_> {
    /// Reports an integer of `value` (a literal at the current path, `field`
    /// below it in a canonical document) that the runtime's 64-bit integers
    /// cannot hold: refused here rather than when the task runs.
    fn check_integers(&mut self, id: &str, value: &Value, field: &str) {
        let Some(n) = oversized_integer(value) else {
            return;
        };
        let mut pointer = path_pointer(self.doc.dialect, id, &self.path);
        if self.doc.dialect == Dialect::Tessera && !field.is_empty() {
            push_token(&mut pointer, field);
        }
        self.sink.push(Fault::in_node(
            id,
            pointer,
            format!(
                "integer {n} does not fit in 64 bits (tessera's integers are int64; write {} for the float)",
                n.as_f64().map_or_else(|| n.to_string(), |f| format!("{f:e}"))
            ),
        ));
    }

    /// The expression of a `call` or `literal` node with nothing unusual; `None`
    /// sends the document to the generic path.
    fn node(&mut self, id: &str, node: &'d Node, depth: usize) -> Option<TaskExpr> {
        if depth > MAX_DEPTH {
            return None;
        }
        match node.op.as_str() {
            "literal" => {
                if !node.args.is_empty() || node.attrs.len() != 1 {
                    return None;
                }
                let value = node.attrs.get("value")?;
                self.check_integers(id, value, "value");
                Some(TaskExpr::Literal(Literal::json(value.clone())))
            }
            "call" => {
                let mut func = None;
                let mut kwargs = None;
                for (name, value) in &node.attrs {
                    match (name.as_str(), value) {
                        ("fn", Value::String(f)) if !f.is_empty() => func = Some(f.as_str()),
                        ("kwargs", Value::Object(m)) => kwargs = Some(m),
                        _ => return None,
                    }
                }
                let func = func?;
                if !self.funcs.contains_key(func) && !(self.known)(func) {
                    self.sink.push(unknown_function_fault(
                        self.doc.dialect,
                        id,
                        &self.path,
                        func,
                    ));
                }
                let func = self
                    .funcs
                    .entry(func)
                    .or_insert_with(|| Arc::from(func))
                    .clone();
                let mut args = Vec::with_capacity(node.args.len());
                for (i, arg) in node.args.iter().enumerate() {
                    self.path.push(Step::Arg(i));
                    let a = self.arg(id, arg, depth + 1);
                    self.path.pop();
                    args.push(a?);
                }
                Some(TaskExpr::Call(Call {
                    func,
                    args,
                    kwargs: match kwargs {
                        Some(m) => Arc::new(m.clone()),
                        None => self.empty.clone(),
                    },
                }))
            }
            _ => None,
        }
    }

    fn arg(&mut self, id: &str, arg: &'d Arg, depth: usize) -> Option<TaskExpr> {
        if depth > MAX_DEPTH {
            return None;
        }
        Some(match arg {
            Arg::Ref(target) => TaskExpr::Ref(task_id(self.doc.nodes.get_index_of(target)?)),
            Arg::Scalar(Scalar::Bool(b)) => TaskExpr::Literal(Literal::json(Value::Bool(*b))),
            Arg::Scalar(Scalar::Number(n)) => {
                let value = Value::Number(n.clone());
                self.check_integers(id, &value, "");
                TaskExpr::Literal(Literal::json(value))
            }
            Arg::Lit(v) => {
                self.check_integers(id, v, "lit");
                TaskExpr::Literal(Literal::json(v.clone()))
            }
            Arg::List(items) => {
                let mut list = Vec::with_capacity(items.len());
                for (j, item) in items.iter().enumerate() {
                    self.path.push(Step::Item(j));
                    let a = self.arg(id, item, depth + 1);
                    self.path.pop();
                    list.push(a?);
                }
                TaskExpr::List(list)
            }
            Arg::Inline(node) => self.node(id, node, depth + 1)?,
        })
    }
}

fn task_id(index: usize) -> TaskId {
    TaskId(u32::try_from(index).expect("fewer than 2^32 nodes"))
}

/// True when the graph's references form a cycle (depth-first, explicit stack).
fn has_cycle(graph: &TaskGraph) -> bool {
    const NEW: u8 = 0;
    const ACTIVE: u8 = 1;
    const DONE: u8 = 2;
    let mut state = vec![NEW; graph.len()];
    // The dependencies of every task on the stack, the top task's last: a frame
    // is (task, where its dependencies start in `pending`, the next one to visit).
    let mut pending: Vec<usize> = Vec::new();
    let mut stack: Vec<(usize, usize, usize)> = Vec::new();
    let push = |task: usize, pending: &mut Vec<usize>, stack: &mut Vec<_>| {
        let start = pending.len();
        graph.tasks()[task]
            .expr
            .for_each_ref(&mut |d| pending.push(d.index()));
        stack.push((task, start, start));
    };
    for root in 0..graph.len() {
        if state[root] != NEW {
            continue;
        }
        state[root] = ACTIVE;
        push(root, &mut pending, &mut stack);
        while let Some(&mut (task, start, ref mut next)) = stack.last_mut() {
            if *next < pending.len() {
                let dep = pending[*next];
                *next += 1;
                match state[dep] {
                    NEW => {
                        state[dep] = ACTIVE;
                        push(dep, &mut pending, &mut stack);
                    }
                    ACTIVE => return true,
                    _ => {}
                }
            } else {
                state[task] = DONE;
                pending.truncate(start);
                stack.pop();
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_document;

    fn direct(text: &str) -> Direct {
        let doc = parse_document(text).unwrap();
        direct_task_graph(&doc, &|f| ["inc", "add", "sum", "identity"].contains(&f))
    }

    fn tasks(text: &str) -> TaskDocument {
        match direct(text) {
            Direct::Tasks(t) => t,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn dask_documents_become_task_graphs() {
        let t = tasks(
            r#"{"tessera": 1, "dialect": "dask",
                "graph": {"x": 1, "y": ["inc", "x"], "z": ["add", "y", 10],
                          "w": ["sum", ["x", "y", ["inc", "z"]]], "a": "x", "s": "text"},
                "outputs": ["w", "a"]}"#,
        );
        assert_eq!(t.graph.len(), 6);
        assert_eq!(t.output_names, ["w", "a"]);
        assert_eq!(t.outputs, [TaskId(3), TaskId(4)]);
        let w = format!("{:?}", t.graph.task(TaskId(3)).expr);
        assert!(
            w.contains("List([Ref(TaskId(0)), Ref(TaskId(1)), Call"),
            "{w}"
        );
        assert_eq!(
            t.graph.dependencies(TaskId(3)),
            [TaskId(0), TaskId(1), TaskId(2)]
        );
        let s = format!("{:?}", t.graph.task(TaskId(5)).expr);
        assert_eq!(s, r#"Literal("text")"#);
    }

    #[test]
    fn unknown_functions_are_faults_naming_the_key() {
        let Direct::Invalid(f) = direct(
            r#"{"tessera": 1, "dialect": "dask",
                "graph": {"x": 1, "y": ["add", ["nope", "x"], 1]}, "outputs": ["y"]}"#,
        ) else {
            panic!()
        };
        assert_eq!(
            f.to_string(),
            "node \"y\" (/graph/y/1/0): unknown function \"nope\" (not in the function registry; `tessera ops` lists them)"
        );
        let Direct::Invalid(f) = direct(
            r#"{"tessera": 1, "nodes": {"y": {"op": "call", "fn": "incc", "args": [[1, {"op": "call", "fn": "dec"}]]}},
                "outputs": ["y"]}"#,
        ) else {
            panic!()
        };
        let pointers: Vec<_> = f.0.iter().map(|f| f.pointer.as_str()).collect();
        assert_eq!(pointers, ["/nodes/y/fn", "/nodes/y/args/0/1/fn"]);
    }

    #[test]
    fn the_generic_walk_finds_the_same_faults() {
        let doc = parse_document(
            r#"{"tessera": 1, "nodes": {"y": {"op": "call", "fn": "incc", "args": [[1, {"op": "call", "fn": "dec"}]]}},
                "outputs": ["y"]}"#,
        )
        .unwrap();
        let f = unknown_functions(&doc, &|f| f == "inc");
        let pointers: Vec<_> = f.iter().map(|f| f.pointer.as_str()).collect();
        assert_eq!(pointers, ["/nodes/y/fn", "/nodes/y/args/0/1/fn"]);
    }

    #[test]
    fn unusual_documents_take_the_generic_path() {
        for text in [
            // an array node
            r#"{"tessera": 1, "nodes": {"a": {"op": "ones", "shape": [2]}}, "outputs": ["a"]}"#,
            // a missing reference
            r#"{"tessera": 1, "nodes": {"b": {"op": "call", "fn": "inc", "args": ["a"]}}, "outputs": ["b"]}"#,
            // a cycle
            r#"{"tessera": 1, "dialect": "dask", "graph": {"a": ["inc", "b"], "b": ["inc", "c"], "c": ["inc", "a"]}, "outputs": ["a"]}"#,
            // an unknown output
            r#"{"tessera": 1, "dialect": "dask", "graph": {"a": 1}, "outputs": ["b"]}"#,
            // an unknown attribute
            r#"{"tessera": 1, "nodes": {"a": {"op": "call", "fn": "inc", "args": [1], "k": 1}}, "outputs": ["a"]}"#,
        ] {
            assert!(matches!(direct(text), Direct::Generic), "{text}");
        }
    }

    #[test]
    fn self_reference_and_long_chains() {
        assert!(matches!(
            direct(
                r#"{"tessera": 1, "dialect": "dask", "graph": {"a": ["inc", "a"]}, "outputs": ["a"]}"#
            ),
            Direct::Generic
        ));
        let n = 100_000;
        let mut text = String::from(r#"{"tessera": 1, "dialect": "dask", "graph": {"k0": 0"#);
        for i in 1..n {
            text.push_str(&format!(r#", "k{i}": ["inc", "k{}"]"#, i - 1));
        }
        text.push_str(&format!(r#"}}, "outputs": ["k{}"]}}"#, n - 1));
        assert_eq!(tasks(&text).graph.len(), n);
    }

    const KNOWN: [&str; 4] = ["inc", "add", "sum", "identity"];

    /// The direct dask path from the JSON value, or `None`.
    fn fast(text: &str) -> Option<TaskDocument> {
        let value = crate::json::parse_json(text).unwrap();
        dask_task_graph(&value, &|f| KNOWN.contains(&f))
    }

    #[test]
    fn dask_values_convert_as_their_documents_do() {
        for text in [
            r#"{"tessera": 1, "dialect": "dask",
                "graph": {"x": 1, "y": ["inc", "x"], "z": ["add", "y", 10],
                          "w": ["sum", ["x", "y", ["inc", "z"]]], "a": "x", "s": "text",
                          "n": ["add", ["inc", "x"], "hello"], "l": [1, 2, ["inc", 1]],
                          "rl": ["x", "y"], "lit": [1, "s", null, {"k": [1]}],
                          "o": ["add", null, {"k": "x"}], "b": ["add", true, 2.5]},
                "outputs": ["w", "a", "rl", "lit"]}"#,
            r#"{"outputs": [["y", 0], "r", "[\"x\", 1]"], "graph": {
                "[\"x\", 0]": 1, "[\"x\",1]": 2, "[\"y\", 0]": ["add", ["x", 0], ["x", 1]],
                "r": ["y", 0], "t": ["sum", [["x", 1], ["x", 0]]], "e": ["identity", [1, -0]]},
                "dialect": "dask", "tessera": 1}"#,
            r#"{"tessera": 1, "dialect": "dask", "graph": {}, "outputs": []}"#,
        ] {
            let fast = fast(text).expect("a sound dask document");
            let slow = tasks(text);
            assert_eq!(
                format!("{:?}", fast.graph.tasks()),
                format!("{:?}", slow.graph.tasks())
            );
            assert_eq!(fast.outputs, slow.outputs);
            assert_eq!(fast.output_names, slow.output_names);
        }
    }

    #[test]
    fn unsound_dask_values_fall_back() {
        for text in [
            // an unknown function, also nested
            r#"{"tessera": 1, "dialect": "dask", "graph": {"x": ["nope", 1]}, "outputs": ["x"]}"#,
            r#"{"tessera": 1, "dialect": "dask", "graph": {"x": ["inc", [1, ["nope"]]]}, "outputs": ["x"]}"#,
            // a cycle, an unknown output, a bad output
            r#"{"tessera": 1, "dialect": "dask", "graph": {"a": ["inc", "b"], "b": ["inc", "a"]}, "outputs": ["a"]}"#,
            r#"{"tessera": 1, "dialect": "dask", "graph": {"a": 1}, "outputs": ["b"]}"#,
            r#"{"tessera": 1, "dialect": "dask", "graph": {"a": 1}, "outputs": [{}]}"#,
            // a tuple key written twice, an empty key
            r#"{"tessera": 1, "dialect": "dask", "graph": {"[\"x\", 0]": 1, "[\"x\",0]": 2}, "outputs": []}"#,
            r#"{"tessera": 1, "dialect": "dask", "graph": {"": 1}, "outputs": []}"#,
            // top-level faults and the canonical dialect
            r#"{"tessera": 2, "dialect": "dask", "graph": {}, "outputs": []}"#,
            r#"{"tessera": 1, "dialect": "dask", "graph": {}, "outputs": [], "x": 1}"#,
            r#"{"tessera": 1, "graph": {}, "outputs": [], "nodes": {}}"#,
            r#"{"tessera": 1, "dialect": "dask", "graph": [], "outputs": []}"#,
            r#"{"tessera": 1, "nodes": {"a": {"op": "call", "fn": "inc", "args": [1]}}, "outputs": ["a"]}"#,
        ] {
            assert!(fast(text).is_none(), "{text}");
        }
    }
}
