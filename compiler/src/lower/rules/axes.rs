//! Reading `axis`-style attributes (an integer, a list of integers, or null) and
//! normalizing negative axes, shared by every rule that takes axes.

use serde_json::Value as Json;

/// `a` as an axis of an array of `ndim` axes (negative counts from the end).
pub(crate) fn normalize_axis(a: i64, ndim: usize) -> Result<usize, String> {
    let n = ndim as i64;
    let b = if a < 0 { a + n } else { a };
    if b < 0 || b >= n {
        return Err(format!(
            "axis {a} is out of range for an array of {ndim} dimensions"
        ));
    }
    Ok(b as usize)
}

/// The axes an `axis` attribute names, normalized, in the order written; `None`
/// when it is absent or null.
pub(crate) fn axis_list(v: Option<&Json>, ndim: usize) -> Result<Option<Vec<usize>>, String> {
    let one = |a: &Json| normalize_axis(a.as_i64().ok_or("axis must be an integer")?, ndim);
    match v {
        None | Some(Json::Null) => Ok(None),
        Some(a @ Json::Number(_)) => Ok(Some(vec![one(a)?])),
        Some(Json::Array(list)) => Ok(Some(list.iter().map(one).collect::<Result<_, _>>()?)),
        Some(other) => Err(format!(
            "axis must be an integer, a list or null, not {other}"
        )),
    }
}
