//! `concatenate` and `stack`: join a list of arrays along an axis, promoting dtypes as NumPy.

use ndarray::{ArcArray, Axis, IxDyn};
use tessera_ir::DType;

use super::cast::{Element, cast, typed};
use crate::kernels::KernelError;
use crate::kernels::reduce::args::{self, Kwargs, err};
use crate::value::{Array, Value};

/// The common dtype of `arrays` (NumPy 2 promotion); `None` for an empty list.
pub(crate) fn result_dtype(arrays: &[Array]) -> Option<DType> {
    arrays.iter().map(Array::dtype).reduce(DType::promote)
}

fn join<T: Element>(
    op: &str,
    arrays: &[Array],
    axis: usize,
    new_axis: bool,
) -> Result<Array, KernelError> {
    let typed: Vec<ArcArray<T, IxDyn>> = arrays.iter().map(typed::<T>).collect();
    let views: Vec<_> = typed.iter().map(|a| a.view()).collect();
    let out = if new_axis {
        ndarray::stack(Axis(axis), &views)
    } else {
        ndarray::concatenate(Axis(axis), &views)
    };
    out.map(|a| T::wrap(a.into_shared()))
        .map_err(|e| err(op, format!("cannot join the arrays: {e}")))
}

fn join_any(op: &str, arrays: &[Array], axis: usize, new_axis: bool) -> Result<Array, KernelError> {
    let dtype = result_dtype(arrays).ok_or_else(|| err(op, "need at least one array to join"))?;
    match dtype {
        DType::Float64 => join::<f64>(op, arrays, axis, new_axis),
        DType::Float32 => join::<f32>(op, arrays, axis, new_axis),
        DType::Int64 => join::<i64>(op, arrays, axis, new_axis),
        DType::Int32 => join::<i32>(op, arrays, axis, new_axis),
        DType::Bool => join::<bool>(op, arrays, axis, new_axis),
    }
}

/// Concatenates `arrays` along existing `axis` (normalized), checking shapes.
pub(crate) fn concatenate_arrays(
    op: &str,
    arrays: &[Array],
    axis: i64,
) -> Result<Array, KernelError> {
    let first = arrays
        .first()
        .ok_or_else(|| err(op, "need at least one array to concatenate"))?;
    if first.ndim() == 0 {
        return Err(err(op, "zero-dimensional arrays cannot be concatenated"));
    }
    let ax = args::normalize_axis(op, axis, first.ndim())?;
    for (i, a) in arrays.iter().enumerate() {
        let ok = a.ndim() == first.ndim()
            && (0..a.ndim()).all(|d| d == ax || a.shape()[d] == first.shape()[d]);
        if !ok {
            return Err(err(
                op,
                format!(
                    "array {i} has shape {:?}, which does not match array 0 of shape {:?} except along axis {ax}",
                    a.shape(),
                    first.shape()
                ),
            ));
        }
    }
    if arrays.len() == 1 {
        return Ok(cast(first, first.dtype()));
    }
    join_any(op, arrays, ax, false)
}

/// Stacks same-shaped `arrays` along a new `axis` (in `-(ndim+1)..=ndim`).
pub(crate) fn stack_arrays(op: &str, arrays: &[Array], axis: i64) -> Result<Array, KernelError> {
    let first = arrays
        .first()
        .ok_or_else(|| err(op, "need at least one array to stack"))?;
    let ax = args::normalize_axis(op, axis, first.ndim() + 1)?;
    for (i, a) in arrays.iter().enumerate() {
        if a.shape() != first.shape() {
            return Err(err(
                op,
                format!(
                    "all input arrays must have the same shape: array {i} has {:?}, array 0 has {:?}",
                    a.shape(),
                    first.shape()
                ),
            ));
        }
    }
    join_any(op, arrays, ax, true)
}

/// `concatenate([a, b, ...], axis=0)`; `axis=None` joins the flattened arrays.
pub(crate) fn concatenate(values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "concatenate";
    args::arity(op, values, 1)?;
    let arrays = args::array_list(op, values, 0)?;
    if matches!(kwargs.get("axis"), Some(serde_json::Value::Null)) {
        let flat: Vec<Array> = arrays
            .iter()
            .map(|a| super::reshape::reshape_array(op, a, &[a.len()]))
            .collect::<Result<_, _>>()?;
        return concatenate_arrays(op, &flat, 0).map(Value::Array);
    }
    let axis = args::int(op, kwargs, "axis")?.unwrap_or(0);
    concatenate_arrays(op, &arrays, axis).map(Value::Array)
}

/// `stack([a, b, ...], axis=0)`.
pub(crate) fn stack(values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "stack";
    args::arity(op, values, 1)?;
    let arrays = args::array_list(op, values, 0)?;
    let axis = args::int(op, kwargs, "axis")?.unwrap_or(0);
    stack_arrays(op, &arrays, axis).map(Value::Array)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::layout::cast::from_vec;
    use serde_json::json;

    fn kw(v: serde_json::Value) -> Kwargs {
        v.as_object().cloned().unwrap()
    }

    fn list(items: Vec<Array>) -> Value {
        Value::List(
            items
                .into_iter()
                .map(Value::Array)
                .collect::<Vec<_>>()
                .into(),
        )
    }

    #[test]
    fn concatenate_promotes_and_joins() {
        let a = from_vec(&[1, 2], vec![1i32, 2]).unwrap();
        let b = from_vec(&[2, 2], vec![0.5f32, 1.5, 2.5, 3.5]).unwrap();
        let Value::Array(out) = concatenate(&[list(vec![a, b])], &kw(json!({}))).unwrap() else {
            panic!()
        };
        // int32 with float32 is float64 in NumPy 2.
        let Array::F64(x) = out else {
            panic!("{out:?}")
        };
        assert_eq!(x.shape(), &[3, 2]);
        assert_eq!(
            x.iter().copied().collect::<Vec<_>>(),
            vec![1.0, 2.0, 0.5, 1.5, 2.5, 3.5]
        );
    }

    #[test]
    fn concatenate_on_negative_axis_and_flattened() {
        let a = from_vec(&[2, 1], vec![1i64, 2]).unwrap();
        let b = from_vec(&[2, 2], vec![3i64, 4, 5, 6]).unwrap();
        let Value::Array(Array::I64(x)) = concatenate(
            &[list(vec![a.clone(), b.clone()])],
            &kw(json!({"axis": -1})),
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(
            x.iter().copied().collect::<Vec<_>>(),
            vec![1, 3, 4, 2, 5, 6]
        );
        let Value::Array(Array::I64(f)) = concatenate(
            &[list(vec![a.clone(), b.clone()])],
            &kw(json!({"axis": null})),
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(f.shape(), &[6]);
        let e = concatenate(&[list(vec![a, b])], &kw(json!({"axis": 0}))).unwrap_err();
        assert!(e.0.contains("array 1 has shape [2, 2]"), "{e}");
    }

    #[test]
    fn stack_new_axis_positions() {
        let a = from_vec(&[2], vec![true, false]).unwrap();
        let b = from_vec(&[2], vec![false, false]).unwrap();
        let Value::Array(s0) = stack(&[list(vec![a.clone(), b.clone()])], &kw(json!({}))).unwrap()
        else {
            panic!()
        };
        assert_eq!(s0.shape(), &[2, 2]);
        let Value::Array(Array::Bool(s1)) = stack(
            &[list(vec![a.clone(), b.clone()])],
            &kw(json!({"axis": -1})),
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(
            s1.iter().copied().collect::<Vec<_>>(),
            vec![true, false, false, false]
        );
        assert!(
            stack(
                &[list(vec![a, from_vec(&[1], vec![true]).unwrap()])],
                &kw(json!({}))
            )
            .is_err()
        );
        assert!(stack(&[list(vec![])], &kw(json!({}))).is_err());
    }

    #[test]
    fn zero_d_cannot_be_concatenated() {
        let a = from_vec(&[], vec![1.0f64]).unwrap();
        assert!(concatenate(&[list(vec![a])], &kw(json!({}))).is_err());
    }
}
