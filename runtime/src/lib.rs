//! The tessera runtime: values, kernels, the function registry, executors,
//! scheduling policies, memory release and traces.

pub mod kernels;
pub mod value;

pub use value::{Array, Value};
