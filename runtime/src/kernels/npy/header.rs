//! Parsing the header of a `.npy` file (format versions 1.0, 2.0 and 3.0).

use std::io::Read;
use std::path::Path;

use tessera_ir::DType;

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

fn header_err(path: &Path, message: impl Into<String>) -> NpyError {
    NpyError::Header {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// The text after `'key':` in the header dictionary.
fn value_of<'a>(dict: &'a str, key: &str) -> Option<&'a str> {
    let at = dict
        .find(&format!("'{key}'"))
        .or_else(|| dict.find(&format!("\"{key}\"")))?;
    let rest = &dict[at + key.len() + 2..];
    let colon = rest.find(':')?;
    Some(rest[colon + 1..].trim_start())
}

/// Parses the header dictionary text.
pub(crate) fn parse_dict(path: &Path, dict: &str, data_offset: u64) -> Result<NpyHeader, NpyError> {
    let descr = value_of(dict, "descr").ok_or_else(|| header_err(path, "no 'descr'"))?;
    let quote = descr
        .chars()
        .next()
        .filter(|c| *c == '\'' || *c == '"')
        .ok_or_else(|| header_err(path, "'descr' is not a string"))?;
    let descr = &descr[1..];
    let descr = &descr[..descr
        .find(quote)
        .ok_or_else(|| header_err(path, "unterminated 'descr'"))?];
    let (order, code) = descr.split_at(1.min(descr.len()));
    let little_endian = match order {
        "<" | "|" => true,
        ">" => false,
        "=" => cfg!(target_endian = "little"),
        _ => {
            return Err(NpyError::Unsupported {
                path: path.to_path_buf(),
                descr: descr.to_string(),
            });
        }
    };
    let dtype = match code {
        "f8" => DType::Float64,
        "f4" => DType::Float32,
        "i8" => DType::Int64,
        "i4" => DType::Int32,
        "b1" => DType::Bool,
        _ => {
            return Err(NpyError::Unsupported {
                path: path.to_path_buf(),
                descr: descr.to_string(),
            });
        }
    };
    let fortran =
        value_of(dict, "fortran_order").ok_or_else(|| header_err(path, "no 'fortran_order'"))?;
    let fortran_order = if fortran.starts_with("True") {
        true
    } else if fortran.starts_with("False") {
        false
    } else {
        return Err(header_err(path, "'fortran_order' is not True or False"));
    };
    let shape = value_of(dict, "shape").ok_or_else(|| header_err(path, "no 'shape'"))?;
    let inner = shape
        .strip_prefix('(')
        .and_then(|s| s.find(')').map(|e| &s[..e]))
        .ok_or_else(|| header_err(path, "'shape' is not a tuple"))?;
    let shape = inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.trim_end_matches('L')
                .parse::<usize>()
                .map_err(|_| header_err(path, format!("bad dimension {s:?} in 'shape'")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(NpyHeader {
        dtype,
        little_endian,
        fortran_order,
        shape,
        data_offset,
    })
}

/// Reads the header of the `.npy` file at `path`.
pub fn read_header(path: &Path) -> Result<NpyHeader, NpyError> {
    let io = |source| NpyError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut magic = [0u8; 8];
    file.read_exact(&mut magic).map_err(io)?;
    if &magic[..6] != b"\x93NUMPY" {
        return Err(header_err(path, "not a .npy file (bad magic string)"));
    }
    let (len, prefix) = match magic[6] {
        1 => {
            let mut b = [0u8; 2];
            file.read_exact(&mut b).map_err(io)?;
            (u16::from_le_bytes(b) as usize, 10)
        }
        2 | 3 => {
            let mut b = [0u8; 4];
            file.read_exact(&mut b).map_err(io)?;
            (u32::from_le_bytes(b) as usize, 12)
        }
        v => return Err(header_err(path, format!("unsupported format version {v}"))),
    };
    let mut dict = vec![0u8; len];
    file.read_exact(&mut dict).map_err(io)?;
    let dict = String::from_utf8(dict).map_err(|_| header_err(path, "header is not text"))?;
    parse_dict(path, &dict, (prefix + len) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_numpy_dicts() {
        let p = Path::new("x.npy");
        let h = parse_dict(
            p,
            "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }",
            128,
        )
        .unwrap();
        assert_eq!(
            (h.dtype, h.fortran_order, h.shape.clone()),
            (DType::Float64, false, vec![3, 4])
        );
        let h = parse_dict(
            p,
            "{'descr': '|b1', 'fortran_order': True, 'shape': (5,), }",
            128,
        )
        .unwrap();
        assert_eq!(
            (h.dtype, h.fortran_order, h.shape),
            (DType::Bool, true, vec![5])
        );
        let h = parse_dict(
            p,
            "{'descr': '>i4', 'fortran_order': False, 'shape': (), }",
            128,
        )
        .unwrap();
        assert!(!h.little_endian && h.shape.is_empty());
        let e = parse_dict(
            p,
            "{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }",
            128,
        )
        .unwrap_err();
        assert!(e.to_string().contains("unsupported dtype"), "{e}");
        assert!(parse_dict(p, "{'descr': '<f8', 'shape': (1,), }", 128).is_err());
    }
}
