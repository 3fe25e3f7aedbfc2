#!/bin/sh
# Stages the build context of servebench-python: servers/python-common plus each Python server
# workspace (fastapi, flask) with a venv made by Debian's /usr/bin/python3, the interpreter the
# image has at the same path (both bookworm), so the copied venv runs unchanged inside it.
# Packages come from PyPI here, on the host, hash-pinned by the workspace's requirements.txt;
# the docker build itself stays offline.   sh compose/scripts/stage-python.sh <context dir>
set -eu
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
root=$(CDPATH='' cd -- "$here/../.." && pwd)
ctx=${1:?usage: stage-python.sh <context dir>}
python=/usr/bin/python3
[ -x "$python" ] || { echo "stage-python.sh: $python is missing (apt-get install -y python3 python3-pip)" >&2; exit 69; }

rm -rf "$ctx/app"
mkdir -p "$ctx/app/servers"
# Sources only: no venvs, caches or tests from the working tree.
copy() { # workspace dir name
  (cd "$root/servers" && tar -c --exclude=.venv --exclude=__pycache__ --exclude=.pytest_cache --exclude=node_modules --exclude='*.test.ts' "$1") \
    | tar -C "$ctx/app/servers" -x
}
copy python-common
for ws in fastapi flask; do
  [ -f "$root/servers/$ws/requirements.txt" ] || continue
  copy "$ws"
  (cd "$ctx/app/servers/$ws" && SERVEBENCH_PYTHON=$python node ../python-common/build-venv.mjs)
  if [ -f "$ctx/app/servers/$ws/.venv/UNAVAILABLE" ]; then
    echo "stage-python.sh: $ws: $(cat "$ctx/app/servers/$ws/.venv/UNAVAILABLE")" >&2
    exit 1
  fi
done
cp "$here/../node/healthcheck.mjs" "$ctx/app/healthcheck.mjs"
du -sh "$ctx/app" >&2
