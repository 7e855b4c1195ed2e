#!/usr/bin/env python3
"""The user's path of issue 14's workloads (../shared/design/workloads.md): writes
the documents of W1, W2r (chunks 1000 and 100), W6r and W7r, runs each through
`tessera run --stats` and reports the median of `total_s - parse_s` and of the
whole process's wall time; with --peers, runs peers.py for the same workloads
right after (one sitting) and prints the ratios peer / tessera.

    python3 benches/cli_path.py [--tessera target/release/tessera] [--runs 5]
        [--peers /tmp/tessera-peers/bin/python]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def doc(nodes, outputs):
    return {"tessera": 1, "nodes": nodes, "outputs": outputs}


def uniform(seed, n, chunks):
    return {"op": "random.uniform", "shape": [n, n], "seed": seed, "chunks": chunks}


def w1():
    return doc({
        "a": {"op": "ones", "shape": [10000, 10000], "chunks": 100},
        "b": {"op": "exp", "args": ["a"]},
        "c": {"op": "getitem", "args": ["b"], "index": [[1, 100, None], [1, 100, None]]},
    }, ["c"])


def w2r(chunks):
    return doc({
        "x": uniform(1, 10000, chunks),
        "s": {"op": "sum", "args": [{"op": "exp", "args": ["x"]}]},
    }, ["s"])


def w6r():
    # 2*sin(x)**2 + cos(x)*exp(-x) - 1, then .mean()
    return doc({
        "x": uniform(1, 10000, 1000),
        "a": {"op": "multiply", "args": [2, {"op": "power", "args": [{"op": "sin", "args": ["x"]}, 2]}]},
        "b": {"op": "multiply", "args": [{"op": "cos", "args": ["x"]},
                                         {"op": "exp", "args": [{"op": "negative", "args": ["x"]}]}]},
        "e": {"op": "subtract", "args": [{"op": "add", "args": ["a", "b"]}, 1]},
        "m": {"op": "mean", "args": ["e"]},
    }, ["m"])


def w7r():
    return doc({
        "a": uniform(1, 4000, 500),
        "b": uniform(2, 4000, 500),
        "p": {"op": "matmul", "args": ["a", "b"]},
        "c": {"op": "getitem", "args": ["p"], "index": [[None, 10, None], [None, 10, None]]},
    }, ["c"])


# (name, document, peers.py workload, peers.py peer label)
WORKLOADS = [
    ("W1", w1(), "W1", "dask"),
    ("W2r chunks=1000", w2r(1000), "W2R", "dask chunks=1000"),
    ("W2r chunks=100", w2r(100), "W2R", "dask chunks=100"),
    ("W6r", w6r(), "W6R", "dask chunks=1000"),
    ("W7r", w7r(), "W7R", "dask"),
]


def run_once(tessera, path, out, stats):
    start = time.perf_counter()
    subprocess.run([tessera, "run", path, "--out", out, "--stats", stats],
                   check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    with open(stats) as f:
        s = json.load(f)
    return s["total_s"] - s["parse_s"], wall


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tessera", default="target/release/tessera")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--peers", help="python of the peers' environment (runs peers.py)")
    ap.add_argument("--peers-script", default="/work/shared/peers/peers.py")
    args = ap.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, document, _, _ in WORKLOADS:
            path = os.path.join(tmp, name.replace(" ", "_").replace("=", "") + ".json")
            with open(path, "w") as f:
                json.dump(document, f)
            stats = os.path.join(tmp, "stats.json")
            out = os.path.join(tmp, "out")
            run_once(args.tessera, path, out, stats)  # warm-up
            times = [run_once(args.tessera, path, out, stats) for _ in range(args.runs)]
            after_parse = statistics.median(t for t, _ in times)
            wall = statistics.median(w for _, w in times)
            results[name] = after_parse
            print(json.dumps({"workload": name, "tessera_after_parse_s": after_parse,
                              "tessera_wall_s": wall}), flush=True)
    if not args.peers:
        return
    wanted = sorted({w for _, _, w, _ in WORKLOADS})
    proc = subprocess.run([args.peers, args.peers_script, *wanted, "--runs", str(args.runs)],
                          check=True, capture_output=True, text=True)
    peers = {}
    for line in proc.stdout.splitlines():
        try:
            r = json.loads(line)
        except json.JSONDecodeError:
            continue
        peers[(str(r.get("workload", "")).upper(), r.get("peer"))] = r.get("median_s")
    for name, _, wid, label in WORKLOADS:
        seconds = peers.get((wid, label))
        ratio = seconds / results[name] if seconds else None
        print(json.dumps({"workload": name, "peer": label, "peer_s": seconds,
                          "tessera_after_parse_s": results[name], "ratio": ratio}))


if __name__ == "__main__":
    sys.exit(main())
