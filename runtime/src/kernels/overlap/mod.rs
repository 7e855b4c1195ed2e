//! Ghosting (`map_overlap`): the built-in block function `correlate` and the
//! boundary padding of blocks at the array's edges.

mod boundary;
mod correlate;
mod lines;

use super::KernelFn;

/// The ghosting kernels: `(name, signature, function)`.
pub fn kernels() -> Vec<(&'static str, &'static str, KernelFn)> {
    vec![
        (
            "correlate",
            "correlate(x, weights, mode='reflect', cval=0.0, trim=[[before, after], ...]) -> scipy.ndimage.correlate(x, weights, mode, cval), trimmed",
            correlate::correlate,
        ),
        (
            "overlap.pad",
            "overlap.pad(x, pad=[[before, after], ...], mode='reflect' | 'wrap' | 'nearest' | 'constant' (or one per axis), cval=0)",
            boundary::pad_kernel,
        ),
    ]
}
