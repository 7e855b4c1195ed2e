//! `where(condition, x, y)` and `clip(x, lo, hi)`: three broadcast operands.

use super::apply::{Operand, zip3};
use super::elem::{Elem, with_elem};
use super::promote::{Arg, OutOfBounds, arg, check_arity, check_attrs, operand, result_dtype};
use crate::kernels::KernelError;
use crate::value::Value;

/// `where(condition, x, y)`: `x` where the condition is true (non-zero), else `y`;
/// the result dtype is the NEP 50 promotion of `x` and `y`.
pub(crate) fn where_(
    args: &[Value],
    attrs: &serde_json::Map<String, serde_json::Value>,
) -> Result<Value, KernelError> {
    const NAME: &str = "where";
    check_arity(NAME, args, 3)?;
    check_attrs(NAME, attrs, &[])?;
    let c = operand::<bool>(NAME, &arg(NAME, 0, &args[0])?, OutOfBounds::Error)?;
    let (x, y) = (arg(NAME, 1, &args[1])?, arg(NAME, 2, &args[2])?);
    let dtype = result_dtype(&[x, y]);
    with_elem!(dtype, T => {
        let x = operand::<T>(NAME, &x, OutOfBounds::Error)?;
        let y = operand::<T>(NAME, &y, OutOfBounds::Error)?;
        let r = zip3(NAME, &c, &x, &y, |c, a, b| if c { a } else { b })?;
        Ok(Value::Array(T::wrap(r.into_shared())))
    })
}

/// `clip(x, lo, hi)`: `x` limited to `[lo, hi]` as `minimum(maximum(x, lo), hi)`
/// (so `hi` wins when `lo > hi`, and a NaN anywhere gives NaN). A bound may be
/// `None` (no bound). The result dtype is the NEP 50 promotion of the three; a
/// Python int bound beyond an `int32` range is clamped to it (same result).
pub(crate) fn clip(
    args: &[Value],
    attrs: &serde_json::Map<String, serde_json::Value>,
) -> Result<Value, KernelError> {
    const NAME: &str = "clip";
    check_arity(NAME, args, 3)?;
    check_attrs(NAME, attrs, &[])?;
    let x = arg(NAME, 0, &args[0])?;
    let bound = |i: usize| -> Result<Option<Arg<'_>>, KernelError> {
        match &args[i] {
            Value::None => Ok(None),
            v => arg(NAME, i, v).map(Some),
        }
    };
    let (lo, hi) = (bound(1)?, bound(2)?);
    let present: Vec<Arg<'_>> = [Some(x), lo, hi].into_iter().flatten().collect();
    let dtype = result_dtype(&present);
    with_elem!(dtype, T => {
        let x = operand::<T>(NAME, &x, OutOfBounds::Error)?;
        let lo = match &lo {
            Some(a) => operand::<T>(NAME, a, OutOfBounds::Saturate)?,
            None => Operand::Scalar(T::LOWEST),
        };
        let hi = match &hi {
            Some(a) => operand::<T>(NAME, a, OutOfBounds::Saturate)?,
            None => Operand::Scalar(T::HIGHEST),
        };
        let r = zip3(NAME, &x, &lo, &hi, clip_one::<T>)?;
        Ok(Value::Array(T::wrap(r.into_shared())))
    })
}

/// One element of `clip`; `v != v` detects NaN generically (never true for
/// integers and booleans).
#[allow(clippy::eq_op)]
fn clip_one<T: Elem>(x: T, lo: T, hi: T) -> T {
    if x != x {
        x
    } else if lo != lo {
        lo
    } else if hi != hi {
        hi
    } else {
        let y = if x < lo { lo } else { x };
        if y > hi { hi } else { y }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Array;
    use ndarray::{ArrayD, IxDyn};
    use tessera_ir::DType;

    fn arr<T>(shape: &[usize], data: Vec<T>) -> Value
    where
        Array: From<ArrayD<T>>,
    {
        Value::Array(Array::from(
            ArrayD::from_shape_vec(IxDyn(shape), data).unwrap(),
        ))
    }

    fn no_attrs() -> serde_json::Map<String, serde_json::Value> {
        serde_json::Map::new()
    }

    #[test]
    fn where_broadcasts_and_promotes() {
        let c = arr(&[2, 1], vec![true, false]);
        let x = arr(&[3], vec![1i32, 2, 3]);
        let r = where_(&[c.clone(), x.clone(), Value::Int(5)], &no_attrs()).unwrap();
        assert_eq!(
            r,
            arr(&[2, 3], vec![1i32, 2, 3, 5, 5, 5]),
            "a weak int keeps int32"
        );
        let Value::Array(r) = where_(&[c, x, Value::Float(0.5)], &no_attrs()).unwrap() else {
            panic!()
        };
        assert_eq!(r.dtype(), DType::Float64);
        let r = where_(
            &[Value::Int(0), Value::Bool(true), Value::Int(2)],
            &no_attrs(),
        )
        .unwrap();
        assert_eq!(r, arr(&[], vec![2i64]));
    }

    #[test]
    fn clip_follows_numpy() {
        let x = arr(&[4], vec![1.0, f64::NAN, 5.0, -0.0]);
        let r = clip(&[x.clone(), Value::Int(0), Value::Float(2.0)], &no_attrs()).unwrap();
        let Value::Array(Array::F64(r)) = r else {
            panic!()
        };
        assert_eq!(r[[0]], 1.0);
        assert!(r[[1]].is_nan());
        assert_eq!(r[[2]], 2.0);
        assert_eq!(r[[3]].to_bits(), (-0.0f64).to_bits());
        // hi wins when lo > hi; a NaN bound gives NaN everywhere.
        let r = clip(&[x.clone(), Value::Int(4), Value::Int(2)], &no_attrs()).unwrap();
        let Value::Array(Array::F64(r)) = r else {
            panic!()
        };
        assert_eq!(r[[0]], 2.0);
        let r = clip(&[x, Value::Float(f64::NAN), Value::Int(2)], &no_attrs()).unwrap();
        let Value::Array(Array::F64(r)) = r else {
            panic!()
        };
        assert!(r.iter().all(|v| v.is_nan()));
    }

    #[test]
    fn clip_bounds_for_integers() {
        let x = arr(&[3], vec![1i32, 2, 3]);
        let r = clip(
            &[x.clone(), Value::Int(2), Value::Int(1 << 40)],
            &no_attrs(),
        )
        .unwrap();
        assert_eq!(r, arr(&[3], vec![2i32, 2, 3]));
        let r = clip(&[x.clone(), Value::None, Value::Int(2)], &no_attrs()).unwrap();
        assert_eq!(r, arr(&[3], vec![1i32, 2, 2]));
        let Value::Array(r) = clip(&[x, Value::Float(1.5), Value::Int(2)], &no_attrs()).unwrap()
        else {
            panic!()
        };
        assert_eq!(r.dtype(), DType::Float64);
        let b = arr(&[2], vec![true, false]);
        let r = clip(&[b, Value::Int(0), Value::Int(1)], &no_attrs()).unwrap();
        assert_eq!(r, arr(&[2], vec![1i64, 0]));
    }

    #[test]
    fn wrong_arity_is_an_error() {
        let err = clip(&[Value::Int(1)], &no_attrs()).unwrap_err();
        assert_eq!(err.0, "clip: expected 3 arguments, got 1");
        let err = where_(
            &[Value::Int(1), Value::Str("a".into()), Value::Int(1)],
            &no_attrs(),
        )
        .unwrap_err();
        assert_eq!(
            err.0,
            "where: argument 1: expected an array or a number, got a str"
        );
    }
}
