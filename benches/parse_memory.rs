//! Peak memory of reading a document made of one large literal list (issue 12,
//! item 8: a 200 MB list used to peak near 138x the file size while parsing).
//! A counting global allocator records the peak bytes live above the text
//! itself while `tessera::run::load` parses and validates a ~20 MB document;
//! the ratio peak / file size is printed before the timings.
//!
//! `cargo bench --bench parse_memory`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use tessera::ir::InferContext;
use tessera::run::load;

/// The system allocator, counting the bytes live and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counters only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's pointer, layout and size.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let live = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size
                    - layout.size();
                PEAK.fetch_max(live, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Bytes of the benchmark document.
const DOC_BYTES: usize = 20 << 20;

/// A document of one `array` node whose `data` is a flat list of floats.
fn document(bytes: usize) -> String {
    let mut text = String::with_capacity(bytes + 128);
    text.push_str(r#"{"tessera": 1, "nodes": {"x": {"op": "array", "data": ["#);
    let mut i = 0u64;
    while text.len() < bytes {
        if i > 0 {
            text.push_str(", ");
        }
        text.push_str(&format!("{}.25", i % 100_000));
        i += 1;
    }
    text.push_str(r#"], "chunks": 1000000}}, "outputs": ["x"]}"#);
    text
}

/// Peak bytes live above the baseline while loading `text`.
fn peak_of_load(text: &str) -> usize {
    let baseline = LIVE.load(Ordering::Relaxed);
    PEAK.store(baseline, Ordering::Relaxed);
    let loaded = load(text, &InferContext::default()).expect("valid");
    let peak = PEAK.load(Ordering::Relaxed) - baseline;
    drop(loaded);
    peak
}

fn main() {
    let text = document(DOC_BYTES);
    let peak = peak_of_load(&text);
    println!(
        "parse_memory: load of a {} byte literal list peaks at {} bytes: {:.1}x the file size",
        text.len(),
        peak,
        peak as f64 / text.len() as f64
    );
    divan::main();
}

/// Time of parsing and validating the document (its peak memory is printed above).
#[divan::bench(sample_count = 5)]
fn load_literal_list(bencher: divan::Bencher) {
    let text = document(DOC_BYTES);
    bencher.bench(|| peak_of_load(&text));
}
