//! Errors: what a task function reports ([`TaskError`]), what planning refuses
//! ([`PlanError`]) and what a run returns ([`RunError`]).

use std::sync::Arc;

use tessera_ir::TaskKey;

use crate::kernels::KernelError;

/// The error a function reports for one call: the cause of a failed task.
///
/// The runtime wraps it in [`RunError::Task`], which adds the task key and the
/// function name, so the message here only says what is wrong with the call.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    /// An argument has a type the function does not take (Python's `TypeError`).
    #[error("{0}")]
    Type(String),
    /// An argument has the right type but a value the function refuses
    /// (Python's `ValueError`, such as `max` of an empty list).
    #[error("{0}")]
    Value(String),
    /// The function was called with the wrong number of arguments.
    #[error("expected {expected} argument(s), got {got}")]
    Arity {
        /// What the function takes (`"2"`, `"1 or more"`).
        expected: String,
        /// How many it was given.
        got: usize,
    },
    /// Division or modulo by zero (Python's `ZeroDivisionError`).
    #[error("{0}")]
    ZeroDivision(&'static str),
    /// An integer result does not fit in 64 bits (Python would promote to a
    /// big integer; tessera refuses rather than wrap around).
    #[error("integer overflow in {0}")]
    Overflow(&'static str),
    /// An index out of range (Python's `IndexError`).
    #[error("{0}")]
    Index(String),
    /// A kernel refused its inputs.
    #[error(transparent)]
    Kernel(#[from] KernelError),
    /// The function panicked; the payload's message, when it had one.
    #[error("panicked: {0}")]
    Panic(String),
    /// Any other error, kept whole so that its own cause chain is reported.
    #[error(transparent)]
    Other(Box<dyn std::error::Error + Send + Sync + 'static>),
}

impl TaskError {
    /// A type error with this message.
    pub fn type_error(message: impl Into<String>) -> TaskError {
        TaskError::Type(message.into())
    }

    /// A value error with this message.
    pub fn value_error(message: impl Into<String>) -> TaskError {
        TaskError::Value(message.into())
    }

    /// Wraps any error (its `source()` chain is kept).
    pub fn other(error: impl std::error::Error + Send + Sync + 'static) -> TaskError {
        TaskError::Other(Box::new(error))
    }

    /// Turns a `catch_unwind` payload into a [`TaskError::Panic`].
    pub(crate) fn from_panic(payload: &(dyn std::any::Any + Send)) -> TaskError {
        let message = if let Some(s) = payload.downcast_ref::<&str>() {
            (*s).to_owned()
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            "a panic with a non-string payload".to_owned()
        };
        TaskError::Panic(message)
    }
}

/// Why a task graph cannot be turned into a plan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// A task calls a function the registry does not have.
    #[error("task {key}: unknown function {func:?} (not in the function registry)")]
    UnknownFunction {
        /// The task's key.
        key: TaskKey,
        /// The name it calls.
        func: Arc<str>,
    },
    /// A task refers to a task id that the graph does not have.
    #[error("task {key} refers to task #{target} which does not exist")]
    DanglingRef {
        /// The referring task's key.
        key: TaskKey,
        /// The missing id.
        target: u32,
    },
    /// An output id that the graph does not have.
    #[error("output #{0} is not a task of the graph")]
    UnknownOutput(u32),
    /// The tasks needed by the outputs form a cycle.
    #[error("the graph has a cycle through task {key}")]
    Cycle {
        /// The key of one task on the cycle.
        key: TaskKey,
    },
    /// A literal the runtime cannot hold as a value.
    #[error("task {key}: bad literal: {reason}")]
    BadLiteral {
        /// The task's key.
        key: TaskKey,
        /// What is wrong with it.
        reason: String,
    },
    /// More tasks or instructions than the plan's 32-bit indices address.
    #[error("the graph is too large for one plan ({0})")]
    TooLarge(&'static str),
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The graph could not be planned.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// A task failed (returned an error or panicked); every task not yet started
    /// was cancelled.
    #[error("{task} failed in {func}: {source}")]
    Task {
        /// The failing task's key.
        key: TaskKey,
        /// The failing task as its user wrote it: `node "c" block [0, 1]`,
        /// `task boom (fused into c)`, or `task <key>`.
        task: String,
        /// The function that failed (for a nested call, the inner function).
        func: Arc<str>,
        /// The cause.
        #[source]
        source: TaskError,
    },
    /// A scheduling policy returned a priority list of the wrong length.
    #[error("policy {policy} returned {got} priorities for {tasks} tasks")]
    Policy {
        /// The policy's name.
        policy: String,
        /// How many priorities it returned.
        got: usize,
        /// How many tasks the plan has.
        tasks: usize,
    },
}

impl RunError {
    /// The key of the task that failed, for a task failure.
    pub fn task_key(&self) -> Option<&TaskKey> {
        match self {
            RunError::Task { key, .. } => Some(key),
            RunError::Plan(_) | RunError::Policy { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_failure_names_key_function_and_cause() {
        let err = RunError::Task {
            key: TaskKey::new("x-1"),
            task: "task x-1".into(),
            func: "div".into(),
            source: TaskError::ZeroDivision("division by zero"),
        };
        assert_eq!(err.to_string(), "task x-1 failed in div: division by zero");
        let source = std::error::Error::source(&err).expect("a cause");
        assert_eq!(source.to_string(), "division by zero");
        assert_eq!(err.task_key().map(TaskKey::as_str), Some("x-1"));
    }

    #[test]
    fn panic_payloads_become_messages() {
        let payload: Box<dyn std::any::Any + Send> = Box::new("boom");
        assert_eq!(
            TaskError::from_panic(payload.as_ref()).to_string(),
            "panicked: boom"
        );
        let payload: Box<dyn std::any::Any + Send> = Box::new(String::from("bang"));
        assert_eq!(
            TaskError::from_panic(payload.as_ref()).to_string(),
            "panicked: bang"
        );
        let payload: Box<dyn std::any::Any + Send> = Box::new(7u8);
        assert!(
            TaskError::from_panic(payload.as_ref())
                .to_string()
                .contains("non-string")
        );
    }
}
