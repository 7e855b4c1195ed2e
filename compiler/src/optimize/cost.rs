//! The cost model: estimated work of one node from its metadata, in element
//! operations (flops plus elements read and written), and the cost of a graph.

use tessera_ir::catalogue::Family;
use tessera_ir::{Meta, ValidArg, ValidGraph};

/// Fixed cost of any node (scheduling one more array op), so that of two plans
/// doing the same arithmetic the one with fewer nodes wins.
const NODE: f64 = 1.0;

/// Elementwise ops that cost about this many simple flops per element.
fn transcendental(op: &str) -> bool {
    matches!(
        op,
        "exp"
            | "expm1"
            | "exp2"
            | "log"
            | "log1p"
            | "log2"
            | "log10"
            | "sin"
            | "cos"
            | "tan"
            | "arcsin"
            | "arccos"
            | "arctan"
            | "sinh"
            | "cosh"
            | "tanh"
            | "arcsinh"
            | "arccosh"
            | "arctanh"
            | "power"
            | "arctan2"
            | "hypot"
            | "cbrt"
            | "sqrt"
    )
}

fn size(meta: &Meta) -> f64 {
    meta.as_array().map_or(0.0, |a| a.size() as f64)
}

/// Estimated cost of `op` producing `out` from arguments `args` (opaque ops: `None`).
pub(super) fn node_cost(
    op: Option<&tessera_ir::catalogue::OpSpec>,
    out: &Meta,
    args: &[&Meta],
) -> f64 {
    let out_n = size(out);
    let in_n: f64 = args.iter().map(|m| size(m)).sum();
    let Some(op) = op else {
        return NODE + out_n + in_n;
    };
    let work = match op.family {
        Family::Source => out_n,
        Family::Elementwise => {
            let per = if transcendental(op.name) { 8.0 } else { 1.0 };
            out_n * per + in_n + out_n
        }
        Family::Reduction => 2.0 * in_n + out_n,
        Family::Shape => match op.name {
            "rechunk" => 2.0 * out_n,
            "concatenate" | "stack" => 2.0 * out_n,
            // A slice or a transpose copies at most what it keeps.
            _ => out_n,
        },
        Family::Linalg => match op.name {
            "matmul" | "dot" | "tensordot" => {
                // K = sqrt(|a| |b| / |out|) for (M, K) x (K, N) and batches of them.
                let (a, b) = (
                    args.first().map_or(0.0, |m| size(m)),
                    args.get(1).map_or(0.0, |m| size(m)),
                );
                let k = if out_n > 0.0 {
                    (a * b / out_n).sqrt()
                } else {
                    0.0
                };
                2.0 * out_n * k + in_n + out_n
            }
            _ => 4.0 * (in_n + out_n),
        },
        Family::Blockwise | Family::Task => out_n + in_n,
    };
    NODE + work
}

/// Estimated cost of a whole graph (each node once).
pub(super) fn graph_cost(graph: &ValidGraph) -> f64 {
    let mut total = 0.0;
    let mut args: Vec<&Meta> = Vec::new();
    for node in &graph.nodes {
        args.clear();
        let mut stack: Vec<&ValidArg> = node.args.iter().collect();
        while let Some(a) = stack.pop() {
            match a {
                ValidArg::Node(i) => args.push(&graph.node(*i).meta),
                ValidArg::List(items) => stack.extend(items),
                _ => {}
            }
        }
        let op = super::language::is_modeled(node.op).then_some(node.op);
        total += node_cost(op, &node.meta, &args);
    }
    total
}
