#!/usr/bin/env bash
# run_bench_issuance.sh — the full issuance benchmark (docs/bench.md "Issuance") on a PostgreSQL cluster of its
# own (deploy/pg.sh: 127.0.0.1, fsync on, synchronous_commit on), stopped and removed on exit, also on failure.
#
#   tests/bench/issuance/run_bench_issuance.sh BUILD_DIR [REQUESTS [LEVELS]]   (default 1000, 1,2,4,8,16,32)
#   BENCH_PLATFORMS=N: quotes from a fleet of N simulated platforms (default 64; 0 = a new PCK per quote)
set -euo pipefail
[ $# -ge 1 ] && [ $# -le 3 ] || { echo "usage: $0 BUILD_DIR [REQUESTS [LEVELS]]" >&2; exit 2; }
build="$(readlink -f "$1")"; shift
src="$(cd "$(dirname "$0")/../../.." && pwd)"
pgdir="$(mktemp -d)"
cleanup() { bash "$src/deploy/pg.sh" stop "$pgdir" >/dev/null 2>&1 || true; rm -rf "$pgdir"; }
trap cleanup EXIT
bash "$src/deploy/pg.sh" start "$pgdir" >/dev/null
TEECERT_TEST_PG_DSN="$(bash "$src/deploy/pg.sh" dsn "$pgdir")" \
  "$build/tests/bench/issuance/bench_issuance" --platforms "${BENCH_PLATFORMS:-64}" "$build/cli/teecert-ca" "$@"
