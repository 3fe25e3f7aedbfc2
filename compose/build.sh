#!/bin/sh
# Builds the servebench images locally and offline (nothing is pulled; builds run with --network none):
#   1. starts dockerd if needed               (compose/scripts/dockerd.sh)
#   2. the base image, if missing              (compose/scripts/base.sh: debootstrap + host node)
#   3. stages the built Node servers + pruned runtime node_modules (compose/scripts/stage.mjs)
#   4. docker build servebench-node:$SERVEBENCH_TAG from compose/node/Dockerfile
# Needs the Node workspaces built first (npx turbo run build).
#   sh compose/build.sh                 # Node image (all Node servers)
#   sh compose/build.sh --if-missing    # only if servebench-node:$SERVEBENCH_TAG does not exist
#   sh compose/build.sh --python        # also servebench-python:$SERVEBENCH_TAG (fastapi, flask)
# Env: SERVEBENCH_TAG (default local), SERVEBENCH_BUILD_DIR (default /var/tmp/servebench-build).
set -eu
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
root=$(CDPATH='' cd -- "$here/.." && pwd)
tag=${SERVEBENCH_TAG:-local}
build=${SERVEBENCH_BUILD_DIR:-/var/tmp/servebench-build}
if_missing=0
python=0
for a in "$@"; do
  case $a in
    --if-missing) if_missing=1 ;;
    --python) python=1 ;;
    *) echo "build.sh: unknown flag $a (expected --if-missing, --python)" >&2; exit 2 ;;
  esac
done

sh "$here/scripts/dockerd.sh"
revision=$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)
now() { date +%s.%N; }
# A rebuild leaves the previous image untagged: remove it (refused, and kept, while a container uses it).
drop_old() { # image, previous id
  [ -n "$2" ] && [ "$2" != "$(docker image inspect --format '{{.Id}}' "$1")" ] && docker rmi "$2" >/dev/null 2>&1 || true
}
report() { # image, start time
  size=$(docker image inspect "$1" --format '{{.Size}}')
  echo "build.sh: $1 built in $(awk "BEGIN { printf \"%.1f\", $(now) - $2 }") s, $((size / 1000000)) MB (base included)" >&2
}

image="servebench-node:$tag"
if [ "$if_missing" = 1 ] && docker image inspect "$image" >/dev/null 2>&1; then
  echo "build.sh: $image exists" >&2
else
  base=$(sh "$here/scripts/base.sh")
  old=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
  t0=$(now)
  node "$here/scripts/stage.mjs" --out "$build/node-context"
  # The legacy builder is enough (only COPY); no BuildKit or buildx is needed.
  DOCKER_BUILDKIT=0 docker build --quiet --network none --build-arg "BASE=$base" --build-arg "REVISION=$revision" \
    -f "$here/node/Dockerfile" -t "$image" "$build/node-context" >/dev/null
  report "$image" "$t0"
  drop_old "$image" "$old"
fi

if [ "$python" = 1 ]; then
  image="servebench-python:$tag"
  if [ "$if_missing" = 1 ] && docker image inspect "$image" >/dev/null 2>&1; then
    echo "build.sh: $image exists" >&2
  else
    base=$(sh "$here/scripts/base.sh" --python)
    old=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
    t0=$(now)
    sh "$here/scripts/stage-python.sh" "$build/python-context"
    DOCKER_BUILDKIT=0 docker build --quiet --network none --build-arg "BASE=$base" --build-arg "REVISION=$revision" \
      -f "$here/python/Dockerfile" -t "$image" "$build/python-context" >/dev/null
    report "$image" "$t0"
    drop_old "$image" "$old"
  fi
fi
