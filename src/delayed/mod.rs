//! Imperative code made lazy: [`delayed`] wraps a Rust function or closure so
//! that calling it builds a [`Delayed`] value instead of running it, Dask's
//! `dask.delayed`.
//!
//! ```
//! use tessera::delayed::{delayed, value};
//!
//! let inc = delayed(|x: i64| x + 1).pure();
//! let add = delayed(|a: i64, b: i64| a + b).pure();
//! let a = inc.call(1);
//! let b = inc.call(1); // the same pure call: the same key, run once
//! assert_eq!(a.key(), b.key());
//! let total = add.call(&a, add.call(b, value(10)));
//! assert_eq!(total.compute().unwrap(), 14);
//! ```
//!
//! Arguments are plain values or other delayed values of the argument's type;
//! results convert back through [`FromValue`]. Every call of a function wrapped by
//! [`delayed`] is unique unless the wrapper is made [`DelayedFn::pure`]: pure
//! calls get keys derived from the function and the content of their arguments.
//! Tuple results split into parts ([`Delayed::split`], Dask's `nout`). The
//! functions are registered into a registry made for each computation, beside
//! the built-ins; the task graph goes through the same passes and executor as
//! `tessera run`.

mod build;
mod node;

use std::hash::Hasher;
use std::marker::PhantomData;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tessera_ir::TaskKey;
use tessera_runtime::{FromValue, IntoTaskResult, IntoValue, Kwargs, TaskError, Value};

pub use build::{DelayedError, compute_values, compute_values_with};
pub(crate) use build::{Fragment, SourceHandle, assemble, compute_nodes};
pub(crate) use node::{DNode, Kind};
use node::{Func, Input, value_token};

/// Counts wrapped functions and impure calls: names and keys unique in a process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

fn next_id() -> u64 {
    COUNTER.fetch_add(1, Ordering::Relaxed)
}

/// A lazy value of type `T`: the result of a delayed call, a part of one, a
/// wrapped value, or a block of an array.
pub struct Delayed<T> {
    pub(crate) node: Arc<DNode>,
    _type: PhantomData<fn() -> T>,
}

impl<T> Clone for Delayed<T> {
    fn clone(&self) -> Self {
        Delayed::from_node(self.node.clone())
    }
}

impl<T> std::fmt::Debug for Delayed<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Delayed({})", self.node.key)
    }
}

impl<T> Delayed<T> {
    pub(crate) fn from_node(node: Arc<DNode>) -> Delayed<T> {
        Delayed {
            node,
            _type: PhantomData,
        }
    }

    /// The key of this value's task.
    pub fn key(&self) -> &str {
        self.node.key.as_str()
    }

    /// The same value, untyped (for [`compute_values`] over mixed types).
    pub fn erase(&self) -> Delayed<Value> {
        Delayed::from_node(self.node.clone())
    }

    /// The same value, claimed to be of type `U` (checked when it is used).
    pub fn erase_as<U>(&self) -> Delayed<U> {
        Delayed::from_node(self.node.clone())
    }

    /// Writes a picture of the task graph computing this value (`.dot`, or `.svg`
    /// / `.png` through Graphviz), coloured by execution order.
    pub fn visualize(&self, path: &Path) -> Result<(), DelayedError> {
        let assembled = assemble(std::slice::from_ref(&self.node))?;
        let dot = crate::viz::tasks_dot(
            &assembled.graph,
            &assembled.outputs,
            crate::viz::Color::Order,
            &assembled.registry,
        )
        .map_err(DelayedError::Picture)?;
        crate::viz::write_picture(&dot, path).map_err(DelayedError::Picture)
    }
}

impl<T: FromValue> Delayed<T> {
    /// Computes the value (with the default options: threads, `dask-order`).
    pub fn compute(&self) -> Result<T, DelayedError> {
        let mut values = compute_values(&[self.erase()])?;
        let v = values.pop().expect("one value per output");
        T::from_value(&v).map_err(|source| DelayedError::Convert {
            key: self.key().to_owned(),
            source,
        })
    }
}

/// Computes several values of one type together: shared intermediates run once.
pub fn compute_many<T: FromValue>(values: &[&Delayed<T>]) -> Result<Vec<T>, DelayedError> {
    let erased: Vec<Delayed<Value>> = values.iter().map(|d| d.erase()).collect();
    let out = compute_values(&erased)?;
    out.iter()
        .zip(values)
        .map(|(v, d)| {
            T::from_value(v).map_err(|source| DelayedError::Convert {
                key: d.key().to_owned(),
                source,
            })
        })
        .collect()
}

/// A concrete value as a delayed one (Dask's `delayed(value)`); its key is
/// derived from its content.
pub fn value<T: IntoValue>(v: T) -> Delayed<T> {
    let v = v.into_value();
    let mut h = std::hash::DefaultHasher::new();
    value_token(&v, &mut h);
    Delayed::from_node(Arc::new(DNode {
        key: TaskKey::new(format!("value-{:016x}", h.finish())),
        kind: Kind::Value(v),
    }))
}

/// What may be passed where a delayed function takes a `T`: a `T`, or a
/// `Delayed<T>` (by value or by reference).
pub trait IntoArg<T> {
    /// The argument as an input of a call.
    #[doc(hidden)]
    fn into_input(self) -> InputArg;
}

/// An argument converted for a call (opaque outside this module).
#[doc(hidden)]
pub struct InputArg(Input);

impl<T: IntoValue> IntoArg<T> for T {
    fn into_input(self) -> InputArg {
        InputArg(Input::Value(self.into_value()))
    }
}

impl<T> IntoArg<T> for Delayed<T> {
    fn into_input(self) -> InputArg {
        InputArg(Input::Node(self.node))
    }
}

impl<T> IntoArg<T> for &Delayed<T> {
    fn into_input(self) -> InputArg {
        InputArg(Input::Node(self.node.clone()))
    }
}

/// A function [`delayed`] can wrap: `Fn(A, B, ...) -> R` of up to four
/// arguments that convert from runtime values, returning a value or a `Result`.
pub trait DelayedCallable<Args>: Send + Sync + 'static {
    /// The value type the call produces.
    type Output;
    /// The body on runtime values, and the signature.
    #[doc(hidden)]
    fn into_body(self, name: &str) -> (Arc<tessera_runtime::DynFn>, String);
}

macro_rules! callable {
    ($n:literal; $($arg:ident : $ty:ident),*) => {
        impl<Fun, R, $($ty),*> DelayedCallable<($($ty,)*)> for Fun
        where
            Fun: Fn($($ty),*) -> R + Send + Sync + 'static,
            R: IntoTaskResult,
            $($ty: FromValue,)*
        {
            type Output = R::Output;

            #[allow(unused_variables, non_snake_case)]
            fn into_body(self, name: &str) -> (Arc<tessera_runtime::DynFn>, String) {
                let types: Vec<String> = vec![$(<$ty as FromValue>::type_name()),*];
                let signature = format!("{name}({}) -> {}", types.join(", "), R::type_name());
                let body = move |args: &[Value], _: &Kwargs| -> Result<Value, TaskError> {
                    match args {
                        [$($arg),*] => {
                            $(let $arg = <$ty as FromValue>::from_value($arg).map_err(|e| match e {
                                TaskError::Type(m) => TaskError::Type(format!("argument {}: {m}", stringify!($arg))),
                                other => other,
                            })?;)*
                            self($($arg),*).into_task_result()
                        }
                        _ => Err(TaskError::Arity { expected: $n.to_string(), got: args.len() }),
                    }
                };
                (Arc::new(body), signature)
            }
        }

        impl<Fun, $($ty),*> DelayedFn<Fun, ($($ty,)*)>
        where
            Fun: DelayedCallable<($($ty,)*)>,
        {
            /// Calls the function lazily: nothing runs until the result is computed.
            #[allow(non_snake_case)]
            pub fn call(&self, $($arg: impl IntoArg<$ty>),*) -> Delayed<Fun::Output> {
                self.call_inputs(vec![$($arg.into_input().0),*])
            }
        }
    };
}

callable!(0;);
callable!(1; a: A);
callable!(2; a: A, b: B);
callable!(3; a: A, b: B, c: C);
callable!(4; a: A, b: B, c: C, d: D);

/// A wrapped function (see [`delayed`]): [`DelayedFn::call`] builds delayed values.
pub struct DelayedFn<F, Args> {
    func: Arc<Func>,
    pure: bool,
    _f: PhantomData<fn(Args) -> F>,
}

impl<F, Args> Clone for DelayedFn<F, Args> {
    fn clone(&self) -> Self {
        DelayedFn {
            func: self.func.clone(),
            pure: self.pure,
            _f: PhantomData,
        }
    }
}

/// Wraps `f` (a function or closure of up to four arguments) so that calls are
/// lazy. Calls are impure (each one unique) unless [`DelayedFn::pure`] is used.
pub fn delayed<F: DelayedCallable<Args>, Args>(f: F) -> DelayedFn<F, Args> {
    delayed_named("delayed", f)
}

/// [`delayed`] with a label that starts every key of its calls (`load-3f2a...`).
pub fn delayed_named<F: DelayedCallable<Args>, Args>(label: &str, f: F) -> DelayedFn<F, Args> {
    let name = format!("{label}#{}", next_id());
    let (body, signature) = f.into_body(&name);
    DelayedFn {
        func: Arc::new(Func {
            name: name.into(),
            label: label.into(),
            signature,
            body,
        }),
        pure: false,
        _f: PhantomData,
    }
}

impl<F, Args> DelayedFn<F, Args> {
    /// Makes calls pure: the key is derived from the function and the arguments'
    /// content, so identical calls are one task, run once.
    pub fn pure(mut self) -> Self {
        self.pure = true;
        self
    }

    /// The name the function is registered under while computing.
    pub fn name(&self) -> &str {
        &self.func.name
    }

    fn call_inputs(&self, args: Vec<Input>) -> Delayed<F::Output>
    where
        F: DelayedCallable<Args>,
    {
        let key = if self.pure {
            let mut h = std::hash::DefaultHasher::new();
            h.write(self.func.name.as_bytes());
            for a in &args {
                match a {
                    Input::Node(n) => {
                        h.write_u8(0);
                        h.write(n.key.as_str().as_bytes());
                    }
                    Input::Value(v) => {
                        h.write_u8(1);
                        value_token(v, &mut h);
                    }
                }
            }
            format!("{}-{:016x}", self.func.label, h.finish())
        } else {
            format!("{}-u{}", self.func.label, next_id())
        };
        Delayed::from_node(Arc::new(DNode {
            key: TaskKey::new(key),
            kind: Kind::Call {
                func: self.func.clone(),
                args,
            },
        }))
    }
}

fn part<T>(of: &Arc<DNode>, index: usize) -> Delayed<T> {
    Delayed::from_node(Arc::new(DNode {
        key: TaskKey::block(of.key.as_str(), &[index]),
        kind: Kind::Part {
            of: of.clone(),
            index,
        },
    }))
}

impl<A, B> Delayed<(A, B)> {
    /// The two parts of a pair (Dask's `nout=2`).
    pub fn split(&self) -> (Delayed<A>, Delayed<B>) {
        (part(&self.node, 0), part(&self.node, 1))
    }
}

impl<A, B, C> Delayed<(A, B, C)> {
    /// The three parts of a triple (Dask's `nout=3`).
    pub fn split(&self) -> (Delayed<A>, Delayed<B>, Delayed<C>) {
        (
            part(&self.node, 0),
            part(&self.node, 1),
            part(&self.node, 2),
        )
    }
}

impl<T> Delayed<Vec<T>> {
    /// Part `index` of a list result (negative indices are not taken).
    pub fn item(&self, index: usize) -> Delayed<T> {
        part(&self.node, index)
    }
}

#[cfg(test)]
mod tests;
