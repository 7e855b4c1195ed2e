//! The resources of one run, given to every task it runs: the bytes one task may
//! allocate and the threads its kernels may use.
//!
//! The executor enters the run's [`Budget`] on each worker thread for the run's
//! duration (a thread-local, so kernels with the registry's plain signature
//! reach it); outside a run the defaults hold (the detected memory, one pool
//! thread). Every allocation a kernel or built-in sizes from user input goes
//! through [`check_allocation`] first, so an oversized request is a task error,
//! never an abort.

use std::cell::RefCell;
use std::sync::{Arc, OnceLock};

use crate::memory_limit::{detected_memory_bytes, format_bytes};

/// What one run may use.
#[derive(Clone, Debug)]
pub struct Budget {
    /// The most bytes one task may allocate for one result (the memory budget
    /// divided among the workers that run at once); `None`: no limit.
    pub task_bytes: Option<usize>,
    /// Threads for parallel kernels (block assembly, parallel tiles): the run's
    /// `--threads` budget.
    pub threads: usize,
    /// The pool those kernels run on, built on first use and shared by the run.
    pool: Arc<OnceLock<Option<rayon::ThreadPool>>>,
}

impl Budget {
    /// A budget of `task_bytes` per task and `threads` kernel threads.
    pub fn new(task_bytes: Option<usize>, threads: usize) -> Budget {
        Budget {
            task_bytes,
            threads: threads.max(1),
            pool: Arc::default(),
        }
    }

    /// Runs `f` with this budget in force on the calling thread.
    pub fn enter<R>(&self, f: impl FnOnce() -> R) -> R {
        let previous = CURRENT.with(|c| c.replace(Some(self.clone())));
        /// Restores the previous budget, also when `f` unwinds.
        struct Restore(Option<Budget>);
        impl Drop for Restore {
            fn drop(&mut self) {
                let previous = self.0.take();
                CURRENT.with(|c| *c.borrow_mut() = previous);
            }
        }
        let _restore = Restore(previous);
        f()
    }

    /// The run's kernel pool of `threads` threads (`None` when it cannot be built:
    /// kernels then run on the calling thread alone).
    fn pool(&self) -> Option<&rayon::ThreadPool> {
        self.pool
            .get_or_init(|| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(self.threads)
                    .thread_name(|i| format!("tessera-kernel-{i}"))
                    .build()
                    .ok()
            })
            .as_ref()
    }
}

impl Default for Budget {
    /// Outside a run: the detected memory for one task, one thread.
    fn default() -> Budget {
        Budget::new(detected_memory_bytes(), 1)
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Budget>> = const { RefCell::new(None) };
}

/// The budget in force on this thread.
fn current<R>(f: impl FnOnce(&Budget) -> R) -> R {
    CURRENT.with(|c| match &*c.borrow() {
        Some(budget) => f(budget),
        None => f(&Budget::default()),
    })
}

/// Threads a parallel kernel may use now (at least 1).
pub(crate) fn kernel_threads() -> usize {
    current(|b| b.threads)
}

/// Runs `f` on the run's kernel pool (so rayon work inside it, such as faer's
/// `Par::rayon`, uses that pool's threads, never the global pool); with one
/// thread, or no pool, `f` runs here.
pub(crate) fn in_kernel_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    let budget = current(Budget::clone);
    match budget.pool().filter(|_| budget.threads > 1) {
        Some(pool) => pool.install(|| budget.enter(f)),
        None => f(),
    }
}

/// Runs `work` on up to `threads` threads of the run's kernel pool at once, the
/// calling thread among them, and returns when every copy has returned (`work`
/// takes its share from a queue of its own, so any number of copies is right).
pub(crate) fn run_on_kernel_threads(threads: usize, work: impl Fn() + Sync) {
    let budget = current(Budget::clone);
    let threads = threads.min(budget.threads);
    match budget.pool().filter(|_| threads > 1) {
        Some(pool) => pool.in_place_scope(|scope| {
            for _ in 1..threads {
                scope.spawn(|_| work());
            }
            work();
        }),
        None => work(),
    }
}

/// Checks, before allocating, that `elements` items of `element_bytes` each fit
/// the bytes one task may allocate: `what` names the request in the error
/// (`ones`, `list repetition`, ...), `shape` describes it. Returns the bytes.
pub fn check_allocation(
    what: &str,
    shape: &dyn std::fmt::Debug,
    elements: Option<usize>,
    element_bytes: usize,
) -> Result<usize, String> {
    let bytes = elements.and_then(|n| n.checked_mul(element_bytes));
    let limit = current(|b| b.task_bytes);
    match (bytes, limit) {
        (Some(b), Some(limit)) if b <= limit => Ok(b),
        (Some(b), None) if isize::try_from(b).is_ok() => Ok(b),
        (bytes, limit) => Err(format!(
            "{what} of shape {shape:?} needs {}, more than the {} one task may use{}",
            bytes.map_or(
                "more bytes than a 64-bit address space holds".into(),
                |b| format!("{} ({b} bytes)", format_bytes(b))
            ),
            limit.map_or("address space".into(), |l| format!(
                "{} ({l} bytes)",
                format_bytes(l)
            )),
            if limit.is_some() {
                " (the memory budget shared among the workers; see --memory-limit)"
            } else {
                ""
            }
        )),
    }
}

/// The number of elements of `shape`, `None` when it overflows.
pub fn element_count(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |acc, &n| acc.checked_mul(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocation_checked_against_the_task_budget() {
        let budget = Budget::new(Some(1000), 1);
        budget.enter(|| {
            assert_eq!(check_allocation("ones", &[10], Some(10), 8), Ok(80));
            let e = check_allocation("ones", &[200], Some(200), 8).unwrap_err();
            assert!(
                e.contains("ones of shape [200] needs 1.6 KiB (1600 bytes)"),
                "{e}"
            );
            assert!(e.contains("1000 B (1000 bytes)"), "{e}");
            let e = check_allocation("eye", &[1usize << 40, 1 << 40], None, 8).unwrap_err();
            assert!(e.contains("64-bit address space"), "{e}");
        });
        // Restored after the run: the default budget is the detected memory.
        assert!(check_allocation("ones", &[200], Some(200), 8).is_ok());
    }

    #[test]
    fn kernel_threads_never_exceed_the_thread_budget() {
        // Asked for 8 threads under a budget of 2: the caller and one pool thread.
        let names = std::sync::Mutex::new(std::collections::HashSet::new());
        let budget = Budget::new(None, 2);
        budget.enter(|| {
            run_on_kernel_threads(8, || {
                std::thread::sleep(std::time::Duration::from_millis(20));
                let name = std::thread::current().name().map(str::to_owned);
                names.lock().unwrap().insert(name);
            });
        });
        let names = names.into_inner().unwrap();
        assert!(names.len() <= 2, "{names:?}");
        assert!(
            names
                .iter()
                .flatten()
                .all(|n| n.starts_with("tessera-kernel-") || n.contains("budget")),
            "{names:?}"
        );
    }

    #[test]
    fn kernel_pool_has_the_budgets_threads() {
        let budget = Budget::new(None, 3);
        let threads = budget.enter(|| in_kernel_pool(rayon::current_num_threads));
        assert_eq!(threads, 3);
        assert_eq!(budget.enter(kernel_threads), 3);
    }
}
