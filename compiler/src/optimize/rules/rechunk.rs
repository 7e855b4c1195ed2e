//! Rechunk rewrites: two rechunks in a row are the last one; a rechunk to the
//! chunks the array already has is the array.

/// The rules, in the rule-file syntax.
pub(crate) const RULES: &str = "
rechunk-rechunk: (rechunk (rechunk ?x ?a) ?b) => (rechunk ?x ?b)
rechunk-identity: (rechunk ?x ?a) => ?x if keeps_chunks(?x)
";

#[cfg(test)]
mod tests {
    use crate::optimize::rules::testing::plan_after;

    #[test]
    fn rechunks_compose_and_vanish() {
        let doc = r#"{"tessera": 1, "nodes": {
            "x": {"op": "ones", "shape": [8, 8], "chunks": 4},
            "a": {"op": "rechunk", "args": ["x"], "chunks": 2},
            "b": {"op": "rechunk", "args": ["a"], "chunks": 8},
            "c": {"op": "rechunk", "args": ["x"], "chunks": 4},
            "d": {"op": "add", "args": ["b", "c"]}}, "outputs": ["d"]}"#;
        insta::assert_snapshot!(plan_after(doc, "simplify"), @r#"
        x = ones(shape=[8,8], chunks=4, dtype="float64")  # [8, 8] float64
        b = rechunk(x, chunks=8)  # [8, 8] float64
        d = add(b, x)  # [8, 8] float64
        outputs: d
        "#);
    }
}
