//! Arguments of elementwise kernels and their NumPy 2 (NEP 50) promotion: arrays
//! (0-d included) are strong, Python scalars (`Value::Bool/Int/Float`) are weak.

use ndarray::{ArcArray, IxDyn};
use tessera_ir::{DType, ScalarKind};

use super::apply::Operand;
use super::elem::Elem;
use crate::kernels::KernelError;
use crate::value::{Array, Value};

/// A weak (Python) scalar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Weak {
    /// A Python `bool`.
    Bool(bool),
    /// A Python `int`.
    Int(i64),
    /// A Python `float`.
    Float(f64),
}

impl Weak {
    fn kind(self) -> ScalarKind {
        match self {
            Weak::Bool(_) => ScalarKind::Bool,
            Weak::Int(_) => ScalarKind::Int,
            Weak::Float(_) => ScalarKind::Float,
        }
    }
}

/// One argument of an elementwise kernel.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arg<'a> {
    /// An array: its dtype takes part in promotion as is.
    Array(&'a Array),
    /// A Python scalar: weak in promotion.
    Weak(Weak),
}

/// What to do with a Python `int` that does not fit the integer dtype it meets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutOfBounds {
    /// An error, as NumPy 2's `OverflowError` (arithmetic, `where`).
    Error,
    /// Clamp to the dtype's range (`clip` bounds: the result is the same).
    Saturate,
    /// Wrap around, as a cast of the `int64` NumPy makes of it (`astype`).
    Wrap,
}

/// Checks that `op` got `n` positional arguments.
pub(crate) fn check_arity(op: &str, args: &[Value], n: usize) -> Result<(), KernelError> {
    if args.len() == n {
        Ok(())
    } else {
        Err(KernelError::new(format!(
            "{op}: expected {n} argument{}, got {}",
            if n == 1 { "" } else { "s" },
            args.len()
        )))
    }
}

/// Checks that `attrs` holds no key outside `allowed` (a typo must not pass).
pub(crate) fn check_attrs(
    op: &str,
    attrs: &serde_json::Map<String, serde_json::Value>,
    allowed: &[&str],
) -> Result<(), KernelError> {
    match attrs.keys().find(|k| !allowed.contains(&k.as_str())) {
        None => Ok(()),
        Some(k) => Err(KernelError::new(format!(
            "{op}: unknown attribute `{k}`{}",
            if allowed.is_empty() {
                " (this op takes none)".to_string()
            } else {
                format!(" (expected {})", allowed.join(", "))
            }
        ))),
    }
}

/// Reads argument `index` of `op`: an array or a Python scalar.
pub(crate) fn arg<'a>(op: &str, index: usize, value: &'a Value) -> Result<Arg<'a>, KernelError> {
    match value {
        Value::Array(a) => Ok(Arg::Array(a)),
        Value::Bool(b) => Ok(Arg::Weak(Weak::Bool(*b))),
        Value::Int(i) => Ok(Arg::Weak(Weak::Int(*i))),
        Value::Float(f) => Ok(Arg::Weak(Weak::Float(*f))),
        other => Err(KernelError::new(format!(
            "{op}: argument {index}: expected an array or a number, got a {}",
            other.type_name()
        ))),
    }
}

/// The NumPy 2 result dtype of `args` (`np.result_type` under NEP 50): the
/// promotion of the arrays' dtypes, then widened in kind only by the weak
/// scalars; when every argument is a Python scalar, their default dtypes
/// (`bool`, `int64`, `float64`) are promoted.
pub(crate) fn result_dtype(args: &[Arg<'_>]) -> DType {
    let strong = args
        .iter()
        .filter_map(|a| match a {
            Arg::Array(x) => Some(x.dtype()),
            Arg::Weak(_) => None,
        })
        .reduce(DType::promote);
    let weak = args.iter().filter_map(|a| match a {
        Arg::Weak(w) => Some(w.kind()),
        Arg::Array(_) => None,
    });
    match strong {
        Some(d) => weak.fold(d, DType::promote_weak),
        None => weak
            .map(DType::of_scalar)
            .reduce(DType::promote)
            .unwrap_or(DType::Float64),
    }
}

/// True when some argument is a Python `int` outside the range of `dtype` (an
/// integer dtype); comparisons then compute in `int64`, as NumPy 2 does.
pub(crate) fn weak_int_out_of_range(args: &[Arg<'_>], dtype: DType) -> bool {
    args.iter().any(|a| match a {
        Arg::Weak(Weak::Int(i)) => dtype == DType::Int32 && i32::try_from(*i).is_err(),
        _ => false,
    })
}

/// Casts an array to element type `T` (a cheap clone when it already is).
pub(crate) fn cast_array<T: Elem>(a: &Array) -> ArcArray<T, IxDyn> {
    if let Some(x) = T::unwrap(a) {
        return x.clone();
    }
    crate::with_array!(a, x => x.mapv(|v| v.cast::<T>()).into_shared())
}

/// Converts a weak scalar to `T`. A Python `int` that `T` (`int32`) cannot hold is
/// an error naming `op`, or clamped, as `oob` says.
fn weak_to<T: Elem>(op: &str, w: Weak, oob: OutOfBounds) -> Result<T, KernelError> {
    Ok(match w {
        Weak::Bool(b) => T::from_bool(b),
        Weak::Float(f) => T::from_f64(f),
        Weak::Int(i) => {
            if T::DTYPE == DType::Int32 && i32::try_from(i).is_err() {
                match oob {
                    OutOfBounds::Error => {
                        return Err(KernelError::new(format!(
                            "{op}: Python integer {i} out of bounds for int32"
                        )));
                    }
                    OutOfBounds::Saturate => T::from_i64(i.clamp(i32::MIN as i64, i32::MAX as i64)),
                    OutOfBounds::Wrap => T::from_i64(i),
                }
            } else {
                T::from_i64(i)
            }
        }
    })
}

/// Converts an argument to an operand of element type `T`.
pub(crate) fn operand<T: Elem>(
    op: &str,
    a: &Arg<'_>,
    oob: OutOfBounds,
) -> Result<Operand<T>, KernelError> {
    Ok(match a {
        Arg::Array(x) => Operand::Array(cast_array::<T>(x)),
        Arg::Weak(w) => Operand::Scalar(weak_to::<T>(op, *w, oob)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::ArrayD;

    fn arr(d: DType) -> Array {
        crate::kernels::elementwise::elem::with_elem!(d, T => T::wrap(
            ArrayD::<T>::default(IxDyn(&[2])).into_shared()
        ))
    }

    #[test]
    fn weak_scalars_never_widen_within_their_kind() {
        let i32a = arr(DType::Int32);
        let f32a = arr(DType::Float32);
        let b = arr(DType::Bool);
        let r = |args: &[Arg<'_>]| result_dtype(args);
        assert_eq!(
            r(&[Arg::Array(&i32a), Arg::Weak(Weak::Int(1))]),
            DType::Int32
        );
        assert_eq!(
            r(&[Arg::Array(&i32a), Arg::Weak(Weak::Float(1.5))]),
            DType::Float64
        );
        assert_eq!(
            r(&[Arg::Array(&f32a), Arg::Weak(Weak::Float(1e300))]),
            DType::Float32
        );
        assert_eq!(r(&[Arg::Array(&b), Arg::Weak(Weak::Int(1))]), DType::Int64);
        assert_eq!(
            r(&[Arg::Array(&b), Arg::Weak(Weak::Bool(true))]),
            DType::Bool
        );
        assert_eq!(r(&[Arg::Array(&i32a), Arg::Array(&f32a)]), DType::Float64);
    }

    #[test]
    fn all_weak_arguments_use_default_dtypes() {
        let r = |args: &[Arg<'_>]| result_dtype(args);
        assert_eq!(
            r(&[Arg::Weak(Weak::Int(1)), Arg::Weak(Weak::Int(2))]),
            DType::Int64
        );
        assert_eq!(
            r(&[Arg::Weak(Weak::Bool(true)), Arg::Weak(Weak::Int(2))]),
            DType::Int64
        );
        assert_eq!(
            r(&[Arg::Weak(Weak::Int(1)), Arg::Weak(Weak::Float(2.0))]),
            DType::Float64
        );
        assert_eq!(r(&[Arg::Weak(Weak::Bool(true))]), DType::Bool);
    }

    #[test]
    fn python_ints_out_of_int32_range_error_or_clamp() {
        let a = Arg::Weak(Weak::Int(1 << 40));
        let err = operand::<i32>("add", &a, OutOfBounds::Error).unwrap_err();
        assert_eq!(
            err.0,
            "add: Python integer 1099511627776 out of bounds for int32"
        );
        match operand::<i32>("clip", &a, OutOfBounds::Saturate).unwrap() {
            Operand::Scalar(v) => assert_eq!(v, i32::MAX),
            Operand::Array(_) => panic!("expected a scalar"),
        }
        let i32a = arr(DType::Int32);
        assert!(weak_int_out_of_range(&[Arg::Array(&i32a), a], DType::Int32));
        assert!(!weak_int_out_of_range(
            &[Arg::Array(&i32a), a],
            DType::Int64
        ));
    }

    #[test]
    fn wrong_values_and_counts_are_errors() {
        let err = arg("exp", 0, &Value::Str("x".into())).unwrap_err();
        assert_eq!(
            err.0,
            "exp: argument 0: expected an array or a number, got a str"
        );
        assert_eq!(
            check_arity("add", &[Value::Int(1)], 2).unwrap_err().0,
            "add: expected 2 arguments, got 1"
        );
        let mut attrs = serde_json::Map::new();
        attrs.insert("dtyp".into(), serde_json::json!("int32"));
        assert_eq!(
            check_attrs("astype", &attrs, &["dtype"]).unwrap_err().0,
            "astype: unknown attribute `dtyp` (expected dtype)"
        );
    }

    #[test]
    fn cast_array_keeps_the_buffer_when_the_dtype_matches() {
        let a = arr(DType::Float64);
        let Array::F64(inner) = &a else {
            unreachable!()
        };
        assert_eq!(cast_array::<f64>(&a).as_ptr(), inner.as_ptr());
        assert_eq!(cast_array::<i32>(&a).shape(), &[2]);
    }
}
