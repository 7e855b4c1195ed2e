//! The in-process pipeline shared by every frontend: a validated graph is
//! optimized (rewrites, fusion), lowered to tasks and run, or a task graph goes
//! through the task-graph passes and is run; the stages are timed.

use std::time::Instant;

use tessera_compiler::{
    BYTES_PER_TASK, LowerOptions, OptimizeOptions, TaskPasses, TaskProgram, lower, optimize,
    optimize_tasks,
};
use tessera_ir::{Meta, TaskGraph, TaskId, ValidGraph};
use tessera_runtime::executor::{self, RunOptions as ExecOptions};
use tessera_runtime::memory_limit::format_bytes;
use tessera_runtime::{Budget, MemoryLimit, Policy, Registry, Trace, Value};

use crate::registry::default_registry;

/// How to compute: executor, workers, policy, observers.
pub struct ComputeOptions<'a> {
    /// `"threads"` (default) or `"sync"`.
    pub executor: String,
    /// Worker threads for `threads` (`None`: one per core).
    pub threads: Option<usize>,
    /// Scheduling policy name (`dask-order`, `fifo`, `lifo`, `critical-path`).
    pub policy: String,
    /// Lowering options (whole arrays, `split_every`).
    pub lower: LowerOptions,
    /// The function registry (`None`: built-ins and every kernel).
    pub registry: Option<&'a Registry>,
    /// Records a Chrome trace.
    pub trace: Option<&'a Trace>,
    /// Progress callback `(done, total)`.
    pub progress: Option<&'a (dyn Fn(usize, usize) + Sync)>,
    /// The task-graph passes run on task graphs ([`compute_tasks`]).
    pub task_passes: TaskPasses,
    /// The optimizer's options (`None`: the graph is lowered as given).
    pub optimize: Option<OptimizeOptions>,
    /// The memory the computation may use: outputs, the task graph and the
    /// blocks running at once are checked against it before computing.
    pub memory_limit: MemoryLimit,
}

impl Default for ComputeOptions<'_> {
    fn default() -> Self {
        ComputeOptions {
            executor: "threads".into(),
            threads: None,
            policy: "dask-order".into(),
            lower: LowerOptions::default(),
            registry: None,
            trace: None,
            progress: None,
            task_passes: TaskPasses::default(),
            optimize: Some(OptimizeOptions::default()),
            memory_limit: MemoryLimit::default(),
        }
    }
}

/// What a computation produced, with the time of each stage.
#[derive(Debug, Clone)]
pub struct Computed {
    /// Each output's id and value, in the document's order.
    pub outputs: Vec<(String, Value)>,
    /// Seconds spent in the optimizer (rewrites and fusion; for a task graph: the
    /// task-graph passes).
    pub optimize_s: f64,
    /// Seconds spent lowering to tasks.
    pub lower_s: f64,
    /// Seconds spent executing.
    pub execute_s: f64,
    /// Tasks executed.
    pub tasks: usize,
    /// Most bytes of values held at once.
    pub peak_bytes: usize,
    /// Workers used.
    pub workers: usize,
}

/// Why computing failed.
#[derive(Debug, thiserror::Error)]
pub enum ComputeError {
    /// An option named something that does not exist.
    #[error("{0}")]
    Options(String),
    /// The optimizer failed (a bad pass name, or a bug it caught).
    #[error(transparent)]
    Optimize(#[from] tessera_compiler::OptimizeError),
    /// A node could not be lowered to tasks.
    #[error(transparent)]
    Lower(#[from] tessera_compiler::LowerError),
    /// Executing failed; the error names the task.
    #[error(transparent)]
    Execute(#[from] tessera_runtime::RunError),
    /// The plan does not fit the memory budget (an output, the outputs held at
    /// once, a block, or the task graph): known before computing.
    #[error("{0}")]
    TooLarge(String),
}

/// Optimizes, lowers and runs the outputs of a validated graph.
pub fn compute_graph(
    graph: &ValidGraph,
    options: &ComputeOptions<'_>,
) -> Result<Computed, ComputeError> {
    let executor = Setup::new(options)?;
    let optimize_start = Instant::now();
    let optimized = match &options.optimize {
        Some(opts) => {
            let mut opts = opts.clone();
            opts.infer = options.lower.files.clone();
            Some(optimize(graph, &opts)?.graph)
        }
        None => None,
    };
    let optimize_s = optimize_start.elapsed().as_secs_f64();
    // Output ids are preserved by the optimizer: they name the results below.
    let plan = optimized.as_ref().unwrap_or(graph);

    let budget = options.memory_limit.bytes();
    if let Some(limit) = budget {
        check_outputs_fit(plan, limit)?;
    }
    let lower_start = Instant::now();
    // A block (blocks of all workers count together) or a task graph larger
    // than the budget fails here, naming its node.
    let lower_options = LowerOptions {
        max_block_bytes: options
            .lower
            .max_block_bytes
            .or(budget.map(|b| b / executor.executor.workers().max(1))),
        max_tasks: options
            .lower
            .max_tasks
            .or(budget.map(|b| b / BYTES_PER_TASK)),
        ..options.lower.clone()
    };
    let lowered = lower(plan, &lower_options).map_err(|e| {
        if e.exceeds_memory {
            ComputeError::TooLarge(e.to_string())
        } else {
            ComputeError::Lower(e)
        }
    })?;
    let lower_s = lower_start.elapsed().as_secs_f64();

    let ids = graph.outputs.iter().map(|&n| graph.node(n).id.clone());
    executor.run(
        &lowered.graph,
        &lowered.outputs,
        ids,
        options,
        optimize_s,
        lower_s,
    )
}

/// Runs a task graph (a document with no array node, a [`crate::Graph`], delayed
/// values): the task-graph passes of `options.task_passes`, timed as the
/// optimizer stage, then the executor. `names` are the outputs' ids, in order.
pub fn compute_tasks(
    graph: TaskGraph,
    outputs: Vec<TaskId>,
    names: Vec<String>,
    options: &ComputeOptions<'_>,
) -> Result<Computed, ComputeError> {
    let executor = Setup::new(options)?;
    if let Some(limit) = options.memory_limit.bytes()
        && graph.len() > limit / BYTES_PER_TASK
    {
        return Err(ComputeError::TooLarge(format!(
            "the task graph has {} tasks; at about {BYTES_PER_TASK} bytes per task to run them \
             that is more than the memory budget of {}",
            graph.len(),
            format_bytes(limit)
        )));
    }
    let start = Instant::now();
    let (program, _report) = optimize_tasks(TaskProgram { graph, outputs }, options.task_passes);
    let optimize_s = start.elapsed().as_secs_f64();
    executor.run(
        &program.graph,
        &program.outputs,
        names.into_iter(),
        options,
        optimize_s,
        0.0,
    )
}

/// Refuses a plan whose outputs cannot be held in `limit` bytes: each output's
/// total size, and all of them at once (an output of several blocks is held
/// twice while it is assembled from them).
fn check_outputs_fit(plan: &ValidGraph, limit: usize) -> Result<(), ComputeError> {
    let mut held: Option<usize> = Some(0);
    let mut assembly = 0usize;
    let mut parts = Vec::new();
    for &n in &plan.outputs {
        let node = plan.node(n);
        let Meta::Array(meta) = &node.meta else {
            continue;
        };
        let bytes = meta
            .shape
            .iter()
            .try_fold(meta.dtype.size_bytes(), |acc, &d| acc.checked_mul(d));
        let Some(bytes) = bytes.filter(|&b| b <= limit) else {
            return Err(ComputeError::TooLarge(format!(
                "output \"{}\" of shape {:?} ({}) needs {}, more than the memory budget of {} \
                 ({limit} bytes); compute a slice or a reduction of it, or raise --memory-limit",
                node.id,
                meta.shape,
                meta.dtype.name(),
                bytes.map_or("more bytes than a 64-bit address space holds".into(), |b| {
                    format!("{} ({b} bytes)", format_bytes(b))
                }),
                format_bytes(limit),
            )));
        };
        held = held.and_then(|h| h.checked_add(bytes));
        if meta.chunks.numblocks().iter().any(|&b| b > 1) {
            assembly = assembly.max(bytes);
        }
        parts.push(format!("\"{}\" {}", node.id, format_bytes(bytes)));
    }
    match held.and_then(|h| h.checked_add(assembly)) {
        Some(total) if total <= limit => Ok(()),
        total => Err(ComputeError::TooLarge(format!(
            "the outputs need {} held at once ({}{}), more than the memory budget of {} \
             ({limit} bytes); compute fewer or smaller outputs, or raise --memory-limit",
            total.map_or("more bytes than a 64-bit address space holds".into(), |b| {
                format!("{} ({b} bytes)", format_bytes(b))
            }),
            parts.join(", "),
            if assembly > 0 {
                format!(
                    "; assembling an output from its blocks holds {} more",
                    format_bytes(assembly)
                )
            } else {
                String::new()
            },
            format_bytes(limit),
        ))),
    }
}

/// The policy and executor named by the options.
struct Setup {
    policy: Box<dyn Policy>,
    executor: Box<dyn executor::Executor>,
}

impl Setup {
    fn new(options: &ComputeOptions<'_>) -> Result<Setup, ComputeError> {
        let policy: Box<dyn Policy> = tessera_runtime::policy::by_name(&options.policy)
            .ok_or_else(|| {
                ComputeError::Options(format!(
                    "unknown policy {:?}; choose one of {}",
                    options.policy,
                    tessera_runtime::policy::POLICY_NAMES.join(", ")
                ))
            })?;
        let workers = options.threads.unwrap_or(0);
        let executor = executor::by_name(&options.executor, workers).ok_or_else(|| {
            ComputeError::Options(format!(
                "unknown executor {:?}; choose one of {}",
                options.executor,
                executor::EXECUTOR_NAMES.join(", ")
            ))
        })?;
        Ok(Setup { policy, executor })
    }

    fn run(
        &self,
        graph: &TaskGraph,
        outputs: &[TaskId],
        names: impl Iterator<Item = String>,
        options: &ComputeOptions<'_>,
        optimize_s: f64,
        lower_s: f64,
    ) -> Result<Computed, ComputeError> {
        let base = options.registry.unwrap_or_else(|| default_registry());
        // `from_npy` reads under the root the lowering resolved paths against.
        let confined = crate::registry::with_files(base, &options.lower.files);
        let registry = confined.as_ref().unwrap_or(base);
        // The blocks of all workers running at once share the memory budget;
        // kernels' own threads come from the same `--threads` budget.
        let workers = self.executor.workers().max(1);
        let budget = Budget::new(
            options.memory_limit.bytes().map(|b| b / workers),
            options.threads.unwrap_or_else(executor::cores),
        );
        let exec_options = ExecOptions {
            policy: self.policy.as_ref(),
            trace: options.trace,
            progress: options.progress,
            budget: Some(&budget),
        };
        let execute_start = Instant::now();
        let output = executor::run(
            graph,
            outputs,
            registry,
            self.executor.as_ref(),
            &exec_options,
        )?;
        let execute_s = execute_start.elapsed().as_secs_f64();
        Ok(Computed {
            outputs: names.zip(output.outputs).collect(),
            optimize_s,
            lower_s,
            execute_s,
            tasks: output.stats.tasks,
            peak_bytes: output.stats.peak_bytes,
            workers: self.executor.workers(),
        })
    }
}
