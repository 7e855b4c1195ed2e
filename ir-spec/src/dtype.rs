//! Element types of arrays and NumPy 2 (NEP 50) type promotion.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The element type of an array, as named in the graph format.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum DType {
    /// `bool`
    Bool,
    /// `int32`
    Int32,
    /// `int64`
    Int64,
    /// `float32`
    Float32,
    /// `float64`
    Float64,
}

/// The kind of a weak (Python) scalar literal, for NEP 50 promotion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScalarKind {
    /// A Python `bool`.
    Bool,
    /// A Python `int`.
    Int,
    /// A Python `float`.
    Float,
}

impl DType {
    /// Every dtype, in promotion order.
    pub const ALL: [DType; 5] = [
        DType::Bool,
        DType::Int32,
        DType::Int64,
        DType::Float32,
        DType::Float64,
    ];

    /// The name used in the graph format (`"float64"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::Int32 => "int32",
            DType::Int64 => "int64",
            DType::Float32 => "float32",
            DType::Float64 => "float64",
        }
    }

    /// Parses a graph-format dtype name.
    pub fn from_name(name: &str) -> Option<DType> {
        DType::ALL.into_iter().find(|d| d.name() == name)
    }

    /// Size of one element in bytes.
    pub fn size_bytes(self) -> usize {
        match self {
            DType::Bool => 1,
            DType::Int32 | DType::Float32 => 4,
            DType::Int64 | DType::Float64 => 8,
        }
    }

    /// True for `float32` and `float64`.
    pub fn is_float(self) -> bool {
        matches!(self, DType::Float32 | DType::Float64)
    }

    /// True for `int32` and `int64`.
    pub fn is_integer(self) -> bool {
        matches!(self, DType::Int32 | DType::Int64)
    }

    /// NumPy 2 promotion of two array dtypes (`np.result_type(a, b)`).
    pub fn promote(self, other: DType) -> DType {
        use DType::*;
        match (self, other) {
            (a, b) if a == b => a,
            (Bool, x) | (x, Bool) => x,
            (Int32, Int64) | (Int64, Int32) => Int64,
            (Float32, Float64) | (Float64, Float32) => Float64,
            // int32 + float32 -> float64 (float32 cannot hold every int32), as NumPy.
            (Int32 | Int64, Float32) | (Float32, Int32 | Int64) => Float64,
            (Int32 | Int64, Float64) | (Float64, Int32 | Int64) => Float64,
            _ => unreachable!("all pairs covered"),
        }
    }

    /// NEP 50 promotion of an array dtype with a weak Python scalar.
    ///
    /// A weak scalar never widens the array's dtype within its kind: `int32 + 1`
    /// stays `int32`, `float32 + 1.0` stays `float32`; only a change of kind
    /// promotes (`int32 + 1.5` is `float64`, `bool + 1` is `int64`).
    pub fn promote_weak(self, scalar: ScalarKind) -> DType {
        match (self, scalar) {
            (d, ScalarKind::Bool) => d,
            (DType::Bool, ScalarKind::Int) => DType::Int64,
            (d, ScalarKind::Int) => d,
            (d, ScalarKind::Float) if d.is_float() => d,
            (_, ScalarKind::Float) => DType::Float64,
        }
    }

    /// The default dtype NumPy gives a lone Python scalar of this kind.
    pub fn of_scalar(scalar: ScalarKind) -> DType {
        match scalar {
            ScalarKind::Bool => DType::Bool,
            ScalarKind::Int => DType::Int64,
            ScalarKind::Float => DType::Float64,
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for d in DType::ALL {
            assert_eq!(DType::from_name(d.name()), Some(d));
        }
        assert_eq!(DType::from_name("float16"), None);
    }

    #[test]
    fn promotion_follows_numpy() {
        assert_eq!(DType::Int32.promote(DType::Float32), DType::Float64);
        assert_eq!(DType::Bool.promote(DType::Int32), DType::Int32);
        assert_eq!(DType::Int64.promote(DType::Int32), DType::Int64);
        assert_eq!(DType::Float32.promote(DType::Float64), DType::Float64);
    }

    #[test]
    fn weak_scalars_keep_the_array_dtype() {
        assert_eq!(DType::Int32.promote_weak(ScalarKind::Int), DType::Int32);
        assert_eq!(
            DType::Float32.promote_weak(ScalarKind::Float),
            DType::Float32
        );
        assert_eq!(DType::Int32.promote_weak(ScalarKind::Float), DType::Float64);
        assert_eq!(DType::Bool.promote_weak(ScalarKind::Int), DType::Int64);
        assert_eq!(DType::Bool.promote_weak(ScalarKind::Bool), DType::Bool);
    }
}
