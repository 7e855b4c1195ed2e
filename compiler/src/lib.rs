//! The tessera compiler: from a validated array-level graph to the task graph the
//! runtime executes.
//!
//! Passes are named and ordered ([`passes`] lists them): the e-graph rewrites
//! ([`optimize`]) and fusion ([`fuse`]) on array-level nodes, then lowering (array
//! nodes to per-block tasks, demand-driven from the outputs); the task-graph passes
//! ([`tasks`]: cull, inline, linear fusion) run after it, and alone for graphs
//! with no array node.

pub mod fuse;
pub mod lower;
mod optimize;
pub mod tasks;
mod token;

pub use fuse::{FusePass, fuse};
pub use lower::{BYTES_PER_TASK, LowerError, LowerOptions, Lowered, lower, lower_nodes};
pub use optimize::{
    Budget, CONDITIONS, Condition, OptimizeError, OptimizeOptions, Optimized, Pass, PassOutput,
    PassReport, Report, Rule, RuleFileError, optimize, parse_rule_file, pass_names, passes,
    render_plan,
};
pub use tasks::{TaskPasses, TaskProgram, optimize_tasks};
