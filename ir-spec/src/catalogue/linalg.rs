//! Linear algebra: `matmul`, `dot`, `tensordot`, `outer` and the `linalg.*`
//! factorizations and solvers, with NumPy's shape rules.
//!
//! Result chunks come from the operands: rows from `a`, columns from `b`, batch axes
//! unified as in broadcasting. Square factorizations (`cholesky`, `inv`) use the
//! common refinement of the row and column chunks on both axes, so their blocks are
//! square along the diagonal; solvers use it for the rows of the solution.

use super::attr::{normalize_axes, not_an_array};
use super::broadcast::{broadcast_chunks, broadcast_shapes};
use super::shape_ops::reshape_chunks;
use super::{Arity, AttrSpec, AttrType, Family, InferError, InferInput, OpSpec};
use crate::chunks::{fmt_shape, unify_axis};
use crate::dtype::DType;
use crate::meta::{ArrayMeta, Chunks, Meta};

fn array(shape: Vec<usize>, dtype: DType, chunks: Vec<Vec<usize>>) -> Meta {
    Meta::Array(ArrayMeta::new(shape, dtype, Chunks(chunks)))
}

/// NumPy linalg computes in floating point: float32 stays, everything else is float64.
fn float_of(d: DType) -> DType {
    if d.is_float() { d } else { DType::Float64 }
}

fn unify(a: &[usize], b: &[usize]) -> Result<Vec<usize>, InferError> {
    unify_axis(a, b).map_err(InferError::new)
}

/// An operand that NumPy would turn into an array: a weak scalar becomes a strong
/// 0-d array of its default dtype (`np.dot(int32_array, 2)` is int64).
fn strong(input: &InferInput<'_>, i: usize) -> Result<ArrayMeta, InferError> {
    input.array_like(i)
}

fn matmul(input: &InferInput<'_>) -> Result<Meta, InferError> {
    let (a, b) = (strong(input, 0)?, strong(input, 1)?);
    for (i, x) in [&a, &b].into_iter().enumerate() {
        if x.ndim() == 0 {
            return Err(InferError::arg(
                i,
                format!(
                    "matmul: input operand {i} does not have enough dimensions (has 0, needs at least 1)"
                ),
            ));
        }
    }
    let (a1, b1) = (a.ndim() == 1, b.ndim() == 1);
    // Promote 1-d operands to matrices: a row (1, k) and a column (k, 1).
    let (ashape, achunks) = if a1 {
        (vec![1, a.shape[0]], vec![vec![1], a.chunks.0[0].clone()])
    } else {
        (a.shape.clone(), a.chunks.0.clone())
    };
    let (bshape, bchunks) = if b1 {
        (vec![b.shape[0], 1], vec![b.chunks.0[0].clone(), vec![1]])
    } else {
        (b.shape.clone(), b.chunks.0.clone())
    };
    let (an, bn) = (ashape.len(), bshape.len());
    let (n, k, k2, m) = (
        ashape[an - 2],
        ashape[an - 1],
        bshape[bn - 2],
        bshape[bn - 1],
    );
    if k != k2 {
        return Err(InferError::arg(
            1,
            format!(
                "matmul: input operand 1 has a mismatch in its core dimension 0, with gufunc signature (n?,k),(k,m?)->(n?,m?) (size {k2} is different from {k})"
            ),
        ));
    }
    let batch_a = ArrayMeta::new(
        ashape[..an - 2].to_vec(),
        a.dtype,
        Chunks(achunks[..an - 2].to_vec()),
    );
    let batch_b = ArrayMeta::new(
        bshape[..bn - 2].to_vec(),
        b.dtype,
        Chunks(bchunks[..bn - 2].to_vec()),
    );
    let batch = broadcast_shapes(&[&batch_a.shape, &batch_b.shape]).map_err(InferError::new)?;
    let mut chunks = broadcast_chunks(&[&batch_a, &batch_b], &batch)
        .map_err(InferError::new)?
        .0;
    let mut shape = batch;
    if !a1 {
        shape.push(n);
        chunks.push(achunks[an - 2].clone());
    }
    if !b1 {
        shape.push(m);
        chunks.push(bchunks[bn - 1].clone());
    }
    Ok(array(shape, a.dtype.promote(b.dtype), chunks))
}

fn dot(input: &InferInput<'_>) -> Result<Meta, InferError> {
    let (a, b) = (strong(input, 0)?, strong(input, 1)?);
    let dtype = a.dtype.promote(b.dtype);
    // A 0-d operand multiplies the other.
    if a.ndim() == 0 || b.ndim() == 0 {
        let other = if a.ndim() == 0 { b } else { a };
        return Ok(Meta::Array(ArrayMeta { dtype, ..other }));
    }
    let ax_a = a.ndim() - 1;
    let ax_b = if b.ndim() == 1 { 0 } else { b.ndim() - 2 };
    if a.shape[ax_a] != b.shape[ax_b] {
        return Err(InferError::new(format!(
            "shapes {} and {} not aligned: {} (dim {ax_a}) != {} (dim {ax_b})",
            fmt_shape(&a.shape),
            fmt_shape(&b.shape),
            a.shape[ax_a],
            b.shape[ax_b]
        )));
    }
    contract(&a, &b, &[ax_a], &[ax_b], dtype)
}

/// The result of summing products over axes `ax_a` of `a` paired with `ax_b` of `b`:
/// `a`'s free axes then `b`'s, each with its chunks.
fn contract(
    a: &ArrayMeta,
    b: &ArrayMeta,
    ax_a: &[usize],
    ax_b: &[usize],
    dtype: DType,
) -> Result<Meta, InferError> {
    let mut shape = Vec::new();
    let mut chunks = Vec::new();
    for (x, axes) in [(a, ax_a), (b, ax_b)] {
        for d in (0..x.ndim()).filter(|d| !axes.contains(d)) {
            shape.push(x.shape[d]);
            chunks.push(x.chunks.0[d].clone());
        }
    }
    Ok(array(shape, dtype, chunks))
}

fn tensordot(input: &InferInput<'_>) -> Result<Meta, InferError> {
    let (a, b) = (strong(input, 0)?, strong(input, 1)?);
    let bad = |m: String| InferError::at("axes", m);
    let axes = input.opt("axes").cloned().unwrap_or(serde_json::json!(2));
    let int_or_list = |v: &serde_json::Value| -> Result<Vec<i64>, InferError> {
        match v {
            serde_json::Value::Array(items) => items
                .iter()
                .map(|x| {
                    x.as_i64()
                        .ok_or_else(|| bad(format!("axes must be integers, found {x}")))
                })
                .collect(),
            x => x
                .as_i64()
                .map(|n| vec![n])
                .ok_or_else(|| bad(format!("axes must be integers, found {x}"))),
        }
    };
    let (la, lb): (Vec<i64>, Vec<i64>) = match &axes {
        serde_json::Value::Number(n) => {
            let n = n
                .as_i64()
                .filter(|&n| n >= 0)
                .ok_or_else(|| bad(format!("axes must be a non-negative integer, found {n}")))?;
            if n as usize > a.ndim() || n as usize > b.ndim() {
                return Err(bad(format!(
                    "cannot sum over {n} axes of arrays of dimensions {} and {}",
                    a.ndim(),
                    b.ndim()
                )));
            }
            let n = n as usize;
            (
                (a.ndim() - n..a.ndim()).map(|d| d as i64).collect(),
                (0..n).map(|d| d as i64).collect(),
            )
        }
        serde_json::Value::Array(pair) if pair.len() == 2 => {
            (int_or_list(&pair[0])?, int_or_list(&pair[1])?)
        }
        other => {
            return Err(bad(format!(
                "axes must be an integer or two lists of axes, found {other}"
            )));
        }
    };
    if la.len() != lb.len() {
        return Err(bad(format!(
            "the two lists of axes must have the same length, found {} and {}",
            la.len(),
            lb.len()
        )));
    }
    let ax_a = normalize_axes(&la, a.ndim()).map_err(|e| bad(format!("first list: {e}")))?;
    let ax_b = normalize_axes(&lb, b.ndim()).map_err(|e| bad(format!("second list: {e}")))?;
    for (&i, &j) in ax_a.iter().zip(&ax_b) {
        if a.shape[i] != b.shape[j] {
            return Err(bad(format!(
                "shape-mismatch for sum: axis {i} of the first array has length {} but axis {j} of the second has length {}",
                a.shape[i], b.shape[j]
            )));
        }
    }
    contract(&a, &b, &ax_a, &ax_b, a.dtype.promote(b.dtype))
}

fn outer(input: &InferInput<'_>) -> Result<Meta, InferError> {
    let (a, b) = (strong(input, 0)?, strong(input, 1)?);
    let flat = |x: &ArrayMeta| reshape_chunks(&x.chunks, &x.shape, &[x.size()]).0.remove(0);
    let shape = vec![a.size(), b.size()];
    Ok(array(
        shape,
        a.dtype.promote(b.dtype),
        vec![flat(&a), flat(&b)],
    ))
}

/// Argument `i` as a square matrix: its size and the unified chunks of its axes.
fn square(
    input: &InferInput<'_>,
    i: usize,
    op: &str,
) -> Result<(ArrayMeta, Vec<usize>), InferError> {
    let x = match input.arg(i)? {
        Meta::Array(x) => x.clone(),
        other => return Err(not_an_array(i, other)),
    };
    if x.ndim() != 2 || x.shape[0] != x.shape[1] {
        return Err(InferError::arg(
            i,
            format!(
                "{op} needs a square 2-d array, found shape {}",
                fmt_shape(&x.shape)
            ),
        ));
    }
    let sizes = unify(&x.chunks.0[0], &x.chunks.0[1])?;
    Ok((x, sizes))
}

fn factor(input: &InferInput<'_>, op: &str) -> Result<Meta, InferError> {
    let (x, sizes) = square(input, 0, op)?;
    Ok(array(
        x.shape,
        float_of(x.dtype),
        vec![sizes.clone(), sizes],
    ))
}

fn cholesky(input: &InferInput<'_>) -> Result<Meta, InferError> {
    factor(input, "linalg.cholesky")
}

fn inv(input: &InferInput<'_>) -> Result<Meta, InferError> {
    factor(input, "linalg.inv")
}

fn solve_with(input: &InferInput<'_>, op: &str) -> Result<Meta, InferError> {
    let (a, rows) = square(input, 0, op)?;
    let b = input.array(1)?;
    if !matches!(b.ndim(), 1 | 2) {
        return Err(InferError::arg(
            1,
            format!(
                "{op} needs b of shape (n,) or (n, k), found shape {}",
                fmt_shape(&b.shape)
            ),
        ));
    }
    if b.shape[0] != a.shape[0] {
        return Err(InferError::arg(
            1,
            format!(
                "b has {} rows but a is {} x {}",
                b.shape[0], a.shape[0], a.shape[1]
            ),
        ));
    }
    let mut chunks = vec![unify(&rows, &b.chunks.0[0])?];
    chunks.extend(b.chunks.0[1..].iter().cloned());
    input.flag("lower", false)?;
    Ok(array(
        b.shape.clone(),
        float_of(a.dtype.promote(b.dtype)),
        chunks,
    ))
}

fn solve_triangular(input: &InferInput<'_>) -> Result<Meta, InferError> {
    solve_with(input, "linalg.solve_triangular")
}

fn solve(input: &InferInput<'_>) -> Result<Meta, InferError> {
    match input.opt("assume_a") {
        None => {}
        Some(v) if matches!(v.as_str(), Some("gen" | "pos")) => {}
        Some(v) => {
            return Err(InferError::at(
                "assume_a",
                format!("expected \"gen\" or \"pos\", found {v}"),
            ));
        }
    }
    solve_with(input, "linalg.solve")
}

fn qr(input: &InferInput<'_>) -> Result<Meta, InferError> {
    let x = input.array(0)?;
    if x.ndim() != 2 {
        return Err(InferError::arg(
            0,
            format!(
                "linalg.qr needs a 2-d array, found shape {}",
                fmt_shape(&x.shape)
            ),
        ));
    }
    let (m, n) = (x.shape[0], x.shape[1]);
    if m < n {
        return Err(InferError::arg(
            0,
            format!(
                "linalg.qr (TSQR) needs at least as many rows as columns, found a {m} x {n} matrix"
            ),
        ));
    }
    let dtype = float_of(x.dtype);
    let q = ArrayMeta::new(
        vec![m, n],
        dtype,
        Chunks(vec![x.chunks.0[0].clone(), vec![n]]),
    );
    let r = ArrayMeta::new(vec![n, n], dtype, Chunks::single(&[n, n]));
    Ok(Meta::Tuple(vec![Meta::Array(q), Meta::Array(r)]))
}

const fn op(
    name: &'static str,
    arity: usize,
    arg_names: &'static str,
    attrs: &'static [AttrSpec],
    doc: &'static str,
    infer: fn(&InferInput<'_>) -> Result<Meta, InferError>,
) -> OpSpec {
    OpSpec {
        name,
        family: Family::Linalg,
        arity: Arity::Exact(arity),
        arg_names,
        attrs,
        doc,
        open_attrs: false,
        infer,
    }
}

const ALL: &[OpSpec] = &[
    op(
        "matmul",
        2,
        "a, b",
        &[],
        "Matrix product with NumPy's rules (1-d operands, batch broadcasting).",
        matmul,
    ),
    op(
        "dot",
        2,
        "a, b",
        &[],
        "numpy.dot: sum over the last axis of a and the second-to-last of b.",
        dot,
    ),
    op(
        "tensordot",
        2,
        "a, b",
        &[AttrSpec {
            name: "axes",
            ty: AttrType::Json,
            required: false,
            default: Some("2"),
            doc: "Number of trailing/leading axes to sum over, or two lists of axes.",
        }],
        "Sum of products over the given axes of a and b.",
        tensordot,
    ),
    op(
        "outer",
        2,
        "a, b",
        &[],
        "Outer product of the flattened operands.",
        outer,
    ),
    op(
        "linalg.cholesky",
        1,
        "a",
        &[],
        "Lower Cholesky factor of a symmetric positive-definite matrix.",
        cholesky,
    ),
    op(
        "linalg.solve_triangular",
        2,
        "a, b",
        &[AttrSpec {
            name: "lower",
            ty: AttrType::Bool,
            required: false,
            default: Some("false"),
            doc: "Use the lower triangle of a (else the upper).",
        }],
        "Solves a x = b for triangular a (scipy.linalg.solve_triangular).",
        solve_triangular,
    ),
    op(
        "linalg.solve",
        2,
        "a, b",
        &[AttrSpec {
            name: "assume_a",
            ty: AttrType::Str,
            required: false,
            default: Some("\"gen\""),
            doc: "Tessera addition (scipy.linalg.solve's spelling): \"gen\" (blocked LU with \
                  partial pivoting) or \"pos\" (a is positive definite: blocked Cholesky, then \
                  two triangular solves).",
        }],
        "Solves a x = b for square a.",
        solve,
    ),
    op(
        "linalg.inv",
        1,
        "a",
        &[],
        "Inverse of a square matrix.",
        inv,
    ),
    op(
        "linalg.qr",
        1,
        "a",
        &[],
        "Reduced QR of a tall matrix (TSQR); the result is the pair (q, r).",
        qr,
    ),
];

/// Every linear algebra op.
pub(super) const OPS: &[&[OpSpec]] = &[ALL];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{InferContext, lookup};
    use crate::dtype::ScalarKind;
    use serde_json::json;

    fn arr(chunks: Vec<Vec<usize>>, dtype: DType) -> Meta {
        let c = Chunks(chunks);
        Meta::Array(ArrayMeta::new(c.shape(), dtype, c))
    }

    fn run(name: &str, args: Vec<Meta>, attrs: serde_json::Value) -> Result<Meta, InferError> {
        let op = lookup(name).unwrap();
        let attrs = attrs.as_object().cloned().unwrap_or_default();
        (op.infer)(&InferInput {
            args: &args,
            attrs: &attrs,
            ctx: &InferContext::default(),
        })
    }

    fn run_a(name: &str, args: Vec<Meta>, attrs: serde_json::Value) -> ArrayMeta {
        run(name, args, attrs).unwrap().as_array().unwrap().clone()
    }

    use DType::*;

    #[test]
    fn matmul_batches_and_1d_operands() {
        // Dask: da.matmul(ones((5,4,6), chunks=(2,2,3)), ones((6,7), chunks=(3,4))).chunks
        //   == ((2, 2, 1), (2, 2), (4, 3))
        let a = arr(vec![vec![2, 2, 1], vec![2, 2], vec![3, 3]], Float32);
        let b = arr(vec![vec![3, 3], vec![4, 3]], Float64);
        let r = run_a("matmul", vec![a.clone(), b], json!({}));
        assert_eq!(r.shape, vec![5, 4, 7]);
        assert_eq!(r.chunks.0, vec![vec![2, 2, 1], vec![2, 2], vec![4, 3]]);
        assert_eq!(r.dtype, Float64);
        // (5,4,6) @ (6,) -> (5,4); (6,) @ (6,) -> ()
        let v = arr(vec![vec![6]], Int32);
        assert_eq!(
            run_a("matmul", vec![a, v.clone()], json!({})).shape,
            vec![5, 4]
        );
        let r = run_a("matmul", vec![v.clone(), v], json!({}));
        assert_eq!((r.shape, r.dtype), (vec![], Int32));
        let bb = arr(vec![vec![2], vec![2]], Bool);
        assert_eq!(run_a("matmul", vec![bb.clone(), bb], json!({})).dtype, Bool);
    }

    #[test]
    fn matmul_errors_follow_numpy() {
        let a = arr(vec![vec![2], vec![3]], Float64);
        let b = arr(vec![vec![4], vec![2]], Float64);
        let e = run("matmul", vec![a.clone(), b], json!({})).unwrap_err();
        assert_eq!(e.at.as_deref(), Some("args/1"));
        assert!(
            e.message.contains("(size 4 is different from 3)"),
            "{}",
            e.message
        );
        let e = run(
            "matmul",
            vec![a.clone(), Meta::Scalar(ScalarKind::Float, 2.0)],
            json!({}),
        )
        .unwrap_err();
        assert!(e.message.contains("does not have enough dimensions"));
        let c = arr(vec![vec![2], vec![2], vec![3]], Float64);
        let d = arr(vec![vec![3], vec![3], vec![1]], Float64);
        let e = run("matmul", vec![c, d], json!({})).unwrap_err();
        assert!(e.message.contains("could not be broadcast"));
    }

    #[test]
    fn dot_follows_numpy() {
        // np.dot(ones((2,3,4)), ones((5,4,6))).shape == (2, 3, 5, 6)
        let a = arr(vec![vec![2], vec![3], vec![2, 2]], Float64);
        let b = arr(vec![vec![5], vec![4], vec![3, 3]], Float64);
        let r = run_a("dot", vec![a, b], json!({}));
        assert_eq!(r.shape, vec![2, 3, 5, 6]);
        assert_eq!(r.chunks.0, vec![vec![2], vec![3], vec![5], vec![3, 3]]);
        // np.dot(int32 array, 2) is int64: the scalar becomes a strong array.
        let v = arr(vec![vec![2]], Int32);
        let r = run_a(
            "dot",
            vec![v.clone(), Meta::Scalar(ScalarKind::Int, 2.0)],
            json!({}),
        );
        assert_eq!((r.shape, r.dtype), (vec![2], Int64));
        assert_eq!(
            run_a("dot", vec![v.clone(), v], json!({})).shape,
            Vec::<usize>::new()
        );
        let e = run(
            "dot",
            vec![
                arr(vec![vec![2], vec![3]], Float64),
                arr(vec![vec![4], vec![2]], Float64),
            ],
            json!({}),
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "shapes (2, 3) and (4, 2) not aligned: 3 (dim 1) != 4 (dim 0)"
        );
    }

    #[test]
    fn tensordot_axes_forms() {
        // Dask: da.tensordot(ones((2,3,4), chunks=1), ones((4,3,5), chunks=(2,3,2)),
        //   axes=([1,2],[1,0])).chunks == ((1, 1), (2, 2, 1))
        let a = arr(vec![vec![1, 1], vec![1, 1, 1], vec![1, 1, 1, 1]], Float64);
        let b = arr(vec![vec![2, 2], vec![3], vec![2, 2, 1]], Float64);
        let r = run_a(
            "tensordot",
            vec![a.clone(), b.clone()],
            json!({"axes": [[1, 2], [1, 0]]}),
        );
        assert_eq!(
            (r.shape, r.chunks.0),
            (vec![2, 5], vec![vec![1, 1], vec![2, 2, 1]])
        );
        let e = run(
            "tensordot",
            vec![a.clone(), b.clone()],
            json!({"axes": [[1], [0]]}),
        )
        .unwrap_err();
        assert!(e.message.starts_with("shape-mismatch for sum"));
        // axes=1: last axis of a with first of b (4 == 4).
        assert_eq!(
            run_a("tensordot", vec![a.clone(), b.clone()], json!({"axes": 1})).shape,
            vec![2, 3, 3, 5]
        );
        assert_eq!(
            run_a(
                "tensordot",
                vec![a.clone(), b.clone()],
                json!({"axes": [2, 0]})
            )
            .shape,
            vec![2, 3, 3, 5]
        );
        // Default 2: (3, 4) vs (4, 3): mismatch.
        assert!(run("tensordot", vec![a.clone(), b.clone()], json!({})).is_err());
        assert!(run("tensordot", vec![a.clone(), b.clone()], json!({"axes": 4})).is_err());
        assert!(
            run(
                "tensordot",
                vec![a.clone(), b.clone()],
                json!({"axes": [[1, 2], [1]]})
            )
            .is_err()
        );
        assert!(run("tensordot", vec![a, b], json!({"axes": "x"})).is_err());
    }

    #[test]
    fn outer_flattens() {
        // Dask: da.outer(ones((2,3), chunks=(1,3)), ones(5, chunks=2)).chunks == ((3, 3), (2, 2, 1))
        let a = arr(vec![vec![1, 1], vec![3]], Int32);
        let b = arr(vec![vec![2, 2, 1]], Int32);
        let r = run_a("outer", vec![a.clone(), b], json!({}));
        assert_eq!(
            (r.shape, r.chunks.0, r.dtype),
            (vec![6, 5], vec![vec![3, 3], vec![2, 2, 1]], Int32)
        );
        let r = run_a(
            "outer",
            vec![a, Meta::Scalar(ScalarKind::Float, 2.5)],
            json!({}),
        );
        assert_eq!((r.shape, r.dtype), (vec![6, 1], Float64));
    }

    #[test]
    fn solve_assume_a_is_gen_or_pos() {
        let a = arr(vec![vec![2, 2], vec![3, 1]], Float64);
        let b = arr(vec![vec![2, 2]], Float64);
        for ok in ["gen", "pos"] {
            let r = run(
                "linalg.solve",
                vec![a.clone(), b.clone()],
                json!({"assume_a": ok}),
            );
            assert_eq!(r.unwrap().as_array().unwrap().shape, vec![4]);
        }
        let e = run("linalg.solve", vec![a, b], json!({"assume_a": "sym"})).unwrap_err();
        assert_eq!(e.at.as_deref(), Some("assume_a"));
    }

    #[test]
    fn factorizations_and_solvers() {
        let a = arr(vec![vec![2, 2], vec![3, 1]], Int32);
        let r = run_a("linalg.cholesky", vec![a.clone()], json!({}));
        assert_eq!(
            (r.dtype, r.chunks.0),
            (Float64, vec![vec![2, 1, 1], vec![2, 1, 1]])
        );
        assert_eq!(
            run_a(
                "linalg.inv",
                vec![arr(vec![vec![2], vec![2]], Float32)],
                json!({})
            )
            .dtype,
            Float32
        );
        let e = run(
            "linalg.inv",
            vec![arr(vec![vec![2], vec![3]], Float64)],
            json!({}),
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "linalg.inv needs a square 2-d array, found shape (2, 3)"
        );
        let b = arr(vec![vec![4], vec![5]], Float32);
        let r = run_a(
            "linalg.solve_triangular",
            vec![a.clone(), b],
            json!({"lower": true}),
        );
        assert_eq!((r.shape, r.dtype), (vec![4, 5], Float64));
        assert_eq!(r.chunks.0, vec![vec![2, 1, 1], vec![5]]);
        let v = arr(vec![vec![4]], Float64);
        assert_eq!(
            run_a("linalg.solve", vec![a.clone(), v], json!({})).shape,
            vec![4]
        );
        let e = run(
            "linalg.solve",
            vec![a.clone(), arr(vec![vec![3]], Float64)],
            json!({}),
        )
        .unwrap_err();
        assert_eq!(
            (e.at.as_deref(), e.message.as_str()),
            (Some("args/1"), "b has 3 rows but a is 4 x 4")
        );
        assert!(
            run(
                "linalg.solve",
                vec![a, arr(vec![vec![4], vec![1], vec![1]], Float64)],
                json!({})
            )
            .is_err()
        );
    }

    #[test]
    fn qr_gives_a_pair_and_needs_a_tall_matrix() {
        let a = arr(vec![vec![4, 4, 2], vec![3]], Float64);
        let m = run("linalg.qr", vec![a], json!({})).unwrap();
        let Meta::Tuple(parts) = m else {
            panic!("not a tuple")
        };
        let (q, r) = (parts[0].as_array().unwrap(), parts[1].as_array().unwrap());
        assert_eq!(
            (q.shape.clone(), q.chunks.0.clone()),
            (vec![10, 3], vec![vec![4, 4, 2], vec![3]])
        );
        assert_eq!(r.shape, vec![3, 3]);
        let e = run(
            "linalg.qr",
            vec![arr(vec![vec![2], vec![3]], Float64)],
            json!({}),
        )
        .unwrap_err();
        assert!(e.message.contains("at least as many rows as columns"));
        assert!(run("linalg.qr", vec![arr(vec![vec![2]], Float64)], json!({})).is_err());
    }
}
