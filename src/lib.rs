//! tessera: a graph compiler for chunked, lazy computation.
//!
//! Documents in the graph format v1 (see `ir-spec/SPEC.md`) are validated
//! ([`tessera_ir`]), lowered to per-block tasks ([`tessera_compiler`]) and run by a
//! work-stealing runtime ([`tessera_runtime`]). This crate holds what users touch:
//! the pipeline ([`compute`]), the `tessera` command's library side ([`run`],
//! [`optimize`], [`order`]).

pub mod array;
pub mod compute;
pub mod delayed;
pub mod graph;
pub mod optimize;
pub mod order;
mod output;
pub mod registry;
pub mod run;
pub mod source;
pub mod viz;

use std::fmt::Write as _;
use std::path::PathBuf;

pub use array::{
    Array, ArrayError, Axis, Bindings, Boundaries, Boundary, Chunking, DType, DelayedBlocks,
    Element, Ellipsis, NewAxis, TensorAxes, compute_many, compute_many_with, concatenate, linalg,
    random, stack, task_graph, to_document, where_,
};
pub use delayed::{Delayed, delayed};
pub use graph::{Graph, GraphError, Key, Keys, Nested, Spec, get};
pub use output::{
    MANIFEST, OutDir, OutputError, Staged, file_stem, output_name_collisions, remove_temporaries,
    stage, write_outputs,
};
pub use tessera_compiler as compiler;
pub use tessera_ir as ir;
pub use tessera_runtime as runtime;

/// Validates a document; on success, a one-line summary (node and output counts).
pub fn validate_source(
    source: &source::Source,
    data_root: Option<PathBuf>,
) -> Result<String, ir::Faults> {
    let ctx = run::infer_context(source, data_root);
    Ok(match run::load(source.text(), &ctx)? {
        run::Loaded::Graph(graph) => format!(
            "{} nodes, {} outputs",
            graph.nodes.len(),
            graph.outputs.len()
        ),
        run::Loaded::Tasks(tasks) => format!(
            "{} tasks, {} outputs",
            tasks.graph.len(),
            tasks.outputs.len()
        ),
    })
}

/// The text of `tessera ops`: every op of the graph format by family, then every
/// registered function, each with its signature and a line of description.
pub fn ops_listing() -> String {
    use ir::catalogue::Family;
    let mut out = String::new();
    let families = [
        (Family::Source, "Sources"),
        (Family::Elementwise, "Elementwise"),
        (Family::Reduction, "Reductions"),
        (Family::Shape, "Shape and layout"),
        (Family::Linalg, "Linear algebra"),
        (Family::Blockwise, "Ghosting and block functions"),
        (Family::Task, "Tasks and imperative code"),
    ];
    for (family, title) in families {
        let _ = writeln!(out, "== {title}");
        for op in ir::catalogue::all().iter().filter(|op| op.family == family) {
            let _ = writeln!(out, "  {:<60} {}", op.signature(), op.doc);
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "== Registered functions (for `call` and dask-dialect tasks)"
    );
    for f in registry::default_registry().list() {
        // Every line starts with the function's name (`grep` finds it).
        let signature = if f.signature.starts_with(&format!("{}(", f.name)) {
            f.signature
        } else if f.signature.starts_with('(') {
            format!("{}{}", f.name, f.signature)
        } else {
            format!("{}: {}", f.name, f.signature)
        };
        let _ = writeln!(out, "  {signature:<60} {}", f.doc);
    }
    out
}
