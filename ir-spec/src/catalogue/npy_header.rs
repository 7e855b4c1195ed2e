//! Reads only the header of a `.npy` file (format versions 1 to 3): dtype, memory
//! order and shape, without touching the data. The header is a Python dict literal
//! such as `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`.

use std::io::Read;
use std::path::Path;

use crate::chunks::fmt_shape;
use crate::dtype::DType;

/// The most header bytes we accept (NumPy writes a few hundred).
const MAX_HEADER_LEN: usize = 1 << 20;

/// What a `.npy` header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NpyHeader {
    /// Element type.
    pub(crate) dtype: DType,
    /// Whether the data is stored in column-major order.
    pub(crate) fortran_order: bool,
    /// Array shape.
    pub(crate) shape: Vec<usize>,
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
    let not_npy = || {
        format!(
            "{} is not a .npy file (bad magic string or truncated header)",
            path.display()
        )
    };
    let mut prefix = [0u8; 8];
    file.read_exact(&mut prefix).map_err(|_| not_npy())?;
    if &prefix[..6] != b"\x93NUMPY" {
        return Err(not_npy());
    }
    let (header_len, fixed) = match prefix[6] {
        1 => {
            let mut b = [0u8; 2];
            file.read_exact(&mut b).map_err(|_| not_npy())?;
            (usize::from(u16::from_le_bytes(b)), 10u64)
        }
        2 | 3 => {
            let mut b = [0u8; 4];
            file.read_exact(&mut b).map_err(|_| not_npy())?;
            (u32::from_le_bytes(b) as usize, 12u64)
        }
        v => {
            return Err(format!(
                "{}: unsupported .npy format version {v}",
                path.display()
            ));
        }
    };
    if header_len > MAX_HEADER_LEN {
        return Err(format!(
            "{}: the .npy header is implausibly long ({header_len} bytes)",
            path.display()
        ));
    }
    let mut text = vec![0u8; header_len];
    file.read_exact(&mut text).map_err(|_| not_npy())?;
    let text = String::from_utf8(text)
        .map_err(|_| format!("{}: the .npy header is not text", path.display()))?;
    let header = parse_header(&text).map_err(|e| format!("{}: {e}", path.display()))?;
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
    let have = file_len.saturating_sub(fixed + header_len as u64);
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

/// Parses the header dict text.
pub(crate) fn parse_header(text: &str) -> Result<NpyHeader, String> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
    };
    p.expect(b'{')?;
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    loop {
        p.skip_ws();
        if p.eat(b'}') {
            break;
        }
        let key = p.string()?;
        p.expect(b':')?;
        p.skip_ws();
        match key.as_str() {
            "descr" => {
                if p.peek() == Some(b'[') {
                    return Err("structured dtypes are not supported".to_owned());
                }
                descr = Some(p.string()?);
            }
            "fortran_order" => fortran = Some(p.boolean()?),
            "shape" => shape = Some(p.tuple()?),
            other => return Err(format!("unexpected key '{other}' in the .npy header")),
        }
        p.skip_ws();
        if !p.eat(b',') {
            p.expect(b'}')?;
            break;
        }
    }
    let descr = descr.ok_or("the .npy header has no 'descr'")?;
    let dtype = match descr.as_str() {
        "<f8" => DType::Float64,
        "<f4" => DType::Float32,
        "<i8" => DType::Int64,
        "<i4" => DType::Int32,
        "|b1" => DType::Bool,
        other => {
            let endian = if other.starts_with('>') {
                " (big-endian data is not supported)"
            } else {
                ""
            };
            return Err(format!(
                "unsupported dtype '{other}'{endian}: tessera reads float64 (<f8), float32 (<f4), int64 (<i8), int32 (<i4) and bool (|b1)"
            ));
        }
    };
    Ok(NpyHeader {
        dtype,
        fortran_order: fortran.ok_or("the .npy header has no 'fortran_order'")?,
        shape: shape.ok_or("the .npy header has no 'shape'")?,
    })
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!(
                "malformed .npy header: expected '{}' at byte {}",
                c as char, self.i
            ))
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.skip_ws();
        let quote = self
            .peek()
            .filter(|&q| q == b'\'' || q == b'"')
            .ok_or_else(|| {
                format!(
                    "malformed .npy header: expected a quoted string at byte {}",
                    self.i
                )
            })?;
        self.i += 1;
        let start = self.i;
        while self.peek().is_some_and(|c| c != quote) {
            self.i += 1;
        }
        let out = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
        if self.peek().is_none() {
            return Err("malformed .npy header: unterminated string".to_owned());
        }
        self.i += 1;
        Ok(out)
    }

    fn boolean(&mut self) -> Result<bool, String> {
        for (word, v) in [(&b"True"[..], true), (&b"False"[..], false)] {
            if self.s[self.i..].starts_with(word) {
                self.i += word.len();
                return Ok(v);
            }
        }
        Err(format!(
            "malformed .npy header: expected True or False at byte {}",
            self.i
        ))
    }

    fn tuple(&mut self) -> Result<Vec<usize>, String> {
        self.expect(b'(')?;
        let mut out = Vec::new();
        loop {
            self.skip_ws();
            if self.eat(b')') {
                return Ok(out);
            }
            let start = self.i;
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.i += 1;
            }
            let n = std::str::from_utf8(&self.s[start..self.i])
                .ok()
                .and_then(|t| t.parse::<usize>().ok())
                .ok_or_else(|| {
                    format!("malformed .npy header: expected a dimension at byte {start}")
                })?;
            self.eat(b'L'); // Python 2 long suffix
            out.push(n);
            if !self.eat(b',') {
                self.expect(b')')?;
                return Ok(out);
            }
        }
    }
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
        let h =
            parse_header("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }").unwrap();
        assert_eq!(
            h,
            NpyHeader {
                dtype: DType::Float64,
                fortran_order: false,
                shape: vec![3, 4]
            }
        );
        let h = parse_header("{'descr': '|b1', 'fortran_order': True, 'shape': (5,), }").unwrap();
        assert_eq!(
            (h.dtype, h.fortran_order, h.shape),
            (DType::Bool, true, vec![5])
        );
        let h = parse_header("{'descr':'<i4','fortran_order':False,'shape':()}").unwrap();
        assert_eq!((h.dtype, h.shape), (DType::Int32, vec![]));
        assert_eq!(
            parse_header("{'descr': '<i8', 'fortran_order': False, 'shape': (2L, 3L)}")
                .unwrap()
                .shape,
            vec![2, 3]
        );
    }

    #[test]
    fn refuses_other_dtypes_and_malformed_headers() {
        let e =
            parse_header("{'descr': '<u2', 'fortran_order': False, 'shape': (3,), }").unwrap_err();
        assert!(e.contains("unsupported dtype '<u2'"), "{e}");
        let e =
            parse_header("{'descr': '>f8', 'fortran_order': False, 'shape': (3,), }").unwrap_err();
        assert!(e.contains("big-endian"), "{e}");
        assert!(
            parse_header("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (3,)}")
                .unwrap_err()
                .contains("structured")
        );
        assert!(
            parse_header("{'descr': '<f8', 'shape': (3,)}")
                .unwrap_err()
                .contains("fortran_order")
        );
        assert!(parse_header("{'descr': '<f8', 'fortran_order': maybe, 'shape': (3,)}").is_err());
        assert!(parse_header("{'descr': '<f8', 'fortran_order': False, 'shape': (-3,)}").is_err());
        assert!(parse_header("{'descr': '<f8").is_err());
        assert!(parse_header("").is_err());
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
