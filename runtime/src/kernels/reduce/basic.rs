//! `sum prod min max any all` on whole arrays, and their partial/combine/finalize kernels for tree reductions.

use serde_json::Map;

use super::args::{self, Kwargs, err};
use super::common::{Reduction, build, drop_axes, partial_arrays};
use super::lanes::{map_lanes, reduced_shape};
use super::pairwise::pairwise_sum;
use crate::kernels::KernelError;
use crate::kernels::layout::cast::Element;
use crate::kernels::layout::concat::stack_arrays;
use crate::value::{Array, Value};

/// The reductions whose partials are reductions of the same kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `sum` (pairwise for floats; bool/int32 → int64, wrapping).
    Sum,
    /// `prod` (sequential; bool/int32 → int64, wrapping).
    Prod,
    /// `min` (NaN propagates; error on an empty lane).
    Min,
    /// `max` (NaN propagates; error on an empty lane).
    Max,
    /// `any` → bool.
    Any,
    /// `all` → bool.
    All,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Sum => "sum",
            Kind::Prod => "prod",
            Kind::Min => "min",
            Kind::Max => "max",
            Kind::Any => "any",
            Kind::All => "all",
        }
    }
}

fn wide_int_sum<T: Element>(lane: &[T]) -> i64 {
    lane.iter().fold(0i64, |s, &v| s.wrapping_add(v.to_i64()))
}

fn wide_int_prod<T: Element>(lane: &[T]) -> i64 {
    lane.iter().fold(1i64, |s, &v| s.wrapping_mul(v.to_i64()))
}

fn extreme<T: Element>(op: &str, lane: &[T], want_min: bool) -> Result<T, KernelError> {
    let (&first, rest) = lane.split_first().ok_or_else(|| {
        err(
            op,
            format!(
                "zero-size array to reduction operation {} which has no identity",
                if want_min { "minimum" } else { "maximum" }
            ),
        )
    })?;
    if first.is_nan() {
        return Ok(first);
    }
    let mut best = first;
    for &v in rest {
        if v.is_nan() {
            return Ok(v);
        }
        if (want_min && v < best) || (!want_min && v > best) {
            best = v;
        }
    }
    Ok(best)
}

fn minmax<T: Element>(
    op: &str,
    x: &ndarray::ArcArray<T, ndarray::IxDyn>,
    axes: &[usize],
    shape: &[usize],
    want_min: bool,
) -> Result<Array, KernelError> {
    let vals = map_lanes(x, axes, |l| extreme(op, l, want_min))
        .into_iter()
        .collect::<Result<Vec<T>, _>>()?;
    build(op, shape, vals)
}

/// Reduces `x` over `axes` with `kind`, NumPy 2 result dtypes.
pub(crate) fn reduce_array(
    kind: Kind,
    op: &str,
    x: &Array,
    axes: &[usize],
    keepdims: bool,
) -> Result<Array, KernelError> {
    let shape = reduced_shape(x.shape(), axes, keepdims);
    let shape = shape.as_slice();
    match kind {
        Kind::Sum => match x {
            Array::F64(a) => build(op, shape, map_lanes(a, axes, |l| pairwise_sum(l, &|v| v))),
            Array::F32(a) => build(op, shape, map_lanes(a, axes, |l| pairwise_sum(l, &|v| v))),
            Array::I64(a) => build(op, shape, map_lanes(a, axes, wide_int_sum)),
            Array::I32(a) => build(op, shape, map_lanes(a, axes, wide_int_sum)),
            Array::Bool(a) => build(op, shape, map_lanes(a, axes, wide_int_sum)),
        },
        Kind::Prod => match x {
            Array::F64(a) => build(op, shape, map_lanes(a, axes, |l| l.iter().product::<f64>())),
            Array::F32(a) => build(op, shape, map_lanes(a, axes, |l| l.iter().product::<f32>())),
            Array::I64(a) => build(op, shape, map_lanes(a, axes, wide_int_prod)),
            Array::I32(a) => build(op, shape, map_lanes(a, axes, wide_int_prod)),
            Array::Bool(a) => build(op, shape, map_lanes(a, axes, wide_int_prod)),
        },
        Kind::Min | Kind::Max => {
            let want_min = kind == Kind::Min;
            crate::with_array!(x, a => minmax(op, a, axes, shape, want_min))
        }
        Kind::Any => crate::with_array!(x, a => build(
            op,
            shape,
            map_lanes(a, axes, |l| l.iter().any(|v| v.to_f64() != 0.0))
        )),
        Kind::All => crate::with_array!(x, a => build(
            op,
            shape,
            map_lanes(a, axes, |l| l.iter().all(|v| v.to_f64() != 0.0))
        )),
    }
}

fn whole(kind: Kind, values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = kind.name();
    let r = Reduction::parse(op, values, kwargs)?;
    reduce_array(kind, op, &r.x, &r.axes, r.keepdims).map(Value::Array)
}

fn partial(kind: Kind, op: &str, values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let r = Reduction::parse(op, values, kwargs)?;
    reduce_array(kind, op, &r.x, &r.axes, true).map(Value::Array)
}

fn combine(kind: Kind, op: &str, values: &[Value]) -> Result<Value, KernelError> {
    let parts = partial_arrays(op, values)?;
    let stacked = stack_arrays(op, &parts, 0)?;
    reduce_array(kind, op, &stacked, &[0], false).map(Value::Array)
}

/// Drops the reduced axes of a combined partial unless `keepdims` (the finalize
/// step of every reduction whose partial already is the result).
pub(crate) fn finalize(op: &str, values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    args::arity(op, values, 1)?;
    let x = args::array(op, values, 0)?;
    let axes = args::axes(op, kwargs, "axis", x.ndim())?.unwrap_or_else(|| (0..x.ndim()).collect());
    let keepdims = args::boolean(op, kwargs, "keepdims", false)?;
    drop_axes(op, x, &axes, keepdims).map(Value::Array)
}

macro_rules! family {
    ($kind:expr, $whole:ident, $partial:ident, $combine:ident, $finalize:ident, $name:literal) => {
        fn $whole(v: &[Value], k: &Map<String, serde_json::Value>) -> Result<Value, KernelError> {
            whole($kind, v, k)
        }
        fn $partial(v: &[Value], k: &Map<String, serde_json::Value>) -> Result<Value, KernelError> {
            partial($kind, concat!($name, "-partial"), v, k)
        }
        fn $combine(
            v: &[Value],
            _k: &Map<String, serde_json::Value>,
        ) -> Result<Value, KernelError> {
            combine($kind, concat!($name, "-combine"), v)
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
    Kind::Sum,
    sum,
    sum_partial,
    sum_combine,
    sum_finalize,
    "sum"
);
family!(
    Kind::Prod,
    prod,
    prod_partial,
    prod_combine,
    prod_finalize,
    "prod"
);
family!(
    Kind::Min,
    min,
    min_partial,
    min_combine,
    min_finalize,
    "min"
);
family!(
    Kind::Max,
    max,
    max_partial,
    max_combine,
    max_finalize,
    "max"
);
family!(
    Kind::Any,
    any,
    any_partial,
    any_combine,
    any_finalize,
    "any"
);
family!(
    Kind::All,
    all,
    all_partial,
    all_combine,
    all_finalize,
    "all"
);

/// The kernels of this file.
pub(crate) fn kernels() -> Vec<(&'static str, &'static str, crate::kernels::KernelFn)> {
    macro_rules! entries {
        ($($name:literal => $w:ident, $p:ident, $c:ident, $f:ident;)*) => {
            vec![$(
                ($name, concat!($name, "(x, axis=None, keepdims=False)"), $w as crate::kernels::KernelFn),
                (concat!($name, "-partial"), concat!($name, "-partial(block, axis=None) -> keepdims partial"), $p),
                (concat!($name, "-combine"), concat!($name, "-combine([partial, ...]) -> partial"), $c),
                (concat!($name, "-finalize"), concat!($name, "-finalize(partial, axis=None, keepdims=False)"), $f),
            )*]
        };
    }
    entries! {
        "sum" => sum, sum_partial, sum_combine, sum_finalize;
        "prod" => prod, prod_partial, prod_combine, prod_finalize;
        "min" => min, min_partial, min_combine, min_finalize;
        "max" => max, max_partial, max_combine, max_finalize;
        "any" => any, any_partial, any_combine, any_finalize;
        "all" => all, all_partial, all_combine, all_finalize;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::layout::cast::from_vec;
    use serde_json::json;
    use tessera_ir::DType;

    fn kw(v: serde_json::Value) -> Kwargs {
        v.as_object().cloned().unwrap()
    }

    fn arr<T: Element>(shape: &[usize], data: Vec<T>) -> Value {
        Value::Array(from_vec(shape, data).unwrap())
    }

    fn f64s(v: &Value) -> (Vec<usize>, Vec<f64>) {
        let Value::Array(a) = v else { panic!("{v:?}") };
        let Array::F64(x) = a else { panic!("{a:?}") };
        (x.shape().to_vec(), x.iter().copied().collect())
    }

    fn i64s(v: &Value) -> (Vec<usize>, Vec<i64>) {
        let Value::Array(Array::I64(x)) = v else {
            panic!("{v:?}")
        };
        (x.shape().to_vec(), x.iter().copied().collect())
    }

    #[test]
    fn sum_axes_keepdims_and_negative_axes() {
        let x = arr(&[2, 3], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(
            f64s(&sum(std::slice::from_ref(&x), &kw(json!({}))).unwrap()),
            (vec![], vec![21.0])
        );
        assert_eq!(
            f64s(&sum(std::slice::from_ref(&x), &kw(json!({"axis": 0}))).unwrap()),
            (vec![3], vec![5.0, 7.0, 9.0])
        );
        assert_eq!(
            f64s(
                &sum(
                    std::slice::from_ref(&x),
                    &kw(json!({"axis": -1, "keepdims": true}))
                )
                .unwrap()
            ),
            (vec![2, 1], vec![6.0, 15.0])
        );
        assert_eq!(
            f64s(&sum(&[x], &kw(json!({"axis": [0, 1], "keepdims": true}))).unwrap()),
            (vec![1, 1], vec![21.0])
        );
    }

    #[test]
    fn result_dtypes_follow_numpy2() {
        let cases: Vec<(Value, DType)> = vec![
            (arr(&[2], vec![true, true]), DType::Int64),
            (arr(&[2], vec![1i32, 2]), DType::Int64),
            (arr(&[2], vec![1i64, 2]), DType::Int64),
            (arr(&[2], vec![1f32, 2.0]), DType::Float32),
            (arr(&[2], vec![1f64, 2.0]), DType::Float64),
        ];
        for (x, want) in cases {
            for f in [sum as crate::kernels::KernelFn, prod] {
                let Value::Array(out) = f(std::slice::from_ref(&x), &kw(json!({}))).unwrap() else {
                    panic!()
                };
                assert_eq!(out.dtype(), want);
            }
            let Value::Array(m) = max(std::slice::from_ref(&x), &kw(json!({}))).unwrap() else {
                panic!()
            };
            let Value::Array(src) = &x else { panic!() };
            assert_eq!(m.dtype(), src.dtype());
            let Value::Array(b) = any(&[x], &kw(json!({}))).unwrap() else {
                panic!()
            };
            assert_eq!(b.dtype(), DType::Bool);
        }
    }

    #[test]
    fn bool_sum_counts_and_int32_sum_does_not_overflow() {
        let b = arr(&[3], vec![true, false, true]);
        assert_eq!(i64s(&sum(&[b], &kw(json!({}))).unwrap()).1, vec![2]);
        let x = arr(&[2], vec![i32::MAX, i32::MAX]);
        assert_eq!(
            i64s(&sum(&[x], &kw(json!({}))).unwrap()).1,
            vec![2 * i32::MAX as i64]
        );
    }

    #[test]
    fn nan_propagates_through_min_max_sum() {
        let x = arr(&[3], vec![1.0, f64::NAN, -1.0]);
        for f in [sum as crate::kernels::KernelFn, prod, min, max] {
            assert!(f64s(&f(std::slice::from_ref(&x), &kw(json!({}))).unwrap()).1[0].is_nan());
        }
        let y = arr(&[3], vec![3.0, -1.0, 2.0]);
        assert_eq!(
            f64s(&min(std::slice::from_ref(&y), &kw(json!({}))).unwrap()).1,
            vec![-1.0]
        );
        assert_eq!(f64s(&max(&[y], &kw(json!({}))).unwrap()).1, vec![3.0]);
    }

    #[test]
    fn empty_reductions() {
        let e = arr::<f64>(&[0, 3], vec![]);
        assert_eq!(
            f64s(&sum(std::slice::from_ref(&e), &kw(json!({}))).unwrap()).1,
            vec![0.0]
        );
        assert_eq!(
            f64s(&prod(std::slice::from_ref(&e), &kw(json!({"axis": 0}))).unwrap()),
            (vec![3], vec![1.0; 3])
        );
        assert_eq!(
            f64s(&sum(std::slice::from_ref(&e), &kw(json!({"axis": 1}))).unwrap()),
            (vec![0], vec![])
        );
        let err = min(std::slice::from_ref(&e), &kw(json!({}))).unwrap_err();
        assert!(err.0.contains("zero-size array"), "{err}");
        // Reducing the non-empty axis of an empty array gives an empty result, no error.
        assert!(max(std::slice::from_ref(&e), &kw(json!({"axis": 1}))).is_ok());
        let Value::Array(Array::Bool(t)) = all(std::slice::from_ref(&e), &kw(json!({}))).unwrap()
        else {
            panic!()
        };
        assert!(t[[]]);
        let Value::Array(Array::Bool(f)) = any(&[e], &kw(json!({}))).unwrap() else {
            panic!()
        };
        assert!(!f[[]]);
    }

    #[test]
    fn any_all_treat_nan_as_true() {
        let x = arr(&[2], vec![f64::NAN, 1.0]);
        let Value::Array(Array::Bool(t)) = all(&[x], &kw(json!({}))).unwrap() else {
            panic!()
        };
        assert!(t[[]]);
    }

    #[test]
    fn tree_reduction_equals_whole_reduction() {
        // x of shape (4, 3) in two row blocks, reduced over axis 0 and over all axes.
        let data: Vec<i32> = (0..12).map(|v| v * 7 % 5 - 2).collect();
        let x = arr(&[4, 3], data.clone());
        let b0 = arr(&[2, 3], data[..6].to_vec());
        let b1 = arr(&[2, 3], data[6..].to_vec());
        type Family = [crate::kernels::KernelFn; 4];
        let families: [Family; 6] = [
            [sum, sum_partial, sum_combine, sum_finalize],
            [prod, prod_partial, prod_combine, prod_finalize],
            [min, min_partial, min_combine, min_finalize],
            [max, max_partial, max_combine, max_finalize],
            [any, any_partial, any_combine, any_finalize],
            [all, all_partial, all_combine, all_finalize],
        ];
        for axis in [json!(0), json!(null)] {
            let k = kw(json!({ "axis": axis }));
            for [w, p, c, f] in families {
                let want = w(std::slice::from_ref(&x), &k).unwrap();
                let p0 = p(std::slice::from_ref(&b0), &k).unwrap();
                let p1 = p(std::slice::from_ref(&b1), &k).unwrap();
                let combined = c(&[Value::List(vec![p0, p1].into())], &k).unwrap();
                assert_eq!(f(&[combined], &k).unwrap(), want);
            }
        }
    }

    #[test]
    fn combine_refuses_mismatched_partials() {
        let a = arr(&[1, 2], vec![1.0, 2.0]);
        let b = arr(&[1, 3], vec![1.0, 2.0, 3.0]);
        let e = sum_combine(&[Value::List(vec![a, b].into())], &kw(json!({}))).unwrap_err();
        assert!(e.0.starts_with("sum-combine: partial 1 has shape"), "{e}");
    }
}
