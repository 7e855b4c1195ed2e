"""map_blocks / map_overlap with registered names and Python callables."""

import numpy as np
import pytest

import tessera.array as ta

DATA = np.sin(np.arange(63.0) * 0.37).reshape(9, 7)


@pytest.mark.parametrize("chunks", [(4, 3), -1])
def test_map_blocks_with_a_python_callable(chunks):
    x = ta.from_array(DATA, chunks=chunks)
    calls = []

    def square(block):
        calls.append(block.shape)
        return block * block

    y = x.map_blocks(square) + 1
    np.testing.assert_allclose(y.compute(), DATA * DATA + 1)
    assert len(calls) == x.npartitions


def test_map_blocks_with_a_dtype_and_a_registered_name():
    x = ta.from_array(DATA, chunks=(4, 3))
    y = x.map_blocks(lambda b: (b > 0).astype(np.int32), dtype="int32")
    assert y.dtype == np.int32
    np.testing.assert_array_equal(y.compute(), (DATA > 0).astype(np.int32))
    z = x.map_blocks("exp")
    np.testing.assert_allclose(z.compute(), np.exp(DATA))


def _sum3_rows(block):
    out = np.zeros_like(block)
    out[1:-1] = block[:-2] + block[1:-1] + block[2:]
    return out


@pytest.mark.parametrize("chunks", [(3, 7), (4, 3), -1])
@pytest.mark.parametrize("boundary", ["reflect", "periodic", "nearest"])
def test_map_overlap_with_a_python_callable_matches_the_builtin_correlate(chunks, boundary):
    x = ta.from_array(DATA, chunks=chunks)
    got = x.map_overlap(_sum3_rows, depth=(1, 0), boundary=boundary).compute()
    want = x.map_overlap("correlate", depth=(1, 0), boundary=boundary, weights=[[1.0], [1.0], [1.0]])
    np.testing.assert_allclose(got, want.compute(), rtol=1e-13)
    # Against NumPy: pad the whole array with the same mode and sum.
    mode = {"reflect": "symmetric", "periodic": "wrap", "nearest": "edge"}[boundary]
    padded = np.pad(DATA, ((1, 1), (0, 0)), mode=mode)
    np.testing.assert_allclose(got, padded[:-2] + padded[1:-1] + padded[2:], rtol=1e-13)
