//! The loops every elementwise kernel runs: one, two or three operands, each an
//! array or a scalar, with fast paths for contiguous same-shape data and for a
//! scalar against an array, and NumPy broadcasting through ndarray's `Zip`
//! otherwise. Results are fresh arrays in standard (C) layout.

use std::borrow::Cow;

use ndarray::{ArcArray, ArrayD, ArrayViewD, CowArray, IxDyn, Zip};

use super::broadcast::broadcast_shapes;
use crate::kernels::KernelError;

/// An operand already converted to the element type of the loop.
#[derive(Debug, Clone)]
pub(crate) enum Operand<T> {
    /// An array (any layout, possibly a view of a larger buffer).
    Array(ArcArray<T, IxDyn>),
    /// A scalar: broadcasts against anything.
    Scalar(T),
}

impl<T: Copy> Operand<T> {
    /// The shape (`[]` for a scalar).
    pub(crate) fn shape(&self) -> &[usize] {
        match self {
            Operand::Array(a) => a.shape(),
            Operand::Scalar(_) => &[],
        }
    }

    /// The single value when the operand has exactly one element.
    fn single(&self) -> Option<T> {
        match self {
            Operand::Scalar(s) => Some(*s),
            Operand::Array(a) if a.len() == 1 => a.iter().next().copied(),
            Operand::Array(_) => None,
        }
    }

    /// The elements in C order as one slice, when that needs no copy.
    fn c_slice(&self) -> Option<&[T]> {
        match self {
            Operand::Array(a) => a.as_slice(),
            Operand::Scalar(_) => None,
        }
    }

    /// The operand as an array of its own shape (0-d for a scalar).
    fn as_cow(&self) -> CowArray<'_, T, IxDyn> {
        match self {
            Operand::Array(a) => CowArray::from(a.view()),
            Operand::Scalar(s) => CowArray::from(ArrayD::from_elem(IxDyn(&[]), *s)),
        }
    }
}

/// Builds a C-layout array of `shape` from `data` (whose length is the product).
fn from_vec<U>(shape: &[usize], data: Vec<U>) -> Result<ArrayD<U>, KernelError> {
    ArrayD::from_shape_vec(IxDyn(shape), data)
        .map_err(|e| KernelError::new(format!("internal: result of shape {shape:?}: {e}")))
}

/// The elements of `a` in C order, borrowed when already contiguous.
///
/// A strided view (a block of a larger array) is copied row by row: each row of
/// the last axis is usually contiguous, and copying rows as slices avoids
/// ndarray's per-element `IxDyn` iteration, which costs several nanoseconds per
/// element.
fn c_order<T: Copy>(a: &ArcArray<T, IxDyn>) -> Cow<'_, [T]> {
    if let Some(s) = a.as_slice() {
        return Cow::Borrowed(s);
    }
    if a.ndim() == 0 {
        return Cow::Owned(a.iter().copied().collect());
    }
    let mut out = Vec::with_capacity(a.len());
    for row in a.rows() {
        match row.as_slice() {
            Some(s) => out.extend_from_slice(s),
            None => out.extend(row.iter().copied()),
        }
    }
    Cow::Owned(out)
}

/// `f` applied to every element.
pub(crate) fn map1<T: Copy, U: Clone>(
    x: &Operand<T>,
    f: impl Fn(T) -> U,
) -> Result<ArrayD<U>, KernelError> {
    match x {
        Operand::Scalar(s) => Ok(ArrayD::from_elem(IxDyn(&[]), f(*s))),
        Operand::Array(a) => {
            let data: Vec<U> = c_order(a).iter().map(|&v| f(v)).collect();
            from_vec(a.shape(), data)
        }
    }
}

/// A slice function (`dst[i] = g(src[i])`, such as the vectorized math of
/// [`super::math`]) applied to every element.
pub(crate) fn map1_slice<T: Copy, U: Copy + Default>(
    x: &Operand<T>,
    f: impl Fn(&[T], &mut [U]),
) -> Result<ArrayD<U>, KernelError> {
    let (shape, src): (&[usize], Cow<'_, [T]>) = match x {
        Operand::Scalar(s) => (&[], Cow::Owned(vec![*s])),
        Operand::Array(a) => (a.shape(), c_order(a)),
    };
    let mut out = vec![U::default(); src.len()];
    f(&src, &mut out);
    from_vec(shape, out)
}

/// `f` applied to pairs of elements, broadcast as NumPy does.
pub(crate) fn zip2<A: Copy, B: Copy, U: Copy + Default>(
    op: &str,
    a: &Operand<A>,
    b: &Operand<B>,
    f: impl Fn(A, B) -> U,
) -> Result<ArrayD<U>, KernelError> {
    let shape = broadcast_shapes(op, &[a.shape(), b.shape()])?;
    // Same shape, both contiguous in C order: one pass over two slices.
    if let (Some(x), Some(y)) = (a.c_slice(), b.c_slice())
        && a.shape() == b.shape()
    {
        let data = x.iter().zip(y).map(|(&u, &v)| f(u, v)).collect();
        return from_vec(&shape, data);
    }
    // One side a single value, the other already of the result's shape.
    if let Some(s) = a.single()
        && let Operand::Array(y) = b
        && y.shape() == shape.as_slice()
    {
        let data = c_order(y).iter().map(|&v| f(s, v)).collect();
        return from_vec(&shape, data);
    }
    if let Some(s) = b.single()
        && let Operand::Array(x) = a
        && x.shape() == shape.as_slice()
    {
        let data = c_order(x).iter().map(|&v| f(v, s)).collect();
        return from_vec(&shape, data);
    }
    if let (Some(x), Some(y)) = (a.single(), b.single()) {
        return from_vec(&shape, vec![f(x, y); shape.iter().product()]);
    }
    // General broadcasting.
    let (ca, cb) = (a.as_cow(), b.as_cow());
    let (va, vb) = (bcast(op, &ca, &shape)?, bcast(op, &cb, &shape)?);
    let mut out = ArrayD::<U>::default(IxDyn(&shape));
    Zip::from(&mut out)
        .and(&va)
        .and(&vb)
        .for_each(|o, &x, &y| *o = f(x, y));
    Ok(out)
}

/// `f` applied to triples of elements, broadcast as NumPy does.
pub(crate) fn zip3<A: Copy, B: Copy, C: Copy, U: Copy + Default>(
    op: &str,
    a: &Operand<A>,
    b: &Operand<B>,
    c: &Operand<C>,
    f: impl Fn(A, B, C) -> U,
) -> Result<ArrayD<U>, KernelError> {
    let shape = broadcast_shapes(op, &[a.shape(), b.shape(), c.shape()])?;
    if let (Some(x), Some(y), Some(z)) = (a.c_slice(), b.c_slice(), c.c_slice())
        && a.shape() == b.shape()
        && b.shape() == c.shape()
    {
        let data = x
            .iter()
            .zip(y)
            .zip(z)
            .map(|((&u, &v), &w)| f(u, v, w))
            .collect();
        return from_vec(&shape, data);
    }
    // The common `clip(x, lo, hi)` / `where(c, x, 0)` shape: one array, scalars.
    if let (Some(y), Some(z)) = (b.single(), c.single())
        && let Operand::Array(x) = a
        && x.shape() == shape.as_slice()
    {
        let data = c_order(x).iter().map(|&v| f(v, y, z)).collect();
        return from_vec(&shape, data);
    }
    let (ca, cb, cc) = (a.as_cow(), b.as_cow(), c.as_cow());
    let (va, vb, vc) = (
        bcast(op, &ca, &shape)?,
        bcast(op, &cb, &shape)?,
        bcast(op, &cc, &shape)?,
    );
    let mut out = ArrayD::<U>::default(IxDyn(&shape));
    Zip::from(&mut out)
        .and(&va)
        .and(&vb)
        .and(&vc)
        .for_each(|o, &x, &y, &z| *o = f(x, y, z));
    Ok(out)
}

/// `v` broadcast to `shape` (already known to be compatible).
fn bcast<'a, T>(
    op: &str,
    v: &'a CowArray<'_, T, IxDyn>,
    shape: &[usize],
) -> Result<ArrayViewD<'a, T>, KernelError> {
    v.broadcast(IxDyn(shape)).ok_or_else(|| {
        KernelError::new(format!(
            "{op}: shape {:?} cannot be broadcast to {shape:?}",
            v.shape()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{ArrayD, s};

    fn arr(shape: &[usize], data: Vec<f64>) -> Operand<f64> {
        Operand::Array(
            ArrayD::from_shape_vec(IxDyn(shape), data)
                .unwrap()
                .into_shared(),
        )
    }

    #[test]
    fn column_plus_row_broadcasts() {
        let a = arr(&[3, 1], vec![0.0, 10.0, 20.0]);
        let b = arr(&[4], vec![1.0, 2.0, 3.0, 4.0]);
        let r = zip2("add", &a, &b, |x, y| x + y).unwrap();
        assert_eq!(r.shape(), &[3, 4]);
        assert_eq!(r[[2, 3]], 24.0);
        assert!(r.is_standard_layout());
    }

    #[test]
    fn scalar_paths_and_zero_d() {
        let a = arr(&[2, 2], vec![1.0, 2.0, 3.0, 4.0]);
        let r = zip2("sub", &Operand::Scalar(10.0), &a, |x, y| x - y).unwrap();
        assert_eq!(r.into_raw_vec_and_offset().0, vec![9.0, 8.0, 7.0, 6.0]);
        let zero_d = arr(&[], vec![2.0]);
        let r = zip2("mul", &a, &zero_d, |x, y| x * y).unwrap();
        assert_eq!(r.shape(), &[2, 2]);
        assert_eq!(r[[1, 1]], 8.0);
        let r = zip2("mul", &Operand::Scalar(2.0), &zero_d, |x, y| x * y).unwrap();
        assert_eq!(r.shape(), &[] as &[usize]);
        assert_eq!(r[[]], 4.0);
        // A size-1 array of more dimensions still broadcasts the other way.
        let one = arr(&[1, 1, 1], vec![5.0]);
        let r = zip2("add", &a, &one, |x, y| x + y).unwrap();
        assert_eq!(r.shape(), &[1, 2, 2]);
    }

    #[test]
    fn strided_and_transposed_inputs_give_c_layout() {
        let base = ArrayD::from_shape_vec(IxDyn(&[2, 3]), (0..6).map(f64::from).collect())
            .unwrap()
            .into_shared();
        let t = Operand::Array(base.clone().reversed_axes());
        let r = map1(&t, |x| x * 2.0).unwrap();
        assert!(r.is_standard_layout());
        assert_eq!(r.shape(), &[3, 2]);
        assert_eq!(r[[2, 1]], 10.0);
        let strided = Operand::Array(base.slice_move(s![.., ..;2]).into_dyn());
        let r = zip2("add", &strided, &t, |x, y| x + y);
        assert!(r.is_err());
        let r = map1_slice(&strided, |s: &[f64], d: &mut [f64]| {
            for (o, i) in d.iter_mut().zip(s) {
                *o = -i;
            }
        })
        .unwrap();
        assert_eq!(r.into_raw_vec_and_offset().0, vec![-0.0, -2.0, -3.0, -5.0]);
    }

    #[test]
    fn empty_arrays_stay_empty() {
        let e = arr(&[0, 3], vec![]);
        let r = zip2("add", &e, &Operand::Scalar(1.0), |x, y| x + y).unwrap();
        assert_eq!(r.shape(), &[0, 3]);
        let r = zip2("add", &e, &arr(&[1, 3], vec![1.0; 3]), |x, y| x + y).unwrap();
        assert_eq!(r.shape(), &[0, 3]);
        let r = zip3(
            "where",
            &e,
            &Operand::Scalar(1.0),
            &Operand::Scalar(2.0),
            |a, _, _| a,
        )
        .unwrap();
        assert_eq!(r.shape(), &[0, 3]);
    }

    #[test]
    fn three_way_broadcast() {
        let c = arr(&[2, 1], vec![1.0, 0.0]);
        let x = arr(&[3], vec![1.0, 2.0, 3.0]);
        let r = zip3("where", &c, &x, &Operand::Scalar(-1.0), |c, x, y| {
            if c != 0.0 { x } else { y }
        })
        .unwrap();
        assert_eq!(r.shape(), &[2, 3]);
        assert_eq!(
            r.into_raw_vec_and_offset().0,
            vec![1.0, 2.0, 3.0, -1.0, -1.0, -1.0]
        );
        assert!(zip3("clip", &c, &arr(&[4], vec![0.0; 4]), &x, |a, _, _| a).is_err());
    }
}
