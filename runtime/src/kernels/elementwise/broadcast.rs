//! NumPy broadcasting of shapes: align on the right, sizes must match or be 1.

use crate::kernels::KernelError;

/// The broadcast shape of `shapes` (`np.broadcast_shapes`), or an error naming
/// `op` and the shapes that do not fit together.
pub(crate) fn broadcast_shapes(op: &str, shapes: &[&[usize]]) -> Result<Vec<usize>, KernelError> {
    let ndim = shapes.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out = vec![1usize; ndim];
    for shape in shapes {
        let offset = ndim - shape.len();
        for (axis, &n) in shape.iter().enumerate() {
            let slot = &mut out[offset + axis];
            if *slot == 1 {
                *slot = n;
            } else if n != 1 && n != *slot {
                let listed: Vec<String> = shapes.iter().map(|s| format!("{s:?}")).collect();
                return Err(KernelError::new(format!(
                    "{op}: shapes {} cannot be broadcast together (axis {} of the result: {} vs {})",
                    listed.join(", "),
                    offset + axis,
                    *slot,
                    n
                )));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(shapes: &[&[usize]]) -> Result<Vec<usize>, KernelError> {
        broadcast_shapes("add", shapes)
    }

    #[test]
    fn column_and_row_give_a_matrix() {
        assert_eq!(b(&[&[3, 1], &[4]]).unwrap(), vec![3, 4]);
        assert_eq!(b(&[&[4], &[3, 1]]).unwrap(), vec![3, 4]);
    }

    #[test]
    fn zero_d_broadcasts_to_anything() {
        assert_eq!(b(&[&[], &[2, 5]]).unwrap(), vec![2, 5]);
        assert_eq!(b(&[&[], &[]]).unwrap(), Vec::<usize>::new());
        assert_eq!(b(&[]).unwrap(), Vec::<usize>::new());
    }

    #[test]
    fn empty_axes_follow_numpy() {
        assert_eq!(b(&[&[0], &[1]]).unwrap(), vec![0]);
        assert_eq!(b(&[&[2, 0], &[2, 1]]).unwrap(), vec![2, 0]);
        assert!(b(&[&[0], &[3]]).is_err());
    }

    #[test]
    fn mismatch_is_an_error_naming_the_shapes() {
        let err = b(&[&[3], &[4]]).unwrap_err();
        assert_eq!(
            err.0,
            "add: shapes [3], [4] cannot be broadcast together (axis 0 of the result: 3 vs 4)"
        );
        assert_eq!(b(&[&[2, 1, 3], &[5, 1], &[1]]).unwrap(), vec![2, 5, 3]);
    }
}
