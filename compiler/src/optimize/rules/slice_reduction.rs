//! Slices through reductions over the other axes: `sum(y, axis=1)[i]` is
//! `sum(y[i, :], axis=1)` (reduced axes are kept whole, picked axes before them
//! renumber the reduction's axes).

use egg::Id;
use serde_json::Value;

use super::{Push, axes_attr, full};
use crate::optimize::language::{ArrayLang, Entry, IndexLeaf, OpName};

/// One step through a reduction; `index` has no new axes.
pub(crate) fn push(
    cx: &mut Push<'_>,
    op: OpName,
    children: &[Id],
    index: &IndexLeaf,
) -> Option<Id> {
    let y = *children.first()?;
    let ym = cx.array(y)?;
    let mut attrs = cx.attrs_of(children);
    let reduced = axes_attr(attrs.get("axis"), ym.ndim())?;
    let keepdims = attrs
        .get("keepdims")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut it = index.0.iter();
    let mut yi = Vec::with_capacity(ym.ndim());
    for a in 0..ym.ndim() {
        if reduced.contains(&a) {
            if keepdims {
                // The kept axis of length 1 must stay whole.
                match it.next()? {
                    Entry::Range { len: 1, .. } => {}
                    _ => return None,
                }
            }
            yi.push(full(ym.shape[a]));
        } else {
            yi.push(*it.next()?);
        }
    }
    let picked_before = |a: usize| {
        yi[..a]
            .iter()
            .filter(|e| matches!(e, Entry::Pick(_)))
            .count()
    };
    let new_axes: Vec<usize> = reduced.iter().map(|&a| a - picked_before(a)).collect();
    attrs.insert("axis".into(), Value::from(new_axes));
    let inner = cx.slice(y, IndexLeaf(yi));
    let leaf = cx.attrs(&attrs);
    Some(cx.egraph.add(ArrayLang::Op(op, vec![inner, leaf])))
}

#[cfg(test)]
mod tests {
    use crate::optimize::rules::testing::plan_after;

    #[test]
    fn through_reductions_over_other_axes() {
        let doc = r#"{"tessera": 1, "nodes": {
            "x": {"op": "input", "name": "x", "shape": [6, 5, 4], "dtype": "float64", "chunks": 2},
            "s": {"op": "sum", "args": ["x"], "axis": 1},
            "a": {"op": "getitem", "args": ["s"], "index": [2, [1, 3, null]]},
            "m": {"op": "mean", "args": ["x"], "axis": [0, 2], "keepdims": true},
            "b": {"op": "getitem", "args": ["m"], "index": [[0, 1, null], [1, 4, 2]]}},
            "outputs": ["a", "b"]}"#;
        insta::assert_snapshot!(plan_after(doc, "slice-pushdown"), @r#"
        x = input(name="x", shape=[6,5,4], dtype="float64", chunks=2)  # [6, 5, 4] float64
        getitem~1 = getitem(x, index=[2,[0,5,1],[1,3,1]])  # [5, 2] float64
        a = sum(getitem~1, axis=[0], keepdims=false)  # [2] float64
        getitem~2 = getitem(x, index=[[0,6,1],[1,5,2],[0,4,1]])  # [6, 2, 4] float64
        b = mean(getitem~2, axis=[0,2], keepdims=true)  # [1, 2, 1] float64
        outputs: a, b
        "#);
    }
}
