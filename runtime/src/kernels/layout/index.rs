//! `getitem`: NumPy basic indexing (integers, slices with any step, new axes, `...`) as a view of the input's buffer.

use ndarray::{Axis, Slice};
use serde_json::Value as Json;

use crate::kernels::KernelError;
use crate::kernels::reduce::args::{self, Kwargs, err};
use crate::value::{Array, Value};

/// One entry of a `getitem` index, as the graph format writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IndexEntry {
    /// Picks one position and drops the axis (negative counts from the end).
    Int(i64),
    /// `[start, stop, step]`, each optional.
    Slice(Option<i64>, Option<i64>, Option<i64>),
    /// `null`: a new axis of length 1.
    NewAxis,
    /// `"..."`: as many full slices as needed.
    Ellipsis,
}

/// Parses the `index` attribute.
pub(crate) fn parse_index(op: &str, json: &Json) -> Result<Vec<IndexEntry>, KernelError> {
    let items = match json {
        Json::Array(items) => items,
        other => return Err(err(op, format!("`index` must be a list, got {other}"))),
    };
    let opt = |v: &Json, pos: usize| -> Result<Option<i64>, KernelError> {
        match v {
            Json::Null => Ok(None),
            v => v.as_i64().map(Some).ok_or_else(|| {
                err(
                    op,
                    format!("index entry {pos}: slice bounds must be integers or null, got {v}"),
                )
            }),
        }
    };
    items
        .iter()
        .enumerate()
        .map(|(pos, item)| match item {
            Json::Null => Ok(IndexEntry::NewAxis),
            Json::String(s) if s == "..." => Ok(IndexEntry::Ellipsis),
            Json::Number(n) => n
                .as_i64()
                .map(IndexEntry::Int)
                .ok_or_else(|| err(op, format!("index entry {pos}: {n} is not an integer"))),
            Json::Array(parts) if parts.len() == 3 => Ok(IndexEntry::Slice(
                opt(&parts[0], pos)?,
                opt(&parts[1], pos)?,
                opt(&parts[2], pos)?,
            )),
            other => Err(err(
                op,
                format!("index entry {pos}: expected an integer, [start, stop, step], null or \"...\", got {other}"),
            )),
        })
        .collect()
}

/// NumPy's `slice.indices(len)` as (first index, count, step).
pub(crate) fn slice_indices(
    op: &str,
    len: usize,
    start: Option<i64>,
    stop: Option<i64>,
    step: Option<i64>,
) -> Result<(i64, usize, i64), KernelError> {
    let n = len as i64;
    let step = step.unwrap_or(1);
    if step == 0 {
        return Err(err(op, "slice step cannot be zero"));
    }
    let clamp = |v: i64, lo: i64, hi: i64| {
        let v = if v < 0 { v + n } else { v };
        v.clamp(lo, hi)
    };
    let (start, stop) = if step > 0 {
        (
            start.map_or(0, |s| clamp(s, 0, n)),
            stop.map_or(n, |s| clamp(s, 0, n)),
        )
    } else {
        (
            start.map_or(n - 1, |s| clamp(s, -1, n - 1)),
            stop.map_or(-1, |s| clamp(s, -1, n - 1)),
        )
    };
    let count = if step > 0 && stop > start {
        (stop - start - 1) / step + 1
    } else if step < 0 && start > stop {
        // `unsigned_abs`: a step of i64::MIN (valid in Python) has no negation.
        ((start - stop - 1) as u64 / step.unsigned_abs()) as i64 + 1
    } else {
        0
    };
    Ok((start, count as usize, step))
}

/// The ndarray slice selecting the same elements, in the same order, as NumPy's.
fn to_ndarray_slice(first: i64, count: usize, step: i64) -> Slice {
    if count == 0 {
        return Slice::new(0, Some(0), 1);
    }
    let last = first + (count as i64 - 1) * step;
    let (lo, hi) = if step > 0 {
        (first, last + 1)
    } else {
        (last, first + 1)
    };
    // ndarray walks a negative-step slice from its end, as NumPy walks it from `first`.
    Slice::new(lo as isize, Some(hi as isize), step as isize)
}

/// Applies a basic index to `a`; the result shares `a`'s buffer (no copy).
pub(crate) fn getitem_array(
    op: &str,
    a: &Array,
    index: &[IndexEntry],
) -> Result<Array, KernelError> {
    let ndim = a.ndim();
    let consumed = index
        .iter()
        .filter(|e| matches!(e, IndexEntry::Int(_) | IndexEntry::Slice(..)))
        .count();
    let ellipses = index.iter().filter(|e| **e == IndexEntry::Ellipsis).count();
    if ellipses > 1 {
        return Err(err(
            op,
            "an index can only have a single ellipsis (\"...\")",
        ));
    }
    if consumed > ndim {
        return Err(err(
            op,
            format!(
                "too many indices for array: array is {ndim}-dimensional, but {consumed} were indexed"
            ),
        ));
    }
    let full = IndexEntry::Slice(None, None, None);
    let mut entries: Vec<IndexEntry> = Vec::with_capacity(index.len() + ndim);
    for e in index {
        if *e == IndexEntry::Ellipsis {
            entries.extend(std::iter::repeat_n(full, ndim - consumed));
        } else {
            entries.push(*e);
        }
    }
    if ellipses == 0 {
        entries.extend(std::iter::repeat_n(full, ndim - consumed));
    }
    let shape = a.shape().to_vec();
    let out = crate::map_array!(a.clone(), x => {
        let mut x = x;
        let mut ax = 0usize; // axis of `x` the next entry applies to
        let mut src = 0usize; // axis of the input it came from
        for e in &entries {
            match *e {
                IndexEntry::Int(i) => {
                    let len = shape[src] as i64;
                    let p = if i < 0 { i + len } else { i };
                    if p < 0 || p >= len {
                        return Err(err(
                            op,
                            format!("index {i} is out of bounds for axis {src} with size {len}"),
                        ));
                    }
                    x = x.index_axis_move(Axis(ax), p as usize);
                    src += 1;
                }
                IndexEntry::Slice(start, stop, step) => {
                    let (first, count, step) = slice_indices(op, shape[src], start, stop, step)?;
                    x.slice_axis_inplace(Axis(ax), to_ndarray_slice(first, count, step));
                    ax += 1;
                    src += 1;
                }
                IndexEntry::NewAxis => {
                    x = x.insert_axis(Axis(ax));
                    ax += 1;
                }
                IndexEntry::Ellipsis => {}
            }
        }
        x
    });
    Ok(out)
}

/// `getitem(x, index)`.
pub(crate) fn getitem(values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "getitem";
    args::arity(op, values, 1)?;
    let x = args::array(op, values, 0)?;
    let index = parse_index(
        op,
        kwargs
            .get("index")
            .ok_or_else(|| err(op, "missing attribute `index`"))?,
    )?;
    getitem_array(op, &x, &index).map(Value::Array)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::layout::cast::from_vec;
    use serde_json::json;

    fn get(a: &Array, index: Json) -> Result<(Vec<usize>, Vec<i64>), KernelError> {
        let kw = json!({ "index": index });
        let v = getitem(&[Value::Array(a.clone())], kw.as_object().unwrap())?;
        let Value::Array(Array::I64(x)) = v else {
            panic!()
        };
        Ok((x.shape().to_vec(), x.iter().copied().collect()))
    }

    fn arange(shape: &[usize]) -> Array {
        let n = shape.iter().product::<usize>() as i64;
        from_vec(shape, (0..n).collect()).unwrap()
    }

    #[test]
    fn numpy_slice_indices() {
        // Values checked against Python's slice(start, stop, step).indices(10).
        assert_eq!(
            slice_indices("t", 10, None, None, Some(-1)).unwrap(),
            (9, 10, -1)
        );
        assert_eq!(
            slice_indices("t", 10, Some(7), Some(2), Some(-2)).unwrap(),
            (7, 3, -2)
        );
        assert_eq!(
            slice_indices("t", 10, Some(-3), None, None).unwrap(),
            (7, 3, 1)
        );
        assert_eq!(
            slice_indices("t", 10, Some(20), Some(-20), Some(-3)).unwrap(),
            (9, 4, -3)
        );
        assert_eq!(slice_indices("t", 10, Some(2), Some(2), None).unwrap().1, 0);
        assert_eq!(slice_indices("t", 0, None, None, Some(-1)).unwrap().1, 0);
        assert!(slice_indices("t", 10, None, None, Some(0)).is_err());
    }

    #[test]
    fn slice_step_of_i64_min_picks_one_element() {
        // Python: slice(None, None, -2**63).indices(10) == (9, -1, -2**63): one element.
        assert_eq!(
            slice_indices("t", 10, None, None, Some(i64::MIN)).unwrap(),
            (9, 1, i64::MIN)
        );
    }

    #[test]
    fn ints_slices_negative_steps() {
        let a = arange(&[10]);
        assert_eq!(get(&a, json!([[7, 2, -2]])).unwrap().1, vec![7, 5, 3]);
        assert_eq!(
            get(&a, json!([[null, null, -3]])).unwrap().1,
            vec![9, 6, 3, 0]
        );
        assert_eq!(
            get(&a, json!([[1, 100, null]])).unwrap().1,
            (1..10).collect::<Vec<_>>()
        );
        assert_eq!(get(&a, json!([-1])).unwrap(), (vec![], vec![9]));
        assert_eq!(get(&a, json!([[5, 1, null]])).unwrap().0, vec![0]);
    }

    #[test]
    fn newaxis_ellipsis_and_2d() {
        let a = arange(&[3, 4]);
        assert_eq!(get(&a, json!([1])).unwrap(), (vec![4], vec![4, 5, 6, 7]));
        assert_eq!(
            get(&a, json!(["...", 1])).unwrap(),
            (vec![3], vec![1, 5, 9])
        );
        assert_eq!(
            get(&a, json!([null, "...", null])).unwrap().0,
            vec![1, 3, 4, 1]
        );
        assert_eq!(
            get(&a, json!([[null, null, -1], 0, null])).unwrap(),
            (vec![3, 1], vec![8, 4, 0])
        );
        assert_eq!(get(&a, json!([])).unwrap().0, vec![3, 4]);
    }

    #[test]
    fn bad_indices_are_errors() {
        let a = arange(&[3, 4]);
        assert!(
            get(&a, json!([3]))
                .unwrap_err()
                .0
                .contains("out of bounds for axis 0")
        );
        assert!(
            get(&a, json!([0, 0, 0]))
                .unwrap_err()
                .0
                .contains("too many indices")
        );
        assert!(get(&a, json!(["...", "..."])).is_err());
        assert!(get(&a, json!([[0, 1]])).is_err());
        assert!(get(&a, json!([1.5])).is_err());
    }

    #[test]
    fn result_is_a_view_of_the_input_buffer() {
        let a = arange(&[4, 5]);
        let Array::I64(src) = &a else { panic!() };
        let kw = json!({ "index": [[3, 0, -1], [1, null, 2]] });
        let Value::Array(Array::I64(v)) =
            getitem(&[Value::Array(a.clone())], kw.as_object().unwrap()).unwrap()
        else {
            panic!()
        };
        assert_eq!(v.shape(), &[3, 2]);
        assert_eq!(
            v.iter().copied().collect::<Vec<_>>(),
            vec![16, 18, 11, 13, 6, 8]
        );
        // The first element is a[3, 1], 16 elements into the same allocation.
        assert_eq!(v.as_ptr(), src.as_ptr().wrapping_add(16));
    }

    #[test]
    fn zero_d_result_and_empty_input() {
        let a = arange(&[2, 2]);
        assert_eq!(get(&a, json!([1, -1])).unwrap(), (vec![], vec![3]));
        let e = arange(&[0, 3]);
        assert_eq!(get(&e, json!([[null, null, -1], 2])).unwrap().0, vec![0]);
    }
}
