//! `dask-order`: a static, memory-aware order in the spirit of `dask.order`:
//! walk from the outputs down critical paths depth first, and run at once
//! whatever frees memory.

use std::cmp::Reverse;

use super::{Policy, ranks_of_order};
use crate::plan::Plan;

/// The default policy: an order computed before the run by simulating a
/// sequential run that keeps few values alive.
///
/// 1. **Goal-directed depth-first walk.** For each output in request order,
///    walk down to what it needs with an explicit stack. Among a task's
///    unscheduled dependencies the one with the longest chain of work below it
///    (its *level*) is walked first; ties go to the lower index. A task is
///    scheduled as soon as all its dependencies are. So one subtree is
///    finished before the next is started, and the long branch of each
///    subtree is started first.
/// 2. **Finish what frees memory.** Right after scheduling a task, schedule
///    (transitively, most recent first) every task that has become ready *and*
///    whose running frees a value: a task that is the last remaining consumer
///    of one of its inputs. Such a task creates one value and frees at least
///    one, so it never raises the count of values held. This is what pulls a
///    reduction up as soon as its inputs exist, instead of computing all the
///    inputs first.
///
/// The result is a topological order, so the `sync` executor runs exactly it.
/// Cost: O(tasks + edges · log(degree)).
#[derive(Debug, Clone, Copy, Default)]
pub struct DaskOrder;

impl Policy for DaskOrder {
    fn name(&self) -> &str {
        "dask-order"
    }

    fn priorities(&self, plan: &Plan<'_>) -> Vec<u32> {
        let n = plan.len();
        // Longest chain of tasks ending at each task (itself included).
        let mut level = vec![1u32; n];
        for &t in plan.topological_order() {
            level[t as usize] = plan
                .dependencies(t)
                .iter()
                .map(|&d| level[d as usize] + 1)
                .max()
                .unwrap_or(1);
        }
        let mut s = Sim {
            plan,
            scheduled: vec![false; n],
            deps_left: (0..n as u32)
                .map(|t| plan.dependencies(t).len() as u32)
                .collect(),
            consumers_left: (0..n as u32)
                .map(|t| plan.dependents(t).len() as u32)
                .collect(),
            order: Vec::with_capacity(n),
            eager: Vec::new(),
        };
        let mut stack: Vec<u32> = Vec::new();
        let mut pending: Vec<u32> = Vec::new();
        for &root in plan.outputs() {
            stack.push(root);
            while let Some(&t) = stack.last() {
                if s.scheduled[t as usize] {
                    stack.pop();
                } else if s.deps_left[t as usize] == 0 {
                    stack.pop();
                    s.schedule(t);
                } else {
                    // Every dependency pushed here is scheduled before `t` is on
                    // top again, so each task is expanded once.
                    pending.clear();
                    pending.extend(
                        plan.dependencies(t)
                            .iter()
                            .copied()
                            .filter(|&d| !s.scheduled[d as usize]),
                    );
                    // Last pushed is walked first: the highest level, then the
                    // lowest index.
                    pending.sort_unstable_by_key(|&d| (level[d as usize], Reverse(d)));
                    stack.extend_from_slice(&pending);
                }
            }
        }
        ranks_of_order(n, &s.order)
    }
}

/// The simulated sequential run.
struct Sim<'a, 'g> {
    plan: &'a Plan<'g>,
    scheduled: Vec<bool>,
    deps_left: Vec<u32>,
    consumers_left: Vec<u32>,
    order: Vec<u32>,
    eager: Vec<u32>,
}

impl Sim<'_, '_> {
    /// True when running ready task `s` frees one of its inputs.
    fn frees(&self, s: u32) -> bool {
        self.plan
            .dependencies(s)
            .iter()
            .any(|&e| self.consumers_left[e as usize] == 1 && !self.plan.is_output(e))
    }

    /// Schedules ready task `t`, then every ready task that frees memory.
    fn schedule(&mut self, t: u32) {
        let plan = self.plan;
        self.eager.push(t);
        while let Some(u) = self.eager.pop() {
            if self.scheduled[u as usize] {
                continue;
            }
            self.scheduled[u as usize] = true;
            self.order.push(u);
            for &s in plan.dependents(u) {
                self.deps_left[s as usize] -= 1;
            }
            for &d in plan.dependencies(u) {
                self.consumers_left[d as usize] -= 1;
                if self.consumers_left[d as usize] == 1 && !plan.is_output(d) {
                    // `d`'s last consumer frees it: run it now if it is ready.
                    if let Some(&c) = plan
                        .dependents(d)
                        .iter()
                        .find(|&&c| !self.scheduled[c as usize])
                        && self.deps_left[c as usize] == 0
                    {
                        self.eager.push(c);
                    }
                }
            }
            for &s in plan.dependents(u).iter().rev() {
                if self.deps_left[s as usize] == 0 && self.frees(s) {
                    self.eager.push(s);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::G;
    use super::*;
    use crate::policy::{Fifo, Lifo};

    #[test]
    fn finishes_one_chain_before_starting_the_next() {
        let mut g = G::new();
        let a0 = g.task("a0", &[]);
        let a1 = g.task("a1", &[a0]);
        let a2 = g.task("a2", &[a1]);
        let b0 = g.task("b0", &[]);
        let b1 = g.task("b1", &[b0]);
        let b2 = g.task("b2", &[b1]);
        let out = g.task("out", &[a2, b2]);
        assert_eq!(
            g.sync_order(&[out], &DaskOrder),
            ["a0", "a1", "a2", "b0", "b1", "b2", "out"]
        );
        // FIFO, for contrast, goes breadth first.
        assert_eq!(g.sync_order(&[out], &Fifo)[..2], ["a0", "b0"]);
    }

    #[test]
    fn reduces_pairs_as_soon_as_their_inputs_exist() {
        // p_i = f(a_i, b_i), out = g(p_0..p_3), with every a listed before
        // every b: LIFO and FIFO compute all the a's first (holding 4 values);
        // dask-order pairs them up and holds at most 3.
        let mut g = G::new();
        let a: Vec<_> = (0..4).map(|i| g.task(&format!("a{i}"), &[])).collect();
        let b: Vec<_> = (0..4).map(|i| g.task(&format!("b{i}"), &[])).collect();
        let p: Vec<_> = (0..4)
            .map(|i| g.task(&format!("p{i}"), &[a[i], b[i]]))
            .collect();
        let out = g.task("out", &p);
        assert_eq!(
            g.sync_order(&[out], &DaskOrder),
            [
                "a0", "b0", "p0", "a1", "b1", "p1", "a2", "b2", "p2", "a3", "b3", "p3", "out"
            ]
        );
        assert_eq!(g.sync_order(&[out], &Lifo)[..4], ["a0", "a1", "a2", "a3"]);
    }

    #[test]
    fn shared_inputs_and_several_outputs() {
        // x feeds two outputs; every task is scheduled exactly once.
        let mut g = G::new();
        let x = g.task("x", &[]);
        let y = g.task("y", &[x]);
        let z = g.task("z", &[x, y]);
        let order = g.sync_order(&[z, y, z], &DaskOrder);
        assert_eq!(order, ["x", "y", "z"]);
    }
}
