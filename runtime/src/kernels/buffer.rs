//! Large result buffers backed by transparent huge pages where Linux offers them
//! (`madvise(MADV_HUGEPAGE)` on a fresh allocation, before its first write).
//!
//! The first write to each 4 KiB page of a fresh buffer is a page fault; on the
//! build machine (a VM) those faults cost more than the writes: assembling W3's
//! 128 MB factor took about 200 ms with 4 KiB pages and 55 ms with 2 MiB pages.

/// Buffers smaller than this are left to the allocator's defaults.
const MIN_BYTES: usize = 4 << 20;
/// The size of a transparent huge page on x86-64 and aarch64 Linux.
const HUGE_PAGE: usize = 2 << 20;

/// `len` default values (zeros, `false`) from the allocator's zeroed memory, whose
/// pages are advised huge before anything touches them.
pub(crate) fn zeroed<T: Clone + Default>(len: usize) -> Vec<T> {
    let mut v = vec![T::default(); len];
    advise(v.as_mut_ptr().cast(), len * size_of::<T>());
    v
}

/// An empty vector with room for `len` values, its memory advised huge.
pub(crate) fn with_capacity<T>(len: usize) -> Vec<T> {
    let mut v: Vec<T> = Vec::with_capacity(len);
    advise(v.as_mut_ptr().cast(), len * size_of::<T>());
    v
}

/// Asks Linux to back the whole huge pages inside `bytes` bytes at `ptr` with huge pages.
#[cfg(target_os = "linux")]
fn advise(ptr: *mut u8, bytes: usize) {
    if bytes < MIN_BYTES {
        return;
    }
    let skip = ptr.addr().next_multiple_of(HUGE_PAGE) - ptr.addr();
    let len = (bytes - skip) / HUGE_PAGE * HUGE_PAGE;
    if len == 0 {
        return;
    }
    // SAFETY: `skip + len <= bytes`, so the range lies inside the caller's live
    // allocation of `bytes` bytes at `ptr`. MADV_HUGEPAGE only changes how the kernel
    // backs those pages, never their contents or whether they are accessible; a
    // refusal (no THP support) leaves them as they were, so the result is ignored.
    unsafe {
        libc::madvise(ptr.wrapping_add(skip).cast(), len, libc::MADV_HUGEPAGE);
    }
}

/// Other systems keep the allocator's pages.
#[cfg(not(target_os = "linux"))]
fn advise(_: *mut u8, _: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_have_their_length_capacity_and_zeros() {
        let big: Vec<f64> = zeroed(MIN_BYTES / 8 + 3);
        assert_eq!(big.len(), MIN_BYTES / 8 + 3);
        assert!(big.iter().all(|&x| x == 0.0));
        let small: Vec<bool> = zeroed(5);
        assert_eq!(small, vec![false; 5]);
        let mut v: Vec<i64> = with_capacity(MIN_BYTES);
        assert!(v.is_empty() && v.capacity() >= MIN_BYTES);
        v.extend(0..MIN_BYTES as i64);
        assert_eq!(v[MIN_BYTES - 1], MIN_BYTES as i64 - 1);
        let empty: Vec<f32> = with_capacity(0);
        assert!(empty.is_empty());
    }
}
