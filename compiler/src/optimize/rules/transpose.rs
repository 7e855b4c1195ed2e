//! Transpose rewrites: two transposes compose into one (or none), and a
//! transpose that keeps every axis in place is its input.

use egg::{Applier, Id, Pattern, PatternAst, Rewrite, Subst, Symbol};

use super::{Rule, checked_union, op, text_rules};
use crate::optimize::analysis::{ArrayAnalysis, Graph, out_of_budget};
use crate::optimize::language::{ArrayLang, PermLeaf};

/// `transpose(transpose(x, p), q)` is `transpose(x, p∘q)`.
struct Compose;

impl Applier<ArrayLang, ArrayAnalysis> for Compose {
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
        let perm =
            |egraph: &Graph, var: &str| match &egraph[subst[var.parse().expect("var")]].nodes[0] {
                ArrayLang::Perm(p) => Some(p.0.clone()),
                _ => None,
            };
        let (Some(p), Some(q)) = (perm(egraph, "?p"), perm(egraph, "?q")) else {
            return Vec::new();
        };
        let x = subst["?x".parse().expect("var")];
        let r = PermLeaf(q.iter().map(|&i| p[i]).collect());
        let new = if r.is_identity() {
            x
        } else {
            let leaf = egraph.add(ArrayLang::Perm(r));
            egraph.add(ArrayLang::Op(op("transpose"), vec![x, leaf]))
        };
        if checked_union(egraph, eclass, new) {
            vec![eclass]
        } else {
            Vec::new()
        }
    }
}

/// The transpose rules.
pub(crate) fn rules() -> Vec<Rule> {
    let lhs: Pattern<ArrayLang> = "(transpose (transpose ?x ?p) ?q)".parse().expect("pattern");
    let mut rules = vec![Rewrite::new("transpose-transpose", lhs, Compose).expect("rule")];
    rules.extend(text_rules(
        "transpose-identity: (transpose ?x ?p) => ?x if is_identity(?p)",
    ));
    rules
}

#[cfg(test)]
mod tests {
    use crate::optimize::rules::testing::plan_after;

    #[test]
    fn transposes_compose() {
        let doc = r#"{"tessera": 1, "nodes": {
            "x": {"op": "ones", "shape": [2, 3, 4]},
            "a": {"op": "transpose", "args": ["x"], "axes": [1, 2, 0]},
            "b": {"op": "transpose", "args": ["a"], "axes": [2, 0, 1]},
            "c": {"op": "transpose", "args": ["x"], "axes": [0, 2, 1]},
            "d": {"op": "transpose", "args": ["c"], "axes": [1, 0, 2]}},
            "outputs": ["b", "d"]}"#;
        insta::assert_snapshot!(plan_after(doc, "simplify"), @r#"
        b = ones(shape=[2,3,4], dtype="float64", chunks="auto")  # [2, 3, 4] float64
        d = transpose(b, axes=[2,0,1])  # [4, 2, 3] float64
        outputs: b, d
        "#);
    }
}
