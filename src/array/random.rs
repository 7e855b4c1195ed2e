//! Seeded random arrays. Values depend only on the seed, the shape and the
//! chunks, never on scheduling or on which part of the array is computed.

use serde_json::json;

use super::args::Chunking;
use super::error::ArrayError;
use super::{Array, obj};

fn random(
    op: &str,
    params: serde_json::Value,
    shape: &[usize],
    seed: u64,
    chunks: Chunking,
) -> Result<Array, ArrayError> {
    let mut attrs = obj(json!({"shape": shape, "seed": seed}));
    attrs.extend(obj(params));
    attrs.insert("chunks".into(), chunks.to_json());
    Array::apply(op, Vec::new(), attrs)
}

/// `float64` samples uniform in `[low, high)`.
pub fn uniform(
    low: f64,
    high: f64,
    shape: &[usize],
    seed: u64,
    chunks: impl Into<Chunking>,
) -> Result<Array, ArrayError> {
    random(
        "random.uniform",
        json!({"low": low, "high": high}),
        shape,
        seed,
        chunks.into(),
    )
}

/// `float64` samples from a normal distribution of mean `loc` and standard
/// deviation `scale`.
pub fn normal(
    loc: f64,
    scale: f64,
    shape: &[usize],
    seed: u64,
    chunks: impl Into<Chunking>,
) -> Result<Array, ArrayError> {
    random(
        "random.normal",
        json!({"loc": loc, "scale": scale}),
        shape,
        seed,
        chunks.into(),
    )
}

/// `int64` samples uniform in `[low, high)`.
pub fn integers(
    low: i64,
    high: i64,
    shape: &[usize],
    seed: u64,
    chunks: impl Into<Chunking>,
) -> Result<Array, ArrayError> {
    random(
        "random.integers",
        json!({"low": low, "high": high}),
        shape,
        seed,
        chunks.into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_ir::DType;

    #[test]
    fn random_sources_check_their_parameters() {
        let u = uniform(-1.0, 1.0, &[10, 10], 7, 5).unwrap();
        assert_eq!((u.shape(), u.dtype()), (&[10usize, 10][..], DType::Float64));
        assert_eq!(integers(0, 5, &[4], 1, 2).unwrap().dtype(), DType::Int64);
        let e = integers(5, 5, &[4], 1, 2).unwrap_err();
        assert!(e.to_string().contains("low >= high"), "{e}");
        assert!(normal(0.0, -1.0, &[4], 1, 2).is_err());
        // A seed beyond i64 is refused by the catalogue, not wrapped.
        assert!(uniform(0.0, 1.0, &[4], u64::MAX, 2).is_err());
    }
}
