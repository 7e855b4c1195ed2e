//! Extending an array beyond its edges as `scipy.ndimage` does: the boundary modes,
//! the index each outside position reads, and the `overlap.pad` kernel.

use ndarray::{ArcArray, ArrayD, Axis, IxDyn, Slice};
use serde_json::Value as Json;

use crate::kernels::KernelError;
use crate::kernels::layout::cast::{Element, typed};
use crate::kernels::reduce::args::{self, Kwargs, err};
use crate::value::{Array, Value};

/// How positions outside an axis `0..n` are filled.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Mode {
    /// Half-sample symmetric (`d c b a | a b c d | d c b a`): scipy's "reflect",
    /// NumPy's "symmetric"; period `2n`.
    Reflect,
    /// Periodic (`a b c d | a b c d`): scipy's "wrap", the graph format's "periodic".
    Wrap,
    /// The edge value repeated: scipy's "nearest", NumPy's "edge".
    Nearest,
    /// A constant value: scipy's "constant" with `cval`.
    Constant(f64),
}

impl Mode {
    /// A mode from its name (scipy's, or the graph format's boundary names) and the
    /// constant for "constant".
    pub(crate) fn parse(op: &str, name: &str, cval: f64) -> Result<Mode, KernelError> {
        match name {
            "reflect" | "symmetric" => Ok(Mode::Reflect),
            "wrap" | "grid-wrap" | "periodic" => Ok(Mode::Wrap),
            "nearest" | "edge" => Ok(Mode::Nearest),
            "constant" | "grid-constant" => Ok(Mode::Constant(cval)),
            other => Err(err(
                op,
                format!(
                    "unknown boundary mode {other:?}: use \"reflect\", \"wrap\", \"nearest\" or \"constant\""
                ),
            )),
        }
    }

    /// The position inside `0..n` that position `p` reads (`None`: the constant).
    /// `n` must be positive unless the mode is constant.
    pub(crate) fn source(self, p: i64, n: usize) -> Option<usize> {
        let n = n as i64;
        if (0..n).contains(&p) {
            return Some(p as usize);
        }
        match self {
            Mode::Constant(_) => None,
            Mode::Nearest => Some(p.clamp(0, n - 1) as usize),
            Mode::Wrap => Some(p.rem_euclid(n) as usize),
            Mode::Reflect => {
                let m = p.rem_euclid(2 * n);
                Some(if m < n { m } else { 2 * n - 1 - m } as usize)
            }
        }
    }
}

/// Per-axis modes from the kwargs `mode` (a name, or one name per axis) and `cval`
/// (a number, or one per axis; default 0).
pub(crate) fn modes(
    op: &str,
    kwargs: &Kwargs,
    ndim: usize,
    default: &str,
) -> Result<Vec<Mode>, KernelError> {
    let per_axis = |v: Option<&Json>, what: &str| -> Result<Vec<Json>, KernelError> {
        match v {
            Some(Json::Array(items)) if items.len() == ndim => Ok(items.clone()),
            Some(Json::Array(items)) => Err(err(
                op,
                format!(
                    "`{what}` has {} entries for an array of {ndim} axes",
                    items.len()
                ),
            )),
            Some(x) => Ok(vec![x.clone(); ndim]),
            None => Ok(vec![Json::Null; ndim]),
        }
    };
    let names = per_axis(kwargs.get("mode"), "mode")?;
    let cvals = per_axis(kwargs.get("cval"), "cval")?;
    names
        .iter()
        .zip(&cvals)
        .map(|(name, cval)| {
            let cval = match cval {
                Json::Null => 0.0,
                Json::Number(c) => c.as_f64().unwrap_or(0.0),
                Json::Bool(b) => f64::from(u8::from(*b)),
                other => return Err(err(op, format!("`cval` must be a number, got {other}"))),
            };
            match name {
                Json::Null => Mode::parse(op, default, cval),
                Json::String(s) => Mode::parse(op, s, cval),
                other => Err(err(op, format!("`mode` must be a name, got {other}"))),
            }
        })
        .collect()
}

/// Per-axis `(before, after)` amounts from a kwarg `[[before, after], ...]` (or one
/// integer for every side); `None` when absent.
pub(crate) fn pairs(
    op: &str,
    kwargs: &Kwargs,
    key: &str,
    ndim: usize,
) -> Result<Option<Vec<(usize, usize)>>, KernelError> {
    let count = |v: &Json| -> Result<usize, KernelError> {
        v.as_u64().map(|x| x as usize).ok_or_else(|| {
            err(
                op,
                format!("`{key}` entries must be non-negative integers, got {v}"),
            )
        })
    };
    match kwargs.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Array(items)) => {
            if items.len() != ndim {
                return Err(err(
                    op,
                    format!(
                        "`{key}` has {} entries for an array of {ndim} axes",
                        items.len()
                    ),
                ));
            }
            items
                .iter()
                .map(|item| match item {
                    Json::Array(pair) if pair.len() == 2 => {
                        Ok((count(&pair[0])?, count(&pair[1])?))
                    }
                    x => {
                        let c = count(x)?;
                        Ok((c, c))
                    }
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some)
        }
        Some(x) => {
            let c = count(x)?;
            Ok(Some(vec![(c, c); ndim]))
        }
    }
}

/// `x` extended by `pads[a] = (before, after)` positions on each axis `a`, filled by
/// `modes[a]`; axes are extended one after the other, so corners read the already
/// extended array (which, for these separable modes, is the same as mapping each
/// axis independently).
pub(crate) fn pad<T: Element>(
    op: &str,
    x: &ArcArray<T, IxDyn>,
    pads: &[(usize, usize)],
    modes: &[Mode],
) -> Result<ArcArray<T, IxDyn>, KernelError> {
    let mut cur = x.clone();
    for (axis, (&(before, after), &mode)) in pads.iter().zip(modes).enumerate() {
        if before == 0 && after == 0 {
            continue;
        }
        let n = cur.shape()[axis];
        if n == 0 && !matches!(mode, Mode::Constant(_)) {
            return Err(err(
                op,
                format!("cannot extend the empty axis {axis} with mode {mode:?}"),
            ));
        }
        let mut shape = cur.shape().to_vec();
        shape[axis] = n + before + after;
        let fill = match mode {
            Mode::Constant(c) => T::from_f64(c),
            _ => T::default(),
        };
        let mut out = ArrayD::from_elem(IxDyn(&shape), fill);
        // The interior in one copy, then each outside position from its source.
        out.slice_axis_mut(Axis(axis), Slice::from(before..before + n))
            .assign(&cur);
        let outside = (0..before).chain(before + n..before + n + after);
        for k in outside {
            if let Some(src) = mode.source(k as i64 - before as i64, n) {
                out.index_axis_mut(Axis(axis), k)
                    .assign(&cur.index_axis(Axis(axis), src));
            }
        }
        cur = out.into_shared();
    }
    Ok(cur)
}

fn pad_typed<T: Element>(
    op: &str,
    x: &Array,
    pads: &[(usize, usize)],
    modes: &[Mode],
) -> Result<Array, KernelError> {
    pad(op, &typed::<T>(x), pads, modes).map(T::wrap)
}

/// `overlap.pad(x, pad=[[before, after], ...], mode='reflect', cval=0)`: `x` extended
/// on each side of each axis (`numpy.pad` with scipy's mode names; `cval` is cast to
/// x's dtype as `numpy.pad` does).
pub(crate) fn pad_kernel(values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = "overlap.pad";
    args::arity(op, values, 1)?;
    let x = args::array(op, values, 0)?;
    let pads =
        pairs(op, kwargs, "pad", x.ndim())?.ok_or_else(|| err(op, "missing attribute `pad`"))?;
    let modes = modes(op, kwargs, x.ndim(), "reflect")?;
    let padded: Option<Vec<usize>> = x
        .shape()
        .iter()
        .zip(&pads)
        .map(|(&n, &(before, after))| n.checked_add(before)?.checked_add(after))
        .collect();
    let count = padded.as_deref().and_then(crate::budget::element_count);
    crate::budget::check_allocation("the padded array", &pads, count, x.dtype().size_bytes())
        .map_err(|m| err(op, m))?;
    let out = match &x {
        Array::F64(_) => pad_typed::<f64>(op, &x, &pads, &modes)?,
        Array::F32(_) => pad_typed::<f32>(op, &x, &pads, &modes)?,
        Array::I64(_) => pad_typed::<i64>(op, &x, &pads, &modes)?,
        Array::I32(_) => pad_typed::<i32>(op, &x, &pads, &modes)?,
        Array::Bool(_) => pad_typed::<bool>(op, &x, &pads, &modes)?,
    };
    Ok(Value::Array(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::layout::cast::from_vec;
    use serde_json::json;

    fn run(x: Array, kw: Json) -> Result<Vec<f64>, KernelError> {
        match pad_kernel(&[Value::Array(x)], kw.as_object().unwrap())? {
            Value::Array(a) => Ok(typed::<f64>(&a).iter().copied().collect()),
            other => panic!("{other:?}"),
        }
    }

    fn abcd() -> Array {
        from_vec(&[4], vec![1.0, 2.0, 3.0, 4.0]).unwrap()
    }

    #[test]
    fn modes_match_numpy_pad() {
        // np.pad([1, 2, 3, 4], (3, 2), mode="symmetric") == [3, 2, 1, 1, 2, 3, 4, 4, 3]
        assert_eq!(
            run(abcd(), json!({"pad": [[3, 2]], "mode": "reflect"})).unwrap(),
            vec![3.0, 2.0, 1.0, 1.0, 2.0, 3.0, 4.0, 4.0, 3.0]
        );
        // mode="wrap": [2, 3, 4, 1, 2, 3, 4, 1, 2]
        assert_eq!(
            run(abcd(), json!({"pad": [[3, 2]], "mode": "periodic"})).unwrap(),
            vec![2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0, 1.0, 2.0]
        );
        assert_eq!(
            run(abcd(), json!({"pad": [[2, 1]], "mode": "nearest"})).unwrap(),
            vec![1.0, 1.0, 1.0, 2.0, 3.0, 4.0, 4.0]
        );
        assert_eq!(
            run(abcd(), json!({"pad": 1, "mode": "constant", "cval": -1.5})).unwrap(),
            vec![-1.5, 1.0, 2.0, 3.0, 4.0, -1.5]
        );
    }

    #[test]
    fn pads_longer_than_the_axis_keep_reflecting_and_wrapping() {
        // np.pad([1, 2], 5, mode="symmetric") == [1, 1, 2, 2, 1, 1, 2, 2, 1, 1, 2, 2]
        let x = from_vec(&[2], vec![1.0, 2.0]).unwrap();
        assert_eq!(
            run(x.clone(), json!({"pad": 5, "mode": "reflect"})).unwrap(),
            vec![1.0, 1.0, 2.0, 2.0, 1.0, 1.0, 2.0, 2.0, 1.0, 1.0, 2.0, 2.0]
        );
        // np.pad([1, 2], 3, mode="wrap") == [2, 1, 2, 1, 2, 1, 2, 1]
        assert_eq!(
            run(x, json!({"pad": 3, "mode": "wrap"})).unwrap(),
            vec![2.0, 1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 1.0]
        );
    }

    #[test]
    fn per_axis_modes_and_corners() {
        // [[1, 2], [3, 4]], axis 0 constant 9, axis 1 nearest: corners are 9.
        let x = from_vec(&[2, 2], vec![1i64, 2, 3, 4]).unwrap();
        let out = pad_kernel(
            &[Value::Array(x)],
            json!({"pad": [[1, 0], [0, 1]], "mode": ["constant", "nearest"], "cval": [9, 0]})
                .as_object()
                .unwrap(),
        )
        .unwrap();
        let Value::Array(Array::I64(a)) = out else {
            panic!("{out:?}")
        };
        assert_eq!(a.shape(), &[3, 3]);
        assert_eq!(
            a.iter().copied().collect::<Vec<_>>(),
            vec![9, 9, 9, 1, 2, 2, 3, 4, 4]
        );
    }

    #[test]
    fn bad_attributes_are_errors() {
        assert!(run(abcd(), json!({"mode": "reflect"})).is_err());
        assert!(run(abcd(), json!({"pad": 1, "mode": "mirror-ish"})).is_err());
        assert!(run(abcd(), json!({"pad": [[1, 1], [1, 1]]})).is_err());
        assert!(run(abcd(), json!({"pad": -1})).is_err());
        let empty = from_vec::<f64>(&[0], vec![]).unwrap();
        assert!(run(empty.clone(), json!({"pad": 1, "mode": "reflect"})).is_err());
        assert_eq!(
            run(empty, json!({"pad": 1, "mode": "constant"})).unwrap(),
            vec![0.0, 0.0]
        );
    }

    #[test]
    fn source_positions() {
        assert_eq!(Mode::Reflect.source(-1, 3), Some(0));
        assert_eq!(Mode::Reflect.source(3, 3), Some(2));
        assert_eq!(Mode::Reflect.source(6, 3), Some(0));
        assert_eq!(Mode::Wrap.source(-1, 3), Some(2));
        assert_eq!(Mode::Nearest.source(7, 3), Some(2));
        assert_eq!(Mode::Constant(1.0).source(-1, 3), None);
        assert_eq!(Mode::Constant(1.0).source(1, 3), Some(1));
    }
}
