//! Elementwise ops: NumPy ufuncs with broadcasting, NEP 50 promotion and each
//! ufunc's NumPy 2 result dtype, plus `where`, `clip` and `astype`.
//!
//! We have no float16 and no int8: where NumPy 2 gives float16 (`sqrt` of bool) the
//! result here is float64, and where it gives int8 (`square`, `reciprocal`,
//! `floor_divide`, `remainder`, `power` of bools) it is int64.

use super::attr::weak_scalar_fits;
use super::broadcast::{Operand, broadcast, operands, result_type};
use super::{Arity, AttrSpec, AttrType, Family, InferError, InferInput, OpSpec};
use crate::dtype::DType;
use crate::meta::{ArrayMeta, Meta};

/// How a unary ufunc maps the input dtype to the result dtype.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unary {
    /// Same dtype (`abs`, `floor`, `ceil`, `trunc`).
    Keep,
    /// Same dtype, but NumPy has no bool loop (`positive`, `sign`).
    KeepNoBool,
    /// Same dtype; bool is refused with NumPy's message (`negative`).
    Negative,
    /// Floats keep their dtype, bools and integers give float64 (`exp`, `rint`...).
    Float,
    /// Always bool (`isnan`, `logical_not`...).
    ToBool,
    /// Same dtype, bool gives an integer (`square`, `reciprocal`).
    IntOfBool,
}

/// How a binary ufunc maps the promoted dtype to the result dtype.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Binary {
    /// The promoted dtype (`add`, `multiply`, `maximum`...).
    Promote,
    /// The promoted dtype, bool refused with NumPy's message (`subtract`).
    Subtract,
    /// Integer arithmetic where bool gives an integer (`floor_divide`, `power`...).
    IntOfBool,
    /// True division: anything not float gives float64.
    Divide,
    /// Float functions of two arguments (`arctan2`, `hypot`).
    Float,
    /// Comparisons and logical ops: bool.
    ToBool,
}

fn unary_dtype(name: &str, rule: Unary, d: DType) -> Result<DType, InferError> {
    match (rule, d) {
        (Unary::Keep, d) => Ok(d),
        (Unary::KeepNoBool | Unary::Negative, DType::Bool) => Err(InferError::arg(
            0,
            if rule == Unary::Negative {
                "the boolean negative is not supported (as in NumPy); use logical_not instead"
                    .to_owned()
            } else {
                format!("{name} is not defined for bool arrays (NumPy has no bool loop for it)")
            },
        )),
        (Unary::KeepNoBool | Unary::Negative, d) => Ok(d),
        (Unary::Float, d) if d.is_float() => Ok(d),
        (Unary::Float, _) => Ok(DType::Float64),
        (Unary::ToBool, _) => Ok(DType::Bool),
        (Unary::IntOfBool, DType::Bool) => Ok(DType::Int64),
        (Unary::IntOfBool, d) => Ok(d),
    }
}

fn unary(input: &InferInput<'_>, name: &str, rule: Unary) -> Result<Meta, InferError> {
    let x = input.array_like(0)?;
    let dtype = unary_dtype(name, rule, x.dtype)?;
    Ok(Meta::Array(ArrayMeta { dtype, ..x }))
}

fn binary(input: &InferInput<'_>, rule: Binary) -> Result<Meta, InferError> {
    let ops = operands(input, 2)?;
    let (shape, chunks) = broadcast(&ops)?;
    let promoted = result_type(&ops);
    let dtype = match rule {
        Binary::Promote | Binary::Subtract | Binary::IntOfBool => {
            for (i, op) in ops.iter().enumerate() {
                if let Operand::Weak(kind, v) = *op {
                    weak_scalar_fits(kind, v, promoted).map_err(|e| InferError::arg(i, e))?;
                }
            }
            match (rule, promoted) {
                (Binary::Subtract, DType::Bool) => {
                    return Err(InferError::new(
                        "the boolean subtract is not supported (as in NumPy); use logical_xor instead",
                    ));
                }
                (Binary::IntOfBool, DType::Bool) => DType::Int64,
                (_, d) => d,
            }
        }
        Binary::Divide | Binary::Float if promoted.is_float() => promoted,
        Binary::Divide | Binary::Float => DType::Float64,
        Binary::ToBool => DType::Bool,
    };
    Ok(Meta::Array(ArrayMeta::new(shape, dtype, chunks)))
}

fn infer_where(input: &InferInput<'_>) -> Result<Meta, InferError> {
    let ops = operands(input, 3)?;
    let (shape, chunks) = broadcast(&ops)?;
    let dtype = result_type(&ops[1..]);
    Ok(Meta::Array(ArrayMeta::new(shape, dtype, chunks)))
}

fn infer_clip(input: &InferInput<'_>) -> Result<Meta, InferError> {
    // `lo` or `hi` may be `{"lit": null}` for "no bound", as NumPy's None.
    let mut ops = Vec::with_capacity(3);
    for i in 0..3 {
        match input.arg(i)? {
            Meta::Literal(serde_json::Value::Null) if i > 0 => {}
            Meta::Array(a) => ops.push(Operand::Array(a)),
            Meta::Scalar(k, v) => ops.push(Operand::Weak(*k, *v)),
            other => return Err(super::attr::not_an_array(i, other)),
        }
    }
    if ops.len() == 1 {
        return Err(InferError::new("clip needs at least one of lo and hi"));
    }
    let (shape, chunks) = broadcast(&ops)?;
    Ok(Meta::Array(ArrayMeta::new(
        shape,
        result_type(&ops),
        chunks,
    )))
}

fn infer_astype(input: &InferInput<'_>) -> Result<Meta, InferError> {
    let x = input.array_like(0)?;
    let dtype = input
        .opt_dtype("dtype")?
        .ok_or_else(|| InferError::at("dtype", "attribute `dtype` is required"))?;
    Ok(Meta::Array(ArrayMeta { dtype, ..x }))
}

macro_rules! unary_ops {
    ($($f:ident $name:literal $rule:ident $doc:literal;)*) => {
        $(fn $f(input: &InferInput<'_>) -> Result<Meta, InferError> {
            unary(input, $name, Unary::$rule)
        })*
        const UNARY: &[OpSpec] = &[$(op($name, 1, "x", $doc, $f)),*];
    };
}

macro_rules! binary_ops {
    ($($f:ident $name:literal $rule:ident $doc:literal;)*) => {
        $(fn $f(input: &InferInput<'_>) -> Result<Meta, InferError> {
            binary(input, Binary::$rule)
        })*
        const BINARY: &[OpSpec] = &[$(op($name, 2, "x1, x2", $doc, $f)),*];
    };
}

unary_ops! {
    negative "negative" Negative "Numerical negative (-x); refused for bool.";
    positive "positive" KeepNoBool "Numerical positive (+x).";
    abs "abs" Keep "Absolute value.";
    sign "sign" KeepNoBool "Sign: -1, 0 or 1 (nan for nan).";
    exp "exp" Float "Exponential.";
    expm1 "expm1" Float "exp(x) - 1, accurate near 0.";
    exp2 "exp2" Float "2 ** x.";
    log "log" Float "Natural logarithm.";
    log1p "log1p" Float "log(1 + x), accurate near 0.";
    log2 "log2" Float "Base-2 logarithm.";
    log10 "log10" Float "Base-10 logarithm.";
    sqrt "sqrt" Float "Square root.";
    cbrt "cbrt" Float "Cube root.";
    square "square" IntOfBool "x * x.";
    reciprocal "reciprocal" IntOfBool "1 / x (integer division for integers, as NumPy).";
    sin "sin" Float "Sine.";
    cos "cos" Float "Cosine.";
    tan "tan" Float "Tangent.";
    arcsin "arcsin" Float "Inverse sine.";
    arccos "arccos" Float "Inverse cosine.";
    arctan "arctan" Float "Inverse tangent.";
    sinh "sinh" Float "Hyperbolic sine.";
    cosh "cosh" Float "Hyperbolic cosine.";
    tanh "tanh" Float "Hyperbolic tangent.";
    arcsinh "arcsinh" Float "Inverse hyperbolic sine.";
    arccosh "arccosh" Float "Inverse hyperbolic cosine.";
    arctanh "arctanh" Float "Inverse hyperbolic tangent.";
    floor "floor" Keep "Round down (integers and bools unchanged, as NumPy 2).";
    ceil "ceil" Keep "Round up (integers and bools unchanged, as NumPy 2).";
    trunc "trunc" Keep "Round toward zero (integers and bools unchanged, as NumPy 2).";
    rint "rint" Float "Round to nearest even; float64 for integers, as NumPy 2.";
    isnan "isnan" ToBool "True where not a number.";
    isinf "isinf" ToBool "True where infinite.";
    isfinite "isfinite" ToBool "True where finite.";
    logical_not "logical_not" ToBool "Logical NOT of truth values.";
}

binary_ops! {
    add "add" Promote "x1 + x2.";
    subtract "subtract" Subtract "x1 - x2; refused for two bools.";
    multiply "multiply" Promote "x1 * x2.";
    divide "divide" Divide "True division x1 / x2 (float64 for integers).";
    floor_divide "floor_divide" IntOfBool "Floor division x1 // x2.";
    remainder "remainder" IntOfBool "Remainder with the sign of x2 (Python's %).";
    power "power" IntOfBool "x1 ** x2.";
    maximum "maximum" Promote "Elementwise maximum, nan propagates.";
    minimum "minimum" Promote "Elementwise minimum, nan propagates.";
    fmax "fmax" Promote "Elementwise maximum, nan ignored.";
    fmin "fmin" Promote "Elementwise minimum, nan ignored.";
    arctan2 "arctan2" Float "Angle of the point (x2, x1).";
    hypot "hypot" Float "sqrt(x1**2 + x2**2).";
    equal "equal" ToBool "x1 == x2.";
    not_equal "not_equal" ToBool "x1 != x2.";
    less "less" ToBool "x1 < x2.";
    less_equal "less_equal" ToBool "x1 <= x2.";
    greater "greater" ToBool "x1 > x2.";
    greater_equal "greater_equal" ToBool "x1 >= x2.";
    logical_and "logical_and" ToBool "Logical AND of truth values.";
    logical_or "logical_or" ToBool "Logical OR of truth values.";
    logical_xor "logical_xor" ToBool "Logical XOR of truth values.";
}

const fn op(
    name: &'static str,
    n: usize,
    arg_names: &'static str,
    doc: &'static str,
    infer: fn(&InferInput<'_>) -> Result<Meta, InferError>,
) -> OpSpec {
    OpSpec {
        name,
        family: Family::Elementwise,
        arity: Arity::Exact(n),
        arg_names,
        attrs: &[],
        doc,
        open_attrs: false,
        infer,
    }
}

const OTHERS: &[OpSpec] = &[
    op(
        "where",
        3,
        "condition, x, y",
        "x where condition is true, else y (broadcast together).",
        infer_where,
    ),
    op(
        "clip",
        3,
        "x, lo, hi",
        "x limited to [lo, hi]; a bound may be {\"lit\": null} for none.",
        infer_clip,
    ),
    OpSpec {
        attrs: &[AttrSpec {
            name: "dtype",
            ty: AttrType::DType,
            required: true,
            default: None,
            doc: "The dtype to cast to.",
        }],
        ..op(
            "astype",
            1,
            "x",
            "x cast to another dtype (unsafe casting, as NumPy).",
            infer_astype,
        )
    },
];

/// Every elementwise op.
pub(super) const OPS: &[&[OpSpec]] = &[UNARY, BINARY, OTHERS];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{InferContext, lookup};
    use crate::dtype::ScalarKind;
    use crate::meta::Chunks;

    fn arr(shape: &[usize], dtype: DType) -> Meta {
        Meta::Array(ArrayMeta::new(shape.to_vec(), dtype, Chunks::single(shape)))
    }

    fn run(name: &str, args: &[Meta], attrs: serde_json::Value) -> Result<Meta, InferError> {
        let op = lookup(name).unwrap();
        let attrs = attrs.as_object().cloned().unwrap_or_default();
        (op.infer)(&InferInput {
            args,
            attrs: &attrs,
            ctx: &InferContext::default(),
        })
    }

    fn dtype_of(name: &str, args: &[Meta]) -> DType {
        run(name, args, serde_json::json!({}))
            .unwrap()
            .as_array()
            .unwrap()
            .dtype
    }

    use DType::*;

    #[test]
    fn unary_dtypes_follow_numpy2() {
        // Checked with NumPy 2.4: np.<op>(np.array([...], dtype=d)).dtype
        let cases = [
            ("negative", Int32, Int32),
            ("abs", Bool, Bool),
            ("sign", Float32, Float32),
            ("exp", Int32, Float64),
            ("exp", Float32, Float32),
            ("sqrt", Bool, Float64), // float16 in NumPy
            ("square", Bool, Int64), // int8 in NumPy
            ("reciprocal", Int32, Int32),
            ("floor", Int32, Int32),
            ("ceil", Bool, Bool),
            ("trunc", Int64, Int64),
            ("rint", Int32, Float64),
            ("rint", Float32, Float32),
            ("isnan", Float64, Bool),
            ("logical_not", Int64, Bool),
        ];
        for (name, input, want) in cases {
            assert_eq!(dtype_of(name, &[arr(&[2], input)]), want, "{name}({input})");
        }
    }

    #[test]
    fn unary_refusals_follow_numpy() {
        for name in ["negative", "positive", "sign"] {
            let e = run(name, &[arr(&[2], Bool)], serde_json::json!({})).unwrap_err();
            assert_eq!(e.at.as_deref(), Some("args/0"), "{name}");
        }
        let e = run("exp", &[Meta::List(vec![])], serde_json::json!({})).unwrap_err();
        assert_eq!(e.message, "argument 0 must be an array, found a list");
        let e = run("exp", &[Meta::Any], serde_json::json!({})).unwrap_err();
        assert!(e.message.contains("from_delayed"));
    }

    #[test]
    fn a_lone_scalar_is_a_0d_array() {
        let m = run(
            "exp",
            &[Meta::Scalar(ScalarKind::Int, 2.0)],
            serde_json::json!({}),
        )
        .unwrap();
        assert_eq!(m, Meta::Array(ArrayMeta::scalar(Float64)));
    }

    #[test]
    fn binary_dtypes_follow_numpy2() {
        let w = |k| Meta::Scalar(k, 2.0);
        let cases = [
            ("add", arr(&[2], Bool), arr(&[2], Bool), Bool),
            ("add", arr(&[2], Int32), w(ScalarKind::Int), Int32),
            ("add", arr(&[2], Bool), w(ScalarKind::Int), Int64),
            ("power", arr(&[2], Int32), w(ScalarKind::Float), Float64),
            ("multiply", arr(&[2], Int32), arr(&[2], Float32), Float64),
            ("divide", arr(&[2], Int32), arr(&[2], Int32), Float64),
            ("divide", arr(&[2], Float32), w(ScalarKind::Int), Float32),
            ("floor_divide", arr(&[2], Int32), arr(&[2], Int32), Int32),
            ("floor_divide", arr(&[2], Bool), arr(&[2], Bool), Int64),
            ("remainder", arr(&[2], Int64), arr(&[2], Int32), Int64),
            ("power", arr(&[2], Int32), arr(&[2], Int32), Int32),
            ("maximum", arr(&[2], Bool), arr(&[2], Bool), Bool),
            ("arctan2", arr(&[2], Int32), arr(&[2], Int32), Float64),
            ("hypot", arr(&[2], Float32), w(ScalarKind::Int), Float32),
            ("less", arr(&[2], Float32), w(ScalarKind::Float), Bool),
            ("logical_xor", arr(&[2], Int32), arr(&[2], Float64), Bool),
            ("add", w(ScalarKind::Int), w(ScalarKind::Float), Float64),
        ];
        for (name, a, b, want) in cases {
            assert_eq!(
                dtype_of(name, &[a.clone(), b.clone()]),
                want,
                "{name}({a:?}, {b:?})"
            );
        }
    }

    #[test]
    fn binary_refusals() {
        let e = run(
            "subtract",
            &[arr(&[2], Bool), arr(&[2], Bool)],
            serde_json::json!({}),
        )
        .unwrap_err();
        assert!(e.message.contains("boolean subtract"));
        // NumPy 2: np.array([1], np.int32) + 2**40 raises OverflowError.
        let big = Meta::Scalar(ScalarKind::Int, 2f64.powi(40));
        let e = run(
            "add",
            &[arr(&[2], Int32), big.clone()],
            serde_json::json!({}),
        )
        .unwrap_err();
        assert_eq!(e.at.as_deref(), Some("args/1"));
        assert!(
            e.message.contains("out of bounds for int32"),
            "{}",
            e.message
        );
        // ...but comparisons and true division accept it.
        assert_eq!(dtype_of("less", &[arr(&[2], Int32), big.clone()]), Bool);
        assert_eq!(dtype_of("divide", &[arr(&[2], Int32), big]), Float64);
        let e = run(
            "add",
            &[arr(&[2, 3], Int32), arr(&[4, 3], Int32)],
            serde_json::json!({}),
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "operands could not be broadcast together with shapes (2, 3) (4, 3)"
        );
        let e = run(
            "add",
            &[arr(&[2], Int32), Meta::Literal(serde_json::json!("a"))],
            serde_json::json!({}),
        )
        .unwrap_err();
        assert_eq!(e.at.as_deref(), Some("args/1"));
    }

    #[test]
    fn broadcast_result_shape_and_chunks() {
        let a = Meta::Array(ArrayMeta::new(
            vec![4, 1],
            Float64,
            Chunks(vec![vec![2, 2], vec![1]]),
        ));
        let b = Meta::Array(ArrayMeta::new(vec![6], Float64, Chunks(vec![vec![3, 3]])));
        let m = run("add", &[a, b], serde_json::json!({})).unwrap();
        let m = m.as_array().unwrap();
        assert_eq!(m.shape, vec![4, 6]);
        assert_eq!(m.chunks, Chunks(vec![vec![2, 2], vec![3, 3]]));
    }

    #[test]
    fn where_clip_astype() {
        let cond = arr(&[3, 1], Bool);
        // np.where(b, 1, 2.0) -> float64; np.where(b, i32, 2) -> int32
        let m = run(
            "where",
            &[
                cond.clone(),
                Meta::Scalar(ScalarKind::Int, 1.0),
                Meta::Scalar(ScalarKind::Float, 2.0),
            ],
            serde_json::json!({}),
        )
        .unwrap();
        assert_eq!(m.as_array().unwrap().dtype, Float64);
        let m = run(
            "where",
            &[cond, arr(&[4], Int32), Meta::Scalar(ScalarKind::Int, 2.0)],
            serde_json::json!({}),
        )
        .unwrap();
        assert_eq!(
            (
                m.as_array().unwrap().shape.clone(),
                m.as_array().unwrap().dtype
            ),
            (vec![3, 4], Int32)
        );
        // np.clip(i32, 0, 1.5) -> float64
        let lo = Meta::Scalar(ScalarKind::Int, 0.0);
        let hi = Meta::Scalar(ScalarKind::Float, 1.5);
        assert_eq!(
            dtype_of("clip", &[arr(&[2], Int32), lo.clone(), hi]),
            Float64
        );
        let none = Meta::Literal(serde_json::Value::Null);
        assert_eq!(
            dtype_of("clip", &[arr(&[2], Int32), lo, none.clone()]),
            Int32
        );
        assert!(
            run(
                "clip",
                &[arr(&[2], Int32), none.clone(), none],
                serde_json::json!({})
            )
            .is_err()
        );
        let m = run(
            "astype",
            &[arr(&[2], Int32)],
            serde_json::json!({"dtype": "float32"}),
        )
        .unwrap();
        assert_eq!(m.as_array().unwrap().dtype, Float32);
        let e = run("astype", &[arr(&[2], Int32)], serde_json::json!({})).unwrap_err();
        assert_eq!(e.at.as_deref(), Some("dtype"));
    }
}
