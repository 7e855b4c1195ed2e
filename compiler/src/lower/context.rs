//! The lowering state: the tasks made so far, the queue of blocks still to lower,
//! and the helpers rules use to ask for blocks, regions and whole values.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value as Json};
use tessera_ir::{Call, Chunks, Literal, Meta, Provenance, TaskExpr, TaskGraph, TaskId, TaskKey};
use tessera_ir::{NodeIdx, ValidArg, ValidGraph, ValidNode};

use super::select::{AxisSel, axis_pieces, offsets};
use super::{BlockKeys, LowerError, LowerOptions, rules};
use crate::token::Tokenizer;

/// Kernel that takes a region of one block (`index`: graph-format index entries).
pub(crate) const GETITEM: &str = "getitem";
/// Kernel that assembles a nested list of blocks into one array (Dask's
/// `concatenate3`): the nesting depth is the number of axes.
pub(crate) const ASSEMBLE: &str = "chunk.assemble";

/// Lowers nodes block by block; see the module documentation of `lower`.
pub struct Lowerer<'g> {
    graph: &'g ValidGraph,
    options: LowerOptions,
    /// Effective chunks per node (`None` for values that are not arrays).
    chunks: Vec<Option<Chunks>>,
    /// Block offsets per node and axis, from `chunks`.
    offsets: Vec<Option<Vec<Vec<usize>>>>,
    /// `<op>-<token>` per node.
    names: Vec<String>,
    tasks: TaskGraph,
    /// Blocks (or, with `None`, whole values) reserved but not lowered yet.
    queue: Vec<(NodeIdx, Option<Vec<usize>>, TaskId)>,
    /// Keyword arguments shared by the blocks of a node, per block shape.
    shared_kwargs: HashMap<(NodeIdx, Vec<usize>), Kwargs>,
    /// A task was asked for past `LowerOptions::max_tasks`: lowering stops with
    /// an error at the end of the current rule (rules asking for many blocks
    /// check [`Lowerer::over_task_limit`] to stop early).
    over_task_limit: bool,
    /// Per task, the node it computes part of (for naming it in errors).
    task_nodes: Vec<u32>,
    /// The node being lowered: helper tasks belong to it.
    current: NodeIdx,
}

/// The id handed out for tasks past the task limit: never stored, since
/// lowering fails before the graph is finished.
const OVER_LIMIT: TaskId = TaskId(u32::MAX);

/// Keyword arguments of a call.
type Kwargs = Arc<Map<String, Json>>;

impl<'g> Lowerer<'g> {
    /// Prepares to lower nodes of `graph`: computes every node's effective chunks
    /// and content-derived name, in one pass in topological order.
    pub fn new(graph: &'g ValidGraph, options: LowerOptions) -> Lowerer<'g> {
        let n = graph.nodes.len();
        let mut chunks = Vec::with_capacity(n);
        let mut names: Vec<String> = Vec::with_capacity(n);
        for node in &graph.nodes {
            let node_chunks = match &node.meta {
                Meta::Array(a) if options.whole_arrays => Some(Chunks::single(&a.shape)),
                Meta::Array(a) => Some(a.chunks.clone()),
                _ => None,
            };
            let mut t = Tokenizer::new();
            t.str(node.op.name).json(&Json::Object(node.attrs.clone()));
            for arg in &node.args {
                token_arg(&mut t, arg, &names);
            }
            if node.op.name == "input" {
                // In-memory data: its identity is part of the key, so two arrays
                // bound under one name never share tasks.
                let name = node.attrs.get("name").and_then(Json::as_str).unwrap_or("");
                if let Some(Literal::Opaque(value)) = options.inputs.get(name) {
                    t.int(Arc::as_ptr(value) as *const () as usize as u64);
                }
            }
            if let Some(c) = &node_chunks {
                for axis in &c.0 {
                    t.int(axis.len() as u64);
                    for &b in axis {
                        t.int(b as u64);
                    }
                }
            }
            names.push(format!("{}-{}", node.op.name, t.finish()));
            chunks.push(node_chunks);
        }
        let offsets = chunks
            .iter()
            .map(|c| c.as_ref().map(|c| c.0.iter().map(|a| offsets(a)).collect()))
            .collect();
        Lowerer {
            graph,
            options,
            chunks,
            offsets,
            names,
            tasks: TaskGraph::new(),
            queue: Vec::new(),
            shared_kwargs: HashMap::new(),
            over_task_limit: false,
            task_nodes: Vec::new(),
            current: NodeIdx(0),
        }
    }

    /// The options in force.
    pub fn options(&self) -> &LowerOptions {
        &self.options
    }

    /// The validated node.
    pub fn node(&self, node: NodeIdx) -> &'g ValidNode {
        &self.graph.nodes[node.0 as usize]
    }

    /// The node's content-derived name (`exp-1f2e...`).
    pub fn name(&self, node: NodeIdx) -> &str {
        &self.names[node.0 as usize]
    }

    /// The effective chunks of an array node.
    pub fn chunks(&self, node: NodeIdx) -> &Chunks {
        self.chunks[node.0 as usize]
            .as_ref()
            .expect("chunks asked of a node that is not an array")
    }

    /// Start offset of every block along `axis` of an array node (one more entry
    /// than blocks: the last is the axis length).
    pub fn offsets(&self, node: NodeIdx, axis: usize) -> &[usize] {
        &self.offsets[node.0 as usize]
            .as_ref()
            .expect("offsets asked of a node that is not an array")[axis]
    }

    /// The global `start..stop` of block `index` of an array node, per axis.
    pub fn block_bounds(&self, node: NodeIdx, index: &[usize]) -> Vec<(usize, usize)> {
        index
            .iter()
            .enumerate()
            .map(|(axis, &i)| {
                let off = self.offsets(node, axis);
                (off[i], off[i + 1])
            })
            .collect()
    }

    /// The task computing block `index` of an array node (created and queued on
    /// first request).
    pub fn block(&mut self, node: NodeIdx, index: &[usize]) -> TaskId {
        let key = TaskKey::block(&self.names[node.0 as usize], index);
        if let Some(id) = self.tasks.id_of(&key) {
            return id;
        }
        let Some(id) = self.reserve(key) else {
            return OVER_LIMIT;
        };
        self.task_nodes.push(node.0);
        self.queue.push((node, Some(index.to_vec()), id));
        id
    }

    /// Reserves a task under `key` (absent), or notes that the task limit is
    /// reached and returns `None`.
    fn reserve(&mut self, key: TaskKey) -> Option<TaskId> {
        if self.over_task_limit
            || self
                .options
                .max_tasks
                .is_some_and(|max| self.tasks.len() >= max)
        {
            self.over_task_limit = true;
            return None;
        }
        Some(self.tasks.reserve(key).expect("key checked absent"))
    }

    /// Whether the task graph has reached `LowerOptions::max_tasks`: a rule
    /// asking for many blocks stops early (lowering then fails).
    pub fn over_task_limit(&self) -> bool {
        self.over_task_limit
    }

    /// The task computing the whole value of a node that is not a block-wise array
    /// (`call`, `literal`, tuple-valued ops).
    pub fn value(&mut self, node: NodeIdx) -> TaskId {
        let key = match &self.node(node).meta {
            Meta::Array(_) | Meta::Tuple(_) => TaskKey::block(&self.names[node.0 as usize], &[]),
            _ => TaskKey::new(self.node(node).id.as_str()),
        };
        if let Some(id) = self.tasks.id_of(&key) {
            return id;
        }
        let Some(id) = self.reserve(key) else {
            return OVER_LIMIT;
        };
        self.task_nodes.push(node.0);
        self.queue.push((node, None, id));
        id
    }

    /// Keyword arguments that depend only on `node` and the shape of its block:
    /// made once per shape and shared by every such block (one allocation, and
    /// one entry in the runtime's plan, instead of one per task). `make` is called
    /// on the first block of each shape; `still_valid` is asked of the stored
    /// value on later ones, and a fresh value is made (not stored) if it says no.
    pub fn shared_kwargs(
        &mut self,
        node: NodeIdx,
        block_shape: &[usize],
        still_valid: impl FnOnce(&Map<String, Json>) -> bool,
        make: impl FnOnce() -> Map<String, Json>,
    ) -> Arc<Map<String, Json>> {
        let key = (node, block_shape.to_vec());
        match self.shared_kwargs.get(&key) {
            Some(kw) if still_valid(kw) => kw.clone(),
            Some(_) => Arc::new(make()),
            None => {
                let kw = Arc::new(make());
                self.shared_kwargs.insert(key, kw.clone());
                kw
            }
        }
    }

    /// The id of the task already made under `key`, if any.
    pub fn existing(&self, key: &TaskKey) -> Option<TaskId> {
        self.tasks.id_of(key)
    }

    /// Adds a helper task under `key` unless one exists, and returns its id.
    pub fn helper(&mut self, key: TaskKey, expr: impl FnOnce(&mut Self) -> TaskExpr) -> TaskId {
        if let Some(id) = self.tasks.id_of(&key) {
            return id;
        }
        let Some(id) = self.reserve(key) else {
            return OVER_LIMIT;
        };
        self.task_nodes.push(self.current.0);
        let expr = expr(self);
        self.tasks.set_expr(id, expr);
        id
    }

    /// An expression for a region of an array node: per axis a selection; picked
    /// axes are dropped. A region that is exactly one block is a reference to it;
    /// a region inside one block is a view of it; otherwise views of every block
    /// touched are assembled.
    pub fn region(&mut self, node: NodeIdx, sels: &[AxisSel]) -> TaskExpr {
        let per_axis: Vec<Vec<(usize, AxisSel)>> = sels
            .iter()
            .enumerate()
            .map(|(axis, &sel)| axis_pieces(self.offsets(node, axis), sel))
            .collect();
        if per_axis.iter().any(Vec::is_empty) {
            // An empty region: an empty array of the region's shape and dtype.
            let shape: Vec<usize> = sels
                .iter()
                .filter_map(|s| match *s {
                    AxisSel::Pick(_) => None,
                    AxisSel::Range { len, .. } => Some(len),
                })
                .collect();
            let dtype = self
                .node(node)
                .meta
                .as_array()
                .map_or("float64", |m| m.dtype.name());
            let mut kwargs = Map::new();
            kwargs.insert("shape".into(), serde_json::json!(shape));
            kwargs.insert("dtype".into(), serde_json::json!(dtype));
            return call("zeros", vec![], Arc::new(kwargs));
        }
        // Walk the grid of pieces; nest lists over the axes that are kept.
        let kept: Vec<usize> = (0..sels.len())
            .filter(|&a| !matches!(sels[a], AxisSel::Pick(_)))
            .collect();
        let grid_shape: Vec<usize> = per_axis.iter().map(Vec::len).collect();
        let total: usize = grid_shape.iter().product();
        let mut leaves = Vec::with_capacity(total);
        let mut pos = vec![0usize; sels.len()];
        for _ in 0..total {
            if self.over_task_limit {
                // Lowering fails: the rest of the region is never used.
                break;
            }
            let index: Vec<usize> = (0..sels.len()).map(|a| per_axis[a][pos[a]].0).collect();
            let local: Vec<AxisSel> = (0..sels.len()).map(|a| per_axis[a][pos[a]].1).collect();
            let block = self.block(node, &index);
            let sizes = self.block_bounds(node, &index);
            let full = local
                .iter()
                .zip(&sizes)
                .all(|(s, (lo, hi))| s.is_full(hi - lo));
            leaves.push(if full {
                TaskExpr::Ref(block)
            } else {
                let entries = local.iter().map(AxisSel::to_index_json).collect();
                call(GETITEM, vec![TaskExpr::Ref(block)], kwargs_index(entries))
            });
            // Advance the grid position, last axis fastest.
            for a in (0..sels.len()).rev() {
                pos[a] += 1;
                if pos[a] < grid_shape[a] {
                    break;
                }
                pos[a] = 0;
            }
        }
        if leaves.len() == 1 || self.over_task_limit {
            return leaves.pop().unwrap_or(TaskExpr::Ref(OVER_LIMIT));
        }
        let kept_shape: Vec<usize> = kept.iter().map(|&a| grid_shape[a]).collect();
        call(ASSEMBLE, vec![nest(leaves, &kept_shape)], Arc::default())
    }

    /// The whole of an array node, assembled from all its blocks.
    pub fn whole(&mut self, node: NodeIdx) -> TaskExpr {
        let sels: Vec<AxisSel> = self
            .chunks(node)
            .shape()
            .iter()
            .map(|&n| AxisSel::span(0, n))
            .collect();
        self.region(node, &sels)
    }

    /// The expression for an argument given as a whole value: arrays whole,
    /// other nodes by reference, scalars and literals as literals.
    pub fn arg_whole(&mut self, arg: &ValidArg) -> TaskExpr {
        match arg {
            ValidArg::Node(n) => match &self.node(*n).meta {
                Meta::Array(_) => self.whole(*n),
                _ => TaskExpr::Ref(self.value(*n)),
            },
            // A boolean stays a boolean (NEP 50: `bool_array + False` is bool).
            ValidArg::Scalar(tessera_ir::ScalarKind::Bool, v, _) => {
                TaskExpr::Literal(Literal::json(Json::Bool(*v != 0.0)))
            }
            ValidArg::Scalar(_, _, number) => {
                TaskExpr::Literal(Literal::json(Json::Number(number.clone())))
            }
            ValidArg::Literal(v) => TaskExpr::Literal(Literal::json(v.clone())),
            ValidArg::List(items) => {
                TaskExpr::List(items.iter().map(|a| self.arg_whole(a)).collect())
            }
        }
    }

    /// The task for requested output `node`, and its blocks when it is an array.
    pub(super) fn output(
        &mut self,
        node: NodeIdx,
    ) -> Result<(TaskId, Option<BlockKeys>), LowerError> {
        if !matches!(self.node(node).meta, Meta::Array(_)) {
            return Ok((self.value(node), None));
        }
        let numblocks = self.chunks(node).numblocks();
        let total: usize = numblocks.iter().product();
        let mut blocks = HashMap::with_capacity(total);
        let mut index = vec![0usize; numblocks.len()];
        for _ in 0..total {
            let id = self.block(node, &index);
            if self.over_task_limit {
                return Err(self.too_many_tasks(node, self.options.max_tasks.unwrap_or(0)));
            }
            blocks.insert(index.clone(), self.tasks.task(id).key.clone());
            for a in (0..index.len()).rev() {
                index[a] += 1;
                if index[a] < numblocks[a] {
                    break;
                }
                index[a] = 0;
            }
        }
        let task = if total == 1 {
            self.tasks
                .id_of(blocks.values().next().expect("one block"))
                .expect("block task exists")
        } else {
            let key = TaskKey::block(&format!("finalize-{}", self.names[node.0 as usize]), &[]);
            self.current = node;
            self.helper(key, |cx| cx.whole(node))
        };
        Ok((task, Some(blocks)))
    }

    /// Lowers every queued block until the queue is empty.
    pub(super) fn drain(&mut self) -> Result<(), LowerError> {
        while let Some((node, index, id)) = self.queue.pop() {
            self.current = node;
            if let Some(limit) = self.options.max_block_bytes {
                self.check_fits(node, index.as_deref(), limit)?;
            }
            let lowered = match &index {
                Some(index) => rules::lower_block(self, node, index),
                None => rules::lower_value(self, node),
            };
            if self.over_task_limit {
                return Err(self.too_many_tasks(node, self.options.max_tasks.unwrap_or(0)));
            }
            let expr = lowered.map_err(|message| LowerError {
                node: self.node(node).id.clone(),
                message,
                exceeds_memory: false,
            })?;
            self.tasks.set_expr(id, expr);
        }
        Ok(())
    }

    /// The error for a task graph grown past `max` tasks while lowering `node`;
    /// it names the node of the most blocks, the usual cause.
    fn too_many_tasks(&self, node: NodeIdx, max: usize) -> LowerError {
        let count = |c: &Chunks| {
            c.numblocks()
                .iter()
                .try_fold(1usize, |acc, &n| acc.checked_mul(n))
                .unwrap_or(usize::MAX)
        };
        let most = (0..self.chunks.len())
            .filter_map(|i| Some((i, count(self.chunks[i].as_ref()?))))
            .max_by_key(|&(_, n)| n);
        let blocks = match most {
            Some((i, n)) if n > 1 => {
                format!(" (node \"{}\" has {n} blocks)", self.graph.nodes[i].id)
            }
            _ => String::new(),
        };
        LowerError {
            node: self.node(node).id.clone(),
            message: format!(
                "the task graph needs more than {max} tasks{blocks}; at about {} bytes per task \
                 that is more than the {:.1} MiB of the memory budget it may take; use larger \
                 chunks (`chunks` or `rechunk`)",
                super::BYTES_PER_TASK,
                (max.saturating_mul(super::BYTES_PER_TASK)) as f64 / f64::from(1u32 << 20)
            ),
            exceeds_memory: true,
        }
    }

    /// Refuses a block (or whole array) whose value would need more than `limit`
    /// bytes: allocating it would abort the process instead of failing cleanly.
    fn check_fits(
        &self,
        node: NodeIdx,
        index: Option<&[usize]>,
        limit: usize,
    ) -> Result<(), LowerError> {
        let Meta::Array(meta) = &self.node(node).meta else {
            return Ok(());
        };
        let shape: Vec<usize> = match index {
            Some(index) => self
                .block_bounds(node, index)
                .iter()
                .map(|&(lo, hi)| hi - lo)
                .collect(),
            None => meta.shape.clone(),
        };
        let bytes = shape
            .iter()
            .try_fold(meta.dtype.size_bytes(), |acc, &n| acc.checked_mul(n));
        if bytes.is_some_and(|b| b <= limit) {
            return Ok(());
        }
        let gib = |b: f64| b / f64::from(1u32 << 30);
        let needed = match bytes {
            Some(b) => format!("{:.1} GiB", gib(b as f64)),
            None => "more bytes than a 64-bit address space holds".to_string(),
        };
        let which = match index {
            Some(index) => format!("block {index:?}"),
            None => "the whole array".to_string(),
        };
        Err(LowerError {
            node: self.node(node).id.clone(),
            message: format!(
                "{which} of shape {shape:?} ({}) needs {needed}, more than the {:.1} GiB \
                 a block may take (the memory budget shared among the workers); use smaller chunks (`chunks` or `rechunk`) or compute \
                 a slice of it",
                meta.dtype.name(),
                gib(limit as f64)
            ),
            exceeds_memory: true,
        })
    }

    /// The finished task graph.
    pub(super) fn finish(mut self) -> TaskGraph {
        let nodes = (self.graph.nodes.iter().zip(self.names))
            .map(|(n, name)| (Arc::from(n.id.as_str()), Arc::from(name)))
            .collect();
        let mut task_nodes = self.task_nodes;
        task_nodes.shrink_to_fit();
        self.tasks.set_provenance(Provenance {
            nodes,
            task_nodes,
            fused: HashMap::new(),
        });
        self.tasks.shrink_to_fit();
        self.tasks
    }
}

/// A call expression.
pub(crate) fn call(func: &str, args: Vec<TaskExpr>, kwargs: Arc<Map<String, Json>>) -> TaskExpr {
    TaskExpr::Call(Call {
        func: function_name(func),
        args,
        kwargs,
    })
}

/// The function name as a shared string: a lowering calls a few functions many
/// times, and one allocation per name (not per task) also lets the runtime's plan
/// recognise a repeated function by pointer.
fn function_name(func: &str) -> Arc<str> {
    /// Names interned per thread; past this many, names are no longer interned.
    const MAX_NAMES: usize = 256;
    thread_local! {
        static NAMES: std::cell::RefCell<Vec<Arc<str>>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    NAMES.with(|names| {
        let mut names = names.borrow_mut();
        if let Some(name) = names.iter().find(|n| &***n == func) {
            return name.clone();
        }
        let name: Arc<str> = func.into();
        if names.len() < MAX_NAMES {
            names.push(name.clone());
        }
        name
    })
}

/// Keyword arguments from a JSON object literal (`kwargs(json!({"axis": 0}))`).
pub(crate) fn kwargs(object: Json) -> Arc<Map<String, Json>> {
    match object {
        Json::Object(map) => Arc::new(map),
        _ => Arc::default(),
    }
}

fn kwargs_index(entries: Vec<Json>) -> Arc<Map<String, Json>> {
    let mut m = Map::new();
    m.insert("index".into(), Json::Array(entries));
    Arc::new(m)
}

/// Nests a flat row-major list of leaves into lists of the given shape.
fn nest(leaves: Vec<TaskExpr>, shape: &[usize]) -> TaskExpr {
    if shape.len() <= 1 {
        return TaskExpr::List(leaves);
    }
    let inner: usize = shape[1..].iter().product();
    let mut rows = Vec::with_capacity(shape[0]);
    let mut it = leaves.into_iter();
    for _ in 0..shape[0] {
        let chunk: Vec<TaskExpr> = it.by_ref().take(inner).collect();
        rows.push(nest(chunk, &shape[1..]));
    }
    TaskExpr::List(rows)
}

fn token_arg(t: &mut Tokenizer, arg: &ValidArg, names: &[String]) {
    match arg {
        ValidArg::Node(n) => {
            t.str("node").str(&names[n.0 as usize]);
        }
        ValidArg::Scalar(_, _, number) => {
            t.str("scalar").str(&number.to_string());
        }
        ValidArg::Literal(v) => {
            t.str("lit").json(v);
        }
        ValidArg::List(items) => {
            t.str("list").int(items.len() as u64);
            for item in items {
                token_arg(t, item, names);
            }
        }
    }
}
