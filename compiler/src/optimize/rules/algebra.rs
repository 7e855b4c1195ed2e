//! Algebraic identities that hold on every input: `x*1` and `x-0` (when the
//! dtype is unchanged: the checked applier refuses otherwise), `x+0` on integers
//! and `x+(-0.0)` on floats (`-0.0 + 0` is `+0.0`, so `x+0` on floats is not an
//! identity), double negation, and a scalar factor out of a sum.

/// The rules, in the rule-file syntax.
pub(crate) const RULES: &str = "
mul-one: (multiply ?x ?c) => ?x if is_one(?c) && is_array(?x)
one-mul: (multiply ?c ?x) => ?x if is_one(?c) && is_array(?x)
div-one: (divide ?x ?c) => ?x if is_one(?c) && is_float(?x)
add-zero-int: (add ?x ?c) => ?x if is_zero(?c) && is_integer(?x)
zero-add-int: (add ?c ?x) => ?x if is_zero(?c) && is_integer(?x)
add-neg-zero: (add ?x ?c) => ?x if is_neg_zero(?c) && is_float(?x)
sub-zero: (subtract ?x ?c) => ?x if is_zero(?c) && is_array(?x)
double-negation: (negative (negative ?x)) => ?x
sum-scalar-factor: (sum (multiply ?c ?x) ?a) => (multiply ?c (sum ?x ?a)) if is_scalar(?c) && is_float(?x)
sum-scalar-factor-right: (sum (multiply ?x ?c) ?a) => (multiply (sum ?x ?a) ?c) if is_scalar(?c) && is_float(?x)
";

#[cfg(test)]
mod tests {
    use crate::optimize::rules::testing::{plan_after, rule_count};

    #[test]
    fn multiply_by_one_goes_when_the_dtype_stays() {
        let doc = r#"{"tessera": 1, "nodes": {
            "x": {"op": "ones", "shape": [4, 4], "chunks": 2},
            "y": {"op": "multiply", "args": ["x", 1]},
            "z": {"op": "exp", "args": ["y"]}}, "outputs": ["z"]}"#;
        insta::assert_snapshot!(plan_after(doc, "simplify"), @r#"
        x = ones(shape=[4,4], chunks=2, dtype="float64")  # [4, 4] float64
        z = exp(x)  # [4, 4] float64
        outputs: z
        "#);
        assert_eq!(rule_count(doc, "simplify", "mul-one"), 1);
        // int32 * 1.0 is float64: not an identity.
        let doc = r#"{"tessera": 1, "nodes": {
            "x": {"op": "ones", "shape": [4], "dtype": "int32"},
            "y": {"op": "multiply", "args": ["x", 1.0]}}, "outputs": ["y"]}"#;
        assert_eq!(rule_count(doc, "simplify", "mul-one"), 0);
    }

    #[test]
    fn adding_zero_goes_on_integers_only() {
        let doc = r#"{"tessera": 1, "nodes": {
            "x": {"op": "arange", "stop": 6},
            "y": {"op": "add", "args": ["x", 0]},
            "f": {"op": "linspace", "start": 0, "stop": 1, "num": 6},
            "g": {"op": "add", "args": ["f", 0]},
            "h": {"op": "add", "args": ["f", -0.0]},
            "s": {"op": "subtract", "args": ["f", 0]}}, "outputs": ["y", "g", "h", "s"]}"#;
        insta::assert_snapshot!(plan_after(doc, "simplify"), @r#"
        y = arange(stop=6, start=0, step=1, chunks="auto")  # [6] int64
        h = linspace(start=0, stop=1, num=6, endpoint=true, chunks="auto")  # [6] float64
        g = add(h, 0)  # [6] float64
        s = linspace(start=0, stop=1, num=6, endpoint=true, chunks="auto")  # [6] float64
        outputs: y, g, h, s
        "#);
    }

    #[test]
    fn double_negation_and_scalar_out_of_sum() {
        let doc = r#"{"tessera": 1, "nodes": {
            "x": {"op": "linspace", "start": 0, "stop": 1, "num": 8, "chunks": 4},
            "a": {"op": "negative", "args": ["x"]},
            "b": {"op": "negative", "args": ["a"]},
            "c": {"op": "multiply", "args": [3.0, "b"]},
            "d": {"op": "sum", "args": ["c"]}}, "outputs": ["d"]}"#;
        insta::assert_snapshot!(plan_after(doc, "simplify"), @r#"
        x = linspace(start=0, stop=1, num=8, chunks=4, endpoint=true)  # [8] float64
        sum~1 = sum(x, axis=null, keepdims=false)  # [] float64
        d = multiply(3.0, sum~1)  # [] float64
        outputs: d
        "#);
    }
}
