"""``tessera.array.linalg``: chunked linear algebra run as tile DAGs (blocked
Cholesky, LU with partial pivoting, TSQR, triangular solves)."""

from __future__ import annotations

from typing import Any

from .. import _tessera
from .core import Array, _build


def cholesky(a: Any, lower: bool = True) -> Array:
    """Cholesky factor of a symmetric positive-definite matrix (lower by default;
    ``lower=False`` gives the upper factor, its transpose)."""
    factor = _build("linalg.cholesky", [a])
    return factor if lower else factor.T


def solve(a: Any, b: Any, assume_a: str = "gen") -> Array:
    """Solves ``a x = b``; ``assume_a="pos"`` solves by the blocked Cholesky."""
    return _build("linalg.solve", [a, b], assume_a=assume_a)


def solve_triangular(a: Any, b: Any, lower: bool = False) -> Array:
    return _build("linalg.solve_triangular", [a, b], lower=bool(lower))


def inv(a: Any) -> Array:
    return _build("linalg.inv", [a])


def qr(a: Any) -> tuple:
    """Reduced QR of a tall matrix (TSQR): ``(q, r)``, both parts of one node
    (computed once when computed together)."""
    from .core import asarray

    q, r = _tessera.linalg_qr(asarray(a)._expr)
    return Array(q), Array(r)
