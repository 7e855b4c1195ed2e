//! The tessera compiler: from a validated array-level graph to the task graph the
//! runtime executes.
//!
//! Passes are named and ordered; today the pipeline is lowering (array nodes to
//! per-block tasks, demand-driven from the outputs). The e-graph rewrites, fusion
//! and task-graph passes come before and after it as they land.

pub mod fuse;
pub mod lower;
mod token;

pub use fuse::{FusePass, fuse};
pub use lower::{LowerError, LowerOptions, Lowered, lower, lower_nodes};
