//! Reading one tile of an input: the elements `start..end` (in C order) of the
//! input broadcast to the output shape. A contiguous input of the output's shape is
//! sliced without copying; a strided view or a broadcast input is copied tile by
//! tile (never the whole block), one run of the last axis at a time.

use ndarray::{ArcArray, ArrayViewD, IxDyn, Slice};

use crate::kernels::KernelError;
use crate::kernels::layout::cast::Element;
use crate::value::Array;

/// An array input prepared for tiling.
#[derive(Debug, Clone)]
pub(super) enum Source {
    /// C-contiguous data of the output's shape, flattened (tiles are views).
    Flat(Array),
    /// Anything else: read through strides (zero on broadcast axes).
    Strided(Array),
}

impl Source {
    /// Prepares `a` for tiles of an output of shape `out`.
    pub(super) fn new(a: &Array, out: &[usize]) -> Result<Source, KernelError> {
        if a.shape() == out && is_c_contiguous(a) {
            let n = a.len();
            let flat = crate::map_array!(a.clone(), x => x
                .into_shape_with_order(IxDyn(&[n]))
                .map_err(|e| KernelError::new(format!("fused: internal reshape: {e}")))?);
            return Ok(Source::Flat(flat));
        }
        // Check that it broadcasts to `out` now, so tiles never fail.
        crate::with_array!(a, x => {
            if x.broadcast(IxDyn(out)).is_none() {
                return Err(KernelError::new(format!(
                    "fused: an input of shape {:?} does not broadcast to {out:?}",
                    x.shape()
                )));
            }
        });
        Ok(Source::Strided(a.clone()))
    }

    /// The elements `start..end` of the broadcast input, as a 1-D array.
    pub(super) fn tile(&self, out: &[usize], start: usize, end: usize) -> Array {
        match self {
            Source::Flat(a) => crate::map_array!(a.clone(), x => {
                x.slice_axis_move(ndarray::Axis(0), Slice::from(start..end))
            }),
            Source::Strided(a) => crate::map_array!(a, x => {
                let view = x.broadcast(IxDyn(out)).expect("checked in Source::new");
                let data = gather(&view, start, end);
                ArcArray::from_shape_vec(IxDyn(&[end - start]), data).expect("tile length")
            }),
        }
    }
}

fn is_c_contiguous(a: &Array) -> bool {
    crate::with_array!(a, x => x.is_standard_layout())
}

/// Elements `start..end` (C order) of `view`, walking runs of the last axis.
pub(super) fn gather<T: Element>(view: &ArrayViewD<'_, T>, start: usize, end: usize) -> Vec<T> {
    let mut out = Vec::with_capacity(end - start);
    if start >= end {
        return out;
    }
    let shape = view.shape();
    let ndim = shape.len();
    if ndim == 0 {
        out.push(view[IxDyn(&[])]);
        return out;
    }
    let strides = view.strides();
    // Multi-index of `start`.
    let mut idx = vec![0usize; ndim];
    let mut rem = start;
    for a in (0..ndim).rev() {
        idx[a] = rem % shape[a];
        rem /= shape[a];
    }
    let last = ndim - 1;
    let ptr = view.as_ptr();
    let mut left = end - start;
    while left > 0 {
        let run = (shape[last] - idx[last]).min(left);
        let base: isize = idx.iter().zip(strides).map(|(&i, &s)| i as isize * s).sum();
        let step = strides[last];
        if step == 1 {
            // SAFETY: `idx` is a valid index of `view` (every entry below its axis
            // length, kept so by the carry below) and `idx[last] + run <=
            // shape[last]`, so the `run` elements from `base` on are elements of
            // the view (contiguous: unit stride), which stays borrowed here.
            out.extend_from_slice(unsafe { std::slice::from_raw_parts(ptr.offset(base), run) });
        } else {
            for j in 0..run {
                // SAFETY: as above; `base + j * step` with `idx[last] + j <
                // shape[last]` is the offset of an element of the view.
                out.push(unsafe { *ptr.offset(base + j as isize * step) });
            }
        }
        left -= run;
        idx[last] += run;
        for a in (1..ndim).rev() {
            if idx[a] < shape[a] {
                break;
            }
            idx[a] = 0;
            idx[a - 1] += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{ArrayD, s};

    #[test]
    fn gather_reads_strided_and_broadcast_views_by_tiles() {
        let a = ArrayD::from_shape_fn(IxDyn(&[4, 5]), |i| (i[0] * 10 + i[1]) as f64);
        let view = a.slice(s![..;2, 1..4]).into_dyn();
        let all: Vec<f64> = view.iter().copied().collect();
        for (s0, e0) in [(0, 6), (1, 5), (2, 3), (4, 4), (5, 6)] {
            assert_eq!(gather(&view, s0, e0), all[s0..e0].to_vec(), "{s0}..{e0}");
        }
        let row = ArrayD::from_shape_vec(IxDyn(&[3]), vec![1i64, 2, 3]).unwrap();
        let b = row.broadcast(IxDyn(&[2, 3])).unwrap();
        assert_eq!(gather(&b, 2, 6), vec![3, 1, 2, 3]);
        let zero_d = ArrayD::from_elem(IxDyn(&[]), true);
        assert_eq!(gather(&zero_d.view(), 0, 1), vec![true]);
    }

    #[test]
    fn contiguous_inputs_are_sliced_not_copied() {
        let a: Array = ArrayD::from_shape_fn(IxDyn(&[3, 4]), |i| (i[0] * 4 + i[1]) as i32).into();
        let src = Source::new(&a, &[3, 4]).unwrap();
        assert!(matches!(src, Source::Flat(_)));
        let t = src.tile(&[3, 4], 5, 9);
        let Array::I32(t) = t else { panic!() };
        assert_eq!(t.iter().copied().collect::<Vec<_>>(), vec![5, 6, 7, 8]);
        assert!(Source::new(&a, &[2, 4]).is_err());
    }
}
