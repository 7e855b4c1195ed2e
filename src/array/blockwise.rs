//! Block functions: `map_overlap` (blocks extended with ghost cells from their
//! neighbours), its built-in `correlate`, and `map_blocks`; block functions are
//! registered names or Rust closures (`map_overlap_fn`, `map_blocks_fn`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ndarray::ArrayD;
use serde_json::{Map, Value as Json, json};
use tessera_ir::DType;
use tessera_runtime::{TaskError, Value};

use super::args::{Boundaries, Boundary, IntoOperand};
use super::compute::Element;
use super::error::ArrayError;
use super::expr::{BlockFn, Expr};
use super::index::{IndexEntry, IntoIndexEntry};
use super::{Array, obj};

impl Array {
    /// Applies the registered block function `func` to every block extended by
    /// `depth` ghost cells per side (an integer, a per-axis list, or an object from
    /// axis to integer), with `boundary` beyond the array's edges (one for all axes
    /// or one per axis, see [`Boundaries`]); `trim` removes
    /// the ghost cells from the results. `attrs` are the function's own attributes.
    pub fn map_overlap(
        &self,
        func: &str,
        depth: impl Into<Json>,
        boundary: impl Into<Boundaries>,
        trim: bool,
        attrs: Map<String, Json>,
    ) -> Result<Array, ArrayError> {
        let mut all = obj(json!({
            "fn": func,
            "depth": depth.into(),
            "boundary": boundary.into().to_json(),
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
        boundary: impl Into<Boundaries>,
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

    /// Dask's `overlap`: every block extended by `depth` ghost cells per side
    /// (`map_overlap` with the built-in `identity` and no trimming); per-axis depths
    /// may be `[before, after]` with boundary `None`.
    pub fn overlap(
        &self,
        depth: impl Into<Json>,
        boundary: impl Into<Boundaries>,
    ) -> Result<Array, ArrayError> {
        self.map_overlap("identity", depth, boundary, false, Map::new())
    }

    /// Dask's `trim_internal`, the inverse of [`Array::overlap`] with the same
    /// depth and boundary: `depth[a] = (before, after)` cells removed from each block
    /// along axis `a` (with boundary `None`, not on the array's outer edges). Built
    /// from slices of each block joined again, so the result has the blocks of the
    /// array before it was overlapped.
    pub fn trim_overlap(
        &self,
        depth: &[(usize, usize)],
        boundary: impl Into<Boundaries>,
    ) -> Result<Array, ArrayError> {
        let boundary = boundary.into();
        if depth.len() != self.ndim() {
            return Err(ArrayError::Build {
                op: "trim".to_owned(),
                at: Some("depth".to_owned()),
                message: format!(
                    "depth has {} entries but the array has {} axes",
                    depth.len(),
                    self.ndim()
                ),
            });
        }
        let mut x = self.clone();
        for (axis, &(before, after)) in depth.iter().enumerate() {
            if before == 0 && after == 0 {
                continue;
            }
            let edges = !matches!(boundary.of(axis), Boundary::None);
            let sizes = x.chunks().0[axis].clone();
            let count = sizes.len();
            let mut pieces = Vec::with_capacity(count);
            let mut start = 0usize;
            for (i, &size) in sizes.iter().enumerate() {
                let lo = start + if i > 0 || edges { before } else { 0 };
                let hi =
                    (start + size).saturating_sub(if i + 1 < count || edges { after } else { 0 });
                if hi < lo {
                    return Err(ArrayError::Build {
                        op: "trim".to_owned(),
                        at: Some("depth".to_owned()),
                        message: format!(
                            "block {i} of axis {axis} has {size} cells, fewer than the depth ({before}, {after}) to trim"
                        ),
                    });
                }
                let index: Vec<IndexEntry> = (0..x.ndim())
                    .map(|a| {
                        if a == axis {
                            (lo..hi).into_entry()
                        } else {
                            (..).into_entry()
                        }
                    })
                    .collect();
                pieces.push(x.slice(index)?);
                start += size;
            }
            let refs: Vec<&Array> = pieces.iter().collect();
            x = if refs.len() == 1 {
                pieces.pop().expect("one piece")
            } else {
                super::layout::concatenate(&refs, axis as i64)?
            };
        }
        Ok(x)
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

/// Unique names of closures used as block functions (`closure-<n>`).
static CLOSURES: AtomicU64 = AtomicU64::new(0);

/// A Rust closure on blocks of `T` as a runtime function of one block argument
/// (the block function's attributes are not passed to a closure).
fn block_fn<T, F>(f: F) -> Arc<BlockFn>
where
    T: Element,
    F: Fn(ArrayD<T>) -> ArrayD<T> + Send + Sync + 'static,
{
    let name = format!("closure-{}", CLOSURES.fetch_add(1, Ordering::Relaxed));
    let fn_name = name.clone();
    let body = move |args: &[Value], _: &tessera_runtime::Kwargs| -> Result<Value, TaskError> {
        let [Value::Array(block)] = args else {
            return Err(TaskError::Type(format!(
                "{fn_name}: expected one array block, got {} argument(s)",
                args.len()
            )));
        };
        let block = T::from_runtime(block.clone()).map_err(|a| {
            TaskError::Type(format!(
                "{fn_name}: expected a block of {}, got {}",
                T::DTYPE.name(),
                a.dtype()
            ))
        })?;
        Ok(Value::Array(T::into_runtime(f(block))))
    };
    Arc::new(BlockFn {
        name,
        body: Arc::new(body),
    })
}

impl Array {
    /// Builds `op(self)` whose block function is the closure `f`.
    fn with_closure(
        &self,
        op: &str,
        f: Arc<BlockFn>,
        mut attrs: Map<String, Json>,
    ) -> Result<Array, ArrayError> {
        attrs.insert("fn".into(), json!(f.name));
        let mut expr = Expr::check(op, vec![self.operand()], attrs)?;
        expr.block_fn = Some(f);
        Array::from_node(Arc::new(expr))
    }

    /// `op` (`map_blocks` or `map_overlap`) with a runtime function as the block
    /// function: `f` is called on each (extended) block as a registered function
    /// would be, under a unique name registered for the computations that use it
    /// (for frontends whose functions are not Rust closures, such as Python
    /// callables). `attrs` are the op's other attributes (`depth`, `dtype`...).
    pub fn with_block_function(
        &self,
        op: &str,
        f: Arc<tessera_runtime::DynFn>,
        attrs: Map<String, Json>,
    ) -> Result<Array, ArrayError> {
        let name = format!("closure-{}", CLOSURES.fetch_add(1, Ordering::Relaxed));
        self.with_closure(op, Arc::new(BlockFn { name, body: f }), attrs)
    }

    /// `map_overlap` with a Rust closure as the block function: `f` gets each block
    /// extended by `depth` ghost cells per side (as [`Array::map_overlap`]) and
    /// must return an array of the same shape; the ghost cells are trimmed from
    /// its result. Blocks are of `T`, which must be the array's dtype.
    pub fn map_overlap_fn<T, F>(
        &self,
        f: F,
        depth: impl Into<Json>,
        boundary: impl Into<Boundaries>,
    ) -> Result<Array, ArrayError>
    where
        T: Element,
        F: Fn(ArrayD<T>) -> ArrayD<T> + Send + Sync + 'static,
    {
        self.check_dtype::<T>()?;
        let attrs = obj(json!({
            "depth": depth.into(),
            "boundary": boundary.into().to_json(),
            "trim": true,
        }));
        self.with_closure("map_overlap", block_fn(f), attrs)
    }

    /// `map_blocks` with a Rust closure: `f` maps each block of `T` (the array's
    /// dtype) to a block of the same shape.
    pub fn map_blocks_fn<T, F>(&self, f: F) -> Result<Array, ArrayError>
    where
        T: Element,
        F: Fn(ArrayD<T>) -> ArrayD<T> + Send + Sync + 'static,
    {
        self.check_dtype::<T>()?;
        self.with_closure("map_blocks", block_fn(f), Map::new())
    }

    fn check_dtype<T: Element>(&self) -> Result<(), ArrayError> {
        if self.dtype() == T::DTYPE {
            Ok(())
        } else {
            Err(ArrayError::DType {
                expected: T::DTYPE,
                found: self.dtype(),
            })
        }
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

    #[test]
    fn closures_as_block_functions() {
        let data = ArrayD::from_shape_fn(IxDyn(&[9, 7]), |ix| {
            ((ix[0] * 7 + ix[1]) as f64 * 0.37).sin()
        });
        let x = Array::from_ndarray(data.clone(), vec![vec![2, 4, 3], vec![3, 4]]).unwrap();
        // A 3-point sum down axis 0 on blocks with one ghost row each side, against
        // the built-in correlate with the same weights.
        let sum3 = |b: ArrayD<f64>| {
            let n = b.shape()[0];
            ArrayD::from_shape_fn(b.raw_dim(), |ix| {
                if ix[0] == 0 || ix[0] + 1 == n {
                    0.0
                } else {
                    b[[ix[0] - 1, ix[1]]] + b[[ix[0], ix[1]]] + b[[ix[0] + 1, ix[1]]]
                }
            })
        };
        for boundary in [Boundary::Reflect, Boundary::Periodic, Boundary::Nearest] {
            let got = x
                .map_overlap_fn(sum3, json!([1, 0]), boundary)
                .unwrap()
                .compute::<f64>()
                .unwrap();
            let w = ArrayD::from_elem(IxDyn(&[3, 1]), 1.0);
            let want = x.correlate(&w, boundary).unwrap().compute::<f64>().unwrap();
            for (g, e) in got.iter().zip(want.iter()) {
                assert!((g - e).abs() < 1e-12, "{boundary:?}: {g} vs {e}");
            }
        }
        // map_blocks with a closure, in an expression with other ops.
        let y = x.map_blocks_fn(|b: ArrayD<f64>| b.mapv(|v| v * v)).unwrap() + 1.0;
        let got = y.compute::<f64>().unwrap();
        assert_eq!(got, data.mapv(|v| v * v + 1.0));
        // The dtype must match the closure's element type.
        assert!(x.map_blocks_fn(|b: ArrayD<i64>| b).is_err());
    }

    #[test]
    fn overlap_then_trim_is_the_identity_and_matches_dask() {
        let data = ArrayD::from_shape_fn(IxDyn(&[7, 5]), |ix| (ix[0] * 5 + ix[1]) as f64);
        let x = Array::from_ndarray(data.clone(), vec![vec![3, 4], vec![2, 3]]).unwrap();
        // Dask: overlap(x, depth={0: 1, 1: 1}, boundary="reflect") has blocks of
        // 3 + 2, 4 + 2 rows: [2, 0, 1, 2, 3] then [2, 3, 4, 5, 6, 6].
        let o = x.overlap(json!(1), Boundary::Reflect).unwrap();
        assert_eq!(o.chunks().0, vec![vec![5, 6], vec![4, 5]]);
        let got = o.compute::<f64>().unwrap();
        let rows = [0usize, 0, 1, 2, 3, 2, 3, 4, 5, 6, 6];
        let cols = [0usize, 0, 1, 2, 1, 2, 3, 4, 4];
        for (r, &sr) in rows.iter().enumerate() {
            for (c, &sc) in cols.iter().enumerate() {
                assert_eq!(got[[r, c]], data[[sr, sc]], "({r}, {c})");
            }
        }
        let back = o
            .trim_overlap(&[(1, 1), (1, 1)], Boundary::Reflect)
            .unwrap();
        assert_eq!(back.chunks(), x.chunks());
        assert_eq!(back.compute::<f64>().unwrap(), data);
        // Asymmetric, boundary none: no ghost cells at the outer edges.
        let o = x.overlap(json!([[1, 2], 0]), Boundary::None).unwrap();
        assert_eq!(o.chunks().0, vec![vec![5, 5], vec![2, 3]]);
        let back = o.trim_overlap(&[(1, 2), (0, 0)], Boundary::None).unwrap();
        assert_eq!(back.compute::<f64>().unwrap(), data);
        assert!(o.trim_overlap(&[(1, 2)], Boundary::None).is_err());
    }

    #[test]
    fn boundaries_per_axis() {
        let data = ArrayD::from_shape_fn(IxDyn(&[7, 5]), |ix| (ix[0] * 5 + ix[1]) as f64);
        let x = Array::from_ndarray(data.clone(), vec![vec![3, 4], vec![2, 3]]).unwrap();
        // Rows reflect (ghost rows at the edges), columns none (no ghost columns
        // at the edges): as Dask's boundary={0: "reflect", 1: "none"}.
        let both = [Boundary::Reflect, Boundary::None];
        let o = x.overlap(json!(1), both).unwrap();
        assert_eq!(o.chunks().0, vec![vec![5, 6], vec![3, 4]]);
        let got = o.compute::<f64>().unwrap();
        let rows = [0usize, 0, 1, 2, 3, 2, 3, 4, 5, 6, 6];
        let cols = [0usize, 1, 2, 1, 2, 3, 4];
        for (r, &sr) in rows.iter().enumerate() {
            for (c, &sc) in cols.iter().enumerate() {
                assert_eq!(got[[r, c]], data[[sr, sc]], "({r}, {c})");
            }
        }
        let back = o.trim_overlap(&[(1, 1), (1, 1)], both).unwrap();
        assert_eq!(back.chunks(), x.chunks());
        assert_eq!(back.compute::<f64>().unwrap(), data);
        // A per-axis correlate, chunked, equals the whole-array one, and differs
        // from the same boundary on both axes.
        let w = ArrayD::from_shape_fn(IxDyn(&[3, 3]), |ix| (ix[0] * 3 + ix[1]) as f64);
        let modes = vec![Boundary::Periodic, Boundary::Constant(2.5)];
        let whole = Array::from_ndarray(data.clone(), 7).unwrap();
        let want = whole
            .correlate(&w, modes.clone())
            .unwrap()
            .compute::<f64>()
            .unwrap();
        let chunked = x.correlate(&w, modes).unwrap().compute::<f64>().unwrap();
        assert_eq!(chunked, want);
        let same = x
            .correlate(&w, Boundary::Periodic)
            .unwrap()
            .compute::<f64>()
            .unwrap();
        assert_ne!(same, want);
    }
}
