//! `random.uniform`, `random.normal`, `random.integers` for a block: each value depends only on (seed, global flat index).

use super::block::Block;
use super::philox::{bits, unit};
use crate::kernels::KernelError;
use crate::kernels::layout::cast::from_vec;
use crate::kernels::reduce::args::{self, Kwargs, err};
use crate::value::Value;

fn seed(op: &str, kwargs: &Kwargs) -> Result<u64, KernelError> {
    Ok(args::req_int(op, kwargs, "seed")? as u64)
}

/// A uniform double in [0, 1) for element `index`.
pub(crate) fn uniform01(seed: u64, index: u64) -> f64 {
    let r = bits(seed, index, 0);
    unit(r[0], r[1])
}

/// A standard normal for element `index`: Box-Muller on two counter-derived uniforms.
pub(crate) fn standard_normal(seed: u64, index: u64) -> f64 {
    let r = bits(seed, index, 0);
    let u1 = 1.0 - unit(r[0], r[1]); // in (0, 1]: the logarithm stays finite
    let u2 = unit(r[2], r[3]);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// An unbiased integer in [0, range) for element `index` (Lemire's method; a
/// rejected draw retries with the next stream of the same counter).
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

fn generate(op: &str, kwargs: &Kwargs, f: impl Fn(u64) -> f64) -> Result<Value, KernelError> {
    let block = Block::parse(op, kwargs, None)?;
    let mut out = Vec::with_capacity(block.len());
    block.for_each(|_, i| out.push(f(i)));
    from_vec(&block.shape, out)
        .map(Value::Array)
        .ok_or_else(|| err(op, "internal: block size mismatch"))
}

/// `random.uniform(low=0, high=1, seed, shape, offset?, block_shape?)`: `low + (high - low) * u`.
pub(crate) fn uniform(values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "random.uniform";
    args::arity(op, values, 0)?;
    let seed = seed(op, kwargs)?;
    let low = args::float(op, kwargs, "low")?.unwrap_or(0.0);
    let high = args::float(op, kwargs, "high")?.unwrap_or(1.0);
    generate(op, kwargs, |i| low + (high - low) * uniform01(seed, i))
}

/// `random.normal(loc=0, scale=1, seed, shape, offset?, block_shape?)`.
pub(crate) fn normal(values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "random.normal";
    args::arity(op, values, 0)?;
    let seed = seed(op, kwargs)?;
    let loc = args::float(op, kwargs, "loc")?.unwrap_or(0.0);
    let scale = args::float(op, kwargs, "scale")?.unwrap_or(1.0);
    if scale < 0.0 {
        return Err(err(op, format!("scale must be non-negative, got {scale}")));
    }
    generate(op, kwargs, |i| loc + scale * standard_normal(seed, i))
}

/// `random.integers(low, high, seed, shape, offset?, block_shape?)`: int64 in
/// [low, high); without `high`, in [0, low) as NumPy.
pub(crate) fn integers(values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "random.integers";
    args::arity(op, values, 0)?;
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
    let block = Block::parse(op, kwargs, None)?;
    let mut out = Vec::with_capacity(block.len());
    block.for_each(|_, i| out.push(low.wrapping_add(below(seed, i, range) as i64)));
    from_vec(&block.shape, out)
        .map(Value::Array)
        .ok_or_else(|| err(op, "internal: block size mismatch"))
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
