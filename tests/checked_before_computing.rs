//! Documents that used to pass validation and fail only while computing (exit 1)
//! are now refused at validation (exit 2, naming the node and the limit), or
//! computed when NumPy computes them.

use tessera::ir::InferContext;
use tessera::run::{Loaded, RunOptions, load, run_source};
use tessera::source::Source;

/// The faults of a document that must be refused before computing.
fn refused(text: &str) -> String {
    match load(text, &InferContext::default()) {
        Err(faults) => faults.to_string(),
        Ok(_) => panic!("accepted: {text}"),
    }
}

#[test]
fn broadcast_to_of_a_scalar_is_computed_as_numpy_does() {
    let dir = tempfile::tempdir().unwrap();
    let graph = dir.path().join("g.json");
    std::fs::write(
        &graph,
        r#"{"tessera": 1, "nodes": {"x": {"op": "broadcast_to", "args": [3.5], "shape": [2, 3]},
            "y": {"op": "broadcast_to", "args": [7], "shape": [4]}}, "outputs": ["x", "y"]}"#,
    )
    .unwrap();
    let source = Source::load(graph.to_str().unwrap()).unwrap();
    let options = RunOptions {
        out_dir: dir.path().join("out"),
        stats_file: None,
        threads: Some(1),
        policy: "dask-order".into(),
        executor: "threads".into(),
        trace_file: None,
        data_root: None,
        progress: false,
        optimize: Default::default(),
        memory_limit: Default::default(),
    };
    run_source(&source, &options).unwrap();
    use ndarray_npy::ReadNpyExt;
    let x = ndarray::ArrayD::<f64>::read_npy(
        std::fs::File::open(dir.path().join("out/x.npy")).unwrap(),
    )
    .unwrap();
    assert_eq!(x.shape(), [2, 3]);
    assert!(x.iter().all(|&v| v == 3.5));
    let y = ndarray::ArrayD::<i64>::read_npy(
        std::fs::File::open(dir.path().join("out/y.npy")).unwrap(),
    )
    .unwrap();
    assert_eq!(y.as_slice().unwrap(), [7, 7, 7, 7]);
}

#[test]
fn map_blocks_of_an_unknown_function_is_refused_at_validation() {
    let e = refused(
        r#"{"tessera": 1, "nodes": {"a": {"op": "ones", "shape": [4], "chunks": 2},
            "x": {"op": "map_blocks", "args": ["a"], "fn": "no_such_fn"}}, "outputs": ["x"]}"#,
    );
    assert!(
        e.contains(r#"node "x" (/nodes/x/fn): unknown function "no_such_fn""#),
        "{e}"
    );
    let e = refused(
        r#"{"tessera": 1, "nodes": {"a": {"op": "ones", "shape": [4], "chunks": 2},
            "x": {"op": "map_overlap", "args": ["a"], "fn": "nope", "depth": 1, "boundary": "none"}}, "outputs": ["x"]}"#,
    );
    assert!(e.contains(r#"unknown function "nope""#), "{e}");
}

#[test]
fn empty_reshape_into_an_overflowing_shape_is_refused_at_validation() {
    let e = refused(
        r#"{"tessera": 1, "nodes": {"a": {"op": "zeros", "shape": [0]},
            "x": {"op": "reshape", "args": ["a"], "shape": [0, 4294967296, 4294967296, 4294967296]}}, "outputs": ["x"]}"#,
    );
    assert!(e.contains("has too many elements"), "{e}");
    let e = refused(
        r#"{"tessera": 1, "nodes": {"x": {"op": "zeros", "shape": [0, 4294967296, 4294967296, 4294967296]}}, "outputs": ["x"]}"#,
    );
    assert!(e.contains("has too many elements"), "{e}");
}

#[test]
fn map_overlap_depth_beyond_the_axis_is_refused_with_the_limit() {
    let e = refused(
        r#"{"tessera": 1, "nodes": {"a": {"op": "ones", "shape": [8], "chunks": 4},
            "x": {"op": "map_overlap", "args": ["a"], "fn": "identity", "depth": 9223372036854775807, "boundary": "reflect"}}, "outputs": ["x"]}"#,
    );
    assert!(
        e.contains(
            "depth 9223372036854775807 on axis 0 is larger than the axis (8 elements): at most 8"
        ),
        "{e}"
    );
}

#[test]
fn dask_literal_beyond_64_bits_is_refused_at_validation() {
    let e = refused(
        r#"{"tessera": 1, "dialect": "dask", "graph": {"x": 18446744073709551615, "y": ["add", "x", 1]}, "outputs": ["y"]}"#,
    );
    assert!(
        e.contains(r#"node "x" (/graph/x): integer 18446744073709551615 does not fit in 64 bits"#),
        "{e}"
    );
    let e = refused(
        r#"{"tessera": 1, "dialect": "dask", "graph": {"y": ["add", 1, [2, 18446744073709551615]]}, "outputs": ["y"]}"#,
    );
    assert!(e.contains("(/graph/y/2/1)"), "{e}");
    // In range: still the fast path.
    let ok = load(
        r#"{"tessera": 1, "dialect": "dask", "graph": {"x": 9223372036854775807, "y": ["add", "x", 1]}, "outputs": ["y"]}"#,
        &InferContext::default(),
    );
    assert!(matches!(ok, Ok(Loaded::Tasks(_))));
}
