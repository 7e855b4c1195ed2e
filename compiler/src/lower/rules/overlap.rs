//! Ghosting: each block of `map_overlap` is the block function on the input block
//! extended by `depth` ghost cells per side (taken from the neighbouring blocks as
//! views, or made by the boundary rule at the array's edges), then trimmed.
//!
//! The extended block is one expression inside the block's task: views of every
//! input block it touches (at most 3 per overlapped axis, blocks being at least
//! `depth` long: when some block of an overlapped axis is shorter, the input is
//! first rechunked by merging neighbours, one `["<name>-rechunk", ...]` task per
//! merged block, as Dask does), assembled once. Axes with depth 0 take no neighbours.
//! `reflect` (half-sample symmetric) and `periodic` ghost cells are views of the
//! input too (reversed, or from the other end); `nearest` and constants are made
//! by the `overlap.pad` kernel. For the built-in `correlate` nothing is assembled:
//! the kernel takes the grid of views itself, reads it in place, extends the
//! array's edges and computes only the trimmed interior.

use std::sync::Arc;

use serde_json::{Map, Value as Json, json};
use tessera_ir::{Meta, NodeIdx, TaskExpr, TaskId, TaskKey, ValidArg};

use crate::lower::Lowerer;
use crate::lower::context::{ASSEMBLE, GETITEM, call, kwargs};
use crate::lower::select::{AxisSel, axis_pieces};

/// Block kernel extending an array's edges (`pad`, `mode`, `cval` per axis).
const PAD: &str = "overlap.pad";
/// The built-in block function (`scipy.ndimage.correlate`, with `trim`).
const CORRELATE: &str = "correlate";

/// Attributes of `map_overlap` itself; the others go to the block function.
const OWN_ATTRS: [&str; 5] = ["fn", "depth", "boundary", "trim", "dtype"];

/// What fills the ghost cells beyond the array's edges on one axis.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Boundary {
    /// Half-sample symmetric: `d c b a | a b c d`.
    Reflect,
    /// Wrap around: the other end of the axis.
    Periodic,
    /// The edge value repeated.
    Nearest,
    /// No ghost cells at the array's edges.
    None,
    /// A constant value.
    Constant(f64),
}

impl Boundary {
    fn parse(v: &Json) -> Result<Boundary, String> {
        match v {
            Json::String(s) => match s.as_str() {
                "reflect" => Ok(Boundary::Reflect),
                "periodic" => Ok(Boundary::Periodic),
                "nearest" => Ok(Boundary::Nearest),
                "none" => Ok(Boundary::None),
                other => Err(format!("unknown boundary {other:?}")),
            },
            Json::Number(c) => Ok(Boundary::Constant(c.as_f64().unwrap_or(f64::NAN))),
            other => Err(format!("a boundary is a name or a number, not {other}")),
        }
    }

    /// The `scipy.ndimage` mode a block function uses at this edge (`none` leaves
    /// the function's own default, scipy's "reflect").
    fn scipy_mode(self) -> &'static str {
        match self {
            Boundary::Reflect | Boundary::None => "reflect",
            Boundary::Periodic => "wrap",
            Boundary::Nearest => "nearest",
            Boundary::Constant(_) => "constant",
        }
    }

    fn cval(self) -> f64 {
        match self {
            Boundary::Constant(c) => c,
            _ => 0.0,
        }
    }
}

/// An axis key of a per-axis object (`"0"`, `"-1"`).
fn object_axis(key: &str, ndim: usize) -> Result<usize, String> {
    let a: i64 = key
        .parse()
        .map_err(|_| format!("object keys must be axes, found {key:?}"))?;
    let b = if a < 0 { a + ndim as i64 } else { a };
    usize::try_from(b)
        .ok()
        .filter(|&b| b < ndim)
        .ok_or_else(|| format!("axis {a} is out of range for {ndim} dimensions"))
}

/// Per-axis depth `(before, after)`: an integer, a per-axis list, or an object
/// axis -> depth, each per-axis depth an integer or a pair `[before, after]`.
fn depths(v: Option<&Json>, ndim: usize) -> Result<Vec<(usize, usize)>, String> {
    let int = |x: &Json| {
        x.as_u64()
            .map(|d| d as usize)
            .ok_or_else(|| format!("a depth must be a non-negative integer, found {x}"))
    };
    let one = |x: &Json| match x {
        Json::Array(pair) if pair.len() == 2 => Ok((int(&pair[0])?, int(&pair[1])?)),
        Json::Array(_) => Err(format!(
            "an asymmetric depth is a pair [before, after], found {x}"
        )),
        x => int(x).map(|d| (d, d)),
    };
    match v {
        Some(Json::Array(items)) if items.len() == ndim => items.iter().map(one).collect(),
        Some(Json::Array(items)) => Err(format!(
            "depth has {} entries but the array has {ndim} axes",
            items.len()
        )),
        Some(Json::Object(map)) => {
            let mut out = vec![(0, 0); ndim];
            for (k, d) in map {
                out[object_axis(k, ndim)?] = one(d)?;
            }
            Ok(out)
        }
        Some(x) => Ok(vec![one(x)?; ndim]),
        None => Err("map_overlap needs a depth".into()),
    }
}

/// Per-axis boundary: one for all axes, or an object axis -> boundary (axes left
/// out have none).
fn boundaries(v: Option<&Json>, ndim: usize) -> Result<Vec<Boundary>, String> {
    match v {
        Some(Json::Object(map)) => {
            let mut out = vec![Boundary::None; ndim];
            for (k, b) in map {
                out[object_axis(k, ndim)?] = Boundary::parse(b)?;
            }
            Ok(out)
        }
        Some(x) => Ok(vec![Boundary::parse(x)?; ndim]),
        None => Err("map_overlap needs a boundary".into()),
    }
}

/// The contiguous runs of input positions that positions `start..stop` (which
/// may lie outside `0..n`) read under a reflecting or periodic boundary.
fn mapped_runs(start: i64, stop: i64, n: usize, boundary: Boundary) -> Vec<AxisSel> {
    let n = n as i64;
    let mut runs = Vec::new();
    let mut p = start;
    while p < stop {
        let (sel, len) = if boundary == Boundary::Periodic {
            let m = p.rem_euclid(n);
            let len = (n - m).min(stop - p);
            (AxisSel::span(m as usize, (m + len) as usize), len)
        } else {
            let m = p.rem_euclid(2 * n);
            if m < n {
                let len = (n - m).min(stop - p);
                (AxisSel::span(m as usize, (m + len) as usize), len)
            } else {
                let len = (2 * n - m).min(stop - p);
                let sel = AxisSel::Range {
                    start: (2 * n - 1 - m) as usize,
                    step: -1,
                    len: len as usize,
                };
                (sel, len)
            }
        };
        runs.push(sel);
        p += len;
    }
    runs
}

/// How one axis of one block is extended.
struct AxisPlan {
    /// Ghost cells wanted before and after the block.
    ghost: (usize, usize),
    /// Input positions read, in order (views of the input).
    runs: Vec<AxisSel>,
    /// Cells that the boundary rule makes before and after the data read.
    pad: (usize, usize),
}

fn plan_axis(
    (lo, hi): (usize, usize),
    n: usize,
    (before, after): (usize, usize),
    boundary: Boundary,
    trim: bool,
    block: (usize, usize),
) -> Result<AxisPlan, String> {
    if boundary == Boundary::None {
        let ghost = (before.min(lo), after.min(n - hi));
        if !trim {
            // The result's chunks promise `depth` cells on every inner side.
            let (i, count) = block;
            let want = (
                if i > 0 { before } else { 0 },
                if i + 1 < count { after } else { 0 },
            );
            if ghost != want {
                return Err(format!(
                    "block {i} ({lo}..{hi}) has fewer than ({before}, {after}) cells of neighbours \
                     before and after; with boundary \"none\" and trim false, rechunk to blocks \
                     of at least the depth"
                ));
            }
        }
        return Ok(AxisPlan {
            ghost,
            runs: vec![AxisSel::span(lo - ghost.0, hi + ghost.1)],
            pad: (0, 0),
        });
    }
    if before != after {
        return Err(format!(
            "an asymmetric depth ({before}, {after}) needs boundary \"none\""
        ));
    }
    let depth = before;
    let ghost = (depth, depth);
    let (start, stop) = (lo as i64 - depth as i64, (hi + depth) as i64);
    match boundary {
        Boundary::Reflect | Boundary::Periodic => {
            if n == 0 && depth > 0 {
                return Err("cannot extend an empty axis by reflection or wrapping".into());
            }
            Ok(AxisPlan {
                ghost,
                runs: mapped_runs(start, stop, n, boundary),
                pad: (0, 0),
            })
        }
        _ => {
            let (data_lo, data_hi) = (lo.saturating_sub(depth), (hi + depth).min(n));
            Ok(AxisPlan {
                ghost,
                runs: vec![AxisSel::span(data_lo, data_hi)],
                pad: (depth - (lo - data_lo), depth - (data_hi - hi)),
            })
        }
    }
}

/// Nests a flat row-major list into lists of the given shape (innermost first).
fn nest(leaves: Vec<TaskExpr>, shape: &[usize]) -> TaskExpr {
    let mut level = leaves;
    for &size in shape.iter().rev() {
        let mut next = Vec::with_capacity(level.len() / size.max(1));
        let mut items = level.into_iter();
        loop {
            let group: Vec<TaskExpr> = items.by_ref().take(size).collect();
            if group.is_empty() {
                break;
            }
            next.push(TaskExpr::List(group));
        }
        level = next;
    }
    level.pop().unwrap_or(TaskExpr::List(Vec::new()))
}

/// The offsets of an axis whose blocks are merged with their neighbours until each
/// is at least `depth` long (the last short run joins the block before it), as
/// Dask rechunks before `overlap`; the same offsets when every block is long enough.
fn merged_offsets(offsets: &[usize], depth: usize) -> Vec<usize> {
    let short = offsets.windows(2).any(|w| w[1] - w[0] < depth);
    if depth == 0 || !short {
        return offsets.to_vec();
    }
    let mut out = vec![offsets[0]];
    for &o in &offsets[1..] {
        if o - out[out.len() - 1] >= depth {
            out.push(o);
        }
    }
    let end = *offsets.last().expect("offsets start at 0");
    if out[out.len() - 1] != end {
        // The tail is shorter than the depth: it joins the block before it.
        if out.len() > 1 {
            out.pop();
        }
        out.push(end);
    }
    out
}

/// Where the ghost cells are read from: the input's blocks, or (when some block of
/// an overlapped axis is shorter than its depth) the input rechunked to blocks of at
/// least the depth, one helper task `["<name>-rechunk", i, ...]` per merged block.
struct Source {
    x: NodeIdx,
    /// The merged offsets per axis, when the input is rechunked.
    merged: Option<(String, Vec<Vec<usize>>)>,
}

impl Source {
    fn new(cx: &Lowerer<'_>, x: NodeIdx, node: NodeIdx, depth: &[(usize, usize)]) -> Source {
        let ndim = depth.len();
        let merged: Vec<Vec<usize>> = (0..ndim)
            .map(|a| merged_offsets(cx.offsets(x, a), depth[a].0.max(depth[a].1)))
            .collect();
        let changed = (0..ndim).any(|a| merged[a].len() != cx.offsets(x, a).len());
        Source {
            x,
            merged: changed.then(|| (format!("{}-rechunk", cx.name(node)), merged)),
        }
    }

    fn offsets<'a>(&'a self, cx: &'a Lowerer<'_>, axis: usize) -> &'a [usize] {
        match &self.merged {
            Some((_, merged)) => &merged[axis],
            None => cx.offsets(self.x, axis),
        }
    }

    /// The task of block `index` of the source, and its bounds.
    fn block(&self, cx: &mut Lowerer<'_>, index: &[usize]) -> (TaskId, Vec<(usize, usize)>) {
        match &self.merged {
            None => (cx.block(self.x, index), cx.block_bounds(self.x, index)),
            Some((name, merged)) => {
                let bounds: Vec<(usize, usize)> = index
                    .iter()
                    .enumerate()
                    .map(|(a, &i)| (merged[a][i], merged[a][i + 1]))
                    .collect();
                let x = self.x;
                let sels: Vec<AxisSel> = bounds
                    .iter()
                    .map(|&(lo, hi)| AxisSel::span(lo, hi))
                    .collect();
                let id = cx.helper(TaskKey::block(name, index), |cx| cx.region(x, &sels));
                (id, bounds)
            }
        }
    }
}

/// The input positions `runs` (per axis) as one array: views of every source
/// block they touch, assembled when there are several.
fn gather(cx: &mut Lowerer<'_>, source: &Source, runs: &[Vec<AxisSel>]) -> TaskExpr {
    match pieces(cx, source, runs) {
        Pieces::One(e) => e,
        Pieces::Grid(grid) => call(ASSEMBLE, vec![grid], Arc::default()),
    }
}

/// What [`pieces`] found: one expression, or a nested list of several.
enum Pieces {
    One(TaskExpr),
    Grid(TaskExpr),
}

impl Pieces {
    /// The pieces as the `correlate` kernel reads them: an array, or the grid.
    fn into_expr(self) -> TaskExpr {
        match self {
            Pieces::One(e) | Pieces::Grid(e) => e,
        }
    }
}

/// The input positions `runs` (per axis) as views of every source block they
/// touch: one, or a grid of them as nested lists (one level per axis, the layout
/// `chunk.assemble` joins).
fn pieces(cx: &mut Lowerer<'_>, source: &Source, runs: &[Vec<AxisSel>]) -> Pieces {
    let per_axis: Vec<Vec<(usize, AxisSel)>> = runs
        .iter()
        .enumerate()
        .map(|(axis, sels)| {
            let offsets = source.offsets(cx, axis);
            sels.iter().flat_map(|&s| axis_pieces(offsets, s)).collect()
        })
        .collect();
    if per_axis.iter().any(Vec::is_empty) {
        // Nothing to read on some axis: the (empty) region of the block itself.
        let sels: Vec<AxisSel> = runs
            .iter()
            .map(|r| r.first().copied().unwrap_or(AxisSel::span(0, 0)))
            .collect();
        return Pieces::One(cx.region(source.x, &sels));
    }
    let grid: Vec<usize> = per_axis.iter().map(Vec::len).collect();
    let total: usize = grid.iter().product();
    let mut leaves = Vec::with_capacity(total);
    let mut pos = vec![0usize; grid.len()];
    for _ in 0..total {
        let index: Vec<usize> = (0..grid.len()).map(|a| per_axis[a][pos[a]].0).collect();
        let local: Vec<AxisSel> = (0..grid.len()).map(|a| per_axis[a][pos[a]].1).collect();
        let (block, bounds) = source.block(cx, &index);
        let full = local
            .iter()
            .zip(&bounds)
            .all(|(s, (lo, hi))| s.is_full(hi - lo));
        leaves.push(if full {
            TaskExpr::Ref(block)
        } else {
            let entries: Vec<Json> = local.iter().map(AxisSel::to_index_json).collect();
            call(
                GETITEM,
                vec![TaskExpr::Ref(block)],
                kwargs(json!({ "index": entries })),
            )
        });
        for a in (0..grid.len()).rev() {
            pos[a] += 1;
            if pos[a] < grid[a] {
                break;
            }
            pos[a] = 0;
        }
    }
    if leaves.len() == 1 {
        return Pieces::One(leaves.pop().expect("one leaf"));
    }
    Pieces::Grid(nest(leaves, &grid))
}

/// Block `index` of a `map_overlap` node.
pub(super) fn block(
    cx: &mut Lowerer<'_>,
    node: NodeIdx,
    index: &[usize],
) -> Result<TaskExpr, String> {
    let x = match cx.node(node).args.first() {
        Some(ValidArg::Node(x)) if matches!(cx.node(*x).meta, Meta::Array(_)) => *x,
        _ => return Err("map_overlap takes one array argument".into()),
    };
    let n = cx.node(node);
    let attrs = &n.attrs;
    let func = attrs
        .get("fn")
        .and_then(Json::as_str)
        .ok_or("map_overlap needs a block function name in `fn`")?
        .to_string();
    let shape = cx.chunks(x).shape();
    let ndim = shape.len();
    let depth = depths(attrs.get("depth"), ndim)?;
    let boundary = boundaries(attrs.get("boundary"), ndim)?;
    let trim = attrs.get("trim").and_then(Json::as_bool).unwrap_or(true);
    let out_dtype = n.meta.as_array().map(|m| m.dtype);
    let in_dtype = cx.node(x).meta.as_array().map(|m| m.dtype);
    let mut fn_attrs: Map<String, Json> = attrs
        .iter()
        .filter(|(k, _)| !OWN_ATTRS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let numblocks = cx.chunks(x).numblocks();
    let bounds = cx.block_bounds(x, index);
    let plans: Vec<AxisPlan> = (0..ndim)
        .map(|a| {
            plan_axis(
                bounds[a],
                shape[a],
                depth[a],
                boundary[a],
                trim,
                (index[a], numblocks[a]),
            )
            .map_err(|e| format!("axis {a}: {e}"))
        })
        .collect::<Result<_, _>>()?;
    let runs: Vec<Vec<AxisSel>> = plans.iter().map(|p| p.runs.clone()).collect();
    let source = Source::new(cx, x, node, &depth);
    let modes: Vec<&str> = boundary.iter().map(|b| b.scipy_mode()).collect();
    let cvals: Vec<f64> = boundary.iter().map(|b| b.cval()).collect();
    let padded = |data: TaskExpr| {
        if plans.iter().all(|p| p.pad == (0, 0)) {
            return data;
        }
        let pads: Vec<[usize; 2]> = plans.iter().map(|p| [p.pad.0, p.pad.1]).collect();
        call(
            PAD,
            vec![data],
            kwargs(json!({"pad": pads, "mode": modes, "cval": cvals})),
        )
    };
    if func == CORRELATE {
        // The kernel reads the block and its neighbours' views in place (no
        // extended block is assembled), extends the array's edges itself (in
        // float64, as scipy) and computes only what trimming keeps. Untrimmed,
        // the edges are extended first, as for any block function.
        let unpadded = plans.iter().all(|p| p.pad == (0, 0));
        let input = if trim || unpadded {
            pieces(cx, &source, &runs).into_expr()
        } else {
            padded(gather(cx, &source, &runs))
        };
        let trims: Vec<[usize; 2]> = plans
            .iter()
            .map(|p| {
                if trim {
                    [p.ghost.0 - p.pad.0, p.ghost.1 - p.pad.1]
                } else {
                    [0, 0]
                }
            })
            .collect();
        fn_attrs.insert("mode".into(), json!(modes));
        fn_attrs.insert("cval".into(), json!(cvals));
        fn_attrs.insert("trim".into(), json!(trims));
        let out = call(CORRELATE, vec![input], Arc::new(fn_attrs));
        return Ok(match (out_dtype, in_dtype) {
            (Some(o), Some(i)) if o != i => {
                call("astype", vec![out], kwargs(json!({"dtype": o.name()})))
            }
            _ => out,
        });
    }
    let data = gather(cx, &source, &runs);
    let out = call(&func, vec![padded(data)], Arc::new(fn_attrs));
    if !trim || plans.iter().all(|p| p.ghost == (0, 0)) {
        return Ok(out);
    }
    let entries: Vec<Json> = plans
        .iter()
        .zip(&bounds)
        .map(|(p, (lo, hi))| json!([p.ghost.0, p.ghost.0 + (hi - lo), 1]))
        .collect();
    Ok(call(
        GETITEM,
        vec![out],
        kwargs(json!({ "index": entries })),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn positions(runs: &[AxisSel]) -> Vec<i64> {
        runs.iter()
            .flat_map(|r| match *r {
                AxisSel::Range { start, step, len } => (0..len as i64)
                    .map(move |i| start as i64 + i * step)
                    .collect::<Vec<_>>(),
                AxisSel::Pick(p) => vec![p as i64],
            })
            .collect()
    }

    #[test]
    fn reflect_is_half_sample_symmetric_with_period_2n() {
        // np.pad(arange(4), 5, mode="symmetric")
        let runs = mapped_runs(-5, 9, 4, Boundary::Reflect);
        assert_eq!(
            positions(&runs),
            vec![3, 3, 2, 1, 0, 0, 1, 2, 3, 3, 2, 1, 0, 0]
        );
        // Inside the axis it is one run.
        assert_eq!(
            mapped_runs(1, 3, 4, Boundary::Reflect),
            vec![AxisSel::span(1, 3)]
        );
    }

    #[test]
    fn short_blocks_merge_until_the_depth() {
        assert_eq!(merged_offsets(&[0, 4, 8, 12], 2), vec![0, 4, 8, 12]);
        assert_eq!(
            merged_offsets(&[0, 1, 2, 4, 7, 13], 2),
            vec![0, 2, 4, 7, 13]
        );
        assert_eq!(merged_offsets(&[0, 1, 2, 3, 4, 5], 3), vec![0, 5]);
        assert_eq!(merged_offsets(&[0, 3, 6, 7], 2), vec![0, 3, 7]);
        // An axis shorter than the depth is one block.
        assert_eq!(merged_offsets(&[0, 1, 2], 5), vec![0, 2]);
        assert_eq!(merged_offsets(&[0, 5, 6], 0), vec![0, 5, 6]);
    }

    #[test]
    fn periodic_wraps_around() {
        let runs = mapped_runs(-3, 6, 4, Boundary::Periodic);
        assert_eq!(positions(&runs), vec![1, 2, 3, 0, 1, 2, 3, 0, 1]);
        assert_eq!(runs.len(), 3);
    }

    #[test]
    fn depth_and_boundary_forms() {
        assert_eq!(depths(Some(&json!(2)), 3).unwrap(), vec![(2, 2); 3]);
        assert_eq!(
            depths(Some(&json!([1, 0])), 2).unwrap(),
            vec![(1, 1), (0, 0)]
        );
        assert_eq!(
            depths(Some(&json!({"-1": 3})), 2).unwrap(),
            vec![(0, 0), (3, 3)]
        );
        assert_eq!(
            depths(Some(&json!([[1, 2], 0])), 2).unwrap(),
            vec![(1, 2), (0, 0)]
        );
        assert_eq!(
            depths(Some(&json!({"0": [0, 3]})), 1).unwrap(),
            vec![(0, 3)]
        );
        assert!(depths(Some(&json!([[1, 2, 3]])), 1).is_err());
        assert!(depths(Some(&json!([1])), 2).is_err());
        assert!(depths(Some(&json!(-1)), 2).is_err());
        assert!(depths(None, 2).is_err());
        assert_eq!(
            boundaries(Some(&json!({"0": "periodic", "1": 2.5})), 3).unwrap(),
            vec![Boundary::Periodic, Boundary::Constant(2.5), Boundary::None]
        );
        assert!(boundaries(Some(&json!("wrap")), 1).is_err());
        assert!(boundaries(Some(&json!({"5": "none"})), 1).is_err());
    }

    #[test]
    fn axis_plans_at_edges_and_inside() {
        // Block 0..4 of an axis of 10, depth 2.
        let p = plan_axis((0, 4), 10, (2, 2), Boundary::Nearest, true, (0, 3)).unwrap();
        assert_eq!((p.ghost, p.pad), ((2, 2), (2, 0)));
        assert_eq!(p.runs, vec![AxisSel::span(0, 6)]);
        let p = plan_axis((0, 4), 10, (2, 2), Boundary::None, true, (0, 3)).unwrap();
        assert_eq!((p.ghost, p.pad), ((0, 2), (0, 0)));
        let p = plan_axis((4, 8), 10, (2, 2), Boundary::Constant(1.0), true, (1, 3)).unwrap();
        assert_eq!((p.ghost, p.pad), ((2, 2), (0, 0)));
        assert_eq!(p.runs, vec![AxisSel::span(2, 10)]);
        // A block shorter than the depth reaches past its neighbour.
        let p = plan_axis((1, 2), 10, (3, 3), Boundary::None, true, (1, 5)).unwrap();
        assert_eq!(p.ghost, (1, 3));
        assert!(plan_axis((1, 2), 10, (3, 3), Boundary::None, false, (1, 5)).is_err());
        let p = plan_axis((8, 10), 10, (2, 2), Boundary::Periodic, true, (2, 3)).unwrap();
        assert_eq!(positions(&p.runs), vec![6, 7, 8, 9, 0, 1]);
        assert!(plan_axis((0, 0), 0, (1, 1), Boundary::Reflect, true, (0, 1)).is_err());
        // Asymmetric depths: boundary "none" only.
        let p = plan_axis((4, 8), 10, (1, 2), Boundary::None, false, (1, 3)).unwrap();
        assert_eq!((p.ghost, p.runs), ((1, 2), vec![AxisSel::span(3, 10)]));
        assert!(plan_axis((4, 8), 10, (1, 2), Boundary::Reflect, true, (1, 3)).is_err());
    }
}
