"""Timings of tessera from Python against Dask in the same process (medians).

    python python/bench/compare_dask.py [--repeat N]

Needs tessera installed (`pip install ./python`) and, for the Dask columns, dask
in the same environment (skipped when absent). Workloads (see the design's
workloads.md): W1 `exp(ones((10000, 10000), chunks=100))[1:100, 1:100]` built and
computed; a one-task compute (`ones((1,)).compute()`), the per-call overhead; W2
`exp(x).sum()` with x a 10000x10000 float64 array in memory, chunks 1000.
"""

import argparse
import statistics
import time

import numpy as np

import tessera.array as ta

try:
    import dask.array as da
except ImportError:  # Dask is optional here
    da = None


def median_s(fn, repeat):
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    rows = []

    def w1(lib):
        return lambda: lib.exp(lib.ones((10000, 10000), chunks=100))[1:100, 1:100].compute()

    rows.append(("W1 lazy slice", median_s(w1(ta), args.repeat), da and median_s(w1(da), args.repeat)))

    def one(lib):
        return lambda: lib.ones((1,), chunks=1).compute()

    rows.append(("one-task compute", median_s(one(ta), args.repeat * 10), da and median_s(one(da), args.repeat)))

    x = np.random.default_rng(0).uniform(size=(10000, 10000))

    def w2(lib):
        return lambda: lib.exp(lib.from_array(x, chunks=1000)).sum().compute()

    r = max(3, args.repeat // 10)
    rows.append(("W2 exp-sum, chunks 1000", median_s(w2(ta), r), da and median_s(w2(da), r)))

    print(f"{'workload':<28}{'tessera':>14}{'dask':>14}{'speed-up':>10}")
    for name, t, d in rows:
        dask_s = f"{d * 1e3:11.3f} ms" if d else "           -"
        ratio = f"{d / t:9.1f}x" if d else "         -"
        print(f"{name:<28}{t * 1e3:11.3f} ms{dask_s}{ratio}")


if __name__ == "__main__":
    main()
