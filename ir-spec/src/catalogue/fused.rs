//! The `fused` op (a tessera addition): a chain of elementwise ops over its inputs,
//! written as a flat program, optionally followed by one reduction, computed as
//! one kernel per block. Inference runs the catalogue's own inference on every
//! step, so a fused node has exactly the shape and dtype of the ops it replaces.
//!
//! `program` is a list of steps, each `{"op": NAME, "args": [OPERAND...]}` (plus
//! `"dtype"` for `astype`); the last step is the result. An operand is `"$i"`
//! (input `i`), `"%k"` (the result of an earlier step `k`), a number or boolean
//! (a weak scalar), `null` (a missing bound of `clip`), or a constant array
//! `{"fill": V, "dtype": D, "shape": [...], "chunks": [[...], ...]}` (an absorbed
//! `zeros`/`ones`/`full`; `chunks` defaults to one block). `reduce` is `null` or
//! `{"op": R, "axis": ..., "keepdims": ..., "ddof": ...}` with `R` one of
//! [`REDUCTIONS`].

use serde_json::{Map, Value};

use super::attr::{shape_of, short};
use super::{Arity, AttrSpec, AttrType, Family, InferContext, InferError, InferInput, OpSpec};
use crate::dtype::{DType, ScalarKind};
use crate::meta::{ArrayMeta, Chunks, Meta};

/// The reductions a fused node may end with.
pub const REDUCTIONS: [&str; 9] = [
    "sum", "prod", "min", "max", "mean", "var", "std", "any", "all",
];

/// A constant array operand (an absorbed `zeros`, `ones` or `full`).
#[derive(Debug, Clone, PartialEq)]
pub struct Constant {
    /// The value of every element, as written (a number or a boolean).
    pub fill: Value,
    /// Its dtype.
    pub dtype: DType,
    /// Its shape.
    pub shape: Vec<usize>,
    /// Its chunks (one block when not given).
    pub chunks: Chunks,
}

/// One operand of a program step.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// Input `i` of the node (`"$i"`).
    Input(usize),
    /// The result of step `k` (`"%k"`).
    Step(usize),
    /// A weak scalar: its kind and the number as written.
    Weak(ScalarKind, Value),
    /// `null`: a missing bound of `clip`.
    Null,
    /// A constant array.
    Const(Constant),
}

/// One step of a program: an elementwise op of the catalogue applied to operands.
#[derive(Debug, Clone)]
pub struct Step {
    /// The op (always of the elementwise family).
    pub op: &'static OpSpec,
    /// Its operands.
    pub args: Vec<Operand>,
    /// Its attributes (`dtype` for `astype`, nothing otherwise).
    pub attrs: Map<String, Value>,
}

/// The optional trailing reduction of a fused node.
#[derive(Debug, Clone)]
pub struct Reduce {
    /// The reduction op.
    pub op: &'static OpSpec,
    /// Its attributes (`axis`, `keepdims`, `ddof`), as given.
    pub attrs: Map<String, Value>,
}

/// Parses the `program` attribute; errors point at `program/<k>`.
pub fn parse_program(v: &Value) -> Result<Vec<Step>, InferError> {
    let Some(items) = v.as_array() else {
        return Err(InferError::at(
            "program",
            format!("expected a list of steps, found {}", short(v)),
        ));
    };
    if items.is_empty() {
        return Err(InferError::at(
            "program",
            "a program needs at least one step",
        ));
    }
    let mut steps = Vec::with_capacity(items.len());
    for (k, item) in items.iter().enumerate() {
        let at = format!("program/{k}");
        let Some(obj) = item.as_object() else {
            return Err(InferError::at(
                at,
                format!("step {k}: expected an object, found {}", short(item)),
            ));
        };
        let name = obj.get("op").and_then(Value::as_str).ok_or_else(|| {
            InferError::at(format!("{at}/op"), format!("step {k} needs an op name"))
        })?;
        let op = super::lookup(name)
            .filter(|op| op.family == Family::Elementwise)
            .ok_or_else(|| {
                InferError::at(
                    format!("{at}/op"),
                    format!("step {k}: {name:?} is not an elementwise op of the catalogue"),
                )
            })?;
        let mut attrs = Map::new();
        for (key, value) in obj {
            match key.as_str() {
                "op" | "args" => {}
                "dtype" if op.name == "astype" => {
                    attrs.insert(key.clone(), value.clone());
                }
                _ => {
                    return Err(InferError::at(
                        format!("{at}/{key}"),
                        format!("step {k}: unknown key {key:?}"),
                    ));
                }
            }
        }
        let raw = match obj.get("args") {
            Some(Value::Array(a)) => a.as_slice(),
            None => &[],
            Some(other) => {
                return Err(InferError::at(
                    format!("{at}/args"),
                    format!("step {k}: args must be a list, found {}", short(other)),
                ));
            }
        };
        let args = raw
            .iter()
            .enumerate()
            .map(|(j, a)| {
                parse_operand(a, k).map_err(|m| {
                    InferError::at(
                        format!("{at}/args/{j}"),
                        format!("step {k}, operand {j}: {m}"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        steps.push(Step { op, args, attrs });
    }
    Ok(steps)
}

fn parse_operand(v: &Value, step: usize) -> Result<Operand, String> {
    let index = |s: &str| {
        s.parse::<usize>()
            .map_err(|_| format!("bad reference {s:?}"))
    };
    match v {
        Value::String(s) if s.starts_with('$') => Ok(Operand::Input(index(&s[1..])?)),
        Value::String(s) if s.starts_with('%') => {
            let k = index(&s[1..])?;
            if k >= step {
                return Err(format!("{s:?} is not an earlier step"));
            }
            Ok(Operand::Step(k))
        }
        Value::Bool(_) => Ok(Operand::Weak(ScalarKind::Bool, v.clone())),
        Value::Number(n) if n.is_f64() => Ok(Operand::Weak(ScalarKind::Float, v.clone())),
        Value::Number(_) => Ok(Operand::Weak(ScalarKind::Int, v.clone())),
        Value::Null => Ok(Operand::Null),
        Value::Object(obj) => parse_constant(obj).map(Operand::Const),
        other => Err(format!(
            "expected \"$i\", \"%k\", a number, a boolean, null or a constant, found {}",
            short(other)
        )),
    }
}

fn parse_constant(obj: &Map<String, Value>) -> Result<Constant, String> {
    for key in obj.keys() {
        if !matches!(key.as_str(), "fill" | "dtype" | "shape" | "chunks") {
            return Err(format!("unknown key {key:?} in a constant"));
        }
    }
    let fill = match obj.get("fill") {
        Some(v @ (Value::Number(_) | Value::Bool(_))) => v.clone(),
        _ => return Err("a constant needs a numeric or boolean `fill`".into()),
    };
    let dtype = obj
        .get("dtype")
        .and_then(Value::as_str)
        .and_then(DType::from_name)
        .ok_or("a constant needs a valid `dtype`")?;
    let shape = shape_of(obj.get("shape").unwrap_or(&Value::Null))
        .map_err(|e| format!("constant shape: {e}"))?;
    let chunks = match obj.get("chunks") {
        None => Chunks::single(&shape),
        Some(v) => {
            let axes: Option<Vec<Vec<usize>>> = v.as_array().and_then(|axes| {
                axes.iter()
                    .map(|a| {
                        a.as_array()?
                            .iter()
                            .map(|n| n.as_u64().and_then(|n| usize::try_from(n).ok()))
                            .collect()
                    })
                    .collect()
            });
            let chunks = Chunks(axes.ok_or("constant chunks must be lists of block sizes")?);
            if chunks.shape() != shape {
                return Err(format!(
                    "constant chunks {:?} do not cover the shape {shape:?}",
                    chunks.0
                ));
            }
            chunks
        }
    };
    Ok(Constant {
        fill,
        dtype,
        shape,
        chunks,
    })
}

/// Parses the `reduce` attribute (`null`: no reduction).
pub fn parse_reduce(v: &Value) -> Result<Option<Reduce>, InferError> {
    let obj = match v {
        Value::Null => return Ok(None),
        Value::Object(o) => o,
        other => {
            return Err(InferError::at(
                "reduce",
                format!("expected null or an object, found {}", short(other)),
            ));
        }
    };
    let name = obj.get("op").and_then(Value::as_str).unwrap_or("");
    if !REDUCTIONS.contains(&name) {
        return Err(InferError::at(
            "reduce/op",
            format!(
                "the reduction must be one of {}, found {name:?}",
                REDUCTIONS.join(" ")
            ),
        ));
    }
    let op = super::lookup(name).ok_or_else(|| InferError::at("reduce/op", "not in catalogue"))?;
    let attrs = obj
        .iter()
        .filter(|(k, _)| k.as_str() != "op")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(Some(Reduce { op, attrs }))
}

/// The metadata of every step of `program` given the metadata of the node's
/// inputs, each step inferred by its op's own catalogue inference. The last is
/// the result of the elementwise part.
pub fn infer_steps(
    inputs: &[Meta],
    program: &[Step],
    ctx: &InferContext,
) -> Result<Vec<Meta>, InferError> {
    let mut metas: Vec<Meta> = Vec::with_capacity(program.len());
    for (k, step) in program.iter().enumerate() {
        let mut args = Vec::with_capacity(step.args.len());
        for (j, a) in step.args.iter().enumerate() {
            args.push(match a {
                Operand::Input(i) => match inputs.get(*i) {
                    Some(m @ (Meta::Array(_) | Meta::Scalar(..))) => m.clone(),
                    Some(other) => {
                        return Err(InferError::at(
                            format!("program/{k}/args/{j}"),
                            format!(
                                "step {k}: input {i} must be an array or a scalar, found {}",
                                other.describe()
                            ),
                        ));
                    }
                    None => {
                        return Err(InferError::at(
                            format!("program/{k}/args/{j}"),
                            format!(
                                "step {k}: input ${i} does not exist (the node has {} inputs)",
                                inputs.len()
                            ),
                        ));
                    }
                },
                Operand::Step(s) => metas[*s].clone(),
                Operand::Weak(kind, v) => {
                    let x = match v {
                        Value::Bool(b) => f64::from(u8::from(*b)),
                        other => other.as_f64().unwrap_or(f64::NAN),
                    };
                    Meta::Scalar(*kind, x)
                }
                Operand::Null => Meta::Literal(Value::Null),
                Operand::Const(c) => {
                    Meta::Array(ArrayMeta::new(c.shape.clone(), c.dtype, c.chunks.clone()))
                }
            });
        }
        let (_, meta) =
            super::check_and_infer(step.op, &args, step.attrs.clone(), ctx).map_err(|e| {
                let at = match &e.at {
                    Some(inner) if inner.starts_with("args") => format!("program/{k}/{inner}"),
                    Some(inner) => format!("program/{k}/{inner}"),
                    None => format!("program/{k}"),
                };
                InferError::at(at, format!("step {k} ({}): {}", step.op.name, e.message))
            })?;
        metas.push(meta);
    }
    Ok(metas)
}

/// The metadata of the elementwise part of a fused node (before its reduction).
pub fn body_meta(
    inputs: &[Meta],
    attrs: &Map<String, Value>,
    ctx: &InferContext,
) -> Result<ArrayMeta, InferError> {
    let program = parse_program(attrs.get("program").unwrap_or(&Value::Null))?;
    let mut metas = infer_steps(inputs, &program, ctx)?;
    match metas.pop() {
        Some(Meta::Array(a)) => Ok(a),
        other => Err(InferError::at(
            "program",
            format!(
                "the last step must give an array, found {}",
                other.map_or("nothing", |m| m.describe())
            ),
        )),
    }
}

fn infer_fused(input: &InferInput<'_>) -> Result<Meta, InferError> {
    let body = body_meta(input.args, input.attrs, input.ctx)?;
    let Some(reduce) = parse_reduce(input.attrs.get("reduce").unwrap_or(&Value::Null))? else {
        return Ok(Meta::Array(body));
    };
    let (_, meta) =
        super::check_and_infer(reduce.op, &[Meta::Array(body)], reduce.attrs, input.ctx).map_err(
            |e| {
                let at = match e.at {
                    Some(inner) if !inner.starts_with("args") => format!("reduce/{inner}"),
                    _ => "reduce".to_owned(),
                };
                InferError::at(at, format!("reduction {}: {}", reduce.op.name, e.message))
            },
        )?;
    Ok(meta)
}

/// The `fused` op.
pub(super) const OPS: &[&[OpSpec]] = &[&[OpSpec {
    name: "fused",
    family: Family::Blockwise,
    arity: Arity::AtLeast(0),
    arg_names: "*inputs",
    attrs: &[
        AttrSpec {
            name: "program",
            ty: AttrType::Json,
            required: true,
            default: None,
            doc: "Elementwise steps [{\"op\", \"args\": [\"$i\" | \"%k\" | scalar | null | constant]}]; the last is the result.",
        },
        AttrSpec {
            name: "reduce",
            ty: AttrType::Json,
            required: false,
            default: Some("null"),
            doc: "null, or {\"op\": sum|prod|min|max|mean|var|std|any|all, \"axis\", \"keepdims\", \"ddof\"} applied to the result.",
        },
    ],
    doc: "A fused chain of elementwise ops (tessera addition), optionally reduced; one kernel per block.",
    open_attrs: false,
    infer: infer_fused,
}]];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::lookup;
    use serde_json::json;

    fn arr(shape: &[usize], dtype: DType, chunks: Vec<Vec<usize>>) -> Meta {
        Meta::Array(ArrayMeta::new(shape.to_vec(), dtype, Chunks(chunks)))
    }

    fn run(args: &[Meta], attrs: Value) -> Result<Meta, InferError> {
        let attrs = attrs.as_object().cloned().unwrap_or_default();
        super::super::check_and_infer(
            lookup("fused").unwrap(),
            args,
            attrs,
            &InferContext::default(),
        )
        .map(|(_, m)| m)
    }

    #[test]
    fn steps_infer_like_the_unfused_ops() {
        let x = arr(&[4, 3], DType::Int32, vec![vec![2, 2], vec![3]]);
        let y = arr(&[3], DType::Float32, vec![vec![3]]);
        let prog = json!([
            {"op": "add", "args": ["$0", 1]},
            {"op": "multiply", "args": ["%0", "$1"]},
            {"op": "astype", "args": ["%1"], "dtype": "float64"},
            {"op": "where", "args": [{"op": "x"}, 1, 2]}
        ]);
        // A bad constant is refused at its operand.
        let e = run(&[x.clone(), y.clone()], json!({"program": prog})).unwrap_err();
        assert_eq!(e.at.as_deref(), Some("program/3/args/0"));
        let prog = json!([
            {"op": "add", "args": ["$0", 1]},
            {"op": "multiply", "args": ["%0", "$1"]},
            {"op": "sqrt", "args": ["%1"]}
        ]);
        let m = run(&[x.clone(), y.clone()], json!({"program": prog.clone()})).unwrap();
        // int32 * float32 -> float64 (NumPy 2), sqrt keeps float64.
        assert_eq!(m, arr(&[4, 3], DType::Float64, vec![vec![2, 2], vec![3]]));
        let m = run(
            &[x, y],
            json!({"program": prog, "reduce": {"op": "sum", "axis": 0}}),
        )
        .unwrap();
        assert_eq!(m, arr(&[3], DType::Float64, vec![vec![3]]));
    }

    #[test]
    fn constants_and_scalars() {
        let prog = json!([
            {"op": "exp", "args": [{"fill": 1, "dtype": "float32", "shape": [3, 2], "chunks": [[2, 1], [2]]}]},
            {"op": "clip", "args": ["%0", 0, null]}
        ]);
        let m = run(&[], json!({"program": prog})).unwrap();
        assert_eq!(m, arr(&[3, 2], DType::Float32, vec![vec![2, 1], vec![2]]));
        let m = run(
            &[Meta::Scalar(ScalarKind::Int, 2.0)],
            json!({"program": [{"op": "negative", "args": ["$0"]}]}),
        )
        .unwrap();
        assert_eq!(m, Meta::Array(ArrayMeta::scalar(DType::Int64)));
    }

    #[test]
    fn faults_name_the_step() {
        let x = arr(&[2], DType::Bool, vec![vec![2]]);
        let cases = [
            (
                json!([{"op": "nope", "args": ["$0"]}]),
                "program/0/op",
                "not an elementwise op",
            ),
            (
                json!([{"op": "sum", "args": ["$0"]}]),
                "program/0/op",
                "not an elementwise op",
            ),
            (
                json!([{"op": "exp", "args": ["$3"]}]),
                "program/0/args/0",
                "does not exist",
            ),
            (
                json!([{"op": "exp", "args": ["%0"]}]),
                "program/0/args/0",
                "not an earlier step",
            ),
            (
                json!([{"op": "add", "args": ["$0"]}]),
                "program/0/args",
                "takes exactly 2",
            ),
            (
                json!([{"op": "negative", "args": ["$0"]}]),
                "program/0/args/0",
                "boolean negative",
            ),
            (json!([]), "program", "at least one step"),
            (
                json!([{"op": "exp", "args": ["$0"], "axis": 1}]),
                "program/0/axis",
                "unknown key",
            ),
        ];
        for (prog, at, msg) in cases {
            let e = run(std::slice::from_ref(&x), json!({"program": prog})).unwrap_err();
            assert_eq!(e.at.as_deref(), Some(at), "{prog}: {e:?}");
            assert!(e.message.contains(msg), "{prog}: {}", e.message);
        }
        let e = run(
            std::slice::from_ref(&x),
            json!({"program": [{"op": "exp", "args": ["$0"]}], "reduce": {"op": "cumsum"}}),
        )
        .unwrap_err();
        assert_eq!(e.at.as_deref(), Some("reduce/op"));
        let e = run(
            &[x],
            json!({"program": [{"op": "exp", "args": ["$0"]}], "reduce": {"op": "sum", "axis": 3}}),
        )
        .unwrap_err();
        assert_eq!(e.at.as_deref(), Some("reduce/axis"), "{e:?}");
    }
}
