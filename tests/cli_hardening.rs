//! The `tessera` command under hostile or careless use: files outside the data
//! root, planted links and FIFOs, colliding output names, destinations that
//! cannot be written, interrupted runs, closed pipes.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

fn tessera_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("tessera runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn write_doc(path: &Path, doc: serde_json::Value) -> String {
    std::fs::write(path, doc.to_string()).expect("write graph");
    path.to_string_lossy().into_owned()
}

fn write_npy(path: &Path, values: &[f64]) {
    let a = ndarray::Array1::from(values.to_vec());
    ndarray_npy::write_npy(path, &a).expect("write npy");
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Waits for `child` at most `limit`; kills it and fails when it takes longer.
fn wait_within(mut child: Child, limit: Duration) -> Output {
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("tessera still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

/// A document in `dir/docs`, a secret beside `dir`'s data root and a good file in
/// it: `(docs folder, data root)`.
fn confinement_setup(dir: &Path) -> (PathBuf, PathBuf) {
    let docs = dir.join("docs");
    let root = dir.join("root");
    std::fs::create_dir_all(&docs).unwrap();
    std::fs::create_dir_all(&root).unwrap();
    write_npy(&dir.join("secret.npy"), &[42.0]);
    write_npy(&docs.join("secret.npy"), &[42.0]);
    write_npy(&root.join("x.npy"), &[1.0, 2.0]);
    (docs, root)
}

fn call_npy(path: &str) -> serde_json::Value {
    json!({"op": "call", "fn": "from_npy", "kwargs": {"path": path}})
}

#[test]
fn file_confinement_covers_call_and_from_delayed() {
    let dir = tempfile::tempdir().unwrap();
    let (docs, root) = confinement_setup(dir.path());
    let secret = dir.path().join("secret.npy").to_string_lossy().into_owned();
    let root_arg = root.to_string_lossy().into_owned();
    let out = dir.path().join("out");
    let out_arg = out.to_string_lossy().into_owned();
    let cases = [
        // A `call` (the direct path): absolute, leaving the root, and a file of
        // the document's folder that --data-root excludes.
        json!({"tessera": 1, "nodes": {"s": call_npy(&secret)}, "outputs": ["s"]}),
        json!({"tessera": 1, "nodes": {"s": call_npy("../secret.npy")}, "outputs": ["s"]}),
        json!({"tessera": 1, "nodes": {"s": call_npy("secret.npy")}, "outputs": ["s"]}),
        // Wrapped in from_delayed (the validated path).
        json!({"tessera": 1, "nodes": {
            "s": {"op": "from_delayed", "args": [call_npy(&secret)], "shape": [1], "dtype": "float64"},
            "t": {"op": "add", "args": ["s", 1]}
        }, "outputs": ["t"]}),
    ];
    for doc in cases {
        let file = write_doc(&docs.join("g.json"), doc.clone());
        for command in ["validate", "run"] {
            let mut args = vec![command, file.as_str(), "--data-root", root_arg.as_str()];
            if command == "run" {
                args.extend(["--out", out_arg.as_str()]);
            }
            let o = tessera_in(dir.path(), &args);
            assert_eq!(o.status.code(), Some(2), "{command} {doc}: {}", stderr(&o));
            let msg = stderr(&o);
            assert!(msg.contains("node \"s\""), "{msg}");
            assert!(
                ["absolute paths", "leaves the folder", "cannot open"]
                    .iter()
                    .any(|w| msg.contains(w)),
                "{msg}"
            );
        }
        assert!(names(&out).iter().all(|n| !n.ends_with(".npy")), "{doc}");
    }
    // A relative path resolves against --data-root, not the working directory.
    let file = write_doc(
        &docs.join("g.json"),
        json!({"tessera": 1, "nodes": {"s": call_npy("x.npy")}, "outputs": ["s"]}),
    );
    let o = tessera_in(
        dir.path(),
        &["run", &file, "--data-root", &root_arg, "--out", &out_arg],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let got: ndarray::ArrayD<f64> = ndarray_npy::read_npy(out.join("s.npy")).unwrap();
    assert_eq!(got.as_slice().unwrap(), &[1.0, 2.0]);
}

#[cfg(unix)]
#[test]
fn fifo_as_from_npy_path_is_refused_without_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("x.npy");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("mkfifo is not available; skipped");
        return;
    }
    for node in [
        json!({"op": "from_npy", "path": "x.npy"}),
        call_npy("x.npy"),
    ] {
        let file = write_doc(
            &dir.path().join("g.json"),
            json!({"tessera": 1, "nodes": {"a": node}, "outputs": ["a"]}),
        );
        let child = Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args(["validate", &file])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let o = wait_within(child, Duration::from_secs(20));
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
    }
}

#[test]
fn out_that_is_a_file_or_dash_is_refused_before_computing() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_doc(
        &dir.path().join("g.json"),
        json!({"tessera": 1, "nodes": {"n": {"op": "call", "fn": "inc", "args": [1]}}, "outputs": ["n"]}),
    );
    std::fs::write(dir.path().join("afile"), "x").unwrap();
    for out in ["afile", "-"] {
        let o = tessera_in(dir.path(), &["run", &file, "--out", out]);
        assert_eq!(o.status.code(), Some(2), "{out}: {}", stderr(&o));
        assert!(stderr(&o).contains("--out"), "{}", stderr(&o));
    }
    assert!(!dir.path().join("-").exists());
}

#[test]
fn colliding_output_names_are_refused_before_computing_and_keep_older_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("a_b.json"), "1\n").unwrap();
    let inc = json!({"op": "call", "fn": "inc", "args": [1]});
    for (nodes, outputs, want) in [
        (
            json!({"a/b": inc, "a_b": inc}),
            json!(["a/b", "a_b"]),
            "\"a/b\" and \"a_b\"",
        ),
        (json!({"a_b": inc}), json!(["a_b", "a_b"]), "listed twice"),
    ] {
        let file = write_doc(
            &dir.path().join("g.json"),
            json!({"tessera": 1, "nodes": nodes, "outputs": outputs}),
        );
        let o = tessera_in(dir.path(), &["run", &file, "--out", "out"]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains(want), "{}", stderr(&o));
        assert_eq!(names(&out), vec!["a_b.json"]);
        assert_eq!(
            std::fs::read_to_string(out.join("a_b.json")).unwrap(),
            "1\n"
        );
    }
}

#[test]
fn destinations_are_checked_before_computing() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_doc(
        &dir.path().join("g.json"),
        json!({"tessera": 1, "nodes": {"n": {"op": "call", "fn": "inc", "args": [1]}}, "outputs": ["n"]}),
    );
    std::fs::create_dir(dir.path().join("out")).unwrap();
    std::fs::write(dir.path().join("out/n.json"), "old\n").unwrap();
    for (flag, path, want) in [
        ("--stats", "out/n.json", "a file the run writes"),
        (
            "--trace",
            "out/tessera-manifest.json",
            "a file the run writes",
        ),
        ("--stats", "no/such/folder/stats.json", "its folder"),
        ("--trace", "out", "is a folder"),
    ] {
        let o = tessera_in(dir.path(), &["run", &file, "--out", "out", flag, path]);
        assert_eq!(o.status.code(), Some(2), "{flag} {path}: {}", stderr(&o));
        assert!(stderr(&o).contains(want), "{}", stderr(&o));
        // Nothing was computed or written: the older output is untouched.
        assert_eq!(
            std::fs::read_to_string(dir.path().join("out/n.json")).unwrap(),
            "old\n"
        );
        assert_eq!(names(&dir.path().join("out")), vec!["n.json"]);
    }
}

#[test]
fn a_stats_failure_claims_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_doc(
        &dir.path().join("g.json"),
        json!({"tessera": 1, "nodes": {"n": {"op": "call", "fn": "inc", "args": [1]}}, "outputs": ["n"]}),
    );
    let out = dir.path().join("out");
    // --stats - to a pipe nobody reads: writing the stats fails after computing.
    let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args([
            "run",
            &file,
            "--out",
            &out.to_string_lossy(),
            "--stats",
            "-",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = wait_within(child, Duration::from_secs(30));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("cannot write"), "{}", stderr(&o));
    assert!(names(&out).is_empty(), "{:?}", names(&out));
}

#[test]
fn manifest_lists_every_output_and_long_ids_are_shortened() {
    let dir = tempfile::tempdir().unwrap();
    let long = "x".repeat(300);
    let file = write_doc(
        &dir.path().join("g.json"),
        json!({"tessera": 1, "nodes": {
            "a": {"op": "ones", "shape": [2, 3], "dtype": "int32"},
            long.clone(): {"op": "call", "fn": "inc", "args": [1]},
        }, "outputs": ["a", long]}),
    );
    let o = tessera_in(dir.path(), &["run", &file, "--out", "out"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/tessera-manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        manifest["outputs"]["a"],
        json!({"file": "a.npy", "dtype": "int32", "shape": [2, 3]})
    );
    let short = manifest["outputs"][&long]["file"].as_str().unwrap();
    assert!(short.len() < 255 && short.ends_with(".json"), "{short}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out").join(short)).unwrap(),
        "2\n"
    );
}

#[test]
fn json_outputs_write_nan_and_infinity_as_python_does() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_doc(
        &dir.path().join("g.json"),
        json!({"tessera": 1, "nodes": {
            "nan": {"op": "sum", "args": [{"op": "divide", "args": [{"op": "zeros", "shape": [1]}, 0.0]}]},
            "inf": {"op": "sum", "args": [{"op": "divide", "args": [{"op": "ones", "shape": [1]}, 0.0]}]},
            "ninf": {"op": "negative", "args": ["inf"]},
            "r": {"op": "call", "fn": "list", "args": [["nan", "inf", "ninf", 0.5]]}
        }, "outputs": ["r"]}),
    );
    let o = tessera_in(dir.path(), &["run", &file, "--out", "out"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out/r.json")).unwrap(),
        "[NaN,Infinity,-Infinity,0.5]\n"
    );
}

#[cfg(unix)]
#[test]
fn interrupted_runs_leave_no_temporary_files_and_stale_ones_are_swept() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    // A temporary file of a run that died (no process has this id).
    std::fs::write(out.join(".tessera-4294967295-abcdef.tmp"), "x").unwrap();
    let file = write_doc(
        &dir.path().join("g.json"),
        json!({"tessera": 1, "nodes": {
            "s": {"op": "sum", "args": [{"op": "exp", "args": [{"op": "ones", "shape": [100000, 100000], "chunks": 2000}]}]}
        }, "outputs": ["s"]}),
    );
    let child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["run", &file, "--out", &out.to_string_lossy()])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let o = wait_within(child, Duration::from_secs(60));
    // Interrupted mid-run (the run takes far longer than the wait): the
    // handler removes the temporary files and exits 130.
    assert_eq!(o.status.code(), Some(130), "{o:?}");
    let left: Vec<String> = names(&out)
        .into_iter()
        .filter(|n| n.starts_with(".tessera-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn printing_commands_exit_quietly_on_a_closed_pipe() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("ir-spec/examples/stencil.json");
    let example = example.to_string_lossy();
    for args in [
        vec!["viz", &*example],
        vec!["optimize", &*example],
        vec!["explain", &*example],
        vec!["ops"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let o = wait_within(child, Duration::from_secs(60));
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    }
}

#[test]
fn ops_prints_every_registered_function_name() {
    let o = tessera_in(Path::new("."), &["ops"]);
    assert!(o.status.success());
    let text = stdout(&o);
    let registered = text
        .split("== Registered functions")
        .nth(1)
        .expect("the functions' section");
    for line in registered.lines().skip(1).filter(|l| !l.is_empty()) {
        let first = line.trim_start().chars().next().unwrap();
        assert!(first.is_ascii_alphabetic(), "no name: {line}");
    }
    assert!(registered.contains("  exp("), "{registered}");
    assert!(registered.contains("  arccos("), "{registered}");
}

#[test]
fn viz_draws_the_optimized_plan_and_explain_shows_task_passes() {
    let dir = tempfile::tempdir().unwrap();
    // exp(negative(ones)) fuses into one task per block when optimized.
    let file = write_doc(
        &dir.path().join("g.json"),
        json!({"tessera": 1, "nodes": {
            "c": {"op": "exp", "args": [{"op": "negative", "args": [{"op": "ones", "shape": [4]}]}]}
        }, "outputs": ["c"]}),
    );
    let tasks = |extra: &[&str]| {
        let mut args = vec!["viz", file.as_str()];
        args.extend(extra);
        let o = tessera_in(dir.path(), &args);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o).matches("shape=box").count()
    };
    let optimized = tasks(&[]);
    let unoptimized = tasks(&["--unoptimized"]);
    assert_eq!(tasks(&["--disable", "fuse"]), unoptimized);
    assert!(optimized < unoptimized, "{optimized} vs {unoptimized}");

    let dask = Path::new(env!("CARGO_MANIFEST_DIR")).join("ir-spec/examples/dask-merge.json");
    let o = tessera_in(dir.path(), &["explain", &dask.to_string_lossy()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    for pass in ["cull", "inline", "fuse_linear"] {
        assert!(text.contains(&format!("== task pass {pass}: ")), "{text}");
    }
    assert!(text.contains("15 -> 10 tasks"), "{text}");
    assert!(!text.contains("skipped"), "{text}");
}

#[test]
fn dash_means_stdout_for_stats_and_trace() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_doc(
        &dir.path().join("g.json"),
        json!({"tessera": 1, "nodes": {"n": {"op": "call", "fn": "inc", "args": [1]}}, "outputs": ["n"]}),
    );
    let o = tessera_in(dir.path(), &["run", &file, "--out", "out", "--stats", "-"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let stats: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(stats["tasks"], 1);
    let o = tessera_in(dir.path(), &["run", &file, "--out", "out", "--trace", "-"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("traceEvents"), "{}", stdout(&o));
    assert!(!dir.path().join("-").exists());
    let o = tessera_in(
        dir.path(),
        &["run", &file, "--out", "out", "--stats", "-", "--trace", "-"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn graph_api_calls_of_from_npy_are_confined_to_the_working_directory() {
    use tessera::graph::{Graph, Keys, Spec, get};
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret.npy");
    write_npy(&secret, &[42.0]);
    let mut kwargs = serde_json::Map::new();
    kwargs.insert("path".into(), json!(secret.to_string_lossy()));
    let g = Graph::new().with("s", Spec::Task("from_npy".into(), vec![], kwargs));
    let e = get(&g, &Keys::One("s".into())).unwrap_err().to_string();
    assert!(e.contains("absolute paths"), "{e}");
}
