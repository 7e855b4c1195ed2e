//! The tessera IR: the graph format v1 (array-level nodes that frontends emit),
//! the task-level graph (what lowering emits and the runtime runs), the op
//! catalogue, and validation.

pub mod catalogue;
pub mod chunks;
pub mod dtype;
pub mod index;
pub mod meta;
pub mod task;

pub use dtype::{DType, ScalarKind};
pub use meta::{ArrayMeta, Chunks, Meta};
pub use task::{Call, Literal, Task, TaskExpr, TaskGraph, TaskId, TaskKey};
