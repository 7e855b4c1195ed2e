//! Between a [`ValidGraph`] and the e-graph: every node becomes an e-node (in
//! topological order, so no walk is recursive), and a choice of one e-node per
//! class becomes a graph again, with the ids of outputs and of unchanged nodes
//! preserved and deterministic ids for new nodes.

use std::collections::{HashMap, HashSet};

use egg::{Id, Language};
use serde_json::{Map, Number, Value};
use tessera_ir::catalogue::{InferContext, check_and_infer};
use tessera_ir::index::{normalize_index, parse_index};
use tessera_ir::{Meta, NodeIdx, ScalarKind, ValidArg, ValidGraph, ValidNode};

use super::OptimizeError;
use super::analysis::{ArrayAnalysis, Graph};
use super::language::{
    ArrayLang, AttrsLeaf, IndexLeaf, LitLeaf, OpName, OpaqueKey, PermLeaf, ScalarLit, is_modeled,
};

/// A graph loaded into an e-graph.
pub(super) struct Loaded {
    /// The e-graph.
    pub egraph: Graph,
    /// The class of each node of the input graph.
    pub classes: Vec<Id>,
    /// The e-node each node of the input graph became.
    pub enodes: Vec<ArrayLang>,
}

/// Loads `graph` into a new e-graph.
pub(super) fn to_egraph(graph: &ValidGraph) -> Result<Loaded, OptimizeError> {
    let opaque: Vec<Meta> = graph.nodes.iter().map(|n| n.meta.clone()).collect();
    let mut egraph = Graph::new(ArrayAnalysis::new(opaque));
    let mut classes: Vec<Id> = Vec::with_capacity(graph.len());
    let mut enodes = Vec::with_capacity(graph.len());
    for (k, node) in graph.nodes.iter().enumerate() {
        let mut children = Vec::with_capacity(node.args.len() + 1);
        for arg in &node.args {
            children.push(add_arg(&mut egraph, &classes, arg));
        }
        let enode = if is_modeled(node.op) {
            let op = OpName::named(node.op.name).ok_or_else(|| OptimizeError::Unmodeled {
                node: node.id.clone(),
            })?;
            add_attr_leaves(&mut egraph, graph, node, &mut children)?;
            ArrayLang::Op(op, children)
        } else {
            ArrayLang::Opaque(OpaqueKey(k as u32), children)
        };
        // Validation inferred this node already: `make` takes its metadata.
        egraph.analysis.loading = Some(k as u32);
        let id = egraph.add(enode.clone());
        egraph.analysis.loading = None;
        classes.push(id);
        enodes.push(enode);
    }
    Ok(Loaded {
        egraph,
        classes,
        enodes,
    })
}

fn add_arg(egraph: &mut Graph, classes: &[Id], arg: &ValidArg) -> Id {
    match arg {
        ValidArg::Node(i) => classes[i.index()],
        ValidArg::Scalar(kind, v, n) => {
            let text = match kind {
                ScalarKind::Bool => (*v != 0.0).to_string(),
                _ => n.to_string(),
            };
            egraph.add(ArrayLang::Scalar(ScalarLit { kind: *kind, text }))
        }
        ValidArg::Literal(v) => egraph.add(ArrayLang::Lit(LitLeaf(v.to_string()))),
        // Lists are as deep as the document nests them (validation bounds it).
        ValidArg::List(items) => {
            let ids = items.iter().map(|a| add_arg(egraph, classes, a)).collect();
            egraph.add(ArrayLang::Op(OpName::LIST, ids))
        }
    }
}

/// The attribute leaves of a modeled node: the normalized index of `getitem`,
/// the explicit permutation of `transpose`, the other attributes as JSON.
fn add_attr_leaves(
    egraph: &mut Graph,
    graph: &ValidGraph,
    node: &ValidNode,
    children: &mut Vec<Id>,
) -> Result<(), OptimizeError> {
    let input_shape = || -> Vec<usize> {
        match node.args.first() {
            Some(ValidArg::Node(i)) => graph
                .node(*i)
                .meta
                .as_array()
                .map(|a| a.shape.clone())
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    };
    let mut attrs = node.attrs.clone();
    let bad = |why: String| OptimizeError::Attribute {
        node: node.id.clone(),
        message: why,
    };
    match node.op.name {
        "getitem" => {
            let raw = attrs.remove("index").unwrap_or(Value::Array(Vec::new()));
            let entries = parse_index(&raw).map_err(bad)?;
            let normal = normalize_index(&entries, &input_shape()).map_err(bad)?;
            children.push(egraph.add(ArrayLang::Index(IndexLeaf::from_normal(&normal))));
        }
        "transpose" => {
            let n = input_shape().len();
            let perm = match attrs.remove("axes") {
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|a| {
                        let a = a.as_i64().unwrap_or(0);
                        (if a < 0 { a + n as i64 } else { a }) as usize
                    })
                    .collect(),
                _ => (0..n).rev().collect(),
            };
            children.push(egraph.add(ArrayLang::Perm(PermLeaf(perm))));
        }
        _ => {}
    }
    if !attrs.is_empty() {
        children.push(egraph.add(ArrayLang::Attrs(AttrsLeaf::new(&attrs))));
    }
    Ok(())
}

/// What a class became when the graph was rebuilt.
#[derive(Clone)]
enum Built {
    /// A node of the new graph.
    Node(NodeIdx),
    /// An argument written in place (scalar, literal, list).
    Arg(ValidArg),
    /// An attribute leaf.
    Attr,
}

/// Rebuilds a graph from one chosen e-node per (canonical) class.
pub(super) fn from_choice(
    graph: &ValidGraph,
    loaded: &Loaded,
    choice: &HashMap<Id, ArrayLang>,
    ctx: &InferContext,
) -> Result<ValidGraph, OptimizeError> {
    let egraph = &loaded.egraph;
    // Original nodes per class, and which output ids each class carries.
    let mut origins: HashMap<Id, Vec<usize>> = HashMap::new();
    for (k, &c) in loaded.classes.iter().enumerate() {
        origins.entry(egraph.find(c)).or_default().push(k);
    }
    let mut taken: HashSet<String> = graph.nodes.iter().map(|n| n.id.clone()).collect();
    let output_of: HashMap<Id, usize> = graph
        .outputs
        .iter()
        .rev()
        .map(|o| (egraph.find(loaded.classes[o.index()]), o.index()))
        .collect();

    let mut built: HashMap<Id, Built> = HashMap::new();
    let mut nodes: Vec<ValidNode> = Vec::new();
    let mut derived = 0usize;
    let mut used_ids: HashSet<String> = HashSet::new();
    let mut outputs = Vec::with_capacity(graph.outputs.len());

    for &o in &graph.outputs {
        let root = egraph.find(loaded.classes[o.index()]);
        // Post-order walk with an explicit stack.
        let mut stack: Vec<(Id, bool)> = vec![(root, false)];
        while let Some((class, expanded)) = stack.pop() {
            if built.contains_key(&class) {
                continue;
            }
            let enode = choice
                .get(&class)
                .ok_or_else(|| OptimizeError::Extraction {
                    message: format!("no e-node chosen for class {class}"),
                })?;
            if !expanded {
                stack.push((class, true));
                for &c in enode.children().iter().rev() {
                    let c = egraph.find(c);
                    if !built.contains_key(&c) {
                        stack.push((c, false));
                    }
                }
                continue;
            }
            let b = build_class(
                graph,
                loaded,
                class,
                enode,
                &built,
                &mut Emit {
                    nodes: &mut nodes,
                    origins: &origins,
                    output_of: &output_of,
                    taken: &mut taken,
                    used_ids: &mut used_ids,
                    derived: &mut derived,
                    ctx,
                },
            )?;
            built.insert(class, b);
        }
        let idx = match built.get(&root) {
            Some(Built::Node(i)) => *i,
            _ => {
                return Err(OptimizeError::Extraction {
                    message: format!("output {:?} is not a node", graph.node(o).id),
                });
            }
        };
        let want = &graph.node(o).id;
        if nodes[idx.index()].id == *want {
            outputs.push(idx);
        } else if let Some(pos) = nodes.iter().position(|n| n.id == *want) {
            outputs.push(NodeIdx(pos as u32));
        } else {
            // Two outputs in one class: the second is a copy under its own id.
            let mut copy = nodes[idx.index()].clone();
            copy.id = want.clone();
            copy.pointer = format!("/nodes/{want}");
            nodes.push(copy);
            outputs.push(NodeIdx(nodes.len() as u32 - 1));
        }
    }
    Ok(ValidGraph::from_parts(nodes, outputs))
}

struct Emit<'a> {
    nodes: &'a mut Vec<ValidNode>,
    origins: &'a HashMap<Id, Vec<usize>>,
    output_of: &'a HashMap<Id, usize>,
    taken: &'a mut HashSet<String>,
    used_ids: &'a mut HashSet<String>,
    derived: &'a mut usize,
    ctx: &'a InferContext,
}

fn build_class(
    graph: &ValidGraph,
    loaded: &Loaded,
    class: Id,
    enode: &ArrayLang,
    built: &HashMap<Id, Built>,
    emit: &mut Emit<'_>,
) -> Result<Built, OptimizeError> {
    let egraph = &loaded.egraph;
    let child = |c: Id| -> &Built { &built[&egraph.find(c)] };
    let arg_of = |c: Id| -> Option<ValidArg> {
        match child(c) {
            Built::Node(i) => Some(ValidArg::Node(*i)),
            Built::Arg(a) => Some(a.clone()),
            Built::Attr => None,
        }
    };
    let (op, children) = match enode {
        ArrayLang::Scalar(s) => {
            let n: Number = match s.kind {
                ScalarKind::Bool => Number::from(u8::from(s.text == "true")),
                _ => serde_json::from_str(&s.text).unwrap_or_else(|_| Number::from(0)),
            };
            return Ok(Built::Arg(ValidArg::Scalar(s.kind, s.value(), n)));
        }
        ArrayLang::Lit(l) => {
            let v = serde_json::from_str(&l.0).unwrap_or(Value::Null);
            return Ok(Built::Arg(ValidArg::Literal(v)));
        }
        ArrayLang::Index(_) | ArrayLang::Perm(_) | ArrayLang::Attrs(_) => return Ok(Built::Attr),
        ArrayLang::Op(op, children) if *op == OpName::LIST => {
            let items = children.iter().filter_map(|&c| arg_of(c)).collect();
            return Ok(Built::Arg(ValidArg::List(items)));
        }
        ArrayLang::Op(op, children) => (Some(*op), children),
        ArrayLang::Opaque(_, children) => (None, children),
    };
    let canonical = enode.clone().map_children(|c| egraph.find(c));
    let origins: &[usize] = emit.origins.get(&class).map_or(&[], Vec::as_slice);
    let exact = origins
        .iter()
        .copied()
        .find(|&k| loaded.enodes[k].clone().map_children(|c| egraph.find(c)) == canonical);
    let original = match enode {
        ArrayLang::Opaque(k, _) => Some(k.0 as usize),
        _ => exact,
    };
    let args: Vec<ValidArg> = children.iter().filter_map(|&c| arg_of(c)).collect();
    let (spec, attrs) = match (op, original) {
        (_, Some(k)) => (graph.nodes[k].op, graph.nodes[k].attrs.clone()),
        (Some(op), None) => {
            let mut attrs = Map::new();
            for &c in children {
                match &egraph[egraph.find(c)].nodes[0] {
                    ArrayLang::Index(ix) => {
                        attrs.insert("index".into(), ix.to_json());
                    }
                    ArrayLang::Perm(p) => {
                        attrs.insert("axes".into(), Value::from(p.0.clone()));
                    }
                    ArrayLang::Attrs(a) => attrs.extend(a.map().clone()),
                    _ => {}
                }
            }
            let spec = op.spec().ok_or_else(|| OptimizeError::Extraction {
                message: "a list chosen as a node".into(),
            })?;
            // In the catalogue's order, as validation writes them.
            let mut ordered = Map::with_capacity(attrs.len());
            for a in spec.attrs {
                if let Some(v) = attrs.remove(a.name) {
                    ordered.insert(a.name.to_owned(), v);
                }
            }
            ordered.extend(attrs);
            (spec, ordered)
        }
        (None, None) => unreachable!("opaque e-nodes always name their node"),
    };
    // The id: an output's, else the unchanged node's, else another original of
    // the class, else a new one derived from the op.
    let mut id = emit
        .output_of
        .get(&class)
        .map(|&k| graph.nodes[k].id.clone())
        .or_else(|| original.map(|k| graph.nodes[k].id.clone()))
        .or_else(|| origins.first().map(|&k| graph.nodes[k].id.clone()));
    if id.as_ref().is_some_and(|i| emit.used_ids.contains(i)) {
        id = None;
    }
    let id = match id {
        Some(id) => id,
        None => loop {
            *emit.derived += 1;
            let candidate = format!("{}~{}", spec.name, emit.derived);
            if !emit.taken.contains(&candidate) {
                emit.taken.insert(candidate.clone());
                break candidate;
            }
        },
    };
    emit.used_ids.insert(id.clone());
    let arg_metas: Vec<Meta> = args.iter().map(|a| arg_meta(emit.nodes, a)).collect();
    let unchanged = original.is_some_and(|k| {
        graph.nodes[k].args.len() == args.len()
            && graph.nodes[k]
                .args
                .iter()
                .zip(&arg_metas)
                .all(|(a, m)| arg_meta(&graph.nodes, a) == *m)
    });
    let meta = match original {
        Some(k) if unchanged => graph.nodes[k].meta.clone(),
        _ => {
            check_and_infer(spec, &arg_metas, attrs.clone(), emit.ctx)
                .map_err(|e| OptimizeError::Rewrite {
                    node: id.clone(),
                    message: e.message,
                })?
                .1
        }
    };
    emit.nodes.push(ValidNode {
        pointer: format!("/nodes/{id}"),
        id,
        op: spec,
        args,
        attrs,
        meta,
    });
    Ok(Built::Node(NodeIdx(emit.nodes.len() as u32 - 1)))
}

fn arg_meta(nodes: &[ValidNode], arg: &ValidArg) -> Meta {
    match arg {
        ValidArg::Node(i) => nodes[i.index()].meta.clone(),
        ValidArg::Scalar(kind, v, _) => Meta::Scalar(*kind, *v),
        ValidArg::Literal(v) => Meta::Literal(v.clone()),
        ValidArg::List(items) => Meta::List(items.iter().map(|a| arg_meta(nodes, a)).collect()),
    }
}
