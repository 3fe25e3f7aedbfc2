#!/bin/sh
# Starts the Docker daemon by hand if it is not answering, then waits for it (probe, no sleep-and-hope).
# No bridge and no iptables: every servebench container uses the host network, and this machine
# has no systemd to start docker.service. Usage: sh compose/scripts/dockerd.sh
# Env: DOCKERD_LOG (default /var/log/servebench-dockerd.log), DOCKERD_TIMEOUT_S (default 60).
set -eu
log=${DOCKERD_LOG:-/var/log/servebench-dockerd.log}
timeout_s=${DOCKERD_TIMEOUT_S:-60}

if ! command -v docker >/dev/null 2>&1 || ! command -v dockerd >/dev/null 2>&1; then
  echo "dockerd.sh: docker is not installed; run: apt-get install -y docker.io docker-compose debootstrap" >&2
  exit 69
fi
if docker info >/dev/null 2>&1; then
  exit 0
fi

echo "dockerd.sh: starting dockerd --bridge=none --iptables=false (log: $log)" >&2
# setsid: the daemon must outlive this script and the shell that ran it.
setsid dockerd --bridge=none --iptables=false --ip6tables=false >"$log" 2>&1 </dev/null &
pid=$!

deadline=$(( $(date +%s) + timeout_s ))
until docker info >/dev/null 2>&1; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "dockerd.sh: dockerd exited; last lines of $log:" >&2
    tail -n 20 "$log" >&2
    exit 1
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "dockerd.sh: dockerd did not answer within ${timeout_s}s; see $log" >&2
    exit 1
  fi
  sleep 0.2
done
echo "dockerd.sh: dockerd is up (pid $pid, $(docker info --format '{{.ServerVersion}} {{.Driver}}'))" >&2
