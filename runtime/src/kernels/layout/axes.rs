//! Axis layout kernels: `transpose`, `squeeze`, `expand_dims`, `broadcast_to`.

use ndarray::{Axis, IxDyn};

use crate::kernels::KernelError;
use crate::kernels::reduce::args::{self, Kwargs, err};
use crate::value::{Array, Value};

/// Permutes the axes of `a` (a view); `axes` must be a permutation of `0..ndim`
/// (negative entries count from the end).
pub(crate) fn transpose_array(
    op: &str,
    a: &Array,
    axes: Option<&[i64]>,
) -> Result<Array, KernelError> {
    let ndim = a.ndim();
    let perm: Vec<usize> = match axes {
        None => (0..ndim).rev().collect(),
        Some(list) => {
            if list.len() != ndim {
                return Err(err(
                    op,
                    format!("axes {list:?} don't match an array of dimension {ndim}"),
                ));
            }
            let mut seen = vec![false; ndim];
            let mut perm = Vec::with_capacity(ndim);
            for &ax in list {
                let p = args::normalize_axis(op, ax, ndim)?;
                if std::mem::replace(&mut seen[p], true) {
                    return Err(err(op, format!("repeated axis in transpose: {list:?}")));
                }
                perm.push(p);
            }
            perm
        }
    };
    Ok(crate::map_array!(a.clone(), x => x.permuted_axes(IxDyn(&perm))))
}

/// `transpose(x, axes=None)`.
pub(crate) fn transpose(values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "transpose";
    args::arity(op, values, 1)?;
    let x = args::array(op, values, 0)?;
    let axes = args::int_list(op, kwargs, "axes")?;
    transpose_array(op, &x, axes.as_deref()).map(Value::Array)
}

/// `squeeze(x, axis=None)`: removes length-1 axes (all of them, or the named ones).
pub(crate) fn squeeze(values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "squeeze";
    args::arity(op, values, 1)?;
    let x = args::array(op, values, 0)?;
    let axes = match args::axes(op, kwargs, "axis", x.ndim())? {
        Some(axes) => {
            if let Some(&bad) = axes.iter().find(|&&a| x.shape()[a] != 1) {
                return Err(err(
                    op,
                    format!(
                        "cannot select axis {bad} to squeeze out: it has size {} (not 1)",
                        x.shape()[bad]
                    ),
                ));
            }
            axes
        }
        None => (0..x.ndim()).filter(|&a| x.shape()[a] == 1).collect(),
    };
    crate::kernels::reduce::common::drop_axes(op, x, &axes, false).map(Value::Array)
}

/// Inserts length-1 axes at `axes` (normalized against the result's ndim); a view.
pub(crate) fn expand_dims_array(op: &str, a: &Array, axes: &[i64]) -> Result<Array, KernelError> {
    let out_ndim = a.ndim() + axes.len();
    let mut norm = Vec::with_capacity(axes.len());
    for &ax in axes {
        let p = args::normalize_axis(op, ax, out_ndim)?;
        if norm.contains(&p) {
            return Err(err(op, format!("repeated axis {ax} in `axis`")));
        }
        norm.push(p);
    }
    norm.sort_unstable();
    Ok(crate::map_array!(a.clone(), x => {
        let mut x = x;
        for &p in &norm {
            x = x.insert_axis(Axis(p));
        }
        x
    }))
}

/// `expand_dims(x, axis)` with `axis` an integer or a list.
pub(crate) fn expand_dims(values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "expand_dims";
    args::arity(op, values, 1)?;
    let x = args::array(op, values, 0)?;
    let axes = match kwargs.get("axis") {
        Some(serde_json::Value::Array(_)) => {
            args::int_list(op, kwargs, "axis")?.unwrap_or_default()
        }
        _ => vec![args::req_int(op, kwargs, "axis")?],
    };
    expand_dims_array(op, &x, &axes).map(Value::Array)
}

/// Broadcasts `a` to `shape` by NumPy's rules (the result is a copy).
pub(crate) fn broadcast_array(op: &str, a: &Array, shape: &[usize]) -> Result<Array, KernelError> {
    if a.shape() == shape {
        return Ok(a.clone());
    }
    let fail = || {
        err(
            op,
            format!(
                "operands could not be broadcast: shape {:?} to {shape:?}",
                a.shape()
            ),
        )
    };
    Ok(crate::map_array!(a, x => x
        .broadcast(IxDyn(shape))
        .ok_or_else(fail)?
        .to_owned()
        .into_shared()))
}

/// `broadcast_to(x, shape)`.
pub(crate) fn broadcast_to(values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "broadcast_to";
    args::arity(op, values, 1)?;
    let x = args::array(op, values, 0)?;
    let shape = args::req_usize_list(op, kwargs, "shape")?;
    broadcast_array(op, &x, &shape).map(Value::Array)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::layout::cast::from_vec;
    use serde_json::json;

    fn kw(v: serde_json::Value) -> Kwargs {
        v.as_object().cloned().unwrap()
    }

    fn i64s(v: &Value) -> (Vec<usize>, Vec<i64>) {
        let Value::Array(Array::I64(x)) = v else {
            panic!("{v:?}")
        };
        (x.shape().to_vec(), x.iter().copied().collect())
    }

    #[test]
    fn transpose_default_and_explicit() {
        let a = Value::Array(from_vec(&[2, 3], (0..6).collect::<Vec<i64>>()).unwrap());
        assert_eq!(
            i64s(&transpose(std::slice::from_ref(&a), &kw(json!({}))).unwrap()),
            (vec![3, 2], vec![0, 3, 1, 4, 2, 5])
        );
        assert_eq!(
            i64s(&transpose(std::slice::from_ref(&a), &kw(json!({"axes": [0, -1]}))).unwrap()).0,
            vec![2, 3]
        );
        assert!(transpose(std::slice::from_ref(&a), &kw(json!({"axes": [0, 0]}))).is_err());
        assert!(transpose(&[a], &kw(json!({"axes": [0]}))).is_err());
    }

    #[test]
    fn squeeze_all_or_named() {
        let a = Value::Array(from_vec(&[1, 3, 1], vec![1i64, 2, 3]).unwrap());
        assert_eq!(
            i64s(&squeeze(std::slice::from_ref(&a), &kw(json!({}))).unwrap()).0,
            vec![3]
        );
        assert_eq!(
            i64s(&squeeze(std::slice::from_ref(&a), &kw(json!({"axis": -1}))).unwrap()).0,
            vec![1, 3]
        );
        let e = squeeze(&[a], &kw(json!({"axis": 1}))).unwrap_err();
        assert!(e.0.contains("axis 1"), "{e}");
    }

    #[test]
    fn expand_dims_positions() {
        let a = Value::Array(from_vec(&[2, 3], vec![0i64; 6]).unwrap());
        assert_eq!(
            i64s(&expand_dims(std::slice::from_ref(&a), &kw(json!({"axis": -1}))).unwrap()).0,
            vec![2, 3, 1]
        );
        assert_eq!(
            i64s(&expand_dims(std::slice::from_ref(&a), &kw(json!({"axis": [0, 3]}))).unwrap()).0,
            vec![1, 2, 3, 1]
        );
        assert!(expand_dims(&[a], &kw(json!({"axis": 3}))).is_err());
    }

    #[test]
    fn broadcast_to_numpy_rules() {
        let a = Value::Array(from_vec(&[3, 1], vec![1i64, 2, 3]).unwrap());
        assert_eq!(
            i64s(
                &broadcast_to(std::slice::from_ref(&a), &kw(json!({"shape": [2, 3, 2]}))).unwrap()
            ),
            (vec![2, 3, 2], vec![1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3])
        );
        assert!(broadcast_to(&[a], &kw(json!({"shape": [2, 2]}))).is_err());
    }
}
