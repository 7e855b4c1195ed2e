//! `random.uniform`, `random.normal`, `random.integers` for a block: each value
//! depends only on (seed, its flat index in the whole array). Rows of a block are
//! generated straight into the result, whole groups of the stream at a time
//! (`philox::unit_groups`); rows whose elements are not consecutive in the whole
//! array (a strided `region`) one value at a time, with the same bits.

use std::f64::consts::TAU;

use super::block::{self, Placement};
use super::philox::{GROUP, bits, fill_run, slot, unit, unit_at, unit_groups};
use crate::kernels::elementwise::math::{cos_f64_slice, log_f64_slice, sin_f64_slice};
use crate::kernels::layout::cast::{Element, from_vec};
use crate::kernels::reduce::args::{self, Kwargs, err};
use crate::kernels::{KernelError, buffer};
use crate::value::Value;

fn seed(op: &str, kwargs: &Kwargs) -> Result<u64, KernelError> {
    Ok(args::req_int(op, kwargs, "seed")? as u64)
}

/// Calls per group of the stream: a group's first half holds words 0-1 of each
/// call, its second half words 2-3.
const CALLS: usize = GROUP / 2;

/// Groups turned to normals at once: enough for the vectorized `log`/`sin`/`cos`.
const NORMAL_BATCH: usize = 8;

/// Standard normals for whole groups of the stream (Box-Muller on the two
/// uniforms of one Philox call: `u1` from words 0-1, `u2` from words 2-3; the
/// group's first half gets `r·cos θ`, its second half `r·sin θ`).
pub(crate) fn normal_groups(seed: u64, first_group: u64, out: &mut [f64]) {
    unit_groups(seed, first_group, out);
    let mut u1 = [0.0; NORMAL_BATCH * CALLS];
    let mut theta = [0.0; NORMAL_BATCH * CALLS];
    let mut log = [0.0; NORMAL_BATCH * CALLS];
    let mut cos = [0.0; NORMAL_BATCH * CALLS];
    let mut sin = [0.0; NORMAL_BATCH * CALLS];
    for batch in out.chunks_mut(NORMAL_BATCH * GROUP) {
        let n = batch.len() / 2;
        for (g, group) in batch.chunks_exact(GROUP).enumerate() {
            for j in 0..CALLS {
                // 1 - u is in (0, 1]: the logarithm stays finite.
                u1[g * CALLS + j] = 1.0 - group[j];
                theta[g * CALLS + j] = TAU * group[CALLS + j];
            }
        }
        log_f64_slice(&u1[..n], &mut log[..n]);
        cos_f64_slice(&theta[..n], &mut cos[..n]);
        sin_f64_slice(&theta[..n], &mut sin[..n]);
        for (g, group) in batch.chunks_exact_mut(GROUP).enumerate() {
            for j in 0..CALLS {
                let k = g * CALLS + j;
                let r = (-2.0 * log[k]).sqrt();
                group[j] = r * cos[k];
                group[CALLS + j] = r * sin[k];
            }
        }
    }
}

/// Value `index` of the standard normal stream of `seed`, alone (the same bits
/// as [`normal_groups`]).
pub(crate) fn normal_at(seed: u64, index: u64) -> f64 {
    let (call, second) = slot(index);
    let w = bits(seed, call, 0);
    let one = |f: fn(&[f64], &mut [f64]), x: f64| {
        let mut y = [0.0];
        f(&[x], &mut y);
        y[0]
    };
    let r = (-2.0 * one(log_f64_slice, 1.0 - unit(w[0], w[1]))).sqrt();
    let theta = TAU * unit(w[2], w[3]);
    r * if second {
        one(sin_f64_slice, theta)
    } else {
        one(cos_f64_slice, theta)
    }
}

/// An unbiased integer in [0, range) for element `index` (Lemire's method on the
/// two 64-bit halves of Philox call `index`; a rejected pair retries with the
/// next stream of the same counter).
pub(crate) fn below(seed: u64, index: u64, range: u64) -> u64 {
    let threshold = range.wrapping_neg() % range;
    let mut stream = 0u32;
    loop {
        let r = bits(seed, index, stream);
        for x in [
            ((r[0] as u64) << 32) | r[1] as u64,
            ((r[2] as u64) << 32) | r[3] as u64,
        ] {
            let m = x as u128 * range as u128;
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
        stream = stream.wrapping_add(1);
    }
}

/// The block of a stream of doubles: consecutive rows through `groups` (whole
/// groups into the result), other rows value by value through `at`; then `map`
/// on every value.
fn stream_block(
    op: &str,
    values: &[Value],
    kwargs: &Kwargs,
    seed: u64,
    groups: fn(u64, u64, &mut [f64]),
    at: fn(u64, u64) -> f64,
    map: impl Fn(f64) -> f64,
) -> Result<Value, KernelError> {
    let place = Placement::parse(op, values, kwargs)?;
    let mut out: Vec<f64> = buffer::zeroed(place.len());
    place.rows(&mut out, |start, step, row| {
        if step == 1 {
            fill_run(seed, start, row, groups);
        } else {
            for (k, v) in row.iter_mut().enumerate() {
                *v = at(seed, (start as i64 + k as i64 * step) as u64);
            }
        }
        for v in row.iter_mut() {
            *v = map(*v);
        }
    });
    finish(op, &place, out)
}

fn finish<T: Element>(op: &str, place: &Placement, out: Vec<T>) -> Result<Value, KernelError> {
    from_vec(&place.shape, out)
        .map(Value::Array)
        .ok_or_else(|| err(op, "internal: block size mismatch"))
}

/// `random.uniform(low=0, high=1, seed, shape, region?, offset? (or as the argument), block_shape?)`:
/// `low + (high - low) * u`.
pub(crate) fn uniform(values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "random.uniform";
    block::arity(op, values)?;
    let seed = seed(op, kwargs)?;
    let low = args::float(op, kwargs, "low")?.unwrap_or(0.0);
    let high = args::float(op, kwargs, "high")?.unwrap_or(1.0);
    let span = high - low;
    stream_block(op, values, kwargs, seed, unit_groups, unit_at, |u| {
        low + span * u
    })
}

/// `random.normal(loc=0, scale=1, seed, shape, region?, offset? (or as the argument), block_shape?)`.
pub(crate) fn normal(values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "random.normal";
    block::arity(op, values)?;
    let seed = seed(op, kwargs)?;
    let loc = args::float(op, kwargs, "loc")?.unwrap_or(0.0);
    let scale = args::float(op, kwargs, "scale")?.unwrap_or(1.0);
    if scale < 0.0 {
        return Err(err(op, format!("scale must be non-negative, got {scale}")));
    }
    stream_block(op, values, kwargs, seed, normal_groups, normal_at, |z| {
        loc + scale * z
    })
}

/// `random.integers(low, high, seed, shape, region?, offset? (or as the argument), block_shape?)`:
/// int64 in [low, high); without `high`, in [0, low) as NumPy.
pub(crate) fn integers(values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "random.integers";
    block::arity(op, values)?;
    let seed = seed(op, kwargs)?;
    let (low, high) = match (
        args::int(op, kwargs, "low")?,
        args::int(op, kwargs, "high")?,
    ) {
        (Some(l), Some(h)) => (l, h),
        (Some(h), None) => (0, h),
        (None, Some(h)) => (0, h),
        (None, None) => return Err(err(op, "missing attribute `high`")),
    };
    if high <= low {
        return Err(err(op, format!("low >= high ({low} >= {high})")));
    }
    let range = high.wrapping_sub(low) as u64;
    let place = Placement::parse(op, values, kwargs)?;
    let mut out: Vec<i64> = buffer::zeroed(place.len());
    place.rows(&mut out, |start, step, row| {
        for (k, v) in row.iter_mut().enumerate() {
            let index = (start as i64 + k as i64 * step) as u64;
            *v = low.wrapping_add(below(seed, index, range) as i64);
        }
    });
    finish(op, &place, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Array;
    use serde_json::json;

    fn kw(v: serde_json::Value) -> Kwargs {
        v.as_object().cloned().unwrap()
    }

    fn f64s(v: Value) -> Vec<f64> {
        let Value::Array(Array::F64(a)) = v else {
            panic!()
        };
        a.iter().copied().collect()
    }

    #[test]
    fn a_block_equals_the_slice_of_the_whole() {
        let whole = f64s(
            uniform(
                &[],
                &kw(json!({"seed": 7, "shape": [5, 6], "low": -2, "high": 3})),
            )
            .unwrap(),
        );
        let block = f64s(
            uniform(
                &[],
                &kw(json!({"seed": 7, "shape": [5, 6], "low": -2, "high": 3, "offset": [2, 1], "block_shape": [3, 4]})),
            )
            .unwrap(),
        );
        let want: Vec<f64> = (2..5)
            .flat_map(|i| (1..5).map(move |j| (i, j)))
            .map(|(i, j)| whole[i * 6 + j])
            .collect();
        assert_eq!(block, want);
        assert!(whole.iter().all(|&v| (-2.0..3.0).contains(&v)));
        let other = f64s(uniform(&[], &kw(json!({"seed": 8, "shape": [5, 6]}))).unwrap());
        assert_ne!(other[0], (whole[0] + 2.0) / 5.0);
    }

    /// `whole[region]` with NumPy's meaning, `region` as the kernels take it.
    fn pick(
        whole: &[f64],
        shape: [usize; 2],
        rows: (i64, i64, i64),
        cols: Option<i64>,
    ) -> Vec<f64> {
        let mut want = Vec::new();
        for i in 0..rows.2 {
            let r = (rows.0 + i * rows.1) as usize;
            match cols {
                Some(c) => want.push(whole[r * shape[1] + c as usize]),
                None => want.extend_from_slice(&whole[r * shape[1]..(r + 1) * shape[1]]),
            }
        }
        want
    }

    #[test]
    fn a_region_and_its_blocks_equal_the_slice_of_the_whole() {
        for (op, f) in [
            (
                "random.uniform",
                uniform as fn(&[Value], &Kwargs) -> Result<Value, KernelError>,
            ),
            ("random.normal", normal),
        ] {
            let whole = f64s(f(&[], &kw(json!({"seed": 5, "shape": [40, 70]}))).unwrap());
            // x[37:2:-5, :] and x[3:30:3, 61]: strided rows, then a dropped axis.
            let got = f64s(
                f(
                    &[],
                    &kw(json!({"seed": 5, "shape": [40, 70], "region": [[37, -5, 7], [0, 1, 70]]})),
                )
                .unwrap(),
            );
            assert_eq!(got, pick(&whole, [40, 70], (37, -5, 7), None), "{op}");
            let got = f64s(
                f(
                    &[],
                    &kw(json!({"seed": 5, "shape": [40, 70], "region": [[3, 3, 9], 61]})),
                )
                .unwrap(),
            );
            assert_eq!(got, pick(&whole, [40, 70], (3, 3, 9), Some(61)), "{op}");
            // Every chunking of a region gives the same values.
            let region = json!([[1, 1, 39], [5, 1, 64]]);
            let all = f64s(
                f(
                    &[],
                    &kw(json!({"seed": 5, "shape": [40, 70], "region": region})),
                )
                .unwrap(),
            );
            for (r0, c0, rn, cn) in [
                (0, 0, 39, 64),
                (3, 7, 11, 33),
                (38, 63, 1, 1),
                (0, 31, 20, 33),
            ] {
                let blk = f64s(
                    f(
                        &[],
                        &kw(json!({"seed": 5, "shape": [40, 70], "region": region,
                                      "offset": [r0, c0], "block_shape": [rn, cn]})),
                    )
                    .unwrap(),
                );
                let want: Vec<f64> = (r0..r0 + rn)
                    .flat_map(|i| (c0..c0 + cn).map(move |j| i * 64 + j))
                    .map(|k| all[k])
                    .collect();
                assert_eq!(blk, want, "{op} block at {r0},{c0}");
            }
        }
    }

    #[test]
    fn normals_in_groups_equal_normals_one_at_a_time() {
        let mut out = vec![0.0; 5 * GROUP];
        normal_groups(11, 3, &mut out);
        for (i, v) in out.iter().enumerate() {
            assert_eq!(
                v.to_bits(),
                normal_at(11, 3 * GROUP as u64 + i as u64).to_bits()
            );
        }
    }

    #[test]
    fn uniform_moments_are_plausible() {
        let v = f64s(uniform(&[], &kw(json!({"seed": 2, "shape": [400000]}))).unwrap());
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        // Standard errors: 0.29/sqrt(n) ≈ 0.00046 for the mean, ~0.00013 for the variance.
        assert!((mean - 0.5).abs() < 0.003, "{mean}");
        assert!((var - 1.0 / 12.0).abs() < 0.001, "{var}");
        // Neighbours (the two halves of one Philox call, and adjacent calls) are uncorrelated.
        for lag in [1usize, 16, 32] {
            let c = v
                .iter()
                .zip(&v[lag..])
                .map(|(a, b)| (a - mean) * (b - mean))
                .sum::<f64>()
                / (n * var);
            assert!(c.abs() < 0.01, "lag {lag}: {c}");
        }
    }

    #[test]
    fn normal_moments_are_plausible() {
        let v = f64s(
            normal(
                &[],
                &kw(json!({"seed": 1, "shape": [200000], "loc": 3, "scale": 2})),
            )
            .unwrap(),
        );
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        // Standard errors: 2/sqrt(n) ≈ 0.0045 for the mean, ~0.013 for the variance.
        assert!((mean - 3.0).abs() < 0.03, "{mean}");
        assert!((var - 4.0).abs() < 0.1, "{var}");
        // Skewness 0 and kurtosis 3 (standard errors ≈ 0.0055 and 0.011).
        let m = |k: i32| {
            v.iter()
                .map(|x| ((x - mean) / var.sqrt()).powi(k))
                .sum::<f64>()
                / n
        };
        assert!(m(3).abs() < 0.03, "skewness {}", m(3));
        assert!((m(4) - 3.0).abs() < 0.06, "kurtosis {}", m(4));
        // The cos half and the sin half of a group are each standard normal.
        let half: Vec<f64> = v.chunks(GROUP).flat_map(|g| g[CALLS..].to_vec()).collect();
        let hm = half.iter().sum::<f64>() / half.len() as f64;
        assert!((hm - 3.0).abs() < 0.04, "{hm}");
        assert!(normal(&[], &kw(json!({"seed": 1, "shape": [1], "scale": -1}))).is_err());
    }

    #[test]
    fn integers_cover_the_range_evenly() {
        let Value::Array(Array::I64(a)) = integers(
            &[],
            &kw(json!({"seed": 3, "shape": [60000], "low": -3, "high": 3})),
        )
        .unwrap() else {
            panic!()
        };
        let mut counts = [0usize; 6];
        for &v in a.iter() {
            assert!((-3..3).contains(&v));
            counts[(v + 3) as usize] += 1;
        }
        // Each count is Binomial(60000, 1/6): sd ≈ 91.
        assert!(
            counts.iter().all(|&c| (9500..10500).contains(&c)),
            "{counts:?}"
        );
        assert!(
            integers(
                &[],
                &kw(json!({"seed": 3, "shape": [1], "low": 2, "high": 2}))
            )
            .is_err()
        );
        // The full int64 range minus one still works (rejection threshold path).
        assert!(
            integers(
                &[],
                &kw(json!({"seed": 3, "shape": [4], "low": i64::MIN, "high": i64::MAX}))
            )
            .is_ok()
        );
    }

    #[test]
    fn below_is_in_range_for_awkward_ranges() {
        for range in [1u64, 3, 7, (1 << 63) + 1] {
            for i in 0..200 {
                assert!(below(9, i, range) < range);
            }
        }
    }
}
