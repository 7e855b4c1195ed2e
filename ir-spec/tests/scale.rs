//! Long chains validate with explicit stacks (no stack overflow) and in linear time.
//! Debug builds use smaller sizes (still far beyond what recursion would survive on
//! a test thread's 2 MiB stack); `cargo test --release` runs the full million.

use std::time::Instant;

/// Nodes in the long-chain tests.
const N: usize = if cfg!(debug_assertions) {
    100_000
} else {
    1_000_000
};

use tessera_ir::{Arg, Document, InferContext, Node, parse_document, validate};

#[test]
fn a_million_node_chain_validates() {
    let n = N;
    let mut doc = Document::new();
    doc.nodes.insert(
        "n0".into(),
        Node::new("ones").attr("shape", serde_json::json!([2])),
    );
    // Given in reverse order, so the first node of the document is the last of the chain.
    let mut nodes: Vec<(String, Node)> = (1..n)
        .map(|i| {
            (
                format!("n{i}"),
                Node::new("negative").arg(Arg::node(format!("n{}", i - 1))),
            )
        })
        .collect();
    nodes.reverse();
    doc.nodes.extend(nodes);
    doc.outputs.push(format!("n{}", n - 1));
    let start = Instant::now();
    let graph = validate(&doc, &InferContext::default()).unwrap();
    assert_eq!(graph.len(), n);
    assert_eq!(graph.node(graph.outputs[0]).id, format!("n{}", n - 1));
    assert_eq!(graph.nodes[0].id, "n0");
    eprintln!("validated {n} nodes in {:?}", start.elapsed());
}

#[test]
fn a_long_cycle_is_named_without_overflow() {
    let n = N / 5;
    let mut doc = Document::new();
    for i in 0..n {
        doc.nodes.insert(
            format!("n{i}"),
            Node::new("negative").arg(Arg::node(format!("n{}", (i + 1) % n))),
        );
    }
    let faults = validate(&doc, &InferContext::default()).unwrap_err();
    assert_eq!(faults.len(), 1);
    assert!(faults.0[0].message.contains(r#""n0" -> "n1" -> "n2""#));
}

#[test]
fn a_large_dask_graph_parses_and_validates() {
    let n = N;
    let mut text = String::from(r#"{"tessera": 1, "dialect": "dask", "graph": {"k0": 0"#);
    for i in 1..n {
        text.push_str(&format!(r#", "k{i}": ["add", "k{}", 1]"#, i - 1));
    }
    text.push_str(&format!(r#"}}, "outputs": ["k{}"]}}"#, n - 1));
    let start = Instant::now();
    let doc = parse_document(&text).unwrap();
    eprintln!("parsed {n} keys in {:?}", start.elapsed());
    let graph = validate(&doc, &InferContext::default()).unwrap();
    assert_eq!(graph.len(), n);
    eprintln!("parsed and validated {n} keys in {:?}", start.elapsed());
}
