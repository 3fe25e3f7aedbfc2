#!/usr/bin/env bash
# Builds the binaries the opt-in Kubernetes test needs, from the Go module proxy only:
#   kube-apiserver  k8s.io/kubernetes v1.36.3 cmd/kube-apiserver, staging modules replaced by the published v0.36.3
#   kube-controller-manager, kube-scheduler  same module: without them no Deployment gets a ReplicaSet or
#                   pods, no Job gets pods, and no pod gets a node (kwok only fakes nodes and pod status)
#   kubectl         k8s.io/kubernetes v1.36.3 cmd/kubectl (same module, same replaces)
#   etcd            a tiny main (scripts/k8s/etcd/main.go) around go.etcd.io/etcd/server/v3/embed (3.6)
#   kwok            sigs.k8s.io/kwok v0.8.0 cmd/kwok
# Caches and binaries live outside the repo: $SERVEBENCH_K8S_HOME (default ~/.cache/servebench-k8s).
# About 3 GB of module and build cache; 10-20 minutes of compile on 2 cores. Run it niced:
#   GOMAXPROCS=2 nice -n 19 scripts/k8s/build.sh [etcd|kwok|apiserver|controller-manager|scheduler|kubectl ...]
set -euo pipefail

K8S_VERSION=v1.36.3
STAGING_VERSION=v0.36.3
KWOK_VERSION=v0.8.0
ETCD_VERSION=${ETCD_VERSION:-v3.6.16}

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=${SERVEBENCH_K8S_HOME:-$HOME/.cache/servebench-k8s}
BIN=$ROOT/bin
mkdir -p "$BIN" "$ROOT/work"
export GOMODCACHE=$ROOT/gomod GOCACHE=$ROOT/gobuild GOPATH=$ROOT/gopath
export GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN=local
export GOMAXPROCS=${GOMAXPROCS:-2}

log() { printf '[k8s-build %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }

# A go.mod requiring k8s.io/kubernetes, with one replace per staging module. k8s.io/kubernetes
# requires its staging modules at v0.0.0 and replaces them with ./staging paths, which a
# dependent module ignores; the names are read from its own go.mod so none is missed.
kube_module() {
  local dir=$ROOT/work/kubernetes
  if [[ -f $dir/go.sum && -f $dir/.ready ]]; then echo "$dir"; return; fi
  mkdir -p "$dir"
  log "downloading k8s.io/kubernetes@$K8S_VERSION go.mod" >&2
  local gomod
  gomod=$(cd "$dir" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  [[ -f $gomod ]] || { echo "could not fetch k8s.io/kubernetes@$K8S_VERSION go.mod" >&2; exit 1; }
  {
    echo "module servebench.local/k8sbuild"
    echo
    echo "go 1.26"
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    awk '$2 == "=>" && $3 ~ /^\.\/staging\// { print "replace " $1 " => " $1 " '"$STAGING_VERSION"'" }' "$gomod"
  } >"$dir/go.mod"
  log "$(grep -c '^replace' "$dir/go.mod") staging replaces written to $dir/go.mod" >&2
  cat >"$dir/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver/app"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	_ "k8s.io/kubernetes/cmd/kube-scheduler/app"
	_ "k8s.io/kubectl/pkg/cmd"
)
GO
  (cd "$dir" && go mod tidy >&2)
  touch "$dir/.ready"
  echo "$dir"
}

# The version the binaries report (--version, /version): stamped as a release build would be.
kube_ldflags() {
  local minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
  local pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    printf -- '-X %s.gitVersion=%s -X %s.gitMajor=1 -X %s.gitMinor=%s -X %s.gitTreeState=clean ' \
      "$pkg" "$K8S_VERSION" "$pkg" "$pkg" "$minor" "$pkg"
  done
  printf -- '-s -w'
}

build_apiserver() {
  local dir; dir=$(kube_module)
  log "building kube-apiserver $K8S_VERSION"
  (cd "$dir" && go build -trimpath -ldflags "$(kube_ldflags)" -o "$BIN/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver)
  log "kube-apiserver done: $("$BIN/kube-apiserver" --version 2>&1 | head -1)"
}

build_kube_cmd() {
  local dir; dir=$(kube_module)
  log "building $1 $K8S_VERSION"
  (cd "$dir" && go build -trimpath -ldflags "$(kube_ldflags)" -o "$BIN/$1" "k8s.io/kubernetes/cmd/$1")
  log "$1 done"
}

build_kubectl() {
  local dir; dir=$(kube_module)
  log "building kubectl $K8S_VERSION"
  (cd "$dir" && go build -trimpath -ldflags "$(kube_ldflags)" -o "$BIN/kubectl" k8s.io/kubernetes/cmd/kubectl)
  log "kubectl done"
}

build_etcd() {
  local dir=$ROOT/work/etcd
  mkdir -p "$dir"
  cp "$HERE/etcd/main.go" "$dir/main.go"
  if [[ ! -f $dir/go.mod ]]; then
    (cd "$dir" && go mod init servebench.local/etcd >&2 && go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >&2)
  fi
  (cd "$dir" && go mod tidy >&2)
  log "building etcd (embed) $ETCD_VERSION"
  (cd "$dir" && go build -trimpath -ldflags "-s -w" -o "$BIN/etcd" .)
  log "etcd done"
}

build_kwok() {
  log "building kwok $KWOK_VERSION"
  local dir=$ROOT/work/kwok
  mkdir -p "$dir"
  if GOBIN=$BIN go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"; then
    log "kwok done"
    return
  fi
  # `go install pkg@version` refuses a module whose go.mod has replace directives; build it
  # from a small module of our own instead.
  log "go install refused kwok; building from a generated module"
  if [[ ! -f $dir/go.mod ]]; then
    (cd "$dir" && go mod init servebench.local/kwok >&2)
    printf '//go:build tools\n\npackage tools\n\nimport _ "sigs.k8s.io/kwok/pkg/kwok/cmd"\n' >"$dir/tools.go"
    (cd "$dir" && go get "sigs.k8s.io/kwok@$KWOK_VERSION" >&2 && go mod tidy >&2)
  fi
  (cd "$dir" && go build -trimpath -ldflags "-s -w" -o "$BIN/kwok" sigs.k8s.io/kwok/cmd/kwok)
  log "kwok done"
}

targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(etcd kwok apiserver controller-manager scheduler kubectl)
for t in "${targets[@]}"; do
  case $t in
    apiserver) build_apiserver ;;
    prepare) kube_module >/dev/null ;; # only fetch modules and write go.mod/go.sum (no compile)
    controller-manager) build_kube_cmd kube-controller-manager ;;
    scheduler) build_kube_cmd kube-scheduler ;;
    kubectl) build_kubectl ;;
    etcd) build_etcd ;;
    kwok) build_kwok ;;
    *) echo "unknown target: $t (prepare|etcd|kwok|apiserver|controller-manager|scheduler|kubectl)" >&2; exit 2 ;;
  esac
done
log "binaries in $BIN:"
ls -la "$BIN"
