"""``tessera.array``: dask.array's names over tessera's compiler and runtime.

``import tessera.array as ta``; ``ta.ones((10000, 10000), chunks=100)``,
``ta.from_array(ndarray, chunks=...)``, operators, indexing, reductions, every
elementwise op of the catalogue under its NumPy name, ``ta.linalg``,
``ta.random``; ``x.compute()`` returns a NumPy array.
"""

from . import linalg, random
from .core import (
    Array,
    arange,
    asarray,
    broadcast_to,
    clip,
    concatenate,
    dot,
    expand_dims,
    eye,
    from_array,
    from_json,
    from_npy,
    full,
    linspace,
    map_blocks,
    map_overlap,
    matmul,
    ones,
    outer,
    rechunk,
    reshape,
    squeeze,
    stack,
    tensordot,
    transpose,
    tril,
    triu,
    where,
    zeros,
)
from .core import _generated

globals().update(_generated())
del _generated

__all__ = [name for name in globals() if not name.startswith("_")]
