//! The block function `correlate`: `scipy.ndimage.correlate` on one array (a block
//! with its ghost cells, or the grid of the block and its neighbours' pieces, read in
//! place line by line), computing only the part that survives trimming, so the ghost
//! cells cost reads but no work and no extended block is assembled.

use ndarray::IxDyn;
use serde_json::Value as Json;
use tessera_ir::DType;

use super::boundary::{Mode, modes, pairs};
use super::lines::{Grid, Lines};
use crate::kernels::KernelError;
use crate::kernels::layout::cast::{Element, typed};
use crate::kernels::layout::reshape::reshape_array;
use crate::kernels::reduce::args::{self, Kwargs, err};
use crate::value::{Array, Value};

/// Weights whose magnitude is at most this are skipped, as scipy does (so a NaN
/// under a zero weight does not spread).
const NEGLIGIBLE: f64 = f64::EPSILON;

/// A nested JSON list of numbers as (shape, row-major values).
fn nested(op: &str, v: &Json) -> Result<(Vec<usize>, Vec<f64>), KernelError> {
    let mut shape = Vec::new();
    let mut probe = v;
    while let Json::Array(items) = probe {
        shape.push(items.len());
        match items.first() {
            Some(first) => probe = first,
            None => break,
        }
    }
    let mut values = Vec::with_capacity(shape.iter().product());
    let mut stack = vec![(v, 0usize)];
    while let Some((item, depth)) = stack.pop() {
        match item {
            Json::Array(items) if depth < shape.len() && items.len() == shape[depth] => {
                stack.extend(items.iter().rev().map(|x| (x, depth + 1)));
            }
            Json::Number(x) if depth == shape.len() => values.push(x.as_f64().unwrap_or(f64::NAN)),
            Json::Bool(b) if depth == shape.len() => values.push(f64::from(u8::from(*b))),
            _ => {
                return Err(err(
                    op,
                    format!(
                        "`weights` must be a regular nested list of numbers, found {item} at depth {depth}"
                    ),
                ));
            }
        }
    }
    Ok((shape, values))
}

/// The weights: a second positional array, or the `weights` attribute.
fn weights(
    op: &str,
    values: &[Value],
    kwargs: &Kwargs,
) -> Result<(Vec<usize>, Vec<f64>), KernelError> {
    if values.len() == 2 {
        let w = args::array(op, values, 1)?;
        let t = typed::<f64>(&w);
        return Ok((w.shape().to_vec(), t.iter().copied().collect()));
    }
    match kwargs.get("weights") {
        Some(v) => nested(op, v),
        None => Err(err(op, "missing attribute `weights`")),
    }
}

/// Output positions computed at once along a row: the partial sums stay in L1.
const TILE: usize = 512;

/// Adds the taps `(position, weight)` of one weight row to a run of partial sums,
/// in tap order (scipy's summation order, so results agree to the last bit).
fn accumulate(acc: &mut [f64], inp: &[f64], taps: &[(usize, f64)]) {
    let n = acc.len();
    match *taps {
        [(b0, w0), (b1, w1), (b2, w2)] => {
            let (x0, x1, x2) = (&inp[b0..b0 + n], &inp[b1..b1 + n], &inp[b2..b2 + n]);
            for (((o, &a), &b), &c) in acc.iter_mut().zip(x0).zip(x1).zip(x2) {
                let mut s = *o;
                s += w0 * a;
                s += w1 * b;
                s += w2 * c;
                *o = s;
            }
        }
        _ => {
            for &(b, w) in taps {
                for (o, &a) in acc.iter_mut().zip(&inp[b..b + n]) {
                    *o += w * a;
                }
            }
        }
    }
}

/// Three rows of three taps each (the 3×3 stencil): every output position summed
/// in one pass, in the same order as [`accumulate`] row after row. Compiled for
/// AVX2 too, chosen at run time; neither version fuses multiply and add, so both
/// give scipy's bits.
fn accumulate_3x3(acc: &mut [f64], rows: [&[f64]; 3], taps: [&[(usize, f64)]; 3]) {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2")]
        fn avx2(acc: &mut [f64], rows: [&[f64]; 3], taps: [&[(usize, f64)]; 3]) {
            sum_3x3(acc, rows, taps);
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: `avx2` only requires the CPU to support AVX2, checked above.
            return unsafe { avx2(acc, rows, taps) };
        }
    }
    sum_3x3(acc, rows, taps);
}

/// The body of [`accumulate_3x3`].
#[inline(always)]
fn sum_3x3(acc: &mut [f64], rows: [&[f64]; 3], taps: [&[(usize, f64)]; 3]) {
    let n = acc.len();
    let lane = |r: usize, t: usize| {
        let (b, w) = taps[r][t];
        (&rows[r][b..b + n], w)
    };
    let ((a0, w0), (a1, w1), (a2, w2)) = (lane(0, 0), lane(0, 1), lane(0, 2));
    let ((b0, v0), (b1, v1), (b2, v2)) = (lane(1, 0), lane(1, 1), lane(1, 2));
    let ((c0, u0), (c1, u1), (c2, u2)) = (lane(2, 0), lane(2, 1), lane(2, 2));
    for k in 0..n {
        let mut s = 0.0;
        s += w0 * a0[k];
        s += w1 * a1[k];
        s += w2 * a2[k];
        s += v0 * b0[k];
        s += v1 * b1[k];
        s += v2 * b2[k];
        s += u0 * c0[k];
        s += u1 * c1[k];
        s += u2 * c2[k];
        acc[k] = s;
    }
}

/// One weight row with a non-negligible tap: its position in the weights' leading
/// axes and its taps `(position along the last axis, weight)`.
struct Group {
    row: Vec<usize>,
    taps: Vec<(usize, f64)>,
}

/// The taps of `w` (of shape `wshape`, C order) grouped by weight row, in C order,
/// weights of magnitude at most [`NEGLIGIBLE`] left out.
fn groups(w: &[f64], wshape: &[usize]) -> Vec<Group> {
    let nd = wshape.len();
    let kw = wshape[nd - 1];
    let lead = &wshape[..nd - 1];
    let mut out = Vec::new();
    let mut j = vec![0usize; nd - 1];
    for r in 0..lead.iter().product::<usize>() {
        let taps: Vec<(usize, f64)> = (0..kw)
            .map(|b| (b, w[r * kw + b]))
            .filter(|(_, x)| x.abs() > NEGLIGIBLE || x.is_nan())
            .collect();
        if !taps.is_empty() {
            out.push(Group {
                row: j.clone(),
                taps,
            });
        }
        advance(&mut j, lead);
    }
    out
}

/// The correlation at every output position: `out[o] = Σ_j w[j] · ext[o + base + j]`
/// where `ext` is the grid extended by `need` with `modes`, read line by line.
fn correlate_valid(
    grid: &Grid,
    need: &[(usize, usize)],
    modes: &[Mode],
    w: &[f64],
    wshape: &[usize],
    base: &[usize],
    out_shape: &[usize],
) -> Vec<f64> {
    let nd = out_shape.len();
    let total: usize = out_shape.iter().product();
    let mut out = crate::kernels::buffer::with_capacity(total);
    if total == 0 {
        return out;
    }
    let (last_n, kw) = (out_shape[nd - 1], wshape[nd - 1]);
    let groups = groups(w, wshape);
    let stencil_3x3 = groups.len() == 3 && groups.iter().all(|g| g.taps.len() == 3);
    let mut lines = Lines::new(grid, need, modes, groups.len());
    let mut slots = vec![0usize; groups.len()];
    let mut acc = vec![0.0; TILE.min(last_n)];
    let lead_out = &out_shape[..nd - 1];
    let mut o = vec![0usize; nd - 1];
    let mut lead = vec![0usize; nd - 1];
    for _ in 0..lead_out.iter().product::<usize>() {
        for (slot, g) in slots.iter_mut().zip(&groups) {
            for a in 0..nd - 1 {
                lead[a] = o[a] + base[a] + g.row[a];
            }
            *slot = lines.get(&lead);
        }
        let mut k = 0;
        while k < last_n {
            let len = TILE.min(last_n - k);
            let acc = &mut acc[..len];
            let start = base[nd - 1] + k;
            let span = start..start + len + kw - 1;
            if stencil_3x3 {
                let row = |i: usize| &lines.slot(slots[i])[span.clone()];
                let taps = |i: usize| groups[i].taps.as_slice();
                accumulate_3x3(acc, [row(0), row(1), row(2)], [taps(0), taps(1), taps(2)]);
            } else {
                acc.fill(0.0);
                for (&slot, g) in slots.iter().zip(&groups) {
                    accumulate(acc, &lines.slot(slot)[span.clone()], &g.taps);
                }
            }
            out.extend_from_slice(acc);
            k += len;
        }
        advance(&mut o, lead_out);
    }
    out
}

/// The next index in C order within `shape` (wraps to zeros after the last).
fn advance(index: &mut [usize], shape: &[usize]) {
    for a in (0..index.len()).rev() {
        index[a] += 1;
        if index[a] < shape[a] {
            return;
        }
        index[a] = 0;
    }
}

fn cast_out<T: Element>(shape: &[usize], out: Vec<f64>) -> Result<Array, KernelError> {
    let data: Vec<T> = out.into_iter().map(T::from_f64).collect();
    ndarray::ArrayD::from_shape_vec(IxDyn(shape), data)
        .map(|a| T::wrap(a.into_shared()))
        .map_err(|e| err("correlate", format!("internal: {e}")))
}

/// `correlate(x, weights, mode='reflect', cval=0.0, trim=None)`:
/// `scipy.ndimage.correlate(x, weights, mode=mode, cval=cval)` with `trim[a] =
/// (before, after)` positions dropped from each side of each axis (computed only
/// where kept). `x` is an array or a grid of pieces forming it (nested lists of
/// arrays, one level per axis, as `chunk.assemble` takes them: a block and views
/// of its neighbours), read in place. Modes and `cval` may be given per axis. The
/// result has x's dtype (computed in float64; integers truncate, as scipy's
/// output cast).
pub(crate) fn correlate(values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "correlate";
    if values.is_empty() || values.len() > 2 {
        return Err(err(
            op,
            format!(
                "expected 1 or 2 arguments (x, weights), got {}",
                values.len()
            ),
        ));
    }
    let (grid, x_ndim) = match &values[0] {
        Value::List(_) | Value::Tuple(_) => {
            let g = Grid::new(op, &values[0])?;
            let nd = g.shape.len();
            (g, nd)
        }
        _ => {
            let x = args::array(op, values, 0)?;
            let nd = x.ndim();
            // A 0-d array is one position: a 1-d array of length 1.
            let x = if nd == 0 {
                reshape_array(op, &x, &[1])?
            } else {
                x
            };
            (Grid::single(&x), nd)
        }
    };
    if grid.dtype == DType::Bool {
        return Err(err(op, "needs a numeric array, got bool"));
    }
    let (mut wshape, mut w) = weights(op, values, kwargs)?;
    if wshape.len() != x_ndim {
        return Err(err(
            op,
            format!(
                "weights have {} dimensions but the array has {x_ndim}",
                wshape.len(),
            ),
        ));
    }
    if x_ndim == 0 {
        wshape = vec![1];
        w.truncate(1);
    }
    let shape = grid.shape.clone();
    if wshape.contains(&0) {
        return Err(err(op, format!("weights of shape {wshape:?} are empty")));
    }
    let nd = shape.len();
    let trim = pairs(op, kwargs, "trim", x_ndim)?.unwrap_or_else(|| vec![(0, 0); x_ndim]);
    let trim = if trim.is_empty() { vec![(0, 0)] } else { trim };
    let modes: Vec<Mode> = if x_ndim == 0 {
        vec![Mode::Reflect]
    } else {
        modes(op, kwargs, nd, "reflect")?
    };
    let mut need = Vec::with_capacity(nd);
    let mut out_shape = Vec::with_capacity(nd);
    for a in 0..nd {
        let (lo, hi) = trim[a];
        if lo + hi > shape[a] {
            return Err(err(
                op,
                format!(
                    "trimming {lo} + {hi} positions from axis {a} of length {}",
                    shape[a]
                ),
            ));
        }
        out_shape.push(shape[a] - lo - hi);
        let (r_lo, r_hi) = (wshape[a] / 2, wshape[a] - 1 - wshape[a] / 2);
        need.push((r_lo.saturating_sub(lo), r_hi.saturating_sub(hi)));
    }
    let base: Vec<usize> = (0..nd)
        .map(|a| trim[a].0 + need[a].0 - wshape[a] / 2)
        .collect();
    let out = correlate_valid(&grid, &need, &modes, &w, &wshape, &base, &out_shape);
    let final_shape: Vec<usize> = if x_ndim == 0 { vec![] } else { out_shape };
    let result = match grid.dtype {
        DType::Float64 => ndarray::ArrayD::from_shape_vec(IxDyn(&final_shape), out)
            .map(|a| Array::F64(a.into_shared()))
            .map_err(|e| err(op, format!("internal: {e}")))?,
        DType::Float32 => cast_out::<f32>(&final_shape, out)?,
        DType::Int64 => cast_out::<i64>(&final_shape, out)?,
        DType::Int32 => cast_out::<i32>(&final_shape, out)?,
        DType::Bool => unreachable!("refused above"),
    };
    Ok(Value::Array(result))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::layout::cast::from_vec;
    use serde_json::json;

    fn run(x: Array, kw: Json) -> Result<Array, KernelError> {
        match correlate(&[Value::Array(x)], kw.as_object().unwrap())? {
            Value::Array(a) => Ok(a),
            other => panic!("{other:?}"),
        }
    }

    fn f64s(a: &Array) -> Vec<f64> {
        typed::<f64>(a).iter().copied().collect()
    }

    #[test]
    fn one_d_matches_scipy_in_every_mode() {
        let x = from_vec(&[5], vec![1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        let w = json!([1.0, 2.0, 4.0]);
        // scipy.ndimage.correlate([1, 2, 3, 4, 5], [1, 2, 4], mode=M)
        let cases = [
            ("reflect", json!(0), vec![11.0, 17.0, 24.0, 31.0, 34.0]),
            ("wrap", json!(0), vec![15.0, 17.0, 24.0, 31.0, 18.0]),
            ("nearest", json!(0), vec![11.0, 17.0, 24.0, 31.0, 34.0]),
            ("constant", json!(2.5), vec![12.5, 17.0, 24.0, 31.0, 24.0]),
        ];
        for (mode, cval, want) in cases {
            let got = run(x.clone(), json!({"weights": w, "mode": mode, "cval": cval})).unwrap();
            assert_eq!(f64s(&got), want, "{mode}");
        }
    }

    #[test]
    fn even_sized_weights_center_as_scipy() {
        // scipy.ndimage.correlate(np.arange(4.), [1, 2], mode="constant") == [0, 2, 5, 8]
        let x = from_vec(&[4], vec![0.0, 1.0, 2.0, 3.0]).unwrap();
        let got = run(x, json!({"weights": [1, 2], "mode": "constant"})).unwrap();
        assert_eq!(f64s(&got), vec![0.0, 2.0, 5.0, 8.0]);
    }

    #[test]
    fn trimming_computes_only_the_interior() {
        // A 4x5 block whose ghost cells (1 on each side) are already in place.
        let data: Vec<f64> = (0..20).map(|v| (v * v % 7) as f64).collect();
        let x = from_vec(&[4, 5], data).unwrap();
        let w = json!([[0, 1, 0], [1, -4, 1], [0, 1, 0]]);
        let full = run(x.clone(), json!({"weights": w})).unwrap();
        let trimmed = run(x, json!({"weights": w, "trim": [[1, 1], [1, 1]]})).unwrap();
        assert_eq!(trimmed.shape(), &[2, 3]);
        let f = typed::<f64>(&full);
        let want: Vec<f64> = (1..3)
            .flat_map(|i| (1..4).map(move |j| (i, j)))
            .map(|(i, j)| f[[i, j]])
            .collect();
        assert_eq!(f64s(&trimmed), want);
    }

    #[test]
    fn integers_truncate_and_float32_stays() {
        // scipy.ndimage.correlate(np.array([1, 2, 3, 4, 5]), [0.5, 0.5, 0.6]) == [2, 3, 4, 6, 7]
        let x = from_vec(&[5], vec![1i64, 2, 3, 4, 5]).unwrap();
        let got = run(x, json!({"weights": [0.5, 0.5, 0.6]})).unwrap();
        assert_eq!(got, from_vec(&[5], vec![2i64, 3, 4, 6, 7]).unwrap());
        let x = from_vec(&[3], vec![1.0f32, 2.0, 3.0]).unwrap();
        assert_eq!(
            run(x, json!({"weights": [1]})).unwrap().dtype(),
            DType::Float32
        );
    }

    #[test]
    fn zero_weights_do_not_spread_nans() {
        let x = from_vec(&[3], vec![f64::NAN, 1.0, 2.0]).unwrap();
        let got = f64s(&run(x, json!({"weights": [0, 1, 0], "mode": "nearest"})).unwrap());
        assert!(got[0].is_nan());
        assert_eq!(&got[1..], &[1.0, 2.0]);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let x = from_vec(&[3], vec![1.0, 2.0, 3.0]).unwrap();
        assert!(run(x.clone(), json!({})).is_err());
        assert!(run(x.clone(), json!({"weights": [[1]]})).is_err());
        assert!(run(x.clone(), json!({"weights": []})).is_err());
        assert!(run(x.clone(), json!({"weights": [1, [2]]})).is_err());
        assert!(run(x.clone(), json!({"weights": [1], "trim": [[2, 2]]})).is_err());
        assert!(run(x, json!({"weights": [1], "mode": "mirror-ish"})).is_err());
        let b = from_vec(&[1], vec![true]).unwrap();
        assert!(run(b, json!({"weights": [1]})).is_err());
    }

    /// An independent reference: the array padded by `boundary::pad` (whole, as
    /// numpy.pad), then every kept output position summed tap by tap in C order.
    fn reference(
        x: &ndarray::ArrayD<f64>,
        w: &ndarray::ArrayD<f64>,
        modes: &[Mode],
        trim: &[(usize, usize)],
    ) -> ndarray::ArrayD<f64> {
        let nd = x.ndim();
        let r: Vec<(usize, usize)> = w.shape().iter().map(|&k| (k / 2, k - 1 - k / 2)).collect();
        let padded =
            super::super::boundary::pad("test", &x.clone().into_shared(), &r, modes).unwrap();
        let out_shape: Vec<usize> = (0..nd)
            .map(|a| x.shape()[a] - trim[a].0 - trim[a].1)
            .collect();
        ndarray::ArrayD::from_shape_fn(IxDyn(&out_shape), |o| {
            let mut s = 0.0;
            for (j, &wj) in w.indexed_iter() {
                if wj.abs() > NEGLIGIBLE || wj.is_nan() {
                    let p: Vec<usize> = (0..nd).map(|a| o[a] + trim[a].0 + j[a]).collect();
                    s += wj * padded[IxDyn(&p)];
                }
            }
            s
        })
    }

    /// `x` cut at `cuts[a]` on each axis into a grid of pieces (views), some
    /// pieces given as reversed views of reversed copies, as the lowering makes
    /// for reflected ghost cells.
    fn grid_of(x: &ndarray::ArrayD<f64>, cuts: &[Vec<usize>]) -> Value {
        let nd = x.ndim();
        let bounds: Vec<Vec<(usize, usize)>> = (0..nd)
            .map(|a| {
                let mut edges = vec![0];
                edges.extend(cuts[a].iter().copied());
                edges.push(x.shape()[a]);
                edges.windows(2).map(|w| (w[0], w[1])).collect()
            })
            .collect();
        let counts: Vec<usize> = bounds.iter().map(Vec::len).collect();
        let mut leaves = Vec::new();
        let mut idx = vec![0usize; nd];
        for n in 0..counts.iter().product::<usize>() {
            let mut v = x.view();
            for a in 0..nd {
                let (lo, hi) = bounds[a][idx[a]];
                v.slice_axis_inplace(ndarray::Axis(a), ndarray::Slice::from(lo..hi));
            }
            let piece = if n % 2 == 1 && v.ndim() > 0 && v.shape()[nd - 1] > 1 {
                // The same values through a negative stride on the last axis.
                let mut flipped = v.to_owned();
                flipped.invert_axis(ndarray::Axis(nd - 1));
                let shared = flipped.into_shared();
                let mut back = shared.clone();
                back.invert_axis(ndarray::Axis(nd - 1));
                back
            } else {
                v.to_owned().into_shared()
            };
            leaves.push(Value::Array(Array::F64(piece)));
            advance(&mut idx, &counts);
        }
        // Nest row-major leaves into lists, innermost axis first.
        let mut level = leaves;
        for &c in counts.iter().rev() {
            level = level
                .chunks(c)
                .map(|g| Value::List(g.to_vec().into()))
                .collect();
        }
        level.pop().unwrap()
    }

    fn mode_json(m: Mode) -> (Json, Json) {
        match m {
            Mode::Reflect => (json!("reflect"), json!(0)),
            Mode::Wrap => (json!("wrap"), json!(0)),
            Mode::Nearest => (json!("nearest"), json!(0)),
            Mode::Constant(c) => (json!("constant"), json!(c)),
        }
    }

    fn run_grid(
        x: Value,
        w: &ndarray::ArrayD<f64>,
        modes: &[Mode],
        trim: &[(usize, usize)],
    ) -> ndarray::ArrayD<f64> {
        let (names, cvals): (Vec<Json>, Vec<Json>) = modes.iter().map(|&m| mode_json(m)).unzip();
        let trims: Vec<[usize; 2]> = trim.iter().map(|&(a, b)| [a, b]).collect();
        let kw = json!({"mode": names, "cval": cvals, "trim": trims});
        let weights = Value::Array(Array::F64(w.clone().into_shared()));
        match correlate(&[x, weights], kw.as_object().unwrap()).unwrap() {
            Value::Array(a) => typed::<f64>(&a).to_owned(),
            other => panic!("{other:?}"),
        }
    }

    fn values(shape: &[usize], seed: u64) -> ndarray::ArrayD<f64> {
        let mut state = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ndarray::ArrayD::from_shape_simple_fn(IxDyn(shape), || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) % 1000) as f64 / 64.0 - 7.0
        })
    }

    fn same_bits(a: &ndarray::ArrayD<f64>, b: &ndarray::ArrayD<f64>) -> bool {
        a.shape() == b.shape() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
    }

    #[test]
    fn pieces_of_unequal_sizes_match_the_whole_array_in_every_mode() {
        let x = values(&[9, 11], 3);
        let cuts = [vec![1, 8], vec![4, 5]];
        let weights = [
            ndarray::ArrayD::from_elem(IxDyn(&[3, 3]), 1.0 / 9.0),
            values(&[5, 5], 8),
            ndarray::ArrayD::from_shape_vec(IxDyn(&[1, 1]), vec![2.5]).unwrap(),
            ndarray::ArrayD::from_shape_vec(IxDyn(&[2, 3]), vec![1.0, 0.0, -2.0, 0.5, 3.0, 0.25])
                .unwrap(),
        ];
        let modes = [
            Mode::Reflect,
            Mode::Wrap,
            Mode::Nearest,
            Mode::Constant(1.5),
        ];
        for w in &weights {
            for &m0 in &modes {
                for &m1 in &modes {
                    for trim in [[(0, 0), (0, 0)], [(1, 2), (0, 3)], [(4, 4), (5, 5)]] {
                        let want = reference(&x, w, &[m0, m1], &trim);
                        let got = run_grid(grid_of(&x, &cuts), w, &[m0, m1], &trim);
                        assert!(
                            same_bits(&got, &want),
                            "{:?} {m0:?} {m1:?} {trim:?}:\n{got}\n{want}",
                            w.shape()
                        );
                        let whole = Value::Array(Array::F64(x.clone().into_shared()));
                        assert!(same_bits(&run_grid(whole, w, &[m0, m1], &trim), &want));
                    }
                }
            }
        }
    }

    #[test]
    fn one_and_three_dimensional_grids() {
        let x = values(&[13], 1);
        let w = values(&[4], 2);
        for m in [
            Mode::Reflect,
            Mode::Wrap,
            Mode::Nearest,
            Mode::Constant(-1.0),
        ] {
            let want = reference(&x, &w, &[m], &[(2, 1)]);
            let got = run_grid(grid_of(&x, &[vec![2, 3, 12]]), &w, &[m], &[(2, 1)]);
            assert!(same_bits(&got, &want), "{m:?}");
        }
        let x = values(&[5, 6, 7], 4);
        let w = values(&[3, 1, 3], 5);
        let modes = [Mode::Wrap, Mode::Constant(2.0), Mode::Reflect];
        let trim = [(1, 1), (0, 2), (1, 0)];
        let want = reference(&x, &w, &modes, &trim);
        let got = run_grid(
            grid_of(&x, &[vec![1], vec![3, 5], vec![1, 6]]),
            &w,
            &modes,
            &trim,
        );
        assert!(same_bits(&got, &want));
    }

    #[test]
    fn grids_that_do_not_line_up_are_errors() {
        let a = Value::Array(from_vec(&[2, 2], vec![1.0, 2.0, 3.0, 4.0]).unwrap());
        let b = Value::Array(from_vec(&[3, 2], vec![0.0; 6]).unwrap());
        let kw = json!({"weights": [[1.0]]});
        let kw = kw.as_object().unwrap();
        let row = |items: Vec<Value>| Value::List(items.into());
        let bad = row(vec![row(vec![a.clone(), b.clone()])]);
        let e = correlate(&[bad], kw).unwrap_err();
        assert!(e.0.contains("line up"), "{e}");
        let ragged = row(vec![row(vec![a.clone(), a.clone()]), row(vec![a.clone()])]);
        assert!(correlate(&[ragged], kw).unwrap_err().0.contains("ragged"));
        let flat = row(vec![a.clone(), a.clone()]);
        assert!(correlate(&[flat], kw).is_err());
        let ints = Value::Array(from_vec(&[2, 2], vec![1i64, 2, 3, 4]).unwrap());
        assert!(correlate(&[row(vec![row(vec![a, ints])])], kw).is_err());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn any_grid_matches_the_padded_reference(
            shape in proptest::collection::vec(1usize..7, 1..4),
            wsizes in proptest::collection::vec(1usize..5, 3),
            cut_seeds in proptest::collection::vec(0usize..100, 6),
            mode_ids in proptest::collection::vec(0usize..4, 3),
            trim_seeds in proptest::collection::vec(0usize..100, 6),
            seed in 0u64..1000,
        ) {
            let nd = shape.len();
            let x = values(&shape, seed);
            let w = values(&wsizes[..nd], seed + 1);
            let modes: Vec<Mode> = mode_ids[..nd].iter().map(|&m| match m {
                0 => Mode::Reflect,
                1 => Mode::Wrap,
                2 => Mode::Nearest,
                _ => Mode::Constant(0.75),
            }).collect();
            let cuts: Vec<Vec<usize>> = (0..nd).map(|a| {
                let n = shape[a];
                let mut c: Vec<usize> = cut_seeds[2 * a..2 * a + 2].iter().map(|s| s % (n + 1)).collect();
                c.sort();
                c
            }).collect();
            let trim: Vec<(usize, usize)> = (0..nd).map(|a| {
                let lo = trim_seeds[2 * a] % (shape[a] + 1);
                (lo, trim_seeds[2 * a + 1] % (shape[a] - lo + 1))
            }).collect();
            let want = reference(&x, &w, &modes, &trim);
            let got = run_grid(grid_of(&x, &cuts), &w, &modes, &trim);
            proptest::prop_assert!(same_bits(&got, &want), "{got}\n{want}");
        }
    }
}
