//! Reading kernel arguments and attributes (kwargs) with errors that name the op.

use serde_json::{Map, Value as Json};
use tessera_ir::DType;

use crate::kernels::KernelError;
use crate::value::{Array, Value};

/// Attributes of a kernel call.
pub(crate) type Kwargs = Map<String, Json>;

/// An error `"{op}: {message}"`.
pub(crate) fn err(op: &str, message: impl std::fmt::Display) -> KernelError {
    KernelError::new(format!("{op}: {message}"))
}

/// Checks the number of positional arguments.
pub(crate) fn arity(op: &str, args: &[Value], n: usize) -> Result<(), KernelError> {
    if args.len() == n {
        Ok(())
    } else {
        Err(err(
            op,
            format!("expected {n} argument(s), got {}", args.len()),
        ))
    }
}

/// Positional argument `i` as an array (a Python scalar becomes a 0-d array).
pub(crate) fn array(op: &str, args: &[Value], i: usize) -> Result<Array, KernelError> {
    let value = args
        .get(i)
        .ok_or_else(|| err(op, format!("missing argument {i}")))?;
    to_array(op, value)
        .map_err(|got| err(op, format!("argument {i}: expected an array, got {got}")))
}

/// A value as an array: arrays as they are, Python scalars as 0-d arrays with
/// NumPy's default dtype for them; `Err` holds the type name of anything else.
pub(crate) fn to_array(_op: &str, value: &Value) -> Result<Array, &'static str> {
    use ndarray::{ArrayD, IxDyn};
    Ok(match value {
        Value::Array(a) => a.clone(),
        Value::Float(f) => Array::from(ArrayD::from_elem(IxDyn(&[]), *f)),
        Value::Int(i) => Array::from(ArrayD::from_elem(IxDyn(&[]), *i)),
        Value::Bool(b) => Array::from(ArrayD::from_elem(IxDyn(&[]), *b)),
        other => return Err(other.type_name()),
    })
}

/// Positional argument `i` as a list of arrays (a list or a tuple value).
pub(crate) fn array_list(op: &str, args: &[Value], i: usize) -> Result<Vec<Array>, KernelError> {
    match args.get(i) {
        Some(Value::List(items)) | Some(Value::Tuple(items)) => items
            .iter()
            .enumerate()
            .map(|(j, v)| {
                to_array(op, v).map_err(|got| {
                    err(
                        op,
                        format!("argument {i}[{j}]: expected an array, got {got}"),
                    )
                })
            })
            .collect(),
        Some(other) => Err(err(
            op,
            format!(
                "argument {i}: expected a list of arrays, got {}",
                other.type_name()
            ),
        )),
        None => Err(err(op, format!("missing argument {i}"))),
    }
}

/// Normalizes one axis against `ndim` (negative counts from the end).
pub(crate) fn normalize_axis(op: &str, axis: i64, ndim: usize) -> Result<usize, KernelError> {
    let n = ndim as i64;
    if axis >= -n && axis < n {
        Ok(if axis < 0 { axis + n } else { axis } as usize)
    } else {
        Err(err(
            op,
            format!("axis {axis} is out of bounds for an array of dimension {ndim}"),
        ))
    }
}

/// The `key` attribute as an axis set: missing or `null` is `None` (all axes); an
/// integer or a list of integers is normalized, checked for duplicates and sorted.
pub(crate) fn axes(
    op: &str,
    kwargs: &Kwargs,
    key: &str,
    ndim: usize,
) -> Result<Option<Vec<usize>>, KernelError> {
    let raw: Vec<i64> = match kwargs.get(key) {
        None | Some(Json::Null) => return Ok(None),
        Some(Json::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_i64()
                    .ok_or_else(|| err(op, format!("`{key}` entries must be integers, got {v}")))
            })
            .collect::<Result<_, _>>()?,
        Some(v) => vec![v.as_i64().ok_or_else(|| {
            err(
                op,
                format!("`{key}` must be an integer, a list or null, got {v}"),
            )
        })?],
    };
    let mut out = Vec::with_capacity(raw.len());
    for a in raw {
        let axis = normalize_axis(op, a, ndim)?;
        if out.contains(&axis) {
            return Err(err(op, format!("duplicate value in `{key}`: {a}")));
        }
        out.push(axis);
    }
    out.sort_unstable();
    Ok(Some(out))
}

/// The `key` attribute as one optional axis (integer or null), normalized.
pub(crate) fn single_axis(
    op: &str,
    kwargs: &Kwargs,
    key: &str,
    ndim: usize,
) -> Result<Option<usize>, KernelError> {
    match int(op, kwargs, key)? {
        None => Ok(None),
        Some(a) => normalize_axis(op, a, ndim).map(Some),
    }
}

/// A boolean attribute with a default.
pub(crate) fn boolean(
    op: &str,
    kwargs: &Kwargs,
    key: &str,
    default: bool,
) -> Result<bool, KernelError> {
    match kwargs.get(key) {
        None | Some(Json::Null) => Ok(default),
        Some(Json::Bool(b)) => Ok(*b),
        Some(v) => Err(err(op, format!("`{key}` must be a boolean, got {v}"))),
    }
}

/// An optional integer attribute (`null` counts as missing).
pub(crate) fn int(op: &str, kwargs: &Kwargs, key: &str) -> Result<Option<i64>, KernelError> {
    match kwargs.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| err(op, format!("`{key}` must be an integer, got {v}"))),
    }
}

/// A required integer attribute.
pub(crate) fn req_int(op: &str, kwargs: &Kwargs, key: &str) -> Result<i64, KernelError> {
    int(op, kwargs, key)?.ok_or_else(|| err(op, format!("missing attribute `{key}`")))
}

/// An optional number attribute (integers are accepted as floats).
pub(crate) fn float(op: &str, kwargs: &Kwargs, key: &str) -> Result<Option<f64>, KernelError> {
    match kwargs.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(v) => v
            .as_f64()
            .map(Some)
            .ok_or_else(|| err(op, format!("`{key}` must be a number, got {v}"))),
    }
}

/// A required number attribute.
pub(crate) fn req_float(op: &str, kwargs: &Kwargs, key: &str) -> Result<f64, KernelError> {
    float(op, kwargs, key)?.ok_or_else(|| err(op, format!("missing attribute `{key}`")))
}

/// An optional list of integers (`null` counts as missing).
pub(crate) fn int_list(
    op: &str,
    kwargs: &Kwargs,
    key: &str,
) -> Result<Option<Vec<i64>>, KernelError> {
    match kwargs.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_i64()
                    .ok_or_else(|| err(op, format!("`{key}` entries must be integers, got {v}")))
            })
            .collect::<Result<_, _>>()
            .map(Some),
        Some(v) => Err(err(
            op,
            format!("`{key}` must be a list of integers, got {v}"),
        )),
    }
}

/// An optional list of non-negative integers (a shape, an offset); a single
/// integer is taken as a 1-element list, as NumPy does for shapes.
pub(crate) fn usize_list(
    op: &str,
    kwargs: &Kwargs,
    key: &str,
) -> Result<Option<Vec<usize>>, KernelError> {
    if let Some(Json::Number(n)) = kwargs.get(key) {
        return match n.as_u64() {
            Some(v) => Ok(Some(vec![v as usize])),
            None => Err(err(op, format!("`{key}` must be non-negative, got {n}"))),
        };
    }
    match int_list(op, kwargs, key)? {
        None => Ok(None),
        Some(v) => v
            .into_iter()
            .map(|x| {
                usize::try_from(x)
                    .map_err(|_| err(op, format!("`{key}` entries must be non-negative, got {x}")))
            })
            .collect::<Result<_, _>>()
            .map(Some),
    }
}

/// A required list of non-negative integers.
pub(crate) fn req_usize_list(
    op: &str,
    kwargs: &Kwargs,
    key: &str,
) -> Result<Vec<usize>, KernelError> {
    usize_list(op, kwargs, key)?.ok_or_else(|| err(op, format!("missing attribute `{key}`")))
}

/// An optional dtype attribute by its graph-format name.
pub(crate) fn dtype(op: &str, kwargs: &Kwargs, key: &str) -> Result<Option<DType>, KernelError> {
    match kwargs.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) => DType::from_name(s)
            .map(Some)
            .ok_or_else(|| err(op, format!("unknown dtype {s:?} in `{key}`"))),
        Some(v) => Err(err(op, format!("`{key}` must be a dtype name, got {v}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kw(v: Json) -> Kwargs {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn axes_normalize_sort_and_reject_duplicates() {
        let k = kw(json!({"axis": [-1, 0]}));
        assert_eq!(axes("sum", &k, "axis", 3).unwrap(), Some(vec![0, 2]));
        assert_eq!(
            axes("sum", &kw(json!({"axis": null})), "axis", 3).unwrap(),
            None
        );
        assert_eq!(axes("sum", &kw(json!({})), "axis", 3).unwrap(), None);
        let e = axes("sum", &kw(json!({"axis": [1, -2]})), "axis", 3).unwrap_err();
        assert!(e.0.contains("duplicate"), "{e}");
        let e = axes("sum", &kw(json!({"axis": 3})), "axis", 3).unwrap_err();
        assert!(e.0.starts_with("sum: axis 3 is out of bounds"), "{e}");
    }

    #[test]
    fn typed_attributes_refuse_wrong_types() {
        let k = kw(json!({"keepdims": 1, "shape": [2, -1], "dtype": "float16"}));
        assert!(boolean("sum", &k, "keepdims", false).is_err());
        assert!(usize_list("zeros", &k, "shape").is_err());
        assert!(dtype("zeros", &k, "dtype").is_err());
        assert_eq!(
            usize_list("zeros", &kw(json!({"shape": 4})), "shape").unwrap(),
            Some(vec![4])
        );
    }

    #[test]
    fn scalars_become_zero_d_arrays() {
        let a = array("sum", &[Value::Float(2.5)], 0).unwrap();
        assert_eq!(a.shape(), &[] as &[usize]);
        assert_eq!(a.dtype(), DType::Float64);
        assert!(array("sum", &[Value::Str("x".into())], 0).is_err());
    }
}
