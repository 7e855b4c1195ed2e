//! The block function `correlate`: `scipy.ndimage.correlate` on one array (a block
//! with its ghost cells), computing only the part that survives trimming, so the
//! ghost cells cost reads but no work.

use ndarray::{ArcArray, IxDyn};
use serde_json::Value as Json;
use tessera_ir::DType;

use super::boundary::{Mode, modes, pad, pairs};
use crate::kernels::KernelError;
use crate::kernels::layout::cast::{Element, typed};
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

/// Adds the taps `(position, weight)` of one weight row to an output row, in tap
/// order (scipy's summation order, so results agree to the last bit).
fn accumulate(out: &mut [f64], inp: &[f64], taps: &[(usize, f64)]) {
    let n = out.len();
    match *taps {
        [(b0, w0), (b1, w1), (b2, w2)] => {
            let (x0, x1, x2) = (&inp[b0..b0 + n], &inp[b1..b1 + n], &inp[b2..b2 + n]);
            for (((o, &a), &b), &c) in out.iter_mut().zip(x0).zip(x1).zip(x2) {
                let mut acc = *o;
                acc += w0 * a;
                acc += w1 * b;
                acc += w2 * c;
                *o = acc;
            }
        }
        _ => {
            for &(b, w) in taps {
                for (o, &a) in out.iter_mut().zip(&inp[b..b + n]) {
                    *o += w * a;
                }
            }
        }
    }
}

/// The correlation at every output position, reading `data` (C order, of
/// `in_shape`) from `base` on: `out[o] = Σ_j w[j] · in[o + base + j]`.
fn correlate_valid(
    data: &[f64],
    in_shape: &[usize],
    w: &[f64],
    wshape: &[usize],
    base: &[usize],
    out_shape: &[usize],
) -> Vec<f64> {
    let nd = in_shape.len();
    let total: usize = out_shape.iter().product();
    let mut out = vec![0.0; total];
    if total == 0 {
        return out;
    }
    let mut strides = vec![1usize; nd];
    for a in (0..nd.saturating_sub(1)).rev() {
        strides[a] = strides[a + 1] * in_shape[a + 1];
    }
    let (last_n, kw) = (out_shape[nd - 1], wshape[nd - 1]);
    // Taps grouped by weight row (every weight axis but the last), in C order.
    let lead = &wshape[..nd - 1];
    let mut groups: Vec<(usize, Vec<(usize, f64)>)> = Vec::new();
    let mut j = vec![0usize; nd - 1];
    for row in 0..lead.iter().product::<usize>() {
        let offset: usize = j.iter().zip(&strides).map(|(a, s)| a * s).sum();
        let taps: Vec<(usize, f64)> = (0..kw)
            .map(|b| (b, w[row * kw + b]))
            .filter(|(_, x)| x.abs() > NEGLIGIBLE || x.is_nan())
            .collect();
        if !taps.is_empty() {
            groups.push((offset, taps));
        }
        advance(&mut j, lead);
    }
    let lead_out = &out_shape[..nd - 1];
    let mut o = vec![0usize; nd - 1];
    for (r, out_row) in out
        .chunks_mut(last_n)
        .enumerate()
        .take(lead_out.iter().product())
    {
        let _ = r;
        let row_base: usize = o
            .iter()
            .zip(base)
            .zip(&strides)
            .map(|((&oi, &bi), &s)| (oi + bi) * s)
            .sum::<usize>()
            + base[nd - 1];
        for (offset, taps) in &groups {
            let start = row_base + offset;
            accumulate(out_row, &data[start..start + last_n + kw - 1], taps);
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
/// where kept). Modes and `cval` may be given per axis. The result has x's dtype
/// (computed in float64; integers truncate, as scipy's output cast).
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
    let x = args::array(op, values, 0)?;
    if x.dtype() == DType::Bool {
        return Err(err(op, "needs a numeric array, got bool"));
    }
    let (mut wshape, mut w) = weights(op, values, kwargs)?;
    let mut shape = x.shape().to_vec();
    let mut xf: ArcArray<f64, IxDyn> = typed::<f64>(&x);
    if wshape.len() != shape.len() {
        return Err(err(
            op,
            format!(
                "weights have {} dimensions but the array has {}",
                wshape.len(),
                shape.len()
            ),
        ));
    }
    if wshape.contains(&0) {
        return Err(err(op, format!("weights of shape {wshape:?} are empty")));
    }
    if shape.is_empty() {
        // A 0-d array is one position: treat it as a 1-d array of length 1.
        shape = vec![1];
        wshape = vec![1];
        w.truncate(1);
        xf = xf
            .into_shape_with_order(IxDyn(&[1]))
            .map_err(|e| err(op, e))?;
    }
    let nd = shape.len();
    let trim = pairs(op, kwargs, "trim", x.ndim())?.unwrap_or_else(|| vec![(0, 0); x.ndim()]);
    let trim = if trim.is_empty() { vec![(0, 0)] } else { trim };
    let modes: Vec<Mode> = if x.ndim() == 0 {
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
        let nonempty = out_shape[a] > 0;
        need.push(if nonempty {
            (r_lo.saturating_sub(lo), r_hi.saturating_sub(hi))
        } else {
            (0, 0)
        });
    }
    let padded = if need.iter().any(|&(l, h)| l + h > 0) && out_shape.iter().all(|&n| n > 0) {
        pad(op, &xf, &need, &modes)?
    } else {
        xf
    };
    let padded = padded.as_standard_layout();
    let data = padded
        .as_slice()
        .ok_or_else(|| err(op, "internal: array not contiguous"))?;
    let base: Vec<usize> = (0..nd)
        .map(|a| (trim[a].0 + need[a].0).saturating_sub(wshape[a] / 2))
        .collect();
    let out = correlate_valid(data, padded.shape(), &w, &wshape, &base, &out_shape);
    let final_shape: Vec<usize> = if x.ndim() == 0 { vec![] } else { out_shape };
    let result = match x.dtype() {
        DType::Float64 => cast_out::<f64>(&final_shape, out)?,
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
}
