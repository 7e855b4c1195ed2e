//! The unary ufuncs (`negative` .. `logical_not`) with NumPy 2 result dtypes:
//! float functions of integers and booleans give `float64`, predicates give
//! `bool`, and arithmetic keeps the dtype.

use tessera_ir::DType;

use super::apply::{map1, map1_slice};
use super::elem::Elem;
use super::promote::{Arg, OutOfBounds, arg, check_arity, check_attrs, operand, result_dtype};
use super::scalar::{Arith, Float};
use crate::kernels::KernelError;
use crate::value::{Array, Value};

macro_rules! unary_ops {
    ($($variant:ident => $name:literal),* $(,)?) => {
        /// A unary elementwise op of the graph format.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum UnaryOp {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )*
        }

        impl UnaryOp {
            /// Every unary op.
            pub(crate) const ALL: &[UnaryOp] = &[$(UnaryOp::$variant),*];

            /// The op's name in the graph format.
            pub(crate) fn name(self) -> &'static str {
                match self {
                    $(UnaryOp::$variant => $name,)*
                }
            }
        }
    };
}

unary_ops! {
    Negative => "negative", Positive => "positive", Abs => "abs", Sign => "sign",
    Exp => "exp", Expm1 => "expm1", Exp2 => "exp2", Log => "log", Log1p => "log1p",
    Log2 => "log2", Log10 => "log10", Sqrt => "sqrt", Cbrt => "cbrt", Square => "square",
    Reciprocal => "reciprocal", Sin => "sin", Cos => "cos", Tan => "tan",
    Arcsin => "arcsin", Arccos => "arccos", Arctan => "arctan", Sinh => "sinh",
    Cosh => "cosh", Tanh => "tanh", Arcsinh => "arcsinh", Arccosh => "arccosh",
    Arctanh => "arctanh", Floor => "floor", Ceil => "ceil", Trunc => "trunc",
    Rint => "rint", Isnan => "isnan", Isinf => "isinf", Isfinite => "isfinite",
    LogicalNot => "logical_not",
}

/// Runs unary `op` on `args` (one array or number; no attributes).
pub(crate) fn unary(
    op: UnaryOp,
    args: &[Value],
    attrs: &serde_json::Map<String, serde_json::Value>,
) -> Result<Value, KernelError> {
    let name = op.name();
    check_arity(name, args, 1)?;
    check_attrs(name, attrs, &[])?;
    let x = arg(name, 0, &args[0])?;
    let dtype = result_dtype(&[x]);
    apply(op, &x, dtype).map(Value::Array)
}

fn apply(op: UnaryOp, x: &Arg<'_>, dtype: DType) -> Result<Array, KernelError> {
    use UnaryOp::*;
    match op {
        Isnan | Isinf | Isfinite => match dtype {
            DType::Float64 => predicate::<f64>(op, x),
            DType::Float32 => predicate::<f32>(op, x),
            // Integers and booleans are always finite.
            _ => {
                let v = operand::<bool>(op.name(), x, OutOfBounds::Error)?;
                let finite = op == Isfinite;
                wrap(map1(&v, |_| finite)?)
            }
        },
        LogicalNot => {
            let v = operand::<bool>(op.name(), x, OutOfBounds::Error)?;
            wrap(map1(&v, |b| !b)?)
        }
        Negative | Positive | Abs | Sign | Square | Reciprocal | Floor | Ceil | Trunc => {
            match dtype {
                DType::Bool => boolean(op, x),
                DType::Int32 => arith::<i32>(op, x),
                DType::Int64 => arith::<i64>(op, x),
                DType::Float32 => arith::<f32>(op, x),
                DType::Float64 => arith::<f64>(op, x),
            }
        }
        _ if dtype == DType::Float32 => float::<f32>(op, x),
        _ => float::<f64>(op, x),
    }
}

fn wrap<T: Elem>(a: ndarray::ArrayD<T>) -> Result<Array, KernelError> {
    Ok(T::wrap(a.into_shared()))
}

/// `isnan`, `isinf`, `isfinite` of floats.
fn predicate<T: Float>(op: UnaryOp, x: &Arg<'_>) -> Result<Array, KernelError> {
    let v = operand::<T>(op.name(), x, OutOfBounds::Error)?;
    wrap(match op {
        UnaryOp::Isnan => map1(&v, T::isnan)?,
        UnaryOp::Isinf => map1(&v, T::isinf)?,
        _ => map1(&v, T::isfinite)?,
    })
}

/// Arithmetic on booleans: `abs` and rounding are the identity, `square` and
/// `reciprocal` compute in `int64` (NumPy's `int8`, which the format lacks), and
/// `negative`, `positive`, `sign` are errors as in NumPy.
fn boolean(op: UnaryOp, x: &Arg<'_>) -> Result<Array, KernelError> {
    use UnaryOp::*;
    match op {
        Abs | Floor | Ceil | Trunc => {
            let v = operand::<bool>(op.name(), x, OutOfBounds::Error)?;
            wrap(map1(&v, |b| b)?)
        }
        Square | Reciprocal => arith::<i64>(op, x),
        _ => Err(KernelError::new(format!(
            "{}: not supported for bool input{}",
            op.name(),
            if op == Negative {
                " (use logical_not)"
            } else {
                ""
            }
        ))),
    }
}

fn arith<T: Arith>(op: UnaryOp, x: &Arg<'_>) -> Result<Array, KernelError> {
    use UnaryOp::*;
    let v = operand::<T>(op.name(), x, OutOfBounds::Error)?;
    wrap(match op {
        Negative => map1(&v, T::negative)?,
        Abs => map1(&v, T::abs)?,
        Sign => map1(&v, T::sign)?,
        Square => map1(&v, T::square)?,
        Reciprocal => map1(&v, T::reciprocal)?,
        Floor => map1(&v, T::floor)?,
        Ceil => map1(&v, T::ceil)?,
        Trunc => map1(&v, T::trunc)?,
        _ => map1(&v, |a| a)?,
    })
}

fn float<T: Float>(op: UnaryOp, x: &Arg<'_>) -> Result<Array, KernelError> {
    use UnaryOp::*;
    let v = operand::<T>(op.name(), x, OutOfBounds::Error)?;
    wrap(match op {
        Exp => map1_slice(&v, T::EXP_SLICE)?,
        Log => map1_slice(&v, T::LOG_SLICE)?,
        Sin => map1_slice(&v, T::SIN_SLICE)?,
        Cos => map1_slice(&v, T::COS_SLICE)?,
        Expm1 => map1(&v, T::expm1)?,
        Exp2 => map1(&v, T::exp2)?,
        Log1p => map1(&v, T::log1p)?,
        Log2 => map1(&v, T::log2)?,
        Log10 => map1(&v, T::log10)?,
        Sqrt => map1(&v, T::sqrt)?,
        Cbrt => map1(&v, T::cbrt)?,
        Tan => map1(&v, T::tan)?,
        Arcsin => map1(&v, T::arcsin)?,
        Arccos => map1(&v, T::arccos)?,
        Arctan => map1(&v, T::arctan)?,
        Sinh => map1(&v, T::sinh)?,
        Cosh => map1(&v, T::cosh)?,
        Tanh => map1(&v, T::tanh)?,
        Arcsinh => map1(&v, T::arcsinh)?,
        Arccosh => map1(&v, T::arccosh)?,
        Arctanh => map1(&v, T::arctanh)?,
        Rint => map1(&v, T::rint)?,
        other => {
            return Err(KernelError::new(format!(
                "internal: {} is not a float function",
                other.name()
            )));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{ArrayD, IxDyn};

    fn run(op: UnaryOp, x: Value) -> Result<Array, KernelError> {
        match unary(op, &[x], &serde_json::Map::new())? {
            Value::Array(a) => Ok(a),
            other => panic!("expected an array, got {other:?}"),
        }
    }

    fn f64s(data: &[f64]) -> Value {
        Value::Array(Array::from(
            ArrayD::from_shape_vec(IxDyn(&[data.len()]), data.to_vec()).unwrap(),
        ))
    }

    fn i32s(data: &[i32]) -> Value {
        Value::Array(Array::from(
            ArrayD::from_shape_vec(IxDyn(&[data.len()]), data.to_vec()).unwrap(),
        ))
    }

    #[test]
    fn names_are_unique_and_complete() {
        assert_eq!(UnaryOp::ALL.len(), 35);
        let mut names: Vec<_> = UnaryOp::ALL.iter().map(|o| o.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 35);
    }

    #[test]
    fn float_functions_of_integers_give_float64() {
        let r = run(UnaryOp::Exp, i32s(&[0, 1])).unwrap();
        assert_eq!(r.dtype(), DType::Float64);
        let Array::F64(v) = r else { unreachable!() };
        assert_eq!(v[[0]], 1.0);
        assert!((v[[1]] - std::f64::consts::E).abs() < 1e-15);
        let r = run(UnaryOp::Sqrt, Value::Int(4)).unwrap();
        assert_eq!(r.dtype(), DType::Float64);
        assert_eq!(r.shape(), &[] as &[usize]);
    }

    #[test]
    fn arithmetic_keeps_integer_dtype_and_wraps() {
        let r = run(UnaryOp::Negative, i32s(&[i32::MIN, 3])).unwrap();
        assert_eq!(
            r,
            Array::from(ArrayD::from_shape_vec(IxDyn(&[2]), vec![i32::MIN, -3]).unwrap())
        );
        let r = run(UnaryOp::Floor, i32s(&[5])).unwrap();
        assert_eq!(r.dtype(), DType::Int32);
        let r = run(UnaryOp::Reciprocal, i32s(&[0, 1, 2, -1])).unwrap();
        assert_eq!(
            r,
            Array::from(ArrayD::from_shape_vec(IxDyn(&[4]), vec![i32::MIN, 1, 0, -1]).unwrap())
        );
    }

    #[test]
    fn negative_of_bool_is_an_error() {
        let err = run(UnaryOp::Negative, Value::Bool(true)).unwrap_err();
        assert_eq!(
            err.0,
            "negative: not supported for bool input (use logical_not)"
        );
        assert!(run(UnaryOp::Sign, Value::Bool(true)).is_err());
        let r = run(UnaryOp::Square, Value::Bool(true)).unwrap();
        assert_eq!(r.dtype(), DType::Int64);
    }

    #[test]
    fn predicates_and_logical_not() {
        let r = run(UnaryOp::Isnan, f64s(&[f64::NAN, 1.0])).unwrap();
        assert_eq!(
            r,
            Array::from(ArrayD::from_shape_vec(IxDyn(&[2]), vec![true, false]).unwrap())
        );
        let r = run(UnaryOp::Isfinite, i32s(&[1])).unwrap();
        assert_eq!(
            r,
            Array::from(ArrayD::from_shape_vec(IxDyn(&[1]), vec![true]).unwrap())
        );
        let r = run(UnaryOp::LogicalNot, f64s(&[0.0, f64::NAN])).unwrap();
        assert_eq!(
            r,
            Array::from(ArrayD::from_shape_vec(IxDyn(&[2]), vec![true, false]).unwrap())
        );
    }

    #[test]
    fn rint_rounds_half_to_even() {
        let r = run(UnaryOp::Rint, f64s(&[0.5, 1.5, 2.5, -2.5])).unwrap();
        assert_eq!(
            r,
            Array::from(ArrayD::from_shape_vec(IxDyn(&[4]), vec![0.0, 2.0, 2.0, -2.0]).unwrap())
        );
    }

    #[test]
    fn bad_arguments_are_errors() {
        let err = unary(UnaryOp::Exp, &[], &serde_json::Map::new()).unwrap_err();
        assert_eq!(err.0, "exp: expected 1 argument, got 0");
        let err = run(UnaryOp::Exp, Value::None).unwrap_err();
        assert_eq!(
            err.0,
            "exp: argument 0: expected an array or a number, got a None"
        );
    }

    #[test]
    fn transposed_input_gives_c_layout() {
        let a = ArrayD::from_shape_vec(IxDyn(&[2, 3]), (0..6).map(f64::from).collect()).unwrap();
        let t = Value::Array(Array::from(a.into_shared().reversed_axes()));
        let Array::F64(r) = run(UnaryOp::Exp, t).unwrap() else {
            panic!()
        };
        assert!(r.is_standard_layout());
        assert_eq!(r.shape(), &[3, 2]);
        assert!((r[[2, 1]] / 5f64.exp() - 1.0).abs() < 1e-15);
    }
}
