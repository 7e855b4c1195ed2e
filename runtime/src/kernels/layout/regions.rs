//! Rechunk helpers: `rechunk-split` takes a region of a block (a view), `rechunk-merge` assembles a block from a grid of pieces.

use crate::kernels::KernelError;
use crate::kernels::reduce::args::{self, Kwargs, err};
use crate::value::{Array, Value};

use super::concat::concatenate_arrays;
use super::index::{IndexEntry, getitem_array};

/// The region `start..stop` (per axis) of `a`, as a view of its buffer.
pub(crate) fn region(
    op: &str,
    a: &Array,
    start: &[usize],
    stop: &[usize],
) -> Result<Array, KernelError> {
    if start.len() != a.ndim() || stop.len() != a.ndim() {
        return Err(err(
            op,
            format!(
                "`start` and `stop` need {} entries for an array of shape {:?}",
                a.ndim(),
                a.shape()
            ),
        ));
    }
    for (ax, ((&s, &e), &n)) in start.iter().zip(stop).zip(a.shape()).enumerate() {
        if s > e || e > n {
            return Err(err(
                op,
                format!("region {s}..{e} is outside axis {ax} of length {n}"),
            ));
        }
    }
    let index: Vec<IndexEntry> = start
        .iter()
        .zip(stop)
        .map(|(&s, &e)| IndexEntry::Slice(Some(s as i64), Some(e as i64), None))
        .collect();
    getitem_array(op, a, &index)
}

/// `rechunk-split(x, start, stop)`.
fn split(values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "rechunk-split";
    args::arity(op, values, 1)?;
    let x = args::array(op, values, 0)?;
    let start = args::req_usize_list(op, kwargs, "start")?;
    let stop = args::req_usize_list(op, kwargs, "stop")?;
    region(op, &x, &start, &stop).map(Value::Array)
}

/// A grid of arrays: its shape (pieces per axis) and its pieces in C order.
pub(crate) type GridLeaves<'v> = (Vec<usize>, Vec<&'v Array>);

/// The shape and leaves (in C order) of a grid of arrays given as nested lists:
/// the outer list runs along axis 0, the next along axis 1, and so on, every list
/// at one depth as long as the first. `None` when `grid` is not a list.
pub(crate) fn grid_leaves<'v>(
    op: &str,
    grid: &'v Value,
) -> Result<Option<GridLeaves<'v>>, KernelError> {
    // The grid's shape, read down the first elements.
    let mut dims = Vec::new();
    let mut probe = grid;
    while let Value::List(items) | Value::Tuple(items) = probe {
        dims.push(items.len());
        probe = items
            .first()
            .ok_or_else(|| err(op, "an empty list in the grid of pieces"))?;
    }
    if dims.is_empty() {
        return Ok(None);
    }
    // Leaves in C order of the grid, with an explicit stack.
    let mut leaves = Vec::with_capacity(dims.iter().product());
    let mut stack: Vec<(&Value, usize)> = vec![(grid, 0)];
    while let Some((v, depth)) = stack.pop() {
        match v {
            Value::List(items) | Value::Tuple(items) if depth < dims.len() => {
                if items.len() != dims[depth] {
                    return Err(err(
                        op,
                        format!(
                            "ragged grid of pieces: a list at depth {depth} has {} pieces, expected {}",
                            items.len(),
                            dims[depth]
                        ),
                    ));
                }
                stack.extend(items.iter().rev().map(|item| (item, depth + 1)));
            }
            Value::Array(a) if depth == dims.len() => leaves.push(a),
            other => {
                return Err(err(
                    op,
                    format!(
                        "expected an array at depth {} of the grid of pieces, found a {} at depth {depth}",
                        dims.len(),
                        other.type_name()
                    ),
                ));
            }
        }
    }
    Ok(Some((dims, leaves)))
}

/// Joins a grid of arrays given as nested lists (see [`grid_leaves`]).
pub(crate) fn merge_grid(op: &str, grid: &Value) -> Result<Array, KernelError> {
    let Some((dims, leaves)) = grid_leaves(op, grid)? else {
        return Err(err(op, "expected a (nested) list of arrays"));
    };
    // Join the innermost level first: groups of dims[level] pieces along axis `level`.
    let mut pieces: Vec<Array> = leaves.into_iter().cloned().collect();
    for level in (0..dims.len()).rev() {
        pieces = pieces
            .chunks(dims[level])
            .map(|group| concatenate_arrays(op, group, level as i64))
            .collect::<Result<_, _>>()?;
    }
    pieces.pop().ok_or_else(|| err(op, "no pieces"))
}

/// `rechunk-merge(grid)`.
fn merge(values: &[Value], _kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "rechunk-merge";
    args::arity(op, values, 1)?;
    merge_grid(op, &values[0]).map(Value::Array)
}

/// The kernels of this file.
pub(crate) fn kernels() -> Vec<(&'static str, &'static str, crate::kernels::KernelFn)> {
    vec![
        (
            "rechunk-split",
            "rechunk-split(x, start, stop) -> view of x[start:stop]",
            split,
        ),
        (
            "rechunk-merge",
            "rechunk-merge([[piece, ...], ...]) -> block",
            merge,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::layout::cast::from_vec;
    use serde_json::json;

    fn arange(shape: &[usize]) -> Array {
        let n = shape.iter().product::<usize>() as i64;
        from_vec(shape, (0..n).collect()).unwrap()
    }

    fn list(items: Vec<Value>) -> Value {
        Value::List(items.into())
    }

    #[test]
    fn split_then_merge_round_trips() {
        let a = arange(&[4, 5]);
        let kw = |s: [usize; 2], e: [usize; 2]| {
            json!({"start": s, "stop": e}).as_object().cloned().unwrap()
        };
        let piece = |s, e| split(&[Value::Array(a.clone())], &kw(s, e)).unwrap();
        let grid = list(vec![
            list(vec![piece([0, 0], [3, 2]), piece([0, 2], [3, 5])]),
            list(vec![piece([3, 0], [4, 2]), piece([3, 2], [4, 5])]),
        ]);
        let Value::Array(merged) = merge(&[grid], &Kwargs::new()).unwrap() else {
            panic!()
        };
        assert_eq!(merged, a);
    }

    #[test]
    fn split_is_a_view_and_checks_bounds() {
        let a = arange(&[4, 5]);
        let Array::I64(src) = &a else { panic!() };
        let Array::I64(v) = region("rechunk-split", &a, &[1, 2], &[3, 5]).unwrap() else {
            panic!()
        };
        assert_eq!(v.as_ptr(), src.as_ptr().wrapping_add(7));
        assert!(region("rechunk-split", &a, &[1, 2], &[5, 5]).is_err());
        assert!(region("rechunk-split", &a, &[1], &[2]).is_err());
    }

    #[test]
    fn merge_one_level_and_ragged_grids() {
        let a = arange(&[2, 2]);
        let one = merge_grid(
            "rechunk-merge",
            &list(vec![Value::Array(a.clone()), Value::Array(a.clone())]),
        )
        .unwrap();
        assert_eq!(one.shape(), &[4, 2]);
        let ragged = list(vec![
            list(vec![Value::Array(a.clone()), Value::Array(a.clone())]),
            list(vec![Value::Array(a.clone())]),
        ]);
        assert!(
            merge_grid("rechunk-merge", &ragged)
                .unwrap_err()
                .0
                .contains("ragged")
        );
        assert!(merge_grid("rechunk-merge", &Value::Array(a)).is_err());
    }
}
