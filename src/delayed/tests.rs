//! Tests of delayed values: typed calls of every arity, pure and impure keys,
//! shared intermediates, tuple results, closures capturing state, arrays, errors.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ndarray::{ArrayD, IxDyn};
use tessera_runtime::{TaskError, Value};

use super::*;
use crate::{Array, DType};

#[test]
fn calls_of_every_arity_compose() {
    let zero = delayed(|| 0i64);
    let inc = delayed(|x: i64| x + 1);
    let add = delayed(|a: i64, b: i64| a + b);
    let fma = delayed(|a: f64, b: f64, c: f64| a * b + c);
    let join = delayed(|a: String, b: String, c: String, d: String| [a, b, c, d].concat());
    let x = inc.call(zero.call());
    let y = add.call(&x, inc.call(&x));
    assert_eq!(y.compute().unwrap(), 1 + 2);
    assert_eq!(fma.call(2.0, value(3.0), 1.0).compute().unwrap(), 7.0);
    let s = join.call(
        "a".to_owned(),
        "b".to_owned(),
        value("c".to_owned()),
        "d".to_owned(),
    );
    assert_eq!(s.compute().unwrap(), "abcd");
}

#[test]
fn pure_calls_share_keys_and_run_once() {
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    let slow = delayed(move |x: i64| {
        counter.fetch_add(1, Ordering::SeqCst);
        x * 10
    })
    .pure();
    let add = delayed(|a: i64, b: i64| a + b).pure();
    let a = slow.call(4);
    let b = slow.call(4);
    let c = slow.call(5);
    assert_eq!(a.key(), b.key());
    assert_ne!(a.key(), c.key());
    assert!(a.key().starts_with("delayed-"), "{}", a.key());
    let total = add.call(&a, &b);
    assert_eq!(compute_many(&[&total, &c]).unwrap(), vec![80, 50]);
    // 4 ran once for both a and b, 5 once.
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

#[test]
fn impure_calls_are_unique() {
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    let tick = delayed(move |x: i64| {
        counter.fetch_add(1, Ordering::SeqCst);
        x
    });
    let a = tick.call(1);
    let b = tick.call(1);
    assert_ne!(a.key(), b.key());
    assert_eq!(compute_many(&[&a, &b]).unwrap(), vec![1, 1]);
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

#[test]
fn shared_intermediates_run_once_across_outputs() {
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    let load = delayed_named("load", move |n: i64| {
        counter.fetch_add(1, Ordering::SeqCst);
        (0..n).collect::<Vec<i64>>()
    });
    let total = delayed(|v: Vec<i64>| v.iter().sum::<i64>());
    let count = delayed(|v: Vec<i64>| v.len() as i64);
    let data = load.call(5);
    assert!(data.key().starts_with("load-u"));
    let (s, n) = (total.call(&data), count.call(&data));
    assert_eq!(compute_many(&[&s, &n]).unwrap(), vec![10, 5]);
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[test]
fn tuple_results_split() {
    let divmod = delayed(|a: i64, b: i64| (a / b, a % b)).pure();
    let (q, r) = divmod.call(17, 5).split();
    let add = delayed(|a: i64, b: i64| a + b);
    assert_eq!(add.call(&q, &r).compute().unwrap(), 3 + 2);
    assert_eq!(q.compute().unwrap(), 3);
    let three = delayed(|| (1i64, "x".to_owned(), 2.5f64));
    let (a, b, c) = three.call().split();
    let values = compute_values(&[a.erase(), b.erase(), c.erase()]).unwrap();
    assert_eq!(
        values,
        vec![Value::Int(1), Value::Str("x".into()), Value::Float(2.5)]
    );
    let list = delayed(|| vec![7i64, 8, 9]).call();
    assert_eq!(list.item(2).compute().unwrap(), 9);
}

#[test]
fn closures_capture_state() {
    let offset = 100i64;
    let table = [1.5f64, 2.5, 3.5];
    let shift = delayed(move |x: i64| x + offset);
    let lookup = delayed(move |i: i64| table[i as usize]);
    assert_eq!(shift.call(1).compute().unwrap(), 101);
    assert_eq!(lookup.call(shift.call(-99)).compute().unwrap(), 2.5);
}

#[test]
fn ndarray_arguments_and_results() {
    let a = ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![1.0f64, 2.0, 3.0, 4.0]).unwrap();
    let double = delayed(|x: ArrayD<f64>| x * 2.0).pure();
    let sum = delayed(|x: ArrayD<f64>| x.sum());
    let d1 = double.call(a.clone());
    let d2 = double.call(a.clone());
    assert_eq!(d1.key(), d2.key(), "equal arrays give equal keys");
    assert_eq!(sum.call(&d1).compute().unwrap(), 20.0);
    let other = ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![1.0f64, 2.0, 3.0, 5.0]).unwrap();
    assert_ne!(double.call(other).key(), d1.key());
}

#[test]
fn arrays_and_delayed_values_mix() {
    // from_delayed: a delayed ndarray becomes an array, chunked, in array maths.
    let make = delayed(|n: i64| ArrayD::from_shape_fn(IxDyn(&[n as usize]), |i| i[0] as f64));
    let arr = Array::from_delayed(&make.call(6), &[6], DType::Float64, 4).unwrap();
    let total = (&arr * 2.0).sum(crate::Axis::All, false).unwrap();
    let v: ArrayD<f64> = total.compute().unwrap();
    assert_eq!(v.into_raw_vec_and_offset().0, vec![30.0]);
    // to_delayed: the blocks of an array as delayed values.
    let blocks = arr.to_delayed().unwrap();
    assert_eq!(blocks.numblocks, vec![2]);
    let len = delayed(|a: tessera_runtime::Array| a.len() as i64);
    let lens = compute_many(&[
        &len.call(&blocks.blocks[0]),
        &len.call(blocks.get(&[1]).unwrap()),
    ]);
    assert_eq!(lens.unwrap(), vec![4, 2]);
    // A delayed value of the wrong shape fails when computed, naming its key.
    let wrong = Array::from_delayed(&make.call(5), &[6], DType::Float64, 6).unwrap();
    let err = wrong.compute_value().unwrap_err().to_string();
    assert!(err.contains("from_delayed"), "{err}");
}

#[test]
fn failures_name_the_key() {
    let fail = delayed_named("risky", |x: i64| -> Result<i64, TaskError> {
        if x < 0 {
            Err(TaskError::value_error("negative input"))
        } else {
            Ok(x)
        }
    })
    .pure();
    let bad = fail.call(-1);
    let err = bad.compute().unwrap_err().to_string();
    assert!(err.contains(&format!("task {} failed", bad.key())), "{err}");
    assert!(err.contains("negative input"), "{err}");
    // A panic is caught and reported the same way.
    let boom = delayed(|_: i64| -> i64 { panic!("boom") }).call(1);
    let err = boom.compute().unwrap_err().to_string();
    assert!(err.contains(boom.key()) && err.contains("boom"), "{err}");
    // A value of the wrong type for the function's argument.
    let inc = delayed(|x: i64| x + 1);
    let s = delayed(|| "text".to_owned()).call();
    let err = inc
        .call(s.erase_as::<i64>())
        .compute()
        .unwrap_err()
        .to_string();
    assert!(err.contains("argument a: expected int, got str"), "{err}");
    // The result converted to the wrong type.
    let err = s.erase_as::<i64>().compute().unwrap_err().to_string();
    assert!(
        err.contains(&format!("the value of {} does not convert", s.key())),
        "{err}"
    );
}

#[test]
fn long_chains_build_compute_and_drop() {
    let inc = delayed(|x: i64| x + 1);
    let mut x = value(0i64);
    for _ in 0..20_000 {
        x = inc.call(x);
    }
    assert_eq!(x.compute().unwrap(), 20_000);
    drop(x);
}

#[test]
fn visualize_writes_dot() {
    let dir = tempfile::tempdir().unwrap();
    let add = delayed_named("add", |a: i64, b: i64| a + b).pure();
    let x = add.call(1, 2);
    let path = dir.path().join("d.dot");
    x.visualize(&path).unwrap();
    let dot = std::fs::read_to_string(path).unwrap();
    assert!(
        dot.contains(&format!("label=\"{}\", shape=box", x.key())),
        "{dot}"
    );
    assert!(dot.contains("shape=circle"), "{dot}");
}

#[test]
fn the_readme_example_runs() {
    use crate::graph::{Graph, Keys, Nested, Spec, get};
    let scale = 10;
    let load = delayed(move |i: i64| (0..i).map(|x| x * scale).collect::<Vec<i64>>()).pure();
    let total = delayed(|v: Vec<i64>| v.iter().sum::<i64>());
    let parts: Vec<_> = (1..4).map(|i| total.call(load.call(i))).collect();
    let sums = compute_many(&parts.iter().collect::<Vec<_>>()).unwrap();
    assert_eq!(sums, vec![0, 10, 30]);
    let (q, r) = delayed(|a: i64, b: i64| (a / b, a % b)).call(17, 5).split();
    assert_eq!(compute_many(&[&q, &r]).unwrap(), vec![3, 2]);

    let g = Graph::new()
        .with("x", Spec::lit(1))
        .with("y", Spec::task("inc", [Spec::key("x")]))
        .with(
            "w",
            Spec::task("add", [Spec::key("y"), Spec::task("inc", [Spec::key("x")])]),
        );
    let nested = get(
        &g,
        &Keys::Many(vec!["w".into(), Keys::Many(vec!["x".into(), "y".into()])]),
    )
    .unwrap();
    let one = |v: i64| Nested::One(Value::Int(v));
    assert_eq!(
        nested,
        Nested::Many(vec![one(4), Nested::Many(vec![one(1), one(2)])])
    );
}
