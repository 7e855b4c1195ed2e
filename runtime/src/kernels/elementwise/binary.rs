//! The binary ufuncs (`add` .. `logical_xor`) with NumPy 2 promotion: arithmetic
//! in the promoted dtype, `divide`/`arctan2`/`hypot` in a float dtype,
//! comparisons and logical ops giving `bool`.

use tessera_ir::DType;

use super::apply::{Operand, zip2};
use super::elem::{Elem, with_elem};
use super::promote::{
    Arg, OutOfBounds, arg, check_arity, check_attrs, operand, result_dtype, weak_int_out_of_range,
};
use super::scalar::{Arith, Float};
use crate::kernels::KernelError;
use crate::value::{Array, Value};

macro_rules! binary_ops {
    ($($variant:ident => $name:literal),* $(,)?) => {
        /// A binary elementwise op of the graph format.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum BinaryOp {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )*
        }

        impl BinaryOp {
            /// Every binary op.
            pub(crate) const ALL: &[BinaryOp] = &[$(BinaryOp::$variant),*];

            /// The op's name in the graph format.
            pub(crate) fn name(self) -> &'static str {
                match self {
                    $(BinaryOp::$variant => $name,)*
                }
            }
        }
    };
}

binary_ops! {
    Add => "add", Subtract => "subtract", Multiply => "multiply", Divide => "divide",
    FloorDivide => "floor_divide", Remainder => "remainder", Power => "power",
    Maximum => "maximum", Minimum => "minimum", Fmax => "fmax", Fmin => "fmin",
    Arctan2 => "arctan2", Hypot => "hypot", Equal => "equal", NotEqual => "not_equal",
    Less => "less", LessEqual => "less_equal", Greater => "greater",
    GreaterEqual => "greater_equal", LogicalAnd => "logical_and",
    LogicalOr => "logical_or", LogicalXor => "logical_xor",
}

/// Runs binary `op` on `args` (two arrays or numbers; no attributes).
pub(crate) fn binary(
    op: BinaryOp,
    args: &[Value],
    attrs: &serde_json::Map<String, serde_json::Value>,
) -> Result<Value, KernelError> {
    use BinaryOp::*;
    let name = op.name();
    check_arity(name, args, 2)?;
    check_attrs(name, attrs, &[])?;
    let (a, b) = (arg(name, 0, &args[0])?, arg(name, 1, &args[1])?);
    let dtype = result_dtype(&[a, b]);
    let out = match op {
        Equal | NotEqual | Less | LessEqual | Greater | GreaterEqual => {
            // NumPy 2 compares int32 with a Python int beyond int32 exactly.
            let dtype = if weak_int_out_of_range(&[a, b], dtype) {
                DType::Int64
            } else {
                dtype
            };
            with_elem!(dtype, T => compare::<T>(op, &a, &b)?)
        }
        LogicalAnd | LogicalOr | LogicalXor => {
            let x = operand::<bool>(name, &a, OutOfBounds::Error)?;
            let y = operand::<bool>(name, &b, OutOfBounds::Error)?;
            let r = match op {
                LogicalAnd => zip2(name, &x, &y, |p, q| p & q)?,
                LogicalOr => zip2(name, &x, &y, |p, q| p | q)?,
                _ => zip2(name, &x, &y, |p, q| p ^ q)?,
            };
            Array::from(r)
        }
        Divide | Arctan2 | Hypot if dtype == DType::Float32 => float::<f32>(op, &a, &b)?,
        Divide | Arctan2 | Hypot => float::<f64>(op, &a, &b)?,
        _ => match dtype {
            DType::Bool => boolean(op, &a, &b)?,
            DType::Int32 => arith::<i32>(op, &a, &b)?,
            DType::Int64 => arith::<i64>(op, &a, &b)?,
            DType::Float32 => arith::<f32>(op, &a, &b)?,
            DType::Float64 => arith::<f64>(op, &a, &b)?,
        },
    };
    Ok(Value::Array(out))
}

fn pair<T: Elem>(
    op: BinaryOp,
    a: &Arg<'_>,
    b: &Arg<'_>,
) -> Result<(Operand<T>, Operand<T>), KernelError> {
    Ok((
        operand::<T>(op.name(), a, OutOfBounds::Error)?,
        operand::<T>(op.name(), b, OutOfBounds::Error)?,
    ))
}

fn compare<T: Elem>(op: BinaryOp, a: &Arg<'_>, b: &Arg<'_>) -> Result<Array, KernelError> {
    use BinaryOp::*;
    let (x, y) = pair::<T>(op, a, b)?;
    let name = op.name();
    let r = match op {
        Equal => zip2(name, &x, &y, |p, q| p == q)?,
        NotEqual => zip2(name, &x, &y, |p, q| p != q)?,
        Less => zip2(name, &x, &y, |p, q| p < q)?,
        LessEqual => zip2(name, &x, &y, |p, q| p <= q)?,
        Greater => zip2(name, &x, &y, |p, q| p > q)?,
        _ => zip2(name, &x, &y, |p, q| p >= q)?,
    };
    Ok(Array::from(r))
}

/// Arithmetic on booleans as NumPy: `add`/`maximum`/`fmax` are `or`,
/// `multiply`/`minimum`/`fmin` are `and`, `subtract` is an error, and
/// `floor_divide`/`remainder`/`power` compute in `int64` (NumPy's `int8`, which
/// the format lacks).
fn boolean(op: BinaryOp, a: &Arg<'_>, b: &Arg<'_>) -> Result<Array, KernelError> {
    use BinaryOp::*;
    let name = op.name();
    match op {
        Add | Maximum | Fmax | Multiply | Minimum | Fmin => {
            let (x, y) = pair::<bool>(op, a, b)?;
            let r = if matches!(op, Add | Maximum | Fmax) {
                zip2(name, &x, &y, |p, q| p | q)?
            } else {
                zip2(name, &x, &y, |p, q| p & q)?
            };
            Ok(Array::from(r))
        }
        FloorDivide | Remainder | Power => arith::<i64>(op, a, b),
        _ => Err(KernelError::new(format!(
            "{name}: not supported for bool operands{}",
            if op == Subtract {
                " (use logical_xor)"
            } else {
                ""
            }
        ))),
    }
}

fn arith<T: Arith>(op: BinaryOp, a: &Arg<'_>, b: &Arg<'_>) -> Result<Array, KernelError> {
    use BinaryOp::*;
    let (x, y) = pair::<T>(op, a, b)?;
    let name = op.name();
    if op == Power && !T::DTYPE.is_float() && has_negative(&y) {
        return Err(KernelError::new(
            "power: integers to negative integer powers are not allowed",
        ));
    }
    let r = match op {
        Add => zip2(name, &x, &y, T::add)?,
        Subtract => zip2(name, &x, &y, T::sub)?,
        Multiply => zip2(name, &x, &y, T::mul)?,
        FloorDivide => zip2(name, &x, &y, T::floor_divide)?,
        Remainder => zip2(name, &x, &y, T::remainder)?,
        Power => zip2(name, &x, &y, T::power)?,
        Maximum => zip2(name, &x, &y, T::maximum)?,
        Minimum => zip2(name, &x, &y, T::minimum)?,
        Fmax => zip2(name, &x, &y, T::fmax)?,
        Fmin => zip2(name, &x, &y, T::fmin)?,
        other => {
            return Err(KernelError::new(format!(
                "internal: {} is not an arithmetic op",
                other.name()
            )));
        }
    };
    Ok(T::wrap(r.into_shared()))
}

fn has_negative<T: Arith>(v: &Operand<T>) -> bool {
    match v {
        Operand::Scalar(s) => T::is_negative(*s),
        Operand::Array(a) => a.iter().any(|&s| T::is_negative(s)),
    }
}

fn float<T: Float>(op: BinaryOp, a: &Arg<'_>, b: &Arg<'_>) -> Result<Array, KernelError> {
    let (x, y) = pair::<T>(op, a, b)?;
    let name = op.name();
    let r = match op {
        BinaryOp::Divide => zip2(name, &x, &y, T::divide)?,
        BinaryOp::Arctan2 => zip2(name, &x, &y, T::arctan2)?,
        _ => zip2(name, &x, &y, T::hypot)?,
    };
    Ok(T::wrap(r.into_shared()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{ArrayD, IxDyn};

    fn run(op: BinaryOp, a: Value, b: Value) -> Result<Array, KernelError> {
        match binary(op, &[a, b], &serde_json::Map::new())? {
            Value::Array(x) => Ok(x),
            other => panic!("expected an array, got {other:?}"),
        }
    }

    fn arr<T: Elem>(shape: &[usize], data: Vec<T>) -> Value
    where
        Array: From<ArrayD<T>>,
    {
        Value::Array(Array::from(
            ArrayD::from_shape_vec(IxDyn(shape), data).unwrap(),
        ))
    }

    #[test]
    fn names_are_unique_and_complete() {
        assert_eq!(BinaryOp::ALL.len(), 22);
        let mut names: Vec<_> = BinaryOp::ALL.iter().map(|o| o.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 22);
    }

    #[test]
    fn weak_scalars_follow_nep50() {
        let x = arr(&[2], vec![1i32, 2]);
        assert_eq!(
            run(BinaryOp::Add, x.clone(), Value::Int(1))
                .unwrap()
                .dtype(),
            DType::Int32
        );
        assert_eq!(
            run(BinaryOp::Add, x.clone(), Value::Float(1.5))
                .unwrap()
                .dtype(),
            DType::Float64
        );
        assert_eq!(
            run(BinaryOp::Divide, x.clone(), Value::Int(2))
                .unwrap()
                .dtype(),
            DType::Float64
        );
        let f = arr(&[1], vec![1.5f32]);
        assert_eq!(
            run(BinaryOp::Power, f, Value::Int(2)).unwrap().dtype(),
            DType::Float32
        );
        let err = run(BinaryOp::Add, x.clone(), Value::Int(1 << 40)).unwrap_err();
        assert_eq!(
            err.0,
            "add: Python integer 1099511627776 out of bounds for int32"
        );
        let r = run(BinaryOp::Less, x, Value::Int(1 << 40)).unwrap();
        assert_eq!(
            r,
            Array::from(ArrayD::from_shape_vec(IxDyn(&[2]), vec![true, true]).unwrap())
        );
    }

    #[test]
    fn column_with_row_broadcasts() {
        let a = arr(&[3, 1], vec![0i64, 10, 20]);
        let b = arr(&[4], vec![1i64, 2, 3, 4]);
        let r = run(BinaryOp::Add, a, b).unwrap();
        assert_eq!(r.shape(), &[3, 4]);
        let Array::I64(r) = r else { panic!() };
        assert_eq!(r[[2, 3]], 24);
    }

    #[test]
    fn integer_division_by_zero_gives_zero() {
        let a = arr(&[3], vec![7i32, -7, i32::MIN]);
        let b = arr(&[3], vec![0i32, 2, -1]);
        let r = run(BinaryOp::FloorDivide, a.clone(), b.clone()).unwrap();
        assert_eq!(
            r,
            Array::from(ArrayD::from_shape_vec(IxDyn(&[3]), vec![0i32, -4, i32::MIN]).unwrap())
        );
        let r = run(BinaryOp::Remainder, a, b).unwrap();
        assert_eq!(
            r,
            Array::from(ArrayD::from_shape_vec(IxDyn(&[3]), vec![0i32, 1, 0]).unwrap())
        );
    }

    #[test]
    fn negative_integer_power_is_an_error() {
        let a = arr(&[2], vec![2i64, 3]);
        let err = run(BinaryOp::Power, a.clone(), arr(&[2], vec![1i64, -1])).unwrap_err();
        assert_eq!(
            err.0,
            "power: integers to negative integer powers are not allowed"
        );
        assert!(run(BinaryOp::Power, a.clone(), Value::Int(-1)).is_err());
        let r = run(BinaryOp::Power, a, Value::Float(-1.0)).unwrap();
        assert_eq!(r.dtype(), DType::Float64);
    }

    #[test]
    fn booleans() {
        let t = arr(&[2], vec![true, false]);
        let r = run(BinaryOp::Add, t.clone(), Value::Bool(true)).unwrap();
        assert_eq!(
            r,
            Array::from(ArrayD::from_shape_vec(IxDyn(&[2]), vec![true, true]).unwrap())
        );
        assert_eq!(
            run(BinaryOp::Add, t.clone(), Value::Int(1))
                .unwrap()
                .dtype(),
            DType::Int64
        );
        let err = run(BinaryOp::Subtract, t.clone(), t.clone()).unwrap_err();
        assert_eq!(
            err.0,
            "subtract: not supported for bool operands (use logical_xor)"
        );
        assert_eq!(
            run(BinaryOp::Power, t.clone(), t.clone()).unwrap().dtype(),
            DType::Int64
        );
        let r = run(BinaryOp::LogicalXor, t, Value::Float(0.5)).unwrap();
        assert_eq!(
            r,
            Array::from(ArrayD::from_shape_vec(IxDyn(&[2]), vec![false, true]).unwrap())
        );
    }

    #[test]
    fn nan_handling_of_maximum_and_fmax() {
        let a = arr(&[2], vec![f64::NAN, 1.0]);
        let b = arr(&[2], vec![1.0, f64::NAN]);
        let Array::F64(m) = run(BinaryOp::Maximum, a.clone(), b.clone()).unwrap() else {
            panic!()
        };
        assert!(m.iter().all(|v| v.is_nan()));
        let Array::F64(m) = run(BinaryOp::Fmax, a, b).unwrap() else {
            panic!()
        };
        assert!(m.iter().all(|&v| v == 1.0));
    }

    #[test]
    fn scalars_and_empty_arrays() {
        let r = run(BinaryOp::Add, Value::Int(1), Value::Float(2.5)).unwrap();
        assert_eq!(r.dtype(), DType::Float64);
        assert_eq!(r.shape(), &[] as &[usize]);
        let e = arr::<f32>(&[0, 3], vec![]);
        let r = run(BinaryOp::Multiply, e, arr(&[3], vec![1i32, 2, 3])).unwrap();
        assert_eq!(r.shape(), &[0, 3]);
        assert_eq!(r.dtype(), DType::Float64);
        let err = run(
            BinaryOp::Add,
            arr(&[3], vec![1i32; 3]),
            arr(&[4], vec![1i32; 4]),
        )
        .unwrap_err();
        assert!(
            err.0
                .starts_with("add: shapes [3], [4] cannot be broadcast"),
            "{}",
            err.0
        );
    }
}
