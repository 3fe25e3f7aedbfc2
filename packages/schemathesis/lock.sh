#!/bin/sh
# Re-pins schemathesis and its dependencies with hashes (universal: every OS, Python >= 3.11).
# Usage: sh packages/schemathesis/lock.sh   (needs python3 and PyPI; uses a throwaway venv)
set -eu
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install -q --disable-pip-version-check uv
cd "$here"
"$tmp/venv/bin/uv" pip compile -q --universal --python-version 3.11 --generate-hashes \
  --custom-compile-command "sh packages/schemathesis/lock.sh" requirements.in -o requirements.txt
