//! Shape and layout kernels: indexing, transposes, reshapes, joins, triangles and rechunk helpers.

pub(crate) mod axes;
pub(crate) mod cast;
pub(crate) mod concat;
pub(crate) mod index;
pub(crate) mod regions;
pub(crate) mod reshape;
mod tri;

use super::KernelFn;

/// The layout kernels: `(name, signature, function)`.
pub fn kernels() -> Vec<(&'static str, &'static str, KernelFn)> {
    let mut out: Vec<(&'static str, &'static str, KernelFn)> = vec![
        (
            "getitem",
            "getitem(x, index=[int | [start, stop, step] | null | \"...\", ...])",
            index::getitem,
        ),
        ("transpose", "transpose(x, axes=None)", axes::transpose),
        ("reshape", "reshape(x, shape)", reshape::reshape),
        ("squeeze", "squeeze(x, axis=None)", axes::squeeze),
        ("expand_dims", "expand_dims(x, axis)", axes::expand_dims),
        ("broadcast_to", "broadcast_to(x, shape)", axes::broadcast_to),
        (
            "concatenate",
            "concatenate([x, ...], axis=0)",
            concat::concatenate,
        ),
        ("stack", "stack([x, ...], axis=0)", concat::stack),
        ("tril", "tril(x, k=0, row0=0, col0=0)", tri::tril),
        ("triu", "triu(x, k=0, row0=0, col0=0)", tri::triu),
    ];
    out.extend(regions::kernels());
    out
}
