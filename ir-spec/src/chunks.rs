//! Chunk specs (`100`, `[[50, 50], [30, 70]]`, `"auto"`) normalized against a shape,
//! and the per-axis helpers lowering needs: block offsets, blocks overlapping a range,
//! and the common refinement of two chunkings (Dask's `unify_chunks`).
//!
//! Normalization follows Dask's `normalize_chunks`: an integer gives blocks of that
//! size (the last one may be smaller), `-1` or `null` means one block over the whole
//! axis, an explicit list must add up to the axis length, and `"auto"` aims at blocks
//! of about [`AUTO_CHUNK_BYTES`] (128 MiB) with Dask's arithmetic. As in Dask, a flat
//! list of integers given for a 1-d array is read as that axis's block sizes. An axis
//! of length 0 always gets the single block `[0]`.

use std::ops::Range;

use crate::dtype::DType;
use crate::meta::Chunks;

/// Target size of one block for `"auto"` chunks (Dask's `array.chunk-size`).
pub const AUTO_CHUNK_BYTES: u64 = 128 * 1024 * 1024;

/// The most blocks one axis may have: chunk lists are held explicitly, so a spec
/// such as `chunks: 1` on a very long axis is refused instead of exhausting memory.
pub const MAX_BLOCKS_PER_AXIS: usize = 1 << 24;

/// How one axis is to be chunked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AxisChunks {
    /// Blocks of this size; the last one may be smaller.
    Size(usize),
    /// One block over the whole axis (`-1` or `null`).
    Whole,
    /// Explicit block sizes, which must add up to the axis length.
    Sizes(Vec<usize>),
    /// Sized automatically (`"auto"`).
    Auto,
}

/// A parsed `chunks` attribute, not yet checked against a shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkSpec {
    /// One rule for every axis (`100`, `-1`, `"auto"`).
    All(AxisChunks),
    /// One entry per axis; a flat list of integers for a 1-d array is instead read
    /// as explicit block sizes (Dask's rule).
    PerAxis(Vec<AxisChunks>),
}

impl ChunkSpec {
    /// Parses the JSON form: an integer, `-1`, `null`, `"auto"`, or a list with one
    /// entry per axis, each an integer, `-1`, `null`, `"auto"` or a list of sizes.
    pub fn from_json(v: &serde_json::Value) -> Result<ChunkSpec, String> {
        match v {
            serde_json::Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(axis, item)| {
                    axis_chunks_from_json(item).map_err(|e| format!("axis {axis}: {e}"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(ChunkSpec::PerAxis),
            other => axis_chunks_from_json(other).map(ChunkSpec::All),
        }
    }
}

fn axis_chunks_from_json(v: &serde_json::Value) -> Result<AxisChunks, String> {
    use serde_json::Value;
    match v {
        Value::Null => Ok(AxisChunks::Whole),
        Value::String(s) if s == "auto" => Ok(AxisChunks::Auto),
        Value::Number(n) => match n.as_i64() {
            Some(-1) => Ok(AxisChunks::Whole),
            Some(k) if k > 0 => usize::try_from(k)
                .map(AxisChunks::Size)
                .map_err(|_| format!("chunk size {k} is too large")),
            _ => Err(format!(
                "a chunk size must be a positive integer, -1 or null, found {n}"
            )),
        },
        Value::Array(sizes) => sizes
            .iter()
            .map(|s| {
                s.as_u64()
                    .and_then(|k| usize::try_from(k).ok())
                    .ok_or_else(|| format!("block sizes must be non-negative integers, found {s}"))
            })
            .collect::<Result<Vec<_>, _>>()
            .and_then(|sizes| {
                if sizes.is_empty() {
                    Err("a list of block sizes must not be empty".to_owned())
                } else {
                    Ok(AxisChunks::Sizes(sizes))
                }
            }),
        other => Err(format!(
            "expected an integer, -1, null, \"auto\" or a list of block sizes, found {other}"
        )),
    }
}

/// Resolves `spec` against `shape` (and `dtype`, for `"auto"`) into explicit
/// per-axis block sizes.
pub fn normalize_chunks(spec: &ChunkSpec, shape: &[usize], dtype: DType) -> Result<Chunks, String> {
    let per_axis: Vec<AxisChunks> = match spec {
        ChunkSpec::All(c) => vec![c.clone(); shape.len()],
        ChunkSpec::PerAxis(items)
            if shape.len() == 1
                && items.len() > 1
                && items.iter().all(|c| matches!(c, AxisChunks::Size(_))) =>
        {
            let sizes = items
                .iter()
                .map(|c| match c {
                    AxisChunks::Size(k) => *k,
                    _ => 0,
                })
                .collect();
            vec![AxisChunks::Sizes(sizes)]
        }
        ChunkSpec::PerAxis(items) => {
            if items.len() != shape.len() {
                return Err(format!(
                    "chunks has {} entries but the array has {} axes (shape {})",
                    items.len(),
                    shape.len(),
                    fmt_shape(shape)
                ));
            }
            items.clone()
        }
    };
    let autos = auto_sizes(&per_axis, shape, dtype);
    let mut out = Vec::with_capacity(shape.len());
    for (axis, (rule, &len)) in per_axis.iter().zip(shape).enumerate() {
        let sizes = match rule {
            AxisChunks::Whole => vec![len],
            AxisChunks::Size(k) => {
                regular_blocks(len, *k).map_err(|e| format!("axis {axis}: {e}"))?
            }
            AxisChunks::Auto => {
                regular_blocks(len, autos[axis]).map_err(|e| format!("axis {axis}: {e}"))?
            }
            AxisChunks::Sizes(sizes) => {
                let total = sizes.iter().try_fold(0usize, |acc, &s| acc.checked_add(s));
                if total != Some(len) {
                    let total =
                        total.map_or_else(|| "more than 2^64".to_owned(), |t| t.to_string());
                    return Err(format!(
                        "the block sizes of axis {axis} add up to {total}, but the axis has length {len}"
                    ));
                }
                if sizes.len() > MAX_BLOCKS_PER_AXIS {
                    return Err(too_many_blocks(axis, sizes.len()));
                }
                tidy(sizes.clone())
            }
        };
        out.push(sizes);
    }
    Ok(Chunks(out))
}

/// Blocks of `size` covering `len` (the last one smaller); `[0]` for an empty axis.
pub fn regular_blocks(len: usize, size: usize) -> Result<Vec<usize>, String> {
    if len == 0 {
        return Ok(vec![0]);
    }
    if size == 0 {
        return Err("a chunk size must be positive".to_owned());
    }
    let count = len.div_ceil(size);
    if count > MAX_BLOCKS_PER_AXIS {
        return Err(format!(
            "blocks of {size} along a length of {len} would make {count} blocks, more than the limit of {MAX_BLOCKS_PER_AXIS}"
        ));
    }
    let mut sizes = vec![size; len / size];
    if !len.is_multiple_of(size) {
        sizes.push(len % size);
    }
    Ok(sizes)
}

fn too_many_blocks(axis: usize, n: usize) -> String {
    format!("axis {axis} has {n} blocks, more than the limit of {MAX_BLOCKS_PER_AXIS}")
}

/// Block size of each `"auto"` axis (other entries are unused), with Dask's
/// `auto_chunks` arithmetic: the remaining byte budget is spread evenly over the
/// auto axes; an axis shorter than its share becomes one block and the share is
/// computed again for the others.
fn auto_sizes(per_axis: &[AxisChunks], shape: &[usize], dtype: DType) -> Vec<usize> {
    let mut sizes = vec![0usize; shape.len()];
    let mut autos: Vec<usize> = (0..shape.len())
        .filter(|&i| per_axis[i] == AxisChunks::Auto)
        .collect();
    // Product of the largest block along the non-auto axes.
    let mut largest_block: f64 = per_axis
        .iter()
        .zip(shape)
        .map(|(c, &len)| match c {
            AxisChunks::Auto => 1.0,
            AxisChunks::Whole => len as f64,
            AxisChunks::Size(k) => *k as f64,
            AxisChunks::Sizes(s) => s.iter().copied().max().unwrap_or(0) as f64,
        })
        .product();
    let limit = AUTO_CHUNK_BYTES as f64 / dtype.size_bytes() as f64;
    while !autos.is_empty() {
        let size = (limit / largest_block.max(1.0)).powf(1.0 / autos.len() as f64);
        let (small, rest): (Vec<usize>, Vec<usize>) =
            autos.iter().partition(|&&i| (shape[i] as f64) < size);
        if small.is_empty() {
            for i in rest {
                // Dask's `round_to`: the share, rounded down, at least 1.
                sizes[i] = (size as usize).max(1);
            }
            break;
        }
        for &i in &small {
            sizes[i] = shape[i].max(1);
            largest_block *= shape[i] as f64;
        }
        autos = rest;
    }
    sizes
}

/// How many leading axes a reshape from `in_shape` to `out_shape` keeps with
/// their length (all of them when the shapes are equal): the axes whose chunks a
/// reshape keeps, and which its lowering takes block by block unchanged.
pub fn reshape_kept_axes(in_shape: &[usize], out_shape: &[usize]) -> usize {
    if in_shape == out_shape {
        return in_shape.len();
    }
    in_shape
        .iter()
        .zip(out_shape)
        .take_while(|(a, b)| a == b)
        .count()
}

/// Drops zero-length blocks from an axis of non-zero length; keeps `[0]` for an
/// empty axis.
pub fn tidy(sizes: Vec<usize>) -> Vec<usize> {
    if sizes.iter().all(|&s| s > 0) {
        return sizes;
    }
    let kept: Vec<usize> = sizes.into_iter().filter(|&s| s > 0).collect();
    if kept.is_empty() { vec![0] } else { kept }
}

/// The start of every block and the end of the last: `[0, s0, s0+s1, ..., total]`
/// (`len + 1` entries).
pub fn block_offsets(sizes: &[usize]) -> Vec<usize> {
    let mut offsets = Vec::with_capacity(sizes.len() + 1);
    let mut acc = 0usize;
    offsets.push(0);
    for &s in sizes {
        acc += s;
        offsets.push(acc);
    }
    offsets
}

/// The blocks (indices into `sizes`) that hold at least one element of
/// `start..stop`; empty when the range is empty.
pub fn blocks_overlapping(sizes: &[usize], start: usize, stop: usize) -> Range<usize> {
    if start >= stop {
        return 0..0;
    }
    let offsets = block_offsets(sizes);
    // First block whose end is past `start`, and one past the last block whose
    // start is before `stop`.
    let first = offsets[1..].partition_point(|&end| end <= start);
    let last = offsets[..sizes.len()].partition_point(|&begin| begin < stop);
    first..last.max(first)
}

/// The common refinement of two chunkings of one axis (Dask's `unify_chunks` on a
/// shared axis): a block boundary wherever either has one.
pub fn unify_axis(a: &[usize], b: &[usize]) -> Result<Vec<usize>, String> {
    let (ta, tb) = (a.iter().sum::<usize>(), b.iter().sum::<usize>());
    if ta != tb {
        return Err(format!("cannot unify chunkings of lengths {ta} and {tb}"));
    }
    if a == b {
        return Ok(tidy(a.to_vec()));
    }
    let (oa, ob) = (block_offsets(a), block_offsets(b));
    let mut cuts: Vec<usize> = oa.into_iter().chain(ob).collect();
    cuts.sort_unstable();
    cuts.dedup();
    let sizes: Vec<usize> = cuts.windows(2).map(|w| w[1] - w[0]).collect();
    if sizes.len() > MAX_BLOCKS_PER_AXIS {
        return Err(format!(
            "unifying the chunks would make {} blocks, more than the limit of {MAX_BLOCKS_PER_AXIS}",
            sizes.len()
        ));
    }
    Ok(tidy(sizes))
}

/// Axis-by-axis common refinement of two chunkings of the same shape.
pub fn unify_chunks(a: &Chunks, b: &Chunks) -> Result<Chunks, String> {
    if a.shape() != b.shape() {
        return Err(format!(
            "cannot unify chunks of shapes {} and {}",
            fmt_shape(&a.shape()),
            fmt_shape(&b.shape())
        ));
    }
    a.0.iter()
        .zip(&b.0)
        .map(|(x, y)| unify_axis(x, y))
        .collect::<Result<Vec<_>, _>>()
        .map(Chunks)
}

/// A shape written as NumPy prints it: `(3,)`, `(2, 3)`, `()`.
pub fn fmt_shape(shape: &[usize]) -> String {
    match shape {
        [one] => format!("({one},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn norm(
        spec: serde_json::Value,
        shape: &[usize],
        dtype: DType,
    ) -> Result<Vec<Vec<usize>>, String> {
        let spec = ChunkSpec::from_json(&spec)?;
        normalize_chunks(&spec, shape, dtype).map(|c| c.0)
    }

    #[test]
    fn integer_chunks_apply_to_every_axis() {
        assert_eq!(
            norm(json!(4), &[10, 3], DType::Float64).unwrap(),
            vec![vec![4, 4, 2], vec![3]]
        );
        // Dask: normalize_chunks(3, (0, 7)) == ((0,), (3, 3, 1))
        assert_eq!(
            norm(json!(3), &[0, 7], DType::Float64).unwrap(),
            vec![vec![0], vec![3, 3, 1]]
        );
    }

    #[test]
    fn per_axis_entries_mix_sizes_lists_and_whole() {
        assert_eq!(
            norm(json!([[5, 5], -1, null, 2]), &[10, 3, 4, 5], DType::Int32).unwrap(),
            vec![vec![5, 5], vec![3], vec![4], vec![2, 2, 1]]
        );
    }

    #[test]
    fn flat_list_for_one_axis_is_block_sizes_as_in_dask() {
        // Dask: normalize_chunks((30, 70), (100,)) == ((30, 70),)
        assert_eq!(
            norm(json!([30, 70]), &[100], DType::Float64).unwrap(),
            vec![vec![30, 70]]
        );
        assert_eq!(
            norm(json!([40]), &[100], DType::Float64).unwrap(),
            vec![vec![40, 40, 20]]
        );
    }

    #[test]
    fn auto_matches_dask() {
        // Dask: normalize_chunks('auto', (10000, 10000), dtype='f8')
        let c = norm(json!("auto"), &[10000, 10000], DType::Float64).unwrap();
        assert_eq!(c, vec![vec![4096, 4096, 1808], vec![4096, 4096, 1808]]);
        // Dask: ((5,), (3355443, ...)) for shape (5, 10**9)
        let c = norm(json!("auto"), &[5, 1_000_000_000], DType::Float64).unwrap();
        assert_eq!(c[0], vec![5]);
        assert_eq!(&c[1][..2], &[3355443, 3355443]);
        // Dask: normalize_chunks((-1, 'auto'), (10, 10**8), dtype='i4')[1][:2]
        let c = norm(json!([-1, "auto"]), &[10, 100_000_000], DType::Int32).unwrap();
        assert_eq!(c[0], vec![10]);
        assert_eq!(&c[1][..2], &[3355443, 3355443]);
        // Small arrays are one block; 0-d arrays have no axes.
        assert_eq!(
            norm(json!("auto"), &[2, 3], DType::Int32).unwrap(),
            vec![vec![2], vec![3]]
        );
        assert_eq!(
            norm(json!("auto"), &[], DType::Float64).unwrap(),
            Vec::<Vec<usize>>::new()
        );
        assert_eq!(
            norm(json!("auto"), &[0], DType::Float64).unwrap(),
            vec![vec![0]]
        );
    }

    #[test]
    fn lists_must_add_up_naming_the_axis_and_sums() {
        let e = norm(json!([[5, 5], [30, 60]]), &[10, 100], DType::Float64).unwrap_err();
        assert_eq!(
            e,
            "the block sizes of axis 1 add up to 90, but the axis has length 100"
        );
    }

    #[test]
    fn wrong_entry_count_and_bad_values_are_errors() {
        let e = norm(json!([5, 5, 5]), &[10, 10], DType::Float64).unwrap_err();
        assert!(e.contains("3 entries") && e.contains("2 axes"), "{e}");
        assert!(ChunkSpec::from_json(&json!(0)).is_err());
        assert!(ChunkSpec::from_json(&json!(-2)).is_err());
        assert!(ChunkSpec::from_json(&json!("big")).is_err());
        assert!(
            ChunkSpec::from_json(&json!([[]]))
                .unwrap_err()
                .contains("axis 0")
        );
        assert!(ChunkSpec::from_json(&json!([[1.5]])).is_err());
        assert!(ChunkSpec::from_json(&json!({"0": 1})).is_err());
    }

    #[test]
    fn too_many_blocks_is_refused() {
        let e = norm(json!(1), &[1 << 30], DType::Float64).unwrap_err();
        assert!(e.contains("limit"), "{e}");
    }

    #[test]
    fn zero_blocks_are_dropped_from_non_empty_axes() {
        assert_eq!(
            norm(json!([[0, 4, 0, 6]]), &[10], DType::Bool).unwrap(),
            vec![vec![4, 6]]
        );
    }

    #[test]
    fn offsets_and_overlaps() {
        let sizes = [3, 3, 4];
        assert_eq!(block_offsets(&sizes), vec![0, 3, 6, 10]);
        assert_eq!(blocks_overlapping(&sizes, 0, 10), 0..3);
        assert_eq!(blocks_overlapping(&sizes, 3, 6), 1..2);
        assert_eq!(blocks_overlapping(&sizes, 2, 4), 0..2);
        assert_eq!(blocks_overlapping(&sizes, 9, 10), 2..3);
        assert_eq!(blocks_overlapping(&sizes, 5, 5), 0..0);
    }

    #[test]
    fn unify_is_the_common_refinement() {
        // Dask: common_blockdim([(5, 5), (3, 7)]) == (3, 2, 5)
        assert_eq!(unify_axis(&[5, 5], &[3, 7]).unwrap(), vec![3, 2, 5]);
        assert_eq!(unify_axis(&[10], &[4, 6]).unwrap(), vec![4, 6]);
        assert_eq!(unify_axis(&[0], &[0]).unwrap(), vec![0]);
        assert!(unify_axis(&[5], &[6]).is_err());
        let a = Chunks(vec![vec![2, 2], vec![3]]);
        let b = Chunks(vec![vec![4], vec![1, 2]]);
        assert_eq!(
            unify_chunks(&a, &b).unwrap(),
            Chunks(vec![vec![2, 2], vec![1, 2]])
        );
        assert!(unify_chunks(&a, &Chunks(vec![vec![4]])).is_err());
    }

    #[test]
    fn shapes_print_like_numpy() {
        assert_eq!(fmt_shape(&[3]), "(3,)");
        assert_eq!(fmt_shape(&[2, 3]), "(2, 3)");
        assert_eq!(fmt_shape(&[]), "()");
    }
}
