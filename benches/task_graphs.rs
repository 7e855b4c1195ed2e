//! Runtime overhead on raw task graphs (workloads W4 and W5 of
//! `shared/design/workloads.md`, plus a 1,000,000-task merge).
//!
//! Each graph is built once, outside the timing; one iteration plans it (cull,
//! resolve, compile, priorities) and executes it. The counter is tasks, so
//! divan's throughput column is tasks per second and its inverse the overhead
//! per task. Target: at most 1 µs per task with 2 workers (Dask's threaded
//! scheduler: about 95 µs (W4) and 113 µs (W5) per task on this machine).
//!
//! The `dask_*` benches measure the same workloads written in the dask dialect,
//! end to end through [`tessera::run::run_source`] (what `tessera run` does:
//! parse, the direct path to a task graph, the task-graph passes, execution,
//! writing the output file). Target: at most 5 µs per task, and the
//! 1,000,000-task merge in under 10 s with a peak RSS under 2 GB (printed from
//! `VmHWM` of /proc/self/status after it ran).
//!
//! `cargo bench --bench task_graphs`

use std::fmt::Write as _;

use divan::Bencher;
use divan::counter::ItemsCount;
use tessera_ir::{Call, Literal, TaskExpr, TaskGraph, TaskId, TaskKey};
use tessera_runtime::{Executor, Registry, RunOptions, SyncExecutor, ThreadsExecutor};

fn main() {
    divan::main();
}

fn call(func: &std::sync::Arc<str>, args: Vec<TaskExpr>) -> TaskExpr {
    TaskExpr::Call(Call {
        func: func.clone(),
        args,
        kwargs: Default::default(),
    })
}

/// W4: `n` independent `inc` tasks and one `sum` over a list of all of them.
fn merge(n: usize) -> (TaskGraph, TaskId) {
    let inc: std::sync::Arc<str> = "inc".into();
    let sum: std::sync::Arc<str> = "sum".into();
    let mut g = TaskGraph::with_capacity(n + 1);
    let refs: Vec<TaskExpr> = (0..n)
        .map(|i| {
            let lit = TaskExpr::Literal(Literal::json(i as i64));
            TaskExpr::Ref(
                g.add(TaskKey::block("inc", &[i]), call(&inc, vec![lit]))
                    .unwrap(),
            )
        })
        .collect();
    let out = g
        .add(
            TaskKey::new("total"),
            call(&sum, vec![TaskExpr::List(refs)]),
        )
        .unwrap();
    (g, out)
}

/// W5: a binary tree of `add` of depth `depth` (2^depth - 1 tasks, leaves
/// included: the leaves are integer literals).
fn tree(depth: u32) -> (TaskGraph, TaskId) {
    let add: std::sync::Arc<str> = "add".into();
    let mut g = TaskGraph::with_capacity((1 << depth) - 1);
    let leaves = 1usize << (depth - 1);
    let mut level: Vec<TaskId> = (0..leaves)
        .map(|i| {
            let lit = TaskExpr::Literal(Literal::json(i as i64));
            g.add(TaskKey::block("leaf", &[i]), lit).unwrap()
        })
        .collect();
    debug_assert_eq!(g.len(), leaves);
    let mut height = 1;
    while level.len() > 1 {
        level = level
            .chunks(2)
            .enumerate()
            .map(|(i, pair)| {
                let args = pair.iter().map(|&t| TaskExpr::Ref(t)).collect();
                g.add(
                    TaskKey::block(&format!("add-{height}"), &[i]),
                    call(&add, args),
                )
                .unwrap()
            })
            .collect();
        height += 1;
    }
    debug_assert_eq!(g.len(), (1 << depth) - 1);
    (g, level[0])
}

fn executor(workers: usize) -> Box<dyn Executor> {
    if workers == 0 {
        Box::new(SyncExecutor)
    } else {
        Box::new(ThreadsExecutor::new(workers))
    }
}

fn bench_graph(bencher: Bencher, (graph, out): (TaskGraph, TaskId), workers: usize) {
    let registry = Registry::with_builtins();
    let executor = executor(workers);
    bencher
        .counter(ItemsCount::new(graph.len()))
        .bench_local(|| {
            tessera_runtime::run(
                &graph,
                &[out],
                &registry,
                executor.as_ref(),
                &RunOptions::default(),
            )
            .expect("the benchmark graph runs")
        });
}

/// W4 (100,000 `inc` + one `sum`); `workers` 0 is the `sync` executor.
#[divan::bench(args = [0, 1, 2], sample_count = 10, sample_size = 1)]
fn w4_merge_100k(bencher: Bencher, workers: usize) {
    bench_graph(bencher, merge(100_000), workers);
}

/// W5 (binary tree of `add`, depth 15, 32,767 tasks).
#[divan::bench(args = [0, 1, 2], sample_count = 10, sample_size = 1)]
fn w5_tree_depth_15(bencher: Bencher, workers: usize) {
    bench_graph(bencher, tree(15), workers);
}

/// A 1,000,000-task merge.
#[divan::bench(args = [2], sample_count = 3, sample_size = 1)]
fn merge_1m(bencher: Bencher, workers: usize) {
    bench_graph(bencher, merge(1_000_000), workers);
}

/// W4 in the dask dialect: `n` tuple keys `["x", i]` (each `["inc", i]`) and `total`, the
/// `sum` of the list of all of them.
fn dask_merge(n: usize) -> String {
    let mut text = String::with_capacity(n * 48);
    text.push_str(r#"{"tessera": 1, "dialect": "dask", "graph": {"#);
    for i in 0..n {
        let _ = write!(text, r#""[\"x\",{i}]": ["inc", {i}], "#);
    }
    text.push_str(r#""total": ["sum", ["#);
    for i in 0..n {
        let sep = if i + 1 < n { ", " } else { "" };
        let _ = write!(text, r#"["x", {i}]{sep}"#);
    }
    text.push_str(r#"]]}, "outputs": ["total"]}"#);
    text
}

/// W5 in the dask dialect: a binary tree of `add` of depth `depth` whose leaves
/// are integer keys (2^depth - 1 keys).
fn dask_tree(depth: u32) -> String {
    let leaves = 1usize << (depth - 1);
    let mut text = String::from(r#"{"tessera": 1, "dialect": "dask", "graph": {"#);
    for i in 0..leaves {
        let _ = write!(text, r#""[\"leaf\",{i}]": {i}, "#);
    }
    let mut width = leaves;
    let mut below = String::from("leaf");
    let mut height = 1;
    while width > 1 {
        let name = format!("add-{height}");
        for i in 0..width / 2 {
            let _ = write!(
                text,
                r#""[\"{name}\",{i}]": ["add", ["{below}", {}], ["{below}", {}]], "#,
                2 * i,
                2 * i + 1
            );
        }
        below = name;
        width /= 2;
        height += 1;
    }
    let _ = write!(text, r#""root": ["{below}", 0]}}, "outputs": ["root"]}}"#);
    text
}

fn bench_document(bencher: Bencher, text: String, keys: usize, workers: usize) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let source = tessera::source::Source::from_text("bench.json", text, dir.path().to_path_buf());
    let options = tessera::run::RunOptions {
        out_dir: dir.path().join("out"),
        stats_file: None,
        threads: Some(workers.max(1)),
        policy: "dask-order".into(),
        executor: if workers == 0 { "sync" } else { "threads" }.into(),
        trace_file: None,
        data_root: None,
        progress: false,
        optimize: tessera::optimize::OptimizeFlags::default(),
        memory_limit: Default::default(),
    };
    bencher.counter(ItemsCount::new(keys)).bench_local(|| {
        tessera::run::run_source(&source, &options).expect("the benchmark document runs")
    });
}

/// W4 (100,000 `inc` + one `sum`) in the dask dialect, end to end.
#[divan::bench(args = [0, 2], sample_count = 10, sample_size = 1)]
fn dask_w4_merge_100k(bencher: Bencher, workers: usize) {
    bench_document(bencher, dask_merge(100_000), 100_001, workers);
}

/// W5 (binary tree of `add`, depth 15, 32,767 keys) in the dask dialect, end to end.
#[divan::bench(args = [0, 2], sample_count = 10, sample_size = 1)]
fn dask_w5_tree_depth_15(bencher: Bencher, workers: usize) {
    let keys = (1 << 15) - 1 + 1;
    bench_document(bencher, dask_tree(15), keys, workers);
}

/// A 1,000,000-task merge in the dask dialect, end to end; prints the peak RSS.
#[divan::bench(args = [2], sample_count = 2, sample_size = 1)]
fn dask_merge_1m(bencher: Bencher, workers: usize) {
    bench_document(bencher, dask_merge(1_000_000), 1_000_001, workers);
    if let Ok(status) = std::fs::read_to_string("/proc/self/status")
        && let Some(line) = status.lines().find(|l| l.starts_with("VmHWM"))
    {
        eprintln!(
            "dask_merge_1m: peak RSS of the bench process {}",
            line.trim_start_matches("VmHWM:").trim()
        );
    }
}
