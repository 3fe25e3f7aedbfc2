#!/usr/bin/env bash
# Runs the opt-in Kubernetes test (runner/src/k8s/cluster.k8s.test.ts) against a local control plane on
# 127.0.0.1 built by scripts/k8s/build.sh, and writes its transcript to results/k8s/<date>-transcript.txt.
# Needs: npm ci, the runner's dependencies built (it builds the runner itself), and the binaries in ~/.cache/servebench-k8s/bin.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${SERVEBENCH_K8S_HOME:-$HOME/.cache/servebench-k8s}/bin
OUT=${1:-$ROOT/results/k8s/$(date -u +%Y-%m-%d)-transcript.txt}
mkdir -p "$(dirname "$OUT")"
{
  echo "# servebench opt-in Kubernetes test transcript"
  echo "# date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  commit: $(git -C "$ROOT" rev-parse --short HEAD)"
  echo "# control plane built by scripts/k8s/build.sh from the Go module proxy ($(go version | cut -d' ' -f3)):"
  for b in kube-apiserver kube-controller-manager kube-scheduler; do
    [[ -x $BIN/$b ]] && echo "#   $b: $("$BIN/$b" --version 2>&1 | head -1)" || echo "#   $b: not built"
  done
  [[ -x $BIN/kubectl ]] && echo "#   kubectl: $("$BIN/kubectl" version --client 2>&1 | head -1)" || echo "#   kubectl: not built"
  echo "#   etcd: go.etcd.io/etcd/server/v3 $(grep -m1 'go.etcd.io/etcd/server/v3 ' "$(dirname "$BIN")/work/etcd/go.mod" | awk '{print $NF}') (embed)"
  echo "#   kwok: $("$BIN/kwok" --version 2>&1 | head -1)"
  echo "# every listener on 127.0.0.1; kwok's node IP 127.0.0.1; pods do not run (kwok fakes their status)"
  echo "# no timing here means anything: the machine was shared and the pods are fake"
  echo
} >"$OUT"
cd "$ROOT/runner"
nice npm run build >/dev/null # dist/k8s/reaper.js: the SIGINT path a real run takes
set +e
SERVEBENCH_K8S_TEST=1 SERVEBENCH_K8S_TRANSCRIPT="$OUT.steps" nice npx vitest run src/k8s/cluster.k8s.test.ts \
  --reporter verbose --silent >"$OUT.vitest" 2>&1
rc=$?
set -e
{
  echo "## steps"
  cat "$OUT.steps" 2>/dev/null || echo "(none)"
  echo
  echo "## vitest (exit $rc)"
  sed -e "s#$ROOT#<repo>#g" -e "s#$HOME#~#g" "$OUT.vitest"
} >>"$OUT"
rm -f "$OUT.steps" "$OUT.vitest"
sed -i -e "s#$ROOT#<repo>#g" -e "s#$HOME#~#g" -e "s#/tmp/servebench-k8s-[A-Za-z0-9]*#<tmp>#g" "$OUT"
echo "wrote $OUT (vitest exit $rc)"
exit $rc
