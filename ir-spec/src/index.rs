//! `getitem` index entries (integers, slices, new axes, ellipsis) normalized against a
//! shape with NumPy semantics, and the chunks of the result on a chunked array.
//!
//! Slices are resolved as Python's `slice.indices`: negative bounds count from the
//! end, out-of-range bounds are clamped, negative steps walk backwards. Result chunks
//! follow Dask: a slice keeps the input's block boundaries that fall inside it (so the
//! result is irregular), drops blocks it does not touch, and a negative step reverses
//! the block order.

use crate::chunks::blocks_overlapping;
use crate::meta::Chunks;

/// One entry of a `getitem` index, as written in the graph format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexEntry {
    /// Picks one position and drops the axis; negative counts from the end.
    Int(i64),
    /// `[start, stop, step]`, each optional.
    Slice {
        /// First position (inclusive).
        start: Option<i64>,
        /// Last position (exclusive).
        stop: Option<i64>,
        /// Stride; may be negative, never zero.
        step: Option<i64>,
    },
    /// `null`: a new axis of length 1.
    NewAxis,
    /// `"..."`: as many full slices as needed.
    Ellipsis,
}

impl IndexEntry {
    /// Parses one entry: an integer, `[start, stop, step]` (each an integer or
    /// `null`), `null`, or `"..."`.
    pub fn from_json(v: &serde_json::Value) -> Result<IndexEntry, String> {
        use serde_json::Value;
        match v {
            Value::Null => Ok(IndexEntry::NewAxis),
            Value::String(s) if s == "..." => Ok(IndexEntry::Ellipsis),
            Value::Number(n) => n
                .as_i64()
                .map(IndexEntry::Int)
                .ok_or_else(|| format!("an index must be an integer, found {n}")),
            Value::Array(parts) if parts.len() == 3 => {
                let bound = |i: usize, what: &str| -> Result<Option<i64>, String> {
                    match &parts[i] {
                        Value::Null => Ok(None),
                        Value::Number(n) => n.as_i64().map(Some).ok_or_else(|| {
                            format!("the slice {what} must be an integer or null, found {n}")
                        }),
                        other => Err(format!(
                            "the slice {what} must be an integer or null, found {other}"
                        )),
                    }
                };
                Ok(IndexEntry::Slice {
                    start: bound(0, "start")?,
                    stop: bound(1, "stop")?,
                    step: bound(2, "step")?,
                })
            }
            Value::Array(parts) => Err(format!(
                "a slice is written [start, stop, step] (3 entries), found {} entries",
                parts.len()
            )),
            other => Err(format!(
                "an index entry must be an integer, [start, stop, step], null or \"...\", found {other}"
            )),
        }
    }
}

/// Parses a whole `index` attribute (a list of entries).
pub fn parse_index(v: &serde_json::Value) -> Result<Vec<IndexEntry>, String> {
    let items = v
        .as_array()
        .ok_or_else(|| format!("an index must be a list of entries, found {v}"))?;
    items
        .iter()
        .enumerate()
        .map(|(i, e)| IndexEntry::from_json(e).map_err(|m| format!("entry {i}: {m}")))
        .collect()
}

/// What a normalized index does to one input axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AxisIndex {
    /// Keeps only this position (in `0..len`) and drops the axis.
    Pick(usize),
    /// Keeps positions `start, start+step, ...`, `len` of them, stopping before
    /// `stop`. As Python's `slice.indices`, `start` and `stop` may be `-1` with a
    /// negative step (meaning "before position 0").
    Range {
        /// First position taken.
        start: i64,
        /// Bound (exclusive) in the direction of `step`.
        stop: i64,
        /// Stride, never zero.
        step: i64,
        /// Number of positions taken.
        len: usize,
    },
}

impl AxisIndex {
    /// Whether this keeps the whole axis of length `n` in order.
    pub fn is_full(&self, n: usize) -> bool {
        matches!(*self, AxisIndex::Range { start: 0, step: 1, len, .. } if len == n)
    }
}

/// An index resolved against a shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalIndex {
    /// What happens to each input axis, in input order.
    pub axes: Vec<AxisIndex>,
    /// Positions (in the result) of the new axes of length 1, ascending.
    pub new_axes: Vec<usize>,
    /// Shape of the result.
    pub shape: Vec<usize>,
}

/// Resolves `entries` against `shape` with NumPy's basic-indexing rules.
pub fn normalize_index(entries: &[IndexEntry], shape: &[usize]) -> Result<NormalIndex, String> {
    let ellipses = entries
        .iter()
        .filter(|e| **e == IndexEntry::Ellipsis)
        .count();
    if ellipses > 1 {
        return Err("an index can only have a single ellipsis (\"...\")".to_owned());
    }
    let consuming = entries
        .iter()
        .filter(|e| matches!(e, IndexEntry::Int(_) | IndexEntry::Slice { .. }))
        .count();
    if consuming > shape.len() {
        return Err(format!(
            "too many indices for array: array is {}-dimensional, but {consuming} were indexed",
            shape.len()
        ));
    }
    let full = IndexEntry::Slice {
        start: None,
        stop: None,
        step: None,
    };
    let fill = shape.len() - consuming;
    let mut expanded: Vec<IndexEntry> = Vec::with_capacity(entries.len() + fill);
    for e in entries {
        if *e == IndexEntry::Ellipsis {
            expanded.extend(std::iter::repeat_n(full, fill));
        } else {
            expanded.push(*e);
        }
    }
    if ellipses == 0 {
        expanded.extend(std::iter::repeat_n(full, fill));
    }

    let mut axes = Vec::with_capacity(shape.len());
    let mut new_axes = Vec::new();
    let mut out_shape = Vec::new();
    let mut axis = 0usize;
    for e in expanded {
        match e {
            IndexEntry::NewAxis => {
                new_axes.push(out_shape.len());
                out_shape.push(1);
            }
            IndexEntry::Int(i) => {
                let n = shape[axis];
                let pos = i128::from(i) + if i < 0 { n as i128 } else { 0 };
                if pos < 0 || pos >= n as i128 {
                    return Err(format!(
                        "index {i} is out of bounds for axis {axis} with size {n}"
                    ));
                }
                axes.push(AxisIndex::Pick(pos as usize));
                axis += 1;
            }
            IndexEntry::Slice { start, stop, step } => {
                let r = slice_indices(start, stop, step, shape[axis])
                    .map_err(|m| format!("axis {axis}: {m}"))?;
                if let AxisIndex::Range { len, .. } = r {
                    out_shape.push(len);
                }
                axes.push(r);
                axis += 1;
            }
            IndexEntry::Ellipsis => {}
        }
    }
    Ok(NormalIndex {
        axes,
        new_axes,
        shape: out_shape,
    })
}

/// Python's `slice(start, stop, step).indices(n)` plus the number of positions.
fn slice_indices(
    start: Option<i64>,
    stop: Option<i64>,
    step: Option<i64>,
    n: usize,
) -> Result<AxisIndex, String> {
    let step = i128::from(step.unwrap_or(1));
    if step == 0 {
        return Err("slice step cannot be zero".to_owned());
    }
    let n = n as i128;
    let (lower, upper) = if step < 0 { (-1, n - 1) } else { (0, n) };
    let adjust = |b: Option<i64>, default: i128| -> i128 {
        match b {
            None => default,
            Some(b) => {
                let b = i128::from(b);
                if b < 0 {
                    (b + n).max(lower)
                } else {
                    b.min(upper)
                }
            }
        }
    };
    let (start, stop) = if step < 0 {
        (adjust(start, upper), adjust(stop, lower))
    } else {
        (adjust(start, lower), adjust(stop, upper))
    };
    let len = if step < 0 {
        if stop < start {
            (start - stop - 1) / (-step) + 1
        } else {
            0
        }
    } else if start < stop {
        (stop - start - 1) / step + 1
    } else {
        0
    };
    Ok(AxisIndex::Range {
        start: start as i64,
        stop: stop as i64,
        step: step as i64,
        len: len as usize,
    })
}

impl NormalIndex {
    /// Chunks of the result of this index on an array chunked as `input` (whose
    /// shape must be the one the index was normalized against).
    pub fn chunks(&self, input: &Chunks) -> Chunks {
        let mut kept = Vec::with_capacity(self.shape.len());
        for (ax, sizes) in self.axes.iter().zip(&input.0) {
            if let AxisIndex::Range {
                start, step, len, ..
            } = *ax
            {
                kept.push(range_chunks(sizes, start, step, len));
            }
        }
        let mut out = Vec::with_capacity(self.shape.len());
        let mut kept = kept.into_iter();
        let mut new_axes = self.new_axes.iter().peekable();
        for pos in 0..self.shape.len() {
            if new_axes.peek() == Some(&&pos) {
                new_axes.next();
                out.push(vec![1]);
            } else {
                out.push(kept.next().unwrap_or_default());
            }
        }
        Chunks(out)
    }
}

/// Block sizes along one axis of `len` positions `start + j * step` taken from an
/// axis chunked as `sizes`.
fn range_chunks(sizes: &[usize], start: i64, step: i64, len: usize) -> Vec<usize> {
    if len == 0 {
        return vec![0];
    }
    let total: usize = sizes.iter().sum();
    if start == 0 && step == 1 && len == total {
        return sizes.to_vec();
    }
    let (start, step, len) = (i128::from(start), i128::from(step), len as i128);
    let last = start + (len - 1) * step;
    let (lo, hi) = (start.min(last), start.max(last) + 1);
    let blocks = blocks_overlapping(sizes, lo as usize, hi as usize);
    let offsets = crate::chunks::block_offsets(sizes);
    let count = |b: usize| -> usize {
        let (b0, b1) = (offsets[b] as i128, offsets[b + 1] as i128);
        // Number of j in 0..len with b0 <= start + j * step < b1.
        let (first, end) = if step > 0 {
            (ceil_div(b0 - start, step), ceil_div(b1 - start, step))
        } else {
            let s = -step;
            (floor_div(start - b1, s) + 1, floor_div(start - b0, s) + 1)
        };
        (end.min(len) - first.max(0)).max(0) as usize
    };
    let mut out: Vec<usize> = if step > 0 {
        blocks.map(count).filter(|&c| c > 0).collect()
    } else {
        blocks.rev().map(count).filter(|&c| c > 0).collect()
    };
    if out.is_empty() {
        out.push(0);
    }
    out
}

fn floor_div(a: i128, b: i128) -> i128 {
    a.div_euclid(b)
}

fn ceil_div(a: i128, b: i128) -> i128 {
    -((-a).div_euclid(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn norm(index: serde_json::Value, shape: &[usize]) -> Result<NormalIndex, String> {
        normalize_index(&parse_index(&index)?, shape)
    }

    fn range(start: i64, stop: i64, step: i64, len: usize) -> AxisIndex {
        AxisIndex::Range {
            start,
            stop,
            step,
            len,
        }
    }

    #[test]
    fn parses_every_entry_kind() {
        let e = parse_index(&json!([1, [null, 5, -1], null, "..."])).unwrap();
        assert_eq!(
            e,
            vec![
                IndexEntry::Int(1),
                IndexEntry::Slice {
                    start: None,
                    stop: Some(5),
                    step: Some(-1)
                },
                IndexEntry::NewAxis,
                IndexEntry::Ellipsis,
            ]
        );
        assert!(
            parse_index(&json!([[1, 2]]))
                .unwrap_err()
                .contains("3 entries")
        );
        assert!(parse_index(&json!([1.5])).is_err());
        assert!(parse_index(&json!(["x"])).is_err());
        assert!(
            parse_index(&json!([[1, "a", null]]))
                .unwrap_err()
                .contains("stop")
        );
        assert!(parse_index(&json!(3)).is_err());
    }

    #[test]
    fn slices_follow_python_slice_indices() {
        // np.arange(10)[1:8] -> 7 elements; [::-1] -> 10; [8:1:-2] -> 8,6,4,2;
        // [-100::-1] -> empty; [-3:] -> 7,8,9; [100:] -> empty.
        let n = norm(json!([[1, 8, null]]), &[10]).unwrap();
        assert_eq!(n.axes, vec![range(1, 8, 1, 7)]);
        assert_eq!(
            norm(json!([[null, null, -1]]), &[10]).unwrap().axes,
            vec![range(9, -1, -1, 10)]
        );
        assert_eq!(
            norm(json!([[8, 1, -2]]), &[10]).unwrap().axes,
            vec![range(8, 1, -2, 4)]
        );
        assert_eq!(
            norm(json!([[-100, null, -1]]), &[10]).unwrap().axes,
            vec![range(-1, -1, -1, 0)]
        );
        assert_eq!(
            norm(json!([[-3, null, null]]), &[10]).unwrap().axes,
            vec![range(7, 10, 1, 3)]
        );
        assert_eq!(
            norm(json!([[100, null, null]]), &[10]).unwrap().shape,
            vec![0]
        );
        assert_eq!(
            norm(json!([[null, null, i64::MIN]]), &[10]).unwrap().axes,
            vec![range(9, -1, i64::MIN, 1)]
        );
    }

    #[test]
    fn integers_newaxes_and_ellipsis_shape_the_result() {
        // np.zeros((4, 5, 6))[1, ..., None, -2:] has shape (5, 1, 2)
        let n = norm(json!([1, "...", null, [-2, null, null]]), &[4, 5, 6]).unwrap();
        assert_eq!(n.shape, vec![5, 1, 2]);
        assert_eq!(n.new_axes, vec![1]);
        assert_eq!(n.axes[0], AxisIndex::Pick(1));
        assert!(n.axes[1].is_full(5));
        // x[None] on (3,) -> (1, 3); x[-1] -> ()
        assert_eq!(norm(json!([null]), &[3]).unwrap().shape, vec![1, 3]);
        let n = norm(json!([-1]), &[3]).unwrap();
        assert_eq!(
            (n.shape.clone(), n.axes.clone()),
            (vec![], vec![AxisIndex::Pick(2)])
        );
        // Missing trailing entries are full slices: x[0] on (2, 3) -> (3,)
        assert_eq!(norm(json!([0]), &[2, 3]).unwrap().shape, vec![3]);
        // An index on a 0-d array: x[...] and x[None]
        assert_eq!(
            norm(json!(["..."]), &[]).unwrap().shape,
            Vec::<usize>::new()
        );
        assert_eq!(norm(json!([null, null]), &[]).unwrap().new_axes, vec![0, 1]);
    }

    #[test]
    fn errors_follow_numpy() {
        assert_eq!(
            norm(json!([3]), &[3]).unwrap_err(),
            "index 3 is out of bounds for axis 0 with size 3"
        );
        assert_eq!(
            norm(json!([0, -5]), &[3, 4]).unwrap_err(),
            "index -5 is out of bounds for axis 1 with size 4"
        );
        assert_eq!(
            norm(json!([0, 0, 0]), &[3, 4]).unwrap_err(),
            "too many indices for array: array is 2-dimensional, but 3 were indexed"
        );
        assert!(
            norm(json!(["...", "..."]), &[3])
                .unwrap_err()
                .contains("single ellipsis")
        );
        assert_eq!(
            norm(json!([0, [null, null, 0]]), &[3, 4]).unwrap_err(),
            "axis 1: slice step cannot be zero"
        );
        assert!(norm(json!([0]), &[0]).is_err());
    }

    fn chunks_of(index: serde_json::Value, sizes: Vec<Vec<usize>>) -> Vec<Vec<usize>> {
        let c = Chunks(sizes);
        norm(index, &c.shape()).unwrap().chunks(&c).0
    }

    #[test]
    fn result_chunks_match_dask() {
        // da.ones(10, chunks=3)[s].chunks for each slice s (blocks 3, 3, 3, 1).
        let b = || vec![vec![3, 3, 3, 1]];
        assert_eq!(chunks_of(json!([[1, 8, null]]), b()), vec![vec![2, 3, 2]]);
        assert_eq!(
            chunks_of(json!([[null, null, -1]]), b()),
            vec![vec![1, 3, 3, 3]]
        );
        assert_eq!(chunks_of(json!([[8, 1, -2]]), b()), vec![vec![2, 1, 1]]);
        assert_eq!(
            chunks_of(json!([[null, null, 4]]), b()),
            vec![vec![1, 1, 1]]
        );
        assert_eq!(chunks_of(json!([[5, 5, null]]), b()), vec![vec![0]]);
        assert_eq!(chunks_of(json!([[1, null, 3]]), b()), vec![vec![1, 1, 1]]);
        assert_eq!(chunks_of(json!(["..."]), b()), vec![vec![3, 3, 3, 1]]);
    }

    #[test]
    fn result_chunks_drop_picked_axes_and_add_new_ones() {
        // x: (4, 6) chunked ((2, 2), (3, 3)); x[None, 1, 2:5] -> (1, 3) chunks ((1,), (1, 2))
        let c = chunks_of(json!([null, 1, [2, 5, null]]), vec![vec![2, 2], vec![3, 3]]);
        assert_eq!(c, vec![vec![1], vec![1, 2]]);
        // x[:, None] keeps the first axis and inserts a block of 1.
        let c = chunks_of(
            json!([[null, null, null], null]),
            vec![vec![2, 2], vec![3, 3]],
        );
        assert_eq!(c, vec![vec![2, 2], vec![1], vec![3, 3]]);
        // A negative step over irregular blocks: (2, 5, 3)[::-3] picks 9, 6, 3, 0
        let c = chunks_of(json!([[null, null, -3]]), vec![vec![2, 5, 3]]);
        assert_eq!(c, vec![vec![1, 2, 1]]);
    }
}
