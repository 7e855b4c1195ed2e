//! Linear algebra: products (`matmul dot tensordot outer`, `matmul-accumulate`), the
//! per-tile LAPACK-style kernels of blocked algorithms (`potrf trsm syrk gemm lu qr inv`,
//! with faer) and the whole-array `linalg.*` ops.

mod convert;
mod factor;
mod gemm;
mod lu;
pub(crate) mod products;
mod solve;
mod update;

use super::KernelFn;

/// The linear algebra kernels: `(name, signature, function)`.
pub fn kernels() -> Vec<(&'static str, &'static str, KernelFn)> {
    vec![
        ("matmul", "matmul(a, b)", products::matmul),
        ("dot", "dot(a, b)", products::dot),
        ("tensordot", "tensordot(a, b, axes=2)", products::tensordot),
        ("outer", "outer(a, b)", products::outer),
        (
            "matmul-accumulate",
            "matmul-accumulate([a0, ...], [b0, ...]) -> sum of ai @ bi",
            products::matmul_accumulate,
        ),
        (
            "potrf",
            "potrf(a) -> lower Cholesky factor of a tile",
            factor::potrf,
        ),
        (
            "trsm",
            "trsm(a, b, side='left', lower=True, trans=False, unit_diagonal=False)",
            solve::trsm,
        ),
        ("syrk", "syrk(c, a) -> c - a @ a.T", update::syrk),
        (
            "gemm",
            "gemm(c, a, b, trans_b=True) -> c - a @ b.T (c - a @ b when not trans_b)",
            update::gemm,
        ),
        (
            "lu-panel",
            "lu-panel([tiles of the panel], step?, offset?) -> (perm, u_kk, l_kk, l_(k+1)k, ...)",
            lu::lu_panel,
        ),
        (
            "lu-row",
            "lu-row(panel, [tiles of a block column]) -> (u_kj, swapped tiles below)",
            lu::lu_row,
        ),
        (
            "lu-forward",
            "lu-forward(panel, [rhs tiles]) -> (y_k, updated rhs tiles below)",
            lu::lu_forward,
        ),
        (
            "lu",
            "lu(a) -> (perm, l, u) with a[perm] == l @ u",
            factor::lu,
        ),
        ("qr", "qr(a) -> (q, r), reduced", factor::qr),
        ("inv", "inv(a)", factor::inv),
        (
            "linalg.cholesky",
            "linalg.cholesky(a)",
            factor::linalg_cholesky,
        ),
        (
            "linalg.solve_triangular",
            "linalg.solve_triangular(a, b, lower=False, trans=0, unit_diagonal=False)",
            solve::solve_triangular,
        ),
        ("linalg.solve", "linalg.solve(a, b)", solve::solve),
        ("linalg.inv", "linalg.inv(a)", factor::linalg_inv),
        (
            "linalg.qr",
            "linalg.qr(a) -> (q, r), reduced",
            factor::linalg_qr,
        ),
    ]
}
