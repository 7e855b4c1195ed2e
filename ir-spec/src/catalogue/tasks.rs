//! Tasks and imperative glue: `call` (a registered function), `from_delayed` (a
//! task's array value as a one-block array), `item` (one part of a multi-part
//! value) and `literal` (a JSON value as a node).

use serde_json::Value;

use super::{Arity, AttrSpec, AttrType, Family, InferError, InferInput, OpSpec};
use crate::chunks::fmt_shape;
use crate::meta::{ArrayMeta, Chunks, Meta};

fn call(input: &InferInput<'_>) -> Result<Meta, InferError> {
    let name = input.string("fn")?;
    if name.is_empty() {
        return Err(InferError::at("fn", "the function name is empty"));
    }
    match input.opt("kwargs") {
        Some(serde_json::Value::Object(kwargs)) => input
            .ctx
            .check_call_files(name, kwargs)
            .map_err(|(kwarg, e)| InferError::at("kwargs", format!("`{kwarg}`: {e}")))?,
        Some(_) => return Err(InferError::at("kwargs", "kwargs must be an object")),
        None => {}
    }
    Ok(Meta::Any)
}

fn from_delayed(input: &InferInput<'_>) -> Result<Meta, InferError> {
    let shape = input.shape("shape")?;
    let dtype = input
        .opt_dtype("dtype")?
        .ok_or_else(|| InferError::at("dtype", "attribute `dtype` is required"))?;
    match input.arg(0)? {
        Meta::Array(a) if a.shape != shape => {
            return Err(InferError::arg(
                0,
                format!(
                    "the task gives an array of shape {} but shape says {}",
                    fmt_shape(&a.shape),
                    fmt_shape(&shape)
                ),
            ));
        }
        Meta::List(_) | Meta::Tuple(_) | Meta::Scalar(..) if !shape.is_empty() => {
            return Err(InferError::arg(
                0,
                format!(
                    "the task gives {}, not an array of shape {}",
                    input.arg(0)?.describe(),
                    fmt_shape(&shape)
                ),
            ));
        }
        _ => {}
    }
    let chunks = Chunks::single(&shape);
    Ok(Meta::Array(ArrayMeta::new(shape, dtype, chunks)))
}

fn item(input: &InferInput<'_>) -> Result<Meta, InferError> {
    let index = input.int("index")?;
    let pick = |len: usize| -> Result<usize, InferError> {
        let i = if index < 0 {
            i128::from(index) + len as i128
        } else {
            i128::from(index)
        };
        usize::try_from(i).ok().filter(|&i| i < len).ok_or_else(|| {
            InferError::at(
                "index",
                format!("index {index} is out of range for a value of {len} parts"),
            )
        })
    };
    match input.arg(0)? {
        Meta::Tuple(parts) | Meta::List(parts) => Ok(parts[pick(parts.len())?].clone()),
        Meta::Literal(Value::Array(items)) => Ok(Meta::Literal(items[pick(items.len())?].clone())),
        Meta::Any => Ok(Meta::Any),
        Meta::Array(_) => Err(InferError::arg(
            0,
            "item picks one part of a multi-part value; use getitem to index an array",
        )),
        other => Err(InferError::arg(
            0,
            format!("item needs a multi-part value, found {}", other.describe()),
        )),
    }
}

fn literal(input: &InferInput<'_>) -> Result<Meta, InferError> {
    let value = input
        .attrs
        .get("value")
        .ok_or_else(|| InferError::at("value", "attribute `value` is required"))?;
    Ok(Meta::Literal(value.clone()))
}

const fn attr(name: &'static str, ty: AttrType, required: bool, doc: &'static str) -> AttrSpec {
    AttrSpec {
        name,
        ty,
        required,
        default: None,
        doc,
    }
}

const ALL: &[OpSpec] = &[
    OpSpec {
        name: "call",
        family: Family::Task,
        arity: Arity::AtLeast(0),
        arg_names: "*args",
        attrs: &[
            attr(
                "fn",
                AttrType::Str,
                true,
                "Name of a function in the registry.",
            ),
            attr(
                "kwargs",
                AttrType::Object,
                false,
                "Keyword arguments passed to the function.",
            ),
        ],
        doc: "Calls a registered function on its (evaluated) arguments; the result is known at run time.",
        open_attrs: false,
        infer: call,
    },
    OpSpec {
        name: "from_delayed",
        family: Family::Task,
        arity: Arity::Exact(1),
        arg_names: "task",
        attrs: &[
            attr(
                "shape",
                AttrType::Shape,
                true,
                "Shape of the array the task returns.",
            ),
            attr(
                "dtype",
                AttrType::DType,
                true,
                "Element type of the array the task returns.",
            ),
        ],
        doc: "A task's array value as a one-block array.",
        open_attrs: false,
        infer: from_delayed,
    },
    OpSpec {
        name: "item",
        family: Family::Task,
        arity: Arity::Exact(1),
        arg_names: "x",
        attrs: &[attr(
            "index",
            AttrType::Int,
            true,
            "Which part (negative counts from the end).",
        )],
        doc: "One part of a multi-part value (a pair such as linalg.qr's, a list).",
        open_attrs: false,
        infer: item,
    },
    OpSpec {
        name: "literal",
        family: Family::Task,
        arity: Arity::Exact(0),
        arg_names: "",
        attrs: &[attr("value", AttrType::Json, true, "Any JSON value.")],
        doc: "A JSON value taken as is.",
        open_attrs: false,
        infer: literal,
    },
];

/// Every task op.
pub(super) const OPS: &[&[OpSpec]] = &[ALL];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{InferContext, lookup};
    use crate::dtype::DType;
    use serde_json::json;

    fn run(name: &str, args: Vec<Meta>, attrs: Value) -> Result<Meta, InferError> {
        let op = lookup(name).unwrap();
        let attrs = attrs.as_object().cloned().unwrap_or_default();
        (op.infer)(&InferInput {
            args: &args,
            attrs: &attrs,
            ctx: &InferContext::default(),
        })
    }

    fn arr(shape: &[usize]) -> Meta {
        Meta::Array(ArrayMeta::new(
            shape.to_vec(),
            DType::Float64,
            Chunks::single(shape),
        ))
    }

    #[test]
    fn call_gives_any() {
        assert_eq!(
            run("call", vec![Meta::Any, arr(&[2])], json!({"fn": "inc"})).unwrap(),
            Meta::Any
        );
        assert_eq!(
            run("call", vec![], json!({"fn": "f", "kwargs": {"a": 1}})).unwrap(),
            Meta::Any
        );
        assert_eq!(
            run("call", vec![], json!({"fn": ""}))
                .unwrap_err()
                .at
                .as_deref(),
            Some("fn")
        );
        assert_eq!(
            run("call", vec![], json!({"fn": "f", "kwargs": 3}))
                .unwrap_err()
                .at
                .as_deref(),
            Some("kwargs")
        );
        assert!(run("call", vec![], json!({})).is_err());
    }

    #[test]
    fn from_delayed_is_one_block() {
        let m = run(
            "from_delayed",
            vec![Meta::Any],
            json!({"shape": [3, 4], "dtype": "int32"}),
        )
        .unwrap();
        let a = m.as_array().unwrap();
        assert_eq!(
            (a.shape.clone(), a.dtype, a.chunks.0.clone()),
            (vec![3, 4], DType::Int32, vec![vec![3], vec![4]])
        );
        let e = run(
            "from_delayed",
            vec![arr(&[2])],
            json!({"shape": [3], "dtype": "int32"}),
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "the task gives an array of shape (2,) but shape says (3,)"
        );
        assert!(
            run(
                "from_delayed",
                vec![Meta::List(vec![])],
                json!({"shape": [3], "dtype": "int32"})
            )
            .is_err()
        );
        assert!(run("from_delayed", vec![Meta::Any], json!({"shape": [3]})).is_err());
    }

    #[test]
    fn item_picks_parts() {
        let pair = Meta::Tuple(vec![arr(&[4, 2]), arr(&[2, 2])]);
        assert_eq!(
            run("item", vec![pair.clone()], json!({"index": 1})).unwrap(),
            arr(&[2, 2])
        );
        assert_eq!(
            run("item", vec![pair.clone()], json!({"index": -2})).unwrap(),
            arr(&[4, 2])
        );
        let e = run("item", vec![pair], json!({"index": 2})).unwrap_err();
        assert_eq!(
            (e.at.as_deref(), e.message.as_str()),
            (
                Some("index"),
                "index 2 is out of range for a value of 2 parts"
            )
        );
        assert_eq!(
            run("item", vec![Meta::Any], json!({"index": 5})).unwrap(),
            Meta::Any
        );
        assert_eq!(
            run(
                "item",
                vec![Meta::Literal(json!(["a", "b"]))],
                json!({"index": 0})
            )
            .unwrap(),
            Meta::Literal(json!("a"))
        );
        assert!(
            run("item", vec![arr(&[3])], json!({"index": 0}))
                .unwrap_err()
                .message
                .contains("getitem")
        );
        assert!(run("item", vec![Meta::Literal(json!(1))], json!({"index": 0})).is_err());
    }

    #[test]
    fn literal_keeps_the_value() {
        assert_eq!(
            run("literal", vec![], json!({"value": {"a": [1]}})).unwrap(),
            Meta::Literal(json!({"a": [1]}))
        );
        assert_eq!(
            run("literal", vec![], json!({"value": null})).unwrap(),
            Meta::Literal(Value::Null)
        );
        assert!(run("literal", vec![], json!({})).is_err());
    }
}
