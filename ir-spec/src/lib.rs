//! The tessera IR: the graph format v1 (array-level nodes that frontends emit),
//! the task-level graph (what lowering emits and the runtime runs), the op
//! catalogue, and validation.
//!
//! Reading a document: [`parse_document`] (strict JSON text: duplicate keys and
//! every structural fault reported with its JSON pointer), then [`validate`]
//! (ops, arity, attributes, references, cycles, shape / dtype / chunks inference),
//! or both at once with [`parse_and_validate`]. The format is specified in
//! `ir-spec/SPEC.md`; its JSON Schema is [`graph_schema`].
//!
//! ```
//! use tessera_ir::{InferContext, Meta, parse_and_validate};
//!
//! let text = r#"{"tessera": 1, "nodes": {
//!     "a": {"op": "ones", "shape": [10000, 10000], "chunks": 100},
//!     "b": {"op": "exp", "args": ["a"]},
//!     "c": {"op": "getitem", "args": ["b"], "index": [[1, 100, null], [1, 100, null]]}
//! }, "outputs": ["c"]}"#;
//! let graph = parse_and_validate(text, &InferContext::default()).unwrap();
//! let c = graph.node(graph.outputs[0]);
//! assert_eq!(c.meta.as_array().unwrap().shape, [99, 99]);
//!
//! let faults = parse_and_validate(
//!     r#"{"tessera": 1, "nodes": {"b": {"op": "exp", "args": ["a"]}}, "outputs": ["b"]}"#,
//!     &InferContext::default(),
//! )
//! .unwrap_err();
//! assert_eq!(
//!     faults.to_string(),
//!     r#"node "b" (/nodes/b/args/0): argument refers to node "a", which does not exist"#
//! );
//! ```

pub mod catalogue;
pub mod chunks;
pub mod dtype;
pub mod index;
pub mod meta;
pub mod task;

mod direct;
mod document;
mod fault;
mod json;
mod parse;
mod schema;
mod validate;

pub use catalogue::InferContext;
pub use catalogue::npy_header as npy;
pub use direct::{Direct, TaskDocument, dask_task_graph, direct_task_graph, unknown_functions};
pub use document::{Arg, Dialect, Document, FORMAT_VERSION, Node, Scalar};
pub use dtype::{DType, ScalarKind};
pub use fault::{FAULT_LIMIT, Fault, Faults};
pub use json::parse_json;
pub use meta::{ArrayMeta, Chunks, Meta};
pub use parse::{parse_document, parse_value};
pub use schema::{graph_schema, graph_schema_text};
pub use task::{Call, FusedPart, Literal, Provenance, Task, TaskExpr, TaskGraph, TaskId, TaskKey};
pub use validate::{NodeIdx, ValidArg, ValidGraph, ValidNode, parse_and_validate, validate};
