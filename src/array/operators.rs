//! `std::ops` for arrays: `+ - * / %` between `Array` / `&Array` and arrays or
//! `f64` / `i64` weak scalars (either side), and unary `-`. Like ndarray's
//! operators they panic, with the error's message, on a shape or dtype error; the
//! `try_*` methods return the error instead.

use std::ops::{Add, Div, Mul, Neg, Rem, Sub};

use super::Array;
use super::elementwise::binary;

fn or_panic(r: Result<Array, super::ArrayError>) -> Array {
    r.unwrap_or_else(|e| panic!("{e}"))
}

macro_rules! operator {
    ($trait:ident $method:ident $op:literal) => {
        operator!(@pair $trait $method $op, Array, Array);
        operator!(@pair $trait $method $op, Array, &Array);
        operator!(@pair $trait $method $op, &Array, Array);
        operator!(@pair $trait $method $op, &Array, &Array);
        operator!(@pair $trait $method $op, Array, f64);
        operator!(@pair $trait $method $op, &Array, f64);
        operator!(@pair $trait $method $op, Array, i64);
        operator!(@pair $trait $method $op, &Array, i64);
        operator!(@pair $trait $method $op, f64, Array);
        operator!(@pair $trait $method $op, f64, &Array);
        operator!(@pair $trait $method $op, i64, Array);
        operator!(@pair $trait $method $op, i64, &Array);
    };
    (@pair $trait:ident $method:ident $op:literal, $lhs:ty, $rhs:ty) => {
        impl $trait<$rhs> for $lhs {
            type Output = Array;
            /// Panics with the error's message when the operands do not combine.
            fn $method(self, rhs: $rhs) -> Array {
                or_panic(binary($op, self, rhs))
            }
        }
    };
}

operator!(Add add "add");
operator!(Sub sub "subtract");
operator!(Mul mul "multiply");
operator!(Div div "divide");
operator!(Rem rem "remainder");

impl Neg for Array {
    type Output = Array;
    /// Panics with the error's message when the op refuses the dtype.
    fn neg(self) -> Array {
        or_panic(self.negative())
    }
}

impl Neg for &Array {
    type Output = Array;
    /// Panics with the error's message when the op refuses the dtype.
    fn neg(self) -> Array {
        or_panic(self.negative())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_ir::DType;

    #[test]
    fn operators_build_the_ops() {
        let a = Array::ones(&[3, 2], DType::Int32, 2).unwrap();
        let b = &a + &a;
        assert_eq!((b.op(), b.dtype()), ("add", DType::Int32));
        assert_eq!((&a * 2.0).dtype(), DType::Float64);
        assert_eq!((2i64 - &a).op(), "subtract");
        assert_eq!((a.clone() / 2i64).dtype(), DType::Float64);
        assert_eq!((a.clone() % a.clone()).op(), "remainder");
        assert_eq!((-&a).op(), "negative");
        assert_eq!((-(a + 1.5)).dtype(), DType::Float64);
    }

    #[test]
    #[should_panic(expected = "cannot build add")]
    fn shape_errors_panic_with_the_message() {
        let a = Array::ones(&[3], DType::Float64, 3).unwrap();
        let b = Array::ones(&[4], DType::Float64, 4).unwrap();
        let _ = &a + &b;
    }
}
