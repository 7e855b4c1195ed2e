//! Slices into sources: `zeros`, `ones`, `full` become the smaller source;
//! an integer `arange` and `linspace` the shorter sequence, a float `arange` the
//! same sequence with `take` (the positions kept, so values keep their bits); `eye`
//! a smaller eye with its diagonal moved; a random source the same source with
//! `region` (the positions kept per axis of the whole array, so values keep their
//! bits: they depend only on the seed and the flat index in the whole array). The
//! result keeps the chunks the slice had. `from_npy` is opaque: lowering already
//! reads only the region of a file that a slice needs.

use egg::Id;
use serde_json::{Map, Value};

use super::Push;
use crate::optimize::language::{ArrayLang, Entry, IndexLeaf, OpName};

fn chunks_json(chunks: &tessera_ir::Chunks) -> Value {
    Value::from(
        chunks
            .0
            .iter()
            .map(|c| Value::from(c.clone()))
            .collect::<Vec<_>>(),
    )
}

fn number(v: f64) -> Value {
    serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
}

/// The `region` of a random source after `index` (one entry per axis of the
/// source, no new axes) is applied to the source's current `region` (all of an
/// array of shape `shape` when absent).
fn compose_region(region: Option<&Value>, shape: &[usize], index: &IndexLeaf) -> Option<Value> {
    let current: Vec<Value> = match region {
        None | Some(Value::Null) => shape
            .iter()
            .map(|&n| Value::from(vec![0, 1, n as i64]))
            .collect(),
        Some(Value::Array(r)) => r.clone(),
        Some(_) => return None,
    };
    let mut entries = index.0.iter();
    let mut out = Vec::with_capacity(current.len());
    for axis in current {
        if axis.is_i64() {
            out.push(axis);
            continue;
        }
        let take = axis.as_array()?;
        let (first, stride) = (take.first()?.as_i64()?, take.get(1)?.as_i64()?);
        out.push(match *entries.next()? {
            Entry::Pick(p) => Value::from(first + p as i64 * stride),
            Entry::Range { start, step, len } => Value::from(vec![
                first + start as i64 * stride,
                stride * step,
                len as i64,
            ]),
            Entry::New => return None,
        });
    }
    entries.next().is_none().then_some(Value::Array(out))
}

/// One step into a source; `index` has no new axes.
pub(crate) fn push(
    cx: &mut Push<'_>,
    name: &str,
    children: &[Id],
    x: Id,
    index: &IndexLeaf,
) -> Option<Id> {
    let xm = cx.array(x)?;
    let mut attrs: Map<String, Value> = cx.attrs_of(children);
    let chunks = index.to_normal(&xm.shape).chunks(&xm.chunks);
    let shape = index.result_shape();
    match name {
        "zeros" | "ones" | "full" => {
            attrs.insert("shape".into(), Value::from(shape));
        }
        "arange" => {
            let [
                Entry::Range {
                    start: s,
                    step: k,
                    len,
                },
            ] = index.0.as_slice()
            else {
                return None;
            };
            let int = |key: &str, default: i64| match attrs.get(key) {
                None => Some(default),
                Some(v) => v.as_i64(),
            };
            match (int("start", 0), int("step", 1), attrs.get("take")) {
                (Some(start), Some(step), None) if attrs.get("stop").is_some_and(Value::is_i64) => {
                    // Integers: the shorter sequence itself.
                    // Checked: huge steps overflow i64; then the slice stays put.
                    let new_start = start.checked_add((*s as i64).checked_mul(step)?)?;
                    let new_step = step.checked_mul(*k)?;
                    let new_stop = new_start.checked_add((*len as i64).checked_mul(new_step)?)?;
                    attrs.insert("start".into(), Value::from(new_start));
                    attrs.insert("step".into(), Value::from(new_step));
                    attrs.insert("stop".into(), Value::from(new_stop));
                }
                _ => {
                    // Floats (a shorter float arange need not give the same bits):
                    // the same sequence, taking only the sliced positions.
                    let (first, stride) = match attrs.get("take") {
                        None => (0, 1),
                        Some(Value::Array(t)) => match t[..] {
                            [ref f, ref st, _] => (f.as_i64()?, st.as_i64()?),
                            _ => return None,
                        },
                        Some(_) => return None,
                    };
                    let take = [first + *s as i64 * stride, stride * k, *len as i64];
                    attrs.insert("take".into(), Value::from(take.to_vec()));
                }
            }
        }
        "linspace" => {
            let [
                Entry::Range {
                    start: s,
                    step: k,
                    len,
                },
            ] = index.0.as_slice()
            else {
                return None;
            };
            let start = attrs.get("start").and_then(Value::as_f64)?;
            let stop = attrs.get("stop").and_then(Value::as_f64)?;
            let num = attrs.get("num").and_then(Value::as_i64)?;
            let endpoint = attrs
                .get("endpoint")
                .and_then(Value::as_bool)
                .unwrap_or(true);
            let div = if endpoint { num - 1 } else { num };
            if div <= 0 || *len == 0 {
                return None;
            }
            let delta = (stop - start) / div as f64;
            let first = start + *s as f64 * delta;
            let last = start + (*s as i64 + (*len as i64 - 1) * k) as f64 * delta;
            attrs.insert("start".into(), number(first));
            attrs.insert("stop".into(), number(last));
            attrs.insert("num".into(), Value::from(*len));
            attrs.insert("endpoint".into(), Value::from(true));
        }
        "eye" => {
            let [
                Entry::Range {
                    start: r0,
                    step: 1,
                    len: lr,
                },
                Entry::Range {
                    start: c0,
                    step: 1,
                    len: lc,
                },
            ] = index.0.as_slice()
            else {
                return None;
            };
            let k = attrs.get("k").and_then(Value::as_i64).unwrap_or(0);
            attrs.insert("N".into(), Value::from(*lr));
            attrs.insert("M".into(), Value::from(*lc));
            attrs.insert("k".into(), Value::from(k + *r0 as i64 - *c0 as i64));
        }
        "random.uniform" | "random.normal" | "random.integers" => {
            let region = compose_region(attrs.get("region"), &xm.shape, index)?;
            attrs.insert("region".into(), region);
        }
        _ => return None,
    }
    attrs.insert("chunks".into(), chunks_json(&chunks));
    let leaf = cx.attrs(&attrs);
    Some(
        cx.egraph
            .add(ArrayLang::Op(OpName::named(name)?, vec![leaf])),
    )
}

#[cfg(test)]
mod tests {
    use crate::optimize::rules::testing::plan_after;

    #[test]
    fn sources_become_smaller_sources() {
        let doc = r#"{"tessera": 1, "nodes": {
            "o": {"op": "ones", "shape": [100, 100], "chunks": 30},
            "a": {"op": "getitem", "args": ["o"], "index": [[10, 40, null], 5]},
            "r": {"op": "arange", "start": 3, "stop": 103, "step": 2, "chunks": 10},
            "b": {"op": "getitem", "args": ["r"], "index": [[40, 2, -3]]},
            "l": {"op": "linspace", "start": 0, "stop": 1, "num": 11},
            "c": {"op": "getitem", "args": ["l"], "index": [[2, 9, 3]]},
            "e": {"op": "eye", "N": 10, "k": 1, "chunks": 5},
            "d": {"op": "getitem", "args": ["e"], "index": [[2, 6, null], [1, 9, null]]}},
            "outputs": ["a", "b", "c", "d"]}"#;
        insta::assert_snapshot!(plan_after(doc, "slice-pushdown"), @r#"
        a = ones(shape=[30], dtype="float64", chunks=[[20,10]])  # [30] float64
        b = arange(start=83, stop=5, step=-6, chunks=[[1,3,3,4,2]])  # [13] int64
        c = linspace(start=0.2, stop=0.8, num=3, endpoint=true, chunks=[[3]])  # [3] float64
        d = eye(N=4, M=8, k=2, dtype="float64", chunks=[[3,1],[4,4]])  # [4, 8] float64
        outputs: a, b, c, d
        "#);
    }

    #[test]
    fn a_float_arange_keeps_its_sequence_and_takes_positions() {
        let doc = r#"{"tessera": 1, "nodes": {
            "r": {"op": "arange", "start": 0.5, "stop": 10, "step": 0.25, "chunks": 10},
            "s": {"op": "getitem", "args": ["r"], "index": [[30, 2, -4]]},
            "b": {"op": "getitem", "args": ["s"], "index": [[1, null, 2]]}},
            "outputs": ["b"]}"#;
        // b = r[30:2:-4][1::2]: positions 26, 18, 10 of the same sequence.
        insta::assert_snapshot!(plan_after(doc, "slice-pushdown"), @r#"
        b = arange(start=0.5, stop=10, step=0.25, take=[26,-8,3], chunks=[[1,2]])  # [3] float64
        outputs: b
        "#);
    }

    #[test]
    fn a_random_source_becomes_the_source_of_its_region() {
        let doc = r#"{"tessera": 1, "nodes": {
            "u": {"op": "random.uniform", "shape": [100, 80], "seed": 3, "high": 2, "chunks": 30},
            "s": {"op": "getitem", "args": ["u"], "index": [[10, 70, 3], [null, null, -1]]},
            "b": {"op": "getitem", "args": ["s"], "index": [4, [5, 45, 2]]}},
            "outputs": ["b"]}"#;
        // b = u[10:70:3, ::-1][4, 5:45:2]: row 22, columns 74, 72, ..., 36.
        insta::assert_snapshot!(plan_after(doc, "slice-pushdown"), @r#"
        b = random.uniform(shape=[100,80], seed=3, low=0.0, high=2, region=[22,[74,-2,20]], chunks=[[8,12]])  # [20] float64
        outputs: b
        "#);
    }
}
