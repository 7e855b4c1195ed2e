//! Every document in `ir-spec/examples/` parses and validates.

use std::path::{Path, PathBuf};

use tessera_ir::{DType, InferContext, Meta, parse_and_validate};

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

fn examples() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(examples_dir())
        .expect("the examples folder exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).expect("readable example"))
        })
        .collect();
    out.sort();
    out
}

fn ctx() -> InferContext {
    InferContext {
        base_dir: Some(examples_dir()),
        data_root: None,
    }
}

#[test]
fn every_example_validates() {
    let all = examples();
    assert!(all.len() >= 12, "only {} examples", all.len());
    let mut failures = Vec::new();
    for (name, text) in &all {
        if let Err(faults) = parse_and_validate(text, &ctx()) {
            failures.push(format!("{name}:\n{faults}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_required_examples_exist() {
    let names: Vec<String> = examples().into_iter().map(|(n, _)| n).collect();
    for want in [
        "lazy-slice.json",
        "cholesky.json",
        "stencil.json",
        "dask-merge.json",
        "dask-tuple-keys.json",
        "mixed-call.json",
        "solve.json",
    ] {
        assert!(names.iter().any(|n| n == want), "missing {want}");
    }
}

#[test]
fn lazy_slice_infers_the_seed_result() {
    let text = std::fs::read_to_string(examples_dir().join("lazy-slice.json")).unwrap();
    let graph = parse_and_validate(&text, &ctx()).unwrap();
    let c = graph.node(graph.lookup("c").unwrap());
    let Meta::Array(meta) = &c.meta else {
        panic!("c is an array: {:?}", c.meta)
    };
    assert_eq!(meta.shape, [99, 99]);
    assert_eq!(meta.dtype, DType::Float64);
    assert_eq!(meta.chunks.shape(), [99, 99]);
    assert_eq!(graph.outputs, [graph.lookup("c").unwrap()]);
    // Topological order: inputs before users.
    let pos = |id: &str| graph.lookup(id).unwrap().index();
    assert!(pos("a") < pos("b") && pos("b") < pos("c"));
}

#[test]
fn dask_examples_keep_their_keys() {
    let text = std::fs::read_to_string(examples_dir().join("dask-tuple-keys.json")).unwrap();
    let graph = parse_and_validate(&text, &ctx()).unwrap();
    let ids: Vec<&str> = graph
        .outputs
        .iter()
        .map(|&o| graph.node(o).id.as_str())
        .collect();
    assert_eq!(ids, [r#"["total",0]"#, "alias", r#"["inc-x",2]"#]);
}
