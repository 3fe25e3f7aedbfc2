#!/usr/bin/env bash
# The TF Serving SavedModel check, kept out of `npm test`: installs the pinned TensorFlow into
# packages/model/python/.venv (about 2 minutes and 1.7 GB from scratch; reused afterwards), forges
# the tiny and mini models, exports them as SavedModels and checks TensorFlow against ORT to 1e-4;
# then runs servebench's tfserving-grpc client against a stand-in built from TF Serving's official
# Python API over that SavedModel (needs `npm run build` first, for the client).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$here/requirements-tf.txt" | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements-tf.txt"
  echo "$want" > "$stamp"
fi
node "$here/../dist/cli.js" --ensure tiny,mini
cd "$here"
# TF's C++ start-up chatter (oneDNN, CUDA probing) is not test output.
TF_CPP_MIN_LOG_LEVEL=2 "$venv/bin/python" -m pytest -q -p no:cacheprovider test_savedmodel.py test_tfserving_standin.py
