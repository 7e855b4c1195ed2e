//! Blocked linear algebra: `linalg.cholesky` as a tile DAG (POTRF, TRSM, SYRK,
//! GEMM), `linalg.solve_triangular` as blocked substitution, and `linalg.qr` as
//! TSQR. (`linalg.solve` and `linalg.inv`, blocked LU, are in `lu.rs`.)
//!
//! Every rule asks for the other blocks of its own result with `block` (they are
//! queued, not lowered in place), so a chain of tiles never deepens the stack.

use std::sync::Arc;

use serde_json::{Value as Json, json};
use tessera_ir::{Meta, NodeIdx, TaskExpr, TaskKey, ValidArg};

use super::matmul::SUM_LIST;
use crate::lower::Lowerer;
use crate::lower::context::{ASSEMBLE, GETITEM, call, kwargs};
use crate::lower::select::AxisSel;

/// Tile kernel: lower Cholesky factor of a diagonal tile.
const POTRF: &str = "potrf";
/// Tile kernel: triangular solve with a tile (`side`, `lower`, `trans`).
const TRSM: &str = "trsm";
/// Tile kernel: `c - a @ a.T`.
const SYRK: &str = "syrk";
/// Tile kernel: `c - a @ b.T`.
const GEMM: &str = "gemm";
/// Tile kernel: reduced QR of a tile, the pair `(q, r)`.
const QR: &str = "qr";
/// Block kernel: `sum of a_i @ b_i` over two lists of 2-d blocks.
const MATMUL_ACCUMULATE: &str = "matmul-accumulate";
/// Source kernel of a block of zeros (as the source rule calls it).
const ZEROS: &str = "zeros";
/// Kernel taking part `index` of a tuple.
const ITEM: &str = "item";

/// Argument `i` of a node as an array node.
fn array_arg(cx: &Lowerer<'_>, node: NodeIdx, i: usize) -> Result<NodeIdx, String> {
    match cx.node(node).args.get(i) {
        Some(ValidArg::Node(x)) if matches!(cx.node(*x).meta, Meta::Array(_)) => Ok(*x),
        _ => Err(format!(
            "{} needs an array as argument {i}",
            cx.node(node).op.name
        )),
    }
}

/// Blocks of the array ops of this family.
pub(super) fn block(
    cx: &mut Lowerer<'_>,
    node: NodeIdx,
    index: &[usize],
) -> Result<TaskExpr, String> {
    match cx.node(node).op.name {
        "linalg.cholesky" => cholesky(cx, node, index),
        "linalg.solve_triangular" => solve_triangular(cx, node, index),
        other => Err(format!("no blocked rule for {other}")),
    }
}

/// Tile `(i, j)` of the lower Cholesky factor `L`, on the square tiling of the
/// result's chunks (the common refinement of the input's row and column chunks;
/// the input is read through regions, so any chunking works).
///
/// Right-looking, as PLASMA and Dask: the trailing tile `A(i, j)` is updated by
/// every earlier column `k < j` (`syrk` of the lower triangle on the diagonal,
/// `gemm` below it, helpers `["<name>-syrk", i, k]` and `["<name>-gemm", i, j, k]`),
/// then factored: `potrf` on the diagonal, `trsm` (`X L(j, j)ᵀ = A(i, j)`) below it.
/// The chain `potrf(j)`, `trsm(j + 1, j)`, the last updates of tiles `(j + 1, j + 1)`
/// (`syrk`) and `(j + 2, j + 1)` (`gemm`) is the critical path: those tasks are
/// `parallel` (they may use every thread of the pool while the others wait). Those two are the
/// result's own blocks, so a tile that is not positive definite fails as the task
/// `["<name>", k, k]`, which names the tile. Upper tiles are zeros; only the lower
/// triangle of the input is read, as NumPy.
fn cholesky(cx: &mut Lowerer<'_>, node: NodeIdx, index: &[usize]) -> Result<TaskExpr, String> {
    let a = array_arg(cx, node, 0)?;
    let [i, j] = index else {
        return Err("linalg.cholesky needs a 2-d array".into());
    };
    let (i, j) = (*i, *j);
    let bounds = cx.block_bounds(node, index);
    if j > i {
        let meta = cx
            .node(node)
            .meta
            .as_array()
            .ok_or("linalg.cholesky makes an array")?;
        return Ok(call(
            ZEROS,
            vec![],
            kwargs(json!({
                "shape": meta.shape,
                "dtype": meta.dtype.name(),
                "offset": [bounds[0].0, bounds[1].0],
                "block_shape": [bounds[0].1 - bounds[0].0, bounds[1].1 - bounds[1].0],
            })),
        ));
    }
    let (rows, cols) = (bounds[0], bounds[1]);
    let name = cx.name(node).to_string();
    // The trailing tile after the updates of columns 0..j, one helper per update.
    let mut tile: Option<TaskExpr> = None;
    for k in 0..j {
        let l_ik = cx.block(node, &[i, k]);
        let l_jk = cx.block(node, &[j, k]);
        let key = if i == j {
            TaskKey::block(&format!("{name}-syrk"), &[i, k])
        } else {
            TaskKey::block(&format!("{name}-gemm"), &[i, j, k])
        };
        let previous = tile.take();
        let id = cx.helper(key, |cx| {
            let c = previous.unwrap_or_else(|| {
                cx.region(
                    a,
                    &[AxisSel::span(rows.0, rows.1), AxisSel::span(cols.0, cols.1)],
                )
            });
            if i == j {
                // Only the lower triangle: potrf and the next syrk read no more.
                // The last update of a diagonal tile is on the critical path.
                call(
                    SYRK,
                    vec![c, TaskExpr::Ref(l_ik)],
                    kwargs(json!({"lower": true, "parallel": k + 1 == j})),
                )
            } else {
                // The last update of the tile right below the diagonal feeds the
                // critical trsm(j + 1, j).
                let critical = k + 1 == j && i == j + 1;
                let attrs = if critical {
                    kwargs(json!({"parallel": true}))
                } else {
                    Arc::default()
                };
                call(
                    GEMM,
                    vec![c, TaskExpr::Ref(l_ik), TaskExpr::Ref(l_jk)],
                    attrs,
                )
            }
        });
        tile = Some(TaskExpr::Ref(id));
    }
    let tile = tile.unwrap_or_else(|| {
        cx.region(
            a,
            &[AxisSel::span(rows.0, rows.1), AxisSel::span(cols.0, cols.1)],
        )
    });
    if i == j {
        return Ok(call(POTRF, vec![tile], kwargs(json!({"parallel": true}))));
    }
    let l_jj = cx.block(node, &[j, j]);
    Ok(call(
        TRSM,
        vec![TaskExpr::Ref(l_jj), tile],
        kwargs(json!({"side": "right", "lower": true, "trans": true, "parallel": i == j + 1})),
    ))
}

/// Block `i` (vector `b`) or `(i, c)` (matrix `b`) of the solution of `a x = b`
/// for triangular `a`, by blocked substitution (Dask's `solve_triangular`): with
/// `K` the blocks solved before this one (`k < i` forward for `lower`, `k > i`
/// backward otherwise), `x_i = solve(a_ii, b_i - Σ_K a_ik x_k)`. The `x_k` are the
/// result's own blocks; the rows of `a` are cut where the result's rows are.
fn solve_triangular(
    cx: &mut Lowerer<'_>,
    node: NodeIdx,
    index: &[usize],
) -> Result<TaskExpr, String> {
    let a = array_arg(cx, node, 0)?;
    let b = array_arg(cx, node, 1)?;
    let lower = cx
        .node(node)
        .attrs
        .get("lower")
        .and_then(Json::as_bool)
        .unwrap_or(false);
    let matrix = index.len() == 2;
    let i = index[0];
    let rows = cx.offsets(node, 0).to_vec();
    let nblocks = rows.len() - 1;
    let bounds = cx.block_bounds(node, index);
    let span = |k: usize| AxisSel::span(rows[k], rows[k + 1]);
    let mut b_sels = vec![span(i)];
    if matrix {
        b_sels.push(AxisSel::span(bounds[1].0, bounds[1].1));
    }
    let mut rhs = cx.region(b, &b_sels);
    let earlier: Vec<usize> = if lower {
        (0..i).collect()
    } else {
        (i + 1..nblocks).collect()
    };
    let earlier: Vec<usize> = earlier
        .into_iter()
        .filter(|&k| rows[k + 1] > rows[k])
        .collect();
    if !earlier.is_empty() {
        let mut a_parts = Vec::with_capacity(earlier.len());
        let mut x_parts = Vec::with_capacity(earlier.len());
        for &k in &earlier {
            a_parts.push(cx.region(a, &[span(i), span(k)]));
            let mut x_index = index.to_vec();
            x_index[0] = k;
            x_parts.push(TaskExpr::Ref(cx.block(node, &x_index)));
        }
        let sum = if matrix {
            call(
                MATMUL_ACCUMULATE,
                vec![TaskExpr::List(a_parts), TaskExpr::List(x_parts)],
                Arc::default(),
            )
        } else {
            let products = a_parts
                .into_iter()
                .zip(x_parts)
                .map(|(p, x)| call("matmul", vec![p, x], Arc::default()))
                .collect();
            call(SUM_LIST, vec![TaskExpr::List(products)], Arc::default())
        };
        rhs = call("subtract", vec![rhs, sum], Arc::default());
    }
    let diagonal = cx.region(a, &[span(i), span(i)]);
    Ok(call(
        "linalg.solve_triangular",
        vec![diagonal, rhs],
        kwargs(json!({ "lower": lower })),
    ))
}

/// The input of an `item` node when it is a `linalg.qr` (its parts are lowered
/// block-wise by TSQR rather than cut from one whole value).
pub(super) fn qr_input(cx: &Lowerer<'_>, item: NodeIdx) -> Option<NodeIdx> {
    match cx.node(item).args.first() {
        Some(ValidArg::Node(x)) if cx.node(*x).op.name == "linalg.qr" => Some(*x),
        _ => None,
    }
}

/// One node of the TSQR tree: the task of its QR (the pair `(q, r)`), the number
/// of rows of its `r`, and where its `r` starts in its parent's stack.
struct TreeNode {
    qr: tessera_ir::TaskId,
    k: usize,
    offset_in_parent: usize,
}

/// The TSQR reduction tree of a `linalg.qr` node, built bottom-up: level 0 is one
/// QR per row block of the input (columns merged to one block), each level above
/// stacks the `r` factors of up to `split_every` nodes and factors the stack, until
/// one node (the root, whose `r` is the result's) remains.
struct Tree {
    levels: Vec<Vec<TreeNode>>,
    group: usize,
}

fn tsqr_tree(cx: &mut Lowerer<'_>, qr: NodeIdx) -> Result<Tree, String> {
    let x = array_arg(cx, qr, 0)?;
    let shape = cx.chunks(x).shape();
    let [m, n] = shape[..] else {
        return Err(format!(
            "linalg.qr (TSQR) needs a 2-d array, found {} dimensions",
            shape.len()
        ));
    };
    if m < n {
        return Err(format!(
            "linalg.qr (TSQR) needs at least as many rows as columns, found a {m} x {n} matrix"
        ));
    }
    let name = cx.name(qr).to_string();
    let rows = cx.offsets(x, 0).to_vec();
    let group = cx.options().split_every.max(2);
    let mut level = Vec::with_capacity(rows.len() - 1);
    for l in 0..rows.len() - 1 {
        let (lo, hi) = (rows[l], rows[l + 1]);
        let id = cx.helper(TaskKey::block(&format!("{name}-qr"), &[0, l]), |cx| {
            let block = cx.region(x, &[AxisSel::span(lo, hi), AxisSel::span(0, n)]);
            call(QR, vec![block], Arc::default())
        });
        level.push(TreeNode {
            qr: id,
            k: (hi - lo).min(n),
            offset_in_parent: 0,
        });
    }
    let mut levels = vec![level];
    while levels.last().map_or(0, Vec::len) > 1 {
        let depth = levels.len();
        let below = levels.last_mut().expect("a level");
        let mut above = Vec::with_capacity(below.len().div_ceil(group));
        for (j, children) in below.chunks_mut(group).enumerate() {
            let mut offset = 0;
            for child in children.iter_mut() {
                child.offset_in_parent = offset;
                offset += child.k;
            }
            let parts: Vec<TaskExpr> = children
                .iter()
                .map(|c| item(TaskExpr::Ref(c.qr), 1))
                .collect();
            let id = cx.helper(TaskKey::block(&format!("{name}-qr"), &[depth, j]), |_| {
                let stack = call(
                    "concatenate",
                    vec![TaskExpr::List(parts)],
                    kwargs(json!({"axis": 0})),
                );
                call(QR, vec![stack], Arc::default())
            });
            above.push(TreeNode {
                qr: id,
                k: offset.min(n),
                offset_in_parent: 0,
            });
        }
        levels.push(above);
    }
    Ok(Tree { levels, group })
}

fn item(value: TaskExpr, index: usize) -> TaskExpr {
    call(ITEM, vec![value], kwargs(json!({ "index": index })))
}

/// Rows `lo..hi` of a matrix value.
fn rows_of(value: TaskExpr, lo: usize, hi: usize) -> TaskExpr {
    call(
        GETITEM,
        vec![value],
        kwargs(json!({"index": [[lo, hi, 1]]})),
    )
}

/// The rows of the final `Q` that leaf `leaf` covers: `Q_leaf @ H_parent[rows]`,
/// where `H_t = Q_t @ H_parent(t)[rows of t]` down from `H_root = Q_root` (one
/// helper `["<name>-h", level, j]` per inner node on the path).
fn leaf_q(cx: &mut Lowerer<'_>, name: &str, tree: &Tree, leaf: usize) -> TaskExpr {
    let top = tree.levels.len() - 1;
    let q_of = |level: usize, j: usize| item(TaskExpr::Ref(tree.levels[level][j].qr), 0);
    if top == 0 {
        return q_of(0, leaf);
    }
    // Walk down from the root to the leaf's parent; `h` is H of the current node.
    let path: Vec<usize> = (0..=top)
        .map(|level| leaf / tree.group.pow(level as u32))
        .collect();
    let mut h = q_of(top, 0);
    for level in (1..top).rev() {
        let j = path[level];
        let node = &tree.levels[level][j];
        let (lo, hi) = (node.offset_in_parent, node.offset_in_parent + node.k);
        let parent_h = h;
        let id = cx.helper(TaskKey::block(&format!("{name}-h"), &[level, j]), |_| {
            call(
                "matmul",
                vec![q_of(level, j), rows_of(parent_h, lo, hi)],
                Arc::default(),
            )
        });
        h = TaskExpr::Ref(id);
    }
    let node = &tree.levels[0][leaf];
    let (lo, hi) = (node.offset_in_parent, node.offset_in_parent + node.k);
    call(
        "matmul",
        vec![q_of(0, leaf), rows_of(h, lo, hi)],
        Arc::default(),
    )
}

/// A block of `item(linalg.qr(x), index)`: row block `i` of `Q` (index 0) or the
/// single block of `R` (index 1).
pub(super) fn qr_part_block(
    cx: &mut Lowerer<'_>,
    node: NodeIdx,
    index: &[usize],
) -> Result<TaskExpr, String> {
    let qr = qr_input(cx, node).ok_or("item of linalg.qr expected")?;
    let part = cx
        .node(node)
        .attrs
        .get("index")
        .and_then(Json::as_i64)
        .unwrap_or(0);
    let part = if part < 0 { part + 2 } else { part };
    let tree = tsqr_tree(cx, qr)?;
    let name = cx.name(qr).to_string();
    match part {
        0 => {
            let x = array_arg(cx, qr, 0)?;
            let (lo, hi) = cx.block_bounds(node, index)[0];
            let leaves = cx.offsets(x, 0).to_vec();
            let leaf = leaves
                .iter()
                .position(|&o| o == lo)
                .filter(|&l| leaves.get(l + 1) == Some(&hi))
                .ok_or_else(|| {
                    format!("rows {lo}..{hi} of q are not one row block of the input")
                })?;
            Ok(leaf_q(cx, &name, &tree, leaf))
        }
        1 => {
            let root = &tree.levels[tree.levels.len() - 1][0];
            Ok(item(TaskExpr::Ref(root.qr), 1))
        }
        other => Err(format!("linalg.qr has two parts (q, r), not part {other}")),
    }
}

/// The whole pair `(q, r)` of a `linalg.qr` node, when the pair itself is used:
/// `q` assembled from its row blocks.
pub(super) fn qr_value(cx: &mut Lowerer<'_>, node: NodeIdx) -> Result<TaskExpr, String> {
    let tree = tsqr_tree(cx, node)?;
    let name = cx.name(node).to_string();
    let leaves = tree.levels[0].len();
    let q_rows: Vec<TaskExpr> = (0..leaves)
        .map(|l| TaskExpr::List(vec![leaf_q(cx, &name, &tree, l)]))
        .collect();
    let q = call(ASSEMBLE, vec![TaskExpr::List(q_rows)], Arc::default());
    let root = &tree.levels[tree.levels.len() - 1][0];
    Ok(TaskExpr::List(vec![q, item(TaskExpr::Ref(root.qr), 1)]))
}
