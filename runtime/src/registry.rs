//! The function registry: functions that tasks call by name, with their
//! signatures and docs (what `tessera ops` lists).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::convert::{FromValue, IntoTaskResult};
use crate::error::TaskError;
use crate::value::Value;

/// Keyword arguments of a call (a kernel's attributes).
pub type Kwargs = serde_json::Map<String, serde_json::Value>;

/// The shape of every registered function: positional values and keyword
/// arguments in, one value (or the task's error) out.
pub type DynFn = dyn Fn(&[Value], &Kwargs) -> Result<Value, TaskError> + Send + Sync;

/// One registered function.
#[derive(Clone)]
pub struct Function {
    name: Arc<str>,
    signature: Arc<str>,
    doc: Arc<str>,
    body: Arc<DynFn>,
}

impl Function {
    /// The name tasks call it by.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The name, shared.
    pub fn name_arc(&self) -> &Arc<str> {
        &self.name
    }

    /// Its signature, as shown by `tessera ops` (`"inc(x: int | float) -> int | float"`).
    pub fn signature(&self) -> &str {
        &self.signature
    }

    /// Its one-paragraph description.
    pub fn doc(&self) -> &str {
        &self.doc
    }

    /// Replaces the description (for functions registered with a typed helper).
    pub fn set_doc(&mut self, doc: &str) -> &mut Function {
        self.doc = doc.into();
        self
    }

    /// The callable.
    pub fn body(&self) -> &Arc<DynFn> {
        &self.body
    }

    /// Calls the function.
    pub fn call(&self, args: &[Value], kwargs: &Kwargs) -> Result<Value, TaskError> {
        (self.body)(args, kwargs)
    }
}

impl fmt::Debug for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Function")
            .field("name", &self.name)
            .field("signature", &self.signature)
            .finish_non_exhaustive()
    }
}

/// One entry of [`Registry::list`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionInfo {
    /// The name.
    pub name: String,
    /// The signature.
    pub signature: String,
    /// The description.
    pub doc: String,
}

/// Named functions that tasks call.
///
/// A later registration under a name replaces the earlier one (so users can
/// override a built-in).
///
/// ```
/// use tessera_runtime::{Registry, Value};
/// let mut registry = Registry::with_builtins();
/// registry.register_fn2("add2", |a: i64, b: i64| a + b);
/// let add2 = registry.get("add2").unwrap();
/// let kwargs = Default::default();
/// assert_eq!(add2.call(&[Value::Int(2), Value::Int(3)], &kwargs).unwrap(), Value::Int(5));
/// assert_eq!(add2.signature(), "add2(int, int) -> int");
/// ```
#[derive(Default, Clone)]
pub struct Registry {
    functions: Vec<Function>,
    index: HashMap<Arc<str>, usize>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.functions.iter().map(|x| &x.name))
            .finish()
    }
}

macro_rules! register_typed {
    ($(#[$doc:meta])* $method:ident, $n:literal, $($arg:ident : $ty:ident),*) => {
        $(#[$doc])*
        pub fn $method<$($ty: FromValue,)* R: IntoTaskResult, F>(
            &mut self,
            name: &str,
            f: F,
        ) -> &mut Function
        where
            F: Fn($($ty),*) -> R + Send + Sync + 'static,
        {
            let types: Vec<String> = vec![$(<$ty as FromValue>::type_name()),*];
            let signature = format!("{name}({}) -> {}", types.join(", "), R::type_name());
            self.register(name, &signature, "", move |args: &[Value], _: &Kwargs| {
                match args {
                    [$(register_typed!(@pat $arg)),*] => {
                        $(let $arg = <$ty as FromValue>::from_value($arg)
                            .map_err(|e| register_typed!(@ctx e, stringify!($arg)))?;)*
                        f($($arg),*).into_task_result()
                    }
                    _ => Err(TaskError::Arity {
                        expected: $n.to_string(),
                        got: args.len(),
                    }),
                }
            })
        }
    };
    (@pat $arg:ident) => { $arg };
    (@ctx $e:ident, $name:expr) => {
        match $e {
            TaskError::Type(m) => TaskError::Type(format!("argument {}: {m}", $name)),
            other => other,
        }
    };
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// A registry with the built-in functions of the graph format (`identity inc
    /// dec add sub mul div floordiv mod neg abs max min sum len list getitem`).
    pub fn with_builtins() -> Registry {
        let mut registry = Registry::new();
        crate::builtins::register(&mut registry);
        registry
    }

    /// Registers a function taking values and keyword arguments.
    pub fn register(
        &mut self,
        name: &str,
        signature: &str,
        doc: &str,
        f: impl Fn(&[Value], &Kwargs) -> Result<Value, TaskError> + Send + Sync + 'static,
    ) -> &mut Function {
        let name: Arc<str> = name.into();
        let function = Function {
            name: name.clone(),
            signature: signature.into(),
            doc: doc.into(),
            body: Arc::new(f),
        };
        let slot = match self.index.get(&name) {
            Some(&i) => {
                self.functions[i] = function;
                i
            }
            None => {
                self.functions.push(function);
                self.index.insert(name, self.functions.len() - 1);
                self.functions.len() - 1
            }
        };
        &mut self.functions[slot]
    }

    register_typed!(
        /// Registers a typed function of no argument.
        register_fn0, 0,
    );
    register_typed!(
        /// Registers a typed function of one argument (`|x: f64| x.sqrt()`).
        register_fn1, 1, a: A
    );
    register_typed!(
        /// Registers a typed function of two arguments (`|a: i64, b: i64| a + b`).
        register_fn2, 2, a: A, b: B
    );
    register_typed!(
        /// Registers a typed function of three arguments.
        register_fn3, 3, a: A, b: B, c: C
    );
    register_typed!(
        /// Registers a typed function of four arguments.
        register_fn4, 4, a: A, b: B, c: C, d: D
    );

    /// The function with this name.
    pub fn get(&self, name: &str) -> Option<&Function> {
        self.index.get(name).map(|&i| &self.functions[i])
    }

    /// Every function, sorted by name.
    pub fn list(&self) -> Vec<FunctionInfo> {
        let mut all: Vec<FunctionInfo> = self
            .functions
            .iter()
            .map(|f| FunctionInfo {
                name: f.name.to_string(),
                signature: f.signature.to_string(),
                doc: f.doc.to_string(),
            })
            .collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        all
    }

    /// Number of functions.
    pub fn len(&self) -> usize {
        self.functions.len()
    }

    /// True when no function is registered.
    pub fn is_empty(&self) -> bool {
        self.functions.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(r: &Registry, name: &str, args: &[Value]) -> Result<Value, TaskError> {
        r.get(name).unwrap().call(args, &Kwargs::new())
    }

    #[test]
    fn typed_functions_of_every_arity() {
        let mut r = Registry::new();
        r.register_fn0("zero", || 0i64);
        r.register_fn1("twice", |x: f64| x * 2.0);
        r.register_fn2("add2", |a: i64, b: i64| a + b);
        r.register_fn3("join3", |a: String, b: String, c: String| a + &b + &c);
        r.register_fn4("sum4", |a: i64, b: i64, c: i64, d: Vec<i64>| {
            a + b + c + d.iter().sum::<i64>()
        });
        assert_eq!(call(&r, "zero", &[]).unwrap(), Value::Int(0));
        assert_eq!(
            call(&r, "twice", &[Value::Int(2)]).unwrap(),
            Value::Float(4.0)
        );
        assert_eq!(
            call(&r, "add2", &[Value::Int(2), Value::Int(3)]).unwrap(),
            Value::Int(5)
        );
        let s = |x: &str| Value::Str(x.into());
        assert_eq!(
            call(&r, "join3", &[s("a"), s("b"), s("c")]).unwrap(),
            s("abc")
        );
        let list = Value::List(vec![Value::Int(4), Value::Int(5)].into());
        assert_eq!(
            call(
                &r,
                "sum4",
                &[Value::Int(1), Value::Int(2), Value::Int(3), list]
            )
            .unwrap(),
            Value::Int(15)
        );
        assert_eq!(
            r.get("sum4").unwrap().signature(),
            "sum4(int, int, int, list[int]) -> int"
        );
    }

    #[test]
    fn typed_functions_check_arity_and_types() {
        let mut r = Registry::new();
        r.register_fn2("add2", |a: i64, b: i64| a + b);
        let err = call(&r, "add2", &[Value::Int(1)]).unwrap_err();
        assert_eq!(err.to_string(), "expected 2 argument(s), got 1");
        let err = call(&r, "add2", &[Value::Int(1), Value::Str("x".into())]).unwrap_err();
        assert_eq!(err.to_string(), "argument b: expected int, got str");
    }

    #[test]
    fn fallible_typed_functions_report_their_error() {
        let mut r = Registry::new();
        r.register_fn1("checked", |x: i64| {
            if x < 0 {
                Err(TaskError::value_error("negative"))
            } else {
                Ok(x)
            }
        })
        .set_doc("Refuses negative numbers.");
        assert_eq!(
            call(&r, "checked", &[Value::Int(-1)])
                .unwrap_err()
                .to_string(),
            "negative"
        );
        assert_eq!(r.get("checked").unwrap().doc(), "Refuses negative numbers.");
    }

    #[test]
    fn list_is_sorted_and_later_registrations_replace() {
        let mut r = Registry::new();
        r.register_fn0("b", || 1i64);
        r.register_fn0("a", || 1i64);
        r.register_fn0("b", || 2i64);
        let names: Vec<String> = r.list().into_iter().map(|f| f.name).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(call(&r, "b", &[]).unwrap(), Value::Int(2));
        assert!(r.get("c").is_none());
    }

    #[test]
    fn builtins_are_listed() {
        let r = Registry::with_builtins();
        let names: Vec<String> = r.list().into_iter().map(|f| f.name).collect();
        for name in [
            "identity", "inc", "dec", "add", "sub", "mul", "div", "floordiv", "mod", "neg", "abs",
            "max", "min", "sum", "len", "list", "getitem",
        ] {
            assert!(names.iter().any(|n| n == name), "{name} missing");
        }
        assert!(
            r.list()
                .iter()
                .all(|f| !f.doc.is_empty() && !f.signature.is_empty())
        );
    }
}
