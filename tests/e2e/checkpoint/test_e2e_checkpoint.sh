#!/usr/bin/env bash
# test_e2e_checkpoint.sh TEECERT TEECERT_CA TEECERT_VERIFIER — log key creation, the CA's checkpoint thread
# (every N entries or T seconds), the verifier serving the signed note, and the key's failure modes.
set -euo pipefail
teecert="$(readlink -f "$1")"; ca="$(readlink -f "$2")"; verifier="$(readlink -f "$3")"
dir="$(mktemp -d)"; pid=""; vpid=""; dbname=""
base_dsn="$(cat "${TEECERT_BUILD_DIR:?}/testpg/dsn")"
PSQL=/usr/lib/postgresql/15/bin/psql
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  [ -n "$vpid" ] && kill "$vpid" 2>/dev/null && wait "$vpid" 2>/dev/null || true
  [ -n "$dbname" ] && "$PSQL" "$base_dsn" -qAtc "DROP DATABASE IF EXISTS $dbname" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$dir/serve.err" ] && tail -20 "$dir/serve.err" >&2; exit 1; }
cd "$dir"
dbname="t_e2e_cp_$$_$RANDOM"
"$PSQL" "$base_dsn" -qAtc "CREATE DATABASE $dbname" >/dev/null
dsn="${base_dsn%/*}/$dbname"
sql() { "$PSQL" "$dsn" -qAtc "$1"; }
started() { # FILE: wait for the "listening on" line, print the URL
  for _ in $(seq 100); do grep -q "listening on" "$1" 2>/dev/null && break; sleep 0.1; done
  sed -n 's/^listening on //p' "$1"
}

"$teecert" sim tdx --init pki >/dev/null
"$ca" migrate --db "$dsn" >/dev/null
printf 'correct horse battery staple\n' > pass; chmod 600 pass

# The log key: 0600, printed verifier key, never overwritten.
"$ca" log-key --out log.key --name audit.example/log > log.vkey
[ "$(stat -c %a log.key)" = 600 ] || fail "log key mode $(stat -c %a log.key)"
grep -q '^audit.example/log+[0-9a-f]\{8\}+' log.vkey || fail "verifier key line: $(cat log.vkey)"
if "$ca" log-key --out log.key 2>err; then fail "log-key overwrote a key"; fi
grep -q "refusing to overwrite" err || fail "overwrite message: $(cat err)"

# init appends the root certificate's log entry.
"$ca" init --name root1 --network untrusted --key-out root.key --passphrase-file pass --cert-out root.pem \
  --db "$dsn" --sim-pki pki >/dev/null
[ "$(sql "SELECT count(*) FROM log_entries")" = 1 ] || fail "init did not log the root"
[ "$(sql "SELECT count(*) FROM log_checkpoints")" = 0 ] || fail "a checkpoint before serve"

serve() { # extra args
  "$ca" serve --listen 127.0.0.1:0 --db "$dsn" --ca-key root.key --passphrase-file pass --ca-cert root.pem \
    --collateral pki/collateral --trust-anchor intel_root=pki/intel_root.pem --policy <(echo '{"allow_simulated": true}') \
    --log-origin audit.example/log "$@" >serve.out 2>serve.err &
  pid=$!
}
# A key file others can read is refused, and so is a missing one (exit 1, nothing served).
cp log.key loose.key; chmod 644 loose.key
if "$ca" serve --listen 127.0.0.1:0 --db "$dsn" --ca-key root.key --passphrase-file pass --ca-cert root.pem \
    --collateral pki/collateral --trust-anchor intel_root=pki/intel_root.pem --log-key loose.key 2>err >/dev/null; then
  fail "served with a group/other-readable log key"
fi
grep -q -- "--log-key" err || fail "loose key message: $(cat err)"

# One uncovered entry, interval 1 s: a checkpoint appears within a few ticks.
serve --log-key log.key --checkpoint-interval 1
[ -n "$(started serve.out)" ] || fail "CA did not start"
for _ in $(seq 50); do [ "$(sql "SELECT count(*) FROM log_checkpoints")" = 1 ] && break; sleep 0.2; done
[ "$(sql "SELECT count(*) FROM log_checkpoints")" = 1 ] || fail "no checkpoint after the interval"
[ "$(sql "SELECT tree_size FROM log_checkpoints")" = 1 ] || fail "checkpoint size"
grep -q log_checkpoint_written serve.err || fail "no log line for the checkpoint"
# Nothing new: no further checkpoint.
sleep 2.2
[ "$(sql "SELECT count(*) FROM log_checkpoints")" = 1 ] || fail "checkpoint of an unchanged log"

# The verifier serves it; the note is signed by the pinned key and names the origin.
"$verifier" serve --listen 127.0.0.1:0 --db "$dsn" >v.out 2>v.err &
vpid=$!
vurl="$(started v.out)"; [ -n "$vurl" ] || fail "verifier did not start"
curl -fsS "$vurl/v1/log/checkpoint" > cp.json
[ "$(jq -r .tree_size cp.json)" = 1 ] || fail "served checkpoint: $(cat cp.json)"
[ "$(jq -r .key_name cp.json)" = audit.example/log ] || fail "key name"
jq -r .note cp.json | head -1 | grep -qx "audit.example/log" || fail "note origin"

# SIGTERM stops the checkpoint thread with the server: exit 0.
kill "$pid"; wait "$pid" || fail "CA exited with $?"; pid=""
echo "e2e_checkpoint: all checks passed"
