//! The tile size of the blocked Cholesky: tiles of at most [`MAX_TILE`] rows,
//! whatever the chunks. Before lowering, a `linalg.cholesky` whose result has a
//! longer chunk becomes `rechunk(linalg.cholesky(rechunk(a, tiles)), chunks)`:
//! each chunk is split into near-equal tiles for the factorization (the input's
//! tiles are views of its blocks), and the factor is rechunked back, so the node
//! keeps its id and chunks. Smaller tiles give the two workers independent work
//! early (the tile DAG is wider) and a shorter serial tail; on the W3 machine a
//! 4000 × 4000 factor ran about 25% faster in 500-tiles than in 1000-tiles.

use serde_json::{Map, Value as Json};
use tessera_ir::{NodeIdx, ValidArg, ValidGraph, ValidNode};

use super::solve_pd::{make, push, remap};
use crate::lower::LowerError;

/// The longest tile side of the blocked Cholesky.
pub(crate) const MAX_TILE: usize = 512;

/// The tiling of one axis: every chunk longer than [`MAX_TILE`] split into the
/// fewest near-equal parts that fit; `None` when every chunk already fits.
fn tiles(chunks: &[usize]) -> Option<Vec<usize>> {
    if chunks.iter().all(|&c| c <= MAX_TILE) {
        return None;
    }
    let mut out = Vec::with_capacity(chunks.len() * 2);
    for &c in chunks {
        let parts = c.div_ceil(MAX_TILE).max(1);
        let (base, extra) = (c / parts, c % parts);
        out.extend((0..parts).map(|p| base + usize::from(p < extra)));
    }
    Some(out)
}

/// The refined tiling of a Cholesky node's (square) result, if it needs one.
fn refined(node: &ValidNode) -> Option<Vec<usize>> {
    if node.op.name != "linalg.cholesky" {
        return None;
    }
    let chunks = &node.meta.as_array()?.chunks.0;
    tiles(chunks.first()?)
}

fn chunks_json(axes: &[Vec<usize>]) -> Json {
    Json::from(
        axes.iter()
            .map(|a| Json::from(a.clone()))
            .collect::<Vec<_>>(),
    )
}

/// The graph with every Cholesky of long chunks factored in smaller tiles, and
/// `nodes` mapped into it; `None` when there is none (the common case: one scan).
pub(crate) fn expand(
    graph: &ValidGraph,
    nodes: &[NodeIdx],
) -> Result<Option<(ValidGraph, Vec<NodeIdx>)>, LowerError> {
    if !graph.nodes.iter().any(|n| refined(n).is_some()) {
        return Ok(None);
    }
    let mut taken: std::collections::HashSet<String> =
        graph.nodes.iter().map(|n| n.id.clone()).collect();
    let mut fresh = |base: &str, what: &str| {
        let mut id = format!("{base}/{what}");
        let mut n = 1;
        while !taken.insert(id.clone()) {
            id = format!("{base}/{what}~{n}");
            n += 1;
        }
        id
    };
    let mut out: Vec<ValidNode> = Vec::with_capacity(graph.len() + 2);
    let mut map: Vec<NodeIdx> = Vec::with_capacity(graph.len());
    for node in &graph.nodes {
        let mut node = node.clone();
        remap(&mut node.args, &map);
        let Some(tiling) = refined(&node) else {
            map.push(push(&mut out, node));
            continue;
        };
        let fault = |m: String| LowerError {
            node: node.id.clone(),
            message: format!("cholesky tiles: {m}"),
            exceeds_memory: false,
        };
        let Some(ValidArg::Node(a)) = node.args.first().cloned() else {
            return Err(fault("needs an array argument".into()));
        };
        // A derived node `<id>/<what>`, checked by the catalogue, appended to `out`.
        let mut derived = |what: &str,
                           op: &str,
                           arg: NodeIdx,
                           attrs: Map<String, Json>,
                           out: &mut Vec<ValidNode>|
         -> Result<NodeIdx, LowerError> {
            let id = fresh(&node.id, what);
            let pointer = format!("{}/{what}", node.pointer);
            let made =
                make(out, &id, &pointer, op, vec![ValidArg::Node(arg)], attrs).map_err(fault)?;
            Ok(push(out, made))
        };
        let mut attrs = Map::new();
        attrs.insert(
            "chunks".into(),
            chunks_json(&[tiling.clone(), tiling.clone()]),
        );
        let input = derived("tiles", "rechunk", a, attrs, &mut out)?;
        let factor = derived(
            "factor",
            "linalg.cholesky",
            input,
            node.attrs.clone(),
            &mut out,
        )?;
        let chunks = node
            .meta
            .as_array()
            .map(|m| chunks_json(&m.chunks.0))
            .unwrap_or(Json::Null);
        let mut attrs = Map::new();
        attrs.insert("chunks".into(), chunks);
        let back = make(
            &out,
            &node.id,
            &node.pointer,
            "rechunk",
            vec![ValidArg::Node(factor)],
            attrs,
        )
        .map_err(fault)?;
        map.push(push(&mut out, back));
    }
    let outputs = graph.outputs.iter().map(|o| map[o.index()]).collect();
    let nodes = nodes.iter().map(|n| map[n.index()]).collect();
    Ok(Some((ValidGraph::from_parts(out, outputs), nodes)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_ir::parse_and_validate;

    #[test]
    fn long_chunks_split_into_near_equal_tiles() {
        assert_eq!(tiles(&[500, 512, 3]), None);
        assert_eq!(tiles(&[1000, 1000]), Some(vec![500, 500, 500, 500]));
        assert_eq!(tiles(&[1025, 7]), Some(vec![342, 342, 341, 7]));
    }

    #[test]
    fn a_cholesky_of_long_chunks_is_factored_in_tiles_and_rechunked_back() {
        let g = parse_and_validate(
            r#"{"tessera": 1, "nodes": {
                "a": {"op": "ones", "shape": [1200, 1200], "chunks": 600},
                "l": {"op": "linalg.cholesky", "args": ["a"]}
            }, "outputs": ["l"]}"#,
            &tessera_ir::InferContext::default(),
        )
        .unwrap();
        let (g, nodes) = expand(&g, &[g.outputs[0]]).unwrap().expect("expanded");
        let ops: Vec<(&str, &str)> = g.nodes.iter().map(|n| (n.id.as_str(), n.op.name)).collect();
        assert_eq!(
            ops,
            vec![
                ("a", "ones"),
                ("l/tiles", "rechunk"),
                ("l/factor", "linalg.cholesky"),
                ("l", "rechunk")
            ]
        );
        let chunks = |i: usize| g.nodes[i].meta.as_array().unwrap().chunks.0.clone();
        assert_eq!(chunks(2), vec![vec![300; 4]; 2]);
        assert_eq!(chunks(3), vec![vec![600, 600]; 2]);
        assert_eq!(nodes, vec![NodeIdx(3)]);
        assert_eq!(g.outputs, vec![NodeIdx(3)]);
    }
}
