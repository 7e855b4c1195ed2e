"""Errors: build errors at once, user exceptions re-raised as their own type,
invalid graphs listing every fault, compute failures naming the task."""

import json

import numpy as np
import pytest

import tessera
import tessera.array as ta


def test_shape_errors_raise_when_built():
    with pytest.raises(ValueError, match="add"):
        ta.ones((3,), chunks=3) + ta.ones((4,), chunks=4)
    with pytest.raises(TypeError):
        ta.from_array(np.zeros(3, dtype=np.complex128))


class CustomError(Exception):
    pass


@pytest.mark.parametrize("exc", [ValueError, KeyError, ZeroDivisionError, CustomError])
def test_a_user_function_exception_is_reraised_as_its_type_naming_the_task(exc):
    def boom(block):
        raise exc("bad block")

    x = ta.ones((8,), chunks=4).map_blocks(boom)
    with pytest.raises(exc) as info:
        x.compute()
    text = str(info.value)
    assert "bad block" in text
    assert "map_blocks" in text and "closure-" in text
    # The block as the user's graph names it: its node and block index.
    assert 'node "' in text and "block [" in text
    assert info.value.key.startswith('["map_blocks-')
    assert isinstance(info.value.__cause__, exc)


def test_a_block_function_returning_junk_is_a_type_error():
    x = ta.ones((8,), chunks=4).map_blocks(lambda b: np.zeros(3, dtype=np.complex64))
    with pytest.raises(TypeError):
        x.compute()


def test_invalid_graph_lists_every_fault():
    doc = {
        "tessera": 1,
        "nodes": {
            "a": {"op": "ones", "shape": [3], "chunks": 3},
            "b": {"op": "exp", "args": ["nowhere"]},
            "c": {"op": "nope", "args": ["a"]},
        },
        "outputs": ["b", "c"],
    }
    with pytest.raises(tessera.InvalidGraph) as info:
        tessera.run(doc)
    faults = info.value.faults
    assert {f["node"] for f in faults} >= {"b", "c"}
    assert "nowhere" in str(info.value) and "nope" in str(info.value)
    with pytest.raises(tessera.InvalidGraph):
        tessera.validate(json.dumps(doc))
    with pytest.raises(tessera.InvalidGraph):
        ta.from_json("{not json")


def test_a_failing_task_raises_compute_error_naming_it():
    doc = {
        "tessera": 1,
        "nodes": {
            "x": {"op": "literal", "value": 1},
            "y": {"op": "literal", "value": 0},
            "q": {"op": "call", "fn": "floordiv", "args": ["x", "y"]},
        },
        "outputs": ["q"],
    }
    with pytest.raises(tessera.ComputeError, match="q") as info:
        tessera.run(doc)
    assert isinstance(info.value, tessera.TesseraError)


def test_singular_matrix_is_a_compute_error():
    a = ta.zeros((4, 4), chunks=2)
    with pytest.raises(tessera.ComputeError, match="singular"):
        ta.linalg.solve(a, ta.ones((4, 1), chunks=2)).compute()
