//! Fusion: maximal elementwise subgraphs of a validated array graph become one
//! `fused` node each, computed by one kernel per block in cache-sized tiles.
//!
//! - An elementwise node joins the group of its consumer when it has exactly one
//!   consumer, that consumer is elementwise (or a reduction that absorbs it) and it
//!   is not an output: a value used by several nodes or requested as an output
//!   stays materialized, so nothing shared is ever recomputed.
//! - A reduction (`sum prod min max mean var std any all`) absorbs its elementwise
//!   producer: the group becomes a fused node with a `reduce` attribute, whose
//!   partials are computed straight from the program (`sum(exp(x))` makes no `exp`
//!   block).
//! - Constant sources (`zeros`, `ones`, `full`) used by a group are absorbed as
//!   constant operands (they cost nothing to recompute), so `exp(ones(..))` is one
//!   task per block and reads no memory; a source that is also an output or used
//!   outside fused groups stays.
//! - A group of one node that absorbs nothing is left as it is.
//!
//! Groups are found in one reverse sweep (each node's group is its consumer's),
//! programs built in one forward sweep: linear in the size of the graph, no
//! recursion. Output ids are preserved (a fused node takes its root's id).

use std::collections::HashMap;

use serde_json::{Map, Value as Json, json};
use tessera_ir::catalogue::{self, Family, InferContext};
use tessera_ir::{Meta, NodeIdx, ValidArg, ValidGraph, ValidNode};

/// The reductions that absorb their elementwise producer.
const ABSORBING: [&str; 9] = [
    "sum", "prod", "min", "max", "mean", "var", "std", "any", "all",
];

/// The fusion pass, as the pass manager registers it.
#[derive(Debug, Clone, Copy, Default)]
pub struct FusePass;

impl FusePass {
    /// The pass's name (`--disable fuse`).
    pub const NAME: &'static str = "fuse";

    /// Runs the pass: the fused graph, or `None` when nothing was fused.
    pub fn run(&self, graph: &ValidGraph) -> Option<ValidGraph> {
        fuse(graph)
    }
}

impl crate::optimize::Pass for FusePass {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn cost_checked(&self) -> bool {
        false
    }

    fn run(
        &self,
        graph: &ValidGraph,
        _options: &crate::optimize::OptimizeOptions,
    ) -> Result<crate::optimize::PassOutput, crate::optimize::OptimizeError> {
        let mut report = crate::optimize::PassReport::default();
        let fused = fuse(graph);
        match &fused {
            Some(new) => {
                let made = new.nodes.iter().filter(|n| n.op.name == "fused").count();
                report.rules.insert("fuse".into(), made);
            }
            None => report.skipped = Some("nothing to fuse".into()),
        }
        Ok(crate::optimize::PassOutput {
            graph: fused,
            report,
        })
    }
}

/// What a node is to fusion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// An elementwise op on arrays and scalars.
    Elementwise,
    /// A reduction that may absorb its producer.
    Reduction,
    /// `zeros`, `ones` or `full`: absorbable as a constant.
    Constant,
    /// Anything else.
    Other,
}

fn kind(node: &ValidNode) -> Kind {
    let op = node.op;
    let Meta::Array(_) = node.meta else {
        return Kind::Other;
    };
    match op.family {
        Family::Elementwise => {
            let ok = node.args.iter().all(|a| match a {
                ValidArg::Node(_) | ValidArg::Scalar(..) => true,
                ValidArg::Literal(Json::Null) => op.name == "clip",
                _ => false,
            });
            if ok { Kind::Elementwise } else { Kind::Other }
        }
        Family::Reduction if ABSORBING.contains(&op.name) => Kind::Reduction,
        Family::Source if matches!(op.name, "zeros" | "ones" | "full") => Kind::Constant,
        _ => Kind::Other,
    }
}

/// Fuses maximal elementwise subgraphs (and their reductions) of `graph` into
/// `fused` nodes; `None` when there is nothing to fuse.
///
/// # Panics
/// Only on a bug of the pass: a fused node it builds is checked by the catalogue's
/// inference, which cannot refuse what the unfused nodes' inference accepted.
pub fn fuse(graph: &ValidGraph) -> Option<ValidGraph> {
    let n = graph.len();
    let kinds: Vec<Kind> = graph.nodes.iter().map(kind).collect();
    let mut is_output = vec![false; n];
    for o in &graph.outputs {
        is_output[o.index()] = true;
    }
    // Distinct consumers of every node (the last one seen, and how many).
    let mut consumer: Vec<Option<usize>> = vec![None; n];
    let mut consumers = vec![0usize; n];
    let mut stack: Vec<&ValidArg> = Vec::new();
    for (pos, node) in graph.nodes.iter().enumerate() {
        stack.extend(node.args.iter());
        while let Some(arg) = stack.pop() {
            match arg {
                ValidArg::Node(i) => {
                    let i = i.index();
                    if consumer[i] != Some(pos) {
                        consumer[i] = Some(pos);
                        consumers[i] += 1;
                    }
                }
                ValidArg::List(items) => stack.extend(items.iter()),
                ValidArg::Scalar(..) | ValidArg::Literal(_) => {}
            }
        }
    }
    // Groups, in one reverse sweep: a node joins its single consumer's group.
    let mut group: Vec<Option<usize>> = vec![None; n];
    for pos in (0..n).rev() {
        match kinds[pos] {
            Kind::Reduction => group[pos] = Some(pos),
            Kind::Elementwise => {
                let joins = match consumer[pos] {
                    Some(c) if consumers[pos] == 1 && !is_output[pos] => match kinds[c] {
                        Kind::Elementwise => group[c],
                        // A reduction absorbs only its (single) array argument.
                        Kind::Reduction => Some(c),
                        _ => None,
                    },
                    _ => None,
                };
                group[pos] = Some(joins.unwrap_or(pos));
            }
            Kind::Constant | Kind::Other => {}
        }
    }
    // Members per root, in topological order, and whether the group is fused: it
    // has an elementwise member besides a root, or absorbs a constant.
    let mut members: HashMap<usize, Vec<usize>> = HashMap::new();
    for (pos, g) in group.iter().enumerate() {
        if let Some(root) = *g {
            members.entry(root).or_default().push(pos);
        }
    }
    let mut fused_root = vec![false; n];
    for (&root, list) in &members {
        let elementwise = list
            .iter()
            .filter(|&&m| kinds[m] == Kind::Elementwise)
            .count();
        let absorbs_constant = list.iter().any(|&m| {
            kinds[m] == Kind::Elementwise
                && graph.nodes[m]
                    .args
                    .iter()
                    .any(|a| matches!(a, ValidArg::Node(i) if kinds[i.index()] == Kind::Constant))
        });
        fused_root[root] = elementwise >= 2
            || (elementwise == 1 && kinds[root] == Kind::Reduction)
            || (elementwise >= 1 && absorbs_constant);
    }
    if !fused_root.iter().any(|&f| f) {
        return None;
    }
    let in_fused = |pos: usize| group[pos].is_some_and(|r| fused_root[r]);
    // A constant source stays when it is an output or used outside fused groups.
    let mut constant_kept = is_output.clone();
    for (pos, node) in graph.nodes.iter().enumerate() {
        if in_fused(pos) && kinds[pos] == Kind::Elementwise {
            continue;
        }
        stack.extend(node.args.iter());
        while let Some(arg) = stack.pop() {
            match arg {
                ValidArg::Node(i) => constant_kept[i.index()] = true,
                ValidArg::List(items) => stack.extend(items.iter()),
                _ => {}
            }
        }
    }

    let fused_spec = catalogue::lookup("fused").expect("the catalogue has fused");
    let ctx = InferContext::default();
    let mut new_index: Vec<Option<NodeIdx>> = vec![None; n];
    let mut nodes: Vec<ValidNode> = Vec::with_capacity(n);
    for (pos, node) in graph.nodes.iter().enumerate() {
        let dropped = match kinds[pos] {
            Kind::Constant => !constant_kept[pos],
            _ => in_fused(pos) && group[pos] != Some(pos),
        };
        if dropped {
            continue;
        }
        let new = if in_fused(pos) {
            build_fused(
                graph,
                pos,
                &members[&pos],
                &kinds,
                &new_index,
                fused_spec,
                &ctx,
            )
        } else {
            let mut copy = node.clone();
            copy.args = node.args.iter().map(|a| remap(a, &new_index)).collect();
            copy
        };
        new_index[pos] = Some(NodeIdx(nodes.len() as u32));
        nodes.push(new);
    }
    let outputs = graph
        .outputs
        .iter()
        .map(|o| new_index[o.index()].expect("outputs are kept"))
        .collect();
    Some(ValidGraph::from_parts(nodes, outputs))
}

fn remap(arg: &ValidArg, new_index: &[Option<NodeIdx>]) -> ValidArg {
    match arg {
        ValidArg::Node(i) => ValidArg::Node(new_index[i.index()].expect("inputs are kept")),
        ValidArg::List(items) => {
            ValidArg::List(items.iter().map(|a| remap(a, new_index)).collect())
        }
        other => other.clone(),
    }
}

/// The `fused` node replacing the group rooted at `root`.
fn build_fused(
    graph: &ValidGraph,
    root: usize,
    members: &[usize],
    kinds: &[Kind],
    new_index: &[Option<NodeIdx>],
    spec: &'static catalogue::OpSpec,
    ctx: &InferContext,
) -> ValidNode {
    let root_node = &graph.nodes[root];
    let mut step_of: HashMap<usize, usize> = HashMap::with_capacity(members.len());
    let mut input_of: HashMap<usize, usize> = HashMap::new();
    let mut args: Vec<ValidArg> = Vec::new();
    let mut metas: Vec<Meta> = Vec::new();
    let mut program: Vec<Json> = Vec::with_capacity(members.len());
    for &m in members {
        if kinds[m] != Kind::Elementwise {
            continue;
        }
        let node = &graph.nodes[m];
        let operands: Vec<Json> = node
            .args
            .iter()
            .map(|a| match a {
                ValidArg::Node(i) => {
                    let i = i.index();
                    if let Some(&k) = step_of.get(&i) {
                        json!(format!("%{k}"))
                    } else if kinds[i] == Kind::Constant {
                        constant(&graph.nodes[i])
                    } else {
                        let next = input_of.len();
                        let slot = *input_of.entry(i).or_insert_with(|| {
                            args.push(ValidArg::Node(new_index[i].expect("inputs are kept")));
                            metas.push(graph.nodes[i].meta.clone());
                            next
                        });
                        json!(format!("${slot}"))
                    }
                }
                ValidArg::Scalar(kind, v, number) => match kind {
                    tessera_ir::ScalarKind::Bool => json!(*v != 0.0),
                    _ => Json::Number(number.clone()),
                },
                _ => Json::Null,
            })
            .collect();
        let mut step = Map::new();
        step.insert("op".into(), json!(node.op.name));
        step.insert("args".into(), Json::Array(operands));
        if let Some(d) = node.attrs.get("dtype")
            && node.op.name == "astype"
        {
            step.insert("dtype".into(), d.clone());
        }
        step_of.insert(m, program.len());
        program.push(Json::Object(step));
    }
    let mut attrs = Map::new();
    attrs.insert("program".into(), Json::Array(program));
    if kinds[root] == Kind::Reduction {
        let mut reduce = Map::new();
        reduce.insert("op".into(), json!(root_node.op.name));
        for (k, v) in &root_node.attrs {
            reduce.insert(k.clone(), v.clone());
        }
        attrs.insert("reduce".into(), Json::Object(reduce));
    }
    let (attrs, meta) = catalogue::check_and_infer(spec, &metas, attrs, ctx)
        .unwrap_or_else(|e| panic!("fusion built an invalid fused node {:?}: {e}", root_node.id));
    debug_assert_eq!(meta, root_node.meta, "fused node {:?}", root_node.id);
    ValidNode {
        id: root_node.id.clone(),
        pointer: root_node.pointer.clone(),
        op: spec,
        args,
        attrs,
        meta,
    }
}

/// A constant source as a constant operand.
fn constant(node: &ValidNode) -> Json {
    let Meta::Array(meta) = &node.meta else {
        unreachable!("constants are arrays")
    };
    let fill = match node.op.name {
        "zeros" => json!(0),
        "ones" => json!(1),
        _ => node.attrs.get("fill_value").cloned().unwrap_or(json!(0)),
    };
    json!({
        "fill": fill,
        "dtype": meta.dtype.name(),
        "shape": meta.shape,
        "chunks": meta.chunks.0,
    })
}

#[cfg(test)]
mod tests;
