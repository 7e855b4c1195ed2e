//! What every reduction kernel shares: reading `x, axis, keepdims`, building the result, dropping reduced axes.

use ndarray::Axis;

use super::args::{self, Kwargs, err};
use crate::kernels::KernelError;
use crate::kernels::layout::cast::{Element, from_vec};
use crate::value::{Array, Value};

/// The array argument and reduced axes of a reduction call (`axis` null: all axes).
pub(crate) struct Reduction {
    /// The input array.
    pub(crate) x: Array,
    /// Sorted, distinct reduced axes.
    pub(crate) axes: Vec<usize>,
    /// Whether reduced axes stay as length 1.
    pub(crate) keepdims: bool,
}

impl Reduction {
    /// Reads `[x]`, `axis` and `keepdims`.
    pub(crate) fn parse(
        op: &str,
        values: &[Value],
        kwargs: &Kwargs,
    ) -> Result<Reduction, KernelError> {
        args::arity(op, values, 1)?;
        let x = args::array(op, values, 0)?;
        let axes =
            args::axes(op, kwargs, "axis", x.ndim())?.unwrap_or_else(|| (0..x.ndim()).collect());
        let keepdims = args::boolean(op, kwargs, "keepdims", false)?;
        Ok(Reduction { x, axes, keepdims })
    }
}

/// An array of `shape` from per-lane results.
pub(crate) fn build<T: Element>(
    op: &str,
    shape: &[usize],
    data: Vec<T>,
) -> Result<Array, KernelError> {
    let n = data.len();
    from_vec(shape, data).ok_or_else(|| {
        err(
            op,
            format!("internal: {n} results for an output of shape {shape:?}"),
        )
    })
}

/// Removes the (length-1) `axes` of `a` unless `keepdims`; a view, never a copy.
pub(crate) fn drop_axes(
    op: &str,
    a: Array,
    axes: &[usize],
    keepdims: bool,
) -> Result<Array, KernelError> {
    if keepdims {
        return Ok(a);
    }
    for &ax in axes {
        if a.shape().get(ax) != Some(&1) {
            return Err(err(
                op,
                format!(
                    "axis {ax} of a partial of shape {:?} is not of length 1",
                    a.shape()
                ),
            ));
        }
    }
    let mut sorted = axes.to_vec();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    sorted.dedup();
    Ok(crate::map_array!(a, x => {
        let mut x = x;
        for &ax in &sorted {
            x = x.index_axis_move(Axis(ax), 0);
        }
        x
    }))
}

/// The partials of a combine kernel: one list argument of arrays with one shape.
pub(crate) fn partial_arrays(op: &str, values: &[Value]) -> Result<Vec<Array>, KernelError> {
    args::arity(op, values, 1)?;
    let parts = args::array_list(op, values, 0)?;
    let first = parts
        .first()
        .ok_or_else(|| err(op, "no partials to combine"))?;
    for (i, p) in parts.iter().enumerate() {
        if p.shape() != first.shape() {
            return Err(err(
                op,
                format!(
                    "partial {i} has shape {:?}, partial 0 has shape {:?}",
                    p.shape(),
                    first.shape()
                ),
            ));
        }
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parse_defaults_to_all_axes() {
        let x = from_vec(&[2, 3], vec![0i64; 6]).unwrap();
        let r =
            Reduction::parse("sum", &[Value::Array(x)], json!({}).as_object().unwrap()).unwrap();
        assert_eq!(r.axes, vec![0, 1]);
        assert!(!r.keepdims);
    }

    #[test]
    fn drop_axes_refuses_long_axes() {
        let x = from_vec(&[2, 1], vec![0i64; 2]).unwrap();
        assert_eq!(
            drop_axes("f", x.clone(), &[1], false).unwrap().shape(),
            &[2]
        );
        assert!(drop_axes("f", x, &[0], false).is_err());
    }
}
