//! How the axes of a product's operands line up with its result and with each
//! other, for `matmul` (NumPy's 1-d and batch-broadcasting rules), `dot` (NumPy's
//! rules, n-d included) and `tensordot` (`axes` an integer or two lists): per
//! operand axis, the result axis it follows or the contracted pair it is in.
//! Lowering cuts operand regions by it (`rules/matmul.rs`); the slice pushdown
//! sends each result axis's index to the operand axes that follow it
//! (`optimize/rules/slice_tensordot.rs`).

use serde_json::Value as Json;

/// What one operand axis is in a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// Follows result axis `r` (an operand axis of length 1 broadcasts).
    Out(usize),
    /// The `c`-th contracted axis, summed against the other operand's.
    Sum(usize),
}

/// The roles of both operands' axes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Contraction {
    /// Roles of the first operand's axes, in axis order.
    pub(crate) a: Vec<Role>,
    /// Roles of the second operand's axes.
    pub(crate) b: Vec<Role>,
}

/// `matmul` of operands with `na` and `nb` axes: 1-d operands are a row or a
/// column, leading axes are batch axes aligned from the right.
pub(crate) fn matmul(na: usize, nb: usize) -> Result<Contraction, String> {
    if na == 0 || nb == 0 {
        return Err("matmul does not take 0-d operands".into());
    }
    let batch = na.saturating_sub(2).max(nb.saturating_sub(2));
    let roles = |n: usize, rows: bool| -> Vec<Role> {
        if n == 1 {
            return vec![Role::Sum(0)];
        }
        let mut r: Vec<Role> = (0..n - 2).map(|j| Role::Out(batch - (n - 2) + j)).collect();
        if rows {
            r.extend([Role::Out(batch), Role::Sum(0)]);
        } else {
            let col = batch + usize::from(na >= 2);
            r.extend([Role::Sum(0), Role::Out(col)]);
        }
        r
    };
    Ok(Contraction {
        a: roles(na, true),
        b: roles(nb, false),
    })
}

/// `tensordot` summing axes `ax_a[c]` of `a` against `ax_b[c]` of `b`: the result
/// is `a`'s free axes then `b`'s.
pub(crate) fn tensordot(na: usize, nb: usize, ax_a: &[usize], ax_b: &[usize]) -> Contraction {
    let mut next = 0;
    let mut roles = |n: usize, axes: &[usize]| -> Vec<Role> {
        (0..n)
            .map(|d| match axes.iter().position(|&x| x == d) {
                Some(c) => Role::Sum(c),
                None => {
                    next += 1;
                    Role::Out(next - 1)
                }
            })
            .collect()
    };
    let a = roles(na, ax_a);
    let b = roles(nb, ax_b);
    Contraction { a, b }
}

/// NumPy's `dot`: a 0-d operand multiplies the other; otherwise the last axis of
/// `a` is summed against the second-to-last of `b` (its only axis when 1-d).
pub(crate) fn dot(na: usize, nb: usize) -> Contraction {
    if na == 0 || nb == 0 {
        return tensordot(na, nb, &[], &[]);
    }
    tensordot(na, nb, &[na - 1], &[nb.saturating_sub(2)])
}

/// The contracted axes of `tensordot`'s `axes` attribute (the last `n` of `a`
/// with the first `n` of `b`, or two lists), normalized.
pub(crate) fn tensordot_axes(
    axes: Option<&Json>,
    na: usize,
    nb: usize,
) -> Result<(Vec<usize>, Vec<usize>), String> {
    let bad = || format!("tensordot: bad `axes` {axes:?}");
    let norm = |v: &Json, n: usize| -> Result<Vec<usize>, String> {
        let items: Vec<i64> = match v {
            Json::Array(items) => items
                .iter()
                .map(|x| x.as_i64().ok_or_else(bad))
                .collect::<Result<_, _>>()?,
            x => vec![x.as_i64().ok_or_else(bad)?],
        };
        items
            .into_iter()
            .map(|x| {
                let p = if x < 0 { x + n as i64 } else { x };
                usize::try_from(p).ok().filter(|&p| p < n).ok_or_else(bad)
            })
            .collect()
    };
    match axes {
        None | Some(Json::Null) | Some(Json::Number(_)) => {
            let k = axes.and_then(Json::as_u64).unwrap_or(2) as usize;
            if k > na || k > nb {
                return Err(bad());
            }
            Ok(((na - k..na).collect(), (0..k).collect()))
        }
        Some(Json::Array(pair)) if pair.len() == 2 => {
            let (x, y) = (norm(&pair[0], na)?, norm(&pair[1], nb)?);
            if x.len() != y.len() {
                return Err(bad());
            }
            Ok((x, y))
        }
        Some(_) => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::Role::{Out, Sum};
    use super::*;
    use serde_json::json;

    #[test]
    fn matmul_rows_columns_and_batches() {
        let c = matmul(2, 2).unwrap();
        assert_eq!(c.a, [Out(0), Sum(0)]);
        assert_eq!(c.b, [Sum(0), Out(1)]);
        // (k,) @ (b, k, m) -> (b, m)
        let c = matmul(1, 3).unwrap();
        assert_eq!(c.a, [Sum(0)]);
        assert_eq!(c.b, [Out(0), Sum(0), Out(1)]);
        // (b, n, k) @ (k,) -> (b, n)
        let c = matmul(3, 1).unwrap();
        assert_eq!(c.a, [Out(0), Out(1), Sum(0)]);
        assert_eq!(c.b, [Sum(0)]);
        // (c, n, k) @ (p, c, k, m) -> (p, c, n, m): a's batch aligns right.
        let c = matmul(3, 4).unwrap();
        assert_eq!(c.a, [Out(1), Out(2), Sum(0)]);
        assert_eq!(c.b, [Out(0), Out(1), Sum(0), Out(3)]);
        assert_eq!(matmul(1, 1).unwrap().a, [Sum(0)]);
        assert!(matmul(0, 2).is_err());
    }

    #[test]
    fn tensordot_and_dot_roles() {
        let c = tensordot(3, 3, &[2, 0], &[0, 1]);
        assert_eq!(c.a, [Sum(1), Out(0), Sum(0)]);
        assert_eq!(c.b, [Sum(0), Sum(1), Out(1)]);
        // dot(a[i,j,:], b[k,:,m])
        let c = dot(3, 3);
        assert_eq!(c.a, [Out(0), Out(1), Sum(0)]);
        assert_eq!(c.b, [Out(2), Sum(0), Out(3)]);
        let c = dot(0, 2);
        assert_eq!(
            (c.a.len(), c.b.as_slice()),
            (0, [Out(0), Out(1)].as_slice())
        );
    }

    #[test]
    fn tensordot_axes_forms() {
        assert_eq!(
            tensordot_axes(None, 3, 2).unwrap(),
            (vec![1, 2], vec![0, 1])
        );
        assert_eq!(
            tensordot_axes(Some(&json!(0)), 1, 1).unwrap(),
            (vec![], vec![])
        );
        assert_eq!(
            tensordot_axes(Some(&json!([[-1, 0], [1, 0]])), 3, 2).unwrap(),
            (vec![2, 0], vec![1, 0])
        );
        assert_eq!(
            tensordot_axes(Some(&json!([1, 0])), 2, 2).unwrap(),
            (vec![1], vec![0])
        );
        assert!(tensordot_axes(Some(&json!(3)), 2, 2).is_err());
        assert!(tensordot_axes(Some(&json!([[0], [0, 1]])), 2, 2).is_err());
    }
}
