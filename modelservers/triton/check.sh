#!/usr/bin/env bash
# Installs real Triton (the workspace build) and runs the tests that use it: the runner's launcher and the
# Triton HTTP/gRPC clients against tritonserver, compared with ORT, then python_model.py's batching against
# ORT. About 2 minutes from scratch.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
(cd "$here" && npm run build)
cd "$here/../../runner"
npx vitest run src/launch/modelserver.test.ts
# After the launcher test, which writes the repository (models/triton/*) the unit test reads.
(cd "$here" && .venv/bin/python -m unittest test_python_model.py)
