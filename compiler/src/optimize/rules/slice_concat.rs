//! Slices through concatenate and stack: only the parts the slice touches are
//! kept, each sliced on its own (one part alone needs no concatenate at all).

use egg::Id;
use serde_json::Value;

use super::Push;
use crate::optimize::language::{ArrayLang, Entry, IndexLeaf, OpName};

/// Positions `j` in `0..len` with `lo <= start + j * step < hi`, as a range.
fn positions_in(start: i64, step: i64, len: usize, lo: i64, hi: i64) -> (usize, usize) {
    let len = len as i64;
    let (first, end) = if step > 0 {
        (
            (lo - start + step - 1).div_euclid(step),
            (hi - start + step - 1).div_euclid(step),
        )
    } else {
        let s = -step;
        // start - j*s in [lo, hi)  <=>  j in ((start - hi) / s, (start - lo) / s]
        (
            (start - hi).div_euclid(s) + 1,
            (start - lo).div_euclid(s) + 1,
        )
    };
    (first.clamp(0, len) as usize, end.clamp(0, len) as usize)
}

/// One step through `concatenate`/`stack`; `index` has no new axes.
pub(crate) fn push(
    cx: &mut Push<'_>,
    name: &str,
    children: &[Id],
    index: &IndexLeaf,
) -> Option<Id> {
    let list = *children.first()?;
    let parts = cx.list_items(list)?;
    let mut attrs = cx.attrs_of(children);
    let ndim = index.0.len();
    let axis = attrs.get("axis").and_then(Value::as_i64).unwrap_or(0);
    let axis = (if axis < 0 { axis + ndim as i64 } else { axis }) as usize;
    let e = *index.0.get(axis)?;
    let picked_before = index.0[..axis]
        .iter()
        .filter(|e| matches!(e, Entry::Pick(_)))
        .count();
    let stack = name == "stack";
    let part_index = |pe: Entry| -> IndexLeaf {
        let mut ix = index.0.clone();
        if stack {
            ix.remove(axis);
        } else {
            ix[axis] = pe;
        }
        IndexLeaf(ix)
    };
    // (part, its entry on the axis) in the order the slice visits them.
    let mut chosen: Vec<(Id, Entry)> = Vec::new();
    let mut offset = 0i64;
    let mut spans = Vec::with_capacity(parts.len());
    for &p in &parts {
        let n = if stack {
            1
        } else {
            *cx.array(p)?.shape.get(axis)? as i64
        };
        spans.push((p, offset, n));
        offset += n;
    }
    match e {
        Entry::New => return None,
        Entry::Pick(q) => {
            let (p, off, _) = *spans
                .iter()
                .find(|(_, off, n)| (q as i64) >= *off && (q as i64) < off + n)?;
            let ix = part_index(Entry::Pick(q - off as usize));
            return Some(cx.slice(p, ix));
        }
        Entry::Range { start, step, len } => {
            if len == 0 {
                return None;
            }
            let mut pieces: Vec<(usize, Id, Entry)> = Vec::new();
            for &(p, off, n) in &spans {
                let (j0, j1) = positions_in(start as i64, step, len, off, off + n);
                if j1 > j0 {
                    let first = start as i64 + j0 as i64 * step - off;
                    pieces.push((
                        j0,
                        p,
                        Entry::Range {
                            start: first as usize,
                            step,
                            len: j1 - j0,
                        },
                    ));
                }
            }
            pieces.sort_by_key(|p| p.0);
            chosen.extend(pieces.into_iter().map(|(_, p, e)| (p, e)));
        }
    }
    let sliced: Vec<Id> = if stack {
        // Each visited part once per position (a step may revisit none twice).
        chosen
            .iter()
            .map(|&(p, _)| cx.slice(p, part_index(Entry::Pick(0))))
            .collect()
    } else {
        if chosen.len() == 1 {
            let (p, pe) = chosen[0];
            return Some(cx.slice(p, part_index(pe)));
        }
        chosen
            .iter()
            .map(|&(p, pe)| cx.slice(p, part_index(pe)))
            .collect()
    };
    let list = cx.egraph.add(ArrayLang::Op(OpName::LIST, sliced));
    attrs.insert("axis".into(), Value::from(axis - picked_before));
    let leaf = cx.attrs(&attrs);
    Some(cx.add(name, vec![list, leaf]))
}

#[cfg(test)]
mod tests {
    use super::positions_in;
    use crate::optimize::rules::testing::plan_after;

    #[test]
    fn positions_in_a_part() {
        // 2, 5, 8, 11 within [4, 10): j = 1, 2.
        assert_eq!(positions_in(2, 3, 4, 4, 10), (1, 3));
        // 9, 7, 5, 3, 1 within [4, 8): j = 1, 2.
        assert_eq!(positions_in(9, -2, 5, 4, 8), (1, 3));
        assert_eq!(positions_in(0, 1, 3, 5, 9), (3, 3));
    }

    #[test]
    fn keeps_only_the_parts_touched() {
        let doc = r#"{"tessera": 1, "nodes": {
            "a": {"op": "input", "name": "a", "shape": [4, 3], "dtype": "float64", "chunks": 2},
            "b": {"op": "input", "name": "b", "shape": [5, 3], "dtype": "float64", "chunks": 2},
            "c": {"op": "input", "name": "c", "shape": [6, 3], "dtype": "float64", "chunks": 2},
            "k": {"op": "concatenate", "args": [["a", "b", "c"]], "axis": 0},
            "s": {"op": "getitem", "args": ["k"], "index": [[5, 8, null], 1]},
            "t": {"op": "getitem", "args": ["k"], "index": [[14, 1, -4]]},
            "st": {"op": "stack", "args": [["a", "a"]], "axis": 1},
            "u": {"op": "getitem", "args": ["st"], "index": [[0, 2, null], 1]}},
            "outputs": ["s", "t", "u"]}"#;
        insta::assert_snapshot!(plan_after(doc, "slice-pushdown"), @r#"
        b = input(name="b", shape=[5,3], dtype="float64", chunks=2)  # [5, 3] float64
        s = getitem(b, index=[[1,4,1],1])  # [3] float64
        c = input(name="c", shape=[6,3], dtype="float64", chunks=2)  # [6, 3] float64
        getitem~1 = getitem(c, index=[[5,null,-4],[0,3,1]])  # [2, 3] float64
        getitem~2 = getitem(b, index=[[2,null,-4],[0,3,1]])  # [1, 3] float64
        a = input(name="a", shape=[4,3], dtype="float64", chunks=2)  # [4, 3] float64
        getitem~3 = getitem(a, index=[[2,null,-4],[0,3,1]])  # [1, 3] float64
        t = concatenate([getitem~1, getitem~2, getitem~3], axis=0)  # [4, 3] float64
        u = getitem(a, index=[[0,2,1],[0,3,1]])  # [2, 3] float64
        outputs: s, t, u
        "#);
    }
}
