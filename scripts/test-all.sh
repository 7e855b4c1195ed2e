#!/usr/bin/env bash
# The project's single test command: the Rust workspace's tests, then the Python
# package built into a virtual environment (target/python-venv, reused when present)
# and its pytest suite (python/tests).
#
#   scripts/test-all.sh            # everything
#   scripts/test-all.sh --python   # the Python package only (build, install, pytest)
#
# Needs a Rust toolchain and Python >= 3.10 with pip and venv ($PYTHON, default
# python3); numpy, pytest and maturin come from PyPI into the venv.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" != "--python" ]]; then
    echo "== cargo test --workspace"
    cargo test --workspace
fi

PYTHON="${PYTHON:-python3}"
VENV="target/python-venv"
if [[ ! -x "$VENV/bin/python" ]]; then
    echo "== creating $VENV"
    # Some distributions ship Python without ensurepip; virtualenv from PyPI then.
    "$PYTHON" -m venv "$VENV" || {
        rm -rf "$VENV"
        "$PYTHON" -m pip install --quiet --disable-pip-version-check virtualenv
        "$PYTHON" -m virtualenv "$VENV"
    }
fi
echo "== installing the test tools into $VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "numpy>=2.1,<3" "pytest>=8,<10" "maturin>=1.9,<2"

echo "== pip install ./python (release build of the extension)"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    --no-build-isolation --force-reinstall --no-deps ./python

echo "== pytest python/tests"
# From the repository root, so that `import tessera` is the installed package
# (python/tessera has no compiled extension).
"$VENV/bin/python" -m pytest -q python/tests
