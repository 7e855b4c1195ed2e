//! Memory of a task graph per task (issue #12, item 5): `ones((N,), chunks=1).sum()`
//! lowered to N block tasks plus a reduction tree. A counting global allocator
//! measures the bytes the lowered graph holds (and the peak while lowering) and
//! the bytes of the runtime's plan made from it; `main` prints them per task
//! before the timed benches run.
//!
//! `cargo bench --bench task_memory`.

use tessera::compiler::{LowerOptions, lower};
use tessera::ir::{InferContext, ValidGraph, parse_and_validate};
use tessera::registry::default_registry;
use tessera::runtime::Plan;

#[path = "common/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::Counting;

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
    let before = counting_alloc::reset_peak();
    let lowered = lower(&graph, &LowerOptions::default()).expect("lowers");
    let tasks = lowered.graph.len();
    let held = counting_alloc::live() - before;
    let peak = counting_alloc::peak() - before;
    let registry = default_registry();
    let before_plan = counting_alloc::live();
    let plan = Plan::new(&lowered.graph, &lowered.outputs, registry).expect("plans");
    let plan_bytes = counting_alloc::live() - before_plan;
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
