//! The `fused` kernels: a chain of elementwise ops (and optionally a reduction)
//! evaluated over one block in cache-sized tiles, as numexpr does, so that no
//! intermediate ever has the size of the block.
//!
//! The program is compiled once per task ([`program`]); the output is walked in
//! tiles of [`TILE`] elements (C order). For each tile every input is read as a
//! 1-D tile ([`gather`]: a view when the input is contiguous, a tile-sized copy of
//! a strided or broadcast input otherwise), then each step runs the very kernel of
//! the unfused op on tiles, so dtypes, NumPy 2 promotion, weak scalars and
//! special values are exactly those of the unfused ops; contiguous `f64` tiles
//! take the vectorized math of [`super::elementwise::math`].
//!
//! - `fused(*inputs; program)` gives the elementwise result; with a `reduce`
//!   attribute it gives the reduced result, as the op would.
//! - `fused-partial(*inputs; program, reduce)` gives the `<op>-partial` of the
//!   reduction of the block (`reduce.axis`: the reduced axes, normalized), which
//!   the existing `<op>-combine` / `<op>-finalize` kernels take. When every axis is
//!   reduced, each tile gives a partial and the tiles' partials are combined (the
//!   pairwise sum over tiles of pairwise sums within them); otherwise the block is
//!   cut along its kept axes into slabs of about a tile (the reduced axes whole),
//!   each slab evaluated and reduced by `<op>-partial` (a slab bigger than a tile,
//!   when the reduced axes alone exceed one, reduces tile by tile as above), and
//!   the slabs' partials are assembled: no intermediate has the block's size.

mod gather;
mod program;

use std::borrow::Cow;
use std::rc::Rc;

use ndarray::{ArcArray, IxDyn, Slice};
use serde_json::{Map, Value as Json, json};

use crate::kernels::KernelError;
use crate::kernels::KernelFn;
use crate::kernels::layout::cast::{cast, from_vec};
use crate::value::{Array, Value};
use gather::Source;
use program::{Program, Src, compile, kernel};

type Kwargs = Map<String, Json>;

/// Elements per tile: 4 K values (32 KiB of `f64`), so a step's operands and
/// result stay in the L1/L2 cache.
pub const TILE: usize = 4096;

/// The fused kernels: `(name, signature, function)`.
pub fn kernels() -> Vec<(&'static str, &'static str, KernelFn)> {
    vec![
        (
            "fused",
            "fused(*inputs, program, reduce=None) -> array",
            fused as KernelFn,
        ),
        (
            "fused-partial",
            "fused-partial(*inputs, program, reduce) -> partial of the reduction",
            fused_partial as KernelFn,
        ),
    ]
}

fn err(message: impl std::fmt::Display) -> KernelError {
    KernelError::new(format!("fused: {message}"))
}

/// The reduction of a fused call: op name and the kwargs of its kernels.
struct Reduction {
    op: String,
    kwargs: Kwargs,
}

fn reduction(kwargs: &Kwargs) -> Result<Option<Reduction>, KernelError> {
    match kwargs.get("reduce") {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Object(r)) => {
            let op = r
                .get("op")
                .and_then(Json::as_str)
                .ok_or_else(|| err("reduce needs an op"))?
                .to_owned();
            let kwargs = r
                .iter()
                .filter(|(k, _)| k.as_str() != "op")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            Ok(Some(Reduction { op, kwargs }))
        }
        Some(other) => Err(err(format!(
            "reduce must be null or an object, not {other}"
        ))),
    }
}

fn fused(args: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let task = Task::new(args, kwargs)?;
    let Some(red) = reduction(kwargs)? else {
        return task.evaluate().map(Value::Array);
    };
    // The whole reduction: the partial over the normalized axes, then finalize.
    let ndim = task.shape.len();
    let axes = normalized_axes(red.kwargs.get("axis"), ndim)?;
    let mut pk = red.kwargs.clone();
    pk.insert("axis".into(), json!(axes));
    pk.remove("keepdims");
    let partial = task.partial(&red.op, &pk)?;
    let mut fk = pk;
    fk.insert(
        "keepdims".into(),
        red.kwargs.get("keepdims").cloned().unwrap_or(json!(false)),
    );
    kernel(&format!("{}-finalize", red.op))?(&[partial], &fk)
}

fn fused_partial(args: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let task = Task::new(args, kwargs)?;
    let red = reduction(kwargs)?.ok_or_else(|| err("fused-partial needs a reduce"))?;
    task.partial(&red.op, &red.kwargs)
}

fn normalized_axes(axis: Option<&Json>, ndim: usize) -> Result<Vec<usize>, KernelError> {
    let list: Vec<i64> = match axis {
        None | Some(Json::Null) => return Ok((0..ndim).collect()),
        Some(Json::Array(a)) => a.iter().filter_map(Json::as_i64).collect(),
        Some(v) => vec![v.as_i64().ok_or_else(|| err("axis must be integers"))?],
    };
    let mut axes = Vec::with_capacity(list.len());
    for a in list {
        let n = i64::try_from(ndim).unwrap_or(i64::MAX);
        let norm = if a < 0 { a + n } else { a };
        if !(0..n).contains(&norm) {
            return Err(err(format!("axis {a} is out of range for {ndim} axes")));
        }
        axes.push(norm as usize);
    }
    axes.sort_unstable();
    axes.dedup();
    Ok(axes)
}

/// One task: the compiled program, its inputs and the output shape.
struct Task<'a> {
    program: Rc<Program>,
    args: Cow<'a, [Value]>,
    sources: Vec<Option<Source>>,
    consts: Vec<Array>,
    shape: Vec<usize>,
}

impl<'a> Task<'a> {
    fn new(args: &'a [Value], kwargs: &Kwargs) -> Result<Task<'a>, KernelError> {
        let program = compile(kwargs.get("program").unwrap_or(&Json::Null))?;
        let mut shapes: Vec<&[usize]> = Vec::new();
        for &i in &program.used_inputs {
            match args.get(i) {
                Some(Value::Array(a)) => shapes.push(a.shape()),
                Some(Value::Int(_) | Value::Float(_) | Value::Bool(_)) => {}
                Some(other) => {
                    return Err(err(format!(
                        "input {i} must be an array or a number, got {}",
                        other.type_name()
                    )));
                }
                None => return Err(err(format!("input {i} is missing"))),
            }
        }
        for c in &program.consts {
            shapes.push(&c.shape);
        }
        let shape = broadcast_shapes(&shapes)?;
        let mut sources = vec![None; args.len()];
        for &i in &program.used_inputs {
            if let Value::Array(a) = &args[i] {
                sources[i] = Some(Source::new(a, &shape)?);
            }
        }
        let len = shape.iter().product::<usize>().clamp(1, TILE);
        let consts = program
            .consts
            .iter()
            .map(|c| constant(&c.fill, c.dtype, len))
            .collect::<Result<_, _>>()?;
        Ok(Task {
            program: Rc::new(program),
            args: Cow::Borrowed(args),
            sources,
            consts,
            shape,
        })
    }

    /// Tiles `(start, end)` covering the output (one empty tile for an empty one,
    /// so that dtypes are still known).
    fn tiles(&self) -> impl Iterator<Item = (usize, usize)> + use<> {
        let n: usize = self.shape.iter().product();
        let count = n.div_ceil(TILE).max(1);
        (0..count).map(move |t| (t * TILE, ((t + 1) * TILE).min(n)))
    }

    /// The program's result on elements `start..end`, as a 1-D array.
    fn tile(&self, start: usize, end: usize) -> Result<Array, KernelError> {
        let len = end - start;
        let mut regs: Vec<Option<Value>> = vec![None; self.program.instrs.len()];
        let mut tiles: Vec<Option<Value>> = vec![None; self.args.len()];
        let mut operands: Vec<Value> = Vec::with_capacity(3);
        for (k, instr) in self.program.instrs.iter().enumerate() {
            operands.clear();
            for a in &instr.args {
                operands.push(match a {
                    Src::Input(i) => match &self.sources[*i] {
                        Some(src) => tiles[*i]
                            .get_or_insert_with(|| Value::Array(src.tile(&self.shape, start, end)))
                            .clone(),
                        None => self.args[*i].clone(),
                    },
                    Src::Reg(r) => regs[*r]
                        .clone()
                        .ok_or_else(|| err("internal: freed register"))?,
                    Src::Value(v) => v.clone(),
                    Src::Const(c) => {
                        Value::Array(crate::map_array!(self.consts[*c].clone(), x => {
                            x.slice_axis_move(ndarray::Axis(0), ndarray::Slice::from(0..len))
                        }))
                    }
                });
            }
            let out = (instr.kernel)(&operands, &instr.attrs)
                .map_err(|e| err(format!("step {k} ({}): {e}", instr.name)))?;
            for &r in &instr.frees {
                regs[r] = None;
            }
            regs[k] = Some(out);
        }
        let result = regs.pop().flatten().ok_or_else(|| err("empty program"))?;
        let Value::Array(a) = result else {
            return Err(err(format!("the result is a {}", result.type_name())));
        };
        if a.len() == len && a.ndim() == 1 {
            return Ok(a);
        }
        // A result of scalars only (0-d) spread over the tile.
        if a.len() == 1 {
            return Ok(crate::map_array!(a, x => {
                let v = *x.iter().next().expect("one element");
                ArcArray::from_elem(IxDyn(&[len]), v)
            }));
        }
        Err(err(format!(
            "internal: a tile of {len} elements gave shape {:?}",
            a.shape()
        )))
    }

    /// The elementwise result of the block, assembled from its tiles.
    fn evaluate(&self) -> Result<Array, KernelError> {
        let n: usize = self.shape.iter().product();
        if n <= TILE {
            // One tile: its result is the block (reshaped, not copied).
            let t = self.tile(0, n)?;
            return Ok(crate::map_array!(t, x => x
                .into_shape_with_order(IxDyn(&self.shape))
                .map_err(|e| err(format!("internal: result shape: {e}")))?));
        }
        let mut out: Option<OutBuf> = None;
        for (start, end) in self.tiles() {
            let t = self.tile(start, end)?;
            out.get_or_insert_with(|| OutBuf::new(&t, n)).push(&t)?;
        }
        out.ok_or_else(|| err("no tile"))?.finish(&self.shape)
    }

    /// The task restricted to the region `lo..hi` of its output: every array
    /// input cut to the part it broadcasts onto (its length-1 axes kept whole).
    fn region(&self, lo: &[usize], hi: &[usize]) -> Result<Task<'static>, KernelError> {
        let shape: Vec<usize> = lo.iter().zip(hi).map(|(l, h)| h - l).collect();
        let ndim = self.shape.len();
        let args: Vec<Value> = self
            .args
            .iter()
            .map(|v| match v {
                Value::Array(a) => {
                    let lead = ndim - a.ndim();
                    Value::Array(crate::map_array!(a.clone(), x => {
                        let mut x = x;
                        for axis in 0..x.ndim() {
                            let out = lead + axis;
                            if x.shape()[axis] == self.shape[out] {
                                x.slice_axis_inplace(ndarray::Axis(axis), Slice::from(lo[out]..hi[out]));
                            }
                        }
                        x
                    }))
                }
                other => other.clone(),
            })
            .collect();
        let mut sources = vec![None; args.len()];
        for &i in &self.program.used_inputs {
            if let Value::Array(a) = &args[i] {
                sources[i] = Some(Source::new(a, &shape)?);
            }
        }
        Ok(Task {
            program: self.program.clone(),
            args: Cow::Owned(args),
            sources,
            consts: self.consts.clone(),
            shape,
        })
    }

    /// The `<op>-partial` of the reduction of the block over `kwargs.axis`.
    fn partial(&self, op: &str, kwargs: &Kwargs) -> Result<Value, KernelError> {
        let ndim = self.shape.len();
        let axes = normalized_axes(kwargs.get("axis"), ndim)?;
        let partial_fn = kernel(&format!("{op}-partial"))?;
        let n: usize = self.shape.iter().product();
        let kept_are_ones = (0..ndim).all(|a| axes.contains(&a) || self.shape[a] == 1);
        if !kept_are_ones {
            if n == 0 {
                // An empty block keeping an axis longer than 1 (or empty): the
                // unfused partial of its empty result has the kept axes' shape.
                let mut k = kwargs.clone();
                k.insert("axis".into(), json!(axes));
                return partial_fn(&[Value::Array(self.evaluate()?)], &k);
            }
            return self.partial_by_slabs(op, kwargs, &axes);
        }
        if axes.len() < ndim {
            // Kept axes of length 1 (or an empty block): reducing them too changes
            // nothing but the axes named, which `reshape_partial` restores.
            let mut all = kwargs.clone();
            all.insert("axis".into(), json!((0..ndim).collect::<Vec<_>>()));
            return self.partial(op, &all);
        }
        let mut k = kwargs.clone();
        k.insert("axis".into(), json!([0]));
        let mut parts = Vec::new();
        for (start, end) in self.tiles() {
            let t = self.tile(start, end)?;
            parts.push(partial_fn(&[Value::Array(t)], &k)?);
        }
        let combined = if parts.len() == 1 {
            parts.pop().expect("one partial")
        } else {
            kernel(&format!("{op}-combine"))?(&[Value::List(parts.into())], &k)?
        };
        reshape_partial(combined, ndim)
    }
}

impl Task<'_> {
    /// The partial over `axes` (some kept axis longer than 1), slab by slab: the
    /// block cut along its kept axes into slabs of about [`TILE`] elements (the
    /// reduced axes whole), each slab's partial computed, then the partials
    /// assembled in the block's layout (reduced axes of length 1).
    fn partial_by_slabs(
        &self,
        op: &str,
        kwargs: &Kwargs,
        axes: &[usize],
    ) -> Result<Value, KernelError> {
        let slab = slab_shape(&self.shape, axes);
        let ndim = self.shape.len();
        let counts: Vec<usize> = (0..ndim).map(|a| self.shape[a].div_ceil(slab[a])).collect();
        let total: usize = counts.iter().product();
        let mut k = kwargs.clone();
        k.insert("axis".into(), json!(axes));
        let partial_fn = kernel(&format!("{op}-partial"))?;
        let mut parts = Vec::with_capacity(total);
        let mut pos = vec![0usize; ndim];
        for _ in 0..total {
            let lo: Vec<usize> = (0..ndim).map(|a| pos[a] * slab[a]).collect();
            let hi: Vec<usize> = (0..ndim)
                .map(|a| (lo[a] + slab[a]).min(self.shape[a]))
                .collect();
            let sub = self.region(&lo, &hi)?;
            // A slab is within a tile (one tile's evaluation), or keeps one
            // position of every kept axis and reduces tile by tile.
            let part = if (0..ndim).all(|a| axes.contains(&a) || sub.shape[a] == 1) {
                sub.partial(op, &k)?
            } else {
                partial_fn(&[Value::Array(sub.evaluate()?)], &k)?
            };
            parts.push(part);
            for a in (0..ndim).rev() {
                pos[a] += 1;
                if pos[a] < counts[a] {
                    break;
                }
                pos[a] = 0;
            }
        }
        assemble_partials(parts, &counts)
    }
}

/// The shape of the slabs a block is cut into for a reduction over `axes`: the
/// reduced axes whole; kept axes, innermost first, as long as the slab stays
/// within [`TILE`] elements (or one position, when the reduced axes alone exceed
/// it), the axes outside the first one cut to length 1.
fn slab_shape(shape: &[usize], axes: &[usize]) -> Vec<usize> {
    let reduced: usize = axes.iter().map(|&a| shape[a]).product();
    let budget = TILE.max(reduced);
    let mut slab: Vec<usize> = (0..shape.len())
        .map(|a| if axes.contains(&a) { shape[a] } else { 1 })
        .collect();
    let mut size = reduced.max(1);
    for a in (0..shape.len()).rev() {
        if axes.contains(&a) {
            continue;
        }
        let take = (budget / size).clamp(1, shape[a].max(1));
        slab[a] = take;
        size *= take;
        if take < shape[a] {
            break;
        }
    }
    slab
}

/// Partials of a grid of slabs (row-major, `counts` per axis) as one partial: an
/// array, or a tuple of arrays, each assembled by `chunk.assemble`.
fn assemble_partials(parts: Vec<Value>, counts: &[usize]) -> Result<Value, KernelError> {
    let assemble = kernel("chunk.assemble")?;
    let grid = |items: Vec<Value>| -> Result<Value, KernelError> {
        let nested = nest(items, counts);
        assemble(&[nested], &Kwargs::new())
    };
    match parts.first() {
        Some(Value::Tuple(first)) => {
            let width = first.len();
            let mut columns: Vec<Vec<Value>> = vec![Vec::with_capacity(parts.len()); width];
            for p in parts {
                let Value::Tuple(items) = p else {
                    return Err(err("internal: partials of different kinds"));
                };
                for (c, v) in columns.iter_mut().zip(items.iter()) {
                    c.push(v.clone());
                }
            }
            let assembled = columns
                .into_iter()
                .map(grid)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::Tuple(assembled.into()))
        }
        _ => grid(parts),
    }
}

/// A row-major list as nested lists of `counts` per level.
fn nest(mut items: Vec<Value>, counts: &[usize]) -> Value {
    for &c in counts.iter().skip(1).rev() {
        let mut level = Vec::with_capacity(items.len() / c.max(1));
        let mut it = items.into_iter();
        loop {
            let group: Vec<Value> = it.by_ref().take(c).collect();
            if group.is_empty() {
                break;
            }
            level.push(Value::List(group.into()));
        }
        items = level;
    }
    Value::List(items.into())
}

/// A 1-D array of `len` elements equal to `fill` cast to `dtype`.
fn constant(fill: &Value, dtype: tessera_ir::DType, len: usize) -> Result<Array, KernelError> {
    let base = match fill {
        Value::Bool(b) => from_vec(&[len], vec![*b; len]),
        Value::Int(i) => from_vec(&[len], vec![*i; len]),
        Value::Float(f) => from_vec(&[len], vec![*f; len]),
        other => return Err(err(format!("a constant of {}", other.type_name()))),
    }
    .ok_or_else(|| err("internal: constant"))?;
    Ok(cast(&base, dtype))
}

/// The arrays of a partial (an array, or a tuple of arrays) reshaped to `ndim`
/// axes of length 1.
fn reshape_partial(p: Value, ndim: usize) -> Result<Value, KernelError> {
    let shape = vec![1usize; ndim];
    let one = |v: &Value| -> Result<Value, KernelError> {
        match v {
            Value::Array(a) => Ok(Value::Array(crate::map_array!(a.clone(), x => x
                .into_shape_with_order(IxDyn(&shape))
                .map_err(|e| err(format!("internal: partial shape: {e}")))?))),
            other => Ok(other.clone()),
        }
    };
    match &p {
        Value::Tuple(items) => Ok(Value::Tuple(
            items.iter().map(one).collect::<Result<Vec<_>, _>>()?.into(),
        )),
        Value::List(items) => Ok(Value::List(
            items.iter().map(one).collect::<Result<Vec<_>, _>>()?.into(),
        )),
        _ => one(&p),
    }
}

/// NumPy broadcasting of shapes.
fn broadcast_shapes(shapes: &[&[usize]]) -> Result<Vec<usize>, KernelError> {
    let ndim = shapes.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out = vec![1usize; ndim];
    for s in shapes {
        let lead = ndim - s.len();
        for (a, &n) in s.iter().enumerate() {
            let o = &mut out[lead + a];
            if *o == 1 {
                *o = n;
            } else if n != 1 && n != *o {
                return Err(err(format!(
                    "operands could not be broadcast together with shapes {shapes:?}"
                )));
            }
        }
    }
    Ok(out)
}

/// The output of a block being filled tile by tile.
enum OutBuf {
    F64(Vec<f64>),
    F32(Vec<f32>),
    I64(Vec<i64>),
    I32(Vec<i32>),
    Bool(Vec<bool>),
}

impl OutBuf {
    fn new(first: &Array, n: usize) -> OutBuf {
        match first {
            Array::F64(_) => OutBuf::F64(Vec::with_capacity(n)),
            Array::F32(_) => OutBuf::F32(Vec::with_capacity(n)),
            Array::I64(_) => OutBuf::I64(Vec::with_capacity(n)),
            Array::I32(_) => OutBuf::I32(Vec::with_capacity(n)),
            Array::Bool(_) => OutBuf::Bool(Vec::with_capacity(n)),
        }
    }

    fn push(&mut self, t: &Array) -> Result<(), KernelError> {
        fn ext<T: Copy>(v: &mut Vec<T>, t: &ArcArray<T, IxDyn>) {
            match t.as_slice() {
                Some(s) => v.extend_from_slice(s),
                None => v.extend(t.iter().copied()),
            }
        }
        match (self, t) {
            (OutBuf::F64(v), Array::F64(t)) => ext(v, t),
            (OutBuf::F32(v), Array::F32(t)) => ext(v, t),
            (OutBuf::I64(v), Array::I64(t)) => ext(v, t),
            (OutBuf::I32(v), Array::I32(t)) => ext(v, t),
            (OutBuf::Bool(v), Array::Bool(t)) => ext(v, t),
            _ => return Err(err("internal: tiles of different dtypes")),
        }
        Ok(())
    }

    fn finish(self, shape: &[usize]) -> Result<Array, KernelError> {
        match self {
            OutBuf::F64(v) => from_vec(shape, v),
            OutBuf::F32(v) => from_vec(shape, v),
            OutBuf::I64(v) => from_vec(shape, v),
            OutBuf::I32(v) => from_vec(shape, v),
            OutBuf::Bool(v) => from_vec(shape, v),
        }
        .ok_or_else(|| err("internal: output length"))
    }
}

#[cfg(test)]
mod tests;
