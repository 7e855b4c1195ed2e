//! Slices through matrix products: `(A @ B)[r, c]` is `A[r, :] @ B[:, c]` (rows
//! of A, columns of B), for `matmul` and `dot` on matrices and vectors;
//! `outer(a, b)[r, c]` is `outer(a[r], b[c])` for vectors and ranges.

use egg::Id;

use super::{Push, full};
use crate::optimize::language::{ArrayLang, Entry, IndexLeaf, OpName};

/// One step through `matmul`/`dot`; `index` has no new axes.
pub(crate) fn push(
    cx: &mut Push<'_>,
    op: OpName,
    children: &[Id],
    index: &IndexLeaf,
) -> Option<Id> {
    let [a, b] = children else { return None };
    let (am, bm) = (cx.array(*a)?, cx.array(*b)?);
    let e = &index.0;
    if op.name() == "outer" {
        let (1, 1, [r @ Entry::Range { .. }, c @ Entry::Range { .. }]) =
            (am.ndim(), bm.ndim(), e.as_slice())
        else {
            return None;
        };
        let (na, nb) = (
            cx.slice(*a, IndexLeaf(vec![*r])),
            cx.slice(*b, IndexLeaf(vec![*c])),
        );
        return Some(cx.egraph.add(ArrayLang::Op(op, vec![na, nb])));
    }
    let (na, nb) = match (am.ndim(), bm.ndim(), e.as_slice()) {
        (2, 2, [r, c]) => (
            cx.slice(*a, IndexLeaf(vec![*r, full(am.shape[1])])),
            cx.slice(*b, IndexLeaf(vec![full(bm.shape[0]), *c])),
        ),
        (2, 1, [r]) => (cx.slice(*a, IndexLeaf(vec![*r, full(am.shape[1])])), *b),
        (1, 2, [c]) => (*a, cx.slice(*b, IndexLeaf(vec![full(bm.shape[0]), *c]))),
        _ => return None,
    };
    Some(cx.egraph.add(ArrayLang::Op(op, vec![na, nb])))
}

#[cfg(test)]
mod tests {
    use crate::optimize::rules::testing::plan_after;

    #[test]
    fn rows_of_a_columns_of_b() {
        let doc = r#"{"tessera": 1, "nodes": {
            "a": {"op": "input", "name": "a", "shape": [40, 30], "dtype": "float64", "chunks": 10},
            "b": {"op": "input", "name": "b", "shape": [30, 20], "dtype": "float64", "chunks": 10},
            "p": {"op": "matmul", "args": ["a", "b"]},
            "s": {"op": "getitem", "args": ["p"], "index": [[null, 10, null], [null, 10, null]]},
            "v": {"op": "input", "name": "v", "shape": [30], "dtype": "float64", "chunks": 10},
            "d": {"op": "dot", "args": ["a", "v"]},
            "t": {"op": "getitem", "args": ["d"], "index": [5]}},
            "outputs": ["s", "t"]}"#;
        insta::assert_snapshot!(plan_after(doc, "slice-pushdown"), @r#"
        a = input(name="a", shape=[40,30], dtype="float64", chunks=10)  # [40, 30] float64
        getitem~1 = getitem(a, index=[[0,10,1],[0,30,1]])  # [10, 30] float64
        b = input(name="b", shape=[30,20], dtype="float64", chunks=10)  # [30, 20] float64
        getitem~2 = getitem(b, index=[[0,30,1],[0,10,1]])  # [30, 10] float64
        s = matmul(getitem~1, getitem~2)  # [10, 10] float64
        getitem~3 = getitem(a, index=[5,[0,30,1]])  # [30] float64
        v = input(name="v", shape=[30], dtype="float64", chunks=10)  # [30] float64
        t = dot(getitem~3, v)  # [] float64
        outputs: s, t
        "#);
    }
}
