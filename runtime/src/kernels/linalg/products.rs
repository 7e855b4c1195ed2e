//! `matmul` (NumPy rules: 1-d operands, broadcast batches), `dot`, `tensordot`, `outer`, and the block helper `matmul-accumulate`.

use ndarray::{ArcArray, Axis, Ix2, IxDyn};
use tessera_ir::DType;

use super::gemm::GemmElement;
use crate::kernels::KernelError;
use crate::kernels::layout::cast::{from_vec, typed};
use crate::kernels::layout::reshape::reshape_array;
use crate::kernels::reduce::args::{self, Kwargs, err};
use crate::value::{Array, Value};

/// NumPy's broadcast of two shapes.
pub(crate) fn broadcast_shapes(
    op: &str,
    a: &[usize],
    b: &[usize],
) -> Result<Vec<usize>, KernelError> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let x = if i + a.len() >= n {
            a[i + a.len() - n]
        } else {
            1
        };
        let y = if i + b.len() >= n {
            b[i + b.len() - n]
        } else {
            1
        };
        out[i] = match (x, y) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => {
                return Err(err(
                    op,
                    format!("shapes {a:?} and {b:?} cannot be broadcast together"),
                ));
            }
        };
    }
    Ok(out)
}

fn matmul_typed<T: GemmElement>(
    op: &str,
    a: &Array,
    b: &Array,
    batch: &[usize],
    (m, k, n): (usize, usize, usize),
) -> Result<Array, KernelError> {
    let mut a_full = batch.to_vec();
    a_full.extend([m, k]);
    let mut b_full = batch.to_vec();
    b_full.extend([k, n]);
    let (ta, tb) = (typed::<T>(a), typed::<T>(b));
    let (av, bv) = match (ta.broadcast(IxDyn(&a_full)), tb.broadcast(IxDyn(&b_full))) {
        (Some(x), Some(y)) => (x, y),
        _ => return Err(err(op, "internal: batch broadcast failed")),
    };
    let count: usize = batch.iter().product();
    let mut out = vec![T::default(); count * m * n];
    let mut idx = vec![0usize; batch.len()];
    for c in 0..count {
        let (mut x, mut y) = (av.view(), bv.view());
        for &i in &idx {
            x = x.index_axis_move(Axis(0), i);
            y = y.index_axis_move(Axis(0), i);
        }
        let x = x.into_dimensionality::<Ix2>().map_err(|e| err(op, e))?;
        let y = y.into_dimensionality::<Ix2>().map_err(|e| err(op, e))?;
        T::gemm(x, y, &mut out[c * m * n..(c + 1) * m * n], false);
        // Next batch index, C order.
        for d in (0..idx.len()).rev() {
            idx[d] += 1;
            if idx[d] < batch[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    let mut shape = batch.to_vec();
    shape.extend([m, n]);
    from_vec(&shape, out).ok_or_else(|| err(op, "internal: product size mismatch"))
}

/// NumPy's `matmul` of two arrays.
pub(crate) fn matmul_arrays(op: &str, a: &Array, b: &Array) -> Result<Array, KernelError> {
    if a.ndim() == 0 || b.ndim() == 0 {
        return Err(err(
            op,
            "matmul does not accept 0-d operands (use multiply)",
        ));
    }
    let a2 = if a.ndim() == 1 {
        reshape_array(op, a, &[1, a.len()])?
    } else {
        a.clone()
    };
    let b2 = if b.ndim() == 1 {
        reshape_array(op, b, &[b.len(), 1])?
    } else {
        b.clone()
    };
    let (sa, sb) = (a2.shape(), b2.shape());
    let (m, k) = (sa[sa.len() - 2], sa[sa.len() - 1]);
    let (k2, n) = (sb[sb.len() - 2], sb[sb.len() - 1]);
    if k != k2 {
        return Err(err(
            op,
            format!(
                "core dimension mismatch: {:?} @ {:?} ({k} != {k2})",
                a.shape(),
                b.shape()
            ),
        ));
    }
    let batch = broadcast_shapes(op, &sa[..sa.len() - 2], &sb[..sb.len() - 2])?;
    let dims = (m, k, n);
    let out = match a.dtype().promote(b.dtype()) {
        DType::Float64 => matmul_typed::<f64>(op, &a2, &b2, &batch, dims)?,
        DType::Float32 => matmul_typed::<f32>(op, &a2, &b2, &batch, dims)?,
        DType::Int64 => matmul_typed::<i64>(op, &a2, &b2, &batch, dims)?,
        DType::Int32 => matmul_typed::<i32>(op, &a2, &b2, &batch, dims)?,
        DType::Bool => matmul_typed::<bool>(op, &a2, &b2, &batch, dims)?,
    };
    // Drop the axes added for 1-d operands.
    let mut shape = out.shape().to_vec();
    if b.ndim() == 1 {
        shape.pop();
    }
    if a.ndim() == 1 {
        let at = shape.len() - if b.ndim() == 1 { 1 } else { 2 };
        shape.remove(at);
    }
    reshape_array(op, &out, &shape)
}

/// `tensordot` over the axis pairs (`a_axes[i]`, `b_axes[i]`) (normalized, distinct).
pub(crate) fn tensordot_arrays(
    op: &str,
    a: &Array,
    b: &Array,
    a_axes: &[i64],
    b_axes: &[i64],
) -> Result<Array, KernelError> {
    if a_axes.len() != b_axes.len() {
        return Err(err(
            op,
            "shape-mismatch for sum: the two axis lists differ in length",
        ));
    }
    let norm = |axes: &[i64], ndim: usize| -> Result<Vec<usize>, KernelError> {
        let mut out = Vec::new();
        for &x in axes {
            let p = args::normalize_axis(op, x, ndim)?;
            if out.contains(&p) {
                return Err(err(op, format!("repeated axis {x} in tensordot axes")));
            }
            out.push(p);
        }
        Ok(out)
    };
    let (sa, sb) = (norm(a_axes, a.ndim())?, norm(b_axes, b.ndim())?);
    for (&x, &y) in sa.iter().zip(&sb) {
        if a.shape()[x] != b.shape()[y] {
            return Err(err(
                op,
                format!(
                    "shape-mismatch for sum: axis {x} of {:?} vs axis {y} of {:?}",
                    a.shape(),
                    b.shape()
                ),
            ));
        }
    }
    let free_a: Vec<usize> = (0..a.ndim()).filter(|d| !sa.contains(d)).collect();
    let free_b: Vec<usize> = (0..b.ndim()).filter(|d| !sb.contains(d)).collect();
    let perm_a: Vec<i64> = free_a.iter().chain(&sa).map(|&d| d as i64).collect();
    let perm_b: Vec<i64> = sb.iter().chain(&free_b).map(|&d| d as i64).collect();
    let at = crate::kernels::layout::axes::transpose_array(op, a, Some(&perm_a))?;
    let bt = crate::kernels::layout::axes::transpose_array(op, b, Some(&perm_b))?;
    let m: usize = free_a.iter().map(|&d| a.shape()[d]).product();
    let n: usize = free_b.iter().map(|&d| b.shape()[d]).product();
    let k: usize = sa.iter().map(|&d| a.shape()[d]).product();
    let a2 = reshape_array(op, &at, &[m, k])?;
    let b2 = reshape_array(op, &bt, &[k, n])?;
    let out = matmul_arrays(op, &a2, &b2)?;
    let shape: Vec<usize> = free_a
        .iter()
        .map(|&d| a.shape()[d])
        .chain(free_b.iter().map(|&d| b.shape()[d]))
        .collect();
    reshape_array(op, &out, &shape)
}

fn two_arrays(op: &str, values: &[Value]) -> Result<(Array, Array), KernelError> {
    args::arity(op, values, 2)?;
    Ok((args::array(op, values, 0)?, args::array(op, values, 1)?))
}

/// `matmul(a, b)`.
pub(crate) fn matmul(values: &[Value], _kwargs: &Kwargs) -> Result<Value, KernelError> {
    let (a, b) = two_arrays("matmul", values)?;
    matmul_arrays("matmul", &a, &b).map(Value::Array)
}

/// `dot(a, b)`: NumPy's `dot` (sum over the last axis of a and the second-to-last of b).
pub(crate) fn dot(values: &[Value], _kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "dot";
    let (a, b) = two_arrays(op, values)?;
    if a.ndim() == 0 || b.ndim() == 0 {
        return tensordot_arrays(op, &a, &b, &[], &[]).map(Value::Array);
    }
    let bx = if b.ndim() >= 2 {
        b.ndim() as i64 - 2
    } else {
        0
    };
    tensordot_arrays(op, &a, &b, &[a.ndim() as i64 - 1], &[bx]).map(Value::Array)
}

/// `tensordot(a, b, axes=2)`: `axes` an integer (last n of a with first n of b) or two lists.
pub(crate) fn tensordot(values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "tensordot";
    let (a, b) = two_arrays(op, values)?;
    let (xa, xb): (Vec<i64>, Vec<i64>) = match kwargs.get("axes") {
        None | Some(serde_json::Value::Null) => {
            let n = 2i64;
            (
                (a.ndim() as i64 - n..a.ndim() as i64).collect(),
                (0..n).collect(),
            )
        }
        Some(serde_json::Value::Number(n)) => {
            let n = n
                .as_i64()
                .filter(|&n| n >= 0)
                .ok_or_else(|| err(op, "`axes` must be a non-negative integer"))?;
            if n as usize > a.ndim() || n as usize > b.ndim() {
                return Err(err(
                    op,
                    format!(
                        "axes={n} exceeds the dimensions of {:?} or {:?}",
                        a.shape(),
                        b.shape()
                    ),
                ));
            }
            (
                (a.ndim() as i64 - n..a.ndim() as i64).collect(),
                (0..n).collect(),
            )
        }
        Some(serde_json::Value::Array(pair)) if pair.len() == 2 => {
            let list = |v: &serde_json::Value| -> Result<Vec<i64>, KernelError> {
                match v {
                    serde_json::Value::Number(n) => n
                        .as_i64()
                        .map(|x| vec![x])
                        .ok_or_else(|| err(op, "bad `axes`")),
                    serde_json::Value::Array(xs) => xs
                        .iter()
                        .map(|x| x.as_i64().ok_or_else(|| err(op, "bad `axes`")))
                        .collect(),
                    _ => Err(err(op, "`axes` lists must hold integers")),
                }
            };
            (list(&pair[0])?, list(&pair[1])?)
        }
        Some(other) => {
            return Err(err(
                op,
                format!("`axes` must be an integer or two lists, got {other}"),
            ));
        }
    };
    tensordot_arrays(op, &a, &b, &xa, &xb).map(Value::Array)
}

/// `outer(a, b)`: the inputs are flattened.
pub(crate) fn outer(values: &[Value], _kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "outer";
    let (a, b) = two_arrays(op, values)?;
    let a = reshape_array(op, &a, &[a.len(), 1])?;
    let b = reshape_array(op, &b, &[1, b.len()])?;
    matmul_arrays(op, &a, &b).map(Value::Array)
}

fn accumulate_typed<T: GemmElement>(
    op: &str,
    pairs: &[(Array, Array)],
    (m, n): (usize, usize),
) -> Result<Array, KernelError> {
    let mut out = vec![T::default(); m * n];
    for (a, b) in pairs {
        let (ta, tb): (ArcArray<T, IxDyn>, ArcArray<T, IxDyn>) = (typed(a), typed(b));
        let x = ta
            .view()
            .into_dimensionality::<Ix2>()
            .map_err(|e| err(op, e))?;
        let y = tb
            .view()
            .into_dimensionality::<Ix2>()
            .map_err(|e| err(op, e))?;
        T::gemm(x, y, &mut out, true);
    }
    from_vec(&[m, n], out).ok_or_else(|| err(op, "internal: size mismatch"))
}

/// `matmul-accumulate([a0, a1, ...], [b0, b1, ...])` = Σ aᵢ @ bᵢ over 2-d blocks
/// (one output block of a blocked matrix product), accumulated in place.
pub(crate) fn matmul_accumulate(values: &[Value], _kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "matmul-accumulate";
    args::arity(op, values, 2)?;
    let (las, lbs) = (
        args::array_list(op, values, 0)?,
        args::array_list(op, values, 1)?,
    );
    if las.len() != lbs.len() || las.is_empty() {
        return Err(err(
            op,
            format!(
                "need as many a blocks as b blocks (at least one), got {} and {}",
                las.len(),
                lbs.len()
            ),
        ));
    }
    let (m, n) = match (las[0].shape(), lbs[0].shape()) {
        ([m, _], [_, n]) => (*m, *n),
        (sa, sb) => {
            return Err(err(
                op,
                format!("blocks must be 2-d, got {sa:?} and {sb:?}"),
            ));
        }
    };
    let mut dtype = las[0].dtype();
    for (i, (a, b)) in las.iter().zip(&lbs).enumerate() {
        match (a.shape(), b.shape()) {
            ([am, ak], [bk, bn]) if *am == m && *bn == n && ak == bk => {}
            (sa, sb) => {
                return Err(err(
                    op,
                    format!(
                        "pair {i}: blocks of shapes {sa:?} and {sb:?} do not make a {m}×{n} product"
                    ),
                ));
            }
        }
        dtype = dtype.promote(a.dtype()).promote(b.dtype());
    }
    let pairs: Vec<(Array, Array)> = las.into_iter().zip(lbs).collect();
    let out = match dtype {
        DType::Float64 => accumulate_typed::<f64>(op, &pairs, (m, n))?,
        DType::Float32 => accumulate_typed::<f32>(op, &pairs, (m, n))?,
        DType::Int64 => accumulate_typed::<i64>(op, &pairs, (m, n))?,
        DType::Int32 => accumulate_typed::<i32>(op, &pairs, (m, n))?,
        DType::Bool => accumulate_typed::<bool>(op, &pairs, (m, n))?,
    };
    Ok(Value::Array(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arange(shape: &[usize], scale: f64) -> Array {
        let n = shape.iter().product::<usize>();
        from_vec(shape, (0..n).map(|v| v as f64 * scale - 1.0).collect()).unwrap()
    }

    fn f64s(a: &Array) -> (Vec<usize>, Vec<f64>) {
        let x = typed::<f64>(a);
        (x.shape().to_vec(), x.iter().copied().collect())
    }

    fn call(
        f: crate::kernels::KernelFn,
        a: &Array,
        b: &Array,
        kw: serde_json::Value,
    ) -> Result<Array, KernelError> {
        match f(
            &[Value::Array(a.clone()), Value::Array(b.clone())],
            kw.as_object().unwrap(),
        )? {
            Value::Array(x) => Ok(x),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn matmul_one_d_rules() {
        let m = from_vec(&[2, 3], vec![1i64, 2, 3, 4, 5, 6]).unwrap();
        let v = from_vec(&[3], vec![1i64, 0, -1]).unwrap();
        let w = from_vec(&[2], vec![1i64, 1]).unwrap();
        assert_eq!(
            call(matmul, &m, &v, serde_json::json!({})).unwrap(),
            from_vec(&[2], vec![-2i64, -2]).unwrap()
        );
        assert_eq!(
            call(matmul, &w, &m, serde_json::json!({})).unwrap(),
            from_vec(&[3], vec![5i64, 7, 9]).unwrap()
        );
        assert_eq!(
            call(matmul, &v, &v, serde_json::json!({})).unwrap(),
            from_vec(&[], vec![2i64]).unwrap()
        );
        assert!(
            call(matmul, &m, &m, serde_json::json!({}))
                .unwrap_err()
                .0
                .contains("core dimension mismatch")
        );
        let s = from_vec(&[], vec![1i64]).unwrap();
        assert!(call(matmul, &s, &m, serde_json::json!({})).is_err());
    }

    #[test]
    fn matmul_batch_broadcasting_and_dtype() {
        let a = arange(&[2, 1, 2, 3], 0.5);
        let b = from_vec(&[3, 3, 2], (0..18).map(|v| v as f32).collect()).unwrap();
        let out = call(matmul, &a, &b, serde_json::json!({})).unwrap();
        assert_eq!(out.dtype(), DType::Float64);
        assert_eq!(out.shape(), &[2, 3, 2, 2]);
        // Element [1, 2, 0, 1] = a[1, 0, 0, :] · b[2, :, 1].
        let (_, o) = f64s(&out);
        let (_, av) = f64s(&a);
        let want: f64 = (0..3).map(|p| av[6 + p] * (12 + p * 2 + 1) as f64).sum();
        assert_eq!(o[((3 + 2) * 2) * 2 + 1], want);
        let bad = arange(&[3, 2, 3], 1.0);
        assert!(call(matmul, &a, &bad, serde_json::json!({})).is_err());
    }

    #[test]
    fn dot_tensordot_outer() {
        let a = arange(&[2, 3, 4], 1.0);
        let b = arange(&[4, 3], 1.0);
        // dot sums the last axis of a with the second-to-last of b.
        let d = call(dot, &a, &b, serde_json::json!({})).unwrap();
        let t = call(tensordot, &a, &b, serde_json::json!({"axes": [[2], [0]]})).unwrap();
        assert_eq!(d, t);
        assert_eq!(d.shape(), &[2, 3, 3]);
        let t2 = call(
            tensordot,
            &a,
            &arange(&[3, 4], 1.0),
            serde_json::json!({"axes": 2}),
        )
        .unwrap();
        assert_eq!(t2.shape(), &[2]);
        let (_, av) = f64s(&a);
        let want: f64 = (0..12).map(|i| av[i] * (i as f64 - 1.0)).sum();
        assert_eq!(f64s(&t2).1[0], want);
        let o = call(
            outer,
            &from_vec(&[2], vec![1i32, 2]).unwrap(),
            &from_vec(&[3], vec![1i32, 10, 100]).unwrap(),
            serde_json::json!({}),
        )
        .unwrap();
        assert_eq!(
            o,
            from_vec(&[2, 3], vec![1i32, 10, 100, 2, 20, 200]).unwrap()
        );
        let s = call(
            dot,
            &from_vec(&[], vec![2.0f64]).unwrap(),
            &b,
            serde_json::json!({}),
        )
        .unwrap();
        assert_eq!(
            f64s(&s).1,
            f64s(&b).1.iter().map(|v| 2.0 * v).collect::<Vec<_>>()
        );
        let vv = call(
            dot,
            &from_vec(&[2], vec![1.0f64, 2.0]).unwrap(),
            &from_vec(&[2], vec![3.0f64, 4.0]).unwrap(),
            serde_json::json!({}),
        )
        .unwrap();
        assert_eq!(f64s(&vv), (vec![], vec![11.0]));
        assert!(call(tensordot, &a, &b, serde_json::json!({"axes": [[0], [0]]})).is_err());
    }

    #[test]
    fn accumulate_equals_the_full_product() {
        let a = arange(&[3, 5], 0.25);
        let b = arange(&[5, 2], 0.5);
        let full = call(matmul, &a, &b, serde_json::json!({})).unwrap();
        let split = |x: &Array, s: [usize; 2], e: [usize; 2]| {
            crate::kernels::layout::regions::region("t", x, &s, &e).unwrap()
        };
        let las = Value::List(
            vec![
                Value::Array(split(&a, [0, 0], [3, 2])),
                Value::Array(split(&a, [0, 2], [3, 5])),
            ]
            .into(),
        );
        let lbs = Value::List(
            vec![
                Value::Array(split(&b, [0, 0], [2, 2])),
                Value::Array(split(&b, [2, 0], [5, 2])),
            ]
            .into(),
        );
        let Value::Array(acc) = matmul_accumulate(&[las, lbs], &Kwargs::new()).unwrap() else {
            panic!()
        };
        let (fa, fb) = (f64s(&full), f64s(&acc));
        assert_eq!(fa.0, fb.0);
        assert!(fa.1.iter().zip(&fb.1).all(|(x, y)| (x - y).abs() < 1e-12));
        let bad = Value::List(vec![Value::Array(a.clone())].into());
        assert!(matmul_accumulate(&[bad.clone(), bad], &Kwargs::new()).is_err());
    }
}
