//! Differential tests of the array kernels against NumPy 2 / SciPy results stored as
//! `.npy` fixtures (written by `tests/fixtures/gen_kernels.py`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use tessera_runtime::kernels::{KernelFn, layout, linalg, npy, random, reduce, scan};
use tessera_runtime::{Array, Value};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kernels")
}

fn registry() -> HashMap<&'static str, KernelFn> {
    let mut all = Vec::new();
    for list in [
        reduce::kernels(),
        scan::kernels(),
        layout::kernels(),
        linalg::kernels(),
        random::kernels(),
        npy::kernels(),
    ] {
        all.extend(list);
    }
    let mut map = HashMap::new();
    for (name, _, f) in all {
        assert!(
            map.insert(name, f).is_none(),
            "kernel {name} is listed twice"
        );
    }
    map
}

fn load(name: &str) -> Array {
    npy::read_npy(&fixtures().join(name)).unwrap_or_else(|e| panic!("{e}"))
}

fn as_f64(a: &Array) -> Vec<f64> {
    match a {
        Array::F64(x) => x.iter().copied().collect(),
        Array::F32(x) => x.iter().map(|&v| v as f64).collect(),
        Array::I64(x) => x.iter().map(|&v| v as f64).collect(),
        Array::I32(x) => x.iter().map(|&v| v as f64).collect(),
        Array::Bool(x) => x.iter().map(|&v| v as u8 as f64).collect(),
    }
}

#[test]
fn kernels_match_numpy_fixtures() {
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("manifest.json")).unwrap())
            .unwrap();
    let kernels = registry();
    let mut failures = Vec::new();
    let cases = manifest.as_array().unwrap();
    for (i, case) in cases.iter().enumerate() {
        let op = case["op"].as_str().unwrap();
        let f = kernels.get(op).unwrap_or_else(|| panic!("no kernel {op}"));
        let args: Vec<Value> = case["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| match a {
                serde_json::Value::String(s) => Value::Array(load(s)),
                serde_json::Value::Array(list) => Value::List(
                    list.iter()
                        .map(|s| Value::Array(load(s.as_str().unwrap())))
                        .collect::<Vec<_>>()
                        .into(),
                ),
                other => panic!("bad arg {other}"),
            })
            .collect();
        let mut kwargs = case["kwargs"].as_object().unwrap().clone();
        let item = kwargs.remove("item").and_then(|v| v.as_u64());
        let got = match f(&args, &kwargs) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("case {i} {op} {kwargs:?}: error {e}"));
                continue;
            }
        };
        let got = match (got, item) {
            (Value::Tuple(parts), Some(k)) => parts[k as usize].clone(),
            (v, _) => v,
        };
        let Value::Array(got) = got else {
            failures.push(format!("case {i} {op}: not an array"));
            continue;
        };
        let want = load(case["expected"].as_str().unwrap());
        let (rtol, atol) = (
            case["rtol"].as_f64().unwrap(),
            case["atol"].as_f64().unwrap(),
        );
        if got.shape() != want.shape() || got.dtype() != want.dtype() {
            failures.push(format!(
                "case {i} {op} {kwargs:?}: got {} {:?}, want {} {:?}",
                got.dtype(),
                got.shape(),
                want.dtype(),
                want.shape()
            ));
            continue;
        }
        let bad = as_f64(&got).iter().zip(as_f64(&want)).position(|(&g, w)| {
            !((g.is_nan() && w.is_nan()) || g == w || (g - w).abs() <= atol + rtol * w.abs())
        });
        if let Some(k) = bad {
            failures.push(format!(
                "case {i} {op} {kwargs:?}: element {k}: got {}, want {}",
                as_f64(&got)[k],
                as_f64(&want)[k]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn long_float64_sum_matches_numpy() {
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("long_sum.json")).unwrap())
            .unwrap();
    let n = expected["n"].as_u64().unwrap() as usize;
    let data: Vec<f64> = (0..n as u64)
        .map(|i| ((i.wrapping_mul(2654435761)) % (1 << 32)) as f64 / 2f64.powi(32) - 0.5)
        .collect();
    let x = Value::Array(Array::from(
        ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[n]), data).unwrap(),
    ));
    let kernels = registry();
    let kwargs = serde_json::Map::new();
    for op in ["sum", "mean", "var"] {
        let Value::Array(Array::F64(got)) = kernels[op](std::slice::from_ref(&x), &kwargs).unwrap()
        else {
            panic!()
        };
        let want = expected[op].as_f64().unwrap();
        let got = got[[]];
        // Same pairwise algorithm as NumPy: agreement far inside the 1e-12 budget.
        assert!(
            (got - want).abs() <= 1e-12 * want.abs(),
            "{op}: {got} vs {want}"
        );
    }
}
