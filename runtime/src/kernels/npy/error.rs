//! The error of reading and writing `.npy` files: names the file and what is wrong.

use std::path::PathBuf;

/// Reading or writing a `.npy` file failed.
#[derive(Debug, thiserror::Error)]
pub enum NpyError {
    /// The file could not be opened, read, written or renamed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The header is not a valid `.npy` header.
    #[error("{path}: invalid .npy header: {message}")]
    Header {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The data could not be decoded.
    #[error("{path}: {message}")]
    Data {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The requested region is outside the array.
    #[error("{path}: region {start:?}..{stop:?} is outside the array of shape {shape:?}")]
    Region {
        /// The file.
        path: PathBuf,
        /// Region start per axis.
        start: Vec<usize>,
        /// Region stop per axis.
        stop: Vec<usize>,
        /// The array's shape.
        shape: Vec<usize>,
    },
}
