//! The e-class analysis: what is known about each class's value (shape, dtype
//! and chunks, from the catalogue's own inference, exactly as validation checks a
//! node) and its value when it is a known uniform constant. Also holds the
//! per-run bookkeeping of the rules that cannot live in a static rule set.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use egg::{Analysis, DidMerge, EGraph, Id, StopReason};
use serde_json::{Map, Value};
use tessera_ir::catalogue::{InferContext, check_and_infer};
use tessera_ir::{ArrayMeta, Meta};

use super::language::{ArrayLang, IndexLeaf, OpName};

/// The e-graph of this optimizer.
pub(super) type Graph = EGraph<ArrayLang, ArrayAnalysis>;

/// What is known about an e-class.
#[derive(Debug, Clone, PartialEq)]
pub struct Data {
    /// The value's metadata; `None` for attribute leaves and for e-nodes the
    /// catalogue refuses (a rewrite that does not apply: never extracted).
    pub meta: Option<Meta>,
    /// The value of every element, when the class is a uniform constant
    /// (a scalar literal, `zeros`, `ones`, `full`).
    pub constant: Option<f64>,
}

impl Data {
    /// The array metadata, if the class is an array.
    pub fn array(&self) -> Option<&ArrayMeta> {
        self.meta.as_ref().and_then(Meta::as_array)
    }
}

/// The analysis, with the metadata of opaque nodes and the bookkeeping of the
/// slice pushdown.
#[derive(Debug, Default)]
pub struct ArrayAnalysis {
    /// Metadata of node `k` of the loaded graph (opaque e-nodes are indexed by
    /// [`super::language::OpaqueKey`]).
    pub opaque: Vec<Meta>,
    /// While the loaded graph's node `k` is being added: its metadata is the
    /// validated `opaque[k]`, not inferred again.
    pub loading: Option<u32>,
    /// How often each family of the slice pushdown applied (for explain).
    pub fired: BTreeMap<&'static str, usize>,
    /// Slices already pushed: (class sliced, index) → number of e-nodes the class
    /// had then. A class that gained e-nodes since is pushed again.
    pub pushed: HashMap<(Id, IndexLeaf), usize>,
    /// Slices of slices composed: class `c` → `(b, a)` with `c == b[a]` and `b`
    /// holding no slice (when first seen), so a chain of n slices is composed
    /// once, not once per slice of it.
    pub slice_bases: HashMap<Id, (Id, IndexLeaf)>,
    /// The pass's budgets, checked inside the appliers (egg checks its own only
    /// between rules, and one application of a rule may be long).
    pub limits: Option<Limits>,
    /// Why an applier stopped early, once a budget ran out.
    pub exhausted: Option<StopReason>,
    /// E-nodes a rewrite proposed whose shape or dtype differed from the class it
    /// was meant to join (refused; a bug of the rule if ever non-zero).
    pub refused: usize,
}

impl ArrayAnalysis {
    /// An analysis for a graph whose opaque nodes have these metas.
    pub fn new(opaque: Vec<Meta>) -> ArrayAnalysis {
        ArrayAnalysis {
            opaque,
            ..ArrayAnalysis::default()
        }
    }

    /// Whether a budget has run out (now or before); records why the first
    /// time. Appliers call it before each step and stop when it answers true.
    pub fn out_of_budget(&mut self, enodes: usize) -> bool {
        if self.exhausted.is_some() {
            return true;
        }
        let Some(limits) = &self.limits else {
            return false;
        };
        let elapsed = limits.start.elapsed();
        self.exhausted = if enodes > limits.nodes {
            Some(StopReason::NodeLimit(enodes))
        } else if elapsed > limits.time {
            Some(StopReason::TimeLimit(elapsed.as_secs_f64()))
        } else {
            None
        };
        self.exhausted.is_some()
    }

    /// Counts one application of a rule family.
    pub fn count(&mut self, family: &'static str) {
        *self.fired.entry(family).or_default() += 1;
    }
}

/// The budgets of one e-graph pass, as the appliers check them.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// When the pass started.
    pub start: Instant,
    /// Most time from `start`.
    pub time: Duration,
    /// Most e-nodes in the e-graph.
    pub nodes: usize,
}

/// Whether `egraph`'s pass has run out of budget (see
/// [`ArrayAnalysis::out_of_budget`]).
pub(super) fn out_of_budget(egraph: &mut Graph) -> bool {
    let enodes = egraph.total_size();
    egraph.analysis.out_of_budget(enodes)
}

/// The attributes and argument metas of an op e-node, read from its children.
pub(super) fn split_children(egraph: &Graph, children: &[Id]) -> (Vec<Id>, Map<String, Value>) {
    let mut args = Vec::with_capacity(children.len());
    let mut attrs = Map::new();
    for &c in children {
        match &egraph[c].nodes[0] {
            ArrayLang::Index(ix) => {
                attrs.insert("index".into(), ix.to_json());
            }
            ArrayLang::Perm(p) => {
                attrs.insert("axes".into(), Value::from(p.0.clone()));
            }
            ArrayLang::Attrs(a) => attrs.extend(a.map().clone()),
            _ => args.push(c),
        }
    }
    (args, attrs)
}

/// The metadata of `op` applied to the classes `children` (arguments then
/// attribute leaves), or `None` when the catalogue refuses it.
pub(super) fn infer(egraph: &Graph, op: OpName, children: &[Id]) -> Option<Meta> {
    if op == OpName::LIST {
        let metas: Option<Vec<Meta>> = children
            .iter()
            .map(|&c| egraph[c].data.meta.clone())
            .collect();
        return metas.map(Meta::List);
    }
    let spec = op.spec()?;
    let (args, attrs) = split_children(egraph, children);
    let metas: Option<Vec<Meta>> = args.iter().map(|&c| egraph[c].data.meta.clone()).collect();
    check_and_infer(spec, &metas?, attrs, &InferContext::default())
        .ok()
        .map(|(_, m)| m)
}

impl Analysis<ArrayLang> for ArrayAnalysis {
    type Data = Data;

    fn make(egraph: &mut Graph, enode: &ArrayLang, _id: Id) -> Data {
        let (meta, constant) = match enode {
            ArrayLang::Scalar(s) => (Some(Meta::Scalar(s.kind, s.value())), Some(s.value())),
            ArrayLang::Lit(l) => (serde_json::from_str(&l.0).ok().map(Meta::Literal), None),
            ArrayLang::Index(_) | ArrayLang::Perm(_) | ArrayLang::Attrs(_) => (None, None),
            ArrayLang::Opaque(k, _) => (egraph.analysis.opaque.get(k.0 as usize).cloned(), None),
            ArrayLang::Op(op, children) => {
                let meta = match egraph.analysis.loading.take() {
                    Some(k) if *op != OpName::LIST => {
                        egraph.analysis.opaque.get(k as usize).cloned()
                    }
                    _ => infer(egraph, *op, children),
                };
                let constant = match op.name() {
                    "zeros" => Some(0.0),
                    "ones" => Some(1.0),
                    "full" => {
                        let (_, attrs) = split_children(egraph, children);
                        attrs.get("fill_value").and_then(|v| match v {
                            Value::Bool(b) => Some(f64::from(u8::from(*b))),
                            v => v.as_f64(),
                        })
                    }
                    _ => None,
                };
                (meta, constant)
            }
        };
        Data { meta, constant }
    }

    fn merge(&mut self, a: &mut Data, b: Data) -> DidMerge {
        let mut changed_a = false;
        if a.meta.is_none() && b.meta.is_some() {
            a.meta = b.meta.clone();
            changed_a = true;
        }
        if a.constant.is_none() && b.constant.is_some() {
            a.constant = b.constant;
            changed_a = true;
        }
        // The parents of `b` keep what they inferred from `b` (the same shape and
        // dtype; chunks may differ, which extraction re-infers): no propagation.
        DidMerge(changed_a, false)
    }
}
