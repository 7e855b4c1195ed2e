//! Task-level IR: one function or kernel call per task on concrete values.
//!
//! This is what lowering emits and what the runtime accepts. A [`TaskGraph`] is an
//! arena of tasks indexed by [`TaskId`]; each task has a unique [`TaskKey`] (the
//! Dask-style key a user sees) and an expression that may reference other tasks.
//! Function names are resolved by the runtime's registry; keyword arguments
//! (`kwargs`) carry a kernel's attributes and are shared through `Arc` so that many
//! per-block tasks of one array op hold one copy.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// Index of a task in its [`TaskGraph`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(pub u32);

impl TaskId {
    /// The index as `usize`, for indexing vectors.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// The key of a task: a plain string, or the compact JSON text of a tuple key
/// (`["exp-1f2e3d",0,1]`), which is how Dask's tuple keys are written here.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskKey(pub Arc<str>);

impl TaskKey {
    /// A plain string key.
    pub fn new(key: impl Into<Arc<str>>) -> TaskKey {
        TaskKey(key.into())
    }

    /// A Dask-style tuple key `(name, i, j, ...)`, stored as compact JSON text.
    pub fn block(name: &str, index: &[usize]) -> TaskKey {
        use std::fmt::Write as _;
        let mut text = String::with_capacity(name.len() + 4 + 6 * index.len());
        text.push('[');
        // Names are mostly `<op>-<token>`: nothing to escape, so no JSON encoder.
        if name
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
        {
            text.push('"');
            text.push_str(name);
            text.push('"');
        } else {
            text.push_str(&serde_json::Value::String(name.to_owned()).to_string());
        }
        for i in index {
            write!(text, ",{i}").expect("writing to a String cannot fail");
        }
        text.push(']');
        TaskKey(text.into())
    }

    /// The key text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TaskKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A literal value inside a task: JSON data, or an opaque in-memory value (such as an
/// ndarray handed over by the Rust API) that only the runtime knows how to read.
#[derive(Clone)]
pub enum Literal {
    /// A JSON value taken as is (boxed: a `serde_json::Value` is 80 bytes, and
    /// every [`TaskExpr`] would be that large with it inline).
    Json(Box<serde_json::Value>),
    /// An in-memory value; the runtime downcasts it to its own value type.
    Opaque(Arc<dyn Any + Send + Sync>),
}

impl Literal {
    /// A JSON literal.
    pub fn json(value: impl Into<serde_json::Value>) -> Literal {
        Literal::Json(Box::new(value.into()))
    }
}

impl fmt::Debug for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Json(v) => write!(f, "{v}"),
            Literal::Opaque(_) => f.write_str("<in-memory value>"),
        }
    }
}

/// A call of a registered function or kernel.
#[derive(Debug, Clone)]
pub struct Call {
    /// Name in the runtime's function registry (`"inc"`, `"exp"`, `"sum_chunk"`...).
    pub func: Arc<str>,
    /// Positional arguments.
    pub args: Vec<TaskExpr>,
    /// Keyword arguments / kernel attributes, shared between tasks of one op.
    pub kwargs: Arc<serde_json::Map<String, serde_json::Value>>,
}

/// The expression a task evaluates.
#[derive(Debug, Clone)]
pub enum TaskExpr {
    /// The value of another task.
    Ref(TaskId),
    /// A literal.
    Literal(Literal),
    /// A list whose elements are evaluated.
    List(Vec<TaskExpr>),
    /// A function call (nested calls are allowed, as Dask's nested tasks).
    Call(Call),
}

impl TaskExpr {
    /// Calls `visit` on every task this expression references, in order.
    pub fn for_each_ref(&self, visit: &mut impl FnMut(TaskId)) {
        let mut stack = vec![self];
        while let Some(expr) = stack.pop() {
            match expr {
                TaskExpr::Ref(id) => visit(*id),
                TaskExpr::Literal(_) => {}
                TaskExpr::List(items) => stack.extend(items.iter().rev()),
                TaskExpr::Call(call) => stack.extend(call.args.iter().rev()),
            }
        }
    }
}

/// One task: a key and the expression that computes its value.
#[derive(Debug, Clone)]
pub struct Task {
    /// The task's unique key.
    pub key: TaskKey,
    /// What it computes.
    pub expr: TaskExpr,
}

/// A graph of tasks, stored as an arena.
#[derive(Debug, Clone, Default)]
pub struct TaskGraph {
    tasks: Vec<Task>,
    index: HashMap<TaskKey, TaskId>,
    provenance: Provenance,
}

/// Where the tasks of a graph came from, so that a failed task is named as its
/// user wrote it: the document node each lowered task computes part of (one
/// `u32` per task, the node ids once), and the original keys of the tasks a
/// chain was fused from.
#[derive(Debug, Clone, Default)]
pub struct Provenance {
    /// The document's nodes: id and lowered name (`exp-1f2e...`), indexed by
    /// `task_nodes`.
    pub nodes: Vec<(Arc<str>, Arc<str>)>,
    /// Per task, the index in `nodes` of its node; empty when the graph was not
    /// lowered from a document, shorter when tasks were added after lowering.
    pub task_nodes: Vec<u32>,
    /// Fused tasks: the tasks of the chain, outermost first, each with the
    /// calls of the fused expression that evaluate it.
    pub fused: HashMap<TaskId, Vec<FusedPart>>,
}

/// One task of a fused chain: its original key and the calls of the fused
/// expression that evaluate it (call `k` is the `k`-th call completed when the
/// expression is evaluated arguments first, in order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FusedPart {
    /// The task's key before fusion.
    pub key: TaskKey,
    /// The calls evaluating it, those of the tasks it absorbed included.
    pub calls: std::ops::Range<u32>,
}

impl Provenance {
    /// Describes task `id` (key `key`) for a user; `call` is the failing call
    /// of its expression, when known: `node "c" block [0, 1]`, `node "c" (task
    /// ["c-syrk",1,0])`, `task boom (fused into c)`, or `task <key>`.
    pub fn describe(&self, id: TaskId, key: &TaskKey, call: Option<u32>) -> String {
        let part = call.and_then(|k| {
            self.fused
                .get(&id)?
                .iter()
                .rev()
                .find(|p| p.calls.contains(&k))
        });
        if let Some(p) = part
            && p.key != *key
        {
            return format!("task {} (fused into {key})", p.key);
        }
        let Some((node, name)) = self
            .task_nodes
            .get(id.index())
            .and_then(|&n| self.nodes.get(n as usize))
        else {
            return format!("task {key}");
        };
        // A block key is `[name, i, j, ...]`: its name and index.
        let parsed: Option<(String, Vec<u64>)> =
            serde_json::from_str::<serde_json::Value>(key.as_str())
                .ok()
                .and_then(|v| {
                    let items = v.as_array()?;
                    let index: Option<Vec<u64>> =
                        items.iter().skip(1).map(|i| i.as_u64()).collect();
                    Some((items.first()?.as_str()?.to_owned(), index?))
                });
        match parsed {
            Some((n, index)) if n == **name && !index.is_empty() => {
                format!("node {node:?} block {index:?}")
            }
            Some((n, index)) if n == **name && index.is_empty() => format!("node {node:?}"),
            _ if key.as_str() == &**node => format!("node {node:?}"),
            _ => format!("node {node:?} (task {key})"),
        }
    }
}

/// Error when adding a task whose key is already in the graph.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("duplicate task key {0}")]
pub struct DuplicateKey(pub TaskKey);

impl TaskGraph {
    /// An empty graph.
    pub fn new() -> TaskGraph {
        TaskGraph::default()
    }

    /// An empty graph with room for `n` tasks.
    pub fn with_capacity(n: usize) -> TaskGraph {
        TaskGraph {
            tasks: Vec::with_capacity(n),
            index: HashMap::with_capacity(n),
            provenance: Provenance::default(),
        }
    }

    /// Gives back the room reserved for tasks not added (the task vector grows
    /// by doubling: up to half of it may be spare once a graph is built).
    pub fn shrink_to_fit(&mut self) {
        self.tasks.shrink_to_fit();
        self.index.shrink_to_fit();
    }

    /// Where the tasks came from (for error messages).
    pub fn provenance(&self) -> &Provenance {
        &self.provenance
    }

    /// Sets where the tasks came from.
    pub fn set_provenance(&mut self, provenance: Provenance) {
        self.provenance = provenance;
    }

    /// Describes task `id` for a user (see [`Provenance::describe`]).
    pub fn describe(&self, id: TaskId, call: Option<u32>) -> String {
        self.provenance.describe(id, &self.task(id).key, call)
    }

    /// Adds a task; its references must point at tasks already added or added later
    /// (check with [`TaskGraph::check_refs`]).
    pub fn add(&mut self, key: TaskKey, expr: TaskExpr) -> Result<TaskId, DuplicateKey> {
        let id = TaskId(u32::try_from(self.tasks.len()).expect("more than 2^32 tasks"));
        if self.index.contains_key(&key) {
            return Err(DuplicateKey(key));
        }
        self.index.insert(key.clone(), id);
        self.tasks.push(Task { key, expr });
        Ok(id)
    }

    /// Reserves an id for `key` with a placeholder expression, to be set later with
    /// [`TaskGraph::set_expr`] (for building graphs whose references go forward).
    pub fn reserve(&mut self, key: TaskKey) -> Result<TaskId, DuplicateKey> {
        self.add(key, TaskExpr::List(Vec::new()))
    }

    /// Replaces the expression of a task.
    pub fn set_expr(&mut self, id: TaskId, expr: TaskExpr) {
        self.tasks[id.index()].expr = expr;
    }

    /// The task with this id.
    pub fn task(&self, id: TaskId) -> &Task {
        &self.tasks[id.index()]
    }

    /// The id of the task with this key.
    pub fn id_of(&self, key: &TaskKey) -> Option<TaskId> {
        self.index.get(key).copied()
    }

    /// All tasks in id order.
    pub fn tasks(&self) -> &[Task] {
        &self.tasks
    }

    /// Number of tasks.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// True when the graph has no task.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// The ids of the tasks each task depends on (deduplicated, in first-use order).
    pub fn dependencies(&self, id: TaskId) -> Vec<TaskId> {
        let mut deps = Vec::new();
        self.tasks[id.index()].expr.for_each_ref(&mut |d| {
            if !deps.contains(&d) {
                deps.push(d)
            }
        });
        deps
    }

    /// Checks that every reference points at a task of this graph.
    pub fn check_refs(&self) -> Result<(), String> {
        let n = self.tasks.len();
        for task in &self.tasks {
            let mut bad = None;
            task.expr.for_each_ref(&mut |d| {
                if d.index() >= n {
                    bad = Some(d)
                }
            });
            if let Some(d) = bad {
                return Err(format!(
                    "task {} refers to task #{} which does not exist",
                    task.key, d.0
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_expr_stays_small_with_json_literals_boxed() {
        // A lowered graph holds several expressions per task: a JSON value
        // inline (80 bytes) would make each one 88 bytes.
        assert!(std::mem::size_of::<TaskExpr>() <= 56);
    }

    #[test]
    fn block_keys_are_json_text() {
        assert_eq!(
            TaskKey::block("exp-ab12", &[0, 3]).as_str(),
            r#"["exp-ab12",0,3]"#
        );
        assert_eq!(TaskKey::block("x", &[]).as_str(), r#"["x"]"#);
        // Names that need escaping go through the JSON encoder.
        for name in ["a\"b", "back\\slash", "new\nline", "sp ace", "é"] {
            let key = TaskKey::block(name, &[12, 0]);
            let parsed: serde_json::Value = serde_json::from_str(key.as_str()).unwrap();
            assert_eq!(parsed, serde_json::json!([name, 12, 0]));
        }
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let mut g = TaskGraph::new();
        g.add(TaskKey::new("a"), TaskExpr::Literal(Literal::json(1)))
            .unwrap();
        let err = g
            .add(TaskKey::new("a"), TaskExpr::Literal(Literal::json(2)))
            .unwrap_err();
        assert_eq!(err.to_string(), "duplicate task key a");
    }

    #[test]
    fn dependencies_walk_nested_calls_and_lists() {
        let mut g = TaskGraph::new();
        let a = g
            .add(TaskKey::new("a"), TaskExpr::Literal(Literal::json(1)))
            .unwrap();
        let b = g
            .add(TaskKey::new("b"), TaskExpr::Literal(Literal::json(2)))
            .unwrap();
        let call = |func: &str, args| {
            TaskExpr::Call(Call {
                func: func.into(),
                args,
                kwargs: Default::default(),
            })
        };
        let c = g
            .add(
                TaskKey::new("c"),
                call(
                    "add",
                    vec![
                        call("inc", vec![TaskExpr::Ref(b)]),
                        TaskExpr::List(vec![TaskExpr::Ref(a), TaskExpr::Ref(b)]),
                    ],
                ),
            )
            .unwrap();
        assert_eq!(g.dependencies(c), vec![b, a]);
        assert!(g.check_refs().is_ok());
    }
}
