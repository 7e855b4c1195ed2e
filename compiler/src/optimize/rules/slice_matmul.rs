//! Slices through matrix products: `(A @ B)[r, c]` is `A[r, :] @ B[:, c]` (rows
//! of A, columns of B), for `matmul` with NumPy's rules (1-d operands, batch
//! axes: a batch index goes to both operands, except that an operand's axis of
//! length 1 broadcast against a longer one keeps its one position) and for `dot`
//! on matrices and vectors (n-d `dot` is a tensordot: `slice_tensordot.rs`);
//! `outer(a, b)[r, c]` is `outer(a[r], b[c])` for vectors.
//!
//! A picked row of an A that keeps batch axes would make A a batch of vectors,
//! which `matmul` reads as a matrix: the row is kept as a range of one and
//! picked from the (smaller) product instead; columns of B likewise.

use egg::Id;

use super::slice_tensordot::operand_index;
use super::{Push, full};
use crate::lower::contraction;
use crate::optimize::language::{ArrayLang, Entry, IndexLeaf, OpName};

/// One step through `matmul`/`dot`/`outer` of the class of shape `shape`;
/// `index` has no new axes.
pub(crate) fn push(
    cx: &mut Push<'_>,
    op: OpName,
    children: &[Id],
    shape: &[usize],
    index: &IndexLeaf,
) -> Option<Id> {
    let [a, b] = children else { return None };
    let (am, bm) = (cx.array(*a)?, cx.array(*b)?);
    let e = &index.0;
    let (na, nb) = (am.ndim(), bm.ndim());
    match op.name() {
        "outer" => {
            let (1, 1, [r, c]) = (na, nb, e.as_slice()) else {
                return None;
            };
            let (ra, post_r) = unpicked(*r);
            let (rb, post_c) = unpicked(*c);
            let picks: Vec<usize> = [(0, post_r), (1, post_c)]
                .into_iter()
                .filter_map(|(axis, p)| p.map(|_| axis))
                .collect();
            let (sa, sb) = (
                cx.slice(*a, IndexLeaf(vec![ra])),
                cx.slice(*b, IndexLeaf(vec![rb])),
            );
            let new = cx.egraph.add(ArrayLang::Op(op, vec![sa, sb]));
            Some(post_pick(cx, new, &picks))
        }
        "dot" | "matmul" => {
            let layout = contraction::matmul(na, nb).ok()?;
            let mut ia = operand_index(&layout.a, &am.shape, Some(shape), e)?;
            let mut ib = operand_index(&layout.b, &bm.shape, Some(shape), e)?;
            // Batch axes each operand keeps after the index.
            let kept = |ix: &[Entry], n: usize| {
                ix[..n.saturating_sub(2)]
                    .iter()
                    .filter(|x| !matches!(x, Entry::Pick(_)))
                    .count()
            };
            let (ka, kb) = (kept(&ia, na), kept(&ib, nb));
            let (mut post_r, mut post_c) = (None, None);
            if na >= 2 && ka > 0 {
                (ia[na - 2], post_r) = unpicked(ia[na - 2]);
            }
            if nb >= 2 && kb > 0 {
                (ib[nb - 1], post_c) = unpicked(ib[nb - 1]);
            }
            let ib_col = (nb >= 2).then(|| ib[nb - 1]);
            let (sa, sb) = (cx.slice(*a, IndexLeaf(ia)), cx.slice(*b, IndexLeaf(ib)));
            let new = cx.egraph.add(ArrayLang::Op(op, vec![sa, sb]));
            // The product's axes end with the row (if A is still a matrix) and
            // the column (if B is).
            let ndim = cx.array(new)?.ndim();
            let has_col = nb >= 2 && !matches!(ib_col, Some(Entry::Pick(_)));
            let mut picks = Vec::new();
            if post_r.is_some() {
                picks.push(ndim.checked_sub(1 + usize::from(has_col))?);
            }
            if post_c.is_some() {
                picks.push(ndim.checked_sub(1)?);
            }
            Some(post_pick(cx, new, &picks))
        }
        _ => None,
    }
}

/// A picked position as a range of one, and whether it was a pick (to be
/// taken afterwards at position 0 of the product's axis).
fn unpicked(e: Entry) -> (Entry, Option<()>) {
    match e {
        Entry::Pick(p) => (
            Entry::Range {
                start: p,
                step: 1,
                len: 1,
            },
            Some(()),
        ),
        other => (other, None),
    }
}

/// `x` with position 0 picked on each of `axes` (x itself when there are none).
fn post_pick(cx: &mut Push<'_>, x: Id, axes: &[usize]) -> Id {
    if axes.is_empty() {
        return x;
    }
    let Some(shape) = cx.array(x).map(|m| m.shape) else {
        return x;
    };
    let entries = shape
        .iter()
        .enumerate()
        .map(|(axis, &n)| {
            if axes.contains(&axis) {
                Entry::Pick(0)
            } else {
                full(n)
            }
        })
        .collect();
    let leaf = cx.egraph.add(ArrayLang::Index(IndexLeaf(entries)));
    cx.add("getitem", vec![x, leaf])
}

#[cfg(test)]
mod tests {
    use crate::optimize::rules::testing::{plan_after, rule_count};

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

    #[test]
    fn batch_indexes_to_both_operands_broadcast_axes_keep_their_one() {
        // (6, 1, 4, 5) @ (3, 5, 2) -> (6, 3, 4, 2).
        let doc = r#"{"tessera": 1, "nodes": {
            "a": {"op": "input", "name": "a", "shape": [6, 1, 4, 5], "dtype": "float64", "chunks": 2},
            "b": {"op": "input", "name": "b", "shape": [3, 5, 2], "dtype": "float64", "chunks": 2},
            "p": {"op": "matmul", "args": ["a", "b"]},
            "s": {"op": "getitem", "args": ["p"], "index": [[1, 5, 2], 2, [null, null, -1], [0, 1, null]]},
            "t": {"op": "getitem", "args": ["p"], "index": [3, [0, 2, null], 1, 0]}},
            "outputs": ["s", "t"]}"#;
        assert_eq!(rule_count(doc, "slice-pushdown", "slice-matmul"), 2);
        insta::assert_snapshot!(plan_after(doc, "slice-pushdown"), @r#"
        a = input(name="a", shape=[6,1,4,5], dtype="float64", chunks=2)  # [6, 1, 4, 5] float64
        getitem~1 = getitem(a, index=[[1,5,2],0,[3,null,-1],[0,5,1]])  # [2, 4, 5] float64
        b = input(name="b", shape=[3,5,2], dtype="float64", chunks=2)  # [3, 5, 2] float64
        getitem~2 = getitem(b, index=[2,[0,5,1],[0,1,1]])  # [5, 1] float64
        s = matmul(getitem~1, getitem~2)  # [2, 4, 1] float64
        getitem~3 = getitem(a, index=[3,[0,1,1],[1,2,1],[0,5,1]])  # [1, 1, 5] float64
        getitem~4 = getitem(b, index=[[0,2,1],[0,5,1],[0,1,1]])  # [2, 5, 1] float64
        matmul~5 = matmul(getitem~3, getitem~4)  # [2, 1, 1] float64
        t = getitem(matmul~5, index=[[0,2,1],0,0])  # [2] float64
        outputs: s, t
        "#);
    }

    #[test]
    fn vectors_against_batches_and_picked_outer_positions() {
        let doc = r#"{"tessera": 1, "nodes": {
            "v": {"op": "input", "name": "v", "shape": [5], "dtype": "float64", "chunks": 2},
            "b": {"op": "input", "name": "b", "shape": [3, 5, 2], "dtype": "float64", "chunks": 2},
            "p": {"op": "matmul", "args": ["v", "b"]},
            "s": {"op": "getitem", "args": ["p"], "index": [[0, 2, null], 1]},
            "w": {"op": "input", "name": "w", "shape": [4], "dtype": "float64", "chunks": 2},
            "o": {"op": "outer", "args": ["v", "w"]},
            "t": {"op": "getitem", "args": ["o"], "index": [3, [1, 3, null]]}},
            "outputs": ["s", "t"]}"#;
        insta::assert_snapshot!(plan_after(doc, "slice-pushdown"), @r#"
        v = input(name="v", shape=[5], dtype="float64", chunks=2)  # [5] float64
        b = input(name="b", shape=[3,5,2], dtype="float64", chunks=2)  # [3, 5, 2] float64
        getitem~1 = getitem(b, index=[[0,2,1],[0,5,1],[1,2,1]])  # [2, 5, 1] float64
        matmul~2 = matmul(v, getitem~1)  # [2, 1] float64
        s = getitem(matmul~2, index=[[0,2,1],0])  # [2] float64
        getitem~3 = getitem(v, index=[[3,4,1]])  # [1] float64
        w = input(name="w", shape=[4], dtype="float64", chunks=2)  # [4] float64
        getitem~4 = getitem(w, index=[[1,3,1]])  # [2] float64
        outer~5 = outer(getitem~3, getitem~4)  # [1, 2] float64
        t = getitem(outer~5, index=[0,[0,2,1]])  # [2] float64
        outputs: s, t
        "#);
    }
}
