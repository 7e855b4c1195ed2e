//! Source kernels for a block: `zeros ones full arange linspace eye`, with NumPy's values exactly.

use serde_json::Value as Json;
use tessera_ir::DType;

use super::block::{self, Block};
use crate::kernels::layout::cast::{Element, cast, from_vec};
use crate::kernels::reduce::args::{self, Kwargs, err};
use crate::kernels::{KernelError, buffer};
use crate::value::{Array, Value};

fn build<T: Element>(op: &str, block: &Block, data: Vec<T>) -> Result<Array, KernelError> {
    from_vec(&block.shape, data).ok_or_else(|| err(op, "internal: block size mismatch"))
}

fn filled(
    op: &str,
    values: &[Value],
    kwargs: &Kwargs,
    fill: &Json,
    default: DType,
) -> Result<Value, KernelError> {
    let block = Block::parse(op, values, kwargs, None)?;
    let dtype = args::dtype(op, kwargs, "dtype")?.unwrap_or(default);
    let n = block.len();
    let zero = match fill {
        Json::Bool(b) => !b,
        Json::Number(x) => x.as_f64() == Some(0.0) && !x.to_string().starts_with('-'),
        _ => false,
    };
    if zero {
        // Straight from the allocator's zeroed memory in the target dtype: no fill
        // pass and no cast (the pages are first touched by whoever reads them).
        let shape = ndarray::IxDyn(&block.shape);
        let array = match dtype {
            DType::Float64 => Array::F64(
                ndarray::ArcArray::from_shape_vec(shape, buffer::zeroed(n))
                    .map_err(|e| err(op, e))?,
            ),
            DType::Float32 => Array::F32(
                ndarray::ArcArray::from_shape_vec(shape, buffer::zeroed(n))
                    .map_err(|e| err(op, e))?,
            ),
            DType::Int64 => Array::I64(
                ndarray::ArcArray::from_shape_vec(shape, buffer::zeroed(n))
                    .map_err(|e| err(op, e))?,
            ),
            DType::Int32 => Array::I32(
                ndarray::ArcArray::from_shape_vec(shape, buffer::zeroed(n))
                    .map_err(|e| err(op, e))?,
            ),
            DType::Bool => Array::Bool(
                ndarray::ArcArray::from_shape_vec(shape, buffer::zeroed(n))
                    .map_err(|e| err(op, e))?,
            ),
        };
        return Ok(Value::Array(array));
    }
    let raw = match fill {
        Json::Bool(b) => build(op, &block, vec![*b; n])?,
        Json::Number(x) => match x.as_i64() {
            Some(i) => build(op, &block, vec![i; n])?,
            None => build(op, &block, vec![x.as_f64().unwrap_or(f64::NAN); n])?,
        },
        other => {
            return Err(err(
                op,
                format!("`fill_value` must be a number or a boolean, got {other}"),
            ));
        }
    };
    Ok(Value::Array(cast(&raw, dtype)))
}

/// `zeros(shape, dtype=float64, offset? (or as the argument), block_shape?)`.
pub(crate) fn zeros(values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    filled("zeros", values, kwargs, &Json::from(0), DType::Float64)
}

/// `ones(shape, dtype=float64, offset? (or as the argument), block_shape?)`.
pub(crate) fn ones(values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    filled("ones", values, kwargs, &Json::from(1), DType::Float64)
}

/// `full(shape, fill_value, dtype?)`: the dtype defaults to the fill value's
/// (int → int64, float → float64, bool → bool), as NumPy.
pub(crate) fn full(values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "full";
    block::arity(op, values)?;
    let fill = kwargs
        .get("fill_value")
        .ok_or_else(|| err(op, "missing attribute `fill_value`"))?;
    let default = match fill {
        Json::Bool(_) => DType::Bool,
        Json::Number(n) if n.is_i64() => DType::Int64,
        _ => DType::Float64,
    };
    filled(op, values, kwargs, fill, default)
}

fn is_int(kwargs: &Kwargs, key: &str) -> bool {
    match kwargs.get(key) {
        None | Some(Json::Null) => true,
        Some(v) => v.is_i64(),
    }
}

/// The sequence positions of `arange`'s elements: `take = [first, stride, num]`
/// keeps positions `first + i*stride` of the `n` elements; without it, all of them.
fn positions(op: &str, kwargs: &Kwargs, n: usize) -> Result<(usize, i64, i64), KernelError> {
    match args::int_list(op, kwargs, "take")? {
        None => Ok((n, 0, 1)),
        Some(t) => match t[..] {
            [first, stride, num] if num >= 0 && stride != 0 => {
                let last = i128::from(first) + (i128::from(num) - 1) * i128::from(stride);
                let inside = |p: i128| p >= 0 && p < n as i128;
                if num > 0 && !(inside(i128::from(first)) && inside(last)) {
                    return Err(err(
                        op,
                        format!("`take` {t:?} reaches outside the {n} elements"),
                    ));
                }
                Ok((num as usize, first, stride))
            }
            _ => Err(err(
                op,
                format!("`take` must be [first, stride, num] with stride != 0, got {t:?}"),
            )),
        },
    }
}

/// `arange(start=0, stop, step=1, dtype?, take?, offset? (or as the argument), block_shape?)`: element
/// at sequence position p is `start + p*step` for integers; for floats NumPy's
/// fill rule: position 1 is `start + step` and position p ≥ 2 is `start + p*delta`,
/// `delta = (start + step) - start`. Element i is position i, or `first + i*stride`
/// with `take = [first, stride, num]` (so a slice's values are the whole one's, bit
/// for bit).
pub(crate) fn arange(values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "arange";
    block::arity(op, values)?;
    let all_int = ["start", "stop", "step"].iter().all(|k| is_int(kwargs, k));
    let dtype = args::dtype(op, kwargs, "dtype")?.unwrap_or(if all_int {
        DType::Int64
    } else {
        DType::Float64
    });
    if all_int && !dtype.is_float() {
        let start = args::int(op, kwargs, "start")?.unwrap_or(0);
        let stop = args::req_int(op, kwargs, "stop")?;
        let step = args::int(op, kwargs, "step")?.unwrap_or(1);
        if step == 0 {
            return Err(err(op, "step must not be zero"));
        }
        let span = stop as i128 - start as i128;
        let n = if (span > 0) == (step > 0) && span != 0 {
            ((span.abs() + step.unsigned_abs() as i128 - 1) / step.unsigned_abs() as i128) as usize
        } else {
            0
        };
        let (n, first, stride) = positions(op, kwargs, n)?;
        let block = Block::parse(op, values, kwargs, Some(vec![n]))?;
        let data: Vec<i64> = (block.offset[0]..block.offset[0] + block.shape[0])
            .map(|i| {
                let p = first.wrapping_add((i as i64).wrapping_mul(stride));
                start.wrapping_add(p.wrapping_mul(step))
            })
            .collect();
        return Ok(Value::Array(cast(&build(op, &block, data)?, dtype)));
    }
    let start = args::float(op, kwargs, "start")?.unwrap_or(0.0);
    let stop = args::req_float(op, kwargs, "stop")?;
    let step = args::float(op, kwargs, "step")?.unwrap_or(1.0);
    if step == 0.0 {
        return Err(err(op, "step must not be zero"));
    }
    let len = ((stop - start) / step).ceil();
    if len.is_nan() {
        return Err(err(op, "arange: cannot compute length"));
    }
    let n = if len > 0.0 { len as usize } else { 0 };
    let (n, first, stride) = positions(op, kwargs, n)?;
    let block = Block::parse(op, values, kwargs, Some(vec![n]))?;
    // Positions are within the sequence (checked by `positions`): non-negative.
    let idx = (block.offset[0]..block.offset[0] + block.shape[0])
        .map(|i| (first + i as i64 * stride) as usize);
    let second = start + step;
    let arr = if dtype == DType::Float32 {
        let (s, b1) = (start as f32, second as f32);
        let delta = b1 - s;
        let data: Vec<f32> = idx
            .map(|i| match i {
                0 => s,
                1 => b1,
                i => s + i as f32 * delta,
            })
            .collect();
        build(op, &block, data)?
    } else {
        let delta = second - start;
        let data: Vec<f64> = idx
            .map(|i| match i {
                0 => start,
                1 => second,
                i => start + i as f64 * delta,
            })
            .collect();
        build(op, &block, data)?
    };
    Ok(Value::Array(cast(&arr, dtype)))
}

/// `linspace(start, stop, num, endpoint=true, dtype=float64)`, NumPy 2's formula:
/// `i*step + start` with `step = (stop - start)/div`, the last element exactly `stop`.
pub(crate) fn linspace(values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "linspace";
    block::arity(op, values)?;
    let start = args::req_float(op, kwargs, "start")?;
    let stop = args::req_float(op, kwargs, "stop")?;
    let num = args::req_int(op, kwargs, "num")?;
    let num = usize::try_from(num).map_err(|_| {
        err(
            op,
            format!("number of samples, {num}, must be non-negative"),
        )
    })?;
    let endpoint = args::boolean(op, kwargs, "endpoint", true)?;
    let dtype = args::dtype(op, kwargs, "dtype")?.unwrap_or(DType::Float64);
    let div = if endpoint { num.saturating_sub(1) } else { num };
    let delta = stop - start;
    let step = delta / div as f64;
    let block = Block::parse(op, values, kwargs, Some(vec![num]))?;
    let data: Vec<f64> = (block.offset[0]..block.offset[0] + block.shape[0])
        .map(|i| {
            if endpoint && num > 1 && i == num - 1 {
                stop
            } else if div == 0 {
                i as f64 * delta + start
            } else if step == 0.0 {
                (i as f64 / div as f64) * delta + start
            } else {
                i as f64 * step + start
            }
        })
        .collect();
    Ok(Value::Array(cast(&build(op, &block, data)?, dtype)))
}

/// `eye(N, M=N, k=0, dtype=float64, offset? (or as the argument), block_shape?)`.
pub(crate) fn eye(values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "eye";
    block::arity(op, values)?;
    let n = args::req_int(op, kwargs, "N")?;
    let m = args::int(op, kwargs, "M")?.unwrap_or(n);
    if n < 0 || m < 0 {
        return Err(err(
            op,
            format!("negative dimensions are not allowed: N={n}, M={m}"),
        ));
    }
    let k = args::int(op, kwargs, "k")?.unwrap_or(0);
    let dtype = args::dtype(op, kwargs, "dtype")?.unwrap_or(DType::Float64);
    let block = Block::parse(op, values, kwargs, Some(vec![n as usize, m as usize]))?;
    let mut data = Vec::with_capacity(block.len());
    block.for_each(|pos, _| data.push(pos[1] as i64 - pos[0] as i64 == k));
    Ok(Value::Array(cast(&build(op, &block, data)?, dtype)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::layout::cast::typed;
    use serde_json::json;

    fn kw(v: serde_json::Value) -> Kwargs {
        v.as_object().cloned().unwrap()
    }

    fn f64s(v: Value) -> Vec<f64> {
        let Value::Array(Array::F64(a)) = v else {
            panic!("{v:?}")
        };
        a.iter().copied().collect()
    }

    #[test]
    fn zeros_ones_full_dtypes_and_blocks() {
        let Value::Array(z) = zeros(
            &[],
            &kw(json!({"shape": [2, 3], "offset": [1, 0], "block_shape": [1, 3]})),
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!((z.shape(), z.dtype()), (&[1usize, 3][..], DType::Float64));
        let Value::Array(o) = ones(&[], &kw(json!({"shape": [2], "dtype": "int32"}))).unwrap()
        else {
            panic!()
        };
        assert_eq!(o, from_vec(&[2], vec![1i32, 1]).unwrap());
        let Value::Array(f) = full(&[], &kw(json!({"shape": [2], "fill_value": 7}))).unwrap()
        else {
            panic!()
        };
        assert_eq!(f, from_vec(&[2], vec![7i64, 7]).unwrap());
        let Value::Array(b) = full(&[], &kw(json!({"shape": [1], "fill_value": true}))).unwrap()
        else {
            panic!()
        };
        assert_eq!(b.dtype(), DType::Bool);
        assert!(full(&[], &kw(json!({"shape": [1], "fill_value": "x"}))).is_err());
        // Zero fills come straight in the target dtype (big blocks included);
        // -0.0 keeps its sign, false is a zero fill.
        for dtype in ["float64", "float32", "int64", "int32", "bool"] {
            let Value::Array(z) =
                zeros(&[], &kw(json!({"shape": [1100, 1000], "dtype": dtype}))).unwrap()
            else {
                panic!()
            };
            assert_eq!(
                (z.dtype().name(), z.shape()),
                (dtype, &[1100usize, 1000][..])
            );
            assert!(typed::<f64>(&z).iter().all(|&x| x == 0.0));
        }
        let Value::Array(m) = full(&[], &kw(json!({"shape": [2], "fill_value": -0.0}))).unwrap()
        else {
            panic!()
        };
        assert!(typed::<f64>(&m).iter().all(|x| x.is_sign_negative()));
        let Value::Array(f) = full(&[], &kw(json!({"shape": [2], "fill_value": false}))).unwrap()
        else {
            panic!()
        };
        assert_eq!(f, from_vec(&[2], vec![false, false]).unwrap());
    }

    #[test]
    fn arange_matches_numpy() {
        let Value::Array(a) =
            arange(&[], &kw(json!({"start": 3, "stop": -4, "step": -3}))).unwrap()
        else {
            panic!()
        };
        assert_eq!(a, from_vec(&[3], vec![3i64, 0, -3]).unwrap());
        // np.arange(0.1, 1.0, 0.1): element 1 is 0.1 + 0.1, element i is 0.1 + i*0.1.
        let v = f64s(arange(&[], &kw(json!({"start": 0.1, "stop": 1.0, "step": 0.1}))).unwrap());
        assert_eq!(v.len(), 9);
        assert_eq!(v[2], 0.1 + 2.0 * 0.1);
        // Checked against NumPy 2.4: np.arange(0.1, 1.0, 0.1)[[2, 8]] == [0.30000000000000004, 0.9].
        assert_eq!(v[2], 0.30000000000000004);
        assert_eq!(v[8], 0.9);
        let blk = f64s(arange(&[], &kw(json!({"start": 0.1, "stop": 1.0, "step": 0.1, "offset": [5], "block_shape": [3]}))).unwrap());
        assert_eq!(blk, v[5..8].to_vec());
        let Value::Array(e) = arange(&[], &kw(json!({"stop": 0}))).unwrap() else {
            panic!()
        };
        assert_eq!(e.shape(), &[0]);
        assert!(arange(&[], &kw(json!({"stop": 3, "step": 0}))).is_err());
    }

    #[test]
    fn arange_take_picks_positions_of_the_whole_sequence() {
        let whole = kw(json!({"start": 0.1, "stop": 7.3, "step": 0.3}));
        let v = f64s(arange(&[], &whole).unwrap());
        for (first, stride, num) in [(20i64, -3i64, 7usize), (0, 1, 5), (1, 2, 12), (23, -1, 24)] {
            let mut k = whole.clone();
            k.insert("take".into(), json!([first, stride, num]));
            let got = f64s(arange(&[], &k).unwrap());
            let want: Vec<f64> = (0..num as i64)
                .map(|i| v[(first + i * stride) as usize])
                .collect();
            assert_eq!(got, want, "take {first} {stride} {num}");
            // One block of it, as lowering asks.
            k.insert("offset".into(), json!([2]));
            k.insert("block_shape".into(), json!([3]));
            assert_eq!(f64s(arange(&[], &k).unwrap()), want[2..5].to_vec());
        }
        let mut ints = kw(json!({"start": 3, "stop": 40, "step": 4, "take": [8, -2, 4]}));
        let Value::Array(a) = arange(&[], &ints).unwrap() else {
            panic!()
        };
        assert_eq!(a, from_vec(&[4], vec![35i64, 27, 19, 11]).unwrap());
        // Positions outside the sequence and a zero stride are errors.
        ints.insert("take".into(), json!([8, 2, 4]));
        assert!(arange(&[], &ints).is_err());
        ints.insert("take".into(), json!([0, 0, 4]));
        assert!(arange(&[], &ints).is_err());
    }

    #[test]
    fn linspace_matches_numpy() {
        let v = f64s(linspace(&[], &kw(json!({"start": 0, "stop": 1, "num": 5}))).unwrap());
        assert_eq!(v, vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        let v = f64s(
            linspace(
                &[],
                &kw(json!({"start": 0, "stop": 1, "num": 4, "endpoint": false})),
            )
            .unwrap(),
        );
        assert_eq!(v, vec![0.0, 0.25, 0.5, 0.75]);
        // np.linspace(0.1, 0.7, 7)[3] == 0.4 (3*0.1 + 0.1 = 0.4 exactly in doubles), last = stop.
        let v = f64s(linspace(&[], &kw(json!({"start": 0.1, "stop": 0.7, "num": 7}))).unwrap());
        assert_eq!(v[6], 0.7);
        assert_eq!(v[3], 3.0 * ((0.7 - 0.1) / 6.0) + 0.1);
        let one = f64s(linspace(&[], &kw(json!({"start": 2, "stop": 5, "num": 1}))).unwrap());
        assert_eq!(one, vec![2.0]);
        let blk = f64s(
            linspace(
                &[],
                &kw(json!({"start": 0, "stop": 1, "num": 5, "offset": [3], "block_shape": [2]})),
            )
            .unwrap(),
        );
        assert_eq!(blk, vec![0.75, 1.0]);
    }

    #[test]
    fn eye_blocks_and_k() {
        let Value::Array(e) =
            eye(&[], &kw(json!({"N": 3, "M": 4, "k": 1, "dtype": "int64"}))).unwrap()
        else {
            panic!()
        };
        assert_eq!(
            e,
            from_vec(&[3, 4], vec![0i64, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]).unwrap()
        );
        let b = f64s(
            eye(
                &[],
                &kw(json!({"N": 4, "offset": [2, 2], "block_shape": [2, 2]})),
            )
            .unwrap(),
        );
        assert_eq!(b, vec![1.0, 0.0, 0.0, 1.0]);
        assert!(eye(&[], &kw(json!({"N": -1}))).is_err());
    }
}
