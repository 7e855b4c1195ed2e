//! Chunked algorithms of `../shared/design/workloads.md` through the Rust API:
//! W3 (blocked Cholesky of a 4000 × 4000 SPD matrix in memory, chunks 1000 and 500)
//! and W8 (3 × 3 mean `correlate`, boundary reflect, on 8000 × 8000, chunks 1000).
//! Compare with `../shared/peers/peers.py W3 W8` run in the same session, as ratios.
//!
//! Before timing, W3's factor is checked: lower triangular and `L Lᵀ = A` within
//! 1e-8 relative.
//!
//! `cargo bench --bench linalg` (add `-- w3` to pick one).

use std::sync::OnceLock;

use divan::Bencher;
use ndarray::{ArrayD, IxDyn};
use tessera::{Array, Boundary, linalg};

fn main() {
    divan::main();
}

/// Uniform [0, 1) values from a fixed xorshift stream.
fn random_matrix(rows: usize, cols: usize, seed: u64) -> ArrayD<f64> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let data = (0..rows * cols)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect();
    ArrayD::from_shape_vec(IxDyn(&[rows, cols]), data).expect("shape")
}

/// W3's matrix `R @ R.T + N*I` (N = 4000), made with tessera's own matmul.
fn spd() -> &'static ArrayD<f64> {
    static A: OnceLock<ArrayD<f64>> = OnceLock::new();
    A.get_or_init(|| {
        let n = 4000;
        let r = Array::from_ndarray(random_matrix(n, n, 3), 1000).unwrap();
        let eye = Array::eye(n, None, 0, tessera::DType::Float64, 1000).unwrap();
        let a = r.matmul(&r.transpose(None).unwrap()).unwrap() + eye * (n as f64);
        let a = a.compute::<f64>().unwrap();
        check_w3(&a);
        a
    })
}

/// The blocked factors (chunks 1000 and 500) checked independently of how they
/// were tiled: lower triangular, and `L @ L.T` equal to `A` within 1e-8 relative.
fn check_w3(a: &ArrayD<f64>) {
    let scale = a.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    for chunks in [1000, 500] {
        let l = linalg::cholesky(&Array::from_ndarray(a.clone(), chunks).unwrap())
            .unwrap()
            .compute::<f64>()
            .unwrap();
        let upper = l
            .indexed_iter()
            .filter(|(i, _)| i[1] > i[0])
            .fold(0.0f64, |m, (_, x)| m.max(x.abs()));
        assert_eq!(upper, 0.0, "W3 chunks {chunks}: nonzero above the diagonal");
        let lt = Array::from_ndarray(l, 1000).unwrap();
        let product = lt
            .matmul(&lt.transpose(None).unwrap())
            .unwrap()
            .compute::<f64>()
            .unwrap();
        let err = product
            .iter()
            .zip(a.iter())
            .fold(0.0f64, |m, (p, q)| m.max((p - q).abs()))
            / scale;
        assert!(err < 1e-8, "W3 chunks {chunks}: relative residual {err:e}");
        eprintln!("W3 chunks {chunks}: max |L Lᵀ - A| / max |A| = {err:.2e}");
    }
}

/// W3: `linalg.cholesky(A)`, A 4000 × 4000 SPD in memory, chunks 1000 and 500.
#[divan::bench(args = [1000, 500], sample_count = 3, sample_size = 1)]
fn w3_cholesky(bencher: Bencher, chunks: usize) {
    let a = Array::from_ndarray(spd().clone(), chunks).unwrap();
    bencher.bench(|| linalg::cholesky(&a).unwrap().compute::<f64>().unwrap());
}

/// W8: 3 × 3 mean `correlate` (boundary reflect) on 8000 × 8000, chunks 1000.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn w8_stencil(bencher: Bencher) {
    let x = Array::from_ndarray(random_matrix(8000, 8000, 5), 1000).unwrap();
    let w = ArrayD::from_elem(IxDyn(&[3, 3]), 1.0 / 9.0);
    bencher.bench(|| {
        x.correlate(&w, Boundary::Reflect)
            .unwrap()
            .compute::<f64>()
            .unwrap()
    });
}
