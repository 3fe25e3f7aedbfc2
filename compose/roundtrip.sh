#!/bin/sh
# A real compose round trip on this machine: the smoke profile on one Node stack through
# `--launcher compose`, then through the process launcher, and a check that both results.json have
# the same shape. Builds what is missing first (dockerd, base image, server image, the workspaces).
#   sh compose/roundtrip.sh                        # fastify+ort
#   sh compose/roundtrip.sh --stacks hono+ort      # other stacks that can run here (--strict: a skip fails)
#   sh compose/roundtrip.sh --stacks fastify+triton-http   # Triton in its own container (servebench-triton)
#   sh compose/roundtrip.sh --rebuild          # rebuild the images the stacks need from the current dist/
# Needs root and: apt-get install -y docker.io docker-compose debootstrap
# Env: SERVEBENCH_TAG, SERVEBENCH_BUILD_DIR (see build.sh). Leaves no container behind.
set -eu
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
root=$(CDPATH='' cd -- "$here/.." && pwd)
stacks=fastify+ort
rebuild=0
while [ $# -gt 0 ]; do
  case $1 in
    --stacks) stacks=${2:?--stacks needs a value}; shift 2 ;;
    --rebuild) rebuild=1; shift ;;
    *) echo "roundtrip.sh: unknown flag $1 (expected --stacks <ids>, --rebuild)" >&2; exit 2 ;;
  esac
done

now() { date +%s.%N; }
since() { awk "BEGIN { printf \"%.1f\", $(now) - $1 }"; }
t_all=$(now)
out=$(mktemp -d /tmp/servebench-roundtrip.XXXXXX)
cd "$root"

t=$(now)
sh "$here/scripts/dockerd.sh"
echo "roundtrip: dockerd ready in $(since "$t") s" >&2

t=$(now)
# The process run of a triton-* stack needs modelservers/triton's venv too.
npx turbo run build --output-logs=errors-only --filter=@servebench/runner --filter='./servers/*' \
  --filter='./modelservers/*' >"$out/build.log" 2>&1 || {
  tail -n 30 "$out/build.log" >&2
  exit 1
}
echo "roundtrip: workspaces built in $(since "$t") s" >&2

t=$(now)
images=node
case ",$stacks," in *,fastapi+* | *,flask+*) images="$images,python" ;; esac
case "$stacks" in *+triton-*) images="$images,triton" ;; esac
if [ "$rebuild" = 1 ]; then sh "$here/build.sh" --only "$images"; else sh "$here/build.sh" --if-missing --only "$images"; fi
echo "roundtrip: images ready in $(since "$t") s" >&2

run() { # launcher
  t=$(now)
  node runner/dist/cli.js run --profile smoke --launcher "$1" --stacks "$stacks" --no-raw --strict \
    --out "$out/$1" --run-id "$1" >"$out/$1.log" 2>&1 || {
    echo "roundtrip: the $1 run failed; last lines of $out/$1.log:" >&2
    tail -n 40 "$out/$1.log" >&2
    exit 1
  }
  echo "roundtrip: smoke run with --launcher $1 in $(since "$t") s" >&2
}
run compose
run process

node "$here/scripts/same-shape.mjs" "$out/process/process/results.json" "$out/compose/compose/results.json"
left=$(docker ps -aq --filter label=com.docker.compose.project --filter name=servebench-)
if [ -n "$left" ]; then
  echo "roundtrip: containers left behind: $left" >&2
  exit 1
fi
echo "roundtrip: ok in $(since "$t_all") s; results in $out" >&2
