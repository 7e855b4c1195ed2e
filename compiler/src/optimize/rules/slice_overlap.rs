//! Slices through `map_overlap` (with `trim`), keeping the halo: the input is
//! sliced to the needed region widened by `depth` on each side (clamped at the
//! array's edges, where the boundary rule applies as before), the function runs
//! on that, and the halo is sliced off its result. Cells next to the new edges
//! see the same neighbours as before, so values are unchanged for a block
//! function that reads at most `depth` cells away (map_overlap's contract). A
//! periodic axis is narrowed only when the widened region does not reach an
//! edge (edge cells read the opposite edge).

use egg::Id;
use serde_json::Value;

use super::Push;
use crate::optimize::language::{Entry, IndexLeaf};

/// Ghost cells per axis from a `depth` attribute (integer, list, or object).
fn depths(v: &Value, ndim: usize) -> Option<Vec<usize>> {
    let as_usize = |v: &Value| v.as_u64().map(|d| d as usize);
    match v {
        Value::Number(_) => Some(vec![as_usize(v)?; ndim]),
        Value::Array(items) if items.len() == ndim => items.iter().map(as_usize).collect(),
        Value::Object(map) => {
            let mut out = vec![0; ndim];
            for (k, d) in map {
                let axis: i64 = k.parse().ok()?;
                let axis = if axis < 0 { axis + ndim as i64 } else { axis } as usize;
                *out.get_mut(axis)? = as_usize(d)?;
            }
            Some(out)
        }
        _ => None,
    }
}

/// `map_overlap(y)[index]` → `map_overlap(y[widened])[index - offset]`; `index`
/// has no new axes.
pub(crate) fn push(cx: &mut Push<'_>, children: &[Id], x: Id, index: &IndexLeaf) -> Option<Id> {
    let y = *children.first()?;
    let attrs = cx.attrs_of(children);
    if attrs.get("trim").and_then(Value::as_bool) == Some(false) {
        return None;
    }
    let shape = cx.array(x)?.shape;
    let depth = depths(attrs.get("depth")?, shape.len())?;
    // With a periodic boundary the edge cells read the opposite edge: such an
    // axis is only narrowed when the widened region stays inside the array.
    let wraps = |axis: usize| match attrs.get("boundary") {
        Some(Value::String(b)) => b == "periodic",
        Some(Value::Object(m)) => m
            .get(&axis.to_string())
            .is_none_or(|b| b.as_str() == Some("periodic")),
        Some(_) => false,
        None => true,
    };
    let mut inner = Vec::with_capacity(shape.len());
    let mut outer = Vec::with_capacity(shape.len());
    for (axis, &e) in index.0.iter().enumerate() {
        let (first, last) = match e {
            Entry::Pick(p) => (p, p),
            Entry::Range { len: 0, .. } | Entry::New => return None,
            Entry::Range { start, step, len } => {
                let end = (start as i64 + (len as i64 - 1) * step) as usize;
                (start.min(end), start.max(end))
            }
        };
        let (mut lo, mut hi) = (
            first.saturating_sub(depth[axis]),
            (last + depth[axis] + 1).min(shape[axis]),
        );
        let clamped = first < depth[axis] || last + depth[axis] + 1 > shape[axis];
        if clamped && wraps(axis) {
            (lo, hi) = (0, shape[axis]);
        }
        inner.push(Entry::Range {
            start: lo,
            step: 1,
            len: hi - lo,
        });
        outer.push(match e {
            Entry::Pick(p) => Entry::Pick(p - lo),
            Entry::Range { start, step, len } => Entry::Range {
                start: start - lo,
                step,
                len,
            },
            Entry::New => return None,
        });
    }
    let inner = IndexLeaf(inner);
    if inner.is_identity(&shape) {
        return None;
    }
    let sliced = cx.slice(y, inner);
    let mut new_children = vec![sliced];
    new_children.extend(children[1..].iter().copied());
    let mo = cx.add("map_overlap", new_children);
    let leaf = cx
        .egraph
        .add(crate::optimize::language::ArrayLang::Index(IndexLeaf(
            outer,
        )));
    Some(cx.add("getitem", vec![mo, leaf]))
}

#[cfg(test)]
mod tests {
    use crate::optimize::rules::testing::plan_after;

    #[test]
    fn through_map_overlap_keeping_the_halo() {
        let doc = r#"{"tessera": 1, "nodes": {
            "x": {"op": "input", "name": "x", "shape": [100, 80], "dtype": "float64", "chunks": 20},
            "m": {"op": "map_overlap", "args": ["x"], "fn": "correlate", "depth": [1, 2],
                  "boundary": "reflect", "weights": [[0, 1, 0, 1, 0], [1, 1, 1, 1, 1], [0, 1, 0, 1, 0]]},
            "s": {"op": "getitem", "args": ["m"], "index": [[40, 50, null], [0, 10, 3]]},
            "t": {"op": "getitem", "args": ["m"], "index": [99]}},
            "outputs": ["s", "t"]}"#;
        insta::assert_snapshot!(plan_after(doc, "slice-pushdown"), @r#"
        x = input(name="x", shape=[100,80], dtype="float64", chunks=20)  # [100, 80] float64
        getitem~1 = getitem(x, index=[[39,51,1],[0,12,1]])  # [12, 12] float64
        map_overlap~2 = map_overlap(getitem~1, fn="correlate", depth=[1,2], boundary="reflect", trim=true, weights=[[0,1,0,1,0],[1,1,1,1,1],[0,1,0,1,0]])  # [12, 12] float64
        s = getitem(map_overlap~2, index=[[1,11,1],[0,12,3]])  # [10, 4] float64
        getitem~3 = getitem(x, index=[[98,100,1],[0,80,1]])  # [2, 80] float64
        map_overlap~4 = map_overlap(getitem~3, fn="correlate", depth=[1,2], boundary="reflect", trim=true, weights=[[0,1,0,1,0],[1,1,1,1,1],[0,1,0,1,0]])  # [2, 80] float64
        t = getitem(map_overlap~4, index=[1,[0,80,1]])  # [80] float64
        outputs: s, t
        "#);
    }
}
