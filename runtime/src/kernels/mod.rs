//! Array kernels: the functions that compute one block (or one whole in-memory
//! array) of an op. Each family lives in its own folder and lists its kernels.

mod buffer;
pub mod chunk;
pub mod elementwise;
pub mod error;
pub mod fused;
pub mod layout;
pub mod linalg;
pub mod npy;
pub mod overlap;
pub mod random;
pub mod reduce;
mod register;
pub mod scan;

pub use error::{KernelError, KernelFn};
pub use register::register_all;
