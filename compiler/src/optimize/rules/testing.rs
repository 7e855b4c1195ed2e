//! Test helpers for the rule families: a document optimized by one pass,
//! rendered; how often a rule fired; an index applied to positions.

use tessera_ir::{InferContext, parse_and_validate};

use crate::optimize::language::{Entry, IndexLeaf};
use crate::optimize::{OptimizeOptions, optimize, render_plan};

fn run(doc: &str, pass: &str) -> crate::optimize::Optimized {
    let graph = parse_and_validate(doc, &InferContext::default()).expect("valid test document");
    let options = OptimizeOptions {
        passes: Some(vec![pass.to_owned()]),
        ..OptimizeOptions::default()
    };
    optimize(&graph, &options).expect("optimizes")
}

/// The plan after running only `pass` on `doc`.
pub(crate) fn plan_after(doc: &str, pass: &str) -> String {
    render_plan(&run(doc, pass).graph)
}

/// How often `rule` fired when running only `pass` on `doc`.
pub(crate) fn rule_count(doc: &str, pass: &str, rule: &str) -> usize {
    run(doc, pass)
        .report
        .rule_counts()
        .get(rule)
        .copied()
        .unwrap_or(0)
}

/// `index` applied to an array of `shape` holding `data` (row-major): the
/// result's shape and values.
pub(crate) fn apply_index(
    shape: &[usize],
    data: &[u32],
    index: &IndexLeaf,
) -> (Vec<usize>, Vec<u32>) {
    // Positions taken along each input axis, and the result shape.
    let mut per_axis: Vec<Vec<usize>> = Vec::new();
    for e in index.input_entries() {
        per_axis.push(match *e {
            Entry::Pick(p) => vec![p],
            Entry::Range { start, step, len } => (0..len)
                .map(|j| (start as i64 + j as i64 * step) as usize)
                .collect(),
            Entry::New => unreachable!(),
        });
    }
    let strides: Vec<usize> = (0..shape.len())
        .map(|a| shape[a + 1..].iter().product())
        .collect();
    let mut out = Vec::new();
    let total: usize = per_axis.iter().map(Vec::len).product();
    for flat in 0..total {
        let mut rem = flat;
        let mut offset = 0;
        for a in (0..per_axis.len()).rev() {
            let n = per_axis[a].len();
            offset += per_axis[a][rem % n] * strides[a];
            rem /= n;
        }
        out.push(data[offset]);
    }
    (index.result_shape(), out)
}

/// A random index over `shape` from a xorshift state.
pub(crate) fn random_index(state: &mut u64, shape: &[usize], new_axes: bool) -> IndexLeaf {
    let mut next = |n: u64| -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state % n.max(1)
    };
    let mut out = Vec::new();
    for &n in shape {
        if new_axes && next(4) == 0 {
            out.push(Entry::New);
        }
        if n > 0 && next(4) == 0 {
            out.push(Entry::Pick(next(n as u64) as usize));
            continue;
        }
        let step = [1i64, 1, 2, 3, -1, -2][next(6) as usize];
        if n == 0 {
            out.push(Entry::Range {
                start: 0,
                step: 1,
                len: 0,
            });
            continue;
        }
        let start = next(n as u64) as usize;
        let room = if step > 0 {
            (n - start - 1) / step as usize + 1
        } else {
            start / (-step) as usize + 1
        };
        let len = next(room as u64 + 1) as usize;
        out.push(Entry::Range { start, step, len });
    }
    IndexLeaf(out)
}
