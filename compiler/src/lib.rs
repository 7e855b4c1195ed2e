//! The tessera compiler: from a validated array-level graph to the task graph the
//! runtime executes.
//!
//! Passes are named and ordered; today the pipeline is lowering (array nodes to
//! per-block tasks, demand-driven from the outputs). The e-graph rewrites, fusion
//! and task-graph passes come before and after it as they land.

pub mod lower;
mod optimize;
mod token;

pub use lower::{LowerError, LowerOptions, Lowered, lower, lower_nodes};
pub use optimize::{
    Budget, CONDITIONS, Condition, OptimizeError, OptimizeOptions, Optimized, Pass, PassOutput,
    PassReport, Report, Rule, RuleFileError, optimize, parse_rule_file, pass_names, passes,
    render_plan,
};
