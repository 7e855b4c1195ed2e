//! What the optimizer did, for `tessera explain`: the plan after every pass
//! (one line per node), the rules that fired and how often, estimated cost
//! before and after, e-graph sizes, egg's stop reason and time per pass.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use tessera_ir::{Meta, ScalarKind, ValidArg, ValidGraph};

/// The plan as text: one line per node, `id = op(args, attr=value) # shape dtype`,
/// then the outputs.
pub fn render_plan(graph: &ValidGraph) -> String {
    let mut out = String::new();
    for node in &graph.nodes {
        let mut parts: Vec<String> = node.args.iter().map(|a| render_arg(graph, a)).collect();
        parts.extend(node.attrs.iter().map(|(k, v)| format!("{k}={v}")));
        let _ = write!(out, "{} = {}({})", node.id, node.op.name, parts.join(", "));
        if let Meta::Array(a) = &node.meta {
            let shape: Vec<String> = a.shape.iter().map(usize::to_string).collect();
            let _ = write!(out, "  # [{}] {}", shape.join(", "), a.dtype.name());
        }
        out.push('\n');
    }
    let outs: Vec<&str> = graph
        .outputs
        .iter()
        .map(|&o| graph.node(o).id.as_str())
        .collect();
    let _ = writeln!(out, "outputs: {}", outs.join(", "));
    out
}

fn render_arg(graph: &ValidGraph, arg: &ValidArg) -> String {
    match arg {
        ValidArg::Node(i) => graph.node(*i).id.clone(),
        ValidArg::Scalar(ScalarKind::Bool, v, _) => (*v != 0.0).to_string(),
        ValidArg::Scalar(_, _, n) => n.to_string(),
        ValidArg::Literal(v) => format!("lit:{v}"),
        ValidArg::List(items) => {
            let items: Vec<String> = items.iter().map(|a| render_arg(graph, a)).collect();
            format!("[{}]", items.join(", "))
        }
    }
}

/// What one pass did.
#[derive(Debug, Clone, Default)]
pub struct PassReport {
    /// The pass's name.
    pub name: &'static str,
    /// Why it did not run, if it did not (`disabled`, `nothing to rewrite`).
    pub skipped: Option<String>,
    /// Seconds it took.
    pub time_s: f64,
    /// Rules (and pushdown families) that fired, with counts.
    pub rules: BTreeMap<String, usize>,
    /// Why the e-graph runner stopped (egg's `StopReason`), for e-graph passes.
    pub stop_reason: Option<String>,
    /// Runner iterations.
    pub iterations: usize,
    /// E-nodes and e-classes at the end.
    pub egraph_size: (usize, usize),
    /// Estimated cost of the plan before and after the pass.
    pub cost: (f64, f64),
    /// Time of each phase (load, saturate, extract, rebuild plan), seconds.
    pub phases: Vec<(&'static str, f64)>,
    /// Notes (fallbacks taken, an extraction kept as the input...).
    pub notes: Vec<String>,
    /// The plan after the pass (when explaining).
    pub plan: Option<String>,
}

/// Everything the optimizer did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The plan given (when explaining).
    pub input_plan: Option<String>,
    /// One entry per pass of the pipeline, in order.
    pub passes: Vec<PassReport>,
    /// Estimated cost before and after all passes.
    pub cost: (f64, f64),
    /// Seconds in total.
    pub time_s: f64,
}

impl Report {
    /// How often each rule fired over all passes.
    pub fn rule_counts(&self) -> BTreeMap<String, usize> {
        let mut all = BTreeMap::new();
        for p in &self.passes {
            for (r, n) in &p.rules {
                *all.entry(r.clone()).or_default() += n;
            }
        }
        all
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(plan) = &self.input_plan {
            writeln!(f, "== input plan (estimated cost {:.4e})", self.cost.0)?;
            f.write_str(plan)?;
        }
        for p in &self.passes {
            writeln!(f)?;
            if let Some(why) = &p.skipped {
                writeln!(f, "== pass {}: skipped ({why})", p.name)?;
                continue;
            }
            writeln!(
                f,
                "== pass {}: {:.3} ms, estimated cost {:.4e} -> {:.4e}",
                p.name,
                p.time_s * 1e3,
                p.cost.0,
                p.cost.1
            )?;
            if let Some(stop) = &p.stop_reason {
                writeln!(
                    f,
                    "   e-graph: {} iterations, {} e-nodes, {} e-classes, stopped: {stop}",
                    p.iterations, p.egraph_size.0, p.egraph_size.1
                )?;
            }
            if !p.phases.is_empty() {
                let phases: Vec<String> = p
                    .phases
                    .iter()
                    .map(|(name, s)| format!("{name} {:.3} ms", s * 1e3))
                    .collect();
                writeln!(f, "   time: {}", phases.join(", "))?;
            }
            if p.rules.is_empty() {
                writeln!(f, "   rules fired: none")?;
            } else {
                let fired: Vec<String> = p.rules.iter().map(|(r, n)| format!("{r} x{n}")).collect();
                writeln!(f, "   rules fired: {}", fired.join(", "))?;
            }
            for note in &p.notes {
                writeln!(f, "   note: {note}")?;
            }
            if let Some(plan) = &p.plan {
                f.write_str(plan)?;
            }
        }
        writeln!(f)?;
        writeln!(
            f,
            "== total: {:.3} ms, estimated cost {:.4e} -> {:.4e}",
            self.time_s * 1e3,
            self.cost.0,
            self.cost.1
        )
    }
}
