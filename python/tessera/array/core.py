"""The lazy, chunked ``Array`` and the functions of ``tessera.array``.

Every array is a node of tessera's expression (``tessera._tessera.Expr``), built by
catalogue op name, so Python, Rust and JSON documents share one pipeline: the
optimizer, lowering and runtime see exactly what the Rust API builds. This module
only translates dask.array's spelling (keyword arguments, operators, indexing,
NumPy dtypes) into ops and attributes.
"""

from __future__ import annotations

import json
import math
import numbers
from typing import Any, Callable, Iterable

import numpy as np

from .. import _tessera

_Expr = _tessera.Expr

#: The dtypes tessera arrays hold.
DTYPES = ("float64", "float32", "int64", "int32", "bool")


def _dtype_name(dtype: Any) -> str:
    """The graph format's name of a NumPy dtype (or anything ``np.dtype`` takes)."""
    name = np.dtype(dtype).name
    if name not in DTYPES:
        raise TypeError(f"tessera arrays hold {', '.join(DTYPES)}, not {name}")
    return name


def _chunks_json(chunks: Any) -> Any:
    """A dask-style chunks argument as the graph format's JSON value."""
    if chunks is None:
        return "auto"
    if isinstance(chunks, str):
        return chunks
    if isinstance(chunks, numbers.Integral):
        return int(chunks)
    if isinstance(chunks, dict):
        raise TypeError("chunks as a dict of axes is not supported; give one entry per axis")
    out = []
    for c in chunks:
        if c is None:
            out.append(-1)
        elif isinstance(c, (str, numbers.Integral)):
            out.append(c if isinstance(c, str) else int(c))
        else:
            out.append([int(s) for s in c])
    return out


def _json(attrs: dict) -> str:
    return json.dumps(attrs, allow_nan=False)


def _operand(x: Any) -> Any:
    """A value as an operand the native builder takes: expressions, NumPy arrays
    (bound as one block), Python scalars (weak, as NumPy 2 treats them)."""
    if isinstance(x, Array):
        return x._expr
    if isinstance(x, (bool, int, float)) or x is None:
        return x
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, (list, tuple)) and any(isinstance(e, Array) for e in x):
        return [_operand(e) for e in x]  # a list operand (concatenate, stack)
    if isinstance(x, (np.generic, list, tuple)):
        return np.asarray(x)
    if hasattr(x, "__array__"):
        return np.asarray(x)
    raise TypeError(f"cannot use a {type(x).__name__} as an array operand")


def _build(op: str, args: Iterable[Any] = (), **attrs: Any) -> "Array":
    """``op(*args, **attrs)`` as a new array (checked now, as NumPy raises now)."""
    attrs = {k: v for k, v in attrs.items() if v is not None or k == "axis"}
    if "dtype" in attrs:
        attrs["dtype"] = _dtype_name(attrs["dtype"])
    if "chunks" in attrs:
        attrs["chunks"] = _chunks_json(attrs["chunks"])
    return Array(_Expr.build(op, [_operand(a) for a in args], _json(attrs)))


def _axis(axis: Any) -> Any:
    if axis is None or isinstance(axis, numbers.Integral):
        return None if axis is None else int(axis)
    return [int(a) for a in axis]


def _index_entry(k: Any) -> Any:
    if k is None:
        return None
    if k is Ellipsis:
        return "..."
    if isinstance(k, slice):
        return [k.start, k.stop, k.step]
    if isinstance(k, (numbers.Integral, np.integer)) and not isinstance(k, bool):
        return int(k)
    raise TypeError(
        f"tessera supports basic indexing (integers, slices, None, ...), not {type(k).__name__}"
    )


class Array:
    """A lazy, chunked n-dimensional array, named and used as ``dask.array.Array``.

    Nothing runs until :meth:`compute` (or ``tessera.compute``); building an
    expression checks shapes and dtypes at once.
    """

    __slots__ = ("_expr",)
    # NumPy defers to our reflected operators (``ndarray + Array``).
    __array_priority__ = 20

    def __init__(self, expr: Any):
        if not isinstance(expr, _Expr):
            raise TypeError("use tessera.array's functions (from_array, ones, ...) to make arrays")
        self._expr = expr

    # -- metadata ---------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self._expr.shape

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self._expr.dtype)

    @property
    def chunks(self) -> tuple:
        return self._expr.chunks

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize

    @property
    def numblocks(self) -> tuple:
        return tuple(len(c) for c in self.chunks)

    @property
    def npartitions(self) -> int:
        return math.prod(self.numblocks)

    @property
    def chunksize(self) -> tuple:
        return tuple(max(c) if c else 0 for c in self.chunks)

    @property
    def op(self) -> str:
        """The catalogue op that makes this array."""
        return self._expr.op

    def __repr__(self) -> str:
        return self._expr.__repr__()

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d array")
        return self.shape[0]

    # -- computing and inspecting ----------------------------------------
    def compute(self, **options: Any) -> np.ndarray:
        """The values as a NumPy array (the GIL is released while computing).

        Options: ``threads=``, ``executor="threads" | "sync"``, ``optimize=``.
        """
        return _tessera.compute([self._expr], **options)[0]

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = self.compute()
        return out if dtype is None else out.astype(dtype, copy=False)

    def explain(self) -> str:
        """The optimizer's report: the plan after every pass, rules fired, costs."""
        return _tessera.explain([self._expr])

    def visualize(self, filename: str = "mydask.dot") -> None:
        """Writes a picture of the task graph (``.dot``; ``.svg``/``.png`` need Graphviz)."""
        self._expr.visualize(str(filename))

    def to_json(self) -> str:
        """The expression as a graph document (format v1). In-memory inputs are
        ``input`` nodes whose data is not written."""
        return _tessera.to_json([self._expr])

    def task_graph(self) -> dict:
        """The lowered task graph as a dict from Dask-style key to task."""
        return _tessera.task_graph([self._expr])

    __dask_graph__ = task_graph

    # -- operators -------------------------------------------------------
    def _bin(op: str, reflected: bool = False) -> Callable:  # type: ignore[misc]
        if reflected:
            return lambda self, other: _build(op, [other, self])
        return lambda self, other: _build(op, [self, other])

    __add__, __radd__ = _bin("add"), _bin("add", True)
    __sub__, __rsub__ = _bin("subtract"), _bin("subtract", True)
    __mul__, __rmul__ = _bin("multiply"), _bin("multiply", True)
    __truediv__, __rtruediv__ = _bin("divide"), _bin("divide", True)
    __floordiv__, __rfloordiv__ = _bin("floor_divide"), _bin("floor_divide", True)
    __mod__, __rmod__ = _bin("remainder"), _bin("remainder", True)
    __pow__, __rpow__ = _bin("power"), _bin("power", True)
    __matmul__, __rmatmul__ = _bin("matmul"), _bin("matmul", True)
    __and__, __rand__ = _bin("logical_and"), _bin("logical_and", True)
    __or__, __ror__ = _bin("logical_or"), _bin("logical_or", True)
    __xor__, __rxor__ = _bin("logical_xor"), _bin("logical_xor", True)
    __lt__, __le__ = _bin("less"), _bin("less_equal")
    __gt__, __ge__ = _bin("greater"), _bin("greater_equal")
    __eq__, __ne__ = _bin("equal"), _bin("not_equal")  # type: ignore[assignment]
    del _bin
    __hash__ = object.__hash__  # type: ignore[assignment]

    def __neg__(self) -> "Array":
        return _build("negative", [self])

    def __pos__(self) -> "Array":
        return _build("positive", [self])

    def __abs__(self) -> "Array":
        return _build("abs", [self])

    def __invert__(self) -> "Array":
        if self.dtype != np.bool_:
            raise TypeError("~ is supported on bool arrays (logical not) only")
        return _build("logical_not", [self])

    def __bool__(self) -> bool:
        return bool(self.compute())

    def __float__(self) -> float:
        return float(self.compute())

    def __int__(self) -> int:
        return int(self.compute())

    # -- indexing and layout ---------------------------------------------
    def __getitem__(self, key: Any) -> "Array":
        if not isinstance(key, tuple):
            key = (key,)
        return _build("getitem", [self], index=[_index_entry(k) for k in key])

    @property
    def T(self) -> "Array":
        return self.transpose()

    def transpose(self, *axes: Any) -> "Array":
        if len(axes) == 1 and not isinstance(axes[0], numbers.Integral):
            axes = tuple(axes[0]) if axes[0] is not None else ()
        return _build("transpose", [self], axes=[int(a) for a in axes] if axes else None)

    def reshape(self, *shape: Any) -> "Array":
        if len(shape) == 1 and not isinstance(shape[0], numbers.Integral):
            shape = tuple(shape[0])
        return _build("reshape", [self], shape=[int(s) for s in shape])

    def rechunk(self, chunks: Any = "auto") -> "Array":
        return _build("rechunk", [self], chunks=chunks)

    def astype(self, dtype: Any) -> "Array":
        return _build("astype", [self], dtype=dtype)

    def squeeze(self, axis: Any = None) -> "Array":
        return _build("squeeze", [self], axis=_axis(axis))

    def flatten(self) -> "Array":
        return self.reshape(-1)

    ravel = flatten

    def clip(self, min: Any = None, max: Any = None) -> "Array":
        return _build("clip", [self, min, max])

    def dot(self, other: Any) -> "Array":
        return _build("dot", [self, other])

    # -- reductions ------------------------------------------------------
    def _reduce(op: str, ddof: bool = False) -> Callable:  # type: ignore[misc]
        def reduce(self, axis=None, dtype=None, keepdims=False, **kw):
            x = self if dtype is None else self.astype(dtype)
            attrs = {"axis": _axis(axis), "keepdims": bool(keepdims)}
            if ddof:
                attrs["ddof"] = int(kw.pop("ddof", 0))
            if kw:
                raise TypeError(f"{op}() got unexpected arguments {sorted(kw)}")
            return _build(op, [x], **attrs)

        reduce.__name__ = op
        reduce.__doc__ = f"``{op}`` over ``axis`` (all axes when None), as NumPy."
        return reduce

    sum = _reduce("sum")
    prod = _reduce("prod")
    mean = _reduce("mean")
    max = _reduce("max")
    min = _reduce("min")
    any = _reduce("any")
    all = _reduce("all")
    var = _reduce("var", ddof=True)
    std = _reduce("std", ddof=True)
    del _reduce

    def argmax(self, axis: Any = None) -> "Array":
        return _build("argmax", [self], axis=_axis(axis))

    def argmin(self, axis: Any = None) -> "Array":
        return _build("argmin", [self], axis=_axis(axis))

    def cumsum(self, axis: Any = None) -> "Array":
        return _build("cumsum", [self], axis=_axis(axis))

    def cumprod(self, axis: Any = None) -> "Array":
        return _build("cumprod", [self], axis=_axis(axis))

    # -- block functions -------------------------------------------------
    def map_blocks(self, func: Any, *args: Any, dtype: Any = None, **kwargs: Any) -> "Array":
        """``func`` on every block: a registered function's name (extra arrays
        aligned block by block, keyword arguments passed to it) or a Python
        callable on NumPy blocks (it runs with the GIL, one call per block)."""
        if isinstance(func, str):
            return _build("map_blocks", [self, *args], fn=func, dtype=dtype, **kwargs)
        if args or kwargs:
            raise TypeError("a Python callable block function takes the block only")
        attrs = {} if dtype is None else {"dtype": _dtype_name(dtype)}
        return Array(self._expr.with_python_function("map_blocks", func, _json(attrs)))

    def map_overlap(
        self,
        func: Any,
        depth: Any,
        boundary: Any = "reflect",
        trim: bool = True,
        dtype: Any = None,
        **kwargs: Any,
    ) -> "Array":
        """``func`` on every block extended by ``depth`` ghost cells per side
        (``boundary``: "reflect", "periodic", "nearest", "none", a number, or a
        dict per axis); the ghost cells are trimmed from the result."""
        attrs: dict = {
            "depth": _depth(depth),
            "boundary": _boundary(boundary),
            "trim": bool(trim),
        }
        if dtype is not None:
            attrs["dtype"] = _dtype_name(dtype)
        if isinstance(func, str):
            return _build("map_overlap", [self], fn=func, **attrs, **kwargs)
        if kwargs:
            raise TypeError("a Python callable block function takes the block only")
        return Array(self._expr.with_python_function("map_overlap", func, _json(attrs)))


def _depth(depth: Any) -> Any:
    if isinstance(depth, dict):
        return {str(k): v for k, v in depth.items()}
    if isinstance(depth, tuple):
        return list(depth)
    return depth


def _boundary(boundary: Any) -> Any:
    if boundary is None:
        return "none"
    if isinstance(boundary, dict):
        return {str(k): _boundary(v) for k, v in boundary.items()}
    if boundary == "constant":
        return 0.0
    return boundary


# -- sources ----------------------------------------------------------------
def from_array(x: Any, chunks: Any = "auto") -> Array:
    """A lazy array over in-memory data (copied once into tessera's buffer)."""
    return Array(_Expr.from_numpy(np.asarray(x), _json(_chunks_json(chunks))))


def asarray(x: Any, chunks: Any = "auto") -> Array:
    return x if isinstance(x, Array) else from_array(x, chunks)


def from_npy(path: Any, chunks: Any = "auto") -> Array:
    """An array read from a ``.npy`` file (lazily, block by block, when it lies
    under the working directory)."""
    return Array(_Expr.from_npy(str(path), _json(_chunks_json(chunks))))


def _shape(shape: Any) -> list:
    if isinstance(shape, numbers.Integral):
        return [int(shape)]
    return [int(s) for s in shape]


def ones(shape: Any, dtype: Any = "float64", chunks: Any = "auto") -> Array:
    return _build("ones", shape=_shape(shape), dtype=dtype, chunks=chunks)


def zeros(shape: Any, dtype: Any = "float64", chunks: Any = "auto") -> Array:
    return _build("zeros", shape=_shape(shape), dtype=dtype, chunks=chunks)


def full(shape: Any, fill_value: Any, dtype: Any = None, chunks: Any = "auto") -> Array:
    if isinstance(fill_value, np.generic):
        fill_value = fill_value.item()
    return _build("full", shape=_shape(shape), fill_value=fill_value, dtype=dtype, chunks=chunks)


def arange(*args: Any, dtype: Any = None, chunks: Any = "auto", step: Any = None) -> Array:
    """``arange(stop)``, ``arange(start, stop[, step])`` as NumPy."""
    if len(args) == 1:
        start, stop = 0, args[0]
    elif len(args) in (2, 3):
        start, stop = args[0], args[1]
        if len(args) == 3:
            step = args[2]
    else:
        raise TypeError("arange takes 1 to 3 positional arguments")
    return _build(
        "arange", start=start, stop=stop, step=1 if step is None else step, dtype=dtype, chunks=chunks
    )


def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, chunks: Any = "auto") -> Array:
    return _build("linspace", start=start, stop=stop, num=int(num), endpoint=bool(endpoint), chunks=chunks)


def eye(N: int, M: Any = None, k: int = 0, dtype: Any = "float64", chunks: Any = "auto") -> Array:
    attrs = {"N": int(N), "k": int(k), "dtype": dtype, "chunks": chunks}
    if M is not None:
        attrs["M"] = int(M)
    return _build("eye", **attrs)


def from_json(text: str, output: Any = None) -> Array:
    """The array computed by ``output`` (the first output by default) of a graph
    document; ``input`` nodes have no data and cannot be computed."""
    return Array(_tessera.from_json(text, output))


# -- functions over several arrays --------------------------------------------
def concatenate(seq: Iterable[Any], axis: int = 0) -> Array:
    return _build("concatenate", [[asarray(a) for a in seq]], axis=int(axis))


def stack(seq: Iterable[Any], axis: int = 0) -> Array:
    return _build("stack", [[asarray(a) for a in seq]], axis=int(axis))


def where(condition: Any, x: Any, y: Any) -> Array:
    return _build("where", [condition, x, y])


def clip(a: Any, a_min: Any = None, a_max: Any = None) -> Array:
    return _build("clip", [a, a_min, a_max])


def matmul(a: Any, b: Any) -> Array:
    return _build("matmul", [a, b])


def dot(a: Any, b: Any) -> Array:
    return _build("dot", [a, b])


def outer(a: Any, b: Any) -> Array:
    return _build("outer", [a, b])


def tensordot(a: Any, b: Any, axes: Any = 2) -> Array:
    if not isinstance(axes, numbers.Integral):
        axes = [[int(i) for i in np.atleast_1d(ax)] for ax in axes]
    return _build("tensordot", [a, b], axes=axes)


def transpose(a: Array, axes: Any = None) -> Array:
    return asarray(a).transpose(axes)


def reshape(a: Array, shape: Any) -> Array:
    return asarray(a).reshape(shape)


def rechunk(a: Array, chunks: Any = "auto") -> Array:
    return asarray(a).rechunk(chunks)


def squeeze(a: Array, axis: Any = None) -> Array:
    return asarray(a).squeeze(axis)


def expand_dims(a: Any, axis: Any) -> Array:
    return _build("expand_dims", [a], axis=_axis(axis))


def broadcast_to(a: Any, shape: Any) -> Array:
    return _build("broadcast_to", [a], shape=_shape(shape))


def tril(a: Any, k: int = 0) -> Array:
    return _build("tril", [a], k=int(k))


def triu(a: Any, k: int = 0) -> Array:
    return _build("triu", [a], k=int(k))


def map_blocks(func: Any, x: Array, *args: Any, **kwargs: Any) -> Array:
    return asarray(x).map_blocks(func, *args, **kwargs)


def map_overlap(func: Any, x: Array, depth: Any, boundary: Any = "reflect", **kwargs: Any) -> Array:
    return asarray(x).map_overlap(func, depth, boundary, **kwargs)


def _reduction(name: str) -> Callable:
    def reduce(a: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False, **kw: Any) -> Array:
        return getattr(asarray(a), name)(axis=axis, dtype=dtype, keepdims=keepdims, **kw)

    reduce.__name__ = name
    return reduce


def _axis_function(name: str) -> Callable:
    def f(a: Any, axis: Any = None) -> Array:
        return getattr(asarray(a), name)(axis)

    f.__name__ = name
    return f


def _elementwise(name: str, nargs: int, doc: str) -> Callable:
    """A module function for the catalogue's elementwise op ``name``."""

    def f(*args: Any) -> Array:
        if len(args) != nargs:
            raise TypeError(f"{name}() takes {nargs} argument(s), got {len(args)}")
        return _build(name, args)

    f.__name__ = name
    f.__qualname__ = name
    f.__doc__ = doc
    return f


def _generated() -> dict:
    """The catalogue's elementwise ops as functions under their NumPy names, and
    its reductions: generated from the catalogue, so a new op appears here."""
    out: dict = {}
    special = {"where", "clip", "astype"}
    for name, family, arg_names, _attrs, doc in _tessera.catalogue():
        if family == "elementwise" and name not in special:
            nargs = len([a for a in arg_names.split(",") if a.strip()])
            out[name] = _elementwise(name, nargs, doc)
        elif family == "reduction":
            if name in ("argmax", "argmin", "cumsum", "cumprod"):
                out[name] = _axis_function(name)
            else:
                out[name] = _reduction(name)
    # NumPy's aliases.
    for alias, name in {"absolute": "abs", "true_divide": "divide", "mod": "remainder", "pow": "power"}.items():
        if name in out:
            out[alias] = out[name]
    return out
