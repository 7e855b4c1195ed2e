//! Writing computed outputs to a folder: `<id>.npy` for arrays, `<id>.json` for
//! other values, all or nothing.
//!
//! Every file is first written under a hidden temporary name in the output folder
//! and renamed to its final name only once every output has been written, so a
//! failure never leaves a partial file under a final name.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use ndarray_npy::WriteNpyExt;
use tessera_runtime::{Array, Value};

/// The file stem for an output id: the id itself when it matches
/// `[A-Za-z0-9_.-]+`, otherwise the id with every other character replaced by `_`.
/// Tuple keys arrive here as their compact JSON text (`["x",0,1]` → `__x__0_1_`).
pub fn file_stem(id: &str) -> String {
    let stem: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    // "." and ".." would name folders, and an empty id names nothing.
    match stem.as_str() {
        "" | "." | ".." => format!("_{stem}"),
        _ => stem,
    }
}

/// An error while writing outputs, naming the file.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {source}", path.display())]
pub struct OutputError {
    /// The file that could not be written.
    pub path: PathBuf,
    /// Why.
    #[source]
    pub source: io::Error,
}

/// Writes each `(id, value)` to `dir` (created if needed) and returns the final
/// paths, in order. On error no file of this call is left behind.
pub fn write_outputs(dir: &Path, outputs: &[(String, Value)]) -> Result<Vec<PathBuf>, OutputError> {
    fs::create_dir_all(dir).map_err(|source| OutputError {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::with_capacity(outputs.len());
    let mut renamed = 0;
    let result = (|| {
        for (id, value) in outputs {
            let ext = if matches!(value, Value::Array(_)) {
                "npy"
            } else {
                "json"
            };
            let final_path = dir.join(format!("{}.{ext}", file_stem(id)));
            let tmp_path = dir.join(format!(
                ".{}.{ext}.tmp-{}",
                file_stem(id),
                std::process::id()
            ));
            staged.push((tmp_path.clone(), final_path));
            write_value(&tmp_path, value).map_err(|source| OutputError {
                path: tmp_path.clone(),
                source,
            })?;
        }
        for (tmp, final_path) in &staged {
            fs::rename(tmp, final_path).map_err(|source| OutputError {
                path: final_path.clone(),
                source,
            })?;
            renamed += 1;
        }
        Ok(staged.iter().map(|(_, f)| f.clone()).collect())
    })();
    if result.is_err() {
        // All or nothing: remove the temporaries and the outputs already renamed.
        for (i, (tmp, final_path)) in staged.iter().enumerate() {
            let _ = fs::remove_file(if i < renamed { final_path } else { tmp });
        }
    }
    result
}

fn write_value(path: &Path, value: &Value) -> io::Result<()> {
    let mut file = BufWriter::new(fs::File::create(path)?);
    match value {
        Value::Array(array) => write_npy(&mut file, array)?,
        other => {
            serde_json::to_writer(&mut file, &other.to_json())?;
            file.write_all(b"\n")?;
        }
    }
    file.into_inner().map_err(|e| e.into_error())?.sync_all()
}

fn write_npy(file: &mut impl Write, array: &Array) -> io::Result<()> {
    let to_io = |e: ndarray_npy::WriteNpyError| io::Error::other(e.to_string());
    match array {
        Array::F64(a) => a.write_npy(file).map_err(to_io),
        Array::F32(a) => a.write_npy(file).map_err(to_io),
        Array::I64(a) => a.write_npy(file).map_err(to_io),
        Array::I32(a) => a.write_npy(file).map_err(to_io),
        Array::Bool(a) => a.write_npy(file).map_err(to_io),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{ArrayD, IxDyn};
    use ndarray_npy::ReadNpyExt;

    #[test]
    fn stems_keep_safe_ids_and_replace_the_rest() {
        assert_eq!(file_stem("c"), "c");
        assert_eq!(file_stem("x-1.out_2"), "x-1.out_2");
        assert_eq!(file_stem(r#"["x",0,1]"#), "__x__0_1_");
        assert_eq!(file_stem("a/b"), "a_b");
        assert_eq!(file_stem(".."), "_..");
    }

    #[test]
    fn arrays_become_npy_and_others_json() {
        let dir = tempfile::tempdir().unwrap();
        let a = ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![1.0, 2.0, 3.0, 4.0]).unwrap();
        let outputs = vec![
            ("a".to_string(), Value::Array(Array::from(a.clone()))),
            ("n".to_string(), Value::Int(7)),
        ];
        let paths = write_outputs(dir.path(), &outputs).unwrap();
        assert_eq!(
            paths,
            vec![dir.path().join("a.npy"), dir.path().join("n.json")]
        );
        let back = ArrayD::<f64>::read_npy(fs::File::open(&paths[0]).unwrap()).unwrap();
        assert_eq!(back, a);
        assert_eq!(fs::read_to_string(&paths[1]).unwrap(), "7\n");
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn a_failed_write_leaves_no_final_file() {
        let dir = tempfile::tempdir().unwrap();
        // A folder squatting on the second output's final name makes its rename fail.
        fs::create_dir(dir.path().join("b.json")).unwrap();
        fs::write(dir.path().join("b.json").join("x"), "").unwrap();
        let outputs = vec![
            ("a".to_string(), Value::Int(1)),
            ("b".to_string(), Value::Int(2)),
        ];
        assert!(write_outputs(dir.path(), &outputs).is_err());
        let names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(!names.iter().any(|n| n.contains(".tmp-")), "{names:?}");
        assert!(!names.contains(&"a.json".to_string()), "{names:?}");
    }
}
