//! Constructors: in-memory data (`input` nodes whose value travels with the
//! expression), `.npy` files, and the graph format's sources (`zeros`, `ones`,
//! `full`, `arange`, `linspace`, `eye`).

use std::path::{Component, Path};
use std::sync::Arc;

use ndarray::ArrayD;
use serde_json::json;
use tessera_ir::DType;
use tessera_runtime::Value;

use super::args::{Chunking, Scalar};
use super::compute::Element;
use super::error::ArrayError;
use super::expr::{Expr, InputData};
use super::{Array, obj};

/// The `name` an `input` node holds until a document names it after its node id.
pub(crate) const UNNAMED_INPUT: &str = "input";

impl Array {
    /// An array of in-memory data split into `chunks`. The data is not copied: it
    /// is kept in the expression and bound to the `input` node when computing
    /// (blocks are views of it).
    pub fn from_ndarray<T: Element>(
        data: ArrayD<T>,
        chunks: impl Into<Chunking>,
    ) -> Result<Array, ArrayError> {
        Array::from_runtime(T::into_runtime(data), chunks)
    }

    /// An array of in-memory data of any dtype (a runtime array).
    pub fn from_runtime(
        data: tessera_runtime::Array,
        chunks: impl Into<Chunking>,
    ) -> Result<Array, ArrayError> {
        let attrs = obj(json!({
            "name": UNNAMED_INPUT,
            "shape": data.shape(),
            "dtype": data.dtype().name(),
            "chunks": chunks.into().to_json(),
        }));
        let mut node = Expr::check("input", Vec::new(), attrs)?;
        node.input = Some(InputData {
            name: None,
            value: Some(Arc::new(Value::Array(data))),
            source: None,
        });
        Array::from_node(Arc::new(node))
    }

    /// An array read from a `.npy` file (`<f8`, `<f4`, `<i8`, `<i4`, `|b1`).
    ///
    /// A relative path inside the working directory (or an absolute one under
    /// it) becomes a lazy `from_npy` node: only the blocks needed are read, when
    /// computing. Graph documents cannot name files outside their folder, so a file
    /// elsewhere is read now and held in memory like [`Array::from_ndarray`].
    pub fn from_npy(
        path: impl AsRef<Path>,
        chunks: impl Into<Chunking>,
    ) -> Result<Array, ArrayError> {
        let path = path.as_ref();
        let chunks = chunks.into();
        if let Some(rel) = relative_to_cwd(path) {
            let attrs = obj(json!({"path": rel, "chunks": chunks.to_json()}));
            return Array::apply("from_npy", Vec::new(), attrs);
        }
        let data = tessera_runtime::kernels::npy::read_npy(path).map_err(|e| ArrayError::Npy {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Array::from_runtime(data, chunks)
    }

    /// An array of zeros.
    pub fn zeros(
        shape: &[usize],
        dtype: DType,
        chunks: impl Into<Chunking>,
    ) -> Result<Array, ArrayError> {
        filled("zeros", shape, dtype, chunks.into())
    }

    /// An array of ones.
    pub fn ones(
        shape: &[usize],
        dtype: DType,
        chunks: impl Into<Chunking>,
    ) -> Result<Array, ArrayError> {
        filled("ones", shape, dtype, chunks.into())
    }

    /// An array filled with `fill_value`; its dtype is `dtype`, or NumPy's for the
    /// value (`bool`, `int64`, `float64`) when `None`.
    pub fn full(
        shape: &[usize],
        fill_value: impl Scalar,
        dtype: Option<DType>,
        chunks: impl Into<Chunking>,
    ) -> Result<Array, ArrayError> {
        let mut attrs = obj(json!({"shape": shape, "fill_value": fill_value.to_json()}));
        if let Some(d) = dtype {
            attrs.insert("dtype".into(), json!(d.name()));
        }
        attrs.insert("chunks".into(), chunks.into().to_json());
        Array::apply("full", Vec::new(), attrs)
    }

    /// `numpy.arange(start, stop, step)`: `int64` when all three are integers,
    /// else `float64`, unless `dtype` is given.
    pub fn arange(
        start: impl Scalar,
        stop: impl Scalar,
        step: impl Scalar,
        dtype: Option<DType>,
        chunks: impl Into<Chunking>,
    ) -> Result<Array, ArrayError> {
        let mut attrs = obj(json!({
            "start": start.to_json(),
            "stop": stop.to_json(),
            "step": step.to_json(),
        }));
        if let Some(d) = dtype {
            attrs.insert("dtype".into(), json!(d.name()));
        }
        attrs.insert("chunks".into(), chunks.into().to_json());
        Array::apply("arange", Vec::new(), attrs)
    }

    /// `numpy.linspace(start, stop, num, endpoint)` (`float64`).
    pub fn linspace(
        start: f64,
        stop: f64,
        num: usize,
        endpoint: bool,
        chunks: impl Into<Chunking>,
    ) -> Result<Array, ArrayError> {
        let attrs = obj(json!({
            "start": start.to_json(),
            "stop": stop.to_json(),
            "num": num,
            "endpoint": endpoint,
            "chunks": chunks.into().to_json(),
        }));
        Array::apply("linspace", Vec::new(), attrs)
    }

    /// `numpy.eye(n, m, k)`: ones on diagonal `k`, zeros elsewhere.
    pub fn eye(
        n: usize,
        m: Option<usize>,
        k: i64,
        dtype: DType,
        chunks: impl Into<Chunking>,
    ) -> Result<Array, ArrayError> {
        let attrs = obj(json!({
            "N": n,
            "M": m,
            "k": k,
            "dtype": dtype.name(),
            "chunks": chunks.into().to_json(),
        }));
        Array::apply("eye", Vec::new(), attrs)
    }
}

fn filled(op: &str, shape: &[usize], dtype: DType, chunks: Chunking) -> Result<Array, ArrayError> {
    let attrs = obj(json!({"shape": shape, "dtype": dtype.name(), "chunks": chunks.to_json()}));
    Array::apply(op, Vec::new(), attrs)
}

/// The path relative to the working directory, if it stays inside it (what a
/// document's `from_npy` can name when validated without a base folder).
fn relative_to_cwd(path: &Path) -> Option<String> {
    let rel = if path.is_absolute() {
        let cwd = std::env::current_dir().ok()?.canonicalize().ok()?;
        let real = path.canonicalize().ok()?;
        real.strip_prefix(&cwd).ok()?.to_path_buf()
    } else {
        path.to_path_buf()
    };
    let inside = rel
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    let text = rel.to_str()?;
    (inside && !text.is_empty()).then(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::IxDyn;

    #[test]
    fn sources_infer_shape_dtype_and_chunks() {
        let a = Array::zeros(&[5, 4], DType::Float32, 2).unwrap();
        assert_eq!(a.chunks().0, vec![vec![2, 2, 1], vec![2, 2]]);
        assert_eq!(a.dtype(), DType::Float32);
        assert_eq!(Array::full(&[2], 3, None, 2).unwrap().dtype(), DType::Int64);
        assert_eq!(
            Array::full(&[2], true, None, 2).unwrap().dtype(),
            DType::Bool
        );
        assert_eq!(
            Array::full(&[2], 1.5, Some(DType::Float32), 2)
                .unwrap()
                .dtype(),
            DType::Float32
        );
        let r = Array::arange(0.0, 1.0, 0.25, None, 2).unwrap();
        assert_eq!((r.shape(), r.dtype()), (&[4usize][..], DType::Float64));
        assert_eq!(Array::linspace(0.0, 1.0, 7, true, 3).unwrap().shape(), &[7]);
        let e = Array::eye(3, Some(5), 1, DType::Bool, "auto").unwrap();
        assert_eq!((e.shape(), e.dtype()), (&[3usize, 5][..], DType::Bool));
    }

    #[test]
    fn bad_sources_fail_when_built() {
        let e = Array::arange(0, 5, 0, None, 5).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot build arange (at step): step must not be zero"
        );
        let e = Array::zeros(&[10], DType::Float64, vec![vec![5, 4]]).unwrap_err();
        assert!(e.to_string().contains("add up to 9"), "{e}");
        let e = Array::from_npy("no/such/file.npy", 2).unwrap_err();
        assert!(e.to_string().contains("cannot open"), "{e}");
        let e = Array::from_npy("/no/such/file.npy", 2).unwrap_err();
        assert!(
            e.to_string().starts_with("cannot read /no/such/file.npy"),
            "{e}"
        );
    }

    #[test]
    fn in_memory_data_keeps_its_value() {
        let data = ArrayD::from_shape_fn(IxDyn(&[3, 4]), |i| (i[0] * 4 + i[1]) as i32);
        let a = Array::from_ndarray(data, [2, 4]).unwrap();
        assert_eq!((a.shape(), a.dtype()), (&[3usize, 4][..], DType::Int32));
        assert_eq!(a.chunks().0, vec![vec![2, 1], vec![4]]);
        assert_eq!(a.op(), "input");
        let e = Array::from_ndarray(ArrayD::<f64>::zeros(IxDyn(&[3])), vec![vec![1]]).unwrap_err();
        assert!(
            e.to_string().starts_with("cannot build input (at chunks)"),
            "{e}"
        );
    }

    #[test]
    fn paths_under_the_working_directory_are_relative() {
        assert_eq!(
            relative_to_cwd(Path::new("a/b.npy")).as_deref(),
            Some("a/b.npy")
        );
        assert_eq!(relative_to_cwd(Path::new("../b.npy")), None);
        assert_eq!(relative_to_cwd(Path::new("/definitely/not/here.npy")), None);
    }
}
