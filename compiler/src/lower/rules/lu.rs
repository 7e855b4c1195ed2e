//! `linalg.solve` and `linalg.inv` as a tile DAG: blocked right-looking LU with
//! partial pivoting, then blocked forward and back substitution.
//!
//! On the square tiling of the result's rows (`t_0 < t_1 < ... < t_N`), step `k` of
//! the factorization is: `["<name>-lu-panel", k]` factors the column of trailing
//! tiles `A(k.., k)` with pivoting over the whole panel (faer's partial-pivot LU on
//! the tall panel); `["<name>-lu-row", k, j]` (j > k) applies its row swaps to block
//! column j and solves the U row `U(k, j) = L(k, k)⁻¹ A'(k, j)`;
//! `["<name>-lu-update", k, i, j]` (i, j > k) is the GEMM `A'(i, j) − L(i, k) U(k, j)`.
//! Forward substitution, per column block c of the right-hand side, is one task per
//! step, `["<name>-lu-forward", k, c]` (the step's swaps, `L(k, k)⁻¹`, and the updates
//! of the rows below); back substitution makes the result's own blocks,
//! `x(i) = U(i, i)⁻¹ (y(i) − Σ_{k>i} U(i, k) x(k))`. `linalg.inv` solves against the
//! identity, whose tiles are `eye` sources. A singular matrix fails in the panel task
//! of the step whose pivot column is all zeros.
//!
//! All helpers are made in loops, each from ids made before it, so no lowering
//! call nests deeper than one helper.

use std::sync::Arc;

use serde_json::json;
use tessera_ir::{Meta, NodeIdx, TaskExpr, TaskId, TaskKey, ValidArg};

use super::matmul::SUM_LIST;
use crate::lower::Lowerer;
use crate::lower::context::{call, kwargs};
use crate::lower::select::AxisSel;

/// Kernel taking part `index` of a tuple.
const ITEM: &str = "item";

fn item(value: TaskId, index: usize) -> TaskExpr {
    call(
        ITEM,
        vec![TaskExpr::Ref(value)],
        kwargs(json!({ "index": index })),
    )
}

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

/// The factorization's tasks: the panel of each step (tuple `(perm, u_kk, l_kk,
/// l_(k+1)k, ...)`) and the row task of each `(k, j > k)` (tuple `(u_kj, ...)`).
struct Factors {
    panels: Vec<TaskId>,
    rows: Vec<Vec<Option<TaskId>>>,
}

/// The panel and row tasks of a factorization made before (by an earlier block
/// of the same result), found without walking its O(n³) updates again.
fn made_before(cx: &Lowerer<'_>, name: &str, n: usize) -> Option<Factors> {
    let panels = (0..n)
        .map(|k| cx.existing(&TaskKey::block(&format!("{name}-lu-panel"), &[k])))
        .collect::<Option<Vec<_>>>()?;
    let mut rows = vec![vec![None; n]; n];
    for (k, row) in rows.iter_mut().enumerate() {
        for (j, slot) in row.iter_mut().enumerate().skip(k + 1) {
            *slot = Some(cx.existing(&TaskKey::block(&format!("{name}-lu-row"), &[k, j]))?);
        }
    }
    Some(Factors { panels, rows })
}

/// Builds (or finds) the LU tile DAG of matrix `a` on the tiling `off`.
fn factor(cx: &mut Lowerer<'_>, name: &str, a: NodeIdx, off: &[usize]) -> Factors {
    let n = off.len() - 1;
    if let Some(made) = made_before(cx, name, n) {
        return made;
    }
    let span = |k: usize| AxisSel::span(off[k], off[k + 1]);
    // `cur[i][j]`: the current trailing tile (i, j), for i, j >= the step.
    let mut cur: Vec<Vec<Option<TaskExpr>>> = vec![vec![None; n]; n];
    let mut panels = Vec::with_capacity(n);
    let mut rows = vec![vec![None; n]; n];
    for k in 0..n {
        let mut tile = |cx: &mut Lowerer<'_>, i: usize, j: usize| {
            cur[i][j]
                .take()
                .unwrap_or_else(|| cx.region(a, &[span(i), span(j)]))
        };
        let column: Vec<TaskExpr> = (k..n).map(|i| tile(cx, i, k)).collect();
        let panel = cx.helper(TaskKey::block(&format!("{name}-lu-panel"), &[k]), |_| {
            call(
                "lu-panel",
                vec![TaskExpr::List(column)],
                kwargs(json!({"step": k, "offset": off[k]})),
            )
        });
        panels.push(panel);
        for (j, slot) in rows[k].iter_mut().enumerate().skip(k + 1) {
            let column: Vec<TaskExpr> = (k..n).map(|i| tile(cx, i, j)).collect();
            let row = cx.helper(TaskKey::block(&format!("{name}-lu-row"), &[k, j]), |_| {
                call(
                    "lu-row",
                    vec![TaskExpr::Ref(panel), TaskExpr::List(column)],
                    Arc::default(),
                )
            });
            *slot = Some(row);
        }
        for (i, trailing) in cur.iter_mut().enumerate().skip(k + 1) {
            for (j, tile) in trailing.iter_mut().enumerate().skip(k + 1) {
                let row = rows[k][j].expect("row task made above");
                let update = cx.helper(
                    TaskKey::block(&format!("{name}-lu-update"), &[k, i, j]),
                    |_| {
                        call(
                            "gemm",
                            vec![item(row, i - k), item(panel, 2 + i - k), item(row, 0)],
                            kwargs(json!({"trans_b": false})),
                        )
                    },
                );
                *tile = Some(TaskExpr::Ref(update));
            }
        }
    }
    Factors { panels, rows }
}

/// Blocks of `linalg.solve(a, b)` and `linalg.inv(a)`.
pub(super) fn block(
    cx: &mut Lowerer<'_>,
    node: NodeIdx,
    index: &[usize],
) -> Result<TaskExpr, String> {
    let op = cx.node(node).op.name;
    let a = array_arg(cx, node, 0)?;
    let b = if op == "linalg.solve" {
        Some(array_arg(cx, node, 1)?)
    } else {
        None
    };
    let name = cx.name(node).to_string();
    let off = cx.offsets(node, 0).to_vec();
    let n = off.len() - 1;
    let factors = factor(cx, &name, a, &off);
    let matrix = index.len() == 2;
    let c = if matrix { index[1] } else { 0 };
    let cols = if matrix {
        Some(cx.block_bounds(node, index)[1])
    } else {
        None
    };
    let size = *off.last().expect("offsets");
    let dtype = cx
        .node(node)
        .meta
        .as_array()
        .map_or("float64", |m| m.dtype.name())
        .to_string();
    // Forward substitution for column block c: one task per step (its inputs are
    // only looked at when the task is new).
    let rhs_tile = |cx: &mut Lowerer<'_>, i: usize| match (b, cols) {
        (Some(b), Some((lo, hi))) => cx.region(
            b,
            &[AxisSel::span(off[i], off[i + 1]), AxisSel::span(lo, hi)],
        ),
        (Some(b), None) => cx.region(b, &[AxisSel::span(off[i], off[i + 1])]),
        (None, cols) => {
            let (lo, hi) = cols.unwrap_or((0, size));
            call(
                "eye",
                vec![],
                kwargs(json!({
                    "N": size,
                    "dtype": dtype,
                    "offset": [off[i], lo],
                    "block_shape": [off[i + 1] - off[i], hi - lo],
                })),
            )
        }
    };
    let mut rhs: Vec<Option<TaskExpr>> = vec![None; n];
    let mut forward = Vec::with_capacity(n);
    for k in 0..n {
        let panel = factors.panels[k];
        let id = cx.helper(
            TaskKey::block(&format!("{name}-lu-forward"), &[k, c]),
            |cx| {
                let tiles: Vec<TaskExpr> = (k..n)
                    .map(|i| rhs[i].clone().unwrap_or_else(|| rhs_tile(cx, i)))
                    .collect();
                call(
                    "lu-forward",
                    vec![TaskExpr::Ref(panel), TaskExpr::List(tiles)],
                    Arc::default(),
                )
            },
        );
        for (r, slot) in rhs.iter_mut().enumerate().skip(k + 1) {
            *slot = Some(item(id, r - k));
        }
        forward.push(id);
    }
    // Back substitution: this block from the blocks below it.
    let i = index[0];
    let mut y = item(forward[i], 0);
    if i + 1 < n {
        let mut u_parts = Vec::with_capacity(n - i - 1);
        let mut x_parts = Vec::with_capacity(n - i - 1);
        for k in i + 1..n {
            let row = factors.rows[i][k].ok_or("internal: missing LU row task")?;
            u_parts.push(item(row, 0));
            let mut x_index = index.to_vec();
            x_index[0] = k;
            x_parts.push(TaskExpr::Ref(cx.block(node, &x_index)));
        }
        let sum = if matrix {
            call(
                "matmul-accumulate",
                vec![TaskExpr::List(u_parts), TaskExpr::List(x_parts)],
                Arc::default(),
            )
        } else {
            let products = u_parts
                .into_iter()
                .zip(x_parts)
                .map(|(u, x)| call("matmul", vec![u, x], Arc::default()))
                .collect();
            call(SUM_LIST, vec![TaskExpr::List(products)], Arc::default())
        };
        y = call("subtract", vec![y, sum], Arc::default());
    }
    Ok(call(
        "linalg.solve_triangular",
        vec![item(factors.panels[i], 1), y],
        kwargs(json!({ "lower": false })),
    ))
}
