//! Custom graphs: a [`Graph`] builder of Dask-style task graphs (keys to
//! literals, references, tasks with nested tasks and lists, tuple keys, aliases),
//! both JSON forms of the graph format, and [`get`] with nested key lists, as
//! `dask.get` does.
//!
//! A graph is written as a canonical [`Document`] of `call` and `literal` nodes
//! and computed through the same direct path and task-graph passes as
//! `tessera run`: the dialect's rules and checks exist once.

use std::collections::HashSet;

use indexmap::IndexMap;
use serde_json::{Map, Value as Json, json};
use tessera_ir::{Arg, Dialect, Document, Faults, InferContext, Node, Scalar, parse_document};
use tessera_runtime::{Registry, Value};

use crate::compute::{ComputeError, ComputeOptions, compute_tasks};
use crate::run::{Loaded, load_document_with};

/// A key: a string, or a tuple of strings and integers (Dask's `("x", 0, 1)`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    /// A plain string key.
    Str(String),
    /// A tuple key; each part is a string or an integer.
    Tuple(Vec<Json>),
}

impl Key {
    /// A tuple key `(name, i, j, ...)`.
    pub fn tuple(name: &str, index: &[i64]) -> Key {
        let mut parts = vec![Json::from(name)];
        parts.extend(index.iter().map(|&i| Json::from(i)));
        Key::Tuple(parts)
    }

    /// The canonical id: the string, or the compact JSON text of the tuple.
    pub fn id(&self) -> String {
        match self {
            Key::Str(s) => s.clone(),
            Key::Tuple(parts) => Json::Array(parts.clone()).to_string(),
        }
    }

    /// The key from a canonical id (tuple keys are compact JSON text).
    pub fn from_id(id: &str) -> Key {
        match serde_json::from_str::<Json>(id) {
            Ok(Json::Array(parts))
                if !parts.is_empty()
                    && parts
                        .iter()
                        .all(|p| matches!(p, Json::String(_) | Json::Number(_))) =>
            {
                Key::Tuple(parts)
            }
            _ => Key::Str(id.to_owned()),
        }
    }

    /// How the dask dialect refers to this key inside a task.
    fn to_dask(&self) -> Json {
        match self {
            Key::Str(s) => Json::from(s.as_str()),
            Key::Tuple(parts) => Json::Array(parts.clone()),
        }
    }
}

impl From<&str> for Key {
    fn from(s: &str) -> Key {
        Key::Str(s.to_owned())
    }
}

impl From<String> for Key {
    fn from(s: String) -> Key {
        Key::Str(s)
    }
}

/// What a key of a graph holds, or an argument inside a task.
#[derive(Debug, Clone, PartialEq)]
pub enum Spec {
    /// A literal JSON value, taken as is (a string here is never a reference).
    Lit(Json),
    /// The value of another key (at the top of a graph: an alias).
    Ref(Key),
    /// A list whose elements are evaluated.
    List(Vec<Spec>),
    /// A call of a registered function: `(func, args, kwargs)`.
    Task(String, Vec<Spec>, Map<String, Json>),
}

impl Spec {
    /// A call of `func` on `args`.
    pub fn task(func: &str, args: impl IntoIterator<Item = Spec>) -> Spec {
        Spec::Task(func.to_owned(), args.into_iter().collect(), Map::new())
    }

    /// A literal.
    pub fn lit(value: impl Into<Json>) -> Spec {
        Spec::Lit(value.into())
    }

    /// A reference to `key`.
    pub fn key(key: impl Into<Key>) -> Spec {
        Spec::Ref(key.into())
    }

    /// A list of specs.
    pub fn list(items: impl IntoIterator<Item = Spec>) -> Spec {
        Spec::List(items.into_iter().collect())
    }
}

/// Keys to get: one key, or a (nested) list of them.
#[derive(Debug, Clone, PartialEq)]
pub enum Keys {
    /// One key.
    One(Key),
    /// A list of key lists.
    Many(Vec<Keys>),
}

impl<K: Into<Key>> From<K> for Keys {
    fn from(k: K) -> Keys {
        Keys::One(k.into())
    }
}

/// Results shaped as the [`Keys`] asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum Nested {
    /// The value of one key.
    One(Value),
    /// One result per entry of a key list.
    Many(Vec<Nested>),
}

/// Why a graph could not be written, read or computed.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// The graph is invalid: missing key, cycle, unknown function...
    #[error("invalid graph\n{0}")]
    Invalid(Faults),
    /// A literal string or list that the dask dialect would read as a key or a
    /// task; the canonical form says it.
    #[error(
        "key {key}: the literal {value} would be read as a key or a task in the dask dialect; write the canonical form"
    )]
    Ambiguous {
        /// The key whose value holds the literal.
        key: String,
        /// The literal.
        value: Json,
    },
    /// Computing failed; the message names the task.
    #[error("computing failed: {0}")]
    Compute(#[from] ComputeError),
}

/// A Dask-style task graph: keys to values, in insertion order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Graph {
    entries: IndexMap<Key, Spec>,
}

impl Graph {
    /// An empty graph.
    pub fn new() -> Graph {
        Graph::default()
    }

    /// Sets `key` to `spec` (replacing any previous value); builder style.
    pub fn with(mut self, key: impl Into<Key>, spec: Spec) -> Graph {
        self.insert(key, spec);
        self
    }

    /// Sets `key` to `spec`, replacing any previous value.
    pub fn insert(&mut self, key: impl Into<Key>, spec: Spec) -> &mut Graph {
        self.entries.insert(key.into(), spec);
        self
    }

    /// Makes `key` an alias of `target`.
    pub fn alias(&mut self, key: impl Into<Key>, target: impl Into<Key>) -> &mut Graph {
        self.insert(key, Spec::Ref(target.into()))
    }

    /// The value of `key`.
    pub fn get(&self, key: &Key) -> Option<&Spec> {
        self.entries.get(key)
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the graph has no key.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The graph as a canonical document computing `outputs`.
    pub fn to_document(&self, outputs: &[Key]) -> Document {
        let mut doc = Document::new();
        for (key, spec) in &self.entries {
            let node = match spec {
                Spec::Lit(v) => Node::new("literal").attr("value", v.clone()),
                Spec::Task(func, args, kwargs) => call_node(func, args, kwargs),
                Spec::Ref(_) | Spec::List(_) => {
                    Node::new("call").attr("fn", "identity").arg(to_arg(spec))
                }
            };
            doc.nodes.insert(key.id(), node);
        }
        doc.outputs = outputs.iter().map(Key::id).collect();
        doc
    }

    /// The graph from a document of either form made of `call` and `literal`
    /// nodes (`None` when it has another op).
    pub fn from_document(doc: &Document) -> Option<Graph> {
        let mut graph = Graph::new();
        for (id, node) in &doc.nodes {
            let spec = match node.op.as_str() {
                "literal" => Spec::Lit(node.attrs.get("value")?.clone()),
                "call" => {
                    let spec = from_call(node)?;
                    // `identity` of one value is how an alias or a computed list is written.
                    match spec {
                        Spec::Task(f, mut args, kw)
                            if f == "identity" && kw.is_empty() && args.len() == 1 =>
                        {
                            match args.pop().expect("one argument") {
                                a @ (Spec::Ref(_) | Spec::List(_)) => a,
                                other => Spec::Task(f, vec![other], kw),
                            }
                        }
                        other => other,
                    }
                }
                _ => return None,
            };
            graph.entries.insert(Key::from_id(id), spec);
        }
        Some(graph)
    }

    /// Reads a document of either form, with its outputs; a document with other
    /// nodes than `call` and `literal` (array nodes) is refused with a fault.
    pub fn from_json(text: &str) -> Result<(Graph, Vec<Key>), GraphError> {
        let doc = parse_document(text).map_err(GraphError::Invalid)?;
        let graph = Graph::from_document(&doc).ok_or_else(|| {
            GraphError::Invalid(Faults(vec![tessera_ir::Fault::at(
                "/nodes",
                "a custom graph has only call and literal nodes",
            )]))
        })?;
        let outputs = doc.outputs.iter().map(|id| Key::from_id(id)).collect();
        Ok((graph, outputs))
    }

    /// The canonical JSON text (`{"tessera": 1, "nodes": ...}`).
    pub fn to_canonical_json(&self, outputs: &[Key]) -> String {
        self.to_document(outputs).to_json_pretty()
    }

    /// The dask-dialect JSON value; refuses literals the dialect would misread.
    pub fn to_dask_json(&self, outputs: &[Key]) -> Result<Json, GraphError> {
        let plain: HashSet<&str> = self
            .entries
            .keys()
            .filter_map(|k| match k {
                Key::Str(s) => Some(s.as_str()),
                Key::Tuple(_) => None,
            })
            .collect();
        let tuples: HashSet<String> = self
            .entries
            .keys()
            .filter(|k| matches!(k, Key::Tuple(_)))
            .map(Key::id)
            .collect();
        let keys = KeySets { plain, tuples };
        let mut graph = Map::new();
        for (key, spec) in &self.entries {
            let value = match spec {
                Spec::Lit(v) => {
                    keys.check_literal(key, v)?;
                    v.clone()
                }
                other => dask_value(other, key, &keys)?,
            };
            graph.insert(key.id(), value);
        }
        let outputs: Vec<Json> = outputs.iter().map(Key::to_dask).collect();
        Ok(json!({"tessera": 1, "dialect": "dask", "graph": graph, "outputs": outputs}))
    }
}

struct KeySets<'a> {
    plain: HashSet<&'a str>,
    tuples: HashSet<String>,
}

impl KeySets<'_> {
    /// A literal inside a dask value must not look like a key or a task.
    fn check_literal(&self, key: &Key, v: &Json) -> Result<(), GraphError> {
        let mut stack = vec![v];
        while let Some(x) = stack.pop() {
            let ambiguous = match x {
                Json::String(s) => self.plain.contains(s.as_str()),
                Json::Array(items) => {
                    stack.extend(items);
                    matches!(items.first(), Some(Json::String(_)))
                        || self.tuples.contains(&x.to_string())
                }
                _ => false,
            };
            if ambiguous {
                return Err(GraphError::Ambiguous {
                    key: key.id(),
                    value: v.clone(),
                });
            }
        }
        Ok(())
    }
}

/// The dask form of a spec (nesting is bounded by how the spec was written).
fn dask_value(spec: &Spec, key: &Key, keys: &KeySets<'_>) -> Result<Json, GraphError> {
    Ok(match spec {
        Spec::Lit(v) => {
            keys.check_literal(key, v)?;
            v.clone()
        }
        Spec::Ref(k) => k.to_dask(),
        Spec::List(items) => Json::Array(
            items
                .iter()
                .map(|s| dask_value(s, key, keys))
                .collect::<Result<_, _>>()?,
        ),
        Spec::Task(func, args, kwargs) => {
            if !kwargs.is_empty() {
                // The dask dialect has no keyword arguments: a literal dict cannot
                // stand for them.
                return Err(GraphError::Ambiguous {
                    key: key.id(),
                    value: Json::Object(kwargs.clone()),
                });
            }
            let mut items = vec![Json::from(func.as_str())];
            for a in args {
                items.push(dask_value(a, key, keys)?);
            }
            Json::Array(items)
        }
    })
}

fn call_node(func: &str, args: &[Spec], kwargs: &Map<String, Json>) -> Node {
    let mut node = Node::new("call").attr("fn", func);
    if !kwargs.is_empty() {
        node = node.attr("kwargs", Json::Object(kwargs.clone()));
    }
    node.args = args.iter().map(to_arg).collect();
    node
}

fn to_arg(spec: &Spec) -> Arg {
    match spec {
        Spec::Lit(Json::Bool(b)) => Arg::Scalar(Scalar::Bool(*b)),
        Spec::Lit(Json::Number(n)) => Arg::Scalar(Scalar::Number(n.clone())),
        Spec::Lit(v) => Arg::Lit(v.clone()),
        Spec::Ref(k) => Arg::Ref(k.id()),
        Spec::List(items) => Arg::List(items.iter().map(to_arg).collect()),
        Spec::Task(func, args, kwargs) => Arg::Inline(Box::new(call_node(func, args, kwargs))),
    }
}

fn from_call(node: &Node) -> Option<Spec> {
    let func = node.attrs.get("fn")?.as_str()?.to_owned();
    let kwargs = match node.attrs.get("kwargs") {
        None => Map::new(),
        Some(Json::Object(m)) => m.clone(),
        Some(_) => return None,
    };
    let args = node.args.iter().map(from_arg).collect::<Option<Vec<_>>>()?;
    Some(Spec::Task(func, args, kwargs))
}

fn from_arg(arg: &Arg) -> Option<Spec> {
    Some(match arg {
        Arg::Ref(id) => Spec::Ref(Key::from_id(id)),
        Arg::Scalar(Scalar::Bool(b)) => Spec::Lit(Json::Bool(*b)),
        Arg::Scalar(Scalar::Number(n)) => Spec::Lit(Json::Number(n.clone())),
        Arg::Lit(v) => Spec::Lit(v.clone()),
        Arg::List(items) => Spec::List(items.iter().map(from_arg).collect::<Option<_>>()?),
        Arg::Inline(node) if node.op == "call" => from_call(node)?,
        Arg::Inline(node) if node.op == "literal" => Spec::Lit(node.attrs.get("value")?.clone()),
        Arg::Inline(_) => return None,
    })
}

/// Computes `keys` of `graph` with the default registry; results are nested as
/// the keys are (`dask.get`).
pub fn get(graph: &Graph, keys: &Keys) -> Result<Nested, GraphError> {
    get_with(graph, keys, &ComputeOptions::default())
}

/// [`get`] with a choice of registry, executor and passes.
pub fn get_with(
    graph: &Graph,
    keys: &Keys,
    options: &ComputeOptions<'_>,
) -> Result<Nested, GraphError> {
    // The leaves, depth first, in order.
    let mut leaves: Vec<Key> = Vec::new();
    let mut stack = vec![keys];
    while let Some(k) = stack.pop() {
        match k {
            Keys::One(key) => leaves.push(key.clone()),
            Keys::Many(items) => stack.extend(items.iter().rev()),
        }
    }
    let mut doc = graph.to_document(&leaves);
    doc.dialect = Dialect::Tessera;
    let registry: &Registry = options
        .registry
        .unwrap_or_else(|| crate::registry::default_registry());
    let tasks = match load_document_with(&doc, &InferContext::default(), registry)
        .map_err(GraphError::Invalid)?
    {
        Loaded::Tasks(t) => t,
        Loaded::Graph(_) => unreachable!("a graph has only call and literal nodes"),
    };
    let computed = compute_tasks(tasks.graph, tasks.outputs, tasks.output_names, options)?;
    let mut values = computed.outputs.into_iter().map(|(_, v)| v);
    Ok(shape_like(keys, &mut values))
}

/// Rebuilds the nesting of `keys` from the values in leaf order (explicit stack).
fn shape_like(keys: &Keys, values: &mut impl Iterator<Item = Value>) -> Nested {
    enum Frame<'k> {
        Enter(&'k Keys),
        Close(usize),
    }
    let mut out: Vec<Nested> = Vec::new();
    let mut stack = vec![Frame::Enter(keys)];
    while let Some(frame) = stack.pop() {
        match frame {
            Frame::Enter(Keys::One(_)) => {
                out.push(Nested::One(values.next().expect("one value per key")))
            }
            Frame::Enter(Keys::Many(items)) => {
                stack.push(Frame::Close(items.len()));
                stack.extend(items.iter().rev().map(Frame::Enter));
            }
            Frame::Close(n) => {
                let items = out.split_off(out.len() - n);
                out.push(Nested::Many(items));
            }
        }
    }
    out.pop().expect("a result")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(n: &Nested) -> i64 {
        match n {
            Nested::One(Value::Int(i)) => *i,
            other => panic!("{other:?}"),
        }
    }

    fn sample() -> Graph {
        let mut g = Graph::new();
        g.insert("x", Spec::lit(1))
            .insert("y", Spec::task("inc", [Spec::key("x")]))
            .insert("z", Spec::task("add", [Spec::key("y"), Spec::lit(10)]))
            .insert(
                "w",
                Spec::task(
                    "sum",
                    [Spec::list([Spec::key("x"), Spec::key("y"), Spec::key("z")])],
                ),
            )
            .alias("al", "w");
        g
    }

    #[test]
    fn get_returns_nested_results() {
        let g = sample();
        assert_eq!(int(&get(&g, &"w".into()).unwrap()), 1 + 2 + 12);
        let keys = Keys::Many(vec![
            "x".into(),
            Keys::Many(vec!["y".into(), "z".into()]),
            Keys::Many(vec![]),
            "al".into(),
        ]);
        let Nested::Many(items) = get(&g, &keys).unwrap() else {
            panic!()
        };
        assert_eq!(int(&items[0]), 1);
        assert_eq!(
            items[1],
            Nested::Many(vec![
                Nested::One(Value::Int(2)),
                Nested::One(Value::Int(12))
            ])
        );
        assert_eq!(items[2], Nested::Many(vec![]));
        assert_eq!(int(&items[3]), 15);
    }

    #[test]
    fn both_json_forms_round_trip() {
        let mut g = sample();
        g.insert(
            Key::tuple("t", &[0, 1]),
            Spec::task(
                "mul",
                [Spec::key(Key::tuple("t", &[0, 0])), Spec::lit("ab")],
            ),
        )
        .insert(Key::tuple("t", &[0, 0]), Spec::lit(3))
        .insert(
            "nested",
            Spec::task("add", [Spec::task("inc", [Spec::key("x")]), Spec::lit(2.5)]),
        );
        let outputs = vec![Key::from("w"), Key::tuple("t", &[0, 1])];
        let canonical = g.to_canonical_json(&outputs);
        let (back, outs) = Graph::from_json(&canonical).unwrap();
        assert_eq!(back, g);
        assert_eq!(outs, outputs);
        let dask = g.to_dask_json(&outputs).unwrap().to_string();
        let (back, outs) = Graph::from_json(&dask).unwrap();
        assert_eq!(back, g);
        assert_eq!(outs, outputs);
    }

    #[test]
    fn literal_strings_are_not_keys() {
        // A literal string equal to a key stays a string in the canonical form...
        let g = Graph::new()
            .with("x", Spec::lit(1))
            .with("s", Spec::task("len", [Spec::lit("x")]));
        assert_eq!(int(&get(&g, &"s".into()).unwrap()), 1);
        // ...and cannot be written in the dask dialect.
        let err = g.to_dask_json(&[]).unwrap_err();
        assert!(
            err.to_string().starts_with("key s: the literal \"x\""),
            "{err}"
        );
    }

    #[test]
    fn errors_name_the_key() {
        let g = Graph::new().with("y", Spec::task("inc", [Spec::key("nope")]));
        let err = get(&g, &"y".into()).unwrap_err().to_string();
        assert!(
            err.contains("node \"y\"") && err.contains("\"nope\", which does not exist"),
            "{err}"
        );
        let g = Graph::new()
            .with("a", Spec::task("inc", [Spec::key("b")]))
            .with("b", Spec::task("inc", [Spec::key("a")]));
        let err = get(&g, &"a".into()).unwrap_err().to_string();
        assert!(err.contains("cycle (\"a\" -> \"b\" -> \"a\""), "{err}");
        let g = Graph::new().with("f", Spec::task("frob", [Spec::lit(1)]));
        let err = get(&g, &"f".into()).unwrap_err().to_string();
        assert!(
            err.contains("node \"f\"") && err.contains("unknown function \"frob\""),
            "{err}"
        );
        let g = Graph::new().with("d", Spec::task("div", [Spec::lit(1), Spec::lit(0)]));
        let err = get(&g, &"d".into()).unwrap_err().to_string();
        assert!(err.contains("task d failed in div"), "{err}");
        let g = Graph::new().with("d", Spec::task("inc", [Spec::lit(1), Spec::lit(2)]));
        let err = get(&g, &"d".into()).unwrap_err().to_string();
        assert!(
            err.contains("task d failed in inc") && err.contains("argument"),
            "{err}"
        );
        let g = Graph::new().with("d", Spec::task("inc", [Spec::lit("s")]));
        let err = get(&g, &"d".into()).unwrap_err().to_string();
        assert!(err.contains("task d failed in inc"), "{err}");
    }
}
