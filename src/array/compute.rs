//! Computing arrays: the expression is written as one document, validated, lowered
//! and run by [`crate::compute::compute_graph`], with the in-memory inputs bound
//! as opaque literals. Several arrays computed together share one document, so
//! their common work runs once. Also the lowered task graph as a dictionary.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use ndarray::{ArcArray, ArrayD, IxDyn};
use serde_json::Value as Json;
use tessera_compiler::LowerOptions;
use tessera_ir::{DType, InferContext, Literal, TaskExpr, TaskGraph, TaskKey, ValidGraph};
use tessera_runtime::Value;

use super::Array;
use super::document::{Bindings, to_document};
use super::error::ArrayError;
use crate::compute::{ComputeOptions, compute_graph};

mod sealed {
    pub trait Sealed {}
    impl Sealed for f64 {}
    impl Sealed for f32 {}
    impl Sealed for i64 {}
    impl Sealed for i32 {}
    impl Sealed for bool {}
}

/// An element type of the graph format: `f64`, `f32`, `i64`, `i32`, `bool`.
pub trait Element: Copy + Send + Sync + 'static + sealed::Sealed {
    /// The dtype of arrays of this element.
    const DTYPE: DType;
    /// Wraps an ndarray as a runtime array (no copy).
    fn into_runtime(a: ArrayD<Self>) -> tessera_runtime::Array;
    /// The ndarray inside a runtime array of this dtype (a copy only when the
    /// buffer is shared), or the array back when its dtype differs.
    fn from_runtime(a: tessera_runtime::Array) -> Result<ArrayD<Self>, tessera_runtime::Array>;
    /// A scalar value of the runtime as this element, when of the right kind.
    fn from_scalar(v: &Value) -> Option<Self>;
}

macro_rules! element {
    ($t:ty, $dtype:ident, $scalar:pat => $x:expr) => {
        impl Element for $t {
            const DTYPE: DType = DType::$dtype;
            fn into_runtime(a: ArrayD<$t>) -> tessera_runtime::Array {
                a.into()
            }
            fn from_runtime(
                a: tessera_runtime::Array,
            ) -> Result<ArrayD<$t>, tessera_runtime::Array> {
                ArcArray::<$t, IxDyn>::try_from(a).map(ArcArray::into_owned)
            }
            fn from_scalar(v: &Value) -> Option<$t> {
                match *v {
                    $scalar => Some($x),
                    _ => None,
                }
            }
        }
    };
}
element!(f64, Float64, Value::Float(x) => x);
element!(f32, Float32, Value::Float(x) => x as f32);
element!(i64, Int64, Value::Int(x) => x);
element!(i32, Int32, Value::Int(x) => x as i32);
element!(bool, Bool, Value::Bool(x) => x);

/// The document of `arrays`, validated, and its bindings.
pub(super) fn prepare(arrays: &[&Array]) -> Result<(ValidGraph, Bindings), ArrayError> {
    let (doc, bindings) = to_document(arrays);
    let graph =
        tessera_ir::validate(&doc, &InferContext::default()).map_err(ArrayError::Invalid)?;
    Ok((graph, bindings))
}

/// Lowering options with the inputs bound (the caller's own inputs kept).
pub(super) fn lower_options(base: &LowerOptions, bindings: &Bindings) -> LowerOptions {
    let mut lower = base.clone();
    lower.inputs.extend(bindings.to_inputs());
    lower
}

/// Computes several arrays together: one document, so shared subexpressions run
/// once. Values come back in order.
pub fn compute_many(arrays: &[&Array]) -> Result<Vec<Value>, ArrayError> {
    compute_many_with(arrays, &ComputeOptions::default())
}

/// [`compute_many`] with a choice of executor, workers, policy and lowering.
pub fn compute_many_with(
    arrays: &[&Array],
    options: &ComputeOptions<'_>,
) -> Result<Vec<Value>, ArrayError> {
    let (graph, bindings) = prepare(arrays)?;
    if bindings.sources().next().is_some() {
        // Arrays made from delayed values compute with them, as one task graph.
        return super::delayed::compute_arrays(arrays, options);
    }
    // Closures used as block functions join the registry for this computation.
    let with_closures = bindings.registry_with_functions(
        options
            .registry
            .unwrap_or_else(|| crate::registry::default_registry()),
    );
    let options = ComputeOptions {
        executor: options.executor.clone(),
        threads: options.threads,
        policy: options.policy.clone(),
        lower: lower_options(&options.lower, &bindings),
        registry: with_closures.as_ref().or(options.registry),
        trace: options.trace,
        progress: options.progress,
        task_passes: options.task_passes,
        optimize: options.optimize.clone(),
        memory_limit: options.memory_limit,
    };
    let computed = compute_graph(&graph, &options)?;
    Ok(computed.outputs.into_iter().map(|(_, v)| v).collect())
}

/// The lowered task graph of several arrays as a dictionary from key to task,
/// both written as Dask shows them: keys `('exp-<token>', 0, 1)`, tasks
/// `(exp, ('ones-<token>', 0, 1))`, kernel attributes as a trailing dict.
pub fn task_graph(arrays: &[&Array]) -> Result<BTreeMap<String, String>, ArrayError> {
    let (graph, bindings) = prepare(arrays)?;
    let lowered =
        tessera_compiler::lower(&graph, &lower_options(&LowerOptions::default(), &bindings))
            .map_err(|e| ArrayError::Compute(e.into()))?;
    let tasks = &lowered.graph;
    Ok(tasks
        .tasks()
        .iter()
        .map(|t| (py_key(&t.key), py_expr(&t.expr, tasks)))
        .collect())
}

impl Array {
    /// Computes the array as an ndarray of `T`, which must be its dtype.
    pub fn compute<T: Element>(&self) -> Result<ArrayD<T>, ArrayError> {
        self.compute_with(&ComputeOptions::default())
    }

    /// [`Array::compute`] with a choice of executor, workers, policy and lowering
    /// (`whole_arrays`, `split_every`).
    pub fn compute_with<T: Element>(
        &self,
        options: &ComputeOptions<'_>,
    ) -> Result<ArrayD<T>, ArrayError> {
        if self.dtype() != T::DTYPE {
            return Err(ArrayError::DType {
                expected: T::DTYPE,
                found: self.dtype(),
            });
        }
        let value = self.compute_value_with(options)?;
        let found = describe(&value);
        let typed = match value {
            Value::Array(a) => T::from_runtime(a).ok(),
            // A runtime scalar stands for a 0-d array.
            ref v if self.ndim() == 0 => {
                T::from_scalar(v).map(|x| ArrayD::from_elem(IxDyn(&[]), x))
            }
            _ => None,
        };
        typed.ok_or(ArrayError::Output {
            index: 0,
            expected: T::DTYPE,
            found,
        })
    }

    /// Computes the array as a runtime value (an array of any dtype).
    pub fn compute_value(&self) -> Result<Value, ArrayError> {
        self.compute_value_with(&ComputeOptions::default())
    }

    /// [`Array::compute_value`] with a choice of executor, workers, policy and
    /// lowering.
    pub fn compute_value_with(&self, options: &ComputeOptions<'_>) -> Result<Value, ArrayError> {
        let mut values = compute_many_with(&[self], options)?;
        values.pop().ok_or_else(|| ArrayError::Output {
            index: 0,
            expected: self.dtype(),
            found: "nothing".to_owned(),
        })
    }

    /// The lowered task graph as a dictionary (see [`task_graph`]).
    pub fn task_graph(&self) -> Result<BTreeMap<String, String>, ArrayError> {
        task_graph(&[self])
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Array(a) => format!("an array of dtype {}", a.dtype()),
        other => format!("a value of type {}", other.type_name()),
    }
}

/// A key as Python prints it: `('exp-1f2e', 0, 1)` for a tuple key, `'x'` else.
fn py_key(key: &TaskKey) -> String {
    let text = key.as_str();
    if text.starts_with('[')
        && let Ok(json @ Json::Array(_)) = serde_json::from_str::<Json>(text)
    {
        return py_json(&json, true);
    }
    py_str(text)
}

fn py_str(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// JSON as a Python literal; lists become tuples when `tuple`.
fn py_json(v: &Json, tuple: bool) -> String {
    match v {
        Json::Null => "None".into(),
        Json::Bool(true) => "True".into(),
        Json::Bool(false) => "False".into(),
        Json::Number(n) => n.to_string(),
        Json::String(s) => py_str(s),
        Json::Array(items) => {
            let parts: Vec<String> = items.iter().map(|x| py_json(x, false)).collect();
            match (tuple, parts.len()) {
                (true, 1) => format!("({},)", parts[0]),
                (true, _) => format!("({})", parts.join(", ")),
                (false, _) => format!("[{}]", parts.join(", ")),
            }
        }
        Json::Object(m) => {
            let parts: Vec<String> = m
                .iter()
                .map(|(k, x)| format!("{}: {}", py_str(k), py_json(x, false)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
    }
}

/// A task expression as Dask writes tasks; nested only as deep as one task's
/// expression (lists of blocks), never across tasks.
fn py_expr(expr: &TaskExpr, graph: &TaskGraph) -> String {
    let mut out = String::new();
    write_expr(&mut out, expr, graph);
    out
}

fn write_expr(out: &mut String, expr: &TaskExpr, graph: &TaskGraph) {
    match expr {
        TaskExpr::Ref(id) => out.push_str(&py_key(&graph.task(*id).key)),
        TaskExpr::Literal(Literal::Json(v)) => out.push_str(&py_json(v, false)),
        TaskExpr::Literal(Literal::Opaque(any)) => match any.downcast_ref::<Value>() {
            Some(Value::Array(a)) => {
                let _ = write!(out, "<array {} {:?}>", a.dtype(), a.shape());
            }
            Some(v) => {
                let _ = write!(out, "<{}>", v.type_name());
            }
            None => out.push_str("<in-memory value>"),
        },
        TaskExpr::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_expr(out, item, graph);
            }
            out.push(']');
        }
        TaskExpr::Call(call) => {
            out.push('(');
            out.push_str(&call.func);
            let parts = call.args.len() + usize::from(!call.kwargs.is_empty());
            for arg in &call.args {
                out.push_str(", ");
                write_expr(out, arg, graph);
            }
            if !call.kwargs.is_empty() {
                out.push_str(", ");
                out.push_str(&py_json(&Json::Object((*call.kwargs).clone()), false));
            }
            if parts == 0 {
                out.push(',');
            }
            out.push(')');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::array::Axis;

    #[test]
    fn keys_and_literals_print_as_python() {
        assert_eq!(
            py_key(&TaskKey::block("exp-ab", &[0, 1])),
            "('exp-ab', 0, 1)"
        );
        assert_eq!(py_key(&TaskKey::block("sum-ab", &[])), "('sum-ab',)");
        assert_eq!(py_key(&TaskKey::new("x")), "'x'");
        assert_eq!(
            py_json(
                &serde_json::json!({"a": [1, null, true], "b": "it's"}),
                false
            ),
            r"{'a': [1, None, True], 'b': 'it\'s'}"
        );
    }

    #[test]
    fn the_task_graph_is_a_dictionary_of_dask_tasks() {
        let x = Array::ones(&[4, 4], DType::Float64, 2).unwrap();
        let y = x.exp().unwrap();
        let graph = y.task_graph().unwrap();
        let ones: Vec<&String> = graph.keys().filter(|k| k.starts_with("('ones-")).collect();
        let exps: Vec<&String> = graph.keys().filter(|k| k.starts_with("('exp-")).collect();
        assert_eq!((ones.len(), exps.len()), (4, 4), "{graph:#?}");
        let task = &graph[exps[0]];
        assert!(task.starts_with("(exp, ('ones-"), "{task}");
        assert!(task.ends_with(", 0, 0))"), "{task}");
    }

    #[test]
    fn typed_compute_checks_the_dtype_first() {
        let x = Array::ones(&[3], DType::Int32, 3).unwrap();
        let e = x.compute::<f64>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "the array has dtype int32, not float64; use astype to convert it"
        );
        let s = x.sum(Axis::All, false).unwrap();
        assert!(matches!(s.compute::<i32>(), Err(ArrayError::DType { .. })));
    }
}
