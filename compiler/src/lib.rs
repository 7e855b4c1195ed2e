//! The tessera compiler: from a validated array-level graph to the task graph the
//! runtime executes.
//!
//! Passes are named and ordered; today the pipeline is lowering (array nodes to
//! per-block tasks, demand-driven from the outputs). The e-graph rewrites and
//! fusion come before it as they land; the task-graph passes ([`tasks`]: cull, inline,
//! linear fusion) run after it, and alone for graphs with no array node.

pub mod fuse;
pub mod lower;
pub mod tasks;
mod token;

pub use fuse::{FusePass, fuse};
pub use lower::{LowerError, LowerOptions, Lowered, lower, lower_nodes};
pub use tasks::{PassReport, TaskPasses, TaskProgram, optimize_tasks};
