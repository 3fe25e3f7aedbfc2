#!/bin/sh
# Re-pins the lint tools' venv with hashes (universal: every OS, Python >= 3.9).
# Usage: sh scripts/lint/lock.sh   (needs python3 and PyPI; uses a throwaway venv)
set -eu
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install -q --disable-pip-version-check uv
cd "$here"
"$tmp/venv/bin/uv" pip compile -q --universal --python-version 3.9 --generate-hashes \
  --custom-compile-command "sh scripts/lint/lock.sh" requirements.in -o requirements.txt
