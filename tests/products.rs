//! Differential property test of the blocked products: random `tensordot` (axes
//! as an integer or two lists), `matmul` (1-d operands, broadcast batch axes),
//! `dot` (n-d, scalars) and `outer` (n-d inputs) over random irregular chunkings
//! and dtypes compute the same values chunked as with every array in one block.

use proptest::prelude::*;
use serde_json::{Value as Json, json};
use tessera::compiler::LowerOptions;
use tessera::compute::{ComputeOptions, compute_graph};
use tessera::ir::{InferContext, parse_and_validate};

/// A small xorshift generator: every choice of a case derives from one seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }

    /// A length from 1 to 4.
    fn len(&mut self) -> usize {
        1 + self.below(4)
    }

    /// Random block sizes adding up to `n` (1-wide and single blocks included).
    fn chunks(&mut self, n: usize) -> Vec<usize> {
        match self.below(4) {
            0 => vec![n],
            1 => vec![1; n],
            _ => {
                let mut out = Vec::new();
                let mut left = n;
                while left > 0 {
                    let s = (1 + self.below(3)).min(left);
                    out.push(s);
                    left -= s;
                }
                out
            }
        }
    }

    fn shuffled(&mut self, mut v: Vec<usize>) -> Vec<usize> {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
        v
    }
}

/// A random array of `shape` with random chunks, of `dtype`.
fn source(rng: &mut Rng, shape: &[usize], seed: u64, dtype: &str) -> Json {
    let chunks: Vec<Vec<usize>> = shape.iter().map(|&n| rng.chunks(n)).collect();
    let x = json!({"op": "random.uniform", "shape": shape, "seed": seed, "chunks": chunks});
    match dtype {
        "int64" => json!({"op": "astype", "dtype": "int64",
            "args": [{"op": "floor", "args": [{"op": "multiply", "args": [x, 9.0]}]}]}),
        "bool" => json!({"op": "greater", "args": [x, 0.6]}),
        _ => x,
    }
}

/// A random product document: one output.
fn product(seed: u64) -> Json {
    let mut rng = Rng(seed | 1);
    let dtype = ["float64", "float64", "int64", "bool"][rng.below(4)];
    let (a, b, node) = match rng.below(4) {
        0 => {
            // tensordot: k contracted axes, in random positions of each operand.
            let (fa, fb, k) = (rng.below(3), rng.below(3), rng.below(3));
            let summed: Vec<usize> = (0..k).map(|_| rng.len()).collect();
            let place = |rng: &mut Rng, free: usize| -> (Vec<usize>, Vec<usize>) {
                let n = free + k;
                let axes = rng.shuffled((0..n).collect())[..k].to_vec();
                let shape = (0..n)
                    .map(|d| match axes.iter().position(|&x| x == d) {
                        Some(c) => summed[c],
                        None => rng.len(),
                    })
                    .collect();
                (shape, axes)
            };
            let ((sa, xa), (sb, xb)) = (place(&mut rng, fa), place(&mut rng, fb));
            let axes = if rng.below(3) == 0
                && xa == (fa..fa + k).collect::<Vec<_>>()
                && xb == (0..k).collect::<Vec<_>>()
            {
                json!(k)
            } else {
                json!([xa, xb])
            };
            (
                sa,
                sb,
                json!({"op": "tensordot", "args": ["a", "b"], "axes": axes}),
            )
        }
        1 => {
            // matmul: 1-d operands or matrices with broadcast batch axes.
            let (n, k, m) = (rng.len(), rng.len(), rng.len());
            let batch: Vec<usize> = (0..rng.below(3)).map(|_| rng.len()).collect();
            let operand = |rng: &mut Rng, core: Vec<usize>| -> Vec<usize> {
                if rng.below(4) == 0 {
                    return vec![k];
                }
                let keep = rng.below(batch.len() + 1);
                let mut s: Vec<usize> = batch[batch.len() - keep..]
                    .iter()
                    .map(|&x| if rng.below(3) == 0 { 1 } else { x })
                    .collect();
                s.extend(core);
                s
            };
            let sa = operand(&mut rng, vec![n, k]);
            let sb = operand(&mut rng, vec![k, m]);
            (sa, sb, json!({"op": "matmul", "args": ["a", "b"]}))
        }
        2 => {
            // dot: a's last axis with b's second-to-last (its only one when 1-d).
            let k = rng.len();
            let mut sa: Vec<usize> = (0..rng.below(3)).map(|_| rng.len()).collect();
            sa.push(k);
            let sb: Vec<usize> = if rng.below(3) == 0 {
                vec![k]
            } else {
                let mut s: Vec<usize> = (0..rng.below(2)).map(|_| rng.len()).collect();
                s.extend([k, rng.len()]);
                s
            };
            if rng.below(5) == 0 {
                // A scalar operand multiplies the other.
                return document(
                    &mut rng,
                    &sa,
                    None,
                    dtype,
                    json!({"op": "dot", "args": ["a", 3]}),
                );
            }
            (sa, sb, json!({"op": "dot", "args": ["a", "b"]}))
        }
        _ => {
            let sa: Vec<usize> = (0..1 + rng.below(3)).map(|_| rng.len()).collect();
            let sb: Vec<usize> = (0..1 + rng.below(2)).map(|_| rng.len()).collect();
            (sa, sb, json!({"op": "outer", "args": ["a", "b"]}))
        }
    };
    document(&mut rng, &a, Some(&b), dtype, node)
}

fn document(rng: &mut Rng, a: &[usize], b: Option<&[usize]>, dtype: &str, node: Json) -> Json {
    let mut nodes = serde_json::Map::new();
    nodes.insert("a".into(), source(rng, a, 1, dtype));
    if let Some(b) = b {
        nodes.insert("b".into(), source(rng, b, 2, dtype));
    }
    nodes.insert("p".into(), node);
    json!({"tessera": 1, "nodes": nodes, "outputs": ["p"]})
}

fn compute(doc: &Json, whole_arrays: bool) -> Result<Json, String> {
    let graph = parse_and_validate(&doc.to_string(), &InferContext::default())
        .map_err(|f| f.to_string())?;
    let options = ComputeOptions {
        threads: Some(2),
        optimize: None,
        lower: LowerOptions {
            whole_arrays,
            ..LowerOptions::default()
        },
        ..ComputeOptions::default()
    };
    let mut out = compute_graph(&graph, &options).map_err(|e| e.to_string())?;
    Ok(out.outputs.remove(0).1.to_json())
}

/// The shape of a JSON array value, from its nesting.
fn shape(v: &Json) -> Vec<usize> {
    let mut out = Vec::new();
    let mut probe = v;
    while let Json::Array(items) = probe {
        out.push(items.len());
        match items.first() {
            Some(first) => probe = first,
            None => break,
        }
    }
    out
}

fn flatten(v: &Json) -> Vec<f64> {
    let mut out = Vec::new();
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Json::Array(items) => stack.extend(items.iter().rev()),
            Json::Number(n) => out.push(n.as_f64().unwrap_or(f64::NAN)),
            other => out.push(f64::from(u8::from(other.as_bool() == Some(true)))),
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn chunked_products_equal_whole_arrays(seed in any::<u64>()) {
        let doc = product(seed);
        let chunked = compute(&doc, false);
        let whole = compute(&doc, true);
        match (chunked, whole) {
            (Ok(a), Ok(b)) => {
                prop_assert_eq!(shape(&a), shape(&b), "{} vs {} for {}", a, b, doc);
                let (fa, fb) = (flatten(&a), flatten(&b));
                prop_assert_eq!(fa.len(), fb.len(), "{} vs {} for {}", a, b, doc);
                for (x, y) in fa.iter().zip(&fb) {
                    prop_assert!((x - y).abs() <= 1e-12 * y.abs().max(1.0), "{} vs {} in {}", x, y, doc);
                }
            }
            (a, b) => prop_assert!(false, "chunked {:?} whole {:?} for {}", a, b, doc),
        }
    }
}

#[test]
fn a_batched_broadcast_matmul_agrees() {
    let doc = json!({"tessera": 1, "nodes": {
        "a": {"op": "random.uniform", "shape": [3, 1, 4, 5], "seed": 1, "chunks": [[2, 1], [1], [1, 3], [2, 2, 1]]},
        "b": {"op": "random.uniform", "shape": [2, 5, 3], "seed": 2, "chunks": [[1, 1], [3, 2], [1, 2]]},
        "p": {"op": "matmul", "args": ["a", "b"]}}, "outputs": ["p"]});
    let (a, b) = (compute(&doc, false).unwrap(), compute(&doc, true).unwrap());
    let (fa, fb) = (flatten(&a), flatten(&b));
    assert_eq!(fa.len(), 3 * 2 * 4 * 3);
    for (x, y) in fa.iter().zip(&fb) {
        assert!((x - y).abs() <= 1e-12 * y.abs().max(1.0), "{x} vs {y}");
    }
}

#[test]
fn empty_axes_agree_with_whole_arrays() {
    // A contracted axis of length 0 (the product is zeros), an empty free axis
    // and an empty batch axis broadcast against a length-1 one.
    let cases = [
        (
            json!([3, 0]),
            json!([[2, 1], [0]]),
            json!([0, 4]),
            json!([[0], [2, 2]]),
            "matmul",
            Json::Null,
        ),
        (
            json!([0, 3]),
            json!([[0], [1, 2]]),
            json!([3, 2]),
            json!([[2, 1], [1, 1]]),
            "tensordot",
            json!(1),
        ),
        (
            json!([0, 2, 3]),
            json!([[0], [1, 1], [3]]),
            json!([1, 3, 2]),
            json!([[1], [1, 2], [2]]),
            "matmul",
            Json::Null,
        ),
        (
            json!([2, 0]),
            json!([[1, 1], [0]]),
            json!([3]),
            json!([[3]]),
            "outer",
            Json::Null,
        ),
    ];
    for (sa, ca, sb, cb, op, axes) in cases {
        let mut p = json!({"op": op, "args": ["a", "b"]});
        if !axes.is_null() {
            p["axes"] = axes;
        }
        let doc = json!({"tessera": 1, "nodes": {
            "a": {"op": "random.uniform", "shape": sa, "seed": 1, "chunks": ca},
            "b": {"op": "random.uniform", "shape": sb, "seed": 2, "chunks": cb},
            "p": p}, "outputs": ["p"]});
        let (a, b) = (compute(&doc, false).unwrap(), compute(&doc, true).unwrap());
        assert_eq!((shape(&a), flatten(&a)), (shape(&b), flatten(&b)), "{doc}");
    }
}
