//! `tessera run`: parse, validate, compute, and write the outputs, a stats file
//! and a trace.
//!
//! A document with no array node (every dask-dialect document, and canonical
//! documents of `call` and `literal` nodes) takes the direct path: it becomes a
//! task graph without per-node validation records ([`tessera_ir::direct_task_graph`])
//! and goes through the task-graph passes; any other document is validated and
//! lowered. Both report the same faults, plus calls of unknown functions.

use std::fs;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use tessera_compiler::LowerOptions;
use tessera_ir::{
    Direct, Document, Faults, InferContext, TaskDocument, ValidGraph, dask_task_graph,
    direct_task_graph, parse_json, parse_value, unknown_functions, validate,
};
use tessera_runtime::{Registry, Trace};

use crate::compute::{ComputeError, ComputeOptions, compute_graph, compute_tasks};
use crate::optimize::OptimizeFlags;
use crate::output::{OutputError, write_outputs};
use crate::registry::default_registry;
use crate::source::Source;

/// Options of `tessera run`.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Folder the outputs are written to.
    pub out_dir: PathBuf,
    /// Where to write the stats JSON, if anywhere.
    pub stats_file: Option<PathBuf>,
    /// Worker threads (`None`: one per core).
    pub threads: Option<usize>,
    /// Scheduling policy name.
    pub policy: String,
    /// Executor name.
    pub executor: String,
    /// Where to write a Chrome trace, if anywhere.
    pub trace_file: Option<PathBuf>,
    /// Root for `from_npy` paths instead of the document's folder.
    pub data_root: Option<PathBuf>,
    /// Show a progress bar on a terminal for runs longer than a second.
    pub progress: bool,
    /// Optimizer flags (`--disable`, `--passes`, `--rules`).
    pub optimize: OptimizeFlags,
    /// The memory budget (`--memory-limit SIZE|none`; default: detected).
    pub memory_limit: tessera_runtime::MemoryLimit,
}

/// The statistics `--stats` writes.
#[derive(Debug, Clone, Serialize)]
pub struct RunStats {
    /// Wall time of the whole command, seconds.
    pub total_s: f64,
    /// Reading, parsing and validating the document, seconds.
    pub parse_s: f64,
    /// Optimizing, seconds.
    pub optimize_s: f64,
    /// Lowering to tasks, seconds.
    pub lower_s: f64,
    /// Executing the tasks, seconds.
    pub execute_s: f64,
    /// Tasks executed.
    pub tasks: usize,
    /// The most bytes of values held at once.
    pub peak_bytes: usize,
    /// Worker threads used.
    pub threads: usize,
    /// Executor used.
    pub executor: String,
    /// Scheduling policy used.
    pub policy: String,
}

/// What `tessera run` did.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// The files written, in output order.
    pub written: Vec<PathBuf>,
    /// Timings and counts.
    pub stats: RunStats,
}

/// Why `tessera run` failed; [`RunError::exit_code`] maps it to the exit status.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The document is invalid (exit status 2).
    #[error("invalid document {name}\n{faults}")]
    Invalid {
        /// The document's name.
        name: String,
        /// Every fault found.
        faults: Faults,
    },
    /// An option is wrong (exit status 2).
    #[error("{0}")]
    Usage(String),
    /// Computing failed (exit status 1); the message names the task.
    #[error("computing failed: {0}")]
    Compute(ComputeError),
    /// An output could not be written (exit status 1).
    #[error(transparent)]
    Output(#[from] OutputError),
    /// The stats or trace file could not be written (exit status 1).
    #[error("cannot write {}: {source}", path.display())]
    Report {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl RunError {
    /// The exit status of `tessera run` for this error: 2 for an invalid document
    /// or options, 1 for a failure while computing or writing.
    pub fn exit_code(&self) -> u8 {
        match self {
            RunError::Invalid { .. } | RunError::Usage(_) => 2,
            RunError::Compute(ComputeError::Options(_) | ComputeError::TooLarge(_)) => 2,
            _ => 1,
        }
    }
}

/// Runs a document per the graph format's contract.
pub fn run_source(source: &Source, options: &RunOptions) -> Result<RunReport, RunError> {
    let start = Instant::now();
    let ctx = infer_context(source, options.data_root.clone());
    let loaded = load(source.text(), &ctx).map_err(|faults| RunError::Invalid {
        name: source.name().to_string(),
        faults,
    })?;
    let parse_s = start.elapsed().as_secs_f64();
    let optimize = options
        .optimize
        .options(ctx.clone())
        .map_err(|e| RunError::Usage(e.to_string()))?;

    let trace = options.trace_file.as_ref().map(|_| Trace::new());
    let bar = Progress::new(options.progress);
    let progress = |done: usize, total: usize| bar.update(done, total);
    let compute_options = ComputeOptions {
        executor: options.executor.clone(),
        threads: options.threads,
        policy: options.policy.clone(),
        trace: trace.as_ref(),
        progress: Some(&progress),
        lower: LowerOptions {
            files: ctx.clone(),
            ..LowerOptions::default()
        },
        optimize: Some(optimize),
        memory_limit: options.memory_limit,
        ..ComputeOptions::default()
    };
    let computed = match loaded {
        Loaded::Tasks(t) => compute_tasks(t.graph, t.outputs, t.output_names, &compute_options),
        Loaded::Graph(graph) => compute_graph(&graph, &compute_options),
    };
    bar.finish();
    if let (Some(trace), Some(path)) = (&trace, &options.trace_file) {
        // The trace is written even when a task failed: it shows what ran.
        write_file(path, |f| trace.write_json(f))?;
    }
    let computed = computed.map_err(|e| match e {
        ComputeError::Options(message) => RunError::Usage(message),
        ComputeError::Optimize(e @ tessera_compiler::OptimizeError::UnknownPass { .. }) => {
            RunError::Usage(e.to_string())
        }
        other => RunError::Compute(other),
    })?;
    let written = write_outputs(&options.out_dir, &computed.outputs)?;
    let stats = RunStats {
        total_s: start.elapsed().as_secs_f64(),
        parse_s,
        optimize_s: computed.optimize_s,
        lower_s: computed.lower_s,
        execute_s: computed.execute_s,
        tasks: computed.tasks,
        peak_bytes: computed.peak_bytes,
        threads: computed.workers,
        executor: options.executor.clone(),
        policy: options.policy.clone(),
    };
    if let Some(path) = &options.stats_file {
        write_file(path, |f| {
            serde_json::to_writer_pretty(&mut *f, &stats)?;
            std::io::Write::write_all(f, b"\n")
        })?;
    }
    Ok(RunReport { written, stats })
}

/// A document ready to compute.
#[derive(Debug)]
pub enum Loaded {
    /// A document with no array node, as a task graph (the direct path).
    Tasks(TaskDocument),
    /// A document with array nodes, validated.
    Graph(ValidGraph),
}

/// Parses and checks a document: the direct path for task graphs, validation
/// otherwise; every `call` must name a function of the default registry.
pub fn load(text: &str, ctx: &InferContext) -> Result<Loaded, Faults> {
    let value = parse_json(text)?;
    let registry = default_registry();
    // A sound dask-dialect document becomes a task graph without a `Document`;
    // anything else (including every fault) takes the path that reports it.
    if let Some(tasks) = dask_task_graph(&value, &|f| registry.get(f).is_some()) {
        return Ok(Loaded::Tasks(tasks));
    }
    let doc = parse_value(&value)?;
    drop(value);
    load_document_with(&doc, ctx, registry)
}

/// [`load`] for a parsed document.
pub fn load_document(doc: &Document, ctx: &InferContext) -> Result<Loaded, Faults> {
    load_document_with(doc, ctx, default_registry())
}

/// [`load_document`] with the functions of `registry`.
pub fn load_document_with(
    doc: &Document,
    ctx: &InferContext,
    registry: &Registry,
) -> Result<Loaded, Faults> {
    let known = |f: &str| registry.get(f).is_some();
    match direct_task_graph(doc, &known) {
        Direct::Tasks(tasks) => Ok(Loaded::Tasks(tasks)),
        Direct::Invalid(faults) => Err(faults),
        Direct::Generic => {
            let unknown = unknown_functions(doc, &known);
            match validate(doc, ctx) {
                Ok(graph) if unknown.is_empty() => Ok(Loaded::Graph(graph)),
                Ok(_) => Err(Faults(unknown)),
                Err(Faults(mut faults)) => {
                    faults.extend(unknown);
                    Err(Faults(faults))
                }
            }
        }
    }
}

/// Where `from_npy` paths of a document are resolved.
pub fn infer_context(source: &Source, data_root: Option<PathBuf>) -> InferContext {
    InferContext {
        base_dir: Some(source.base_dir().to_path_buf()),
        data_root,
    }
}

fn write_file(
    path: &PathBuf,
    write: impl FnOnce(&mut std::io::BufWriter<fs::File>) -> std::io::Result<()>,
) -> Result<(), RunError> {
    let error = |source| RunError::Report {
        path: path.clone(),
        source,
    };
    let mut file = std::io::BufWriter::new(fs::File::create(path).map_err(error)?);
    write(&mut file).map_err(error)?;
    std::io::Write::flush(&mut file).map_err(error)
}

/// A progress bar on standard error, shown only on a terminal and only once a run
/// has taken more than a second.
struct Progress {
    bar: Option<ProgressBar>,
    start: Instant,
    shown: Mutex<bool>,
}

impl Progress {
    fn new(enabled: bool) -> Progress {
        let bar = (enabled && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
            if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} tasks {elapsed}")
            {
                bar.set_style(style);
            }
            bar
        });
        Progress {
            bar,
            start: Instant::now(),
            shown: Mutex::new(false),
        }
    }

    fn update(&self, done: usize, total: usize) {
        let Some(bar) = &self.bar else { return };
        if self.start.elapsed() > Duration::from_secs(1) {
            let mut shown = self.shown.lock().unwrap_or_else(|e| e.into_inner());
            if !*shown {
                bar.set_draw_target(ProgressDrawTarget::stderr());
                *shown = true;
            }
        }
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
