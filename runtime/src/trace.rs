//! The trace sink: records what every worker ran and writes it as Chrome
//! trace-event JSON, which Perfetto (ui.perfetto.dev) and `chrome://tracing` load.
//!
//! Per task one complete (`"ph": "X"`) event on `tid` = worker, named after the
//! function, with the task key, the function and the bytes of its result in
//! `args`; one `"M"` `thread_name` event per worker; `"C"` counter events for
//! the bytes held and the number of ready tasks, sampled after every task.

use std::collections::BTreeSet;
use std::io::{self, Write};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// What one worker recorded during a run (nanoseconds since the run started).
#[derive(Debug, Default)]
pub(crate) struct WorkerTrace {
    pub(crate) tasks: Vec<TaskSample>,
    pub(crate) counters: Vec<CounterSample>,
}

/// One executed task.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TaskSample {
    pub(crate) task: u32,
    pub(crate) start_ns: u64,
    pub(crate) end_ns: u64,
    pub(crate) bytes: usize,
}

/// The counters after one task.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CounterSample {
    pub(crate) ts_ns: u64,
    pub(crate) held: usize,
    pub(crate) ready: usize,
}

#[derive(Debug)]
enum Entry {
    Task {
        tid: usize,
        start_ns: u64,
        dur_ns: u64,
        key: Arc<str>,
        func: Arc<str>,
        bytes: usize,
    },
    Counter {
        ts_ns: u64,
        held: usize,
        ready: usize,
    },
}

#[derive(Debug, Default)]
struct Data {
    entries: Vec<Entry>,
    workers: BTreeSet<usize>,
    task_events: usize,
}

/// A trace sink shared by runs: pass it in [`crate::RunOptions::trace`], then
/// write it with [`Trace::write_json`]. Runs recorded into one trace share one
/// time line, starting when the trace was created.
#[derive(Debug)]
pub struct Trace {
    origin: Instant,
    data: Mutex<Data>,
}

impl Default for Trace {
    fn default() -> Trace {
        Trace::new()
    }
}

impl Trace {
    /// An empty trace whose time line starts now.
    pub fn new() -> Trace {
        Trace {
            origin: Instant::now(),
            data: Mutex::new(Data::default()),
        }
    }

    /// Number of task (`X`) events recorded.
    pub fn task_events(&self) -> usize {
        self.lock().task_events
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Data> {
        // A poisoned lock only means a writer panicked between pushes; the
        // entries are still well-formed.
        self.data.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds what worker `tid` recorded in a run that started at `run_start`;
    /// `name(task)` gives the key and function name of a task.
    pub(crate) fn record(
        &self,
        run_start: Instant,
        tid: usize,
        worker: WorkerTrace,
        mut name: impl FnMut(u32) -> (Arc<str>, Arc<str>),
    ) {
        let offset = run_start.saturating_duration_since(self.origin).as_nanos() as u64;
        let mut data = self.lock();
        data.workers.insert(tid);
        data.task_events += worker.tasks.len();
        for t in worker.tasks {
            let (key, func) = name(t.task);
            data.entries.push(Entry::Task {
                tid,
                start_ns: offset + t.start_ns,
                dur_ns: t.end_ns.saturating_sub(t.start_ns),
                key,
                func,
                bytes: t.bytes,
            });
        }
        data.entries
            .extend(worker.counters.into_iter().map(|c| Entry::Counter {
                ts_ns: offset + c.ts_ns,
                held: c.held,
                ready: c.ready,
            }));
    }

    /// Writes the trace as Chrome trace-event JSON (an object with a
    /// `traceEvents` array), streaming one event at a time.
    pub fn write_json(&self, mut out: impl Write) -> io::Result<()> {
        let data = self.lock();
        let us = |ns: u64| ns as f64 / 1000.0;
        out.write_all(b"{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n")?;
        let mut first = true;
        let mut emit = |out: &mut dyn Write, event: serde_json::Value| -> io::Result<()> {
            if !first {
                out.write_all(b",\n")?;
            }
            first = false;
            serde_json::to_writer(&mut *out, &event).map_err(io::Error::from)
        };
        emit(
            &mut out,
            serde_json::json!({"name": "process_name", "ph": "M", "pid": 1, "tid": 0,
                               "args": {"name": "tessera"}}),
        )?;
        for &tid in &data.workers {
            emit(
                &mut out,
                serde_json::json!({"name": "thread_name", "ph": "M", "pid": 1, "tid": tid,
                                   "args": {"name": format!("worker {tid}")}}),
            )?;
        }
        for entry in &data.entries {
            match entry {
                Entry::Task {
                    tid,
                    start_ns,
                    dur_ns,
                    key,
                    func,
                    bytes,
                } => emit(
                    &mut out,
                    serde_json::json!({"name": &**func, "cat": "task", "ph": "X",
                        "ts": us(*start_ns), "dur": us(*dur_ns), "pid": 1, "tid": tid,
                        "args": {"key": &**key, "function": &**func, "bytes": bytes}}),
                )?,
                Entry::Counter { ts_ns, held, ready } => {
                    emit(
                        &mut out,
                        serde_json::json!({"name": "bytes held", "ph": "C", "ts": us(*ts_ns),
                                           "pid": 1, "args": {"bytes": held}}),
                    )?;
                    emit(
                        &mut out,
                        serde_json::json!({"name": "ready tasks", "ph": "C", "ts": us(*ts_ns),
                                           "pid": 1, "args": {"ready": ready}}),
                    )?;
                }
            }
        }
        out.write_all(b"\n]}\n")
    }

    /// The trace as a JSON value (for tests and small traces).
    pub fn to_json(&self) -> serde_json::Value {
        let mut buf = Vec::new();
        // Writing to a Vec cannot fail, and the text is JSON by construction.
        self.write_json(&mut buf).ok();
        serde_json::from_slice(&buf).unwrap_or(serde_json::Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_chrome_trace_events() {
        let trace = Trace::new();
        let worker = WorkerTrace {
            tasks: vec![TaskSample {
                task: 3,
                start_ns: 1_000,
                end_ns: 3_500,
                bytes: 8,
            }],
            counters: vec![CounterSample {
                ts_ns: 3_500,
                held: 8,
                ready: 2,
            }],
        };
        trace.record(trace.origin, 1, worker, |t| {
            (format!("k{t}").into(), "inc".into())
        });
        assert_eq!(trace.task_events(), 1);
        let json = trace.to_json();
        let events = json["traceEvents"].as_array().unwrap();
        let x: Vec<_> = events.iter().filter(|e| e["ph"] == "X").collect();
        assert_eq!(x.len(), 1);
        assert_eq!(x[0]["args"]["key"], "k3");
        assert_eq!(x[0]["args"]["function"], "inc");
        assert_eq!(x[0]["args"]["bytes"], 8);
        assert_eq!(x[0]["tid"], 1);
        assert_eq!(x[0]["ts"], 1.0);
        assert_eq!(x[0]["dur"], 2.5);
        assert!(
            events
                .iter()
                .any(|e| e["ph"] == "M" && e["args"]["name"] == "worker 1")
        );
        assert!(
            events
                .iter()
                .any(|e| e["ph"] == "C" && e["args"]["ready"] == 2)
        );
        assert!(
            events
                .iter()
                .any(|e| e["ph"] == "C" && e["args"]["bytes"] == 8)
        );
    }
}
