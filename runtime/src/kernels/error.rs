//! The error and function types shared by every kernel.

/// A kernel refused its inputs or failed: a plain message naming the op and the
/// problem (`"exp: expected an array or a number, got a str"`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct KernelError(pub String);

impl KernelError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> KernelError {
        KernelError(message.into())
    }
}

/// The signature every kernel has: positional values and keyword attributes in,
/// one value out.
pub type KernelFn = fn(
    &[crate::value::Value],
    &serde_json::Map<String, serde_json::Value>,
) -> Result<crate::value::Value, KernelError>;
