//! The rows (lines along the last axis) of an array given as a grid of pieces — a
//! block and views of its neighbours — extended beyond its edges by a boundary mode,
//! built one at a time into a small cache, so a stencil reads its neighbourhood
//! without the extended block ever being assembled.

use ndarray::{ArcArray, Axis, IxDyn};

use super::boundary::Mode;
use crate::kernels::KernelError;
use crate::kernels::layout::cast::typed;
use crate::kernels::layout::regions::grid_leaves;
use crate::kernels::reduce::args::err;
use crate::value::{Array, Value};

/// An array as a grid of pieces (nested lists, one level per axis, the outer list
/// along axis 0, as `chunk.assemble` takes them), or one piece for a plain array.
pub(super) struct Grid {
    /// The whole array's shape.
    pub(super) shape: Vec<usize>,
    /// Per axis: where each piece starts, then the axis length.
    starts: Vec<Vec<usize>>,
    /// The pieces as float64, in C order of the grid.
    pieces: Vec<ArcArray<f64, IxDyn>>,
    /// The pieces' common dtype.
    pub(super) dtype: tessera_ir::DType,
}

impl Grid {
    /// One array as a grid of one piece.
    pub(super) fn single(x: &Array) -> Grid {
        Grid {
            shape: x.shape().to_vec(),
            starts: x.shape().iter().map(|&n| vec![0, n]).collect(),
            pieces: vec![typed::<f64>(x)],
            dtype: x.dtype(),
        }
    }

    /// The grid of `value`: an array, or nested lists of arrays whose nesting
    /// depth is their number of dimensions and whose sizes line up along each axis.
    pub(super) fn new(op: &str, value: &Value) -> Result<Grid, KernelError> {
        let Some((dims, leaves)) = grid_leaves(op, value)? else {
            return match value {
                Value::Array(a) => Ok(Grid::single(a)),
                other => Err(err(
                    op,
                    format!(
                        "argument 0: expected an array or a grid of arrays, got {}",
                        other.type_name()
                    ),
                )),
            };
        };
        let nd = dims.len();
        let dtype = leaves[0].dtype();
        for (i, leaf) in leaves.iter().enumerate() {
            if leaf.ndim() != nd {
                return Err(err(
                    op,
                    format!(
                        "piece {i} has {} dimensions in a grid nested {nd} deep",
                        leaf.ndim()
                    ),
                ));
            }
            if leaf.dtype() != dtype {
                return Err(err(
                    op,
                    format!("piece {i} is {} but piece 0 is {dtype}", leaf.dtype()),
                ));
            }
        }
        // Piece sizes along each axis, read off the first piece of each grid row;
        // every piece must agree with them.
        let strides: Vec<usize> = (0..nd).map(|a| dims[a + 1..].iter().product()).collect();
        let sizes: Vec<Vec<usize>> = (0..nd)
            .map(|a| {
                (0..dims[a])
                    .map(|i| leaves[i * strides[a]].shape()[a])
                    .collect()
            })
            .collect();
        for (n, leaf) in leaves.iter().enumerate() {
            for a in 0..nd {
                let i = (n / strides[a]) % dims[a];
                if leaf.shape()[a] != sizes[a][i] {
                    return Err(err(
                        op,
                        format!(
                            "piece {n} of shape {:?} does not line up with its grid row on axis {a} ({} long)",
                            leaf.shape(),
                            sizes[a][i]
                        ),
                    ));
                }
            }
        }
        let starts: Vec<Vec<usize>> = sizes
            .iter()
            .map(|s| {
                let mut acc = 0;
                let mut v: Vec<usize> = s
                    .iter()
                    .map(|&x| {
                        let start = acc;
                        acc += x;
                        start
                    })
                    .collect();
                v.push(acc);
                v
            })
            .collect();
        Ok(Grid {
            shape: starts.iter().map(|s| s[s.len() - 1]).collect(),
            starts,
            pieces: leaves.iter().map(|a| typed::<f64>(a)).collect(),
            dtype,
        })
    }

    /// The piece along `axis` that holds position `p`, and `p` within it.
    fn locate(&self, axis: usize, p: usize) -> (usize, usize) {
        let s = &self.starts[axis];
        // The last start <= p, skipping empty pieces.
        let i = s.partition_point(|&x| x <= p).saturating_sub(1);
        (i, p - s[i])
    }
}

/// The array's lines (rows along the last axis), extended by `need[a] = (before,
/// after)` positions on each axis by `modes[a]`, as `boundary::pad` extends it;
/// each built line is kept in a small least-recently-used cache.
pub(super) struct Lines<'a> {
    grid: &'a Grid,
    need: &'a [(usize, usize)],
    modes: &'a [Mode],
    /// The extended line length.
    width: usize,
    /// Cached lines: their extended leading coordinates and last use.
    keys: Vec<Option<(Vec<usize>, u64)>>,
    slots: Vec<Vec<f64>>,
    clock: u64,
    /// Scratch: the piece and the position in it on each leading axis.
    piece: Vec<usize>,
    local: Vec<usize>,
}

impl<'a> Lines<'a> {
    /// Lines of `grid` extended by `need` with `modes`, caching `capacity` lines
    /// (at least the number needed at once, so none is evicted while in use).
    pub(super) fn new(
        grid: &'a Grid,
        need: &'a [(usize, usize)],
        modes: &'a [Mode],
        capacity: usize,
    ) -> Lines<'a> {
        let nd = grid.shape.len();
        let (lo, hi) = need[nd - 1];
        let width = grid.shape[nd - 1] + lo + hi;
        let capacity = capacity.max(1);
        Lines {
            grid,
            need,
            modes,
            width,
            keys: vec![None; capacity],
            slots: vec![Vec::new(); capacity],
            clock: 0,
            piece: vec![0; nd - 1],
            local: vec![0; nd - 1],
        }
    }

    /// The slot holding the extended line at leading coordinates `lead` (in the
    /// extended array), building it if it is not cached; the least recently used
    /// slot is rebuilt, so the last `capacity` lines asked for stay valid.
    pub(super) fn get(&mut self, lead: &[usize]) -> usize {
        self.clock += 1;
        if let Some(i) = self
            .keys
            .iter()
            .position(|k| matches!(k, Some((key, _)) if key.as_slice() == lead))
        {
            if let Some((_, used)) = &mut self.keys[i] {
                *used = self.clock;
            }
            return i;
        }
        let victim = (0..self.keys.len())
            .min_by_key(|&i| self.keys[i].as_ref().map_or(0, |(_, used)| *used))
            .expect("at least one slot");
        let mut line = std::mem::take(&mut self.slots[victim]);
        line.resize(self.width, 0.0);
        self.build(lead, &mut line);
        self.slots[victim] = line;
        self.keys[victim] = Some((lead.to_vec(), self.clock));
        victim
    }

    /// The line in slot `i` (from [`Lines::get`]).
    pub(super) fn slot(&self, i: usize) -> &[f64] {
        &self.slots[i]
    }

    /// Writes the extended line at leading coordinates `lead` into `line`.
    fn build(&mut self, lead: &[usize], line: &mut [f64]) {
        let grid = self.grid;
        let nd = grid.shape.len();
        let last = nd - 1;
        // The source position on each leading axis; a constant-filled position
        // makes the whole line that constant (the last such axis wins, as when
        // the axes are extended one after the other).
        let mut constant = None;
        for (a, &p) in lead.iter().enumerate().take(last) {
            let e = p as i64 - self.need[a].0 as i64;
            match (self.modes[a].source(e, grid.shape[a]), self.modes[a]) {
                (Some(s), _) => (self.piece[a], self.local[a]) = grid.locate(a, s),
                (None, Mode::Constant(c)) => constant = Some(c),
                // Only the constant mode has positions without a source.
                (None, _) => {}
            }
        }
        let (lo, n) = (self.need[last].0, grid.shape[last]);
        let core = &mut line[lo..lo + n];
        match constant {
            Some(c) => core.fill(c),
            None => {
                let columns = grid.starts[last].len() - 1;
                let mut flat = 0;
                for a in 0..last {
                    flat = flat * (grid.starts[a].len() - 1) + self.piece[a];
                }
                flat *= columns;
                for q in 0..columns {
                    let (start, stop) = (grid.starts[last][q], grid.starts[last][q + 1]);
                    if start == stop {
                        continue;
                    }
                    let mut lane = grid.pieces[flat + q].view();
                    for &i in &self.local {
                        lane = lane.index_axis_move(Axis(0), i);
                    }
                    let out = &mut core[start..stop];
                    match lane.as_slice() {
                        Some(s) => out.copy_from_slice(s),
                        None => out.iter_mut().zip(lane.iter()).for_each(|(o, &v)| *o = v),
                    }
                }
            }
        }
        // The last axis' own extension reads the line.
        let mode = self.modes[last];
        let hi = self.need[last].1;
        for k in (0..lo).chain(lo + n..lo + n + hi) {
            line[k] = match (mode.source(k as i64 - lo as i64, n), mode) {
                (Some(s), _) => line[lo + s],
                (None, Mode::Constant(c)) => c,
                // Only the constant mode has positions without a source.
                (None, _) => f64::NAN,
            };
        }
    }
}
