//! Block geometry of source kernels: the whole array's `shape`, the block's `offset` and `block_shape`.

use crate::kernels::KernelError;
use crate::kernels::reduce::args::{self, Kwargs, err};
use crate::value::Value;

/// Checks a source kernel's positional arguments: none, or one, the block's
/// offset (a list of non-negative integers). Lowering passes the offset this
/// way so that all blocks of one shape share one keyword map.
pub(crate) fn arity(op: &str, values: &[Value]) -> Result<(), KernelError> {
    if values.len() <= 1 {
        Ok(())
    } else {
        Err(err(
            op,
            format!(
                "expected at most 1 argument (the block's offset), got {}",
                values.len()
            ),
        ))
    }
}

/// The block's offset given as the positional argument, if any.
fn positional_offset(op: &str, values: &[Value]) -> Result<Option<Vec<usize>>, KernelError> {
    arity(op, values)?;
    let Some(first) = values.first() else {
        return Ok(None);
    };
    let bad = || {
        err(
            op,
            format!(
                "the block's offset must be a list of non-negative integers, got {}",
                first.type_name()
            ),
        )
    };
    let Value::List(items) = first else {
        return Err(bad());
    };
    items
        .iter()
        .map(|v| match v {
            Value::Int(i) => usize::try_from(*i).map_err(|_| {
                err(
                    op,
                    format!("the block's offset entries must be non-negative, got {i}"),
                )
            }),
            _ => Err(bad()),
        })
        .collect::<Result<_, _>>()
        .map(Some)
}

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
    /// Reads `shape` (required unless given), the offset (the positional
    /// argument, else `offset`, else zeros) and `block_shape` (the rest of the
    /// array from the offset), checking that the block fits.
    pub(crate) fn parse(
        op: &str,
        values: &[Value],
        kwargs: &Kwargs,
        full: Option<Vec<usize>>,
    ) -> Result<Block, KernelError> {
        let full = match full {
            Some(f) => f,
            None => args::req_usize_list(op, kwargs, "shape")?,
        };
        let positional = positional_offset(op, values)?;
        if positional.is_some() && kwargs.contains_key("offset") {
            return Err(err(
                op,
                "the block's offset is given twice (argument and `offset`)",
            ));
        }
        let offset = match positional {
            Some(o) => o,
            None => args::usize_list(op, kwargs, "offset")?.unwrap_or_else(|| vec![0; full.len()]),
        };
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

/// Where each element of a block of a random source lies in the whole array's C
/// order: element `i` (a position in the block) has flat index
/// `base + Σ i[r]·coef[r]`. The source may be a `region` of the whole array (one
/// entry per axis of `shape`: `[first, stride, num]` keeps positions
/// `first + i·stride`, an integer keeps that one position and drops the axis), and
/// the block a part of that region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Placement {
    /// Shape of the block.
    pub(crate) shape: Vec<usize>,
    base: u64,
    coef: Vec<i64>,
}

/// One entry of `region`.
enum RegionAxis {
    /// Positions `first + i·stride`, `i < num`.
    Keep { first: i64, stride: i64, num: usize },
    /// One position; the axis is dropped.
    Fix(i64),
}

fn region(op: &str, kwargs: &Kwargs, whole: &[usize]) -> Result<Vec<RegionAxis>, KernelError> {
    let Some(json) = kwargs.get("region").filter(|v| !v.is_null()) else {
        return Ok(whole
            .iter()
            .map(|&n| RegionAxis::Keep {
                first: 0,
                stride: 1,
                num: n,
            })
            .collect());
    };
    let bad = |why: String| err(op, format!("`region` {json}: {why}"));
    let entries = json
        .as_array()
        .filter(|e| e.len() == whole.len())
        .ok_or_else(|| bad(format!("expected one entry per axis of shape {whole:?}")))?;
    let inside = |p: i128, n: usize| p >= 0 && p < n as i128;
    entries
        .iter()
        .zip(whole)
        .map(|(e, &n)| {
            if let Some(p) = e.as_i64() {
                return if inside(p.into(), n) {
                    Ok(RegionAxis::Fix(p))
                } else {
                    Err(bad(format!("position {p} is outside an axis of {n}")))
                };
            }
            let t: Option<Vec<i64>> = e
                .as_array()
                .map(|t| t.iter().map(serde_json::Value::as_i64).collect())
                .and_then(|t| t);
            match t.as_deref() {
                Some(&[first, stride, num]) if stride != 0 && num >= 0 => {
                    let last = i128::from(first) + (i128::from(num) - 1) * i128::from(stride);
                    if num > 0 && !(inside(first.into(), n) && inside(last, n)) {
                        return Err(bad(format!(
                            "positions {first}..={last} are not all within an axis of {n}"
                        )));
                    }
                    Ok(RegionAxis::Keep {
                        first,
                        stride,
                        num: num as usize,
                    })
                }
                _ => Err(bad(format!(
                    "each entry must be an integer or [first, stride, num] with stride != 0, \
                     found {e}"
                ))),
            }
        })
        .collect()
}

impl Placement {
    /// Reads `shape` (the whole array's), `region` (all of it by default), then
    /// `offset` and `block_shape` within the region, as [`Block::parse`].
    pub(crate) fn parse(
        op: &str,
        values: &[Value],
        kwargs: &Kwargs,
    ) -> Result<Placement, KernelError> {
        let whole = args::req_usize_list(op, kwargs, "shape")?;
        let axes = region(op, kwargs, &whole)?;
        let kept: Vec<usize> = axes
            .iter()
            .filter_map(|a| match a {
                RegionAxis::Keep { num, .. } => Some(*num),
                RegionAxis::Fix(_) => None,
            })
            .collect();
        let block = Block::parse(op, values, kwargs, Some(kept))?;
        // Flat strides of the whole array (C order); its size fits in u64.
        let too_big = || err(op, format!("shape {whole:?} has too many elements"));
        let mut strides = vec![1i128; whole.len()];
        let mut size: i128 = 1;
        for d in (0..whole.len()).rev() {
            strides[d] = size;
            size = size.checked_mul(whole[d] as i128).ok_or_else(too_big)?;
        }
        if size > i64::MAX as i128 {
            return Err(too_big());
        }
        let (mut base, mut coef, mut r) = (0i128, Vec::new(), 0);
        for (a, s) in axes.iter().zip(&strides) {
            match *a {
                RegionAxis::Fix(p) => base += i128::from(p) * s,
                RegionAxis::Keep { first, stride, .. } => {
                    let at = i128::from(first) + block.offset[r] as i128 * i128::from(stride);
                    base += at * s;
                    coef.push((i128::from(stride) * s) as i64);
                    r += 1;
                }
            }
        }
        Ok(Placement {
            shape: block.shape,
            base: base as u64,
            coef,
        })
    }

    /// Number of elements of the block.
    pub(crate) fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Calls `f(start, step, out)` for each row of the block (its last axis) in C
    /// order: the row's elements have flat indices `start + k·step` and are
    /// written to `out` (the row's part of `data`, which holds the block).
    pub(crate) fn rows<T>(&self, data: &mut [T], mut f: impl FnMut(u64, i64, &mut [T])) {
        let n = self.len();
        if n == 0 {
            return;
        }
        let (row_len, step) = match (self.shape.last(), self.coef.last()) {
            (Some(&l), Some(&c)) => (l, c),
            _ => (1, 1),
        };
        let outer = &self.shape[..self.shape.len().saturating_sub(1)];
        let mut pos = vec![0usize; outer.len()];
        for row in data[..n].chunks_exact_mut(row_len) {
            let start = pos
                .iter()
                .zip(&self.coef)
                .fold(self.base as i64, |acc, (&p, &c)| acc + p as i64 * c);
            f(start as u64, step, row);
            // Odometer step over the outer axes, the last fastest.
            for d in (0..outer.len()).rev() {
                pos[d] += 1;
                if pos[d] < outer[d] {
                    break;
                }
                pos[d] = 0;
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
        let b = Block::parse("t", &[], kw.as_object().unwrap(), None).unwrap();
        let mut seen = Vec::new();
        b.for_each(|_, i| seen.push(i));
        assert_eq!(seen, vec![6, 7, 10, 11]);
    }

    #[test]
    fn offset_given_as_the_argument_places_the_block_as_the_keyword() {
        let by_kwarg = json!({"shape": [3, 4], "offset": [1, 2], "block_shape": [2, 2]});
        let by_arg = json!({"shape": [3, 4], "block_shape": [2, 2]});
        let offset = [Value::List(vec![Value::Int(1), Value::Int(2)].into())];
        let a = Block::parse("t", &[], by_kwarg.as_object().unwrap(), None).unwrap();
        let b = Block::parse("t", &offset, by_arg.as_object().unwrap(), None).unwrap();
        assert_eq!(a, b);
        // Given twice, negative, not a list, or with a second argument: refused.
        for (values, kw) in [
            (offset.to_vec(), &by_kwarg),
            (
                vec![Value::List(vec![Value::Int(-1), Value::Int(0)].into())],
                &by_arg,
            ),
            (vec![Value::Int(1)], &by_arg),
            (vec![offset[0].clone(), offset[0].clone()], &by_arg),
        ] {
            let e = Block::parse("t", &values, kw.as_object().unwrap(), None).unwrap_err();
            assert!(format!("{e}").contains("offset"), "{e}");
        }
    }

    #[test]
    fn defaults_and_bounds() {
        let b = Block::parse(
            "t",
            &[],
            json!({"shape": [2, 3]}).as_object().unwrap(),
            None,
        )
        .unwrap();
        assert_eq!(b.shape, vec![2, 3]);
        let mut n = 0;
        Block::parse("t", &[], json!({"shape": []}).as_object().unwrap(), None)
            .unwrap()
            .for_each(|_, i| {
                assert_eq!(i, 0);
                n += 1;
            });
        assert_eq!(n, 1);
        let bad = json!({"shape": [2], "offset": [1], "block_shape": [2]});
        assert!(Block::parse("t", &[], bad.as_object().unwrap(), None).is_err());
    }

    fn flat(kw: serde_json::Value) -> Vec<u64> {
        let p = Placement::parse("t", &[], kw.as_object().unwrap()).unwrap();
        let mut data = vec![0u64; p.len()];
        p.rows(&mut data, |start, step, row| {
            for (k, v) in row.iter_mut().enumerate() {
                *v = (start as i64 + k as i64 * step) as u64;
            }
        });
        data
    }

    #[test]
    fn placement_of_a_block_of_a_region() {
        // Without a region: the block's flat indices.
        assert_eq!(
            flat(json!({"shape": [3, 4], "offset": [1, 2], "block_shape": [2, 2]})),
            vec![6, 7, 10, 11]
        );
        // x[2, ::-2] of a 3x4 array: positions 11, 9; then a block of x[1:, 3:0:-1].
        assert_eq!(
            flat(json!({"shape": [3, 4], "region": [2, [3, -2, 2]]})),
            vec![11, 9]
        );
        assert_eq!(
            flat(json!({"shape": [3, 4], "region": [[1, 1, 2], [3, -1, 3]],
                        "offset": [1, 1], "block_shape": [1, 2]})),
            vec![10, 9]
        );
        // 0-d: one element.
        assert_eq!(flat(json!({"shape": [3, 4], "region": [1, 2]})), vec![6]);
        for bad in [
            json!([1]),
            json!([3, [0, 1, 4]]),
            json!([0, [0, 0, 1]]),
            json!([0, [3, 1, 2]]),
        ] {
            let kw = json!({"shape": [3, 4], "region": bad});
            assert!(
                Placement::parse("t", &[], kw.as_object().unwrap()).is_err(),
                "{bad}"
            );
        }
    }
}
