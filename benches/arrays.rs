//! Array workloads of `../shared/design/workloads.md` through the Rust API: build
//! the expression, lower, compute. Data that a workload calls "in memory" is made
//! before timing. Compare with `../shared/peers/peers.py W1 W2 W6 W7` run in the
//! same session, as ratios. `tensordot_slice` and `batched_matmul` have no peer
//! workload: compare with NumPy and dask.array on the same expressions.
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
#[divan::bench(sample_count = 200, sample_size = 1)]
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

/// An in-memory array of `shape`, uniform in [0, 1).
fn random_array(shape: &[usize], seed: u64) -> ArrayD<f64> {
    let n = shape.iter().product();
    random_matrix(n, 1, seed)
        .into_shape_with_order(IxDyn(shape))
        .expect("shape")
}

/// `tensordot(A, B, axes=2)[:10, :10]`, A (2000, 20, 50) and B (20, 50, 2000) in
/// memory, chunks (250, 20, 50) and (20, 50, 250): the slice is pushed into the
/// rows of A and the columns of B, so one small product is computed.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn tensordot_slice(bencher: Bencher) {
    let a = Array::from_ndarray(random_array(&[2000, 20, 50], 1), vec![250, 20, 50]).unwrap();
    let b = Array::from_ndarray(random_array(&[20, 50, 2000], 2), vec![20, 50, 250]).unwrap();
    bencher.bench(|| {
        a.tensordot(&b, 2)
            .unwrap()
            .slice(s![..10, ..10])
            .unwrap()
            .compute::<f64>()
            .unwrap()
    });
}

/// `A @ B` with A and B (16, 400, 400) in memory, chunks (4, 200, 200): 4 × 2 × 2
/// result blocks of 2 products each, on 1 or 2 threads; `whole` computes it as one
/// task (what the whole-array rule did before the products were blocked).
#[divan::bench(args = ["blocked-1", "blocked-2", "whole"], sample_count = 5, sample_size = 1)]
fn batched_matmul(bencher: Bencher, how: &str) {
    let a = Array::from_ndarray(random_array(&[16, 400, 400], 3), vec![4, 200, 200]).unwrap();
    let b = Array::from_ndarray(random_array(&[16, 400, 400], 4), vec![4, 200, 200]).unwrap();
    let options = tessera::compute::ComputeOptions {
        threads: Some(if how == "blocked-2" { 2 } else { 1 }),
        lower: tessera::compiler::LowerOptions {
            whole_arrays: how == "whole",
            ..Default::default()
        },
        ..Default::default()
    };
    bencher.bench(|| a.matmul(&b).unwrap().compute_with::<f64>(&options).unwrap());
}
