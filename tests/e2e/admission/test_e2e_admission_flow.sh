#!/usr/bin/env bash
# test_e2e_admission_flow.sh — admission of certificates the client commands got from a real teecert-ca
# (simulated TDX evidence), by real teecert-verifiers on the same database, with the log anchored on anvil by
# the real teecert-anchor (docs/admission.md):
#   - workload admission (`teecert admit workload`): allow with the workload info file and with its hash;
#     deny (exit 2) for another workload info hash and for a CVM certificate presented as a workload;
#   - `require_anchored: true`: the CVM and the workload are denied while no confirmed anchor covers their
#     log entries, then allowed once the CA's checkpoint is anchored (`teecert-anchor deploy`, `run
#     --until-idle`), the verdict reporting the anchor (tree size covering the entry, tx, block);
#   - every verdict's JWS verifies with `openssl dgst -verify` against the key of /v1/verdict-key.
# Usage: test_e2e_admission_flow.sh TEECERT TEECERT_CA TEECERT_VERIFIER TEECERT_ANCHOR
set -euo pipefail
teecert="$(readlink -f "$1")"; ca="$(readlink -f "$2")"; tverifier="$(readlink -f "$3")"; anchor="$(readlink -f "$4")"
[ -f "${TEECERT_ANVIL_DIR:?}/rpc_url" ] || { echo "anvil not running (fixture anvil): skip"; exit 77; }
rpc_url="$(cat "$TEECERT_ANVIL_DIR/rpc_url")"
# shellcheck source=../lib/e2e_ca.sh
source "$TEECERT_SOURCE_DIR/tests/e2e/lib/e2e_ca.sh"
# shellcheck source=../lib/e2e_admission.sh
source "$TEECERT_SOURCE_DIR/tests/e2e/lib/e2e_admission.sh"
e2e_init admflow
E2E_FAIL_ALSO=(out err)
cd "$E2E_DIR"
run() { local want=$1 rc=0; shift; "$@" >out 2>err || rc=$?; [ "$rc" = "$want" ] || e2e_fail "exit $rc (want $want): $*"; }

e2e_root "$teecert" "$ca" root1
"$ca" log-key --out log.key > log.vkey
echo '{"allow_simulated": true}' > ca-policy.json
e2e_start serve "$ca" serve --listen 127.0.0.1:0 --db "$E2E_DSN" $(e2e_ca_serve_args) --policy ca-policy.json \
  --public-url http://127.0.0.1:1 --log-key log.key --checkpoint-interval 1
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out verdict.key 2>/dev/null
echo '{"require_anchored": true}' > anchored.json
e2e_start va "$tverifier" serve --listen 127.0.0.1:0 --db "$E2E_DSN" --trust-root root.pem --signing-key verdict.key \
  --policy anchored.json
e2e_start vb "$tverifier" serve --listen 127.0.0.1:0 --db "$E2E_DSN" --trust-root root.pem --signing-key verdict.key
url="$(e2e_started serve.out)"; [ -n "$url" ] || e2e_fail "CA did not start"
va="$(e2e_started va.out)"; [ -n "$va" ] || e2e_fail "verifier (require_anchored) did not start"
vb="$(e2e_started vb.out)"; [ -n "$vb" ] || e2e_fail "verifier did not start"

has_reason() { # VERDICT CODE TEXT: the stable reason code and the text the verifier words it with
  jq -e --arg c "$2" '(.reason_codes | index($c)) and (.reason_codes | length) == (.reasons | length)' "$1" >/dev/null ||
    e2e_fail "no reason code '$2': $(jq -c '{reasons, reason_codes}' "$1")"
  jq -e --arg r "$3" '[.reasons[] | contains($r)] | any' "$1" >/dev/null || e2e_fail "no reason '$3': $(jq -c .reasons "$1")"
}

# The certificates, through the client commands.
run 0 "$teecert" request cvm --ca "$url" --out cvm --sim pki --cn node1
jq -n '{runtime_info: [{type: "oci", hash: {algo: "sha256", value: "0123abcd"}, size: 7}], created_at: "2026-01-01T00:00:00Z", order_id: "o-7"}' > wi.json
wlh="$(jq -cSj . wi.json | openssl dgst -sha256 -r | cut -d' ' -f1)"
run 0 "$teecert" request workload --ca "$url" --out wl --sim pki --cvm-cert cvm/cert.pem --workload-info wi.json
wl_seq="$(e2e_sql "SELECT log_seq FROM certificates WHERE kind = 'workload'")"
cvm_seq="$(e2e_sql "SELECT log_seq FROM certificates WHERE kind = 'cvm'")"

# Workload admission (no anchoring required): the right info (file and hash), a wrong hash, a CVM certificate.
run 0 "$teecert" admit workload --verifier "$vb" --chain wl/cert.pem --workload-info wi.json --nonce 0102 --json
cp out wl-allow.json
jq -e '.decision == "allow" and .certificate.kind == "workload" and .nonce == "0102" and .reasons == []
       and .reason_codes == []' wl-allow.json \
  >/dev/null || e2e_fail "workload allow: $(cat wl-allow.json)"
e2e_check_jws "$vb" wl-allow.json
run 0 "$teecert" admit workload --verifier "$vb" --chain wl/cert.pem --workload-info-hash "$wlh"
grep -q "^decision *allow" out || e2e_fail "workload allow (hash): $(cat out)"
grep -q "^kind *workload" out || e2e_fail "workload table kind: $(cat out)"
other="$(printf 'another workload' | openssl dgst -sha256 -r | cut -d' ' -f1)"
run 2 "$teecert" admit workload --verifier "$vb" --chain wl/cert.pem --workload-info-hash "$other" --json
cp out wl-deny.json
jq -e '.decision == "deny"' wl-deny.json >/dev/null || e2e_fail "workload deny: $(cat wl-deny.json)"
has_reason wl-deny.json workload_info_mismatch "leaf: its workload info hash is not the expected one"
e2e_check_jws "$vb" wl-deny.json
jq '.order_id = "o-8"' wi.json > wi2.json
run 2 "$teecert" admit workload --verifier "$vb" --chain wl/cert.pem --workload-info wi2.json
grep -q "workload info hash is not the expected one" out || e2e_fail "workload deny (file): $(cat out)"
run 2 "$teecert" admit workload --verifier "$vb" --chain cvm/cert.pem --workload-info wi.json --json
has_reason out not_a_workload_certificate "leaf: not a workload certificate"
# Usage errors of admit workload (exit 1, nothing asked).
run 1 "$teecert" admit workload --verifier "$vb" --chain wl/cert.pem
run 1 "$teecert" admit workload --verifier "$vb" --chain wl/cert.pem --workload-info wi.json --workload-info-hash "$wlh"
run 1 "$teecert" admit workload --verifier "$vb" --chain wl/cert.pem --workload-info-hash abcd
run 1 "$teecert" admit workload --verifier "$vb" --chain wl/cert.pem --workload-info-hash "${wlh:0:63}g"
echo '[1, 2]' > notobj.json
run 1 "$teecert" admit workload --verifier "$vb" --chain wl/cert.pem --workload-info notobj.json
run 1 "$teecert" admit workload --verifier "$vb" --chain wl/cert.pem --workload-info /nonexistent.json
run 1 "$teecert" admit workload --verifier "$vb" --chain wl/cert.pem --reference-values wi.json
grep -q "reference values" err || e2e_fail "reference values message: $(cat err)"
run 1 "$teecert" admit peer --verifier "$vb" --chain cvm/cert.pem --workload-info wi.json
run 3 "$teecert" admit workload --verifier http://127.0.0.1:1 --chain wl/cert.pem --workload-info wi.json

# require_anchored: denied while nothing is anchored (the CA has checkpointed, the chain has not seen it).
for _ in $(seq 100); do
  [ "$(e2e_sql "SELECT coalesce(max(tree_size), 0) > $wl_seq FROM log_checkpoints")" = t ] && break; sleep 0.1
done
[ "$(e2e_sql "SELECT coalesce(max(tree_size), 0) > $wl_seq FROM log_checkpoints")" = t ] || e2e_fail "no checkpoint covers the workload"
run 2 "$teecert" admit peer --verifier "$va" --chain cvm/cert.pem --json
cp out unanchored.json
jq -e '.decision == "deny" and .anchored == null' unanchored.json >/dev/null || e2e_fail "unanchored: $(cat unanchored.json)"
has_reason unanchored.json not_anchored "leaf: its log entry $cvm_seq is not anchored yet and the policy requires it"
e2e_check_jws "$va" unanchored.json
run 2 "$teecert" admit workload --verifier "$va" --chain wl/cert.pem --workload-info wi.json --json
has_reason out not_anchored "not anchored yet and the policy requires it"

# Anchor: a chain key funded on anvil, the contract, the worker until everything is confirmed.
(umask 077 && openssl rand -hex 32 > chain.key)
addr="$("$anchor" address --key chain.key)" || e2e_fail "chain key address"
curl -sf -H 'Content-Type: application/json' \
  --data "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"anvil_setBalance\",\"params\":[\"$addr\",\"0x56bc75e2d63100000\"]}" \
  "$rpc_url" | jq -e 'has("result")' >/dev/null || e2e_fail "anvil_setBalance"
"$anchor" deploy --rpc "$rpc_url" --key chain.key --db "$E2E_DSN" --chain-id 204 >deploy.out 2>&1 || e2e_fail "deploy: $(cat deploy.out)"
"$anchor" run --rpc "$rpc_url" --key chain.key --db "$E2E_DSN" --chain-id 204 --confirmations 1 --poll-ms 100 \
  --finalized-stale-s 0 --until-idle >anchor.out 2>&1 || e2e_fail "anchor run: $(tail -20 anchor.out)"
tx="$(e2e_sql "SELECT encode(tx_hash, 'hex') FROM anchor_txs WHERE state = 'confirmed' ORDER BY tree_size LIMIT 1")" || true
[ -n "$tx" ] || e2e_fail "no confirmed anchor: $(e2e_sql "SELECT tree_size, state FROM anchor_txs")"

# Now allowed, with the anchor reported: a confirmed tree containing the entry, its tx and block.
for f in cvm wl; do
  if [ "$f" = cvm ]; then run 0 "$teecert" admit peer --verifier "$va" --chain cvm/cert.pem --json; seq=$cvm_seq
  else run 0 "$teecert" admit workload --verifier "$va" --chain wl/cert.pem --workload-info wi.json --json; seq=$wl_seq; fi
  cp out "anchored-$f.json"
  jq -e --argjson s "$seq" '.decision == "allow" and .reasons == [] and .reason_codes == [] and .anchored.tree_size > $s
      and (.anchored.tx_hash | test("^(0x)?[0-9a-f]{64}$")) and .anchored.block >= 1' "anchored-$f.json" >/dev/null ||
    e2e_fail "anchored $f: $(cat "anchored-$f.json")"
  size="$(jq -r .anchored.tree_size "anchored-$f.json")"
  [ "$(e2e_sql "SELECT count(*) FROM anchor_txs WHERE state = 'confirmed' AND tree_size = $size")" = 1 ] ||
    e2e_fail "anchored $f: tree size $size is not a confirmed anchor"
  e2e_check_jws "$va" "anchored-$f.json"
done
# Every service stops cleanly (exit 0: no leak or crash under the sanitizers).
e2e_stop_all
echo "e2e admission flow: workload allow/deny (info file, hash, wrong hash, cvm as workload), usage; require_anchored deny -> anchor on anvil -> allow with the anchor; JWS: ok"
