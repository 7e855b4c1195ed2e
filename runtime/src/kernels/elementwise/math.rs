//! Vectorizable `exp`, `log`, `sin` and `cos` over slices of `f64` and `f32`.
//!
//! Each function is written once for one lane, branch-free (selects instead of
//! branches, integer work done through float "magic number" tricks that SSE2
//! has instructions for), and applied to fixed-size chunks of the slice so that
//! the compiler turns the chunk body into SIMD code, as SLEEF and numexpr's VML
//! do by hand:
//!
//! - `exp`: Cody-Waite reduction `x = n·ln2 + r` (`ln2` split in a 32-bit head,
//!   whose products with `n` are exact, and a tail), polynomial of degree 11 on
//!   `|r| <= ln2/2`, scaling by `2^n` built from its bits. Lanes with `|x| >= 708`
//!   (overflow, subnormal results, infinities, NaN) are recomputed with `std`.
//! - `log`: `x = 2^k·m` with `m` in `[√2/2, √2)`, then fdlibm's `log1p` kernel
//!   (`s = f/(2+f)`, minimax polynomial in `s²`); subnormals are pre-scaled.
//! - `sin`, `cos`: reduction by `π/2` with fdlibm's 4-part Cody-Waite constants
//!   in double-double arithmetic (the products `q·P1..P3` are exact for
//!   `|x| <= 2^20`), fdlibm's kernels on `|r| <= π/4`, quadrant by selects. Lanes
//!   beyond `2^20`, NaN and infinities, and the (rare) lanes whose reduced
//!   argument cancelled to below `2^-30` are recomputed with `std`.
//!
//! The `f32` functions evaluate the `f64` kernels and round once, which keeps them
//! within one `f32` ulp. Each slice function is compiled for SSE2 and for AVX2
//! and picks at run time (AVX2 doubles the lanes: on this project's machines
//! about 2x the SSE2 speed). Results do not depend on the CPU: no fused
//! multiply-add is used, so both give the same bits. Accuracy (tested below
//! over millions of inputs): within 1 ulp of `std`'s functions.

/// Lanes per chunk: enough independent work for AVX2 (4 × f64) twice over.
const LANES: usize = 8;
/// Lanes per chunk of `exp`, whose polynomial is one long chain of dependent
/// multiply-adds: four AVX2 chains in flight hide its latency (about 1.5x the
/// speed of [`LANES`]); the larger `sin`/`cos` kernels run out of registers.
const EXP_LANES: usize = 16;

/// `1.5 · 2^52`: adding it rounds a float of magnitude below `2^51` to an integer
/// held in the low bits of the sum.
const SHIFT: f64 = 6_755_399_441_055_744.0;

// ---------------------------------------------------------------------------
// exp

const LOG2E: f64 = std::f64::consts::LOG2_E;
/// `ln 2` rounded to 32 significant bits: `n · LN2_HI` is exact for `|n| < 2^21`.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000); // 0.6931471803691238
/// `ln 2 - LN2_HI`.
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76); // 1.9082149292705877e-10
/// Lanes with `|x|` at or beyond this (overflow, subnormal results, infinities,
/// NaN) are recomputed with `std`; below it `2^n` is a normal number.
const EXP_FAST_LIMIT: f64 = 708.0;

/// `exp(x)` for one lane, and whether the lane must be recomputed with `std`.
#[inline(always)]
fn exp_lane(x: f64) -> (f64, bool) {
    let special = x.is_nan() || x.abs() >= EXP_FAST_LIMIT;
    let xc = if special { 0.0 } else { x };
    let t = xc * LOG2E + SHIFT;
    let n = t - SHIFT;
    let r = (xc - n * LN2_HI) - n * LN2_LO;
    // exp(r) = 1 + r + r²·p(r): p of degree 9, the Chebyshev economization of the
    // Taylor series of (e^r - 1 - r)/r² on |r| <= ln2/2 (error below 0.1 ulp).
    let mut p = 2.521_527_490_099_717e-8;
    p = p * r + 2.761_956_809_967_571e-7;
    p = p * r + 2.755_697_544_753_806e-6;
    p = p * r + 2.480_152_283_489_889_2e-5;
    p = p * r + 1.984_127_009_633_863e-4;
    p = p * r + 1.388_888_891_586_226_7e-3;
    p = p * r + 8.333_333_333_274_118e-3;
    p = p * r + 4.166_666_666_662_709e-2;
    p = p * r + 1.666_666_666_666_667_4e-1;
    p = p * r + 0.500_000_000_000_000_2;
    let e = 1.0 + (r + (r * r) * p);
    (e * pow2(n), special)
}

/// `2^k` for an integral `k` in `[-1022, 1023]`, built from its bits.
#[inline(always)]
fn pow2(k: f64) -> f64 {
    // The low 11 bits of `k + 1023 + SHIFT` hold `k + 1023`; shifting left by 52
    // drops everything else and lands them in the exponent field.
    f64::from_bits(((k + 1023.0) + SHIFT).to_bits() << 52)
}

// ---------------------------------------------------------------------------
// log

const LG1: f64 = f64::from_bits(0x3fe5_5555_5555_5593); // 0.6666666666666735
const LG2: f64 = f64::from_bits(0x3fd9_9999_9997_fa04); // 0.3999999999940942
const LG3: f64 = f64::from_bits(0x3fd2_4924_9422_9359); // 0.2857142874366239
const LG4: f64 = f64::from_bits(0x3fcc_71c5_1d8e_78af); // 0.22222198432149784
const LG5: f64 = f64::from_bits(0x3fc7_4664_96cb_03de); // 0.1818357216161805
const LG6: f64 = f64::from_bits(0x3fc3_9a09_d078_c69f); // 0.15313837699209373
const LG7: f64 = f64::from_bits(0x3fc2_f112_df3e_5244); // 0.14798198605116586
/// `2^54`, to lift subnormals into the normal range.
const TWO54: f64 = 18_014_398_509_481_984.0;

/// `log(x)` for one lane.
#[inline(always)]
fn log_lane(x: f64) -> f64 {
    let tiny = x < f64::MIN_POSITIVE;
    let xs = if tiny { x * TWO54 } else { x };
    let k_bias = if tiny { 1023.0 + 54.0 } else { 1023.0 };
    // Move the binade boundary to √2/2 so that the mantissa lands in [√2/2, √2).
    let ix = xs
        .to_bits()
        .wrapping_add((0x3ff0_0000u64 - 0x3fe6_a09e) << 32);
    // The biased exponent (0..2047) as a float, through the bits of 2^52 + e.
    let kf = f64::from_bits(0x4330_0000_0000_0000 | (ix >> 52)) - 4_503_599_627_370_496.0;
    let k = kf - k_bias;
    let m = f64::from_bits((ix & 0x000f_ffff_ffff_ffff) + (0x3fe6_a09eu64 << 32));
    let f = m - 1.0;
    let hfsq = 0.5 * f * f;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG2 + w * (LG4 + w * LG6));
    let t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    let r = t2 + t1;
    let y = s * (hfsq + r) + k * LN2_LO - hfsq + f + k * LN2_HI;
    let y = if x == f64::INFINITY { x } else { y };
    let y = if x == 0.0 { f64::NEG_INFINITY } else { y };
    // Negative numbers and NaN give NaN.
    if x < 0.0 || x.is_nan() { f64::NAN } else { y }
}

// ---------------------------------------------------------------------------
// sin, cos

const TWO_OVER_PI: f64 = std::f64::consts::FRAC_2_PI;
/// π/2 as `P1 + P2 + P3 + P4`; P1..P3 have at most 32 significant bits, so their
/// products with a quadrant count below `2^21` are exact (fdlibm's `pio2_1..3t`).
const P1: f64 = f64::from_bits(0x3ff9_21fb_5440_0000); // 1.5707963267341256
const P2: f64 = f64::from_bits(0x3dd0_b461_1a60_0000); // 6.077100506303966e-11
const P3: f64 = f64::from_bits(0x3ba3_198a_2e00_0000); // 2.0222662487111665e-21
const P4: f64 = f64::from_bits(0x397b_839a_2520_49c1); // 8.4784276603689e-32
/// Largest `|x|` reduced here; beyond it lanes use `std`.
const TRIG_LIMIT: f64 = 1_048_576.0;
/// A reduced argument below this (after cancellation) is recomputed with `std`.
const TRIG_CANCEL: f64 = 9.313_225_746_154_785e-10; // 2^-30

const S1: f64 = f64::from_bits(0xbfc5_5555_5555_5549); // -0.16666666666666632
const S2: f64 = f64::from_bits(0x3f81_1111_1110_f8a6); // 0.00833333333332249
const S3: f64 = f64::from_bits(0xbf2a_01a0_19c1_61d5); // -0.0001984126982985795
const S4: f64 = f64::from_bits(0x3ec7_1de3_57b1_fe7d); // 2.7557313707070068e-06
const S5: f64 = f64::from_bits(0xbe5a_e5e6_8a2b_9ceb); // -2.5050760253406863e-08
const S6: f64 = f64::from_bits(0x3de5_d93a_5acf_d57c); // 1.58969099521155e-10

const C1: f64 = f64::from_bits(0x3fa5_5555_5555_554c); // 0.0416666666666666
const C2: f64 = f64::from_bits(0xbf56_c16c_16c1_5177); // -0.001388888888887411
const C3: f64 = f64::from_bits(0x3efa_01a0_19cb_1590); // 2.480158728947673e-05
const C4: f64 = f64::from_bits(0xbe92_7e4f_809c_52ad); // -2.7557314351390663e-07
const C5: f64 = f64::from_bits(0x3e21_ee9e_bdb4_b1c4); // 2.087572321298175e-09
const C6: f64 = f64::from_bits(0xbda8_fae9_be88_38d4); // -1.1359647557788195e-11

/// `a + b` as a rounded sum and its exact error (Knuth's TwoSum).
#[inline(always)]
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// `sin(x + y)` for `|x| <= π/4`, `y` a tiny correction (fdlibm `__kernel_sin`).
#[inline(always)]
fn kernel_sin(x: f64, y: f64) -> f64 {
    let z = x * x;
    let w = z * z;
    let r = S2 + z * (S3 + z * S4) + z * w * (S5 + z * S6);
    let v = z * x;
    x - ((z * (0.5 * y - v * r) - y) - v * S1)
}

/// `cos(x + y)` for `|x| <= π/4` (fdlibm `__kernel_cos`).
#[inline(always)]
fn kernel_cos(x: f64, y: f64) -> f64 {
    let z = x * x;
    let w = z * z;
    let r = z * (C1 + z * (C2 + z * C3)) + w * w * (C4 + z * (C5 + z * C6));
    let hz = 0.5 * z;
    let w = 1.0 - hz;
    w + (((1.0 - w) - hz) + (z * r - x * y))
}

/// `sin(x)` (or `cos(x)` when `COS`) for one lane, and whether the lane must be
/// recomputed with `std` (huge, non-finite, or cancelled reduced argument).
#[inline(always)]
fn sincos_lane<const COS: bool>(x: f64) -> (f64, bool) {
    let big = x.is_nan() || x.abs() > TRIG_LIMIT;
    let xr = if big { 0.0 } else { x };
    let t = xr * TWO_OVER_PI + SHIFT;
    let q = t - SHIFT;
    let quadrant = t.to_bits().wrapping_add(u64::from(COS));
    // r = x - q·π/2 in double-double: t1 is exact (Sterbenz), then TwoSums.
    let t1 = xr - q * P1;
    let (s1, e1) = two_sum(t1, -(q * P2));
    let (s2, e2) = two_sum(s1, -(q * P3));
    let lo = (e1 + e2) - q * P4;
    let rh = s2 + lo;
    let rl = (s2 - rh) + lo;
    // q = 0 needs no reduction (and keeps the sign of -0.0).
    let reduced = q != 0.0;
    let rh = if reduced { rh } else { xr };
    let rl = if reduced { rl } else { 0.0 };
    let cancelled = reduced && rh.abs() < TRIG_CANCEL;
    let s = kernel_sin(rh, rl);
    let c = kernel_cos(rh, rl);
    let v = if quadrant & 1 == 0 { s } else { c };
    let v = f64::from_bits(v.to_bits() ^ ((quadrant & 2) << 62));
    (v, big || cancelled)
}

// ---------------------------------------------------------------------------
// Slice drivers

/// `dst[i] = f(src[i])` over chunks of [`LANES`], the chunk body inlined.
#[inline(always)]
fn map_lanes<S: Copy, D>(src: &[S], dst: &mut [D], f: impl Fn(S) -> D) {
    assert_eq!(
        src.len(),
        dst.len(),
        "source and destination lengths differ"
    );
    let (sc, sr) = src.as_chunks::<LANES>();
    let (dc, dr) = dst.as_chunks_mut::<LANES>();
    for (s, d) in sc.iter().zip(dc.iter_mut()) {
        for i in 0..LANES {
            d[i] = f(s[i]);
        }
    }
    for (s, d) in sr.iter().zip(dr.iter_mut()) {
        *d = f(*s);
    }
}

/// Like [`map_lanes`] for a lane function that can ask for a fallback, which is
/// then computed by `slow` for that lane only.
#[inline(always)]
fn map_lanes_fallback<const L: usize, S: Copy, D>(
    src: &[S],
    dst: &mut [D],
    f: impl Fn(S) -> (D, bool),
    slow: impl Fn(S) -> D,
) {
    assert_eq!(
        src.len(),
        dst.len(),
        "source and destination lengths differ"
    );
    let (sc, sr) = src.as_chunks::<L>();
    let (dc, dr) = dst.as_chunks_mut::<L>();
    for (s, d) in sc.iter().zip(dc.iter_mut()) {
        // One bit per lane, so that the common "no lane needs it" case is a
        // single test of a mask (a `movmsk`), not one branch per lane.
        let mut mask = 0u32;
        for i in 0..L {
            let (v, bad) = f(s[i]);
            d[i] = v;
            mask |= u32::from(bad) << i;
        }
        if mask != 0 {
            for i in 0..L {
                if mask >> i & 1 == 1 {
                    d[i] = slow(s[i]);
                }
            }
        }
    }
    for (s, d) in sr.iter().zip(dr.iter_mut()) {
        let (v, bad) = f(*s);
        *d = if bad { slow(*s) } else { v };
    }
}

/// Defines a public slice function whose body is compiled twice: for the
/// baseline x86-64 CPU (SSE2) and for AVX2, chosen at run time. Both compile the
/// same source without fused multiply-add, so they return the same bits.
macro_rules! multiversion {
    ($(#[$doc:meta])* $name:ident($src:ident: &[$s:ty], $dst:ident: &mut [$d:ty]) $body:block) => {
        $(#[$doc])*
        ///
        /// # Panics
        /// When `src` and `dst` differ in length.
        pub fn $name($src: &[$s], $dst: &mut [$d]) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2")]
                fn avx2($src: &[$s], $dst: &mut [$d]) $body
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: `avx2` only requires the CPU to support AVX2, which
                    // was checked just above.
                    return unsafe { avx2($src, $dst) };
                }
            }
            $body
        }
    };
}

multiversion! {
    /// Writes `dst[i] = exp(src[i])`.
    exp_f64_slice(src: &[f64], dst: &mut [f64]) {
        map_lanes_fallback::<EXP_LANES, _, _>(src, dst, exp_lane, f64::exp)
    }
}

multiversion! {
    /// Writes `dst[i] = exp(src[i])` (computed in `f64`, rounded once).
    exp_f32_slice(src: &[f32], dst: &mut [f32]) {
        map_lanes_fallback::<EXP_LANES, _, _>(
            src,
            dst,
            |x| {
                let (v, bad) = exp_lane(f64::from(x));
                (v as f32, bad)
            },
            f32::exp,
        )
    }
}

multiversion! {
    /// Writes `dst[i] = ln(src[i])`.
    log_f64_slice(src: &[f64], dst: &mut [f64]) {
        map_lanes(src, dst, log_lane)
    }
}

multiversion! {
    /// Writes `dst[i] = ln(src[i])` (computed in `f64`, rounded once).
    log_f32_slice(src: &[f32], dst: &mut [f32]) {
        map_lanes(src, dst, |x| log_lane(f64::from(x)) as f32)
    }
}

multiversion! {
    /// Writes `dst[i] = sin(src[i])`.
    sin_f64_slice(src: &[f64], dst: &mut [f64]) {
        map_lanes_fallback::<LANES, _, _>(src, dst, sincos_lane::<false>, f64::sin)
    }
}

multiversion! {
    /// Writes `dst[i] = sin(src[i])` (computed in `f64`, rounded once).
    sin_f32_slice(src: &[f32], dst: &mut [f32]) {
        map_lanes_fallback::<LANES, _, _>(
            src,
            dst,
            |x| {
                let (v, bad) = sincos_lane::<false>(f64::from(x));
                (v as f32, bad)
            },
            f32::sin,
        )
    }
}

multiversion! {
    /// Writes `dst[i] = cos(src[i])`.
    cos_f64_slice(src: &[f64], dst: &mut [f64]) {
        map_lanes_fallback::<LANES, _, _>(src, dst, sincos_lane::<true>, f64::cos)
    }
}

multiversion! {
    /// Writes `dst[i] = cos(src[i])` (computed in `f64`, rounded once).
    cos_f32_slice(src: &[f32], dst: &mut [f32]) {
        map_lanes_fallback::<LANES, _, _>(
            src,
            dst,
            |x| {
                let (v, bad) = sincos_lane::<true>(f64::from(x));
                (v as f32, bad)
            },
            f32::cos,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in units in the last place (0 for two NaNs, `u64::MAX` for one).
    fn ulps64(a: f64, b: f64) -> u64 {
        if a.is_nan() || b.is_nan() {
            return if a.is_nan() && b.is_nan() {
                0
            } else {
                u64::MAX
            };
        }
        let key = |x: f64| {
            let i = x.to_bits() as i64;
            if i < 0 { i64::MIN - i } else { i }
        };
        (i128::from(key(a)) - i128::from(key(b))).unsigned_abs() as u64
    }

    fn ulps32(a: f32, b: f32) -> u64 {
        if a.is_nan() || b.is_nan() {
            return if a.is_nan() && b.is_nan() {
                0
            } else {
                u64::MAX
            };
        }
        let key = |x: f32| {
            let i = x.to_bits() as i32;
            if i < 0 { i32::MIN - i } else { i }
        };
        (i64::from(key(a)) - i64::from(key(b))).unsigned_abs()
    }

    /// SplitMix64: a small deterministic generator for test inputs.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
        fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
            lo + (hi - lo) * ((self.next() >> 11) as f64 / (1u64 << 53) as f64)
        }
    }

    const EDGES: [f64; 24] = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        f64::MIN_POSITIVE,
        -f64::MIN_POSITIVE,
        5e-324,
        -5e-324,
        f64::MAX,
        f64::MIN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        709.782_712_893_384,
        709.782_712_893_384_1,
        -745.133_219_101_941_2,
        -745.133_219_101_941,
        -708.4,
        std::f64::consts::FRAC_PI_2,
        std::f64::consts::PI,
        1_048_576.0,
        1_048_576.000_000_1,
        1e22,
        1e-300,
    ];

    /// Inputs: edge cases, random bit patterns over the whole range, and uniform
    /// values over `range` where the function does its interesting work.
    fn inputs(seed: u64, n: usize, range: (f64, f64)) -> Vec<f64> {
        let mut rng = Rng(seed);
        let mut v = EDGES.to_vec();
        for _ in 0..n / 2 {
            v.push(f64::from_bits(rng.next()));
        }
        for _ in 0..n / 2 {
            v.push(rng.uniform(range.0, range.1));
        }
        v
    }

    fn check64(
        name: &str,
        fast: fn(&[f64], &mut [f64]),
        reference: fn(f64) -> f64,
        range: (f64, f64),
    ) {
        let xs = inputs(name.len() as u64 * 7919, 2_000_000, range);
        let mut out = vec![0.0; xs.len()];
        fast(&xs, &mut out);
        let mut worst = (0, 0.0);
        for (&x, &y) in xs.iter().zip(&out) {
            let d = ulps64(y, reference(x));
            if d > worst.0 {
                worst = (d, x);
            }
        }
        assert!(
            worst.0 <= 1,
            "{name}: {} ulp at x = {:e} ({:?} vs std {:?})",
            worst.0,
            worst.1,
            {
                let mut o = [0.0];
                fast(&[worst.1], &mut o);
                o[0]
            },
            reference(worst.1)
        );
    }

    fn check32(
        name: &str,
        fast: fn(&[f32], &mut [f32]),
        reference: fn(f32) -> f32,
        range: (f32, f32),
    ) {
        let mut rng = Rng(name.len() as u64 * 104_729);
        let mut xs: Vec<f32> = EDGES.iter().map(|&x| x as f32).collect();
        for _ in 0..1_000_000 {
            xs.push(f32::from_bits(rng.next() as u32));
            xs.push(rng.uniform(f64::from(range.0), f64::from(range.1)) as f32);
        }
        let mut out = vec![0.0; xs.len()];
        fast(&xs, &mut out);
        for (&x, &y) in xs.iter().zip(&out) {
            let d = ulps32(y, reference(x));
            assert!(
                d <= 1,
                "{name}: {d} ulp at x = {x:e} ({y:?} vs std {:?})",
                reference(x)
            );
        }
    }

    #[test]
    fn exp_matches_std() {
        check64("exp", exp_f64_slice, f64::exp, (-746.0, 710.0));
        check64("exp small", exp_f64_slice, f64::exp, (-1.0, 1.0));
        check32("expf", exp_f32_slice, f32::exp, (-104.0, 89.0));
    }

    #[test]
    fn log_matches_std() {
        check64("log", log_f64_slice, f64::ln, (0.0, 4.0));
        check64("log wide", log_f64_slice, f64::ln, (0.0, 1e300));
        check32("logf", log_f32_slice, f32::ln, (0.0, 4.0));
    }

    #[test]
    fn sin_matches_std() {
        check64("sin", sin_f64_slice, f64::sin, (-10.0, 10.0));
        check64("sin medium", sin_f64_slice, f64::sin, (-1.1e6, 1.1e6));
        check32("sinf", sin_f32_slice, f32::sin, (-1e4, 1e4));
    }

    #[test]
    fn cos_matches_std() {
        check64("cos", cos_f64_slice, f64::cos, (-10.0, 10.0));
        check64("cos medium", cos_f64_slice, f64::cos, (-1.1e6, 1.1e6));
        check32("cosf", cos_f32_slice, f32::cos, (-1e4, 1e4));
    }

    #[test]
    fn special_values_are_exact() {
        let one = |f: fn(&[f64], &mut [f64]), x: f64| {
            let mut o = [0.0];
            f(&[x], &mut o);
            o[0]
        };
        assert_eq!(one(exp_f64_slice, 0.0), 1.0);
        assert_eq!(one(exp_f64_slice, f64::INFINITY), f64::INFINITY);
        assert_eq!(one(exp_f64_slice, f64::NEG_INFINITY), 0.0);
        assert_eq!(one(exp_f64_slice, 1000.0), f64::INFINITY);
        assert_eq!(one(exp_f64_slice, -1000.0), 0.0);
        assert_eq!(one(exp_f64_slice, -745.0), 5e-324);
        assert!(one(exp_f64_slice, f64::NAN).is_nan());
        assert_eq!(one(log_f64_slice, 1.0), 0.0);
        assert_eq!(one(log_f64_slice, 0.0), f64::NEG_INFINITY);
        assert_eq!(one(log_f64_slice, -0.0), f64::NEG_INFINITY);
        assert!(one(log_f64_slice, -1.0).is_nan());
        assert!(one(log_f64_slice, f64::NEG_INFINITY).is_nan());
        assert_eq!(one(log_f64_slice, f64::INFINITY), f64::INFINITY);
        assert_eq!(one(log_f64_slice, 5e-324), (5e-324f64).ln());
        for f in [sin_f64_slice, cos_f64_slice] {
            assert!(one(f, f64::INFINITY).is_nan());
            assert!(one(f, f64::NAN).is_nan());
        }
        assert_eq!(one(sin_f64_slice, -0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(one(sin_f64_slice, 5e-324), 5e-324);
        assert_eq!(one(cos_f64_slice, 0.0), 1.0);
        assert_eq!(one(sin_f64_slice, 1e300), 1e300f64.sin());
        // Near a multiple of π/2 the cancellation guard hands over to std.
        let x = std::f64::consts::FRAC_PI_2 * 3.0;
        assert_eq!(one(cos_f64_slice, x), x.cos());
    }

    #[test]
    fn chunk_tails_are_computed() {
        for n in [0, 1, 7, 8, 9, 17] {
            let xs: Vec<f64> = (0..n).map(|i| i as f64 * 0.37 - 1.0).collect();
            let mut out = vec![f64::NAN; n];
            sin_f64_slice(&xs, &mut out);
            for (x, y) in xs.iter().zip(&out) {
                assert!(ulps64(*y, x.sin()) <= 1);
            }
            let xs32: Vec<f32> = xs.iter().map(|&x| x as f32).collect();
            let mut out32 = vec![f32::NAN; n];
            exp_f32_slice(&xs32, &mut out32);
            for (x, y) in xs32.iter().zip(&out32) {
                assert!(ulps32(*y, x.exp()) <= 1);
            }
        }
    }

    #[test]
    fn pi_over_two_constants_sum_to_pi_over_two() {
        // P1 + P2 carries π/2 to ~2^-85; the sum rounds to FRAC_PI_2 and the
        // parts have the short significands the exact products rely on.
        assert_eq!(P1 + P2 + P3 + P4, std::f64::consts::FRAC_PI_2);
        for (p, bits) in [(P1, 31), (P2, 32), (P3, 28)] {
            let m = (p.to_bits() & ((1 << 52) - 1)) | (1 << 52);
            assert_eq!(53 - m.trailing_zeros(), bits);
        }
    }
}
