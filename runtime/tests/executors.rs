//! Executor tests: every case runs on every executor (sync; threads with 1, 2
//! and 8 workers) under every policy, from one macro (ripgrep's `rgtest!`
//! idea).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use ndarray::{ArrayD, IxDyn};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use tessera_ir::{Call, Literal, TaskExpr, TaskGraph, TaskId, TaskKey};
use tessera_runtime::policy::Policy;
use tessera_runtime::{
    Executor, Plan, Registry, RunError, RunOptions, SyncExecutor, ThreadsExecutor, Trace, Value,
};

/// Defines module `$name` with one test per executor × policy, each calling
/// `$case(&executor, &policy)`.
macro_rules! every_executor {
    ($name:ident, $case:path) => {
        mod $name {
            every_executor!(@exec $case,
                sync => tessera_runtime::SyncExecutor,
                threads1 => tessera_runtime::ThreadsExecutor::new(1),
                threads2 => tessera_runtime::ThreadsExecutor::new(2),
                threads8 => tessera_runtime::ThreadsExecutor::new(8));
        }
    };
    (@exec $case:path, $($ex:ident => $exv:expr),*) => {
        $(mod $ex {
            every_executor!(@policy $case, $exv,
                dask_order => tessera_runtime::policy::DaskOrder,
                fifo => tessera_runtime::policy::Fifo,
                lifo => tessera_runtime::policy::Lifo,
                critical_path => tessera_runtime::policy::CriticalPath);
        })*
    };
    (@policy $case:path, $exv:expr, $($p:ident => $pv:expr),*) => {
        $(#[test]
        fn $p() {
            $case(&$exv, &$pv);
        })*
    };
}

every_executor!(random_dags, crate::cases::random_dags);
every_executor!(error_in_one_task, crate::cases::error_in_one_task);
every_executor!(panic_in_one_task, crate::cases::panic_in_one_task);
every_executor!(chain_of_big_values, crate::cases::chain_of_big_values);
every_executor!(trace_and_stats, crate::cases::trace_and_stats);

fn call(func: &str, args: Vec<TaskExpr>) -> TaskExpr {
    TaskExpr::Call(Call {
        func: func.into(),
        args,
        kwargs: Default::default(),
    })
}

fn int(i: i64) -> TaskExpr {
    TaskExpr::Literal(Literal::json(i))
}

fn options(policy: &dyn Policy) -> RunOptions<'_> {
    RunOptions {
        policy,
        ..RunOptions::default()
    }
}

/// Runs `f` on its own thread and fails if it takes longer than `limit` (a
/// hang fails the test instead of hanging the suite).
fn with_timeout<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(v) => v,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("timed out after {limit:?}: a hang"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the test thread panicked"),
    }
}

/// A random DAG: task `i` (in topological order) is a literal when it has no
/// dependency, otherwise one of a few formulas of its dependencies.
#[derive(Debug, Clone)]
struct Dag {
    tasks: Vec<(u8, Vec<usize>, i64)>,
    /// Graph id of topological task `i` (a permutation, so references go both
    /// ways in id order).
    ids: Vec<usize>,
    outputs: Vec<usize>,
}

fn dag() -> impl Strategy<Value = Dag> {
    (1usize..40)
        .prop_flat_map(|n| {
            let tasks = (0..n)
                .map(|i| {
                    (
                        0u8..4,
                        proptest::collection::vec(0..i.max(1), 0..4.min(i + 1)),
                        0i64..100,
                    )
                        .prop_map(move |(kind, deps, c)| {
                            let deps = if i == 0 { Vec::new() } else { deps };
                            (kind, deps, c)
                        })
                })
                .collect::<Vec<_>>();
            let ids = Just((0..n).collect::<Vec<_>>()).prop_shuffle();
            let outputs = proptest::collection::vec(0..n, 1..4);
            (tasks, ids, outputs)
        })
        .prop_map(|(tasks, ids, outputs)| Dag {
            tasks,
            ids,
            outputs,
        })
}

impl Dag {
    /// The graph, and its outputs' ids.
    fn graph(&self) -> (TaskGraph, Vec<TaskId>) {
        let n = self.tasks.len();
        let mut g = TaskGraph::new();
        let mut by_pos = vec![TaskId(0); n];
        // Reserve in id order, so graph id k is topological task inverse[k].
        let mut inverse = vec![0; n];
        for (i, &id) in self.ids.iter().enumerate() {
            inverse[id] = i;
        }
        for &i in &inverse {
            by_pos[i] = g.reserve(TaskKey::new(format!("t{i}"))).unwrap();
        }
        for (i, (kind, deps, c)) in self.tasks.iter().enumerate() {
            let refs: Vec<TaskExpr> = deps.iter().map(|&d| TaskExpr::Ref(by_pos[d])).collect();
            let expr = if refs.is_empty() {
                int(*c)
            } else {
                match kind {
                    0 => call(
                        "mod",
                        vec![
                            call(
                                "add",
                                vec![call("sum", vec![TaskExpr::List(refs)]), int(*c)],
                            ),
                            int(1009),
                        ],
                    ),
                    1 => call(
                        "mod",
                        vec![call("mul", vec![refs[0].clone(), int(*c)]), int(1009)],
                    ),
                    2 => call("inc", vec![refs[refs.len() - 1].clone()]),
                    _ => call("max", vec![TaskExpr::List(refs)]),
                }
            };
            g.set_expr(by_pos[i], expr);
        }
        let outputs = self.outputs.iter().map(|&o| by_pos[o]).collect();
        (g, outputs)
    }

    /// The plain sequential evaluation (tasks are in topological order).
    fn expected(&self) -> Vec<Value> {
        let mut v: Vec<i64> = Vec::with_capacity(self.tasks.len());
        for (kind, deps, c) in &self.tasks {
            let x = if deps.is_empty() {
                *c
            } else {
                let vals: Vec<i64> = deps.iter().map(|&d| v[d]).collect();
                match kind {
                    0 => (vals.iter().sum::<i64>() + c).rem_euclid(1009),
                    1 => (vals[0] * c).rem_euclid(1009),
                    2 => vals[vals.len() - 1] + 1,
                    _ => *vals.iter().max().unwrap(),
                }
            };
            v.push(x);
        }
        self.outputs.iter().map(|&o| Value::Int(v[o])).collect()
    }
}

/// A graph of `n` independent `inc` tasks, one of which (`bad`) is replaced
/// by `bad_expr`, and a final `sum` over all of them.
fn wide(n: usize, bad: usize, bad_expr: TaskExpr) -> (TaskGraph, TaskId) {
    let mut g = TaskGraph::with_capacity(n + 1);
    let mut refs = Vec::with_capacity(n);
    let mut bad_expr = Some(bad_expr);
    for i in 0..n {
        let expr = if i == bad {
            bad_expr.take().unwrap()
        } else {
            call("inc", vec![int(i as i64)])
        };
        refs.push(TaskExpr::Ref(
            g.add(TaskKey::block("inc", &[i]), expr).unwrap(),
        ));
    }
    let total = g
        .add(
            TaskKey::new("total"),
            call("sum", vec![TaskExpr::List(refs)]),
        )
        .unwrap();
    (g, total)
}

mod cases {
    use super::*;

    pub(crate) fn random_dags(executor: &dyn Executor, policy: &dyn Policy) {
        let registry = Registry::with_builtins();
        let mut runner = TestRunner::new(Config {
            cases: 48,
            failure_persistence: None,
            ..Config::default()
        });
        runner
            .run(&dag(), |dag| {
                let (graph, outputs) = dag.graph();
                let plan = Plan::new(&graph, &outputs, &registry).unwrap();
                let out = executor.execute(&plan, &options(policy)).unwrap();
                prop_assert_eq!(out.outputs, dag.expected());
                prop_assert_eq!(out.stats.tasks, plan.len());
                Ok(())
            })
            .unwrap();
    }

    fn failing_run(executor: &dyn Executor, policy: &dyn Policy, panics: bool) {
        let executor_name = executor.name().to_owned();
        let workers = executor.workers();
        let policy_name = policy.name().to_owned();
        let (err, ran) = with_timeout(Duration::from_secs(60), move || {
            let ran = Arc::new(AtomicUsize::new(0));
            let mut registry = Registry::with_builtins();
            let counter = ran.clone();
            registry.register("counted_inc", "", "", move |args, _| {
                counter.fetch_add(1, Ordering::Relaxed);
                match args {
                    [Value::Int(i)] => Ok(Value::Int(i + 1)),
                    _ => Ok(Value::None),
                }
            });
            registry.register_fn1("boom", |_: i64| -> i64 { panic!("boom in a task") });
            let bad = if panics {
                call("boom", vec![int(1)])
            } else {
                call("inc", vec![call("div", vec![int(1), int(0)])])
            };
            let (mut g, total) = wide(10_000, 4_321, bad);
            // Count how many of the other tasks run.
            for i in (0..10_000).filter(|&i| i != 4_321) {
                g.set_expr(TaskId(i), call("counted_inc", vec![int(i as i64)]));
            }
            let executor = tessera_runtime::executor::by_name(&executor_name, workers).unwrap();
            let policy = tessera_runtime::policy::by_name(&policy_name).unwrap();
            let err = tessera_runtime::run(
                &g,
                &[total],
                &registry,
                executor.as_ref(),
                &options(policy.as_ref()),
            )
            .unwrap_err();
            (err, ran.load(Ordering::Relaxed))
        });
        let RunError::Task {
            key, func, source, ..
        } = &err
        else {
            panic!("expected a task failure, got {err}");
        };
        assert_eq!(key.as_str(), r#"["inc",4321]"#);
        if panics {
            assert_eq!(&**func, "boom");
            assert_eq!(source.to_string(), "panicked: boom in a task");
        } else {
            assert_eq!(&**func, "div");
            assert_eq!(
                err.to_string(),
                r#"task ["inc",4321] failed in div: division by zero"#
            );
        }
        assert!(ran < 10_000, "the sum never ran, nor did every inc");
    }

    pub(crate) fn error_in_one_task(executor: &dyn Executor, policy: &dyn Policy) {
        failing_run(executor, policy, false);
    }

    pub(crate) fn panic_in_one_task(executor: &dyn Executor, policy: &dyn Policy) {
        failing_run(executor, policy, true);
    }

    pub(crate) fn chain_of_big_values(executor: &dyn Executor, policy: &dyn Policy) {
        const N: usize = 1_000_000; // 8 MB of f64
        let mut registry = Registry::with_builtins();
        registry.register_fn1("big", |_: Value| ArrayD::<f64>::zeros(IxDyn(&[N])));
        let mut g = TaskGraph::new();
        let mut prev = g
            .add(TaskKey::new("c0"), call("big", vec![int(0)]))
            .unwrap();
        for i in 1..1_000 {
            prev = g
                .add(
                    TaskKey::new(format!("c{i}")),
                    call("big", vec![TaskExpr::Ref(prev)]),
                )
                .unwrap();
        }
        let out = tessera_runtime::run(&g, &[prev], &registry, executor, &options(policy)).unwrap();
        assert_eq!(out.stats.tasks, 1_000);
        assert!(
            out.stats.peak_bytes < 50_000_000,
            "peak {} bytes",
            out.stats.peak_bytes
        );
        assert!(out.stats.peak_bytes >= 8 * N);
        let Value::Array(a) = &out.outputs[0] else {
            panic!("not an array")
        };
        assert_eq!(a.len(), N);
    }

    pub(crate) fn trace_and_stats(executor: &dyn Executor, policy: &dyn Policy) {
        let registry = Registry::with_builtins();
        let (g, total) = wide(500, usize::MAX, int(0));
        let trace = Trace::new();
        let calls = AtomicUsize::new(0);
        let last = std::sync::Mutex::new((0, 0));
        let progress = |done: usize, all: usize| {
            calls.fetch_add(1, Ordering::Relaxed);
            *last.lock().unwrap() = (done, all);
        };
        let opts = RunOptions {
            policy,
            trace: Some(&trace),
            progress: Some(&progress),
            budget: None,
        };
        let out = tessera_runtime::run(&g, &[total], &registry, executor, &opts).unwrap();
        assert_eq!(out.outputs, vec![Value::Int((1..=500).sum())]);
        assert_eq!(out.stats.tasks, 501);
        assert_eq!(out.stats.busy_s_per_worker.len(), executor.workers());
        assert!(out.stats.wall_s > 0.0);
        assert!(out.stats.peak_bytes >= 8 * 500);
        assert_eq!(*last.lock().unwrap(), (501, 501));
        assert!(calls.load(Ordering::Relaxed) <= 2 + (out.stats.wall_s * 20.0) as usize);

        let mut text = Vec::new();
        trace.write_json(&mut text).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&text).unwrap();
        let events = json["traceEvents"].as_array().unwrap();
        let x: Vec<_> = events.iter().filter(|e| e["ph"] == "X").collect();
        assert_eq!(x.len(), out.stats.tasks);
        assert_eq!(trace.task_events(), out.stats.tasks);
        let keys: std::collections::HashSet<&str> = x
            .iter()
            .map(|e| e["args"]["key"].as_str().unwrap())
            .collect();
        assert_eq!(keys.len(), 501);
        assert!(x.iter().any(|e| e["args"]["function"] == "sum"));
        for e in &x {
            let tid = e["tid"].as_u64().unwrap() as usize;
            assert!(tid < executor.workers());
            assert!(e["dur"].as_f64().unwrap() >= 0.0);
        }
        let threads = events
            .iter()
            .filter(|e| e["ph"] == "M" && e["name"] == "thread_name")
            .count();
        assert!(threads >= 1 && threads <= executor.workers());
        assert!(
            events
                .iter()
                .any(|e| e["ph"] == "C" && e["name"] == "bytes held")
        );
        assert!(
            events
                .iter()
                .any(|e| e["ph"] == "C" && e["name"] == "ready tasks")
        );
    }
}

#[test]
fn outputs_keep_request_order_and_repeats() {
    let registry = Registry::with_builtins();
    let mut g = TaskGraph::new();
    let a = g.add(TaskKey::new("a"), int(1)).unwrap();
    let b = g
        .add(TaskKey::new("b"), call("inc", vec![TaskExpr::Ref(a)]))
        .unwrap();
    for executor in [&SyncExecutor as &dyn Executor, &ThreadsExecutor::new(2)] {
        let out = tessera_runtime::run(&g, &[b, a, b], &registry, executor, &RunOptions::default())
            .unwrap();
        assert_eq!(
            out.outputs,
            vec![Value::Int(2), Value::Int(1), Value::Int(2)]
        );
        let out =
            tessera_runtime::run(&g, &[], &registry, executor, &RunOptions::default()).unwrap();
        assert!(out.outputs.is_empty());
        assert_eq!(out.stats.tasks, 0);
    }
}

#[test]
fn a_wrong_length_policy_is_an_error() {
    struct Broken;
    impl Policy for Broken {
        fn name(&self) -> &str {
            "broken"
        }
        fn priorities(&self, _: &Plan<'_>) -> Vec<u32> {
            vec![0]
        }
    }
    let registry = Registry::with_builtins();
    let (g, total) = wide(3, usize::MAX, int(0));
    let err = tessera_runtime::run(&g, &[total], &registry, &SyncExecutor, &options(&Broken))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "policy broken returned 1 priorities for 4 tasks"
    );
}
