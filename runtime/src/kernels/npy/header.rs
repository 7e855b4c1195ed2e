//! The header of a `.npy` file, read by tessera-ir's one header parser (the one
//! validation uses), with the byte offset of the data.

use std::io::BufReader;
use std::path::Path;

use tessera_ir::DType;
use tessera_ir::npy::read_npy_header_from;

use super::error::NpyError;

/// What a `.npy` header says about its array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpyHeader {
    /// Element type.
    pub dtype: DType,
    /// True when the data is little-endian (or single bytes).
    pub little_endian: bool,
    /// True when the data is in Fortran (column-major) order.
    pub fortran_order: bool,
    /// The array's shape.
    pub shape: Vec<usize>,
    /// Byte offset of the data in the file.
    pub data_offset: u64,
}

/// Reads the header of the `.npy` file at `path`.
pub fn read_header(path: &Path) -> Result<NpyHeader, NpyError> {
    let file = std::fs::File::open(path).map_err(|source| NpyError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let (header, data_offset) =
        read_npy_header_from(&mut BufReader::new(file)).map_err(|message| NpyError::Header {
            path: path.to_path_buf(),
            message,
        })?;
    Ok(NpyHeader {
        dtype: header.dtype,
        little_endian: header.little_endian,
        fortran_order: header.fortran_order,
        shape: header.shape,
        data_offset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A version-1 `.npy` file named `name` with header `dict` and no data.
    fn file_with(name: &str, dict: &str) -> std::path::PathBuf {
        let mut header = dict.to_owned();
        while !(10 + header.len() + 1).is_multiple_of(64) {
            header.push(' ');
        }
        header.push('\n');
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend((header.len() as u16).to_le_bytes());
        bytes.extend(header.as_bytes());
        let path = std::env::temp_dir().join(format!(
            "tessera-runtime-header-{}-{name}.npy",
            std::process::id()
        ));
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn runtime_reads_headers_with_the_validation_parser() {
        let f = file_with(
            "be",
            "{'descr': '>i4', 'fortran_order': True, 'shape': (5, 2), }",
        );
        let h = read_header(&f).unwrap();
        assert_eq!(
            (
                h.dtype,
                h.little_endian,
                h.fortran_order,
                h.shape,
                h.data_offset
            ),
            (DType::Int32, false, true, vec![5, 2], 128)
        );
        let g = file_with(
            "c16",
            "{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }",
        );
        let e = read_header(&g).unwrap_err().to_string();
        assert!(e.contains("unsupported dtype '<c16'"), "{e}");
        let h = file_with("no-order", "{'descr': '<f8', 'shape': (1,), }");
        assert!(read_header(&h).is_err());
        for p in [f, g, h] {
            std::fs::remove_file(p).unwrap();
        }
    }
}
