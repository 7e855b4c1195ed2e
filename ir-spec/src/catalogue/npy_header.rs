//! The one reader of `.npy` headers (format versions 1 to 3), used by validation
//! (`from_npy`'s shape and dtype) and by the runtime's readers: dtype, byte order,
//! memory order and shape, without touching the data. The header is a Python dict
//! literal such as `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`,
//! parsed by `py_literal` (the parser ndarray-npy uses); a key written twice takes
//! its last value, as Python's `ast.literal_eval` (and so NumPy) does.

use std::io::Read;
use std::path::Path;

use py_literal::Value as PyValue;

use crate::chunks::fmt_shape;
use crate::dtype::DType;

/// The most header bytes we accept (NumPy writes a few hundred).
const MAX_HEADER_LEN: usize = 1 << 20;
/// The deepest nesting of brackets accepted in a header (`py_literal` parses
/// recursively; NumPy's own headers nest two levels).
const MAX_HEADER_DEPTH: usize = 16;

/// What a `.npy` header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpyHeader {
    /// Element type.
    pub dtype: DType,
    /// True when the data is little-endian (or single bytes).
    pub little_endian: bool,
    /// Whether the data is stored in column-major order.
    pub fortran_order: bool,
    /// Array shape.
    pub shape: Vec<usize>,
}

/// Reads and checks the header of the `.npy` file at `path`, and that the file
/// holds as many data bytes as the header promises.
pub(crate) fn read_npy_header(path: &Path) -> Result<NpyHeader, String> {
    let mut file =
        std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let file_len = file
        .metadata()
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?
        .len();
    let (header, data_offset) =
        read_npy_header_from(&mut file).map_err(|e| format!("{}: {e}", path.display()))?;
    let nbytes = header
        .shape
        .iter()
        .try_fold(header.dtype.size_bytes() as u64, |acc, &n| {
            acc.checked_mul(n as u64)
        })
        .ok_or_else(|| {
            format!(
                "{}: shape {} is too large",
                path.display(),
                fmt_shape(&header.shape)
            )
        })?;
    let have = file_len.saturating_sub(data_offset);
    if have < nbytes {
        return Err(format!(
            "{} is truncated: its header announces {} {} ({nbytes} bytes of data) but only {have} bytes follow",
            path.display(),
            fmt_shape(&header.shape),
            header.dtype
        ));
    }
    Ok(header)
}

/// Reads the magic string, version, length and header of a `.npy` stream: the
/// header and the byte offset of the data.
pub fn read_npy_header_from(reader: &mut impl Read) -> Result<(NpyHeader, u64), String> {
    let not_npy = || "not a .npy file (bad magic string or truncated header)".to_owned();
    let mut prefix = [0u8; 8];
    reader.read_exact(&mut prefix).map_err(|_| not_npy())?;
    if &prefix[..6] != b"\x93NUMPY" {
        return Err(not_npy());
    }
    let (header_len, fixed) = match prefix[6] {
        1 => {
            let mut b = [0u8; 2];
            reader.read_exact(&mut b).map_err(|_| not_npy())?;
            (usize::from(u16::from_le_bytes(b)), 10u64)
        }
        2 | 3 => {
            let mut b = [0u8; 4];
            reader.read_exact(&mut b).map_err(|_| not_npy())?;
            (u32::from_le_bytes(b) as usize, 12u64)
        }
        v => return Err(format!("unsupported .npy format version {v}")),
    };
    if header_len > MAX_HEADER_LEN {
        return Err(format!(
            "the .npy header is implausibly long ({header_len} bytes)"
        ));
    }
    let mut text = vec![0u8; header_len];
    reader.read_exact(&mut text).map_err(|_| not_npy())?;
    // Version 3 headers are UTF-8; versions 1 and 2 are Latin-1, whose ASCII
    // subset is all a valid header uses.
    let text = String::from_utf8(text).map_err(|_| "the .npy header is not text".to_owned())?;
    let header = parse_npy_header(&text)?;
    Ok((header, fixed + header_len as u64))
}

/// Parses the header dict text (`{'descr': ..., 'fortran_order': ..., 'shape': ...}`).
pub fn parse_npy_header(text: &str) -> Result<NpyHeader, String> {
    let text = without_long_suffixes(text)?;
    let value: PyValue = text
        .trim()
        .parse()
        .map_err(|e| format!("malformed .npy header: {e}"))?;
    let PyValue::Dict(entries) = value else {
        return Err("malformed .npy header: it is not a dict".to_owned());
    };
    // The last value of a key wins, as in Python.
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    for (key, value) in entries {
        let PyValue::String(key) = key else {
            return Err(format!("unexpected key {key} in the .npy header"));
        };
        match key.as_str() {
            "descr" => descr = Some(value),
            "fortran_order" => fortran = Some(value),
            "shape" => shape = Some(value),
            other => return Err(format!("unexpected key '{other}' in the .npy header")),
        }
    }
    let (dtype, little_endian) = dtype_of(descr.ok_or("the .npy header has no 'descr'")?)?;
    let fortran_order = match fortran.ok_or("the .npy header has no 'fortran_order'")? {
        PyValue::Boolean(b) => b,
        other => {
            return Err(format!(
                "malformed .npy header: 'fortran_order' is {other}, not True or False"
            ));
        }
    };
    let shape = match shape.ok_or("the .npy header has no 'shape'")? {
        PyValue::Tuple(dims) => dims
            .iter()
            .map(|d| match d {
                PyValue::Integer(n) => usize::try_from(n).map_err(|_| {
                    format!("malformed .npy header: dimension {n} of 'shape' is out of range")
                }),
                other => Err(format!(
                    "malformed .npy header: dimension {other} of 'shape' is not an integer"
                )),
            })
            .collect::<Result<Vec<_>, _>>()?,
        other => {
            return Err(format!(
                "malformed .npy header: 'shape' is {other}, not a tuple"
            ));
        }
    };
    Ok(NpyHeader {
        dtype,
        little_endian,
        fortran_order,
        shape,
    })
}

/// The dtype and byte order of a `descr` value.
fn dtype_of(descr: PyValue) -> Result<(DType, bool), String> {
    let descr = match descr {
        PyValue::String(s) => s,
        PyValue::List(_) => return Err("structured dtypes are not supported".to_owned()),
        other => return Err(format!("malformed .npy header: 'descr' is {other}")),
    };
    let unsupported = || {
        format!(
            "unsupported dtype '{descr}': tessera reads float64 (f8), float32 (f4), int64 (i8), int32 (i4) and bool (b1), in either byte order"
        )
    };
    let (order, code) = match descr.as_bytes().first() {
        Some(b'<' | b'>' | b'=' | b'|') => descr.split_at(1),
        _ => return Err(unsupported()),
    };
    let dtype = match code {
        "f8" => DType::Float64,
        "f4" => DType::Float32,
        "i8" => DType::Int64,
        "i4" => DType::Int32,
        "b1" => DType::Bool,
        _ => return Err(unsupported()),
    };
    let little_endian = match order {
        "<" => true,
        ">" => false,
        "=" => cfg!(target_endian = "little"),
        // "|": byte order not applicable, which is only true of one-byte types.
        _ if dtype.size_bytes() == 1 => true,
        _ => return Err(unsupported()),
    };
    Ok((dtype, little_endian))
}

/// The header text with Python 2's `L` suffix of integers removed (`(3L, 4L)`,
/// written by NumPy under Python 2, which NumPy still reads), refusing brackets
/// nested deeper than [`MAX_HEADER_DEPTH`] outside strings, so no header can
/// exhaust the stack of the recursive parser.
fn without_long_suffixes(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut previous = None;
    let mut depth = 0usize;
    let mut quote = None;
    let mut escaped = false;
    for c in text.chars() {
        let b = if c.is_ascii() { c as u8 } else { 0 };
        let digit_before = previous.is_some_and(|p: char| p.is_ascii_digit());
        previous = Some(c);
        if quote.is_none() && c == 'L' && digit_before {
            continue;
        }
        out.push(c);
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == q {
                    quote = None;
                }
            }
            None => match b {
                b'\'' | b'"' => quote = Some(b),
                b'(' | b'[' | b'{' => {
                    depth += 1;
                    if depth > MAX_HEADER_DEPTH {
                        return Err(format!(
                            "malformed .npy header: brackets nested more than {MAX_HEADER_DEPTH} levels deep"
                        ));
                    }
                }
                b')' | b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
    }
    Ok(out)
}

/// The bytes of a version-1 `.npy` header for tests (padded as NumPy does).
#[cfg(test)]
pub(crate) fn npy_bytes(dict: &str, data_len: usize) -> Vec<u8> {
    let mut header = dict.to_owned();
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((header.len() as u16).to_le_bytes());
    out.extend(header.as_bytes());
    out.extend(std::iter::repeat_n(0u8, data_len));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_numpy_headers() {
        let h = parse_npy_header("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }")
            .unwrap();
        assert_eq!(
            h,
            NpyHeader {
                dtype: DType::Float64,
                little_endian: true,
                fortran_order: false,
                shape: vec![3, 4]
            }
        );
        let h =
            parse_npy_header("{'descr': '|b1', 'fortran_order': True, 'shape': (5,), }").unwrap();
        assert_eq!(
            (h.dtype, h.fortran_order, h.shape),
            (DType::Bool, true, vec![5])
        );
        let h = parse_npy_header("{'descr':'<i4','fortran_order':False,'shape':()}").unwrap();
        assert_eq!((h.dtype, h.shape), (DType::Int32, vec![]));
        assert_eq!(
            parse_npy_header("{'descr': '<i8', 'fortran_order': False, 'shape': (2L, 3L)}")
                .unwrap()
                .shape,
            vec![2, 3]
        );
    }

    #[test]
    fn refuses_other_dtypes_and_malformed_headers() {
        let e = parse_npy_header("{'descr': '<u2', 'fortran_order': False, 'shape': (3,), }")
            .unwrap_err();
        assert!(e.contains("unsupported dtype '<u2'"), "{e}");
        assert!(
            parse_npy_header("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (3,)}")
                .unwrap_err()
                .contains("structured")
        );
        assert!(
            parse_npy_header("{'descr': '<f8', 'shape': (3,)}")
                .unwrap_err()
                .contains("fortran_order")
        );
        assert!(
            parse_npy_header("{'descr': '<f8', 'fortran_order': maybe, 'shape': (3,)}").is_err()
        );
        assert!(
            parse_npy_header("{'descr': '<f8', 'fortran_order': False, 'shape': (-3,)}").is_err()
        );
        assert!(parse_npy_header("{'descr': '<f8").is_err());
        assert!(parse_npy_header("").is_err());
    }

    #[test]
    fn big_endian_headers_are_read_with_their_byte_order() {
        let h =
            parse_npy_header("{'descr': '>f8', 'fortran_order': False, 'shape': (3,), }").unwrap();
        assert_eq!((h.dtype, h.little_endian), (DType::Float64, false));
        let h =
            parse_npy_header("{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }").unwrap();
        assert!(h.little_endian);
        assert!(
            parse_npy_header("{'descr': '|f8', 'fortran_order': False, 'shape': (3,)}").is_err()
        );
    }

    #[test]
    fn duplicated_header_keys_take_the_last_value_as_numpy_does() {
        let h = parse_npy_header(
            "{'descr': '<i4', 'descr': '<f8', 'fortran_order': True, 'fortran_order': False, 'shape': (1,), 'shape': (2, 3)}",
        )
        .unwrap();
        assert_eq!(
            (h.dtype, h.fortran_order, h.shape),
            (DType::Float64, false, vec![2, 3])
        );
    }

    #[test]
    fn hostile_headers_are_refused_without_overflow() {
        let deep = format!(
            "{{'descr': {}1{}}}",
            "(".repeat(100_000),
            ")".repeat(100_000)
        );
        assert!(parse_npy_header(&deep).unwrap_err().contains("nested"));
        let e = parse_npy_header(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (18446744073709551616,)}",
        )
        .unwrap_err();
        assert!(e.contains("out of range"), "{e}");
        assert!(parse_npy_header("{'descr': '<f8', 'fortran_order': 1, 'shape': (3,)}").is_err());
        assert!(
            parse_npy_header("{'descr': '<f8', 'fortran_order': False, 'shape': [3]}").is_err()
        );
        assert!(parse_npy_header("{1: '<f8'}").is_err());
        assert!(parse_npy_header("('descr', '<f8')").is_err());
    }

    #[test]
    fn reads_files_and_checks_their_length() {
        let dir = std::env::temp_dir().join(format!("tessera-npy-header-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
        let good = dir.join("good.npy");
        std::fs::write(&good, npy_bytes(dict, 24)).unwrap();
        assert_eq!(read_npy_header(&good).unwrap().shape, vec![2, 3]);
        let short = dir.join("short.npy");
        std::fs::write(&short, npy_bytes(dict, 20)).unwrap();
        assert!(read_npy_header(&short).unwrap_err().contains("truncated"));
        let junk = dir.join("junk.npy");
        std::fs::write(&junk, b"hello world").unwrap();
        assert!(
            read_npy_header(&junk)
                .unwrap_err()
                .contains("not a .npy file")
        );
        assert!(
            read_npy_header(&dir.join("missing.npy"))
                .unwrap_err()
                .contains("cannot open")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
