//! The in-process pipeline shared by every frontend: a validated graph is
//! optimized, lowered to tasks and run; the stages are timed.

use std::time::Instant;

use tessera_compiler::{LowerOptions, OptimizeOptions, lower, optimize};
use tessera_ir::ValidGraph;
use tessera_runtime::executor::{self, RunOptions as ExecOptions};
use tessera_runtime::{Policy, Registry, Trace, Value};

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
    /// The optimizer's options (`None`: the graph is lowered as given).
    pub optimize: Option<OptimizeOptions>,
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
            optimize: Some(OptimizeOptions::default()),
        }
    }
}

/// What a computation produced, with the time of each stage.
#[derive(Debug, Clone)]
pub struct Computed {
    /// Each output's id and value, in the document's order.
    pub outputs: Vec<(String, Value)>,
    /// Seconds spent in the optimizer.
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
}

/// Optimizes, lowers and runs the outputs of a validated graph.
pub fn compute_graph(
    graph: &ValidGraph,
    options: &ComputeOptions<'_>,
) -> Result<Computed, ComputeError> {
    let policy: Box<dyn Policy> =
        tessera_runtime::policy::by_name(&options.policy).ok_or_else(|| {
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

    let lower_start = Instant::now();
    let lowered = lower(plan, &options.lower)?;
    let lower_s = lower_start.elapsed().as_secs_f64();

    let registry = options.registry.unwrap_or_else(|| default_registry());
    let exec_options = ExecOptions {
        policy: policy.as_ref(),
        trace: options.trace,
        progress: options.progress,
    };
    let execute_start = Instant::now();
    let output = executor::run(
        &lowered.graph,
        &lowered.outputs,
        registry,
        executor.as_ref(),
        &exec_options,
    )?;
    let execute_s = execute_start.elapsed().as_secs_f64();
    let ids = graph.outputs.iter().map(|&n| graph.node(n).id.clone());
    Ok(Computed {
        outputs: ids.zip(output.outputs).collect(),
        optimize_s,
        lower_s,
        execute_s,
        tasks: output.stats.tasks,
        peak_bytes: output.stats.peak_bytes,
        workers: executor.workers(),
    })
}
