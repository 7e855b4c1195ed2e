//! Reading only a region of a `.npy` file: one seek and one read per contiguous run of the region.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use tessera_ir::DType;

use super::error::NpyError;
use super::header::{NpyHeader, read_header};
use crate::kernels::layout::cast::{Element, from_vec};
use crate::value::Array;

/// Decodes one element from its bytes.
trait Decode: Element {
    fn decode(bytes: &[u8], little: bool) -> Self;
}

macro_rules! decode_num {
    ($($t:ty),*) => {$(
        impl Decode for $t {
            fn decode(bytes: &[u8], little: bool) -> Self {
                let mut b = [0u8; std::mem::size_of::<$t>()];
                b.copy_from_slice(bytes);
                if little { <$t>::from_le_bytes(b) } else { <$t>::from_be_bytes(b) }
            }
        }
    )*};
}
decode_num!(f64, f32, i64, i32);

impl Decode for bool {
    fn decode(bytes: &[u8], _little: bool) -> Self {
        bytes[0] != 0
    }
}

/// The region `start..stop` of a C-order array of `shape` stored at `data_offset`.
fn read_c_region<T: Decode>(
    path: &Path,
    h: &NpyHeader,
    shape: &[usize],
    start: &[usize],
    stop: &[usize],
) -> Result<Array, NpyError> {
    let io = |source| NpyError::Io {
        path: path.to_path_buf(),
        source,
    };
    let size = h.dtype.size_bytes();
    let ndim = shape.len();
    let out_shape: Vec<usize> = start.iter().zip(stop).map(|(s, e)| e - s).collect();
    let total: usize = out_shape.iter().product();
    let mut out: Vec<T> = Vec::with_capacity(total);
    if total > 0 {
        // Trailing axes taken whole merge into one run with the last partial axis.
        let mut split = ndim;
        while split > 0 && start[split - 1] == 0 && stop[split - 1] == shape[split - 1] {
            split -= 1;
        }
        let inner: usize = shape[split..].iter().product();
        let (run_axis, run) = if split == 0 {
            (None, inner)
        } else {
            (
                Some(split - 1),
                (stop[split - 1] - start[split - 1]) * inner,
            )
        };
        let outer = run_axis.unwrap_or(0);
        let mut strides = vec![1usize; ndim];
        for d in (0..ndim.saturating_sub(1)).rev() {
            strides[d] = strides[d + 1] * shape[d + 1];
        }
        let mut file = BufReader::new(File::open(path).map_err(io)?);
        let mut buf = vec![0u8; run * size];
        // Odometer over the axes before the run axis.
        let mut pos: Vec<usize> = start[..outer].to_vec();
        'runs: loop {
            let mut first: usize = pos.iter().zip(&strides).map(|(p, s)| p * s).sum();
            if let Some(ax) = run_axis {
                first += start[ax] * strides[ax];
            }
            file.seek(SeekFrom::Start(h.data_offset + (first * size) as u64))
                .map_err(io)?;
            file.read_exact(&mut buf).map_err(io)?;
            out.extend(
                buf.chunks_exact(size)
                    .map(|b| T::decode(b, h.little_endian)),
            );
            // Next run: odometer over the axes before the run axis, last fastest.
            let mut d = outer;
            loop {
                if d == 0 {
                    break 'runs;
                }
                d -= 1;
                pos[d] += 1;
                if pos[d] < stop[d] {
                    break;
                }
                pos[d] = start[d];
            }
        }
    }
    from_vec(&out_shape, out).ok_or_else(|| NpyError::Data {
        path: path.to_path_buf(),
        message: "region size mismatch".into(),
    })
}

/// Reads the region `start..stop` (per axis) of the `.npy` file at `path`, reading
/// only the bytes of the region (a Fortran-order file is read as the C-order
/// transpose and transposed back).
pub fn read_npy_region(path: &Path, start: &[usize], stop: &[usize]) -> Result<Array, NpyError> {
    let h = read_header(path)?;
    let ndim = h.shape.len();
    let fits = start.len() == ndim
        && stop.len() == ndim
        && (0..ndim).all(|d| start[d] <= stop[d] && stop[d] <= h.shape[d]);
    if !fits {
        return Err(NpyError::Region {
            path: path.to_path_buf(),
            start: start.to_vec(),
            stop: stop.to_vec(),
            shape: h.shape,
        });
    }
    let rev = |v: &[usize]| v.iter().rev().copied().collect::<Vec<_>>();
    let (shape, s, e) = if h.fortran_order {
        (rev(&h.shape), rev(start), rev(stop))
    } else {
        (h.shape.clone(), start.to_vec(), stop.to_vec())
    };
    let out = match h.dtype {
        DType::Float64 => read_c_region::<f64>(path, &h, &shape, &s, &e)?,
        DType::Float32 => read_c_region::<f32>(path, &h, &shape, &s, &e)?,
        DType::Int64 => read_c_region::<i64>(path, &h, &shape, &s, &e)?,
        DType::Int32 => read_c_region::<i32>(path, &h, &shape, &s, &e)?,
        DType::Bool => read_c_region::<bool>(path, &h, &shape, &s, &e)?,
    };
    Ok(if h.fortran_order {
        crate::map_array!(out, x => x.reversed_axes())
    } else {
        out
    })
}
