//! Lowering: array-level nodes become per-block tasks, demand-driven from the
//! requested outputs.
//!
//! Only the blocks that the outputs need are ever created: lowering starts from the
//! blocks of each output and asks each node's rule for the expression of one block;
//! the rule names the input blocks (or regions) it needs, which are queued in turn.
//! An explicit work queue replaces recursion, so graph depth never grows the stack,
//! and the cost follows the number of tasks created, never the number of chunks.
//!
//! Keys are Dask's: `["<op>-<token>", i, j, ...]` for block `(i, j, ...)` of an
//! array node, where the token hashes the node's op, attributes and inputs (so the
//! same expression always gives the same keys and equal subexpressions share
//! tasks). Nodes that are not arrays (`call`, `literal`, ...) keep their document id
//! as key.

mod context;
pub(crate) mod contraction;
mod rules;
pub mod select;

use std::collections::HashMap;

use tessera_ir::{InferContext, Literal, TaskGraph, TaskId, TaskKey};
use tessera_ir::{NodeIdx, ValidGraph};

pub use context::Lowerer;

/// Options of lowering.
#[derive(Debug, Clone)]
pub struct LowerOptions {
    /// Ignore the document's chunks and compute every array as one block (the
    /// reference that chunked results are tested against).
    pub whole_arrays: bool,
    /// How many partial results a tree reduction combines at a time.
    pub split_every: usize,
    /// Values of `input` nodes, by the node's `name` attribute (in-memory arrays
    /// handed over by the Rust API, as opaque literals the runtime reads).
    pub inputs: HashMap<String, Literal>,
    /// Where the document's `from_npy` paths are resolved (its folder, or
    /// `--data-root`).
    pub files: InferContext,
    /// The most bytes one block (or a whole array computed as one value) may
    /// take; a larger one is refused with an error naming the node, instead of
    /// aborting when it is allocated. `None`: no limit.
    pub max_block_bytes: Option<usize>,
    /// The most tasks the graph may have (what fits the memory budget at the
    /// bytes a task takes); more is refused with the count and the limit.
    /// `None`: no limit.
    pub max_tasks: Option<usize>,
}

impl Default for LowerOptions {
    fn default() -> LowerOptions {
        LowerOptions {
            whole_arrays: false,
            split_every: 8,
            inputs: HashMap::new(),
            files: InferContext::default(),
            max_block_bytes: None,
            max_tasks: None,
        }
    }
}

/// The bytes one task takes while it is planned and run: its share of the
/// lowered graph (key, expression, index entry) and of the runtime's plan made
/// from it, rounded up (measured by `benches/task_memory.rs`: 291 bytes lowered
/// and 214 planned per task of `ones((10^5,), chunks=1).sum()`). A computation's
/// task graph may have at most its memory budget divided by this many tasks.
pub const BYTES_PER_TASK: usize = 640;

/// The keys of an output array's blocks, by block index.
pub type BlockKeys = HashMap<Vec<usize>, TaskKey>;

/// A lowered graph: the tasks, and for each requested output the task whose value
/// is that output (for an array, the whole array assembled from its blocks).
#[derive(Debug, Clone)]
pub struct Lowered {
    /// Every task that the outputs need, and no other.
    pub graph: TaskGraph,
    /// One task per requested output, in the order requested.
    pub outputs: Vec<TaskId>,
    /// For each requested output that is an array: the tasks of its blocks, keyed
    /// by block index (what `Array::task_graph` shows as the array's keys).
    pub output_blocks: Vec<Option<BlockKeys>>,
}

/// A node that cannot be lowered, naming it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot lower node \"{node}\": {message}")]
pub struct LowerError {
    /// The node's id.
    pub node: String,
    /// What went wrong.
    pub message: String,
    /// The plan does not fit the memory budget (a block or the task graph too
    /// large): known before computing.
    pub exceeds_memory: bool,
}

/// Lowers the outputs of a validated graph to tasks.
pub fn lower(graph: &ValidGraph, options: &LowerOptions) -> Result<Lowered, LowerError> {
    lower_nodes(graph, &graph.outputs, options)
}

/// Lowers the given nodes of a validated graph (they need not be its outputs).
pub fn lower_nodes(
    graph: &ValidGraph,
    nodes: &[NodeIdx],
    options: &LowerOptions,
) -> Result<Lowered, LowerError> {
    // Positive-definite solves become Cholesky and two substitutions first.
    let expanded = rules::solve_pd::expand(graph, nodes)?;
    let (graph, nodes) = match &expanded {
        Some((g, n)) => (g, n.as_slice()),
        None => (graph, nodes),
    };
    // Choleskys of long chunks are factored in smaller tiles.
    let tiled = rules::cholesky_tiles::expand(graph, nodes)?;
    let (graph, nodes) = match &tiled {
        Some((g, n)) => (g, n.as_slice()),
        None => (graph, nodes),
    };
    let mut lowerer = Lowerer::new(graph, options.clone());
    let mut outputs = Vec::with_capacity(nodes.len());
    let mut output_blocks = Vec::with_capacity(nodes.len());
    for &node in nodes {
        let (task, blocks) = lowerer.output(node)?;
        outputs.push(task);
        output_blocks.push(blocks);
    }
    lowerer.drain()?;
    Ok(Lowered {
        graph: lowerer.finish(),
        outputs,
        output_blocks,
    })
}
