//! `argmin argmax` (first occurrence; a NaN is the extreme, as NumPy) and their tree reduction over (value, global index) partials.

use ndarray::{ArcArray, IxDyn};
use serde_json::Map;

use super::args::{self, Kwargs, err};
use super::common::{build, drop_axes};
use super::lanes::{map_lanes, reduced_shape};
use crate::kernels::KernelError;
use crate::kernels::layout::cast::Element;
use crate::value::{Array, Value};

/// True when candidate (v, i) beats the current best (b, j): NaN first, then the
/// smaller (argmin) or larger (argmax) value, ties to the smaller index.
fn better<T: Element>(v: T, i: i64, b: T, j: i64, want_min: bool) -> bool {
    match (v.is_nan(), b.is_nan()) {
        (true, true) => i < j,
        (true, false) => true,
        (false, true) => false,
        (false, false) => {
            if want_min {
                v < b || (v == b && i < j)
            } else {
                v > b || (v == b && i < j)
            }
        }
    }
}

/// The position and value of the extreme of a lane (first occurrence).
fn arg_lane<T: Element>(lane: &[T], want_min: bool) -> Option<(usize, T)> {
    let (&first, rest) = lane.split_first()?;
    let mut best = (0usize, first);
    if first.is_nan() {
        return Some(best);
    }
    for (k, &v) in rest.iter().enumerate() {
        if v.is_nan() {
            return Some((k + 1, v));
        }
        if (want_min && v < best.1) || (!want_min && v > best.1) {
            best = (k + 1, v);
        }
    }
    Some(best)
}

fn name(want_min: bool) -> &'static str {
    if want_min { "argmin" } else { "argmax" }
}

/// The reduced axes of an arg reduction: `axis` an integer, or null for all axes.
fn arg_axes(
    op: &str,
    kwargs: &Kwargs,
    ndim: usize,
) -> Result<(Option<usize>, Vec<usize>), KernelError> {
    let axis = args::single_axis(op, kwargs, "axis", ndim)?;
    Ok((axis, axis.map_or_else(|| (0..ndim).collect(), |a| vec![a])))
}

fn lanes_of<T: Element>(
    op: &str,
    x: &ArcArray<T, IxDyn>,
    axes: &[usize],
    want_min: bool,
) -> Result<Vec<(usize, T)>, KernelError> {
    map_lanes(x, axes, |l| arg_lane(l, want_min))
        .into_iter()
        .map(|r| r.ok_or_else(|| err(op, "attempt to get the extreme of an empty sequence")))
        .collect()
}

fn whole(want_min: bool, values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = name(want_min);
    args::arity(op, values, 1)?;
    let x = args::array(op, values, 0)?;
    let (_, axes) = arg_axes(op, kwargs, x.ndim())?;
    let keepdims = args::boolean(op, kwargs, "keepdims", false)?;
    let idx: Vec<i64> = crate::with_array!(&x, a => lanes_of(op, a, &axes, want_min)?
        .into_iter()
        .map(|(i, _)| i as i64)
        .collect());
    build(op, &reduced_shape(x.shape(), &axes, keepdims), idx).map(Value::Array)
}

/// Global index of a lane-local position: along `axis` (offset added), or the flat
/// C-order index in the whole array of shape `full` when reducing all axes.
struct Globalizer {
    axis: Option<usize>,
    offset: Vec<usize>,
    block: Vec<usize>,
    full: Vec<usize>,
}

impl Globalizer {
    fn global(&self, lane_index: usize, local: usize) -> i64 {
        match self.axis {
            Some(a) => (self.offset[a] + local) as i64,
            None => {
                let _ = lane_index;
                let mut rem = local;
                let mut coords = vec![0usize; self.block.len()];
                for d in (0..self.block.len()).rev() {
                    coords[d] = rem % self.block[d].max(1);
                    rem /= self.block[d].max(1);
                }
                let parts = self.full.iter().zip(&self.offset).zip(&coords);
                parts.fold(0usize, |flat, ((&n, &o), &c)| flat * n + o + c) as i64
            }
        }
    }
}

fn partial(
    want_min: bool,
    op: &str,
    values: &[Value],
    kwargs: &Kwargs,
) -> Result<Value, KernelError> {
    args::arity(op, values, 1)?;
    let x = args::array(op, values, 0)?;
    let ndim = x.ndim();
    let (axis, axes) = arg_axes(op, kwargs, ndim)?;
    let offset = args::usize_list(op, kwargs, "offset")?.unwrap_or_else(|| vec![0; ndim]);
    let full = match args::usize_list(op, kwargs, "shape")? {
        Some(s) => s,
        None if offset.iter().all(|&o| o == 0) => x.shape().to_vec(),
        None => {
            return Err(err(
                op,
                "`shape` (of the whole array) is needed with a non-zero `offset`",
            ));
        }
    };
    if offset.len() != ndim || full.len() != ndim {
        return Err(err(op, format!("`offset` and `shape` need {ndim} entries")));
    }
    if (0..ndim).any(|d| offset[d] + x.shape()[d] > full[d]) {
        return Err(err(
            op,
            format!(
                "a block of shape {:?} at {offset:?} does not fit in {full:?}",
                x.shape()
            ),
        ));
    }
    let g = Globalizer {
        axis,
        offset,
        block: x.shape().to_vec(),
        full,
    };
    let shape = reduced_shape(x.shape(), &axes, true);
    let (vals, idx) = crate::with_array!(&x, a => {
        let found = lanes_of(op, a, &axes, want_min)?;
        let idx: Vec<i64> = found.iter().enumerate().map(|(l, &(i, _))| g.global(l, i)).collect();
        let vals = build(op, &shape, found.into_iter().map(|(_, v)| v).collect())?;
        (vals, idx)
    });
    Ok(Value::Tuple(
        vec![Value::Array(vals), Value::Array(build(op, &shape, idx)?)].into(),
    ))
}

fn read_partial(op: &str, v: &Value) -> Result<(Array, ArcArray<i64, IxDyn>), KernelError> {
    match v {
        Value::Tuple(p) | Value::List(p) if p.len() == 2 => match (&p[0], &p[1]) {
            (Value::Array(vals), Value::Array(Array::I64(idx))) if vals.shape() == idx.shape() => {
                Ok((vals.clone(), idx.clone()))
            }
            _ => Err(err(
                op,
                "a partial must be (values, int64 indices) of one shape",
            )),
        },
        other => Err(err(
            op,
            format!(
                "expected a (values, indices) partial, got a {}",
                other.type_name()
            ),
        )),
    }
}

fn combine_typed<T: Element>(
    op: &str,
    parts: &[(Array, ArcArray<i64, IxDyn>)],
    want_min: bool,
) -> Result<Value, KernelError> {
    let (first_vals, first_idx) = &parts[0];
    let shape = first_idx.shape().to_vec();
    let mut best: Vec<(T, i64)> = T::unwrap(first_vals)
        .ok_or_else(|| err(op, "internal: dtype mismatch"))?
        .iter()
        .copied()
        .zip(first_idx.iter().copied())
        .collect();
    for (k, (vals, idx)) in parts.iter().enumerate().skip(1) {
        let vals = T::unwrap(vals).ok_or_else(|| {
            err(
                op,
                format!(
                    "partial {k} has dtype {}, partial 0 has {}",
                    vals.dtype(),
                    T::DTYPE
                ),
            )
        })?;
        if idx.shape() != shape.as_slice() {
            return Err(err(
                op,
                format!(
                    "partial {k} has shape {:?}, partial 0 has {shape:?}",
                    idx.shape()
                ),
            ));
        }
        for ((b, &v), &i) in best.iter_mut().zip(vals.iter()).zip(idx.iter()) {
            if better(v, i, b.0, b.1, want_min) {
                *b = (v, i);
            }
        }
    }
    let vals = build(op, &shape, best.iter().map(|b| b.0).collect())?;
    let idx = build(op, &shape, best.iter().map(|b| b.1).collect())?;
    Ok(Value::Tuple(
        vec![Value::Array(vals), Value::Array(idx)].into(),
    ))
}

fn combine(want_min: bool, op: &str, values: &[Value]) -> Result<Value, KernelError> {
    args::arity(op, values, 1)?;
    let parts = match &values[0] {
        Value::List(items) => items
            .iter()
            .map(|v| read_partial(op, v))
            .collect::<Result<Vec<_>, _>>()?,
        other => {
            return Err(err(
                op,
                format!("expected a list of partials, got a {}", other.type_name()),
            ));
        }
    };
    let first = parts
        .first()
        .ok_or_else(|| err(op, "no partials to combine"))?;
    crate::with_array!(&first.0, a => {
        fn tag<T: Element>(_: &ArcArray<T, IxDyn>, op: &str, parts: &[(Array, ArcArray<i64, IxDyn>)], want_min: bool) -> Result<Value, KernelError> {
            combine_typed::<T>(op, parts, want_min)
        }
        tag(a, op, &parts, want_min)
    })
}

fn finalize(op: &str, values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    args::arity(op, values, 1)?;
    let (_, idx) = read_partial(op, &values[0])?;
    let ndim = idx.ndim();
    let (_, axes) = arg_axes(op, kwargs, ndim)?;
    let keepdims = args::boolean(op, kwargs, "keepdims", false)?;
    drop_axes(op, Array::I64(idx), &axes, keepdims).map(Value::Array)
}

macro_rules! family {
    ($min:expr, $whole:ident, $partial:ident, $combine:ident, $finalize:ident, $name:literal) => {
        fn $whole(v: &[Value], k: &Map<String, serde_json::Value>) -> Result<Value, KernelError> {
            whole($min, v, k)
        }
        fn $partial(v: &[Value], k: &Map<String, serde_json::Value>) -> Result<Value, KernelError> {
            partial($min, concat!($name, "-partial"), v, k)
        }
        fn $combine(
            v: &[Value],
            _k: &Map<String, serde_json::Value>,
        ) -> Result<Value, KernelError> {
            combine($min, concat!($name, "-combine"), v)
        }
        fn $finalize(
            v: &[Value],
            k: &Map<String, serde_json::Value>,
        ) -> Result<Value, KernelError> {
            finalize(concat!($name, "-finalize"), v, k)
        }
    };
}
family!(
    true,
    argmin,
    argmin_partial,
    argmin_combine,
    argmin_finalize,
    "argmin"
);
family!(
    false,
    argmax,
    argmax_partial,
    argmax_combine,
    argmax_finalize,
    "argmax"
);

/// The kernels of this file.
pub(crate) fn kernels() -> Vec<(&'static str, &'static str, crate::kernels::KernelFn)> {
    vec![
        ("argmin", "argmin(x, axis=None, keepdims=False)", argmin),
        ("argmax", "argmax(x, axis=None, keepdims=False)", argmax),
        (
            "argmin-partial",
            "argmin-partial(block, axis=None, offset=[0..], shape=block shape) -> (values, global indices)",
            argmin_partial,
        ),
        (
            "argmax-partial",
            "argmax-partial(block, axis=None, offset=[0..], shape=block shape) -> (values, global indices)",
            argmax_partial,
        ),
        (
            "argmin-combine",
            "argmin-combine([(values, indices), ...]) -> partial",
            argmin_combine,
        ),
        (
            "argmax-combine",
            "argmax-combine([(values, indices), ...]) -> partial",
            argmax_combine,
        ),
        (
            "argmin-finalize",
            "argmin-finalize(partial, axis=None, keepdims=False) -> int64 indices",
            argmin_finalize,
        ),
        (
            "argmax-finalize",
            "argmax-finalize(partial, axis=None, keepdims=False) -> int64 indices",
            argmax_finalize,
        ),
    ]
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
    fn first_occurrence_and_axes() {
        let x = Value::Array(from_vec(&[2, 3], vec![3i32, 1, 1, 0, 7, 7]).unwrap());
        assert_eq!(
            i64s(&argmin(std::slice::from_ref(&x), &kw(json!({}))).unwrap()),
            (vec![], vec![3])
        );
        assert_eq!(
            i64s(&argmax(std::slice::from_ref(&x), &kw(json!({}))).unwrap()),
            (vec![], vec![4])
        );
        assert_eq!(
            i64s(&argmin(std::slice::from_ref(&x), &kw(json!({"axis": 1}))).unwrap()).1,
            vec![1, 0]
        );
        assert_eq!(
            i64s(&argmax(std::slice::from_ref(&x), &kw(json!({"axis": -2}))).unwrap()).1,
            vec![0, 1, 1]
        );
        assert_eq!(
            i64s(
                &argmax(
                    std::slice::from_ref(&x),
                    &kw(json!({"axis": 1, "keepdims": true}))
                )
                .unwrap()
            )
            .0,
            vec![2, 1]
        );
        assert!(argmin(&[x], &kw(json!({"axis": [0, 1]}))).is_err());
    }

    #[test]
    fn nan_is_the_extreme_for_both() {
        let x = Value::Array(from_vec(&[5], vec![1.0, f64::NAN, -5.0, f64::NAN, 9.0]).unwrap());
        assert_eq!(
            i64s(&argmin(std::slice::from_ref(&x), &kw(json!({}))).unwrap()).1,
            vec![1]
        );
        assert_eq!(i64s(&argmax(&[x], &kw(json!({}))).unwrap()).1, vec![1]);
        let bools = Value::Array(from_vec(&[3], vec![false, true, true]).unwrap());
        assert_eq!(i64s(&argmax(&[bools], &kw(json!({}))).unwrap()).1, vec![1]);
    }

    #[test]
    fn empty_is_an_error() {
        let e = Value::Array(from_vec::<f64>(&[0], vec![]).unwrap());
        assert!(
            argmin(&[e], &kw(json!({})))
                .unwrap_err()
                .0
                .contains("empty sequence")
        );
    }

    #[test]
    fn tree_reduction_over_a_grid_of_blocks() {
        // 4x4 array split into 2x2 blocks; NaN in block (1, 0) and ties across blocks.
        let mut data: Vec<f64> = vec![
            5.0, 1.0, 7.0, 1.0, 2.0, 9.0, 9.0, 0.0, 3.0, 4.0, 0.0, 9.0, 6.0, 0.0, 8.0, 2.0,
        ];
        let full = Value::Array(from_vec(&[4, 4], data.clone()).unwrap());
        let block = |data: &[f64], r: usize, c: usize| {
            let v: Vec<f64> = (0..2)
                .flat_map(|i| (0..2).map(move |j| (i, j)))
                .map(|(i, j)| data[(r + i) * 4 + c + j])
                .collect();
            Value::Array(from_vec(&[2, 2], v).unwrap())
        };
        for pass in 0..2 {
            if pass == 1 {
                data[9] = f64::NAN;
            }
            let full = if pass == 1 {
                Value::Array(from_vec(&[4, 4], data.clone()).unwrap())
            } else {
                full.clone()
            };
            for axis in [json!(null), json!(0), json!(1)] {
                for (w, p, c, f) in [
                    (
                        argmin as crate::kernels::KernelFn,
                        argmin_partial as crate::kernels::KernelFn,
                        argmin_combine as crate::kernels::KernelFn,
                        argmin_finalize as crate::kernels::KernelFn,
                    ),
                    (argmax, argmax_partial, argmax_combine, argmax_finalize),
                ] {
                    let k = kw(json!({ "axis": axis }));
                    let want = w(std::slice::from_ref(&full), &k).unwrap();
                    // Partials of the blocks that share an output region, combined in reverse order.
                    let groups: Vec<Vec<(usize, usize)>> = match axis.as_i64() {
                        None => vec![vec![(0, 0), (0, 2), (2, 0), (2, 2)]],
                        Some(0) => vec![vec![(0, 0), (2, 0)], vec![(0, 2), (2, 2)]],
                        _ => vec![vec![(0, 0), (0, 2)], vec![(2, 0), (2, 2)]],
                    };
                    let mut outs = Vec::new();
                    for g in groups {
                        let parts: Vec<Value> = g
                            .iter()
                            .rev()
                            .map(|&(r, c0)| {
                                let k =
                                    kw(json!({ "axis": axis, "offset": [r, c0], "shape": [4, 4] }));
                                p(&[block(&data, r, c0)], &k).unwrap()
                            })
                            .collect();
                        let combined = c(&[Value::List(parts.into())], &k).unwrap();
                        outs.extend(i64s(&f(&[combined], &k).unwrap()).1);
                    }
                    assert_eq!(outs, i64s(&want).1, "axis {axis} pass {pass}");
                }
            }
        }
    }

    #[test]
    fn partial_checks_offsets() {
        let x = Value::Array(from_vec(&[2], vec![1.0, 2.0]).unwrap());
        assert!(argmin_partial(std::slice::from_ref(&x), &kw(json!({"offset": [3]}))).is_err());
        assert!(argmin_partial(&[x], &kw(json!({"offset": [3], "shape": [4]}))).is_err());
    }
}
