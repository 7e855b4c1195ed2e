//! Op conformance against NumPy and SciPy: every case of
//! `tests/fixtures/conformance/` (made by `gen_conformance.py`) is computed through
//! the library, chunked as the document says and as whole arrays, and every output
//! is compared with what NumPy computed: same dtype, same shape, values within the
//! case's relative tolerance (NaN where NumPy has NaN).

use std::fs::File;
use std::path::{Path, PathBuf};

use ndarray::ArrayD;
use ndarray_npy::ReadNpyExt;
use tessera::compiler::LowerOptions;
use tessera::compute::{ComputeOptions, compute_graph};
use tessera::ir::parse_and_validate;
use tessera::run::infer_context;
use tessera::runtime::{Array, Value};
use tessera::source::Source;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/conformance")
}

fn read_expected(path: &Path) -> Result<Array, String> {
    let open = || File::open(path).map_err(|e| format!("{}: {e}", path.display()));
    if let Ok(a) = ArrayD::<f64>::read_npy(open()?) {
        return Ok(Array::from(a));
    }
    if let Ok(a) = ArrayD::<f32>::read_npy(open()?) {
        return Ok(Array::from(a));
    }
    if let Ok(a) = ArrayD::<i64>::read_npy(open()?) {
        return Ok(Array::from(a));
    }
    if let Ok(a) = ArrayD::<i32>::read_npy(open()?) {
        return Ok(Array::from(a));
    }
    ArrayD::<bool>::read_npy(open()?)
        .map(Array::from)
        .map_err(|e| format!("{}: {e}", path.display()))
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

/// Compares one output; `None` when equal within `rtol`.
fn compare(got: &Value, expected: &Array, rtol: f64) -> Option<String> {
    let Value::Array(got) = got else {
        return Some(format!("expected an array, got a {}", got.type_name()));
    };
    if got.dtype() != expected.dtype() {
        return Some(format!(
            "dtype {} instead of {}",
            got.dtype(),
            expected.dtype()
        ));
    }
    if got.shape() != expected.shape() {
        return Some(format!(
            "shape {:?} instead of {:?}",
            got.shape(),
            expected.shape()
        ));
    }
    let (g, e) = (as_f64(got), as_f64(expected));
    for (i, (&g, &e)) in g.iter().zip(&e).enumerate() {
        let same = (g.is_nan() && e.is_nan())
            || g == e
            || (g - e).abs() <= rtol * e.abs().max(1e-300) + rtol * 1e-3;
        if !same {
            return Some(format!("element {i} (flat) is {g:e}, NumPy has {e:e}"));
        }
    }
    None
}

fn run_case(name: &str, rtol: f64, whole_arrays: bool) -> Vec<String> {
    let folder = fixtures().join(name);
    let source = match Source::load(folder.join("graph.json").to_str().expect("utf-8 path")) {
        Ok(s) => s,
        Err(e) => return vec![format!("{name}: {e}")],
    };
    let files = infer_context(&source, None);
    let graph = match parse_and_validate(source.text(), &files) {
        Ok(g) => g,
        Err(faults) => return vec![format!("{name}: invalid: {faults}")],
    };
    let options = ComputeOptions {
        lower: LowerOptions {
            whole_arrays,
            files,
            ..LowerOptions::default()
        },
        threads: Some(2),
        ..ComputeOptions::default()
    };
    let computed = match compute_graph(&graph, &options) {
        Ok(c) => c,
        Err(e) => return vec![format!("{name}: {e}")],
    };
    let mut failures = Vec::new();
    for (id, value) in &computed.outputs {
        let expected = match read_expected(&folder.join("expected").join(format!("{id}.npy"))) {
            Ok(a) => a,
            Err(e) => {
                failures.push(format!("{name}/{id}: {e}"));
                continue;
            }
        };
        if let Some(diff) = compare(value, &expected, rtol) {
            let mode = if whole_arrays { "whole" } else { "chunked" };
            failures.push(format!("{name}/{id} ({mode}): {diff}"));
        }
    }
    failures
}

#[test]
fn every_case_matches_numpy_chunked_and_whole() {
    let index = std::fs::read_to_string(fixtures().join("cases.json")).expect("cases.json");
    let cases: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&index).expect("cases.json is an object");
    assert!(cases.len() > 100, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for (name, meta) in &cases {
        let rtol = meta["rtol"].as_f64().expect("rtol");
        failures.extend(run_case(name, rtol, false));
        failures.extend(run_case(name, rtol, true));
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
