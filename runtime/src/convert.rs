//! Conversions between [`Value`] and Rust types, for registering typed functions
//! ([`FromValue`] for arguments, [`IntoValue`] and [`IntoTaskResult`] for results).

use ndarray::{ArcArray, ArrayD, IxDyn};

use crate::error::TaskError;
use crate::value::{Array, Value};

/// A Rust type a task argument converts to.
pub trait FromValue: Sized {
    /// The type's name in signatures (`"int"`, `"list[float]"`).
    fn type_name() -> String;
    /// Converts the argument, or says what was expected.
    fn from_value(value: &Value) -> Result<Self, TaskError>;
}

/// A Rust type a function result converts from.
pub trait IntoValue {
    /// The type's name in signatures.
    fn type_name() -> String;
    /// Converts the result.
    fn into_value(self) -> Value;
}

/// What a typed function may return: a value, or a `Result` of one.
pub trait IntoTaskResult {
    /// The value type on success (`T` for both `T` and `Result<T, E>`).
    type Output;
    /// The result type's name in signatures.
    fn type_name() -> String;
    /// Converts into the registry's result type.
    fn into_task_result(self) -> Result<Value, TaskError>;
}

impl<T: IntoValue> IntoTaskResult for T {
    type Output = T;
    fn type_name() -> String {
        <T as IntoValue>::type_name()
    }
    fn into_task_result(self) -> Result<Value, TaskError> {
        Ok(self.into_value())
    }
}

impl<T: IntoValue, E: Into<TaskError>> IntoTaskResult for Result<T, E> {
    type Output = T;
    fn type_name() -> String {
        <T as IntoValue>::type_name()
    }
    fn into_task_result(self) -> Result<Value, TaskError> {
        self.map(IntoValue::into_value).map_err(Into::into)
    }
}

fn mismatch(expected: &str, got: &Value) -> TaskError {
    TaskError::Type(format!("expected {expected}, got {}", got.type_name()))
}

impl FromValue for Value {
    fn type_name() -> String {
        "any".into()
    }
    fn from_value(value: &Value) -> Result<Self, TaskError> {
        Ok(value.clone())
    }
}

impl IntoValue for Value {
    fn type_name() -> String {
        "any".into()
    }
    fn into_value(self) -> Value {
        self
    }
}

impl FromValue for i64 {
    fn type_name() -> String {
        "int".into()
    }
    /// Python's `bool` is an `int`: `True` converts to 1.
    fn from_value(value: &Value) -> Result<Self, TaskError> {
        match value {
            Value::Int(i) => Ok(*i),
            Value::Bool(b) => Ok(i64::from(*b)),
            other => Err(mismatch("int", other)),
        }
    }
}

impl IntoValue for i64 {
    fn type_name() -> String {
        "int".into()
    }
    fn into_value(self) -> Value {
        Value::Int(self)
    }
}

impl FromValue for f64 {
    fn type_name() -> String {
        "float".into()
    }
    /// Ints (and bools) convert to float, as Python's `float(x)`.
    fn from_value(value: &Value) -> Result<Self, TaskError> {
        match value {
            Value::Float(f) => Ok(*f),
            Value::Int(i) => Ok(*i as f64),
            Value::Bool(b) => Ok(f64::from(u8::from(*b))),
            other => Err(mismatch("float", other)),
        }
    }
}

impl IntoValue for f64 {
    fn type_name() -> String {
        "float".into()
    }
    fn into_value(self) -> Value {
        Value::Float(self)
    }
}

impl FromValue for bool {
    fn type_name() -> String {
        "bool".into()
    }
    fn from_value(value: &Value) -> Result<Self, TaskError> {
        match value {
            Value::Bool(b) => Ok(*b),
            other => Err(mismatch("bool", other)),
        }
    }
}

impl IntoValue for bool {
    fn type_name() -> String {
        "bool".into()
    }
    fn into_value(self) -> Value {
        Value::Bool(self)
    }
}

impl FromValue for String {
    fn type_name() -> String {
        "str".into()
    }
    fn from_value(value: &Value) -> Result<Self, TaskError> {
        match value {
            Value::Str(s) => Ok(s.to_string()),
            other => Err(mismatch("str", other)),
        }
    }
}

impl IntoValue for String {
    fn type_name() -> String {
        "str".into()
    }
    fn into_value(self) -> Value {
        Value::Str(self.into())
    }
}

impl IntoValue for &str {
    fn type_name() -> String {
        "str".into()
    }
    fn into_value(self) -> Value {
        Value::Str(self.into())
    }
}

impl IntoValue for () {
    fn type_name() -> String {
        "None".into()
    }
    fn into_value(self) -> Value {
        Value::None
    }
}

impl<T: FromValue> FromValue for Vec<T> {
    fn type_name() -> String {
        format!("list[{}]", T::type_name())
    }
    /// A list or a tuple, each element converted.
    fn from_value(value: &Value) -> Result<Self, TaskError> {
        match value {
            Value::List(items) | Value::Tuple(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    T::from_value(item).map_err(|e| match e {
                        TaskError::Type(m) => TaskError::Type(format!("element {i}: {m}")),
                        other => other,
                    })
                })
                .collect(),
            other => Err(mismatch(&Self::type_name(), other)),
        }
    }
}

impl<T: IntoValue> IntoValue for Vec<T> {
    fn type_name() -> String {
        format!("list[{}]", T::type_name())
    }
    fn into_value(self) -> Value {
        Value::List(self.into_iter().map(IntoValue::into_value).collect())
    }
}

macro_rules! tuple_conversions {
    ($n:literal: $($t:ident $i:tt),*) => {
        impl<$($t: FromValue),*> FromValue for ($($t,)*) {
            fn type_name() -> String {
                let parts: Vec<String> = vec![$($t::type_name()),*];
                format!("tuple[{}]", parts.join(", "))
            }
            /// A tuple or a list of exactly this many parts, each converted.
            fn from_value(value: &Value) -> Result<Self, TaskError> {
                match value {
                    Value::List(items) | Value::Tuple(items) if items.len() == $n => Ok(($(
                        $t::from_value(&items[$i]).map_err(|e| match e {
                            TaskError::Type(m) => TaskError::Type(format!("part {}: {m}", $i)),
                            other => other,
                        })?,
                    )*)),
                    other => Err(mismatch(&Self::type_name(), other)),
                }
            }
        }

        impl<$($t: IntoValue),*> IntoValue for ($($t,)*) {
            fn type_name() -> String {
                let parts: Vec<String> = vec![$(<$t as IntoValue>::type_name()),*];
                format!("tuple[{}]", parts.join(", "))
            }
            /// A [`Value::Tuple`] (a multi-part result).
            fn into_value(self) -> Value {
                Value::Tuple(vec![$(self.$i.into_value()),*].into())
            }
        }
    };
}

tuple_conversions!(2: A 0, B 1);
tuple_conversions!(3: A 0, B 1, C 2);
tuple_conversions!(4: A 0, B 1, C 2, D 3);

impl FromValue for Array {
    fn type_name() -> String {
        "array".into()
    }
    fn from_value(value: &Value) -> Result<Self, TaskError> {
        match value {
            Value::Array(a) => Ok(a.clone()),
            other => Err(mismatch("array", other)),
        }
    }
}

impl IntoValue for Array {
    fn type_name() -> String {
        "array".into()
    }
    fn into_value(self) -> Value {
        Value::Array(self)
    }
}

macro_rules! array_conversions {
    ($t:ty, $variant:ident, $dtype:literal) => {
        impl FromValue for ArcArray<$t, IxDyn> {
            fn type_name() -> String {
                concat!("array[", $dtype, "]").into()
            }
            /// Shares the buffer (no copy).
            fn from_value(value: &Value) -> Result<Self, TaskError> {
                match value {
                    Value::Array(Array::$variant(a)) => Ok(a.clone()),
                    Value::Array(a) => Err(TaskError::Type(format!(
                        concat!("expected an array of ", $dtype, ", got an array of {}"),
                        a.dtype()
                    ))),
                    other => Err(mismatch(concat!("array[", $dtype, "]"), other)),
                }
            }
        }
        impl IntoValue for ArcArray<$t, IxDyn> {
            fn type_name() -> String {
                concat!("array[", $dtype, "]").into()
            }
            fn into_value(self) -> Value {
                Value::Array(Array::$variant(self))
            }
        }
        impl FromValue for ArrayD<$t> {
            fn type_name() -> String {
                concat!("array[", $dtype, "]").into()
            }
            /// Copies the data out of the shared buffer (take an `ArcArray` to
            /// avoid the copy).
            fn from_value(value: &Value) -> Result<Self, TaskError> {
                ArcArray::<$t, IxDyn>::from_value(value).map(|a| a.into_owned())
            }
        }
        impl IntoValue for ArrayD<$t> {
            fn type_name() -> String {
                concat!("array[", $dtype, "]").into()
            }
            fn into_value(self) -> Value {
                Value::Array(Array::$variant(self.into_shared()))
            }
        }
    };
}
array_conversions!(f64, F64, "float64");
array_conversions!(f32, F32, "float32");
array_conversions!(i64, I64, "int64");
array_conversions!(i32, I32, "int32");
array_conversions!(bool, Bool, "bool");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_convert_with_python_promotions() {
        assert_eq!(i64::from_value(&Value::Int(3)).unwrap(), 3);
        assert_eq!(i64::from_value(&Value::Bool(true)).unwrap(), 1);
        assert_eq!(f64::from_value(&Value::Int(3)).unwrap(), 3.0);
        assert!(i64::from_value(&Value::Float(3.0)).is_err());
        assert!(bool::from_value(&Value::Int(1)).is_err());
        assert_eq!(String::from_value(&Value::Str("a".into())).unwrap(), "a");
    }

    #[test]
    fn lists_convert_element_by_element() {
        let v = Value::List(vec![Value::Int(1), Value::Int(2)].into());
        assert_eq!(Vec::<i64>::from_value(&v).unwrap(), vec![1, 2]);
        let bad = Value::List(vec![Value::Int(1), Value::Str("x".into())].into());
        let err = Vec::<i64>::from_value(&bad).unwrap_err().to_string();
        assert_eq!(err, "element 1: expected int, got str");
        assert_eq!(
            <Vec<Vec<f64>> as FromValue>::type_name(),
            "list[list[float]]"
        );
        assert_eq!(
            vec![1.5f64].into_value(),
            Value::List(vec![Value::Float(1.5)].into())
        );
    }

    #[test]
    fn arrays_convert_by_dtype() {
        let a = ArrayD::from_elem(IxDyn(&[2]), 1.5f64);
        let v = a.clone().into_value();
        assert_eq!(ArrayD::<f64>::from_value(&v).unwrap(), a);
        let err = ArrayD::<i64>::from_value(&v).unwrap_err().to_string();
        assert_eq!(err, "expected an array of int64, got an array of float64");
        let shared = ArcArray::<f64, IxDyn>::from_value(&v).unwrap();
        let Value::Array(Array::F64(inner)) = &v else {
            unreachable!()
        };
        assert_eq!(shared.as_ptr(), inner.as_ptr());
    }

    #[test]
    fn results_may_be_fallible() {
        let ok: Result<i64, TaskError> = Ok(2);
        assert_eq!(ok.into_task_result().unwrap(), Value::Int(2));
        let err: Result<i64, TaskError> = Err(TaskError::value_error("no"));
        assert_eq!(err.into_task_result().unwrap_err().to_string(), "no");
        assert_eq!(
            <Result<f64, TaskError> as IntoTaskResult>::type_name(),
            "float"
        );
    }

    #[test]
    fn tuples_convert_part_by_part() {
        let v = (1i64, 2.5f64).into_value();
        assert_eq!(
            v,
            Value::Tuple(vec![Value::Int(1), Value::Float(2.5)].into())
        );
        assert_eq!(<(i64, f64)>::from_value(&v).unwrap(), (1, 2.5));
        let err = <(i64, i64)>::from_value(&v).unwrap_err().to_string();
        assert_eq!(err, "part 1: expected int, got float");
        assert!(<(i64, i64, i64)>::from_value(&v).is_err());
        assert_eq!(<(i64, String) as IntoValue>::type_name(), "tuple[int, str]");
    }
}
