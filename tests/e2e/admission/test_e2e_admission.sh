#!/usr/bin/env bash
# test_e2e_admission.sh — a cvm certificate issued by the real teecert-ca (simulated TDX evidence), then
# admission by a verifier on the same database (adm_verifier, docs/admission.md): allow; the certificate
# history shows it; deny for a foreign trust root, a tampered chain, a policy that no longer accepts the
# recorded tcb_status, a verification time past notAfter, and after revocation. The verdict JWS is checked
# with openssl against the key published at /v1/verdict-key.
# Usage: test_e2e_admission.sh TEECERT TEECERT_CA ADM_VERIFIER TEECERT_VERIFIER
set -euo pipefail
teecert="$(readlink -f "$1")"; ca="$(readlink -f "$2")"; adm="$(readlink -f "$3")"; tverifier="$(readlink -f "$4")"
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
fail() { echo "FAIL: $*" >&2; for f in serve.err v.err; do [ -f "$dir/$f" ] && tail -20 "$dir/$f" >&2; done; exit 1; }
cd "$dir"

dbname="t_e2e_adm_$$_$RANDOM"
"$PSQL" "$base_dsn" -qAtc "CREATE DATABASE $dbname" >/dev/null
case "$base_dsn" in
  postgres*://*) dsn="${base_dsn%%\?*}"; dsn="${dsn%/*}/$dbname";;
  *dbname=*) dsn="$(echo "$base_dsn" | sed "s/dbname=[^ ]*/dbname=$dbname/")";;
  *) dsn="$base_dsn dbname=$dbname";;
esac

"$teecert" sim tdx --init pki >/dev/null
"$ca" migrate --db "$dsn" >/dev/null
printf 'correct horse battery staple\n' > pass; chmod 600 pass
printf 'admin-token-0123456789abcdef\n' > token; chmod 600 token
"$ca" init --name root1 --network untrusted --key-out root.key --passphrase-file pass --cert-out root.pem \
  --db "$dsn" --sim-pki pki >/dev/null
"$ca" serve --listen 127.0.0.1:0 --db "$dsn" --ca-key root.key --passphrase-file pass --ca-cert root.pem \
  --collateral pki/collateral --trust-anchor intel_root=pki/intel_root.pem --policy <(echo '{"allow_simulated": true}') \
  --admin-token-file token --public-url http://127.0.0.1:1 >serve.out 2>serve.err &
pid=$!
for _ in $(seq 100); do grep -q "listening on" serve.out 2>/dev/null && break; sleep 0.1; done
url="$(sed -n 's/^listening on //p' serve.out)"; [ -n "$url" ] || fail "CA did not start"

# Issue a cvm certificate (as tests/e2e/ca does).
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out cvm.key 2>/dev/null
nonce="$(curl -sf -X POST "$url/v1/challenges" | jq -r .nonce)"
openssl req -new -key cvm.key -subj "/CN=cvm1" -out req.csr 2>/dev/null
openssl pkey -in cvm.key -pubout -outform DER -out req.spki
{ printf 'teecert/v1'; openssl dgst -sha256 -binary req.spki; echo -n "$nonce" | xxd -r -p; } > req.bind
"$teecert" sim tdx --pki pki --report-data "$(openssl dgst -sha512 -binary req.bind | xxd -p -c 256)" --out req.quote >/dev/null
jq -n --rawfile csr req.csr --arg nonce "$nonce" --arg q "$(base64 -w0 req.quote)" \
  '{kind: "cvm", csr: $csr, nonce: $nonce, evidence: {tee: "tdx", quote: $q}}' > req.json
code="$(curl -s -o resp -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @req.json "$url/v1/certificates")"
[ "$code" = 201 ] || fail "issue: $code $(cat resp)"
jq -r .certificate resp > cvm.pem
serial="$(jq -r .serial resp)"
tcb="$(jq -r '.appraisal.devices[0].tcb_status' resp)"
not_after="$(date -d "$(openssl x509 -in cvm.pem -noout -enddate | cut -d= -f2)" +%s)"

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out verdict.key 2>/dev/null
verifier() { # [extra adm_verifier args]: (re)start the verifier
  if [ -n "$vpid" ]; then kill "$vpid"; wait "$vpid" || fail "verifier exited with $? (leak or crash)"; fi; vpid=""
  # The real teecert-verifier serves the admission routes; only a fixed verification time (--at, which a
  # production verifier must not offer) needs the in-process adm_verifier.
  case " $* " in
  *" --at "*) "$adm" --db "$dsn" --signing-key verdict.key "$@" >v.out 2>v.err & ;;
  *) "$tverifier" serve --listen 127.0.0.1:0 --db "$dsn" --signing-key verdict.key "$@" >v.out 2>v.err & ;;
  esac
  vpid=$!
  for _ in $(seq 100); do grep -q "listening on" v.out 2>/dev/null && break; sleep 0.1; done
  vurl="$(sed -n 's/^listening on //p' v.out)"; [ -n "$vurl" ] || fail "verifier did not start"
}
admit() { # $1 chain file $2 expected decision [$3 stable reason code [$4 the text the verifier words it with]]
  jq -n --rawfile c "$1" '{chain: $c, nonce: "0a0b0c"}' > admit.json
  code="$(curl -s -o verdict -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @admit.json "$vurl/v1/admission/peer")"
  [ "$code" = 200 ] || fail "admission: $code $(cat verdict)"
  [ "$(jq -r .decision verdict)" = "$2" ] || fail "want $2: $(jq -c . verdict)"
  if [ "$2" = allow ]; then
    jq -e '.reasons == [] and .reason_codes == []' verdict >/dev/null || fail "allow with reasons: $(jq -c . verdict)"
  else
    jq -e '(.reason_codes | length) == (.reasons | length) and (.reasons | length) > 0' verdict >/dev/null ||
      fail "reasons and reason_codes: $(jq -c . verdict)"
  fi
  [ -z "${3:-}" ] || jq -e --arg c "$3" '.reason_codes | index($c)' verdict >/dev/null || fail "no reason code '$3': $(jq -c . verdict)"
  [ -z "${4:-}" ] || jq -e --arg r "$4" '[.reasons[] | contains($r)] | any' verdict >/dev/null || fail "no reason '$4': $(jq -c .reasons verdict)"
  check_jws
}
check_jws() { # the verdict's JWS verifies with the published key and carries the verdict
  curl -sf "$vurl/v1/verdict-key" > jwks
  python3 - jwks verdict <<'PY' || fail "JWS: $(jq -c . verdict)"
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

verifier --trust-root root.pem
admit cvm.pem allow
[ "$(jq -r .certificate.serial verdict)" = "$serial" ] || fail "verdict serial"
[ "$(jq -r .certificate.tee verdict)" = tdx ] || fail "verdict tee"
[ "$(jq -r .nonce verdict)" = 0a0b0c ] || fail "verdict nonce"
curl -sf "$vurl/v1/certificates/$serial" > cert.json || fail "GET certificate"
jq -e '.status == "valid" and .kind == "cvm" and (.chain | length) == 1 and .appraisal.verdict == "accepted"
       and .extensions != null' cert.json >/dev/null || fail "certificate: $(jq -c 'del(.certificate, .chain)' cert.json)"
cmp -s <(openssl x509 -in <(jq -r .certificate cert.json) -outform DER) <(openssl x509 -in cvm.pem -outform DER) || fail "PEM"
curl -sf "$vurl/v1/cas" | jq -e '.cas[0].name == "root1" and .cas[0].role == "root" and .cas[0].network == "untrusted"' \
  >/dev/null || fail "GET /v1/cas"
[ "$(curl -sf "$vurl/v1/certificates?kind=cvm&tee=tdx" | jq '.certificates | length')" = 1 ] || fail "history"

# Tampered chain: one bit of the signature.
openssl x509 -in cvm.pem -outform DER -out cvm.der
python3 -c "import sys; d=bytearray(open('cvm.der','rb').read()); d[-5]^=1; open('bad.der','wb').write(bytes(d))"
openssl x509 -inform DER -in bad.der -out bad.pem
admit bad.pem deny chain_invalid "chain: certificate signature failure"

# Verification time after notAfter.
verifier --trust-root root.pem --at "$((not_after + 60))"
admit cvm.pem deny chain_invalid "chain: certificate has expired"

# A foreign trust root.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key -subj "/CN=other" -days 2 \
  -out other.pem 2>/dev/null
verifier --trust-root other.pem
admit cvm.pem deny chain_invalid "chain: unable to get local issuer certificate"

# The policy changed: the recorded tcb_status is no longer accepted.
other_status=UpToDate; [ "$tcb" = UpToDate ] && other_status=SWHardeningNeeded
echo "{\"accepted_tcb_statuses\": [\"$other_status\"], \"allow_simulated\": true}" > strict.json
verifier --trust-root root.pem --policy strict.json
admit cvm.pem deny tcb_status_not_accepted "leaf: recorded tcb_status $tcb is no longer accepted by the current policy"

# Revoked at the CA.
code="$(curl -s -o resp -w '%{http_code}' -H 'Content-Type: application/json' -H "Authorization: Bearer $(cat token)" \
  --data '{"reason": "keyCompromise"}' "$url/v1/certificates/$serial/revoke")"
[ "$code" = 200 ] || fail "revoke: $code $(cat resp)"
verifier --trust-root root.pem
admit cvm.pem deny revoked "leaf: revoked"
curl -sf "$vurl/v1/certificates/$serial" | jq -e '.status == "revoked"' >/dev/null || fail "history after revoke"
kill "$vpid"; wait "$vpid" || fail "verifier exited with $? (leak or crash)"; vpid=""
echo "e2e admission: OK"
