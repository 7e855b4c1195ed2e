//! Attribute checking ([`AttrType::check`]) and the typed accessors inference uses
//! to read attributes and arguments, each error pointing at what it is about.

use serde_json::Value;

use super::{AttrType, InferError, InferInput};
use crate::chunks::{ChunkSpec, normalize_chunks};
use crate::dtype::{DType, ScalarKind};
use crate::meta::{ArrayMeta, Chunks, Meta};

impl AttrType {
    /// Checks that `v` has this JSON type; the message says what was expected and
    /// what was found.
    pub fn check(&self, v: &Value) -> Result<(), String> {
        let found = || format!("found {}", short(v));
        match self {
            AttrType::Int => as_int(v).map(drop),
            AttrType::Number if v.is_number() => Ok(()),
            AttrType::Number => Err(format!("expected a number, {}", found())),
            AttrType::Bool if v.is_boolean() => Ok(()),
            AttrType::Bool => Err(format!("expected true or false, {}", found())),
            AttrType::Str if v.is_string() => Ok(()),
            AttrType::Str => Err(format!("expected a string, {}", found())),
            AttrType::Shape => shape_of(v).map(drop),
            AttrType::ReshapeShape => match v.as_array() {
                Some(items) => items
                    .iter()
                    .enumerate()
                    .try_for_each(|(i, x)| match as_int(x) {
                        Ok(n) if n >= -1 => Ok(()),
                        Ok(n) => Err(format!(
                            "entry {i}: a size must be non-negative or -1, found {n}"
                        )),
                        Err(e) => Err(format!("entry {i}: {e}")),
                    }),
                None => Err(format!("expected a list of integers, {}", found())),
            },
            AttrType::DType => match v.as_str() {
                Some(name) if DType::from_name(name).is_some() => Ok(()),
                _ => Err(format!(
                    "expected a dtype name (one of {}), {}",
                    DType::ALL.map(DType::name).join(", "),
                    found()
                )),
            },
            AttrType::Chunks => ChunkSpec::from_json(v).map(drop),
            AttrType::Axis => match v {
                Value::Null => Ok(()),
                Value::Array(items) => items.iter().enumerate().try_for_each(|(i, x)| {
                    as_int(x).map(drop).map_err(|e| format!("entry {i}: {e}"))
                }),
                _ => as_int(v).map(drop).map_err(|_| {
                    format!(
                        "expected an integer, a list of integers or null, {}",
                        found()
                    )
                }),
            },
            AttrType::AxisOrNull => match v {
                Value::Null => Ok(()),
                _ => as_int(v)
                    .map(drop)
                    .map_err(|_| format!("expected an integer or null, {}", found())),
            },
            AttrType::IntList => int_list(v).map(drop),
            AttrType::Index => crate::index::parse_index(v).map(drop),
            AttrType::NestedList => check_nested(v),
            AttrType::Json => Ok(()),
            AttrType::Scalar if v.is_number() || v.is_boolean() => Ok(()),
            AttrType::Scalar => Err(format!("expected a number or a boolean, {}", found())),
            AttrType::Object if v.is_object() => Ok(()),
            AttrType::Object => Err(format!("expected an object, {}", found())),
        }
    }
}

/// A value shortened for messages.
pub(crate) fn short(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 40 {
        format!("{}...", text.chars().take(37).collect::<String>())
    } else {
        text
    }
}

fn as_int(v: &Value) -> Result<i64, String> {
    match v {
        Value::Number(n) => n.as_i64().ok_or_else(|| {
            if n.is_u64() {
                format!("integer {n} is too large")
            } else {
                format!("expected an integer, found {n}")
            }
        }),
        _ => Err(format!("expected an integer, found {}", short(v))),
    }
}

fn int_list(v: &Value) -> Result<Vec<i64>, String> {
    let items = v
        .as_array()
        .ok_or_else(|| format!("expected a list of integers, found {}", short(v)))?;
    items
        .iter()
        .enumerate()
        .map(|(i, x)| as_int(x).map_err(|e| format!("entry {i}: {e}")))
        .collect()
}

/// A list of non-negative integers whose product fits in `usize`.
pub(crate) fn shape_of(v: &Value) -> Result<Vec<usize>, String> {
    let shape = int_list(v)?
        .into_iter()
        .enumerate()
        .map(|(i, n)| {
            usize::try_from(n)
                .map_err(|_| format!("entry {i}: negative dimensions are not allowed, found {n}"))
        })
        .collect::<Result<Vec<usize>, String>>()?;
    checked_size(&shape)?;
    Ok(shape)
}

/// The number of elements of `shape`, or an error if it does not fit in memory
/// addresses. As in NumPy, the product of the non-zero dimensions must fit too:
/// an empty array of shape `(0, 2**40, 2**40)` is refused, since every size and
/// offset computed from its other dimensions would overflow.
pub(crate) fn checked_size(shape: &[usize]) -> Result<usize, String> {
    shape
        .iter()
        .filter(|&&n| n != 0)
        .try_fold(1usize, |acc, &n| acc.checked_mul(n))
        .filter(|&n| isize::try_from(n).is_ok())
        .map(|n| if shape.contains(&0) { 0 } else { n })
        .ok_or_else(|| {
            format!(
                "shape {} has too many elements",
                crate::chunks::fmt_shape(shape)
            )
        })
}

/// Numbers, booleans and lists of them, walked with an explicit stack.
fn check_nested(v: &Value) -> Result<(), String> {
    let mut stack = vec![v];
    while let Some(x) = stack.pop() {
        match x {
            Value::Number(_) | Value::Bool(_) => {}
            Value::Array(items) => stack.extend(items),
            other => {
                return Err(format!(
                    "expected nested lists of numbers or booleans, found {}",
                    short(other)
                ));
            }
        }
    }
    Ok(())
}

/// Resolves one axis against `ndim` (negative counts from the end), with NumPy's
/// message when out of bounds.
pub(crate) fn normalize_axis(axis: i64, ndim: usize) -> Result<usize, String> {
    let n = ndim as i128;
    let a = i128::from(axis);
    let a = if a < 0 { a + n } else { a };
    if a < 0 || a >= n {
        return Err(format!(
            "axis {axis} is out of bounds for array of dimension {ndim}"
        ));
    }
    Ok(a as usize)
}

/// Resolves a list of axes; duplicates are an error.
pub(crate) fn normalize_axes(axes: &[i64], ndim: usize) -> Result<Vec<usize>, String> {
    let mut out = Vec::with_capacity(axes.len());
    for &a in axes {
        let a = normalize_axis(a, ndim)?;
        if out.contains(&a) {
            return Err("duplicate value in 'axis'".to_owned());
        }
        out.push(a);
    }
    Ok(out)
}

impl InferInput<'_> {
    /// The attribute `name`, `None` when absent or `null`.
    pub(crate) fn opt(&self, name: &str) -> Option<&Value> {
        self.attrs.get(name).filter(|v| !v.is_null())
    }

    /// The attribute `name`, an error when absent.
    pub(crate) fn req(&self, name: &str) -> Result<&Value, InferError> {
        self.opt(name)
            .ok_or_else(|| InferError::at(name, format!("attribute `{name}` is required")))
    }

    /// An integer attribute, if given.
    pub(crate) fn opt_int(&self, name: &str) -> Result<Option<i64>, InferError> {
        self.opt(name)
            .map(|v| as_int(v).map_err(|e| InferError::at(name, e)))
            .transpose()
    }

    /// A required integer attribute.
    pub(crate) fn int(&self, name: &str) -> Result<i64, InferError> {
        as_int(self.req(name)?).map_err(|e| InferError::at(name, e))
    }

    /// A required number attribute.
    pub(crate) fn number(&self, name: &str) -> Result<f64, InferError> {
        self.req(name)?
            .as_f64()
            .ok_or_else(|| InferError::at(name, "expected a number"))
    }

    /// A boolean attribute, `default` when absent.
    pub(crate) fn flag(&self, name: &str, default: bool) -> Result<bool, InferError> {
        match self.opt(name) {
            None => Ok(default),
            Some(v) => v.as_bool().ok_or_else(|| {
                InferError::at(name, format!("expected true or false, found {}", short(v)))
            }),
        }
    }

    /// A required string attribute.
    pub(crate) fn string(&self, name: &str) -> Result<&str, InferError> {
        let v = self.req(name)?;
        v.as_str()
            .ok_or_else(|| InferError::at(name, format!("expected a string, found {}", short(v))))
    }

    /// A required shape attribute.
    pub(crate) fn shape(&self, name: &str) -> Result<Vec<usize>, InferError> {
        shape_of(self.req(name)?).map_err(|e| InferError::at(name, e))
    }

    /// A list of integers, if given.
    pub(crate) fn opt_int_list(&self, name: &str) -> Result<Option<Vec<i64>>, InferError> {
        self.opt(name)
            .map(|v| int_list(v).map_err(|e| InferError::at(name, e)))
            .transpose()
    }

    /// A dtype attribute, if given.
    pub(crate) fn opt_dtype(&self, name: &str) -> Result<Option<DType>, InferError> {
        self.opt(name)
            .map(|v| {
                v.as_str()
                    .and_then(DType::from_name)
                    .ok_or_else(|| InferError::at(name, format!("unknown dtype {}", short(v))))
            })
            .transpose()
    }

    /// An `axis` attribute (integer, list or null) resolved against `ndim`;
    /// `None` for null (all axes).
    pub(crate) fn axes(&self, name: &str, ndim: usize) -> Result<Option<Vec<usize>>, InferError> {
        let raw = match self.opt(name) {
            None => return Ok(None),
            Some(Value::Array(_)) => self.opt_int_list(name)?.unwrap_or_default(),
            Some(v) => vec![as_int(v).map_err(|e| InferError::at(name, e))?],
        };
        normalize_axes(&raw, ndim)
            .map(Some)
            .map_err(|e| InferError::at(name, e))
    }

    /// The `chunks` attribute normalized against `shape` (`"auto"` when absent).
    pub(crate) fn chunks(&self, shape: &[usize], dtype: DType) -> Result<Chunks, InferError> {
        let spec = match self.attrs.get("chunks") {
            None => ChunkSpec::All(crate::chunks::AxisChunks::Auto),
            Some(v) => ChunkSpec::from_json(v).map_err(|e| InferError::at("chunks", e))?,
        };
        normalize_chunks(&spec, shape, dtype).map_err(|e| InferError::at("chunks", e))
    }

    /// Positional argument `i`, an error when missing.
    pub(crate) fn arg(&self, i: usize) -> Result<&Meta, InferError> {
        self.args
            .get(i)
            .ok_or_else(|| InferError::new(format!("argument {i} is missing")))
    }

    /// Positional argument `i`, which must be an array.
    pub(crate) fn array(&self, i: usize) -> Result<&ArrayMeta, InferError> {
        match self.arg(i)? {
            Meta::Array(a) => Ok(a),
            other => Err(not_an_array(i, other)),
        }
    }

    /// Positional argument `i` as an array; a weak scalar becomes a 0-d array of
    /// its default dtype (as NumPy does for a lone Python scalar).
    pub(crate) fn array_like(&self, i: usize) -> Result<ArrayMeta, InferError> {
        match self.arg(i)? {
            Meta::Array(a) => Ok(a.clone()),
            Meta::Scalar(kind, _) => Ok(ArrayMeta::scalar(DType::of_scalar(*kind))),
            other => Err(not_an_array(i, other)),
        }
    }
}

/// The error for an argument that should have been an array.
pub(crate) fn not_an_array(i: usize, found: &Meta) -> InferError {
    let hint = if matches!(found, Meta::Any) {
        " (use from_delayed to turn a task's result into an array)"
    } else {
        ""
    };
    InferError::arg(
        i,
        format!(
            "argument {i} must be an array, found {}{hint}",
            found.describe()
        ),
    )
}

/// Whether the JSON integer `n` fits `dtype`, checked exactly (no f64 round
/// trip: `9223372036854775807` fits int64, `9223372036854775808` does not).
/// NEP 50 raises `OverflowError` for a Python integer out of bounds of an
/// integer dtype; a float or bool dtype takes any integer.
pub(crate) fn weak_int_fits(n: &serde_json::Number, dtype: DType) -> Result<(), String> {
    let value = n
        .as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from));
    let (lo, hi) = match dtype {
        DType::Int32 => (i128::from(i32::MIN), i128::from(i32::MAX)),
        DType::Int64 => (i128::from(i64::MIN), i128::from(i64::MAX)),
        _ => return Ok(()),
    };
    match value {
        Some(v) if (lo..=hi).contains(&v) => Ok(()),
        _ => Err(format!("Python integer {n} out of bounds for {dtype}")),
    }
}

/// Whether the weak scalar `value` of `kind` fits `dtype` (NEP 50 raises
/// `OverflowError` for a Python integer out of bounds of an integer dtype).
pub(crate) fn weak_scalar_fits(kind: ScalarKind, value: f64, dtype: DType) -> Result<(), String> {
    const TWO_31: f64 = 2_147_483_648.0;
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    let (lo, hi) = match (kind, dtype) {
        (ScalarKind::Int, DType::Int32) => (-TWO_31, TWO_31),
        (ScalarKind::Int, DType::Int64) => (-TWO_63, TWO_63),
        _ => return Ok(()),
    };
    if value < lo || value >= hi {
        return Err(format!("Python integer {value} out of bounds for {dtype}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn checks_accept_the_right_json_types() {
        let ok = [
            (AttrType::Int, json!(-3)),
            (AttrType::Number, json!(1.5)),
            (AttrType::Bool, json!(true)),
            (AttrType::Str, json!("x")),
            (AttrType::Shape, json!([2, 0, 3])),
            (AttrType::ReshapeShape, json!([-1, 3])),
            (AttrType::DType, json!("int32")),
            (AttrType::Chunks, json!([[5, 5], "auto"])),
            (AttrType::Axis, json!(null)),
            (AttrType::Axis, json!([0, -1])),
            (AttrType::Axis, json!(1)),
            (AttrType::AxisOrNull, json!(null)),
            (AttrType::IntList, json!([])),
            (AttrType::Index, json!([1, [null, null, -1], null, "..."])),
            (AttrType::NestedList, json!([[1, 2.5], [true, 0]])),
            (AttrType::NestedList, json!(4)),
            (AttrType::Json, json!({"a": [1]})),
            (AttrType::Scalar, json!(false)),
            (AttrType::Object, json!({})),
        ];
        for (ty, v) in ok {
            assert_eq!(ty.check(&v), Ok(()), "{ty:?} {v}");
        }
    }

    #[test]
    fn checks_refuse_and_say_why() {
        let bad = [
            (AttrType::Int, json!(1.5), "expected an integer, found 1.5"),
            (AttrType::Int, json!(u64::MAX), "too large"),
            (AttrType::Number, json!("1"), "expected a number"),
            (AttrType::Bool, json!(0), "true or false"),
            (AttrType::Str, json!(1), "expected a string"),
            (AttrType::Shape, json!([2, -1]), "negative dimensions"),
            (AttrType::Shape, json!(3), "list of integers"),
            (
                AttrType::Shape,
                json!([1_u64 << 40, 1_u64 << 40]),
                "too many elements",
            ),
            (AttrType::ReshapeShape, json!([-2]), "non-negative or -1"),
            (AttrType::DType, json!("float16"), "one of bool, int32"),
            (AttrType::Chunks, json!("big"), "\"auto\""),
            (AttrType::Axis, json!("0"), "integer, a list"),
            (AttrType::Axis, json!([0, "a"]), "entry 1"),
            (AttrType::AxisOrNull, json!([0]), "integer or null"),
            (AttrType::IntList, json!([1, null]), "entry 1"),
            (AttrType::Index, json!([[1, 2]]), "[start, stop, step]"),
            (AttrType::NestedList, json!([[1], ["a"]]), "nested lists"),
            (AttrType::Scalar, json!("1"), "number or a boolean"),
            (AttrType::Object, json!([]), "an object"),
        ];
        for (ty, v, want) in bad {
            let e = ty.check(&v).unwrap_err();
            assert!(e.contains(want), "{ty:?} {v}: {e}");
        }
    }

    #[test]
    fn axes_resolve_like_numpy() {
        assert_eq!(normalize_axis(-1, 3), Ok(2));
        assert_eq!(
            normalize_axis(3, 3).unwrap_err(),
            "axis 3 is out of bounds for array of dimension 3"
        );
        assert_eq!(
            normalize_axes(&[0, -3], 3).unwrap_err(),
            "duplicate value in 'axis'"
        );
        assert!(normalize_axis(0, 0).is_err());
        assert!(normalize_axis(i64::MIN, 2).is_err());
    }

    #[test]
    fn integer_bounds_are_checked_exactly() {
        let n = |v: Value| v.as_number().unwrap().clone();
        assert!(weak_int_fits(&n(json!(i64::MAX)), DType::Int64).is_ok());
        assert!(weak_int_fits(&n(json!(i64::MIN)), DType::Int64).is_ok());
        let e = weak_int_fits(&n(json!(1u64 << 63)), DType::Int64).unwrap_err();
        assert_eq!(
            e,
            "Python integer 9223372036854775808 out of bounds for int64"
        );
        assert!(weak_int_fits(&n(json!(u64::MAX)), DType::Int64).is_err());
        assert!(weak_int_fits(&n(json!(i32::MAX)), DType::Int32).is_ok());
        assert!(weak_int_fits(&n(json!(i64::from(i32::MIN) - 1)), DType::Int32).is_err());
        assert!(weak_int_fits(&n(json!(u64::MAX)), DType::Float64).is_ok());
    }

    #[test]
    fn weak_integers_must_fit_integer_dtypes() {
        assert!(weak_scalar_fits(ScalarKind::Int, 2f64.powi(31), DType::Int32).is_err());
        assert!(weak_scalar_fits(ScalarKind::Int, -2f64.powi(31), DType::Int32).is_ok());
        assert!(weak_scalar_fits(ScalarKind::Int, 2f64.powi(63), DType::Int64).is_err());
        assert!(weak_scalar_fits(ScalarKind::Int, 2f64.powi(40), DType::Float32).is_ok());
        assert!(weak_scalar_fits(ScalarKind::Float, 1e300, DType::Int32).is_ok());
    }
}
