//! Cull: keep only the tasks the outputs need (Dask's `cull`), in their order.

use tessera_ir::{TaskGraph, TaskId};

use super::{TaskProgram, compact};

/// The tasks `outputs` depend on, directly or not, with the outputs; ids are
/// renumbered in the original order. Linear in the graph's size (explicit stack).
pub fn cull(graph: &TaskGraph, outputs: &[TaskId]) -> TaskProgram {
    cull_changed(graph, outputs).unwrap_or_else(|| TaskProgram::of(graph, outputs))
}

/// [`cull`], or `None` when every task is needed (nothing to rebuild).
pub(crate) fn cull_changed(graph: &TaskGraph, outputs: &[TaskId]) -> Option<TaskProgram> {
    let mut keep = vec![false; graph.len()];
    let mut stack: Vec<TaskId> = Vec::new();
    for &o in outputs {
        if !keep[o.index()] {
            keep[o.index()] = true;
            stack.push(o);
        }
    }
    while let Some(id) = stack.pop() {
        graph.task(id).expr.for_each_ref(&mut |d| {
            if !keep[d.index()] {
                keep[d.index()] = true;
                stack.push(d);
            }
        });
    }
    if keep.iter().all(|&k| k) {
        return None;
    }
    Some(compact(graph, outputs, &keep, |id| {
        graph.task(id).expr.clone()
    }))
}

#[cfg(test)]
mod tests {
    use super::super::render;
    use super::super::testing::{call, lit, program, r};
    use super::*;

    #[test]
    fn keeps_what_the_outputs_need() {
        let p = program(
            &[
                ("a", lit(1)),
                ("unused", call("inc", vec![r(0)])),
                ("b", call("inc", vec![r(0)])),
                (
                    "c",
                    call(
                        "add",
                        vec![r(2), tessera_ir::TaskExpr::List(vec![r(0), lit(3)])],
                    ),
                ),
                ("d", call("dec", vec![r(1)])),
            ],
            &["c", "b"],
        );
        assert_eq!(
            render(&p),
            "a = 1\nunused = inc(@a)\nb = inc(@a)\nc = add(@b, [@a, 3])\nd = dec(@unused)\noutputs: c, b"
        );
        let culled = cull(&p.graph, &p.outputs);
        assert_eq!(
            render(&culled),
            "a = 1\nb = inc(@a)\nc = add(@b, [@a, 3])\noutputs: c, b"
        );
    }

    #[test]
    fn a_long_chain_does_not_grow_the_stack() {
        let n = 200_000u32;
        let mut tasks = vec![("k".to_string(), lit(0))];
        for i in 1..n {
            tasks.push((format!("k{i}"), call("inc", vec![r(i - 1)])));
        }
        let named: Vec<(&str, _)> = tasks.iter().map(|(k, e)| (k.as_str(), e.clone())).collect();
        let last = format!("k{}", n - 1);
        let p = program(&named, &[last.as_str()]);
        assert_eq!(cull(&p.graph, &p.outputs).graph.len(), n as usize);
        let p = program(&named, &["k1"]);
        assert_eq!(cull(&p.graph, &p.outputs).graph.len(), 2);
    }
}
