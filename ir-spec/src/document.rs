//! The graph document v1 in its canonical form: nodes keyed by id in document
//! order, each an op with positional arguments and attributes.
//!
//! Documents are read with [`crate::parse_document`] (strict: every structural
//! fault is reported) and written with serde: the output is the canonical JSON
//! form, `{"tessera": 1, "nodes": {...}, "outputs": [...]}`, with each node written
//! as `op`, then `args` (left out when empty), then its attributes in order.
//! A document read from the dask dialect is written in canonical form.

use indexmap::IndexMap;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Number, Value};

/// The format version this crate reads and writes.
pub const FORMAT_VERSION: u64 = 1;

/// How the document was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// Canonical tessera nodes (`"nodes"`).
    #[default]
    Tessera,
    /// A Dask-style task graph (`"dialect": "dask"`, `"graph"`), converted to
    /// canonical nodes when read.
    Dask,
}

/// A graph document: nodes by id, in document order, and the ids to compute.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Document {
    /// The format version (always [`FORMAT_VERSION`] for a parsed document).
    pub version: u64,
    /// The dialect the document was written in (it is always written back canonical).
    pub dialect: Dialect,
    /// The nodes, by id, in document order.
    pub nodes: IndexMap<String, Node>,
    /// The ids to compute, in order.
    pub outputs: Vec<String>,
}

/// One node: an op, its positional arguments and its attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The op's name in the catalogue.
    pub op: String,
    /// Positional arguments (`args`; empty when left out).
    pub args: Vec<Arg>,
    /// Every other field of the node, in document order.
    pub attrs: Map<String, Value>,
}

/// A weak scalar literal argument: a JSON number or boolean.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    /// `true` or `false`.
    Bool(bool),
    /// A number, exactly as written.
    Number(Number),
}

/// One positional argument of a node.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// `"id"`: the value of another node.
    Ref(String),
    /// A number or boolean: a weak scalar literal.
    Scalar(Scalar),
    /// `{"lit": ANY}`: a JSON value taken as is.
    Lit(Value),
    /// `[ARG, ...]`: a list whose elements are evaluated.
    List(Vec<Arg>),
    /// `{"op": ...}`: an anonymous inline node.
    Inline(Box<Node>),
}

impl Node {
    /// A node with the given op and no arguments or attributes.
    pub fn new(op: impl Into<String>) -> Node {
        Node {
            op: op.into(),
            args: Vec::new(),
            attrs: Map::new(),
        }
    }

    /// Adds a positional argument (builder style).
    pub fn arg(mut self, arg: Arg) -> Node {
        self.args.push(arg);
        self
    }

    /// Sets an attribute (builder style).
    pub fn attr(mut self, name: impl Into<String>, value: impl Into<Value>) -> Node {
        self.attrs.insert(name.into(), value.into());
        self
    }
}

impl Arg {
    /// A reference to node `id`.
    pub fn node(id: impl Into<String>) -> Arg {
        Arg::Ref(id.into())
    }

    /// The JSON form of this argument (what it serializes to).
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).expect("an Arg always serializes")
    }
}

impl From<bool> for Arg {
    fn from(b: bool) -> Arg {
        Arg::Scalar(Scalar::Bool(b))
    }
}

impl From<i64> for Arg {
    fn from(v: i64) -> Arg {
        Arg::Scalar(Scalar::Number(v.into()))
    }
}

impl Document {
    /// An empty canonical document of the current version.
    pub fn new() -> Document {
        Document {
            version: FORMAT_VERSION,
            ..Document::default()
        }
    }

    /// The canonical JSON text of this document (pretty-printed).
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a Document always serializes")
    }
}

impl Serialize for Document {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("tessera", &self.version)?;
        m.serialize_entry("nodes", &self.nodes)?;
        m.serialize_entry("outputs", &self.outputs)?;
        m.end()
    }
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let has_args = !self.args.is_empty();
        let mut m = s.serialize_map(Some(1 + usize::from(has_args) + self.attrs.len()))?;
        m.serialize_entry("op", &self.op)?;
        if has_args {
            m.serialize_entry("args", &self.args)?;
        }
        for (k, v) in &self.attrs {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl Serialize for Arg {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Arg::Ref(id) => s.serialize_str(id),
            Arg::Scalar(Scalar::Bool(b)) => s.serialize_bool(*b),
            Arg::Scalar(Scalar::Number(n)) => n.serialize(s),
            Arg::Lit(v) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("lit", v)?;
                m.end()
            }
            Arg::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Arg::Inline(node) => node.serialize(s),
        }
    }
}

/// Reading goes through the strict parser: every structural fault is collected
/// and reported as one error message (one fault per line). Duplicate keys in the
/// text can only be detected by [`crate::parse_document`], which reads text.
impl<'de> Deserialize<'de> for Document {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Document, D::Error> {
        let value = Value::deserialize(d)?;
        crate::parse::parse_value(&value).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_canonical_form() {
        let mut doc = Document::new();
        doc.nodes.insert(
            "a".into(),
            Node::new("ones")
                .attr("shape", serde_json::json!([4, 4]))
                .attr("chunks", 2),
        );
        doc.nodes.insert(
            "b".into(),
            Node::new("add")
                .arg(Arg::node("a"))
                .arg(Arg::Scalar(Scalar::Number(Number::from_f64(1.5).unwrap())))
                .arg(Arg::Lit("s".into()))
                .arg(Arg::List(vec![
                    true.into(),
                    Arg::Inline(Box::new(Node::new("zeros"))),
                ])),
        );
        doc.outputs.push("b".into());
        assert_eq!(
            serde_json::to_string(&doc).unwrap(),
            r#"{"tessera":1,"nodes":{"a":{"op":"ones","shape":[4,4],"chunks":2},"b":{"op":"add","args":["a",1.5,{"lit":"s"},[true,{"op":"zeros"}]]}},"outputs":["b"]}"#
        );
    }

    #[test]
    fn deserializes_through_the_strict_parser() {
        let doc: Document = serde_json::from_str(
            r#"{"tessera":1,"nodes":{"a":{"op":"ones","shape":[2]}},"outputs":["a"]}"#,
        )
        .unwrap();
        assert_eq!(doc.nodes["a"].op, "ones");
        let err = serde_json::from_str::<Document>(r#"{"tessera":2,"nodes":{},"outputs":[]}"#)
            .unwrap_err();
        assert!(err.to_string().contains("/tessera"), "{err}");
    }
}
