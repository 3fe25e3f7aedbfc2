#!/usr/bin/env bash
# Independent check of fixtures/tokenize.json against the Hugging Face `tokenizers` Rust crate
# (=0.13.3, built from crates.io with cargo; no Node binding involved).
#   bash packages/contract/scripts/check-rust-reference.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
cd "$ROOT"
npx tsx packages/contract/scripts/write-tokenizer-json.ts "$TMP/tokenizer.json"
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/tmp/servebench-rust-reference}" \
  cargo run --quiet --release --manifest-path packages/contract/scripts/rust-reference/Cargo.toml -- \
  "$TMP/tokenizer.json" packages/contract/fixtures/tokenize.json
