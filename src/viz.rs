//! Pictures of graphs: Graphviz DOT in Dask's conventions (data as boxes, tasks
//! as circles, drawn bottom to top), optionally coloured by execution order, with
//! node ids derived from the keys so that they are stable; SVG or PNG through
//! Graphviz's `dot` when it is installed.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use tessera_ir::{Meta, TaskExpr, TaskGraph, TaskId, ValidArg, ValidGraph};
use tessera_runtime::{Plan, Registry};

/// How nodes are filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Color {
    /// No fill.
    #[default]
    None,
    /// By the rank of the `dask-order` policy: blue runs first, red last.
    Order,
}

/// Which graph a picture shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Level {
    /// The document's nodes (array operations, calls).
    Expr,
    /// The tasks the runtime executes (after lowering, for array documents).
    #[default]
    Tasks,
}

/// Why a picture could not be made.
#[derive(Debug, thiserror::Error)]
pub enum VizError {
    /// The document is invalid.
    #[error("invalid document\n{0}")]
    Invalid(tessera_ir::Faults),
    /// Lowering the document to tasks failed.
    #[error(transparent)]
    Lower(#[from] tessera_compiler::LowerError),
    /// The optimizer failed (an unknown pass name, or a bug it caught).
    #[error(transparent)]
    Optimize(#[from] tessera_compiler::OptimizeError),
    /// SVG or PNG was asked for and Graphviz's `dot` is not on the PATH.
    #[error(
        "Graphviz's `dot` is not installed, so {0} cannot be drawn; write a .dot file instead (`--out graph.dot`) or install Graphviz"
    )]
    NoGraphviz(String),
    /// `dot` failed.
    #[error("dot failed on {path}: {message}")]
    Dot {
        /// The file asked for.
        path: String,
        /// What `dot` said.
        message: String,
    },
    /// The execution order could not be computed (unknown function...).
    #[error("cannot order the tasks: {0}")]
    Order(#[from] tessera_runtime::PlanError),
    /// The file could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// A stable node id: FNV-1a of the text, in hexadecimal, after a prefix.
fn node_id(prefix: char, text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{prefix}{h:016x}")
}

/// A DOT string literal.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A colour from blue (0) to red (1), through white, like Dask's `RdBu` reversed.
fn ramp(x: f64) -> String {
    let x = x.clamp(0.0, 1.0);
    let (r, g, b) = if x < 0.5 {
        let t = x / 0.5;
        (33.0 + t * 214.0, 102.0 + t * 145.0, 172.0 + t * 75.0)
    } else {
        let t = (x - 0.5) / 0.5;
        (247.0 - t * 69.0, 247.0 - t * 223.0, 247.0 - t * 204.0)
    };
    format!("#{:02x}{:02x}{:02x}", r as u8, g as u8, b as u8)
}

/// The DOT of a task graph: a box per task's value (labelled by its key), a
/// circle per call (labelled by its function), edges from inputs to calls and
/// from calls to their values. `color` needs the registry to order the tasks.
pub fn tasks_dot(
    graph: &TaskGraph,
    outputs: &[TaskId],
    color: Color,
    registry: &Registry,
) -> Result<String, VizError> {
    let rank: Option<Vec<Option<f64>>> = match color {
        Color::None => None,
        Color::Order => Some(order_ranks(graph, outputs, registry)?),
    };
    let mut out = String::from("digraph {\n  graph [rankdir=BT];\n");
    for (i, task) in graph.tasks().iter().enumerate() {
        let key = task.key.as_str();
        let data = node_id('d', key);
        let fill = rank
            .as_ref()
            .and_then(|r| r[i])
            .map(|x| format!(", style=filled, fillcolor={}", quoted(&ramp(x))))
            .unwrap_or_default();
        let _ = writeln!(out, "  {data} [label={}, shape=box{fill}];", quoted(key));
        let func = match &task.expr {
            TaskExpr::Call(call) => Some(call.func.to_string()),
            TaskExpr::List(_) => Some("list".to_owned()),
            TaskExpr::Ref(_) => Some("alias".to_owned()),
            TaskExpr::Literal(_) => None,
        };
        let Some(func) = func else { continue };
        let call = node_id('f', key);
        let _ = writeln!(
            out,
            "  {call} [label={}, shape=circle{fill}];",
            quoted(&func)
        );
        let _ = writeln!(out, "  {call} -> {data};");
        let mut seen = std::collections::HashSet::new();
        task.expr.for_each_ref(&mut |dep| {
            if seen.insert(dep) {
                let key = graph.task(dep).key.as_str();
                let _ = writeln!(out, "  {} -> {call};", node_id('d', key));
            }
        });
    }
    out.push_str("}\n");
    Ok(out)
}

/// Each task's place in the `dask-order` policy's order, from 0 to 1 (`None`
/// for tasks the outputs do not need).
fn order_ranks(
    graph: &TaskGraph,
    outputs: &[TaskId],
    registry: &Registry,
) -> Result<Vec<Option<f64>>, VizError> {
    let plan = Plan::new(graph, outputs, registry)?;
    let policy = tessera_runtime::policy::by_name("dask-order").expect("the default policy");
    let priorities = policy.priorities(&plan);
    let mut order: Vec<u32> = (0..plan.len() as u32).collect();
    order.sort_by_key(|&t| (priorities[t as usize], t));
    let mut rank = vec![None; graph.len()];
    let span = (plan.len().max(2) - 1) as f64;
    for (pos, &t) in order.iter().enumerate() {
        rank[plan.task_id(t).index()] = Some(pos as f64 / span);
    }
    Ok(rank)
}

/// The DOT of an array-level graph: one box per node (`id`, op, and shape and
/// dtype for arrays), edges from arguments to users, colour by topological
/// position when `color` is [`Color::Order`].
pub fn expr_dot(graph: &ValidGraph, color: Color) -> String {
    let mut out = String::from("digraph {\n  graph [rankdir=BT];\n");
    let span = (graph.len().max(2) - 1) as f64;
    for (i, node) in graph.nodes.iter().enumerate() {
        let id = node_id('n', &node.id);
        let mut label = format!("{}\n{}", node.id, node.op.name);
        if let Meta::Array(a) = &node.meta {
            let _ = write!(label, "\n{:?} {}", a.shape, a.dtype);
        }
        let fill = match color {
            Color::None => String::new(),
            Color::Order => format!(
                ", style=filled, fillcolor={}",
                quoted(&ramp(i as f64 / span))
            ),
        };
        let shape = if node.args.is_empty() {
            "box"
        } else {
            "ellipse"
        };
        let _ = writeln!(
            out,
            "  {id} [label={}, shape={shape}{fill}];",
            quoted(&label)
        );
        let mut stack: Vec<&ValidArg> = node.args.iter().collect();
        let mut seen = Vec::new();
        while let Some(arg) = stack.pop() {
            match arg {
                ValidArg::Node(d) if !seen.contains(d) => {
                    seen.push(*d);
                    let _ = writeln!(out, "  {} -> {id};", node_id('n', &graph.node(*d).id));
                }
                ValidArg::List(items) => stack.extend(items),
                _ => {}
            }
        }
    }
    out.push_str("}\n");
    out
}

impl VizError {
    /// The exit status of `tessera viz`: 2 for an invalid document, else 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            VizError::Invalid(_) => 2,
            VizError::Optimize(tessera_compiler::OptimizeError::UnknownPass { .. }) => 2,
            _ => 1,
        }
    }
}

/// The DOT of a document (either dialect) at `level`: the plan that runs — the
/// optimized graph (with `optimize`'s passes) and, for documents without array
/// nodes, the task graph after cull, inline and linear fusion — or, with
/// `optimize` `None`, the document as written.
pub fn document_dot(
    text: &str,
    ctx: &tessera_ir::InferContext,
    level: Level,
    color: Color,
    optimize: Option<&tessera_compiler::OptimizeOptions>,
) -> Result<String, VizError> {
    let registry = crate::registry::default_registry();
    let doc = tessera_ir::parse_document(text).map_err(VizError::Invalid)?;
    let loaded = crate::run::load_document(&doc, ctx).map_err(VizError::Invalid)?;
    let plan = |graph: tessera_ir::ValidGraph| -> Result<tessera_ir::ValidGraph, VizError> {
        Ok(match optimize {
            Some(options) => {
                let mut options = options.clone();
                options.infer = ctx.clone();
                tessera_compiler::optimize(&graph, &options)?.graph
            }
            None => graph,
        })
    };
    match (level, loaded) {
        (Level::Tasks, crate::run::Loaded::Tasks(t)) => {
            let program = tessera_compiler::TaskProgram {
                graph: t.graph,
                outputs: t.outputs,
            };
            let program = match optimize {
                Some(_) => {
                    tessera_compiler::optimize_tasks(
                        program,
                        tessera_compiler::TaskPasses::default(),
                    )
                    .0
                }
                None => program,
            };
            tasks_dot(&program.graph, &program.outputs, color, registry)
        }
        (Level::Tasks, crate::run::Loaded::Graph(graph)) => {
            let options = tessera_compiler::LowerOptions {
                files: ctx.clone(),
                ..Default::default()
            };
            let lowered = tessera_compiler::lower(&plan(graph)?, &options)?;
            tasks_dot(&lowered.graph, &lowered.outputs, color, registry)
        }
        (Level::Expr, crate::run::Loaded::Graph(graph)) => Ok(expr_dot(&plan(graph)?, color)),
        (Level::Expr, crate::run::Loaded::Tasks(_)) => {
            let graph = tessera_ir::validate(&doc, ctx).map_err(VizError::Invalid)?;
            Ok(expr_dot(&graph, color))
        }
    }
}

/// Writes `dot` to `path`: DOT text for `.dot`/`.gv` (or any other extension),
/// SVG or PNG through Graphviz's `dot` for `.svg` and `.png`.
pub fn write_picture(dot: &str, path: &Path) -> Result<(), VizError> {
    let shown = path.display().to_string();
    let format = match path.extension().and_then(|e| e.to_str()) {
        Some("svg") => Some("svg"),
        Some("png") => Some("png"),
        _ => None,
    };
    let Some(format) = format else {
        return std::fs::write(path, dot).map_err(|source| VizError::Io {
            path: shown,
            source,
        });
    };
    let child = Command::new("dot")
        .arg(format!("-T{format}"))
        .arg("-o")
        .arg(path)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(VizError::NoGraphviz(shown));
        }
        Err(source) => {
            return Err(VizError::Io {
                path: shown,
                source,
            });
        }
    };
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(dot.as_bytes())
            .map_err(|source| VizError::Io {
                path: shown.clone(),
                source,
            })?;
    }
    let output = child.wait_with_output().map_err(|source| VizError::Io {
        path: shown.clone(),
        source,
    })?;
    if !output.status.success() {
        return Err(VizError::Dot {
            path: shown,
            message: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::{Loaded, load};
    use tessera_ir::InferContext;

    fn tasks_of(text: &str) -> (TaskGraph, Vec<TaskId>) {
        match load(text, &InferContext::default()).unwrap() {
            Loaded::Tasks(t) => (t.graph, t.outputs),
            Loaded::Graph(_) => panic!("a task graph"),
        }
    }

    const DASK: &str = r#"{"tessera": 1, "dialect": "dask",
        "graph": {"x": 1, "y": ["inc", "x"], "z": ["add", "y", 10], "w": ["sum", ["x", "y", "z"]]},
        "outputs": ["w"]}"#;

    #[test]
    fn task_level_dot() {
        let (g, o) = tasks_of(DASK);
        let dot = tasks_dot(&g, &o, Color::None, crate::registry::default_registry()).unwrap();
        insta::assert_snapshot!("tasks_plain", dot);
    }

    #[test]
    fn task_level_dot_coloured_by_order() {
        let (g, o) = tasks_of(DASK);
        let dot = tasks_dot(&g, &o, Color::Order, crate::registry::default_registry()).unwrap();
        insta::assert_snapshot!("tasks_order", dot);
    }

    #[test]
    fn expr_level_dot() {
        let graph = tessera_ir::parse_and_validate(
            r#"{"tessera": 1, "nodes": {
                "a": {"op": "ones", "shape": [4, 4], "chunks": 2},
                "b": {"op": "exp", "args": ["a"]},
                "c": {"op": "add", "args": ["a", "b"]}}, "outputs": ["c"]}"#,
            &InferContext::default(),
        )
        .unwrap();
        insta::assert_snapshot!("expr_order", expr_dot(&graph, Color::Order));
    }

    #[test]
    fn ids_are_stable_and_distinct() {
        assert_eq!(node_id('d', "x"), node_id('d', "x"));
        assert_ne!(node_id('d', "x"), node_id('d', "y"));
        assert_eq!(quoted("a\"b\n"), r#""a\"b\n""#);
        assert_eq!(ramp(0.0), "#2166ac");
        assert_eq!(ramp(1.0), "#b2182b");
    }

    #[test]
    fn svg_without_graphviz_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.svg");
        match write_picture("digraph {}\n", &path) {
            Err(VizError::NoGraphviz(p)) => {
                assert!(p.ends_with("g.svg"));
                assert!(!path.exists());
            }
            // Graphviz is installed: the picture is drawn.
            Ok(()) => assert!(std::fs::read_to_string(&path).unwrap().contains("<svg")),
            Err(e) => panic!("{e}"),
        }
        let dotfile = dir.path().join("g.dot");
        write_picture("digraph {}\n", &dotfile).unwrap();
        assert_eq!(std::fs::read_to_string(dotfile).unwrap(), "digraph {}\n");
    }
}
