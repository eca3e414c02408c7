#!/usr/bin/env bash
# test_contract_artifact.sh — the committed chain/contracts/TeecertAnchor.json is what the pinned solc-js
# makes of TeecertAnchor.sol: recompile with deploy/compile-contract.sh into the build folder and compare
# byte for byte. Skips (exit 77) only when node_modules/solc is not installed (deploy/test.sh installs it).
#
#   test_contract_artifact.sh SOURCE_DIR OUT_DIR
set -euo pipefail

SRC="${1:?source dir}"
OUT_DIR="${2:?output dir}"
COMMITTED="$SRC/chain/contracts/TeecertAnchor.json"

if [ ! -f "$SRC/node_modules/solc/package.json" ]; then
	echo "SKIP: $SRC/node_modules/solc is not installed (run npm ci or deploy/install-deps.sh)"
	exit 77
fi
mkdir -p "$OUT_DIR"
FRESH="$OUT_DIR/TeecertAnchor.json"
rm -f "$FRESH"
bash "$SRC/deploy/compile-contract.sh" "$FRESH"
if ! cmp -s "$COMMITTED" "$FRESH"; then
	echo "FAIL: $COMMITTED differs from a fresh compile ($FRESH):"
	diff -u "$COMMITTED" "$FRESH" | head -40 || true
	echo "If the contract changed on purpose, run deploy/compile-contract.sh and commit the artifact."
	exit 1
fi
echo "OK: $COMMITTED is reproducible ($(wc -c <"$FRESH") bytes)"
