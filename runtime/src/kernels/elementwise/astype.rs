//! `astype(x; dtype)`: a copy of `x` converted to `dtype` with NumPy's casts
//! (floats truncate toward zero, integers wrap, non-zero is true).

use tessera_ir::DType;

use super::apply::map1;
use super::elem::{Elem, with_elem};
use super::promote::{OutOfBounds, arg, check_arity, check_attrs, operand};
use crate::kernels::KernelError;
use crate::value::Value;

/// `astype`: one argument (array or number) and the `dtype` attribute. The
/// result is always a fresh array in C layout, even when the dtype is unchanged.
pub(crate) fn astype(
    args: &[Value],
    attrs: &serde_json::Map<String, serde_json::Value>,
) -> Result<Value, KernelError> {
    const NAME: &str = "astype";
    check_arity(NAME, args, 1)?;
    check_attrs(NAME, attrs, &["dtype"])?;
    let dtype = match attrs.get("dtype") {
        None => return Err(KernelError::new("astype: missing attribute `dtype`")),
        Some(serde_json::Value::String(s)) => DType::from_name(s).ok_or_else(|| {
            KernelError::new(format!(
                "astype: unknown dtype {s:?} (expected one of bool, int32, int64, float32, float64)"
            ))
        })?,
        Some(other) => {
            return Err(KernelError::new(format!(
                "astype: attribute `dtype` must be a dtype name, got {other}"
            )));
        }
    };
    let x = arg(NAME, 0, &args[0])?;
    with_elem!(dtype, T => {
        // `operand` casts with `Elem::cast`; `map1` makes the fresh C-order copy.
        let v = operand::<T>(NAME, &x, OutOfBounds::Wrap)?;
        Ok(Value::Array(T::wrap(map1(&v, |e| e)?.into_shared())))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Array;
    use ndarray::{ArrayD, IxDyn};

    fn to(dtype: &str, x: Value) -> Result<Value, KernelError> {
        let mut attrs = serde_json::Map::new();
        attrs.insert("dtype".into(), serde_json::json!(dtype));
        astype(&[x], &attrs)
    }

    fn arr<T>(data: Vec<T>) -> Value
    where
        Array: From<ArrayD<T>>,
    {
        Value::Array(Array::from(
            ArrayD::from_shape_vec(IxDyn(&[data.len()]), data).unwrap(),
        ))
    }

    #[test]
    fn floats_to_integers_truncate_and_saturate_like_numpy() {
        let x = arr(vec![3.7, -3.7, f64::NAN, 1e20, 2_147_483_648.0]);
        assert_eq!(
            to("int32", x.clone()).unwrap(),
            arr(vec![3i32, -3, i32::MIN, i32::MIN, i32::MIN])
        );
        assert_eq!(
            to("int64", x).unwrap(),
            arr(vec![3i64, -3, i64::MIN, i64::MIN, 2_147_483_648])
        );
    }

    #[test]
    fn every_pair_of_dtypes_converts() {
        for from in DType::ALL {
            for into in DType::ALL {
                let x = with_elem!(from, T => Value::Array(T::wrap(
                    ArrayD::from_shape_vec(IxDyn(&[2]), vec![T::from_i64(0), T::from_i64(1)])
                        .unwrap()
                        .into_shared()
                )));
                let Value::Array(r) = to(into.name(), x).unwrap() else {
                    panic!()
                };
                assert_eq!(r.dtype(), into);
                with_elem!(into, T => assert_eq!(
                    T::unwrap(&r).unwrap().as_slice().unwrap(),
                    &[T::from_i64(0), T::from_i64(1)]
                ));
            }
        }
    }

    #[test]
    fn scalars_become_zero_d_arrays() {
        let r = to("int32", Value::Int((1 << 40) + 5)).unwrap();
        assert_eq!(
            r,
            Value::Array(Array::from(ArrayD::from_elem(IxDyn(&[]), 5i32)))
        );
        let r = to("bool", Value::Float(0.0)).unwrap();
        assert_eq!(
            r,
            Value::Array(Array::from(ArrayD::from_elem(IxDyn(&[]), false)))
        );
    }

    #[test]
    fn attribute_errors() {
        assert_eq!(
            to("float16", Value::Int(1)).unwrap_err().0,
            "astype: unknown dtype \"float16\" (expected one of bool, int32, int64, float32, float64)"
        );
        assert_eq!(
            astype(&[Value::Int(1)], &serde_json::Map::new())
                .unwrap_err()
                .0,
            "astype: missing attribute `dtype`"
        );
    }
}
