//! NumPy broadcasting of shapes, NEP 50 result types with weak scalars, and the
//! chunks of a broadcast result (Dask's `unify_chunks` on each shared axis).

use super::attr::not_an_array;
use super::{InferError, InferInput};
use crate::chunks::{fmt_shape, unify_axis};
use crate::dtype::{DType, ScalarKind};
use crate::meta::{ArrayMeta, Chunks, Meta};

/// An argument of an elementwise op: an array, or a weak (Python) scalar.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Operand<'a> {
    /// A chunked array (strong dtype).
    Array(&'a ArrayMeta),
    /// A weak scalar literal and its value.
    Weak(ScalarKind, f64),
}

/// The arguments `0..n` as operands; anything else than an array or a number is an
/// error at that argument.
pub(crate) fn operands<'a>(
    input: &'a InferInput<'_>,
    n: usize,
) -> Result<Vec<Operand<'a>>, InferError> {
    (0..n)
        .map(|i| match input.arg(i)? {
            Meta::Array(a) => Ok(Operand::Array(a)),
            Meta::Scalar(kind, v) => Ok(Operand::Weak(*kind, *v)),
            other => Err(not_an_array(i, other)),
        })
        .collect()
}

/// The NumPy 2 result type of the operands: strong array dtypes promote among
/// themselves, then each weak scalar can only change the kind (NEP 50). With no
/// array at all, the highest scalar kind gives its default dtype.
pub(crate) fn result_type(ops: &[Operand<'_>]) -> DType {
    let strong = ops
        .iter()
        .filter_map(|o| match o {
            Operand::Array(a) => Some(a.dtype),
            Operand::Weak(..) => None,
        })
        .reduce(DType::promote);
    let weak = ops.iter().filter_map(|o| match o {
        Operand::Weak(k, _) => Some(*k),
        Operand::Array(_) => None,
    });
    match strong {
        Some(d) => weak.fold(d, DType::promote_weak),
        None => {
            let rank = |k: &ScalarKind| match k {
                ScalarKind::Bool => 0,
                ScalarKind::Int => 1,
                ScalarKind::Float => 2,
            };
            DType::of_scalar(weak.max_by_key(rank).unwrap_or(ScalarKind::Float))
        }
    }
}

/// NumPy's broadcast of several shapes.
pub(crate) fn broadcast_shapes(shapes: &[&[usize]]) -> Result<Vec<usize>, String> {
    let ndim = shapes.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out = vec![1usize; ndim];
    for (j, o) in out.iter_mut().enumerate() {
        for s in shapes {
            let Some(i) = (j + s.len()).checked_sub(ndim) else {
                continue;
            };
            let n = s[i];
            if n == *o || n == 1 {
                continue;
            }
            if *o == 1 {
                *o = n;
            } else {
                return Err(format!(
                    "operands could not be broadcast together with shapes {}",
                    shapes
                        .iter()
                        .map(|s| fmt_shape(s))
                        .collect::<Vec<_>>()
                        .join(" ")
                ));
            }
        }
    }
    Ok(out)
}

/// Chunks of the broadcast result of `arrays` (of broadcast shape `shape`): per
/// axis, the common refinement of the chunks of the inputs that have the full
/// length there; an input broadcast along an axis (length 1) does not constrain it.
pub(crate) fn broadcast_chunks(arrays: &[&ArrayMeta], shape: &[usize]) -> Result<Chunks, String> {
    let ndim = shape.len();
    let mut out = Vec::with_capacity(ndim);
    for (j, &n) in shape.iter().enumerate() {
        let mut axis: Option<Vec<usize>> = None;
        for a in arrays {
            let Some(i) = (j + a.ndim()).checked_sub(ndim) else {
                continue;
            };
            if a.shape[i] != n {
                continue;
            }
            let sizes = &a.chunks.0[i];
            axis = Some(match axis {
                None => sizes.clone(),
                Some(prev) => unify_axis(&prev, sizes)?,
            });
        }
        out.push(axis.unwrap_or_else(|| vec![n]));
    }
    Ok(Chunks(out))
}

/// Broadcast shape and unified chunks of the array operands.
pub(crate) fn broadcast(ops: &[Operand<'_>]) -> Result<(Vec<usize>, Chunks), InferError> {
    let arrays: Vec<&ArrayMeta> = ops
        .iter()
        .filter_map(|o| match o {
            Operand::Array(a) => Some(*a),
            Operand::Weak(..) => None,
        })
        .collect();
    let shapes: Vec<&[usize]> = arrays.iter().map(|a| a.shape.as_slice()).collect();
    let shape = broadcast_shapes(&shapes).map_err(InferError::new)?;
    let chunks = broadcast_chunks(&arrays, &shape).map_err(InferError::new)?;
    Ok((shape, chunks))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arr(shape: &[usize], chunks: Vec<Vec<usize>>, dtype: DType) -> ArrayMeta {
        ArrayMeta::new(shape.to_vec(), dtype, Chunks(chunks))
    }

    #[test]
    fn shapes_broadcast_as_numpy() {
        assert_eq!(broadcast_shapes(&[&[3, 1], &[4]]).unwrap(), vec![3, 4]);
        assert_eq!(broadcast_shapes(&[&[], &[2, 0]]).unwrap(), vec![2, 0]);
        assert_eq!(broadcast_shapes(&[&[1, 0], &[3, 1]]).unwrap(), vec![3, 0]);
        assert_eq!(broadcast_shapes(&[]).unwrap(), Vec::<usize>::new());
        assert_eq!(
            broadcast_shapes(&[&[2, 3], &[4, 3]]).unwrap_err(),
            "operands could not be broadcast together with shapes (2, 3) (4, 3)"
        );
    }

    #[test]
    fn result_types_follow_nep50() {
        let i32a = arr(&[2], vec![vec![2]], DType::Int32);
        let f32a = arr(&[2], vec![vec![2]], DType::Float32);
        let w = |k| Operand::Weak(k, 1.0);
        use ScalarKind::*;
        assert_eq!(result_type(&[Operand::Array(&i32a), w(Int)]), DType::Int32);
        assert_eq!(
            result_type(&[Operand::Array(&i32a), w(Float)]),
            DType::Float64
        );
        assert_eq!(
            result_type(&[Operand::Array(&f32a), w(Float)]),
            DType::Float32
        );
        assert_eq!(
            result_type(&[Operand::Array(&i32a), Operand::Array(&f32a)]),
            DType::Float64
        );
        assert_eq!(result_type(&[w(Int), w(Bool)]), DType::Int64);
        assert_eq!(result_type(&[w(Int), w(Float)]), DType::Float64);
    }

    #[test]
    fn chunks_unify_and_ignore_broadcast_axes() {
        // da.ones((4, 6), chunks=(2, 3)) + da.ones((1, 6), chunks=(1, (1, 5)))
        // Dask: ((2, 2), (1, 2, 3))
        let a = arr(&[4, 6], vec![vec![2, 2], vec![3, 3]], DType::Float64);
        let b = arr(&[1, 6], vec![vec![1], vec![1, 5]], DType::Float64);
        let (shape, chunks) = broadcast(&[Operand::Array(&a), Operand::Array(&b)]).unwrap();
        assert_eq!(shape, vec![4, 6]);
        assert_eq!(chunks, Chunks(vec![vec![2, 2], vec![1, 2, 3]]));
        // A lower-dimensional operand aligns to the right.
        let c = arr(&[6], vec![vec![4, 2]], DType::Float64);
        let (_, chunks) = broadcast(&[Operand::Array(&a), Operand::Array(&c)]).unwrap();
        assert_eq!(chunks, Chunks(vec![vec![2, 2], vec![3, 1, 2]]));
        // Only scalars: a 0-d result.
        let (shape, chunks) = broadcast(&[Operand::Weak(ScalarKind::Int, 1.0)]).unwrap();
        assert!(shape.is_empty() && chunks.0.is_empty());
    }
}
