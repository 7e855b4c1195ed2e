//! Slice of a slice: `x[i1][i2]` is `x[i1∘i2]`, integers, steps (negative too)
//! and new axes included; a slice that keeps everything is dropped (in the
//! pushdown applier). A chain of slices is composed down to its base once and
//! remembered per class ([`base`]), so a chain of n slices costs O(n), not
//! O(n) per slice of it.

use std::collections::HashSet;

use egg::Id;

use super::Push;
use crate::optimize::analysis::Graph;
use crate::optimize::language::{ArrayLang, Entry, IndexLeaf};

/// The index equal to applying `first` then `second`, if there is one (a
/// 0-length slice of a new axis has none).
pub(crate) fn compose(first: &IndexLeaf, second: &IndexLeaf) -> Option<IndexLeaf> {
    let mut out = Vec::with_capacity(first.0.len() + second.0.len());
    let mut rest = second.0.iter().copied().peekable();
    for &e1 in &first.0 {
        if let Entry::Pick(p) = e1 {
            out.push(Entry::Pick(p));
            continue;
        }
        while rest.peek() == Some(&Entry::New) {
            out.push(Entry::New);
            rest.next();
        }
        let e2 = rest.next()?;
        match (e1, e2) {
            (Entry::Range { start, step, .. }, Entry::Pick(q)) => {
                out.push(Entry::Pick((start as i64 + q as i64 * step) as usize));
            }
            (
                Entry::Range { start, step, .. },
                Entry::Range {
                    start: s2,
                    step: k2,
                    len,
                },
            ) => {
                out.push(if len == 0 {
                    Entry::Range {
                        start: 0,
                        step: 1,
                        len: 0,
                    }
                } else {
                    Entry::Range {
                        start: (start as i64 + s2 as i64 * step) as usize,
                        step: step * k2,
                        len,
                    }
                });
            }
            (Entry::New, Entry::Pick(_)) => {}
            (Entry::New, Entry::Range { len: 1, .. }) => out.push(Entry::New),
            (Entry::New, Entry::Range { .. }) => return None,
            (_, Entry::New) | (Entry::Pick(_), _) => unreachable!("handled above"),
        }
    }
    for e in rest {
        if e != Entry::New {
            return None;
        }
        out.push(e);
    }
    Some(IndexLeaf(out))
}

/// The slice e-nodes of class `c` as `(sliced class, index)`, the class itself
/// excluded (an identity slice unioned into its input).
fn slice_nodes(egraph: &Graph, c: Id) -> impl Iterator<Item = (Id, &IndexLeaf)> + '_ {
    egraph[c].nodes.iter().filter_map(move |n| match n {
        ArrayLang::Op(op, children) if op.name() == "getitem" => match children[..] {
            [y, leaf] if egraph.find(y) != c => match &egraph[leaf].nodes[0] {
                ArrayLang::Index(ix) => Some((egraph.find(y), ix)),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    })
}

/// Whether class `c` holds a slice e-node.
pub(crate) fn holds_slice(egraph: &Graph, c: Id) -> bool {
    slice_nodes(egraph, c).next().is_some()
}

/// The base `(b, a)` of class `x` — `x == b[a]` with `b` holding no slice when
/// it was reached — found by composing the slices down the chain, or `None` when
/// `x` holds no slice. Each class on the way remembers its base, so the classes
/// of a chain are walked once in all. Of several slice e-nodes, one into a class
/// already based (or holding no slice) is followed first: it is the shorter way.
pub(crate) fn base(egraph: &mut Graph, x: Id) -> Option<(Id, IndexLeaf)> {
    let x = egraph.find(x);
    // (class, sliced class, index) with class == sliced[index], top down.
    let mut path: Vec<(Id, Id, IndexLeaf)> = Vec::new();
    let mut seen = HashSet::new();
    let mut c = x;
    let mut below: Option<(Id, IndexLeaf)> = None;
    loop {
        if let Some((b, a)) = egraph.analysis.slice_bases.get(&c) {
            below = Some((egraph.find(*b), a.clone()));
            break;
        }
        if !seen.insert(c) {
            break;
        }
        let next = {
            let known = |y: Id| egraph.analysis.slice_bases.contains_key(&y);
            let mut nodes = slice_nodes(egraph, c);
            let first = nodes.next();
            first
                .into_iter()
                .chain(nodes)
                .find(|&(y, _)| known(y) || !holds_slice(egraph, y))
                .or(first)
                .map(|(y, ix)| (y, ix.clone()))
        };
        let Some((y, ix)) = next else { break };
        path.push((c, y, ix));
        c = y;
    }
    while let Some((c, y, ix)) = path.pop() {
        let here = below
            .as_ref()
            .and_then(|(b, inner)| compose(inner, &ix).map(|k| (*b, k)))
            .unwrap_or((y, ix));
        egraph.analysis.slice_bases.insert(c, here.clone());
        below = Some(here);
    }
    below
}

/// `getitem(getitem(y, first), index)` → `getitem(y, first∘index)`.
pub(crate) fn push(cx: &mut Push<'_>, children: &[Id], index: &IndexLeaf) -> Option<Id> {
    let [y, leaf] = children else { return None };
    let ArrayLang::Index(first) = &cx.egraph[*leaf].nodes[0] else {
        return None;
    };
    let composed = compose(first, index)?;
    Some(cx.slice(*y, composed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optimize::rules::testing::{apply_index, plan_after, random_index};

    #[test]
    fn composes_steps_negative_steps_integers_and_new_axes() {
        let doc = r#"{"tessera": 1, "nodes": {
            "x": {"op": "input", "name": "x", "shape": [10, 8, 6], "dtype": "float64", "chunks": 3},
            "a": {"op": "getitem", "args": ["x"], "index": [[1, null, 2], [null, null, -1], null, 4]},
            "b": {"op": "getitem", "args": ["a"], "index": [[1, 4, null], 2, 0, null]}},
            "outputs": ["b"]}"#;
        insta::assert_snapshot!(plan_after(doc, "slice-pushdown"), @r#"
        x = input(name="x", shape=[10,8,6], dtype="float64", chunks=3)  # [10, 8, 6] float64
        b = getitem(x, index=[[3,9,2],null,5,4])  # [3, 1] float64
        outputs: b
        "#);
    }

    #[test]
    fn composition_matches_indexing_twice() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..2000 {
            let shape = [
                (state % 7) as usize + 1,
                (state % 5) as usize,
                (state % 3) as usize + 1,
            ];
            let data: Vec<u32> = (0..shape.iter().product::<usize>() as u32).collect();
            let first = random_index(&mut state, &shape, true);
            let (mid_shape, mid) = apply_index(&shape, &data, &first);
            let second = random_index(&mut state, &mid_shape, true);
            let twice = apply_index(&mid_shape, &mid, &second);
            if let Some(composed) = compose(&first, &second) {
                assert_eq!(
                    apply_index(&shape, &data, &composed),
                    twice,
                    "{first} then {second} = {composed}"
                );
            } else {
                // Only a 0-length slice of a new axis has no composition.
                assert!(twice.1.is_empty(), "{first} then {second}");
            }
        }
    }
}
