//! From delayed values to one task graph and a registry holding their functions,
//! and computing it through the task-graph passes and the executor.
//!
//! Nodes are walked with an explicit stack; nodes with the same key (identical
//! pure calls, the same value) become one task. Blocks of arrays bring the tasks
//! of their lowered graph along; an array made from a delayed value
//! ([`crate::Array::from_delayed`]) has its input replaced by a checked reference
//! to that value's task.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value as Json};
use tessera_ir::{Call, Literal, TaskExpr, TaskGraph, TaskId, TaskKey};
use tessera_runtime::{Registry, TaskError, Value};

use super::Delayed;
use super::node::{DNode, Input, Kind};
use crate::compute::{ComputeError, ComputeOptions, compute_tasks};

/// Why a delayed computation failed.
#[derive(Debug, thiserror::Error)]
pub enum DelayedError {
    /// Two different computations were given the same key.
    #[error("two different values have the key {0}")]
    DuplicateKey(String),
    /// An array could not be lowered to tasks.
    #[error(transparent)]
    Array(Box<crate::ArrayError>),
    /// Computing failed; the message names the failing task's key.
    #[error("computing failed: {0}")]
    Compute(#[from] ComputeError),
    /// The value computed is not of the type asked for.
    #[error("the value of {key} does not convert: {source}")]
    Convert {
        /// The key.
        key: String,
        /// What is wrong.
        source: TaskError,
    },
    /// A picture could not be made.
    #[error(transparent)]
    Picture(crate::viz::VizError),
}

/// The lowered tasks of some arrays, which delayed nodes refer to.
pub(crate) struct Fragment {
    /// The tasks.
    pub(crate) graph: TaskGraph,
    /// The delayed values its `from_delayed` inputs stand for.
    pub(crate) sources: Vec<Arc<DNode>>,
}

/// What an array's `input` node is bound to when the array comes from a delayed
/// value: the value's node and the shape and dtype it must have.
pub(crate) struct SourceHandle {
    /// The delayed value.
    pub(crate) node: Arc<DNode>,
    /// `{"shape": [...], "dtype": "..."}`: the `from_delayed` kernel's check.
    pub(crate) attrs: Arc<Map<String, Json>>,
}

/// One task graph for some delayed values, and the registry of their functions.
pub(crate) struct Assembled {
    /// The tasks.
    pub(crate) graph: TaskGraph,
    /// The task of each root, in order.
    pub(crate) outputs: Vec<TaskId>,
    /// The default functions plus every wrapped one.
    pub(crate) registry: Registry,
}

/// Builds the task graph of `roots` (post-order over an explicit stack).
pub(crate) fn assemble(roots: &[Arc<DNode>]) -> Result<Assembled, DelayedError> {
    let mut graph = TaskGraph::new();
    let mut registry = crate::registry::default_registry().clone();
    let mut registered: HashMap<Arc<str>, ()> = HashMap::new();
    // Node address -> task; keys dedupe different nodes of the same computation.
    let mut done: HashMap<*const DNode, TaskId> = HashMap::new();
    let mut fragments: HashMap<*const Fragment, Vec<Option<TaskId>>> = HashMap::new();
    let mut outputs = Vec::with_capacity(roots.len());
    for root in roots {
        let mut stack: Vec<(&Arc<DNode>, bool)> = vec![(root, false)];
        while let Some((node, expanded)) = stack.pop() {
            let ptr = Arc::as_ptr(node);
            if done.contains_key(&ptr) {
                continue;
            }
            if !expanded {
                stack.push((node, true));
                for child in node_children(node) {
                    if !done.contains_key(&Arc::as_ptr(child)) {
                        stack.push((child, false));
                    }
                }
                continue;
            }
            if let Some(id) = graph.id_of(&node.key) {
                done.insert(ptr, id);
                continue;
            }
            let id = match &node.kind {
                Kind::Value(v) => add(&mut graph, &node.key, opaque(v.clone()))?,
                Kind::Call { func, args } => {
                    if registered.insert(func.name.clone(), ()).is_none() {
                        let body = func.body.clone();
                        registry.register(&func.name, &func.signature, "", move |a, k| body(a, k));
                    }
                    let args = args
                        .iter()
                        .map(|a| match a {
                            Input::Node(n) => TaskExpr::Ref(done[&Arc::as_ptr(n)]),
                            Input::Value(v) => opaque(v.clone()),
                        })
                        .collect();
                    add(
                        &mut graph,
                        &node.key,
                        call(&func.name, args, Default::default()),
                    )?
                }
                Kind::Part { of, index } => {
                    let args = vec![
                        TaskExpr::Ref(done[&Arc::as_ptr(of)]),
                        TaskExpr::Literal(Literal::json(*index as i64)),
                    ];
                    add(
                        &mut graph,
                        &node.key,
                        call("getitem", args, Default::default()),
                    )?
                }
                Kind::Task { fragment, task } => {
                    let map = fragments
                        .entry(Arc::as_ptr(fragment))
                        .or_insert_with(|| vec![None; fragment.graph.len()]);
                    copy_fragment(&mut graph, &fragment.graph, *task, map, &done)?
                }
            };
            done.insert(ptr, id);
        }
        outputs.push(done[&Arc::as_ptr(root)]);
    }
    Ok(Assembled {
        graph,
        outputs,
        registry,
    })
}

/// The nodes a node needs first: its arguments, or the sources of its fragment.
fn node_children(node: &DNode) -> Vec<&Arc<DNode>> {
    match &node.kind {
        Kind::Task { fragment, .. } => fragment.sources.iter().collect(),
        _ => node.children(),
    }
}

fn add(graph: &mut TaskGraph, key: &TaskKey, expr: TaskExpr) -> Result<TaskId, DelayedError> {
    graph
        .add(key.clone(), expr)
        .map_err(|e| DelayedError::DuplicateKey(e.0.to_string()))
}

fn opaque(v: Value) -> TaskExpr {
    TaskExpr::Literal(Literal::Opaque(Arc::new(v)))
}

fn call(func: &str, args: Vec<TaskExpr>, kwargs: Arc<Map<String, Json>>) -> TaskExpr {
    TaskExpr::Call(Call {
        func: func.into(),
        args,
        kwargs,
    })
}

/// Copies the tasks of `fragment` that `task` needs into `graph` (once each),
/// returning the new id of `task`. A source input becomes a checked reference
/// to its delayed value's task (`from_delayed(@value)`).
fn copy_fragment(
    graph: &mut TaskGraph,
    fragment: &TaskGraph,
    task: TaskId,
    map: &mut [Option<TaskId>],
    done: &HashMap<*const DNode, TaskId>,
) -> Result<TaskId, DelayedError> {
    // Reserve ids for every needed task first: references may go either way.
    let mut needed = Vec::new();
    let mut stack = vec![task];
    while let Some(t) = stack.pop() {
        if map[t.index()].is_some() {
            continue;
        }
        let id = match graph.id_of(&fragment.task(t).key) {
            // Already there through another array of the same expression.
            Some(id) => id,
            None => {
                needed.push(t);
                fragment.task(t).expr.for_each_ref(&mut |d| stack.push(d));
                graph
                    .reserve(fragment.task(t).key.clone())
                    .map_err(|e| DelayedError::DuplicateKey(e.0.to_string()))?
            }
        };
        map[t.index()] = Some(id);
    }
    for t in needed {
        let expr = rewrite(&fragment.task(t).expr, map, done);
        graph.set_expr(map[t.index()].expect("reserved"), expr);
    }
    Ok(map[task.index()].expect("reserved"))
}

fn rewrite(
    expr: &TaskExpr,
    map: &[Option<TaskId>],
    done: &HashMap<*const DNode, TaskId>,
) -> TaskExpr {
    match expr {
        TaskExpr::Ref(d) => TaskExpr::Ref(map[d.index()].expect("a needed task is reserved")),
        TaskExpr::Literal(Literal::Opaque(any)) => match any.downcast_ref::<SourceHandle>() {
            Some(source) => call(
                "from_delayed",
                vec![TaskExpr::Ref(done[&Arc::as_ptr(&source.node)])],
                source.attrs.clone(),
            ),
            None => expr.clone(),
        },
        TaskExpr::Literal(_) => expr.clone(),
        TaskExpr::List(items) => {
            TaskExpr::List(items.iter().map(|e| rewrite(e, map, done)).collect())
        }
        TaskExpr::Call(c) => call(
            &c.func,
            c.args.iter().map(|e| rewrite(e, map, done)).collect(),
            c.kwargs.clone(),
        ),
    }
}

/// Computes delayed values of any types together (shared intermediates once),
/// with the default options.
pub fn compute_values(values: &[Delayed<Value>]) -> Result<Vec<Value>, DelayedError> {
    compute_values_with(values, &ComputeOptions::default())
}

/// [`compute_values`] with a choice of executor, workers, policy and passes
/// (`options.registry` is replaced by the computation's own).
pub fn compute_values_with(
    values: &[Delayed<Value>],
    options: &ComputeOptions<'_>,
) -> Result<Vec<Value>, DelayedError> {
    let roots: Vec<Arc<DNode>> = values.iter().map(|d| d.node.clone()).collect();
    compute_nodes(&roots, options)
}

/// Computes nodes with a registry holding their functions.
pub(crate) fn compute_nodes(
    roots: &[Arc<DNode>],
    options: &ComputeOptions<'_>,
) -> Result<Vec<Value>, DelayedError> {
    let assembled = assemble(roots)?;
    let names = roots.iter().map(|r| r.key.to_string()).collect();
    let options = ComputeOptions {
        executor: options.executor.clone(),
        threads: options.threads,
        policy: options.policy.clone(),
        lower: options.lower.clone(),
        registry: Some(&assembled.registry),
        trace: options.trace,
        progress: options.progress,
        task_passes: options.task_passes,
        optimize: options.optimize.clone(),
        memory_limit: options.memory_limit,
    };
    let computed = compute_tasks(assembled.graph, assembled.outputs, names, &options)?;
    Ok(computed.outputs.into_iter().map(|(_, v)| v).collect())
}
