#!/usr/bin/env bash
# Puts the Hugging Face tokenizers native binding where scripts/reference.ts looks for it.
#
# tokenizers@0.13.3 (the napi-rs build on npm) depends on `tokenizers-linux-x64-gnu@0.13.3`,
# which was never published, so `require('tokenizers')` fails on Linux. The only published
# x64 glibc binding is 0.13.4-rc2 (same Rust core, same API). This fetches that tarball with
# `npm pack` into a cache dir outside the repo; it changes nothing in node_modules.
set -euo pipefail
PKG="tokenizers-linux-x64-gnu@0.13.4-rc2"
INTEGRITY="sha512-Ip3BTkTNePSYB97McpeIDKLzxA44Ryo0vj97j2DGjZb0XL5GBpKyX/Zdm65pXvL7x8tn4NtQmvTW+mSLH4L+jw=="
DEST="${XDG_CACHE_HOME:-$HOME/.cache}/servebench/tokenizers-native"
FILE="$DEST/tokenizers.linux-x64-gnu.node"
if [[ -f "$FILE" ]]; then
  echo "already present: $FILE"
  exit 0
fi
mkdir -p "$DEST"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack "$PKG" --silent >/dev/null)
TGZ="$(ls "$TMP"/*.tgz)"
GOT="sha512-$(openssl dgst -sha512 -binary "$TGZ" | base64 -w0)"
if [[ "$GOT" != "$INTEGRITY" ]]; then
  echo "integrity mismatch for $PKG: $GOT" >&2
  exit 1
fi
tar -xzf "$TGZ" -C "$TMP"
cp "$TMP/package/tokenizers.linux-x64-gnu.node" "$FILE"
echo "installed $PKG -> $FILE"
