//! Which pieces of which blocks make up a region of a chunked array.
//!
//! Every rule that needs "this part of that array" (unifying chunks between the
//! inputs of an elementwise op, slicing, rechunking, halos) asks this module. The
//! answer is per axis: a list of (block index, selection within the block) pieces,
//! computed per block touched, never per element.

/// A selection along one axis of an array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AxisSel {
    /// Positions `start + i * step` for `i in 0..len` (`step` may be negative,
    /// never zero).
    Range {
        /// First position.
        start: usize,
        /// Distance between positions.
        step: i64,
        /// Number of positions.
        len: usize,
    },
    /// One position; the axis is dropped from the result.
    Pick(usize),
}

impl AxisSel {
    /// The contiguous range `start..stop`.
    pub fn span(start: usize, stop: usize) -> AxisSel {
        AxisSel::Range {
            start,
            step: 1,
            len: stop.saturating_sub(start),
        }
    }

    /// True when this selects all of an axis of length `n` in order.
    pub fn is_full(&self, n: usize) -> bool {
        matches!(*self, AxisSel::Range { start: 0, step: 1, len } if len == n)
    }

    /// The `getitem` index entry of the graph format for this selection.
    pub fn to_index_json(&self) -> serde_json::Value {
        use serde_json::{Value, json};
        match *self {
            AxisSel::Pick(i) => json!(i),
            AxisSel::Range { start, step, len } => {
                if len == 0 {
                    return json!([start, start, 1]);
                }
                let last = start as i64 + (len as i64 - 1) * step;
                let stop = last + step.signum();
                let stop = if stop < 0 { Value::Null } else { json!(stop) };
                json!([start, stop, step])
            }
        }
    }
}

pub use tessera_ir::chunks::block_offsets as offsets;

/// The block holding position `p`, given cumulative `offsets` (from [`offsets`]).
fn block_of(offsets: &[usize], p: usize) -> usize {
    // The last block whose start is <= p; skips empty blocks.
    offsets.partition_point(|&o| o <= p) - 1
}

/// The pieces of one axis: for each block touched, in result order, the block index
/// and the selection within that block.
pub fn axis_pieces(offsets: &[usize], sel: AxisSel) -> Vec<(usize, AxisSel)> {
    match sel {
        AxisSel::Pick(p) => {
            let b = block_of(offsets, p);
            vec![(b, AxisSel::Pick(p - offsets[b]))]
        }
        AxisSel::Range { start, step, len } => {
            let mut pieces = Vec::new();
            let mut i = 0usize;
            while i < len {
                let p = (start as i64 + i as i64 * step) as usize;
                let b = block_of(offsets, p);
                let (lo, hi) = (offsets[b], offsets[b + 1]);
                let in_block = if step > 0 {
                    (hi - p).div_ceil(step as usize)
                } else {
                    // `unsigned_abs`: a step of i64::MIN has no negation.
                    (p - lo) / step.unsigned_abs() as usize + 1
                };
                let count = in_block.min(len - i);
                pieces.push((
                    b,
                    AxisSel::Range {
                        start: p - lo,
                        step,
                        len: count,
                    },
                ));
                i += count;
            }
            pieces
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_inside_one_block_is_one_piece() {
        let off = offsets(&[100; 100]);
        assert_eq!(
            axis_pieces(&off, AxisSel::span(1, 100)),
            vec![(0, AxisSel::span(1, 100))]
        );
    }

    #[test]
    fn a_span_across_blocks_is_cut_at_block_edges() {
        let off = offsets(&[4, 4, 4]);
        assert_eq!(
            axis_pieces(&off, AxisSel::span(2, 10)),
            vec![
                (0, AxisSel::span(2, 4)),
                (1, AxisSel::span(0, 4)),
                (2, AxisSel::span(0, 2))
            ]
        );
    }

    #[test]
    fn steps_and_negative_steps_visit_blocks_in_result_order() {
        let off = offsets(&[4, 4, 4]);
        // 1, 4, 7, 10 (step 3): one position in each block but the middle has two.
        let pieces = axis_pieces(
            &off,
            AxisSel::Range {
                start: 1,
                step: 3,
                len: 4,
            },
        );
        assert_eq!(
            pieces,
            vec![
                (
                    0,
                    AxisSel::Range {
                        start: 1,
                        step: 3,
                        len: 1
                    }
                ),
                (
                    1,
                    AxisSel::Range {
                        start: 0,
                        step: 3,
                        len: 2
                    }
                ),
                (
                    2,
                    AxisSel::Range {
                        start: 2,
                        step: 3,
                        len: 1
                    }
                ),
            ]
        );
        // 11, 9, ..., 1 (step -2)
        let pieces = axis_pieces(
            &off,
            AxisSel::Range {
                start: 11,
                step: -2,
                len: 6,
            },
        );
        assert_eq!(
            pieces,
            vec![
                (
                    2,
                    AxisSel::Range {
                        start: 3,
                        step: -2,
                        len: 2
                    }
                ),
                (
                    1,
                    AxisSel::Range {
                        start: 3,
                        step: -2,
                        len: 2
                    }
                ),
                (
                    0,
                    AxisSel::Range {
                        start: 3,
                        step: -2,
                        len: 2
                    }
                ),
            ]
        );
    }

    #[test]
    fn empty_blocks_are_skipped() {
        let off = offsets(&[0, 3, 0, 2]);
        assert_eq!(
            axis_pieces(&off, AxisSel::span(0, 5)),
            vec![(1, AxisSel::span(0, 3)), (3, AxisSel::span(0, 2))]
        );
    }

    #[test]
    fn index_json_matches_numpy_slices() {
        use serde_json::json;
        assert_eq!(AxisSel::span(1, 100).to_index_json(), json!([1, 100, 1]));
        assert_eq!(AxisSel::Pick(3).to_index_json(), json!(3));
        let rev = AxisSel::Range {
            start: 3,
            step: -1,
            len: 4,
        };
        assert_eq!(rev.to_index_json(), json!([3, null, -1]));
        let rev2 = AxisSel::Range {
            start: 5,
            step: -2,
            len: 2,
        };
        assert_eq!(rev2.to_index_json(), json!([5, 2, -2]));
    }
}
