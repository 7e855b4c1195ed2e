//! The rewrite rules, one family per file, and the machinery they share: the
//! slice pushdown applier (a worklist that pushes a slice down a whole chain in
//! one application) and the checked applier (a right-hand side joins the matched
//! class only with the same shape and dtype).

use std::sync::OnceLock;

use egg::{Applier, Id, Pattern, PatternAst, Rewrite, Searcher, Subst, Symbol, Var};
use serde_json::{Map, Value};
use tessera_ir::ArrayMeta;

use super::analysis::{ArrayAnalysis, Graph, out_of_budget};
use super::language::{ArrayLang, AttrsLeaf, Entry, IndexLeaf, OpName};
use super::rule_file::{Condition, parse_rules};

pub(crate) mod algebra;
pub(crate) mod constant_fold;
pub(crate) mod matmul_chain;
pub(crate) mod rechunk;
pub(crate) mod slice_compose;
pub(crate) mod slice_concat;
pub(crate) mod slice_elementwise;
pub(crate) mod slice_layout;
pub(crate) mod slice_matmul;
pub(crate) mod slice_overlap;
pub(crate) mod slice_reduction;
pub(crate) mod slice_sources;
pub(crate) mod slice_tensordot;
pub(crate) mod transpose;

/// A rewrite over the array language.
pub type Rule = Rewrite<ArrayLang, ArrayAnalysis>;

/// Whether `new` may join `class`: same shape and dtype (chunks may differ).
pub(crate) fn same_value_kind(egraph: &Graph, class: Id, new: Id) -> bool {
    let (a, b) = (&egraph[class].data.meta, &egraph[new].data.meta);
    match (a, b) {
        (Some(a), Some(b)) => match (a.as_array(), b.as_array()) {
            (Some(x), Some(y)) => x.shape == y.shape && x.dtype == y.dtype,
            _ => a == b,
        },
        _ => false,
    }
}

/// Unions `new` into `class` when it has the same shape and dtype; counts a
/// refusal otherwise. Returns whether the e-graph changed.
pub(crate) fn checked_union(egraph: &mut Graph, class: Id, new: Id) -> bool {
    if egraph.find(class) == egraph.find(new) {
        return false;
    }
    if same_value_kind(egraph, class, new) {
        egraph.union(class, new)
    } else {
        egraph.analysis.refused += 1;
        false
    }
}

/// A right-hand side pattern guarded by conditions, added only when it has the
/// matched class's shape and dtype.
pub(super) struct Checked {
    /// The right-hand side.
    pub rhs: Pattern<ArrayLang>,
    /// Conditions on the match, all of which must hold.
    pub conditions: Vec<(Condition, Vec<Var>)>,
}

impl Applier<ArrayLang, ArrayAnalysis> for Checked {
    fn apply_one(
        &self,
        egraph: &mut Graph,
        eclass: Id,
        subst: &Subst,
        _ast: Option<&PatternAst<ArrayLang>>,
        _rule: Symbol,
    ) -> Vec<Id> {
        if out_of_budget(egraph) {
            return Vec::new();
        }
        for (cond, vars) in &self.conditions {
            let ids: Vec<Id> = vars.iter().map(|v| subst[*v]).collect();
            if !(cond.check)(egraph, eclass, &ids) {
                return Vec::new();
            }
        }
        let new = egraph.add_instantiation(&self.rhs.ast, subst);
        if checked_union(egraph, eclass, new) {
            vec![eclass]
        } else {
            Vec::new()
        }
    }

    fn vars(&self) -> Vec<Var> {
        self.rhs.vars()
    }
}

/// Rules written in the rule-file syntax, parsed once.
fn text_rules(text: &'static str) -> Vec<Rule> {
    parse_rules(text).unwrap_or_else(|e| panic!("a built-in rule does not parse: {e}"))
}

/// The algebraic simplifications: identities, double negation, transpose and
/// rechunk composition, constant folding of scalar subexpressions, scalars out
/// of sums.
pub(super) fn simplify_rules() -> &'static [Rule] {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES.get_or_init(|| {
        let mut rules = text_rules(algebra::RULES);
        rules.extend(text_rules(rechunk::RULES));
        rules.extend(transpose::rules());
        rules.push(constant_fold::rule());
        rules
    })
}

/// Slice pushdown (every family, one worklist applier) and slice composition.
pub(super) fn slice_rules() -> &'static [Rule] {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES.get_or_init(|| {
        let searcher: Pattern<ArrayLang> = "(getitem ?x ?i)".parse().expect("pattern");
        vec![Rewrite::new("slice-pushdown", searcher, PushSlices).expect("rule")]
    })
}

/// Matmul-chain reassociation (both directions; extraction picks by cost).
pub(super) fn matmul_rules() -> &'static [Rule] {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES.get_or_init(|| text_rules(matmul_chain::RULES))
}

/// A slice waiting to be pushed: the class of `getitem(x, index)`, x, index.
type Pending = (Id, Id, IndexLeaf);

/// What a pushdown family works with: the e-graph and the worklist.
pub(crate) struct Push<'a> {
    pub(crate) egraph: &'a mut Graph,
    work: &'a mut Vec<Pending>,
}

impl Push<'_> {
    /// The array metadata of a class.
    pub(crate) fn array(&self, c: Id) -> Option<ArrayMeta> {
        self.egraph[c].data.array().cloned()
    }

    /// `getitem(x, index)`, or `x` when the index keeps it whole; the new slice
    /// is queued to be pushed further.
    pub(crate) fn slice(&mut self, x: Id, index: IndexLeaf) -> Id {
        if self.array(x).is_some_and(|a| index.is_identity(&a.shape)) {
            return x;
        }
        let leaf = self.egraph.add(ArrayLang::Index(index.clone()));
        let g = self.egraph.add(ArrayLang::Op(op("getitem"), vec![x, leaf]));
        self.work.push((g, x, index));
        g
    }

    /// Adds an op e-node.
    pub(crate) fn add(&mut self, name: &str, children: Vec<Id>) -> Id {
        self.egraph.add(ArrayLang::Op(op(name), children))
    }

    /// Adds an attribute leaf.
    pub(crate) fn attrs(&mut self, map: &Map<String, Value>) -> Id {
        self.egraph.add(ArrayLang::Attrs(AttrsLeaf::new(map)))
    }

    /// The attribute map of an op e-node's `Attrs` leaf (empty if none).
    pub(crate) fn attrs_of(&self, children: &[Id]) -> Map<String, Value> {
        children
            .iter()
            .find_map(|&c| match &self.egraph[c].nodes[0] {
                ArrayLang::Attrs(a) => Some(a.map().clone()),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// The items of a `list` class.
    pub(crate) fn list_items(&self, c: Id) -> Option<Vec<Id>> {
        self.egraph[c].nodes.iter().find_map(|n| match n {
            ArrayLang::Op(op, items) if *op == OpName::LIST => Some(items.clone()),
            _ => None,
        })
    }
}

/// The op called `name` (a catalogue name written in this crate).
pub(crate) fn op(name: &str) -> OpName {
    OpName::named(name).unwrap_or_else(|| panic!("{name} is not in the catalogue"))
}

/// A full range over an axis of length `n`.
pub(crate) fn full(n: usize) -> Entry {
    Entry::Range {
        start: 0,
        step: 1,
        len: n,
    }
}

/// Normalizes an `axis` attribute (integer, list or null) against `ndim`;
/// `None` for null.
pub(crate) fn axes_attr(v: Option<&Value>, ndim: usize) -> Option<Vec<usize>> {
    let norm = |a: i64| -> usize { (if a < 0 { a + ndim as i64 } else { a }) as usize };
    let mut axes: Vec<usize> = match v? {
        Value::Number(n) => vec![norm(n.as_i64()?)],
        Value::Array(items) => items.iter().filter_map(|a| a.as_i64().map(norm)).collect(),
        _ => return None,
    };
    axes.sort_unstable();
    Some(axes)
}

/// Pushes `getitem(?x, ?i)` through the e-nodes of `?x`, and on through each
/// new slice it creates, within one application: a chain of any depth is
/// rewritten in one iteration. Each family says what one step does.
pub(super) struct PushSlices;

impl Applier<ArrayLang, ArrayAnalysis> for PushSlices {
    fn apply_one(
        &self,
        egraph: &mut Graph,
        eclass: Id,
        subst: &Subst,
        _ast: Option<&PatternAst<ArrayLang>>,
        _rule: Symbol,
    ) -> Vec<Id> {
        let x = subst["?x".parse().expect("var")];
        let i = subst["?i".parse().expect("var")];
        let ArrayLang::Index(index) = egraph[i].nodes[0].clone() else {
            return Vec::new();
        };
        let mut changed = Vec::new();
        let mut work: Vec<Pending> = vec![(eclass, x, index)];
        while let Some((g, x, index)) = work.pop() {
            if out_of_budget(egraph) {
                break;
            }
            let x = egraph.find(x);
            let n = egraph[x].nodes.len();
            let key = (x, index.clone());
            if egraph.analysis.pushed.get(&key) == Some(&n) {
                continue;
            }
            egraph.analysis.pushed.insert(key, n);
            let Some(shape) = egraph[x].data.array().map(|a| a.shape.clone()) else {
                continue;
            };
            if index.is_identity(&shape) {
                if checked_union(egraph, g, x) {
                    egraph.analysis.count("slice-identity");
                    changed.push(g);
                }
                continue;
            }
            // One composition with the chain's base stands for every slice
            // e-node of `x` (each would compose to the same slice of the base).
            let composed = slice_compose::base(egraph, x)
                .and_then(|(b, a)| Some((b, slice_compose::compose(&a, &index)?)));
            let nodes = egraph[x].nodes.clone();
            let mut cx = Push {
                egraph,
                work: &mut work,
            };
            let composed = composed.map(|(b, k)| cx.slice(b, k));
            if let Some(new) = composed
                && checked_union(cx.egraph, g, new)
            {
                cx.egraph.analysis.count("slice-compose");
                changed.push(g);
            }
            for node in &nodes {
                if composed_through(node, composed.is_some()) {
                    continue;
                }
                if let Some((family, new)) = push_one(&mut cx, node, x, &index)
                    && checked_union(cx.egraph, g, new)
                {
                    cx.egraph.analysis.count(family);
                    changed.push(g);
                }
            }
        }
        changed
    }
}

/// Whether `node` is a slice already stood for by the composition with the
/// chain's base.
fn composed_through(node: &ArrayLang, composed: bool) -> bool {
    composed && matches!(node, ArrayLang::Op(op, _) if op.name() == "getitem")
}

/// One step of the pushdown through `node` (an e-node of the sliced class `x`).
fn push_one(
    cx: &mut Push<'_>,
    node: &ArrayLang,
    x: Id,
    index: &IndexLeaf,
) -> Option<(&'static str, Id)> {
    let ArrayLang::Op(op, children) = node else {
        return None;
    };
    let spec = op.spec()?;
    if spec.name == "getitem" {
        return slice_compose::push(cx, children, index).map(|id| ("slice-compose", id));
    }
    if op.is_elementwise() {
        return slice_elementwise::push(cx, *op, children, x, index)
            .map(|id| ("slice-elementwise", id));
    }
    if index.has_new_axes() {
        // Other families take slices without new axes: slice first, then add the
        // new axes on the (smaller) result.
        let shape = cx.array(x)?.shape;
        let (inner, outer) = split_new_axes(index, &shape);
        let inner_id = cx.slice(x, inner);
        let leaf = cx.egraph.add(ArrayLang::Index(outer));
        return Some(("slice-new-axes", cx.add("getitem", vec![inner_id, leaf])));
    }
    let family = match spec.name {
        "transpose" | "broadcast_to" | "expand_dims" | "squeeze" | "rechunk" | "tril" | "triu" => {
            "slice-layout"
        }
        "matmul" | "outer" => "slice-matmul",
        "dot"
            if cx.array(children[0]).is_some_and(|m| m.ndim() > 2)
                || children
                    .get(1)
                    .and_then(|&b| cx.array(b))
                    .is_some_and(|m| m.ndim() > 2) =>
        {
            "slice-tensordot"
        }
        "dot" => "slice-matmul",
        "tensordot" => "slice-tensordot",
        "concatenate" | "stack" => "slice-concat",
        "zeros" | "ones" | "full" | "arange" | "linspace" | "eye" | "random.uniform"
        | "random.normal" | "random.integers" => "slice-sources",
        "map_overlap" => "slice-overlap",
        "sum" | "prod" | "mean" | "min" | "max" | "var" | "std" | "any" | "all" => {
            "slice-reduction"
        }
        _ => return None,
    };
    let new = match family {
        "slice-layout" => slice_layout::push(cx, spec.name, children, x, index),
        "slice-matmul" => slice_matmul::push(cx, *op, children, &cx.array(x)?.shape, index),
        "slice-tensordot" if spec.name == "dot" => slice_tensordot::push_dot(cx, children, index),
        "slice-tensordot" => slice_tensordot::push(cx, children, index),
        "slice-concat" => slice_concat::push(cx, spec.name, children, index),
        "slice-sources" => slice_sources::push(cx, spec.name, children, x, index),
        "slice-overlap" => slice_overlap::push(cx, children, x, index),
        _ => slice_reduction::push(cx, *op, children, index),
    }?;
    Some((family, new))
}

/// `index` as a slice without new axes, then the new axes on its result.
fn split_new_axes(index: &IndexLeaf, _shape: &[usize]) -> (IndexLeaf, IndexLeaf) {
    let inner: Vec<Entry> = index.input_entries().copied().collect();
    let outer = index
        .0
        .iter()
        .filter_map(|e| match *e {
            Entry::Pick(_) => None,
            Entry::New => Some(Entry::New),
            Entry::Range { len, .. } => Some(full(len)),
        })
        .collect();
    (IndexLeaf(inner), IndexLeaf(outer))
}

/// A searcher for the 0-d array classes not yet known to be constant (what
/// constant folding looks at, whatever their op).
pub(crate) struct ZeroDim;

impl Searcher<ArrayLang, ArrayAnalysis> for ZeroDim {
    fn search_eclass_with_limit(
        &self,
        egraph: &Graph,
        eclass: Id,
        _limit: usize,
    ) -> Option<egg::SearchMatches<'_, ArrayLang>> {
        let data = &egraph[eclass].data;
        if data.constant.is_some() || !data.array().is_some_and(|a| a.shape.is_empty()) {
            return None;
        }
        Some(egg::SearchMatches {
            eclass,
            substs: vec![Subst::default()],
            ast: None,
        })
    }

    fn vars(&self) -> Vec<Var> {
        Vec::new()
    }
}

#[cfg(test)]
pub(crate) mod testing;
