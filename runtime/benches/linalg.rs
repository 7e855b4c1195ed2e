//! Matrix product backends on one core: ndarray's `dot` (matrixmultiply) against
//! faer's `matmul`, f64 and f32, 500×500 and 1000×1000. The faster one backs
//! `tessera_runtime`'s float `matmul` kernels: matrixmultiply won on the build machine (see
//! `kernels/linalg/gemm.rs` for the numbers).
//!
//! The Cholesky tile kernels (`potrf trsm syrk gemm`, through the kernel table, one
//! thread) on the tiles of W3 (500 and 1000): divide the flops (potrf n³/3, trsm n³,
//! syrk of the lower triangle n³, gemm 2n³) by the time for GFLOP/s; `faer_f64` is
//! faer's own product on the same core.
//!
//! Run with `cargo bench -p tessera-runtime --bench linalg`.

use divan::Bencher;
use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use ndarray::Array2;

fn main() {
    divan::main();
}

fn inputs<T: From<f32> + Copy>(n: usize) -> (Array2<T>, Array2<T>) {
    let a = Array2::from_shape_fn((n, n), |(i, j)| {
        T::from(((i * 7 + j * 3) % 11) as f32 * 0.1)
    });
    let b = Array2::from_shape_fn((n, n), |(i, j)| T::from(((i * 5 + j) % 13) as f32 * 0.1));
    (a, b)
}

#[divan::bench(args = [500, 1000], sample_count = 5)]
fn matrixmultiply_f64(bencher: Bencher, n: usize) {
    let (a, b) = inputs::<f64>(n);
    bencher.bench_local(|| a.dot(&b));
}

#[divan::bench(args = [500, 1000], sample_count = 5)]
fn faer_f64(bencher: Bencher, n: usize) {
    let (a, b) = inputs::<f64>(n);
    bencher.bench_local(|| {
        let mut out = vec![0.0f64; n * n];
        let lhs = MatRef::from_row_major_slice(a.as_slice().unwrap(), n, n);
        let rhs = MatRef::from_row_major_slice(b.as_slice().unwrap(), n, n);
        matmul(
            MatMut::from_row_major_slice_mut(&mut out, n, n),
            Accum::Replace,
            lhs,
            rhs,
            1.0,
            Par::Seq,
        );
        out
    });
}

#[divan::bench(args = [500, 1000], sample_count = 5)]
fn matrixmultiply_f32(bencher: Bencher, n: usize) {
    let (a, b) = inputs::<f32>(n);
    bencher.bench_local(|| a.dot(&b));
}

#[divan::bench(args = [500, 1000], sample_count = 5)]
fn faer_f32(bencher: Bencher, n: usize) {
    let (a, b) = inputs::<f32>(n);
    bencher.bench_local(|| {
        let mut out = vec![0.0f32; n * n];
        let lhs = MatRef::from_row_major_slice(a.as_slice().unwrap(), n, n);
        let rhs = MatRef::from_row_major_slice(b.as_slice().unwrap(), n, n);
        matmul(
            MatMut::from_row_major_slice_mut(&mut out, n, n),
            Accum::Replace,
            lhs,
            rhs,
            1.0,
            Par::Seq,
        );
        out
    });
}

#[divan::bench(args = [500, 1000], sample_count = 5)]
fn kernel_matmul_f64(bencher: Bencher, n: usize) {
    use tessera_runtime::Value;
    let (a, b) = inputs::<f64>(n);
    let args = [
        Value::Array(a.into_dyn().into()),
        Value::Array(b.into_dyn().into()),
    ];
    let matmul = tessera_runtime::kernels::linalg::kernels()
        .into_iter()
        .find(|(name, _, _)| *name == "matmul")
        .map(|(_, _, f)| f)
        .unwrap();
    let kwargs = serde_json::Map::new();
    bencher.bench_local(|| matmul(&args, &kwargs).unwrap());
}

/// The kernel `name` of the linear algebra table.
fn kernel(name: &str) -> tessera_runtime::kernels::KernelFn {
    tessera_runtime::kernels::linalg::kernels()
        .into_iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, _, f)| f)
        .unwrap()
}

/// A W3-like tile `R Rᵀ / n + I` (SPD) and its lower factor.
fn spd_tile(n: usize) -> (tessera_runtime::Value, tessera_runtime::Value) {
    use tessera_runtime::Value;
    let (r, _) = inputs::<f64>(n);
    let a = r.dot(&r.t()) / n as f64 + Array2::<f64>::eye(n);
    let a = Value::Array(a.into_dyn().into());
    let l = kernel("potrf")(std::slice::from_ref(&a), &serde_json::Map::new()).unwrap();
    (a, l)
}

#[divan::bench(args = [500, 1000], sample_count = 5)]
fn tile_potrf(bencher: Bencher, n: usize) {
    let (a, _) = spd_tile(n);
    let (f, kwargs) = (kernel("potrf"), serde_json::Map::new());
    bencher.bench_local(|| f(std::slice::from_ref(&a), &kwargs).unwrap());
}

#[divan::bench(args = [500, 1000], sample_count = 5)]
fn tile_trsm(bencher: Bencher, n: usize) {
    let (a, l) = spd_tile(n);
    let f = kernel("trsm");
    let kwargs = serde_json::json!({"side": "right", "lower": true, "trans": true});
    let args = [l, a];
    bencher.bench_local(|| f(&args, kwargs.as_object().unwrap()).unwrap());
}

#[divan::bench(args = [500, 1000], sample_count = 5)]
fn tile_syrk_lower(bencher: Bencher, n: usize) {
    let (a, l) = spd_tile(n);
    let f = kernel("syrk");
    let kwargs = serde_json::json!({"lower": true});
    let args = [a, l];
    bencher.bench_local(|| f(&args, kwargs.as_object().unwrap()).unwrap());
}

#[divan::bench(args = [500, 1000], sample_count = 5)]
fn tile_gemm(bencher: Bencher, n: usize) {
    let (a, l) = spd_tile(n);
    let (f, kwargs) = (kernel("gemm"), serde_json::Map::new());
    let args = [a, l.clone(), l];
    bencher.bench_local(|| f(&args, &kwargs).unwrap());
}
