//! JSON value -> [`Document`]: the structural rules of the format (version, required
//! fields, node and argument forms), every fault collected with its JSON pointer,
//! and the conversion of the dask dialect into canonical nodes.

use std::collections::{HashMap, HashSet};

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

/// The keys of a dask graph: plain string keys and tuple keys (by canonical text).
struct DaskKeys<'a> {
    plain: HashSet<&'a str>,
    tuples: HashSet<String>,
}

impl DaskKeys<'_> {
    /// The canonical id `value` refers to when it is exactly a key.
    fn key_of(&self, value: &Value) -> Option<String> {
        match value {
            Value::String(s) if self.plain.contains(s.as_str()) => Some(s.clone()),
            Value::Array(items) if !self.tuples.is_empty() && is_flat_tuple(items) => {
                let text = value.to_string();
                self.tuples.contains(&text).then_some(text)
            }
            _ => None,
        }
    }

    /// True when `items` is a task: a list whose first element is a string that
    /// is not a key (a function name, checked by the runtime's registry).
    fn is_task(&self, items: &[Value]) -> bool {
        matches!(items.first(), Some(Value::String(f)) if !self.plain.contains(f.as_str()))
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

/// The canonical id of a graph key: a key whose text parses as a JSON list of
/// strings and numbers is a tuple key, written as compact JSON text.
fn canonical_key(key: &str) -> Option<String> {
    if !key.trim_start().starts_with('[') {
        return None;
    }
    match serde_json::from_str::<Value>(key) {
        Ok(v @ Value::Array(_)) if is_flat_tuple(v.as_array().expect("matched an array")) => {
            Some(v.to_string())
        }
        _ => None,
    }
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

    let nodes = graph.and_then(|graph| convert_graph(graph, sink));

    let outputs = parse_outputs(root, sink, |i, v| match v {
        Value::String(s) => Ok(canonical_key(s).unwrap_or_else(|| s.clone())),
        Value::Array(items) if is_flat_tuple(items) => Ok(v.to_string()),
        v => Err(format!(
            "output {i} must be a key (a string, or a list of strings and integers for a tuple key), found {}",
            kind(v)
        )),
    });
    Some((nodes?, outputs?))
}

fn convert_graph(
    graph: &Map<String, Value>,
    sink: &mut FaultSink,
) -> Option<IndexMap<String, Node>> {
    // Pass 1: canonical ids and the key sets.
    let mut ids: Vec<String> = Vec::with_capacity(graph.len());
    let mut keys = DaskKeys {
        plain: HashSet::with_capacity(graph.len()),
        tuples: HashSet::new(),
    };
    let mut seen: HashMap<String, &str> = HashMap::new();
    let mut ok = true;
    for key in graph.keys() {
        match canonical_key(key) {
            Some(id) => {
                if let Some(first) = seen.get(&id) {
                    sink.push(Fault::in_node(
                        id.clone(),
                        pointer(&["graph", key]),
                        format!(
                            "tuple key {} is the same key as {} written differently",
                            quote(key),
                            quote(first)
                        ),
                    ));
                    ok = false;
                } else {
                    seen.insert(id.clone(), key);
                }
                keys.tuples.insert(id.clone());
                ids.push(id);
            }
            None => {
                if key.is_empty() {
                    sink.push(Fault::at(
                        pointer(&["graph", key]),
                        "a key must be a non-empty string",
                    ));
                    ok = false;
                }
                keys.plain.insert(key);
                ids.push(key.clone());
            }
        }
    }

    // Pass 2: each value becomes a canonical node.
    let mut nodes = IndexMap::with_capacity(graph.len());
    let graph_path = Path::ROOT.key("graph");
    for ((key, value), id) in graph.iter().zip(ids) {
        if sink.is_full() {
            return None;
        }
        let path = graph_path.key(key);
        let node = if let Some(target) = keys.key_of(value) {
            // A value that is exactly a key is an alias of that key.
            Some(
                Node::new("call")
                    .attr("fn", "identity")
                    .arg(Arg::Ref(target)),
            )
        } else {
            match value {
                Value::Array(items) if keys.is_task(items) => {
                    convert_task(items, &path, &id, 0, &keys, sink).map(|(n, _)| n)
                }
                Value::Array(_) => match convert_arg(value, &path, &id, 0, &keys, sink) {
                    // A list that refers to other keys is computed: identity of the list.
                    Some((list, true)) => Some(Node::new("call").attr("fn", "identity").arg(list)),
                    Some((_, false)) => Some(literal_node(value)),
                    None => None,
                },
                _ => Some(literal_node(value)),
            }
        };
        match node {
            Some(n) => {
                nodes.insert(id, n);
            }
            None => ok = false,
        }
    }
    ok.then_some(nodes)
}

fn literal_node(value: &Value) -> Node {
    Node::new("literal").attr("value", value.clone())
}

/// Converts a task `[fn, arg, ...]` to a `call` node; the flag says whether it
/// refers to any key (always true for a task: it is computed).
fn convert_task(
    items: &[Value],
    path: &Path<'_>,
    id: &str,
    depth: usize,
    keys: &DaskKeys<'_>,
    sink: &mut FaultSink,
) -> Option<(Node, bool)> {
    let Some(Value::String(func)) = items.first() else {
        unreachable!("is_task checked that the first element is a string")
    };
    let mut node = Node::new("call").attr("fn", func.as_str());
    let mut ok = true;
    for (i, item) in items.iter().enumerate().skip(1) {
        match convert_arg(item, &path.index(i), id, depth + 1, keys, sink) {
            Some((arg, _)) => node.args.push(arg),
            None => ok = false,
        }
    }
    ok.then_some((node, true))
}

/// Converts one value inside a task to an argument; the flag says whether the
/// argument refers to a key or contains a task (so it must be computed).
fn convert_arg(
    value: &Value,
    path: &Path<'_>,
    id: &str,
    depth: usize,
    keys: &DaskKeys<'_>,
    sink: &mut FaultSink,
) -> Option<(Arg, bool)> {
    if depth > MAX_DEPTH {
        sink.push(Fault::in_node(
            id,
            path.pointer(),
            format!("tasks are nested more than {MAX_DEPTH} levels deep"),
        ));
        return None;
    }
    if let Some(target) = keys.key_of(value) {
        return Some((Arg::Ref(target), true));
    }
    match value {
        Value::String(s) => Some((Arg::Lit(Value::String(s.clone())), false)),
        Value::Number(n) => Some((Arg::Scalar(Scalar::Number(n.clone())), false)),
        Value::Bool(b) => Some((Arg::Scalar(Scalar::Bool(*b)), false)),
        Value::Null | Value::Object(_) => Some((Arg::Lit(value.clone()), false)),
        Value::Array(items) if keys.is_task(items) => {
            convert_task(items, path, id, depth, keys, sink)
                .map(|(n, d)| (Arg::Inline(Box::new(n)), d))
        }
        Value::Array(items) => {
            let mut list = Vec::with_capacity(items.len());
            let mut dynamic = false;
            let mut ok = true;
            for (i, item) in items.iter().enumerate() {
                match convert_arg(item, &path.index(i), id, depth + 1, keys, sink) {
                    Some((a, d)) => {
                        dynamic |= d;
                        list.push(a);
                    }
                    None => ok = false,
                }
            }
            ok.then_some((Arg::List(list), dynamic))
        }
    }
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
}
