//! `fifo`: tasks run in the order they became ready (breadth first).

use std::collections::VecDeque;

use super::{Policy, ranks_of_order};
use crate::plan::Plan;

/// First ready, first run: the order of a sequential run with a FIFO queue
/// (sources in index order; a task's newly ready dependents in index order).
/// Breadth first: it starts many branches before finishing any, so it tends to
/// hold many values at once.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fifo;

impl Policy for Fifo {
    fn name(&self) -> &str {
        "fifo"
    }

    fn priorities(&self, plan: &Plan<'_>) -> Vec<u32> {
        let n = plan.len();
        let mut left: Vec<u32> = (0..n as u32)
            .map(|t| plan.dependencies(t).len() as u32)
            .collect();
        let mut queue: VecDeque<u32> = plan.sources().collect();
        let mut order = Vec::with_capacity(n);
        while let Some(t) = queue.pop_front() {
            order.push(t);
            for &s in plan.dependents(t) {
                left[s as usize] -= 1;
                if left[s as usize] == 0 {
                    queue.push_back(s);
                }
            }
        }
        ranks_of_order(n, &order)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::G;
    use super::*;

    #[test]
    fn runs_tasks_in_the_order_they_became_ready() {
        // Two chains a0 -> a1 -> a2 and b0 -> b1 -> b2 feeding one sink.
        let mut g = G::new();
        let a0 = g.task("a0", &[]);
        let a1 = g.task("a1", &[a0]);
        let a2 = g.task("a2", &[a1]);
        let b0 = g.task("b0", &[]);
        let b1 = g.task("b1", &[b0]);
        let b2 = g.task("b2", &[b1]);
        let out = g.task("out", &[a2, b2]);
        assert_eq!(
            g.sync_order(&[out], &Fifo),
            ["a0", "b0", "a1", "b1", "a2", "b2", "out"]
        );
    }
}
