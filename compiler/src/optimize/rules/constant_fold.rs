//! Constant folding of scalar subexpressions: an elementwise op whose arguments
//! are all known constants and whose result is 0-d becomes a 0-d `full` (same
//! dtype: float64 computed in f64, int64 only when exact). Elementwise chains over
//! whole-array sources are left alone (fusion makes them cheap).

use egg::{Applier, Id, PatternAst, Rewrite, Subst, Symbol};
use serde_json::{Map, Value};
use tessera_ir::{DType, Meta};

use super::{Rule, ZeroDim, checked_union, op};
use crate::optimize::analysis::{ArrayAnalysis, Graph, out_of_budget};
use crate::optimize::language::{ArrayLang, AttrsLeaf};

/// Folds 0-d elementwise expressions of constants.
struct Fold;

fn eval(name: &str, a: &[f64]) -> Option<f64> {
    Some(match (name, a) {
        ("add", [x, y]) => x + y,
        ("subtract", [x, y]) => x - y,
        ("multiply", [x, y]) => x * y,
        ("divide", [x, y]) => x / y,
        ("maximum", [x, y]) => x.max(*y),
        ("minimum", [x, y]) => x.min(*y),
        ("power", [x, y]) => x.powf(*y),
        ("negative", [x]) => -x,
        ("abs", [x]) => x.abs(),
        ("exp", [x]) => x.exp(),
        ("log", [x]) => x.ln(),
        ("sqrt", [x]) => x.sqrt(),
        ("square", [x]) => x * x,
        ("sin", [x]) => x.sin(),
        ("cos", [x]) => x.cos(),
        _ => return None,
    })
}

impl Applier<ArrayLang, ArrayAnalysis> for Fold {
    fn apply_one(
        &self,
        egraph: &mut Graph,
        eclass: Id,
        _subst: &Subst,
        _ast: Option<&PatternAst<ArrayLang>>,
        _rule: Symbol,
    ) -> Vec<Id> {
        if out_of_budget(egraph) {
            return Vec::new();
        }
        let Some(Meta::Array(out)) = egraph[eclass].data.meta.clone() else {
            return Vec::new();
        };
        if !out.shape.is_empty() || egraph[eclass].data.constant.is_some() {
            return Vec::new();
        }
        let found = egraph[eclass].nodes.iter().find_map(|n| {
            let ArrayLang::Op(o, children) = n else {
                return None;
            };
            if !o.is_elementwise() {
                return None;
            }
            let values: Option<Vec<f64>> =
                children.iter().map(|&c| egraph[c].data.constant).collect();
            let v = eval(o.name(), &values?)?;
            let exact_int = out.dtype == DType::Int64
                && matches!(
                    o.name(),
                    "add" | "subtract" | "multiply" | "negative" | "abs" | "maximum" | "minimum"
                )
                && v.fract() == 0.0
                && v.abs() < 9.0e15;
            (v.is_finite() && (out.dtype == DType::Float64 || exact_int)).then_some(v)
        });
        let Some(v) = found else {
            return Vec::new();
        };
        let mut attrs = Map::new();
        attrs.insert("shape".into(), Value::Array(Vec::new()));
        let fill = if out.dtype == DType::Int64 {
            Value::from(v as i64)
        } else {
            serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
        };
        attrs.insert("fill_value".into(), fill);
        attrs.insert("dtype".into(), Value::from(out.dtype.name()));
        let leaf = egraph.add(ArrayLang::Attrs(AttrsLeaf::new(&attrs)));
        let new = egraph.add(ArrayLang::Op(op("full"), vec![leaf]));
        if checked_union(egraph, eclass, new) {
            vec![eclass]
        } else {
            Vec::new()
        }
    }
}

/// The constant-folding rule.
pub(crate) fn rule() -> Rule {
    Rewrite::new("constant-fold", ZeroDim, Fold).expect("rule")
}

#[cfg(test)]
mod tests {
    use crate::optimize::rules::testing::plan_after;

    #[test]
    fn folds_scalar_subexpressions_only() {
        let doc = r#"{"tessera": 1, "nodes": {
            "c": {"op": "full", "shape": [], "fill_value": 2.0},
            "d": {"op": "multiply", "args": ["c", 3]},
            "e": {"op": "exp", "args": ["d"]},
            "x": {"op": "ones", "shape": [4], "chunks": 2},
            "y": {"op": "multiply", "args": ["x", "e"]},
            "z": {"op": "exp", "args": ["x"]},
            "w": {"op": "add", "args": ["y", "z"]}}, "outputs": ["w"]}"#;
        insta::assert_snapshot!(plan_after(doc, "simplify"), @r#"
        x = ones(shape=[4], chunks=2, dtype="float64")  # [4] float64
        e = full(shape=[], fill_value=403.4287934927351, dtype="float64")  # [] float64
        y = multiply(x, e)  # [4] float64
        z = exp(x)  # [4] float64
        w = add(y, z)  # [4] float64
        outputs: w
        "#);
    }
}
