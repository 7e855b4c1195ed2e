//! JSON value -> [`Document`]: the structural rules of the format (version, required
//! fields, node and argument forms), every fault collected with its JSON pointer,
//! and the conversion of the dask dialect into canonical nodes.

use std::cell::RefCell;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

use indexmap::IndexMap;
use serde_json::{Map, Value};

use crate::document::{Arg, Dialect, Document, FORMAT_VERSION, Node, Scalar};
use crate::fault::{Fault, FaultSink, Faults, Path, quote, suggestion};
use crate::json::parse_json;

/// Deepest nesting of arguments and inline nodes accepted (JSON text cannot nest
/// deeper than 128 levels anyway; this guards values built in memory).
const MAX_DEPTH: usize = 128;

/// Top-level fields of a canonical document.
const CANONICAL_FIELDS: [&str; 4] = ["tessera", "dialect", "nodes", "outputs"];
/// Top-level fields of a dask-dialect document.
const DASK_FIELDS: [&str; 4] = ["tessera", "dialect", "graph", "outputs"];

/// Parses the JSON text of a document (either dialect) strictly: duplicate keys,
/// syntax errors and every structural fault are reported.
pub fn parse_document(text: &str) -> Result<Document, Faults> {
    parse_value(&parse_json(text)?)
}

/// Converts a JSON value to a [`Document`], collecting every structural fault
/// (up to the fault limit). A dask-dialect document is converted to canonical nodes.
pub fn parse_value(value: &Value) -> Result<Document, Faults> {
    let mut sink = FaultSink::default();
    let doc = parse_root(value, &mut sink);
    sink.finish()?;
    Ok(doc.expect("a document is built whenever no fault was found"))
}

fn parse_root(value: &Value, sink: &mut FaultSink) -> Option<Document> {
    let Some(root) = value.as_object() else {
        sink.push(Fault::at(
            "",
            format!(
                "a document must be a JSON object with \"tessera\", \"nodes\" and \"outputs\", found {}",
                kind(value)
            ),
        ));
        return None;
    };

    match root.get("tessera") {
        None => sink.push(Fault::at(
            "",
            "the field \"tessera\" (the format version, the integer 1) is missing",
        )),
        Some(Value::Number(n)) if n.as_u64() == Some(FORMAT_VERSION) => {}
        Some(v) => sink.push(Fault::at(
            "/tessera",
            format!(
                "unknown format version {v}: this program reads version {FORMAT_VERSION} (the integer 1)"
            ),
        )),
    }

    let dialect = match root.get("dialect") {
        None => Dialect::Tessera,
        Some(Value::String(s)) if s == "dask" => Dialect::Dask,
        Some(Value::String(s)) if s == "tessera" => Dialect::Tessera,
        Some(v) => {
            sink.push(Fault::at(
                "/dialect",
                format!(
                    "unknown dialect {v}: the dialects are \"tessera\" (the default) and \"dask\""
                ),
            ));
            // Guess from the fields so the rest of the document is still checked.
            if root.contains_key("graph") {
                Dialect::Dask
            } else {
                Dialect::Tessera
            }
        }
    };

    let allowed: &[&str] = match dialect {
        Dialect::Tessera => &CANONICAL_FIELDS,
        Dialect::Dask => &DASK_FIELDS,
    };
    for key in root.keys() {
        if !allowed.contains(&key.as_str()) {
            let hint = match (dialect, key.as_str()) {
                (Dialect::Tessera, "graph") => {
                    "; a dask-dialect document needs \"dialect\": \"dask\"".to_owned()
                }
                (Dialect::Dask, "nodes") => {
                    "; a dask-dialect document has \"graph\" instead".to_owned()
                }
                _ => suggestion(key, allowed.iter().copied()),
            };
            sink.push(Fault::at(
                pointer(&[key]),
                format!("unknown top-level field {}{hint}", quote(key)),
            ));
        }
    }

    let body = match dialect {
        Dialect::Tessera => parse_canonical(root, sink),
        Dialect::Dask => parse_dask(root, sink),
    };
    let (nodes, outputs) = body?;
    Some(Document {
        version: FORMAT_VERSION,
        dialect,
        nodes,
        outputs,
    })
}

type Body = (IndexMap<String, Node>, Vec<String>);

fn parse_canonical(root: &Map<String, Value>, sink: &mut FaultSink) -> Option<Body> {
    let nodes = match root.get("nodes") {
        None => {
            sink.push(Fault::at(
                "",
                "the field \"nodes\" (an object from node id to node) is missing",
            ));
            None
        }
        Some(Value::Object(map)) => {
            let mut nodes = IndexMap::with_capacity(map.len());
            let mut ok = true;
            let nodes_path = Path::ROOT.key("nodes");
            for (id, node) in map {
                if sink.is_full() {
                    return None;
                }
                let path = nodes_path.key(id);
                if id.is_empty() {
                    sink.push(Fault::at(
                        path.pointer(),
                        "a node id must be a non-empty string",
                    ));
                    ok = false;
                }
                match parse_node(node, &path, id, 0, sink) {
                    Some(n) => {
                        nodes.insert(id.clone(), n);
                    }
                    None => ok = false,
                }
            }
            ok.then_some(nodes)
        }
        Some(v) => {
            sink.push(Fault::at(
                "/nodes",
                format!(
                    "\"nodes\" must be an object from node id to node, found {}",
                    kind(v)
                ),
            ));
            None
        }
    };

    let outputs = parse_outputs(root, sink, |i, v| match v {
        Value::String(s) => Ok(s.clone()),
        v => Err(format!(
            "output {i} must be a node id (a string), found {}",
            kind(v)
        )),
    });
    Some((nodes?, outputs?))
}

/// Reads `outputs`, converting each entry with `entry`.
fn parse_outputs(
    root: &Map<String, Value>,
    sink: &mut FaultSink,
    entry: impl Fn(usize, &Value) -> Result<String, String>,
) -> Option<Vec<String>> {
    match root.get("outputs") {
        None => {
            sink.push(Fault::at(
                "",
                "the field \"outputs\" (the list of ids to compute) is missing",
            ));
            None
        }
        Some(Value::Array(items)) => {
            let mut outputs = Vec::with_capacity(items.len());
            let mut ok = true;
            for (i, v) in items.iter().enumerate() {
                match entry(i, v) {
                    Ok(id) => outputs.push(id),
                    Err(message) => {
                        sink.push(Fault::at(format!("/outputs/{i}"), message));
                        ok = false;
                    }
                }
            }
            ok.then_some(outputs)
        }
        Some(v) => {
            sink.push(Fault::at(
                "/outputs",
                format!("\"outputs\" must be a list of ids, found {}", kind(v)),
            ));
            None
        }
    }
}

/// Parses one node (a value of `nodes`, or an inline node at `path`).
fn parse_node(
    value: &Value,
    path: &Path<'_>,
    node_id: &str,
    depth: usize,
    sink: &mut FaultSink,
) -> Option<Node> {
    let Some(obj) = value.as_object() else {
        sink.push(Fault::in_node(
            node_id,
            path.pointer(),
            format!(
                "a node must be a JSON object with a string \"op\", found {}",
                kind(value)
            ),
        ));
        return None;
    };
    let op = match obj.get("op") {
        Some(Value::String(op)) => Some(op.clone()),
        Some(v) => {
            sink.push(Fault::in_node(
                node_id,
                path.key("op").pointer(),
                format!("\"op\" must be a string naming an op, found {}", kind(v)),
            ));
            None
        }
        None => {
            sink.push(Fault::in_node(
                node_id,
                path.pointer(),
                "the node has no \"op\" (the name of its operation)",
            ));
            None
        }
    };
    let args = match obj.get("args") {
        None => Some(Vec::new()),
        Some(Value::Array(items)) => {
            let mut args = Vec::with_capacity(items.len());
            let mut ok = true;
            let args_path = path.key("args");
            for (i, item) in items.iter().enumerate() {
                match parse_arg(item, &args_path.index(i), node_id, depth + 1, sink) {
                    Some(a) => args.push(a),
                    None => ok = false,
                }
            }
            ok.then_some(args)
        }
        Some(v) => {
            sink.push(Fault::in_node(
                node_id,
                path.key("args").pointer(),
                format!("\"args\" must be a list of arguments, found {}", kind(v)),
            ));
            None
        }
    };
    let attrs: Map<String, Value> = obj
        .iter()
        .filter(|(k, _)| *k != "op" && *k != "args")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Some(Node {
        op: op?,
        args: args?,
        attrs,
    })
}

/// Parses one argument at `path`.
fn parse_arg(
    value: &Value,
    path: &Path<'_>,
    node_id: &str,
    depth: usize,
    sink: &mut FaultSink,
) -> Option<Arg> {
    if depth > MAX_DEPTH {
        sink.push(Fault::in_node(
            node_id,
            path.pointer(),
            format!("arguments are nested more than {MAX_DEPTH} levels deep"),
        ));
        return None;
    }
    match value {
        Value::String(id) => Some(Arg::Ref(id.clone())),
        Value::Number(n) => Some(Arg::Scalar(Scalar::Number(n.clone()))),
        Value::Bool(b) => Some(Arg::Scalar(Scalar::Bool(*b))),
        Value::Null => {
            sink.push(Fault::in_node(
                node_id,
                path.pointer(),
                "null is not an argument; write {\"lit\": null} for a JSON null",
            ));
            None
        }
        Value::Array(items) => {
            let mut list = Vec::with_capacity(items.len());
            let mut ok = true;
            for (i, item) in items.iter().enumerate() {
                match parse_arg(item, &path.index(i), node_id, depth + 1, sink) {
                    Some(a) => list.push(a),
                    None => ok = false,
                }
            }
            ok.then_some(Arg::List(list))
        }
        Value::Object(obj) => {
            if let Some(lit) = obj.get("lit") {
                if let Some(extra) = obj.keys().find(|k| *k != "lit") {
                    sink.push(Fault::in_node(
                        node_id,
                        path.key(extra).pointer(),
                        format!(
                            "a {{\"lit\": ...}} argument has no other fields, found {}",
                            quote(extra)
                        ),
                    ));
                    return None;
                }
                Some(Arg::Lit(lit.clone()))
            } else if obj.contains_key("op") {
                parse_node(value, path, node_id, depth, sink).map(|n| Arg::Inline(Box::new(n)))
            } else {
                sink.push(Fault::in_node(
                    node_id,
                    path.pointer(),
                    "an object argument must be {\"lit\": VALUE} or an inline node with \"op\"",
                ));
                None
            }
        }
    }
}

// ---------------------------------------------------------------- dask dialect

/// The keys of a dask graph: plain string keys, and tuple keys by canonical text
/// (with the key as the document first wrote it), each with its position.
struct DaskKeys<'a> {
    plain: HashMap<&'a str, usize>,
    tuples: HashMap<String, (usize, &'a str)>,
    /// Where the text of a list that may be a tuple key is written.
    scratch: RefCell<String>,
}

impl DaskKeys<'_> {
    /// When `value` is exactly a key, `then` of its position and canonical id.
    fn key_of<R>(&self, value: &Value, then: impl FnOnce(usize, &str) -> R) -> Option<R> {
        match value {
            Value::String(s) => self.plain.get(s.as_str()).map(|&i| then(i, s)),
            Value::Array(items) if !self.tuples.is_empty() && is_flat_tuple(items) => {
                let mut text = self.scratch.borrow_mut();
                text.clear();
                write_tuple_text(&mut text, value, items);
                let &(i, _) = self.tuples.get(text.as_str())?;
                Some(then(i, &text))
            }
            _ => None,
        }
    }

    /// True when `items` is a task: a list whose first element is a string that
    /// is not a key (a function name, checked by the runtime's registry).
    fn is_task(&self, items: &[Value]) -> bool {
        matches!(items.first(), Some(Value::String(f)) if !self.plain.contains_key(f.as_str()))
    }
}

/// What the dask-dialect conversion builds, so that its rules exist once: the
/// canonical nodes of a [`Document`] ([`NodeBuilder`]) or, on the direct path,
/// the expressions of a task graph (`crate::direct`). The conversion calls
/// these in document order; a `None` abandons the conversion without a fault
/// (the caller then takes the path that reports faults).
pub(crate) trait DaskBuilder {
    /// A built argument.
    type Arg;
    /// A built node (a `call` or a `literal`).
    type Node;
    /// A reference to the key at `index` in the graph, of canonical id `id`.
    fn reference(&mut self, index: usize, id: &str) -> Option<Self::Arg>;
    /// A number or boolean inside a task.
    fn scalar(&mut self, value: &Value) -> Self::Arg;
    /// Any other literal inside a task (a string that is not a key, null, an object).
    fn lit(&mut self, value: &Value) -> Self::Arg;
    /// A list of arguments.
    fn list(&mut self, items: Vec<Self::Arg>) -> Self::Arg;
    /// A task nested inside a task.
    fn inline(&mut self, node: Self::Node) -> Self::Arg;
    /// A call of `func` with `args`.
    fn call(&mut self, func: &str, args: Vec<Self::Arg>) -> Option<Self::Node>;
    /// A key whose value is a literal.
    fn literal(&mut self, value: &Value) -> Self::Node;
    /// Records the node of the key `id`, the next in document order.
    fn add(&mut self, id: String, node: Self::Node) -> Option<()>;
}

/// Builds the canonical nodes of a [`Document`].
struct NodeBuilder {
    nodes: IndexMap<String, Node>,
}

impl DaskBuilder for NodeBuilder {
    type Arg = Arg;
    type Node = Node;

    fn reference(&mut self, _index: usize, id: &str) -> Option<Arg> {
        Some(Arg::Ref(id.to_owned()))
    }

    fn scalar(&mut self, value: &Value) -> Arg {
        match value {
            Value::Bool(b) => Arg::Scalar(Scalar::Bool(*b)),
            Value::Number(n) => Arg::Scalar(Scalar::Number(n.clone())),
            other => Arg::Lit(other.clone()),
        }
    }

    fn lit(&mut self, value: &Value) -> Arg {
        Arg::Lit(value.clone())
    }

    fn list(&mut self, items: Vec<Arg>) -> Arg {
        Arg::List(items)
    }

    fn inline(&mut self, node: Node) -> Arg {
        Arg::Inline(Box::new(node))
    }

    fn call(&mut self, func: &str, args: Vec<Arg>) -> Option<Node> {
        let mut node = Node::new("call").attr("fn", func);
        node.args = args;
        Some(node)
    }

    fn literal(&mut self, value: &Value) -> Node {
        Node::new("literal").attr("value", value.clone())
    }

    fn add(&mut self, id: String, node: Node) -> Option<()> {
        self.nodes.insert(id, node);
        Some(())
    }
}

/// Tuple keys are flat: a list of strings and numbers (Dask's `("x", 0, 1)`).
/// Only such lists are compared with tuple keys, which keeps conversion linear.
fn is_flat_tuple(items: &[Value]) -> bool {
    !items.is_empty()
        && items
            .iter()
            .all(|v| matches!(v, Value::String(_) | Value::Number(_)))
}

/// The compact JSON text of the flat tuple `value` (whose elements are `items`),
/// exactly as `value.to_string()` writes it: strings that need no escape and
/// integers are written directly, anything else through serde_json.
fn tuple_text(value: &Value, items: &[Value]) -> String {
    let mut text = String::with_capacity(2 + 8 * items.len());
    write_tuple_text(&mut text, value, items);
    text
}

/// [`tuple_text`] appended to `text`.
fn write_tuple_text(text: &mut String, value: &Value, items: &[Value]) {
    use std::fmt::Write as _;
    let start = text.len();
    text.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        match item {
            Value::String(s) if !s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) => {
                text.push('"');
                text.push_str(s);
                text.push('"');
            }
            Value::Number(n) if n.is_i64() || n.is_u64() => {
                let _ = write!(text, "{n}");
            }
            _ => {
                text.truncate(start);
                let _ = write!(text, "{value}");
                return;
            }
        }
    }
    text.push(']');
}

/// The canonical id of a graph key: a key whose text parses as a JSON list of
/// strings and numbers is a tuple key, written as compact JSON text.
fn canonical_key(key: &str) -> Option<String> {
    if !key.trim_start().starts_with('[') {
        return None;
    }
    if let Some(text) = simple_tuple_key(key) {
        return Some(text);
    }
    // Read as the document is (`-0` is the integer 0).
    match parse_json(key) {
        Ok(v @ Value::Array(_)) if is_flat_tuple(v.as_array().expect("matched an array")) => {
            Some(v.to_string())
        }
        _ => None,
    }
}

/// [`canonical_key`] without building a JSON value, for the common tuple keys:
/// a non-empty list of strings without escapes or control characters and of
/// integers that fit in 64 bits (written without a sign on zero). Their
/// canonical text is the key with the whitespace between elements removed.
/// `None` when the key is anything else (the general path then decides).
fn simple_tuple_key(key: &str) -> Option<String> {
    let bytes = key.as_bytes();
    let mut text = String::with_capacity(key.len());
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < bytes.len() && matches!(bytes[*i], b' ' | b'\t' | b'\n' | b'\r') {
            *i += 1;
        }
    };
    skip_ws(&mut i);
    if bytes.get(i) != Some(&b'[') {
        return None;
    }
    i += 1;
    text.push('[');
    loop {
        skip_ws(&mut i);
        let start = i;
        match *bytes.get(i)? {
            b'"' => {
                i += 1;
                loop {
                    match *bytes.get(i)? {
                        b'"' => break,
                        b'\\' => return None,
                        b if b < 0x20 => return None,
                        _ => i += 1,
                    }
                }
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let negative = bytes[i] == b'-';
                if negative {
                    i += 1;
                }
                let digits = i;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                let n = i - digits;
                // No leading zero, no "-0", and few enough digits to fit in 64 bits.
                if n == 0 || n > 18 || (bytes[digits] == b'0' && (n > 1 || negative)) {
                    return None;
                }
            }
            _ => return None,
        }
        // `start..i` is plain ASCII delimiters around UTF-8 text: a char boundary.
        text.push_str(&key[start..i]);
        skip_ws(&mut i);
        match *bytes.get(i)? {
            b',' => {
                text.push(',');
                i += 1;
            }
            b']' => {
                text.push(']');
                i += 1;
                break;
            }
            _ => return None,
        }
    }
    skip_ws(&mut i);
    (i == bytes.len()).then_some(text)
}

fn parse_dask(root: &Map<String, Value>, sink: &mut FaultSink) -> Option<Body> {
    let graph = match root.get("graph") {
        None => {
            sink.push(Fault::at(
                "",
                "the field \"graph\" (an object from key to task or value) is missing",
            ));
            None
        }
        Some(Value::Object(map)) => Some(map),
        Some(v) => {
            sink.push(Fault::at(
                "/graph",
                format!(
                    "\"graph\" must be an object from key to task or value, found {}",
                    kind(v)
                ),
            ));
            None
        }
    };

    let nodes = graph.and_then(|graph| {
        let mut builder = NodeBuilder {
            nodes: IndexMap::with_capacity(graph.len()),
        };
        convert_graph(graph, sink, &mut builder).map(|()| builder.nodes)
    });

    let outputs = parse_outputs(root, sink, dask_output);
    Some((nodes?, outputs?))
}

/// The canonical id of output `i` of a dask-dialect document.
pub(crate) fn dask_output(i: usize, value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(canonical_key(s).unwrap_or_else(|| s.clone())),
        Value::Array(items) if is_flat_tuple(items) => Ok(tuple_text(value, items)),
        v => Err(format!(
            "output {i} must be a key (a string, or a list of strings and integers for a tuple key), found {}",
            kind(v)
        )),
    }
}

/// Converts the dask graph `graph` with `builder`, reporting faults to `sink`;
/// `None` when a fault was found or the builder gave up.
pub(crate) fn convert_graph<B: DaskBuilder>(
    graph: &Map<String, Value>,
    sink: &mut FaultSink,
    builder: &mut B,
) -> Option<()> {
    // Pass 1: canonical ids and the key sets.
    let mut ids: Vec<String> = Vec::with_capacity(graph.len());
    let mut keys = DaskKeys {
        plain: HashMap::new(),
        tuples: HashMap::new(),
        scratch: RefCell::new(String::new()),
    };
    let mut ok = true;
    for (index, key) in graph.keys().enumerate() {
        // Room for every key left at the first key of each kind: no rehashing.
        let left = graph.len() - index;
        let canonical = canonical_key(key);
        if canonical.is_some() && keys.tuples.is_empty() {
            keys.tuples.reserve(left);
        }
        match canonical {
            Some(id) => match keys.tuples.entry(id) {
                Entry::Occupied(first) => {
                    sink.push(Fault::in_node(
                        first.key().clone(),
                        pointer(&["graph", key]),
                        format!(
                            "tuple key {} is the same key as {} written differently",
                            quote(key),
                            quote(first.get().1)
                        ),
                    ));
                    ok = false;
                    ids.push(first.key().clone());
                }
                Entry::Vacant(slot) => {
                    ids.push(slot.key().clone());
                    slot.insert((index, key));
                }
            },
            None => {
                if key.is_empty() {
                    sink.push(Fault::at(
                        pointer(&["graph", key]),
                        "a key must be a non-empty string",
                    ));
                    ok = false;
                }
                if keys.plain.is_empty() {
                    keys.plain.reserve(left);
                }
                keys.plain.insert(key, index);
                ids.push(key.clone());
            }
        }
    }

    // Pass 2: each value becomes a canonical node.
    let graph_path = Path::ROOT.key("graph");
    for ((key, value), id) in graph.iter().zip(ids) {
        if sink.is_full() {
            return None;
        }
        let path = graph_path.key(key);
        let node = if let Some(arg) = keys.key_of(value, |i, id| builder.reference(i, id)) {
            // A value that is exactly a key is an alias of that key.
            builder.call("identity", vec![arg?])?
        } else {
            match value {
                Value::Array(items) if keys.is_task(items) => {
                    match convert_task(items, &path, &id, 0, &keys, sink, builder) {
                        Some(Built::Done(node)) => node,
                        Some(Built::Abandoned) => return None,
                        None => {
                            ok = false;
                            continue;
                        }
                    }
                }
                Value::Array(_) => match convert_arg(value, &path, &id, 0, &keys, sink, builder) {
                    // A list that refers to other keys is computed: identity of the list.
                    Some(Built::Done((list, true))) => builder.call("identity", vec![list])?,
                    Some(Built::Done((_, false))) => builder.literal(value),
                    Some(Built::Abandoned) => return None,
                    None => {
                        ok = false;
                        continue;
                    }
                },
                _ => builder.literal(value),
            }
        };
        if ok {
            builder.add(id, node)?;
        }
    }
    ok.then_some(())
}

/// A conversion that found no fault: done, or abandoned by the builder.
enum Built<T> {
    Done(T),
    Abandoned,
}

/// Converts a task `[fn, arg, ...]` to a `call` node.
fn convert_task<B: DaskBuilder>(
    items: &[Value],
    path: &Path<'_>,
    id: &str,
    depth: usize,
    keys: &DaskKeys<'_>,
    sink: &mut FaultSink,
    builder: &mut B,
) -> Option<Built<B::Node>> {
    let Some(Value::String(func)) = items.first() else {
        unreachable!("is_task checked that the first element is a string")
    };
    let mut args = Vec::with_capacity(items.len() - 1);
    let mut ok = true;
    let mut abandoned = false;
    for (i, item) in items.iter().enumerate().skip(1) {
        match convert_arg(item, &path.index(i), id, depth + 1, keys, sink, builder) {
            Some(Built::Done((arg, _))) => args.push(arg),
            Some(Built::Abandoned) => abandoned = true,
            None => ok = false,
        }
    }
    if !ok {
        return None;
    }
    if abandoned {
        return Some(Built::Abandoned);
    }
    Some(
        builder
            .call(func, args)
            .map_or(Built::Abandoned, Built::Done),
    )
}

/// Converts one value inside a task to an argument; the flag says whether the
/// argument refers to a key or contains a task (so it must be computed).
fn convert_arg<B: DaskBuilder>(
    value: &Value,
    path: &Path<'_>,
    id: &str,
    depth: usize,
    keys: &DaskKeys<'_>,
    sink: &mut FaultSink,
    builder: &mut B,
) -> Option<Built<(B::Arg, bool)>> {
    if depth > MAX_DEPTH {
        sink.push(Fault::in_node(
            id,
            path.pointer(),
            format!("tasks are nested more than {MAX_DEPTH} levels deep"),
        ));
        return None;
    }
    if let Some(arg) = keys.key_of(value, |i, id| builder.reference(i, id)) {
        return Some(match arg {
            Some(arg) => Built::Done((arg, true)),
            None => Built::Abandoned,
        });
    }
    Some(Built::Done(match value {
        Value::String(_) | Value::Null | Value::Object(_) => (builder.lit(value), false),
        Value::Number(_) | Value::Bool(_) => (builder.scalar(value), false),
        Value::Array(items) if keys.is_task(items) => {
            match convert_task(items, path, id, depth, keys, sink, builder)? {
                Built::Done(node) => (builder.inline(node), true),
                Built::Abandoned => return Some(Built::Abandoned),
            }
        }
        Value::Array(items) => {
            let mut list = Vec::with_capacity(items.len());
            let mut dynamic = false;
            let mut ok = true;
            let mut abandoned = false;
            for (i, item) in items.iter().enumerate() {
                match convert_arg(item, &path.index(i), id, depth + 1, keys, sink, builder) {
                    Some(Built::Done((a, d))) => {
                        dynamic |= d;
                        list.push(a);
                    }
                    Some(Built::Abandoned) => abandoned = true,
                    None => ok = false,
                }
            }
            if !ok {
                return None;
            }
            if abandoned {
                return Some(Built::Abandoned);
            }
            (builder.list(list), dynamic)
        }
    }))
}

// ---------------------------------------------------------------- helpers

/// "a string", "an object"...: the JSON kind of a value, for messages.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn pointer(tokens: &[&str]) -> String {
    crate::fault::pointer_of(tokens.iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn faults(v: Value) -> Vec<(Option<String>, String, String)> {
        parse_value(&v)
            .unwrap_err()
            .0
            .into_iter()
            .map(|f| (f.node, f.pointer, f.message))
            .collect()
    }

    #[test]
    fn reads_the_contract_example() {
        let doc = parse_document(
            r#"{"tessera": 1, "nodes": {
                "a": {"op": "ones", "shape": [10000, 10000], "chunks": [100, 100], "dtype": "float64"},
                "b": {"op": "exp", "args": ["a"]},
                "c": {"op": "getitem", "args": ["b"], "index": [[1, 100, null], [1, 100, null]]}},
               "outputs": ["c"]}"#,
        )
        .unwrap();
        assert_eq!(doc.dialect, Dialect::Tessera);
        assert_eq!(doc.nodes.keys().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(doc.nodes["b"].args, vec![Arg::Ref("a".into())]);
        assert_eq!(doc.nodes["c"].attrs.keys().collect::<Vec<_>>(), ["index"]);
        assert_eq!(doc.outputs, ["c"]);
    }

    #[test]
    fn argument_forms() {
        let doc = parse_value(&json!({"tessera": 1, "nodes": {"x": {"op": "f", "args": [
            "a", 1, 2.5, true, {"lit": [1, "s"]}, ["a", 3], {"op": "g", "args": ["a"], "k": 1}
        ]}}, "outputs": []}))
        .unwrap();
        let args = &doc.nodes["x"].args;
        assert_eq!(args[0], Arg::Ref("a".into()));
        assert!(matches!(&args[1], Arg::Scalar(Scalar::Number(n)) if n.as_i64() == Some(1)));
        assert!(matches!(&args[2], Arg::Scalar(Scalar::Number(n)) if n.as_f64() == Some(2.5)));
        assert_eq!(args[3], Arg::Scalar(Scalar::Bool(true)));
        assert_eq!(args[4], Arg::Lit(json!([1, "s"])));
        assert!(matches!(&args[5], Arg::List(l) if l.len() == 2));
        let Arg::Inline(g) = &args[6] else { panic!() };
        assert_eq!(g.op, "g");
        assert_eq!(g.attrs["k"], json!(1));
    }

    #[test]
    fn all_structural_faults_are_collected() {
        let f = faults(json!({"tessera": 2, "nodez": {}, "outputs": "c"}));
        let pointers: Vec<_> = f.iter().map(|(_, p, _)| p.as_str()).collect();
        assert_eq!(pointers, ["/tessera", "/nodez", "", "/outputs"]);
        assert!(f[1].2.contains("did you mean \"nodes\""), "{:?}", f[1]);
        assert!(f[2].2.contains("\"nodes\""));
    }

    #[test]
    fn node_and_arg_faults_name_the_node() {
        let f = faults(json!({"tessera": 1, "nodes": {
            "a": 3,
            "b": {"args": "x"},
            "c/d": {"op": "f", "args": [null, {"lit": 1, "x": 2}, {"y": 1}, {"op": 5}]}
        }, "outputs": [1]}));
        let got: Vec<_> = f
            .iter()
            .map(|(n, p, _)| (n.as_deref().unwrap_or("-"), p.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("a", "/nodes/a"),
                ("b", "/nodes/b"),
                ("b", "/nodes/b/args"),
                ("c/d", "/nodes/c~1d/args/0"),
                ("c/d", "/nodes/c~1d/args/1/x"),
                ("c/d", "/nodes/c~1d/args/2"),
                ("c/d", "/nodes/c~1d/args/3/op"),
                ("-", "/outputs/0"),
            ]
        );
    }

    #[test]
    fn dask_dialect_is_converted() {
        let doc = parse_value(&json!({"tessera": 1, "dialect": "dask",
            "graph": {"x": 1, "y": ["inc", "x"], "z": ["add", "y", 10],
                      "w": ["sum", ["x", "y", "z"]], "s": "text", "al": "x",
                      "n": ["add", ["inc", "x"], "hello"], "l": [1, 2, ["a", 1]],
                      "rl": ["x", "y"]},
            "outputs": ["w", "al"]}))
        .unwrap();
        assert_eq!(doc.dialect, Dialect::Dask);
        let text = |id: &str| serde_json::to_string(&doc.nodes[id]).unwrap();
        assert_eq!(text("x"), r#"{"op":"literal","value":1}"#);
        assert_eq!(text("y"), r#"{"op":"call","args":["x"],"fn":"inc"}"#);
        assert_eq!(text("z"), r#"{"op":"call","args":["y",10],"fn":"add"}"#);
        assert_eq!(
            text("w"),
            r#"{"op":"call","args":[["x","y","z"]],"fn":"sum"}"#
        );
        assert_eq!(text("s"), r#"{"op":"literal","value":"text"}"#);
        assert_eq!(text("al"), r#"{"op":"call","args":["x"],"fn":"identity"}"#);
        assert_eq!(
            text("n"),
            r#"{"op":"call","args":[{"op":"call","args":["x"],"fn":"inc"},{"lit":"hello"}],"fn":"add"}"#
        );
        // `["a", 1]` is a task of function "a" inside a list of literals: computed.
        assert_eq!(
            text("l"),
            r#"{"op":"call","args":[[1,2,{"op":"call","args":[1],"fn":"a"}]],"fn":"identity"}"#
        );
        assert_eq!(
            text("rl"),
            r#"{"op":"call","args":[["x","y"]],"fn":"identity"}"#
        );
        assert_eq!(doc.outputs, ["w", "al"]);
    }

    #[test]
    fn dask_tuple_keys() {
        let doc = parse_document(
            r#"{"tessera": 1, "dialect": "dask", "graph": {
                "[\"x\", 0]": 1,
                "[\"x\",1]": 2,
                "[\"y\", 0]": ["add", ["x", 0], ["x", 1]],
                "r": ["y", 0],
                "t": ["x", 2]},
              "outputs": [["y", 0], "r", "[\"x\", 1]"]}"#,
        )
        .unwrap();
        assert_eq!(
            doc.nodes.keys().collect::<Vec<_>>(),
            [r#"["x",0]"#, r#"["x",1]"#, r#"["y",0]"#, "r", "t"]
        );
        let text = |id: &str| serde_json::to_string(&doc.nodes[id]).unwrap();
        assert_eq!(
            text(r#"["y",0]"#),
            r#"{"op":"call","args":["[\"x\",0]","[\"x\",1]"],"fn":"add"}"#
        );
        assert_eq!(
            text("r"),
            r#"{"op":"call","args":["[\"y\",0]"],"fn":"identity"}"#
        );
        // Not a key: a task of function "x".
        assert_eq!(text("t"), r#"{"op":"call","args":[2],"fn":"x"}"#);
        assert_eq!(doc.outputs, [r#"["y",0]"#, "r", r#"["x",1]"#]);
    }

    #[test]
    fn dask_faults() {
        let f = faults(json!({"tessera": 1, "dialect": "dask", "nodes": {},
            "graph": {"[\"x\", 0]": 1, "[\"x\",0]": 2}, "outputs": [{}]}));
        let got: Vec<_> = f.iter().map(|(_, p, _)| p.as_str()).collect();
        assert_eq!(got, ["/nodes", "/graph/[\"x\",0]", "/outputs/0"]);
        assert!(f[0].2.contains("\"graph\" instead"));
        let f = faults(json!({"tessera": 1, "dialect": "spark", "nodes": {}, "outputs": []}));
        assert_eq!(f[0].1, "/dialect");
    }

    #[test]
    fn deep_values_built_in_memory_are_refused() {
        let mut arg = json!("a");
        for _ in 0..(MAX_DEPTH + 5) {
            arg = json!([arg]);
        }
        let f = faults(
            json!({"tessera": 1, "nodes": {"n": {"op": "f", "args": [arg]}}, "outputs": []}),
        );
        assert!(f[0].2.contains("nested more than"), "{f:?}");
    }

    #[test]
    fn large_dask_graph_parses_in_linear_time() {
        let n = 200_000;
        let mut text = String::from(r#"{"tessera": 1, "dialect": "dask", "graph": {"k0": 0"#);
        for i in 1..n {
            text.push_str(&format!(r#", "k{i}": ["inc", "k{}"]"#, i - 1));
        }
        text.push_str(&format!(r#"}}, "outputs": ["k{}"]}}"#, n - 1));
        let start = std::time::Instant::now();
        let doc = parse_document(&text).unwrap();
        assert_eq!(doc.nodes.len(), n);
        // Generous: debug builds on a shared machine. Quadratic behaviour would take minutes.
        assert!(start.elapsed().as_secs() < 20, "{:?}", start.elapsed());
    }

    /// The general path of [`canonical_key`]: the parsed value and its text.
    fn reference_key(key: &str) -> Option<String> {
        match parse_json(key) {
            Ok(v @ Value::Array(_)) if is_flat_tuple(v.as_array().unwrap()) => Some(v.to_string()),
            _ => None,
        }
    }

    #[test]
    fn minus_zero_in_a_tuple_key_is_the_integer_zero() {
        assert_eq!(canonical_key(r#"["x", -0]"#).as_deref(), Some(r#"["x",0]"#));
        assert_eq!(
            canonical_key(r#"["x", -0.0]"#).as_deref(),
            Some(r#"["x",-0.0]"#)
        );
    }

    #[test]
    fn tuple_key_edge_cases_match_serde_json() {
        for key in [
            r#"["x", 0]"#,
            r#" [ "x" , 0 , -3 ] "#,
            r#"["x",-0]"#,
            r#"["x",00]"#,
            r#"["x",1.0]"#,
            r#"["x",1e3]"#,
            r#"["x",123456789012345678901]"#,
            r#"["x",-9223372036854775808]"#,
            r#"["a\"b",1]"#,
            r#"["\u0041",1]"#,
            r#"["é∂",1]"#,
            r#"["x",[1]]"#,
            r#"["x",1]x"#,
            r#"["x",1"#,
            r#"[]"#,
            r#"[,]"#,
            r#"["x",]"#,
            r#"["x" 1]"#,
            r#"[true]"#,
        ] {
            assert_eq!(canonical_key(key), reference_key(key), "{key}");
        }
    }

    use proptest::prelude::*;

    proptest::proptest! {
        /// The fast tuple-key paths agree with serde_json on generated keys.
        #[test]
        fn tuple_keys_match_serde_json(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    "[ -~é\\\\\"\\n]{0,6}".prop_map(|s| serde_json::to_string(&s).unwrap()),
                    proptest::num::i64::ANY.prop_map(|n| n.to_string()),
                    proptest::num::u64::ANY.prop_map(|n| n.to_string()),
                    "-?[0-9]{1,3}(\\.[0-9])?",
                ],
                0..4,
            ),
            space in "[ \\n]{0,2}",
        ) {
            let key = format!("[{space}{}{space}]", parts.join(&format!("{space},")));
            proptest::prop_assert_eq!(canonical_key(&key), reference_key(&key), "{}", key);
            if let Ok(v @ Value::Array(_)) = parse_json(&key) {
                let items = v.as_array().unwrap();
                if is_flat_tuple(items) {
                    proptest::prop_assert_eq!(tuple_text(&v, items), v.to_string());
                }
            }
        }
    }
}
