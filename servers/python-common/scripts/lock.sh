#!/bin/sh
# Re-pins the Python servers' dependencies with hashes (universal: every Python >= 3.9, every OS).
# Usage: sh servers/python-common/scripts/lock.sh   (needs python3 and PyPI; uses a throwaway venv)
set -eu
common=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install -q --disable-pip-version-check uv
compile() {
  (cd "$(dirname "$1")" && "$tmp/venv/bin/uv" pip compile -q --universal --python-version 3.9 --generate-hashes \
    --custom-compile-command "sh servers/python-common/scripts/lock.sh" "$(basename "$1")" -o "$2")
}
compile "$common/bootstrap.in" bootstrap.txt
compile "$common/../fastapi/requirements.in" requirements.txt
compile "$common/../flask/requirements.in" requirements.txt
# Real Triton (modelservers/triton): nvidia-pytriton publishes manylinux_2_35 x86_64/aarch64 wheels only.
(cd "$common/../../modelservers/triton" && "$tmp/venv/bin/uv" pip compile -q --python-version 3.11 --python-platform x86_64-manylinux_2_35 \
  --generate-hashes --custom-compile-command "sh servers/python-common/scripts/lock.sh" requirements.in -o requirements.txt)
