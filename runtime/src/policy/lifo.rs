//! `lifo`: the most recently readied task runs first (depth first).

use super::{Policy, ranks_of_order};
use crate::plan::Plan;

/// Last ready, first run: the order of a sequential run with a stack (the
/// lowest-index source on top at the start; a task's newly ready dependents
/// pushed so that the lowest index is on top). Depth first: it follows one
/// branch to its end before starting the next.
#[derive(Debug, Clone, Copy, Default)]
pub struct Lifo;

impl Policy for Lifo {
    fn name(&self) -> &str {
        "lifo"
    }

    fn priorities(&self, plan: &Plan<'_>) -> Vec<u32> {
        let n = plan.len();
        let mut left: Vec<u32> = (0..n as u32)
            .map(|t| plan.dependencies(t).len() as u32)
            .collect();
        let mut stack: Vec<u32> = plan.sources().collect();
        stack.reverse();
        let mut order = Vec::with_capacity(n);
        let mut ready = Vec::new();
        while let Some(t) = stack.pop() {
            order.push(t);
            ready.clear();
            for &s in plan.dependents(t) {
                left[s as usize] -= 1;
                if left[s as usize] == 0 {
                    ready.push(s);
                }
            }
            stack.extend(ready.iter().rev());
        }
        ranks_of_order(n, &order)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::G;
    use super::*;

    #[test]
    fn follows_one_branch_to_its_end_first() {
        let mut g = G::new();
        let a0 = g.task("a0", &[]);
        let a1 = g.task("a1", &[a0]);
        let a2 = g.task("a2", &[a1]);
        let b0 = g.task("b0", &[]);
        let b1 = g.task("b1", &[b0]);
        let b2 = g.task("b2", &[b1]);
        let out = g.task("out", &[a2, b2]);
        assert_eq!(
            g.sync_order(&[out], &Lifo),
            ["a0", "a1", "a2", "b0", "b1", "b2", "out"]
        );
    }

    #[test]
    fn the_newest_ready_task_goes_first() {
        // x makes y and z ready; y makes w ready: w runs before z.
        let mut g = G::new();
        let x = g.task("x", &[]);
        let y = g.task("y", &[x]);
        let z = g.task("z", &[x]);
        let w = g.task("w", &[y]);
        let out = g.task("out", &[w, z]);
        assert_eq!(g.sync_order(&[out], &Lifo), ["x", "y", "w", "z", "out"]);
    }
}
