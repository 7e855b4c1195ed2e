//! Plans before and after fusion (insta snapshots), and the pass's rules.

use serde_json::{Value as Json, json};
use tessera_ir::{InferContext, ValidArg, ValidGraph, parse_and_validate};

use super::*;

fn valid(doc: Json) -> ValidGraph {
    parse_and_validate(&doc.to_string(), &InferContext::default()).expect("valid document")
}

/// One line per node: `id = op(args) attrs -> shape dtype`, then the outputs.
fn render(g: &ValidGraph) -> String {
    let mut out = String::new();
    for node in &g.nodes {
        let args: Vec<String> = node
            .args
            .iter()
            .map(|a| match a {
                ValidArg::Node(i) => g.node(*i).id.clone(),
                ValidArg::Scalar(tessera_ir::ScalarKind::Bool, v, _) => (*v != 0.0).to_string(),
                ValidArg::Scalar(_, _, n) => n.to_string(),
                ValidArg::Literal(v) => v.to_string(),
                ValidArg::List(items) => format!("[{} items]", items.len()),
            })
            .collect();
        let attrs = if node.attrs.is_empty() {
            String::new()
        } else {
            format!(" {}", Json::Object(node.attrs.clone()))
        };
        let meta = match &node.meta {
            Meta::Array(a) => format!("{:?} {}", a.shape, a.dtype.name()),
            other => other.describe().to_owned(),
        };
        out.push_str(&format!(
            "{} = {}({}){attrs} -> {meta}\n",
            node.id,
            node.op.name,
            args.join(", ")
        ));
    }
    let outs: Vec<&str> = g.outputs.iter().map(|&o| g.node(o).id.as_str()).collect();
    out.push_str(&format!("outputs: {}\n", outs.join(", ")));
    out
}

fn before_after(doc: Json) -> String {
    let g = valid(doc);
    let after = fuse(&g).map_or("(unchanged)\n".to_owned(), |f| {
        // The fused graph is a valid document with the same outputs and metas.
        let again = tessera_ir::validate(&f.to_document(), &InferContext::default())
            .expect("the fused graph is a valid document");
        for (a, b) in f.outputs.iter().zip(&g.outputs) {
            assert_eq!(again.node(*a).meta, g.node(*b).meta);
            assert_eq!(f.node(*a).id, g.node(*b).id);
        }
        render(&f)
    });
    format!("before:\n{}after:\n{after}", render(&g))
}

fn x(shape: &[usize], chunks: usize) -> Json {
    json!({"op": "random.uniform", "shape": shape, "chunks": chunks, "seed": 1})
}

#[test]
fn exp_sum_is_one_fused_reduction() {
    insta::assert_snapshot!(before_after(json!({"tessera": 1, "nodes": {
        "x": x(&[100, 100], 10),
        "e": {"op": "exp", "args": ["x"]},
        "s": {"op": "sum", "args": ["e"]}},
        "outputs": ["s"]})));
}

#[test]
fn w6_is_one_fused_mean() {
    insta::assert_snapshot!(before_after(json!({"tessera": 1, "nodes": {
        "x": x(&[100, 100], 10),
        "s": {"op": "sin", "args": ["x"]},
        "s2": {"op": "power", "args": ["s", 2]},
        "a": {"op": "multiply", "args": ["s2", 2.0]},
        "c": {"op": "cos", "args": ["x"]},
        "n": {"op": "negative", "args": ["x"]},
        "en": {"op": "exp", "args": ["n"]},
        "ce": {"op": "multiply", "args": ["c", "en"]},
        "t": {"op": "add", "args": ["a", "ce"]},
        "u": {"op": "subtract", "args": ["t", 1]},
        "m": {"op": "mean", "args": ["u"]}},
        "outputs": ["m"]})));
}

#[test]
fn shared_and_output_intermediates_stay_materialized() {
    insta::assert_snapshot!(before_after(json!({"tessera": 1, "nodes": {
        "x": x(&[8, 8], 4),
        "e": {"op": "exp", "args": ["x"]},
        "a": {"op": "add", "args": [{"op": "sin", "args": ["e"]}, 1]},
        "b": {"op": "multiply", "args": [{"op": "cos", "args": ["e"]}, 2]},
        "l": {"op": "log", "args": ["x"]},
        "m": {"op": "sqrt", "args": ["l"]}},
        "outputs": ["a", "b", "l", "m"]})));
}

#[test]
fn constants_are_absorbed_unless_used_elsewhere() {
    insta::assert_snapshot!(before_after(json!({"tessera": 1, "nodes": {
        "o": {"op": "ones", "shape": [99, 99], "chunks": 50},
        "e": {"op": "exp", "args": ["o"]},
        "f": {"op": "full", "shape": [99], "fill_value": 3, "dtype": "int32"},
        "g": {"op": "multiply", "args": ["e", "f"]},
        "t": {"op": "transpose", "args": ["f"]}},
        "outputs": ["g", "t"]})));
}

#[test]
fn where_astype_broadcast_and_scalars_fuse_and_other_ops_break_groups() {
    insta::assert_snapshot!(before_after(json!({"tessera": 1, "nodes": {
        "x": x(&[6, 4], 3),
        "r": {"op": "arange", "stop": 4, "chunks": 2},
        "m": {"op": "greater", "args": ["x", 0.5]},
        "i": {"op": "astype", "args": ["r"], "dtype": "int32"},
        "w": {"op": "where", "args": ["m", "i", -1]},
        "c": {"op": "clip", "args": ["w", 0, {"lit": null}]},
        "p": {"op": "matmul", "args": ["c", {"op": "transpose", "args": ["c"]}]},
        "q": {"op": "add", "args": [{"op": "abs", "args": ["p"]}, true]},
        "s": {"op": "max", "args": ["q"], "axis": 0, "keepdims": true}},
        "outputs": ["s"]})));
}

#[test]
fn nothing_to_fuse_gives_none() {
    let g = valid(json!({"tessera": 1, "nodes": {
        "x": x(&[4], 2),
        "e": {"op": "exp", "args": ["x"]},
        "s": {"op": "sum", "args": ["x"]}},
        "outputs": ["e", "s"]}));
    assert!(fuse(&g).is_none());
    assert!(FusePass.run(&g).is_none());
}

#[test]
fn a_chain_of_ten_thousand_ops_fuses_without_recursion() {
    let mut nodes = serde_json::Map::new();
    nodes.insert("n0".into(), x(&[16], 4));
    for i in 1..=10_000 {
        let op = if i % 2 == 0 { "sin" } else { "cos" };
        nodes.insert(
            format!("n{i}"),
            json!({"op": op, "args": [format!("n{}", i - 1)]}),
        );
    }
    let g = valid(json!({"tessera": 1, "nodes": nodes, "outputs": ["n10000"]}));
    let f = fuse(&g).unwrap();
    assert_eq!(f.len(), 2);
    let program = f.nodes[1].attrs["program"].as_array().unwrap();
    assert_eq!(program.len(), 10_000);
    assert_eq!(f.nodes[1].id, "n10000");
}
