#!/usr/bin/env bash
# Makes modelservers/triton/.venv with the pinned pytriton (real tritonserver inside) and onnxruntime.
# About 80 s and 440 MB from scratch (40 s with pip's cache). Re-runs pip only when requirements.txt
# changes. The runner never installs it itself: until this has run, triton-* stacks are skipped.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
# One installer at a time (parallel test files, or a runner and a test, may ask together).
exec 9>"${TMPDIR:-/tmp}/servebench-pytriton-setup.lock"
flock 9
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
python="${SERVEBENCH_PYTHON:-python3}"
"$python" -m venv --clear "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
echo "$want" > "$stamp"
