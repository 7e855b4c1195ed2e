//! Slices through elementwise ops (`where`, `clip`, `astype` included): each
//! array argument gets the part of the slice over its own axes, with
//! broadcasting (an argument's axis of length 1 keeps its one position),
//! integers and new axes; scalar arguments stay as they are.

use egg::Id;
use tessera_ir::Meta;

use super::Push;
use crate::optimize::language::{ArrayLang, Entry, IndexLeaf, OpName};

/// The slice of argument `arg` (shape `arg_shape`, broadcast against the
/// sliced value of shape `shape`) that gives its part of `x[index]`.
pub(crate) fn arg_index(index: &IndexLeaf, shape: &[usize], arg_shape: &[usize]) -> IndexLeaf {
    let (n, k) = (shape.len(), arg_shape.len());
    let mut out = Vec::new();
    let mut axis = 0usize;
    for &e in &index.0 {
        if e == Entry::New {
            if axis > n - k {
                out.push(Entry::New);
            }
            continue;
        }
        if axis >= n - k {
            let t = axis - (n - k);
            let broadcast = arg_shape[t] == 1 && shape[axis] != 1;
            out.push(match e {
                Entry::Pick(_) if broadcast => Entry::Pick(0),
                Entry::Range { len, .. } if broadcast => Entry::Range {
                    start: 0,
                    step: 1,
                    len: len.min(1),
                },
                e => e,
            });
        }
        axis += 1;
    }
    IndexLeaf(out)
}

/// `op(a, b, ...)[index]` → `op(a[ia], b[ib], ...)`.
pub(crate) fn push(
    cx: &mut Push<'_>,
    op: OpName,
    children: &[Id],
    x: Id,
    index: &IndexLeaf,
) -> Option<Id> {
    let shape = cx.array(x)?.shape;
    let mut new = Vec::with_capacity(children.len());
    for &c in children {
        if cx.egraph[c].nodes[0].is_attr_leaf() {
            new.push(c);
            continue;
        }
        match cx.egraph[c].data.meta.clone()? {
            Meta::Scalar(..) => new.push(c),
            Meta::Array(a) if a.shape.is_empty() => new.push(c),
            Meta::Array(a) => {
                let ix = arg_index(index, &shape, &a.shape);
                new.push(cx.slice(c, ix));
            }
            _ => return None,
        }
    }
    Some(cx.egraph.add(ArrayLang::Op(op, new)))
}

#[cfg(test)]
mod tests {
    use crate::optimize::rules::testing::plan_after;

    #[test]
    fn through_elementwise_with_broadcasting_scalars_integers_new_axes() {
        let doc = r#"{"tessera": 1, "nodes": {
            "x": {"op": "input", "name": "x", "shape": [6, 5], "dtype": "float64", "chunks": 2},
            "r": {"op": "input", "name": "r", "shape": [1, 5], "dtype": "float64", "chunks": 2},
            "c": {"op": "input", "name": "c", "shape": [6, 1], "dtype": "float64", "chunks": 2},
            "a": {"op": "add", "args": ["x", "r"]},
            "b": {"op": "multiply", "args": ["a", 2.0]},
            "w": {"op": "where", "args": [{"op": "greater", "args": ["b", "c"]}, "b", 0.0]},
            "s": {"op": "getitem", "args": ["w"], "index": [[1, 5, 2], null, 3]}},
            "outputs": ["s"]}"#;
        insta::assert_snapshot!(plan_after(doc, "slice-pushdown"), @r#"
        x = input(name="x", shape=[6,5], dtype="float64", chunks=2)  # [6, 5] float64
        getitem~1 = getitem(x, index=[[1,5,2],null,3])  # [2, 1] float64
        r = input(name="r", shape=[1,5], dtype="float64", chunks=2)  # [1, 5] float64
        getitem~2 = getitem(r, index=[[0,1,1],null,3])  # [1, 1] float64
        add~3 = add(getitem~1, getitem~2)  # [2, 1] float64
        multiply~4 = multiply(add~3, 2.0)  # [2, 1] float64
        c = input(name="c", shape=[6,1], dtype="float64", chunks=2)  # [6, 1] float64
        getitem~5 = getitem(c, index=[[1,5,2],null,0])  # [2, 1] float64
        greater~6 = greater(multiply~4, getitem~5)  # [2, 1] bool
        s = where(greater~6, multiply~4, 0.0)  # [2, 1] float64
        outputs: s
        "#);
    }
}
