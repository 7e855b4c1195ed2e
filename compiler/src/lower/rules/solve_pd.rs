//! `linalg.solve` with `assume_a: "pos"` (a positive definite): before lowering,
//! the node becomes `L = linalg.cholesky(a)`, `y = solve_triangular(L, b,
//! lower=true)` and `x = solve_triangular(transpose(L), y, lower=false)`, so it is
//! lowered by the blocked Cholesky tile DAG and the two blocked substitutions of
//! `linalg.rs` (a matrix that is not positive definite fails in the Cholesky tile
//! that breaks, named by its key). `x` keeps the node's id and chunks (both cut
//! rows on the square tiling of `a`; a `rechunk` would restore them otherwise).

use serde_json::{Map, Value as Json};
use tessera_ir::catalogue::{self, check_and_infer};
use tessera_ir::{InferContext, NodeIdx, ValidArg, ValidGraph, ValidNode};

use crate::lower::LowerError;

/// Whether `node` is a positive-definite solve.
fn is_pd_solve(node: &ValidNode) -> bool {
    node.op.name == "linalg.solve"
        && node.attrs.get("assume_a").and_then(Json::as_str) == Some("pos")
}

/// The graph with every positive-definite solve expanded, and `nodes` mapped into
/// it; `None` when there is none (the common case costs one scan).
pub(crate) fn expand(
    graph: &ValidGraph,
    nodes: &[NodeIdx],
) -> Result<Option<(ValidGraph, Vec<NodeIdx>)>, LowerError> {
    if !graph.nodes.iter().any(is_pd_solve) {
        return Ok(None);
    }
    let mut taken: std::collections::HashSet<String> =
        graph.nodes.iter().map(|n| n.id.clone()).collect();
    let mut out: Vec<ValidNode> = Vec::with_capacity(graph.len() + 4);
    // Old index → new index.
    let mut map: Vec<NodeIdx> = Vec::with_capacity(graph.len());
    for node in &graph.nodes {
        let mut node = node.clone();
        remap(&mut node.args, &map);
        if !is_pd_solve(&node) {
            map.push(push(&mut out, node));
            continue;
        }
        let (Some(a), Some(b)) = (node.args.first().cloned(), node.args.get(1).cloned()) else {
            return Err(fault(&node, "needs two arguments".into()));
        };
        let mut derived = |what: &str,
                           op: &str,
                           args: Vec<ValidArg>,
                           attrs: Map<String, Json>,
                           out: &mut Vec<ValidNode>|
         -> Result<NodeIdx, LowerError> {
            let mut id = format!("{}/{what}", node.id);
            let mut n = 1;
            while !taken.insert(id.clone()) {
                id = format!("{}/{what}~{n}", node.id);
                n += 1;
            }
            let made = make(
                out,
                &id,
                &format!("{}/{what}", node.pointer),
                op,
                args,
                attrs,
            )
            .map_err(|m| fault(&node, m))?;
            Ok(push(out, made))
        };
        let l = derived("cholesky", "linalg.cholesky", vec![a], Map::new(), &mut out)?;
        let lower = |flag: bool| {
            let mut m = Map::new();
            m.insert("lower".into(), Json::Bool(flag));
            m
        };
        let y = derived(
            "forward",
            "linalg.solve_triangular",
            vec![ValidArg::Node(l), b],
            lower(true),
            &mut out,
        )?;
        let lt = derived(
            "transpose",
            "transpose",
            vec![ValidArg::Node(l)],
            Map::new(),
            &mut out,
        )?;
        let args = vec![ValidArg::Node(lt), ValidArg::Node(y)];
        let x = make(
            &out,
            &node.id,
            &node.pointer,
            "linalg.solve_triangular",
            args,
            lower(false),
        )
        .map_err(|m| fault(&node, m))?;
        let same_chunks =
            x.meta.as_array().map(|m| &m.chunks) == node.meta.as_array().map(|m| &m.chunks);
        if same_chunks {
            map.push(push(&mut out, x));
            continue;
        }
        // The back substitution under another id, rechunked to the node's chunks.
        let back = derived(
            "backward",
            "linalg.solve_triangular",
            x.args.clone(),
            lower(false),
            &mut out,
        )?;
        let chunks = node.meta.as_array().map(|m| {
            Json::from(
                m.chunks
                    .0
                    .iter()
                    .map(|c| Json::from(c.clone()))
                    .collect::<Vec<_>>(),
            )
        });
        let mut attrs = Map::new();
        attrs.insert("chunks".into(), chunks.unwrap_or(Json::Null));
        let r = make(
            &out,
            &node.id,
            &node.pointer,
            "rechunk",
            vec![ValidArg::Node(back)],
            attrs,
        )
        .map_err(|m| fault(&node, m))?;
        map.push(push(&mut out, r));
    }
    let outputs = graph.outputs.iter().map(|o| map[o.index()]).collect();
    let nodes = nodes.iter().map(|n| map[n.index()]).collect();
    Ok(Some((ValidGraph::from_parts(out, outputs), nodes)))
}

fn fault(node: &ValidNode, message: String) -> LowerError {
    LowerError {
        node: node.id.clone(),
        message: format!("positive-definite solve: {message}"),
        exceeds_memory: false,
    }
}

pub(super) fn push(out: &mut Vec<ValidNode>, node: ValidNode) -> NodeIdx {
    out.push(node);
    NodeIdx(u32::try_from(out.len() - 1).expect("fewer than 2^32 nodes"))
}

/// A new node, checked and inferred by the catalogue as validation would.
pub(super) fn make(
    out: &[ValidNode],
    id: &str,
    pointer: &str,
    op: &str,
    args: Vec<ValidArg>,
    attrs: Map<String, Json>,
) -> Result<ValidNode, String> {
    let spec = catalogue::lookup(op).ok_or_else(|| format!("no op {op}"))?;
    let metas = args
        .iter()
        .map(|a| match a {
            ValidArg::Node(i) => Ok(out[i.index()].meta.clone()),
            _ => Err(format!("{op} takes arrays")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let (attrs, meta) = check_and_infer(spec, &metas, attrs, &InferContext::default())
        .map_err(|e| format!("{op}: {e}"))?;
    Ok(ValidNode {
        id: id.to_owned(),
        pointer: pointer.to_owned(),
        op: spec,
        args,
        attrs,
        meta,
    })
}

/// Node references rewritten through `map` (lists walked with a stack).
pub(super) fn remap(args: &mut [ValidArg], map: &[NodeIdx]) {
    let mut stack: Vec<&mut ValidArg> = args.iter_mut().collect();
    while let Some(a) = stack.pop() {
        match a {
            ValidArg::Node(i) => *i = map[i.index()],
            ValidArg::List(items) => stack.extend(items.iter_mut()),
            ValidArg::Scalar(..) | ValidArg::Literal(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_ir::parse_and_validate;

    fn ops(graph: &ValidGraph) -> Vec<String> {
        graph
            .nodes
            .iter()
            .map(|n| format!("{} = {}", n.id, n.op.name))
            .collect()
    }

    #[test]
    fn a_positive_definite_solve_becomes_cholesky_and_two_substitutions() {
        let doc = r#"{"tessera": 1, "nodes": {
            "a": {"op": "ones", "shape": [6, 6], "chunks": [[3, 3], [2, 4]]},
            "b": {"op": "ones", "shape": [6, 2], "chunks": [[6], [2]]},
            "x": {"op": "linalg.solve", "args": ["a", "b"], "assume_a": "pos"},
            "g": {"op": "linalg.solve", "args": ["a", "b"]},
            "s": {"op": "sum", "args": ["x"]}}, "outputs": ["s", "g"]}"#;
        let g = parse_and_validate(doc, &InferContext::default()).unwrap();
        let (e, nodes) = expand(&g, &g.outputs).unwrap().unwrap();
        assert_eq!(
            ops(&e),
            [
                "a = ones",
                "b = ones",
                "x/cholesky = linalg.cholesky",
                "x/forward = linalg.solve_triangular",
                "x/transpose = transpose",
                "x = linalg.solve_triangular",
                "g = linalg.solve",
                "s = sum"
            ]
        );
        // Same outputs; `x` keeps its metadata (rows on the square tiling of a,
        // which both the solve and the substitutions use).
        assert_eq!(nodes, e.outputs);
        assert_eq!(e.node(e.outputs[0]).id, "s");
        assert_eq!(
            e.node(e.lookup("x").unwrap()).meta,
            g.node(g.lookup("x").unwrap()).meta
        );
        // None to expand: nothing is rebuilt.
        let doc = r#"{"tessera": 1, "nodes": {"a": {"op": "ones", "shape": [2, 2]},
            "x": {"op": "linalg.solve", "args": ["a", "a"]}}, "outputs": ["x"]}"#;
        let g = parse_and_validate(doc, &InferContext::default()).unwrap();
        assert!(expand(&g, &g.outputs).unwrap().is_none());
    }
}
