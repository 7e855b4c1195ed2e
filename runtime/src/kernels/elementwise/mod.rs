//! Elementwise kernels: the unary and binary ufuncs, `where`, `clip` and
//! `astype`, on arrays of every dtype and on Python scalars, with NumPy
//! broadcasting and NumPy 2 (NEP 50) result dtypes.
//!
//! Where NumPy answers with a dtype the graph format lacks, the nearest wider
//! one of the same kind is used: `float16` (float functions of booleans) becomes
//! `float64`, `int8` (`square`, `reciprocal`, `floor_divide`, `remainder`,
//! `power` of booleans) becomes `int64`. A call on Python scalars only gives a
//! 0-d array. Results are always fresh arrays in C layout. [`math`] holds the
//! vectorized `exp`/`log`/`sin`/`cos` slices, for reuse by fused kernels.

mod apply;
mod astype;
mod binary;
mod broadcast;
mod elem;
pub mod math;
mod promote;
mod scalar;
mod unary;
mod where_clip;

#[cfg(test)]
mod numpy_fixture;

use crate::kernels::KernelFn;
use crate::value::Value;
use binary::BinaryOp;
use unary::UnaryOp;

type Attrs = serde_json::Map<String, serde_json::Value>;

macro_rules! entries {
    ($kind:ident, $run:ident, $sig:literal: $($op:ident),* $(,)?) => {
        [$((
            $kind::$op.name(),
            $sig,
            (|args: &[Value], attrs: &Attrs| $run($kind::$op, args, attrs)) as KernelFn,
        )),*]
    };
}

/// Every elementwise kernel as `(op name, signature, kernel)`, under the op
/// names of the graph format.
pub fn kernels() -> Vec<(&'static str, &'static str, KernelFn)> {
    use binary::binary;
    use unary::unary;
    let mut all = Vec::with_capacity(UnaryOp::ALL.len() + BinaryOp::ALL.len() + 3);
    all.extend(entries!(UnaryOp, unary, "(x) -> array":
        Negative, Positive, Abs, Sign, Exp, Expm1, Exp2, Log, Log1p, Log2, Log10, Sqrt,
        Cbrt, Square, Reciprocal, Sin, Cos, Tan, Arcsin, Arccos, Arctan, Sinh, Cosh, Tanh,
        Arcsinh, Arccosh, Arctanh, Floor, Ceil, Trunc, Rint, Isnan, Isinf, Isfinite,
        LogicalNot,
    ));
    all.extend(entries!(BinaryOp, binary, "(x1, x2) -> array":
        Add, Subtract, Multiply, Divide, FloorDivide, Remainder, Power, Maximum, Minimum,
        Fmax, Fmin, Arctan2, Hypot, Equal, NotEqual, Less, LessEqual, Greater, GreaterEqual,
        LogicalAnd, LogicalOr, LogicalXor,
    ));
    all.push((
        "where",
        "(condition, x, y) -> array",
        where_clip::where_ as KernelFn,
    ));
    all.push(("clip", "(x, lo, hi) -> array", where_clip::clip as KernelFn));
    all.push(("astype", "(x; dtype) -> array", astype::astype as KernelFn));
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_op_of_the_contract_is_listed_once() {
        let names: Vec<&str> = kernels().iter().map(|(n, _, _)| *n).collect();
        let contract = "negative positive abs sign exp expm1 exp2 log log1p log2 log10 sqrt cbrt \
            square reciprocal sin cos tan arcsin arccos arctan sinh cosh tanh arcsinh arccosh \
            arctanh floor ceil trunc rint isnan isinf isfinite logical_not add subtract multiply \
            divide floor_divide remainder power maximum minimum fmax fmin arctan2 hypot equal \
            not_equal less less_equal greater greater_equal logical_and logical_or logical_xor \
            where clip astype";
        let expected: Vec<&str> = contract.split_whitespace().collect();
        assert_eq!(names, expected);
        assert_eq!(UnaryOp::ALL.len() + BinaryOp::ALL.len() + 3, names.len());
    }

    #[test]
    fn listed_kernels_run() {
        let attrs = Attrs::new();
        for (name, _, f) in kernels() {
            let args: Vec<Value> = match name {
                "where" | "clip" => vec![Value::Int(1); 3],
                "astype" => continue,
                _ if name.contains("logical_not") => vec![Value::Bool(true)],
                _ => {
                    let arity = if UnaryOp::ALL.iter().any(|o| o.name() == name) {
                        1
                    } else {
                        2
                    };
                    vec![Value::Float(0.5); arity]
                }
            };
            assert!(f(&args, &attrs).is_ok(), "{name}");
        }
    }
}
