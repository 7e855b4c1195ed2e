//! The memory budget through the command line (issue #12, items 4–7): outputs,
//! task graphs, blocks and every size a task allocates are checked against it, so
//! an oversized request is an error with its figures (exit 2 when known before
//! computing, 1 from a task), never an abort. The sizes here are refused before
//! anything big is allocated.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::json;

fn run(dir: &Path, nodes: serde_json::Value, outputs: &[&str], extra: &[&str]) -> Output {
    let doc = json!({"tessera": 1, "nodes": nodes, "outputs": outputs});
    let file = dir.join("g.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    let out = dir.join("out");
    Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args([
            "run",
            file.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .args(extra)
        .output()
        .expect("tessera runs")
}

/// The exit code (`None` when killed by a signal) and standard error.
fn status(o: &Output) -> (Option<i32>, String) {
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn no_outputs(dir: &Path) -> bool {
    std::fs::read_dir(dir.join("out")).map_or(true, |mut d| d.next().is_none())
}

#[test]
fn an_output_larger_than_memory_exits_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    // 8 TB in blocks of 8 MB: each block fits, the output cannot.
    let o = run(
        dir.path(),
        json!({"big": {"op": "ones", "shape": [1000000, 1000000], "chunks": 1000}}),
        &["big"],
        &[],
    );
    let (code, err) = status(&o);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("output \"big\""), "{err}");
    assert!(err.contains("(8000000000000 bytes)"), "{err}");
    assert!(err.contains("memory budget"), "{err}");
    // Under an explicit limit: 8 MB of 80 KB blocks against 1 MiB.
    let o = run(
        dir.path(),
        json!({"x": {"op": "ones", "shape": [1000, 1000], "chunks": 100}}),
        &["x"],
        &["--memory-limit", "1M"],
    );
    let (code, err) = status(&o);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("needs 7.6 MiB (8000000 bytes)"), "{err}");
    assert!(err.contains("1.0 MiB (1048576 bytes)"), "{err}");
    assert!(no_outputs(dir.path()));
}

#[test]
fn outputs_held_at_once_over_the_budget_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    // Two outputs of 400 KB each fit alone, not together (and assembling the
    // chunked one holds it twice) under 1 MiB.
    let nodes = json!({
        "a": {"op": "zeros", "shape": [50000], "chunks": 10000},
        "b": {"op": "ones", "shape": [50000], "chunks": 50000}
    });
    let o = run(
        dir.path(),
        nodes.clone(),
        &["a", "b"],
        &["--memory-limit", "1M"],
    );
    let (code, err) = status(&o);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("held at once"), "{err}");
    assert!(
        err.contains("\"a\" 390.6 KiB") && err.contains("\"b\" 390.6 KiB"),
        "{err}"
    );
    assert!(no_outputs(dir.path()));
    // The same outputs under a larger limit are written.
    let o = run(dir.path(), nodes, &["a", "b"], &["--memory-limit", "64M"]);
    assert_eq!(status(&o).0, Some(0), "{}", status(&o).1);
}

#[test]
fn too_many_blocks_are_refused_with_the_count_and_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    // 10^7 one-element blocks: the task graph alone would take gigabytes.
    let o = run(
        dir.path(),
        json!({
            "x": {"op": "ones", "shape": [10000000], "chunks": 1},
            "s": {"op": "sum", "args": ["x"]}
        }),
        &["s"],
        &["--memory-limit", "16M"],
    );
    let (code, err) = status(&o);
    assert_eq!(code, Some(2), "{err}");
    let max = (16usize << 20) / tessera::compiler::BYTES_PER_TASK;
    assert!(err.contains(&format!("more than {max} tasks")), "{err}");
    assert!(err.contains("node \"x\" has 10000000 blocks"), "{err}");
    assert!(err.contains("16.0 MiB"), "{err}");
}

#[test]
fn a_block_over_the_per_worker_share_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    // One 800 KB block fits 1 MiB, not a half of it with two workers.
    let nodes = json!({
        "x": {"op": "ones", "shape": [100000], "chunks": 100000},
        "s": {"op": "sum", "args": ["x"]}
    });
    let o = run(
        dir.path(),
        nodes.clone(),
        &["s"],
        &["--memory-limit", "1M", "--threads", "2"],
    );
    let (code, err) = status(&o);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("block [0] of shape [100000]"), "{err}");
    let o = run(
        dir.path(),
        nodes,
        &["s"],
        &["--memory-limit", "1M", "--threads", "1"],
    );
    assert_eq!(status(&o).0, Some(0), "{}", status(&o).1);
}

#[test]
fn memory_limit_flag_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let nodes = json!({"x": {"op": "ones", "shape": [4], "chunks": 2}});
    let o = run(
        dir.path(),
        nodes.clone(),
        &["x"],
        &["--memory-limit", "lots"],
    );
    let (code, err) = status(&o);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("invalid memory limit"), "{err}");
    let o = run(dir.path(), nodes, &["x"], &["--memory-limit", "none"]);
    assert_eq!(status(&o).0, Some(0), "{}", status(&o).1);
}

#[test]
fn calls_with_huge_sizes_fail_cleanly_before_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        json!({"v": {"op": "call", "fn": "ones", "kwargs": {"shape": [1000000, 1000000]}}}),
        json!({"v": {"op": "call", "fn": "zeros", "kwargs": {"shape": [4294967296u64, 4294967296u64, 4]}}}),
        json!({"v": {"op": "call", "fn": "arange", "kwargs": {"stop": 1000000000000000u64}}}),
        json!({"v": {"op": "call", "fn": "arange", "kwargs": {"stop": 1e15}}}),
        json!({"v": {"op": "call", "fn": "eye", "kwargs": {"N": 10000000}}}),
        json!({"v": {"op": "call", "fn": "random.uniform", "kwargs": {"seed": 1, "shape": [100000000000u64]}}}),
        json!({
            "a": {"op": "call", "fn": "ones", "kwargs": {"shape": [3]}},
            "v": {"op": "call", "fn": "overlap.pad", "args": ["a"], "kwargs": {"pad": [[1000000000000u64, 1]]}}
        }),
        json!({"v": {"op": "call", "fn": "mul", "args": [[1, 2], 100000000]}}),
        json!({
            "s": {"op": "literal", "value": "ab"},
            "v": {"op": "call", "fn": "mul", "args": ["s", 1000000000000u64]}
        }),
    ];
    for nodes in cases {
        let o = run(
            dir.path(),
            nodes.clone(),
            &["v"],
            &["--memory-limit", "100M"],
        );
        let (code, err) = status(&o);
        assert_eq!(code, Some(1), "{nodes}: {err}");
        assert!(
            err.contains("needs") && err.contains("one task may use")
                || err.contains("more elements than 64-bit indexes hold"),
            "{nodes}: {err}"
        );
        assert!(no_outputs(dir.path()), "{nodes}");
    }
}
