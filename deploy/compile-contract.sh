#!/usr/bin/env bash
# compile-contract.sh — compile chain/contracts/TeecertAnchor.sol with the pinned solc-js (npm `solc` from
# package.json, installed by `npm ci` / deploy/install-deps.sh) into the artifact the repository commits.
#
#   deploy/compile-contract.sh [OUT.json]     default: chain/contracts/TeecertAnchor.json
#
# Reproducible by construction: standard-JSON input with fixed settings (optimizer on, 200 runs,
# evmVersion cancun, metadata.bytecodeHash "none" so no IPFS/Swarm hash of the metadata ends up in the
# bytecode, source named by its repository-relative path), the compiler version pinned by package-lock.json,
# and a stable JSON layout. tests/chain/contract recompiles and compares byte for byte with the committed file.
# Exit codes: 0 ok, 1 compile error, 2 usage or missing tools.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC_REL="chain/contracts/TeecertAnchor.sol"
OUT="${1:-$ROOT/chain/contracts/TeecertAnchor.json}"

if [ "$#" -gt 1 ]; then
	echo "usage: $0 [OUT.json]" >&2
	exit 2
fi
if ! command -v node >/dev/null 2>&1; then
	echo "compile-contract.sh: node is not installed" >&2
	exit 2
fi
if [ ! -f "$ROOT/node_modules/solc/package.json" ]; then
	echo "compile-contract.sh: $ROOT/node_modules/solc is missing; run 'npm ci' in $ROOT (deploy/install-deps.sh)" >&2
	exit 2
fi

TMP="$(mktemp "${OUT}.XXXXXX")"
trap 'rm -f "$TMP"' EXIT

cd "$ROOT"
SRC_REL="$SRC_REL" node - "$TMP" <<'NODE'
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require(path.resolve('node_modules/solc'));

const srcRel = process.env.SRC_REL;
const settings = {
	optimizer: { enabled: true, runs: 200 },
	evmVersion: 'cancun',
	metadata: { bytecodeHash: 'none' },
	outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
};
const input = {
	language: 'Solidity',
	sources: { [srcRel]: { content: fs.readFileSync(srcRel, 'utf8') } },
	settings,
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
let failed = false;
for (const e of output.errors || []) {
	process.stderr.write(e.formattedMessage || e.message);
	if (e.severity === 'error') failed = true;
}
if (failed) process.exit(1);
const c = output.contracts[srcRel].TeecertAnchor;
const artifact = {
	contractName: 'TeecertAnchor',
	sourceName: srcRel,
	compiler: { name: 'solc-js', version: solc.version() },
	settings: {
		optimizer: settings.optimizer,
		evmVersion: settings.evmVersion,
		metadata: settings.metadata,
	},
	abi: c.abi,
	bytecode: '0x' + c.evm.bytecode.object,
	deployedBytecode: '0x' + c.evm.deployedBytecode.object,
};
fs.writeFileSync(process.argv[2], JSON.stringify(artifact, null, 2) + '\n');
NODE
mv "$TMP" "$OUT"
trap - EXIT
echo "compile-contract.sh: wrote $OUT"
