//! `cumsum` and `cumprod` along one axis (or over the flattened array), with NumPy 2 result dtypes.

use ndarray::Axis;
use tessera_ir::DType;

use crate::kernels::KernelError;
use crate::kernels::layout::cast::{Element, cast, typed};
use crate::kernels::layout::reshape::reshape_array;
use crate::kernels::reduce::args::{self, Kwargs};
use crate::value::{Array, Value};

/// Sum or product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scan {
    /// Running sum.
    Sum,
    /// Running product.
    Prod,
}

/// NumPy 2's dtype of a running sum/product: bool and int32 widen to int64.
pub(crate) fn scan_dtype(input: DType) -> DType {
    match input {
        DType::Bool | DType::Int32 | DType::Int64 => DType::Int64,
        d => d,
    }
}

/// The binary step of a scan for one element type (integers wrap, as NumPy).
pub(crate) trait ScanElement: Element {
    /// `a + b`.
    fn add(a: Self, b: Self) -> Self;
    /// `a * b`.
    fn mul(a: Self, b: Self) -> Self;
    /// The step of `scan`.
    fn step(scan: Scan) -> fn(Self, Self) -> Self {
        match scan {
            Scan::Sum => Self::add,
            Scan::Prod => Self::mul,
        }
    }
}

impl ScanElement for f64 {
    fn add(a: f64, b: f64) -> f64 {
        a + b
    }
    fn mul(a: f64, b: f64) -> f64 {
        a * b
    }
}

impl ScanElement for f32 {
    fn add(a: f32, b: f32) -> f32 {
        a + b
    }
    fn mul(a: f32, b: f32) -> f32 {
        a * b
    }
}

impl ScanElement for i64 {
    fn add(a: i64, b: i64) -> i64 {
        a.wrapping_add(b)
    }
    fn mul(a: i64, b: i64) -> i64 {
        a.wrapping_mul(b)
    }
}

fn scan_typed<T: ScanElement>(a: &Array, axis: usize, scan: Scan) -> Array {
    let mut out = typed::<T>(a).into_owned();
    let step = T::step(scan);
    if !out.is_empty() {
        out.accumulate_axis_inplace(Axis(axis), |&prev, cur| *cur = step(prev, *cur));
    }
    T::wrap(out.into_shared())
}

/// Runs `scan` along `axis` of `a` (already validated), in the scan dtype.
pub(crate) fn scan_array(a: &Array, axis: usize, scan: Scan) -> Array {
    match scan_dtype(a.dtype()) {
        DType::Float64 => scan_typed::<f64>(a, axis, scan),
        DType::Float32 => scan_typed::<f32>(a, axis, scan),
        _ => scan_typed::<i64>(a, axis, scan),
    }
}

/// `cumsum` / `cumprod` of `[x]` with `axis` (null: the flattened array).
pub(crate) fn scan_kernel(
    scan: Scan,
    op: &str,
    values: &[Value],
    kwargs: &Kwargs,
    axis_required: bool,
) -> Result<Value, KernelError> {
    args::arity(op, values, 1)?;
    let x = args::array(op, values, 0)?;
    match args::int(op, kwargs, "axis")? {
        Some(axis) => {
            if x.ndim() == 0 {
                return Err(args::err(op, "axis given for a 0-d array"));
            }
            let axis = args::normalize_axis(op, axis, x.ndim())?;
            Ok(Value::Array(scan_array(&x, axis, scan)))
        }
        None if axis_required => Err(args::err(op, "missing attribute `axis`")),
        None => {
            let flat = reshape_array(op, &x, &[x.len()])?;
            Ok(Value::Array(scan_array(&flat, 0, scan)))
        }
    }
}

/// `cumsum(x, axis=None)`.
pub(crate) fn cumsum(values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    scan_kernel(Scan::Sum, "cumsum", values, kwargs, false)
}

/// `cumprod(x, axis=None)`.
pub(crate) fn cumprod(values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    scan_kernel(Scan::Prod, "cumprod", values, kwargs, false)
}

/// The typed array of a scan result dtype (for carries).
pub(crate) fn as_scan_dtype(a: &Array) -> Array {
    cast(a, scan_dtype(a.dtype()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::layout::cast::from_vec;
    use serde_json::json;

    fn kw(v: serde_json::Value) -> Kwargs {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn cumsum_axes_and_flattened() {
        let x = Value::Array(from_vec(&[2, 3], vec![1i32, 2, 3, 4, 5, 6]).unwrap());
        let Value::Array(Array::I64(a)) =
            cumsum(std::slice::from_ref(&x), &kw(json!({"axis": 1}))).unwrap()
        else {
            panic!()
        };
        assert_eq!(
            a.iter().copied().collect::<Vec<_>>(),
            vec![1, 3, 6, 4, 9, 15]
        );
        let Value::Array(Array::I64(b)) =
            cumsum(std::slice::from_ref(&x), &kw(json!({"axis": -2}))).unwrap()
        else {
            panic!()
        };
        assert_eq!(
            b.iter().copied().collect::<Vec<_>>(),
            vec![1, 2, 3, 5, 7, 9]
        );
        let Value::Array(Array::I64(c)) = cumsum(std::slice::from_ref(&x), &kw(json!({}))).unwrap()
        else {
            panic!()
        };
        assert_eq!(c.shape(), &[6]);
        assert_eq!(
            c.iter().copied().collect::<Vec<_>>(),
            vec![1, 3, 6, 10, 15, 21]
        );
        assert!(cumsum(&[x], &kw(json!({"axis": 2}))).is_err());
    }

    #[test]
    fn cumprod_dtypes_nan_and_empty() {
        let f = Value::Array(from_vec(&[3], vec![2f32, f32::NAN, 3.0]).unwrap());
        let Value::Array(Array::F32(p)) = cumprod(&[f], &kw(json!({}))).unwrap() else {
            panic!()
        };
        assert_eq!(p[[0]], 2.0);
        assert!(p[[1]].is_nan() && p[[2]].is_nan());
        let b = Value::Array(from_vec(&[3], vec![true, true, false]).unwrap());
        let Value::Array(Array::I64(s)) = cumsum(&[b], &kw(json!({}))).unwrap() else {
            panic!()
        };
        assert_eq!(s.iter().copied().collect::<Vec<_>>(), vec![1, 2, 2]);
        let e = Value::Array(from_vec::<f64>(&[0, 2], vec![]).unwrap());
        let Value::Array(out) = cumsum(&[e], &kw(json!({"axis": 0}))).unwrap() else {
            panic!()
        };
        assert_eq!(out.shape(), &[0, 2]);
        let z = Value::Array(from_vec(&[], vec![5i64]).unwrap());
        let Value::Array(out) = cumsum(&[z], &kw(json!({}))).unwrap() else {
            panic!()
        };
        assert_eq!(out.shape(), &[1]);
    }
}
