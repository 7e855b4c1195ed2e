//! The kernels against NumPy 2: result dtypes of every op for every dtype
//! combination (arrays and weak scalars) and values on edge cases, as recorded in
//! `runtime/tests/fixtures/elementwise/numpy.json` by `gen_elementwise.py`.

use ndarray::{ArrayD, IxDyn};
use serde_json::Value as J;
use tessera_ir::DType;

use super::elem::{Elem, with_elem};
use super::kernels;
use crate::kernels::KernelFn;
use crate::value::{Array, Value};

const FIXTURE: &str = include_str!("../../../tests/fixtures/elementwise/numpy.json");

/// Ops whose float results come from libm-style approximations: NumPy's and ours
/// may differ by a few ulp. Everything else must match bit for bit.
const APPROXIMATE: &[&str] = &[
    "exp", "expm1", "exp2", "log", "log1p", "log2", "log10", "cbrt", "sin", "cos", "tan", "arcsin",
    "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "power",
    "arctan2", "hypot",
];
const MAX_ULPS: u64 = 4;

fn fixture() -> J {
    serde_json::from_str(FIXTURE).expect("the fixture is valid JSON")
}

fn kernel(name: &str) -> KernelFn {
    kernels()
        .into_iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, _, f)| f)
        .unwrap_or_else(|| panic!("no kernel {name}"))
}

fn number(v: &J) -> f64 {
    match v {
        // Floats are written as text so that they are parsed correctly rounded.
        J::String(s) => s.parse().unwrap_or_else(|_| panic!("bad number {s}")),
        J::Number(n) => n.as_f64().unwrap(),
        J::Bool(b) => f64::from(u8::from(*b)),
        other => panic!("bad number {other}"),
    }
}

fn element<T: Elem>(v: &J) -> T {
    match v {
        J::Bool(b) => T::from_bool(*b),
        J::Number(n) if n.is_i64() => T::from_i64(n.as_i64().unwrap()),
        other => T::from_f64(number(other)),
    }
}

fn array(spec: &J) -> Array {
    let dtype = DType::from_name(spec["dtype"].as_str().unwrap()).unwrap();
    let shape: Vec<usize> = spec["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap() as usize)
        .collect();
    let data = spec["data"].as_array().unwrap();
    with_elem!(dtype, T => T::wrap(
        ArrayD::from_shape_vec(IxDyn(&shape), data.iter().map(element::<T>).collect())
            .unwrap()
            .into_shared()
    ))
}

fn arg(spec: &J) -> Value {
    match spec.get("weak") {
        None => Value::Array(array(spec)),
        Some(J::Bool(b)) => Value::Bool(*b),
        Some(J::Number(n)) if n.is_i64() => Value::Int(n.as_i64().unwrap()),
        Some(other) => Value::Float(number(other)),
    }
}

fn ones(dtype: &str) -> Value {
    let d = DType::from_name(dtype).unwrap();
    with_elem!(d, T => Value::Array(T::wrap(
        ArrayD::from_elem(IxDyn(&[2]), T::from_i64(1)).into_shared()
    )))
}

fn weak_one(kind: &str) -> Value {
    match kind {
        "bool" => Value::Bool(true),
        "int" => Value::Int(2),
        "float" => Value::Float(1.5),
        other => ones(other),
    }
}

/// The dtype name of a kernel's result, or `"error"`.
fn result_dtype(op: &str, args: &[Value], attrs: &serde_json::Map<String, J>) -> String {
    match kernel(op)(args, attrs) {
        Ok(Value::Array(a)) => a.dtype().name().to_string(),
        Ok(other) => format!("non-array {other:?}"),
        Err(_) => "error".to_string(),
    }
}

fn ulps(a: f64, b: f64) -> u64 {
    let key = |x: f64| {
        let i = x.to_bits() as i64;
        if i < 0 { i64::MIN - i } else { i }
    };
    (i128::from(key(a)) - i128::from(key(b))).unsigned_abs() as u64
}

/// Compares element `i`; `None` when equal.
fn mismatch<T: Elem>(op: &str, got: T, want: T) -> Option<String> {
    let (g, w) = (got.cast::<f64>(), want.cast::<f64>());
    let same = if T::DTYPE.is_float() {
        if g.is_nan() || w.is_nan() {
            g.is_nan() && w.is_nan()
        } else if APPROXIMATE.contains(&op) {
            let tolerance = if T::DTYPE == DType::Float32 {
                // Distances in f32 ulps are 2^29 f64 ulps.
                MAX_ULPS << 29
            } else {
                MAX_ULPS
            };
            ulps(g, w) <= tolerance
        } else {
            g.to_bits() == w.to_bits()
        }
    } else {
        got == want
    };
    (!same).then(|| format!("got {got:?}, NumPy {want:?}"))
}

fn compare(op: &str, got: &Array, want: &Array) -> Result<(), String> {
    if got.dtype() != want.dtype() {
        return Err(format!("dtype {} vs NumPy {}", got.dtype(), want.dtype()));
    }
    if got.shape() != want.shape() {
        return Err(format!(
            "shape {:?} vs NumPy {:?}",
            got.shape(),
            want.shape()
        ));
    }
    with_elem!(got.dtype(), T => {
        let (g, w) = (T::unwrap(got).unwrap(), T::unwrap(want).unwrap());
        for (i, (&a, &b)) in g.iter().zip(w.iter()).enumerate() {
            if let Some(m) = mismatch(op, a, b) {
                return Err(format!("element {i}: {m}"));
            }
        }
        Ok(())
    })
}

fn report(failures: &[String], total: usize) {
    assert!(
        failures.is_empty(),
        "{} of {total} checks differ from NumPy:\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn result_dtypes_match_numpy_for_every_combination() {
    let fx = fixture();
    let none = serde_json::Map::new();
    let mut failures = Vec::new();
    let mut total = 0;
    for (op, table) in fx["dtypes"].as_object().unwrap() {
        for (key, want) in table.as_object().unwrap() {
            let dts: Vec<&str> = key.split(',').collect();
            let args: Vec<Value> = match (op.as_str(), dts.as_slice()) {
                ("where", [d, e]) => vec![ones("bool"), ones(d), ones(e)],
                ("clip", [d, e]) => vec![ones(d), ones(e), ones(e)],
                (_, ds) => ds.iter().map(|d| ones(d)).collect(),
            };
            total += 1;
            let got = result_dtype(op, &args, &none);
            if got != want.as_str().unwrap() {
                failures.push(format!("{op}({key}): {got} vs NumPy {want}"));
            }
        }
    }
    for (op, table) in fx["weak_dtypes"].as_object().unwrap() {
        for (key, want) in table.as_object().unwrap() {
            let args: Vec<Value> = key.split(',').map(weak_one).collect();
            total += 1;
            let got = result_dtype(op, &args, &none);
            if got != want.as_str().unwrap() {
                failures.push(format!("{op}({key}): {got} vs NumPy {want}"));
            }
        }
    }
    assert!(
        total > 600,
        "the fixture covers every combination ({total})"
    );
    report(&failures, total);
}

#[test]
fn values_match_numpy_on_edge_cases() {
    let fx = fixture();
    let cases = fx["cases"].as_array().unwrap();
    let mut failures = Vec::new();
    for case in cases {
        let op = case["op"].as_str().unwrap();
        let args: Vec<Value> = case["args"].as_array().unwrap().iter().map(arg).collect();
        let mut attrs = serde_json::Map::new();
        if let Some(d) = case.get("dtype") {
            attrs.insert("dtype".into(), d.clone());
        }
        let got = kernel(op)(&args, &attrs);
        let want = &case["out"];
        let outcome = match (got, want.get("error")) {
            (Err(_), Some(_)) => Ok(()),
            (Err(e), None) => Err(format!("error `{e}`, NumPy gives a result")),
            (Ok(_), Some(e)) => Err(format!("a result, NumPy raises {e}")),
            (Ok(Value::Array(g)), None) => compare(op, &g, &array(want)),
            (Ok(other), None) => Err(format!("non-array result {other:?}")),
        };
        if let Err(why) = outcome {
            let shown: Vec<String> = args.iter().map(|a| format!("{a:?}")).collect();
            failures.push(format!("{op}({}): {why}", shown.join(", ")));
        }
    }
    assert!(cases.len() > 500, "the fixture has cases ({})", cases.len());
    report(&failures, cases.len());
}
