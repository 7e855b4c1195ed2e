//! Memory of a task graph per task (issue #12, item 5): `ones((N,), chunks=1).sum()`
//! lowered to N block tasks plus a reduction tree. A counting global allocator
//! measures the bytes the lowered graph holds (and the peak while lowering) and
//! the bytes of the runtime's plan made from it; `main` prints them per task
//! before the timed benches run.
//!
//! `cargo bench --bench task_memory`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use tessera::compiler::{LowerOptions, lower};
use tessera::ir::{InferContext, ValidGraph, parse_and_validate};
use tessera::registry::default_registry;
use tessera::runtime::Plan;

/// The system allocator, counting the bytes held and their peak.
struct Counting;

static HELD: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to `System` unchanged; the counters are
// statistics only.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = HELD.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        // SAFETY: the caller's layout is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HELD.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` was allocated by `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size >= layout.size() {
            let now = HELD.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size
                - layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        } else {
            HELD.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        // SAFETY: forwarded unchanged to the allocator that made `ptr`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Blocks of the array: one task each, plus the reduction tree.
const BLOCKS: usize = 100_000;

fn validated() -> ValidGraph {
    let doc = format!(
        r#"{{"tessera": 1, "nodes": {{
            "x": {{"op": "ones", "shape": [{BLOCKS}], "chunks": 1}},
            "s": {{"op": "sum", "args": ["x"]}}
        }}, "outputs": ["s"]}}"#
    );
    parse_and_validate(&doc, &InferContext::default()).expect("valid")
}

fn main() {
    let graph = validated();
    let before = HELD.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let lowered = lower(&graph, &LowerOptions::default()).expect("lowers");
    let tasks = lowered.graph.len();
    let held = HELD.load(Ordering::Relaxed) - before;
    let peak = PEAK.load(Ordering::Relaxed) - before;
    let registry = default_registry();
    let before_plan = HELD.load(Ordering::Relaxed);
    let plan = Plan::new(&lowered.graph, &lowered.outputs, registry).expect("plans");
    let plan_bytes = HELD.load(Ordering::Relaxed) - before_plan;
    println!(
        "lowering ones(({BLOCKS},), chunks=1).sum(): {tasks} tasks, {} bytes/task held, \
         {} bytes/task peak; runtime plan {} bytes/task",
        held / tasks,
        peak / tasks,
        plan_bytes / tasks
    );
    drop(plan);
    drop(lowered);
    divan::main();
}

/// Lowering alone, the graph validated beforehand.
#[divan::bench(sample_count = 20)]
fn lower_blocks(bencher: divan::Bencher) {
    let graph = validated();
    bencher.bench(|| {
        lower(&graph, &LowerOptions::default())
            .expect("lowers")
            .graph
            .len()
    });
}
