#!/bin/sh
# Stages the build context of servebench-triton: modelservers/triton's serve.py and python_model.py,
# and a venv installed from modelservers/triton/requirements.txt (hash-pinned: nvidia-pytriton with its
# tritonserver, onnxruntime, numpy) by Debian's /usr/bin/python3, the interpreter the image has at the
# same path (both bookworm), so the copied venv runs unchanged inside it. The docker build stays offline.
#   sh compose/scripts/stage-triton.sh <context dir>
# The venv is kept between runs and reinstalled only when the requirements (or the interpreter) change
# (build-venv.mjs's stamp): unchanged files keep docker's cached layer for it, so a rebuild copies only
# the two scripts.
set -eu
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
root=$(CDPATH='' cd -- "$here/../.." && pwd)
ctx=${1:?usage: stage-triton.sh <context dir>}
python=/usr/bin/python3
[ -x "$python" ] || { echo "stage-triton.sh: $python is missing (apt-get install -y python3 python3-pip)" >&2; exit 69; }
src="$root/modelservers/triton"

mkdir -p "$ctx"
cp "$src/requirements.txt" "$ctx/requirements.txt"
# build-venv.mjs installs ./.venv of the directory it runs in; it is a no-op when its stamp matches.
(cd "$ctx" && SERVEBENCH_PYTHON=$python node "$root/servers/python-common/build-venv.mjs")
if [ -f "$ctx/.venv/UNAVAILABLE" ]; then
  echo "stage-triton.sh: $(cat "$ctx/.venv/UNAVAILABLE")" >&2
  exit 1
fi

rm -rf "$ctx/app"
mkdir -p "$ctx/app/modelservers/triton"
cp "$src/serve.py" "$src/python_model.py" "$ctx/app/modelservers/triton/"
cp "$here/../node/healthcheck.mjs" "$ctx/app/healthcheck.mjs"
# Not needed at run time: uv (the installer build-venv.mjs bootstraps, 40 MB) and bytecode caches of the scripts.
cat >"$ctx/.dockerignore" <<'IGNORE'
.venv/bin/uv
.venv/bin/uvx
.venv/lib/python3*/site-packages/uv
.venv/lib/python3*/site-packages/uv-*.dist-info
requirements.txt
IGNORE
du -sh "$ctx/.venv" >&2
