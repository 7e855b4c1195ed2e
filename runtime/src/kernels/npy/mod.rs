//! `.npy` files: read a whole file, read only a region of it (for slice pushdown),
//! write atomically; and the `from_npy` kernel.

mod error;
mod header;
mod read;
mod region;
mod write;

pub use error::NpyError;
pub use header::{NpyHeader, read_header};
pub use read::read_npy;
pub use region::read_npy_region;
pub use write::write_npy;

use tessera_ir::InferContext;

use super::reduce::args::{self, Kwargs, err};
use super::{KernelError, KernelFn};
use crate::error::TaskError;
use crate::registry::Registry;
use crate::value::Value;

const SIGNATURE: &str = "from_npy(path, start?, stop?)";

/// `from_npy(path, start?, stop?)`: the whole array, or the region `start..stop`,
/// of the file `path` names relative to `files`' root. The path goes through the
/// same confinement check as at validation ([`InferContext::resolve_data_path`]):
/// absolute paths, paths leaving the root and non-regular files are refused.
fn from_npy_in(
    files: &InferContext,
    values: &[Value],
    kwargs: &Kwargs,
) -> Result<Value, KernelError> {
    let op = "from_npy";
    args::arity(op, values, 0)?;
    let rel = match kwargs.get("path") {
        Some(serde_json::Value::String(s)) => s,
        Some(other) => return Err(err(op, format!("`path` must be a string, got {other}"))),
        None => return Err(err(op, "missing attribute `path`")),
    };
    let start = args::usize_list(op, kwargs, "start")?;
    let stop = args::usize_list(op, kwargs, "stop")?;
    let path = files.resolve_data_path(rel).map_err(|e| err(op, e))?;
    let out = match (start, stop) {
        (None, None) => read_npy(&path),
        (Some(s), Some(e)) => read_npy_region(&path, &s, &e),
        _ => return Err(err(op, "`start` and `stop` go together")),
    };
    out.map(Value::Array).map_err(|e| err(op, e))
}

/// `from_npy` with paths relative to the working directory (the root of the Rust
/// API, which has no document folder).
fn from_npy(values: &[Value], kwargs: &Kwargs) -> Result<Value, KernelError> {
    from_npy_in(&InferContext::default(), values, kwargs)
}

/// The `.npy` kernels: `(name, signature, function)`.
pub fn kernels() -> Vec<(&'static str, &'static str, KernelFn)> {
    vec![("from_npy", SIGNATURE, from_npy)]
}

/// Replaces `from_npy` in `registry` by one reading under `files`' root (a
/// document's folder or `--data-root`), so a run reads exactly what its
/// validation checked.
pub fn register_confined(registry: &mut Registry, files: InferContext) {
    registry.register(
        "from_npy",
        SIGNATURE,
        "array kernel",
        move |values: &[Value], kwargs: &Kwargs| {
            from_npy_in(&files, values, kwargs).map_err(TaskError::from)
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::layout::cast::from_vec;
    use crate::kernels::layout::regions::region;
    use crate::value::Array;
    use std::path::PathBuf;

    /// A fresh folder under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> TempDir {
            let p = std::env::temp_dir().join(format!("tessera-npy-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).unwrap();
            TempDir(p)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn standard(a: &Array) -> Array {
        crate::map_array!(a, x => x.as_standard_layout().into_owned().into_shared())
    }

    #[test]
    fn round_trip_every_dtype_and_no_temp_left() {
        let dir = TempDir::new("rt");
        let arrays = [
            from_vec(&[2, 3], vec![1.5f64, -2.0, 3.25, f64::INFINITY, 0.0, -0.0]).unwrap(),
            from_vec(&[3], vec![1.5f32, 2.5, -3.5]).unwrap(),
            from_vec(&[2, 2], vec![i64::MIN, -1, 0, i64::MAX]).unwrap(),
            from_vec(&[], vec![7i32]).unwrap(),
            from_vec(&[0, 2], Vec::<bool>::new()).unwrap(),
            from_vec(&[4], vec![true, false, false, true]).unwrap(),
        ];
        for (i, a) in arrays.iter().enumerate() {
            let p = dir.0.join(format!("a{i}.npy"));
            write_npy(&p, a).unwrap();
            assert_eq!(&read_npy(&p).unwrap(), a);
            assert_eq!(read_header(&p).unwrap().shape, a.shape());
        }
        let names: Vec<String> = std::fs::read_dir(&dir.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    }

    #[test]
    fn failed_write_leaves_nothing() {
        let dir = TempDir::new("fail");
        let p = dir.0.join("missing-folder").join("out.npy");
        let e = write_npy(&p, &from_vec(&[1], vec![1.0f64]).unwrap()).unwrap_err();
        assert!(e.to_string().contains("missing-folder"), "{e}");
        assert!(!p.exists());
    }

    #[test]
    fn regions_of_c_and_fortran_files() {
        let dir = TempDir::new("region");
        let a = from_vec(&[4, 5, 3], (0..60).map(|v| v as f64).collect()).unwrap();
        let c = dir.0.join("c.npy");
        write_npy(&c, &a).unwrap();
        // Fortran order: write the transpose of a C array (ndarray-npy keeps F layout).
        let Array::F64(x) = &a else { panic!() };
        let f_arr = Array::F64(
            x.as_standard_layout()
                .reversed_axes()
                .as_standard_layout()
                .into_owned()
                .into_shared()
                .reversed_axes(),
        );
        let f = dir.0.join("f.npy");
        write_npy(&f, &f_arr).unwrap();
        assert!(read_header(&f).unwrap().fortran_order);
        assert_eq!(read_npy(&f).unwrap(), a);
        for (s, e) in [
            ([1, 2, 0], [3, 5, 3]),
            ([0, 0, 0], [4, 5, 3]),
            ([2, 1, 1], [3, 4, 2]),
            ([3, 0, 0], [4, 5, 3]),
            ([1, 1, 1], [1, 3, 3]),
        ] {
            let want = standard(&region("t", &a, &s, &e).unwrap());
            assert_eq!(read_npy_region(&c, &s, &e).unwrap(), want, "C {s:?}..{e:?}");
            assert_eq!(
                standard(&read_npy_region(&f, &s, &e).unwrap()),
                want,
                "F {s:?}..{e:?}"
            );
        }
        let err = read_npy_region(&c, &[0, 0, 0], &[5, 5, 3]).unwrap_err();
        assert!(matches!(err, NpyError::Region { .. }), "{err}");
    }

    #[test]
    fn from_npy_kernel_and_bad_files() {
        let dir = TempDir::new("kernel");
        let p = dir.0.join("x.npy");
        let a = from_vec(&[3], vec![1i64, 2, 3]).unwrap();
        write_npy(&p, &a).unwrap();
        let files = InferContext {
            base_dir: None,
            data_root: Some(dir.0.clone()),
        };
        let kw = serde_json::json!({"path": "x.npy", "start": [1], "stop": [3]});
        let Value::Array(got) = from_npy_in(&files, &[], kw.as_object().unwrap()).unwrap() else {
            panic!()
        };
        assert_eq!(got, from_vec(&[2], vec![2i64, 3]).unwrap());
        let junk = dir.0.join("junk.npy");
        std::fs::write(&junk, b"not an npy file at all").unwrap();
        assert!(
            read_npy(&junk)
                .unwrap_err()
                .to_string()
                .contains("bad magic")
        );
        let kw = serde_json::json!({"path": "nope.npy"});
        assert!(
            from_npy_in(&files, &[], kw.as_object().unwrap())
                .unwrap_err()
                .0
                .starts_with("from_npy: ")
        );
    }

    #[test]
    fn from_npy_kernel_is_confined_to_its_root() {
        let dir = TempDir::new("confined");
        std::fs::create_dir_all(dir.0.join("root")).unwrap();
        let outside = dir.0.join("secret.npy");
        write_npy(&outside, &from_vec(&[1], vec![1.0f64]).unwrap()).unwrap();
        let files = InferContext {
            base_dir: None,
            data_root: Some(dir.0.join("root")),
        };
        for path in [
            outside.to_string_lossy().into_owned(),
            "../secret.npy".into(),
        ] {
            let kw = serde_json::json!({ "path": path });
            let e = from_npy_in(&files, &[], kw.as_object().unwrap()).unwrap_err();
            assert!(
                e.0.contains("absolute paths") || e.0.contains("leaves the folder"),
                "{path}: {}",
                e.0
            );
        }
        // The registered function is bound to the root it was given.
        let mut registry = Registry::new();
        register_confined(&mut registry, files);
        let kw = serde_json::json!({"path": "../secret.npy"});
        let f = registry.get("from_npy").unwrap();
        assert!(f.call(&[], kw.as_object().unwrap()).is_err());
    }
}
