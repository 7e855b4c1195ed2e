//! Linear algebra: products as `Array` methods (`matmul`, `dot`, `tensordot`,
//! `outer`) and `numpy.linalg` / `scipy.linalg` style functions in this module
//! (`cholesky`, `solve_triangular`, `solve`, `solve_with`, `inv`, `qr`).

use serde_json::{Map, json};

use super::args::TensorAxes;
use super::error::ArrayError;
use super::expr::Expr;
use super::{Array, obj};

fn product(
    op: &str,
    a: &Array,
    b: &Array,
    attrs: Map<String, serde_json::Value>,
) -> Result<Array, ArrayError> {
    Array::apply(op, vec![a.operand(), b.operand()], attrs)
}

impl Array {
    /// Matrix product with NumPy's `matmul` rules (1-d operands, batch broadcasting).
    pub fn matmul(&self, other: &Array) -> Result<Array, ArrayError> {
        product("matmul", self, other, Map::new())
    }

    /// `numpy.dot`: sum over the last axis of `self` and the second-to-last of `other`.
    pub fn dot(&self, other: &Array) -> Result<Array, ArrayError> {
        product("dot", self, other, Map::new())
    }

    /// Sum of products over the given axes (`numpy.tensordot`).
    pub fn tensordot(
        &self,
        other: &Array,
        axes: impl Into<TensorAxes>,
    ) -> Result<Array, ArrayError> {
        product(
            "tensordot",
            self,
            other,
            obj(json!({"axes": axes.into().to_json()})),
        )
    }

    /// Outer product of the flattened operands.
    pub fn outer(&self, other: &Array) -> Result<Array, ArrayError> {
        product("outer", self, other, Map::new())
    }
}

/// Lower Cholesky factor of a symmetric positive-definite matrix
/// (`numpy.linalg.cholesky`).
pub fn cholesky(a: &Array) -> Result<Array, ArrayError> {
    a.unary("linalg.cholesky", Map::new())
}

/// Solves `a x = b` for triangular `a`, using its lower triangle when `lower`
/// (`scipy.linalg.solve_triangular`).
pub fn solve_triangular(a: &Array, b: &Array, lower: bool) -> Result<Array, ArrayError> {
    product(
        "linalg.solve_triangular",
        a,
        b,
        obj(json!({"lower": lower})),
    )
}

/// Solves `a x = b` for square `a` (`numpy.linalg.solve`).
pub fn solve(a: &Array, b: &Array) -> Result<Array, ArrayError> {
    product("linalg.solve", a, b, Map::new())
}

/// What [`solve_with`] may assume of the matrix (SciPy's `assume_a`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AssumeA {
    /// Any square matrix (`"gen"`): blocked LU with partial pivoting, as [`solve`].
    #[default]
    General,
    /// Positive definite (`"pos"`): blocked Cholesky, then two triangular solves.
    /// A matrix that is not positive definite fails naming its Cholesky tile.
    PositiveDefinite,
}

/// Solves `a x = b` for square `a` under `assume`
/// (`scipy.linalg.solve(a, b, assume_a=...)`).
pub fn solve_with(a: &Array, b: &Array, assume: AssumeA) -> Result<Array, ArrayError> {
    let assume_a = match assume {
        AssumeA::General => "gen",
        AssumeA::PositiveDefinite => "pos",
    };
    product("linalg.solve", a, b, obj(json!({ "assume_a": assume_a })))
}

/// Inverse of a square matrix (`numpy.linalg.inv`).
pub fn inv(a: &Array) -> Result<Array, ArrayError> {
    a.unary("linalg.inv", Map::new())
}

/// Reduced QR of a tall matrix: `(q, r)` with `a = q r`. Both parts come from one
/// `linalg.qr` node (computed once when both are computed together).
pub fn qr(a: &Array) -> Result<(Array, Array), ArrayError> {
    let pair = Expr::build("linalg.qr", vec![a.operand()], Map::new())?;
    Ok((Array::item_of(&pair, 0)?, Array::item_of(&pair, 1)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_ir::DType;

    #[test]
    fn products_and_factorizations_infer_shapes() {
        let a = Array::ones(&[6, 4], DType::Float64, 2).unwrap();
        let b = Array::ones(&[4, 3], DType::Float64, 2).unwrap();
        assert_eq!(a.matmul(&b).unwrap().shape(), &[6, 3]);
        assert_eq!(a.dot(&b).unwrap().shape(), &[6, 3]);
        assert!(a.matmul(&a).is_err());
        assert_eq!(a.tensordot(&b, 1).unwrap().shape(), &[6, 3]);
        assert_eq!(a.tensordot(&a, ([0], [0])).unwrap().shape(), &[4, 4]);
        assert_eq!(a.outer(&b).unwrap().shape(), &[24, 12]);
        let s = Array::eye(4, None, 0, DType::Float64, 2).unwrap();
        assert_eq!(cholesky(&s).unwrap().shape(), &[4, 4]);
        assert_eq!(solve(&s, &b).unwrap().shape(), &[4, 3]);
        assert_eq!(solve_triangular(&s, &b, true).unwrap().shape(), &[4, 3]);
        assert_eq!(inv(&s).unwrap().shape(), &[4, 4]);
        assert!(inv(&a).is_err());
        let (q, r) = qr(&a).unwrap();
        assert_eq!((q.shape(), r.shape()), (&[6usize, 4][..], &[4usize, 4][..]));
    }

    #[test]
    fn solve_with_a_positive_definite_matrix_agrees_with_solve() {
        // a = m m^T + 4 I (positive definite), chunked into 2 x 2 tiles.
        let m = ndarray::Array2::from_shape_fn((5, 5), |(i, j)| ((i * 7 + j * 3) % 5) as f64 - 2.0);
        let a = m.dot(&m.t()) + ndarray::Array2::<f64>::eye(5) * 4.0;
        let b = ndarray::Array2::from_shape_fn((5, 2), |(i, j)| (i + 2 * j) as f64);
        let a = Array::from_ndarray(a.into_dyn(), 2).unwrap();
        let b = Array::from_ndarray(b.into_dyn(), 3).unwrap();
        let pd = solve_with(&a, &b, AssumeA::PositiveDefinite).unwrap();
        let lu = solve(&a, &b).unwrap();
        let (x, y) = (pd.compute::<f64>().unwrap(), lu.compute::<f64>().unwrap());
        assert_eq!(x.shape(), &[5, 2]);
        for (p, q) in x.iter().zip(&y) {
            assert!((p - q).abs() <= 1e-12 * q.abs().max(1.0), "{p} vs {q}");
        }
        let general = solve_with(&a, &b, AssumeA::General).unwrap();
        assert_eq!(general.compute::<f64>().unwrap(), y);
        // Not positive definite: the Cholesky tile fails.
        let neg = Array::from_ndarray(ndarray::Array2::<f64>::eye(5).into_dyn() * -1.0, 2).unwrap();
        let e = solve_with(&neg, &b, AssumeA::PositiveDefinite)
            .unwrap()
            .compute::<f64>()
            .unwrap_err()
            .to_string();
        assert!(e.contains("not positive definite"), "{e}");
    }
}
