//! Elementwise kernels against `std`: the vectorized `exp`/`sin`/`log` of
//! `kernels::elementwise::math` over 10^6 `f64` against a loop over `std`'s
//! scalar functions, and whole kernels (`add`, `exp`) on arrays.

use divan::{Bencher, black_box};
use ndarray::{ArrayD, IxDyn};
use tessera_runtime::kernels::elementwise::{self, math};
use tessera_runtime::{Array, Value};

fn main() {
    divan::main();
}

const N: usize = 1_000_000;

/// 10^6 inputs spread over `[lo, hi)` (deterministic).
fn inputs(lo: f64, hi: f64) -> Vec<f64> {
    (0..N)
        .map(|i| lo + (hi - lo) * ((i as f64 * 0.618_033_988_749_895) % 1.0))
        .collect()
}

fn bench_slice(bencher: Bencher<'_, '_>, xs: Vec<f64>, f: fn(&[f64], &mut [f64])) {
    let mut out = vec![0.0; N];
    bencher
        .counter(divan::counter::ItemsCount::new(N))
        .bench_local(|| f(black_box(&xs), black_box(&mut out)));
}

fn bench_std(bencher: Bencher<'_, '_>, xs: Vec<f64>, f: fn(f64) -> f64) {
    let mut out = vec![0.0; N];
    bencher
        .counter(divan::counter::ItemsCount::new(N))
        .bench_local(|| {
            for (o, &x) in out.iter_mut().zip(black_box(&xs)) {
                *o = f(x);
            }
            black_box(&mut out);
        });
}

#[divan::bench]
fn exp_fast(b: Bencher<'_, '_>) {
    bench_slice(b, inputs(-700.0, 700.0), math::exp_f64_slice);
}

#[divan::bench]
fn exp_std(b: Bencher<'_, '_>) {
    bench_std(b, inputs(-700.0, 700.0), f64::exp);
}

#[divan::bench]
fn sin_fast(b: Bencher<'_, '_>) {
    bench_slice(b, inputs(-100.0, 100.0), math::sin_f64_slice);
}

#[divan::bench]
fn sin_std(b: Bencher<'_, '_>) {
    bench_std(b, inputs(-100.0, 100.0), f64::sin);
}

#[divan::bench]
fn log_fast(b: Bencher<'_, '_>) {
    bench_slice(b, inputs(1e-3, 1e6), math::log_f64_slice);
}

#[divan::bench]
fn log_std(b: Bencher<'_, '_>) {
    bench_std(b, inputs(1e-3, 1e6), f64::ln);
}

fn array(xs: Vec<f64>) -> Value {
    Value::Array(Array::from(
        ArrayD::from_shape_vec(IxDyn(&[1000, 1000]), xs).unwrap(),
    ))
}

fn kernel(name: &str) -> tessera_runtime::kernels::KernelFn {
    elementwise::kernels()
        .into_iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, _, f)| f)
        .unwrap()
}

#[divan::bench]
fn kernel_add_same_shape(b: Bencher<'_, '_>) {
    let args = [array(inputs(0.0, 1.0)), array(inputs(1.0, 2.0))];
    let add = kernel("add");
    let attrs = serde_json::Map::new();
    b.counter(divan::counter::ItemsCount::new(N))
        .bench_local(|| add(black_box(&args), &attrs).unwrap());
}

#[divan::bench]
fn kernel_exp(b: Bencher<'_, '_>) {
    let args = [array(inputs(-10.0, 10.0))];
    let exp = kernel("exp");
    let attrs = serde_json::Map::new();
    b.counter(divan::counter::ItemsCount::new(N))
        .bench_local(|| exp(black_box(&args), &attrs).unwrap());
}
