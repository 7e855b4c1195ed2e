//! `tril` and `triu` (diagonal offset `k`), also on a block at (`row0`, `col0`) of the global matrix.

use ndarray::{ArcArray, IxDyn};

use super::cast::Element;
use crate::kernels::KernelError;
use crate::kernels::reduce::args::{self, Kwargs, err};
use crate::value::Value;

fn mask<T: Element>(
    op: &str,
    x: &ArcArray<T, IxDyn>,
    keep: impl Fn(i64) -> bool,
    row0: i64,
    col0: i64,
) -> Result<ArcArray<T, IxDyn>, KernelError> {
    let shape = x.shape().to_vec();
    let (m, n) = (shape[shape.len() - 2], shape[shape.len() - 1]);
    let mut data: Vec<T> = x.iter().copied().collect();
    if m * n > 0 {
        for mat in data.chunks_mut(m * n) {
            for (i, row) in mat.chunks_mut(n).enumerate() {
                for (j, v) in row.iter_mut().enumerate() {
                    // keep(d) with d = global column - global row
                    if !keep((col0 + j as i64) - (row0 + i as i64)) {
                        *v = T::default();
                    }
                }
            }
        }
    }
    ndarray::ArrayD::from_shape_vec(IxDyn(&shape), data)
        .map(|a| a.into_shared())
        .map_err(|e| err(op, e))
}

fn tri(op: &str, values: &[Value], kwargs: &Kwargs, lower: bool) -> Result<Value, KernelError> {
    args::arity(op, values, 1)?;
    let mut x = args::array(op, values, 0)?;
    let k = args::int(op, kwargs, "k")?.unwrap_or(0);
    let row0 = args::int(op, kwargs, "row0")?.unwrap_or(0);
    let col0 = args::int(op, kwargs, "col0")?.unwrap_or(0);
    match x.ndim() {
        0 => return Err(err(op, "input must be at least 1-d")),
        // NumPy broadcasts a 1-d input against the (n, n) mask.
        1 => {
            let n = x.shape()[0];
            x = super::axes::broadcast_array(op, &x, &[n, n])?;
        }
        _ => {}
    }
    let keep = move |d: i64| if lower { d <= k } else { d >= k };
    Ok(Value::Array(
        crate::map_array!(&x, a => mask(op, a, keep, row0, col0)?),
    ))
}

/// `tril(x, k=0, row0=0, col0=0)`: zeroes what lies above diagonal `k`; for a block,
/// `row0`/`col0` give its position in the global matrix.
pub(crate) fn tril(values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    tri("tril", values, kwargs, true)
}

/// `triu(x, k=0, row0=0, col0=0)`: zeroes what lies below diagonal `k`.
pub(crate) fn triu(values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    tri("triu", values, kwargs, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::layout::cast::from_vec;
    use crate::value::Array;
    use serde_json::json;

    fn run(f: crate::kernels::KernelFn, a: &Array, kw: serde_json::Value) -> Vec<i64> {
        let Value::Array(Array::I64(x)) =
            f(&[Value::Array(a.clone())], kw.as_object().unwrap()).unwrap()
        else {
            panic!()
        };
        x.iter().copied().collect()
    }

    #[test]
    fn tril_triu_with_k() {
        let a = from_vec(&[3, 3], (1..=9).collect::<Vec<i64>>()).unwrap();
        assert_eq!(run(tril, &a, json!({})), vec![1, 0, 0, 4, 5, 0, 7, 8, 9]);
        assert_eq!(run(triu, &a, json!({})), vec![1, 2, 3, 0, 5, 6, 0, 0, 9]);
        assert_eq!(
            run(tril, &a, json!({"k": -1})),
            vec![0, 0, 0, 4, 0, 0, 7, 8, 0]
        );
        assert_eq!(
            run(triu, &a, json!({"k": 1})),
            vec![0, 2, 3, 0, 0, 6, 0, 0, 0]
        );
    }

    #[test]
    fn block_offsets_agree_with_the_whole_matrix() {
        let a = from_vec(&[4, 4], (0..16).collect::<Vec<i64>>()).unwrap();
        let whole = run(tril, &a, json!({"k": 1}));
        // The block at rows 2..4, columns 0..2.
        let block = crate::kernels::layout::regions::region("t", &a, &[2, 0], &[4, 2]).unwrap();
        let got = run(tril, &block, json!({"k": 1, "row0": 2, "col0": 0}));
        assert_eq!(got, vec![whole[8], whole[9], whole[12], whole[13]]);
        let block = crate::kernels::layout::regions::region("t", &a, &[0, 2], &[2, 4]).unwrap();
        let got = run(triu, &block, json!({"row0": 0, "col0": 2}));
        assert_eq!(got, vec![2, 3, 6, 7]);
        assert_eq!(
            run(tril, &block, json!({"row0": 0, "col0": 2})),
            vec![0, 0, 0, 0]
        );
    }

    #[test]
    fn batches_and_one_d() {
        let a = from_vec(&[2, 2, 2], vec![1i64; 8]).unwrap();
        assert_eq!(run(triu, &a, json!({})), vec![1, 1, 0, 1, 1, 1, 0, 1]);
        let v = from_vec(&[2], vec![5i64, 6]).unwrap();
        assert_eq!(run(tril, &v, json!({})), vec![5, 0, 5, 6]);
        assert!(
            tril(
                &[Value::Array(from_vec(&[], vec![1i64]).unwrap())],
                &Kwargs::new()
            )
            .is_err()
        );
    }
}
