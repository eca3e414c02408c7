#!/usr/bin/env bash
# api_anchors.sh TEECERT-VERIFIER — GET /v1/anchors lists live anchors newest first, hides replaced ones,
# validates limit, and answers with the error shape.
set -euo pipefail
verifier="$1"
base_dsn="$(cat "${TEECERT_BUILD_DIR:?}/testpg/dsn")"
db="t_anchors_$$_$RANDOM"
dsn="${base_dsn%/*}/$db"
tmp="$(mktemp -d)"
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	psql -q "$base_dsn" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

psql -q "$base_dsn" -c "CREATE DATABASE $db" >/dev/null
"$verifier" migrate --db "$dsn" >/dev/null
root() { printf '%064x' "$1"; }
# Two confirmed anchors, one replaced transaction for size 8 and its live replacement (broadcast).
psql -q "$dsn" >/dev/null <<SQL
INSERT INTO anchor_txs (state, tree_size, root, prev_tree_size, chain_id, nonce, gas_limit, max_fee_per_gas,
                        max_priority_fee_per_gas, raw_tx, tx_hash, block_number, block_hash, confirmed_at)
VALUES ('confirmed', 4, '\x$(root 4)', 0, 204, 1, 60000, 10, 1, '\x02', '\x$(root 1004)', 10, '\x$(root 2010)', now()),
       ('confirmed', 6, '\x$(root 6)', 4, 204, 2, 60000, 10, 1, '\x02', '\x$(root 1006)', 12, '\x$(root 2012)', now());
INSERT INTO anchor_txs (state, tree_size, root, prev_tree_size, chain_id, nonce, gas_limit, max_fee_per_gas,
                        max_priority_fee_per_gas, raw_tx, tx_hash)
VALUES ('replaced', 8, '\x$(root 8)', 6, 204, 3, 60000, 10, 1, '\x02', '\x$(root 1008)');
INSERT INTO anchor_txs (state, tree_size, root, prev_tree_size, chain_id, nonce, gas_limit, max_fee_per_gas,
                        max_priority_fee_per_gas, raw_tx, tx_hash, replaces)
VALUES ('broadcast', 8, '\x$(root 8)', 6, 204, 3, 60000, 11, 2, '\x02', '\x$(root 1108)',
        (SELECT id FROM anchor_txs WHERE tx_hash = '\x$(root 1008)'));
SQL

"$verifier" serve --listen 127.0.0.1:0 --db "$dsn" >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 100); do grep -q "listening on" "$tmp/out" && break; sleep 0.1; done
url="$(grep -o 'http://[0-9.:]*' "$tmp/out" | head -1)"
[ -n "$url" ] || { cat "$tmp/err" >&2; fail "server did not start"; }

curl -fsS "$url/v1/anchors" >"$tmp/a.json"
[ "$(jq '.anchors | length' "$tmp/a.json")" = 3 ] || fail "expected 3 live anchors: $(cat "$tmp/a.json")"
[ "$(jq -c '[.anchors[].tree_size]' "$tmp/a.json")" = "[8,6,4]" ] || fail "order"
[ "$(jq -r '.anchors[0].state' "$tmp/a.json")" = broadcast ] || fail "replacement state"
[ "$(jq -r '.anchors[0].tx_hash' "$tmp/a.json")" = "$(root 1108)" ] || fail "replaced tx listed"
[ "$(jq -r '.anchors[0].block_number' "$tmp/a.json")" = null ] || fail "unmined block"
[ "$(jq -r '.anchors[2].block_hash' "$tmp/a.json")" = "$(root 2010)" ] || fail "block hash"
[ "$(jq -r '.anchors[2].root' "$tmp/a.json")" = "$(root 4)" ] || fail "root"
jq -e '.anchors[1].confirmed_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")' "$tmp/a.json" >/dev/null || fail "confirmed_at"
[ "$(curl -fsS "$url/v1/anchors?limit=1" | jq '.anchors | length')" = 1 ] || fail "limit"

for bad in "limit=0" "limit=1001" "limit=x" "other=1"; do
	code="$(curl -sS -o "$tmp/e.json" -w '%{http_code}' "$url/v1/anchors?$bad")"
	[ "$code" = 400 ] || fail "$bad: status $code"
	jq -e '.code and .hint and .detail and .request_id' "$tmp/e.json" >/dev/null || fail "$bad: error shape"
done
echo "api_anchors: all checks passed"
