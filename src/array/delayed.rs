//! Arrays and delayed values together: [`Array::to_delayed`] gives an array's
//! blocks as delayed values (lazy: the array's tasks are brought along when they
//! are computed), [`Array::from_delayed`] makes an array of a delayed value (its
//! shape and dtype are checked when it is computed), and arrays that come from
//! delayed values compute with them as one task graph.

use std::path::Path;
use std::sync::Arc;

use serde_json::json;
use tessera_compiler::LowerOptions;
use tessera_ir::{DType, TaskKey};
use tessera_runtime::Value;

use super::compute::{lower_options, prepare};
use super::expr::{Expr, InputData};
use super::sources::UNNAMED_INPUT;
use super::{Array, ArrayError, Chunking};
use crate::compute::ComputeOptions;
use crate::delayed::{DNode, Delayed, DelayedError, Fragment, Kind, SourceHandle, compute_nodes};

/// The blocks of an array as delayed values, in row-major order of their index.
#[derive(Debug, Clone)]
pub struct DelayedBlocks {
    /// Blocks along each axis.
    pub numblocks: Vec<usize>,
    /// One delayed runtime array per block.
    pub blocks: Vec<Delayed<tessera_runtime::Array>>,
}

impl DelayedBlocks {
    /// The block at `index` (one entry per axis).
    pub fn get(&self, index: &[usize]) -> Option<&Delayed<tessera_runtime::Array>> {
        if index.len() != self.numblocks.len()
            || index.iter().zip(&self.numblocks).any(|(i, n)| i >= n)
        {
            return None;
        }
        let flat = index
            .iter()
            .zip(&self.numblocks)
            .fold(0, |acc, (i, n)| acc * n + i);
        self.blocks.get(flat)
    }
}

impl Array {
    /// The blocks of this array as delayed values (Dask's `to_delayed`); nothing is
    /// computed until they are.
    pub fn to_delayed(&self) -> Result<DelayedBlocks, ArrayError> {
        let (fragment, lowered) = lower_fragment(&[self])?;
        let numblocks = self.numblocks();
        let keys = lowered.output_blocks[0]
            .as_ref()
            .expect("an array output has blocks");
        let total: usize = numblocks.iter().product();
        let mut blocks = Vec::with_capacity(total);
        let mut index = vec![0usize; numblocks.len()];
        for _ in 0..total {
            let key = &keys[&index];
            let task = fragment
                .graph
                .id_of(key)
                .expect("a block key is a task of the lowered graph");
            blocks.push(Delayed::from_node(Arc::new(DNode {
                key: key.clone(),
                kind: Kind::Task {
                    fragment: fragment.clone(),
                    task,
                },
            })));
            // Next index, last axis fastest.
            for axis in (0..index.len()).rev() {
                index[axis] += 1;
                if index[axis] < numblocks[axis] {
                    break;
                }
                index[axis] = 0;
            }
        }
        Ok(DelayedBlocks { numblocks, blocks })
    }

    /// An array whose value is that of `value` (Dask's `da.from_delayed`): it must
    /// compute to an array of this shape and dtype, which is checked when it runs.
    pub fn from_delayed<T>(
        value: &Delayed<T>,
        shape: &[usize],
        dtype: DType,
        chunks: impl Into<Chunking>,
    ) -> Result<Array, ArrayError> {
        let attrs = json!({
            "name": UNNAMED_INPUT,
            "shape": shape,
            "dtype": dtype.name(),
            "chunks": chunks.into().to_json(),
        });
        let attrs = attrs.as_object().cloned().unwrap_or_default();
        let check = json!({"shape": shape, "dtype": dtype.name()});
        let mut node = Expr::check("input", Vec::new(), attrs)?;
        let handle: Arc<dyn std::any::Any + Send + Sync> = Arc::new(SourceHandle {
            node: value.node.clone(),
            attrs: Arc::new(check.as_object().cloned().unwrap_or_default()),
        });
        node.input = Some(InputData {
            name: None,
            value: None,
            source: Some(handle),
        });
        Array::from_node(Arc::new(node))
    }

    /// This array as one delayed value (its whole value).
    pub fn to_delayed_whole(&self) -> Result<Delayed<tessera_runtime::Array>, ArrayError> {
        let (fragment, lowered) = lower_fragment(&[self])?;
        let task = lowered.outputs[0];
        let key: TaskKey = fragment.graph.task(task).key.clone();
        Ok(Delayed::from_node(Arc::new(DNode {
            key,
            kind: Kind::Task { fragment, task },
        })))
    }

    /// Writes a picture of this array's task graph (`.dot`, or `.svg` / `.png`
    /// through Graphviz), coloured by execution order.
    pub fn visualize(&self, path: &Path) -> Result<(), ArrayError> {
        self.to_delayed_whole()?
            .visualize(path)
            .map_err(delayed_error)
    }
}

/// Lowers `arrays` into a fragment that delayed nodes can refer to.
fn lower_fragment(
    arrays: &[&Array],
) -> Result<(Arc<Fragment>, tessera_compiler::Lowered), ArrayError> {
    let (graph, bindings) = prepare(arrays)?;
    let lowered =
        tessera_compiler::lower(&graph, &lower_options(&LowerOptions::default(), &bindings))
            .map_err(|e| ArrayError::Compute(e.into()))?;
    let sources = bindings
        .sources()
        .filter_map(|s| s.downcast_ref::<SourceHandle>())
        .map(|s| s.node.clone())
        .collect();
    let fragment = Arc::new(Fragment {
        graph: lowered.graph.clone(),
        sources,
    });
    Ok((fragment, lowered))
}

/// Computes arrays some of which come from delayed values: one task graph.
pub(super) fn compute_arrays(
    arrays: &[&Array],
    options: &ComputeOptions<'_>,
) -> Result<Vec<Value>, ArrayError> {
    let (fragment, lowered) = lower_fragment(arrays)?;
    let roots: Vec<Arc<DNode>> = lowered
        .outputs
        .iter()
        .map(|&task| {
            Arc::new(DNode {
                key: fragment.graph.task(task).key.clone(),
                kind: Kind::Task {
                    fragment: fragment.clone(),
                    task,
                },
            })
        })
        .collect();
    compute_nodes(&roots, options).map_err(delayed_error)
}

fn delayed_error(e: DelayedError) -> ArrayError {
    match e {
        DelayedError::Compute(c) => ArrayError::Compute(c),
        DelayedError::Array(a) => *a,
        other => ArrayError::Document {
            id: String::new(),
            message: other.to_string(),
        },
    }
}
