//! Elementwise ops as methods: every unary and binary op of the catalogue under
//! its NumPy name, comparisons (`lt`, `le`, `gt`, `ge`, `eq_`, `ne_`), `where_`,
//! `clip` and `astype`. Operands broadcast as NumPy's; scalars are weak (NEP 50).

use serde_json::{Map, json};
use tessera_ir::DType;

use super::args::IntoOperand;
use super::error::ArrayError;
use super::{Array, obj};

/// `op(lhs, rhs)` for any two operands (at least one should be an array).
pub(crate) fn binary(
    op: &str,
    lhs: impl IntoOperand,
    rhs: impl IntoOperand,
) -> Result<Array, ArrayError> {
    Array::apply(
        op,
        vec![lhs.into_operand().0, rhs.into_operand().0],
        Map::new(),
    )
}

/// `numpy.where(condition, x, y)`: `x` where `condition` is true, else `y`.
pub fn where_(
    condition: impl IntoOperand,
    x: impl IntoOperand,
    y: impl IntoOperand,
) -> Result<Array, ArrayError> {
    Array::apply(
        "where",
        vec![
            condition.into_operand().0,
            x.into_operand().0,
            y.into_operand().0,
        ],
        Map::new(),
    )
}

macro_rules! unary {
    ($($name:ident $doc:literal;)*) => {
        impl Array {
            $(
                #[doc = $doc]
                pub fn $name(&self) -> Result<Array, ArrayError> {
                    self.unary(stringify!($name), Map::new())
                }
            )*
        }
    };
}

unary! {
    negative "Numerical negative, `-x`.";
    positive "Numerical positive, `+x`.";
    abs "Absolute value.";
    sign "Sign: -1, 0 or 1 (nan for nan).";
    exp "`e ** x`.";
    expm1 "`exp(x) - 1`, accurate near 0.";
    exp2 "`2 ** x`.";
    log "Natural logarithm.";
    log1p "`log(1 + x)`, accurate near 0.";
    log2 "Base-2 logarithm.";
    log10 "Base-10 logarithm.";
    sqrt "Square root.";
    cbrt "Cube root.";
    square "`x * x`.";
    reciprocal "`1 / x`.";
    sin "Sine.";
    cos "Cosine.";
    tan "Tangent.";
    arcsin "Inverse sine.";
    arccos "Inverse cosine.";
    arctan "Inverse tangent.";
    sinh "Hyperbolic sine.";
    cosh "Hyperbolic cosine.";
    tanh "Hyperbolic tangent.";
    arcsinh "Inverse hyperbolic sine.";
    arccosh "Inverse hyperbolic cosine.";
    arctanh "Inverse hyperbolic tangent.";
    floor "Largest integer not greater than x.";
    ceil "Smallest integer not less than x.";
    trunc "x rounded towards zero.";
    rint "x rounded to the nearest integer (ties to even).";
    isnan "True where x is nan.";
    isinf "True where x is infinite.";
    isfinite "True where x is finite.";
    logical_not "Logical NOT of the truth value.";
}

macro_rules! binary {
    ($($name:ident $op:literal $doc:literal;)*) => {
        impl Array {
            $(
                #[doc = $doc]
                pub fn $name(&self, other: impl IntoOperand) -> Result<Array, ArrayError> {
                    binary($op, self, other)
                }
            )*
        }
    };
}

binary! {
    subtract "subtract" "`self - other`.";
    multiply "multiply" "`self * other`.";
    divide "divide" "True division `self / other` (float64 for integers).";
    floor_divide "floor_divide" "Floor division `self // other`.";
    remainder "remainder" "Remainder with the sign of `other` (Python's `%`).";
    power "power" "`self ** other`.";
    maximum "maximum" "Elementwise maximum (nan propagates).";
    minimum "minimum" "Elementwise minimum (nan propagates).";
    fmax "fmax" "Elementwise maximum (nan ignored).";
    fmin "fmin" "Elementwise minimum (nan ignored).";
    arctan2 "arctan2" "Angle of the point `(other, self)`.";
    hypot "hypot" "`sqrt(self**2 + other**2)`.";
    equal "equal" "`self == other`, elementwise.";
    not_equal "not_equal" "`self != other`, elementwise.";
    less "less" "`self < other`, elementwise.";
    less_equal "less_equal" "`self <= other`, elementwise.";
    greater "greater" "`self > other`, elementwise.";
    greater_equal "greater_equal" "`self >= other`, elementwise.";
    logical_and "logical_and" "Logical AND of the truth values.";
    logical_or "logical_or" "Logical OR of the truth values.";
    logical_xor "logical_xor" "Logical XOR of the truth values.";
    try_add "add" "`self + other`; what `+` does, returning the error instead of panicking.";
    try_sub "subtract" "`self - other`; what `-` does, returning the error instead of panicking.";
    try_mul "multiply" "`self * other`; what `*` does, returning the error instead of panicking.";
    try_div "divide" "`self / other`; what `/` does, returning the error instead of panicking.";
    try_rem "remainder" "`self % other`; what `%` does, returning the error instead of panicking.";
    lt "less" "`self < other`, elementwise (`numpy.less`).";
    le "less_equal" "`self <= other`, elementwise (`numpy.less_equal`).";
    gt "greater" "`self > other`, elementwise (`numpy.greater`).";
    ge "greater_equal" "`self >= other`, elementwise (`numpy.greater_equal`).";
    eq_ "equal" "`self == other`, elementwise (`numpy.equal`).";
    ne_ "not_equal" "`self != other`, elementwise (`numpy.not_equal`).";
}

impl Array {
    /// `self + other` (`numpy.add`).
    #[allow(clippy::should_implement_trait)]
    pub fn add(&self, other: impl IntoOperand) -> Result<Array, ArrayError> {
        binary("add", self, other)
    }

    /// `-self`; what unary `-` does, returning the error instead of panicking.
    pub fn try_neg(&self) -> Result<Array, ArrayError> {
        self.negative()
    }

    /// `self` limited to `[lo, hi]`; either bound may be `None::<f64>` for none.
    pub fn clip(&self, lo: impl IntoOperand, hi: impl IntoOperand) -> Result<Array, ArrayError> {
        Array::apply(
            "clip",
            vec![self.operand(), lo.into_operand().0, hi.into_operand().0],
            Map::new(),
        )
    }

    /// `self` cast to `dtype` (unsafe casting, as NumPy's `astype`).
    pub fn astype(&self, dtype: DType) -> Result<Array, ArrayError> {
        self.unary("astype", obj(json!({"dtype": dtype.name()})))
    }

    /// `x` where `self` is true, else `y` (`numpy.where(self, x, y)`).
    pub fn where_(&self, x: impl IntoOperand, y: impl IntoOperand) -> Result<Array, ArrayError> {
        where_(self, x, y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f32s() -> Array {
        Array::ones(&[4, 3], DType::Float32, 2).unwrap()
    }

    #[test]
    fn dtypes_follow_numpy_2() {
        let a = f32s();
        // Weak scalars do not widen: float32 * 2.0 stays float32.
        assert_eq!(a.multiply(2.0).unwrap().dtype(), DType::Float32);
        let i = Array::ones(&[3], DType::Int32, 3).unwrap();
        assert_eq!(i.divide(2).unwrap().dtype(), DType::Float64);
        assert_eq!(i.try_add(1.5).unwrap().dtype(), DType::Float64);
        assert_eq!(i.lt(2).unwrap().dtype(), DType::Bool);
        assert_eq!(a.exp().unwrap().dtype(), DType::Float32);
        assert_eq!(a.isnan().unwrap().dtype(), DType::Bool);
        assert_eq!(i.astype(DType::Float32).unwrap().dtype(), DType::Float32);
        let w = where_(i.gt(0).unwrap(), &a, 0.0).unwrap();
        assert_eq!((w.shape(), w.dtype()), (&[4usize, 3][..], DType::Float32));
    }

    #[test]
    fn broadcasting_and_its_errors() {
        let a = f32s();
        let row = Array::ones(&[3], DType::Float64, 3).unwrap();
        let b = a.add(&row).unwrap();
        assert_eq!((b.shape(), b.dtype()), (&[4usize, 3][..], DType::Float64));
        let col = Array::ones(&[4], DType::Float64, 4).unwrap();
        let e = a.try_add(&col).unwrap_err();
        assert!(e.to_string().starts_with("cannot build add"), "{e}");
        assert!(e.to_string().contains("broadcast"), "{e}");
    }

    #[test]
    fn clip_takes_missing_bounds() {
        let a = f32s();
        let c = a.clip(0.0, None::<f64>).unwrap();
        assert_eq!(c.dtype(), DType::Float32);
        assert_eq!(c.op(), "clip");
    }
}
