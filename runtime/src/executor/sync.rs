//! The `sync` executor: one thread (the caller's), tasks in exactly the
//! policy's order among ready tasks. For debugging and deterministic runs.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::state::{Outcome, RunState};
use super::{Executor, RunOptions, RunOutput};
use crate::error::RunError;
use crate::plan::Plan;

/// Runs every task on the calling thread, always the ready task with the best
/// priority next.
#[derive(Debug, Clone, Copy, Default)]
pub struct SyncExecutor;

impl Executor for SyncExecutor {
    fn name(&self) -> &str {
        "sync"
    }

    fn workers(&self) -> usize {
        1
    }

    fn execute(&self, plan: &Plan<'_>, options: &RunOptions<'_>) -> Result<RunOutput, RunError> {
        let state = RunState::new(plan, options, 1)?;
        let mut ctx = state.worker(0);
        let mut heap: BinaryHeap<Reverse<u64>> = state
            .initial_ready()
            .into_iter()
            .map(|t| Reverse(state.key(t)))
            .collect();
        while let Some(Reverse(key)) = heap.pop() {
            // The low 32 bits of a key are the task.
            let t = key as u32;
            match state.run_task(t, &mut ctx) {
                Outcome::Continue => {
                    heap.extend(ctx.ready.iter().map(|&s| Reverse(state.key(s))));
                }
                Outcome::Finished | Outcome::Stop => break,
            }
        }
        ctx.close();
        state.into_output(vec![ctx], options)
    }
}
