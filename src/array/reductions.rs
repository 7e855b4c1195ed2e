//! Reductions and scans as methods: `sum prod mean min max any all` (axis,
//! keepdims), `var std` (with ddof), `argmin argmax` and `cumsum cumprod` (one
//! axis or the flattened array). Dtypes and axis errors are NumPy's.

use serde_json::{Value as Json, json};

use super::args::Axis;
use super::error::ArrayError;
use super::{Array, obj};

macro_rules! reduce {
    ($($name:ident $doc:literal;)*) => {
        impl Array {
            $(
                #[doc = $doc]
                ///
                /// `axis`: [`Axis::All`], one axis or several; `keepdims` keeps the
                /// reduced axes with length 1.
                pub fn $name(&self, axis: impl Into<Axis>, keepdims: bool) -> Result<Array, ArrayError> {
                    self.unary(
                        stringify!($name),
                        obj(json!({"axis": axis.into().to_json(), "keepdims": keepdims})),
                    )
                }
            )*
        }
    };
}

reduce! {
    sum "Sum (bool and int32 accumulate in int64).";
    prod "Product (bool and int32 accumulate in int64).";
    mean "Arithmetic mean (float64 for integers).";
    min "Minimum; an empty reduction is an error.";
    max "Maximum; an empty reduction is an error.";
    any "True if any element is true.";
    all "True if every element is true.";
}

macro_rules! spread {
    ($($name:ident $doc:literal;)*) => {
        impl Array {
            $(
                #[doc = $doc]
                ///
                /// Divides by `n - ddof` (NumPy's `ddof`).
                pub fn $name(&self, axis: impl Into<Axis>, keepdims: bool, ddof: i64) -> Result<Array, ArrayError> {
                    self.unary(
                        stringify!($name),
                        obj(json!({"axis": axis.into().to_json(), "keepdims": keepdims, "ddof": ddof})),
                    )
                }
            )*
        }
    };
}

spread! {
    var "Variance (float64 for integers).";
    std "Standard deviation (float64 for integers).";
}

macro_rules! one_axis {
    ($($name:ident $doc:literal;)*) => {
        impl Array {
            $(
                #[doc = $doc]
                ///
                /// `axis`: one axis (negative counts from the end), or `None` for
                /// the flattened array.
                pub fn $name(&self, axis: Option<i64>) -> Result<Array, ArrayError> {
                    self.unary(stringify!($name), obj(json!({"axis": axis.map_or(Json::Null, Json::from)})))
                }
            )*
        }
    };
}

one_axis! {
    argmin "Index of the minimum (int64; the first one on ties).";
    argmax "Index of the maximum (int64; the first one on ties).";
    cumsum "Cumulative sum (bool and int32 accumulate in int64).";
    cumprod "Cumulative product (bool and int32 accumulate in int64).";
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_ir::DType;

    #[test]
    fn reductions_infer_shapes_and_dtypes() {
        let a = Array::ones(&[4, 5, 6], DType::Int32, 2).unwrap();
        let s = a.sum(1, false).unwrap();
        assert_eq!((s.shape(), s.dtype()), (&[4usize, 6][..], DType::Int64));
        let m = a.mean([0, 2], true).unwrap();
        assert_eq!(
            (m.shape(), m.dtype()),
            (&[1usize, 5, 1][..], DType::Float64)
        );
        assert_eq!(a.max(Axis::All, false).unwrap().shape(), &[] as &[usize]);
        assert_eq!(a.std(-1, false, 1).unwrap().shape(), &[4, 5]);
        assert_eq!(a.argmax(Some(0)).unwrap().shape(), &[5, 6]);
        assert_eq!(a.argmin(None).unwrap().shape(), &[] as &[usize]);
        assert_eq!(a.cumsum(None).unwrap().shape(), &[120]);
        assert_eq!(a.cumprod(Some(2)).unwrap().dtype(), DType::Int64);
        assert_eq!(a.any(Axis::All, false).unwrap().dtype(), DType::Bool);
    }

    #[test]
    fn bad_axes_fail_when_built() {
        let a = Array::ones(&[4, 5], DType::Float64, 2).unwrap();
        let e = a.sum(2, false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot build sum (at axis): axis 2 is out of bounds for array of dimension 2"
        );
        assert!(a.sum([0, -2], false).is_err());
        assert!(a.cumsum(Some(-3)).is_err());
    }
}
