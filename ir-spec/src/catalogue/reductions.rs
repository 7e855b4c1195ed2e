//! Reductions (`sum prod mean min max var std any all`), `argmin`/`argmax` and the
//! scans `cumsum`/`cumprod`, with NumPy 2 result dtypes.
//!
//! Result chunks: a reduced axis becomes one block of 1 (`keepdims`) or vanishes;
//! the other axes keep their chunks. A scan keeps its input's chunks; a scan over
//! the flattened array (`axis: null`) has the chunks of the flattened input (see
//! `shape_ops::reshape_chunks`).

use super::shape_ops::reshape_chunks;
use super::{Arity, AttrSpec, AttrType, Family, InferError, InferInput, OpSpec};
use crate::dtype::DType;
use crate::meta::{ArrayMeta, Chunks, Meta};

/// The result dtype rule of a reduction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// `sum`, `prod`, `cumsum`, `cumprod`: bool and int32 accumulate in int64.
    Accumulate,
    /// `mean`, `var`, `std`: float64 unless the input is a float.
    Mean,
    /// `min`, `max`: the input dtype; an empty reduction is an error.
    Extremum(&'static str),
    /// `any`, `all`: bool.
    Truth,
}

fn result_dtype(rule: Rule, d: DType) -> DType {
    match rule {
        Rule::Accumulate if matches!(d, DType::Bool | DType::Int32) => DType::Int64,
        Rule::Mean if !d.is_float() => DType::Float64,
        Rule::Truth => DType::Bool,
        _ => d,
    }
}

fn reduce(input: &InferInput<'_>, rule: Rule) -> Result<Meta, InferError> {
    let x = input.array_like(0)?;
    let axes = input
        .axes("axis", x.ndim())?
        .unwrap_or_else(|| (0..x.ndim()).collect());
    let keepdims = input.flag("keepdims", false)?;
    if let Rule::Extremum(ufunc) = rule
        && axes.iter().any(|&a| x.shape[a] == 0)
    {
        return Err(InferError::new(format!(
            "zero-size array to reduction operation {ufunc} which has no identity"
        )));
    }
    let mut shape = Vec::with_capacity(x.ndim());
    let mut chunks = Vec::with_capacity(x.ndim());
    for (a, (&n, sizes)) in x.shape.iter().zip(&x.chunks.0).enumerate() {
        if !axes.contains(&a) {
            shape.push(n);
            chunks.push(sizes.clone());
        } else if keepdims {
            shape.push(1);
            chunks.push(vec![1]);
        }
    }
    let dtype = result_dtype(rule, x.dtype);
    Ok(Meta::Array(ArrayMeta::new(shape, dtype, Chunks(chunks))))
}

fn arg_extremum(input: &InferInput<'_>, name: &str) -> Result<Meta, InferError> {
    let x = input.array_like(0)?;
    let empty = || InferError::new(format!("attempt to get {name} of an empty sequence"));
    match input.opt_int("axis")? {
        None => {
            if x.size() == 0 {
                return Err(empty());
            }
            Ok(Meta::Array(ArrayMeta::scalar(DType::Int64)))
        }
        Some(axis) => {
            let a = super::attr::normalize_axis(axis, x.ndim())
                .map_err(|e| InferError::at("axis", e))?;
            if x.shape[a] == 0 {
                return Err(empty());
            }
            let mut shape = x.shape.clone();
            let mut chunks = x.chunks.0.clone();
            shape.remove(a);
            chunks.remove(a);
            Ok(Meta::Array(ArrayMeta::new(
                shape,
                DType::Int64,
                Chunks(chunks),
            )))
        }
    }
}

fn scan(input: &InferInput<'_>) -> Result<Meta, InferError> {
    let x = input.array_like(0)?;
    let dtype = result_dtype(Rule::Accumulate, x.dtype);
    match input.opt_int("axis")? {
        None => {
            let size = x.size();
            let chunks = reshape_chunks(&x.chunks, &x.shape, &[size]);
            Ok(Meta::Array(ArrayMeta::new(vec![size], dtype, chunks)))
        }
        Some(axis) => {
            super::attr::normalize_axis(axis, x.ndim()).map_err(|e| InferError::at("axis", e))?;
            Ok(Meta::Array(ArrayMeta { dtype, ..x }))
        }
    }
}

fn sum(i: &InferInput<'_>) -> Result<Meta, InferError> {
    reduce(i, Rule::Accumulate)
}
fn mean(i: &InferInput<'_>) -> Result<Meta, InferError> {
    reduce(i, Rule::Mean)
}
fn min(i: &InferInput<'_>) -> Result<Meta, InferError> {
    reduce(i, Rule::Extremum("minimum"))
}
fn max(i: &InferInput<'_>) -> Result<Meta, InferError> {
    reduce(i, Rule::Extremum("maximum"))
}
fn truth(i: &InferInput<'_>) -> Result<Meta, InferError> {
    reduce(i, Rule::Truth)
}
fn argmin(i: &InferInput<'_>) -> Result<Meta, InferError> {
    arg_extremum(i, "argmin")
}
fn argmax(i: &InferInput<'_>) -> Result<Meta, InferError> {
    arg_extremum(i, "argmax")
}

const AXIS: AttrSpec = AttrSpec {
    name: "axis",
    ty: AttrType::Axis,
    required: false,
    default: Some("null"),
    doc: "Axis or axes to reduce (negative counts from the end); null for all.",
};
const KEEPDIMS: AttrSpec = AttrSpec {
    name: "keepdims",
    ty: AttrType::Bool,
    required: false,
    default: Some("false"),
    doc: "Keep reduced axes as axes of length 1.",
};
const DDOF: AttrSpec = AttrSpec {
    name: "ddof",
    ty: AttrType::Int,
    required: false,
    default: Some("0"),
    doc: "Delta degrees of freedom: the divisor is N - ddof.",
};
const ONE_AXIS: AttrSpec = AttrSpec {
    name: "axis",
    ty: AttrType::AxisOrNull,
    required: false,
    default: Some("null"),
    doc: "The axis (negative counts from the end); null for the flattened array.",
};

const fn op(
    name: &'static str,
    attrs: &'static [AttrSpec],
    doc: &'static str,
    infer: fn(&InferInput<'_>) -> Result<Meta, InferError>,
) -> OpSpec {
    OpSpec {
        name,
        family: Family::Reduction,
        arity: Arity::Exact(1),
        arg_names: "x",
        attrs,
        doc,
        open_attrs: false,
        infer,
    }
}

const REDUCE: &[AttrSpec] = &[AXIS, KEEPDIMS];
const SPREAD: &[AttrSpec] = &[AXIS, KEEPDIMS, DDOF];

const ALL: &[OpSpec] = &[
    op(
        "sum",
        REDUCE,
        "Sum (bool and int32 accumulate in int64).",
        sum,
    ),
    op(
        "prod",
        REDUCE,
        "Product (bool and int32 accumulate in int64).",
        sum,
    ),
    op(
        "mean",
        REDUCE,
        "Arithmetic mean (float64 for integers).",
        mean,
    ),
    op(
        "min",
        REDUCE,
        "Minimum; an empty reduction is an error.",
        min,
    ),
    op(
        "max",
        REDUCE,
        "Maximum; an empty reduction is an error.",
        max,
    ),
    op("var", SPREAD, "Variance (float64 for integers).", mean),
    op(
        "std",
        SPREAD,
        "Standard deviation (float64 for integers).",
        mean,
    ),
    op("any", REDUCE, "True if any element is true.", truth),
    op("all", REDUCE, "True if every element is true.", truth),
    op(
        "argmin",
        &[ONE_AXIS],
        "Index of the minimum (int64; first one on ties).",
        argmin,
    ),
    op(
        "argmax",
        &[ONE_AXIS],
        "Index of the maximum (int64; first one on ties).",
        argmax,
    ),
    op(
        "cumsum",
        &[ONE_AXIS],
        "Cumulative sum (bool and int32 accumulate in int64).",
        scan,
    ),
    op(
        "cumprod",
        &[ONE_AXIS],
        "Cumulative product (bool and int32 accumulate in int64).",
        scan,
    ),
];

/// Every reduction and scan.
pub(super) const OPS: &[&[OpSpec]] = &[ALL];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{InferContext, lookup};
    use serde_json::json;

    fn arr(shape: &[usize], chunks: Vec<Vec<usize>>, dtype: DType) -> Meta {
        Meta::Array(ArrayMeta::new(shape.to_vec(), dtype, Chunks(chunks)))
    }

    fn run(name: &str, x: Meta, attrs: serde_json::Value) -> Result<ArrayMeta, InferError> {
        let op = lookup(name).unwrap();
        let attrs = attrs.as_object().cloned().unwrap_or_default();
        let args = [x];
        (op.infer)(&InferInput {
            args: &args,
            attrs: &attrs,
            ctx: &InferContext::default(),
        })
        .map(|m| m.as_array().unwrap().clone())
    }

    fn x() -> Meta {
        arr(
            &[4, 6, 2],
            vec![vec![2, 2], vec![3, 3], vec![2]],
            DType::Int32,
        )
    }

    #[test]
    fn reduced_axes_vanish_or_become_one_block_of_one() {
        let r = run("sum", x(), json!({"axis": [0, -1]})).unwrap();
        assert_eq!(
            (r.shape, r.chunks.0, r.dtype),
            (vec![6], vec![vec![3, 3]], DType::Int64)
        );
        let r = run("max", x(), json!({"axis": 1, "keepdims": true})).unwrap();
        assert_eq!(r.shape, vec![4, 1, 2]);
        assert_eq!(r.chunks.0, vec![vec![2, 2], vec![1], vec![2]]);
        assert_eq!(r.dtype, DType::Int32);
        let r = run("mean", x(), json!({"axis": null})).unwrap();
        assert_eq!((r.shape, r.dtype), (vec![], DType::Float64));
        let r = run("all", x(), json!({"axis": null, "keepdims": true})).unwrap();
        assert_eq!((r.shape, r.dtype), (vec![1, 1, 1], DType::Bool));
        // axis=[] reduces nothing.
        assert_eq!(
            run("sum", x(), json!({"axis": []})).unwrap().shape,
            vec![4, 6, 2]
        );
    }

    #[test]
    fn dtypes_follow_numpy2() {
        let one = |d| arr(&[2], vec![vec![2]], d);
        let cases = [
            ("sum", DType::Bool, DType::Int64),
            ("prod", DType::Int32, DType::Int64),
            ("sum", DType::Float32, DType::Float32),
            ("mean", DType::Int32, DType::Float64),
            ("var", DType::Float32, DType::Float32),
            ("std", DType::Bool, DType::Float64),
            ("min", DType::Bool, DType::Bool),
            ("any", DType::Float64, DType::Bool),
            ("cumsum", DType::Int32, DType::Int64),
            ("cumprod", DType::Bool, DType::Int64),
            ("cumsum", DType::Float32, DType::Float32),
            ("argmax", DType::Float32, DType::Int64),
        ];
        for (name, input, want) in cases {
            assert_eq!(
                run(name, one(input), json!({})).unwrap().dtype,
                want,
                "{name}({input})"
            );
        }
    }

    #[test]
    fn axis_errors_follow_numpy() {
        let e = run("sum", x(), json!({"axis": 3})).unwrap_err();
        assert_eq!(e.at.as_deref(), Some("axis"));
        assert_eq!(
            e.message,
            "axis 3 is out of bounds for array of dimension 3"
        );
        let e = run("var", x(), json!({"axis": [0, -3]})).unwrap_err();
        assert_eq!(e.message, "duplicate value in 'axis'");
        assert!(run("argmin", x(), json!({"axis": -4})).is_err());
        assert!(run("cumsum", x(), json!({"axis": 3})).is_err());
        let e = run("sum", Meta::Tuple(vec![]), json!({})).unwrap_err();
        assert_eq!(e.at.as_deref(), Some("args/0"));
    }

    #[test]
    fn empty_extremum_reductions_are_errors_as_in_numpy() {
        let empty = || arr(&[0, 3], vec![vec![0], vec![3]], DType::Float64);
        // np.zeros((0, 3)).min(axis=0) raises; .min(axis=1) gives shape (0,)
        let e = run("min", empty(), json!({"axis": 0})).unwrap_err();
        assert_eq!(
            e.message,
            "zero-size array to reduction operation minimum which has no identity"
        );
        assert_eq!(
            run("max", empty(), json!({"axis": 1})).unwrap().shape,
            vec![0]
        );
        assert!(run("max", empty(), json!({})).is_err());
        // argmin: empty along the axis raises; a full argmin of an empty array raises.
        assert!(run("argmin", empty(), json!({"axis": 0})).is_err());
        assert_eq!(
            run("argmin", empty(), json!({"axis": 1})).unwrap().shape,
            vec![0]
        );
        let e = run("argmax", empty(), json!({})).unwrap_err();
        assert_eq!(e.message, "attempt to get argmax of an empty sequence");
        // sum of an empty array is fine.
        assert_eq!(
            run("sum", empty(), json!({})).unwrap().shape,
            Vec::<usize>::new()
        );
    }

    #[test]
    fn argminmax_and_scans_shapes_and_chunks() {
        let r = run("argmin", x(), json!({"axis": 1})).unwrap();
        assert_eq!(
            (r.shape, r.chunks.0),
            (vec![4, 2], vec![vec![2, 2], vec![2]])
        );
        assert_eq!(
            run("argmin", x(), json!({})).unwrap().shape,
            Vec::<usize>::new()
        );
        let r = run("cumsum", x(), json!({"axis": 1})).unwrap();
        assert_eq!(r.chunks.0, vec![vec![2, 2], vec![3, 3], vec![2]]);
        // Flattened: blocks split along a trailing axis cannot stay blocks: one block.
        let r = run("cumprod", x(), json!({"axis": null})).unwrap();
        assert_eq!((r.shape, r.chunks.0), (vec![48], vec![vec![48]]));
        // With whole trailing axes, the leading axis's blocks of 2 rows become 24.
        let y = arr(&[4, 6, 2], vec![vec![2, 2], vec![6], vec![2]], DType::Int32);
        let r = run("cumsum", y, json!({})).unwrap();
        assert_eq!((r.shape, r.chunks.0), (vec![48], vec![vec![24, 24]]));
    }
}
