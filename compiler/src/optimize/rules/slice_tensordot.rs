//! Slices through `tensordot` and n-d `dot` (a tensordot of `a`'s last axis with
//! `b`'s second-to-last): an index on a free axis of A goes to A, on a free axis
//! of B to B; contracted axes stay whole. Picked free axes renumber the
//! contracted ones, so the result is a `tensordot` with two explicit axis lists.

use egg::Id;
use serde_json::{Map, Value};

use super::{Push, full};
use crate::lower::contraction::{self, Role};
use crate::optimize::language::{Entry, IndexLeaf};

/// One step through `tensordot`; `index` has no new axes.
pub(crate) fn push(cx: &mut Push<'_>, children: &[Id], index: &IndexLeaf) -> Option<Id> {
    let [a, b, ..] = children else { return None };
    let (am, bm) = (cx.array(*a)?, cx.array(*b)?);
    let attrs = cx.attrs_of(children);
    let (xa, xb) = contraction::tensordot_axes(attrs.get("axes"), am.ndim(), bm.ndim()).ok()?;
    through(cx, (*a, &am.shape), (*b, &bm.shape), (&xa, &xb), index)
}

/// One step through an n-d `dot` (either operand above 2-d).
pub(crate) fn push_dot(cx: &mut Push<'_>, children: &[Id], index: &IndexLeaf) -> Option<Id> {
    let [a, b] = children else { return None };
    let (am, bm) = (cx.array(*a)?, cx.array(*b)?);
    let (na, nb) = (am.ndim(), bm.ndim());
    if na == 0 || nb == 0 {
        return None;
    }
    let (xa, xb) = (vec![na - 1], vec![nb.saturating_sub(2)]);
    through(cx, (*a, &am.shape), (*b, &bm.shape), (&xa, &xb), index)
}

/// `tensordot(a[ia], b[ib], axes=[xa', xb'])` for `tensordot(a, b, [xa, xb])[index]`.
fn through(
    cx: &mut Push<'_>,
    (a, sa): (Id, &[usize]),
    (b, sb): (Id, &[usize]),
    (xa, xb): (&[usize], &[usize]),
    index: &IndexLeaf,
) -> Option<Id> {
    let layout = contraction::tensordot(sa.len(), sb.len(), xa, xb);
    let ia = operand_index(&layout.a, sa, None, &index.0)?;
    let ib = operand_index(&layout.b, sb, None, &index.0)?;
    let renumber = |entries: &[Entry], axes: &[usize]| -> Vec<usize> {
        axes.iter()
            .map(|&d| {
                let picked = entries[..d]
                    .iter()
                    .filter(|e| matches!(e, Entry::Pick(_)))
                    .count();
                d - picked
            })
            .collect()
    };
    let axes = Value::from(vec![renumber(&ia, xa), renumber(&ib, xb)]);
    let (na, nb) = (cx.slice(a, IndexLeaf(ia)), cx.slice(b, IndexLeaf(ib)));
    let mut attrs = Map::new();
    attrs.insert("axes".into(), axes);
    let leaf = cx.attrs(&attrs);
    Some(cx.add("tensordot", vec![na, nb, leaf]))
}

/// The index of an operand whose axes have `roles`, from the result's `index`
/// (one entry per result axis, no new axes): a contracted axis stays whole, an
/// axis following result axis `r` takes its entry — unless it broadcasts (length
/// 1 against a longer result axis, `result_shape` given), then it keeps its one
/// position (a pick of the result axis picks it too, so the axes stay aligned).
pub(crate) fn operand_index(
    roles: &[Role],
    shape: &[usize],
    result_shape: Option<&[usize]>,
    index: &[Entry],
) -> Option<Vec<Entry>> {
    roles
        .iter()
        .zip(shape)
        .map(|(role, &len)| match *role {
            Role::Sum(_) => Some(full(len)),
            Role::Out(r) => {
                let e = *index.get(r)?;
                let broadcast = result_shape.is_some_and(|s| len == 1 && s.get(r) != Some(&1));
                Some(match (broadcast, e) {
                    (_, Entry::New) => return None,
                    (true, Entry::Pick(_)) => Entry::Pick(0),
                    (true, Entry::Range { .. }) => full(1),
                    (false, e) => e,
                })
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::optimize::rules::testing::{plan_after, rule_count};

    #[test]
    fn free_axes_of_a_to_a_of_b_to_b() {
        let doc = r#"{"tessera": 1, "nodes": {
            "a": {"op": "input", "name": "a", "shape": [8, 6, 5], "dtype": "float64", "chunks": 2},
            "b": {"op": "input", "name": "b", "shape": [5, 7, 6], "dtype": "float64", "chunks": 2},
            "t": {"op": "tensordot", "args": ["a", "b"], "axes": [[1, 2], [2, 0]]},
            "s": {"op": "getitem", "args": ["t"], "index": [[1, 7, 2], 3]},
            "c": {"op": "input", "name": "c", "shape": [6, 5, 4], "dtype": "float64", "chunks": 2},
            "u": {"op": "tensordot", "args": ["a", "c"]},
            "v": {"op": "getitem", "args": ["u"], "index": [-1, [null, null, -1]]}},
            "outputs": ["s", "v"]}"#;
        insta::assert_snapshot!(plan_after(doc, "slice-pushdown"), @r#"
        a = input(name="a", shape=[8,6,5], dtype="float64", chunks=2)  # [8, 6, 5] float64
        getitem~1 = getitem(a, index=[[1,7,2],[0,6,1],[0,5,1]])  # [3, 6, 5] float64
        b = input(name="b", shape=[5,7,6], dtype="float64", chunks=2)  # [5, 7, 6] float64
        getitem~2 = getitem(b, index=[[0,5,1],3,[0,6,1]])  # [5, 6] float64
        s = tensordot(getitem~1, getitem~2, axes=[[1,2],[1,0]])  # [3] float64
        getitem~3 = getitem(a, index=[7,[0,6,1],[0,5,1]])  # [6, 5] float64
        c = input(name="c", shape=[6,5,4], dtype="float64", chunks=2)  # [6, 5, 4] float64
        getitem~4 = getitem(c, index=[[0,6,1],[0,5,1],[3,null,-1]])  # [6, 5, 4] float64
        v = tensordot(getitem~3, getitem~4, axes=[[0,1],[0,1]])  # [4] float64
        outputs: s, v
        "#);
    }

    #[test]
    fn nd_dot_becomes_a_tensordot_of_the_slices() {
        let doc = r#"{"tessera": 1, "nodes": {
            "a": {"op": "input", "name": "a", "shape": [4, 5, 6], "dtype": "float64", "chunks": 2},
            "b": {"op": "input", "name": "b", "shape": [3, 6, 7], "dtype": "float64", "chunks": 2},
            "d": {"op": "dot", "args": ["a", "b"]},
            "s": {"op": "getitem", "args": ["d"], "index": [1, [0, 2, null], 2, [null, null, 3]]}},
            "outputs": ["s"]}"#;
        assert_eq!(rule_count(doc, "slice-pushdown", "slice-tensordot"), 1);
        insta::assert_snapshot!(plan_after(doc, "slice-pushdown"), @r#"
        a = input(name="a", shape=[4,5,6], dtype="float64", chunks=2)  # [4, 5, 6] float64
        getitem~1 = getitem(a, index=[1,[0,2,1],[0,6,1]])  # [2, 6] float64
        b = input(name="b", shape=[3,6,7], dtype="float64", chunks=2)  # [3, 6, 7] float64
        getitem~2 = getitem(b, index=[2,[0,6,1],[0,9,3]])  # [6, 3] float64
        s = tensordot(getitem~1, getitem~2, axes=[[1],[0]])  # [2, 3] float64
        outputs: s
        "#);
    }
}
