#!/usr/bin/env bash
# The round-split study behind quick's rounds (docs/measurement.md, "More, shorter rounds"): the same time per
# cell split three ways, each run twice, interleaved A B C A B C, then the paired 95% half-widths of the A/A
# twin and three stack pairs. About 10 minutes on 2 cores; run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-$(mktemp -d)}
common=(--stacks fastify+ort,koa+ort,express+ort,hono+ort --tasks predict --concurrency 32 --no-capacity --no-raw
  --crosscheck none --extra-rounds 0 --out "$out")
for i in 1 2; do
  node dist/cli.js run "${common[@]}" --rounds 3 --warmup 0.5 --duration 1.5 --window 0.5 --run-id "A$i" >/dev/null
  node dist/cli.js run "${common[@]}" --rounds 5 --warmup 0.25 --duration 0.75 --window 0.25 --run-id "B$i" >/dev/null
  node dist/cli.js run "${common[@]}" --rounds 8 --warmup 0.15 --duration 0.4 --window 0.125 --run-id "C$i" >/dev/null
done
node scripts/split-study.mjs "$out" A1 A2 B1 B2 C1 C2
