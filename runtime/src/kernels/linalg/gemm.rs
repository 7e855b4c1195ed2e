//! The 2-d matrix product core: matrixmultiply (through ndarray) for float32/float64,
//! plain loops with NumPy's wrapping for integers and bool.
//!
//! `benches/linalg.rs` compares matrixmultiply with faer's `matmul` (both on one core;
//! the executor parallelizes across blocks): on the 2-core build machine
//! matrixmultiply was faster for f32 (≈53 vs ≈85 ms at 1000×1000, ≈9 vs ≈18 ms at
//! 500×500) and as fast or faster for f64 (≈125 vs ≈140–170 ms at 1000×1000), so it
//! is the backend here; faer serves the factorizations.

use std::borrow::Cow;

use ndarray::{ArrayView2, ArrayViewMut2};

use crate::kernels::layout::cast::Element;

/// An element type the product core handles.
pub(crate) trait GemmElement: Element {
    /// `out (m×n, row-major) = a·b`, or `out += a·b` when `accumulate`.
    fn gemm(a: ArrayView2<'_, Self>, b: ArrayView2<'_, Self>, out: &mut [Self], accumulate: bool);
}

/// Row-major data of a 2-d view (borrowed when already C-contiguous).
fn row_major<'a, T: Copy>(a: ArrayView2<'a, T>) -> Cow<'a, [T]> {
    match a.to_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(a.iter().copied().collect()),
    }
}

fn float_gemm<T>(a: ArrayView2<'_, T>, b: ArrayView2<'_, T>, out: &mut [T], accumulate: bool)
where
    T: Element + ndarray::LinalgScalar,
{
    let (m, n) = (a.nrows(), b.ncols());
    debug_assert_eq!(out.len(), m * n, "callers size `out` as m×n");
    if let Ok(mut c) = ArrayViewMut2::from_shape((m, n), out) {
        let beta = if accumulate { T::one() } else { T::zero() };
        // Strided inputs are handled by matrixmultiply without a copy.
        ndarray::linalg::general_mat_mul(T::one(), &a, &b, beta, &mut c);
    }
}

impl GemmElement for f64 {
    fn gemm(a: ArrayView2<'_, f64>, b: ArrayView2<'_, f64>, out: &mut [f64], accumulate: bool) {
        float_gemm(a, b, out, accumulate)
    }
}

impl GemmElement for f32 {
    fn gemm(a: ArrayView2<'_, f32>, b: ArrayView2<'_, f32>, out: &mut [f32], accumulate: bool) {
        float_gemm(a, b, out, accumulate)
    }
}

/// i-k-j loops over row-major copies with a wrapping multiply-add.
fn loop_gemm<T: Copy + Default>(
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    out: &mut [T],
    accumulate: bool,
    fma: impl Fn(T, T, T) -> T,
) {
    let (m, k) = a.dim();
    let n = b.ncols();
    if !accumulate {
        out.iter_mut().for_each(|v| *v = T::default());
    }
    let (ad, bd) = (row_major(a), row_major(b));
    for i in 0..m {
        let row = &mut out[i * n..(i + 1) * n];
        for p in 0..k {
            let x = ad[i * k + p];
            let brow = &bd[p * n..(p + 1) * n];
            for (o, &y) in row.iter_mut().zip(brow) {
                *o = fma(*o, x, y);
            }
        }
    }
}

impl GemmElement for i64 {
    fn gemm(a: ArrayView2<'_, i64>, b: ArrayView2<'_, i64>, out: &mut [i64], accumulate: bool) {
        loop_gemm(a, b, out, accumulate, |o, x, y| {
            o.wrapping_add(x.wrapping_mul(y))
        })
    }
}

impl GemmElement for i32 {
    fn gemm(a: ArrayView2<'_, i32>, b: ArrayView2<'_, i32>, out: &mut [i32], accumulate: bool) {
        loop_gemm(a, b, out, accumulate, |o, x, y| {
            o.wrapping_add(x.wrapping_mul(y))
        })
    }
}

impl GemmElement for bool {
    fn gemm(a: ArrayView2<'_, bool>, b: ArrayView2<'_, bool>, out: &mut [bool], accumulate: bool) {
        loop_gemm(a, b, out, accumulate, |o, x, y| o || (x && y))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, array};

    fn naive(a: &Array2<f64>, b: &Array2<f64>) -> Array2<f64> {
        Array2::from_shape_fn((a.nrows(), b.ncols()), |(i, j)| {
            (0..a.ncols()).map(|p| a[[i, p]] * b[[p, j]]).sum()
        })
    }

    #[test]
    fn float_gemm_matches_naive_on_strided_inputs() {
        let a = Array2::from_shape_fn((7, 5), |(i, j)| (i * 5 + j) as f64 * 0.5 - 3.0);
        let b = Array2::from_shape_fn((6, 5), |(i, j)| (i as f64 - j as f64) * 0.25);
        let bt = b.t(); // 5×6, not C-contiguous
        let mut out = vec![0.0; 42];
        f64::gemm(a.view(), bt, &mut out, false);
        let want = naive(&a, &bt.to_owned());
        assert_eq!(Array2::from_shape_vec((7, 6), out.clone()).unwrap(), want);
        f64::gemm(a.view(), bt, &mut out, true);
        assert_eq!(Array2::from_shape_vec((7, 6), out).unwrap(), &want * 2.0);
    }

    #[test]
    fn integer_and_bool_gemm() {
        let a = array![[1i64, 2], [3, 4]];
        let mut out = vec![0i64; 4];
        i64::gemm(a.view(), a.view(), &mut out, false);
        assert_eq!(out, vec![7, 10, 15, 22]);
        let big = array![[i64::MAX, 2]];
        let col = array![[2i64], [1]];
        let mut o = vec![0i64];
        i64::gemm(big.view(), col.view(), &mut o, false);
        assert_eq!(o[0], i64::MAX.wrapping_mul(2).wrapping_add(2));
        let t = array![[true, false], [false, false]];
        let mut ob = vec![false; 4];
        bool::gemm(t.view(), t.view(), &mut ob, false);
        assert_eq!(ob, vec![true, false, false, false]);
    }

    #[test]
    fn empty_inner_dimension_gives_zeros() {
        let a = Array2::<f64>::zeros((2, 0));
        let b = Array2::<f64>::zeros((0, 3));
        let mut out = vec![9.0; 6];
        f64::gemm(a.view(), b.view(), &mut out, false);
        assert_eq!(out, vec![0.0; 6]);
    }
}
