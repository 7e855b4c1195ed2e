//! `mean var std` on whole arrays, and their tree reduction through (count, mean, M2) partials combined with Chan's formula.

use ndarray::{ArcArray, IxDyn};
use serde_json::Map;
use tessera_ir::DType;

use super::args::{self, Kwargs, err};
use super::common::{Reduction, build, drop_axes};
use super::lanes::{map_lanes, reduced_shape};
use super::pairwise::pairwise_sum;
use crate::kernels::KernelError;
use crate::kernels::layout::cast::{Element, cast, typed};
use crate::value::{Array, Value};

/// Count, mean and sum of squared deviations of one lane (or of a merged group).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Moments {
    n: f64,
    mean: f64,
    m2: f64,
}

impl Moments {
    /// Two-pass moments of a lane, with pairwise sums (NumPy's algorithm for
    /// `mean` and `var`). An empty lane has n = 0 and mean = m2 = 0.
    fn of<T: Element>(lane: &[T], with_m2: bool) -> Moments {
        if lane.is_empty() {
            return Moments {
                n: 0.0,
                mean: 0.0,
                m2: 0.0,
            };
        }
        let n = lane.len() as f64;
        let mean = pairwise_sum(lane, &|v: T| v.to_f64()) / n;
        let m2 = if with_m2 {
            pairwise_sum(lane, &|v: T| {
                let d = v.to_f64() - mean;
                d * d
            })
        } else {
            0.0
        };
        Moments { n, mean, m2 }
    }

    /// Chan, Golub and LeVeque's parallel merge of two groups.
    fn merge(self, b: Moments) -> Moments {
        if b.n == 0.0 {
            return self;
        }
        if self.n == 0.0 {
            return b;
        }
        let n = self.n + b.n;
        let delta = b.mean - self.mean;
        Moments {
            n,
            mean: self.mean + delta * (b.n / n),
            m2: self.m2 + b.m2 + delta * delta * (self.n * b.n / n),
        }
    }

    fn mean(self) -> f64 {
        if self.n == 0.0 { f64::NAN } else { self.mean }
    }

    /// NumPy's `var`: M2 / max(n - ddof, 0) (so inf or NaN when ddof ≥ n).
    fn var(self, ddof: f64) -> f64 {
        if self.n == 0.0 {
            return f64::NAN;
        }
        self.m2 / (self.n - ddof).max(0.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stat {
    Mean,
    Var,
    Std,
}

impl Stat {
    fn name(self) -> &'static str {
        match self {
            Stat::Mean => "mean",
            Stat::Var => "var",
            Stat::Std => "std",
        }
    }

    fn value(self, m: Moments, ddof: f64) -> f64 {
        match self {
            Stat::Mean => m.mean(),
            Stat::Var => m.var(ddof),
            Stat::Std => m.var(ddof).sqrt(),
        }
    }
}

/// NumPy's result dtype of mean/var/std: float32 stays float32, the rest is float64.
fn result_dtype(input: DType) -> DType {
    if input == DType::Float32 {
        DType::Float32
    } else {
        DType::Float64
    }
}

fn lane_moments(x: &Array, axes: &[usize], with_m2: bool) -> Vec<Moments> {
    crate::with_array!(x, a => map_lanes(a, axes, |l| Moments::of(l, with_m2)))
}

fn whole(stat: Stat, values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let op = stat.name();
    let r = Reduction::parse(op, values, kwargs)?;
    let ddof = args::float(op, kwargs, "ddof")?.unwrap_or(0.0);
    let moments = lane_moments(&r.x, &r.axes, stat != Stat::Mean);
    let out: Vec<f64> = moments.into_iter().map(|m| stat.value(m, ddof)).collect();
    let shape = reduced_shape(r.x.shape(), &r.axes, r.keepdims);
    let out = build(op, &shape, out)?;
    Ok(Value::Array(cast(&out, result_dtype(r.x.dtype()))))
}

fn moments_value(
    op: &str,
    shape: &[usize],
    ms: &[Moments],
    with_m2: bool,
) -> Result<Value, KernelError> {
    let mut parts = vec![
        Value::Array(build(op, shape, ms.iter().map(|m| m.n).collect())?),
        Value::Array(build(op, shape, ms.iter().map(|m| m.mean).collect())?),
    ];
    if with_m2 {
        parts.push(Value::Array(build(
            op,
            shape,
            ms.iter().map(|m| m.m2).collect(),
        )?));
    }
    Ok(Value::Tuple(parts.into()))
}

/// Reads a (count, mean[, M2]) partial: its shape, moments, and whether M2 is there.
fn read_partial(op: &str, v: &Value) -> Result<(Vec<usize>, Vec<Moments>, bool), KernelError> {
    let parts = match v {
        Value::Tuple(p) | Value::List(p) if p.len() == 2 || p.len() == 3 => p,
        other => {
            return Err(err(
                op,
                format!("expected a (count, mean[, M2]) partial, got {other:?}"),
            ));
        }
    };
    let arrays: Vec<ArcArray<f64, IxDyn>> = parts
        .iter()
        .map(|p| match p {
            Value::Array(a) => Ok(typed::<f64>(a)),
            other => Err(err(
                op,
                format!("partial parts must be arrays, got a {}", other.type_name()),
            )),
        })
        .collect::<Result<_, _>>()?;
    let shape = arrays[0].shape().to_vec();
    if arrays.iter().any(|a| a.shape() != shape.as_slice()) {
        return Err(err(op, "the parts of a partial have different shapes"));
    }
    let with_m2 = arrays.len() == 3;
    let m2: Vec<f64> = if with_m2 {
        arrays[2].iter().copied().collect()
    } else {
        vec![0.0; arrays[0].len()]
    };
    let ms = arrays[0]
        .iter()
        .zip(arrays[1].iter())
        .zip(m2)
        .map(|((&n, &mean), m2)| Moments { n, mean, m2 })
        .collect::<Vec<_>>();
    Ok((shape, ms, with_m2))
}

fn partial(stat: Stat, op: &str, values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    let r = Reduction::parse(op, values, kwargs)?;
    let with_m2 = stat != Stat::Mean;
    let ms = lane_moments(&r.x, &r.axes, with_m2);
    moments_value(op, &reduced_shape(r.x.shape(), &r.axes, true), &ms, with_m2)
}

fn combine(op: &str, values: &[Value]) -> Result<Value, KernelError> {
    args::arity(op, values, 1)?;
    let items = match &values[0] {
        Value::List(items) => items.clone(),
        other => {
            return Err(err(
                op,
                format!("expected a list of partials, got a {}", other.type_name()),
            ));
        }
    };
    let mut acc: Option<(Vec<usize>, Vec<Moments>, bool)> = None;
    for (i, item) in items.iter().enumerate() {
        let (shape, ms, with_m2) = read_partial(op, item)?;
        acc = Some(match acc {
            None => (shape, ms, with_m2),
            Some((s, a, w)) => {
                if s != shape {
                    return Err(err(
                        op,
                        format!("partial {i} has shape {shape:?}, partial 0 has shape {s:?}"),
                    ));
                }
                let merged = a.iter().zip(&ms).map(|(x, y)| x.merge(*y)).collect();
                (s, merged, w && with_m2)
            }
        });
    }
    let (shape, ms, with_m2) = acc.ok_or_else(|| err(op, "no partials to combine"))?;
    moments_value(op, &shape, &ms, with_m2)
}

fn finalize(stat: Stat, op: &str, values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    args::arity(op, values, 1)?;
    let (shape, ms, with_m2) = read_partial(op, &values[0])?;
    if stat != Stat::Mean && !with_m2 {
        return Err(err(
            op,
            "a (count, mean) partial has no M2 to compute a variance from",
        ));
    }
    let ddof = args::float(op, kwargs, "ddof")?.unwrap_or(0.0);
    let dtype = args::dtype(op, kwargs, "dtype")?.unwrap_or(DType::Float64);
    let out = build(
        op,
        &shape,
        ms.iter().map(|m| stat.value(*m, ddof)).collect(),
    )?;
    let axes =
        args::axes(op, kwargs, "axis", shape.len())?.unwrap_or_else(|| (0..shape.len()).collect());
    let keepdims = args::boolean(op, kwargs, "keepdims", false)?;
    let out = drop_axes(op, out, &axes, keepdims)?;
    Ok(Value::Array(cast(&out, dtype)))
}

macro_rules! family {
    ($stat:expr, $whole:ident, $partial:ident, $combine:ident, $finalize:ident, $name:literal) => {
        fn $whole(v: &[Value], k: &Map<String, serde_json::Value>) -> Result<Value, KernelError> {
            whole($stat, v, k)
        }
        fn $partial(v: &[Value], k: &Map<String, serde_json::Value>) -> Result<Value, KernelError> {
            partial($stat, concat!($name, "-partial"), v, k)
        }
        fn $combine(
            v: &[Value],
            _k: &Map<String, serde_json::Value>,
        ) -> Result<Value, KernelError> {
            combine(concat!($name, "-combine"), v)
        }
        fn $finalize(
            v: &[Value],
            k: &Map<String, serde_json::Value>,
        ) -> Result<Value, KernelError> {
            finalize($stat, concat!($name, "-finalize"), v, k)
        }
    };
}
family!(
    Stat::Mean,
    mean,
    mean_partial,
    mean_combine,
    mean_finalize,
    "mean"
);
family!(
    Stat::Var,
    var,
    var_partial,
    var_combine,
    var_finalize,
    "var"
);
family!(
    Stat::Std,
    std,
    std_partial,
    std_combine,
    std_finalize,
    "std"
);

/// The kernels of this file.
pub(crate) fn kernels() -> Vec<(&'static str, &'static str, crate::kernels::KernelFn)> {
    vec![
        ("mean", "mean(x, axis=None, keepdims=False)", mean),
        ("var", "var(x, axis=None, keepdims=False, ddof=0)", var),
        ("std", "std(x, axis=None, keepdims=False, ddof=0)", std),
        (
            "mean-partial",
            "mean-partial(block, axis=None) -> (count, mean)",
            mean_partial,
        ),
        (
            "var-partial",
            "var-partial(block, axis=None) -> (count, mean, M2)",
            var_partial,
        ),
        (
            "std-partial",
            "std-partial(block, axis=None) -> (count, mean, M2)",
            std_partial,
        ),
        (
            "mean-combine",
            "mean-combine([(count, mean[, M2]), ...]) -> partial (Chan)",
            mean_combine,
        ),
        (
            "var-combine",
            "var-combine([(count, mean, M2), ...]) -> partial (Chan)",
            var_combine,
        ),
        (
            "std-combine",
            "std-combine([(count, mean, M2), ...]) -> partial (Chan)",
            std_combine,
        ),
        (
            "mean-finalize",
            "mean-finalize(partial, axis=None, keepdims=False, dtype='float64')",
            mean_finalize,
        ),
        (
            "var-finalize",
            "var-finalize(partial, axis=None, keepdims=False, ddof=0, dtype='float64')",
            var_finalize,
        ),
        (
            "std-finalize",
            "std-finalize(partial, axis=None, keepdims=False, ddof=0, dtype='float64')",
            std_finalize,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::layout::cast::from_vec;
    use serde_json::json;

    fn kw(v: serde_json::Value) -> Kwargs {
        v.as_object().cloned().unwrap()
    }

    fn f64s(v: &Value) -> (Vec<usize>, Vec<f64>) {
        let Value::Array(a) = v else { panic!("{v:?}") };
        let x = typed::<f64>(a);
        (x.shape().to_vec(), x.iter().copied().collect())
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1.0)
    }

    #[test]
    fn mean_var_std_hand_computed() {
        let x = Value::Array(from_vec(&[2, 3], vec![1i64, 2, 3, 4, 5, 9]).unwrap());
        assert_eq!(
            f64s(&mean(std::slice::from_ref(&x), &kw(json!({}))).unwrap()),
            (vec![], vec![4.0])
        );
        assert_eq!(
            f64s(&mean(std::slice::from_ref(&x), &kw(json!({"axis": 1}))).unwrap()).1,
            vec![2.0, 6.0]
        );
        // Row 1: 4, 5, 9 has mean 6 and squared deviations 4 + 1 + 9 = 14.
        let v = f64s(
            &var(
                std::slice::from_ref(&x),
                &kw(json!({"axis": -1, "ddof": 1})),
            )
            .unwrap(),
        )
        .1;
        assert_eq!(v, vec![1.0, 7.0]);
        let s = f64s(
            &std(
                std::slice::from_ref(&x),
                &kw(json!({"axis": 1, "keepdims": true})),
            )
            .unwrap(),
        );
        assert_eq!(s.0, vec![2, 1]);
        assert!(close(s.1[1], (14.0f64 / 3.0).sqrt()));
    }

    #[test]
    fn dtypes_empty_and_ddof_edge_cases() {
        let f = Value::Array(from_vec(&[2], vec![1f32, 2.0]).unwrap());
        let Value::Array(m) = mean(&[f], &kw(json!({}))).unwrap() else {
            panic!()
        };
        assert_eq!(m.dtype(), DType::Float32);
        let b = Value::Array(from_vec(&[2], vec![true, false]).unwrap());
        let Value::Array(m) = mean(&[b], &kw(json!({}))).unwrap() else {
            panic!()
        };
        assert_eq!(m.dtype(), DType::Float64);
        let e = Value::Array(from_vec::<f64>(&[0], vec![]).unwrap());
        assert!(f64s(&mean(std::slice::from_ref(&e), &kw(json!({}))).unwrap()).1[0].is_nan());
        assert!(f64s(&var(&[e], &kw(json!({}))).unwrap()).1[0].is_nan());
        let one = Value::Array(from_vec(&[1], vec![3.0f64]).unwrap());
        // ddof >= n: M2 = 0 over 0 is NaN, as NumPy.
        assert!(f64s(&var(&[one], &kw(json!({"ddof": 1}))).unwrap()).1[0].is_nan());
        let two = Value::Array(from_vec(&[2], vec![1.0f64, 3.0]).unwrap());
        assert_eq!(
            f64s(&var(&[two], &kw(json!({"ddof": 2}))).unwrap()).1[0],
            f64::INFINITY
        );
        let nan = Value::Array(from_vec(&[2], vec![1.0f64, f64::NAN]).unwrap());
        assert!(f64s(&std(&[nan], &kw(json!({}))).unwrap()).1[0].is_nan());
    }

    #[test]
    fn chan_tree_matches_whole_array_and_is_stable() {
        // Large offset, small spread: a naive sum-of-squares formula loses everything here.
        let data: Vec<f64> = (0..1000)
            .map(|i| 1e9 + ((i * 37) % 101) as f64 * 0.01)
            .collect();
        let x = Value::Array(from_vec(&[1000], data.clone()).unwrap());
        let blocks: Vec<Value> = data
            .chunks(130)
            .map(|c| Value::Array(from_vec(&[c.len()], c.to_vec()).unwrap()))
            .collect();
        type Family = [crate::kernels::KernelFn; 4];
        let families: [(&str, Family); 3] = [
            ("mean", [mean, mean_partial, mean_combine, mean_finalize]),
            ("var", [var, var_partial, var_combine, var_finalize]),
            ("std", [std, std_partial, std_combine, std_finalize]),
        ];
        for (name, [w, p, c, f]) in families {
            let k = kw(json!({"ddof": 1}));
            let want = f64s(&w(std::slice::from_ref(&x), &k).unwrap()).1[0];
            if name == "var" {
                // np.var(x, ddof=1) gives exactly this (the exact value is 0.08522982142674311).
                assert_eq!(want, 0.08522982142676157);
            }
            let parts: Vec<Value> = blocks
                .iter()
                .map(|b| p(std::slice::from_ref(b), &k).unwrap())
                .collect();
            // Two levels: groups of 3, then the root.
            let level1: Vec<Value> = parts
                .chunks(3)
                .map(|g| c(&[Value::List(g.to_vec().into())], &k).unwrap())
                .collect();
            let root = c(&[Value::List(level1.into())], &k).unwrap();
            let got = f64s(&f(&[root], &k).unwrap());
            assert_eq!(got.0, Vec::<usize>::new());
            // The data's condition number is ~1e19 (mean 1e9, spread 0.3): the per-block
            // means carry ~1e-7 absolute rounding, which bounds what any merge can do.
            // A one-pass sum-of-squares formula would be off by more than 100%.
            assert!(
                (got.1[0] - want).abs() <= 1e-7 * want.abs(),
                "{got:?} vs {want}"
            );
        }
    }

    #[test]
    fn partials_keep_dims_and_finalize_respects_axis_and_dtype() {
        let x = Value::Array(from_vec(&[2, 2], vec![1.0f32, 2.0, 3.0, 5.0]).unwrap());
        let p = var_partial(&[x], &kw(json!({"axis": 0}))).unwrap();
        let Value::Tuple(parts) = &p else { panic!() };
        assert_eq!(f64s(&parts[0]), (vec![1, 2], vec![2.0, 2.0]));
        let out = var_finalize(&[p], &kw(json!({"axis": 0, "dtype": "float32"}))).unwrap();
        let Value::Array(a) = &out else { panic!() };
        assert_eq!(a.dtype(), DType::Float32);
        assert_eq!(f64s(&out), (vec![2], vec![1.0, 2.25]));
        let m = mean_partial(
            &[Value::Array(from_vec(&[1], vec![1.0]).unwrap())],
            &kw(json!({})),
        )
        .unwrap();
        assert!(var_finalize(&[m], &kw(json!({}))).is_err());
    }
}
