//! Sources for a block of a larger array: counter-based random numbers (Philox4x32-10)
//! and `zeros ones full arange linspace eye`.
//!
//! Every kernel takes the whole array's `shape`, the block's `offset` (start per
//! axis, default zeros) and `block_shape` (default: the rest of the array), so a
//! block of a slice holds the same values as the slice of the whole array, and
//! random values depend only on (seed, global flat index), never on scheduling.

mod block;
mod distributions;
mod philox;
mod sources;

use super::KernelFn;

/// The source kernels: `(name, signature, function)`.
pub fn kernels() -> Vec<(&'static str, &'static str, KernelFn)> {
    vec![
        (
            "random.uniform",
            "random.uniform(seed, shape, low=0.0, high=1.0, offset?, block_shape?)",
            distributions::uniform,
        ),
        (
            "random.normal",
            "random.normal(seed, shape, loc=0.0, scale=1.0, offset?, block_shape?)",
            distributions::normal,
        ),
        (
            "random.integers",
            "random.integers(seed, shape, low, high, offset?, block_shape?) -> int64",
            distributions::integers,
        ),
        (
            "zeros",
            "zeros(shape, dtype='float64', offset?, block_shape?)",
            sources::zeros,
        ),
        (
            "ones",
            "ones(shape, dtype='float64', offset?, block_shape?)",
            sources::ones,
        ),
        (
            "full",
            "full(shape, fill_value, dtype?, offset?, block_shape?)",
            sources::full,
        ),
        (
            "arange",
            "arange(start=0, stop, step=1, dtype?, offset?, block_shape?)",
            sources::arange,
        ),
        (
            "linspace",
            "linspace(start, stop, num, endpoint=True, dtype='float64', offset?, block_shape?)",
            sources::linspace,
        ),
        (
            "eye",
            "eye(N, M=N, k=0, dtype='float64', offset?, block_shape?)",
            sources::eye,
        ),
    ]
}
