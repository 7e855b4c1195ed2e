//! The tessera runtime: values, kernels, the function registry, executors,
//! scheduling policies, memory release and traces.
//!
//! ```
//! use tessera_ir::{Call, Literal, TaskExpr, TaskGraph, TaskKey};
//! use tessera_runtime::{Registry, RunOptions, ThreadsExecutor, Value, run};
//!
//! let mut graph = TaskGraph::new();
//! let call = |func: &str, args| TaskExpr::Call(Call { func: func.into(), args, kwargs: Default::default() });
//! let x = graph.add(TaskKey::new("x"), TaskExpr::Literal(Literal::json(1))).unwrap();
//! let y = graph.add(TaskKey::new("y"), call("inc", vec![TaskExpr::Ref(x)])).unwrap();
//! let z = graph.add(TaskKey::new("z"), call("add", vec![TaskExpr::Ref(y), TaskExpr::Literal(Literal::json(10))])).unwrap();
//!
//! let registry = Registry::with_builtins();
//! let out = run(&graph, &[z], &registry, &ThreadsExecutor::new(2), &RunOptions::default()).unwrap();
//! assert_eq!(out.outputs, vec![Value::Int(12)]);
//! assert_eq!(out.stats.tasks, 3);
//! ```

pub mod budget;
mod builtins;
mod convert;
mod error;
pub mod executor;
pub mod kernels;
mod memory;
pub mod memory_limit;
mod plan;
pub mod policy;
mod registry;
mod trace;
pub mod value;

pub use budget::Budget;
pub use convert::{FromValue, IntoTaskResult, IntoValue};
pub use error::{PlanError, RunError, TaskError};
pub use executor::{Executor, RunOptions, RunOutput, RunStats, SyncExecutor, ThreadsExecutor, run};
pub use memory_limit::MemoryLimit;
pub use plan::Plan;
pub use policy::Policy;
pub use registry::{DynFn, Function, FunctionInfo, Kwargs, Registry};
pub use trace::Trace;
pub use value::{Array, Value};
