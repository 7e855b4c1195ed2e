//! `tessera run`: parse, validate, compute, and write the outputs, a stats file
//! and a trace.
//!
//! A document with no array node (every dask-dialect document, and canonical
//! documents of `call` and `literal` nodes) takes the direct path: it becomes a
//! task graph without per-node validation records ([`tessera_ir::direct_task_graph`])
//! and goes through the task-graph passes; any other document is validated and
//! lowered. Both report the same faults, plus calls of unknown functions.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use tessera_compiler::LowerOptions;
use tessera_ir::{
    Direct, Document, Fault, Faults, InferContext, TaskDocument, TaskExpr, ValidGraph,
    dask_task_graph, direct_task_graph, parse_json, parse_value, unknown_functions, validate,
};
use tessera_runtime::{Registry, Trace};

use crate::compute::{ComputeError, ComputeOptions, compute_graph, compute_tasks};
use crate::optimize::OptimizeFlags;
use crate::output::{
    MANIFEST, OutDir, OutputError, file_stem, output_name_collisions, stage, temp_file_in,
};
use crate::registry::default_registry;
use crate::source::Source;

/// Options of `tessera run`.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Folder the outputs are written to (`-` is refused).
    pub out_dir: PathBuf,
    /// Where to write the stats JSON, if anywhere (`-`: standard output).
    pub stats_file: Option<PathBuf>,
    /// Worker threads (`None`: one per core).
    pub threads: Option<usize>,
    /// Scheduling policy name.
    pub policy: String,
    /// Executor name.
    pub executor: String,
    /// Where to write a Chrome trace, if anywhere (`-`: standard output).
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
    /// Writing (and syncing) the output files, seconds.
    pub write_s: f64,
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
    /// An option is wrong, or a destination cannot be written (exit status 2,
    /// found before computing).
    #[error("{0}")]
    Usage(String),
    /// Computing failed (exit status 1); the message names the task.
    #[error("computing failed: {0}")]
    Compute(ComputeError),
    /// An output could not be written (exit status 1).
    #[error(transparent)]
    Output(#[from] OutputError),
    /// The stats or trace file could not be written (exit status 1; the outputs
    /// are not kept when the stats could not be written).
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

    let destinations = Destinations::check(options, &loaded.output_ids())?;

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
    if let (Some(trace), Some(sink)) = (&trace, &destinations.trace) {
        // The trace is written even when a task failed: it shows what ran.
        sink.write(|f| trace.write_json(f))?;
    }
    let computed = computed.map_err(|e| match e {
        ComputeError::Options(message) => RunError::Usage(message),
        ComputeError::Optimize(e @ tessera_compiler::OptimizeError::UnknownPass { .. }) => {
            RunError::Usage(e.to_string())
        }
        other => RunError::Compute(other),
    })?;
    let write_start = Instant::now();
    let staged = stage(&destinations.out, &computed.outputs)?;
    let write_s = write_start.elapsed().as_secs_f64();
    let stats = RunStats {
        total_s: start.elapsed().as_secs_f64(),
        parse_s,
        optimize_s: computed.optimize_s,
        lower_s: computed.lower_s,
        execute_s: computed.execute_s,
        write_s,
        tasks: computed.tasks,
        peak_bytes: computed.peak_bytes,
        threads: computed.workers,
        executor: options.executor.clone(),
        policy: options.policy.clone(),
    };
    // The stats before the outputs' final names: a run whose stats cannot be
    // written claims no output (the staged files are removed when dropped).
    if let Some(sink) = &destinations.stats {
        sink.write(|f| {
            serde_json::to_writer_pretty(&mut *f, &stats)?;
            f.write_all(b"\n")
        })?;
    }
    let written = staged.commit()?;
    Ok(RunReport { written, stats })
}

/// Where a report (stats, trace) goes.
#[derive(Debug)]
enum Sink {
    /// Standard output (`-`).
    Stdout,
    /// A file, written through a temporary file in its folder.
    File(PathBuf),
}

impl Sink {
    fn write(
        &self,
        write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<(), RunError> {
        match self {
            Sink::Stdout => {
                let mut out = std::io::stdout().lock();
                write(&mut out)
                    .and_then(|()| out.flush())
                    .map_err(|source| RunError::Report {
                        path: PathBuf::from("<stdout>"),
                        source,
                    })
            }
            Sink::File(path) => {
                let error = |source| RunError::Report {
                    path: path.clone(),
                    source,
                };
                let mut temp =
                    temp_file_in(parent_of(path), ".tessera-report-", ".tmp").map_err(error)?;
                let mut file = std::io::BufWriter::new(temp.as_file_mut());
                write(&mut file)
                    .and_then(|()| file.flush())
                    .map_err(error)?;
                drop(file);
                temp.persist(path).map(drop).map_err(|e| error(e.error))
            }
        }
    }
}

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Every destination of a run, checked before computing.
struct Destinations {
    out: OutDir,
    stats: Option<Sink>,
    trace: Option<Sink>,
}

impl Destinations {
    /// Checks `--out` (a folder files can be created in; `-` refused), and
    /// `--stats` / `--trace` (`-` or a file in an existing folder, not an
    /// output, the manifest or each other); `ids` are the outputs' ids.
    fn check(options: &RunOptions, ids: &[&str]) -> Result<Destinations, RunError> {
        if options.out_dir.as_os_str() == "-" {
            return Err(RunError::Usage(
                "--out - is refused: outputs are files; give a folder".into(),
            ));
        }
        let out = OutDir::prepare(&options.out_dir)
            .map_err(|e| RunError::Usage(format!("--out: {e}")))?;
        // Every file the run will write in the output folder.
        let mut claimed: Vec<PathBuf> = ids
            .iter()
            .flat_map(|id| {
                let stem = file_stem(id);
                [
                    out.join(&format!("{stem}.npy")),
                    out.join(&format!("{stem}.json")),
                ]
            })
            .collect();
        claimed.push(out.join(MANIFEST));
        let mut sink = |flag: &str, path: &Option<PathBuf>| -> Result<Option<Sink>, RunError> {
            let Some(path) = path else { return Ok(None) };
            if path.as_os_str() == "-" {
                return Ok(Some(Sink::Stdout));
            }
            let refuse = |why: String| RunError::Usage(format!("{flag} {}: {why}", path.display()));
            let parent = parent_of(path)
                .canonicalize()
                .map_err(|e| refuse(format!("its folder cannot be used: {e}")))?;
            let name = path
                .file_name()
                .ok_or_else(|| refuse("not a file name".into()))?;
            let real = parent.join(name);
            if real.is_dir() {
                return Err(refuse("is a folder".into()));
            }
            if claimed.contains(&real) {
                return Err(refuse(
                    "is a file the run writes in --out (an output, the manifest, or the other report)"
                        .into(),
                ));
            }
            temp_file_in(&parent, ".tessera-report-", ".tmp")
                .map_err(|e| refuse(format!("cannot create files in its folder: {e}")))?;
            claimed.push(real);
            Ok(Some(Sink::File(path.clone())))
        };
        let stats = sink("--stats", &options.stats_file)?;
        let trace = sink("--trace", &options.trace_file)?;
        if matches!((&stats, &trace), (Some(Sink::Stdout), Some(Sink::Stdout))) {
            return Err(RunError::Usage(
                "--stats - and --trace - would both write to standard output: choose one".into(),
            ));
        }
        Ok(Destinations { out, stats, trace })
    }
}

/// A document ready to compute.
#[derive(Debug)]
pub enum Loaded {
    /// A document with no array node, as a task graph (the direct path).
    Tasks(TaskDocument),
    /// A document with array nodes, validated.
    Graph(ValidGraph),
}

impl Loaded {
    /// The outputs' ids, in order.
    pub fn output_ids(&self) -> Vec<&str> {
        match self {
            Loaded::Tasks(t) => t.output_names.iter().map(String::as_str).collect(),
            Loaded::Graph(g) => g.outputs.iter().map(|&n| g.node(n).id.as_str()).collect(),
        }
    }

    /// Faults only the whole document shows: outputs that would be written to
    /// one file, and (for task graphs) calls naming files outside the data root.
    fn faults(self, ctx: &InferContext, pointer_root: &str) -> Result<Loaded, Faults> {
        let mut faults: Vec<Fault> = output_name_collisions(self.output_ids())
            .into_iter()
            .map(|(i, message)| Fault::at(format!("/outputs/{i}"), message))
            .collect();
        if let Loaded::Tasks(t) = &self {
            faults.extend(task_file_faults(t, ctx, pointer_root));
        }
        if faults.is_empty() {
            Ok(self)
        } else {
            Err(Faults(faults))
        }
    }
}

/// Every call in `tasks` of a function that opens a file whose path the
/// confinement check refuses ([`InferContext::check_call_files`]), naming the
/// task; `pointer_root` is where the document keeps its tasks (`/nodes` or
/// `/graph`).
fn task_file_faults(tasks: &TaskDocument, ctx: &InferContext, pointer_root: &str) -> Vec<Fault> {
    let mut faults = Vec::new();
    for task in tasks.graph.tasks() {
        let mut stack = vec![&task.expr];
        while let Some(expr) = stack.pop() {
            match expr {
                TaskExpr::Call(call) => {
                    if let Err((kwarg, e)) = ctx.check_call_files(&call.func, &call.kwargs) {
                        let key = task.key.as_str();
                        let token = key.replace('~', "~0").replace('/', "~1");
                        faults.push(Fault::in_node(
                            key,
                            format!("{pointer_root}/{token}"),
                            format!("{}: `{kwarg}`: {e}", call.func),
                        ));
                    }
                    stack.extend(&call.args);
                }
                TaskExpr::List(items) => stack.extend(items),
                TaskExpr::Ref(_) | TaskExpr::Literal(_) => {}
            }
        }
    }
    faults
}

/// Parses and checks a document: the direct path for task graphs, validation
/// otherwise; every `call` must name a function of the default registry, every
/// file it names must lie in the data root, and no two outputs may be written to
/// one file.
pub fn load(text: &str, ctx: &InferContext) -> Result<Loaded, Faults> {
    let value = parse_json(text)?;
    let registry = default_registry();
    // A sound dask-dialect document becomes a task graph without a `Document`;
    // anything else (including every fault) takes the path that reports it.
    if let Some(tasks) = dask_task_graph(&value, &|f| registry.get(f).is_some()) {
        return Loaded::Tasks(tasks).faults(ctx, "/graph");
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
        Direct::Tasks(tasks) => Loaded::Tasks(tasks).faults(ctx, "/nodes"),
        Direct::Invalid(faults) => Err(faults),
        Direct::Generic => {
            let unknown = unknown_functions(doc, &known);
            match validate(doc, ctx) {
                Ok(graph) if unknown.is_empty() => Loaded::Graph(graph).faults(ctx, "/nodes"),
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
