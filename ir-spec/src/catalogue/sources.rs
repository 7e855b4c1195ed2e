//! Sources: ops without arguments that create an array (`array`, `from_npy`,
//! `zeros`, `ones`, `full`, `arange`, `linspace`, `eye`, `random.*`, and tessera's
//! `input`). Shape and dtype come from the attributes (or the data, or the `.npy`
//! header); chunks from the `chunks` attribute, `"auto"` when absent (one block for
//! `input`).

use std::path::{Component, Path, PathBuf};

use serde_json::Value;

use super::attr::{checked_size, short, weak_int_fits};
use super::npy_header::read_npy_header;
use super::{Arity, AttrSpec, AttrType, Family, InferContext, InferError, InferInput, OpSpec};
use crate::dtype::{DType, ScalarKind};
use crate::meta::{ArrayMeta, Meta};

fn make(input: &InferInput<'_>, shape: Vec<usize>, dtype: DType) -> Result<Meta, InferError> {
    checked_size(&shape).map_err(InferError::new)?;
    let chunks = input.chunks(&shape, dtype)?;
    Ok(Meta::Array(ArrayMeta::new(shape, dtype, chunks)))
}

/// What nested JSON lists of numbers hold.
pub(super) struct Nested<'a> {
    /// Length of each level.
    pub(super) shape: Vec<usize>,
    /// The highest kind of element (float if there is none, as NumPy).
    pub(super) kind: ScalarKind,
    /// The smallest and largest integer element, for range checks.
    pub(super) int_range: Option<(&'a serde_json::Number, &'a serde_json::Number)>,
}

/// Shape and element kind of nested JSON lists, walked with an explicit stack.
pub(super) fn nested_shape(data: &Value) -> Result<Nested<'_>, String> {
    let mut shape = Vec::new();
    let mut probe = data;
    while let Value::Array(items) = probe {
        shape.push(items.len());
        match items.first() {
            Some(first) => probe = first,
            None => break,
        }
    }
    let ndim = shape.len();
    let mut kind: Option<ScalarKind> = None;
    let mut range: Option<(&serde_json::Number, &serde_json::Number)> = None;
    let mut stack = vec![(data, 0usize)];
    while let Some((v, depth)) = stack.pop() {
        match v {
            Value::Array(items) if depth < ndim => {
                if items.len() != shape[depth] {
                    return Err(format!(
                        "data is ragged at depth {depth}: expected {} elements, found a list of {}",
                        shape[depth],
                        items.len()
                    ));
                }
                stack.extend(items.iter().map(|x| (x, depth + 1)));
            }
            Value::Array(_) => {
                return Err(format!(
                    "data is ragged at depth {depth}: expected a number, found a list"
                ));
            }
            _ if depth < ndim => {
                return Err(format!(
                    "data is ragged at depth {depth}: expected a list of {} elements, found {}",
                    shape[depth],
                    short(v)
                ));
            }
            Value::Bool(_) => kind = Some(kind.unwrap_or(ScalarKind::Bool)),
            Value::Number(n) if n.is_f64() => kind = Some(ScalarKind::Float),
            Value::Number(n) => {
                if kind != Some(ScalarKind::Float) {
                    kind = Some(ScalarKind::Int);
                }
                range = Some(range.map_or((n, n), |(lo, hi)| (exact_min(lo, n), exact_max(hi, n))));
            }
            other => {
                return Err(format!(
                    "data must hold numbers or booleans, found {}",
                    short(other)
                ));
            }
        }
    }
    // NumPy gives float64 to an empty array.
    Ok(Nested {
        shape,
        kind: kind.unwrap_or(ScalarKind::Float),
        int_range: range,
    })
}

/// The smaller of two JSON integers, exactly.
fn exact_min<'a>(a: &'a serde_json::Number, b: &'a serde_json::Number) -> &'a serde_json::Number {
    if exact(b) < exact(a) { b } else { a }
}

/// The larger of two JSON integers, exactly.
fn exact_max<'a>(a: &'a serde_json::Number, b: &'a serde_json::Number) -> &'a serde_json::Number {
    if exact(b) > exact(a) { b } else { a }
}

/// A JSON integer as an i128 (every JSON integer serde_json keeps fits).
fn exact(n: &serde_json::Number) -> i128 {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
        .unwrap_or_default()
}

fn array(input: &InferInput<'_>) -> Result<Meta, InferError> {
    let Nested {
        shape,
        kind,
        int_range: range,
    } = nested_shape(input.req("data")?).map_err(|e| InferError::at("data", e))?;
    let dtype = input
        .opt_dtype("dtype")?
        .unwrap_or_else(|| DType::of_scalar(kind));
    if let Some((lo, hi)) = range {
        // Integers must fit the dtype (int64 when inferred: no uint64 here).
        for v in [lo, hi] {
            weak_int_fits(v, dtype).map_err(|e| InferError::at("data", e))?;
        }
    }
    make(input, shape, dtype)
}

/// Resolves a path a document names (the one confinement check of every file
/// read): relative, staying inside the data root (or the graph's folder, or the
/// working directory when there is neither), symbolic links included, and naming
/// a regular file.
pub(crate) fn resolve_data_path(ctx: &InferContext, rel: &str) -> Result<PathBuf, String> {
    let root = match (&ctx.data_root, &ctx.base_dir) {
        (Some(r), _) | (None, Some(r)) => r.clone(),
        (None, None) => PathBuf::from("."),
    };
    let path = Path::new(rel);
    if rel.is_empty() {
        return Err("the path is empty".to_owned());
    }
    if path.is_absolute() || path.has_root() {
        return Err(format!(
            "absolute paths are not allowed: give a path relative to {}",
            root.display()
        ));
    }
    let mut depth = 0usize;
    for c in path.components() {
        match c {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir if depth == 0 => {
                return Err(format!(
                    "the path {rel} leaves the folder {}",
                    root.display()
                ));
            }
            Component::ParentDir => depth -= 1,
            Component::RootDir | Component::Prefix(_) => {
                return Err("absolute paths are not allowed".to_owned());
            }
        }
    }
    let root_c = root
        .canonicalize()
        .map_err(|e| format!("cannot open the data folder {}: {e}", root.display()))?;
    let full = root_c.join(path);
    let real = full
        .canonicalize()
        .map_err(|e| format!("cannot open {}: {e}", full.display()))?;
    if !real.starts_with(&root_c) {
        return Err(format!(
            "the path {rel} leaves the folder {} (through a symbolic link)",
            root.display()
        ));
    }
    // A FIFO or a device would block (or never end) when opened and read: only
    // regular files are data.
    let kind = std::fs::metadata(&real)
        .map_err(|e| format!("cannot open {}: {e}", real.display()))?
        .file_type();
    if !kind.is_file() {
        return Err(format!(
            "{rel} is not a regular file (a folder, FIFO, socket or device cannot be read)"
        ));
    }
    Ok(real)
}

fn from_npy(input: &InferInput<'_>) -> Result<Meta, InferError> {
    let rel = input.string("path")?;
    let path = resolve_data_path(input.ctx, rel).map_err(|e| InferError::at("path", e))?;
    let header = read_npy_header(&path).map_err(|e| InferError::at("path", e))?;
    make(input, header.shape, header.dtype)
}

fn filled(input: &InferInput<'_>) -> Result<Meta, InferError> {
    let shape = input.shape("shape")?;
    let dtype = input.opt_dtype("dtype")?.unwrap_or(DType::Float64);
    make(input, shape, dtype)
}

fn scalar_kind(v: &Value) -> Option<ScalarKind> {
    match v {
        Value::Bool(_) => Some(ScalarKind::Bool),
        Value::Number(n) if n.is_f64() => Some(ScalarKind::Float),
        Value::Number(_) => Some(ScalarKind::Int),
        _ => None,
    }
}

fn full(input: &InferInput<'_>) -> Result<Meta, InferError> {
    let shape = input.shape("shape")?;
    let fill = input.req("fill_value")?;
    let kind = scalar_kind(fill).ok_or_else(|| {
        InferError::at(
            "fill_value",
            format!("expected a number or a boolean, found {}", short(fill)),
        )
    })?;
    let dtype = input
        .opt_dtype("dtype")?
        .unwrap_or_else(|| DType::of_scalar(kind));
    if let (ScalarKind::Int, Value::Number(n)) = (kind, fill) {
        // Checked exactly; an integer fill_value without a dtype must fit int64.
        weak_int_fits(n, dtype).map_err(|e| InferError::at("fill_value", e))?;
    }
    make(input, shape, dtype)
}

/// The length of `arange`'s `take = [first, stride, num]` over a sequence of
/// `len` elements: `num`, when every position `first + i * stride` (`i < num`)
/// is one of the sequence's.
fn taken_len(take: &[i64], len: usize) -> Result<usize, String> {
    let &[first, stride, num] = take else {
        return Err(format!(
            "expected [first, stride, num], found {} entries",
            take.len()
        ));
    };
    if stride == 0 {
        return Err("stride must not be zero".into());
    }
    let num = usize::try_from(num).map_err(|_| format!("num must be non-negative, found {num}"))?;
    if num > 0 {
        let last = i128::from(first) + (num as i128 - 1) * i128::from(stride);
        let inside = |p: i128| p >= 0 && p < len as i128;
        if !inside(i128::from(first)) || !inside(last) {
            return Err(format!(
                "positions {first}..={last} are not all within the {len} elements"
            ));
        }
    }
    Ok(num)
}

fn arange(input: &InferInput<'_>) -> Result<Meta, InferError> {
    let get = |name: &str, default: i64| -> Result<Value, InferError> {
        Ok(input.opt(name).cloned().unwrap_or(Value::from(default)))
    };
    let (start, stop, step) = (
        get("start", 0)?,
        input.req("stop")?.clone(),
        get("step", 1)?,
    );
    let ints = [&start, &stop, &step].iter().all(|v| v.is_i64());
    let len: usize = if ints {
        let (a, b, s) = (
            i128::from(start.as_i64().unwrap_or(0)),
            i128::from(stop.as_i64().unwrap_or(0)),
            i128::from(step.as_i64().unwrap_or(1)),
        );
        if s == 0 {
            return Err(InferError::at("step", "step must not be zero"));
        }
        // ceil((b - a) / s) with the divisor made positive.
        let (x, s) = if s < 0 { (a - b, -s) } else { (b - a, s) };
        let n = -((-x).div_euclid(s));
        usize::try_from(n.max(0))
            .map_err(|_| InferError::new("arange would have too many elements"))?
    } else {
        let num = |v: &Value, name: &str| {
            v.as_f64().ok_or_else(|| {
                InferError::at(name, format!("expected a number, found {}", short(v)))
            })
        };
        let (a, b, s) = (
            num(&start, "start")?,
            num(&stop, "stop")?,
            num(&step, "step")?,
        );
        if s == 0.0 {
            return Err(InferError::at("step", "step must not be zero"));
        }
        let n = ((b - a) / s).ceil().max(0.0);
        if !n.is_finite() || n >= usize::MAX as f64 {
            return Err(InferError::new("arange would have too many elements"));
        }
        n as usize
    };
    let len = match input.opt_int_list("take")? {
        Some(take) => taken_len(&take, len).map_err(|e| InferError::at("take", e))?,
        None => len,
    };
    let dtype =
        input
            .opt_dtype("dtype")?
            .unwrap_or(if ints { DType::Int64 } else { DType::Float64 });
    make(input, vec![len], dtype)
}

fn linspace(input: &InferInput<'_>) -> Result<Meta, InferError> {
    input.number("start")?;
    input.number("stop")?;
    input.flag("endpoint", true)?;
    let num = input.int("num")?;
    let num = usize::try_from(num).map_err(|_| {
        InferError::at(
            "num",
            format!("Number of samples, {num}, must be non-negative."),
        )
    })?;
    make(input, vec![num], DType::Float64)
}

fn dim(input: &InferInput<'_>, name: &str) -> Result<Option<usize>, InferError> {
    input
        .opt_int(name)?
        .map(|n| {
            usize::try_from(n).map_err(|_| {
                InferError::at(
                    name,
                    format!("negative dimensions are not allowed, found {n}"),
                )
            })
        })
        .transpose()
}

fn eye(input: &InferInput<'_>) -> Result<Meta, InferError> {
    let n = dim(input, "N")?.ok_or_else(|| InferError::at("N", "attribute `N` is required"))?;
    let m = dim(input, "M")?.unwrap_or(n);
    input.opt_int("k")?;
    let dtype = input.opt_dtype("dtype")?.unwrap_or(DType::Float64);
    make(input, vec![n, m], dtype)
}

/// `input`: in-memory data bound by `name` when computing; the attributes say
/// what the bound value will be.
fn input(input: &InferInput<'_>) -> Result<Meta, InferError> {
    if input.string("name")?.is_empty() {
        return Err(InferError::at(
            "name",
            "the name of an input must not be empty",
        ));
    }
    let shape = input.shape("shape")?;
    let dtype = input
        .opt_dtype("dtype")?
        .ok_or_else(|| InferError::at("dtype", "attribute `dtype` is required"))?;
    make(input, shape, dtype)
}

/// The shape of `region` of an array of shape `whole`: one entry per axis, an
/// integer position (the axis is dropped) or `[first, stride, num]`.
fn region_shape(region: &Value, whole: &[usize]) -> Result<Vec<usize>, String> {
    let entries = region
        .as_array()
        .filter(|e| e.len() == whole.len())
        .ok_or_else(|| format!("expected a list with one entry per axis of shape {whole:?}"))?;
    let mut shape = Vec::new();
    for (e, &n) in entries.iter().zip(whole) {
        if let Some(p) = e.as_i64() {
            if p < 0 || p as u64 >= n as u64 {
                return Err(format!("position {p} is outside an axis of {n}"));
            }
            continue;
        }
        let take: Option<Vec<i64>> = e
            .as_array()
            .and_then(|t| t.iter().map(Value::as_i64).collect());
        let take = take.ok_or_else(|| {
            format!(
                "each entry must be an integer or [first, stride, num], found {}",
                short(e)
            )
        })?;
        shape.push(taken_len(&take, n)?);
    }
    Ok(shape)
}

fn random_common(input: &InferInput<'_>, dtype: DType) -> Result<Meta, InferError> {
    let mut shape = input.shape("shape")?;
    let seed = input.int("seed")?;
    if seed < 0 {
        return Err(InferError::at(
            "seed",
            format!("a seed must be non-negative, found {seed}"),
        ));
    }
    if let Some(region) = input.opt("region").filter(|r| !r.is_null()) {
        shape = region_shape(region, &shape).map_err(|e| InferError::at("region", e))?;
    }
    make(input, shape, dtype)
}

fn uniform(input: &InferInput<'_>) -> Result<Meta, InferError> {
    for name in ["low", "high"] {
        if input.opt(name).is_some() {
            input.number(name)?;
        }
    }
    random_common(input, DType::Float64)
}

fn normal(input: &InferInput<'_>) -> Result<Meta, InferError> {
    if input.opt("loc").is_some() {
        input.number("loc")?;
    }
    if input.opt("scale").is_some() && input.number("scale")? < 0.0 {
        return Err(InferError::at("scale", "scale < 0"));
    }
    random_common(input, DType::Float64)
}

fn integers(input: &InferInput<'_>) -> Result<Meta, InferError> {
    let (low, high) = (input.int("low")?, input.int("high")?);
    if low >= high {
        return Err(InferError::at(
            "high",
            format!("low >= high ({low} >= {high})"),
        ));
    }
    random_common(input, DType::Int64)
}

const fn attr(
    name: &'static str,
    ty: AttrType,
    default: Option<&'static str>,
    doc: &'static str,
) -> AttrSpec {
    AttrSpec {
        name,
        ty,
        required: default.is_none(),
        default,
        doc,
    }
}

const fn optional(name: &'static str, ty: AttrType, doc: &'static str) -> AttrSpec {
    AttrSpec {
        name,
        ty,
        required: false,
        default: None,
        doc,
    }
}

const CHUNKS: AttrSpec = attr(
    "chunks",
    AttrType::Chunks,
    Some("\"auto\""),
    "Block sizes: integer, per-axis list, or \"auto\" (about 128 MiB blocks).",
);
const SHAPE: AttrSpec = attr("shape", AttrType::Shape, None, "Length of each axis.");
const DTYPE_F64: AttrSpec = attr(
    "dtype",
    AttrType::DType,
    Some("\"float64\""),
    "Element type.",
);
const REGION: AttrSpec = optional(
    "region",
    AttrType::Json,
    "Tessera addition: the part of the `shape` array kept, one entry per axis: [first, stride, \
     num] keeps positions first + i*stride (i < num), an integer keeps that position and drops \
     the axis; values are those of the whole array there, bit for bit (a sliced random source).",
);
const SEED: AttrSpec = attr(
    "seed",
    AttrType::Int,
    None,
    "Non-negative seed; values depend only on seed, shape and position (not on chunks).",
);

const fn op(
    name: &'static str,
    attrs: &'static [AttrSpec],
    doc: &'static str,
    infer: fn(&InferInput<'_>) -> Result<Meta, InferError>,
) -> OpSpec {
    OpSpec {
        name,
        family: Family::Source,
        arity: Arity::Exact(0),
        arg_names: "",
        attrs,
        doc,
        open_attrs: false,
        infer,
    }
}

const ALL: &[OpSpec] = &[
    op(
        "array",
        &[
            attr(
                "data",
                AttrType::NestedList,
                None,
                "Nested lists of numbers or booleans.",
            ),
            optional(
                "dtype",
                AttrType::DType,
                "Element type; inferred from the data when absent.",
            ),
            CHUNKS,
        ],
        "An array from literal nested lists (bools -> bool, integers -> int64, any float -> float64).",
        array,
    ),
    op(
        "from_npy",
        &[
            attr(
                "path",
                AttrType::Str,
                None,
                "A .npy file relative to the graph's folder or --data-root.",
            ),
            CHUNKS,
        ],
        "An array read from a .npy file (f8, f4, i8, i4, b1, either byte order).",
        from_npy,
    ),
    op(
        "zeros",
        &[SHAPE, DTYPE_F64, CHUNKS],
        "An array of zeros.",
        filled,
    ),
    op(
        "ones",
        &[SHAPE, DTYPE_F64, CHUNKS],
        "An array of ones.",
        filled,
    ),
    op(
        "full",
        &[
            SHAPE,
            attr(
                "fill_value",
                AttrType::Scalar,
                None,
                "The value of every element.",
            ),
            optional(
                "dtype",
                AttrType::DType,
                "Element type; from fill_value's kind when absent.",
            ),
            CHUNKS,
        ],
        "An array filled with one value.",
        full,
    ),
    op(
        "arange",
        &[
            attr("start", AttrType::Number, Some("0"), "First value."),
            attr(
                "stop",
                AttrType::Number,
                None,
                "End of the interval (exclusive).",
            ),
            attr(
                "step",
                AttrType::Number,
                Some("1"),
                "Spacing; must not be zero.",
            ),
            optional(
                "dtype",
                AttrType::DType,
                "Element type; int64 if start, stop, step are integers, else float64.",
            ),
            optional(
                "take",
                AttrType::IntList,
                "Tessera addition: [first, stride, num] keeps only elements first + i*stride \
                 (i < num) of the sequence, with their values bit for bit (a sliced float arange).",
            ),
            CHUNKS,
        ],
        "Evenly spaced values in [start, stop), ceil((stop - start) / step) of them.",
        arange,
    ),
    op(
        "linspace",
        &[
            attr("start", AttrType::Number, None, "First value."),
            attr(
                "stop",
                AttrType::Number,
                None,
                "Last value (included when endpoint).",
            ),
            attr("num", AttrType::Int, None, "Number of values."),
            attr(
                "endpoint",
                AttrType::Bool,
                Some("true"),
                "Whether stop is the last value.",
            ),
            CHUNKS,
        ],
        "num evenly spaced float64 values from start to stop.",
        linspace,
    ),
    op(
        "eye",
        &[
            attr("N", AttrType::Int, None, "Number of rows."),
            attr(
                "M",
                AttrType::AxisOrNull,
                Some("null"),
                "Number of columns; N when null.",
            ),
            attr(
                "k",
                AttrType::Int,
                Some("0"),
                "Diagonal offset: 0 main, > 0 above, < 0 below.",
            ),
            DTYPE_F64,
            CHUNKS,
        ],
        "A 2-d array with ones on diagonal k and zeros elsewhere.",
        eye,
    ),
    op(
        "input",
        &[
            attr(
                "name",
                AttrType::Str,
                None,
                "The name the value is bound to when computing (Rust API inputs).",
            ),
            SHAPE,
            attr(
                "dtype",
                AttrType::DType,
                None,
                "Element type of the bound value.",
            ),
            attr(
                "chunks",
                AttrType::Chunks,
                Some("-1"),
                "Block sizes: integer, per-axis list, or \"auto\"; one block when absent.",
            ),
        ],
        "In-memory data bound by name at compute time (a tessera addition; a document without a binding cannot be computed).",
        input,
    ),
    op(
        "random.uniform",
        &[
            SHAPE,
            SEED,
            attr(
                "low",
                AttrType::Number,
                Some("0.0"),
                "Lower bound (inclusive).",
            ),
            attr(
                "high",
                AttrType::Number,
                Some("1.0"),
                "Upper bound (exclusive).",
            ),
            REGION,
            CHUNKS,
        ],
        "float64 samples uniform in [low, high).",
        uniform,
    ),
    op(
        "random.normal",
        &[
            SHAPE,
            SEED,
            attr("loc", AttrType::Number, Some("0.0"), "Mean."),
            attr(
                "scale",
                AttrType::Number,
                Some("1.0"),
                "Standard deviation (non-negative).",
            ),
            REGION,
            CHUNKS,
        ],
        "float64 samples from a normal distribution.",
        normal,
    ),
    op(
        "random.integers",
        &[
            SHAPE,
            SEED,
            attr("low", AttrType::Int, None, "Lowest value (inclusive)."),
            attr(
                "high",
                AttrType::Int,
                None,
                "Upper bound (exclusive); must exceed low.",
            ),
            REGION,
            CHUNKS,
        ],
        "int64 samples uniform in [low, high).",
        integers,
    ),
];

/// Every source op.
pub(super) const OPS: &[&[OpSpec]] = &[ALL];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::lookup;
    use crate::catalogue::npy_header::npy_bytes;
    use crate::meta::Chunks;
    use serde_json::json;

    fn run_ctx(name: &str, attrs: Value, ctx: &InferContext) -> Result<ArrayMeta, InferError> {
        let op = lookup(name).unwrap();
        let attrs = attrs.as_object().cloned().unwrap_or_default();
        (op.infer)(&InferInput {
            args: &[],
            attrs: &attrs,
            ctx,
        })
        .map(|m| m.as_array().unwrap().clone())
    }

    fn run(name: &str, attrs: Value) -> Result<ArrayMeta, InferError> {
        run_ctx(name, attrs, &InferContext::default())
    }

    #[test]
    fn array_infers_shape_and_dtype_from_data() {
        let r = run(
            "array",
            json!({"data": [[1, 2, 3], [4, 5, 6]], "chunks": [1, 2]}),
        )
        .unwrap();
        assert_eq!((r.shape, r.dtype), (vec![2, 3], DType::Int64));
        assert_eq!(r.chunks, Chunks(vec![vec![1, 1], vec![2, 1]]));
        assert_eq!(
            run("array", json!({"data": [true, false]})).unwrap().dtype,
            DType::Bool
        );
        // np.array([True, 2]) is int64; any float makes float64.
        assert_eq!(
            run("array", json!({"data": [true, 2]})).unwrap().dtype,
            DType::Int64
        );
        assert_eq!(
            run("array", json!({"data": [[1], [2.5]]})).unwrap().dtype,
            DType::Float64
        );
        let r = run("array", json!({"data": []})).unwrap();
        assert_eq!((r.shape, r.dtype), (vec![0], DType::Float64));
        assert_eq!(
            run("array", json!({"data": [[], []]})).unwrap().shape,
            vec![2, 0]
        );
        assert_eq!(
            run("array", json!({"data": 7})).unwrap().shape,
            Vec::<usize>::new()
        );
        assert_eq!(
            run("array", json!({"data": [1.5], "dtype": "int32"}))
                .unwrap()
                .dtype,
            DType::Int32
        );
    }

    #[test]
    fn array_refuses_ragged_or_overflowing_data() {
        let e = run("array", json!({"data": [[1, 2], [3]]})).unwrap_err();
        assert_eq!(e.at.as_deref(), Some("data"));
        assert_eq!(
            e.message,
            "data is ragged at depth 1: expected 2 elements, found a list of 1"
        );
        let e = run("array", json!({"data": [[1, 2], 3]})).unwrap_err();
        assert!(
            e.message
                .starts_with("data is ragged at depth 1: expected a list of 2"),
            "{}",
            e.message
        );
        let e = run("array", json!({"data": [1, [2]]})).unwrap_err();
        assert_eq!(
            e.message,
            "data is ragged at depth 1: expected a number, found a list"
        );
        assert!(
            run("array", json!({"data": [1, "a"]}))
                .unwrap_err()
                .message
                .contains("numbers or booleans")
        );
        // np.array([2**40], dtype=np.int32) raises OverflowError.
        let e = run(
            "array",
            json!({"data": [1, 1099511627776_i64], "dtype": "int32"}),
        )
        .unwrap_err();
        assert!(e.message.contains("out of bounds for int32"));
    }

    #[test]
    fn filled_sources() {
        let r = run("zeros", json!({"shape": [10000, 10000], "chunks": "auto"})).unwrap();
        assert_eq!(r.chunks.0[0], vec![4096, 4096, 1808]);
        assert_eq!(r.dtype, DType::Float64);
        let r = run("ones", json!({"shape": [5], "dtype": "int32", "chunks": 2})).unwrap();
        assert_eq!((r.dtype, r.chunks.0), (DType::Int32, vec![vec![2, 2, 1]]));
        // np.full(3, 5) -> int64; np.full(3, True) -> bool; 1.5 -> float64
        assert_eq!(
            run("full", json!({"shape": [3], "fill_value": 5}))
                .unwrap()
                .dtype,
            DType::Int64
        );
        assert_eq!(
            run("full", json!({"shape": [3], "fill_value": true}))
                .unwrap()
                .dtype,
            DType::Bool
        );
        assert_eq!(
            run("full", json!({"shape": [3], "fill_value": 1.5}))
                .unwrap()
                .dtype,
            DType::Float64
        );
        let e = run(
            "full",
            json!({"shape": [3], "fill_value": 1099511627776_i64, "dtype": "int32"}),
        )
        .unwrap_err();
        assert_eq!(e.at.as_deref(), Some("fill_value"));
        let e = run("zeros", json!({"shape": [10], "chunks": [[5, 4]]})).unwrap_err();
        assert_eq!(e.at.as_deref(), Some("chunks"));
        assert!(run("zeros", json!({"shape": [-1]})).is_err());
    }

    #[test]
    fn arange_length_and_dtype() {
        let r = run("arange", json!({"stop": 10, "step": 3})).unwrap();
        assert_eq!((r.shape, r.dtype), (vec![4], DType::Int64));
        // np.arange(0.5, 5) has 5 elements, float64; np.arange(10, 0, -3) has 4.
        let r = run("arange", json!({"start": 0.5, "stop": 5})).unwrap();
        assert_eq!((r.shape, r.dtype), (vec![5], DType::Float64));
        assert_eq!(
            run("arange", json!({"start": 10, "stop": 0, "step": -3}))
                .unwrap()
                .shape,
            vec![4]
        );
        assert_eq!(
            run("arange", json!({"start": 5, "stop": 0})).unwrap().shape,
            vec![0]
        );
        assert_eq!(
            run("arange", json!({"stop": 1.0, "step": 0.25}))
                .unwrap()
                .shape,
            vec![4]
        );
        assert_eq!(
            run("arange", json!({"stop": 3, "dtype": "float32"}))
                .unwrap()
                .dtype,
            DType::Float32
        );
        let e = run("arange", json!({"stop": 3, "step": 0})).unwrap_err();
        assert_eq!(
            (e.at.as_deref(), e.message.as_str()),
            (Some("step"), "step must not be zero")
        );
        assert!(run("arange", json!({"stop": 3, "step": 0.0})).is_err());
        assert!(run("arange", json!({"stop": 1e300, "step": 1e-300})).is_err());
    }

    #[test]
    fn arange_take_sets_the_length_and_is_checked() {
        let r = run(
            "arange",
            json!({"start": 0.1, "stop": 7.3, "step": 0.3, "take": [20, -3, 7]}),
        );
        assert_eq!(r.unwrap().shape, vec![7]);
        let r = run("arange", json!({"stop": 10, "take": [9, -1, 0]})).unwrap();
        assert_eq!((r.shape, r.dtype), (vec![0], DType::Int64));
        for bad in [
            json!([0, 1, 11]),
            json!([-1, 1, 2]),
            json!([0, 0, 2]),
            json!([1, 2]),
        ] {
            let e = run("arange", json!({"stop": 10, "take": bad})).unwrap_err();
            assert_eq!(e.at.as_deref(), Some("take"), "{bad}");
        }
    }

    #[test]
    fn linspace_eye_and_random() {
        let r = run(
            "linspace",
            json!({"start": 0, "stop": 1, "num": 7, "chunks": 3}),
        )
        .unwrap();
        assert_eq!(
            (r.shape, r.dtype, r.chunks.0),
            (vec![7], DType::Float64, vec![vec![3, 3, 1]])
        );
        let e = run("linspace", json!({"start": 0, "stop": 1, "num": -1})).unwrap_err();
        assert_eq!(e.message, "Number of samples, -1, must be non-negative.");
        assert_eq!(run("eye", json!({"N": 3})).unwrap().shape, vec![3, 3]);
        let r = run("eye", json!({"N": 3, "M": 5, "k": 1, "dtype": "bool"})).unwrap();
        assert_eq!((r.shape, r.dtype), (vec![3, 5], DType::Bool));
        assert!(run("eye", json!({"N": -1})).is_err());
        let r = run("random.uniform", json!({"shape": [4], "seed": 1})).unwrap();
        assert_eq!(r.dtype, DType::Float64);
        assert_eq!(
            run(
                "random.integers",
                json!({"shape": [4], "seed": 1, "low": 0, "high": 5})
            )
            .unwrap()
            .dtype,
            DType::Int64
        );
        assert!(
            run(
                "random.integers",
                json!({"shape": [4], "seed": 1, "low": 5, "high": 5})
            )
            .is_err()
        );
        assert_eq!(
            run(
                "random.normal",
                json!({"shape": [4], "seed": 1, "scale": -1})
            )
            .unwrap_err()
            .message,
            "scale < 0"
        );
        assert!(run("random.normal", json!({"shape": [4], "seed": -1})).is_err());
        assert!(run("random.normal", json!({"shape": [4]})).is_err());
    }

    #[test]
    fn a_random_region_has_the_shape_of_the_slice() {
        let r = run(
            "random.uniform",
            json!({"shape": [10, 8, 6], "seed": 1, "region": [[9, -3, 4], 2, [1, 1, 5]], "chunks": 2}),
        )
        .unwrap();
        assert_eq!(
            (r.shape, r.chunks.0),
            (vec![4, 5], vec![vec![2, 2], vec![2, 2, 1]])
        );
        for bad in [
            json!([[0, 1, 10], 8, [0, 1, 6]]),
            json!([[0, 1, 11], 0, [0, 1, 6]]),
            json!([[0, 0, 1], 0, [0, 1, 6]]),
            json!([0, 0]),
            json!("all"),
        ] {
            let e = run(
                "random.normal",
                json!({"shape": [10, 8, 6], "seed": 1, "region": bad}),
            )
            .unwrap_err();
            assert_eq!(e.at.as_deref(), Some("region"), "{bad}");
        }
    }

    #[test]
    fn input_declares_shape_dtype_and_chunks() {
        let op = lookup("input").unwrap();
        assert_eq!(op.signature(), "input(name, shape, dtype, chunks=-1)");
        let r = run(
            "input",
            json!({"name": "x", "shape": [5, 4], "dtype": "int32", "chunks": -1}),
        )
        .unwrap();
        assert_eq!(
            (r.shape, r.dtype, r.chunks.0),
            (vec![5, 4], DType::Int32, vec![vec![5], vec![4]])
        );
        let r = run(
            "input",
            json!({"name": "x", "shape": [5, 4], "dtype": "bool", "chunks": [2, [1, 3]]}),
        )
        .unwrap();
        assert_eq!(r.chunks.0, vec![vec![2, 2, 1], vec![1, 3]]);
        let e = run("input", json!({"name": "", "shape": [1], "dtype": "bool"})).unwrap_err();
        assert_eq!(e.at.as_deref(), Some("name"));
        let e = run("input", json!({"name": "x", "shape": [1]})).unwrap_err();
        assert_eq!(e.at.as_deref(), Some("dtype"));
        let e = run(
            "input",
            json!({"name": "x", "shape": [4], "dtype": "bool", "chunks": [[3]]}),
        )
        .unwrap_err();
        assert_eq!(e.at.as_deref(), Some("chunks"));
    }

    fn temp_dir(tag: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("tessera-sources-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("data")).unwrap();
        dir
    }

    #[test]
    fn from_npy_reads_the_header_relative_to_the_root() {
        let dir = temp_dir("ok");
        let dict = "{'descr': '<i4', 'fortran_order': False, 'shape': (3, 4), }";
        std::fs::write(dir.join("data/x.npy"), npy_bytes(dict, 48)).unwrap();
        let ctx = InferContext {
            base_dir: Some(dir.clone()),
            data_root: None,
        };
        let r = run_ctx(
            "from_npy",
            json!({"path": "data/x.npy", "chunks": [2, 4]}),
            &ctx,
        )
        .unwrap();
        assert_eq!(
            (r.shape, r.dtype, r.chunks.0),
            (vec![3, 4], DType::Int32, vec![vec![2, 1], vec![4]])
        );
        // With a data root, paths are relative to it instead.
        let ctx = InferContext {
            base_dir: Some(PathBuf::from("/nonexistent")),
            data_root: Some(dir.join("data")),
        };
        assert_eq!(
            run_ctx("from_npy", json!({"path": "./x.npy"}), &ctx)
                .unwrap()
                .shape,
            vec![3, 4]
        );
        let e = run_ctx("from_npy", json!({"path": "missing.npy"}), &ctx).unwrap_err();
        assert_eq!(e.at.as_deref(), Some("path"));
        assert!(e.message.contains("cannot open"), "{}", e.message);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn from_npy_refuses_paths_leaving_the_root() {
        let dir = temp_dir("escape");
        let dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }";
        std::fs::write(dir.join("outside.npy"), npy_bytes(dict, 8)).unwrap();
        let ctx = InferContext {
            base_dir: None,
            data_root: Some(dir.join("data")),
        };
        let e = run_ctx("from_npy", json!({"path": "../outside.npy"}), &ctx).unwrap_err();
        assert!(e.message.contains("leaves the folder"), "{}", e.message);
        let e = run_ctx("from_npy", json!({"path": "a/../../outside.npy"}), &ctx).unwrap_err();
        assert!(e.message.contains("leaves the folder"), "{}", e.message);
        let abs = dir.join("outside.npy").display().to_string();
        let e = run_ctx("from_npy", json!({"path": abs}), &ctx).unwrap_err();
        assert!(e.message.contains("absolute paths"), "{}", e.message);
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.join("outside.npy"), dir.join("data/link.npy")).unwrap();
            let e = run_ctx("from_npy", json!({"path": "link.npy"}), &ctx).unwrap_err();
            assert!(e.message.contains("symbolic link"), "{}", e.message);
        }
        std::fs::write(
            dir.join("data/bad.npy"),
            npy_bytes(
                "{'descr': '<u1', 'fortran_order': False, 'shape': (1,), }",
                1,
            ),
        )
        .unwrap();
        let e = run_ctx("from_npy", json!({"path": "bad.npy"}), &ctx).unwrap_err();
        assert!(
            e.message.contains("unsupported dtype '<u1'"),
            "{}",
            e.message
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
