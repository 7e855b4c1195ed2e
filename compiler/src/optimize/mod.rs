//! The e-graph optimizer over array-level graphs: the graph is loaded into an
//! egg e-graph, rewritten by rule families (slice pushdown, algebraic
//! identities, matmul reassociation, user rules), and the cheapest plan by a
//! flops-and-bytes cost model is extracted, pass after pass; fusion
//! ([`crate::fuse`]) is the last pass.
//!
//! ```
//! use tessera_compiler::{OptimizeOptions, optimize};
//! use tessera_ir::{InferContext, parse_and_validate};
//!
//! let graph = parse_and_validate(r#"{"tessera": 1, "nodes": {
//!     "a": {"op": "ones", "shape": [10000, 10000], "chunks": 100},
//!     "b": {"op": "exp", "args": ["a"]},
//!     "c": {"op": "getitem", "args": ["b"], "index": [[1, 100, null], [1, 100, null]]}
//! }, "outputs": ["c"]}"#, &InferContext::default()).unwrap();
//! let optimized = optimize(&graph, &OptimizeOptions::default()).unwrap();
//! // The slice went into the source, and fusion made `exp(ones)` one node that
//! // computes 99 x 99 values.
//! let c = optimized.graph.node(optimized.graph.outputs[0]);
//! assert_eq!(c.op.name, "fused");
//! assert_eq!(c.meta.as_array().unwrap().shape, [99, 99]);
//! ```

mod analysis;
mod convert;
mod cost;
mod explain;
mod extract;
mod language;
mod manager;
mod rule_file;
mod rules;

use std::sync::Arc;

use tessera_ir::{InferContext, ValidGraph};

pub use explain::{PassReport, Report, render_plan};
pub use manager::{Budget, Pass, PassOutput, pass_names, passes};
pub use rule_file::{CONDITIONS, Condition, RuleFileError};
pub use rules::Rule;

/// Options of the optimizer.
#[derive(Clone, Default)]
pub struct OptimizeOptions {
    /// Passes not to run (by name).
    pub disable: Vec<String>,
    /// Only these passes (by name), when given.
    pub passes: Option<Vec<String>>,
    /// Extra rules (`--rules FILE`), run by the `user-rules` pass.
    pub rules: Arc<Vec<Rule>>,
    /// Budgets of each e-graph pass.
    pub budget: Budget,
    /// Where `from_npy` paths resolve when a node is re-inferred.
    pub infer: InferContext,
    /// Keep the plan text after every pass in the report (for `explain`).
    pub explain: bool,
}

impl std::fmt::Debug for OptimizeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OptimizeOptions")
            .field("disable", &self.disable)
            .field("passes", &self.passes)
            .field("rules", &self.rules.len())
            .field("budget", &self.budget)
            .field("explain", &self.explain)
            .finish()
    }
}

impl OptimizeOptions {
    /// Loads extra rules from rule-file text (see `ir-spec/SPEC.md`).
    pub fn with_rules_text(mut self, text: &str) -> Result<Self, RuleFileError> {
        self.rules = Arc::new(rule_file::parse_rules(text)?);
        Ok(self)
    }
}

/// An optimized graph and what the optimizer did.
#[derive(Debug, Clone)]
pub struct Optimized {
    /// The optimized graph: same output ids, shapes and dtypes.
    pub graph: ValidGraph,
    /// Passes, rules fired, costs, times (and plans when explaining).
    pub report: Report,
}

/// Why optimizing failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum OptimizeError {
    /// `--disable` or `--passes` named a pass that does not exist.
    #[error("unknown pass {name:?}; the passes are {known}")]
    UnknownPass {
        /// The name given.
        name: String,
        /// The pass names.
        known: String,
    },
    /// A node's op is modeled but missing from the language (a bug).
    #[error("node {node:?}: op not in the optimizer's language")]
    Unmodeled {
        /// The node.
        node: String,
    },
    /// A node's attribute could not be read.
    #[error("node {node:?}: {message}")]
    Attribute {
        /// The node.
        node: String,
        /// What is wrong.
        message: String,
    },
    /// A rewritten node failed the catalogue's checks (a bug of a rule).
    #[error("rewritten node {node:?} is invalid: {message}")]
    Rewrite {
        /// The new node's id.
        node: String,
        /// The catalogue's message.
        message: String,
    },
    /// No plan could be read from the e-graph (a bug).
    #[error("extraction failed: {message}")]
    Extraction {
        /// What went wrong.
        message: String,
    },
    /// A pass changed an output's id, shape or dtype (a bug of the pass).
    #[error("pass {pass} broke an invariant: {message}")]
    Invariant {
        /// The pass.
        pass: String,
        /// What changed.
        message: String,
    },
}

/// Optimizes a validated graph: every selected pass in order.
pub fn optimize(graph: &ValidGraph, options: &OptimizeOptions) -> Result<Optimized, OptimizeError> {
    let (graph, report) = manager::run_passes(graph, options)?;
    Ok(Optimized { graph, report })
}

/// Parses rule-file text into rules (for `--rules`).
pub fn parse_rule_file(text: &str) -> Result<Vec<Rule>, RuleFileError> {
    rule_file::parse_rules(text)
}
