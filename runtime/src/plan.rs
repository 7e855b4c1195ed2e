//! Turns a [`TaskGraph`] and its requested outputs into an executable [`Plan`]:
//! culled to what the outputs need, function names resolved once, literals
//! converted once, expressions compiled to a flat postfix program per task, and
//! dependencies / dependents in CSR form.
//!
//! Tasks of a plan are numbered `0..plan.len()` (plan indices, `u32`), in the
//! order of their graph ids; [`Plan::task_id`] maps back to the graph.

use std::collections::HashMap;
use std::sync::Arc;

use tessera_ir::{Literal, TaskExpr, TaskGraph, TaskId, TaskKey};

use crate::error::{PlanError, TaskError};
use crate::registry::{DynFn, Kwargs, Registry};
use crate::value::{Array, Value};

/// One instruction of a task's postfix program, evaluated on a value stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// Push the value of another task (plan index).
    Ref(u32),
    /// Push a literal (index into the literal pool).
    Lit(u32),
    /// Pop `n` values and push them as a list.
    List(u32),
    /// Pop `nargs` values, call function `func` with kwargs `kwargs`, push the result.
    Call { func: u32, nargs: u32, kwargs: u32 },
}

/// A resolved function of the plan.
struct PlanFn {
    name: Arc<str>,
    body: Arc<DynFn>,
}

/// A failure while evaluating one task: the function that failed and why.
#[derive(Debug)]
pub(crate) struct EvalError {
    /// The failing function's name.
    pub(crate) func: Arc<str>,
    /// The cause.
    pub(crate) error: TaskError,
}

/// An executable plan: read-only once built, shared by the workers of a run,
/// and the view of the graph that scheduling policies see.
pub struct Plan<'g> {
    graph: &'g TaskGraph,
    ids: Vec<TaskId>,
    dep_start: Vec<u32>,
    deps: Vec<u32>,
    succ_start: Vec<u32>,
    succs: Vec<u32>,
    code_start: Vec<u32>,
    code: Vec<Op>,
    literals: Vec<Value>,
    functions: Vec<PlanFn>,
    kwargs: Vec<Arc<Kwargs>>,
    outputs: Vec<u32>,
    is_output: Vec<bool>,
    topo: Vec<u32>,
}

impl std::fmt::Debug for Plan<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plan")
            .field("tasks", &self.len())
            .field("edges", &self.deps.len())
            .field("outputs", &self.outputs)
            .finish_non_exhaustive()
    }
}

const NOT_NEEDED: u32 = u32::MAX;

fn to_u32(n: usize, what: &'static str) -> Result<u32, PlanError> {
    u32::try_from(n)
        .ok()
        .filter(|&x| x != NOT_NEEDED)
        .ok_or(PlanError::TooLarge(what))
}

/// Reads a literal as a runtime value.
fn literal_value(literal: &Literal) -> Result<Value, String> {
    match literal {
        Literal::Json(json) => Value::from_json(json),
        Literal::Opaque(any) => {
            if let Some(v) = any.downcast_ref::<Value>() {
                Ok(v.clone())
            } else if let Some(a) = any.downcast_ref::<Array>() {
                Ok(Value::Array(a.clone()))
            } else {
                Err("an in-memory value of a type the runtime does not know".into())
            }
        }
    }
}

impl<'g> Plan<'g> {
    /// Plans the tasks that `outputs` need (each output once per mention, in
    /// order), resolving every function in `registry`.
    ///
    /// Fails on an unknown function or output, a reference to a missing task, a
    /// literal the runtime cannot hold, or a cycle, naming the task.
    pub fn new(
        graph: &'g TaskGraph,
        outputs: &[TaskId],
        registry: &Registry,
    ) -> Result<Plan<'g>, PlanError> {
        let n_graph = graph.len();
        // 1. Cull: mark what the outputs need (explicit stack).
        let mut local = vec![NOT_NEEDED; n_graph];
        let mut stack: Vec<TaskId> = Vec::new();
        for &out in outputs {
            if out.index() >= n_graph {
                return Err(PlanError::UnknownOutput(out.0));
            }
            stack.push(out);
        }
        const MARKED: u32 = 0;
        // One expression stack for every task (no allocation per task).
        let mut exprs: Vec<&TaskExpr> = Vec::new();
        while let Some(id) = stack.pop() {
            if local[id.index()] == MARKED {
                continue;
            }
            local[id.index()] = MARKED;
            let task = graph.task(id);
            exprs.push(&task.expr);
            while let Some(expr) = exprs.pop() {
                match expr {
                    TaskExpr::Ref(d) if d.index() >= n_graph => {
                        return Err(PlanError::DanglingRef {
                            key: task.key.clone(),
                            target: d.0,
                        });
                    }
                    TaskExpr::Ref(d) => {
                        if local[d.index()] != MARKED {
                            stack.push(*d);
                        }
                    }
                    TaskExpr::Literal(_) => {}
                    TaskExpr::List(items) => exprs.extend(items),
                    TaskExpr::Call(call) => exprs.extend(&call.args),
                }
            }
        }
        let mut ids = Vec::new();
        for (i, slot) in local.iter_mut().enumerate() {
            if *slot == MARKED {
                *slot = to_u32(ids.len(), "tasks")?;
                ids.push(TaskId(to_u32(i, "tasks")?));
            }
        }
        let n = ids.len();

        // 2. Compile each task; collect deduplicated dependencies.
        let mut builder = Builder {
            frames: Vec::new(),
            registry,
            func_index: HashMap::new(),
            last_func: None,
            kwargs_index: HashMap::new(),
            functions: Vec::new(),
            kwargs: vec![Arc::new(Kwargs::new())],
            literals: Vec::new(),
            code: Vec::with_capacity(n * 2),
        };
        let mut code_start = Vec::with_capacity(n + 1);
        let mut dep_start = Vec::with_capacity(n + 1);
        let mut deps: Vec<u32> = Vec::with_capacity(n);
        let mut seen_by = vec![NOT_NEEDED; n];
        code_start.push(0);
        dep_start.push(0);
        for (t, &id) in ids.iter().enumerate() {
            let task = graph.task(id);
            let first_dep = deps.len();
            builder.compile(&task.expr, &task.key, &local, |d| {
                if seen_by[d as usize] != t as u32 {
                    seen_by[d as usize] = t as u32;
                    deps.push(d);
                }
            })?;
            debug_assert!(deps.len() >= first_dep);
            code_start.push(to_u32(builder.code.len(), "instructions")?);
            dep_start.push(to_u32(deps.len(), "edges")?);
        }

        // 3. Dependents in CSR form (counting sort by dependency).
        let mut succ_start = vec![0u32; n + 1];
        for &d in &deps {
            succ_start[d as usize + 1] += 1;
        }
        for i in 0..n {
            succ_start[i + 1] += succ_start[i];
        }
        let mut fill = succ_start.clone();
        let mut succs = vec![0u32; deps.len()];
        for t in 0..n {
            for &d in &deps[dep_start[t] as usize..dep_start[t + 1] as usize] {
                succs[fill[d as usize] as usize] = t as u32;
                fill[d as usize] += 1;
            }
        }

        let mut is_output = vec![false; n];
        let outputs: Vec<u32> = outputs
            .iter()
            .map(|o| {
                let l = local[o.index()];
                is_output[l as usize] = true;
                l
            })
            .collect();

        let mut plan = Plan {
            graph,
            ids,
            dep_start,
            deps,
            succ_start,
            succs,
            code_start,
            code: builder.code,
            literals: builder.literals,
            functions: builder.functions,
            kwargs: builder.kwargs,
            outputs,
            is_output,
            topo: Vec::new(),
        };
        plan.topo = plan.topological_sort()?;
        Ok(plan)
    }

    /// Kahn's algorithm (ready tasks in index order); names a task on a cycle
    /// when there is one.
    fn topological_sort(&self) -> Result<Vec<u32>, PlanError> {
        let n = self.len();
        let mut left: Vec<u32> = (0..n as u32)
            .map(|t| self.dependencies(t).len() as u32)
            .collect();
        let mut order: Vec<u32> = (0..n as u32).filter(|&t| left[t as usize] == 0).collect();
        let mut head = 0;
        while head < order.len() {
            let t = order[head];
            head += 1;
            for &s in self.dependents(t) {
                left[s as usize] -= 1;
                if left[s as usize] == 0 {
                    order.push(s);
                }
            }
        }
        if order.len() == n {
            return Ok(order);
        }
        // Every unsorted task has an unsorted dependency: walking them must
        // come back to a task already seen, which lies on a cycle.
        let mut seen = vec![false; n];
        let Some(mut t) = (0..n).find(|&t| left[t] > 0) else {
            return Ok(order);
        };
        while !seen[t] {
            seen[t] = true;
            t = self
                .dependencies(t as u32)
                .iter()
                .map(|&d| d as usize)
                .find(|&d| left[d] > 0)
                .unwrap_or(t);
        }
        Err(PlanError::Cycle {
            key: self.key(t as u32).clone(),
        })
    }

    /// Number of tasks in the plan.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when the plan has no task (no output was requested).
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The graph this plan runs.
    pub fn graph(&self) -> &'g TaskGraph {
        self.graph
    }

    /// The graph id of plan task `t`.
    pub fn task_id(&self, t: u32) -> TaskId {
        self.ids[t as usize]
    }

    /// The key of plan task `t`.
    pub fn key(&self, t: u32) -> &'g TaskKey {
        &self.graph.task(self.ids[t as usize]).key
    }

    /// Task `t` as its user wrote it (document node and block, or the original
    /// key of a fused task), given the ordinal of its failing call when known.
    pub fn describe(&self, t: u32, call: Option<u32>) -> String {
        self.graph.describe(self.ids[t as usize], call)
    }

    /// The tasks `t` depends on (deduplicated, in first-use order).
    pub fn dependencies(&self, t: u32) -> &[u32] {
        let t = t as usize;
        &self.deps[self.dep_start[t] as usize..self.dep_start[t + 1] as usize]
    }

    /// The tasks that depend on `t` (in increasing order).
    pub fn dependents(&self, t: u32) -> &[u32] {
        let t = t as usize;
        &self.succs[self.succ_start[t] as usize..self.succ_start[t + 1] as usize]
    }

    /// The requested outputs, as plan indices (in request order, repeats kept).
    pub fn outputs(&self) -> &[u32] {
        &self.outputs
    }

    /// True when `t` is a requested output (its value is kept).
    pub fn is_output(&self, t: u32) -> bool {
        self.is_output[t as usize]
    }

    /// A topological order (dependencies first; ties in index order).
    pub fn topological_order(&self) -> &[u32] {
        &self.topo
    }

    /// The tasks that depend on nothing, in index order.
    pub fn sources(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.len() as u32).filter(|&t| self.dependencies(t).is_empty())
    }

    /// The name of the function task `t` calls (its outermost call), or
    /// `"list"`, `"alias"` or `"literal"` for a task that calls none.
    pub fn func_name(&self, t: u32) -> &str {
        let end = self.code_start[t as usize + 1] as usize;
        match self.code[end - 1] {
            Op::Call { func, .. } => &self.functions[func as usize].name,
            Op::List(_) => "list",
            Op::Ref(_) => "alias",
            Op::Lit(_) => "literal",
        }
    }

    /// Evaluates task `t`: `read(d)` gives the value of dependency `d`; `stack`
    /// is scratch space, left empty. `calls` counts the calls completed, so on a
    /// failure (or a panic) it is the ordinal of the failing call.
    pub(crate) fn evaluate(
        &self,
        t: u32,
        stack: &mut Vec<Value>,
        calls: &mut u32,
        read: impl Fn(u32) -> Value,
    ) -> Result<Value, EvalError> {
        let start = self.code_start[t as usize] as usize;
        let end = self.code_start[t as usize + 1] as usize;
        stack.clear();
        *calls = 0;
        for op in &self.code[start..end] {
            match *op {
                Op::Ref(d) => stack.push(read(d)),
                Op::Lit(i) => stack.push(self.literals[i as usize].clone()),
                Op::List(n) => {
                    let base = stack.len() - n as usize;
                    let items: Arc<[Value]> = stack.drain(base..).collect();
                    stack.push(Value::List(items));
                }
                Op::Call {
                    func,
                    nargs,
                    kwargs,
                } => {
                    let base = stack.len() - nargs as usize;
                    let f = &self.functions[func as usize];
                    match (f.body)(&stack[base..], &self.kwargs[kwargs as usize]) {
                        Ok(v) => {
                            stack.truncate(base);
                            stack.push(v);
                            *calls += 1;
                        }
                        Err(error) => {
                            stack.clear();
                            return Err(EvalError {
                                func: f.name.clone(),
                                error,
                            });
                        }
                    }
                }
            }
        }
        // A program always leaves exactly one value.
        Ok(stack.pop().unwrap_or(Value::None))
    }
}

/// Compiles task expressions, interning functions, kwargs and literals.
struct Builder<'r, 'g> {
    frames: Vec<Frame<'g>>,
    registry: &'r Registry,
    func_index: HashMap<Arc<str>, u32>,
    last_func: Option<(Arc<str>, u32)>,
    kwargs_index: HashMap<*const Kwargs, u32>,
    functions: Vec<PlanFn>,
    kwargs: Vec<Arc<Kwargs>>,
    literals: Vec<Value>,
    code: Vec<Op>,
}

enum Frame<'e> {
    Enter(&'e TaskExpr),
    List(u32),
    Call { func: u32, nargs: u32, kwargs: u32 },
}

impl<'g> Builder<'_, 'g> {
    fn function(&mut self, name: &Arc<str>, key: &TaskKey) -> Result<u32, PlanError> {
        // Most graphs call one function many times through one shared name.
        if let Some((last, i)) = &self.last_func
            && Arc::ptr_eq(last, name)
        {
            return Ok(*i);
        }
        let i = match self.func_index.get(name) {
            Some(&i) => i,
            None => {
                let f = self
                    .registry
                    .get(name)
                    .ok_or_else(|| PlanError::UnknownFunction {
                        key: key.clone(),
                        func: name.clone(),
                    })?;
                let i = to_u32(self.functions.len(), "functions")?;
                self.functions.push(PlanFn {
                    name: name.clone(),
                    body: f.body().clone(),
                });
                self.func_index.insert(name.clone(), i);
                i
            }
        };
        self.last_func = Some((name.clone(), i));
        Ok(i)
    }

    fn kwargs(&mut self, kwargs: &Arc<Kwargs>) -> Result<u32, PlanError> {
        if kwargs.is_empty() {
            return Ok(0);
        }
        let next = to_u32(self.kwargs.len(), "kwargs")?;
        let i = *self.kwargs_index.entry(Arc::as_ptr(kwargs)).or_insert(next);
        if i == next {
            self.kwargs.push(kwargs.clone());
        }
        Ok(i)
    }

    fn compile(
        &mut self,
        expr: &'g TaskExpr,
        key: &TaskKey,
        local: &[u32],
        mut dep: impl FnMut(u32),
    ) -> Result<(), PlanError> {
        let mut stack = std::mem::take(&mut self.frames);
        stack.push(Frame::Enter(expr));
        while let Some(frame) = stack.pop() {
            let op = match frame {
                Frame::Enter(TaskExpr::Ref(id)) => {
                    let d = local[id.index()];
                    dep(d);
                    Op::Ref(d)
                }
                Frame::Enter(TaskExpr::Literal(literal)) => {
                    let value = literal_value(literal).map_err(|reason| PlanError::BadLiteral {
                        key: key.clone(),
                        reason,
                    })?;
                    self.literals.push(value);
                    Op::Lit(to_u32(self.literals.len() - 1, "literals")?)
                }
                Frame::Enter(TaskExpr::List(items)) => {
                    stack.push(Frame::List(to_u32(items.len(), "list items")?));
                    stack.extend(items.iter().rev().map(Frame::Enter));
                    continue;
                }
                Frame::Enter(TaskExpr::Call(call)) => {
                    let func = self.function(&call.func, key)?;
                    let kwargs = self.kwargs(&call.kwargs)?;
                    stack.push(Frame::Call {
                        func,
                        nargs: to_u32(call.args.len(), "arguments")?,
                        kwargs,
                    });
                    stack.extend(call.args.iter().rev().map(Frame::Enter));
                    continue;
                }
                Frame::List(n) => Op::List(n),
                Frame::Call {
                    func,
                    nargs,
                    kwargs,
                } => Op::Call {
                    func,
                    nargs,
                    kwargs,
                },
            };
            self.code.push(op);
        }
        self.frames = stack;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_ir::Call;

    fn lit(v: i64) -> TaskExpr {
        TaskExpr::Literal(Literal::json(v))
    }
    fn call(func: &str, args: Vec<TaskExpr>) -> TaskExpr {
        TaskExpr::Call(Call {
            func: func.into(),
            args,
            kwargs: Default::default(),
        })
    }
    fn key(s: &str) -> TaskKey {
        TaskKey::new(s)
    }
    fn eval_all(plan: &Plan<'_>) -> Vec<Value> {
        let mut values: Vec<Option<Value>> = vec![None; plan.len()];
        let mut stack = Vec::new();
        for &t in plan.topological_order() {
            let v = plan
                .evaluate(t, &mut stack, &mut 0, |d| {
                    values[d as usize].clone().unwrap()
                })
                .unwrap();
            values[t as usize] = Some(v);
        }
        plan.outputs()
            .iter()
            .map(|&o| values[o as usize].clone().unwrap())
            .collect()
    }

    #[test]
    fn culls_to_what_the_outputs_need_and_builds_csr() {
        let mut g = TaskGraph::new();
        let a = g.add(key("a"), lit(1)).unwrap();
        let _unused = g.add(key("unused"), call("nope", vec![])).unwrap();
        let b = g
            .add(key("b"), call("inc", vec![TaskExpr::Ref(a)]))
            .unwrap();
        let c = g
            .add(
                key("c"),
                call(
                    "add",
                    vec![
                        TaskExpr::Ref(b),
                        call(
                            "sum",
                            vec![TaskExpr::List(vec![TaskExpr::Ref(a), TaskExpr::Ref(b)])],
                        ),
                    ],
                ),
            )
            .unwrap();
        let r = Registry::with_builtins();
        let plan = Plan::new(&g, &[c], &r).unwrap();
        assert_eq!(plan.len(), 3);
        let keys: Vec<&str> = (0..3).map(|t| plan.key(t).as_str()).collect();
        assert_eq!(keys, ["a", "b", "c"]);
        assert_eq!(plan.dependencies(2), &[1, 0]);
        assert_eq!(plan.dependents(0), &[1, 2]);
        assert_eq!(plan.dependents(1), &[2]);
        assert_eq!(plan.func_name(2), "add");
        assert_eq!(plan.func_name(0), "literal");
        assert!(plan.is_output(2) && !plan.is_output(1));
        assert_eq!(plan.sources().collect::<Vec<_>>(), vec![0]);
        // b = 2, c = b + (a + b) = 2 + 3
        assert_eq!(eval_all(&plan), vec![Value::Int(5)]);
    }

    #[test]
    fn unknown_function_names_task_and_function() {
        let mut g = TaskGraph::new();
        let a = g.add(key("x-1"), call("frobnicate", vec![lit(1)])).unwrap();
        let err = Plan::new(&g, &[a], &Registry::with_builtins()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "task x-1: unknown function \"frobnicate\" (not in the function registry)"
        );
    }

    #[test]
    fn cycles_and_dangling_refs_are_errors() {
        let mut g = TaskGraph::new();
        let a = g.reserve(key("a")).unwrap();
        let b = g
            .add(key("b"), call("inc", vec![TaskExpr::Ref(a)]))
            .unwrap();
        g.set_expr(a, call("inc", vec![TaskExpr::Ref(b)]));
        let top = g
            .add(key("top"), call("inc", vec![TaskExpr::Ref(b)]))
            .unwrap();
        let r = Registry::with_builtins();
        let err = Plan::new(&g, &[top], &r).unwrap_err();
        assert!(
            matches!(err, PlanError::Cycle { ref key } if key.as_str() == "a" || key.as_str() == "b"),
            "{err}"
        );

        let mut g = TaskGraph::new();
        let a = g.add(key("a"), TaskExpr::Ref(TaskId(7))).unwrap();
        assert_eq!(
            Plan::new(&g, &[a], &r).unwrap_err().to_string(),
            "task a refers to task #7 which does not exist"
        );
        assert_eq!(
            Plan::new(&g, &[TaskId(3)], &r).unwrap_err(),
            PlanError::UnknownOutput(3)
        );
    }

    #[test]
    fn literals_opaque_values_aliases_and_repeated_outputs() {
        let mut g = TaskGraph::new();
        let v = Value::Str("in memory".into());
        let a = g
            .add(
                key("a"),
                TaskExpr::Literal(Literal::Opaque(Arc::new(v.clone()))),
            )
            .unwrap();
        let alias = g.add(key("alias"), TaskExpr::Ref(a)).unwrap();
        let bad = g
            .add(
                key("bad"),
                TaskExpr::Literal(Literal::Opaque(Arc::new(1u8))),
            )
            .unwrap();
        let obj = g
            .add(
                key("obj"),
                TaskExpr::Literal(Literal::json(serde_json::json!({"a": 1}))),
            )
            .unwrap();
        let r = Registry::with_builtins();
        let plan = Plan::new(&g, &[alias, a, alias], &r).unwrap();
        assert_eq!(plan.func_name(1), "alias");
        assert_eq!(eval_all(&plan), vec![v.clone(), v.clone(), v]);
        assert!(
            Plan::new(&g, &[bad], &r)
                .unwrap_err()
                .to_string()
                .starts_with("task bad: bad literal")
        );
        // A JSON object literal is kept as a dict value.
        let plan = Plan::new(&g, &[obj], &r).unwrap();
        assert_eq!(eval_all(&plan)[0].to_json(), serde_json::json!({"a": 1}));
    }

    #[test]
    fn evaluation_errors_name_the_inner_function() {
        let mut g = TaskGraph::new();
        let a = g
            .add(
                key("a"),
                call("inc", vec![call("div", vec![lit(1), lit(0)])]),
            )
            .unwrap();
        let r = Registry::with_builtins();
        let plan = Plan::new(&g, &[a], &r).unwrap();
        let err = plan
            .evaluate(0, &mut Vec::new(), &mut 0, |_| Value::None)
            .unwrap_err();
        assert_eq!(&*err.func, "div");
        assert_eq!(err.error.to_string(), "division by zero");
    }

    #[test]
    fn deep_nesting_compiles_without_recursion() {
        let mut expr = lit(0);
        for _ in 0..100_000 {
            expr = call("inc", vec![expr]);
        }
        let mut g = TaskGraph::new();
        let a = g.add(key("deep"), expr).unwrap();
        let r = Registry::with_builtins();
        let plan = Plan::new(&g, &[a], &r).unwrap();
        assert_eq!(eval_all(&plan), vec![Value::Int(100_000)]);
        drop(plan);
        // Dropping a 100,000-deep TaskExpr recurses in its own Drop; leak it in
        // this test so only the plan's behaviour is measured.
        std::mem::forget(g);
    }
}
