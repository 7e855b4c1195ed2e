//! NumPy's semantics on one element: integer arithmetic that wraps, floor
//! division and remainder with Python's signs, NaN rules of `maximum`/`fmax`,
//! and the float functions (with the vectorized slices of [`super::math`]).

use super::elem::Elem;
use super::math;

/// Arithmetic of the numeric element types (`i32`, `i64`, `f32`, `f64`).
pub(crate) trait Arith: Elem {
    /// `a + b` (integers wrap).
    fn add(a: Self, b: Self) -> Self;
    /// `a - b` (integers wrap).
    fn sub(a: Self, b: Self) -> Self;
    /// `a * b` (integers wrap).
    fn mul(a: Self, b: Self) -> Self;
    /// `a // b`: floor division; integer division by zero gives 0.
    fn floor_divide(a: Self, b: Self) -> Self;
    /// `a % b` with the sign of `b`; integer remainder by zero gives 0.
    fn remainder(a: Self, b: Self) -> Self;
    /// `a ** b`; for integers `b` must not be negative (the caller checks).
    fn power(a: Self, b: Self) -> Self;
    /// The larger, NaN if either is NaN.
    fn maximum(a: Self, b: Self) -> Self;
    /// The smaller, NaN if either is NaN.
    fn minimum(a: Self, b: Self) -> Self;
    /// The larger, ignoring a NaN.
    fn fmax(a: Self, b: Self) -> Self;
    /// The smaller, ignoring a NaN.
    fn fmin(a: Self, b: Self) -> Self;
    /// `-a` (integers wrap).
    fn negative(a: Self) -> Self;
    /// `|a|` (integers wrap: `abs(MIN) = MIN`).
    fn abs(a: Self) -> Self;
    /// -1, 0 or 1 (NaN for NaN).
    fn sign(a: Self) -> Self;
    /// `a * a`.
    fn square(a: Self) -> Self;
    /// `1 / a`; for integers truncating division, with `1 / 0` the minimum.
    fn reciprocal(a: Self) -> Self;
    /// Rounds down (identity on integers).
    fn floor(a: Self) -> Self;
    /// Rounds up (identity on integers).
    fn ceil(a: Self) -> Self;
    /// Rounds toward zero (identity on integers).
    fn trunc(a: Self) -> Self;
    /// True when `a < 0`.
    fn is_negative(a: Self) -> bool;
}

macro_rules! int_arith {
    ($t:ty) => {
        impl Arith for $t {
            fn add(a: $t, b: $t) -> $t {
                a.wrapping_add(b)
            }
            fn sub(a: $t, b: $t) -> $t {
                a.wrapping_sub(b)
            }
            fn mul(a: $t, b: $t) -> $t {
                a.wrapping_mul(b)
            }
            fn floor_divide(a: $t, b: $t) -> $t {
                if b == 0 {
                    return 0;
                }
                // MIN / -1 wraps to MIN, as NumPy.
                let q = a.wrapping_div(b);
                if a.wrapping_rem(b) != 0 && ((a < 0) != (b < 0)) {
                    q - 1
                } else {
                    q
                }
            }
            fn remainder(a: $t, b: $t) -> $t {
                if b == 0 {
                    return 0;
                }
                let r = a.wrapping_rem(b);
                if r != 0 && ((r < 0) != (b < 0)) {
                    r + b
                } else {
                    r
                }
            }
            fn power(a: $t, b: $t) -> $t {
                let (mut base, mut exp, mut acc): ($t, $t, $t) = (a, b, 1);
                while exp > 0 {
                    if exp & 1 == 1 {
                        acc = acc.wrapping_mul(base);
                    }
                    base = base.wrapping_mul(base);
                    exp >>= 1;
                }
                acc
            }
            fn maximum(a: $t, b: $t) -> $t {
                a.max(b)
            }
            fn minimum(a: $t, b: $t) -> $t {
                a.min(b)
            }
            fn fmax(a: $t, b: $t) -> $t {
                a.max(b)
            }
            fn fmin(a: $t, b: $t) -> $t {
                a.min(b)
            }
            fn negative(a: $t) -> $t {
                a.wrapping_neg()
            }
            fn abs(a: $t) -> $t {
                a.wrapping_abs()
            }
            fn sign(a: $t) -> $t {
                a.signum()
            }
            fn square(a: $t) -> $t {
                a.wrapping_mul(a)
            }
            fn reciprocal(a: $t) -> $t {
                if a == 0 { <$t>::MIN } else { 1 / a }
            }
            fn floor(a: $t) -> $t {
                a
            }
            fn ceil(a: $t) -> $t {
                a
            }
            fn trunc(a: $t) -> $t {
                a
            }
            fn is_negative(a: $t) -> bool {
                a < 0
            }
        }
    };
}
int_arith!(i32);
int_arith!(i64);

macro_rules! float_arith {
    ($t:ty, $divmod:ident) => {
        impl Arith for $t {
            fn add(a: $t, b: $t) -> $t {
                a + b
            }
            fn sub(a: $t, b: $t) -> $t {
                a - b
            }
            fn mul(a: $t, b: $t) -> $t {
                a * b
            }
            fn floor_divide(a: $t, b: $t) -> $t {
                $divmod(a, b).0
            }
            fn remainder(a: $t, b: $t) -> $t {
                $divmod(a, b).1
            }
            fn power(a: $t, b: $t) -> $t {
                a.powf(b)
            }
            fn maximum(a: $t, b: $t) -> $t {
                if a.is_nan() || a > b { a } else { b }
            }
            fn minimum(a: $t, b: $t) -> $t {
                if a.is_nan() || a < b { a } else { b }
            }
            fn fmax(a: $t, b: $t) -> $t {
                if b.is_nan() || a > b { a } else { b }
            }
            fn fmin(a: $t, b: $t) -> $t {
                if b.is_nan() || a < b { a } else { b }
            }
            fn negative(a: $t) -> $t {
                -a
            }
            fn abs(a: $t) -> $t {
                a.abs()
            }
            fn sign(a: $t) -> $t {
                if a > 0.0 {
                    1.0
                } else if a < 0.0 {
                    -1.0
                } else if a == 0.0 {
                    0.0
                } else {
                    a
                }
            }
            fn square(a: $t) -> $t {
                a * a
            }
            fn reciprocal(a: $t) -> $t {
                1.0 / a
            }
            fn floor(a: $t) -> $t {
                a.floor()
            }
            fn ceil(a: $t) -> $t {
                a.ceil()
            }
            fn trunc(a: $t) -> $t {
                a.trunc()
            }
            fn is_negative(a: $t) -> bool {
                a < 0.0
            }
        }
    };
}
float_arith!(f32, divmod_f32);
float_arith!(f64, divmod_f64);

macro_rules! divmod {
    ($name:ident, $t:ty) => {
        /// NumPy's `npy_divmod`: floor quotient and remainder with the sign of `b`;
        /// `a / b` (±inf or NaN) as quotient and NaN as remainder when `b` is zero.
        fn $name(a: $t, b: $t) -> ($t, $t) {
            let m = a % b;
            if b == 0.0 {
                return (a / b, m);
            }
            let mut div = (a - m) / b;
            let mut m = m;
            if m != 0.0 {
                if (b < 0.0) != (m < 0.0) {
                    m += b;
                    div -= 1.0;
                }
            } else {
                m = (0.0 as $t).copysign(b);
            }
            let q = if div != 0.0 {
                let f = div.floor();
                if div - f > 0.5 { f + 1.0 } else { f }
            } else {
                (0.0 as $t).copysign(a / b)
            };
            (q, m)
        }
    };
}
divmod!(divmod_f32, f32);
divmod!(divmod_f64, f64);

/// A slice function `dst[i] = f(src[i])`.
pub(crate) type SliceFn<T> = fn(&[T], &mut [T]);

/// The float functions of the unary and binary ops, for `f32` and `f64`.
pub(crate) trait Float: Arith {
    /// Vectorized `exp` over a slice.
    const EXP_SLICE: SliceFn<Self>;
    /// Vectorized `log` over a slice.
    const LOG_SLICE: SliceFn<Self>;
    /// Vectorized `sin` over a slice.
    const SIN_SLICE: SliceFn<Self>;
    /// Vectorized `cos` over a slice.
    const COS_SLICE: SliceFn<Self>;
    /// `e^a - 1`.
    fn expm1(a: Self) -> Self;
    /// `2^a`.
    fn exp2(a: Self) -> Self;
    /// `ln(1 + a)`.
    fn log1p(a: Self) -> Self;
    /// Base-2 logarithm.
    fn log2(a: Self) -> Self;
    /// Base-10 logarithm.
    fn log10(a: Self) -> Self;
    /// Square root.
    fn sqrt(a: Self) -> Self;
    /// Cube root.
    fn cbrt(a: Self) -> Self;
    /// Tangent.
    fn tan(a: Self) -> Self;
    /// Inverse sine.
    fn arcsin(a: Self) -> Self;
    /// Inverse cosine.
    fn arccos(a: Self) -> Self;
    /// Inverse tangent.
    fn arctan(a: Self) -> Self;
    /// Hyperbolic sine.
    fn sinh(a: Self) -> Self;
    /// Hyperbolic cosine.
    fn cosh(a: Self) -> Self;
    /// Hyperbolic tangent.
    fn tanh(a: Self) -> Self;
    /// Inverse hyperbolic sine.
    fn arcsinh(a: Self) -> Self;
    /// Inverse hyperbolic cosine.
    fn arccosh(a: Self) -> Self;
    /// Inverse hyperbolic tangent.
    fn arctanh(a: Self) -> Self;
    /// Rounds to the nearest integer, ties to even.
    fn rint(a: Self) -> Self;
    /// True division.
    fn divide(a: Self, b: Self) -> Self;
    /// `atan(a / b)` in the right quadrant.
    fn arctan2(a: Self, b: Self) -> Self;
    /// `sqrt(a² + b²)` without undue overflow.
    fn hypot(a: Self, b: Self) -> Self;
    /// True for NaN.
    fn isnan(a: Self) -> bool;
    /// True for ±inf.
    fn isinf(a: Self) -> bool;
    /// True for neither NaN nor ±inf.
    fn isfinite(a: Self) -> bool;
}

macro_rules! float_fns {
    ($t:ty, $exp:path, $log:path, $sin:path, $cos:path) => {
        impl Float for $t {
            const EXP_SLICE: SliceFn<$t> = $exp;
            const LOG_SLICE: SliceFn<$t> = $log;
            const SIN_SLICE: SliceFn<$t> = $sin;
            const COS_SLICE: SliceFn<$t> = $cos;
            fn expm1(a: $t) -> $t {
                a.exp_m1()
            }
            fn exp2(a: $t) -> $t {
                a.exp2()
            }
            fn log1p(a: $t) -> $t {
                a.ln_1p()
            }
            fn log2(a: $t) -> $t {
                a.log2()
            }
            fn log10(a: $t) -> $t {
                a.log10()
            }
            fn sqrt(a: $t) -> $t {
                a.sqrt()
            }
            fn cbrt(a: $t) -> $t {
                a.cbrt()
            }
            fn tan(a: $t) -> $t {
                a.tan()
            }
            fn arcsin(a: $t) -> $t {
                a.asin()
            }
            fn arccos(a: $t) -> $t {
                a.acos()
            }
            fn arctan(a: $t) -> $t {
                a.atan()
            }
            fn sinh(a: $t) -> $t {
                a.sinh()
            }
            fn cosh(a: $t) -> $t {
                a.cosh()
            }
            fn tanh(a: $t) -> $t {
                a.tanh()
            }
            fn arcsinh(a: $t) -> $t {
                a.asinh()
            }
            fn arccosh(a: $t) -> $t {
                a.acosh()
            }
            fn arctanh(a: $t) -> $t {
                a.atanh()
            }
            fn rint(a: $t) -> $t {
                a.round_ties_even()
            }
            fn divide(a: $t, b: $t) -> $t {
                a / b
            }
            fn arctan2(a: $t, b: $t) -> $t {
                a.atan2(b)
            }
            fn hypot(a: $t, b: $t) -> $t {
                a.hypot(b)
            }
            fn isnan(a: $t) -> bool {
                a.is_nan()
            }
            fn isinf(a: $t) -> bool {
                a.is_infinite()
            }
            fn isfinite(a: $t) -> bool {
                a.is_finite()
            }
        }
    };
}
float_fns!(
    f64,
    math::exp_f64_slice,
    math::log_f64_slice,
    math::sin_f64_slice,
    math::cos_f64_slice
);
float_fns!(
    f32,
    math::exp_f32_slice,
    math::log_f32_slice,
    math::sin_f32_slice,
    math::cos_f32_slice
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_floor_division_follows_python() {
        let cases = [
            (7, 2, 3, 1),
            (-7, 2, -4, 1),
            (7, -2, -4, -1),
            (-7, -2, 3, -1),
            (5, 0, 0, 0),
        ];
        for (a, b, q, r) in cases {
            assert_eq!(i64::floor_divide(a, b), q, "{a} // {b}");
            assert_eq!(i64::remainder(a, b), r, "{a} % {b}");
            assert_eq!(i32::floor_divide(a as i32, b as i32), q as i32);
        }
        assert_eq!(i64::floor_divide(i64::MIN, -1), i64::MIN);
        assert_eq!(i64::remainder(i64::MIN, -1), 0);
        assert_eq!(i32::floor_divide(i32::MIN, 1), i32::MIN);
    }

    #[test]
    fn float_divmod_follows_numpy() {
        assert_eq!(f64::floor_divide(-7.0, 2.0), -4.0);
        assert_eq!(f64::remainder(-7.0, 2.0), 1.0);
        assert_eq!(f64::floor_divide(5.0, 0.0), f64::INFINITY);
        assert_eq!(f64::floor_divide(-5.0, 0.0), f64::NEG_INFINITY);
        assert!(f64::floor_divide(0.0, 0.0).is_nan());
        assert!(f64::floor_divide(f64::INFINITY, 2.0).is_nan());
        assert_eq!(f64::floor_divide(1.0, f64::INFINITY), 0.0);
        assert!(f64::remainder(5.0, 0.0).is_nan());
        assert_eq!(f64::remainder(-1.0, f64::INFINITY), f64::INFINITY);
        assert_eq!(f64::remainder(1.0, f64::NEG_INFINITY), f64::NEG_INFINITY);
        assert_eq!(f64::remainder(-0.0, 3.0).to_bits(), 0.0f64.to_bits());
        assert_eq!(f32::remainder(7.0, -2.0), -1.0);
    }

    #[test]
    fn integer_power_wraps_and_reciprocal_truncates() {
        assert_eq!(i64::power(3, 50), 6_048_575_297_968_530_377);
        assert_eq!(i32::power(2, 31), i32::MIN);
        assert_eq!(i64::power(0, 0), 1);
        assert_eq!(i64::power(-2, 3), -8);
        assert_eq!(i64::reciprocal(0), i64::MIN);
        assert_eq!(i64::reciprocal(-1), -1);
        assert_eq!(i32::reciprocal(-2), 0);
        assert_eq!(<i32 as Arith>::abs(i32::MIN), i32::MIN);
        assert_eq!(i32::negative(i32::MIN), i32::MIN);
    }

    #[test]
    fn nan_rules_of_maximum_and_fmax() {
        assert!(<f64 as Arith>::maximum(f64::NAN, 1.0).is_nan());
        assert!(<f64 as Arith>::maximum(1.0, f64::NAN).is_nan());
        assert_eq!(f64::fmax(f64::NAN, 1.0), 1.0);
        assert_eq!(f64::fmax(1.0, f64::NAN), 1.0);
        assert!(f64::fmin(f64::NAN, f64::NAN).is_nan());
        assert!(<f32 as Arith>::minimum(2.0, f32::NAN).is_nan());
        // Signed zeros as NumPy on x86: the second operand wins a tie.
        assert_eq!(
            <f64 as Arith>::maximum(-0.0, 0.0).to_bits(),
            0.0f64.to_bits()
        );
        assert_eq!(
            <f64 as Arith>::maximum(0.0, -0.0).to_bits(),
            (-0.0f64).to_bits()
        );
    }

    #[test]
    fn sign_and_rint() {
        assert_eq!(f64::sign(-0.0).to_bits(), 0.0f64.to_bits());
        assert!(f64::sign(f64::NAN).is_nan());
        assert_eq!(f64::sign(f64::NEG_INFINITY), -1.0);
        assert_eq!(i32::sign(-5), -1);
        assert_eq!(f64::rint(2.5), 2.0);
        assert_eq!(f64::rint(-0.5).to_bits(), (-0.0f64).to_bits());
        assert_eq!(f32::rint(1.5), 2.0);
    }
}
