//! The e-graph language over array-level nodes: one generic e-node per catalogue
//! op (`(exp ?x)`, `(getitem ?x [0:10:1])`), attribute data as leaves with a text
//! form (a normalized index, a permutation, the other attributes as JSON), and
//! opaque e-nodes for what the optimizer does not model.

use std::fmt;
use std::str::FromStr;

use egg::{Id, define_language};
use serde_json::{Map, Value};
use tessera_ir::ScalarKind;
use tessera_ir::catalogue::{self, Family, OpSpec};
use tessera_ir::index::{AxisIndex, NormalIndex};

define_language! {
    /// Array-level expressions: catalogue ops over e-classes, with leaves for
    /// scalar literals, JSON literals and attributes.
    pub enum ArrayLang {
        // A weak scalar literal argument (`1`, `2.5`, `true`).
        Scalar(ScalarLit),
        // A normalized `getitem` index (`[0:10:1,3,+]`).
        Index(IndexLeaf),
        // A `transpose` permutation (`perm[1,0]`).
        Perm(PermLeaf),
        // The other attributes of a node, as compact JSON (`{"axis":[0],...}`).
        Attrs(AttrsLeaf),
        // A `{"lit": ...}` argument (`lit:"text"`).
        Lit(LitLeaf),
        // A node the optimizer does not model (`#12`: node 12 of the input graph),
        // over its arguments. Never matched by a rule.
        Opaque(OpaqueKey, Vec<Id>),
        // A catalogue op (or `list`) over its arguments, then its attribute leaves.
        Op(OpName, Vec<Id>),
    }
}

/// A weak scalar literal: its kind and the number exactly as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ScalarLit {
    /// Bool, int or float.
    pub kind: ScalarKind,
    /// The number as written (`0`/`1` for a boolean).
    pub text: String,
}

impl ScalarLit {
    /// The value as `f64`.
    pub fn value(&self) -> f64 {
        match self.kind {
            ScalarKind::Bool => f64::from(u8::from(self.text == "true")),
            _ => self.text.parse().unwrap_or(f64::NAN),
        }
    }

    /// A literal from its kind and `f64` value.
    pub fn from_value(kind: ScalarKind, v: f64) -> ScalarLit {
        let text = match kind {
            ScalarKind::Bool => (v != 0.0).to_string(),
            ScalarKind::Int => format!("{}", v as i64),
            ScalarKind::Float => serde_json::Number::from_f64(v)
                .map(|n| {
                    let s = n.to_string();
                    if s.contains(['.', 'e', 'E']) {
                        s
                    } else {
                        format!("{s}.0")
                    }
                })
                .unwrap_or_else(|| "NaN".to_owned()),
        };
        ScalarLit { kind, text }
    }
}

impl ScalarLit {
    fn key(&self) -> (u8, &str) {
        let k = match self.kind {
            ScalarKind::Bool => 0,
            ScalarKind::Int => 1,
            ScalarKind::Float => 2,
        };
        (k, &self.text)
    }
}

impl PartialOrd for ScalarLit {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ScalarLit {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl fmt::Display for ScalarLit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for ScalarLit {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let kind = match s {
            "true" | "false" => ScalarKind::Bool,
            _ if s.parse::<i64>().is_ok() => ScalarKind::Int,
            _ if s.parse::<f64>().is_ok()
                && s.starts_with(|c: char| c.is_ascii_digit() || c == '-') =>
            {
                ScalarKind::Float
            }
            _ => return Err(format!("{s:?} is not a scalar")),
        };
        Ok(ScalarLit {
            kind,
            text: s.to_owned(),
        })
    }
}

/// One entry of a normalized index, in the order of the result's axes and the
/// input's axes: every input axis has exactly one `Pick` or `Range`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Entry {
    /// Keeps one position and drops the axis.
    Pick(usize),
    /// Keeps `len` positions `start, start + step, ...`.
    Range {
        /// First position.
        start: usize,
        /// Stride, never zero.
        step: i64,
        /// Number of positions.
        len: usize,
    },
    /// A new axis of length 1.
    New,
}

/// A `getitem` index resolved against its input's shape (no ellipsis, every
/// input axis named), so equal slices are equal leaves.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IndexLeaf(pub Vec<Entry>);

impl IndexLeaf {
    /// The leaf of a normalized index.
    pub fn from_normal(n: &NormalIndex) -> IndexLeaf {
        let mut out = Vec::with_capacity(n.axes.len() + n.new_axes.len());
        let mut axes = n.axes.iter();
        let mut pos = 0usize;
        let mut new_axes = n.new_axes.iter().peekable();
        loop {
            if new_axes.peek() == Some(&&pos) {
                new_axes.next();
                out.push(Entry::New);
                pos += 1;
                continue;
            }
            match axes.next() {
                Some(AxisIndex::Pick(p)) => out.push(Entry::Pick(*p)),
                Some(AxisIndex::Range {
                    start, step, len, ..
                }) => {
                    let start = if *len == 0 { 0 } else { *start as usize };
                    let step = if *len == 0 { 1 } else { *step };
                    out.push(Entry::Range {
                        start,
                        step,
                        len: *len,
                    });
                    pos += 1;
                }
                None => {
                    out.extend(new_axes.map(|_| Entry::New));
                    break;
                }
            }
        }
        IndexLeaf(out)
    }

    /// The index as the graph format writes it.
    pub fn to_json(&self) -> Value {
        Value::Array(
            self.0
                .iter()
                .map(|e| match *e {
                    Entry::Pick(p) => Value::from(p),
                    Entry::New => Value::Null,
                    Entry::Range { start, step, len } => {
                        let stop = range_stop(start, len, step);
                        let stop = if stop < 0 {
                            Value::Null
                        } else {
                            Value::from(stop)
                        };
                        Value::Array(vec![Value::from(start), stop, Value::from(step)])
                    }
                })
                .collect(),
        )
    }

    /// Whether the index keeps an array of `shape` exactly as it is.
    pub fn is_identity(&self, shape: &[usize]) -> bool {
        self.0.len() == shape.len()
            && self
                .0
                .iter()
                .zip(shape)
                .all(|(e, &n)| matches!(*e, Entry::Range { start: 0, step: 1, len } if len == n))
    }

    /// The entries that consume an input axis (`Pick` or `Range`), in order.
    pub fn input_entries(&self) -> impl Iterator<Item = &Entry> {
        self.0.iter().filter(|e| **e != Entry::New)
    }

    /// The index as [`NormalIndex`] over an input of `shape` (for result chunks).
    pub fn to_normal(&self, shape: &[usize]) -> NormalIndex {
        let mut axes = Vec::new();
        let mut new_axes = Vec::new();
        let mut out = Vec::new();
        for e in &self.0 {
            match *e {
                Entry::Pick(p) => axes.push(AxisIndex::Pick(p)),
                Entry::New => {
                    new_axes.push(out.len());
                    out.push(1);
                }
                Entry::Range { start, step, len } => {
                    let stop = range_stop(start, len, step);
                    axes.push(AxisIndex::Range {
                        start: start as i64,
                        stop: stop.max(-1),
                        step,
                        len,
                    });
                    out.push(len);
                }
            }
        }
        debug_assert_eq!(axes.len(), shape.len());
        NormalIndex {
            axes,
            new_axes,
            shape: out,
        }
    }

    /// The shape of the result.
    pub fn result_shape(&self) -> Vec<usize> {
        self.0
            .iter()
            .filter_map(|e| match *e {
                Entry::Pick(_) => None,
                Entry::New => Some(1),
                Entry::Range { len, .. } => Some(len),
            })
            .collect()
    }

    /// Whether the index adds new axes.
    pub fn has_new_axes(&self) -> bool {
        self.0.contains(&Entry::New)
    }
}

impl fmt::Display for IndexLeaf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            match e {
                Entry::Pick(p) => write!(f, "{p}")?,
                Entry::New => f.write_str("+")?,
                Entry::Range { start, step, len } => write!(f, "{start}:{len}:{step}")?,
            }
        }
        f.write_str("]")
    }
}

impl FromStr for IndexLeaf {
    type Err = String;
    /// `[start:len:step,pick,+]`.
    fn from_str(s: &str) -> Result<Self, String> {
        let inner = s
            .strip_prefix('[')
            .and_then(|s| s.strip_suffix(']'))
            .ok_or_else(|| format!("{s:?} is not an index"))?;
        if inner.is_empty() {
            return Ok(IndexLeaf(Vec::new()));
        }
        let bad = || format!("{s:?} is not an index");
        inner
            .split(',')
            .map(|e| {
                if e == "+" {
                    return Ok(Entry::New);
                }
                let parts: Vec<&str> = e.split(':').collect();
                match parts.as_slice() {
                    [p] => p.parse().map(Entry::Pick).map_err(|_| bad()),
                    [a, n, k] => Ok(Entry::Range {
                        start: a.parse().map_err(|_| bad())?,
                        len: n.parse().map_err(|_| bad())?,
                        step: k.parse().map_err(|_| bad())?,
                    }),
                    _ => Err(bad()),
                }
            })
            .collect::<Result<_, _>>()
            .map(IndexLeaf)
    }
}

/// A full permutation of axes (`transpose`'s `axes`, made explicit).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PermLeaf(pub Vec<usize>);

impl PermLeaf {
    /// Whether this keeps every axis in place.
    pub fn is_identity(&self) -> bool {
        self.0.iter().enumerate().all(|(i, &a)| i == a)
    }
}

impl fmt::Display for PermLeaf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let items: Vec<String> = self.0.iter().map(usize::to_string).collect();
        write!(f, "perm[{}]", items.join(","))
    }
}

impl FromStr for PermLeaf {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let inner = s
            .strip_prefix("perm[")
            .and_then(|s| s.strip_suffix(']'))
            .ok_or_else(|| format!("{s:?} is not a permutation"))?;
        if inner.is_empty() {
            return Ok(PermLeaf(Vec::new()));
        }
        inner
            .split(',')
            .map(|a| a.parse().map_err(|_| format!("{s:?} is not a permutation")))
            .collect::<Result<_, _>>()
            .map(PermLeaf)
    }
}

/// Attributes as a JSON object, written compactly (its text is its identity;
/// the parsed map is kept alongside).
#[derive(Debug, Clone)]
pub struct AttrsLeaf {
    text: String,
    map: std::sync::Arc<Map<String, Value>>,
}

impl AttrsLeaf {
    /// The leaf of an attribute map (keys sorted, so equal maps are equal leaves).
    pub fn new(map: &Map<String, Value>) -> AttrsLeaf {
        let mut keys: Vec<&String> = map.keys().collect();
        keys.sort();
        let sorted: Map<String, Value> = keys
            .into_iter()
            .map(|k| (k.clone(), map[k.as_str()].clone()))
            .collect();
        AttrsLeaf {
            text: Value::Object(sorted.clone()).to_string(),
            map: std::sync::Arc::new(sorted),
        }
    }

    /// The attributes as a map.
    pub fn map(&self) -> &Map<String, Value> {
        &self.map
    }
}

impl PartialEq for AttrsLeaf {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for AttrsLeaf {}

impl std::hash::Hash for AttrsLeaf {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl PartialOrd for AttrsLeaf {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for AttrsLeaf {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.text.cmp(&other.text)
    }
}

impl fmt::Display for AttrsLeaf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for AttrsLeaf {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(m)) => Ok(AttrsLeaf::new(&m)),
            _ => Err(format!("{s:?} is not a JSON object")),
        }
    }
}

/// A `{"lit": ...}` value, written `lit:<compact JSON>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LitLeaf(pub String);

impl fmt::Display for LitLeaf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "lit:{}", self.0)
    }
}

impl FromStr for LitLeaf {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let json = s
            .strip_prefix("lit:")
            .ok_or_else(|| format!("{s:?} is not a literal"))?;
        serde_json::from_str::<Value>(json)
            .map(|v| LitLeaf(v.to_string()))
            .map_err(|e| format!("{s:?}: {e}"))
    }
}

/// Node `k` of the graph being optimized, kept as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OpaqueKey(pub u32);

impl fmt::Display for OpaqueKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

impl FromStr for OpaqueKey {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        s.strip_prefix('#')
            .and_then(|n| n.parse().ok())
            .map(OpaqueKey)
            .ok_or_else(|| format!("{s:?} is not an opaque node"))
    }
}

/// A catalogue op, or `list` (an evaluated list argument).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OpName(u16);

const LIST: u16 = u16::MAX;

impl OpName {
    /// The pseudo-op of list arguments.
    pub const LIST: OpName = OpName(LIST);

    /// The op called `name` (catalogue ops and `list`).
    pub fn named(name: &str) -> Option<OpName> {
        if name == "list" {
            return Some(OpName::LIST);
        }
        let spec = catalogue::lookup(name)?;
        let pos = catalogue::all()
            .iter()
            .position(|o| std::ptr::eq(o, spec))?;
        Some(OpName(pos as u16))
    }

    /// The catalogue op, or `None` for `list`.
    pub fn spec(self) -> Option<&'static OpSpec> {
        catalogue::all().get(usize::from(self.0))
    }

    /// The op's name.
    pub fn name(self) -> &'static str {
        self.spec().map_or("list", |s| s.name)
    }

    /// Whether the op is elementwise (broadcasting over its array arguments).
    pub fn is_elementwise(self) -> bool {
        self.spec().is_some_and(|s| s.family == Family::Elementwise)
    }
}

impl fmt::Display for OpName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for OpName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        OpName::named(s).ok_or_else(|| format!("unknown op {s:?}"))
    }
}

/// Whether the optimizer models `op` (anything else becomes an opaque e-node):
/// sources that depend only on their attributes (random ones included: their
/// values are a function of seed, shape and position), elementwise ops, reductions,
/// layout ops, matrix products, `tril`/`triu`, `map_overlap` (its block
/// function is taken to be pure, as Dask does).
pub(super) fn is_modeled(op: &OpSpec) -> bool {
    match op.family {
        Family::Source => matches!(
            op.name,
            "zeros"
                | "ones"
                | "full"
                | "arange"
                | "linspace"
                | "eye"
                | "random.uniform"
                | "random.normal"
                | "random.integers"
        ),
        Family::Elementwise | Family::Reduction => !matches!(op.name, "cumsum" | "cumprod"),
        Family::Shape => op.name != "reshape",
        Family::Linalg => matches!(op.name, "matmul" | "dot" | "tensordot" | "outer"),
        Family::Blockwise => op.name == "map_overlap",
        Family::Task => false,
    }
}

impl ArrayLang {
    /// The op of a modeled e-node.
    pub fn op(&self) -> Option<OpName> {
        match self {
            ArrayLang::Op(op, _) => Some(*op),
            _ => None,
        }
    }

    /// Whether this is a leaf carrying attribute data (not an argument).
    pub fn is_attr_leaf(&self) -> bool {
        matches!(
            self,
            ArrayLang::Index(_) | ArrayLang::Perm(_) | ArrayLang::Attrs(_)
        )
    }
}

/// The stop of a range of `len` positions from `start` by `step`, computed in
/// i128 (a huge step overflows i64) and clamped to i64: a stop beyond either
/// limit selects the same `len` positions as the limit does.
fn range_stop(start: usize, len: usize, step: i64) -> i64 {
    let stop = start as i128 + len as i128 * i128::from(step);
    stop.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_ir::index::{normalize_index, parse_index};

    #[test]
    fn leaves_round_trip_through_text() {
        for text in ["[0:10:1,3,+]", "[9:10:-1]", "[]", "[+,0:0:1]"] {
            let leaf: IndexLeaf = text.parse().unwrap();
            assert_eq!(leaf.to_string(), text);
        }
        assert_eq!("perm[1,0]".parse::<PermLeaf>().unwrap().0, vec![1, 0]);
        assert_eq!("2.5".parse::<ScalarLit>().unwrap().kind, ScalarKind::Float);
        assert_eq!("-3".parse::<ScalarLit>().unwrap().kind, ScalarKind::Int);
        assert!("x".parse::<ScalarLit>().is_err());
        assert_eq!("#7".parse::<OpaqueKey>().unwrap(), OpaqueKey(7));
        assert_eq!("exp".parse::<OpName>().unwrap().name(), "exp");
        assert_eq!(ScalarLit::from_value(ScalarKind::Float, 1.0).text, "1.0");
    }

    #[test]
    fn index_leaves_are_normal_forms() {
        let norm = |json: &str, shape: &[usize]| {
            let e = parse_index(&serde_json::from_str(json).unwrap()).unwrap();
            IndexLeaf::from_normal(&normalize_index(&e, shape).unwrap())
        };
        assert_eq!(
            norm("[[null, 5, null], \"...\"]", &[10, 4]),
            norm("[[0, 5, 1]]", &[10, 4])
        );
        let rev = norm("[[null, null, -1]]", &[5]);
        assert_eq!(rev.to_string(), "[4:5:-1]");
        assert_eq!(rev.to_json(), serde_json::json!([[4, null, -1]]));
        assert_eq!(norm("[null, -1]", &[5]).to_string(), "[+,4]");
        assert!(norm("[]", &[3, 2]).is_identity(&[3, 2]));
    }
}
