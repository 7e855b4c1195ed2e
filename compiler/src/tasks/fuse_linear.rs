//! Linear fusion: a chain of tasks where each one's only user is the next, and
//! the next uses nothing else, becomes one task whose expression nests the
//! calls (Dask's `fuse`). The fused task keeps the key of the chain's last task
//! (the one the rest of the graph refers to); inner keys disappear from the
//! graph but are kept in its provenance, with the calls that evaluate each, so
//! a failure names the task that failed.

use std::collections::HashMap;

use tessera_ir::{FusedPart, TaskExpr, TaskGraph, TaskId};

use super::{TaskProgram, compact, dependent_counts, map_refs};

/// Most tasks fused into one: longer chains are cut into pieces of this length,
/// so a task's expression stays shallow.
pub const MAX_CHAIN: usize = 64;

/// The graph with linear chains fused, at most `max_chain` tasks per fused task.
pub fn fuse_linear(graph: &TaskGraph, outputs: &[TaskId], max_chain: usize) -> TaskProgram {
    fuse_linear_changed(graph, outputs, max_chain)
        .unwrap_or_else(|| TaskProgram::of(graph, outputs))
}

/// [`fuse_linear`], or `None` when no chain fuses (nothing to rebuild).
pub(crate) fn fuse_linear_changed(
    graph: &TaskGraph,
    outputs: &[TaskId],
    max_chain: usize,
) -> Option<TaskProgram> {
    let n = graph.len();
    let users = dependent_counts(graph);
    let mut is_output = vec![false; n];
    for o in outputs {
        is_output[o.index()] = true;
    }
    // below[p] = c when p's only dependency is c, used once.
    let mut below: Vec<Option<TaskId>> = vec![None; n];
    for (p, task) in graph.tasks().iter().enumerate() {
        let mut only: Option<TaskId> = None;
        let mut uses = 0usize;
        let mut single = true;
        task.expr.for_each_ref(&mut |d| {
            uses += 1;
            match only {
                None => only = Some(d),
                Some(o) if o == d => {}
                Some(_) => single = false,
            }
        });
        if single && uses == 1 {
            below[p] = only;
        }
    }
    // absorbed[c]: c is written into the task above it.
    let mut absorbed = vec![false; n];
    for (p, c) in below.iter().enumerate() {
        if let Some(c) = c {
            let c = c.index();
            absorbed[c] = users[c] == 1 && !is_output[c] && c != p;
        }
    }
    if !absorbed.iter().any(|&a| a) {
        return None;
    }
    // Walk each chain from its top; cut it every `max_chain` tasks.
    let max_chain = max_chain.max(1);
    let mut tops: Vec<usize> = (0..n).filter(|&t| !absorbed[t]).collect();
    let mut fused: Vec<Option<TaskExpr>> = vec![None; n];
    let mut parts_of: HashMap<usize, Vec<FusedPart>> = HashMap::new();
    let mut chain: Vec<usize> = Vec::new();
    while let Some(top) = tops.pop() {
        chain.clear();
        chain.push(top);
        let mut at = top;
        while let Some(c) = below[at].filter(|c| absorbed[c.index()]) {
            if chain.len() == max_chain {
                absorbed[c.index()] = false;
                tops.push(c.index());
                break;
            }
            chain.push(c.index());
            at = c.index();
        }
        if chain.len() == 1 {
            continue;
        }
        let bottom = *chain.last().expect("a chain has a task");
        let mut inner = Some(graph.tasks()[bottom].expr.clone());
        // Innermost first; each part's calls, then shifted as the chain grows.
        let mut parts = vec![FusedPart {
            key: graph.tasks()[bottom].key.clone(),
            calls: 0..count_calls(&graph.tasks()[bottom].expr),
        }];
        for &t in chain.iter().rev().skip(1) {
            let target = below[t].expect("an inner task has one dependency");
            let expr = &graph.tasks()[t].expr;
            let before = calls_before(expr, target);
            let inner_calls = parts.last().map_or(0, |p| p.calls.end);
            for p in &mut parts {
                p.calls = p.calls.start + before..p.calls.end + before;
            }
            parts.push(FusedPart {
                key: graph.tasks()[t].key.clone(),
                calls: 0..count_calls(expr) + inner_calls,
            });
            inner = Some(map_refs(expr, &mut |d| {
                if d == target {
                    inner.take().expect("the dependency is used once")
                } else {
                    TaskExpr::Ref(d)
                }
            }));
        }
        fused[top] = inner;
        parts.reverse();
        parts_of.insert(top, parts);
    }
    let keep: Vec<bool> = absorbed.iter().map(|a| !a).collect();
    let mut program = compact(graph, outputs, &keep, |id| {
        fused[id.index()]
            .take()
            .unwrap_or_else(|| graph.task(id).expr.clone())
    });
    let mut provenance = program.graph.provenance().clone();
    for (top, parts) in parts_of {
        let id = program
            .graph
            .id_of(&graph.tasks()[top].key)
            .expect("a chain's top is kept");
        provenance.fused.insert(id, parts);
    }
    program.graph.set_provenance(provenance);
    Some(program)
}

/// The calls in `expr`.
fn count_calls(expr: &TaskExpr) -> u32 {
    let mut n = 0;
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        match e {
            TaskExpr::Call(call) => {
                n += 1;
                stack.extend(&call.args);
            }
            TaskExpr::List(items) => stack.extend(items),
            TaskExpr::Ref(_) | TaskExpr::Literal(_) => {}
        }
    }
    n
}

/// The calls of `expr` completed before reference `target` is read, when
/// `expr` is evaluated arguments first, in order (as the runtime does).
fn calls_before(expr: &TaskExpr, target: TaskId) -> u32 {
    enum Step<'e> {
        Enter(&'e TaskExpr),
        CallDone,
    }
    let mut done = 0;
    let mut stack = vec![Step::Enter(expr)];
    while let Some(step) = stack.pop() {
        match step {
            Step::CallDone => done += 1,
            Step::Enter(TaskExpr::Ref(id)) if *id == target => return done,
            Step::Enter(TaskExpr::Ref(_) | TaskExpr::Literal(_)) => {}
            Step::Enter(TaskExpr::List(items)) => {
                stack.extend(items.iter().rev().map(Step::Enter));
            }
            Step::Enter(TaskExpr::Call(call)) => {
                stack.push(Step::CallDone);
                stack.extend(call.args.iter().rev().map(Step::Enter));
            }
        }
    }
    done
}

#[cfg(test)]
mod tests {
    use super::super::render;
    use super::super::testing::{call, lit, program, r};
    use super::*;

    #[test]
    fn chains_become_one_task() {
        // a -> b -> c -> d, and e uses a and d: b, c fuse into d.
        let p = program(
            &[
                ("a", lit(1)),
                ("b", call("inc", vec![r(0)])),
                ("c", call("inc", vec![r(1)])),
                ("d", call("dec", vec![r(2)])),
                ("e", call("add", vec![r(3), r(0)])),
            ],
            &["e"],
        );
        assert_eq!(
            render(&fuse_linear(&p.graph, &p.outputs, MAX_CHAIN)),
            "a = 1\nd = dec(inc(inc(@a)))\ne = add(@d, @a)\noutputs: e"
        );
    }

    #[test]
    fn shared_outputs_and_double_uses_stop_a_chain() {
        let p = program(
            &[
                ("a", lit(1)),
                ("b", call("inc", vec![r(0)])),
                ("c", call("add", vec![r(1), r(1)])),
                ("d", call("inc", vec![r(2)])),
                ("e", call("inc", vec![r(3)])),
            ],
            &["e", "d"],
        );
        assert_eq!(
            render(&fuse_linear(&p.graph, &p.outputs, MAX_CHAIN)),
            // a fuses into b; c uses b twice, so b stays; d is an output: it stays
            // and takes c in; e uses d, an output, so it stays apart.
            "b = inc(1)\nd = inc(add(@b, @b))\ne = inc(@d)\noutputs: e, d"
        );
    }

    #[test]
    fn long_chains_are_cut() {
        let n = 1000u32;
        let mut tasks = vec![("k0".to_string(), lit(0))];
        for i in 1..n {
            tasks.push((format!("k{i}"), call("inc", vec![r(i - 1)])));
        }
        let named: Vec<(&str, _)> = tasks.iter().map(|(k, e)| (k.as_str(), e.clone())).collect();
        let p = program(&named, &["k999"]);
        let fused = fuse_linear(&p.graph, &p.outputs, 10);
        assert_eq!(fused.graph.len(), 100);
        assert_eq!(render(&fused).lines().last(), Some("outputs: k999"));
        let first = render(&fused).lines().next().unwrap().to_string();
        assert_eq!(first, "k9 = inc(inc(inc(inc(inc(inc(inc(inc(inc(0)))))))))");
    }

    #[test]
    fn a_wide_merge_stays_linear() {
        // 200,000 leaves used by one task: quadratic bookkeeping would take minutes.
        let n = 200_000u32;
        let mut tasks: Vec<(String, TaskExpr)> = (0..n)
            .map(|i| (format!("x{i}"), call("inc", vec![lit(i as i64)])))
            .collect();
        tasks.push((
            "total".into(),
            call("sum", vec![TaskExpr::List((0..n).map(r).collect())]),
        ));
        let named: Vec<(&str, _)> = tasks.iter().map(|(k, e)| (k.as_str(), e.clone())).collect();
        let p = program(&named, &["total"]);
        let start = std::time::Instant::now();
        let fused = fuse_linear(&p.graph, &p.outputs, MAX_CHAIN);
        let inlined = super::super::inline(&p.graph, &p.outputs);
        assert_eq!(fused.graph.len(), n as usize + 1);
        assert_eq!(inlined.graph.len(), n as usize + 1);
        assert!(start.elapsed().as_secs() < 30, "{:?}", start.elapsed());
    }
}
