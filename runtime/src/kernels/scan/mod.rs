//! Scans: `cumsum` and `cumprod` on whole arrays, and the block-scan helpers of their chunked lowering.

mod carry;
mod cumulative;

use super::KernelFn;

/// The scan kernels: `(name, signature, function)`.
pub fn kernels() -> Vec<(&'static str, &'static str, KernelFn)> {
    let mut out: Vec<(&'static str, &'static str, KernelFn)> = vec![
        ("cumsum", "cumsum(x, axis=None)", cumulative::cumsum),
        ("cumprod", "cumprod(x, axis=None)", cumulative::cumprod),
    ];
    out.extend(carry::kernels());
    out
}
