#!/bin/sh
# Builds the servebench base image locally, with no registry: a debootstrap'd Debian root filesystem
# plus this machine's `node` binary, imported with `docker import`. Nothing is pulled.
#   sh compose/scripts/base.sh            # servebench-base:bookworm-node<version>, skipped if it exists
#   sh compose/scripts/base.sh --python   # also python3 and libpython3.11 (Python peers, Triton): servebench-base-py:...
#   sh compose/scripts/base.sh --force    # rebuild even if the image exists
# Needs root, docker (compose/scripts/dockerd.sh starts it) and debootstrap (apt-get install debootstrap).
# Env: SERVEBENCH_BUILD_DIR (default /var/tmp/servebench-build), DEBIAN_MIRROR, DEBIAN_SUITE.
# Prints the image reference on stdout (last line).
set -eu
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
build=${SERVEBENCH_BUILD_DIR:-/var/tmp/servebench-build}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=${DEBIAN_SUITE:-bookworm}
force=0
python=0
for a in "$@"; do
  case $a in
    --force) force=1 ;;
    --python) python=1 ;;
    *) echo "base.sh: unknown flag $a (expected --force, --python)" >&2; exit 2 ;;
  esac
done

node_bin=$(readlink -f "$(command -v node)")
node_version=$(node -p 'process.versions.node')
name=servebench-base
include=
if [ "$python" = 1 ]; then
  name=servebench-base-py
  # The Python peers and Triton copy venvs made by the host's python3; the same Debian suite gives the same
  # interpreter path. libpython3.11: Triton's Python backend stub links the shared libpython (Debian's
  # python3.11 binary is static and does not ship it).
  include=--include=python3,libpython3.11
fi
image="$name:$suite-node$node_version"

sh "$here/dockerd.sh"
# The package list is part of what an image is: one made with another list is stale (rebuilt, not reused).
if [ "$force" = 0 ] && [ "$(docker image inspect --format '{{index .Config.Labels "org.servebench.include"}}' "$image" 2>/dev/null)" = "${include:-none}" ]; then
  echo "base.sh: $image exists (use --force to rebuild)" >&2
  echo "$image"
  exit 0
fi
command -v debootstrap >/dev/null 2>&1 || { echo "base.sh: debootstrap is missing; run: apt-get install -y debootstrap" >&2; exit 69; }

old=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
rootfs="$build/rootfs-$name-$suite"
t0=$(date +%s)
if [ "$(cat "$rootfs/.servebench-debootstrap-ok" 2>/dev/null)" != "${include:-none}" ]; then
  rm -rf "$rootfs"
  mkdir -p "$build"
  echo "base.sh: debootstrap --variant=minbase $include $suite $rootfs $mirror" >&2
  # shellcheck disable=SC2086
  debootstrap --variant=minbase $include "$suite" "$rootfs" "$mirror" >"$build/debootstrap-$name.log" 2>&1 || {
    tail -n 20 "$build/debootstrap-$name.log" >&2
    exit 1
  }
  echo "${include:-none}" >"$rootfs/.servebench-debootstrap-ok"
fi
t1=$(date +%s)

install -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin chroot "$rootfs" /usr/local/bin/node -e 'process.exit(0)' || { echo "base.sh: node does not run inside the root filesystem" >&2; exit 1; }
# Package caches are dead weight in an image that never runs apt.
rm -rf "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/var/lib/apt/lists/"* "$rootfs/var/log/"*.log

tar -C "$rootfs" --exclude=./.servebench-debootstrap-ok --exclude='./proc/*' --exclude='./sys/*' --exclude='./dev/*' -c . \
  | docker import \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change "LABEL org.servebench.node=$node_version org.servebench.suite=$suite org.servebench.include=${include:-none}" \
      --change 'CMD ["node"]' \
      - "$image" >/dev/null
t2=$(date +%s)
# The base it replaced (a stale package list): removed unless an image still builds on it.
[ -n "$old" ] && [ "$old" != "$(docker image inspect --format '{{.Id}}' "$image")" ] && docker rmi "$old" >/dev/null 2>&1 || true
size=$(docker image inspect "$image" --format '{{.Size}}')
echo "base.sh: $image: debootstrap $((t1 - t0)) s, import $((t2 - t1)) s, $((size / 1000000)) MB" >&2
echo "$image"
