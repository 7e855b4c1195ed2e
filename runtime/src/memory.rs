//! Accounting of the bytes that a run's values hold, and of their peak.

use std::sync::atomic::{AtomicUsize, Ordering};

use crossbeam_utils::CachePadded;

/// Bytes held by the values of a run (added when a task stores its result,
/// subtracted when the value is released) and the most held at once.
///
/// Ordering: both counters are statistics, never used to synchronise other
/// memory, so `Relaxed` suffices; `fetch_add`/`fetch_sub` are atomic
/// read-modify-writes, so no update is lost, and `peak` is raised with
/// `fetch_max` from the exact running total that `fetch_add` returned.
#[derive(Debug, Default)]
pub(crate) struct Memory {
    held: CachePadded<AtomicUsize>,
    peak: CachePadded<AtomicUsize>,
}

impl Memory {
    /// Records `bytes` more held.
    pub(crate) fn add(&self, bytes: usize) {
        let now = self.held.fetch_add(bytes, Ordering::Relaxed) + bytes;
        // Read first: `fetch_max` writes the line even when it changes nothing.
        if now > self.peak.load(Ordering::Relaxed) {
            self.peak.fetch_max(now, Ordering::Relaxed);
        }
    }

    /// Records `bytes` released.
    pub(crate) fn sub(&self, bytes: usize) {
        self.held.fetch_sub(bytes, Ordering::Relaxed);
    }

    /// Bytes held now.
    pub(crate) fn held(&self) -> usize {
        self.held.load(Ordering::Relaxed)
    }

    /// The most bytes held at once so far.
    pub(crate) fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracks_held_and_peak() {
        let m = Memory::default();
        m.add(10);
        m.add(5);
        m.sub(10);
        m.add(3);
        assert_eq!(m.held(), 8);
        assert_eq!(m.peak(), 15);
    }

    #[test]
    fn concurrent_updates_are_not_lost() {
        let m = Memory::default();
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..10_000 {
                        m.add(2);
                        m.sub(2);
                    }
                });
            }
        });
        assert_eq!(m.held(), 0);
        assert!(m.peak() >= 2 && m.peak() <= 8);
    }
}
