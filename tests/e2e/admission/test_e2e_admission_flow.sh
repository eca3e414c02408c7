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
src="${TEECERT_SOURCE_DIR:?}"
[ -f "${TEECERT_ANVIL_DIR:?}/rpc_url" ] || { echo "anvil not running (fixture anvil): skip"; exit 77; }
rpc_url="$(cat "$TEECERT_ANVIL_DIR/rpc_url")"
dir="$(mktemp -d)"; pids=(); dbname=""
base_dsn="$(cat "$TEECERT_BUILD_DIR/testpg/dsn")"
PSQL=/usr/lib/postgresql/15/bin/psql
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  [ -n "$dbname" ] && "$PSQL" "$base_dsn" -qAtc "DROP DATABASE IF EXISTS $dbname WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in serve.err va.err vb.err out err; do [ -f "$dir/$f" ] && tail -20 "$dir/$f" >&2; done; exit 1; }
cd "$dir"
run() { local want=$1 rc=0; shift; "$@" >out 2>err || rc=$?; [ "$rc" = "$want" ] || fail "exit $rc (want $want): $*"; }
started() { # FILE: wait for the "listening on" line, print the URL
  for _ in $(seq 150); do grep -q "listening on" "$1" 2>/dev/null && break; sleep 0.1; done
  sed -n 's/^listening on //p' "$1"
}

dbname="t_e2e_admflow_$$_$RANDOM"
"$PSQL" "$base_dsn" -qAtc "CREATE DATABASE $dbname" >/dev/null
dsn="${base_dsn%/*}/$dbname"
sql() { "$PSQL" "$dsn" -qAtc "$1"; }

"$teecert" sim tdx --init pki >/dev/null
"$ca" migrate --db "$dsn" >/dev/null 2>&1
printf 'correct horse battery staple\n' > pass; chmod 600 pass
"$ca" log-key --out log.key > log.vkey
"$ca" init --name root1 --network untrusted --key-out root.key --passphrase-file pass --cert-out root.pem \
  --db "$dsn" --sim-pki pki >/dev/null
echo '{"allow_simulated": true}' > ca-policy.json
"$ca" serve --listen 127.0.0.1:0 --db "$dsn" --ca-key root.key --passphrase-file pass --ca-cert root.pem \
  --collateral pki/collateral --trust-anchor intel_root=pki/intel_root.pem --policy ca-policy.json \
  --public-url http://127.0.0.1:1 --log-key log.key --checkpoint-interval 1 >serve.out 2>serve.err &
pids+=($!)
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out verdict.key 2>/dev/null
echo '{"require_anchored": true}' > anchored.json
"$tverifier" serve --listen 127.0.0.1:0 --db "$dsn" --trust-root root.pem --signing-key verdict.key \
  --policy anchored.json >va.out 2>va.err &
pids+=($!)
"$tverifier" serve --listen 127.0.0.1:0 --db "$dsn" --trust-root root.pem --signing-key verdict.key >vb.out 2>vb.err &
pids+=($!)
url="$(started serve.out)"; [ -n "$url" ] || fail "CA did not start"
va="$(started va.out)"; [ -n "$va" ] || fail "verifier (require_anchored) did not start"
vb="$(started vb.out)"; [ -n "$vb" ] || fail "verifier did not start"

check_jws() { # VERIFIER-URL VERDICT-FILE: the JWS verifies with the published key and carries the verdict
  curl -sf "$1/v1/verdict-key" > jwks || fail "GET /v1/verdict-key"
  python3 - jwks "$2" <<'PY' || fail "JWS of $2: $(cat "$2")"
import base64, json, subprocess, sys
def b64u(s): return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
jwk = json.load(open(sys.argv[1]))["keys"][0]
verdict = json.load(open(sys.argv[2]))
h, p, s = verdict["jws"].split(".")
spki = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200") + b"\x04" + b64u(jwk["x"]) + b64u(jwk["y"])
open("pub.der", "wb").write(spki)
sig = b64u(s)
def der_int(b):
    b = b.lstrip(b"\x00") or b"\x00"
    if b[0] & 0x80: b = b"\x00" + b
    return b"\x02" + bytes([len(b)]) + b
body = der_int(sig[:32]) + der_int(sig[32:])
open("sig.der", "wb").write(b"\x30" + bytes([len(body)]) + body)
open("signed", "wb").write((h + "." + p).encode())
assert json.loads(b64u(h))["alg"] == "ES256"
payload = json.loads(b64u(p)); del verdict["jws"]
assert payload == verdict, (payload, verdict)
subprocess.run(["openssl", "dgst", "-sha256", "-verify", "pub.der", "-keyform", "DER", "-signature", "sig.der", "signed"],
               check=True, stdout=subprocess.DEVNULL)
PY
}
has_reason() { # VERDICT CODE TEXT: the stable reason code and the text the verifier words it with
  jq -e --arg c "$2" '(.reason_codes | index($c)) and (.reason_codes | length) == (.reasons | length)' "$1" >/dev/null ||
    fail "no reason code '$2': $(jq -c '{reasons, reason_codes}' "$1")"
  jq -e --arg r "$3" '[.reasons[] | contains($r)] | any' "$1" >/dev/null || fail "no reason '$3': $(jq -c .reasons "$1")"
}

# The certificates, through the client commands.
run 0 "$teecert" request cvm --ca "$url" --out cvm --sim pki --cn node1
jq -n '{runtime_info: [{type: "oci", hash: {algo: "sha256", value: "0123abcd"}, size: 7}], created_at: "2026-01-01T00:00:00Z", order_id: "o-7"}' > wi.json
wlh="$(jq -cSj . wi.json | openssl dgst -sha256 -r | cut -d' ' -f1)"
run 0 "$teecert" request workload --ca "$url" --out wl --sim pki --cvm-cert cvm/cert.pem --workload-info wi.json
wl_seq="$(sql "SELECT log_seq FROM certificates WHERE kind = 'workload'")"
cvm_seq="$(sql "SELECT log_seq FROM certificates WHERE kind = 'cvm'")"

# Workload admission (no anchoring required): the right info (file and hash), a wrong hash, a CVM certificate.
run 0 "$teecert" admit workload --verifier "$vb" --chain wl/cert.pem --workload-info wi.json --nonce 0102 --json
cp out wl-allow.json
jq -e '.decision == "allow" and .certificate.kind == "workload" and .nonce == "0102" and .reasons == []
       and .reason_codes == []' wl-allow.json \
  >/dev/null || fail "workload allow: $(cat wl-allow.json)"
check_jws "$vb" wl-allow.json
run 0 "$teecert" admit workload --verifier "$vb" --chain wl/cert.pem --workload-info-hash "$wlh"
grep -q "^decision *allow" out || fail "workload allow (hash): $(cat out)"
grep -q "^kind *workload" out || fail "workload table kind: $(cat out)"
other="$(printf 'another workload' | openssl dgst -sha256 -r | cut -d' ' -f1)"
run 2 "$teecert" admit workload --verifier "$vb" --chain wl/cert.pem --workload-info-hash "$other" --json
cp out wl-deny.json
jq -e '.decision == "deny"' wl-deny.json >/dev/null || fail "workload deny: $(cat wl-deny.json)"
has_reason wl-deny.json workload_info_mismatch "leaf: its workload info hash is not the expected one"
check_jws "$vb" wl-deny.json
jq '.order_id = "o-8"' wi.json > wi2.json
run 2 "$teecert" admit workload --verifier "$vb" --chain wl/cert.pem --workload-info wi2.json
grep -q "workload info hash is not the expected one" out || fail "workload deny (file): $(cat out)"
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
grep -q "reference values" err || fail "reference values message: $(cat err)"
run 1 "$teecert" admit peer --verifier "$vb" --chain cvm/cert.pem --workload-info wi.json
run 3 "$teecert" admit workload --verifier http://127.0.0.1:1 --chain wl/cert.pem --workload-info wi.json

# require_anchored: denied while nothing is anchored (the CA has checkpointed, the chain has not seen it).
for _ in $(seq 100); do
  [ "$(sql "SELECT coalesce(max(tree_size), 0) > $wl_seq FROM log_checkpoints")" = t ] && break; sleep 0.1
done
[ "$(sql "SELECT coalesce(max(tree_size), 0) > $wl_seq FROM log_checkpoints")" = t ] || fail "no checkpoint covers the workload"
run 2 "$teecert" admit peer --verifier "$va" --chain cvm/cert.pem --json
cp out unanchored.json
jq -e '.decision == "deny" and .anchored == null' unanchored.json >/dev/null || fail "unanchored: $(cat unanchored.json)"
has_reason unanchored.json not_anchored "leaf: its log entry $cvm_seq is not anchored yet and the policy requires it"
check_jws "$va" unanchored.json
run 2 "$teecert" admit workload --verifier "$va" --chain wl/cert.pem --workload-info wi.json --json
has_reason out not_anchored "not anchored yet and the policy requires it"

# Anchor: a chain key funded on anvil, the contract, the worker until everything is confirmed.
(umask 077 && openssl rand -hex 32 > chain.key)
addr="$("$anchor" address --key chain.key)" || fail "chain key address"
curl -sf -H 'Content-Type: application/json' \
  --data "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"anvil_setBalance\",\"params\":[\"$addr\",\"0x56bc75e2d63100000\"]}" \
  "$rpc_url" | jq -e 'has("result")' >/dev/null || fail "anvil_setBalance"
"$anchor" deploy --rpc "$rpc_url" --key chain.key --db "$dsn" --chain-id 204 >deploy.out 2>&1 || fail "deploy: $(cat deploy.out)"
"$anchor" run --rpc "$rpc_url" --key chain.key --db "$dsn" --chain-id 204 --confirmations 1 --poll-ms 100 \
  --finalized-stale-s 0 --until-idle >anchor.out 2>&1 || fail "anchor run: $(tail -20 anchor.out)"
tx="$(sql "SELECT encode(tx_hash, 'hex') FROM anchor_txs WHERE state = 'confirmed' ORDER BY tree_size LIMIT 1")" || true
[ -n "$tx" ] || fail "no confirmed anchor: $(sql "SELECT tree_size, state FROM anchor_txs")"

# Now allowed, with the anchor reported: a confirmed tree containing the entry, its tx and block.
for f in cvm wl; do
  if [ "$f" = cvm ]; then run 0 "$teecert" admit peer --verifier "$va" --chain cvm/cert.pem --json; seq=$cvm_seq
  else run 0 "$teecert" admit workload --verifier "$va" --chain wl/cert.pem --workload-info wi.json --json; seq=$wl_seq; fi
  cp out "anchored-$f.json"
  jq -e --argjson s "$seq" '.decision == "allow" and .reasons == [] and .reason_codes == [] and .anchored.tree_size > $s
      and (.anchored.tx_hash | test("^(0x)?[0-9a-f]{64}$")) and .anchored.block >= 1' "anchored-$f.json" >/dev/null ||
    fail "anchored $f: $(cat "anchored-$f.json")"
  size="$(jq -r .anchored.tree_size "anchored-$f.json")"
  [ "$(sql "SELECT count(*) FROM anchor_txs WHERE state = 'confirmed' AND tree_size = $size")" = 1 ] ||
    fail "anchored $f: tree size $size is not a confirmed anchor"
  check_jws "$va" "anchored-$f.json"
done
# Every service stops cleanly (exit 0: no leak or crash under the sanitizers).
for p in "${pids[@]}"; do kill "$p"; wait "$p" || fail "a service (pid $p) exited with $? (leak or crash)"; done
pids=()
echo "e2e admission flow: workload allow/deny (info file, hash, wrong hash, cvm as workload), usage; require_anchored deny -> anchor on anvil -> allow with the anchor; JWS: ok"
