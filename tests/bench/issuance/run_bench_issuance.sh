#!/usr/bin/env bash
# run_bench_issuance.sh — the full issuance benchmark (docs/bench.md "Issuance") on a PostgreSQL cluster of its
# own (deploy/pg.sh: 127.0.0.1, fsync on, synchronous_commit on), stopped and removed on exit, also on failure.
#
#   tests/bench/issuance/run_bench_issuance.sh BUILD_DIR [REQUESTS [LEVELS]]   (default 1000, 1,2,4,8,16,32)
#   BENCH_PLATFORMS=N: quotes from a fleet of N simulated platforms (default 64; 0 = a new PCK per quote)
#   BENCH_CA_KEY=p384|p256: the CA's key (default p384)
# First prints `openssl speed` of the CA key's ECDSA on this machine, as the yardstick for the rates after it.
set -euo pipefail
[ $# -ge 1 ] && [ $# -le 3 ] || { echo "usage: $0 BUILD_DIR [REQUESTS [LEVELS]]" >&2; exit 2; }
build="$(readlink -f "$1")"; shift
src="$(cd "$(dirname "$0")/../../.." && pwd)"
pgdir="$(mktemp -d)"
cleanup() { bash "$src/deploy/pg.sh" stop "$pgdir" >/dev/null 2>&1 || true; rm -rf "$pgdir"; }
trap cleanup EXIT
bash "$src/deploy/pg.sh" start "$pgdir" >/dev/null
curve=ecdsap384; [ "${BENCH_CA_KEY:-p384}" = p256 ] && curve=ecdsap256
openssl speed -seconds 2 "$curve" 2>/dev/null | awk -v c="$curve" '/ecdsa \(nistp/ { printf "openssl speed %s on this machine: %s sign/s, %s verify/s (one core)\n", c, $(NF-1), $NF }'
TEECERT_TEST_PG_DSN="$(bash "$src/deploy/pg.sh" dsn "$pgdir")" \
  "$build/tests/bench/issuance/bench_issuance" --platforms "${BENCH_PLATFORMS:-64}" --ca-key "${BENCH_CA_KEY:-p384}" \
  "$build/cli/teecert-ca" "$@"
