//! Inline: constants and aliases are written into the tasks that use them
//! (Dask's `inline` of constants, plus aliases `identity(x)` replaced by `x`).
//! A literal is inlined when it is small or used by one task; an in-memory value
//! is shared, so it is always inlined. Outputs are never inlined.

use tessera_ir::{Literal, TaskExpr, TaskGraph, TaskId};

use super::{TaskProgram, compact, dependent_counts, map_refs};

/// A JSON literal of at most this many values is copied into every user.
const SMALL_LITERAL: usize = 16;

/// The graph with constants and aliases inlined; tasks left unused are dropped.
pub fn inline(graph: &TaskGraph, outputs: &[TaskId]) -> TaskProgram {
    inline_changed(graph, outputs).unwrap_or_else(|| TaskProgram::of(graph, outputs))
}

/// [`inline`], or `None` when nothing is inlined (nothing to rebuild).
pub(crate) fn inline_changed(graph: &TaskGraph, outputs: &[TaskId]) -> Option<TaskProgram> {
    let n = graph.len();
    let users = dependent_counts(graph);
    let mut is_output = vec![false; n];
    for o in outputs {
        is_output[o.index()] = true;
    }
    // What a reference to each task becomes: `None` keeps the reference.
    let mut subst: Vec<Option<TaskExpr>> = vec![None; n];
    // 0: not looked at, 1: being resolved (an alias chain), 2: done.
    let mut state = vec![0u8; n];
    let mut chain: Vec<usize> = Vec::new();
    for start in 0..n {
        if state[start] != 0 {
            continue;
        }
        // Follow an alias chain to its end with an explicit list, then resolve
        // it backwards: every task is resolved once.
        let mut at = start;
        let end_value: Option<TaskExpr> = loop {
            if state[at] == 2 {
                break Some(
                    subst[at]
                        .clone()
                        .unwrap_or(TaskExpr::Ref(TaskId(at as u32))),
                );
            }
            if state[at] == 1 {
                // A cycle of aliases: leave every task of it as it is.
                break None;
            }
            state[at] = 1;
            chain.push(at);
            if is_output[at] {
                break Some(TaskExpr::Ref(TaskId(at as u32)));
            }
            match &graph.tasks()[at].expr {
                TaskExpr::Literal(lit) if inlinable(lit, users[at]) => {
                    break Some(TaskExpr::Literal(lit.clone()));
                }
                expr => match alias_target(expr) {
                    Some(target) => at = target.index(),
                    None => break Some(TaskExpr::Ref(TaskId(at as u32))),
                },
            }
        };
        for &t in chain.iter().rev() {
            state[t] = 2;
            subst[t] = match &end_value {
                Some(TaskExpr::Ref(id)) if id.index() == t => None,
                Some(e) => Some(e.clone()),
                None => None,
            };
        }
        chain.clear();
    }
    if subst.iter().all(Option::is_none) {
        return None;
    }
    // Keep what a kept task or an output still refers to.
    let mut keep = vec![false; n];
    for (i, s) in subst.iter().enumerate() {
        keep[i] = s.is_none();
    }
    let exprs: Vec<Option<TaskExpr>> = graph
        .tasks()
        .iter()
        .enumerate()
        .map(|(i, task)| {
            keep[i].then(|| {
                map_refs(&task.expr, &mut |d| {
                    subst[d.index()].clone().unwrap_or(TaskExpr::Ref(d))
                })
            })
        })
        .collect();
    let mut exprs = exprs;
    let program = compact(graph, outputs, &keep, |id| {
        exprs[id.index()]
            .take()
            .expect("a kept task has an expression")
    });
    Some(super::cull(&program.graph, &program.outputs))
}

/// `identity(x)` with no keyword arguments: an alias of task `x`.
fn alias_target(expr: &TaskExpr) -> Option<TaskId> {
    match expr {
        TaskExpr::Call(call)
            if &*call.func == "identity" && call.kwargs.is_empty() && call.args.len() == 1 =>
        {
            match call.args[0] {
                TaskExpr::Ref(id) => Some(id),
                _ => None,
            }
        }
        _ => None,
    }
}

fn inlinable(lit: &Literal, users: u32) -> bool {
    match lit {
        Literal::Opaque(_) => true,
        Literal::Json(v) => users <= 1 || json_size(v, SMALL_LITERAL + 1) <= SMALL_LITERAL,
    }
}

/// The number of JSON values in `v` (1 for a scalar), counting up to `limit`.
fn json_size(v: &serde_json::Value, limit: usize) -> usize {
    let mut count = 0;
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        count += 1;
        if count >= limit {
            return count;
        }
        match v {
            serde_json::Value::Array(items) => stack.extend(items),
            serde_json::Value::Object(m) => stack.extend(m.values()),
            _ => {}
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::super::render;
    use super::super::testing::{call, lit, program, r};
    use super::*;

    #[test]
    fn constants_and_aliases_are_inlined() {
        let p = program(
            &[
                ("x", lit(1)),
                ("y", call("inc", vec![r(0)])),
                ("al", call("identity", vec![r(1)])),
                ("al2", call("identity", vec![r(2)])),
                ("z", call("add", vec![r(3), r(0)])),
            ],
            &["z"],
        );
        assert_eq!(
            render(&inline(&p.graph, &p.outputs)),
            "y = inc(1)\nz = add(@y, 1)\noutputs: z"
        );
    }

    #[test]
    fn outputs_and_large_shared_literals_stay() {
        let big = TaskExpr::Literal(Literal::json((0..20).collect::<Vec<i64>>()));
        let p = program(
            &[
                ("big", big),
                ("a", call("sum", vec![r(0)])),
                ("b", call("len", vec![r(0)])),
                ("x", lit(2)),
                ("al", call("identity", vec![r(3)])),
            ],
            &["a", "b", "al", "x"],
        );
        let out = render(&inline(&p.graph, &p.outputs));
        assert!(out.starts_with("big = [0,1,2"), "{out}");
        assert!(
            out.ends_with(
                "a = sum(@big)\nb = len(@big)\nx = 2\nal = identity(@x)\noutputs: a, b, al, x"
            ),
            "{out}"
        );
    }

    #[test]
    fn alias_cycles_are_left_alone() {
        let p = program(
            &[
                ("a", call("identity", vec![r(1)])),
                ("b", call("identity", vec![r(0)])),
                ("c", call("inc", vec![r(0)])),
            ],
            &["c"],
        );
        assert_eq!(
            render(&inline(&p.graph, &p.outputs)),
            "a = identity(@b)\nb = identity(@a)\nc = inc(@a)\noutputs: c"
        );
    }
}
