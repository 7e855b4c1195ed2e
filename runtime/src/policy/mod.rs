//! Scheduling policies: which ready task runs first.
//!
//! A policy looks at the whole [`Plan`] before the run (a read-only view:
//! [`Plan::len`], [`Plan::dependencies`], [`Plan::dependents`],
//! [`Plan::outputs`], [`Plan::is_output`], [`Plan::key`], [`Plan::func_name`],
//! [`Plan::topological_order`], [`Plan::sources`]) and gives every task a
//! *rank*: among ready tasks, the lowest rank runs first (ties: the lower plan
//! index). The `sync` executor follows ranks exactly, so a policy whose ranks
//! are the positions of a topological order gets exactly that order there; the
//! `threads` executor follows them as far as work stealing allows (it keeps the
//! best successor for the worker that made it ready and pushes the others in
//! rank order).
//!
//! # Adding a policy
//!
//! Write one file in this folder:
//!
//! ```
//! use tessera_runtime::{Plan, policy::Policy};
//!
//! /// Runs tasks with more dependents first.
//! struct MostDependentsFirst;
//!
//! impl Policy for MostDependentsFirst {
//!     fn name(&self) -> &str {
//!         "most-dependents"
//!     }
//!     fn priorities(&self, plan: &Plan<'_>) -> Vec<u32> {
//!         (0..plan.len() as u32)
//!             .map(|t| u32::MAX - plan.dependents(t).len() as u32)
//!             .collect()
//!     }
//! }
//! ```
//!
//! then add it to [`by_name`] and [`POLICY_NAMES`]. Users of the Rust API can
//! pass any `&dyn Policy` in [`crate::RunOptions::policy`] without touching
//! this crate. Cost matters: priorities are computed for every run, so keep
//! them near O(tasks + edges).

mod critical_path;
mod dask_order;
mod fifo;
mod lifo;

pub use critical_path::CriticalPath;
pub use dask_order::DaskOrder;
pub use fifo::Fifo;
pub use lifo::Lifo;

use crate::plan::Plan;

/// Decides the order of ready tasks by ranking every task before the run.
pub trait Policy: Send + Sync {
    /// The name the CLI's `--policy` takes.
    fn name(&self) -> &str;

    /// One rank per plan task (`result[t]` for task `t`, exactly
    /// `plan.len()` of them): among ready tasks, lower ranks run first.
    fn priorities(&self, plan: &Plan<'_>) -> Vec<u32>;
}

/// Names accepted by [`by_name`], the default first.
pub const POLICY_NAMES: [&str; 4] = ["dask-order", "fifo", "lifo", "critical-path"];

/// The policy with this name (one of [`POLICY_NAMES`]).
pub fn by_name(name: &str) -> Option<Box<dyn Policy>> {
    match name {
        "dask-order" => Some(Box::new(DaskOrder)),
        "fifo" => Some(Box::new(Fifo)),
        "lifo" => Some(Box::new(Lifo)),
        "critical-path" => Some(Box::new(CriticalPath)),
        _ => None,
    }
}

/// The order of a one-thread run under `priorities` (one per plan task): at
/// each step the ready task with the lowest `(priority, index)` runs, the
/// `sync` executor's rule. Always a topological order of the plan.
pub fn sequential_order(plan: &Plan<'_>, priorities: &[u32]) -> Vec<u32> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let n = plan.len();
    let mut deps_left: Vec<usize> = (0..n as u32).map(|t| plan.dependencies(t).len()).collect();
    let key = |t: u32| Reverse((priorities[t as usize], t));
    let mut ready: BinaryHeap<_> = plan.sources().map(key).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(Reverse((_, t))) = ready.pop() {
        order.push(t);
        for &s in plan.dependents(t) {
            deps_left[s as usize] -= 1;
            if deps_left[s as usize] == 0 {
                ready.push(key(s));
            }
        }
    }
    order
}

/// Ranks from an order: `rank[order[i]] = i`.
pub(crate) fn ranks_of_order(n: usize, order: &[u32]) -> Vec<u32> {
    let mut rank = vec![u32::MAX; n];
    for (i, &t) in order.iter().enumerate() {
        rank[t as usize] = i as u32;
    }
    rank
}

/// Longest path (in tasks) from each task to a task nothing depends on,
/// including itself: the critical path still ahead once it starts.
pub(crate) fn heights(plan: &Plan<'_>) -> Vec<u32> {
    let mut height = vec![1u32; plan.len()];
    for &t in plan.topological_order().iter().rev() {
        let h = plan
            .dependents(t)
            .iter()
            .map(|&s| height[s as usize] + 1)
            .max()
            .unwrap_or(1);
        height[t as usize] = h;
    }
    height
}

/// Helpers for the policies' tests: small graphs and the order in which the
/// `sync` executor runs them.
#[cfg(test)]
pub(crate) mod testing {
    use std::sync::{Arc, Mutex};

    use tessera_ir::{Call, Literal, TaskExpr, TaskGraph, TaskId, TaskKey};

    use super::Policy;
    use crate::executor::{Executor, RunOptions, SyncExecutor};
    use crate::plan::Plan;
    use crate::registry::Registry;
    use crate::value::Value;

    /// A graph builder whose tasks call `rec`, which records the task's name.
    pub(crate) struct G {
        pub(crate) graph: TaskGraph,
    }

    impl G {
        pub(crate) fn new() -> G {
            G {
                graph: TaskGraph::new(),
            }
        }

        /// Adds task `name` depending on `deps`.
        pub(crate) fn task(&mut self, name: &str, deps: &[TaskId]) -> TaskId {
            let mut args = vec![TaskExpr::Literal(Literal::json(name))];
            args.extend(deps.iter().map(|&d| TaskExpr::Ref(d)));
            let expr = TaskExpr::Call(Call {
                func: "rec".into(),
                args,
                kwargs: Default::default(),
            });
            self.graph
                .add(TaskKey::new(name), expr)
                .expect("unique names")
        }

        /// The order in which `sync` runs the tasks `outputs` need under `policy`.
        pub(crate) fn sync_order(&self, outputs: &[TaskId], policy: &dyn Policy) -> Vec<String> {
            let log = Arc::new(Mutex::new(Vec::new()));
            let mut registry = Registry::new();
            let sink = log.clone();
            registry.register("rec", "rec(name, *deps)", "records", move |args, _| {
                if let Some(Value::Str(name)) = args.first() {
                    sink.lock().unwrap().push(name.to_string());
                }
                Ok(Value::None)
            });
            let plan = Plan::new(&self.graph, outputs, &registry).unwrap();
            let options = RunOptions {
                policy,
                ..RunOptions::default()
            };
            SyncExecutor.execute(&plan, &options).unwrap();
            log.lock().unwrap().clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::G;
    use super::*;

    #[test]
    fn policies_by_name() {
        for name in POLICY_NAMES {
            assert_eq!(by_name(name).unwrap().name(), name);
        }
        assert!(by_name("random").is_none());
    }

    #[test]
    fn a_policy_from_the_docs_orders_the_sync_executor() {
        struct MostDependentsFirst;
        impl Policy for MostDependentsFirst {
            fn name(&self) -> &str {
                "most-dependents"
            }
            fn priorities(&self, plan: &Plan<'_>) -> Vec<u32> {
                (0..plan.len() as u32)
                    .map(|t| u32::MAX - plan.dependents(t).len() as u32)
                    .collect()
            }
        }
        let mut g = G::new();
        let a = g.task("a", &[]);
        let b = g.task("b", &[]);
        let c = g.task("c", &[b]);
        let d = g.task("d", &[b]);
        let e = g.task("e", &[a, c, d]);
        assert_eq!(
            g.sync_order(&[e], &MostDependentsFirst),
            ["b", "a", "c", "d", "e"]
        );
    }

    #[test]
    fn sequential_order_is_the_sync_executors_order() {
        let mut g = G::new();
        let a = g.task("a", &[]);
        let b = g.task("b", &[]);
        let c = g.task("c", &[a]);
        let d = g.task("d", &[a, b]);
        let e = g.task("e", &[c]);
        let f = g.task("f", &[d, e]);
        let x = g.task("x", &[b]);
        let outputs = [f, x];
        let registry = {
            let mut r = crate::Registry::new();
            r.register("rec", "", "", |_, _| Ok(crate::Value::None));
            r
        };
        let plan = Plan::new(&g.graph, &outputs, &registry).unwrap();
        for name in POLICY_NAMES {
            let policy = by_name(name).unwrap();
            let order: Vec<String> = sequential_order(&plan, &policy.priorities(&plan))
                .into_iter()
                .map(|t| plan.key(t).as_str().to_owned())
                .collect();
            assert_eq!(order, g.sync_order(&outputs, policy.as_ref()), "{name}");
        }
    }

    #[test]
    fn heights_are_critical_path_lengths() {
        let mut g = G::new();
        let a = g.task("a", &[]);
        let b = g.task("b", &[a]);
        let c = g.task("c", &[b]);
        let d = g.task("d", &[a]);
        let e = g.task("e", &[c, d]);
        let registry = {
            let mut r = crate::Registry::new();
            r.register("rec", "", "", |_, _| Ok(crate::Value::None));
            r
        };
        let plan = Plan::new(&g.graph, &[e], &registry).unwrap();
        assert_eq!(heights(&plan), vec![4, 3, 2, 2, 1]);
    }
}
