"""tessera: a graph compiler for chunked, lazy computation.

``import tessera.array as ta`` gives dask.array's API; ``tessera.compute(*arrays)``
computes several arrays sharing work; ``tessera.run(document)`` computes a graph
document (format v1 or the Dask dialect) given as JSON text or a dict.
"""

from __future__ import annotations

import json
from typing import Any

from . import _tessera
from ._tessera import ComputeError, InvalidGraph, TesseraError

__all__ = ["ComputeError", "InvalidGraph", "TesseraError", "compute", "run", "validate"]


def compute(*args: Any, **options: Any) -> tuple:
    """Computes every ``tessera.array.Array`` among ``args`` in one graph (shared
    subexpressions run once, the GIL is released) and returns a tuple in order;
    other arguments come back unchanged, as ``dask.compute`` does.

    Options: ``threads=``, ``executor="threads" | "sync"``, ``optimize=``.
    """
    from .array import Array

    positions = [i for i, a in enumerate(args) if isinstance(a, Array)]
    values = _tessera.compute([args[i]._expr for i in positions], **options) if positions else []
    out = list(args)
    for i, v in zip(positions, values):
        out[i] = v
    return tuple(out)


def _text(document: Any) -> str:
    if isinstance(document, (str, bytes)):
        return document.decode() if isinstance(document, bytes) else document
    return json.dumps(document)


def run(document: Any, threads: Any = None) -> dict:
    """Computes a graph document (JSON text or a dict) and returns
    ``{output id: value}`` (arrays as NumPy arrays). Raises ``InvalidGraph``
    listing every fault, or ``ComputeError`` naming the failing task."""
    return _tessera.run(_text(document), threads)


def validate(document: Any) -> str:
    """A one-line summary of a valid document; raises ``InvalidGraph`` (with
    ``.faults``) otherwise, as ``tessera validate``."""
    return _tessera.validate(_text(document))
