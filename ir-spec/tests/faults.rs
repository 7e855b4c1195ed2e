//! One test per kind of fault: each checks that the message names the node id (or
//! the unknown name) and the JSON pointer of the fault.

use tessera_ir::{Fault, Faults, InferContext, parse_and_validate};

fn faults(text: &str) -> Faults {
    match parse_and_validate(text, &InferContext::default()) {
        Ok(_) => panic!("expected faults for {text}"),
        Err(f) => f,
    }
}

/// A canonical document with these nodes and outputs.
fn doc(nodes: &str, outputs: &str) -> String {
    format!(r#"{{"tessera": 1, "nodes": {{{nodes}}}, "outputs": [{outputs}]}}"#)
}

/// The fault with this pointer; its display names `node` (if given) and the
/// pointer, and its message contains `words`.
fn expect(all: &Faults, node: Option<&str>, pointer: &str, words: &str) -> Fault {
    let Some(f) = all.0.iter().find(|f| f.pointer == pointer) else {
        panic!("no fault at {pointer}:\n{all}")
    };
    let line = f.to_string();
    assert_eq!(f.node.as_deref(), node, "{line}");
    if let Some(node) = node {
        assert!(
            line.starts_with(&format!("node \"{node}\" ({pointer}): ")),
            "{line}"
        );
    } else {
        assert!(
            line.contains(if pointer.is_empty() { "/" } else { pointer }),
            "{line}"
        );
    }
    assert!(f.message.contains(words), "{line} does not say {words:?}");
    f.clone()
}

const ONES: &str = r#""a": {"op": "ones", "shape": [100, 100], "chunks": 10}"#;

#[test]
fn syntax_error_gives_line_and_column() {
    let all = faults(
        "{\"tessera\": 1,\n \"nodes\": {\"a\": {\"op\": \"ones\" \"shape\": [1]}}, \"outputs\": []}",
    );
    expect(&all, Some("a"), "/nodes/a", "line 2 column");
}

#[test]
fn duplicate_node_id() {
    let all = faults(&doc(&format!("{ONES}, {ONES}"), r#""a""#));
    expect(&all, Some("a"), "/nodes/a", "defined more than once");
}

#[test]
fn duplicate_attribute() {
    let all = faults(&doc(
        r#""a": {"op": "ones", "shape": [1], "shape": [2]}"#,
        r#""a""#,
    ));
    expect(&all, Some("a"), "/nodes/a/shape", "appears more than once");
}

#[test]
fn unknown_version() {
    let all = faults(r#"{"tessera": 2, "nodes": {}, "outputs": []}"#);
    expect(&all, None, "/tessera", "unknown format version 2");
    let all = faults(r#"{"tessera": "1", "nodes": {}, "outputs": []}"#);
    expect(&all, None, "/tessera", "version");
}

#[test]
fn missing_required_fields() {
    let all = faults(r#"{"nodes": {}}"#);
    expect(&all, None, "", "\"tessera\"");
    assert!(
        all.0.iter().any(|f| f.message.contains("\"outputs\"")),
        "{all}"
    );
    let all = faults(r#"{"tessera": 1, "outputs": []}"#);
    expect(&all, None, "", "\"nodes\"");
}

#[test]
fn unknown_top_level_field() {
    let all = faults(r#"{"tessera": 1, "nodes": {}, "outputs": [], "output": []}"#);
    expect(&all, None, "/output", "did you mean \"outputs\"");
}

#[test]
fn node_is_not_an_object_or_has_no_op() {
    let all = faults(&doc(r#""a": [1], "b": {"shape": [1]}, "c": {"op": 3}"#, ""));
    expect(&all, Some("a"), "/nodes/a", "must be a JSON object");
    expect(&all, Some("b"), "/nodes/b", "no \"op\"");
    expect(&all, Some("c"), "/nodes/c/op", "must be a string");
}

#[test]
fn args_is_not_a_list() {
    let all = faults(&doc(
        &format!(r#"{ONES}, "b": {{"op": "exp", "args": "a"}}"#),
        r#""b""#,
    ));
    expect(&all, Some("b"), "/nodes/b/args", "must be a list");
}

#[test]
fn bad_argument_form() {
    let all = faults(&doc(
        &format!(
            r#"{ONES}, "b": {{"op": "add", "args": ["a", null]}}, "c": {{"op": "add", "args": ["a", {{"value": 1}}]}}"#
        ),
        r#""b""#,
    ));
    expect(&all, Some("b"), "/nodes/b/args/1", "{\"lit\": null}");
    expect(&all, Some("c"), "/nodes/c/args/1", "\"lit\"");
}

#[test]
fn unknown_op_suggests_a_name() {
    let all = faults(&doc(r#""a": {"op": "cholesky", "args": []}"#, r#""a""#));
    expect(
        &all,
        Some("a"),
        "/nodes/a/op",
        "unknown op \"cholesky\"; did you mean \"linalg.cholesky\"?",
    );
}

#[test]
fn wrong_arity() {
    let all = faults(&doc(
        &format!(r#"{ONES}, "b": {{"op": "exp", "args": ["a", "a"]}}"#),
        r#""b""#,
    ));
    expect(
        &all,
        Some("b"),
        "/nodes/b/args",
        "takes exactly 1 argument, found 2",
    );
    let all = faults(&doc(r#""b": {"op": "add"}"#, r#""b""#));
    expect(&all, Some("b"), "/nodes/b", "found 0 arguments");
}

#[test]
fn unknown_attribute_suggests_a_name() {
    let all = faults(&doc(
        r#""a": {"op": "ones", "shape": [4], "chunk": 2}"#,
        r#""a""#,
    ));
    expect(
        &all,
        Some("a"),
        "/nodes/a/chunk",
        "did you mean \"chunks\"?",
    );
}

#[test]
fn missing_required_attribute() {
    let all = faults(&doc(r#""a": {"op": "ones", "chunks": 2}"#, r#""a""#));
    expect(&all, Some("a"), "/nodes/a", "\"shape\"");
}

#[test]
fn attribute_of_the_wrong_type_or_unknown_dtype() {
    let all = faults(&doc(
        r#""a": {"op": "ones", "shape": [4], "dtype": "float16"}, "b": {"op": "ones", "shape": "4"}"#,
        r#""a""#,
    ));
    expect(&all, Some("a"), "/nodes/a/dtype", "float16");
    expect(&all, Some("b"), "/nodes/b/shape", "\"shape\"");
}

#[test]
fn negative_shape() {
    let all = faults(&doc(r#""a": {"op": "zeros", "shape": [3, -1]}"#, r#""a""#));
    expect(&all, Some("a"), "/nodes/a/shape", "negative");
}

#[test]
fn missing_reference_suggests_an_id() {
    let all = faults(&doc(
        &format!(r#"{ONES}, "total": {{"op": "sum", "args": ["aa"]}}"#),
        r#""total""#,
    ));
    expect(
        &all,
        Some("total"),
        "/nodes/total/args/0",
        "\"aa\", which does not exist",
    );
}

#[test]
fn unknown_output() {
    let all = faults(&doc(ONES, r#""a", "b""#));
    expect(&all, None, "/outputs/1", "unknown output \"b\"");
}

#[test]
fn cycle_names_its_nodes() {
    let all = faults(&doc(
        r#""a": {"op": "exp", "args": ["b"]}, "b": {"op": "negative", "args": ["a"]}, "c": {"op": "exp", "args": ["c"]}, "d": {"op": "exp", "args": ["a"]}"#,
        r#""d""#,
    ));
    let f = expect(&all, Some("a"), "/nodes/a", "cycle");
    assert!(f.message.contains(r#""a" -> "b" -> "a""#), "{f}");
    let g = expect(&all, Some("c"), "/nodes/c", "cycle");
    assert!(g.message.contains(r#""c" -> "c""#), "{g}");
    // "d" only depends on the cycle: it is not reported on its own.
    assert_eq!(all.len(), 2, "{all}");
}

#[test]
fn shapes_that_do_not_broadcast() {
    let all = faults(&doc(
        r#""x": {"op": "ones", "shape": [3]}, "y": {"op": "ones", "shape": [4]}, "z": {"op": "add", "args": ["x", "y"]}"#,
        r#""z""#,
    ));
    let f = all
        .0
        .iter()
        .find(|f| f.node.as_deref() == Some("z"))
        .expect("a fault in z");
    assert!(f.pointer.starts_with("/nodes/z"), "{f}");
    assert!(f.message.contains("broadcast"), "{f}");
}

#[test]
fn shapes_that_do_not_multiply() {
    let all = faults(&doc(
        r#""x": {"op": "ones", "shape": [3, 4]}, "y": {"op": "ones", "shape": [5, 2]}, "z": {"op": "matmul", "args": ["x", "y"]}"#,
        r#""z""#,
    ));
    let f = all
        .0
        .iter()
        .find(|f| f.node.as_deref() == Some("z"))
        .expect("a fault in z");
    assert!(f.pointer.starts_with("/nodes/z"), "{f}");
}

#[test]
fn axis_out_of_range() {
    let all = faults(&doc(
        &format!(r#"{ONES}, "s": {{"op": "sum", "args": ["a"], "axis": 2}}"#),
        r#""s""#,
    ));
    let f = all
        .0
        .iter()
        .find(|f| f.node.as_deref() == Some("s"))
        .expect("a fault in s");
    assert!(f.pointer.starts_with("/nodes/s"), "{f}");
    assert!(f.message.contains("axis 2"), "{f}");
}

#[test]
fn integer_index_out_of_range() {
    let all = faults(&doc(
        &format!(r#"{ONES}, "c": {{"op": "getitem", "args": ["a"], "index": [200]}}"#),
        r#""c""#,
    ));
    let f = all
        .0
        .iter()
        .find(|f| f.node.as_deref() == Some("c"))
        .expect("a fault in c");
    assert!(f.pointer.starts_with("/nodes/c/index"), "{f}");
    assert!(f.message.contains("200"), "{f}");
}

#[test]
fn chunks_that_do_not_add_up() {
    let all = faults(&doc(
        r#""a": {"op": "ones", "shape": [10, 4], "chunks": [[3, 3], [4]]}"#,
        r#""a""#,
    ));
    let f = all
        .0
        .iter()
        .find(|f| f.node.as_deref() == Some("a"))
        .expect("a fault in a");
    assert!(f.pointer.starts_with("/nodes/a/chunks"), "{f}");
}

#[test]
fn inline_node_faults_point_inside_the_parent() {
    let all = faults(&doc(
        &format!(r#"{ONES}, "c": {{"op": "sum", "args": [{{"op": "expp", "args": ["a"]}}]}}"#),
        r#""c""#,
    ));
    expect(
        &all,
        Some("c"),
        "/nodes/c/args/0/op",
        "did you mean \"exp\"?",
    );
    let all = faults(&doc(
        &format!(r#"{ONES}, "c": {{"op": "sum", "args": [[1, {{"op": "exp", "args": ["zz"]}}]]}}"#),
        r#""c""#,
    ));
    expect(&all, Some("c"), "/nodes/c/args/0/1/args/0", "\"zz\"");
}

#[test]
fn faults_do_not_cascade_down_a_chain() {
    let all = faults(&doc(
        r#""a": {"op": "ones", "shape": [2], "dtype": "float8"}, "b": {"op": "exp", "args": ["a"]}, "c": {"op": "exp", "args": ["b"]}"#,
        r#""c""#,
    ));
    assert_eq!(all.len(), 1, "{all}");
}

#[test]
fn all_faults_are_reported_up_to_the_limit() {
    let nodes: Vec<String> = (0..150)
        .map(|i| format!(r#""n{i}": {{"op": "nope{i}"}}"#))
        .collect();
    let all = faults(&doc(&nodes.join(", "), ""));
    assert_eq!(all.len(), tessera_ir::FAULT_LIMIT + 1, "{all}");
    assert!(
        all.0
            .last()
            .unwrap()
            .message
            .contains("at least 50 more faults")
    );
    let text = all.to_string();
    assert_eq!(text.lines().count(), all.len());
}

#[test]
fn dask_faults_name_the_key() {
    let all = faults(
        r#"{"tessera": 1, "dialect": "dask", "graph": {"x": 1, "y": ["inc", "x"], "y": 2}, "outputs": ["z"]}"#,
    );
    expect(&all, Some("y"), "/graph/y", "defined more than once");
    let all = faults(
        r#"{"tessera": 1, "dialect": "dask", "graph": {"x": 1}, "outputs": ["z", ["x", 0]]}"#,
    );
    expect(&all, None, "/outputs/0", "\"z\"");
    expect(&all, None, "/outputs/1", r#""[\"x\",0]""#);
}
