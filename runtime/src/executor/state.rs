//! The state of one run that every executor shares: per-task value slots,
//! dependency and consumer counters, memory accounting, cancellation, the first
//! failure, progress reports and trace recording.
//!
//! # The slot protocol (memory ordering)
//!
//! Each task's value lives in its own [`Slot`], read and written without locks.
//! What makes that sound:
//!
//! 1. **One writer.** Slot `t` is written once, by the worker that runs `t`
//!    (a task runs once: it is handed to exactly one worker when the last of its
//!    dependencies decremented `deps_left[t]` to zero, or at the start when it
//!    has none).
//! 2. **Write before publish.** That write is sequenced before the worker's
//!    `fetch_sub(1, AcqRel)` on `deps_left[s]` of every dependent `s`. The
//!    worker whose decrement reaches zero acquires all of them (the decrements
//!    are read-modify-writes, so they form one release sequence), then hands `s`
//!    to a worker through a crossbeam deque (or runs it itself), which also
//!    orders push before pop. So every write of a dependency's slot
//!    happens-before `s` reads it.
//! 3. **Release after the last read.** A consumer reads its dependencies'
//!    slots (clones the values) while it evaluates, then decrements
//!    `consumers_left[d]` with `AcqRel` for each dependency `d`. The decrement
//!    that reaches zero acquires every other consumer's decrement, so all reads
//!    of slot `d` happen-before that worker empties it. No read can follow: every
//!    consumer has already decremented. Outputs are never emptied during a run.
//! 4. **Outputs at the end.** Output slots are read after every worker has
//!    joined (`std::thread::scope` joins them), which orders every write before.

use std::cell::UnsafeCell;
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crossbeam_utils::CachePadded;

use crate::error::{RunError, TaskError};
use crate::executor::{RunOptions, RunOutput, RunStats};
use crate::memory::Memory;
use crate::plan::Plan;
use crate::trace::{CounterSample, TaskSample, WorkerTrace};
use crate::value::Value;

/// How often progress may be reported.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(50);
/// Tasks a worker runs between looks at the clock for progress.
const PROGRESS_EVERY: usize = 64;

/// The value of one task and the bytes it was counted for.
struct SlotData {
    value: Option<Value>,
    bytes: usize,
}

/// A task's value cell, accessed under the protocol in the module docs.
struct Slot(UnsafeCell<SlotData>);

// SAFETY: a slot is written by one worker and read or emptied by others only
// in the happens-before order established by the protocol in the module docs;
// `Value` is `Send + Sync`.
unsafe impl Sync for Slot {}

/// What running one task led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Done; more tasks remain.
    Continue,
    /// Done, and it was the last output: the run is complete.
    Finished,
    /// The task failed (the failure is recorded) or the run was cancelled.
    Stop,
}

/// What one worker keeps for itself during a run.
pub(crate) struct WorkerCtx {
    pub(crate) index: usize,
    stack: Vec<Value>,
    /// Dependents made ready by the last task, for the executor to schedule.
    pub(crate) ready: Vec<u32>,
    pub(crate) done: usize,
    pub(crate) idle: Duration,
    started: Instant,
    busy: Duration,
    pub(crate) trace: Option<WorkerTrace>,
}

impl WorkerCtx {
    /// Ends the worker's part of the run: its busy time is its lifetime less
    /// the time it spent idle.
    pub(crate) fn close(&mut self) {
        self.busy = self.started.elapsed().saturating_sub(self.idle);
    }
}

/// The shared state of one run.
pub(crate) struct RunState<'p, 'g> {
    pub(crate) plan: &'p Plan<'g>,
    slots: Box<[Slot]>,
    deps_left: Box<[AtomicU32]>,
    consumers_left: Box<[AtomicU32]>,
    outputs_left: AtomicUsize,
    pub(crate) memory: Memory,
    /// Set when the run is complete or cancelled; workers stop taking tasks.
    stop: AtomicBool,
    failure: Mutex<Option<RunError>>,
    pub(crate) start: Instant,
    /// Ready tasks not yet started (kept only while tracing).
    ready_count: AtomicIsize,
    tracing: bool,
    progress: Option<&'p (dyn Fn(usize, usize) + Sync)>,
    next_progress_ns: AtomicU64,
    done_counts: Box<[CachePadded<AtomicUsize>]>,
    /// Rank of each task (lower runs first), from the policy.
    pub(crate) priority: Vec<u32>,
}

impl<'p, 'g> RunState<'p, 'g> {
    /// Prepares a run of `plan` with `workers` workers.
    pub(crate) fn new(
        plan: &'p Plan<'g>,
        options: &RunOptions<'p>,
        workers: usize,
    ) -> Result<RunState<'p, 'g>, RunError> {
        let n = plan.len();
        let priority = options.policy.priorities(plan);
        if priority.len() != n {
            return Err(RunError::Policy {
                policy: options.policy.name().to_owned(),
                got: priority.len(),
                tasks: n,
            });
        }
        let slots = (0..n)
            .map(|_| {
                Slot(UnsafeCell::new(SlotData {
                    value: None,
                    bytes: 0,
                }))
            })
            .collect();
        let deps_left = (0..n as u32)
            .map(|t| AtomicU32::new(plan.dependencies(t).len() as u32))
            .collect();
        let consumers_left = (0..n as u32)
            .map(|t| AtomicU32::new(plan.dependents(t).len() as u32))
            .collect();
        let outputs_left = (0..n as u32).filter(|&t| plan.is_output(t)).count();
        Ok(RunState {
            plan,
            slots,
            deps_left,
            consumers_left,
            outputs_left: AtomicUsize::new(outputs_left),
            memory: Memory::default(),
            stop: AtomicBool::new(false),
            failure: Mutex::new(None),
            start: Instant::now(),
            ready_count: AtomicIsize::new(0),
            tracing: options.trace.is_some(),
            progress: options.progress,
            next_progress_ns: AtomicU64::new(PROGRESS_INTERVAL.as_nanos() as u64),
            done_counts: (0..workers.max(1))
                .map(|_| CachePadded::new(AtomicUsize::new(0)))
                .collect(),
            priority,
        })
    }

    /// The ordering key of a task: its rank, ties broken by index (smaller
    /// runs first).
    pub(crate) fn key(&self, t: u32) -> u64 {
        (u64::from(self.priority[t as usize]) << 32) | u64::from(t)
    }

    /// The tasks ready at the start, best first.
    pub(crate) fn initial_ready(&self) -> Vec<u32> {
        let mut ready: Vec<u32> = self.plan.sources().collect();
        ready.sort_unstable_by_key(|&t| self.key(t));
        self.note_ready(ready.len());
        ready
    }

    /// Counts tasks made ready (for the trace's ready-queue counter).
    pub(crate) fn note_ready(&self, n: usize) {
        if self.tracing {
            // Relaxed: a statistic, synchronising nothing.
            self.ready_count.fetch_add(n as isize, Ordering::Relaxed);
        }
    }

    /// True once the run is complete or cancelled.
    pub(crate) fn stopped(&self) -> bool {
        // Acquire pairs with the Release in `finish`/`fail`; the flag guards no
        // data, so this is only for promptness.
        self.stop.load(Ordering::Acquire)
    }

    /// Marks the run as over (complete or cancelled).
    pub(crate) fn finish(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    fn fail(&self, t: u32, call: u32, func: Arc<str>, source: TaskError) {
        let mut failure = self.failure.lock().unwrap_or_else(|e| e.into_inner());
        if failure.is_none() {
            *failure = Some(RunError::Task {
                key: self.plan.key(t).clone(),
                task: self.plan.describe(t, Some(call)),
                func,
                source,
            });
        }
        drop(failure);
        self.finish();
    }

    /// A fresh context for worker `index`.
    pub(crate) fn worker(&self, index: usize) -> WorkerCtx {
        WorkerCtx {
            index,
            stack: Vec::new(),
            ready: Vec::new(),
            done: 0,
            idle: Duration::ZERO,
            started: Instant::now(),
            busy: Duration::ZERO,
            trace: self.tracing.then(WorkerTrace::default),
        }
    }

    fn now_ns(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }

    /// Runs task `t`: evaluates it (a panic is caught and becomes its error),
    /// stores its value, releases dependencies it was the last consumer of, and
    /// leaves the dependents it made ready in `ctx.ready` (in dependents order).
    pub(crate) fn run_task(&self, t: u32, ctx: &mut WorkerCtx) -> Outcome {
        if self.stopped() {
            return Outcome::Stop;
        }
        let plan = self.plan;
        let start_ns = if self.tracing {
            self.ready_count.fetch_sub(1, Ordering::Relaxed);
            self.now_ns()
        } else {
            0
        };
        let stack = &mut ctx.stack;
        let mut calls = 0;
        let result = catch_unwind(AssertUnwindSafe(|| {
            plan.evaluate(t, stack, &mut calls, |d| {
                // SAFETY: `d` is a dependency of `t`, which runs only after every
                // dependency stored its value and before `t` decrements
                // `consumers_left[d]` (protocol points 2 and 3).
                unsafe { self.read(d) }
            })
        }));
        let bytes = match result {
            Ok(Ok(value)) => {
                let bytes = value.nbytes();
                // SAFETY: only the worker running `t` writes slot `t`, once
                // (protocol point 1), before publishing it to dependents.
                unsafe { self.write(t, value, bytes) };
                self.memory.add(bytes);
                bytes
            }
            Ok(Err(e)) => {
                self.fail(t, calls, e.func, e.error);
                return Outcome::Stop;
            }
            Err(payload) => {
                ctx.stack.clear();
                let func = plan.func_name(t).into();
                self.fail(t, calls, func, TaskError::from_panic(payload.as_ref()));
                return Outcome::Stop;
            }
        };
        let mut freed = 0;
        for &d in plan.dependencies(t) {
            if self.consumers_left[d as usize].fetch_sub(1, Ordering::AcqRel) == 1
                && !plan.is_output(d)
            {
                // SAFETY: this was the last consumer of `d`; every read of slot
                // `d` happened before (protocol point 3).
                freed += unsafe { self.take(d) };
            }
        }
        if freed > 0 {
            self.memory.sub(freed);
        }
        ctx.ready.clear();
        for &s in plan.dependents(t) {
            if self.deps_left[s as usize].fetch_sub(1, Ordering::AcqRel) == 1 {
                ctx.ready.push(s);
            }
        }
        self.note_ready(ctx.ready.len());
        ctx.done += 1;
        if let Some(trace) = &mut ctx.trace {
            let end_ns = self.now_ns();
            trace.tasks.push(TaskSample {
                task: t,
                start_ns,
                end_ns,
                bytes,
            });
            trace.counters.push(CounterSample {
                ts_ns: end_ns,
                held: self.memory.held(),
                ready: self.ready_count.load(Ordering::Relaxed).max(0) as usize,
            });
        }
        if ctx.done.is_multiple_of(PROGRESS_EVERY) {
            self.report_progress(ctx);
        }
        if plan.is_output(t) && self.outputs_left.fetch_sub(1, Ordering::AcqRel) == 1 {
            // Every plan task is an ancestor of an output, so with every output
            // done, every task is done.
            self.finish();
            return Outcome::Finished;
        }
        Outcome::Continue
    }

    /// Calls the progress callback if it is due (at most once per interval
    /// across all workers).
    fn report_progress(&self, ctx: &WorkerCtx) {
        let Some(progress) = self.progress else {
            return;
        };
        // Relaxed: the per-worker counts are statistics.
        self.done_counts[ctx.index].store(ctx.done, Ordering::Relaxed);
        let now = self.now_ns();
        let due = self.next_progress_ns.load(Ordering::Relaxed);
        if now < due {
            return;
        }
        // Only the worker whose CAS moves the deadline reports.
        let next = now + PROGRESS_INTERVAL.as_nanos() as u64;
        if self
            .next_progress_ns
            .compare_exchange(due, next, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
        {
            let done = self
                .done_counts
                .iter()
                .map(|c| c.load(Ordering::Relaxed))
                .sum();
            progress(done, self.plan.len());
        }
    }

    /// Reads slot `d`.
    ///
    /// # Safety
    /// The write of slot `d` happens-before this call and the slot is not
    /// emptied before it returns (protocol points 2 and 3).
    unsafe fn read(&self, d: u32) -> Value {
        // SAFETY: per this function's contract, no write is concurrent.
        let data = unsafe { &*self.slots[d as usize].0.get() };
        data.value
            .clone()
            .expect("a dependency's value is stored before its consumers run")
    }

    /// Writes slot `t`.
    ///
    /// # Safety
    /// Called once per slot, by the worker running `t`, before `t`'s dependents
    /// are published (protocol point 1).
    unsafe fn write(&self, t: u32, value: Value, bytes: usize) {
        // SAFETY: per this function's contract, no access is concurrent.
        let data = unsafe { &mut *self.slots[t as usize].0.get() };
        *data = SlotData {
            value: Some(value),
            bytes,
        };
    }

    /// Empties slot `d`, returning the bytes it was counted for.
    ///
    /// # Safety
    /// Every read of slot `d` happens-before this call and none follows
    /// (protocol point 3).
    unsafe fn take(&self, d: u32) -> usize {
        // SAFETY: per this function's contract, no access is concurrent.
        let data = unsafe { &mut *self.slots[d as usize].0.get() };
        data.value = None;
        data.bytes
    }

    /// Ends the run: the first failure, or the outputs and statistics.
    /// `workers` are the closed contexts of every worker, in index order.
    pub(crate) fn into_output(
        self,
        workers: Vec<WorkerCtx>,
        options: &RunOptions<'_>,
    ) -> Result<RunOutput, RunError> {
        let wall = self.start.elapsed();
        let failure = self
            .failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        let tasks: usize = workers.iter().map(|w| w.done).sum();
        let busy_s_per_worker = workers.iter().map(|w| w.busy.as_secs_f64()).collect();
        if let Some(trace) = options.trace {
            let plan = self.plan;
            let mut names: HashMap<&str, Arc<str>> = HashMap::new();
            for w in workers {
                if let Some(recorded) = w.trace {
                    trace.record(self.start, w.index, recorded, |t| {
                        let func = plan.func_name(t);
                        let func = names.entry(func).or_insert_with(|| func.into()).clone();
                        (plan.key(t).0.clone(), func)
                    });
                }
            }
        }
        if let Some(err) = failure {
            return Err(err);
        }
        let outputs = self
            .plan
            .outputs()
            .iter()
            .map(|&o| {
                // SAFETY: every worker has joined, so every write happens-before
                // this read (protocol point 4), and outputs are never emptied.
                let data = unsafe { &*self.slots[o as usize].0.get() };
                data.value.clone().unwrap_or(Value::None)
            })
            .collect();
        if let Some(progress) = self.progress {
            progress(tasks, self.plan.len());
        }
        Ok(RunOutput {
            outputs,
            stats: RunStats {
                tasks,
                wall_s: wall.as_secs_f64(),
                busy_s_per_worker,
                peak_bytes: self.memory.peak(),
            },
        })
    }
}
