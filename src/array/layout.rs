//! Shape and layout ops: slicing (`getitem`), `transpose`, `reshape`, `squeeze`,
//! `expand_dims`, `broadcast_to`, `concatenate`, `stack`, `rechunk`, `tril`,
//! `triu`.

use serde_json::{Map, Value as Json, json};

use super::args::{Axis, Chunking};
use super::error::ArrayError;
use super::expr::Operand;
use super::index::{IndexEntry, index_json};
use super::{Array, obj};

fn join(op: &str, arrays: &[&Array], axis: i64) -> Result<Array, ArrayError> {
    let list = Operand::List(arrays.iter().map(|a| a.operand()).collect());
    Array::apply(op, vec![list], obj(json!({"axis": axis})))
}

/// Joins arrays along an existing axis (`numpy.concatenate`).
pub fn concatenate(arrays: &[&Array], axis: i64) -> Result<Array, ArrayError> {
    join("concatenate", arrays, axis)
}

/// Joins same-shaped arrays along a new axis (`numpy.stack`).
pub fn stack(arrays: &[&Array], axis: i64) -> Result<Array, ArrayError> {
    join("stack", arrays, axis)
}

impl Array {
    /// Basic NumPy indexing, usually written with [`s!`](crate::s):
    /// `a.slice(s![1..100, ..;-1, NewAxis, 3, Ellipsis])`.
    pub fn slice(&self, index: impl AsRef<[IndexEntry]>) -> Result<Array, ArrayError> {
        self.unary("getitem", obj(json!({"index": index_json(index.as_ref())})))
    }

    /// Permutes the axes; `None` reverses them (`numpy.transpose`).
    pub fn transpose(&self, axes: Option<&[i64]>) -> Result<Array, ArrayError> {
        let mut attrs = Map::new();
        if let Some(axes) = axes {
            attrs.insert("axes".into(), json!(axes));
        }
        self.unary("transpose", attrs)
    }

    /// The same data in a new shape (C order); one entry may be `-1`.
    pub fn reshape(&self, shape: &[i64]) -> Result<Array, ArrayError> {
        self.unary("reshape", obj(json!({"shape": shape})))
    }

    /// Removes axes of length 1 (all of them with [`Axis::All`]).
    pub fn squeeze(&self, axis: impl Into<Axis>) -> Result<Array, ArrayError> {
        self.unary("squeeze", obj(json!({"axis": axis.into().to_json()})))
    }

    /// Inserts axes of length 1 at the given positions of the result.
    pub fn expand_dims(&self, axis: impl Into<Axis>) -> Result<Array, ArrayError> {
        self.unary("expand_dims", obj(json!({"axis": axis.into().to_json()})))
    }

    /// Broadcasts to `shape` (NumPy's rules).
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Array, ArrayError> {
        self.unary("broadcast_to", obj(json!({"shape": shape})))
    }

    /// The same values in other blocks.
    pub fn rechunk(&self, chunks: impl Into<Chunking>) -> Result<Array, ArrayError> {
        self.unary("rechunk", obj(json!({"chunks": chunks.into().to_json()})))
    }

    /// Lower triangle of the last two axes: zeros above diagonal `k`.
    pub fn tril(&self, k: i64) -> Result<Array, ArrayError> {
        self.unary("tril", obj(json!({"k": k})))
    }

    /// Upper triangle of the last two axes: zeros below diagonal `k`.
    pub fn triu(&self, k: i64) -> Result<Array, ArrayError> {
        self.unary("triu", obj(json!({"k": k})))
    }

    /// One part of a multi-part value (`item`); used for `linalg.qr`'s pair.
    pub(crate) fn item_of(
        node: &std::sync::Arc<super::expr::Expr>,
        index: i64,
    ) -> Result<Array, ArrayError> {
        Array::apply(
            "item",
            vec![Operand::Node(node.clone())],
            obj(json!({"index": Json::from(index)})),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::array::{Ellipsis, NewAxis};
    use crate::s;
    use tessera_ir::DType;

    fn a() -> Array {
        Array::ones(&[10, 20], DType::Float64, [4, 5]).unwrap()
    }

    #[test]
    fn slicing_follows_numpy_and_dask_chunks() {
        let b = a().slice(s![1..9, ..;-3, NewAxis]).unwrap();
        assert_eq!(b.shape(), &[8, 7, 1]);
        assert_eq!(b.chunks().0[0], vec![3, 4, 1]);
        let c = a().slice(s![-1, Ellipsis]).unwrap();
        assert_eq!(c.shape(), &[20]);
        let e = a().slice(s![10]).unwrap_err();
        assert!(e.to_string().contains("out of bounds"), "{e}");
    }

    #[test]
    fn layout_ops_infer_shapes() {
        let x = a();
        assert_eq!(x.transpose(None).unwrap().shape(), &[20, 10]);
        assert_eq!(
            x.transpose(Some(&[1, 0])).unwrap().chunks().0[0],
            vec![5, 5, 5, 5]
        );
        assert_eq!(x.reshape(&[5, -1]).unwrap().shape(), &[5, 40]);
        assert!(x.reshape(&[7, -1]).is_err());
        let y = x.expand_dims(0).unwrap();
        assert_eq!(y.shape(), &[1, 10, 20]);
        assert_eq!(y.squeeze(Axis::All).unwrap().shape(), &[10, 20]);
        assert_eq!(x.broadcast_to(&[3, 10, 20]).unwrap().shape(), &[3, 10, 20]);
        assert!(x.broadcast_to(&[10, 21]).is_err());
        assert_eq!(concatenate(&[&x, &x], 1).unwrap().shape(), &[10, 40]);
        assert_eq!(stack(&[&x, &x, &x], -1).unwrap().shape(), &[10, 20, 3]);
        assert!(concatenate(&[&x, &x.transpose(None).unwrap()], 0).is_err());
        assert_eq!(x.rechunk(10).unwrap().numblocks(), vec![1, 2]);
        assert_eq!(x.tril(-1).unwrap().shape(), &[10, 20]);
        assert_eq!(x.triu(2).unwrap().op(), "triu");
    }
}
