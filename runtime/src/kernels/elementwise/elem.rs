//! The five element types behind one trait: wrapping typed arrays into [`Array`]
//! and NumPy's `astype` casts between them.

use std::fmt;

use ndarray::{ArcArray, IxDyn};
use tessera_ir::DType;

use crate::value::Array;

/// An element type of [`Array`]: `f64`, `f32`, `i64`, `i32` or `bool`.
pub(crate) trait Elem:
    Copy + Default + PartialEq + PartialOrd + Send + Sync + fmt::Debug + 'static
{
    /// The dtype of arrays of this element.
    const DTYPE: DType;
    /// The smallest value (`-inf` for floats): a bound that clips nothing.
    const LOWEST: Self;
    /// The largest value (`+inf` for floats): a bound that clips nothing.
    const HIGHEST: Self;

    /// Wraps a typed array.
    fn wrap(a: ArcArray<Self, IxDyn>) -> Array;
    /// The typed array inside `a`, when `a` has this element type.
    fn unwrap(a: &Array) -> Option<&ArcArray<Self, IxDyn>>;

    /// NumPy's cast of a `float64`.
    fn from_f64(v: f64) -> Self;
    /// NumPy's cast of a `float32`.
    fn from_f32(v: f32) -> Self;
    /// NumPy's cast of an `int64`.
    fn from_i64(v: i64) -> Self;
    /// NumPy's cast of an `int32`.
    fn from_i32(v: i32) -> Self;
    /// NumPy's cast of a `bool`.
    fn from_bool(v: bool) -> Self;

    /// Casts to another element type as `ndarray.astype` does.
    fn cast<U: Elem>(self) -> U;
}

/// Float to integer as NumPy does on x86-64: truncation toward zero, and the
/// integer minimum for NaN, infinities and values out of range.
fn f64_to_i64(v: f64) -> i64 {
    // -2^63 is exact in f64; 2^63 is the first value out of range.
    if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&v) {
        v as i64
    } else {
        i64::MIN
    }
}

fn f64_to_i32(v: f64) -> i32 {
    if v > -2_147_483_649.0 && v < 2_147_483_648.0 {
        v as i32
    } else {
        i32::MIN
    }
}

macro_rules! elem_common {
    ($t:ty, $variant:ident, $dtype:expr) => {
        const DTYPE: DType = $dtype;
        fn wrap(a: ArcArray<$t, IxDyn>) -> Array {
            Array::$variant(a)
        }
        fn unwrap(a: &Array) -> Option<&ArcArray<$t, IxDyn>> {
            match a {
                Array::$variant(x) => Some(x),
                _ => None,
            }
        }
    };
}

impl Elem for f64 {
    elem_common!(f64, F64, DType::Float64);
    const LOWEST: f64 = f64::NEG_INFINITY;
    const HIGHEST: f64 = f64::INFINITY;
    fn from_f64(v: f64) -> f64 {
        v
    }
    fn from_f32(v: f32) -> f64 {
        v as f64
    }
    fn from_i64(v: i64) -> f64 {
        v as f64
    }
    fn from_i32(v: i32) -> f64 {
        v as f64
    }
    fn from_bool(v: bool) -> f64 {
        f64::from(u8::from(v))
    }
    fn cast<U: Elem>(self) -> U {
        U::from_f64(self)
    }
}

impl Elem for f32 {
    elem_common!(f32, F32, DType::Float32);
    const LOWEST: f32 = f32::NEG_INFINITY;
    const HIGHEST: f32 = f32::INFINITY;
    fn from_f64(v: f64) -> f32 {
        v as f32
    }
    fn from_f32(v: f32) -> f32 {
        v
    }
    fn from_i64(v: i64) -> f32 {
        v as f32
    }
    fn from_i32(v: i32) -> f32 {
        v as f32
    }
    fn from_bool(v: bool) -> f32 {
        f32::from(u8::from(v))
    }
    fn cast<U: Elem>(self) -> U {
        U::from_f32(self)
    }
}

impl Elem for i64 {
    elem_common!(i64, I64, DType::Int64);
    const LOWEST: i64 = i64::MIN;
    const HIGHEST: i64 = i64::MAX;
    fn from_f64(v: f64) -> i64 {
        f64_to_i64(v)
    }
    fn from_f32(v: f32) -> i64 {
        f64_to_i64(v as f64)
    }
    fn from_i64(v: i64) -> i64 {
        v
    }
    fn from_i32(v: i32) -> i64 {
        v as i64
    }
    fn from_bool(v: bool) -> i64 {
        i64::from(v)
    }
    fn cast<U: Elem>(self) -> U {
        U::from_i64(self)
    }
}

impl Elem for i32 {
    elem_common!(i32, I32, DType::Int32);
    const LOWEST: i32 = i32::MIN;
    const HIGHEST: i32 = i32::MAX;
    fn from_f64(v: f64) -> i32 {
        f64_to_i32(v)
    }
    fn from_f32(v: f32) -> i32 {
        f64_to_i32(v as f64)
    }
    /// Wraps around, as NumPy's `astype(int32)` does.
    fn from_i64(v: i64) -> i32 {
        v as i32
    }
    fn from_i32(v: i32) -> i32 {
        v
    }
    fn from_bool(v: bool) -> i32 {
        i32::from(v)
    }
    fn cast<U: Elem>(self) -> U {
        U::from_i32(self)
    }
}

impl Elem for bool {
    elem_common!(bool, Bool, DType::Bool);
    const LOWEST: bool = false;
    const HIGHEST: bool = true;
    /// Non-zero is true; NaN is non-zero.
    fn from_f64(v: f64) -> bool {
        v != 0.0
    }
    fn from_f32(v: f32) -> bool {
        v != 0.0
    }
    fn from_i64(v: i64) -> bool {
        v != 0
    }
    fn from_i32(v: i32) -> bool {
        v != 0
    }
    fn from_bool(v: bool) -> bool {
        v
    }
    fn cast<U: Elem>(self) -> U {
        U::from_bool(self)
    }
}

/// Runs `$body` with `$t` a type alias for the element type of `$dtype`.
macro_rules! with_elem {
    ($dtype:expr, $t:ident => $body:expr) => {
        match $dtype {
            tessera_ir::DType::Float64 => {
                type $t = f64;
                $body
            }
            tessera_ir::DType::Float32 => {
                type $t = f32;
                $body
            }
            tessera_ir::DType::Int64 => {
                type $t = i64;
                $body
            }
            tessera_ir::DType::Int32 => {
                type $t = i32;
                $body
            }
            tessera_ir::DType::Bool => {
                type $t = bool;
                $body
            }
        }
    };
}
pub(crate) use with_elem;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_to_int_follows_numpy_on_x86() {
        assert_eq!(i64::from_f64(3.7), 3);
        assert_eq!(i64::from_f64(-3.7), -3);
        assert_eq!(i64::from_f64(f64::NAN), i64::MIN);
        assert_eq!(i64::from_f64(f64::INFINITY), i64::MIN);
        assert_eq!(i64::from_f64(1e20), i64::MIN);
        assert_eq!(i64::from_f64(-9_223_372_036_854_775_808.0), i64::MIN);
        assert_eq!(i32::from_f64(2_147_483_648.0), i32::MIN);
        assert_eq!(i32::from_f64(-2_147_483_648.9), i32::MIN);
        assert_eq!(i32::from_f64(2_147_483_647.9), i32::MAX);
        assert_eq!(i32::from_f32(f32::NEG_INFINITY), i32::MIN);
    }

    #[test]
    fn int_casts_wrap_and_bool_is_nonzero() {
        assert_eq!(i32::from_i64((1 << 40) + 5), 5);
        assert_eq!(i32::from_i64(-1), -1);
        assert!(bool::from_f64(f64::NAN));
        assert!(!bool::from_f64(-0.0));
        assert!(bool::from_i32(-7));
        assert_eq!(f32::from_f64(1e300), f32::INFINITY);
        assert_eq!(true.cast::<f64>(), 1.0);
        assert_eq!(2.5f32.cast::<i64>(), 2);
    }

    #[test]
    fn wrap_and_unwrap_agree() {
        let a = ndarray::ArrayD::<i32>::zeros(IxDyn(&[2])).into_shared();
        let arr = i32::wrap(a);
        assert_eq!(arr.dtype(), DType::Int32);
        assert!(i32::unwrap(&arr).is_some());
        assert!(f64::unwrap(&arr).is_none());
    }
}
