//! NumPy's pairwise summation: blocks of 128 summed with 8 accumulators, split in halves above that.

use std::ops::Add;

/// Below this many elements a run is summed with 8 accumulators (NumPy's `PW_BLOCKSIZE`).
const BLOCK: usize = 128;

/// Sums `f(x)` over `x` in NumPy's pairwise order, accumulating in `A`.
///
/// This is the algorithm of NumPy's `pairwise_sum` (`loops_utils.h.src`), so a
/// contiguous `float64` sum agrees with `np.sum` to the last bits; its error grows
/// as O(ε log n) instead of O(ε n). The split recursion is over log2(n) levels of
/// data, never over a graph.
pub(crate) fn pairwise_sum<T: Copy, A>(x: &[T], f: &impl Fn(T) -> A) -> A
where
    A: Copy + Add<Output = A> + Default,
{
    let n = x.len();
    if n < 8 {
        let mut res = A::default();
        for &v in x {
            res = res + f(v);
        }
        res
    } else if n <= BLOCK {
        let mut r = [A::default(); 8];
        for (j, acc) in r.iter_mut().enumerate() {
            *acc = f(x[j]);
        }
        let full = n - n % 8;
        let mut i = 8;
        while i < full {
            for (j, acc) in r.iter_mut().enumerate() {
                *acc = *acc + f(x[i + j]);
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &v in &x[full..] {
            res = res + f(v);
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_sum(&x[..n2], f) + pairwise_sum(&x[n2..], f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_and_blocked_sums_are_exact_on_integers() {
        for n in [0usize, 1, 7, 8, 9, 127, 128, 129, 1000, 4097] {
            let x: Vec<f64> = (0..n).map(|i| i as f64).collect();
            let want = (n * n.saturating_sub(1) / 2) as f64;
            assert_eq!(pairwise_sum(&x, &|v| v), want, "n = {n}");
        }
    }

    #[test]
    fn pairwise_beats_naive_accumulation() {
        // 10^7 copies of 0.1: the naive sum drifts by ~1e-9 relative, pairwise stays ~1e-15.
        let x = vec![0.1f64; 10_000_000];
        let s = pairwise_sum(&x, &|v| v);
        let rel = ((s - 1_000_000.0) / 1_000_000.0).abs();
        assert!(rel < 1e-13, "relative error {rel}");
        let naive: f64 = x.iter().sum();
        assert!(((naive - 1_000_000.0) / 1_000_000.0).abs() > rel);
    }

    #[test]
    fn mapped_accumulation_in_a_wider_type() {
        let x = [1i32, 2, 3, i32::MAX];
        assert_eq!(pairwise_sum(&x, &|v| v as f64), 6.0 + i32::MAX as f64);
    }
}
