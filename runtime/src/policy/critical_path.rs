//! `critical-path`: the ready task with the longest path still ahead of it
//! runs first.

use super::{Policy, heights};
use crate::plan::Plan;

/// Longest remaining path first: a task's rank comes from its height (the
/// number of tasks on the longest path from it to an output, itself
/// included), highest first; ties in index order. Heights strictly decrease
/// along every edge, so this is also a topological order. Good for the
/// makespan on many workers; blind to memory.
#[derive(Debug, Clone, Copy, Default)]
pub struct CriticalPath;

impl Policy for CriticalPath {
    fn name(&self) -> &str {
        "critical-path"
    }

    fn priorities(&self, plan: &Plan<'_>) -> Vec<u32> {
        let height = heights(plan);
        let mut order: Vec<u32> = (0..plan.len() as u32).collect();
        order.sort_by_key(|&t| (std::cmp::Reverse(height[t as usize]), t));
        super::ranks_of_order(plan.len(), &order)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::G;
    use super::*;

    #[test]
    fn the_longest_path_goes_first() {
        // s is a lone short task with the lowest index; c0 -> c1 -> c2 is long:
        // c0 and c1 go before s; s and c2 (both height 1) in index order.
        let mut g = G::new();
        let s = g.task("s", &[]);
        let c0 = g.task("c0", &[]);
        let c1 = g.task("c1", &[c0]);
        let c2 = g.task("c2", &[c1]);
        assert_eq!(
            g.sync_order(&[s, c2], &CriticalPath),
            ["c0", "c1", "s", "c2"]
        );
        // FIFO, for contrast, starts with s.
        assert_eq!(g.sync_order(&[s, c2], &crate::policy::Fifo)[0], "s");
    }
}
