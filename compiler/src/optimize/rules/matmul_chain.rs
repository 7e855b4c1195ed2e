//! Matmul-chain reassociation in both directions; extraction keeps the cheaper
//! order (`(A@B)@v` becomes `A@(B@v)` when v is thin). Only for operands of at
//! most 2 dimensions, where `@` is associative.

/// The rules, in the rule-file syntax.
pub(crate) const RULES: &str = "
matmul-assoc-right: (matmul (matmul ?a ?b) ?c) => (matmul ?a (matmul ?b ?c)) if ndim_le_2(?a) && ndim_le_2(?b) && ndim_le_2(?c)
matmul-assoc-left: (matmul ?a (matmul ?b ?c)) => (matmul (matmul ?a ?b) ?c) if ndim_le_2(?a) && ndim_le_2(?b) && ndim_le_2(?c)
";

#[cfg(test)]
mod tests {
    use crate::optimize::rules::testing::plan_after;

    #[test]
    fn thin_right_operand_reassociates() {
        let doc = r#"{"tessera": 1, "nodes": {
            "a": {"op": "ones", "shape": [300, 300], "chunks": 100},
            "b": {"op": "full", "shape": [300, 300], "fill_value": 0.5, "chunks": 100},
            "v": {"op": "linspace", "start": 0, "stop": 1, "num": 300, "chunks": 100},
            "ab": {"op": "matmul", "args": ["a", "b"]},
            "r": {"op": "matmul", "args": ["ab", "v"]}}, "outputs": ["r"]}"#;
        insta::assert_snapshot!(plan_after(doc, "matmul-chain"), @r#"
        a = ones(shape=[300,300], chunks=100, dtype="float64")  # [300, 300] float64
        b = full(shape=[300,300], fill_value=0.5, chunks=100)  # [300, 300] float64
        v = linspace(start=0, stop=1, num=300, chunks=100, endpoint=true)  # [300] float64
        matmul~1 = matmul(b, v)  # [300] float64
        r = matmul(a, matmul~1)  # [300] float64
        outputs: r
        "#);
    }
}
