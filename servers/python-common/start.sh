#!/bin/sh
# Starts a Python reference server from the venv of the workspace it runs in (cwd), as the
# "start" command in servers/<server>/package.json: sh ../python-common/start.sh <server>.
# exec keeps the Python process as the runner's child, so SIGTERM reaches it directly.
# Exit 78 (EX_CONFIG) means this stack cannot run on this machine; the runner shows it as skipped.
set -eu
server=${1:?usage: start.sh fastapi|flask}
common=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
ws=$(pwd)
venv="$ws/.venv"
if [ -f "$venv/UNAVAILABLE" ]; then
  echo "$server: $(cat "$venv/UNAVAILABLE")" >&2
  exit 78
fi
if [ ! -f "$venv/.servebench-stamp" ] || [ ! -x "$venv/bin/python" ]; then
  echo "$server: its Python environment is not installed ($venv); run: npm run build -w servers/$server" >&2
  exit 1
fi
PYTHONPATH="$common/src${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONPATH
exec "$venv/bin/python" "$ws/src/main.py"
