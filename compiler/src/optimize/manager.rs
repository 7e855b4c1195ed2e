//! The pass manager: named passes in one fixed order, each switchable, each
//! e-graph pass under budgets (iterations, e-nodes, time) with egg's stop reason
//! reported and the best plan found kept; the invariants (output ids, shapes,
//! dtypes) are checked after every pass.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use egg::{Id, Runner, SimpleScheduler, StopReason};
use tessera_ir::{NodeIdx, ValidArg, ValidGraph, ValidNode};

use super::analysis::{ArrayAnalysis, Limits};
use super::convert::{Loaded, from_choice, to_egraph};
use super::cost::graph_cost;
use super::explain::{PassReport, Report, render_plan};
use super::extract::{extract, is_acyclic};
use super::language::ArrayLang;
use super::rules::{Rule, matmul_rules, simplify_rules, slice_rules};
use super::{OptimizeError, OptimizeOptions};

/// What a pass produced: a new graph (or none when it changed nothing) and
/// what to report.
pub struct PassOutput {
    /// The rewritten graph, `None` when unchanged.
    pub graph: Option<ValidGraph>,
    /// The report's details (name, time and costs are filled by the manager).
    pub report: PassReport,
}

/// A named pass over a validated graph.
pub trait Pass: Sync {
    /// Its name (for `--disable` and `--passes`).
    fn name(&self) -> &'static str;
    /// Whether the manager keeps the pass's plan only when the cost model
    /// estimates it cheaper. Passes that change how values are computed rather
    /// than what is computed (fusion) are not priced by the array-level cost
    /// model and answer `false`.
    fn cost_checked(&self) -> bool {
        true
    }
    /// Runs it.
    fn run(
        &self,
        graph: &ValidGraph,
        options: &OptimizeOptions,
    ) -> Result<PassOutput, OptimizeError>;
}

/// The pipeline, in order. Adding a pass is one line here.
pub fn passes() -> &'static [&'static dyn Pass] {
    PASSES
}

static PASSES: &[&dyn Pass] = &[
    // Identities first, so the pushdown below walks shorter chains and
    // composes the transposes and rechunks that remain.
    &SIMPLIFY,
    // Before reassociation: matmul costs depend on the sliced shapes.
    &SLICE_PUSHDOWN,
    // After the pushdown, on the shapes that will actually be computed.
    &MATMUL_CHAIN,
    // User rules last, on the plan the built-in rules produced.
    &USER_RULES,
    // Fusion last: it reads the extracted plan, and its `fused` nodes are
    // opaque to every e-graph pass.
    &crate::fuse::FusePass,
];

/// The names of every pass, in order.
pub fn pass_names() -> Vec<&'static str> {
    passes().iter().map(|p| p.name()).collect()
}

/// An e-graph pass: load, saturate under budgets, extract, rebuild.
pub(super) struct EGraphPass {
    name: &'static str,
    /// Whether the graph holds anything this pass's rules can match (a cheap
    /// test that keeps tiny graphs from paying for an e-graph).
    may_apply: fn(&ValidGraph, &OptimizeOptions) -> bool,
    rules: for<'a> fn(&'a OptimizeOptions) -> Vec<&'a Rule>,
    iter_limit: usize,
}

fn has_op(graph: &ValidGraph, ops: &[&str]) -> bool {
    graph.nodes.iter().any(|n| ops.contains(&n.op.name))
}

static SIMPLIFY: EGraphPass = EGraphPass {
    name: "simplify",
    may_apply: |g, _| g.nodes.iter().any(|n| simplify_trigger(g, n)),
    rules: |_| simplify_rules().iter().collect(),
    iter_limit: 16,
};

/// Whether a node of the input could start one of the `simplify` rules (each
/// rule's left-hand side needs one of these), so a graph with none skips the
/// pass.
fn simplify_trigger(g: &ValidGraph, n: &ValidNode) -> bool {
    let arg_node = |i: usize| match n.args.get(i) {
        Some(ValidArg::Node(k)) => Some(g.node(*k)),
        _ => None,
    };
    let constant = |i: usize| -> Option<f64> {
        match n.args.get(i)? {
            ValidArg::Scalar(_, v, _) => Some(*v),
            ValidArg::Node(k) => {
                let a = g.node(*k);
                match a.op.name {
                    "ones" => Some(1.0),
                    "zeros" => Some(0.0),
                    "full" => a
                        .attrs
                        .get("fill_value")
                        .and_then(serde_json::Value::as_f64),
                    _ => None,
                }
            }
            _ => None,
        }
    };
    let either_is = |v: f64| (0..2).any(|i| constant(i) == Some(v));
    let zero_d = n.op.family == tessera_ir::catalogue::Family::Elementwise
        && n.meta.as_array().is_some_and(|a| a.shape.is_empty());
    zero_d
        || match n.op.name {
            "multiply" | "divide" => either_is(1.0),
            "add" | "subtract" => either_is(0.0),
            "negative" => arg_node(0).is_some_and(|a| a.op.name == "negative"),
            "sum" => arg_node(0).is_some_and(|a| a.op.name == "multiply"),
            "transpose" => {
                let identity = match n.attrs.get("axes") {
                    Some(serde_json::Value::Array(axes)) => axes
                        .iter()
                        .enumerate()
                        .all(|(i, a)| a.as_u64() == Some(i as u64)),
                    _ => n.meta.as_array().is_some_and(|a| a.ndim() <= 1),
                };
                identity || arg_node(0).is_some_and(|a| a.op.name == "transpose")
            }
            "rechunk" => arg_node(0).is_some_and(|a| {
                a.op.name == "rechunk"
                    || a.meta.as_array().map(|m| &m.chunks) == n.meta.as_array().map(|m| &m.chunks)
            }),
            _ => false,
        }
}

static SLICE_PUSHDOWN: EGraphPass = EGraphPass {
    name: "slice-pushdown",
    may_apply: |g, _| has_op(g, &["getitem"]),
    rules: |_| slice_rules().iter().collect(),
    // The applier pushes a slice down a whole chain per application.
    iter_limit: 8,
};

static MATMUL_CHAIN: EGraphPass = EGraphPass {
    name: "matmul-chain",
    may_apply: |g, _| g.nodes.iter().filter(|n| n.op.name == "matmul").count() >= 2,
    rules: |_| matmul_rules().iter().collect(),
    iter_limit: 8,
};

static USER_RULES: EGraphPass = EGraphPass {
    name: "user-rules",
    may_apply: |_, o| !o.rules.is_empty(),
    rules: |o| o.rules.iter().collect(),
    iter_limit: 16,
};

impl Pass for EGraphPass {
    fn name(&self) -> &'static str {
        self.name
    }

    fn run(
        &self,
        graph: &ValidGraph,
        options: &OptimizeOptions,
    ) -> Result<PassOutput, OptimizeError> {
        let (clock, mock) = quanta::Clock::mock();
        quanta::with_clock(&clock, || self.run_on_mock_clock(graph, options, mock))
    }
}

impl EGraphPass {
    /// The pass under a `quanta` mock clock (see [`EGraphPass::run`]'s caller):
    /// egg times its runs with `quanta`, whose first real clock in a process
    /// calibrates the CPU's time-stamp counter by busy-waiting at least 500 µs —
    /// more than a small plan's whole optimization. The mock is set from
    /// `std::time::Instant` by a runner hook at the start of each iteration, so the
    /// time budget is checked with the time at the iteration's start; egg's own
    /// search/apply/rebuild timings would read zero and are not reported.
    fn run_on_mock_clock(
        &self,
        graph: &ValidGraph,
        options: &OptimizeOptions,
        mock: std::sync::Arc<quanta::Mock>,
    ) -> Result<PassOutput, OptimizeError> {
        let mut report = PassReport::default();
        if !(self.may_apply)(graph, options) {
            report.skipped = Some("nothing to rewrite".into());
            return Ok(PassOutput {
                graph: None,
                report,
            });
        }
        let t = Instant::now();
        let Loaded {
            mut egraph,
            classes,
            enodes,
        } = to_egraph(graph)?;
        report.phases.push(("load", t.elapsed().as_secs_f64()));
        let t = Instant::now();
        let budget = &options.budget;
        let node_limit = budget.nodes.max(graph.len() * 16);
        let started = Instant::now();
        // The appliers check the same budgets at every step: egg checks them
        // only between rules, and one rule's matches may be applied for long.
        egraph.analysis.limits = Some(Limits {
            start: Instant::now(),
            time: budget.time,
            nodes: node_limit,
        });
        let runner: Runner<ArrayLang, ArrayAnalysis> = Runner::default()
            .with_hook(move |_| {
                let real = started.elapsed().as_nanos() as u64;
                mock.increment(real.saturating_sub(mock.value()));
                Ok(())
            })
            .with_egraph(egraph)
            .with_scheduler(SimpleScheduler)
            .with_iter_limit(budget.iterations.min(self.iter_limit))
            .with_node_limit(node_limit)
            .with_time_limit(budget.time)
            .run((self.rules)(options));
        for it in &runner.iterations {
            for (rule, n) in &it.applied {
                *report.rules.entry(rule.to_string()).or_default() += n;
            }
        }
        let mut egraph = runner.egraph;
        for (family, n) in &egraph.analysis.fired {
            *report.rules.entry((*family).to_owned()).or_default() += n;
        }
        if egraph.analysis.refused > 0 {
            report.notes.push(format!(
                "{} rewrite(s) refused: shape or dtype would change",
                egraph.analysis.refused
            ));
        }
        // A budget an applier hit is the reason the pass stopped, whatever egg
        // saw after it.
        let stop_reason = egraph
            .analysis
            .exhausted
            .clone()
            .or(runner.stop_reason.clone());
        report.stop_reason = Some(match &stop_reason {
            Some(StopReason::Saturated) => "saturated".into(),
            Some(StopReason::IterationLimit(n)) => format!("iteration limit ({n})"),
            Some(StopReason::NodeLimit(n)) => format!("e-node limit ({n}), best plan found kept"),
            Some(StopReason::TimeLimit(s)) => format!("time limit ({s} s), best plan found kept"),
            Some(StopReason::Other(s)) => s.clone(),
            None => "not run".into(),
        });
        report.phases.push(("saturate", t.elapsed().as_secs_f64()));
        report.iterations = runner.iterations.len();
        report.egraph_size = (egraph.total_number_of_nodes(), egraph.number_of_classes());
        let changed = runner
            .iterations
            .iter()
            .any(|it| it.applied.values().any(|&n| n > 0));
        if !changed {
            // Nothing fired: the input plan stands (no extraction needed).
            return Ok(PassOutput {
                graph: None,
                report,
            });
        }
        egraph.rebuild();
        let loaded = Loaded {
            egraph,
            classes,
            enodes,
        };
        let roots: Vec<Id> = graph
            .outputs
            .iter()
            .map(|o| loaded.egraph.find(loaded.classes[o.index()]))
            .collect();
        let t = Instant::now();
        let choice = match extract(&loaded.egraph, &roots) {
            Some(c) if is_acyclic(&loaded.egraph, &c, &roots) => c,
            _ => {
                report
                    .notes
                    .push("extraction found a cycle: the input plan is kept".into());
                original_choice(&loaded)
            }
        };
        report.phases.push(("extract", t.elapsed().as_secs_f64()));
        let t = Instant::now();
        let new = from_choice(graph, &loaded, &choice, &options.infer)?;
        report
            .phases
            .push(("rebuild plan", t.elapsed().as_secs_f64()));
        Ok(PassOutput {
            graph: Some(new),
            report,
        })
    }
}

/// The earliest original e-node of every class: always acyclic (children of
/// node k are earlier nodes, whose classes' earliest originals are earlier still).
fn original_choice(loaded: &Loaded) -> HashMap<Id, ArrayLang> {
    let mut choice = HashMap::new();
    for (k, &c) in loaded.classes.iter().enumerate() {
        choice
            .entry(loaded.egraph.find(c))
            .or_insert_with(|| loaded.enodes[k].clone());
    }
    // Leaves added for arguments (scalars, lists) are their own e-nodes.
    for class in loaded.egraph.classes() {
        choice
            .entry(class.id)
            .or_insert_with(|| class.nodes[0].clone());
    }
    choice
}

/// Output ids, shapes and dtypes must survive every pass.
fn check_invariants(
    pass: &str,
    before: &ValidGraph,
    after: &ValidGraph,
) -> Result<(), OptimizeError> {
    let fail = |message: String| OptimizeError::Invariant {
        pass: pass.to_owned(),
        message,
    };
    if before.outputs.len() != after.outputs.len() {
        return Err(fail("the number of outputs changed".into()));
    }
    for (&a, &b) in before.outputs.iter().zip(&after.outputs) {
        let (a, b): (NodeIdx, NodeIdx) = (a, b);
        let (na, nb) = (before.node(a), after.node(b));
        if na.id != nb.id {
            return Err(fail(format!("output {:?} became {:?}", na.id, nb.id)));
        }
        let same = match (na.meta.as_array(), nb.meta.as_array()) {
            (Some(x), Some(y)) => x.shape == y.shape && x.dtype == y.dtype,
            (None, None) => true,
            _ => false,
        };
        if !same {
            return Err(fail(format!(
                "output {:?} changed shape or dtype: {:?} -> {:?}",
                na.id, na.meta, nb.meta
            )));
        }
    }
    Ok(())
}

/// Runs the selected passes in order.
pub(super) fn run_passes(
    graph: &ValidGraph,
    options: &OptimizeOptions,
) -> Result<(ValidGraph, Report), OptimizeError> {
    let start = Instant::now();
    let names = pass_names();
    for n in options
        .disable
        .iter()
        .chain(options.passes.iter().flatten())
    {
        if !names.contains(&n.as_str()) {
            return Err(OptimizeError::UnknownPass {
                name: n.clone(),
                known: names.join(", "),
            });
        }
    }
    let mut report = Report::default();
    let mut current: Option<ValidGraph> = None;
    let first_cost = graph_cost(graph);
    if options.explain {
        report.input_plan = Some(render_plan(graph));
    }
    let mut cost = first_cost;
    for pass in passes() {
        let name = pass.name();
        let selected = options
            .passes
            .as_ref()
            .is_none_or(|p| p.iter().any(|n| n == name))
            && !options.disable.iter().any(|n| n == name);
        if !selected {
            report.passes.push(PassReport {
                name,
                skipped: Some("disabled".into()),
                ..PassReport::default()
            });
            continue;
        }
        let t = Instant::now();
        let input = current.as_ref().unwrap_or(graph);
        let out = pass.run(input, options)?;
        let mut pr = out.report;
        pr.name = name;
        if pr.skipped.is_none() {
            pr.cost.0 = cost;
            if let Some(new) = out.graph {
                check_invariants(name, input, &new)?;
                let new_cost = graph_cost(&new);
                if new_cost < cost || !pass.cost_checked() {
                    cost = new_cost;
                    current = Some(new);
                } else {
                    pr.notes
                        .push("no cheaper plan found: the input plan is kept".into());
                }
            }
            pr.cost.1 = cost;
            if options.explain {
                pr.plan = Some(render_plan(current.as_ref().unwrap_or(graph)));
            }
        }
        pr.time_s = t.elapsed().as_secs_f64();
        report.passes.push(pr);
    }
    report.cost = (first_cost, cost);
    report.time_s = start.elapsed().as_secs_f64();
    Ok((current.unwrap_or_else(|| graph.clone()), report))
}

/// Budgets of each e-graph pass.
#[derive(Debug, Clone)]
pub struct Budget {
    /// Most runner iterations (each pass also has its own, lower cap).
    pub iterations: usize,
    /// Most e-nodes (raised to 16 per node of the input for large graphs).
    pub nodes: usize,
    /// Most time per pass.
    pub time: Duration,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            iterations: 30,
            nodes: 100_000,
            time: Duration::from_secs(5),
        }
    }
}
