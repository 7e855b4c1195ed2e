//! The `threads` executor: N workers on crossbeam-deque work stealing, with
//! idle workers parked on a condition variable.
//!
//! # Scheduling
//!
//! Each worker owns a LIFO [`Worker`] deque; the tasks ready at the start go to
//! a shared [`Injector`] in priority order. A worker takes work in this order:
//! the successor it kept from its last task, its own deque (newest first),
//! a batch from the injector, then one task stolen from another worker (oldest
//! first). When a task makes several dependents ready, the worker sorts them by
//! priority, keeps the best for itself (it runs next, on a warm cache, without
//! touching any deque) and pushes the rest worst-first, so that its next pop is
//! the best of them.
//!
//! # Sleeping: the protocol, and why no wake-up is lost
//!
//! An idle worker first spins briefly ([`Backoff`], a few dozen rounds of
//! `spin`/`yield`, re-checking for work each round), then parks. An idle pool
//! therefore uses no CPU. State: `sleepers: AtomicUsize` (workers in or
//! entering the parked state), and under `lock: Mutex<usize>` a count of
//! wake-up *tokens*, with `cond: Condvar`.
//!
//! Worker going to sleep:
//!
//! 1. `sleepers.fetch_add(1, SeqCst)`, then `fence(SeqCst)`.
//! 2. Look for work once more (own deque, injector, every stealer) and check the
//!    stop flag. If anything is found: `sleepers.fetch_sub(1)` and go run it.
//! 3. Lock; loop { if stopped: leave. if tokens > 0: take one, leave. wait on
//!    `cond` }. Unlock, `sleepers.fetch_sub(1)`, and go look for work.
//!
//! Worker publishing work (after pushing to its deque):
//!
//! 1. `fence(SeqCst)`, then read `sleepers`.
//! 2. If it is not zero: lock, add one token (capped at the number of workers),
//!    unlock, `notify_one`.
//!
//! Why this cannot lose a wake-up: the push (an atomic store to the deque's
//! `back` index) is sequenced before the publisher's SeqCst fence F1, which is
//! before its read of `sleepers`; the sleeper's increment of `sleepers` is
//! before its SeqCst fence F2, which is before its re-check of the deques. The
//! SeqCst fences are totally ordered. If F1 comes first, the sleeper's re-check
//! (after F2) sees the push and does not sleep. If F2 comes first, the
//! publisher's read (after F1) sees `sleepers > 0` and adds a token under the
//! lock. A token added before the sleeper locks is seen in step 3; one added
//! after it waits is delivered by `notify_one`, since the sleeper releases the
//! lock and starts waiting atomically. A token may outlive its purpose (the
//! sleeper found the work itself in step 2): it only causes one later
//! spurious wake-up, after which that worker looks for work and parks again.
//!
//! Stopping (the last output is done, or a task failed): the stop flag is
//! stored with SeqCst, then the lock is taken and `notify_all` called. A
//! sleeper checks the flag under the lock before every wait, so it either sees
//! it or is already waiting when `notify_all` runs. Running workers check the
//! flag before every task and in every idle round. Every worker thread is a
//! scoped thread joined before `execute` returns.

use std::sync::atomic::{AtomicUsize, Ordering, fence};
use std::sync::{Condvar, Mutex};
use std::time::Instant;

use crossbeam_deque::{Injector, Steal, Stealer, Worker};
use crossbeam_utils::Backoff;

use super::state::{Outcome, RunState, WorkerCtx};
use super::{Executor, RunOptions, RunOutput};
use crate::error::RunError;
use crate::plan::Plan;

/// Work-stealing executor with a fixed number of workers (scoped threads, one
/// of which is the calling thread).
#[derive(Debug, Clone, Copy)]
pub struct ThreadsExecutor {
    workers: usize,
}

impl ThreadsExecutor {
    /// An executor with `workers` workers (0 means one per available core).
    pub fn new(workers: usize) -> ThreadsExecutor {
        let workers = if workers == 0 {
            super::cores()
        } else {
            workers
        };
        ThreadsExecutor { workers }
    }
}

impl Default for ThreadsExecutor {
    fn default() -> Self {
        ThreadsExecutor::new(0)
    }
}

/// Parking of idle workers (see the module docs for the protocol).
struct Sleep {
    sleepers: AtomicUsize,
    tokens: Mutex<usize>,
    cond: Condvar,
    max_tokens: usize,
}

impl Sleep {
    fn lock(&self) -> std::sync::MutexGuard<'_, usize> {
        // The guarded count stays valid even if a holder panicked.
        self.tokens.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Called after pushing work: wakes one sleeper if there is any.
    fn new_work(&self) {
        // SeqCst fence F1: orders the push before the read of `sleepers`
        // against the sleeper's fence F2 (module docs).
        fence(Ordering::SeqCst);
        if self.sleepers.load(Ordering::Relaxed) == 0 {
            return;
        }
        let mut tokens = self.lock();
        *tokens = (*tokens + 1).min(self.max_tokens);
        drop(tokens);
        self.cond.notify_one();
    }

    /// Wakes every sleeper (after the stop flag was set).
    fn wake_all(&self) {
        drop(self.lock());
        self.cond.notify_all();
    }
}

struct Shared<'s, 'p, 'g> {
    state: &'s RunState<'p, 'g>,
    injector: Injector<u32>,
    stealers: Vec<Stealer<u32>>,
    sleep: Sleep,
}

impl Shared<'_, '_, '_> {
    fn find_work(&self, local: &Worker<u32>, index: usize) -> Option<u32> {
        if let Some(t) = local.pop() {
            return Some(t);
        }
        loop {
            let mut retry = false;
            match self.injector.steal_batch_and_pop(local) {
                Steal::Success(t) => return Some(t),
                Steal::Retry => retry = true,
                Steal::Empty => {}
            }
            let n = self.stealers.len();
            for k in 1..n {
                match self.stealers[(index + k) % n].steal() {
                    Steal::Success(t) => return Some(t),
                    Steal::Retry => retry = true,
                    Steal::Empty => {}
                }
            }
            if !retry {
                return None;
            }
        }
    }

    /// Waits until there is work (returned) or the run is over (`None`).
    fn wait_for_work(&self, local: &Worker<u32>, index: usize) -> Option<u32> {
        let backoff = Backoff::new();
        loop {
            if self.state.stopped() {
                return None;
            }
            if let Some(t) = self.find_work(local, index) {
                return Some(t);
            }
            if !backoff.is_completed() {
                backoff.snooze();
                continue;
            }
            // Step 1: announce, then fence F2.
            self.sleep.sleepers.fetch_add(1, Ordering::SeqCst);
            fence(Ordering::SeqCst);
            // Step 2: the re-check.
            let found = if self.state.stopped() {
                None
            } else {
                self.find_work(local, index)
            };
            if found.is_none() && !self.state.stopped() {
                // Step 3: park until a token or the stop flag.
                let mut tokens = self.sleep.lock();
                loop {
                    if self.state.stopped() {
                        break;
                    }
                    if *tokens > 0 {
                        *tokens -= 1;
                        break;
                    }
                    tokens = self
                        .sleep
                        .cond
                        .wait(tokens)
                        .unwrap_or_else(|e| e.into_inner());
                }
            }
            self.sleep.sleepers.fetch_sub(1, Ordering::SeqCst);
            if found.is_some() {
                return found;
            }
            backoff.reset();
        }
    }

    fn work(&self, index: usize, local: Worker<u32>) -> WorkerCtx {
        let state = self.state;
        let mut ctx = state.worker(index);
        let mut next: Option<u32> = None;
        loop {
            let t = match next.take().or_else(|| self.find_work(&local, index)) {
                Some(t) => t,
                None => {
                    let idle_since = Instant::now();
                    let found = self.wait_for_work(&local, index);
                    ctx.idle += idle_since.elapsed();
                    match found {
                        Some(t) => t,
                        None => break,
                    }
                }
            };
            match state.run_task(t, &mut ctx) {
                Outcome::Continue => {
                    let ready = &mut ctx.ready;
                    if ready.len() > 1 {
                        ready.sort_unstable_by_key(|&s| state.key(s));
                        // Worst first, so that the next pop is the best.
                        for &s in ready[1..].iter().rev() {
                            local.push(s);
                        }
                        self.sleep.new_work();
                    }
                    next = ready.first().copied();
                }
                Outcome::Finished | Outcome::Stop => {
                    self.sleep.wake_all();
                    break;
                }
            }
        }
        ctx.close();
        ctx
    }
}

impl Executor for ThreadsExecutor {
    fn name(&self) -> &str {
        "threads"
    }

    fn workers(&self) -> usize {
        self.workers
    }

    fn execute(&self, plan: &Plan<'_>, options: &RunOptions<'_>) -> Result<RunOutput, RunError> {
        // No more workers than tasks: a one-task plan runs on the calling thread
        // without spawning (spawning costs tens of microseconds).
        let n = self.workers.min(plan.len().max(1));
        let state = RunState::new(plan, options, n)?;
        let shared = Shared {
            state: &state,
            injector: Injector::new(),
            stealers: Vec::with_capacity(n),
            sleep: Sleep {
                sleepers: AtomicUsize::new(0),
                tokens: Mutex::new(0),
                cond: Condvar::new(),
                max_tokens: n,
            },
        };
        let locals: Vec<Worker<u32>> = (0..n).map(|_| Worker::new_lifo()).collect();
        let mut shared = shared;
        shared.stealers = locals.iter().map(Worker::stealer).collect();
        for t in state.initial_ready() {
            shared.injector.push(t);
        }
        if plan.is_empty() {
            state.finish();
        }
        let shared = &shared;
        let contexts = std::thread::scope(|scope| {
            let mut locals = locals.into_iter();
            let first = locals.next().unwrap_or_else(Worker::new_lifo);
            let handles: Vec<_> = locals
                .enumerate()
                .filter_map(|(i, local)| {
                    // A worker that cannot be spawned is left out: the others
                    // (at least the calling thread) still run every task.
                    std::thread::Builder::new()
                        .name(format!("tessera-worker-{}", i + 1))
                        .spawn_scoped(scope, move || match options.budget {
                            Some(budget) => budget.enter(|| shared.work(i + 1, local)),
                            None => shared.work(i + 1, local),
                        })
                        .ok()
                })
                .collect();
            let mut contexts = vec![shared.work(0, first)];
            for handle in handles {
                match handle.join() {
                    Ok(ctx) => contexts.push(ctx),
                    // Task panics are caught inside the task; a panic here is a
                    // bug of the executor itself.
                    Err(payload) => std::panic::resume_unwind(payload),
                }
            }
            contexts
        });
        state.into_output(contexts, options)
    }
}
