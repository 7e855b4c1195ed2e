//! Slices through layout ops: transpose (the slice is permuted, the transpose
//! kept on the smaller result), broadcast_to (broadcast axes keep their one
//! position), expand_dims and squeeze (they become part of the index), rechunk
//! (the rechunk keeps the sliced chunks), tril/triu (the diagonal offset moves).

use egg::Id;
use serde_json::Value;

use super::{Push, axes_attr};
use crate::optimize::language::{ArrayLang, Entry, IndexLeaf, PermLeaf};

/// One step through a layout op; `index` has no new axes.
pub(crate) fn push(
    cx: &mut Push<'_>,
    name: &str,
    children: &[Id],
    x: Id,
    index: &IndexLeaf,
) -> Option<Id> {
    let xm = cx.array(x)?;
    let y = *children.first()?;
    let ym = cx.array(y)?;
    let entries: Vec<Entry> = index.0.clone();
    match name {
        "transpose" => {
            let ArrayLang::Perm(p) = cx.egraph[*children.get(1)?].nodes[0].clone() else {
                return None;
            };
            let mut yi = vec![Entry::Pick(0); ym.ndim()];
            for (j, &e) in entries.iter().enumerate() {
                yi[p.0[j]] = e;
            }
            // Kept y axes in y order; the transpose orders them as x does.
            let kept_y: Vec<usize> = (0..ym.ndim())
                .filter(|&a| matches!(yi[a], Entry::Range { .. }))
                .collect();
            let perm: Vec<usize> = entries
                .iter()
                .enumerate()
                .filter(|(_, e)| matches!(e, Entry::Range { .. }))
                .map(|(j, _)| kept_y.iter().position(|&a| a == p.0[j]).unwrap_or(0))
                .collect();
            let inner = cx.slice(y, IndexLeaf(yi));
            let perm = PermLeaf(perm);
            if perm.is_identity() {
                return Some(inner);
            }
            let leaf = cx.egraph.add(ArrayLang::Perm(perm));
            Some(cx.add("transpose", vec![inner, leaf]))
        }
        "broadcast_to" => {
            let (n, k) = (xm.ndim(), ym.ndim());
            let mut yi = Vec::with_capacity(k);
            for t in 0..k {
                let j = n - k + t;
                let broadcast = ym.shape[t] == 1 && xm.shape[j] != 1;
                yi.push(match entries[j] {
                    Entry::Pick(_) if broadcast => Entry::Pick(0),
                    Entry::Range { len, .. } if broadcast => Entry::Range {
                        start: 0,
                        step: 1,
                        len: len.min(1),
                    },
                    e => e,
                });
            }
            let inner = cx.slice(y, IndexLeaf(yi));
            let shape = index.result_shape();
            if cx.array(inner).is_some_and(|a| a.shape == shape) {
                return Some(inner);
            }
            let mut attrs = cx.attrs_of(children);
            attrs.insert("shape".into(), Value::from(shape));
            let leaf = cx.attrs(&attrs);
            Some(cx.add("broadcast_to", vec![inner, leaf]))
        }
        "expand_dims" => {
            let inserted = axes_attr(cx.attrs_of(children).get("axis"), xm.ndim())?;
            let mut yi = Vec::with_capacity(entries.len());
            for (j, &e) in entries.iter().enumerate() {
                if inserted.contains(&j) {
                    match e {
                        Entry::Pick(_) => {}
                        Entry::Range { len: 1, .. } => yi.push(Entry::New),
                        _ => return None,
                    }
                } else {
                    yi.push(e);
                }
            }
            Some(cx.slice(y, IndexLeaf(yi)))
        }
        "squeeze" => {
            let attrs = cx.attrs_of(children);
            let removed: Vec<usize> = match axes_attr(attrs.get("axis"), ym.ndim()) {
                Some(a) => a,
                None => (0..ym.ndim()).filter(|&a| ym.shape[a] == 1).collect(),
            };
            let mut it = entries.iter();
            let mut yi = Vec::with_capacity(ym.ndim());
            for a in 0..ym.ndim() {
                if removed.contains(&a) {
                    yi.push(Entry::Pick(0));
                } else {
                    yi.push(*it.next()?);
                }
            }
            Some(cx.slice(y, IndexLeaf(yi)))
        }
        "rechunk" => {
            let chunks = index.to_normal(&xm.shape).chunks(&xm.chunks);
            let inner = cx.slice(y, index.clone());
            let mut attrs = cx.attrs_of(children);
            attrs.insert(
                "chunks".into(),
                Value::from(
                    chunks
                        .0
                        .iter()
                        .map(|c| Value::from(c.clone()))
                        .collect::<Vec<_>>(),
                ),
            );
            let leaf = cx.attrs(&attrs);
            Some(cx.add("rechunk", vec![inner, leaf]))
        }
        "tril" | "triu" => {
            let n = entries.len();
            if n < 2 {
                return None;
            }
            let (
                Entry::Range {
                    start: r0,
                    step: 1,
                    len: lr,
                },
                Entry::Range {
                    start: c0,
                    step: 1,
                    len: lc,
                },
            ) = (entries[n - 2], entries[n - 1])
            else {
                return None;
            };
            if lr == 0 || lc == 0 {
                return None;
            }
            let mut attrs = cx.attrs_of(children);
            let k = attrs.get("k").and_then(Value::as_i64).unwrap_or(0);
            attrs.insert("k".into(), Value::from(k + r0 as i64 - c0 as i64));
            let inner = cx.slice(y, index.clone());
            let leaf = cx.attrs(&attrs);
            Some(cx.add(name, vec![inner, leaf]))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::optimize::rules::testing::plan_after;

    #[test]
    fn through_transpose_keeping_the_transpose_on_the_small_part() {
        let doc = r#"{"tessera": 1, "nodes": {
            "x": {"op": "input", "name": "x", "shape": [6, 5, 4], "dtype": "float64", "chunks": 2},
            "t": {"op": "transpose", "args": ["x"], "axes": [2, 0, 1]},
            "s": {"op": "getitem", "args": ["t"], "index": [[0, 2, null], 3, [1, null, 2]]}},
            "outputs": ["s"]}"#;
        insta::assert_snapshot!(plan_after(doc, "slice-pushdown"), @r#"
        x = input(name="x", shape=[6,5,4], dtype="float64", chunks=2)  # [6, 5, 4] float64
        getitem~1 = getitem(x, index=[3,[1,5,2],[0,2,1]])  # [2, 2] float64
        s = transpose(getitem~1, axes=[1,0])  # [2, 2] float64
        outputs: s
        "#);
    }

    #[test]
    fn through_broadcast_to_expand_dims_and_squeeze() {
        let doc = r#"{"tessera": 1, "nodes": {
            "x": {"op": "input", "name": "x", "shape": [1, 5], "dtype": "float64", "chunks": 5},
            "b": {"op": "broadcast_to", "args": ["x"], "shape": [3, 4, 5]},
            "s": {"op": "getitem", "args": ["b"], "index": [1, [0, 2, null], [1, 3, null]]},
            "e": {"op": "expand_dims", "args": ["x"], "axis": 0},
            "f": {"op": "getitem", "args": ["e"], "index": [0, [0, 1, null], [2, 4, null]]},
            "q": {"op": "squeeze", "args": ["x"], "axis": 0},
            "g": {"op": "getitem", "args": ["q"], "index": [[1, 3, null]]}},
            "outputs": ["s", "f", "g"]}"#;
        insta::assert_snapshot!(plan_after(doc, "slice-pushdown"), @r#"
        x = input(name="x", shape=[1,5], dtype="float64", chunks=5)  # [1, 5] float64
        getitem~1 = getitem(x, index=[[0,1,1],[1,3,1]])  # [1, 2] float64
        s = broadcast_to(getitem~1, shape=[2,2])  # [2, 2] float64
        f = getitem(x, index=[[0,1,1],[2,4,1]])  # [1, 2] float64
        g = getitem(x, index=[0,[1,3,1]])  # [2] float64
        outputs: s, f, g
        "#);
    }

    #[test]
    fn through_rechunk_and_tril() {
        let doc = r#"{"tessera": 1, "nodes": {
            "x": {"op": "input", "name": "x", "shape": [8, 8], "dtype": "float64", "chunks": 4},
            "r": {"op": "rechunk", "args": ["x"], "chunks": 3},
            "s": {"op": "getitem", "args": ["r"], "index": [[2, 7, null], [1, 8, 3]]},
            "l": {"op": "tril", "args": ["x"], "k": 1},
            "t": {"op": "getitem", "args": ["l"], "index": [[2, 6, null], [1, 7, null]]}},
            "outputs": ["s", "t"]}"#;
        insta::assert_snapshot!(plan_after(doc, "slice-pushdown"), @r#"
        x = input(name="x", shape=[8,8], dtype="float64", chunks=4)  # [8, 8] float64
        getitem~1 = getitem(x, index=[[2,7,1],[1,10,3]])  # [5, 3] float64
        s = rechunk(getitem~1, chunks=[[1,3,1],[1,1,1]])  # [5, 3] float64
        getitem~2 = getitem(x, index=[[2,6,1],[1,7,1]])  # [4, 6] float64
        t = tril(getitem~2, k=2)  # [4, 6] float64
        outputs: s, t
        "#);
    }
}
