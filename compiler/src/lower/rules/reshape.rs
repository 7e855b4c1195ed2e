//! `reshape` block by block. The catalogue gives the result chunks that make this
//! possible (`ir-spec` `shape_ops::reshape_chunks`): leading axes that keep their
//! length keep their chunks, and along the remaining trailing axes every result
//! block is a run of whole rows of the input's trailing part. So result block `i`
//! is the reshape of one rectangular input region — leading axes as block `i`,
//! the first trailing axis cut to the rows of the run, later trailing axes whole.
//! The region is a view of one input block or, where it spans several, their
//! assembly (Dask rechunks the input first; the effect is the same).

use serde_json::json;
use tessera_ir::chunks::reshape_kept_axes;
use tessera_ir::{NodeIdx, TaskExpr, ValidArg};

use crate::lower::Lowerer;
use crate::lower::context::{call, kwargs};
use crate::lower::select::AxisSel;

pub(super) fn block(
    cx: &mut Lowerer<'_>,
    node: NodeIdx,
    index: &[usize],
) -> Result<TaskExpr, String> {
    let Some(ValidArg::Node(input)) = cx.node(node).args.first() else {
        return Err("reshape takes one array argument".into());
    };
    let input = *input;
    let out_shape = cx.chunks(node).shape();
    let bounds = cx.block_bounds(node, index);
    reshaped_region(cx, input, &out_shape, &bounds)
}

/// The block of `input` reshaped to `out_shape` that covers `bounds` (a block of
/// the chunks `reshape_chunks` gives for `out_shape`), as one `reshape` call on
/// an input region.
pub(super) fn reshaped_region(
    cx: &mut Lowerer<'_>,
    input: NodeIdx,
    out_shape: &[usize],
    bounds: &[(usize, usize)],
) -> Result<TaskExpr, String> {
    let in_shape = cx.chunks(input).shape();
    let block_shape: Vec<usize> = bounds.iter().map(|&(lo, hi)| hi - lo).collect();
    let sels = input_region(&in_shape, out_shape, bounds)?;
    let region = cx.region(input, &sels);
    Ok(call(
        "reshape",
        vec![region],
        kwargs(json!({ "shape": block_shape })),
    ))
}

/// The input region whose row-major elements are exactly the result block
/// `bounds` of the reshape from `in_shape` to `out_shape`.
pub(super) fn input_region(
    in_shape: &[usize],
    out_shape: &[usize],
    bounds: &[(usize, usize)],
) -> Result<Vec<AxisSel>, String> {
    let whole = |n: usize| AxisSel::span(0, n);
    // Leading axes that keep their length, as the catalogue's reshape chunks.
    let p = reshape_kept_axes(in_shape, out_shape);
    let mut sels: Vec<AxisSel> = bounds[..p]
        .iter()
        .map(|&(lo, hi)| AxisSel::span(lo, hi))
        .collect();
    let (rest_in, rest_out) = (&in_shape[p..], &out_shape[p..]);
    if rest_in.is_empty() || rest_out.is_empty() {
        // Only axes of length 1 remain on one side: the trailing part is one element.
        sels.extend(rest_in.iter().map(|&n| whole(n)));
        return Ok(sels);
    }
    for (axis, &(lo, hi)) in bounds.iter().enumerate().skip(p + 1) {
        if (lo, hi) != (0, out_shape[axis]) {
            return Err(format!(
                "reshape: result axis {axis} is split into blocks; only the first \
                 reshaped axis may be"
            ));
        }
    }
    let r_in: usize = rest_in[1..].iter().product();
    let r_out: usize = rest_out[1..].iter().product();
    let (lo, hi) = bounds[p];
    let (flat_lo, flat_hi) = (lo * r_out, hi * r_out);
    let flat_total = rest_out[0] * r_out;
    if (flat_lo, flat_hi) == (0, flat_total) || r_in == 0 {
        sels.extend(rest_in.iter().map(|&n| whole(n)));
        return Ok(sels);
    }
    if flat_lo % r_in != 0 || flat_hi % r_in != 0 {
        return Err(format!(
            "reshape: result rows {lo}..{hi} do not start and end on whole input rows"
        ));
    }
    sels.push(AxisSel::span(flat_lo / r_in, flat_hi / r_in));
    sels.extend(rest_in[1..].iter().map(|&n| whole(n)));
    Ok(sels)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(sels: &[AxisSel]) -> Vec<(usize, usize)> {
        sels.iter()
            .map(|s| match *s {
                AxisSel::Range { start, len, .. } => (start, start + len),
                AxisSel::Pick(i) => (i, i + 1),
            })
            .collect()
    }

    #[test]
    fn leading_axes_keep_their_blocks() {
        let sels = input_region(&[4, 6, 2], &[4, 12], &[(2, 4), (0, 12)]).unwrap();
        assert_eq!(spans(&sels), [(2, 4), (0, 6), (0, 2)]);
    }

    #[test]
    fn runs_of_rows_map_to_input_rows() {
        // (6, 4) -> (12, 2): result rows 4..8 are input rows 2..4.
        let sels = input_region(&[6, 4], &[12, 2], &[(4, 8), (0, 2)]).unwrap();
        assert_eq!(spans(&sels), [(2, 4), (0, 4)]);
        // (6, 4) -> (24,): elements 8..16 are input rows 2..4.
        let sels = input_region(&[6, 4], &[24], &[(8, 16)]).unwrap();
        assert_eq!(spans(&sels), [(2, 4), (0, 4)]);
    }

    #[test]
    fn a_whole_trailing_block_takes_the_whole_trailing_input() {
        let sels = input_region(&[3, 4, 5], &[3, 2, 10], &[(0, 1), (0, 2), (0, 10)]).unwrap();
        assert_eq!(spans(&sels), [(0, 1), (0, 4), (0, 5)]);
    }

    #[test]
    fn added_and_removed_unit_axes() {
        let sels = input_region(&[3], &[3, 1, 1], &[(1, 2), (0, 1), (0, 1)]).unwrap();
        assert_eq!(spans(&sels), [(1, 2)]);
        let sels = input_region(&[3, 1], &[3], &[(1, 3)]).unwrap();
        assert_eq!(spans(&sels), [(1, 3), (0, 1)]);
    }

    #[test]
    fn misaligned_blocks_are_refused() {
        assert!(input_region(&[6, 4], &[8, 3], &[(0, 3), (0, 3)]).is_err());
        assert!(input_region(&[6, 4], &[12, 2], &[(0, 12), (0, 1)]).is_err());
    }
}
