//! Task-graph passes: rewrites of a [`TaskGraph`] that keep every requested
//! output's value. One pass per file: [`cull`] (drop what the outputs do not
//! need), [`fuse_linear`] (linear chains become one task, as Dask's `fuse`) and
//! [`inline`] (constants and aliases are written into their users, as Dask's
//! `inline`). Each runs in time linear in the size of the graph, with explicit
//! stacks: graph depth never grows the call stack.

mod cull;
mod fuse_linear;
mod inline;

use std::fmt::Write as _;
use std::time::Instant;

use tessera_ir::{Literal, Provenance, TaskExpr, TaskGraph, TaskId};

pub use cull::cull;
pub use fuse_linear::{MAX_CHAIN, fuse_linear};
pub use inline::inline;

/// A graph with the tasks to compute.
#[derive(Debug, Clone)]
pub struct TaskProgram {
    /// The tasks.
    pub graph: TaskGraph,
    /// The tasks whose values are wanted, in order (the same task may repeat).
    pub outputs: Vec<TaskId>,
}

impl TaskProgram {
    /// A copy of `graph` with `outputs`.
    pub fn of(graph: &TaskGraph, outputs: &[TaskId]) -> TaskProgram {
        TaskProgram {
            graph: graph.clone(),
            outputs: outputs.to_vec(),
        }
    }
}

/// Which passes [`optimize_tasks`] runs.
#[derive(Debug, Clone, Copy)]
pub struct TaskPasses {
    /// Inline constants and aliases.
    pub inline: bool,
    /// Fuse linear chains.
    pub fuse: bool,
}

impl Default for TaskPasses {
    fn default() -> TaskPasses {
        TaskPasses {
            inline: true,
            fuse: true,
        }
    }
}

/// What [`optimize_tasks`] did: the task count after each pass and its time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PassReport {
    /// `(pass name, tasks after it, seconds)`, in the order run.
    pub passes: Vec<(&'static str, usize, f64)>,
}

impl PassReport {
    /// Total seconds spent in the passes.
    pub fn seconds(&self) -> f64 {
        self.passes.iter().map(|p| p.2).sum()
    }
}

/// Runs cull, then inline (which culls what it left unused), then linear fusion,
/// each when enabled. A pass that changes nothing costs no copy of the graph.
pub fn optimize_tasks(program: TaskProgram, passes: TaskPasses) -> (TaskProgram, PassReport) {
    type Pass = dyn Fn(&TaskProgram) -> Option<TaskProgram>;
    let mut report = PassReport::default();
    let mut timed = |name, program: TaskProgram, pass: &Pass| {
        let start = Instant::now();
        let out = pass(&program).unwrap_or(program);
        report
            .passes
            .push((name, out.graph.len(), start.elapsed().as_secs_f64()));
        out
    };
    let mut p = timed("cull", program, &|p| {
        cull::cull_changed(&p.graph, &p.outputs)
    });
    if passes.inline {
        p = timed("inline", p, &|p| {
            inline::inline_changed(&p.graph, &p.outputs)
        });
    }
    if passes.fuse {
        p = timed("fuse_linear", p, &|p| {
            fuse_linear::fuse_linear_changed(&p.graph, &p.outputs, MAX_CHAIN)
        });
    }
    (p, report)
}

/// For each task, the number of distinct tasks that refer to it.
pub(crate) fn dependent_counts(graph: &TaskGraph) -> Vec<u32> {
    let mut counts = vec![0u32; graph.len()];
    // The last user counted for each task: a user with many references to one
    // task (or a million different ones) stays linear.
    let mut counted_by = vec![u32::MAX; graph.len()];
    for (user, task) in graph.tasks().iter().enumerate() {
        task.expr.for_each_ref(&mut |d| {
            if counted_by[d.index()] != user as u32 {
                counted_by[d.index()] = user as u32;
                counts[d.index()] += 1;
            }
        });
    }
    counts
}

/// Rewrites every reference of `expr` with `f` (the result replaces the `Ref`).
/// The walk follows the expression's own nesting, bounded by how deep a task's
/// expression is written, never by the depth of the graph.
pub(crate) fn map_refs(expr: &TaskExpr, f: &mut impl FnMut(TaskId) -> TaskExpr) -> TaskExpr {
    match expr {
        TaskExpr::Ref(id) => f(*id),
        TaskExpr::Literal(l) => TaskExpr::Literal(l.clone()),
        TaskExpr::List(items) => TaskExpr::List(items.iter().map(|e| map_refs(e, f)).collect()),
        TaskExpr::Call(call) => TaskExpr::Call(tessera_ir::Call {
            func: call.func.clone(),
            args: call.args.iter().map(|e| map_refs(e, f)).collect(),
            kwargs: call.kwargs.clone(),
        }),
    }
}

/// Keeps the tasks with `keep[i]`, in order, with expressions from `expr(i)`
/// whose references are to old ids; the outputs are mapped to the new ids.
pub(crate) fn compact(
    graph: &TaskGraph,
    outputs: &[TaskId],
    keep: &[bool],
    mut expr: impl FnMut(TaskId) -> TaskExpr,
) -> TaskProgram {
    let mut new_id = vec![u32::MAX; graph.len()];
    let mut next = 0u32;
    for (i, &k) in keep.iter().enumerate() {
        if k {
            new_id[i] = next;
            next += 1;
        }
    }
    let mut out = TaskGraph::with_capacity(next as usize);
    for (i, task) in graph.tasks().iter().enumerate() {
        if !keep[i] {
            continue;
        }
        let e = map_refs(&expr(TaskId(i as u32)), &mut |d| {
            debug_assert_ne!(
                new_id[d.index()],
                u32::MAX,
                "a kept task uses a dropped one"
            );
            TaskExpr::Ref(TaskId(new_id[d.index()]))
        });
        out.add(task.key.clone(), e)
            .expect("keys of a graph are unique");
    }
    out.set_provenance(kept_provenance(graph.provenance(), &new_id));
    TaskProgram {
        graph: out,
        outputs: outputs.iter().map(|o| TaskId(new_id[o.index()])).collect(),
    }
}

/// The provenance of the tasks kept, under their new ids (`u32::MAX`: dropped).
fn kept_provenance(old: &Provenance, new_id: &[u32]) -> Provenance {
    let task_nodes = old
        .task_nodes
        .iter()
        .zip(new_id)
        .filter(|&(_, &n)| n != u32::MAX)
        .map(|(&node, _)| node)
        .collect();
    let fused = old
        .fused
        .iter()
        .filter(|(id, _)| new_id.get(id.index()).is_some_and(|&n| n != u32::MAX))
        .map(|(id, parts)| (TaskId(new_id[id.index()]), parts.clone()))
        .collect();
    Provenance {
        nodes: old.nodes.clone(),
        task_nodes,
        fused,
    }
}

/// A text rendering of a graph, one task per line (`key = expr`, references
/// written `@key`), then the outputs: for tests and debugging.
pub fn render(program: &TaskProgram) -> String {
    let mut out = String::new();
    for task in program.graph.tasks() {
        let _ = writeln!(
            out,
            "{} = {}",
            task.key,
            render_expr(&program.graph, &task.expr)
        );
    }
    let names: Vec<&str> = program
        .outputs
        .iter()
        .map(|&o| program.graph.task(o).key.as_str())
        .collect();
    let _ = write!(out, "outputs: {}", names.join(", "));
    out
}

fn render_expr(graph: &TaskGraph, expr: &TaskExpr) -> String {
    match expr {
        TaskExpr::Ref(id) => format!("@{}", graph.task(*id).key),
        TaskExpr::Literal(Literal::Json(v)) => v.to_string(),
        TaskExpr::Literal(Literal::Opaque(_)) => "<value>".into(),
        TaskExpr::List(items) => {
            let parts: Vec<String> = items.iter().map(|e| render_expr(graph, e)).collect();
            format!("[{}]", parts.join(", "))
        }
        TaskExpr::Call(call) => {
            let parts: Vec<String> = call.args.iter().map(|e| render_expr(graph, e)).collect();
            format!("{}({})", call.func, parts.join(", "))
        }
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Small graphs written as text for the passes' tests.

    use tessera_ir::{Call, Literal, TaskExpr, TaskGraph, TaskId, TaskKey};

    use super::TaskProgram;

    /// `call("inc", [ref(a)])`-style builders.
    pub(crate) fn call(func: &str, args: Vec<TaskExpr>) -> TaskExpr {
        TaskExpr::Call(Call {
            func: func.into(),
            args,
            kwargs: Default::default(),
        })
    }

    pub(crate) fn lit(v: i64) -> TaskExpr {
        TaskExpr::Literal(Literal::json(v))
    }

    /// A graph from `(key, expr)` pairs where references are written by key
    /// through `r(name)` placeholders resolved in a second step.
    pub(crate) fn program(tasks: &[(&str, TaskExpr)], outputs: &[&str]) -> TaskProgram {
        let mut graph = TaskGraph::new();
        for (key, _) in tasks {
            graph.reserve(TaskKey::new(*key)).unwrap();
        }
        for (i, (_, expr)) in tasks.iter().enumerate() {
            graph.set_expr(TaskId(i as u32), expr.clone());
        }
        let outputs = outputs
            .iter()
            .map(|k| graph.id_of(&TaskKey::new(*k)).unwrap())
            .collect();
        TaskProgram { graph, outputs }
    }

    /// A reference to the task at position `i` of the list given to [`program`].
    pub(crate) fn r(i: u32) -> TaskExpr {
        TaskExpr::Ref(TaskId(i))
    }
}
