//! Kernels that the chunked lowering emits between array ops: assembling a grid of
//! blocks into one array, summing a list of blocks, taking a part of a tuple, and
//! checking a task's array value.

use std::mem::MaybeUninit;
use std::sync::{Mutex, PoisonError};

use ndarray::{ArcArray, ArrayD, ArrayViewMutD, Axis, IxDyn, Slice};
use serde_json::Value as Json;

use tessera_ir::DType;

use super::error::{KernelError, KernelFn};
use crate::value::{Array, Value};

type Kwargs = serde_json::Map<String, Json>;

/// The kernels of this module: `(name, signature, function)`.
pub fn kernels() -> Vec<(&'static str, &'static str, KernelFn)> {
    vec![
        (
            "chunk.assemble",
            "chunk.assemble(blocks: nested list of arrays)",
            assemble,
        ),
        (
            "chunk.sum_list",
            "chunk.sum_list(arrays: list of arrays)",
            sum_list,
        ),
        ("item", "item(x: tuple or list, index: int)", item),
        (
            "from_delayed",
            "from_delayed(value, shape, dtype)",
            from_delayed,
        ),
        ("array", "array(data: nested lists, dtype?)", array),
    ]
}

/// Assembles a nested list of blocks (nesting depth = number of axes, as Dask's
/// `concatenate3`) into one array.
fn assemble(args: &[Value], _: &Kwargs) -> Result<Value, KernelError> {
    let [nested] = args else {
        return Err(KernelError::new(
            "chunk.assemble takes one nested list of arrays",
        ));
    };
    // Flatten the nesting into a grid, row-major.
    let mut grid_shape = Vec::new();
    let mut level = nested;
    while let Value::List(items) = level {
        grid_shape.push(items.len());
        match items.first() {
            Some(first) => level = first,
            None => return Err(KernelError::new("chunk.assemble got an empty list")),
        }
    }
    let mut leaves: Vec<&Array> = Vec::new();
    let mut stack = vec![(nested, 0usize)];
    while let Some((v, depth)) = stack.pop() {
        match v {
            Value::List(items) if depth < grid_shape.len() => {
                if items.len() != grid_shape[depth] {
                    return Err(KernelError::new("chunk.assemble got a ragged nested list"));
                }
                stack.extend(items.iter().rev().map(|x| (x, depth + 1)));
            }
            Value::Array(a) if depth == grid_shape.len() => leaves.push(a),
            other => {
                return Err(KernelError::new(format!(
                    "chunk.assemble expected arrays at depth {}, got a {}",
                    grid_shape.len(),
                    other.type_name()
                )));
            }
        }
    }
    let first = leaves[0];
    let ndim = first.ndim();
    if ndim != grid_shape.len() {
        return Err(KernelError::new(format!(
            "chunk.assemble got {}-d blocks nested {} deep",
            ndim,
            grid_shape.len()
        )));
    }
    if leaves.iter().any(|a| a.dtype() != first.dtype()) {
        return Err(KernelError::new(
            "chunk.assemble got blocks of different dtypes",
        ));
    }
    // Block sizes along each axis, read off the first row of the grid per axis.
    let strides: Vec<usize> = (0..ndim)
        .map(|a| grid_shape[a + 1..].iter().product())
        .collect();
    let sizes: Vec<Vec<usize>> = (0..ndim)
        .map(|a| {
            (0..grid_shape[a])
                .map(|i| leaves[i * strides[a]].shape()[a])
                .collect()
        })
        .collect();
    let shape: Vec<usize> = sizes.iter().map(|s| s.iter().sum()).collect();
    let starts: Vec<Vec<usize>> = sizes
        .iter()
        .map(|s| {
            s.iter()
                .scan(0, |acc, &x| {
                    let start = *acc;
                    *acc += x;
                    Some(start)
                })
                .collect()
        })
        .collect();
    for (n, leaf) in leaves.iter().enumerate() {
        for a in 0..ndim {
            let i = (n / strides[a]) % grid_shape[a];
            if leaf.shape()[a] != sizes[a][i] {
                return Err(KernelError::new(format!(
                    "chunk.assemble: block sizes along axis {a} do not line up"
                )));
            }
        }
    }
    if ndim == 0 {
        return Ok(Value::Array(first.clone()));
    }
    let grid = Tiling {
        shape: &shape,
        sizes: &sizes,
        starts: &starts,
    };
    macro_rules! fill {
        ($variant:ident) => {{
            let blocks: Vec<&ArcArray<_, IxDyn>> = leaves
                .iter()
                .map(|leaf| match leaf {
                    Array::$variant(block) => block,
                    _ => unreachable!("dtypes checked"),
                })
                .collect();
            Array::$variant(grid.fill(&blocks).into_shared())
        }};
    }
    Ok(Value::Array(match first {
        Array::F64(_) => fill!(F64),
        Array::F32(_) => fill!(F32),
        Array::I64(_) => fill!(I64),
        Array::I32(_) => fill!(I32),
        Array::Bool(_) => fill!(Bool),
    }))
}

/// Outputs of at least this many bytes are copied by several threads.
const PARALLEL_BYTES: usize = 16 << 20;

/// A grid of blocks that tiles an array: the array's shape, and per axis the
/// blocks' sizes and starts.
struct Tiling<'a> {
    shape: &'a [usize],
    sizes: &'a [Vec<usize>],
    starts: &'a [Vec<usize>],
}

impl Tiling<'_> {
    /// The array whose blocks are `blocks` (C order of the grid, sizes checked),
    /// copied once into an uninitialised buffer (no zero fill); rows of blocks
    /// (along axis 0) are shared among threads when the array is large.
    fn fill<T: Clone + Send + Sync>(&self, blocks: &[&ArcArray<T, IxDyn>]) -> ArrayD<T> {
        let rows = self.sizes[0].len();
        let per_row = blocks.len() / rows;
        let total: usize = self.shape.iter().product();
        let mut buffer: Vec<T> = super::buffer::with_capacity(total);
        let mut out = ndarray::ArrayViewMut::from_shape(
            IxDyn(self.shape),
            &mut buffer.spare_capacity_mut()[..total],
        )
        .expect("the buffer holds the shape");
        // Disjoint views of the output, one per row of blocks.
        let mut views = Vec::with_capacity(rows);
        let mut rest = out.view_mut();
        for &size in &self.sizes[0] {
            let (head, tail) = rest.split_at(Axis(0), size);
            views.push(head);
            rest = tail;
        }
        let copy_row = |(i, mut row): (usize, ArrayViewMutD<'_, MaybeUninit<T>>)| {
            for (n, block) in blocks[i * per_row..(i + 1) * per_row].iter().enumerate() {
                let mut view = row.view_mut();
                let mut rest = n;
                for a in (1..self.shape.len()).rev() {
                    let count = self.sizes[a].len();
                    let j = rest % count;
                    rest /= count;
                    let start = self.starts[a][j];
                    view.slice_axis_inplace(Axis(a), Slice::from(start..start + self.sizes[a][j]));
                }
                block.assign_to(view);
            }
        };
        let bytes = self.shape.iter().product::<usize>() * std::mem::size_of::<T>();
        let threads = if bytes >= PARALLEL_BYTES {
            crate::budget::kernel_threads().min(rows)
        } else {
            1
        };
        // Rows of blocks are taken from a shared queue, by threads of the run's
        // kernel pool (the `--threads` budget).
        let queue = Mutex::new(views.into_iter().enumerate().collect::<Vec<_>>());
        crate::budget::run_on_kernel_threads(threads, || {
            loop {
                let next = queue.lock().unwrap_or_else(PoisonError::into_inner).pop();
                match next {
                    Some(row) => copy_row(row),
                    None => break,
                }
            }
        });
        // SAFETY: the blocks' sizes line up with the grid (checked by the
        // caller) and the grid's starts and sizes tile every axis, so each of
        // the first `total` elements was written above.
        unsafe { buffer.set_len(total) };
        ArrayD::from_shape_vec(IxDyn(self.shape), buffer).expect("the buffer holds the shape")
    }
}

/// Sums a list of equally shaped arrays of one dtype (partial products of a
/// blocked matmul); integers wrap, bool arrays combine with `or`.
fn sum_list(args: &[Value], _: &Kwargs) -> Result<Value, KernelError> {
    let [Value::List(items)] = args else {
        return Err(KernelError::new("chunk.sum_list takes one list of arrays"));
    };
    let arrays: Vec<&Array> = items
        .iter()
        .map(|v| match v {
            Value::Array(a) => Ok(a),
            other => Err(KernelError::new(format!(
                "chunk.sum_list expected arrays, got a {}",
                other.type_name()
            ))),
        })
        .collect::<Result<_, _>>()?;
    let Some(first) = arrays.first() else {
        return Err(KernelError::new("chunk.sum_list got an empty list"));
    };
    macro_rules! total {
        ($variant:ident, $add:expr) => {{
            let Array::$variant(a0) = first else {
                unreachable!()
            };
            let mut acc = a0.to_owned();
            for a in &arrays[1..] {
                let Array::$variant(x) = a else {
                    return Err(KernelError::new(
                        "chunk.sum_list got arrays of different dtypes",
                    ));
                };
                if x.shape() != acc.shape() {
                    return Err(KernelError::new(
                        "chunk.sum_list got arrays of different shapes",
                    ));
                }
                acc.zip_mut_with(x, $add);
            }
            Array::$variant(acc.into_shared())
        }};
    }
    Ok(Value::Array(match first {
        Array::F64(_) => total!(F64, |s, &v| *s += v),
        Array::F32(_) => total!(F32, |s, &v| *s += v),
        // Integers wrap, as NumPy's (and the gemm kernel's) do.
        Array::I64(_) => total!(I64, |s, &v| *s = s.wrapping_add(v)),
        Array::I32(_) => total!(I32, |s, &v| *s = s.wrapping_add(v)),
        // Partial products of bool matrices: NumPy's bool matmul is "any of
        // a & b", so partials combine with `or`.
        Array::Bool(a0) => {
            let mut acc = a0.to_owned();
            for a in &arrays[1..] {
                let Array::Bool(x) = a else {
                    return Err(KernelError::new(
                        "chunk.sum_list got arrays of different dtypes",
                    ));
                };
                if x.shape() != acc.shape() {
                    return Err(KernelError::new(
                        "chunk.sum_list got arrays of different shapes",
                    ));
                }
                acc.zip_mut_with(x, |s, &v| *s |= v);
            }
            Array::Bool(acc.into_shared())
        }
    }))
}

/// An array from nested JSON lists (`data`), with NumPy's dtype when `dtype` is
/// not given: bool if all are booleans, int64 if all are integers, else float64.
fn array(args: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    if !args.is_empty() {
        return Err(KernelError::new("array takes no positional argument"));
    }
    let data = kwargs
        .get("data")
        .ok_or_else(|| KernelError::new("array needs `data`"))?;
    let mut shape = Vec::new();
    let mut level = data;
    while let Json::Array(items) = level {
        shape.push(items.len());
        match items.first() {
            Some(first) => level = first,
            None => break,
        }
    }
    let mut leaves = Vec::new();
    let mut stack = vec![(data, 0usize)];
    while let Some((v, depth)) = stack.pop() {
        match v {
            Json::Array(items) if depth < shape.len() && items.len() == shape[depth] => {
                stack.extend(items.iter().rev().map(|x| (x, depth + 1)));
            }
            Json::Bool(_) | Json::Number(_) if depth == shape.len() => leaves.push(v),
            _ => {
                return Err(KernelError::new(
                    "array: `data` is ragged or holds a non-number",
                ));
            }
        }
    }
    let dtype = match kwargs.get("dtype").and_then(Json::as_str) {
        Some(name) => DType::from_name(name)
            .ok_or_else(|| KernelError::new(format!("array: unknown dtype {name}")))?,
        None if leaves.iter().all(|v| v.is_boolean()) => DType::Bool,
        None if leaves.iter().all(|v| v.is_i64()) => DType::Int64,
        None => DType::Float64,
    };
    let num = |v: &Json| match v {
        Json::Bool(b) => f64::from(u8::from(*b)),
        other => other.as_f64().unwrap_or(f64::NAN),
    };
    let int = |v: &Json| match v {
        Json::Bool(b) => i64::from(*b),
        other => other.as_i64().unwrap_or_else(|| num(other) as i64),
    };
    let dim = IxDyn(&shape);
    let shaped = |e: ndarray::ShapeError| KernelError::new(format!("array: {e}"));
    Ok(Value::Array(match dtype {
        DType::Float64 => Array::from(
            ArrayD::from_shape_vec(dim, leaves.iter().map(|v| num(v)).collect()).map_err(shaped)?,
        ),
        DType::Float32 => Array::from(
            ArrayD::from_shape_vec(dim, leaves.iter().map(|v| num(v) as f32).collect())
                .map_err(shaped)?,
        ),
        DType::Int64 => Array::from(
            ArrayD::from_shape_vec(dim, leaves.iter().map(|v| int(v)).collect()).map_err(shaped)?,
        ),
        DType::Int32 => Array::from(
            ArrayD::from_shape_vec(dim, leaves.iter().map(|v| int(v) as i32).collect())
                .map_err(shaped)?,
        ),
        DType::Bool => Array::from(
            ArrayD::from_shape_vec(dim, leaves.iter().map(|v| num(v) != 0.0).collect())
                .map_err(shaped)?,
        ),
    }))
}

/// Part `index` of a tuple or list (negative counts from the end).
fn item(args: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let [value] = args else {
        return Err(KernelError::new("item takes one argument"));
    };
    let index = kwargs
        .get("index")
        .and_then(Json::as_i64)
        .ok_or_else(|| KernelError::new("item needs an integer `index`"))?;
    let (Value::Tuple(parts) | Value::List(parts)) = value else {
        return Err(KernelError::new(format!(
            "item takes a tuple or a list, got a {}",
            value.type_name()
        )));
    };
    let n = parts.len() as i64;
    let i = if index < 0 { index + n } else { index };
    if !(0..n).contains(&i) {
        return Err(KernelError::new(format!(
            "item index {index} is out of range for {n} parts"
        )));
    }
    Ok(parts[i as usize].clone())
}

/// Checks that a task's value is an array of the declared `shape` and `dtype`.
fn from_delayed(args: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let [value] = args else {
        return Err(KernelError::new("from_delayed takes one argument"));
    };
    // Nested lists and numbers become an array of the declared dtype, as
    // `np.asarray` would make them.
    let converted;
    let value = match value {
        Value::List(_) | Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
            let mut spec = Kwargs::new();
            spec.insert("data".into(), value.to_json());
            if let Some(dtype) = kwargs.get("dtype") {
                spec.insert("dtype".into(), dtype.clone());
            }
            converted = array(&[], &spec)?;
            &converted
        }
        other => other,
    };
    let Value::Array(array) = value else {
        return Err(KernelError::new(format!(
            "from_delayed expected the task to give an array, got a {}",
            value.type_name()
        )));
    };
    if let Some(shape) = kwargs.get("shape").and_then(Json::as_array) {
        let shape: Vec<usize> = shape
            .iter()
            .filter_map(|d| d.as_u64().map(|d| d as usize))
            .collect();
        if array.shape() != shape.as_slice() {
            return Err(KernelError::new(format!(
                "from_delayed declared shape {:?} but the task gave {:?}",
                shape,
                array.shape()
            )));
        }
    }
    if let Some(dtype) = kwargs.get("dtype").and_then(Json::as_str)
        && array.dtype().name() != dtype
    {
        return Err(KernelError::new(format!(
            "from_delayed declared dtype {dtype} but the task gave {}",
            array.dtype()
        )));
    }
    Ok(value.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn block(rows: usize, cols: usize, start: f64) -> Value {
        let a = Array2::from_shape_fn((rows, cols), |(i, j)| start + (i * cols + j) as f64)
            .into_dyn()
            .into_shared();
        Value::Array(Array::F64(a))
    }

    fn list(items: Vec<Value>) -> Value {
        Value::List(items.into())
    }

    #[test]
    fn assemble_joins_a_grid_of_irregular_blocks() {
        // [[2x1, 2x2], [1x1, 1x2]] -> 3x3
        let grid = list(vec![
            list(vec![block(2, 1, 0.0), block(2, 2, 10.0)]),
            list(vec![block(1, 1, 20.0), block(1, 2, 30.0)]),
        ]);
        let Value::Array(Array::F64(out)) = assemble(&[grid], &Kwargs::new()).unwrap() else {
            panic!("expected f64 array")
        };
        assert_eq!(out.shape(), &[3, 3]);
        let rows: Vec<Vec<f64>> = out
            .outer_iter()
            .map(|r| r.iter().copied().collect())
            .collect();
        assert_eq!(
            rows,
            vec![
                vec![0.0, 10.0, 11.0],
                vec![1.0, 12.0, 13.0],
                vec![20.0, 30.0, 31.0]
            ]
        );
    }

    #[test]
    fn assemble_refuses_misaligned_blocks() {
        let grid = list(vec![list(vec![block(2, 1, 0.0), block(1, 2, 0.0)])]);
        let err = assemble(&[grid], &Kwargs::new()).unwrap_err();
        assert!(err.0.contains("do not line up"), "{err}");
    }

    #[test]
    fn large_grids_are_copied_in_parallel_exactly() {
        // 2100 x 1100 float64 (over 16 MiB: rows of blocks on several threads),
        // irregular blocks, some of them strided views.
        let (rows, cols) = ([700, 1, 899, 500], [3, 1000, 97]);
        let whole = Array2::from_shape_fn((2100, 1100), |(i, j)| (i * 1100 + j) as f64);
        let mut grid = Vec::new();
        let mut r0 = 0;
        for (i, &r) in rows.iter().enumerate() {
            let mut row = Vec::new();
            let mut c0 = 0;
            for &c in &cols {
                let view = whole.slice(ndarray::s![r0..r0 + r, c0..c0 + c]);
                let block = if i % 2 == 0 {
                    view.to_owned().into_dyn().into_shared()
                } else {
                    // The same values as a column-major (strided) array.
                    let mut t = ndarray::Array2::zeros(ndarray::ShapeBuilder::f(view.raw_dim()));
                    t.assign(&view);
                    t.into_dyn().into_shared()
                };
                row.push(Value::Array(Array::F64(block)));
                c0 += c;
            }
            grid.push(list(row));
            r0 += r;
        }
        let Value::Array(Array::F64(out)) = assemble(&[list(grid)], &Kwargs::new()).unwrap() else {
            panic!("expected f64 array")
        };
        assert_eq!(out, whole.into_dyn().into_shared());
    }

    #[test]
    fn sum_list_adds_blocks() {
        let out = sum_list(
            &[list(vec![block(1, 2, 1.0), block(1, 2, 10.0)])],
            &Kwargs::new(),
        )
        .unwrap();
        assert_eq!(out.to_json(), serde_json::json!([[11.0, 13.0]]));
    }

    #[test]
    fn sum_list_wraps_integers() {
        let ints = |v: i64| {
            Value::Array(Array::from(
                ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[1]), vec![v]).unwrap(),
            ))
        };
        let out = sum_list(&[list(vec![ints(i64::MAX), ints(2)])], &Kwargs::new()).unwrap();
        assert_eq!(out.to_json(), serde_json::json!([i64::MIN + 1]));
    }

    #[test]
    fn sum_list_ors_bool_blocks() {
        let bools = |v: [bool; 2]| {
            Value::Array(Array::from(
                ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[2]), v.to_vec()).unwrap(),
            ))
        };
        let out = sum_list(
            &[list(vec![
                bools([false, true]),
                bools([false, false]),
                bools([true, false]),
            ])],
            &Kwargs::new(),
        )
        .unwrap();
        assert_eq!(out.to_json(), serde_json::json!([true, true]));
    }

    #[test]
    fn array_infers_shape_and_dtype_from_data() {
        let mut kw = Kwargs::new();
        kw.insert("data".into(), serde_json::json!([[1, 2], [3, 4], [5, 6]]));
        let v = array(&[], &kw).unwrap();
        let Value::Array(a) = &v else {
            panic!("array expected")
        };
        assert_eq!((a.shape(), a.dtype()), (&[3usize, 2][..], DType::Int64));
        kw.insert("data".into(), serde_json::json!([1, 2.5]));
        assert_eq!(
            array(&[], &kw).unwrap().to_json(),
            serde_json::json!([1.0, 2.5])
        );
        kw.insert("data".into(), serde_json::json!([[1], [2, 3]]));
        assert!(array(&[], &kw).unwrap_err().0.contains("ragged"));
    }

    #[test]
    fn item_takes_parts_with_negative_indices() {
        let pair = Value::Tuple(vec![Value::Int(1), Value::Int(2)].into());
        let mut kw = Kwargs::new();
        kw.insert("index".into(), serde_json::json!(-1));
        assert_eq!(
            item(std::slice::from_ref(&pair), &kw).unwrap(),
            Value::Int(2)
        );
        kw.insert("index".into(), serde_json::json!(2));
        assert!(item(&[pair], &kw).unwrap_err().0.contains("out of range"));
    }

    #[test]
    fn from_delayed_checks_shape_and_dtype() {
        let mut kw = Kwargs::new();
        kw.insert("shape".into(), serde_json::json!([1, 2]));
        kw.insert("dtype".into(), serde_json::json!("float64"));
        assert!(from_delayed(&[block(1, 2, 0.0)], &kw).is_ok());
        kw.insert("shape".into(), serde_json::json!([2, 2]));
        assert!(
            from_delayed(&[block(1, 2, 0.0)], &kw)
                .unwrap_err()
                .0
                .contains("declared shape")
        );
        assert!(from_delayed(&[Value::Str("x".into())], &kw).is_err());
        let list = Value::List(vec![Value::Float(1.0), Value::Float(2.0)].into());
        kw.insert("shape".into(), serde_json::json!([2]));
        assert_eq!(
            from_delayed(&[list], &kw).unwrap().to_json(),
            serde_json::json!([1.0, 2.0])
        );
    }
}
