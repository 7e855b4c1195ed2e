//! Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3"): a
//! counter-based generator, and the stream of uniform doubles built on it.
//!
//! The stream (version 2, SPEC section 9): value `32g + r` of a seed's stream
//! comes from Philox call `16g + r % 16` — words 0 and 1 when `r < 16`, words 2
//! and 3 otherwise — so each 128-bit call gives two doubles and a group of 32
//! values is 16 calls side by side: one AVX-512 vector or two AVX2 vectors,
//! stored with no shuffle. The scalar, AVX2 and AVX-512 paths compute the same
//! bits (integer arithmetic, then exact conversions).

const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

/// Values per group of the stream.
pub(crate) const GROUP: usize = 32;
/// Philox calls per group.
const CALLS: usize = GROUP / 2;

fn mulhilo(a: u32, b: u32) -> (u32, u32) {
    let p = a as u64 * b as u64;
    ((p >> 32) as u32, p as u32)
}

/// The 128 random bits for `counter` under `key`: 10 Philox rounds.
pub(crate) fn philox4x32(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let mut c = counter;
    let mut k = key;
    for round in 0..10 {
        if round > 0 {
            k[0] = k[0].wrapping_add(W0);
            k[1] = k[1].wrapping_add(W1);
        }
        let (hi0, lo0) = mulhilo(M0, c[0]);
        let (hi1, lo1) = mulhilo(M1, c[2]);
        c = [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0];
    }
    c
}

/// The random bits of Philox call `call` under `seed`; `stream` separates
/// independent draws for the same call (rejection retries of `random.integers`).
pub(crate) fn bits(seed: u64, call: u64, stream: u32) -> [u32; 4] {
    philox4x32(
        [call as u32, (call >> 32) as u32, stream, 0],
        [seed as u32, (seed >> 32) as u32],
    )
}

/// A double in [0, 1) from the 53 high bits of `hi:lo`.
pub(crate) fn unit(hi: u32, lo: u32) -> f64 {
    let x = ((hi as u64) << 32) | lo as u64;
    (x >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// The Philox call giving value `index` of the stream, and whether it is the
/// call's second pair of words.
pub(crate) fn slot(index: u64) -> (u64, bool) {
    let r = index % GROUP as u64;
    (
        index / GROUP as u64 * CALLS as u64 + r % CALLS as u64,
        r >= CALLS as u64,
    )
}

/// The call's words that give value `index` of the stream, as a pair.
pub(crate) fn words_at(seed: u64, index: u64) -> (u32, u32) {
    let (call, second) = slot(index);
    let r = bits(seed, call, 0);
    if second { (r[2], r[3]) } else { (r[0], r[1]) }
}

/// Value `index` of the uniform [0, 1) stream of `seed`.
pub(crate) fn unit_at(seed: u64, index: u64) -> f64 {
    let (hi, lo) = words_at(seed, index);
    unit(hi, lo)
}

/// Writes values `32·first_group ..` of the uniform [0, 1) stream of `seed` into
/// `out`, whose length is a multiple of [`GROUP`]: with AVX-512 or AVX2 when the
/// CPU has them (chosen at run time), else one call at a time; all give the same bits.
pub(crate) fn unit_groups(seed: u64, first_group: u64, out: &mut [f64]) {
    debug_assert_eq!(out.len() % GROUP, 0);
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F, checked just above.
            return unsafe { x86::groups_avx512(seed, first_group, out) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { x86::groups_avx2(seed, first_group, out) };
        }
    }
    unit_groups_scalar(seed, first_group, out);
}

/// [`unit_groups`] one Philox call at a time (every CPU; the reference of the others).
pub(crate) fn unit_groups_scalar(seed: u64, first_group: u64, out: &mut [f64]) {
    for (g, chunk) in out.chunks_exact_mut(GROUP).enumerate() {
        let call0 = (first_group + g as u64) * CALLS as u64;
        let (first, second) = chunk.split_at_mut(CALLS);
        for (j, (a, b)) in first.iter_mut().zip(second).enumerate() {
            let r = bits(seed, call0 + j as u64, 0);
            *a = unit(r[0], r[1]);
            *b = unit(r[2], r[3]);
        }
    }
}

/// Writes values `start .. start + out.len()` of a stream of `seed` whose whole
/// groups `groups(seed, first_group, out)` writes: whole groups straight into
/// `out`, the partial ones at the ends through a group-sized buffer.
pub(crate) fn fill_run(
    seed: u64,
    start: u64,
    out: &mut [f64],
    groups: impl Fn(u64, u64, &mut [f64]),
) {
    let g = GROUP as u64;
    let end = start + out.len() as u64;
    let mut pos = start;
    let mut done = 0;
    while pos < end {
        let group = pos / g;
        let in_group = (pos % g) as usize;
        let whole = if in_group == 0 {
            ((end - pos) / g) as usize
        } else {
            0
        };
        if whole > 0 {
            let n = whole * GROUP;
            groups(seed, group, &mut out[done..done + n]);
            done += n;
            pos += n as u64;
        } else {
            let mut buf = [0.0; GROUP];
            groups(seed, group, &mut buf);
            let n = (GROUP - in_group).min((end - pos) as usize);
            out[done..done + n].copy_from_slice(&buf[in_group..in_group + n]);
            done += n;
            pos += n as u64;
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    //! The vector paths: Philox's rounds on 16 (AVX-512) or 8 (AVX2) counters in
    //! 32-bit lanes, then each pair of words `hi:lo` to a double as
    //! `a·2^-27 + b·2^-53` with `a = hi >> 5` and `b` the next 26 bits — the
    //! same 53 bits as [`super::unit`], each product and the sum exact.

    use super::{CALLS, GROUP, M0, M1, W0, W1};
    use std::arch::x86_64::*;

    const A_SCALE: f64 = 1.0 / (1u64 << 27) as f64;
    const B_SCALE: f64 = 1.0 / (1u64 << 53) as f64;

    /// AVX-512: one group (16 calls) per vector.
    #[target_feature(enable = "avx512f")]
    pub(super) fn groups_avx512(seed: u64, first_group: u64, out: &mut [f64]) {
        let m0 = _mm512_set1_epi32(M0 as i32);
        let m1 = _mm512_set1_epi32(M1 as i32);
        let lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        let low5 = _mm512_set1_epi32(31);
        let a_scale = _mm512_set1_pd(A_SCALE);
        let b_scale = _mm512_set1_pd(B_SCALE);
        let mulhilo = |m: __m512i, c: __m512i| {
            let even = _mm512_mul_epu32(c, m);
            let odd = _mm512_mul_epu32(_mm512_srli_epi64::<32>(c), m);
            let hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64::<32>(even), odd);
            let lo = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64::<32>(odd));
            (hi, lo)
        };
        let units = |hi: __m512i, lo: __m512i, dst: &mut [f64]| {
            let a = _mm512_srli_epi32::<5>(hi);
            let b = _mm512_or_si512(
                _mm512_slli_epi32::<21>(_mm512_and_si512(hi, low5)),
                _mm512_srli_epi32::<11>(lo),
            );
            let halves = [
                (_mm512_castsi512_si256(a), _mm512_castsi512_si256(b)),
                (
                    _mm512_extracti64x4_epi64::<1>(a),
                    _mm512_extracti64x4_epi64::<1>(b),
                ),
            ];
            for (h, (a, b)) in halves.into_iter().enumerate() {
                let v = _mm512_add_pd(
                    _mm512_mul_pd(_mm512_cvtepi32_pd(a), a_scale),
                    _mm512_mul_pd(_mm512_cvtepi32_pd(b), b_scale),
                );
                let dst = &mut dst[8 * h..8 * h + 8];
                // SAFETY: `dst` holds exactly the 8 doubles stored.
                unsafe { _mm512_storeu_pd(dst.as_mut_ptr(), v) };
            }
        };
        for (g, chunk) in out.chunks_exact_mut(GROUP).enumerate() {
            let call0 = (first_group + g as u64) * CALLS as u64;
            // 16 consecutive calls from a multiple of 16 share the high word.
            let mut c0 = _mm512_add_epi32(_mm512_set1_epi32(call0 as u32 as i32), lanes);
            let mut c1 = _mm512_set1_epi32((call0 >> 32) as u32 as i32);
            let mut c2 = _mm512_setzero_si512();
            let mut c3 = _mm512_setzero_si512();
            let (mut k0, mut k1) = (seed as u32, (seed >> 32) as u32);
            for round in 0..10 {
                if round > 0 {
                    k0 = k0.wrapping_add(W0);
                    k1 = k1.wrapping_add(W1);
                }
                let (hi0, lo0) = mulhilo(m0, c0);
                let (hi1, lo1) = mulhilo(m1, c2);
                c0 = _mm512_xor_si512(_mm512_xor_si512(hi1, c1), _mm512_set1_epi32(k0 as i32));
                c2 = _mm512_xor_si512(_mm512_xor_si512(hi0, c3), _mm512_set1_epi32(k1 as i32));
                c1 = lo1;
                c3 = lo0;
            }
            let (first, second) = chunk.split_at_mut(CALLS);
            units(c0, c1, first);
            units(c2, c3, second);
        }
    }

    /// AVX2: one group as two vectors of 8 calls.
    #[target_feature(enable = "avx2")]
    pub(super) fn groups_avx2(seed: u64, first_group: u64, out: &mut [f64]) {
        let m0 = _mm256_set1_epi32(M0 as i32);
        let m1 = _mm256_set1_epi32(M1 as i32);
        let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        let low5 = _mm256_set1_epi32(31);
        let a_scale = _mm256_set1_pd(A_SCALE);
        let b_scale = _mm256_set1_pd(B_SCALE);
        let mulhilo = |m: __m256i, c: __m256i| {
            let even = _mm256_mul_epu32(c, m);
            let odd = _mm256_mul_epu32(_mm256_srli_epi64::<32>(c), m);
            let hi = _mm256_blend_epi32::<0xAA>(_mm256_srli_epi64::<32>(even), odd);
            let lo = _mm256_blend_epi32::<0xAA>(even, _mm256_slli_epi64::<32>(odd));
            (hi, lo)
        };
        let units = |hi: __m256i, lo: __m256i, dst: &mut [f64]| {
            let a = _mm256_srli_epi32::<5>(hi);
            let b = _mm256_or_si256(
                _mm256_slli_epi32::<21>(_mm256_and_si256(hi, low5)),
                _mm256_srli_epi32::<11>(lo),
            );
            let halves = [
                (_mm256_castsi256_si128(a), _mm256_castsi256_si128(b)),
                (
                    _mm256_extracti128_si256::<1>(a),
                    _mm256_extracti128_si256::<1>(b),
                ),
            ];
            for (h, (a, b)) in halves.into_iter().enumerate() {
                let v = _mm256_add_pd(
                    _mm256_mul_pd(_mm256_cvtepi32_pd(a), a_scale),
                    _mm256_mul_pd(_mm256_cvtepi32_pd(b), b_scale),
                );
                let dst = &mut dst[4 * h..4 * h + 4];
                // SAFETY: `dst` holds exactly the 4 doubles stored.
                unsafe { _mm256_storeu_pd(dst.as_mut_ptr(), v) };
            }
        };
        for (g, chunk) in out.chunks_exact_mut(GROUP).enumerate() {
            let group_call = (first_group + g as u64) * CALLS as u64;
            for half in 0..2 {
                let call0 = group_call + 8 * half as u64;
                let mut c0 = _mm256_add_epi32(_mm256_set1_epi32(call0 as u32 as i32), lanes);
                let mut c1 = _mm256_set1_epi32((call0 >> 32) as u32 as i32);
                let mut c2 = _mm256_setzero_si256();
                let mut c3 = _mm256_setzero_si256();
                let (mut k0, mut k1) = (seed as u32, (seed >> 32) as u32);
                for round in 0..10 {
                    if round > 0 {
                        k0 = k0.wrapping_add(W0);
                        k1 = k1.wrapping_add(W1);
                    }
                    let (hi0, lo0) = mulhilo(m0, c0);
                    let (hi1, lo1) = mulhilo(m1, c2);
                    c0 = _mm256_xor_si256(_mm256_xor_si256(hi1, c1), _mm256_set1_epi32(k0 as i32));
                    c2 = _mm256_xor_si256(_mm256_xor_si256(hi0, c3), _mm256_set1_epi32(k1 as i32));
                    c1 = lo1;
                    c3 = lo0;
                }
                units(c0, c1, &mut chunk[8 * half..8 * half + 8]);
                units(c2, c3, &mut chunk[CALLS + 8 * half..CALLS + 8 * half + 8]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers_from_random123() {
        // kat_vectors of Random123 for philox4x32_10.
        assert_eq!(
            philox4x32([0; 4], [0; 2]),
            [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
        );
        assert_eq!(
            philox4x32([u32::MAX; 4], [u32::MAX; 2]),
            [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]
        );
        assert_eq!(
            philox4x32(
                [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
                [0xa4093822, 0x299f31d0]
            ),
            [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]
        );
    }

    #[test]
    fn unit_interval_bounds() {
        assert_eq!(unit(0, 0), 0.0);
        assert!(unit(u32::MAX, u32::MAX) < 1.0);
    }

    /// Seeds and groups that exercise both key words and the counter's high word.
    const CASES: [(u64, u64); 4] = [
        (0, 0),
        (7, 3),
        (0xDEAD_BEEF_1234_5678, 1 << 30),
        (u64::MAX, (1 << 28) - 2),
    ];

    #[test]
    fn every_vector_path_gives_the_scalar_bits() {
        for (seed, group) in CASES {
            let mut want = vec![0.0; 3 * GROUP];
            unit_groups_scalar(seed, group, &mut want);
            for (i, w) in want.iter().enumerate() {
                assert_eq!(w.to_bits(), unit_at(seed, group * 32 + i as u64).to_bits());
            }
            let mut got = vec![0.0; 3 * GROUP];
            unit_groups(seed, group, &mut got);
            assert_eq!(got, want, "dispatched path, seed {seed} group {group}");
            #[cfg(target_arch = "x86_64")]
            {
                if std::arch::is_x86_feature_detected!("avx2") {
                    let mut v = vec![0.0; 3 * GROUP];
                    // SAFETY: AVX2 checked just above.
                    unsafe { x86::groups_avx2(seed, group, &mut v) };
                    assert_eq!(v, want, "avx2, seed {seed} group {group}");
                }
                if std::arch::is_x86_feature_detected!("avx512f") {
                    let mut v = vec![0.0; 3 * GROUP];
                    // SAFETY: AVX-512F checked just above.
                    unsafe { x86::groups_avx512(seed, group, &mut v) };
                    assert_eq!(v, want, "avx512, seed {seed} group {group}");
                }
            }
        }
    }

    #[test]
    fn runs_of_any_start_and_length_match_the_stream() {
        for (start, len) in [
            (0u64, 0usize),
            (5, 3),
            (31, 2),
            (30, 100),
            (64, 64),
            (1, 200),
        ] {
            let mut out = vec![0.0; len];
            fill_run(9, start, &mut out, unit_groups);
            let want: Vec<f64> = (0..len as u64).map(|i| unit_at(9, start + i)).collect();
            assert_eq!(out, want, "start {start} len {len}");
        }
    }
}
