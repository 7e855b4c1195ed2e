//! Blocked products: `matmul` (1-d operands, broadcast batches), `dot` (n-d
//! too), `tensordot` (any `axes`) and `outer`. Block `i` of the result is the sum
//! over the grid of contracted blocks of the op's own kernel applied to the two
//! operand regions that make it: free axes cut to block `i` (an operand axis of
//! length 1 broadcasts whole), contracted axes cut where the first operand's
//! blocks are cut (the second is taken as regions, so the two chunkings need not
//! agree). Regions keep every axis, so the op and its attributes apply to them
//! unchanged. `outer` has no contracted axes: block `(i, j)` is the outer
//! product of the input regions whose flattenings are blocks `i` and `j`.

use std::sync::Arc;

use tessera_ir::{NodeIdx, TaskExpr, TaskKey, ValidArg};

use super::reshape;
use crate::lower::Lowerer;
use crate::lower::context::call;
use crate::lower::contraction::{self, Contraction, Role};
use crate::lower::select::AxisSel;

/// Kernel summing a list of equally shaped arrays.
pub(crate) const SUM_LIST: &str = "chunk.sum_list";

/// One block of a contracted axis: its block number and its `start..stop`.
type Cut = (usize, usize, usize);

/// An operand: an array node, or a scalar taken as a 0-d value.
enum Operand {
    Node(NodeIdx, Vec<usize>),
    Value(TaskExpr),
}

impl Operand {
    fn new(cx: &mut Lowerer<'_>, arg: &ValidArg) -> Operand {
        match arg {
            ValidArg::Node(x) if cx.node(*x).meta.as_array().is_some() => {
                let ndim = cx.chunks(*x).0.len();
                // The last offset of each axis is its length.
                let shape = (0..ndim)
                    .map(|axis| cx.offsets(*x, axis).last().copied().unwrap_or(0))
                    .collect();
                Operand::Node(*x, shape)
            }
            other => Operand::Value(cx.arg_whole(other)),
        }
    }

    fn shape(&self) -> &[usize] {
        match self {
            Operand::Node(_, shape) => shape,
            Operand::Value(_) => &[],
        }
    }

    /// The region `sels` (one per axis) of the operand.
    fn region(&self, cx: &mut Lowerer<'_>, sels: &[AxisSel]) -> TaskExpr {
        match self {
            Operand::Node(x, _) => cx.region(*x, sels),
            Operand::Value(v) => v.clone(),
        }
    }
}

pub(super) fn block(
    cx: &mut Lowerer<'_>,
    node: NodeIdx,
    index: &[usize],
) -> Result<TaskExpr, String> {
    let n = cx.node(node);
    let op = n.op.name;
    let [a, b] = n.args.as_slice() else {
        return Err(format!("{op} takes two arguments, found {}", n.args.len()));
    };
    let (a, b) = (Operand::new(cx, a), Operand::new(cx, b));
    let bounds = cx.block_bounds(node, index);
    let attrs = Arc::new(n.attrs.clone());
    let (na, nb) = (a.shape().len(), b.shape().len());
    let layout = match op {
        "outer" => return outer(cx, &a, &b, &bounds),
        "matmul" => contraction::matmul(na, nb)?,
        "dot" => contraction::dot(na, nb),
        "tensordot" => {
            let (ax_a, ax_b) = contraction::tensordot_axes(n.attrs.get("axes"), na, nb)?;
            contraction::tensordot(na, nb, &ax_a, &ax_b)
        }
        other => return Err(format!("{other} is not a blocked product")),
    };
    // `dot` of vectors and matrices is `matmul`, whose kernel multiplies the
    // block views as they are (no transpose and reshape of each operand).
    let kernel = match op {
        "dot" if (1..=2).contains(&na) && (1..=2).contains(&nb) => "matmul",
        _ => op,
    };
    let grid = contracted_blocks(cx, &a, &layout);
    let product = |cx: &mut Lowerer<'_>, combo: &[Cut]| {
        let ra = a.region(cx, &sels(a.shape(), &layout.a, &bounds, combo));
        let rb = b.region(cx, &sels(b.shape(), &layout.b, &bounds, combo));
        call(kernel, vec![ra, rb], attrs.clone())
    };
    if grid.len() == 1 {
        return Ok(product(cx, &grid[0]));
    }
    let name = format!("{}-product", cx.name(node));
    let mut products = Vec::with_capacity(grid.len());
    for combo in &grid {
        let mut key_index = index.to_vec();
        key_index.extend(combo.iter().map(|&(block, _, _)| block));
        let id = cx.helper(TaskKey::block(&name, &key_index), |cx| product(cx, combo));
        products.push(TaskExpr::Ref(id));
    }
    Ok(call(
        SUM_LIST,
        vec![TaskExpr::List(products)],
        Arc::default(),
    ))
}

/// The grid of contracted blocks: every combination of one block per contracted
/// axis (`(block, start, stop)` each), cut where `a`'s blocks are cut. Empty
/// blocks add nothing and are skipped, unless an axis has no other (then its
/// one empty span stands for it, so the product still has the result's shape).
fn contracted_blocks(cx: &Lowerer<'_>, a: &Operand, layout: &Contraction) -> Vec<Vec<Cut>> {
    let mut per_axis: Vec<(usize, Vec<Cut>)> = Vec::new();
    if let Operand::Node(x, _) = a {
        for (axis, role) in layout.a.iter().enumerate() {
            let Role::Sum(c) = *role else { continue };
            let off = cx.offsets(*x, axis);
            let mut blocks: Vec<Cut> = (0..off.len() - 1)
                .map(|k| (k, off[k], off[k + 1]))
                .filter(|&(_, lo, hi)| hi > lo)
                .collect();
            if blocks.is_empty() {
                blocks.push((0, 0, 0));
            }
            per_axis.push((c, blocks));
        }
    }
    per_axis.sort_by_key(|(c, _)| *c);
    // Cartesian product, last contracted axis fastest.
    let mut grid: Vec<Vec<Cut>> = vec![Vec::new()];
    for (_, blocks) in &per_axis {
        grid = grid
            .into_iter()
            .flat_map(|prefix| {
                blocks.iter().map(move |&b| {
                    let mut next = prefix.clone();
                    next.push(b);
                    next
                })
            })
            .collect();
    }
    grid
}

/// The selections of an operand's region: result axes cut to `bounds` (length-1
/// axes whole: they broadcast), contracted axis `c` cut to `combo[c]`.
fn sels(shape: &[usize], roles: &[Role], bounds: &[(usize, usize)], combo: &[Cut]) -> Vec<AxisSel> {
    roles
        .iter()
        .zip(shape)
        .map(|(role, &len)| match *role {
            Role::Out(_) if len == 1 => AxisSel::span(0, 1),
            Role::Out(r) => AxisSel::span(bounds[r].0, bounds[r].1),
            Role::Sum(c) => AxisSel::span(combo[c].1, combo[c].2),
        })
        .collect()
}

/// Block `bounds` of `outer(a, b)`: the kernel flattens its inputs, so it is given
/// the input regions whose row-major elements are the two runs (the catalogue's
/// chunks of the flattened inputs make each run one rectangular region).
fn outer(
    cx: &mut Lowerer<'_>,
    a: &Operand,
    b: &Operand,
    bounds: &[(usize, usize)],
) -> Result<TaskExpr, String> {
    let mut parts = Vec::with_capacity(2);
    for (x, &run) in [a, b].into_iter().zip(bounds) {
        parts.push(match x {
            Operand::Node(node, shape) => {
                let size: usize = shape.iter().product();
                let sels = reshape::input_region(shape, &[size], &[run])?;
                cx.region(*node, &sels)
            }
            Operand::Value(v) => v.clone(),
        });
    }
    Ok(call("outer", parts, Arc::default()))
}
