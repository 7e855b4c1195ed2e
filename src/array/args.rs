//! Argument types of the `Array` API: axes, chunkings, operands (arrays or weak
//! scalars), `map_overlap` boundaries and `tensordot` axes, each turned into the
//! graph format's JSON.

use serde_json::{Number, Value as Json, json};
use tessera_ir::ScalarKind;
use tessera_ir::chunks::{AxisChunks, ChunkSpec};

use super::Array;
use super::expr::Operand;

/// The `axis` of a reduction: all axes, one, or several (negative counts from the
/// end). Converts from integers, `None`, arrays and vectors of integers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Axis {
    /// Every axis (`axis=None`).
    #[default]
    All,
    /// One axis.
    One(i64),
    /// Several axes.
    Many(Vec<i64>),
}

impl Axis {
    /// The JSON form: `null`, an integer or a list.
    pub(crate) fn to_json(&self) -> Json {
        match self {
            Axis::All => Json::Null,
            Axis::One(a) => json!(a),
            Axis::Many(v) => json!(v),
        }
    }
}

macro_rules! axis_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Axis {
            fn from(a: $t) -> Axis {
                Axis::One(a as i64)
            }
        }
        impl<const N: usize> From<[$t; N]> for Axis {
            fn from(a: [$t; N]) -> Axis {
                Axis::Many(a.iter().map(|&x| x as i64).collect())
            }
        }
        impl From<Vec<$t>> for Axis {
            fn from(a: Vec<$t>) -> Axis {
                Axis::Many(a.into_iter().map(|x| x as i64).collect())
            }
        }
        impl From<&[$t]> for Axis {
            fn from(a: &[$t]) -> Axis {
                Axis::Many(a.iter().map(|&x| x as i64).collect())
            }
        }
    )*};
}
axis_from_int!(i32, i64, usize);

impl<T: Into<Axis>> From<Option<T>> for Axis {
    fn from(a: Option<T>) -> Axis {
        a.map_or(Axis::All, Into::into)
    }
}

/// How an array is split into blocks: one size for every axis, one per axis,
/// explicit block sizes, one block, `"auto"`, or any [`ChunkSpec`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chunking {
    /// About 128 MiB blocks (Dask's `"auto"`).
    Auto,
    /// One block over each axis.
    Whole,
    /// Blocks of this size along every axis.
    Size(usize),
    /// Blocks of the given size along each axis.
    PerAxis(Vec<usize>),
    /// Explicit block sizes per axis (`[[50, 50], [30, 70]]`).
    Explicit(Vec<Vec<usize>>),
    /// A parsed chunk spec of the IR.
    Spec(ChunkSpec),
}

impl Chunking {
    /// The graph format's JSON form.
    pub(crate) fn to_json(&self) -> Json {
        match self {
            Chunking::Auto => json!("auto"),
            Chunking::Whole => json!(-1),
            Chunking::Size(n) => json!(n),
            Chunking::PerAxis(v) => json!(v),
            Chunking::Explicit(v) => json!(v),
            Chunking::Spec(ChunkSpec::All(c)) => axis_json(c),
            Chunking::Spec(ChunkSpec::PerAxis(items)) => {
                Json::Array(items.iter().map(axis_json).collect())
            }
        }
    }
}

fn axis_json(c: &AxisChunks) -> Json {
    match c {
        AxisChunks::Size(n) => json!(n),
        AxisChunks::Whole => json!(-1),
        AxisChunks::Sizes(v) => json!(v),
        AxisChunks::Auto => json!("auto"),
    }
}

impl From<usize> for Chunking {
    fn from(n: usize) -> Chunking {
        Chunking::Size(n)
    }
}

impl<const N: usize> From<[usize; N]> for Chunking {
    fn from(v: [usize; N]) -> Chunking {
        Chunking::PerAxis(v.to_vec())
    }
}

impl From<&[usize]> for Chunking {
    fn from(v: &[usize]) -> Chunking {
        Chunking::PerAxis(v.to_vec())
    }
}

impl From<Vec<usize>> for Chunking {
    fn from(v: Vec<usize>) -> Chunking {
        Chunking::PerAxis(v)
    }
}

impl From<Vec<Vec<usize>>> for Chunking {
    fn from(v: Vec<Vec<usize>>) -> Chunking {
        Chunking::Explicit(v)
    }
}

impl From<ChunkSpec> for Chunking {
    fn from(s: ChunkSpec) -> Chunking {
        Chunking::Spec(s)
    }
}

impl From<&str> for Chunking {
    /// `"auto"` is [`Chunking::Auto`]; any other text is kept as a spec that the
    /// op will refuse with the graph format's message.
    fn from(s: &str) -> Chunking {
        match s {
            "auto" => Chunking::Auto,
            _ => Chunking::Spec(ChunkSpec::PerAxis(Vec::new())),
        }
    }
}

/// A Rust scalar that is a weak (Python-style) scalar in the graph format:
/// `f64`/`f32` are Python floats, integers Python ints, `bool` Python bools.
pub trait Scalar: Copy {
    /// Its kind and JSON number (booleans are `0`/`1` with kind `Bool`); `None`
    /// for a non-finite float, which JSON cannot write.
    fn weak(self) -> Option<(ScalarKind, Number)>;
    /// Its JSON value (`true`/`false` for booleans; `null` for a non-finite
    /// float, which the ops then refuse).
    fn to_json(self) -> Json;
    /// The value as `f64` (for non-finite floats, held as 0-d arrays instead).
    fn to_f64(self) -> f64;
}

impl Scalar for f64 {
    fn weak(self) -> Option<(ScalarKind, Number)> {
        Number::from_f64(self).map(|n| (ScalarKind::Float, n))
    }
    fn to_json(self) -> Json {
        Number::from_f64(self).map_or(Json::Null, Json::Number)
    }
    fn to_f64(self) -> f64 {
        self
    }
}

impl Scalar for f32 {
    fn weak(self) -> Option<(ScalarKind, Number)> {
        f64::from(self).weak()
    }
    fn to_json(self) -> Json {
        f64::from(self).to_json()
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
}

macro_rules! int_scalar {
    ($($t:ty),*) => {$(
        impl Scalar for $t {
            fn weak(self) -> Option<(ScalarKind, Number)> {
                Some((ScalarKind::Int, Number::from(self)))
            }
            fn to_json(self) -> Json {
                Json::Number(Number::from(self))
            }
            fn to_f64(self) -> f64 {
                self as f64
            }
        }
    )*};
}
int_scalar!(i64, i32, usize, u32);

impl Scalar for bool {
    fn weak(self) -> Option<(ScalarKind, Number)> {
        Some((ScalarKind::Bool, Number::from(u8::from(self))))
    }
    fn to_json(self) -> Json {
        Json::Bool(self)
    }
    fn to_f64(self) -> f64 {
        f64::from(u8::from(self))
    }
}

/// Something that can be an operand of an elementwise op: an [`Array`] (owned or
/// borrowed), a weak scalar, or `None` (a missing `clip` bound).
pub trait IntoOperand {
    /// The operand.
    #[doc(hidden)]
    fn into_operand(self) -> OperandArg;
}

/// An operand, opaque to users (see [`IntoOperand`]).
#[doc(hidden)]
pub struct OperandArg(pub(crate) Operand);

impl OperandArg {
    /// A list operand whose elements are evaluated (`concatenate`'s arrays).
    pub fn list(items: Vec<OperandArg>) -> OperandArg {
        OperandArg(Operand::List(items.into_iter().map(|a| a.0).collect()))
    }

    /// A JSON literal taken as is (`null` for a missing `clip` bound).
    pub fn literal(value: Json) -> OperandArg {
        OperandArg(Operand::Literal(value))
    }
}

impl IntoOperand for Array {
    fn into_operand(self) -> OperandArg {
        OperandArg(Operand::Node(self.node))
    }
}

impl IntoOperand for &Array {
    fn into_operand(self) -> OperandArg {
        OperandArg(Operand::Node(self.node.clone()))
    }
}

impl<S: Scalar> IntoOperand for S {
    /// A weak scalar; a non-finite float (which JSON cannot write) becomes a
    /// 0-d `float64` array held in memory, which is not weak (NumPy 2 promotes
    /// `float32` with it to `float64`).
    fn into_operand(self) -> OperandArg {
        if let Some((kind, n)) = self.weak() {
            return OperandArg(Operand::Scalar(kind, n));
        }
        let zero_d = ndarray::arr0(self.to_f64()).into_dyn();
        match Array::from_ndarray(zero_d, Chunking::Whole) {
            Ok(a) => OperandArg(Operand::Node(a.node)),
            // A 0-d input always builds; should it not, the op refuses `null`.
            Err(_) => OperandArg(Operand::Literal(Json::Null)),
        }
    }
}

impl<T: IntoOperand> IntoOperand for Option<T> {
    fn into_operand(self) -> OperandArg {
        match self {
            Some(x) => x.into_operand(),
            None => OperandArg(Operand::Literal(Json::Null)),
        }
    }
}

/// What `map_overlap` puts beyond the edges of the array.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Boundary {
    /// Mirror the array (`scipy.ndimage` mode `"reflect"`).
    Reflect,
    /// Wrap around (`"wrap"`).
    Periodic,
    /// Repeat the edge value (`"nearest"`).
    Nearest,
    /// No ghost cells at the edges.
    None,
    /// A constant (`mode="constant", cval=c`).
    Constant(f64),
}

impl Boundary {
    /// The graph format's JSON form.
    pub(crate) fn to_json(self) -> Json {
        match self {
            Boundary::Reflect => json!("reflect"),
            Boundary::Periodic => json!("periodic"),
            Boundary::Nearest => json!("nearest"),
            Boundary::None => json!("none"),
            Boundary::Constant(c) => c.to_json(),
        }
    }
}

/// The boundary of every axis of a `map_overlap`: one for all axes (any
/// [`Boundary`] converts), or one per axis (a `Vec` or an array of them).
#[derive(Debug, Clone, PartialEq)]
pub enum Boundaries {
    /// The same boundary on every axis.
    All(Boundary),
    /// Boundary `i` on axis `i`.
    PerAxis(Vec<Boundary>),
}

impl Boundaries {
    /// The graph format's JSON form: a mode, or an object from axis to mode.
    pub(crate) fn to_json(&self) -> Json {
        match self {
            Boundaries::All(b) => b.to_json(),
            Boundaries::PerAxis(v) => Json::Object(
                v.iter()
                    .enumerate()
                    .map(|(axis, b)| (axis.to_string(), b.to_json()))
                    .collect(),
            ),
        }
    }

    /// The boundary of `axis` (`None` past the listed axes).
    pub(crate) fn of(&self, axis: usize) -> Boundary {
        match self {
            Boundaries::All(b) => *b,
            Boundaries::PerAxis(v) => v.get(axis).copied().unwrap_or(Boundary::None),
        }
    }
}

impl From<Boundary> for Boundaries {
    fn from(b: Boundary) -> Boundaries {
        Boundaries::All(b)
    }
}

impl From<Vec<Boundary>> for Boundaries {
    fn from(v: Vec<Boundary>) -> Boundaries {
        Boundaries::PerAxis(v)
    }
}

impl<const N: usize> From<[Boundary; N]> for Boundaries {
    fn from(v: [Boundary; N]) -> Boundaries {
        Boundaries::PerAxis(v.to_vec())
    }
}

/// The `axes` of `tensordot`: how many trailing axes of `a` meet as many leading
/// axes of `b`, or two explicit lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TensorAxes {
    /// The last `n` axes of `a` with the first `n` of `b`.
    Count(usize),
    /// Axes of `a` and of `b`, paired in order.
    Pairs(Vec<i64>, Vec<i64>),
}

impl TensorAxes {
    /// The graph format's JSON form.
    pub(crate) fn to_json(&self) -> Json {
        match self {
            TensorAxes::Count(n) => json!(n),
            TensorAxes::Pairs(a, b) => json!([a, b]),
        }
    }
}

impl From<usize> for TensorAxes {
    fn from(n: usize) -> TensorAxes {
        TensorAxes::Count(n)
    }
}

impl<const N: usize> From<([i64; N], [i64; N])> for TensorAxes {
    fn from((a, b): ([i64; N], [i64; N])) -> TensorAxes {
        TensorAxes::Pairs(a.to_vec(), b.to_vec())
    }
}

impl From<(Vec<i64>, Vec<i64>)> for TensorAxes {
    fn from((a, b): (Vec<i64>, Vec<i64>)) -> TensorAxes {
        TensorAxes::Pairs(a, b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_scalars_become_0d_arrays() {
        let a = Array::ones(&[3], tessera_ir::DType::Float64, 3).unwrap();
        let b = a.try_add(f64::NAN).unwrap();
        let (doc, bindings) = b.to_document();
        assert_eq!(bindings.len(), 1);
        assert_eq!(doc.nodes["input-1"].attrs["shape"], json!([]));
        let v = b.compute::<f64>().unwrap();
        assert!(v.iter().all(|x| x.is_nan()));
        let e = Array::full(&[2], f64::INFINITY, None, 2).unwrap_err();
        assert!(e.to_string().contains("fill_value"), "{e}");
    }

    #[test]
    fn axes_convert_from_integers_and_lists() {
        assert_eq!(Axis::from(1), Axis::One(1));
        assert_eq!(Axis::from(-1i64), Axis::One(-1));
        assert_eq!(Axis::from([0, 2]), Axis::Many(vec![0, 2]));
        assert_eq!(Axis::from(None::<i64>), Axis::All);
        assert_eq!(Axis::from(Some(2usize)).to_json(), json!(2));
        assert_eq!(Axis::All.to_json(), Json::Null);
    }

    #[test]
    fn chunkings_write_the_graph_format() {
        assert_eq!(Chunking::from(100).to_json(), json!(100));
        assert_eq!(Chunking::from([10, 20]).to_json(), json!([10, 20]));
        assert_eq!(
            Chunking::from(vec![vec![5, 5], vec![3, 7]]).to_json(),
            json!([[5, 5], [3, 7]])
        );
        assert_eq!(Chunking::from("auto").to_json(), json!("auto"));
        let spec = ChunkSpec::PerAxis(vec![AxisChunks::Whole, AxisChunks::Sizes(vec![1, 2])]);
        assert_eq!(Chunking::from(spec).to_json(), json!([-1, [1, 2]]));
    }

    #[test]
    fn scalars_are_weak() {
        assert_eq!(2.5f64.weak().map(|w| w.0), Some(ScalarKind::Float));
        assert_eq!(2i32.weak(), Some((ScalarKind::Int, Number::from(2))));
        assert_eq!(true.weak(), Some((ScalarKind::Bool, Number::from(1))));
        assert_eq!(f64::NAN.weak(), None);
        assert_eq!(f64::INFINITY.to_json(), Json::Null);
        assert_eq!(true.to_json(), json!(true));
        assert_eq!(Boundary::Constant(1.5).to_json(), json!(1.5));
        assert_eq!(TensorAxes::from(([1], [0])).to_json(), json!([[1], [0]]));
    }
}
