//! Scheduling of tile DAGs: W3's blocked Cholesky (4000 × 4000, chunks 1000) with
//! the default memory-aware policy (`dask-order`) holds at most twice the matrix's
//! bytes at once, and runs the POTRF/TRSM chain (the critical path) first. Chunks
//! of 1000 are factored in tiles of 500 (`MAX_TILE`), so the order is checked on
//! the 8 × 8 tile grid. Peak bytes and the order of tasks come from the run's trace.

use ndarray::{ArrayD, IxDyn};
use serde_json::Value as Json;
use tessera::compute::ComputeOptions;
use tessera::runtime::Trace;
use tessera::{Array, linalg};

/// A symmetric, strictly diagonally dominant (so positive definite) n × n matrix.
fn spd(n: usize) -> ArrayD<f64> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut a = ArrayD::<f64>::zeros(IxDyn(&[n, n]));
    for i in 0..n {
        for j in 0..=i {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let v = (state >> 11) as f64 / (1u64 << 53) as f64;
            a[[i, j]] = v;
            a[[j, i]] = v;
        }
        a[[i, i]] += n as f64;
    }
    a
}

/// Task events `(start, key)` in the order they started, and the most bytes held.
fn run(a: &ArrayD<f64>, chunks: usize, executor: &str) -> (Vec<String>, f64) {
    let x = Array::from_ndarray(a.clone(), chunks).unwrap();
    let l = linalg::cholesky(&x).unwrap();
    let trace = Trace::new();
    let options = ComputeOptions {
        executor: executor.into(),
        threads: Some(2),
        trace: Some(&trace),
        ..ComputeOptions::default()
    };
    let got = l.compute_with::<f64>(&options).unwrap();
    // The factor is right: L Lᵀ reproduces a few entries of A.
    for (i, j) in [(0, 0), (1234, 17), (3999, 3998), (2500, 2500)] {
        let s: f64 = (0..=j.min(i)).map(|k| got[[i, k]] * got[[j, k]]).sum();
        assert!((s - a[[i, j]]).abs() < 1e-9 * a[[i, i]], "({i}, {j})");
    }
    let json = trace.to_json();
    let events = json["traceEvents"].as_array().expect("events");
    let mut tasks: Vec<(f64, String)> = events
        .iter()
        .filter(|e| e["ph"] == "X")
        .map(|e| {
            (
                e["ts"].as_f64().unwrap(),
                e["args"]["key"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    tasks.sort_by(|p, q| p.0.total_cmp(&q.0));
    let peak = events
        .iter()
        .filter(|e| e["ph"] == "C" && e["name"] == "bytes held")
        .filter_map(|e| e["args"]["bytes"].as_f64())
        .fold(0.0, f64::max);
    (tasks.into_iter().map(|(_, k)| k).collect(), peak)
}

/// The kind of a Cholesky task key (`potrf` for the factor's diagonal blocks,
/// `trsm` for its blocks below, the update helpers by suffix) and its indices.
fn kind(key: &str) -> Option<(&'static str, Vec<usize>)> {
    let json: Json = serde_json::from_str(key).ok()?;
    let parts = json.as_array()?;
    let name = parts.first()?.as_str()?;
    let idx: Vec<usize> = parts[1..]
        .iter()
        .filter_map(|v| v.as_u64().map(|x| x as usize))
        .collect();
    let kind = if !name.starts_with("linalg.cholesky") {
        return None;
    } else if name.ends_with("-syrk") {
        "syrk"
    } else if name.ends_with("-gemm") {
        "gemm"
    } else if idx.len() == 2 && idx[0] == idx[1] {
        "potrf"
    } else if idx.len() == 2 && idx[0] > idx[1] {
        "trsm"
    } else {
        return None;
    };
    Some((kind, idx))
}

#[test]
fn w3_cholesky_peak_memory_and_critical_path_first() {
    let n = 4000;
    let a = spd(n);
    let matrix_bytes = (n * n * 8) as f64;

    // Peak with the default executor and policy.
    let (_, peak) = run(&a, 1000, "threads");
    assert!(peak > 0.0, "the trace records bytes held");
    eprintln!(
        "W3 chunks 1000: peak {:.0} MB, matrix {:.0} MB",
        peak / 1e6,
        matrix_bytes / 1e6
    );
    assert!(
        peak <= 2.0 * matrix_bytes,
        "peak {:.0} MB > 2 x the matrix ({:.0} MB)",
        peak / 1e6,
        matrix_bytes / 1e6
    );

    // Order: the sync executor runs exactly the policy's order.
    let (order, _) = run(&a, 1000, "sync");
    let pos = |want: &str, idx: &[usize]| {
        order
            .iter()
            .position(|k| kind(k).is_some_and(|(w, i)| w == want && i == idx))
            .unwrap_or_else(|| panic!("no {want} {idx:?} in {order:?}"))
    };
    // Chunks of 1000 are factored in tiles of 500.
    let tiles = n / 500;
    assert!(
        order
            .iter()
            .any(|k| kind(k) == Some(("potrf", vec![tiles - 1, tiles - 1]))),
        "the factor is computed on the 500-tile grid: {order:?}"
    );
    for k in 0..tiles - 1 {
        // POTRF(k+1) runs before any update of step k that it does not need
        // (trailing tiles right of column k+1): the critical path goes first.
        let next = pos("potrf", &[k + 1, k + 1]);
        for i in k + 2..tiles {
            for j in k + 2..=i {
                let update = if i == j {
                    pos("syrk", &[i, k])
                } else {
                    pos("gemm", &[i, j, k])
                };
                assert!(
                    next < update,
                    "potrf {} runs after the update of tile ({i}, {j}) by column {k}: {order:?}",
                    k + 1
                );
            }
        }
        // And POTRF(k) comes before every TRSM of column k, which come before POTRF(k+1).
        let this = pos("potrf", &[k, k]);
        for i in k + 1..tiles {
            let t = pos("trsm", &[i, k]);
            assert!(this < t && (i != k + 1 || t < next), "{order:?}");
        }
    }
}
