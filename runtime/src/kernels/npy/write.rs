//! Writing an [`Array`](crate::value::Array) to a `.npy` file atomically: a temporary file in the same folder, then a rename.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use ndarray_npy::WriteNpyExt;

use super::error::NpyError;
use crate::value::Array;

/// Distinguishes temporary files of concurrent writes within one process; only
/// uniqueness matters, so relaxed ordering is enough.
static COUNTER: AtomicU64 = AtomicU64::new(0);

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

fn write_to(tmp: &Path, a: &Array) -> Result<(), NpyError> {
    let io = |source| NpyError::Io {
        path: tmp.to_path_buf(),
        source,
    };
    let file = File::create(tmp).map_err(io)?;
    let mut w = BufWriter::new(file);
    crate::with_array!(a, x => x.write_npy(&mut w)).map_err(|e| NpyError::Data {
        path: tmp.to_path_buf(),
        message: e.to_string(),
    })?;
    let file = w.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    Ok(())
}

/// Writes `a` to `path` as `.npy`: the final name appears only once the whole file
/// is written (a failure leaves no file under `path`).
pub fn write_npy(path: &Path, a: &Array) -> Result<(), NpyError> {
    let tmp = temp_path(path);
    let result = write_to(&tmp, a).and_then(|()| {
        std::fs::rename(&tmp, path).map_err(|source| NpyError::Io {
            path: path.to_path_buf(),
            source,
        })
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
