#!/usr/bin/env bash
# test_e2e_client.sh — the client commands end to end (docs/cli.md): `teecert request cvm|workload` against a
# real teecert-ca (simulated TDX evidence), `teecert admit peer|workload` and `teecert certs get|list` against a real
# teecert-verifier on the same database; then refusals (foreign simulated PKI, a root as CVM certificate,
# revoked certificate denied), unreachable services, no TEE here and usage errors, each with its exit code.
# Usage: test_e2e_client.sh TEECERT TEECERT_CA TEECERT_VERIFIER
set -euo pipefail
teecert="$(readlink -f "$1")"; ca="$(readlink -f "$2")"; tverifier="$(readlink -f "$3")"
dir="$(mktemp -d)"; pid=""; vpid=""; dbname=""
base_dsn="$(cat "$TEECERT_BUILD_DIR/testpg/dsn")"
PSQL=/usr/lib/postgresql/15/bin/psql
stop() { [ -n "$1" ] && kill "$1" 2>/dev/null && wait "$1" 2>/dev/null || true; }
cleanup() {
  stop "$pid"; stop "$vpid"
  [ -n "$dbname" ] && "$PSQL" "$base_dsn" -qAtc "DROP DATABASE IF EXISTS $dbname" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in serve.err v.err out err; do [ -f "$dir/$f" ] && tail -20 "$dir/$f" >&2; done; exit 1; }
cd "$dir"
# run WANT_RC CMD...: run a command, stdout in out, stderr in err, check its exit code.
run() { local want=$1 rc=0; shift; "$@" >out 2>err || rc=$?; [ "$rc" = "$want" ] || fail "exit $rc (want $want): $*"; }

dbname="t_e2e_client_$$_$RANDOM"
"$PSQL" "$base_dsn" -qAtc "CREATE DATABASE $dbname" >/dev/null
case "$base_dsn" in
  postgres*://*) dsn="${base_dsn%%\?*}"; dsn="${dsn%/*}/$dbname";;
  *dbname=*) dsn="$(echo "$base_dsn" | sed "s/dbname=[^ ]*/dbname=$dbname/")";;
  *) dsn="$base_dsn dbname=$dbname";;
esac

"$teecert" sim tdx --init pki >/dev/null
"$teecert" sim tdx --init otherpki >/dev/null
"$ca" migrate --db "$dsn" >/dev/null
printf 'correct horse battery staple\n' > pass; chmod 600 pass
printf 'admin-token-0123456789abcdef\n' > token; chmod 600 token
echo '{"allow_simulated": true}' > policy.json
"$ca" init --name root1 --network untrusted --key-out root.key --passphrase-file pass --cert-out root.pem \
  --db "$dsn" --sim-pki pki >/dev/null
"$ca" serve --listen 127.0.0.1:0 --db "$dsn" --ca-key root.key --passphrase-file pass --ca-cert root.pem \
  --collateral pki/collateral --trust-anchor intel_root=pki/intel_root.pem --policy policy.json \
  --admin-token-file token --public-url http://127.0.0.1:1 >serve.out 2>serve.err &
pid=$!
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out verdict.key 2>/dev/null
"$tverifier" serve --listen 127.0.0.1:0 --db "$dsn" --trust-root root.pem --signing-key verdict.key >v.out 2>v.err &
vpid=$!
for _ in $(seq 100); do grep -q "listening on" serve.out v.out 2>/dev/null && [ "$(grep -l "listening on" serve.out v.out | wc -l)" = 2 ] && break; sleep 0.1; done
url="$(sed -n 's/^listening on //p' serve.out)"; [ -n "$url" ] || fail "CA did not start"
vurl="$(sed -n 's/^listening on //p' v.out)"; [ -n "$vurl" ] || fail "verifier did not start"

# request cvm: key (0600, PKCS#8), certificate verified by openssl, SANs, chain, appraisal.
run 0 "$teecert" request cvm --ca "$url" --out cvm --sim pki --san node1.example --san node1.internal --cn node1
grep -q "^issued cvm certificate serial" out || fail "request output: $(cat out)"
serial="$(sed -n 's/^issued cvm certificate serial \([0-9a-f]*\) .*/\1/p' out)"
[ "$(stat -c %a cvm/key.pem)" = 600 ] || fail "key mode"
grep -q "BEGIN PRIVATE KEY" cvm/key.pem || fail "key is not PKCS#8"
openssl verify -CAfile root.pem cvm/cert.pem >/dev/null || fail "openssl verify cvm"
cmp -s <(openssl x509 -in cvm/cert.pem -noout -pubkey) <(openssl pkey -in cvm/key.pem -pubout) || fail "key/cert mismatch"
openssl x509 -in cvm/cert.pem -noout -ext subjectAltName | grep -q "DNS:node1.example, DNS:node1.internal" || fail "SANs"
cmp -s <(openssl x509 -in cvm/chain.pem -outform DER) <(openssl x509 -in root.pem -outform DER) || fail "chain.pem"
jq -e '.verdict == "accepted" and .devices[0].tee == "tdx"' cvm/appraisal.json >/dev/null || fail "appraisal.json"
[ "$("$teecert" cert show cvm/cert.pem --json | jq -r .serial)" = "$serial" ] || fail "serial $serial"

# P-384 and a sim init layout (PKI/tdx).
"$teecert" sim init allpki >/dev/null 2>&1 || fail "sim init"
run 2 "$teecert" request cvm --ca "$url" --out cvm384 --sim allpki --key-type p384
grep -q cert_chain_invalid err || fail "foreign sim PKI (sim init): $(cat err)"
run 0 "$teecert" request cvm --ca "$url" --out cvm384 --sim pki --key-type p384
openssl x509 -in cvm384/cert.pem -noout -text | grep -q "NIST CURVE: P-384\|secp384r1" || fail "P-384 key"

# request workload: bound to the CVM certificate and the workload info hash.
jq -n '{runtime_info: [{type: "oci", hash: {algo: "sha256", value: "ab12"}, size: 42}], created_at: "2026-01-01T00:00:00Z", order_id: "o-1"}' > wi.json
wlh="$(jq -cSj . wi.json | openssl dgst -sha256 -r | cut -d' ' -f1)"
run 0 "$teecert" request workload --ca "$url" --out wl --sim pki --cvm-cert cvm/cert.pem --workload-info wi.json
openssl verify -CAfile root.pem wl/cert.pem >/dev/null || fail "openssl verify workload"
"$teecert" cert show wl/cert.pem --json | jq -e --arg h "$wlh" '.teecert.role == "workload" and .teecert.workload_info_hash == $h' \
  >/dev/null || fail "workload extensions"

# Refusals (exit 2, the CA's code printed), local and transport failures (3), usage (1).
run 2 "$teecert" request cvm --ca "$url" --out bad --sim otherpki
grep -q "cert_chain_invalid" err || fail "foreign PKI: $(cat err)"
[ ! -e bad/key.pem ] || fail "a refused request left a key"
run 2 "$teecert" request workload --ca "$url" --out bad --sim pki --cvm-cert root.pem --workload-info wi.json
grep -q "cvm_certificate_invalid" err || fail "root as CVM cert: $(cat err)"
run 3 "$teecert" request cvm --ca http://127.0.0.1:1 --out bad --sim pki
grep -q "could not ask the CA" err || fail "unreachable: $(cat err)"
run 3 "$teecert" request cvm --ca "$url" --out bad --sim /nonexistent
run 3 "$teecert" request cvm --ca "$url" --out bad   # no TEE on this machine: evidence fails locally
grep -q "evidence" err || fail "no TEE: $(cat err)"
run 1 "$teecert" request cvm --ca "$url"
run 1 "$teecert" request cvm --ca "$url" --out x --key-type rsa
run 1 "$teecert" request cvm --ca "$url" --out x --bogus 1
run 1 "$teecert" request workload --ca "$url" --out x --sim pki
run 1 "$teecert" request vm --ca "$url" --out x
run 0 "$teecert" request --help

# admit peer: allow (table and JSON with the nonce), then certificate history.
run 0 "$teecert" admit peer --verifier "$vurl" --chain cvm/cert.pem
grep -q "^decision *allow" out || fail "admit table: $(cat out)"
grep -q "^serial *$serial" out || fail "admit serial ($serial): $(cat out)"
grep -q "^not_after *20[0-9-]*T[0-9:]*Z" out || fail "admit not_after: $(cat out)"
run 0 "$teecert" admit peer --verifier "$vurl" --chain cvm/cert.pem --nonce 0a0b0c --json
jq -e '.decision == "allow" and .nonce == "0a0b0c" and (.jws | length) > 0' out >/dev/null || fail "admit json: $(cat out)"
run 1 "$teecert" admit peer --verifier "$vurl" --chain cvm/cert.pem --nonce xyz
run 1 "$teecert" admit peer --verifier "$vurl"
run 1 "$teecert" admit host --verifier "$vurl" --chain cvm/cert.pem
run 1 "$teecert" admit peer --verifier "$vurl" --chain /nonexistent
run 3 "$teecert" admit peer --verifier http://127.0.0.1:1 --chain cvm/cert.pem

# admit workload: the info file the certificate was requested with, its hash; another hash, a cvm leaf deny.
run 0 "$teecert" admit workload --verifier "$vurl" --chain wl/cert.pem --workload-info wi.json
grep -q "^decision *allow" out && grep -q "^kind *workload" out || fail "admit workload table: $(cat out)"
run 0 "$teecert" admit workload --verifier "$vurl" --chain wl/cert.pem --workload-info-hash "$wlh" --json
jq -e '.decision == "allow" and .certificate.kind == "workload"' out >/dev/null || fail "admit workload json: $(cat out)"
run 2 "$teecert" admit workload --verifier "$vurl" --chain wl/cert.pem --workload-info-hash "$(printf '%064d' 0)"
grep -q "its workload info hash is not the expected one \[workload_info_mismatch\]" out || fail "admit workload deny: $(cat out)"
run 2 "$teecert" admit workload --verifier "$vurl" --chain cvm/cert.pem --workload-info wi.json
grep -q "not a workload certificate" out || fail "admit workload cvm: $(cat out)"
run 1 "$teecert" admit workload --verifier "$vurl" --chain wl/cert.pem
run 1 "$teecert" admit workload --verifier "$vurl" --chain wl/cert.pem --workload-info-hash xyz

run 0 "$teecert" certs get "$serial" --verifier "$vurl"
grep -q "^status *valid" out && grep -q "^kind *cvm" out || fail "certs get: $(cat out)"
run 0 "$teecert" certs get "$serial" --verifier "$vurl" --json
jq -e --arg s "$serial" '.serial == $s and .status == "valid"' out >/dev/null || fail "certs get json: $(cat out)"
run 0 "$teecert" certs list --verifier "$vurl" --kind cvm
[ "$(grep -c " cvm " out)" = 2 ] || fail "certs list cvm: $(cat out)"
run 0 "$teecert" certs list --verifier "$vurl" --limit 1 --json
jq -e '(.certificates | length) == 1 and (.next_cursor | type) == "string"' out >/dev/null || fail "paging: $(cat out)"
cursor="$(jq -r .next_cursor out)"
run 0 "$teecert" certs list --verifier "$vurl" --limit 1 --cursor "$cursor"
grep -q "more with --cursor" out || fail "cursor hint: $(cat out)"
run 0 "$teecert" certs list --verifier "$vurl" --kind workload --workload-info-hash "$wlh"
grep -q "^1 certificate(s)" out || fail "workload filter: $(cat out)"
run 2 "$teecert" certs get ffff01 --verifier "$vurl"
run 1 "$teecert" certs list --verifier "$vurl" --kind bogus
grep -q "kind" err || fail "bad filter: $(cat err)"
run 1 "$teecert" certs get zz --verifier "$vurl"
run 1 "$teecert" certs frob
run 3 "$teecert" certs list --verifier http://127.0.0.1:1

# Revoked: admission denies (exit 2), history shows it.
code="$(curl -s -o resp -w '%{http_code}' -X POST -H "Authorization: Bearer $(cat token)" -H 'Content-Type: application/json' \
  -d '{}' "$url/v1/certificates/$serial/revoke")"
[ "$code" = 200 ] || fail "revoke: $code $(cat resp)"
run 2 "$teecert" admit peer --verifier "$vurl" --chain cvm/cert.pem
grep -q "^decision *deny" out || fail "deny table: $(cat out)"
run 0 "$teecert" certs get "$serial" --verifier "$vurl"
grep -q "^status *revoked" out || fail "revoked status: $(cat out)"

echo "e2e client: request cvm (P-256, P-384) + workload, admit peer/workload allow/deny, certs get/list, refusals, usage: ok"
