//! Splitting an array into the lanes a reduction runs over (reduced axes moved last, made contiguous).

use ndarray::{ArcArray, IxDyn};

/// The shape that remains after reducing `axes` out of `shape`, with or without
/// the reduced axes kept as length 1.
pub(crate) fn reduced_shape(shape: &[usize], axes: &[usize], keepdims: bool) -> Vec<usize> {
    shape
        .iter()
        .enumerate()
        .filter_map(|(i, &n)| match (axes.contains(&i), keepdims) {
            (false, _) => Some(n),
            (true, true) => Some(1),
            (true, false) => None,
        })
        .collect()
}

/// Calls `f` on every lane of `a` along the (sorted, distinct) `axes`, in C order of
/// the kept axes, and collects the results.
///
/// A lane is the elements sharing one position on the kept axes, in C order of the
/// reduced axes. Contiguous inputs reduced over trailing axes are read in place;
/// anything else is copied once into that order.
pub(crate) fn map_lanes<T: Clone, R>(
    a: &ArcArray<T, IxDyn>,
    axes: &[usize],
    mut f: impl FnMut(&[T]) -> R,
) -> Vec<R> {
    let ndim = a.ndim();
    let mut perm: Vec<usize> = (0..ndim).filter(|i| !axes.contains(i)).collect();
    perm.extend_from_slice(axes);
    let lane: usize = axes.iter().map(|&i| a.shape()[i]).product();
    let lanes: usize = (0..ndim)
        .filter(|i| !axes.contains(i))
        .map(|i| a.shape()[i])
        .product();
    if lane == 0 {
        return (0..lanes).map(|_| f(&[])).collect();
    }
    let view = a.view().permuted_axes(IxDyn(&perm));
    let data = view.as_standard_layout();
    // A standard-layout array always has a contiguous slice.
    let slice = data.as_slice().unwrap_or(&[]);
    slice.chunks(lane).map(f).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::ArrayD;

    fn arange(shape: &[usize]) -> ArcArray<i64, IxDyn> {
        let n = shape.iter().product::<usize>() as i64;
        ArrayD::from_shape_vec(IxDyn(shape), (0..n).collect())
            .unwrap()
            .into_shared()
    }

    #[test]
    fn lanes_of_middle_axis() {
        let a = arange(&[2, 3, 2]);
        let lanes = map_lanes(&a, &[1], |l| l.to_vec());
        assert_eq!(
            lanes,
            vec![vec![0, 2, 4], vec![1, 3, 5], vec![6, 8, 10], vec![7, 9, 11]]
        );
        assert_eq!(reduced_shape(&[2, 3, 2], &[1], false), vec![2, 2]);
        assert_eq!(reduced_shape(&[2, 3, 2], &[1], true), vec![2, 1, 2]);
    }

    #[test]
    fn lanes_of_all_axes_and_of_no_axis() {
        let a = arange(&[2, 2]);
        assert_eq!(
            map_lanes(&a, &[0, 1], |l| l.to_vec()),
            vec![vec![0, 1, 2, 3]]
        );
        assert_eq!(map_lanes(&a, &[], |l| l.to_vec()).len(), 4);
    }

    #[test]
    fn empty_lanes_and_empty_outputs() {
        let a = arange(&[3, 0]);
        assert_eq!(map_lanes(&a, &[1], |l| l.len()), vec![0, 0, 0]);
        assert!(map_lanes(&a, &[0], |l| l.len()).is_empty());
    }

    #[test]
    fn transposed_input_is_read_in_logical_order() {
        let a = arange(&[2, 3]).reversed_axes();
        assert_eq!(
            map_lanes(&a, &[1], |l| l.to_vec()),
            vec![vec![0, 3], vec![1, 4], vec![2, 5]]
        );
    }
}
