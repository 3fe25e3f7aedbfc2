#!/bin/sh
# Builds the servebench images locally and offline (nothing is pulled; builds run with --network none):
#   1. starts dockerd if needed               (compose/scripts/dockerd.sh)
#   2. the base image, if missing              (compose/scripts/base.sh: debootstrap + host node [+ python3])
#   3. stages the build context                (compose/scripts/stage.mjs, stage-python.sh, stage-triton.sh)
#   4. docker build servebench-<image>:$SERVEBENCH_TAG from compose/<image>/Dockerfile
# The node image needs the Node workspaces built first (npx turbo run build); python and triton do not.
#   sh compose/build.sh                  # Node image (all Node servers)
#   sh compose/build.sh --if-missing     # only images that do not exist yet
#   sh compose/build.sh --python         # also servebench-python:$SERVEBENCH_TAG (fastapi, flask)
#   sh compose/build.sh --triton         # also servebench-triton:$SERVEBENCH_TAG (tritonserver, CPU)
#   sh compose/build.sh --only triton    # just these images (comma-separated: node,python,triton)
# Env: SERVEBENCH_TAG (default local), SERVEBENCH_BUILD_DIR (default /var/tmp/servebench-build).
set -eu
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
root=$(CDPATH='' cd -- "$here/.." && pwd)
tag=${SERVEBENCH_TAG:-local}
build=${SERVEBENCH_BUILD_DIR:-/var/tmp/servebench-build}
if_missing=0
images=node
while [ $# -gt 0 ]; do
  case $1 in
    --if-missing) if_missing=1; shift ;;
    --python) images="$images,python"; shift ;;
    --triton) images="$images,triton"; shift ;;
    --only) images=${2:?--only needs a list (node,python,triton)}; shift 2 ;;
    *) echo "build.sh: unknown flag $1 (expected --if-missing, --python, --triton, --only <images>)" >&2; exit 2 ;;
  esac
done
for i in $(echo "$images" | tr ',' ' '); do
  case $i in
    node | python | triton) ;;
    *) echo "build.sh: unknown image $i (expected node, python, triton)" >&2; exit 2 ;;
  esac
done
wants() { case ",$images," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

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

# image (also its Dockerfile folder compose/<image>), base.sh flag, staging command (gets the context dir)
build_one() {
  image="servebench-$1:$tag"
  if [ "$if_missing" = 1 ] && docker image inspect "$image" >/dev/null 2>&1; then
    echo "build.sh: $image exists" >&2
    return 0
  fi
  base=$(sh "$here/scripts/base.sh" $2)
  old=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
  t0=$(now)
  $3 "$build/$1-context"
  # The legacy builder is enough (only COPY); no BuildKit or buildx is needed.
  DOCKER_BUILDKIT=0 docker build --quiet --network none --build-arg "BASE=$base" --build-arg "REVISION=$revision" \
    -f "$here/$1/Dockerfile" -t "$image" "$build/$1-context" >/dev/null
  report "$image" "$t0"
  drop_old "$image" "$old"
}
stage_node() { node "$here/scripts/stage.mjs" --out "$1"; }
stage_python() { sh "$here/scripts/stage-python.sh" "$1"; }
stage_triton() { sh "$here/scripts/stage-triton.sh" "$1"; }

if wants node; then build_one node '' stage_node; fi
if wants python; then build_one python --python stage_python; fi
if wants triton; then build_one triton --python stage_triton; fi
