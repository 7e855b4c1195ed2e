//! One op applied to known arguments: the checks validation makes on a node
//! (arity, unknown and required attributes, attribute types), defaults filled in,
//! then the op's inference. Frontends that build expressions in memory (the Rust
//! `Array`) call [`check_and_infer`] so that shape and dtype errors surface when
//! the expression is built, exactly as validation would report them.

use serde_json::{Map, Value};

use super::{Arity, InferContext, InferError, InferInput, OpSpec};
use crate::fault::{quote, suggestion};
use crate::meta::Meta;
use crate::validate::describe_arity;

/// Checks `args` and `attrs` against `op`, fills in the defaults of absent
/// optional attributes and runs the op's inference.
///
/// Returns the attributes as validation would store them (given ones first, in
/// their order, then defaults in catalogue order) and the metadata of the result.
/// Errors name what they are about in [`InferError::at`]: `args` for arity,
/// the attribute name for attribute faults, or whatever inference reports.
pub fn check_and_infer(
    op: &OpSpec,
    args: &[Meta],
    attrs: Map<String, Value>,
    ctx: &InferContext,
) -> Result<(Map<String, Value>, Meta), InferError> {
    check_arity(op, args.len())?;
    let mut filled = Map::with_capacity(attrs.len().max(op.attrs.len()));
    for (name, value) in attrs {
        match op.attr(&name) {
            // The block function of map_overlap / map_blocks takes its own attributes.
            None if op.open_attrs => {}
            None => {
                let hint = suggestion(&name, op.attrs.iter().map(|a| a.name));
                let known = if op.attrs.is_empty() {
                    " (it takes none)"
                } else {
                    ""
                };
                return Err(InferError::at(
                    name.clone(),
                    format!(
                        "unknown attribute {} for op {}{known}{hint}",
                        quote(&name),
                        quote(op.name)
                    ),
                ));
            }
            Some(spec) => spec.ty.check(&value).map_err(|why| {
                InferError::at(name.clone(), format!("attribute {}: {why}", quote(&name)))
            })?,
        }
        filled.insert(name, value);
    }
    for spec in op.attrs {
        if filled.contains_key(spec.name) {
            continue;
        }
        if spec.required {
            return Err(InferError::at(
                spec.name,
                format!(
                    "op {} needs the attribute {} ({})",
                    quote(op.name),
                    quote(spec.name),
                    spec.doc
                ),
            ));
        }
        if let Some(default) = spec.default {
            let value: Value = serde_json::from_str(default).map_err(|e| {
                InferError::at(
                    spec.name,
                    format!("the catalogue's default {default} is not JSON: {e}"),
                )
            })?;
            filled.insert(spec.name.to_owned(), value);
        }
    }
    let meta = (op.infer)(&InferInput {
        args,
        attrs: &filled,
        ctx,
    })?;
    Ok((filled, meta))
}

fn check_arity(op: &OpSpec, n: usize) -> Result<(), InferError> {
    let ok = match op.arity {
        Arity::Exact(k) => n == k,
        Arity::Range(lo, hi) => (lo..=hi).contains(&n),
        Arity::AtLeast(k) => n >= k,
    };
    if ok {
        return Ok(());
    }
    let plural = if n == 1 { "" } else { "s" };
    Err(InferError::at(
        "args",
        format!(
            "op {} takes {}, found {n} argument{plural}",
            quote(op.name),
            describe_arity(op.arity)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::lookup;
    use crate::dtype::{DType, ScalarKind};
    use crate::meta::{ArrayMeta, Chunks};
    use serde_json::json;

    fn attrs(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    fn array(shape: &[usize], dtype: DType) -> Meta {
        Meta::Array(ArrayMeta::new(shape.to_vec(), dtype, Chunks::single(shape)))
    }

    fn apply(op: &str, args: &[Meta], a: Value) -> Result<(Map<String, Value>, Meta), InferError> {
        check_and_infer(
            lookup(op).unwrap(),
            args,
            attrs(a),
            &InferContext::default(),
        )
    }

    #[test]
    fn fills_defaults_and_infers() {
        let (filled, meta) = apply("ones", &[], json!({"shape": [4, 6], "chunks": 2})).unwrap();
        assert_eq!(
            Value::Object(filled),
            json!({"shape": [4, 6], "chunks": 2, "dtype": "float64"})
        );
        let a = meta.as_array().unwrap();
        assert_eq!(a.shape, vec![4, 6]);
        assert_eq!(a.chunks.0, vec![vec![2, 2], vec![2, 2, 2]]);

        let x = array(&[3, 4], DType::Int32);
        let (filled, meta) = apply("sum", &[x], json!({"axis": 1})).unwrap();
        assert_eq!(Value::Object(filled), json!({"axis": 1, "keepdims": false}));
        let a = meta.as_array().unwrap();
        assert_eq!((a.shape.clone(), a.dtype), (vec![3], DType::Int64));
    }

    #[test]
    fn refuses_wrong_arity() {
        let x = array(&[3], DType::Float64);
        let e = apply("add", std::slice::from_ref(&x), json!({})).unwrap_err();
        assert_eq!(e.at.as_deref(), Some("args"));
        assert_eq!(
            e.message,
            "op \"add\" takes exactly 2 arguments, found 1 argument"
        );
        let e = apply("ones", &[x], json!({"shape": [1]})).unwrap_err();
        assert!(e.message.contains("takes no arguments"), "{}", e.message);
    }

    #[test]
    fn refuses_unknown_required_and_mistyped_attributes() {
        let x = array(&[3], DType::Float64);
        let e = apply("sum", std::slice::from_ref(&x), json!({"axes": 0})).unwrap_err();
        assert_eq!(e.at.as_deref(), Some("axes"));
        assert!(
            e.message
                .starts_with("unknown attribute \"axes\" for op \"sum\""),
            "{}",
            e.message
        );
        assert!(e.message.contains("axis"), "a suggestion: {}", e.message);
        let e = apply("exp", std::slice::from_ref(&x), json!({"k": 1})).unwrap_err();
        assert!(e.message.contains("(it takes none)"), "{}", e.message);

        let e = apply("zeros", &[], json!({"dtype": "int32"})).unwrap_err();
        assert_eq!(e.at.as_deref(), Some("shape"));
        assert!(e.message.contains("needs the attribute \"shape\""));

        let e = apply("sum", std::slice::from_ref(&x), json!({"keepdims": 1})).unwrap_err();
        assert_eq!(e.at.as_deref(), Some("keepdims"));
        assert_eq!(
            e.message,
            "attribute \"keepdims\": expected true or false, found 1"
        );
    }

    #[test]
    fn open_ops_pass_unknown_attributes_on() {
        let x = array(&[8], DType::Float64);
        let (filled, _) =
            apply("map_blocks", &[x], json!({"fn": "user.scale", "factor": 3})).unwrap();
        assert_eq!(filled.get("factor"), Some(&json!(3)));
    }

    #[test]
    fn inference_errors_come_through() {
        let a = array(&[3], DType::Float64);
        let b = array(&[4], DType::Float64);
        let e = apply("add", &[a.clone(), b], json!({})).unwrap_err();
        assert!(e.message.contains("broadcast"), "{}", e.message);
        let e = apply("sum", std::slice::from_ref(&a), json!({"axis": 1})).unwrap_err();
        assert_eq!(e.at.as_deref(), Some("axis"));
        assert_eq!(
            e.message,
            "axis 1 is out of bounds for array of dimension 1"
        );
        // Weak scalars promote as NumPy 2: float32 array + Python float stays float32.
        let f = array(&[2], DType::Float32);
        let (_, m) = apply(
            "multiply",
            &[f, Meta::Scalar(ScalarKind::Float, 2.0)],
            json!({}),
        )
        .unwrap();
        assert_eq!(m.as_array().unwrap().dtype, DType::Float32);
    }
}
