//! Values that tasks consume and produce: dtype-dynamic arrays shared by `Arc`,
//! Python-style scalars, strings, lists and tuples.

use std::fmt;
use std::sync::Arc;

use ndarray::{ArcArray, ArrayD, IxDyn};
use tessera_ir::DType;

/// An n-dimensional array of one of the graph format's dtypes.
///
/// The data is shared through `Arc` (ndarray's `ArcArray`): cloning is cheap and a
/// region taken with `slice_move` is a view of the same buffer, never a copy.
#[derive(Clone, PartialEq)]
pub enum Array {
    /// `float64` data.
    F64(ArcArray<f64, IxDyn>),
    /// `float32` data.
    F32(ArcArray<f32, IxDyn>),
    /// `int64` data.
    I64(ArcArray<i64, IxDyn>),
    /// `int32` data.
    I32(ArcArray<i32, IxDyn>),
    /// `bool` data.
    Bool(ArcArray<bool, IxDyn>),
}

/// Runs `$body` with `$a` bound to the typed `ArcArray` inside an [`Array`].
#[macro_export]
macro_rules! with_array {
    ($array:expr, $a:ident => $body:expr) => {
        match $array {
            $crate::value::Array::F64($a) => $body,
            $crate::value::Array::F32($a) => $body,
            $crate::value::Array::I64($a) => $body,
            $crate::value::Array::I32($a) => $body,
            $crate::value::Array::Bool($a) => $body,
        }
    };
}

/// Runs `$body` with `$a` bound to the typed array and wraps the result (an
/// `ArcArray` of the same element type) back into an [`Array`].
#[macro_export]
macro_rules! map_array {
    ($array:expr, $a:ident => $body:expr) => {
        match $array {
            $crate::value::Array::F64($a) => $crate::value::Array::F64($body),
            $crate::value::Array::F32($a) => $crate::value::Array::F32($body),
            $crate::value::Array::I64($a) => $crate::value::Array::I64($body),
            $crate::value::Array::I32($a) => $crate::value::Array::I32($body),
            $crate::value::Array::Bool($a) => $crate::value::Array::Bool($body),
        }
    };
}

impl Array {
    /// The element type.
    pub fn dtype(&self) -> DType {
        match self {
            Array::F64(_) => DType::Float64,
            Array::F32(_) => DType::Float32,
            Array::I64(_) => DType::Int64,
            Array::I32(_) => DType::Int32,
            Array::Bool(_) => DType::Bool,
        }
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        with_array!(self, a => a.shape())
    }

    /// Number of dimensions.
    pub fn ndim(&self) -> usize {
        self.shape().len()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape().iter().product()
    }

    /// True when the array has no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of element data this array spans (elements × element size).
    pub fn nbytes(&self) -> usize {
        self.len() * self.dtype().size_bytes()
    }
}

impl fmt::Debug for Array {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        with_array!(self, a => write!(f, "Array<{}>{:?}", self.dtype(), a))
    }
}

macro_rules! array_from {
    ($t:ty, $variant:ident) => {
        impl From<ArrayD<$t>> for Array {
            fn from(a: ArrayD<$t>) -> Array {
                Array::$variant(a.into_shared())
            }
        }
        impl From<ArcArray<$t, IxDyn>> for Array {
            fn from(a: ArcArray<$t, IxDyn>) -> Array {
                Array::$variant(a)
            }
        }
        impl TryFrom<Array> for ArcArray<$t, IxDyn> {
            type Error = Array;
            fn try_from(a: Array) -> Result<Self, Array> {
                match a {
                    Array::$variant(x) => Ok(x),
                    other => Err(other),
                }
            }
        }
    };
}
array_from!(f64, F64);
array_from!(f32, F32);
array_from!(i64, I64);
array_from!(i32, I32);
array_from!(bool, Bool);

/// A value held by the runtime: the input or the result of a task.
#[derive(Clone, PartialEq)]
pub enum Value {
    /// Python's `None` (JSON `null`).
    None,
    /// A Python `bool`.
    Bool(bool),
    /// A Python `int` (64-bit; overflow is an error, never a wrap-around).
    Int(i64),
    /// A Python `float`.
    Float(f64),
    /// A string.
    Str(Arc<str>),
    /// A list.
    List(Arc<[Value]>),
    /// A tuple (a multi-part result, such as the pair of `linalg.qr`).
    Tuple(Arc<[Value]>),
    /// An array (a 0-d array for a full reduction).
    Array(Array),
    /// A JSON object given as a literal (`{"lit": {...}}`), kept as data.
    Dict(Arc<serde_json::Map<String, serde_json::Value>>),
}

impl Value {
    /// A short name of the value's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::None => "None",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::List(_) => "list",
            Value::Tuple(_) => "tuple",
            Value::Array(_) => "array",
            Value::Dict(_) => "dict",
        }
    }

    /// Approximate bytes this value holds (array data, plus a small constant per
    /// scalar or list element), for memory accounting.
    pub fn nbytes(&self) -> usize {
        match self {
            Value::Array(a) => a.nbytes(),
            Value::Str(s) => s.len(),
            Value::List(items) | Value::Tuple(items) => {
                items.iter().map(Value::nbytes).sum::<usize>() + 8 * items.len()
            }
            _ => 8,
        }
    }

    /// Converts a JSON value: numbers become `Int` (when integral and in range) or
    /// `Float`, arrays become lists, objects are refused.
    pub fn from_json(json: &serde_json::Value) -> Result<Value, String> {
        Ok(match json {
            serde_json::Value::Null => Value::None,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None if n.is_u64() => {
                    return Err(format!("integer {n} does not fit in 64 bits"));
                }
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::Str(s.as_str().into()),
            serde_json::Value::Array(items) => Value::List(
                items
                    .iter()
                    .map(Value::from_json)
                    .collect::<Result<Vec<_>, _>>()?
                    .into(),
            ),
            serde_json::Value::Object(map) => Value::Dict(Arc::new(map.clone())),
        })
    }

    /// Converts to JSON: lists and tuples become arrays, arrays become nested lists
    /// (non-finite floats become `null`, as JSON has no NaN).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::None => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.to_string()),
            Value::List(items) | Value::Tuple(items) => {
                J::Array(items.iter().map(Value::to_json).collect())
            }
            Value::Array(a) => array_to_json(a),
            Value::Dict(map) => J::Object((**map).clone()),
        }
    }
}

fn array_to_json(a: &Array) -> serde_json::Value {
    fn nest<T: Copy>(
        data: &[T],
        shape: &[usize],
        leaf: &impl Fn(T) -> serde_json::Value,
    ) -> serde_json::Value {
        match shape.split_first() {
            None => leaf(data[0]),
            Some((&n, rest)) => {
                let step: usize = rest.iter().product();
                serde_json::Value::Array(
                    (0..n)
                        .map(|i| nest(&data[i * step..(i + 1) * step], rest, leaf))
                        .collect(),
                )
            }
        }
    }
    let float =
        |f: f64| serde_json::Number::from_f64(f).map_or(serde_json::Value::Null, Into::into);
    match a {
        Array::F64(x) => nest(&x.iter().copied().collect::<Vec<_>>(), x.shape(), &float),
        Array::F32(x) => nest(
            &x.iter().copied().collect::<Vec<_>>(),
            x.shape(),
            &|v: f32| float(v as f64),
        ),
        Array::I64(x) => nest(
            &x.iter().copied().collect::<Vec<_>>(),
            x.shape(),
            &|v: i64| v.into(),
        ),
        Array::I32(x) => nest(
            &x.iter().copied().collect::<Vec<_>>(),
            x.shape(),
            &|v: i32| v.into(),
        ),
        Array::Bool(x) => nest(
            &x.iter().copied().collect::<Vec<_>>(),
            x.shape(),
            &|v: bool| v.into(),
        ),
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::None => f.write_str("None"),
            Value::Bool(b) => write!(f, "{}", if *b { "True" } else { "False" }),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x:?}"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::List(items) => f.debug_list().entries(items.iter()).finish(),
            Value::Tuple(items) => {
                let mut t = f.debug_tuple("");
                for item in items.iter() {
                    t.field(item);
                }
                t.finish()
            }
            Value::Array(a) => a.fmt(f),
            Value::Dict(map) => write!(f, "{}", serde_json::Value::Object((**map).clone())),
        }
    }
}

impl From<Array> for Value {
    fn from(a: Array) -> Value {
        Value::Array(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{IxDyn, s};

    #[test]
    fn slicing_an_arc_array_shares_its_buffer() {
        let a: ArcArray<f64, IxDyn> = ArrayD::from_elem(IxDyn(&[4, 4]), 1.0).into_shared();
        let ptr = a.as_ptr();
        let view = a.clone().slice_move(s![1.., 1..]);
        assert_eq!(view.shape(), &[3, 3]);
        // SAFETY-free check: the view starts 5 elements into the same allocation.
        assert_eq!(view.as_ptr(), ptr.wrapping_add(5));
    }

    #[test]
    fn json_round_trip() {
        let json = serde_json::json!([1, 2.5, "x", null, [true]]);
        let v = Value::from_json(&json).unwrap();
        assert_eq!(v.to_json(), json);
        let arr = Value::Array(Array::from(
            ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![1i64, 2, 3, 4]).unwrap(),
        ));
        assert_eq!(arr.to_json(), serde_json::json!([[1, 2], [3, 4]]));
        let zero_d = Value::Array(Array::from(ArrayD::from_elem(IxDyn(&[]), 2.5f64)));
        assert_eq!(zero_d.to_json(), serde_json::json!(2.5));
    }

    #[test]
    fn big_unsigned_json_is_refused() {
        assert!(Value::from_json(&serde_json::json!(u64::MAX)).is_err());
    }
}
