//! The library side of `tessera order`: the static order a scheduling policy
//! gives a document's tasks (like `dask.order.order`) and the memory pressure
//! of running them one at a time in that order (like `dask.order.diagnostics`).
//!
//! The graph is ordered as written: a task graph keeps every key of the
//! document (no cull, inlining or fusion), so the ranks name the document's
//! keys; a document with array nodes is optimized and lowered as `run` does,
//! and its lowered tasks are ordered.

use tessera_compiler::{LowerOptions, OptimizeOptions, lower, optimize};
use tessera_ir::{Faults, InferContext, TaskGraph, TaskId};
use tessera_runtime::policy::{self, POLICY_NAMES, Policy};
use tessera_runtime::{Plan, PlanError, Registry};

use crate::registry::default_registry;
use crate::run::{Loaded, load};
use crate::source::Source;

/// One task's figures in a sequential run in policy order, as
/// `dask.order.diagnostics` defines them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyInfo {
    /// Its rank: its position in the run (0 runs first).
    pub order: usize,
    /// How many tasks run while its result is held: the position of its last
    /// consumer minus its own (0 for a task nothing depends on).
    pub age: usize,
    /// Results held in memory when it runs.
    pub num_data_when_run: usize,
    /// Results held in memory when its result is released.
    pub num_data_when_released: usize,
    /// How many of its dependencies its running releases.
    pub num_dependencies_freed: usize,
}

/// A static order of a task graph under one policy.
#[derive(Debug, Clone)]
pub struct StaticOrder {
    /// The policy's name.
    pub policy: String,
    /// Task keys in run order (`keys[rank]`; a tuple key as its JSON text).
    pub keys: Vec<String>,
    /// Each task's figures, indexed by rank.
    pub info: Vec<KeyInfo>,
    /// Results held before each task runs, indexed by rank (Dask's `pressure`).
    pub pressure: Vec<usize>,
    /// True when the document had array nodes and its lowered tasks were ordered.
    pub lowered: bool,
}

/// Why a document could not be ordered.
#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    /// The document is invalid.
    #[error("invalid document\n{0}")]
    Invalid(Faults),
    /// The policy name is not one of the runtime's.
    #[error("unknown policy {0:?}; choose one of {names}", names = POLICY_NAMES.join(", "))]
    UnknownPolicy(String),
    /// The optimizer failed.
    #[error(transparent)]
    Optimize(#[from] tessera_compiler::OptimizeError),
    /// Lowering the array nodes failed.
    #[error(transparent)]
    Lower(#[from] tessera_compiler::LowerError),
    /// The task graph could not be planned.
    #[error("cannot order the tasks: {0}")]
    Plan(#[from] PlanError),
}

impl OrderError {
    /// The exit status of `tessera order`: 2 when knowable from the document
    /// and the arguments, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            OrderError::Invalid(_) | OrderError::UnknownPolicy(_) => 2,
            _ => 1,
        }
    }
}

/// Orders the tasks of the document in `source` under the policy named
/// `policy_name`; `data_root` as for `run`.
pub fn order_source(
    source: &Source,
    policy_name: &str,
    data_root: Option<std::path::PathBuf>,
) -> Result<StaticOrder, OrderError> {
    let policy = policy::by_name(policy_name)
        .ok_or_else(|| OrderError::UnknownPolicy(policy_name.to_owned()))?;
    let ctx: InferContext = crate::run::infer_context(source, data_root);
    match load(source.text(), &ctx).map_err(OrderError::Invalid)? {
        Loaded::Tasks(t) => Ok(order_tasks(
            &t.graph,
            &t.outputs,
            policy.as_ref(),
            default_registry(),
        )?),
        Loaded::Graph(graph) => {
            // As `run` does: optimize, then lower what the outputs need.
            let options = OptimizeOptions {
                infer: ctx.clone(),
                ..OptimizeOptions::default()
            };
            let optimized = optimize(&graph, &options)?.graph;
            let lower_options = LowerOptions {
                files: ctx,
                max_block_bytes: tessera_runtime::memory_limit::detected_memory_bytes(),
                ..LowerOptions::default()
            };
            let lowered = lower(&optimized, &lower_options)?;
            let mut order = order_tasks(
                &lowered.graph,
                &lowered.outputs,
                policy.as_ref(),
                default_registry(),
            )?;
            order.lowered = true;
            Ok(order)
        }
    }
}

/// Orders every task of `graph` under `policy`: the order a one-thread run
/// follows ([`policy::sequential_order`]), with its diagnostics. Tasks the
/// `outputs` do not need are kept (ordered after being treated as outputs
/// themselves), so every key gets a rank, as in `dask.order.order`.
pub fn order_tasks(
    graph: &TaskGraph,
    outputs: &[TaskId],
    policy: &dyn Policy,
    registry: &Registry,
) -> Result<StaticOrder, PlanError> {
    // Every task nothing refers to is a sink; requesting the sinks too keeps
    // the whole graph (a sink is nobody's input, so being an output changes
    // no policy's view of what running a task frees).
    let mut referenced = vec![false; graph.len()];
    for task in graph.tasks() {
        task.expr.for_each_ref(&mut |d| {
            if let Some(r) = referenced.get_mut(d.index()) {
                *r = true;
            }
        });
    }
    let mut requested = outputs.to_vec();
    requested.extend(
        (0..graph.len())
            .filter(|&i| !referenced[i])
            .map(|i| TaskId(i as u32)),
    );
    let plan = Plan::new(graph, &requested, registry)?;
    let run = policy::sequential_order(&plan, &policy.priorities(&plan));
    let (info, pressure) = diagnostics(&plan, &run);
    Ok(StaticOrder {
        policy: policy.name().to_owned(),
        keys: run
            .iter()
            .map(|&t| plan.key(t).as_str().to_owned())
            .collect(),
        info,
        pressure,
        lowered: false,
    })
}

/// `dask.order.diagnostics` on a plan run in order `run`: walking the tasks
/// in order, a task's result is held from when it runs until its last
/// dependent has run (a task nothing depends on is released at once); the
/// pressure before each task is the number of results held.
fn diagnostics(plan: &Plan<'_>, run: &[u32]) -> (Vec<KeyInfo>, Vec<usize>) {
    let n = plan.len();
    let mut rank = vec![0usize; n];
    for (i, &t) in run.iter().enumerate() {
        rank[t as usize] = i;
    }
    let mut needed: Vec<usize> = (0..n as u32).map(|t| plan.dependents(t).len()).collect();
    let mut info = vec![
        KeyInfo {
            order: 0,
            age: 0,
            num_data_when_run: 0,
            num_data_when_released: 0,
            num_dependencies_freed: 0,
        };
        n
    ];
    let mut pressure = Vec::with_capacity(n);
    let mut held = 0usize;
    for (i, &t) in run.iter().enumerate() {
        pressure.push(held);
        let mut released = 0;
        for &d in plan.dependencies(t) {
            let d = d as usize;
            needed[d] -= 1;
            if needed[d] == 0 {
                info[rank[d]].age = i - rank[d];
                info[rank[d]].num_data_when_released = held;
                released += 1;
            }
        }
        let me = &mut info[i];
        me.order = i;
        me.num_data_when_run = held;
        me.num_dependencies_freed = released;
        if plan.dependents(t).is_empty() {
            me.age = 0;
            me.num_data_when_released = held;
            held -= released;
        } else {
            held = held + 1 - released;
        }
    }
    (info, pressure)
}

impl StaticOrder {
    /// The largest number of results held at once.
    pub fn max_pressure(&self) -> usize {
        self.pressure.iter().copied().max().unwrap_or(0)
    }

    /// The JSON `tessera order` prints: `{key: rank}` in rank order, or with
    /// `diagnostics` an object with the policy, the ranks, each key's figures
    /// ([`KeyInfo`]'s fields), the pressure over time and its maximum.
    pub fn to_json(&self, diagnostics: bool) -> String {
        use serde_json::{Map, Value, json};
        let ranks: Map<String, Value> = self
            .keys
            .iter()
            .enumerate()
            .map(|(i, k)| (k.clone(), json!(i)))
            .collect();
        let text = if diagnostics {
            let info: Map<String, Value> = self
                .keys
                .iter()
                .zip(&self.info)
                .map(|(k, x)| {
                    let figures = json!({
                        "order": x.order,
                        "age": x.age,
                        "num_data_when_run": x.num_data_when_run,
                        "num_data_when_released": x.num_data_when_released,
                        "num_dependencies_freed": x.num_dependencies_freed,
                    });
                    (k.clone(), figures)
                })
                .collect();
            serde_json::to_string_pretty(&json!({
                "policy": self.policy,
                "lowered": self.lowered,
                "order": ranks,
                "info": info,
                "pressure": self.pressure,
                "max_pressure": self.max_pressure(),
            }))
        } else {
            serde_json::to_string_pretty(&Value::Object(ranks))
        };
        text.expect("a JSON value of strings and numbers serializes") + "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_runtime::policy::DaskOrder;

    fn order_of(text: &str, policy: &dyn Policy) -> StaticOrder {
        match load(text, &InferContext::default()).unwrap() {
            Loaded::Tasks(t) => order_tasks(&t.graph, &t.outputs, policy, default_registry()),
            Loaded::Graph(_) => panic!("a task graph"),
        }
        .unwrap()
    }

    #[test]
    fn diagnostics_match_dasks_on_its_docstring_graph() {
        // dask's order docstring: {'a': 1, 'b': 2, 'c': (inc, 'a'), 'd': (add, 'b', 'c')}.
        let o = order_of(
            r#"{"tessera": 1, "dialect": "dask",
                "graph": {"a": 1, "b": 2, "c": ["inc", "a"], "d": ["add", "b", "c"]},
                "outputs": ["d"]}"#,
            &DaskOrder,
        );
        assert_eq!(o.keys, ["a", "c", "b", "d"]);
        // Held before each task: nothing; a; c; c and b.
        assert_eq!(o.pressure, [0, 1, 1, 2]);
        // a is held until c runs (1 step), c until d runs (2 steps).
        assert_eq!(
            o.info.iter().map(|x| x.age).collect::<Vec<_>>(),
            [1, 2, 1, 0]
        );
        assert_eq!(o.info[3].num_dependencies_freed, 2);
        assert_eq!(o.info[3].num_data_when_run, 2);
        assert_eq!(o.info[0].num_data_when_released, 1);
    }

    #[test]
    fn unneeded_keys_are_ordered_too() {
        let o = order_of(
            r#"{"tessera": 1, "dialect": "dask",
                "graph": {"a": 1, "b": ["inc", "a"], "lone": 3, "side": ["inc", "a"]},
                "outputs": ["b"]}"#,
            &DaskOrder,
        );
        let mut keys = o.keys.clone();
        keys.sort();
        assert_eq!(keys, ["a", "b", "lone", "side"]);
        assert_eq!(o.max_pressure(), 1);
    }
}
