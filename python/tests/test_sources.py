"""Creation functions and sources against NumPy, chunked and whole."""

import numpy as np
import pytest

import tessera.array as ta

CHUNKS = [3, -1, (4, 2)]


@pytest.mark.parametrize("chunks", CHUNKS)
def test_ones_zeros_full_match_numpy(chunks):
    np.testing.assert_array_equal(ta.ones((7, 5), chunks=chunks).compute(), np.ones((7, 5)))
    z = ta.zeros((7, 5), dtype="int32", chunks=chunks)
    assert z.dtype == np.int32
    np.testing.assert_array_equal(z.compute(), np.zeros((7, 5), np.int32))
    f = ta.full((7, 5), 2.5, chunks=chunks).compute()
    np.testing.assert_array_equal(f, np.full((7, 5), 2.5))


@pytest.mark.parametrize("chunks", [4, -1])
def test_arange_linspace_eye_match_numpy(chunks):
    np.testing.assert_array_equal(ta.arange(10, chunks=chunks).compute(), np.arange(10))
    np.testing.assert_array_equal(ta.arange(2, 20, 3, chunks=chunks).compute(), np.arange(2, 20, 3))
    np.testing.assert_allclose(ta.linspace(0, 1, 11, chunks=chunks).compute(), np.linspace(0, 1, 11))
    np.testing.assert_array_equal(ta.eye(6, k=1, chunks=chunks).compute(), np.eye(6, k=1))
    np.testing.assert_array_equal(ta.eye(5, 7, chunks=chunks).compute(), np.eye(5, 7))


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int32", "bool"])
@pytest.mark.parametrize("chunks", [(2, 3), -1])
def test_from_array_round_trips_every_dtype(dtype, chunks):
    data = (np.arange(35).reshape(7, 5) % 3).astype(dtype)
    x = ta.from_array(data, chunks=chunks)
    assert x.shape == (7, 5) and x.dtype == data.dtype
    out = x.compute()
    assert out.dtype == data.dtype
    np.testing.assert_array_equal(out, data)


def test_from_array_of_a_strided_view():
    base = np.arange(60.0).reshape(6, 10)
    view = base[::2, 1::3]
    np.testing.assert_array_equal(ta.from_array(view, chunks=2).compute(), view)


def test_chunks_npartitions_and_repr_are_dask_like():
    x = ta.ones((10, 7), chunks=(4, 7))
    assert x.chunks == ((4, 4, 2), (7,))
    assert x.npartitions == 3 and x.numblocks == (3, 1)
    assert repr(x) == "tessera.Array<ones, shape=(10, 7), dtype=float64, chunksize=(4, 7)>"
    y = ta.ones((9,), chunks=((2, 3, 4),))
    assert y.chunks == ((2, 3, 4),)


def test_from_npy_reads_the_file(tmp_path, monkeypatch):
    data = np.arange(24.0).reshape(4, 6)
    np.save(tmp_path / "a.npy", data)
    monkeypatch.chdir(tmp_path)
    x = ta.from_npy("a.npy", chunks=(2, 3))
    assert x.op == "from_npy"
    np.testing.assert_array_equal(x.compute(), data)
    np.testing.assert_array_equal(x[1:3, ::2].compute(), data[1:3, ::2])


@pytest.mark.parametrize("chunks", [(3, 4), -1])
def test_random_sources_are_seeded_and_chunking_independent(chunks):
    a = ta.random.random((9, 8), chunks=chunks, seed=7).compute()
    b = ta.random.random((9, 8), chunks=-1, seed=7).compute()
    np.testing.assert_array_equal(a, b)
    assert ((a >= 0) & (a < 1)).all()
    assert not np.array_equal(a, ta.random.random((9, 8), chunks=chunks, seed=8).compute())
    u = ta.random.uniform(-2, 3, (2000,), chunks=500, seed=1).compute()
    assert u.min() >= -2 and u.max() < 3
    n = ta.random.normal(5.0, 2.0, (20000,), chunks=5000, seed=3).compute()
    assert abs(n.mean() - 5.0) < 0.1 and abs(n.std() - 2.0) < 0.1
    i = ta.random.integers(3, 9, (1000,), chunks=100, seed=2).compute()
    assert i.dtype == np.int64 and i.min() >= 3 and i.max() < 9
