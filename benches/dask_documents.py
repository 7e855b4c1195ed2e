#!/usr/bin/env python3
"""Writes the dask-dialect documents of issue 6's targets, the same graphs as
`dask_merge` and `dask_tree` in benches/task_graphs.rs, for timing the CLI:

    python3 benches/dask_documents.py DIR
    /usr/bin/time -v tessera run DIR/w4.json --out OUT --stats stats.json

w4.json: 100,000 tuple keys ["x", i] (each ["inc", i]) and "total", the sum of
all of them; w5.json: a binary tree of "add" of depth 15; merge_1m.json: w4 with
1,000,000 keys.
"""
import json
import os
import sys


def merge(n):
    parts = ['{"tessera": 1, "dialect": "dask", "graph": {']
    parts += [f'"[\\"x\\",{i}]": ["inc", {i}], ' for i in range(n)]
    parts.append('"total": ["sum", [')
    parts.append(", ".join(f'["x", {i}]' for i in range(n)))
    parts.append(']]}, "outputs": ["total"]}')
    return "".join(parts)


def tree(depth):
    leaves = 1 << (depth - 1)
    parts = ['{"tessera": 1, "dialect": "dask", "graph": {']
    parts += [f'"[\\"leaf\\",{i}]": {i}, ' for i in range(leaves)]
    width, below, height = leaves, "leaf", 1
    while width > 1:
        name = f"add-{height}"
        parts += [
            f'"[\\"{name}\\",{i}]": ["add", ["{below}", {2 * i}], ["{below}", {2 * i + 1}]], '
            for i in range(width // 2)
        ]
        below, width, height = name, width // 2, height + 1
    parts.append(f'"root": ["{below}", 0]}}, "outputs": ["root"]}}')
    return "".join(parts)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    for name, text in [("w4", merge(100_000)), ("w5", tree(15)), ("merge_1m", merge(1_000_000))]:
        json.loads(text)  # well-formed
        with open(os.path.join(out, f"{name}.json"), "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
