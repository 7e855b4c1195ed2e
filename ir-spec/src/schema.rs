//! The JSON Schema of the graph format v1, generated with schemars from the
//! document types and the op catalogue: one schema per op (its arguments, its
//! attributes with their types, nothing else), selected by `op`, and the dask
//! dialect. The committed copy is `ir-spec/schema/tessera-graph-v1.schema.json`.
//!
//! The schema checks the form of a document; what only inference can know
//! (shapes that broadcast, axes in range, references that exist, cycles) is left
//! to [`crate::validate`].

use std::borrow::Cow;

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde_json::{Value, json};

use crate::catalogue::{self, Arity, AttrType, OpSpec};
use crate::document::{Arg, Document, Node};
use crate::dtype::DType;

/// The JSON Schema (draft 2020-12) of a graph document, either dialect.
pub fn graph_schema() -> Value {
    SchemaGenerator::new(SchemaSettings::draft2020_12())
        .into_root_schema_for::<Document>()
        .to_value()
}

/// The schema as the committed file holds it: pretty JSON and a final newline.
pub fn graph_schema_text() -> String {
    let mut text =
        serde_json::to_string_pretty(&graph_schema()).expect("a JSON value always serializes");
    text.push('\n');
    text
}

impl JsonSchema for Document {
    fn schema_name() -> Cow<'static, str> {
        "TesseraGraphV1".into()
    }

    fn schema_id() -> Cow<'static, str> {
        "tessera_ir::Document".into()
    }

    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let canonical = g.subschema_for::<CanonicalDocument>();
        let dask = g.subschema_for::<DaskDocument>();
        json_schema!({
            "description": "A tessera graph document, format version 1: canonical nodes, or a Dask-style task graph (\"dialect\": \"dask\").",
            "oneOf": [canonical, dask]
        })
    }
}

/// The canonical form (`nodes`).
struct CanonicalDocument;

impl JsonSchema for CanonicalDocument {
    fn schema_name() -> Cow<'static, str> {
        "CanonicalDocument".into()
    }

    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let node = g.subschema_for::<Node>();
        json_schema!({
            "description": "A document of canonical nodes.",
            "type": "object",
            "required": ["tessera", "nodes", "outputs"],
            "additionalProperties": false,
            "properties": {
                "tessera": {"description": "The format version.", "const": 1},
                "dialect": {"description": "The canonical dialect (the default).", "const": "tessera"},
                "nodes": {
                    "description": "Nodes by id (ids are non-empty; a duplicate id is an error).",
                    "type": "object",
                    "propertyNames": {"minLength": 1},
                    "additionalProperties": node
                },
                "outputs": {
                    "description": "The ids to compute, in order.",
                    "type": "array",
                    "items": {"type": "string"}
                }
            }
        })
    }
}

/// The dask dialect (`graph`).
struct DaskDocument;

impl JsonSchema for DaskDocument {
    fn schema_name() -> Cow<'static, str> {
        "DaskDocument".into()
    }

    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let key = g.subschema_for::<DaskKey>();
        json_schema!({
            "description": "A Dask-style task graph: a list whose first element is a string that is not a key is a task; a string equal to a key is a reference; other lists are lists; everything else is a literal. Tuple keys are written as the JSON text of a list.",
            "type": "object",
            "required": ["tessera", "dialect", "graph", "outputs"],
            "additionalProperties": false,
            "properties": {
                "tessera": {"description": "The format version.", "const": 1},
                "dialect": {"const": "dask"},
                "graph": {
                    "description": "Keys to tasks or values.",
                    "type": "object",
                    "propertyNames": {"minLength": 1}
                },
                "outputs": {
                    "description": "The keys to compute, in order.",
                    "type": "array",
                    "items": key
                }
            }
        })
    }
}

/// A dask key: a string, or a list for a tuple key.
struct DaskKey;

impl JsonSchema for DaskKey {
    fn schema_name() -> Cow<'static, str> {
        "DaskKey".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A key: a string, or a list of strings and integers for a tuple key.",
            "anyOf": [
                {"type": "string", "minLength": 1},
                {"type": "array", "minItems": 1, "items": {"type": ["string", "integer"]}}
            ]
        })
    }
}

impl JsonSchema for Arg {
    fn schema_name() -> Cow<'static, str> {
        "Arg".into()
    }

    fn schema_id() -> Cow<'static, str> {
        "tessera_ir::Arg".into()
    }

    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let node = g.subschema_for::<Node>();
        let arg = g.subschema_for::<Arg>();
        json_schema!({
            "description": "A positional argument.",
            "anyOf": [
                {"description": "The value of the node with this id.", "type": "string"},
                {"description": "A weak scalar literal.", "type": ["number", "boolean"]},
                {
                    "description": "A JSON value taken as is.",
                    "type": "object",
                    "required": ["lit"],
                    "properties": {"lit": true},
                    "additionalProperties": false
                },
                {"description": "A list whose elements are evaluated.", "type": "array", "items": arg},
                node
            ]
        })
    }
}

impl JsonSchema for Node {
    fn schema_name() -> Cow<'static, str> {
        "Node".into()
    }

    fn schema_id() -> Cow<'static, str> {
        "tessera_ir::Node".into()
    }

    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let arg = g.subschema_for::<Arg>();
        let nested = g.subschema_for::<NestedList>();
        let names: Vec<&str> = catalogue::all().iter().map(|op| op.name).collect();
        let by_op: Vec<Value> = catalogue::all()
            .iter()
            .map(|op| {
                json!({
                    "if": {"properties": {"op": {"const": op.name}}, "required": ["op"]},
                    "then": op_schema(op, arg.as_value(), nested.as_value())
                })
            })
            .collect();
        json_schema!({
            "description": "A node: an op, its positional arguments and its attributes.",
            "type": "object",
            "required": ["op"],
            "properties": {"op": {"description": "The op's name.", "enum": names}},
            "allOf": by_op
        })
    }
}

/// The schema of a node of op `op`: its arguments and attributes.
fn op_schema(op: &OpSpec, arg: &Value, nested: &Value) -> Value {
    let (min, max) = match op.arity {
        Arity::Exact(k) => (k, Some(k)),
        Arity::Range(lo, hi) => (lo, Some(hi)),
        Arity::AtLeast(k) => (k, None),
    };
    let mut args = json!({"type": "array", "items": arg, "minItems": min});
    if let Some(max) = max {
        args["maxItems"] = json!(max);
    }
    let mut properties = serde_json::Map::new();
    properties.insert("op".into(), json!({"const": op.name}));
    properties.insert("args".into(), args);
    let mut required = vec![json!("op")];
    if min > 0 {
        required.push(json!("args"));
    }
    for a in op.attrs {
        let mut s = attr_schema(a.ty, nested);
        s["description"] = json!(a.doc);
        if let Some(default) = a
            .default
            .and_then(|d| serde_json::from_str::<Value>(d).ok())
        {
            s["default"] = default;
        }
        properties.insert(a.name.into(), s);
        if a.required {
            required.push(json!(a.name));
        }
    }
    json!({
        "description": op.doc,
        "properties": properties,
        "required": required,
        "additionalProperties": op.open_attrs
    })
}

/// The schema of one attribute type (the same rules as [`AttrType::check`]).
fn attr_schema(ty: AttrType, nested: &Value) -> Value {
    let int = json!({"type": "integer"});
    let axis_chunks = json!({"anyOf": [
        {"type": "null"},
        {"const": "auto"},
        {"const": -1},
        {"type": "integer", "minimum": 1},
        {"type": "array", "minItems": 1, "items": {"type": "integer", "minimum": 0}}
    ]});
    match ty {
        AttrType::Int => int,
        AttrType::Number => json!({"type": "number"}),
        AttrType::Bool => json!({"type": "boolean"}),
        AttrType::Str => json!({"type": "string"}),
        AttrType::Shape => json!({"type": "array", "items": {"type": "integer", "minimum": 0}}),
        AttrType::ReshapeShape => {
            json!({"type": "array", "items": {"type": "integer", "minimum": -1}})
        }
        AttrType::DType => json!({"enum": DType::ALL.map(DType::name)}),
        AttrType::Chunks => json!({"anyOf": [
            axis_chunks.clone(),
            {"type": "array", "items": axis_chunks}
        ]}),
        AttrType::Axis => {
            json!({"anyOf": [{"type": "null"}, int, {"type": "array", "items": int}]})
        }
        AttrType::AxisOrNull => json!({"anyOf": [{"type": "null"}, int]}),
        AttrType::IntList => json!({"type": "array", "items": int}),
        AttrType::Index => json!({"type": "array", "items": {"anyOf": [
            {"description": "One position; the axis is dropped.", "type": "integer"},
            {
                "description": "A slice [start, stop, step].",
                "type": "array",
                "minItems": 3,
                "maxItems": 3,
                "items": {"type": ["integer", "null"]}
            },
            {"description": "A new axis of length 1.", "type": "null"},
            {"description": "Ellipsis.", "const": "..."}
        ]}}),
        AttrType::NestedList => nested.clone(),
        AttrType::Json => json!({}),
        AttrType::Scalar => json!({"type": ["number", "boolean"]}),
        AttrType::Object => json!({"type": "object"}),
    }
}

/// Nested lists of numbers and booleans.
struct NestedList;

impl JsonSchema for NestedList {
    fn schema_name() -> Cow<'static, str> {
        "NestedList".into()
    }

    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let this = g.subschema_for::<NestedList>();
        json_schema!({
            "description": "Nested lists of numbers or booleans.",
            "anyOf": [{"type": ["number", "boolean"]}, {"type": "array", "items": this}]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_op_has_a_branch_and_closed_attributes() {
        let schema = graph_schema();
        let node = &schema["$defs"]["Node"];
        let branches = node["allOf"].as_array().unwrap();
        assert_eq!(branches.len(), catalogue::all().len());
        let exp = branches
            .iter()
            .find(|b| b["if"]["properties"]["op"]["const"] == "exp")
            .unwrap();
        assert_eq!(exp["then"]["additionalProperties"], false);
        assert_eq!(exp["then"]["properties"]["args"]["minItems"], 1);
        let ones = branches
            .iter()
            .find(|b| b["if"]["properties"]["op"]["const"] == "ones")
            .unwrap();
        assert!(
            ones["then"]["required"]
                .as_array()
                .unwrap()
                .contains(&json!("shape"))
        );
        let open = branches
            .iter()
            .find(|b| b["if"]["properties"]["op"]["const"] == "map_blocks")
            .unwrap();
        assert_eq!(open["then"]["additionalProperties"], true);
    }

    #[test]
    fn both_dialects_are_described() {
        let schema = graph_schema();
        assert_eq!(schema["oneOf"].as_array().unwrap().len(), 2);
        assert_eq!(
            schema["$defs"]["DaskDocument"]["properties"]["dialect"]["const"],
            "dask"
        );
        assert!(schema["$defs"]["Arg"]["anyOf"].is_array());
        assert!(graph_schema_text().ends_with("}\n"));
    }
}
