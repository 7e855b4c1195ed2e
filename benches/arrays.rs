//! Array workloads of `../shared/design/workloads.md` through the Rust API: build
//! the expression, lower, compute. Data that a workload calls "in memory" is made
//! before timing. Compare with `../shared/peers/peers.py W1 W2 W6 W7` run in the
//! same session, as ratios.
//!
//! `cargo bench --bench arrays` (add `-- w2` to pick one).

use std::sync::OnceLock;

use divan::Bencher;
use ndarray::{ArrayD, IxDyn};
use tessera::{Array, Axis, DType, s};

fn main() {
    divan::main();
}

/// 10,000 × 10,000 float64 uniform in [0, 1) (a fixed xorshift stream).
fn x_10k() -> &'static ArrayD<f64> {
    static X: OnceLock<ArrayD<f64>> = OnceLock::new();
    X.get_or_init(|| random_matrix(10_000, 10_000, 7))
}

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

/// W1: `exp(ones((10000, 10000), chunks=100))[1:100, 1:100]`, built and computed.
#[divan::bench(sample_count = 50)]
fn w1_lazy_slice() -> ArrayD<f64> {
    let x = Array::ones(&[10_000, 10_000], DType::Float64, 100).unwrap();
    x.exp()
        .unwrap()
        .slice(s![1..100, 1..100])
        .unwrap()
        .compute::<f64>()
        .unwrap()
}

/// W1 after slice pushdown (by hand until the optimizer lands):
/// `exp(ones((99, 99), chunks=100))`, which fusion makes exactly one task.
#[divan::bench(sample_count = 50)]
fn w1_pushed_by_hand() -> ArrayD<f64> {
    let x = Array::ones(&[99, 99], DType::Float64, 100).unwrap();
    x.exp().unwrap().compute::<f64>().unwrap()
}

/// W2: `exp(x).sum()` with x in memory, chunks 1000 and 100.
#[divan::bench(args = [1000, 100], sample_count = 3, sample_size = 1)]
fn w2_exp_sum(bencher: Bencher, chunks: usize) {
    let x = Array::from_ndarray(x_10k().clone(), chunks).unwrap();
    bencher.bench(|| {
        x.exp()
            .unwrap()
            .sum(Axis::All, false)
            .unwrap()
            .compute::<f64>()
            .unwrap()
    });
}

/// W6: `(2*sin(x)**2 + cos(x)*exp(-x) - 1).mean()`, chunks 1000.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn w6_fused(bencher: Bencher) {
    let x = Array::from_ndarray(x_10k().clone(), 1000).unwrap();
    bencher.bench(|| {
        let sin2 = x.sin().unwrap().power(2).unwrap();
        let y = (sin2 * 2.0) + x.cos().unwrap() * (-&x).exp().unwrap() - 1.0;
        y.mean(Axis::All, false).unwrap().compute::<f64>().unwrap()
    });
}

/// W7: `(A @ B)[:10, :10]`, A and B 4000 × 4000 in memory, chunks 500.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn w7_slice_matmul(bencher: Bencher) {
    let a = Array::from_ndarray(random_matrix(4000, 4000, 1), 500).unwrap();
    let b = Array::from_ndarray(random_matrix(4000, 4000, 2), 500).unwrap();
    bencher.bench(|| {
        a.matmul(&b)
            .unwrap()
            .slice(s![..10, ..10])
            .unwrap()
            .compute::<f64>()
            .unwrap()
    });
}
