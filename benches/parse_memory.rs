//! Peak memory of reading a document made of one large literal list (issue 12,
//! item 8: a 200 MB list used to peak near 138x the file size while parsing).
//! A counting global allocator records the peak bytes live above the text
//! itself while `tessera::run::load` parses and validates a ~20 MB document;
//! the ratio peak / file size is printed before the timings.
//!
//! `cargo bench --bench parse_memory`.

use tessera::ir::InferContext;
use tessera::run::load;

#[path = "common/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::Counting;

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
    let baseline = counting_alloc::reset_peak();
    let loaded = load(text, &InferContext::default()).expect("valid");
    let peak = counting_alloc::peak() - baseline;
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
