//! Documents serialize back to their canonical JSON form.

use std::path::Path;

use tessera_ir::{Dialect, Document, parse_document};

#[test]
fn canonical_text_round_trips_exactly() {
    let text = r#"{"tessera":1,"nodes":{"a":{"op":"ones","shape":[4,4],"chunks":2,"dtype":"float32"},"b":{"op":"add","args":["a",1,2.5,true,{"lit":{"k":[1,"s",null]}},["a","a"],{"op":"exp","args":["a"]}]},"c":{"op":"getitem","args":["b"],"index":[[1,null,-1],null,"...",0]}},"outputs":["c","a"]}"#;
    let doc = parse_document(text).unwrap();
    assert_eq!(serde_json::to_string(&doc).unwrap(), text);
}

#[test]
fn every_example_round_trips() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let doc = parse_document(&text).unwrap_or_else(|f| panic!("{}: {f}", path.display()));
        let canonical = serde_json::to_string(&doc).unwrap();
        let again = parse_document(&canonical).unwrap();
        assert_eq!(again.nodes, doc.nodes, "{}", path.display());
        assert_eq!(again.outputs, doc.outputs, "{}", path.display());
        assert_eq!(again.dialect, Dialect::Tessera);
        assert_eq!(serde_json::to_string(&again).unwrap(), canonical);
        if doc.dialect == Dialect::Tessera {
            // A canonical document comes back as the same JSON value.
            let original: serde_json::Value = serde_json::from_str(&text).unwrap();
            let written: serde_json::Value = serde_json::from_str(&canonical).unwrap();
            assert_eq!(original, written, "{}", path.display());
        }
    }
}

#[test]
fn serde_reads_and_writes_documents() {
    let doc: Document = serde_json::from_str(
        r#"{"tessera": 1, "dialect": "dask", "graph": {"x": 1, "y": ["inc", "x"]}, "outputs": ["y"]}"#,
    )
    .unwrap();
    assert_eq!(
        serde_json::to_string(&doc).unwrap(),
        r#"{"tessera":1,"nodes":{"x":{"op":"literal","value":1},"y":{"op":"call","args":["x"],"fn":"inc"}},"outputs":["y"]}"#
    );
}

#[test]
fn validated_graphs_convert_back_to_equivalent_documents() {
    use tessera_ir::{InferContext, ValidGraph, validate};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let ctx = InferContext {
        base_dir: Some(dir.clone()),
        ..InferContext::default()
    };
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let graph = validate(&parse_document(&text).unwrap(), &ctx).unwrap();
        let doc = graph.to_document();
        let again = validate(&doc, &ctx).unwrap_or_else(|f| panic!("{}: {f}", path.display()));
        assert_eq!(again.len(), graph.len(), "{}", path.display());
        for (a, b) in graph.nodes.iter().zip(&again.nodes) {
            assert_eq!(a.id, b.id, "{}", path.display());
            assert_eq!(a.op.name, b.op.name, "{}", path.display());
            assert_eq!(a.meta, b.meta, "{}: node {}", path.display(), a.id);
            assert_eq!(a.args, b.args, "{}: node {}", path.display(), a.id);
        }
        assert_eq!(graph.outputs, again.outputs, "{}", path.display());
        // Rebuilding from parts keeps ids findable.
        let rebuilt = ValidGraph::from_parts(graph.nodes.clone(), graph.outputs.clone());
        for node in &graph.nodes {
            assert_eq!(
                rebuilt.lookup(&node.id).map(|i| rebuilt.node(i).id.clone()),
                Some(node.id.clone())
            );
        }
    }
}
