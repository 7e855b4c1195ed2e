//! The element trait shared by the kernels and NumPy-style dtype casts between arrays.

use ndarray::{ArcArray, ArrayD, IxDyn};
use tessera_ir::DType;

use crate::value::Array;

/// One of the five element types of an [`Array`], with NumPy's conversions.
pub(crate) trait Element:
    Copy + Send + Sync + PartialEq + PartialOrd + std::fmt::Debug + Default + 'static
{
    /// The dtype of this element type.
    const DTYPE: DType;
    /// As `float64` (bool → 0/1).
    fn to_f64(self) -> f64;
    /// As `int64` (floats truncate toward zero, saturating; NaN → 0).
    fn to_i64(self) -> i64;
    /// From `float64` (`as` semantics; to bool: non-zero, NaN included).
    fn from_f64(v: f64) -> Self;
    /// From `int64` (wrapping for int32; to bool: non-zero).
    fn from_i64(v: i64) -> Self;
    /// True for a NaN.
    fn is_nan(self) -> bool {
        false
    }
    /// Wraps a typed array into an [`Array`].
    fn wrap(a: ArcArray<Self, IxDyn>) -> Array;
    /// The typed array inside `a`, when `a` has this element type.
    fn unwrap(a: &Array) -> Option<&ArcArray<Self, IxDyn>>;

    /// Converts from another element type as NumPy's `astype` does.
    fn convert<U: Element>(u: U) -> Self {
        if Self::DTYPE.is_float() || U::DTYPE.is_float() || Self::DTYPE == DType::Bool {
            Self::from_f64(u.to_f64())
        } else {
            Self::from_i64(u.to_i64())
        }
    }
}

macro_rules! element {
    ($t:ty, $variant:ident, $dtype:expr, float) => {
        impl Element for $t {
            const DTYPE: DType = $dtype;
            fn to_f64(self) -> f64 {
                self as f64
            }
            fn to_i64(self) -> i64 {
                self as i64
            }
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            fn from_i64(v: i64) -> Self {
                v as $t
            }
            fn is_nan(self) -> bool {
                self.is_nan()
            }
            fn wrap(a: ArcArray<Self, IxDyn>) -> Array {
                Array::$variant(a)
            }
            fn unwrap(a: &Array) -> Option<&ArcArray<Self, IxDyn>> {
                match a {
                    Array::$variant(x) => Some(x),
                    _ => None,
                }
            }
        }
    };
    ($t:ty, $variant:ident, $dtype:expr, int) => {
        impl Element for $t {
            const DTYPE: DType = $dtype;
            fn to_f64(self) -> f64 {
                self as f64
            }
            fn to_i64(self) -> i64 {
                self as i64
            }
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            fn from_i64(v: i64) -> Self {
                v as $t
            }
            fn wrap(a: ArcArray<Self, IxDyn>) -> Array {
                Array::$variant(a)
            }
            fn unwrap(a: &Array) -> Option<&ArcArray<Self, IxDyn>> {
                match a {
                    Array::$variant(x) => Some(x),
                    _ => None,
                }
            }
        }
    };
}
element!(f64, F64, DType::Float64, float);
element!(f32, F32, DType::Float32, float);
element!(i64, I64, DType::Int64, int);
element!(i32, I32, DType::Int32, int);

impl Element for bool {
    const DTYPE: DType = DType::Bool;
    fn to_f64(self) -> f64 {
        if self { 1.0 } else { 0.0 }
    }
    fn to_i64(self) -> i64 {
        self as i64
    }
    fn from_f64(v: f64) -> Self {
        v != 0.0
    }
    fn from_i64(v: i64) -> Self {
        v != 0
    }
    fn wrap(a: ArcArray<Self, IxDyn>) -> Array {
        Array::Bool(a)
    }
    fn unwrap(a: &Array) -> Option<&ArcArray<Self, IxDyn>> {
        match a {
            Array::Bool(x) => Some(x),
            _ => None,
        }
    }
}

/// The array converted to element type `T` (shared, not copied, when it already is).
pub(crate) fn typed<T: Element>(a: &Array) -> ArcArray<T, IxDyn> {
    if let Some(x) = T::unwrap(a) {
        return x.clone();
    }
    crate::with_array!(a, x => x.mapv(T::convert).into_shared())
}

/// The array cast to `dtype` (shared, not copied, when it already has it).
pub(crate) fn cast(a: &Array, dtype: DType) -> Array {
    match dtype {
        DType::Float64 => Array::F64(typed(a)),
        DType::Float32 => Array::F32(typed(a)),
        DType::Int64 => Array::I64(typed(a)),
        DType::Int32 => Array::I32(typed(a)),
        DType::Bool => Array::Bool(typed(a)),
    }
}

/// An [`Array`] of `shape` from row-major data; `None` when the lengths disagree.
pub(crate) fn from_vec<T: Element>(shape: &[usize], data: Vec<T>) -> Option<Array> {
    ArrayD::from_shape_vec(IxDyn(shape), data)
        .ok()
        .map(|a| T::wrap(a.into_shared()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casts_follow_numpy() {
        let a = from_vec(&[4], vec![1.7f64, -1.7, 0.0, f64::NAN]).unwrap();
        let Array::I64(i) = cast(&a, DType::Int64) else {
            panic!()
        };
        assert_eq!(i.as_slice().unwrap(), &[1, -1, 0, 0]);
        let Array::Bool(b) = cast(&a, DType::Bool) else {
            panic!()
        };
        assert_eq!(b.as_slice().unwrap(), &[true, true, false, true]);
        let big = from_vec(&[1], vec![i64::MAX]).unwrap();
        let Array::I64(same) = cast(&big, DType::Int64) else {
            panic!()
        };
        assert_eq!(same[[0]], i64::MAX);
        let Array::I32(w) = cast(&from_vec(&[1], vec![1i64 << 32 | 5]).unwrap(), DType::Int32)
        else {
            panic!()
        };
        assert_eq!(w[[0]], 5);
    }

    #[test]
    fn cast_to_same_dtype_shares_the_buffer() {
        let a = from_vec(&[3], vec![1.0f64, 2.0, 3.0]).unwrap();
        let (Array::F64(x), Array::F64(y)) = (&a, cast(&a, DType::Float64)) else {
            panic!()
        };
        assert_eq!(x.as_ptr(), y.as_ptr());
    }
}
