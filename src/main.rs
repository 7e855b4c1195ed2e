//! The `tessera` command line: argument parsing and exit codes only; the work is
//! done by the `tessera` library.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use tessera::optimize::OptimizeFlags;
use tessera::run::{RunOptions, run_source};
use tessera::source::Source;

/// tessera: a graph compiler for chunked, lazy computation.
#[derive(Parser)]
#[command(name = "tessera", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a graph document; exit 0 when valid, 2 with every fault found.
    #[command(
        after_help = "Examples:\n  tessera validate ir-spec/examples/lazy-slice.json\n  \
        cat graph.json | tessera validate -"
    )]
    Validate {
        /// The graph document (`-` reads standard input).
        file: String,
        /// Resolve `from_npy` paths against this folder instead of the document's.
        #[arg(long)]
        data_root: Option<PathBuf>,
    },
    /// List every op of the graph format and every registered function.
    #[command(after_help = "Example:\n  tessera ops | grep linalg")]
    Ops,
    /// Compute a document's outputs into a folder (`<id>.npy` or `<id>.json` each).
    #[command(after_help = "Examples:\n  \
        tessera run ir-spec/examples/lazy-slice.json --out out/\n  \
        tessera run graph.json --out out/ --stats stats.json --threads 2 --policy fifo\n\n\
        Exit status: 0 on success, 2 when the document is invalid, 1 when computing failed.")]
    Run {
        /// The graph document (`-` reads standard input).
        file: String,
        /// The folder to write outputs into (created if needed), with
        /// tessera-manifest.json written last.
        #[arg(long)]
        out: PathBuf,
        /// Also write timing and memory statistics as JSON to this file (`-`: standard output).
        #[arg(long)]
        stats: Option<PathBuf>,
        /// Number of worker threads (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
        /// Scheduling policy: dask-order (default), fifo, lifo, critical-path.
        #[arg(long, default_value = "dask-order")]
        policy: String,
        /// Executor: threads (default) or sync (one thread, deterministic order).
        #[arg(long, default_value = "threads")]
        executor: String,
        /// Write a Chrome trace-event file (open it in Perfetto; `-`: standard output).
        #[arg(long)]
        trace: Option<PathBuf>,
        /// Resolve `from_npy` paths against this folder instead of the document's.
        #[arg(long)]
        data_root: Option<PathBuf>,
        /// Memory budget: a size (512M, 4G, 1.5G; bytes without a unit) or none
        /// (default: the cgroup limit or the available memory, whichever is lower).
        #[arg(long, value_name = "SIZE|none", value_parser = tessera::runtime::MemoryLimit::parse)]
        memory_limit: Option<tessera::runtime::MemoryLimit>,
        #[command(flatten)]
        optimizer: OptimizerArgs,
    },
    /// Print each task's rank in a policy's static order (0 runs first) as JSON.
    #[command(after_help = "Examples:\n  \
        tessera order ir-spec/examples/dask-merge.json\n  \
        tessera order graph.json --policy critical-path --diagnostics\n\n\
        Keys are the document's (a tuple key as its JSON text), every key of a task \
        graph as written (no cull, inlining or fusion), like dask.order.order. A \
        document with array nodes is optimized and lowered as `run` does, and its \
        lowered tasks are ordered. --diagnostics adds, as dask.order.diagnostics, each \
        key's age and the results held over a one-thread run in that order.\n\n\
        Exit status: 0 on success, 2 when the document or the policy is invalid.")]
    Order {
        /// The graph document (`-` reads standard input).
        file: String,
        /// Scheduling policy: dask-order (default), fifo, lifo, critical-path.
        #[arg(long, default_value = "dask-order")]
        policy: String,
        /// Also print each key's age and the memory pressure over time.
        #[arg(long)]
        diagnostics: bool,
        /// Resolve `from_npy` paths against this folder instead of the document's.
        #[arg(long)]
        data_root: Option<PathBuf>,
    },
    /// Draw a document's graph as Graphviz DOT (SVG or PNG when `dot` is installed).
    #[command(after_help = "Examples:\n  \
        tessera viz ir-spec/examples/dask-merge.json --color order --out merge.dot\n  \
        tessera viz ir-spec/examples/lazy-slice.json --level expr --out slice.svg\n\n\
        Data are boxes, tasks circles, drawn bottom to top; --color order fills them \
        from blue (runs first) to red (runs last). The plan drawn is the one `run` \
        executes (optimized; --unoptimized draws the document as written).")]
    Viz {
        /// The graph document (`-` reads standard input).
        file: String,
        /// `tasks` (what the runtime executes, the default) or `expr` (the document's nodes).
        #[arg(long, default_value = "tasks")]
        level: String,
        /// `order` colours nodes by execution order.
        #[arg(long)]
        color: Option<String>,
        /// Write here (`.dot`, `.svg`, `.png`) instead of printing DOT.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Resolve `from_npy` paths against this folder instead of the document's.
        #[arg(long)]
        data_root: Option<PathBuf>,
        /// Draw the document as written, not the optimized plan that runs.
        #[arg(long)]
        unoptimized: bool,
        #[command(flatten)]
        optimizer: OptimizerArgs,
    },
    /// Print the optimized document (canonical v1 JSON) on standard output.
    #[command(after_help = "Examples:\n  \
        tessera optimize ir-spec/examples/lazy-slice.json\n  \
        tessera optimize graph.json --disable slice-pushdown --rules my.rules\n\n\
        Exit status: 0 on success, 2 when the document, a pass name or a rule is invalid.")]
    Optimize {
        /// The graph document (`-` reads standard input).
        file: String,
        /// Resolve `from_npy` paths against this folder instead of the document's.
        #[arg(long)]
        data_root: Option<PathBuf>,
        #[command(flatten)]
        optimizer: OptimizerArgs,
    },
    /// Show what the optimizer does: the plan after every pass, the rules that
    /// fired, estimated costs and time per pass.
    #[command(after_help = "Example:\n  tessera explain ir-spec/examples/lazy-slice.json")]
    Explain {
        /// The graph document (`-` reads standard input).
        file: String,
        /// Resolve `from_npy` paths against this folder instead of the document's.
        #[arg(long)]
        data_root: Option<PathBuf>,
        #[command(flatten)]
        optimizer: OptimizerArgs,
    },
}

/// The optimizer's flags (shared by run, optimize and explain).
#[derive(Args)]
struct OptimizerArgs {
    /// Do not run this pass (repeatable). Passes: simplify, slice-pushdown,
    /// matmul-chain, user-rules, fuse.
    #[arg(long = "disable", value_name = "NAME")]
    disable: Vec<String>,
    /// Run only these passes (comma-separated), in the pipeline's order.
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    passes: Option<Vec<String>>,
    /// Extra rewrite rules, one `name: lhs => rhs [if cond(?x)]` per line.
    #[arg(long, value_name = "FILE")]
    rules: Option<PathBuf>,
}

impl OptimizerArgs {
    fn flags(self) -> OptimizeFlags {
        OptimizeFlags {
            disable: self.disable,
            passes: self.passes,
            rules_file: self.rules,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate { file, data_root } => {
            let source = match Source::load(&file) {
                Ok(source) => source,
                Err(e) => return fail(2, &e),
            };
            match tessera::validate_source(&source, data_root) {
                Ok(summary) => print_stdout(&format!("{}: valid ({summary})\n", source.name())),
                Err(faults) => {
                    eprintln!("{}: invalid document", source.name());
                    eprintln!("{faults}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Ops => print_stdout(&tessera::ops_listing()),
        Command::Run {
            file,
            out,
            stats,
            threads,
            policy,
            executor,
            trace,
            data_root,
            memory_limit,
            optimizer,
        } => {
            let source = match Source::load(&file) {
                Ok(source) => source,
                Err(e) => return fail(2, &e),
            };
            // An interrupted run removes its temporary files (no output is claimed).
            let _ = ctrlc::set_handler(|| {
                tessera::remove_temporaries();
                std::process::exit(130);
            });
            let options = RunOptions {
                out_dir: out,
                stats_file: stats,
                threads,
                policy,
                executor,
                trace_file: trace,
                data_root,
                progress: true,
                optimize: optimizer.flags(),
                memory_limit: memory_limit.unwrap_or_default(),
            };
            match run_source(&source, &options) {
                Ok(_) => ExitCode::SUCCESS,
                Err(e) => fail(e.exit_code(), &e),
            }
        }
        Command::Order {
            file,
            policy,
            diagnostics,
            data_root,
        } => {
            let source = match Source::load(&file) {
                Ok(source) => source,
                Err(e) => return fail(2, &e),
            };
            match tessera::order::order_source(&source, &policy, data_root) {
                Ok(order) => print_stdout(&order.to_json(diagnostics)),
                Err(e) => fail(e.exit_code(), &format!("{}: {e}", source.name())),
            }
        }
        Command::Viz {
            file,
            level,
            color,
            out,
            data_root,
            unoptimized,
            optimizer,
        } => viz(
            &file,
            &level,
            color.as_deref(),
            out.as_deref(),
            data_root,
            (!unoptimized).then(|| optimizer.flags()),
        ),
        Command::Optimize {
            file,
            data_root,
            optimizer,
        } => {
            let source = match Source::load(&file) {
                Ok(source) => source,
                Err(e) => return fail(2, &e),
            };
            match tessera::optimize::optimized_document(&source, &optimizer.flags(), data_root) {
                Ok(text) => print_stdout(&text),
                Err(e) => fail(e.exit_code(), &e),
            }
        }
        Command::Explain {
            file,
            data_root,
            optimizer,
        } => {
            let source = match Source::load(&file) {
                Ok(source) => source,
                Err(e) => return fail(2, &e),
            };
            match tessera::optimize::explain(&source, &optimizer.flags(), data_root) {
                Ok(text) => print_stdout(&text),
                Err(e) => fail(e.exit_code(), &e),
            }
        }
    }
}

fn viz(
    file: &str,
    level: &str,
    color: Option<&str>,
    out: Option<&std::path::Path>,
    data_root: Option<PathBuf>,
    optimize: Option<tessera::optimize::OptimizeFlags>,
) -> ExitCode {
    use tessera::viz::{Color, Level, document_dot, write_picture};
    let level = match level {
        "tasks" => Level::Tasks,
        "expr" => Level::Expr,
        other => return fail(2, &format!("unknown level {other:?}; choose expr or tasks")),
    };
    let color = match color {
        None => Color::None,
        Some("order") => Color::Order,
        Some(other) => {
            return fail(
                2,
                &format!("unknown colouring {other:?}; the one colouring is order"),
            );
        }
    };
    let source = match Source::load(file) {
        Ok(source) => source,
        Err(e) => return fail(2, &e),
    };
    let ctx = tessera::run::infer_context(&source, data_root);
    let optimize = match optimize.map(|flags| flags.options(ctx.clone())).transpose() {
        Ok(options) => options,
        Err(e) => return fail(e.exit_code(), &e),
    };
    let dot = match document_dot(source.text(), &ctx, level, color, optimize.as_ref()) {
        Ok(dot) => dot,
        Err(e) => return fail(e.exit_code(), &format!("{}: {e}", source.name())),
    };
    match out {
        None => print_stdout(&dot),
        Some(path) => match write_picture(&dot, path) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(e.exit_code(), &e),
        },
    }
}

/// Writes `text` on standard output; a reader that went away (`| head`) ends the
/// command quietly.
fn print_stdout(text: &str) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => fail(1, &format!("cannot write to standard output: {e}")),
    }
}

fn fail(code: u8, error: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("error: {error}");
    ExitCode::from(code)
}
