"""Operators, the catalogue's elementwise functions, reductions, indexing and
layout against NumPy on chunked and whole inputs."""

import numpy as np
import pytest

import tessera
import tessera.array as ta
from tessera import _tessera

RNG = np.random.default_rng(0)
A = RNG.uniform(0.1, 0.9, (9, 7))
B = RNG.uniform(0.1, 0.9, (9, 7))
CHUNKS = [(4, 3), -1, ((2, 7), (1, 6))]


@pytest.mark.parametrize("chunks", CHUNKS)
def test_operators_match_numpy(chunks):
    x, y = ta.from_array(A, chunks=chunks), ta.from_array(B, chunks=chunks)
    cases = {
        "+": (x + y, A + B),
        "-": (x - 2, A - 2),
        "*": (3 * x, 3 * A),
        "/": (x / y, A / B),
        "//": (x // 0.3, A // 0.3),
        "%": (x % 0.3, A % 0.3),
        "**": (x**2.5, A**2.5),
        "neg": (-x, -A),
        "abs": (abs(x - 0.5), abs(A - 0.5)),
        "<": (x < y, A < B),
        ">=": (x >= 0.5, A >= 0.5),
        "==": (x == x, A == A),
        "!=": (x != y, A != B),
        "np+": (B + x, B + A),
        "@": (x @ y.T, A @ B.T),
    }
    for name, (got, want) in cases.items():
        out = got.compute()
        assert out.dtype == want.dtype, name
        np.testing.assert_allclose(out, want, rtol=1e-13, err_msg=name)


def test_weak_scalars_keep_float32():
    x = ta.ones((4,), dtype="float32", chunks=2)
    assert (x * 2.5).dtype == np.float32
    assert (x + 1).compute().dtype == np.float32


def _elementwise_ops():
    out = []
    for name, family, arg_names, _attrs, _doc in _tessera.catalogue():
        if family == "elementwise" and name not in ("where", "clip", "astype"):
            out.append((name, len([a for a in arg_names.split(",") if a.strip()])))
    return out


@pytest.mark.parametrize("name,nargs", _elementwise_ops())
def test_every_catalogue_elementwise_function_matches_numpy(name, nargs):
    fn = getattr(ta, name)
    want_fn = getattr(np, name)
    x, y = ta.from_array(A, chunks=(4, 3)), ta.from_array(B, chunks=(4, 3))
    if name.startswith("logical"):
        args, nargs_np = (x > 0.5, y > 0.5)[:nargs], ((A > 0.5), (B > 0.5))[:nargs]
    elif name == "arccosh":
        args, nargs_np = (x + 1,), (A + 1,)
    else:
        args, nargs_np = (x, y)[:nargs], (A, B)[:nargs]
    got = fn(*args).compute()
    want = want_fn(*nargs_np)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("chunks", CHUNKS)
@pytest.mark.parametrize("op", ["sum", "prod", "mean", "max", "min", "var", "std", "any", "all"])
@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1), -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_match_numpy(chunks, op, axis, keepdims):
    x = ta.from_array(A, chunks=chunks)
    got = getattr(x, op)(axis=axis, keepdims=keepdims).compute()
    want = getattr(A, op)(axis=axis, keepdims=keepdims)
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    mod = getattr(ta, op)(x, axis=axis, keepdims=keepdims).compute()
    np.testing.assert_allclose(mod, want, rtol=1e-12)


@pytest.mark.parametrize("chunks", CHUNKS)
def test_scans_args_and_ddof(chunks):
    x = ta.from_array(A, chunks=chunks)
    np.testing.assert_allclose(x.cumsum(axis=0).compute(), A.cumsum(axis=0))
    np.testing.assert_allclose(x.cumprod(axis=1).compute(), A.cumprod(axis=1))
    np.testing.assert_allclose(ta.cumsum(x).compute(), A.cumsum())
    assert x.argmax().compute() == A.argmax()
    np.testing.assert_array_equal(x.argmin(axis=0).compute(), A.argmin(axis=0))
    np.testing.assert_allclose(x.std(ddof=1).compute(), A.std(ddof=1))
    np.testing.assert_allclose(x.sum(dtype="float32").compute(), A.astype("float32").sum(), rtol=1e-6)


@pytest.mark.parametrize("chunks", CHUNKS)
def test_indexing_matches_numpy(chunks):
    x = ta.from_array(A, chunks=chunks)
    for key in [
        (slice(1, 8), slice(None, None, 2)),
        (slice(1, 100), slice(None, None, 2), None, Ellipsis),
        (Ellipsis, 3),
        (-1,),
        (slice(None, None, -2), slice(5, 1, -1)),
        (None, 2, slice(None)),
    ]:
        np.testing.assert_array_equal(x[key].compute(), A[key], err_msg=str(key))
    np.testing.assert_array_equal(x[2].compute(), A[2])
    with pytest.raises(TypeError):
        x[[1, 2]]


@pytest.mark.parametrize("chunks", CHUNKS)
def test_layout_methods_match_numpy(chunks):
    x = ta.from_array(A, chunks=chunks)
    np.testing.assert_array_equal(x.T.compute(), A.T)
    np.testing.assert_array_equal(x.reshape(7, 9).compute(), A.reshape(7, 9))
    np.testing.assert_array_equal(x.reshape(-1).compute(), A.reshape(-1))
    np.testing.assert_array_equal(x.astype("int32").compute(), A.astype("int32"))
    r = x.rechunk((5, 5))
    assert r.chunks == ((5, 4), (5, 2))
    np.testing.assert_array_equal(r.compute(), A)
    np.testing.assert_array_equal(ta.concatenate([x, x], axis=1).compute(), np.concatenate([A, A], 1))
    np.testing.assert_array_equal(ta.stack([x, x]).compute(), np.stack([A, A]))
    np.testing.assert_array_equal(ta.where(x > 0.5, x, 0).compute(), np.where(A > 0.5, A, 0))
    np.testing.assert_array_equal(x.clip(0.3, 0.6).compute(), A.clip(0.3, 0.6))
    np.testing.assert_array_equal(ta.tril(x).compute(), np.tril(A))
    np.testing.assert_array_equal(ta.expand_dims(x, 0).compute(), A[None])
    np.testing.assert_array_equal(ta.broadcast_to(x[0], (3, 7)).compute(), np.broadcast_to(A[0], (3, 7)))


@pytest.mark.parametrize("chunks", [3, -1])
def test_products_match_numpy(chunks):
    m = RNG.standard_normal((6, 5))
    n = RNG.standard_normal((5, 4))
    x, y = ta.from_array(m, chunks=chunks), ta.from_array(n, chunks=chunks)
    np.testing.assert_allclose(ta.matmul(x, y).compute(), m @ n, rtol=1e-12)
    np.testing.assert_allclose(ta.dot(x, y).compute(), m.dot(n), rtol=1e-12)
    np.testing.assert_allclose(ta.tensordot(x, y, axes=1).compute(), np.tensordot(m, n, 1), rtol=1e-12)
    np.testing.assert_allclose(
        ta.tensordot(x, x, axes=([0], [0])).compute(), np.tensordot(m, m, ([0], [0])), rtol=1e-12
    )
    np.testing.assert_allclose(ta.outer(x[0], y[0]).compute(), np.outer(m[0], n[0]), rtol=1e-12)


@pytest.mark.parametrize("chunks", [4, -1])
def test_linalg_matches_numpy(chunks):
    m = RNG.standard_normal((12, 12))
    spd = m @ m.T + 12 * np.eye(12)
    b = RNG.standard_normal((12, 3))
    a, bb = ta.from_array(spd, chunks=chunks), ta.from_array(b, chunks=chunks)
    np.testing.assert_allclose(ta.linalg.cholesky(a).compute(), np.linalg.cholesky(spd), rtol=1e-10)
    np.testing.assert_allclose(ta.linalg.solve(a, bb).compute(), np.linalg.solve(spd, b), rtol=1e-9)
    np.testing.assert_allclose(
        ta.linalg.solve(a, bb, assume_a="pos").compute(), np.linalg.solve(spd, b), rtol=1e-9
    )
    np.testing.assert_allclose(ta.linalg.inv(a).compute(), np.linalg.inv(spd), rtol=1e-9, atol=1e-12)
    low = np.tril(spd)
    np.testing.assert_allclose(
        ta.linalg.solve_triangular(ta.from_array(low, chunks=chunks), bb, lower=True).compute(),
        np.linalg.solve(low, b),
        rtol=1e-9,
    )
    tall = RNG.standard_normal((20, 4))
    q, r = ta.linalg.qr(ta.from_array(tall, chunks=(5, 4)))
    qv, rv = tessera.compute(q, r)
    np.testing.assert_allclose(qv @ rv, tall, atol=1e-12)
    np.testing.assert_allclose(qv.T @ qv, np.eye(4), atol=1e-12)


def test_compute_shares_work_and_passes_other_values():
    x = ta.random.random((100, 100), chunks=25, seed=1)
    y = (x + 1).sum()
    z = (x + 1).mean()
    ys, zs, other = tessera.compute(y, z, "text")
    assert other == "text"
    np.testing.assert_allclose(ys / 10_000, zs)
    assert isinstance(ys, np.ndarray) and ys.shape == ()


def test_seed_lazy_case_computes_only_the_slice():
    y = ta.exp(ta.ones((10000, 10000), chunks=100))[1:100, 1:100]
    assert y.shape == (99, 99)
    assert len(y.task_graph()) <= 10
    np.testing.assert_allclose(y.compute(), np.full((99, 99), np.e))
