//! Block geometry of source kernels: the whole array's `shape`, the block's `offset` and `block_shape`.

use crate::kernels::KernelError;
use crate::kernels::reduce::args::{self, Kwargs, err};

/// Where a block sits in the whole array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Block {
    /// Shape of the whole array.
    pub(crate) full: Vec<usize>,
    /// Start of the block per axis.
    pub(crate) offset: Vec<usize>,
    /// Shape of the block.
    pub(crate) shape: Vec<usize>,
}

impl Block {
    /// Reads `shape` (required unless given), `offset` (zeros) and `block_shape`
    /// (the rest of the array from `offset`), checking that the block fits.
    pub(crate) fn parse(
        op: &str,
        kwargs: &Kwargs,
        full: Option<Vec<usize>>,
    ) -> Result<Block, KernelError> {
        let full = match full {
            Some(f) => f,
            None => args::req_usize_list(op, kwargs, "shape")?,
        };
        let offset = args::usize_list(op, kwargs, "offset")?.unwrap_or_else(|| vec![0; full.len()]);
        if offset.len() != full.len() {
            return Err(err(
                op,
                format!("`offset` {offset:?} does not match shape {full:?}"),
            ));
        }
        let shape = match args::usize_list(op, kwargs, "block_shape")? {
            Some(s) => s,
            None => full
                .iter()
                .zip(&offset)
                .map(|(f, o)| f.saturating_sub(*o))
                .collect(),
        };
        if shape.len() != full.len() || (0..full.len()).any(|d| offset[d] + shape[d] > full[d]) {
            return Err(err(
                op,
                format!(
                    "a block of shape {shape:?} at offset {offset:?} does not fit in shape {full:?}"
                ),
            ));
        }
        // Every source kernel sizes its result from these figures: checked
        // before anything is allocated (8 bytes: the widest element a source
        // builds).
        if crate::budget::element_count(&full).is_none() {
            return Err(err(
                op,
                format!("shape {full:?} has more elements than 64-bit indexes hold"),
            ));
        }
        crate::budget::check_allocation("a block", &shape, crate::budget::element_count(&shape), 8)
            .map_err(|m| err(op, m))?;
        Ok(Block {
            full,
            offset,
            shape,
        })
    }

    /// Number of elements of the block.
    pub(crate) fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Calls `f(global position, global flat C-order index)` for every element of
    /// the block, in the block's C order.
    pub(crate) fn for_each(&self, mut f: impl FnMut(&[usize], u64)) {
        if self.len() == 0 {
            return;
        }
        let ndim = self.full.len();
        let mut strides = vec![1u64; ndim];
        for d in (0..ndim.saturating_sub(1)).rev() {
            strides[d] = strides[d + 1] * self.full[d + 1] as u64;
        }
        let mut pos = self.offset.clone();
        loop {
            let flat = pos.iter().zip(&strides).map(|(&p, &s)| p as u64 * s).sum();
            f(&pos, flat);
            // Odometer step over the block, last axis fastest.
            let mut d = ndim;
            loop {
                if d == 0 {
                    return;
                }
                d -= 1;
                pos[d] += 1;
                if pos[d] < self.offset[d] + self.shape[d] {
                    break;
                }
                pos[d] = self.offset[d];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flat_indices_of_a_block() {
        let kw = json!({"shape": [3, 4], "offset": [1, 2], "block_shape": [2, 2]});
        let b = Block::parse("t", kw.as_object().unwrap(), None).unwrap();
        let mut seen = Vec::new();
        b.for_each(|_, i| seen.push(i));
        assert_eq!(seen, vec![6, 7, 10, 11]);
    }

    #[test]
    fn defaults_and_bounds() {
        let b = Block::parse("t", json!({"shape": [2, 3]}).as_object().unwrap(), None).unwrap();
        assert_eq!(b.shape, vec![2, 3]);
        let mut n = 0;
        Block::parse("t", json!({"shape": []}).as_object().unwrap(), None)
            .unwrap()
            .for_each(|_, i| {
                assert_eq!(i, 0);
                n += 1;
            });
        assert_eq!(n, 1);
        let bad = json!({"shape": [2], "offset": [1], "block_shape": [2]});
        assert!(Block::parse("t", bad.as_object().unwrap(), None).is_err());
    }
}
