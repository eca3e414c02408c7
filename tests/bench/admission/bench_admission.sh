#!/usr/bin/env bash
# bench_admission.sh — throughput and latency of POST /v1/admission/peer (docs/admission.md, docs/bench.md
# "Admission"). Sets up what tests/e2e/admission does (a root CA, a cvm certificate issued by the real
# teecert-ca from simulated TDX evidence), starts `teecert-verifier serve` with admission on 127.0.0.1, checks
# one allow verdict with curl, then drives the peer chain with wrk (tests/bench/admission/bench_admission.lua):
#
#   full (default)  one closed-loop run per concurrency level (BENCH_LEVELS), printing requests/s, p50, p99;
#                   then the level whose rate is closest to half of the peak is run again and its p99
#                   reported (wrk2 is not in Debian: fewer connections stand in for a fixed half-peak rate).
#   --smoke         (the ctest bench_admission) 2 s at concurrency 4; fails unless every reply was a 200.
#
# Usage: bench_admission.sh TEECERT TEECERT_CA TEECERT_VERIFIER [--smoke]
# Environment: TEECERT_BUILD_DIR (its testpg/dsn names the PostgreSQL cluster, deploy/pg.sh), or
#   BENCH_DSN; BENCH_SECONDS per level (default 5); BENCH_LEVELS (default "1 2 4 8 16 32 64");
#   BENCH_THREADS the verifier's --threads (default 0: a thread per connection; N: a pool of N workers);
#   BENCH_POOL its DB connections (default 2 x nproc);
#   BENCH_ADMISSION_CACHE_MS the verifier's --admission-cache-ms (default 0: the database on every request);
#   BENCH_WRK_THREADS wrk threads (default 1: the load generator shares the cores with the server);
#   BENCH_PERF=FILE records the verifier with perf record -g during the full run; BENCH_HOLD=FILE copies
#   the request body to FILE and keeps the verifier up (no wrk run) until the script is killed.
# Exit 77 (skipped) when wrk is not installed.
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 TEECERT TEECERT_CA TEECERT_VERIFIER [--smoke]" >&2; exit 2; }
command -v wrk >/dev/null 2>&1 || { echo "SKIP: wrk is not installed (apt-get install wrk)"; exit 77; }
teecert="$(readlink -f "$1")"; ca="$(readlink -f "$2")"; tverifier="$(readlink -f "$3")"
smoke=0; [ "${4:-}" = --smoke ] && smoke=1
lua="$(dirname "$(readlink -f "$0")")/bench_admission.lua"
cores="$(nproc)"
threads="${BENCH_THREADS:-0}"; pool="${BENCH_POOL:-$((2 * cores))}"
cache_ms="${BENCH_ADMISSION_CACHE_MS:-0}"
seconds="${BENCH_SECONDS:-5}"; levels="${BENCH_LEVELS:-1 2 4 8 16 32 64}"; wrk_threads="${BENCH_WRK_THREADS:-1}"
[ -z "${BENCH_DSN:-}" ] || E2E_BASE_DSN="$BENCH_DSN"
# shellcheck source=../../e2e/lib/e2e_ca.sh
source "$(dirname "$(readlink -f "$0")")/../../e2e/lib/e2e_ca.sh"
e2e_init bench_adm
cd "$E2E_DIR"

# A root CA and a cvm certificate, as tests/e2e/admission/test_e2e_admission.sh.
e2e_root "$teecert" "$ca" root1
echo '{"allow_simulated": true}' > policy.json
e2e_serve serve "$ca" serve --listen 127.0.0.1:0 --db "$E2E_DSN" $(e2e_ca_serve_args) --policy policy.json \
  --public-url http://127.0.0.1:1
e2e_issue_cvm "$teecert" "$E2E_URL" cvm.key cvm.pem
e2e_stop "$E2E_LAST_PID"

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out verdict.key 2>/dev/null
e2e_serve v "$tverifier" serve --listen 127.0.0.1:0 --db "$E2E_DSN" --threads "$threads" --pool "$pool" --max-connections 256 \
  --log-level warn --trust-root root.pem --signing-key verdict.key --policy policy.json \
  ${cache_ms:+$( [ "$cache_ms" != 0 ] && echo --admission-cache-ms "$cache_ms")}
vpid=$E2E_LAST_PID; vurl="$E2E_URL"
jq -n --rawfile c cvm.pem '{chain: $c, nonce: "0a0b0c"}' > admit.json
code="$(curl -s -o verdict -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @admit.json "$vurl/v1/admission/peer")"
[ "$code" = 200 ] && [ "$(jq -r .decision verdict)" = allow ] || e2e_fail "admission: $code $(cat verdict)"
export BENCH_BODY="$E2E_DIR/admit.json"
if [ -n "${BENCH_HOLD:-}" ]; then # profiling by hand: keep the verifier up until this script is killed
  cp admit.json "$BENCH_HOLD"
  echo "holding: verifier $vurl (pid $vpid), body $BENCH_HOLD; wrk -s $lua with BENCH_BODY=$BENCH_HOLD"
  while kill -0 "$vpid" 2>/dev/null; do sleep 1; done
  exit 0
fi

run() { # $1 connections $2 seconds: prints "rps p50_us p99_us", fails on any non-200 or socket error
  local line
  line="$(wrk -t "$(( $1 < wrk_threads ? $1 : wrk_threads ))" -c "$1" -d "${2}s" --latency -s "$lua" "$vurl" | grep '^BENCH ')" \
    || e2e_fail "wrk -c $1 printed no result"
  set -- $line
  local req="${2#requests=}" bad="${3#non200=}" err="${4#errors=}"
  [ "$req" -gt 0 ] && [ "$bad" = 0 ] && [ "$err" = 0 ] || e2e_fail "wrk: $line"
  echo "${6#rps=} ${7#p50_us=} ${8#p99_us=}"
}
ms() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }

if [ "$smoke" = 1 ]; then
  set -- $(run 4 2)
  e2e_stop "$vpid"
  echo "bench_admission smoke: concurrency 4, 2 s: $1 req/s, p50 $(ms "$2") ms, p99 $(ms "$3") ms, all 200"
  exit 0
fi

# BENCH_PERF=FILE: record the verifier's CPU profile (perf record -g) over the whole run into FILE.
perf_pid=""
if [ -n "${BENCH_PERF:-}" ]; then
  perf record -F 499 --call-graph dwarf,16384 -o "$BENCH_PERF" -p "$vpid" >/dev/null 2>&1 & perf_pid=$!
  sleep 1
fi
echo "teecert-verifier admission: $cores cores, --threads $threads --pool $pool --admission-cache-ms $cache_ms, wrk -t$wrk_threads, ${seconds}s per level"
printf '%-12s %10s %9s %9s\n' concurrency 'req/s' 'p50 ms' 'p99 ms'
peak=0; declare -A rate
for c in $levels; do
  set -- $(run "$c" "$seconds")
  rate[$c]="$1"; [ "$1" -gt "$peak" ] && peak="$1"
  printf '%-12s %10s %9s %9s\n' "$c" "$1" "$(ms "$2")" "$(ms "$3")"
done
half=$((peak / 2)); best=""; bestd=0
for c in $levels; do
  d=$(( ${rate[$c]} - half )); d=${d#-}
  if [ -z "$best" ] || [ "$d" -lt "$bestd" ]; then best="$c"; bestd="$d"; fi
done
set -- $(run "$best" "$seconds")
echo "half of peak ($peak/2 = $half req/s): concurrency $best -> $1 req/s, p50 $(ms "$2") ms, p99 $(ms "$3") ms"
if [ -n "$perf_pid" ]; then kill -INT "$perf_pid"; wait "$perf_pid" || true; fi
