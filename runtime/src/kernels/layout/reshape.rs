//! `reshape` in C order (one entry may be -1): a view of the same buffer when the input is C-contiguous.

use ndarray::IxDyn;

use crate::kernels::KernelError;
use crate::kernels::reduce::args::{self, Kwargs, err};
use crate::value::{Array, Value};

/// Resolves a requested shape (one entry may be -1) against `len` elements.
pub(crate) fn resolve_shape(
    op: &str,
    len: usize,
    shape: &[i64],
) -> Result<Vec<usize>, KernelError> {
    let mut unknown = None;
    let mut known: usize = 1;
    for (i, &d) in shape.iter().enumerate() {
        match d {
            -1 if unknown.is_none() => unknown = Some(i),
            -1 => return Err(err(op, "can only specify one unknown dimension")),
            d if d < 0 => {
                return Err(err(
                    op,
                    format!("negative dimension {d} in shape {shape:?}"),
                ));
            }
            d => known = known.saturating_mul(d as usize),
        }
    }
    let mut out: Vec<usize> = shape.iter().map(|&d| d.max(0) as usize).collect();
    if let Some(i) = unknown {
        if known == 0 || !len.is_multiple_of(known) {
            return Err(err(
                op,
                format!("cannot reshape array of size {len} into shape {shape:?}"),
            ));
        }
        out[i] = len / known;
    } else if known != len {
        return Err(err(
            op,
            format!("cannot reshape array of size {len} into shape {shape:?}"),
        ));
    }
    Ok(out)
}

/// Reshapes `a` (C order) to `shape`, which must hold as many elements; a view
/// when `a` is C-contiguous, a copy otherwise.
pub(crate) fn reshape_array(op: &str, a: &Array, shape: &[usize]) -> Result<Array, KernelError> {
    if shape.iter().product::<usize>() != a.len() {
        return Err(err(
            op,
            format!(
                "cannot reshape array of shape {:?} into shape {shape:?}",
                a.shape()
            ),
        ));
    }
    let out = crate::map_array!(a.clone(), x => {
        let x = if x.is_standard_layout() {
            x
        } else {
            x.as_standard_layout().into_owned().into_shared()
        };
        x.into_shape_with_order(IxDyn(shape))
            .map_err(|e| err(op, format!("cannot reshape: {e}")))?
    });
    Ok(out)
}

/// `reshape(x, shape)`.
pub(crate) fn reshape(values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "reshape";
    args::arity(op, values, 1)?;
    let x = args::array(op, values, 0)?;
    let requested = match kwargs.get("shape") {
        Some(serde_json::Value::Number(n)) => {
            vec![n.as_i64().ok_or_else(|| err(op, "bad `shape`"))?]
        }
        _ => args::int_list(op, kwargs, "shape")?
            .ok_or_else(|| err(op, "missing attribute `shape`"))?,
    };
    let shape = resolve_shape(op, x.len(), &requested)?;
    reshape_array(op, &x, &shape).map(Value::Array)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::layout::cast::from_vec;
    use serde_json::json;

    #[test]
    fn minus_one_is_inferred() {
        assert_eq!(resolve_shape("reshape", 12, &[3, -1]).unwrap(), vec![3, 4]);
        assert!(resolve_shape("reshape", 12, &[5, -1]).is_err());
        assert!(resolve_shape("reshape", 12, &[-1, -1]).is_err());
        assert!(resolve_shape("reshape", 12, &[2, 5]).is_err());
        assert_eq!(resolve_shape("reshape", 0, &[0, 3]).unwrap(), vec![0, 3]);
    }

    #[test]
    fn contiguous_reshape_is_a_view_and_transposed_is_c_order() {
        let a = from_vec(&[2, 3], (0..6).collect::<Vec<i64>>()).unwrap();
        let r = reshape(
            &[Value::Array(a.clone())],
            json!({"shape": [3, 2]}).as_object().unwrap(),
        )
        .unwrap();
        let (Array::I64(src), Value::Array(Array::I64(out))) = (&a, &r) else {
            panic!()
        };
        assert_eq!(src.as_ptr(), out.as_ptr());
        let t = Array::I64(src.clone().reversed_axes());
        let Array::I64(flat) = reshape_array("reshape", &t, &[6]).unwrap() else {
            panic!()
        };
        assert_eq!(
            flat.iter().copied().collect::<Vec<_>>(),
            vec![0, 3, 1, 4, 2, 5]
        );
    }
}
