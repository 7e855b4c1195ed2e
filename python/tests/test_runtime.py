"""Runtime behaviour seen from Python: the GIL is released while computing, and
results are handed over without a copy."""

import threading
import time

import numpy as np

import tessera
import tessera.array as ta


def test_compute_releases_the_gil():
    # A long compute (a few hundred ms) on tessera's threads while a Python
    # thread counts: with the GIL held the counter would stay near zero.
    x = ta.random.random((3000, 3000), chunks=500, seed=1)
    y = (ta.sin(x) @ ta.cos(x).T).sum()
    ticks = 0
    done = threading.Event()

    def count():
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            time.sleep(0.001)

    t = threading.Thread(target=count)
    t.start()
    start = time.perf_counter()
    try:
        y.compute()
    finally:
        done.set()
        t.join()
    elapsed = time.perf_counter() - start
    assert elapsed > 0.05, "the compute was too short to show anything"
    # The counter thread ran for most of the compute (1 ms sleeps).
    assert ticks >= elapsed * 1000 * 0.2, (ticks, elapsed)


def test_python_callables_run_during_a_released_compute():
    # Block functions take the GIL per call while other workers run.
    x = ta.ones((64, 64), chunks=8)
    y = x.map_blocks(lambda b: b * 2).sum()
    assert y.compute() == 2 * 64 * 64


def test_compute_hands_over_the_result_buffer_without_copy():
    # The result's memory is tessera's buffer wrapped by NumPy: the array does
    # not own it, its base is the Rust container, and it is writeable.
    out = (ta.ones((1000, 1000), chunks=-1) + 1).compute()
    assert not out.flags.owndata
    assert out.base is not None and not isinstance(out.base, np.ndarray)
    assert type(out.base).__name__ == "PySliceContainer"
    assert out.flags.writeable and out.flags.c_contiguous
    out[0, 0] = 5.0  # it is the caller's to change
    assert out[0, 0] == 5.0


def test_tessera_compute_of_nothing():
    assert tessera.compute() == ()
    assert tessera.compute(1, "a") == (1, "a")
