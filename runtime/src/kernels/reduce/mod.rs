//! Reductions (`sum prod mean min max var std any all argmin argmax`) on whole arrays,
//! and the partial / combine / finalize kernels of their tree reductions over blocks.
//!
//! A tree reduction runs `<op>-partial` on every block (reduced axes kept as length
//! 1), `<op>-combine` on groups of partials (a list of same-shaped partials, as many
//! levels as `split_every` asks), and `<op>-finalize` once at the root.

mod arg;
pub(crate) mod args;
mod basic;
pub(crate) mod common;
mod lanes;
mod moments;
pub(crate) mod pairwise;

use super::KernelFn;

/// The reduction kernels: `(name, signature, function)`.
pub fn kernels() -> Vec<(&'static str, &'static str, KernelFn)> {
    let mut out = basic::kernels();
    out.extend(moments::kernels());
    out.extend(arg::kernels());
    out
}
