//! The fused kernel against the unfused kernels on one block: a 1000 × 1000
//! `f64` view of a wider in-memory array (as a chunk of W2/W6), computing
//! `sum(exp(x))` (W2) and `mean(2*sin(x)**2 + cos(x)*exp(-x) - 1)` (W6) partials.

use divan::{Bencher, black_box};
use ndarray::{ArrayD, IxDyn, s};
use serde_json::{Map, Value as Json, json};
use tessera_runtime::kernels::KernelFn;
use tessera_runtime::{Array, Value};

fn main() {
    divan::main();
}

/// A 1000 × 1000 block viewed inside a 1000 × 2000 array of values in [0, 1).
fn block() -> Value {
    let wide = ArrayD::from_shape_fn(IxDyn(&[1000, 2000]), |i| {
        ((i[0] * 2000 + i[1]) as f64 * 0.618_033_988_749_895) % 1.0
    });
    let view = wide.into_shared().slice_move(s![.., 500..1500]).into_dyn();
    Value::Array(Array::F64(view))
}

fn kernel(name: &str) -> KernelFn {
    let mut all = tessera_runtime::kernels::elementwise::kernels();
    all.extend(tessera_runtime::kernels::reduce::kernels());
    all.extend(tessera_runtime::kernels::fused::kernels());
    all.into_iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, _, f)| f)
        .expect("kernel")
}

fn kw(v: Json) -> Map<String, Json> {
    v.as_object().cloned().unwrap_or_default()
}

#[divan::bench(sample_count = 20)]
fn w2_block_unfused(bencher: Bencher<'_, '_>) {
    let x = block();
    let (exp, sum) = (kernel("exp"), kernel("sum-partial"));
    let axis = kw(json!({"axis": [0, 1]}));
    bencher.bench_local(|| {
        let e = exp(black_box(std::slice::from_ref(&x)), &Map::new()).unwrap();
        sum(&[e], &axis).unwrap()
    });
}

#[divan::bench(sample_count = 20)]
fn w2_block_fused(bencher: Bencher<'_, '_>) {
    let x = block();
    let fused = kernel("fused-partial");
    let k = kw(json!({"program": [{"op": "exp", "args": ["$0"]}],
        "reduce": {"op": "sum", "axis": [0, 1]}}));
    bencher.bench_local(|| fused(black_box(std::slice::from_ref(&x)), &k).unwrap());
}

const W6: &str = r#"[{"op":"sin","args":["$0"]},{"op":"power","args":["%0",2]},
    {"op":"multiply","args":["%1",2.0]},{"op":"cos","args":["$0"]},
    {"op":"negative","args":["$0"]},{"op":"exp","args":["%4"]},
    {"op":"multiply","args":["%3","%5"]},{"op":"add","args":["%2","%6"]},
    {"op":"subtract","args":["%7",1]}]"#;

#[divan::bench(sample_count = 10)]
fn w6_block_unfused(bencher: Bencher<'_, '_>) {
    let x = block();
    let program: Json = serde_json::from_str(W6).unwrap();
    let mean = kernel("mean-partial");
    let axis = kw(json!({"axis": [0, 1]}));
    bencher.bench_local(|| {
        let mut regs: Vec<Value> = Vec::new();
        for step in program.as_array().unwrap() {
            let args: Vec<Value> = step["args"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| match a.as_str() {
                    Some("$0") => x.clone(),
                    Some(r) => regs[r[1..].parse::<usize>().unwrap()].clone(),
                    None => Value::from_json(a).unwrap(),
                })
                .collect();
            let f = kernel(step["op"].as_str().unwrap());
            regs.push(f(&args, &Map::new()).unwrap());
        }
        mean(&[regs.pop().unwrap()], &axis).unwrap()
    });
}

#[divan::bench(sample_count = 10)]
fn w6_block_fused(bencher: Bencher<'_, '_>) {
    let x = block();
    let fused = kernel("fused-partial");
    let program: Json = serde_json::from_str(W6).unwrap();
    let k = kw(json!({"program": program, "reduce": {"op": "mean", "axis": [0, 1]}}));
    bencher.bench_local(|| fused(black_box(std::slice::from_ref(&x)), &k).unwrap());
}
