//! Random sources: `random.uniform` and `random.normal` kernels making one
//! 1000 × 1000 block of a 10000 × 10000 array (a block of W2r / W6r), on one
//! thread and on every core at once (each thread its own blocks, as the
//! executor runs them). Throughput is in values per second.

use divan::{Bencher, black_box};
use serde_json::{Map, Value as Json, json};
use tessera_runtime::kernels::KernelFn;

fn main() {
    divan::main();
}

const BLOCK: usize = 1000;

fn kernel(name: &str) -> KernelFn {
    tessera_runtime::kernels::random::kernels()
        .into_iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, _, f)| f)
        .expect("a random kernel")
}

/// The attributes lowering gives block `b` (row-major over a 10 × 10 grid).
fn block_kwargs(b: usize) -> Map<String, Json> {
    let (i, j) = (b / 10 % 10, b % 10);
    json!({
        "seed": 42,
        "shape": [10_000, 10_000],
        "offset": [i * BLOCK, j * BLOCK],
        "block_shape": [BLOCK, BLOCK],
    })
    .as_object()
    .cloned()
    .expect("an object")
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[divan::bench(args = ["random.uniform", "random.normal"])]
fn one_thread(bencher: Bencher<'_, '_>, op: &str) {
    let f = kernel(op);
    let kwargs = block_kwargs(13);
    bencher
        .counter(divan::counter::ItemsCount::new(BLOCK * BLOCK))
        .bench_local(|| black_box(f(&[], black_box(&kwargs)).expect("a block")));
}

#[divan::bench(args = ["random.uniform", "random.normal"])]
fn all_cores(bencher: Bencher<'_, '_>, op: &str) {
    let f = kernel(op);
    let n = cores();
    let kwargs: Vec<_> = (0..n).map(|t| block_kwargs(7 * t + 3)).collect();
    bencher
        .counter(divan::counter::ItemsCount::new(n * BLOCK * BLOCK))
        .bench_local(|| {
            std::thread::scope(|s| {
                for kw in &kwargs {
                    s.spawn(move || black_box(f(&[], black_box(kw)).expect("a block")));
                }
            });
        });
}
