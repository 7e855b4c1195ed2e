//! The untyped node behind a [`Delayed`](super::Delayed) value: a concrete value,
//! a call of a wrapped function, one part of a multi-part value, or a task of a
//! lowered array. Nodes are immutable, shared by `Arc`, and dropped with an
//! explicit stack (a chain of any length never recurses).

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use tessera_ir::{TaskId, TaskKey};

use super::build::Fragment;
use tessera_runtime::{DynFn, Value};

/// A wrapped function: its registry name (unique per [`super::delayed`] call) and body.
pub(crate) struct Func {
    /// The name it is registered under for one computation.
    pub(crate) name: Arc<str>,
    /// The label keys start with (`inc`, or the function's given name).
    pub(crate) label: Arc<str>,
    /// Its signature, for listings and errors.
    pub(crate) signature: String,
    /// The body, on runtime values.
    pub(crate) body: Arc<DynFn>,
}

/// One argument of a call.
pub(crate) enum Input {
    /// Another delayed value.
    Node(Arc<DNode>),
    /// A concrete value.
    Value(Value),
}

/// What a node computes.
pub(crate) enum Kind {
    /// A concrete value.
    Value(Value),
    /// A call of a wrapped function.
    Call {
        /// The function.
        func: Arc<Func>,
        /// Its arguments.
        args: Vec<Input>,
    },
    /// Part `index` of a multi-part value (Dask's `nout`).
    Part {
        /// The multi-part value.
        of: Arc<DNode>,
        /// Which part.
        index: usize,
    },
    /// A task of a lowered array graph (a block of [`crate::Array::to_delayed`]).
    Task {
        /// The lowered tasks, shared by every block of the array.
        fragment: Arc<Fragment>,
        /// The task.
        task: TaskId,
    },
}

/// A node of a delayed computation.
pub(crate) struct DNode {
    /// Its key in the task graph.
    pub(crate) key: TaskKey,
    /// What it computes.
    pub(crate) kind: Kind,
}

impl DNode {
    /// The delayed nodes this one uses directly.
    pub(crate) fn children(&self) -> Vec<&Arc<DNode>> {
        match &self.kind {
            Kind::Value(_) | Kind::Task { .. } => Vec::new(),
            Kind::Call { args, .. } => args
                .iter()
                .filter_map(|a| match a {
                    Input::Node(n) => Some(n),
                    Input::Value(_) => None,
                })
                .collect(),
            Kind::Part { of, .. } => vec![of],
        }
    }
}

impl fmt::Debug for DNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Delayed({})", self.key)
    }
}

impl Drop for DNode {
    /// Unwinds chains with an explicit stack: children only this node holds are
    /// taken apart here instead of in nested drops.
    fn drop(&mut self) {
        let mut stack: Vec<Arc<DNode>> = Vec::new();
        take_children(&mut self.kind, &mut stack);
        while let Some(node) = stack.pop() {
            if let Ok(mut inner) = Arc::try_unwrap(node) {
                take_children(&mut inner.kind, &mut stack);
            }
        }
    }
}

fn take_children(kind: &mut Kind, stack: &mut Vec<Arc<DNode>>) {
    match kind {
        Kind::Call { args, .. } => {
            for a in args.drain(..) {
                if let Input::Node(n) = a {
                    stack.push(n);
                }
            }
        }
        Kind::Part { of, .. } => {
            let placeholder = Arc::new(DNode {
                key: TaskKey::new(""),
                kind: Kind::Value(Value::None),
            });
            stack.push(std::mem::replace(of, placeholder));
        }
        Kind::Value(_) | Kind::Task { .. } => {}
    }
}

/// A content token of a value: equal values give equal tokens (floats by their
/// bits, arrays by dtype, shape and elements).
pub(crate) fn value_token(value: &Value, h: &mut impl Hasher) {
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        std::mem::discriminant(v).hash(h);
        match v {
            Value::None => {}
            Value::Bool(b) => b.hash(h),
            Value::Int(i) => i.hash(h),
            Value::Float(x) => x.to_bits().hash(h),
            Value::Str(s) => s.hash(h),
            Value::List(items) | Value::Tuple(items) => {
                items.len().hash(h);
                stack.extend(items.iter());
            }
            Value::Dict(m) => serde_json::Value::Object((**m).clone()).to_string().hash(h),
            Value::Array(a) => {
                a.dtype().name().hash(h);
                a.shape().hash(h);
                use tessera_runtime::Array as A;
                match a {
                    A::F64(x) => x.iter().for_each(|e| e.to_bits().hash(h)),
                    A::F32(x) => x.iter().for_each(|e| e.to_bits().hash(h)),
                    A::I64(x) => x.iter().for_each(|e| e.hash(h)),
                    A::I32(x) => x.iter().for_each(|e| e.hash(h)),
                    A::Bool(x) => x.iter().for_each(|e| e.hash(h)),
                }
            }
        }
    }
}
