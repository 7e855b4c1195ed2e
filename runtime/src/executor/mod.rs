//! Executors behind one trait: [`SyncExecutor`] (one thread, deterministic
//! order) and [`ThreadsExecutor`] (work stealing on crossbeam-deque).
//!
//! Every executor runs a [`Plan`] under the same rules: a task starts when its
//! dependencies are done; among ready tasks the policy's priorities decide
//! (exactly on `sync`, as far as work stealing allows on `threads`); each
//! intermediate value is released right after its last consumer ran; the first
//! failing task cancels every task not yet started; a panic in a task is that
//! task's error.

mod state;
mod sync;
mod threads;

pub use sync::SyncExecutor;
pub use threads::ThreadsExecutor;

use tessera_ir::{TaskGraph, TaskId};

use crate::budget::Budget;
use crate::error::RunError;
use crate::plan::Plan;
use crate::policy::{DaskOrder, Policy};
use crate::registry::Registry;
use crate::trace::Trace;
use crate::value::Value;

/// What a run produced.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// The value of each requested output, in request order.
    pub outputs: Vec<Value>,
    /// What the run did.
    pub stats: RunStats,
}

/// Summary statistics of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunStats {
    /// Tasks executed.
    pub tasks: usize,
    /// Wall-clock time of the run, in seconds (priorities included).
    pub wall_s: f64,
    /// Time each worker spent not idle, in seconds.
    pub busy_s_per_worker: Vec<f64>,
    /// The most bytes of values held at once (`Value::nbytes`; outputs count
    /// from when they are computed).
    pub peak_bytes: usize,
}

static DEFAULT_POLICY: DaskOrder = DaskOrder;

/// How to run: the scheduling policy and the optional observers.
#[derive(Clone, Copy)]
pub struct RunOptions<'a> {
    /// Orders ready tasks (default: `dask-order`).
    pub policy: &'a dyn Policy,
    /// Records a Chrome trace of the run.
    pub trace: Option<&'a Trace>,
    /// Called with `(tasks done, tasks total)`, at most about 20 times a second
    /// and once at the end of a successful run, from any worker thread.
    pub progress: Option<&'a (dyn Fn(usize, usize) + Sync)>,
    /// The bytes a task may allocate and the threads its kernels may use,
    /// entered on every worker (`None`: [`Budget::default`]).
    pub budget: Option<&'a Budget>,
}

impl Default for RunOptions<'_> {
    fn default() -> Self {
        RunOptions {
            policy: &DEFAULT_POLICY,
            trace: None,
            progress: None,
            budget: None,
        }
    }
}

impl std::fmt::Debug for RunOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOptions")
            .field("policy", &self.policy.name())
            .field("trace", &self.trace.is_some())
            .field("progress", &self.progress.is_some())
            .field("budget", &self.budget)
            .finish()
    }
}

/// Runs a plan.
pub trait Executor: Send + Sync {
    /// The executor's name (`"sync"`, `"threads"`).
    fn name(&self) -> &str;
    /// How many workers it runs.
    fn workers(&self) -> usize;
    /// Runs every task of `plan`; returns the outputs or the first failure.
    /// Never leaves a thread behind.
    fn execute(&self, plan: &Plan<'_>, options: &RunOptions<'_>) -> Result<RunOutput, RunError>;
}

/// The number of cores this process may use (`std::thread::available_parallelism`,
/// at least 1), read once: on Linux it reads cgroup files, which costs more than a
/// small computation.
pub fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// The executor with this name: `"sync"`, or `"threads"` with `workers`
/// workers (0 means one per core).
pub fn by_name(name: &str, workers: usize) -> Option<Box<dyn Executor>> {
    match name {
        "sync" => Some(Box::new(SyncExecutor)),
        "threads" => Some(Box::new(ThreadsExecutor::new(workers))),
        _ => None,
    }
}

/// Names accepted by [`by_name`].
pub const EXECUTOR_NAMES: [&str; 2] = ["sync", "threads"];

/// Plans `outputs` of `graph` with `registry` and runs the plan.
pub fn run(
    graph: &TaskGraph,
    outputs: &[TaskId],
    registry: &Registry,
    executor: &dyn Executor,
    options: &RunOptions<'_>,
) -> Result<RunOutput, RunError> {
    let plan = Plan::new(graph, outputs, registry)?;
    match options.budget {
        Some(budget) => budget.enter(|| executor.execute(&plan, options)),
        None => executor.execute(&plan, options),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executors_by_name() {
        assert_eq!(by_name("sync", 4).unwrap().workers(), 1);
        assert_eq!(by_name("threads", 3).unwrap().workers(), 3);
        assert!(by_name("threads", 0).unwrap().workers() >= 1);
        assert!(by_name("dask", 1).is_none());
        for name in EXECUTOR_NAMES {
            assert_eq!(by_name(name, 2).unwrap().name(), name);
        }
    }
}
