//! Block functions: `map_overlap` (blocks extended with ghost cells from their
//! neighbours), its built-in `correlate`, and `map_blocks`.

use ndarray::ArrayD;
use serde_json::{Map, Value as Json, json};
use tessera_ir::DType;
use tessera_runtime::Value;

use super::args::{Boundary, IntoOperand};
use super::error::ArrayError;
use super::{Array, obj};

impl Array {
    /// Applies the registered block function `func` to every block extended by
    /// `depth` ghost cells per side (an integer, a per-axis list, or an object from
    /// axis to integer), with `boundary` beyond the array's edges; `trim` removes
    /// the ghost cells from the results. `attrs` are the function's own attributes.
    pub fn map_overlap(
        &self,
        func: &str,
        depth: impl Into<Json>,
        boundary: Boundary,
        trim: bool,
        attrs: Map<String, Json>,
    ) -> Result<Array, ArrayError> {
        let mut all = obj(json!({
            "fn": func,
            "depth": depth.into(),
            "boundary": boundary.to_json(),
            "trim": trim,
        }));
        all.extend(attrs);
        self.unary("map_overlap", all)
    }

    /// `scipy.ndimage.correlate(self, weights, mode)` computed block by block with
    /// ghost cells as deep as the kernel's radius (`map_overlap` with the built-in
    /// `correlate`). `weights` has the array's number of axes.
    pub fn correlate(
        &self,
        weights: &ArrayD<f64>,
        boundary: Boundary,
    ) -> Result<Array, ArrayError> {
        let depth: Vec<usize> = weights.shape().iter().map(|&n| n / 2).collect();
        let nested = Value::Array(weights.clone().into()).to_json();
        self.map_overlap(
            "correlate",
            json!(depth),
            boundary,
            true,
            obj(json!({"weights": nested})),
        )
    }

    /// Applies the registered block function `func` to aligned blocks of `self`
    /// and `others` (`map_blocks`); the result has `dtype` (the first input's when
    /// `None`) and the input's chunks. `attrs` are the function's own attributes.
    pub fn map_blocks(
        &self,
        func: &str,
        others: Vec<super::OperandArg>,
        dtype: Option<DType>,
        attrs: Map<String, Json>,
    ) -> Result<Array, ArrayError> {
        let mut all = obj(json!({"fn": func}));
        if let Some(d) = dtype {
            all.insert("dtype".into(), json!(d.name()));
        }
        all.extend(attrs);
        let mut args = vec![self.operand()];
        args.extend(others.into_iter().map(|o| o.0));
        Array::apply("map_blocks", args, all)
    }
}

/// An operand for [`Array::map_blocks`]'s extra arguments.
pub fn operand(x: impl IntoOperand) -> super::OperandArg {
    x.into_operand()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::IxDyn;

    #[test]
    fn overlap_ops_check_their_attributes() {
        let x = Array::ones(&[10, 10], DType::Float64, 5).unwrap();
        let w = ArrayD::from_elem(IxDyn(&[3, 3]), 1.0 / 9.0);
        let c = x.correlate(&w, Boundary::Reflect).unwrap();
        assert_eq!((c.shape(), c.op()), (&[10usize, 10][..], "map_overlap"));
        assert_eq!(c.attrs()["depth"], json!([1, 1]));
        let w1 = ArrayD::from_elem(IxDyn(&[3]), 1.0);
        assert!(x.correlate(&w1, Boundary::Nearest).is_err());
        let m = x
            .map_blocks(
                "user.f",
                vec![operand(2.0)],
                Some(DType::Float32),
                Map::new(),
            )
            .unwrap();
        assert_eq!(m.dtype(), DType::Float32);
    }
}
