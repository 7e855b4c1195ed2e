//! `.npy` files written by NumPy (tests/fixtures/gen_npy_headers.py) read through
//! the one header parser: validation's view (tessera-ir) and the runtime's
//! readers (whole file and regions) agree with what NumPy reads back.

use std::path::Path;

use serde_json::Value;
use tessera::ir::npy::read_npy_header_from;
use tessera::runtime::Array;
use tessera::runtime::kernels::npy::{read_npy, read_npy_region};

/// The values of an array in C order, as f64.
fn values(a: &Array) -> Vec<f64> {
    match a {
        Array::F64(x) => x.iter().copied().collect(),
        Array::F32(x) => x.iter().map(|&v| f64::from(v)).collect(),
        Array::I64(x) => x.iter().map(|&v| v as f64).collect(),
        Array::I32(x) => x.iter().map(|&v| f64::from(v)).collect(),
        Array::Bool(x) => x.iter().map(|&v| f64::from(u8::from(v))).collect(),
    }
}

#[test]
fn headers_written_by_numpy_read_the_same_everywhere() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/npy_headers");
    let cases: serde_json::Map<String, Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("cases.json")).unwrap()).unwrap();
    assert!(cases.len() >= 12);
    for (name, want) in &cases {
        let path = dir.join(format!("{name}.npy"));
        let mut file = std::fs::File::open(&path).unwrap();
        let (h, _) = read_npy_header_from(&mut file).unwrap_or_else(|e| panic!("{name}: {e}"));
        let shape: Vec<usize> = serde_json::from_value(want["shape"].clone()).unwrap();
        assert_eq!(h.dtype.name(), want["dtype"], "{name}");
        assert_eq!(h.little_endian, want["little_endian"], "{name}");
        assert_eq!(h.fortran_order, want["fortran_order"], "{name}");
        assert_eq!(h.shape, shape, "{name}");
        let expected: Vec<f64> = serde_json::from_value(want["values"].clone()).unwrap();
        let whole = read_npy(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(whole.dtype(), h.dtype, "{name}");
        assert_eq!(whole.shape(), shape.as_slice(), "{name}");
        assert_eq!(values(&whole), expected, "{name}: whole file");
        let start = vec![0; shape.len()];
        let region = read_npy_region(&path, &start, &shape).unwrap();
        assert_eq!(values(&region), expected, "{name}: region");
    }
}
