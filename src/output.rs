//! Writing computed outputs to a folder: `<id>.npy` for arrays, `<id>.json` for
//! other values, all or nothing, then `tessera-manifest.json`.
//!
//! The folder is checked before computing ([`OutDir::prepare`]). Every file is
//! first written to a temporary file created exclusively under an unpredictable
//! name (the `tempfile` crate: never through a planted symbolic link) and renamed
//! to its final name only once every output has been written
//! ([`Staged::commit`]); an older output a failed commit replaced is put back. The
//! manifest is written last: its presence says the run finished.

use std::collections::HashMap;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ndarray_npy::WriteNpyExt;
use tempfile::NamedTempFile;
use tessera_runtime::{Array, Value};

/// The manifest's file name in the output folder.
pub const MANIFEST: &str = "tessera-manifest.json";

/// Names of files a file system accepts are at most 255 bytes; a stem longer than
/// this is shortened (room is left for the extension).
const MAX_STEM: usize = 200;

/// The file stem for an output id: the id itself when it matches
/// `[A-Za-z0-9_.-]+`, otherwise the id with every other character replaced by `_`.
/// Tuple keys arrive here as their compact JSON text (`["x",0,1]` → `__x__0_1_`).
/// A stem longer than 200 bytes keeps its first 183 bytes and ends with `~` and
/// 16 hex digits of a hash of the whole id (the same id always gives the same
/// name; the manifest lists it).
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
    let stem = match stem.as_str() {
        "" | "." | ".." => format!("_{stem}"),
        _ => stem,
    };
    if stem.len() <= MAX_STEM {
        return stem;
    }
    // The stem is ASCII, so any byte index is a character boundary.
    format!("{}~{:016x}", &stem[..MAX_STEM - 17], fnv1a(id.as_bytes()))
}

/// 64-bit FNV-1a: a hash that is the same on every platform and release (std's
/// hashers promise neither), for [`file_stem`]; five lines do not warrant a crate.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The pairs of outputs that would be written to one file (the same stem, or the
/// manifest's name), as messages naming both ids; `(index of the later id,
/// message)`. An id listed twice collides with itself.
pub fn output_name_collisions<'a>(ids: impl IntoIterator<Item = &'a str>) -> Vec<(usize, String)> {
    let manifest_stem = MANIFEST.trim_end_matches(".json");
    let mut seen: HashMap<String, &str> = HashMap::new();
    let mut faults = Vec::new();
    for (i, id) in ids.into_iter().enumerate() {
        let stem = file_stem(id);
        if stem == manifest_stem {
            faults.push((
                i,
                format!("output {id:?} would be written over the run's manifest {MANIFEST}"),
            ));
        } else if let Some(first) = seen.get(&stem) {
            let message = if *first == id {
                format!("output {id:?} is listed twice")
            } else {
                format!(
                    "outputs {first:?} and {id:?} would both be written to the file {stem}.* \
                     (ids are made file names by replacing characters outside [A-Za-z0-9_.-])"
                )
            };
            faults.push((i, message));
        } else {
            seen.insert(stem, id);
        }
    }
    faults
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

impl OutputError {
    fn new(path: &Path, source: io::Error) -> OutputError {
        OutputError {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Temporary files being written, removed by [`remove_temporaries`] when the
/// process is interrupted.
static IN_FLIGHT: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Removes every temporary output file this process has not finished (for a
/// SIGINT or SIGTERM handler, before exiting).
pub fn remove_temporaries() {
    let paths = IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner());
    for path in paths.iter() {
        let _ = fs::remove_file(path);
    }
}

/// The prefix of this process's temporary files: `.tessera-<pid>-`, so that a
/// later run can tell which ones a dead run left behind.
fn temp_prefix() -> String {
    format!(".tessera-{}-", std::process::id())
}

/// A file created exclusively in `dir` under an unpredictable name starting with
/// `prefix`, with the permissions a plain file gets (0666 less the umask: the
/// `tempfile` crate's default, 0600, would hide outputs from other users).
pub(crate) fn temp_file_in(dir: &Path, prefix: &str, suffix: &str) -> io::Result<NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix).suffix(suffix);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(dir)
}

/// A temporary file in the output folder, listed in [`IN_FLIGHT`] while it exists.
struct Temp {
    file: Option<NamedTempFile>,
}

impl Temp {
    fn new(dir: &Path, suffix: &str) -> io::Result<Temp> {
        let file = temp_file_in(dir, &temp_prefix(), suffix)?;
        IN_FLIGHT
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(file.path().to_path_buf());
        Ok(Temp { file: Some(file) })
    }

    fn path(&self) -> &Path {
        self.file.as_ref().map_or(Path::new(""), |f| f.path())
    }

    /// Writes `bytes` through the handle created with the file (never reopened
    /// by name) and syncs it.
    fn write_with(
        &mut self,
        write: impl FnOnce(&mut fs::File) -> io::Result<()>,
    ) -> io::Result<()> {
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| io::Error::other("the file was already renamed"))?
            .as_file_mut();
        write(file)?;
        file.sync_all()
    }

    /// Keeps the (empty) file under its name, no longer listed for removal, and
    /// returns its path.
    fn keep(mut self) -> io::Result<PathBuf> {
        self.forget();
        let file = self
            .file
            .take()
            .ok_or_else(|| io::Error::other("no file"))?;
        file.into_temp_path().keep().map_err(|e| e.error)
    }

    fn forget(&self) {
        let path = self.path().to_path_buf();
        IN_FLIGHT
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|p| *p != path);
    }

    /// Renames the file to `target` (replacing it).
    fn persist(mut self, target: &Path) -> Result<(), OutputError> {
        self.forget();
        let Some(file) = self.file.take() else {
            return Ok(());
        };
        file.persist(target)
            .map(drop)
            .map_err(|e| OutputError::new(target, e.error))
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        if self.file.is_some() {
            self.forget();
        }
    }
}

/// The output folder, checked before computing.
#[derive(Debug, Clone)]
pub struct OutDir {
    /// The folder as the user named it.
    given: PathBuf,
    /// Its real path, resolved once: files are written there even if a link on
    /// the way is swapped during the run.
    real: PathBuf,
    /// Its identity (device, inode) when prepared.
    #[cfg(unix)]
    identity: (u64, u64),
}

impl OutDir {
    /// Creates the folder if needed, checks that it is a folder and that files
    /// can be created in it, and removes the temporary files runs that died left
    /// in it.
    pub fn prepare(path: &Path) -> Result<OutDir, OutputError> {
        let error = |e| OutputError::new(path, e);
        fs::create_dir_all(path).map_err(error)?;
        let real = path.canonicalize().map_err(error)?;
        let meta = fs::metadata(&real).map_err(error)?;
        if !meta.is_dir() {
            return Err(error(io::Error::other("not a folder")));
        }
        drop(Temp::new(&real, ".tmp").map_err(error)?);
        sweep_dead_temporaries(&real);
        Ok(OutDir {
            given: path.to_path_buf(),
            #[cfg(unix)]
            identity: identity(&meta),
            real,
        })
    }

    /// The final path of a file named `name` in the folder.
    pub fn join(&self, name: &str) -> PathBuf {
        self.real.join(name)
    }

    /// Fails when the folder is no longer the one prepared (replaced, or a link
    /// to it swapped).
    fn verify(&self) -> Result<(), OutputError> {
        let error = |e| OutputError::new(&self.given, e);
        let meta = fs::symlink_metadata(&self.real).map_err(error)?;
        #[cfg(unix)]
        let same = meta.is_dir() && identity(&meta) == self.identity;
        #[cfg(not(unix))]
        let same = meta.is_dir();
        if same {
            Ok(())
        } else {
            Err(error(io::Error::other(
                "the output folder was replaced during the run",
            )))
        }
    }
}

#[cfg(unix)]
fn identity(meta: &fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

/// Removes `.tessera-<pid>-*.tmp` files of processes that no longer run (read from
/// `/proc`; where there is no `/proc`, nothing is removed). Only regular files
/// and links are removed, never what they point to.
fn sweep_dead_temporaries(dir: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(temporary_owner) else {
            continue;
        };
        let dead = pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists();
        let is_file = entry
            .file_type()
            .is_ok_and(|t| t.is_file() || t.is_symlink());
        if dead && is_file {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// The process that wrote a temporary file named `name`: `.tessera-<pid>-*.tmp`,
/// or `.<stem>.<ext>.tmp-<pid>` (the names of earlier releases). `.old` files hold
/// older outputs an interrupted commit set aside, and are not temporary.
fn temporary_owner(name: &str) -> Option<u32> {
    if let Some(rest) = name.strip_prefix(".tessera-") {
        let (pid, _) = rest.split_once('-')?;
        return name.ends_with(".tmp").then(|| pid.parse().ok())?;
    }
    let (_, pid) = name.strip_prefix('.')?.rsplit_once(".tmp-")?;
    pid.parse().ok()
}

/// One manifest entry.
#[derive(serde::Serialize)]
struct ManifestEntry {
    file: String,
    dtype: Option<&'static str>,
    shape: Option<Vec<usize>>,
}

/// Outputs written to temporary files, not yet under their final names; dropping
/// it removes them.
pub struct Staged<'d> {
    dir: &'d OutDir,
    files: Vec<(Temp, String)>,
    manifest: indexmap::IndexMap<String, ManifestEntry>,
}

/// Writes each `(id, value)` to a temporary file in `dir`.
pub fn stage<'d>(dir: &'d OutDir, outputs: &[(String, Value)]) -> Result<Staged<'d>, OutputError> {
    dir.verify()?;
    let mut staged = Staged {
        dir,
        files: Vec::with_capacity(outputs.len()),
        manifest: indexmap::IndexMap::new(),
    };
    for (id, value) in outputs {
        let ext = if matches!(value, Value::Array(_)) {
            "npy"
        } else {
            "json"
        };
        let name = format!("{}.{ext}", file_stem(id));
        let error = |e| OutputError::new(&dir.join(&name), e);
        let mut temp = Temp::new(&dir.real, ".tmp").map_err(error)?;
        temp.write_with(|file| write_value(file, value))
            .map_err(error)?;
        let (dtype, shape) = match value {
            Value::Array(a) => (Some(a.dtype().name()), Some(a.shape().to_vec())),
            _ => (None, None),
        };
        staged.manifest.insert(
            id.clone(),
            ManifestEntry {
                file: name.clone(),
                dtype,
                shape,
            },
        );
        staged.files.push((temp, name));
    }
    Ok(staged)
}

impl Staged<'_> {
    /// Gives every output its final name, then writes the manifest; returns the
    /// outputs' paths. On failure no output of this run is left and every older
    /// file it replaced is back.
    pub fn commit(self) -> Result<Vec<PathBuf>, OutputError> {
        let dir = self.dir;
        dir.verify()?;
        let manifest_path = dir.join(MANIFEST);
        // A manifest of an earlier run must not describe this run's files.
        match fs::remove_file(&manifest_path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                return Err(OutputError::new(&manifest_path, e));
            }
            _ => {}
        }
        let mut manifest_temp =
            Temp::new(&dir.real, ".tmp").map_err(|e| OutputError::new(&manifest_path, e))?;
        let mut written = Vec::with_capacity(self.files.len());
        // (older file moved aside, its final path)
        let mut set_aside: Vec<(PathBuf, PathBuf)> = Vec::new();
        let result = (|| {
            for (temp, name) in self.files {
                let target = dir.join(name.as_str());
                if fs::symlink_metadata(&target).is_ok_and(|m| m.is_dir()) {
                    return Err(OutputError::new(
                        &target,
                        io::Error::other("a folder has the output's name"),
                    ));
                }
                if fs::symlink_metadata(&target).is_ok() {
                    // A reserved name the older file is renamed over; not swept
                    // (`.old`), so an interrupted run never loses it.
                    let aside_path = Temp::new(&dir.real, ".old")
                        .and_then(Temp::keep)
                        .map_err(|e| OutputError::new(&target, e))?;
                    if let Err(e) = fs::rename(&target, &aside_path) {
                        let _ = fs::remove_file(&aside_path);
                        return Err(OutputError::new(&target, e));
                    }
                    set_aside.push((aside_path, target.clone()));
                }
                temp.persist(&target)?;
                written.push(target);
            }
            let manifest = serde_json::to_string_pretty(&serde_json::json!({
                "outputs": self.manifest
            }))
            .map_err(|e| OutputError::new(&manifest_path, io::Error::other(e)))?;
            manifest_temp
                .write_with(|file| file.write_all(format!("{manifest}\n").as_bytes()))
                .map_err(|e| OutputError::new(&manifest_path, e))?;
            manifest_temp.persist(&manifest_path)
        })();
        match result {
            Ok(()) => {
                for (aside, _) in &set_aside {
                    let _ = fs::remove_file(aside);
                }
                Ok(written)
            }
            Err(e) => {
                for path in &written {
                    let _ = fs::remove_file(path);
                }
                for (aside, target) in &set_aside {
                    let _ = fs::rename(aside, target);
                }
                Err(e)
            }
        }
    }
}

/// Writes each `(id, value)` to `dir` (created if needed), then the manifest, and
/// returns the outputs' final paths, in order. On error no file of this call is
/// left behind.
pub fn write_outputs(dir: &Path, outputs: &[(String, Value)]) -> Result<Vec<PathBuf>, OutputError> {
    let dir = OutDir::prepare(dir)?;
    stage(&dir, outputs)?.commit()
}

fn write_value(file: &mut fs::File, value: &Value) -> io::Result<()> {
    let mut file = BufWriter::new(file);
    match value {
        Value::Array(array) => write_npy(&mut file, array)?,
        other => {
            file.write_all(python_json(other).as_bytes())?;
            file.write_all(b"\n")?;
        }
    }
    file.flush()
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

/// A float as Python's `json` module writes it: `NaN`, `Infinity`, `-Infinity`
/// for the values strict JSON has no word for (`json.load` reads them back).
fn python_float(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else {
        serde_json::Number::from_f64(f).map_or_else(|| "NaN".into(), |n| n.to_string())
    }
}

/// `value` as JSON text, floats written as [`python_float`] does (serde_json would
/// write `null` for a NaN). Nested lists are walked with an explicit stack.
pub(crate) fn python_json(value: &Value) -> String {
    enum Item<'a> {
        Value(&'a Value),
        Text(&'static str),
    }
    let mut out = String::new();
    let mut stack = vec![Item::Value(value)];
    while let Some(item) = stack.pop() {
        let value = match item {
            Item::Text(t) => {
                out.push_str(t);
                continue;
            }
            Item::Value(v) => v,
        };
        match value {
            Value::None => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => out.push_str(&i.to_string()),
            Value::Float(f) => out.push_str(&python_float(*f)),
            Value::Str(s) => out.push_str(&serde_json::Value::from(&**s).to_string()),
            Value::Dict(map) => {
                out.push_str(&serde_json::Value::Object((**map).clone()).to_string())
            }
            Value::List(items) | Value::Tuple(items) => {
                out.push('[');
                stack.push(Item::Text("]"));
                for (i, v) in items.iter().enumerate().rev() {
                    stack.push(Item::Value(v));
                    if i > 0 {
                        stack.push(Item::Text(","));
                    }
                }
            }
            Value::Array(a) => write_array_json(&mut out, a),
        }
    }
    out
}

/// An array as nested JSON lists (a 0-d array as its one element).
fn write_array_json(out: &mut String, a: &Array) {
    let text: Vec<String> = match a {
        Array::F64(x) => x.iter().map(|&v| python_float(v)).collect(),
        Array::F32(x) => x.iter().map(|&v| python_float(f64::from(v))).collect(),
        Array::I64(x) => x.iter().map(i64::to_string).collect(),
        Array::I32(x) => x.iter().map(i32::to_string).collect(),
        Array::Bool(x) => x.iter().map(bool::to_string).collect(),
    };
    let shape = a.shape();
    // An empty array: the axes before the first zero-length one, each list
    // holding empty lists.
    let (shape, leaves): (&[usize], Vec<String>) = match shape.iter().position(|&n| n == 0) {
        Some(k) => (
            &shape[..k],
            vec!["[]".to_string(); shape[..k].iter().product()],
        ),
        None => (shape, text),
    };
    if shape.is_empty() {
        out.push_str(&leaves[0]);
        return;
    }
    // Odometer over the index: before each element open a list for every axis
    // whose index is 0, after it close one for every axis at its last index.
    let mut index = vec![0usize; shape.len()];
    for leaf in &leaves {
        let opening = index.iter().rev().take_while(|&&i| i == 0).count();
        for _ in 0..opening {
            out.push('[');
        }
        out.push_str(leaf);
        let mut closing = 0;
        for d in (0..shape.len()).rev() {
            index[d] += 1;
            if index[d] < shape[d] {
                break;
            }
            index[d] = 0;
            closing += 1;
        }
        for _ in 0..closing {
            out.push(']');
        }
        if closing < shape.len() {
            out.push(',');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{ArrayD, IxDyn};
    use ndarray_npy::ReadNpyExt;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn stems_keep_safe_ids_and_replace_the_rest() {
        assert_eq!(file_stem("c"), "c");
        assert_eq!(file_stem("x-1.out_2"), "x-1.out_2");
        assert_eq!(file_stem(r#"["x",0,1]"#), "__x__0_1_");
        assert_eq!(file_stem("a/b"), "a_b");
        assert_eq!(file_stem(".."), "_..");
    }

    #[test]
    fn long_ids_are_shortened_deterministically() {
        let a = "a".repeat(300);
        let b = format!("{}b", "a".repeat(299));
        assert_eq!(file_stem(&a), file_stem(&a));
        assert_ne!(file_stem(&a), file_stem(&b));
        assert!(file_stem(&a).len() <= MAX_STEM);
        let dir = tempfile::tempdir().unwrap();
        let paths = write_outputs(dir.path(), &[(a.clone(), Value::Int(1))]).unwrap();
        assert_eq!(fs::read_to_string(&paths[0]).unwrap(), "1\n");
        let manifest = fs::read_to_string(dir.path().join(MANIFEST)).unwrap();
        let manifest: serde_json::Value = serde_json::from_str(&manifest).unwrap();
        assert_eq!(
            manifest["outputs"][&a]["file"],
            format!("{}.json", file_stem(&a))
        );
    }

    #[test]
    fn colliding_output_names_are_found() {
        let found = output_name_collisions(["a/b", "a_b", "c", "c", "tessera-manifest"]);
        let indexes: Vec<usize> = found.iter().map(|(i, _)| *i).collect();
        assert_eq!(indexes, vec![1, 3, 4]);
        assert!(found[0].1.contains("\"a/b\"") && found[0].1.contains("\"a_b\""));
        assert!(found[1].1.contains("listed twice"));
        assert!(output_name_collisions(["a", "b"]).is_empty());
    }

    #[test]
    fn arrays_become_npy_and_others_json_with_a_manifest() {
        let dir = tempfile::tempdir().unwrap();
        let a = ArrayD::from_shape_vec(IxDyn(&[2, 2]), vec![1.0, 2.0, 3.0, 4.0]).unwrap();
        let outputs = vec![
            ("a".to_string(), Value::Array(Array::from(a.clone()))),
            ("n".to_string(), Value::Int(7)),
        ];
        let paths = write_outputs(dir.path(), &outputs).unwrap();
        let real = dir.path().canonicalize().unwrap();
        assert_eq!(paths, vec![real.join("a.npy"), real.join("n.json")]);
        let back = ArrayD::<f64>::read_npy(fs::File::open(&paths[0]).unwrap()).unwrap();
        assert_eq!(back, a);
        assert_eq!(fs::read_to_string(&paths[1]).unwrap(), "7\n");
        assert_eq!(names(dir.path()), vec!["a.npy", "n.json", MANIFEST]);
        let manifest: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(dir.path().join(MANIFEST)).unwrap()).unwrap();
        assert_eq!(
            manifest,
            serde_json::json!({"outputs": {
                "a": {"file": "a.npy", "dtype": "float64", "shape": [2, 2]},
                "n": {"file": "n.json", "dtype": null, "shape": null},
            }})
        );
    }

    #[test]
    fn a_failed_write_leaves_no_final_file_and_restores_older_outputs() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.json"), "old\n").unwrap();
        // A folder squatting on the second output's final name makes its rename fail.
        fs::create_dir(dir.path().join("b.json")).unwrap();
        fs::write(dir.path().join("b.json").join("x"), "").unwrap();
        let outputs = vec![
            ("a".to_string(), Value::Int(1)),
            ("b".to_string(), Value::Int(2)),
        ];
        assert!(write_outputs(dir.path(), &outputs).is_err());
        assert_eq!(names(dir.path()), vec!["a.json", "b.json"]);
        assert_eq!(
            fs::read_to_string(dir.path().join("a.json")).unwrap(),
            "old\n"
        );
    }

    #[cfg(unix)]
    #[test]
    fn temp_files_never_follow_a_planted_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, "precious").unwrap();
        let out = dir.path().join("out");
        fs::create_dir(&out).unwrap();
        // Links under every name an older release would have used.
        let pid = std::process::id();
        for name in [
            format!(".c.json.tmp-{pid}"),
            format!(".tessera-{pid}-x.tmp"),
        ] {
            std::os::unix::fs::symlink(&victim, out.join(name)).unwrap();
        }
        write_outputs(&out, &[("c".into(), Value::Int(5))]).unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(fs::read_to_string(out.join("c.json")).unwrap(), "5\n");
    }

    #[test]
    fn an_out_folder_swapped_during_the_run_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let out_path = dir.path().join("out");
        let out = OutDir::prepare(&out_path).unwrap();
        fs::rename(&out_path, dir.path().join("moved")).unwrap();
        fs::create_dir(&out_path).unwrap();
        let e = stage(&out, &[("x".into(), Value::Int(1))]).err().unwrap();
        assert!(e.to_string().contains("replaced"), "{e}");
        assert!(names(&out_path).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn outputs_get_the_permissions_of_a_plain_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let paths = write_outputs(dir.path(), &[("x".into(), Value::Int(1))]).unwrap();
        fs::write(dir.path().join("plain"), "").unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&paths[0]), mode(&dir.path().join("plain")));
    }

    #[test]
    fn stale_temporaries_of_dead_runs_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        // No process has this id (above the kernel's pid_max).
        let stale = dir.path().join(".tessera-4294967295-abc.tmp");
        fs::write(&stale, "x").unwrap();
        let mine = dir
            .path()
            .join(format!(".tessera-{}-keep.tmp", std::process::id()));
        fs::write(&mine, "x").unwrap();
        let old_style = dir.path().join(".c.npy.tmp-4294967295");
        fs::write(&old_style, "x").unwrap();
        let set_aside = dir.path().join(".tessera-4294967295-abc.old");
        fs::write(&set_aside, "x").unwrap();
        OutDir::prepare(dir.path()).unwrap();
        if Path::new("/proc/self").exists() {
            assert!(!stale.exists() && !old_style.exists());
        }
        assert!(set_aside.exists());
        assert!(mine.exists());
    }

    #[test]
    fn temporaries_are_listed_for_the_interrupt_handler_while_they_exist() {
        // (`remove_temporaries` itself is run by the CLI test of SIGTERM: here it
        // would remove the files of tests running in parallel.)
        let dir = tempfile::tempdir().unwrap();
        let out = OutDir::prepare(dir.path()).unwrap();
        let staged = stage(&out, &[("x".into(), Value::Int(1))]).unwrap();
        let temp = dir
            .path()
            .canonicalize()
            .unwrap()
            .join(&names(dir.path())[0]);
        let listed = || IN_FLIGHT.lock().unwrap().contains(&temp);
        assert!(listed());
        drop(staged);
        assert!(!listed());
        assert!(names(dir.path()).is_empty());
    }

    #[test]
    fn json_outputs_write_nan_and_infinities_as_python_does() {
        let v = Value::List(
            vec![
                Value::Float(f64::NAN),
                Value::Float(f64::INFINITY),
                Value::Float(f64::NEG_INFINITY),
                Value::Float(1.5),
                Value::Str("a\"b".into()),
                Value::None,
            ]
            .into(),
        );
        assert_eq!(
            python_json(&v),
            r#"[NaN,Infinity,-Infinity,1.5,"a\"b",null]"#
        );
        let a = ArrayD::from_shape_vec(IxDyn(&[2, 3]), vec![f64::NAN, 1.0, 2.0, 3.0, 4.0, 5.0])
            .unwrap();
        let t = Value::Tuple(vec![Value::Array(Array::from(a)), Value::Int(1)].into());
        assert_eq!(python_json(&t), "[[[NaN,1.0,2.0],[3.0,4.0,5.0]],1]");
        let empty = ArrayD::<i64>::zeros(IxDyn(&[2, 0]));
        assert_eq!(
            python_json(&Value::List(vec![Value::Array(Array::from(empty))].into())),
            "[[[],[]]]"
        );
        let scalar = ArrayD::from_elem(IxDyn(&[]), true);
        assert_eq!(python_json(&Value::Array(Array::from(scalar))), "true");
    }
}
