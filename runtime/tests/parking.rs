//! Idle workers of the `threads` executor park instead of spinning. Alone in
//! its own test binary, so that the process's CPU time is this test's.

use std::time::Duration;

use tessera_ir::{Call, Literal, TaskExpr, TaskGraph, TaskKey};
use tessera_runtime::{Registry, RunOptions, ThreadsExecutor, Value};

#[cfg(target_os = "linux")]
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    // The fields after the command name (in parentheses): utime and stime are
    // fields 14 and 15 of the line, 12th and 13th after the name.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[cfg(target_os = "linux")]
#[test]
fn idle_workers_use_no_cpu() {
    let mut registry = Registry::with_builtins();
    registry.register_fn1("nap", |ms: i64| {
        std::thread::sleep(Duration::from_millis(ms.max(0) as u64));
        ms
    });
    let mut g = TaskGraph::new();
    let call = TaskExpr::Call(Call {
        func: "nap".into(),
        args: vec![TaskExpr::Literal(Literal::json(600))],
        kwargs: Default::default(),
    });
    let t = g.add(TaskKey::new("nap"), call).unwrap();
    // Seven trivial tasks, so that the executor starts eight workers (it starts
    // no more workers than tasks); seven of them then have nothing to do.
    let mut outputs = vec![t];
    for i in 0..7i64 {
        let quick = TaskExpr::Call(Call {
            func: "identity".into(),
            args: vec![TaskExpr::Literal(Literal::json(i))],
            kwargs: Default::default(),
        });
        outputs.push(g.add(TaskKey::new(format!("quick-{i}")), quick).unwrap());
    }
    let before = cpu_ticks();
    let out = tessera_runtime::run(
        &g,
        &outputs,
        &registry,
        &ThreadsExecutor::new(8),
        &RunOptions::default(),
    )
    .unwrap();
    let used = cpu_ticks() - before;
    assert_eq!(out.outputs[0], Value::Int(600));
    // Seven spinning workers would burn about 2 cores x 0.6 s here (120 ticks
    // at 100 Hz); parked ones use only the short backoff and thread start-up.
    assert!(
        used < 30,
        "{used} ticks of CPU while 7 of 8 workers were idle"
    );
    let busy: f64 = out.stats.busy_s_per_worker.iter().sum();
    assert_eq!(out.stats.busy_s_per_worker.len(), 8);
    assert!(
        busy < 2.0,
        "idle time counted as busy: {:?}",
        out.stats.busy_s_per_worker
    );
}
