"""``tessera.array.random``: chunked random sources keyed by ``seed``.

Values come from a counter-based generator (Philox4x32-10, counter = the
element's flat index), so they do not depend on chunking or scheduling; they
differ from NumPy's generators for the same seed.
"""

from __future__ import annotations

from typing import Any

from .core import Array, _build, _shape


def _seed(seed: Any) -> int:
    if seed is None:
        import secrets

        return secrets.randbits(63)
    return int(seed)


def random(size: Any = (), chunks: Any = "auto", seed: Any = None) -> Array:
    """Uniform samples in [0, 1)."""
    return uniform(0.0, 1.0, size, chunks=chunks, seed=seed)


def uniform(low: float = 0.0, high: float = 1.0, size: Any = (), chunks: Any = "auto", seed: Any = None) -> Array:
    return _build(
        "random.uniform", shape=_shape(size), seed=_seed(seed), low=float(low), high=float(high), chunks=chunks
    )


def normal(loc: float = 0.0, scale: float = 1.0, size: Any = (), chunks: Any = "auto", seed: Any = None) -> Array:
    return _build(
        "random.normal", shape=_shape(size), seed=_seed(seed), loc=float(loc), scale=float(scale), chunks=chunks
    )


def integers(low: int, high: Any = None, size: Any = (), chunks: Any = "auto", seed: Any = None) -> Array:
    """int64 samples in [low, high) (``integers(high)`` is [0, high))."""
    if high is None:
        low, high = 0, low
    return _build("random.integers", shape=_shape(size), seed=_seed(seed), low=int(low), high=int(high), chunks=chunks)


randint = integers
