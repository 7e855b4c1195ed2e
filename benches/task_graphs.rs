//! Runtime overhead on raw task graphs (workloads W4 and W5 of
//! `shared/design/workloads.md`, plus a 1,000,000-task merge).
//!
//! Each graph is built once, outside the timing; one iteration plans it (cull,
//! resolve, compile, priorities) and executes it. The counter is tasks, so
//! divan's throughput column is tasks per second and its inverse the overhead
//! per task. Target: at most 1 µs per task with 2 workers (Dask's threaded
//! scheduler: about 95 µs (W4) and 113 µs (W5) per task on this machine).
//!
//! `cargo bench --bench task_graphs`

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
            let lit = TaskExpr::Literal(Literal::Json((i as i64).into()));
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
            let lit = TaskExpr::Literal(Literal::Json((i as i64).into()));
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
