//! Block-scan helpers: a per-block scan, the carry into the next block, and applying a carry to a scanned block.
//!
//! A scan over blocks along `axis` runs `cumsum-block` on every block, then walks
//! the blocks in order: block i's result is `cumsum-carry(scanned_i, carry_i)` and
//! `carry_{i+1} = cumsum-carry-next(carry_i, scanned_i)` (the first carry is `None`).

use ndarray::{ArcArray, Axis, IxDyn, Zip};
use tessera_ir::DType;

use super::cumulative::{Scan, ScanElement, as_scan_dtype, scan_dtype, scan_kernel};
use crate::kernels::KernelError;
use crate::kernels::layout::cast::{cast, typed};
use crate::kernels::reduce::args::{self, Kwargs, err};
use crate::value::{Array, Value};

fn combine_typed<T: ScanElement>(
    op: &str,
    x: &Array,
    carry: &Array,
    scan: Scan,
) -> Result<Array, KernelError> {
    let mut out = typed::<T>(x).into_owned();
    let c: ArcArray<T, IxDyn> = typed::<T>(carry);
    let c = c.broadcast(out.raw_dim()).ok_or_else(|| {
        err(
            op,
            format!(
                "a carry of shape {:?} does not fit a block of shape {:?}",
                carry.shape(),
                x.shape()
            ),
        )
    })?;
    let step = T::step(scan);
    Zip::from(&mut out)
        .and(&c)
        .for_each(|o, &c| *o = step(c, *o));
    Ok(T::wrap(out.into_shared()))
}

/// `x ⊕ carry` elementwise, the carry (length 1 along the scan axis) broadcast.
fn apply_carry(op: &str, x: &Array, carry: &Array, scan: Scan) -> Result<Array, KernelError> {
    let dtype = scan_dtype(x.dtype().promote(carry.dtype()));
    let x = cast(x, dtype);
    match dtype {
        DType::Float64 => combine_typed::<f64>(op, &x, carry, scan),
        DType::Float32 => combine_typed::<f32>(op, &x, carry, scan),
        _ => combine_typed::<i64>(op, &x, carry, scan),
    }
}

/// The last slice along `axis` of a scanned block (length 1 kept).
fn last_slice(op: &str, x: &Array, axis: usize) -> Result<Array, KernelError> {
    let n = x.shape()[axis];
    if n == 0 {
        return Err(err(
            op,
            format!("block is empty along axis {axis}: it has no last element to carry"),
        ));
    }
    Ok(crate::map_array!(x.clone(), a => {
        let mut a = a;
        a.slice_axis_inplace(Axis(axis), ndarray::Slice::from(n - 1..n));
        a
    }))
}

fn carry_kernel(
    scan: Scan,
    op: &str,
    values: &[Value],
    kwargs: &Kwargs,
) -> Result<Value, KernelError> {
    args::arity(op, values, 2)?;
    let x = args::array(op, values, 0)?;
    match &values[1] {
        Value::None => Ok(Value::Array(as_scan_dtype(&x))),
        _ => {
            let carry = args::array(op, values, 1)?;
            let _ = args::single_axis(op, kwargs, "axis", x.ndim())?;
            apply_carry(op, &x, &carry, scan).map(Value::Array)
        }
    }
}

fn next_kernel(
    scan: Scan,
    op: &str,
    values: &[Value],
    kwargs: &Kwargs,
) -> Result<Value, KernelError> {
    args::arity(op, values, 2)?;
    let scanned = args::array(op, values, 1)?;
    let axis = args::single_axis(op, kwargs, "axis", scanned.ndim())?
        .ok_or_else(|| err(op, "missing attribute `axis`"))?;
    let last = last_slice(op, &scanned, axis)?;
    match &values[0] {
        Value::None => Ok(Value::Array(as_scan_dtype(&last))),
        _ => {
            let carry = args::array(op, values, 0)?;
            if carry.shape() != last.shape() {
                return Err(err(
                    op,
                    format!(
                        "carry of shape {:?} does not match the block's last slice {:?}",
                        carry.shape(),
                        last.shape()
                    ),
                ));
            }
            apply_carry(op, &last, &carry, scan).map(Value::Array)
        }
    }
}

macro_rules! kernels_for {
    ($scan:expr, $block:ident, $carry:ident, $next:ident, $name:literal) => {
        fn $block(v: &[Value], k: &Kwargs) -> Result<Value, KernelError> {
            scan_kernel($scan, concat!($name, "-block"), v, k, true)
        }
        fn $carry(v: &[Value], k: &Kwargs) -> Result<Value, KernelError> {
            carry_kernel($scan, concat!($name, "-carry"), v, k)
        }
        fn $next(v: &[Value], k: &Kwargs) -> Result<Value, KernelError> {
            next_kernel($scan, concat!($name, "-carry-next"), v, k)
        }
    };
}
kernels_for!(
    Scan::Sum,
    cumsum_block,
    cumsum_carry,
    cumsum_carry_next,
    "cumsum"
);
kernels_for!(
    Scan::Prod,
    cumprod_block,
    cumprod_carry,
    cumprod_carry_next,
    "cumprod"
);

/// The kernels of this file.
pub(crate) fn kernels() -> Vec<(&'static str, &'static str, crate::kernels::KernelFn)> {
    vec![
        (
            "cumsum-block",
            "cumsum-block(block, axis) -> running sum within the block",
            cumsum_block,
        ),
        (
            "cumsum-carry",
            "cumsum-carry(scanned, carry | None, axis) -> scanned + carry",
            cumsum_carry,
        ),
        (
            "cumsum-carry-next",
            "cumsum-carry-next(carry | None, scanned, axis) -> carry + last slice",
            cumsum_carry_next,
        ),
        (
            "cumprod-block",
            "cumprod-block(block, axis) -> running product within the block",
            cumprod_block,
        ),
        (
            "cumprod-carry",
            "cumprod-carry(scanned, carry | None, axis) -> scanned * carry",
            cumprod_carry,
        ),
        (
            "cumprod-carry-next",
            "cumprod-carry-next(carry | None, scanned, axis) -> carry * last slice",
            cumprod_carry_next,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::layout::cast::from_vec;
    use crate::kernels::layout::regions::region;
    use crate::kernels::scan::cumulative::{cumprod, cumsum};
    use serde_json::json;

    fn kw(v: serde_json::Value) -> Kwargs {
        v.as_object().cloned().unwrap()
    }

    /// Scans `x` along `axis` block by block (blocks of `step` along the axis).
    fn blocked(
        x: &Array,
        axis: usize,
        step: usize,
        [block, carry, next]: [crate::kernels::KernelFn; 3],
    ) -> Array {
        let k = kw(json!({ "axis": axis }));
        let n = x.shape()[axis];
        let mut c = Value::None;
        let mut pieces = Vec::new();
        let mut s = 0;
        while s < n {
            let e = (s + step).min(n);
            let mut start = vec![0; x.ndim()];
            let mut stop = x.shape().to_vec();
            start[axis] = s;
            stop[axis] = e;
            let b = Value::Array(region("t", x, &start, &stop).unwrap());
            let scanned = block(&[b], &k).unwrap();
            let Value::Array(out) = carry(&[scanned.clone(), c.clone()], &k).unwrap() else {
                panic!()
            };
            pieces.push(out);
            c = next(&[c, scanned], &k).unwrap();
            s = e;
        }
        crate::kernels::layout::concat::concatenate_arrays("t", &pieces, axis as i64).unwrap()
    }

    #[test]
    fn blocked_scans_equal_whole_scans() {
        let x = from_vec(&[5, 3], (0..15).map(|v| (v % 4) as f64 - 1.5).collect()).unwrap();
        for axis in 0..2 {
            for step in 1..4 {
                let k = kw(json!({ "axis": axis }));
                let Value::Array(want) = cumsum(&[Value::Array(x.clone())], &k).unwrap() else {
                    panic!()
                };
                assert_eq!(
                    blocked(
                        &x,
                        axis,
                        step,
                        [cumsum_block, cumsum_carry, cumsum_carry_next]
                    ),
                    want
                );
                let Value::Array(want) = cumprod(&[Value::Array(x.clone())], &k).unwrap() else {
                    panic!()
                };
                assert_eq!(
                    blocked(
                        &x,
                        axis,
                        step,
                        [cumprod_block, cumprod_carry, cumprod_carry_next]
                    ),
                    want
                );
            }
        }
    }

    #[test]
    fn int32_blocks_scan_in_int64() {
        let x = from_vec(&[4], vec![i32::MAX, i32::MAX, 1, 2]).unwrap();
        let got = blocked(&x, 0, 2, [cumsum_block, cumsum_carry, cumsum_carry_next]);
        let Array::I64(a) = got else {
            panic!("{got:?}")
        };
        assert_eq!(a[[3]], 2 * i32::MAX as i64 + 3);
    }

    #[test]
    fn bad_carries_are_errors() {
        let x = Value::Array(from_vec(&[2, 2], vec![1.0; 4]).unwrap());
        let bad = Value::Array(from_vec(&[3], vec![1.0; 3]).unwrap());
        assert!(cumsum_carry(&[x.clone(), bad.clone()], &kw(json!({"axis": 0}))).is_err());
        assert!(cumsum_carry_next(&[bad, x.clone()], &kw(json!({"axis": 0}))).is_err());
        assert!(cumsum_block(&[x], &kw(json!({}))).is_err());
        let e = Value::Array(from_vec::<f64>(&[0, 2], vec![]).unwrap());
        assert!(cumsum_carry_next(&[Value::None, e], &kw(json!({"axis": 0}))).is_err());
    }
}
