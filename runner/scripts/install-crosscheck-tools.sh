#!/bin/sh
# The independent load tools of the cross-check (docs/measurement.md: Placement, load CPU, ceilings, cost):
# wrk from Debian, ghz from the Go module proxy at a pinned version. CI does not need them; a run
# without them records the cross-check as "not measured" with this command.
set -eu
GHZ_VERSION=v0.120.0
if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y wrk; else sudo apt-get install -y wrk; fi
fi
if ! command -v ghz >/dev/null 2>&1 && [ ! -x "${GOPATH:-$HOME/go}/bin/ghz" ]; then
  go install "github.com/bojand/ghz/cmd/ghz@${GHZ_VERSION}"
fi
wrk --version 2>&1 | head -1 || true
"$(command -v ghz || echo "${GOPATH:-$HOME/go}/bin/ghz")" --version
