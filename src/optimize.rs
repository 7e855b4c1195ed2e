//! `tessera optimize` and `tessera explain`: a document through the optimizer,
//! printed as the optimized v1 document or as the explain report; and the
//! optimizer flags that `run` shares.

use std::path::PathBuf;

use tessera_compiler::{OptimizeError, OptimizeOptions, Optimized, RuleFileError, optimize};
use tessera_ir::{Faults, InferContext, parse_and_validate};

use crate::source::Source;

/// The optimizer flags of the command line.
#[derive(Debug, Clone, Default)]
pub struct OptimizeFlags {
    /// `--disable NAME` (repeatable).
    pub disable: Vec<String>,
    /// `--passes A,B`: only these passes.
    pub passes: Option<Vec<String>>,
    /// `--rules FILE`: extra rewrite rules.
    pub rules_file: Option<PathBuf>,
}

/// Why `optimize`/`explain` (or the optimizer flags of `run`) failed.
#[derive(Debug, thiserror::Error)]
pub enum OptimizeCliError {
    /// The document is invalid (exit status 2).
    #[error("invalid document {name}\n{faults}")]
    Invalid {
        /// The document's name.
        name: String,
        /// Every fault found.
        faults: Faults,
    },
    /// The rules file cannot be read (exit status 2).
    #[error("cannot read the rules file {}: {source}", path.display())]
    ReadRules {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A rule is refused (exit status 2); the error names its line.
    #[error("rules file {}: {error}", path.display())]
    BadRule {
        /// The file.
        path: PathBuf,
        /// The line and what is wrong.
        error: RuleFileError,
    },
    /// The optimizer failed: an unknown pass (exit status 2) or a bug it caught
    /// (exit status 1).
    #[error(transparent)]
    Optimize(#[from] OptimizeError),
}

impl OptimizeCliError {
    /// The exit status: 2 for a bad document, rules file or pass name, else 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            OptimizeCliError::Optimize(OptimizeError::UnknownPass { .. }) => 2,
            OptimizeCliError::Optimize(_) => 1,
            _ => 2,
        }
    }
}

impl OptimizeFlags {
    /// The optimizer's options: the flags, the rules file read and parsed.
    pub fn options(&self, infer: InferContext) -> Result<OptimizeOptions, OptimizeCliError> {
        let mut options = OptimizeOptions {
            disable: self.disable.clone(),
            passes: self.passes.clone(),
            infer,
            ..OptimizeOptions::default()
        };
        if let Some(path) = &self.rules_file {
            let text =
                std::fs::read_to_string(path).map_err(|source| OptimizeCliError::ReadRules {
                    path: path.clone(),
                    source,
                })?;
            options =
                options
                    .with_rules_text(&text)
                    .map_err(|error| OptimizeCliError::BadRule {
                        path: path.clone(),
                        error,
                    })?;
        }
        Ok(options)
    }
}

/// Parses, validates and optimizes a document.
pub fn optimize_source(
    source: &Source,
    flags: &OptimizeFlags,
    data_root: Option<PathBuf>,
    explain: bool,
) -> Result<Optimized, OptimizeCliError> {
    let ctx = crate::run::infer_context(source, data_root);
    let mut options = flags.options(ctx.clone())?;
    options.explain = explain;
    let graph =
        parse_and_validate(source.text(), &ctx).map_err(|faults| OptimizeCliError::Invalid {
            name: source.name().to_string(),
            faults,
        })?;
    Ok(optimize(&graph, &options)?)
}

/// The text of `tessera optimize`: the optimized document, canonical v1 JSON.
pub fn optimized_document(
    source: &Source,
    flags: &OptimizeFlags,
    data_root: Option<PathBuf>,
) -> Result<String, OptimizeCliError> {
    let optimized = optimize_source(source, flags, data_root, false)?;
    Ok(optimized.graph.to_document().to_json_pretty() + "\n")
}

/// The text of `tessera explain`: the plan after every pass, rules fired,
/// costs and times.
/// A document with no array node (every dask-dialect document) shows the
/// task-graph passes that `run` applies instead: cull, inline and linear fusion,
/// with the task counts before and after each.
pub fn explain(
    source: &Source,
    flags: &OptimizeFlags,
    data_root: Option<PathBuf>,
) -> Result<String, OptimizeCliError> {
    let ctx = crate::run::infer_context(source, data_root.clone());
    flags.options(ctx.clone())?;
    if let Ok(crate::run::Loaded::Tasks(tasks)) = crate::run::load(source.text(), &ctx) {
        return Ok(explain_tasks(tasks));
    }
    Ok(optimize_source(source, flags, data_root, true)?
        .report
        .to_string())
}

/// The explain report of a task graph: each task-graph pass with the task
/// counts before and after it.
fn explain_tasks(tasks: tessera_ir::TaskDocument) -> String {
    use std::fmt::Write as _;
    let before = tasks.graph.len();
    let mut out = format!(
        "== task graph: {before} tasks, outputs: {} (no array node: the task-graph passes run, not the array optimizer)\n",
        tasks.output_names.join(", ")
    );
    let program = tessera_compiler::TaskProgram {
        graph: tasks.graph,
        outputs: tasks.outputs,
    };
    let (program, report) =
        tessera_compiler::optimize_tasks(program, tessera_compiler::TaskPasses::default());
    let mut count = before;
    for &(name, after, seconds) in &report.passes {
        let _ = writeln!(
            out,
            "\n== task pass {name}: {count} -> {after} tasks, {:.3} ms",
            seconds * 1e3
        );
        count = after;
    }
    let _ = writeln!(
        out,
        "\n== total: {:.3} ms, {before} -> {} tasks",
        report.seconds() * 1e3,
        program.graph.len()
    );
    out
}
