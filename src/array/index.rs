//! Slicing arguments: the [`s!`](crate::s) macro and the conversions behind it,
//! producing the graph format's `getitem` index entries (NumPy basic indexing:
//! ranges with optional negative steps, single positions, new axes, ellipsis).

use std::ops::{Range, RangeFrom, RangeFull, RangeInclusive, RangeTo, RangeToInclusive};

pub use tessera_ir::index::IndexEntry;

/// Inserts a new axis of length 1 (NumPy's `np.newaxis`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewAxis;

/// Stands for as many full slices as needed (Python's `...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ellipsis;

/// An integer usable in an index (negative positions count from the end).
pub trait IndexInt: Copy {
    /// The value as `i64` (saturating).
    fn to_i64(self) -> i64;
}

macro_rules! index_int {
    ($($t:ty),*) => {$(
        impl IndexInt for $t {
            fn to_i64(self) -> i64 {
                i64::try_from(self).unwrap_or(i64::MAX)
            }
        }
    )*};
}
index_int!(i32, i64, isize, usize, u32);

/// Something that is one entry of an index: an integer, a range, [`NewAxis`] or
/// [`Ellipsis`].
pub trait IntoIndexEntry {
    /// The entry.
    fn into_entry(self) -> IndexEntry;
}

impl IntoIndexEntry for IndexEntry {
    fn into_entry(self) -> IndexEntry {
        self
    }
}

impl<T: IndexInt> IntoIndexEntry for T {
    fn into_entry(self) -> IndexEntry {
        IndexEntry::Int(self.to_i64())
    }
}

fn slice(start: Option<i64>, stop: Option<i64>) -> IndexEntry {
    IndexEntry::Slice {
        start,
        stop,
        step: None,
    }
}

impl<T: IndexInt> IntoIndexEntry for Range<T> {
    fn into_entry(self) -> IndexEntry {
        slice(Some(self.start.to_i64()), Some(self.end.to_i64()))
    }
}

impl<T: IndexInt> IntoIndexEntry for RangeFrom<T> {
    fn into_entry(self) -> IndexEntry {
        slice(Some(self.start.to_i64()), None)
    }
}

impl<T: IndexInt> IntoIndexEntry for RangeTo<T> {
    fn into_entry(self) -> IndexEntry {
        slice(None, Some(self.end.to_i64()))
    }
}

impl<T: IndexInt> IntoIndexEntry for RangeInclusive<T> {
    /// `a..=b` is `a..b+1`, except `a..=-1`, which runs to the end.
    fn into_entry(self) -> IndexEntry {
        let end = self.end().to_i64();
        let stop = if end == -1 {
            None
        } else {
            Some(end.saturating_add(1))
        };
        slice(Some(self.start().to_i64()), stop)
    }
}

impl<T: IndexInt> IntoIndexEntry for RangeToInclusive<T> {
    fn into_entry(self) -> IndexEntry {
        let end = self.end.to_i64();
        let stop = if end == -1 {
            None
        } else {
            Some(end.saturating_add(1))
        };
        slice(None, stop)
    }
}

impl IntoIndexEntry for RangeFull {
    fn into_entry(self) -> IndexEntry {
        slice(None, None)
    }
}

impl IntoIndexEntry for NewAxis {
    fn into_entry(self) -> IndexEntry {
        IndexEntry::NewAxis
    }
}

impl IntoIndexEntry for Ellipsis {
    fn into_entry(self) -> IndexEntry {
        IndexEntry::Ellipsis
    }
}

/// The entry `range;step` of [`s!`](crate::s): Python's `start:stop:step`. A single
/// position with a step becomes the one-element slice `i:i+1:step` (as ndarray
/// reads `s![i;step]`).
#[doc(hidden)]
pub fn stepped(entry: impl IntoIndexEntry, step: impl IndexInt) -> IndexEntry {
    let step = Some(step.to_i64());
    match entry.into_entry() {
        IndexEntry::Slice { start, stop, .. } => IndexEntry::Slice { start, stop, step },
        IndexEntry::Int(i) => IndexEntry::Slice {
            start: Some(i),
            stop: if i == -1 {
                None
            } else {
                Some(i.saturating_add(1))
            },
            step,
        },
        other => other,
    }
}

/// The JSON form of an index (what the `getitem` node holds).
pub(crate) fn index_json(entries: &[IndexEntry]) -> serde_json::Value {
    use serde_json::{Value, json};
    Value::Array(
        entries
            .iter()
            .map(|e| match *e {
                IndexEntry::Int(i) => json!(i),
                IndexEntry::Slice { start, stop, step } => json!([start, stop, step]),
                IndexEntry::NewAxis => Value::Null,
                IndexEntry::Ellipsis => json!("..."),
            })
            .collect(),
    )
}

/// Builds a `getitem` index like ndarray's `s![]` and NumPy's `a[...]`:
/// `s![1..100, ..;2, NewAxis, 3, Ellipsis]` is NumPy's
/// `a[1:100, ::2, np.newaxis, 3, ...]`. Each entry is an integer (negative counts
/// from the end), a range (`a..b`, `a..`, `..b`, `..`, `a..=b`) with an optional
/// `;step` (negative steps walk backwards), [`NewAxis`] or [`Ellipsis`].
///
/// ```
/// use tessera::{Array, NewAxis, s};
/// let a = Array::arange(0, 10, 1, None, 5).unwrap();
/// let b = a.slice(s![..;-2, NewAxis]).unwrap();
/// assert_eq!(b.shape(), &[5, 1]);
/// let v = b.compute::<i64>().unwrap();
/// assert_eq!(v.iter().copied().collect::<Vec<_>>(), vec![9, 7, 5, 3, 1]);
/// ```
#[macro_export]
macro_rules! s {
    (@parse [$($out:expr,)*]) => {
        ::std::vec![$($out,)*]
    };
    // `8..1;-3` is a reversed range on purpose (a negative step walks it backwards).
    (@parse [$($out:expr,)*] $r:expr ; $step:expr , $($rest:tt)*) => {
        $crate::s!(@parse [$($out,)* {
            #[allow(clippy::reversed_empty_ranges)]
            let entry = $crate::array::stepped($r, $step);
            entry
        },] $($rest)*)
    };
    (@parse [$($out:expr,)*] $r:expr ; $step:expr) => {
        $crate::s!(@parse [$($out,)* {
            #[allow(clippy::reversed_empty_ranges)]
            let entry = $crate::array::stepped($r, $step);
            entry
        },])
    };
    (@parse [$($out:expr,)*] $e:expr , $($rest:tt)*) => {
        $crate::s!(@parse [$($out,)* $crate::array::IntoIndexEntry::into_entry($e),] $($rest)*)
    };
    (@parse [$($out:expr,)*] $e:expr) => {
        $crate::s!(@parse [$($out,)* $crate::array::IntoIndexEntry::into_entry($e),])
    };
    ($($t:tt)*) => {
        $crate::s!(@parse [] $($t)*)
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_macro_writes_numpy_indices() {
        let idx: Vec<IndexEntry> =
            crate::s![1..100, ..;2, NewAxis, 3, Ellipsis, -1, ..;-1, -3.., ..=4];
        assert_eq!(
            index_json(&idx),
            json!([
                [1, 100, null],
                [null, null, 2],
                null,
                3,
                "...",
                -1,
                [null, null, -1],
                [-3, null, null],
                [null, 5, null]
            ])
        );
        let idx: Vec<IndexEntry> = crate::s![2..;-1, 5;2];
        assert_eq!(index_json(&idx), json!([[2, null, -1], [5, 6, 2]]));
        let idx: Vec<IndexEntry> = crate::s![..];
        assert_eq!(index_json(&idx), json!([[null, null, null]]));
        let n: usize = 7;
        let idx: Vec<IndexEntry> = crate::s![n - 2..n];
        assert_eq!(index_json(&idx), json!([[5, 7, null]]));
    }
}
