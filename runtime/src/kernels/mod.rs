//! Array kernels: the functions that compute one block (or one whole in-memory
//! array) of an op. Each family lives in its own folder and lists its kernels.

pub mod error;

pub use error::{KernelError, KernelFn};
