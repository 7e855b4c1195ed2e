//! Buffers for large kernel results: reserved, never zero-filled (the kernel writes
//! every element), and on Linux advised to be backed by transparent huge pages, so
//! that first touching them costs one page fault per 2 MiB instead of per 4 KiB.

/// Buffers at least this large are advised to use huge pages.
const HUGE_PAGE: usize = 2 << 20;

/// An empty vector with room for `len` elements. When the room is at least a few
/// huge pages, the OS is asked (`madvise(MADV_HUGEPAGE)`) to back the 2 MiB-aligned
/// part of it with transparent huge pages; the advice is only a hint and its
/// failure is ignored.
pub(crate) fn reserve<T>(len: usize) -> Vec<T> {
    let v: Vec<T> = Vec::with_capacity(len);
    let bytes = v.capacity().saturating_mul(std::mem::size_of::<T>());
    if bytes >= 2 * HUGE_PAGE {
        advise_huge_pages(v.as_ptr().cast::<u8>(), bytes);
    }
    v
}

#[cfg(target_os = "linux")]
fn advise_huge_pages(start: *const u8, bytes: usize) {
    let addr = start as usize;
    let first = addr.next_multiple_of(HUGE_PAGE);
    let end = (addr + bytes) / HUGE_PAGE * HUGE_PAGE;
    if end > first {
        // SAFETY: madvise only changes how the kernel backs the pages of this
        // range, which lies inside the vector's own allocation; it reads or
        // writes no memory, and MADV_HUGEPAGE leaves the contents unchanged.
        unsafe {
            libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_start: *const u8, _bytes: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserves_without_initialising() {
        let small: Vec<f64> = reserve(10);
        assert!(small.is_empty() && small.capacity() >= 10);
        let mut large: Vec<f64> = reserve(3 << 20);
        assert!(large.is_empty() && large.capacity() >= 3 << 20);
        large.extend((0..3 << 20).map(|i| i as f64));
        assert_eq!(large[12345], 12345.0);
        assert_eq!(large.len(), 3 << 20);
    }
}
