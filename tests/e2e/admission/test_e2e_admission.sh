#!/usr/bin/env bash
# test_e2e_admission.sh — a cvm certificate issued by the real teecert-ca (simulated TDX evidence), then
# admission by a verifier on the same database (adm_verifier, docs/admission.md): allow; the certificate
# history shows it; deny for a foreign trust root, a tampered chain, a policy that no longer accepts the
# recorded tcb_status, a verification time past notAfter, and after revocation. The verdict JWS is checked
# with openssl against the key published at /v1/verdict-key.
# Usage: test_e2e_admission.sh TEECERT TEECERT_CA ADM_VERIFIER TEECERT_VERIFIER
set -euo pipefail
teecert="$(readlink -f "$1")"; ca="$(readlink -f "$2")"; adm="$(readlink -f "$3")"; tverifier="$(readlink -f "$4")"
# shellcheck source=../lib/e2e_ca.sh
source "$TEECERT_SOURCE_DIR/tests/e2e/lib/e2e_ca.sh"
# shellcheck source=../lib/e2e_admission.sh
source "$TEECERT_SOURCE_DIR/tests/e2e/lib/e2e_admission.sh"
e2e_init adm
cd "$E2E_DIR"
vpid=""

e2e_root "$teecert" "$ca" root1
printf 'admin-token-0123456789abcdef\n' > token; chmod 600 token
e2e_serve serve "$ca" serve --listen 127.0.0.1:0 --db "$E2E_DSN" $(e2e_ca_serve_args) \
  --policy <(echo '{"allow_simulated": true}') --admin-token-file token --public-url http://127.0.0.1:1
url="$E2E_URL"

# Issue a cvm certificate (as tests/e2e/ca does).
e2e_issue_cvm "$teecert" "$url" cvm.key cvm.pem
serial="$(jq -r .serial resp)"
tcb="$(jq -r '.appraisal.devices[0].tcb_status' resp)"
not_after="$(date -d "$(openssl x509 -in cvm.pem -noout -enddate | cut -d= -f2)" +%s)"

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out verdict.key 2>/dev/null
verifier() { # [extra adm_verifier args]: (re)start the verifier
  if [ -n "$vpid" ]; then e2e_stop "$vpid"; fi; vpid=""
  # The real teecert-verifier serves the admission routes; only a fixed verification time (--at, which a
  # production verifier must not offer) needs the in-process adm_verifier.
  case " $* " in
  *" --at "*) e2e_serve v "$adm" --db "$E2E_DSN" --signing-key verdict.key "$@" ;;
  *) e2e_serve v "$tverifier" serve --listen 127.0.0.1:0 --db "$E2E_DSN" --signing-key verdict.key "$@" ;;
  esac
  vpid=$E2E_LAST_PID; vurl="$E2E_URL"
}
admit() { # $1 chain file $2 expected decision [$3 stable reason code [$4 the text the verifier words it with]]
  jq -n --rawfile c "$1" '{chain: $c, nonce: "0a0b0c"}' > admit.json
  code="$(curl -s -o verdict -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @admit.json "$vurl/v1/admission/peer")"
  [ "$code" = 200 ] || e2e_fail "admission: $code $(cat verdict)"
  [ "$(jq -r .decision verdict)" = "$2" ] || e2e_fail "want $2: $(jq -c . verdict)"
  if [ "$2" = allow ]; then
    jq -e '.reasons == [] and .reason_codes == []' verdict >/dev/null || e2e_fail "allow with reasons: $(jq -c . verdict)"
  else
    jq -e '(.reason_codes | length) == (.reasons | length) and (.reasons | length) > 0' verdict >/dev/null ||
      e2e_fail "reasons and reason_codes: $(jq -c . verdict)"
  fi
  [ -z "${3:-}" ] || jq -e --arg c "$3" '.reason_codes | index($c)' verdict >/dev/null || e2e_fail "no reason code '$3': $(jq -c . verdict)"
  [ -z "${4:-}" ] || jq -e --arg r "$4" '[.reasons[] | contains($r)] | any' verdict >/dev/null || e2e_fail "no reason '$4': $(jq -c .reasons verdict)"
  e2e_check_jws "$vurl" verdict
}
verifier --trust-root root.pem
admit cvm.pem allow
[ "$(jq -r .certificate.serial verdict)" = "$serial" ] || e2e_fail "verdict serial"
[ "$(jq -r .certificate.tee verdict)" = tdx ] || e2e_fail "verdict tee"
[ "$(jq -r .nonce verdict)" = 0a0b0c ] || e2e_fail "verdict nonce"
curl -sf "$vurl/v1/certificates/$serial" > cert.json || e2e_fail "GET certificate"
jq -e '.status == "valid" and .kind == "cvm" and (.chain | length) == 1 and .appraisal.verdict == "accepted"
       and .extensions != null' cert.json >/dev/null || e2e_fail "certificate: $(jq -c 'del(.certificate, .chain)' cert.json)"
cmp -s <(openssl x509 -in <(jq -r .certificate cert.json) -outform DER) <(openssl x509 -in cvm.pem -outform DER) || e2e_fail "PEM"
curl -sf "$vurl/v1/cas" | jq -e '.cas[0].name == "root1" and .cas[0].role == "root" and .cas[0].network == "untrusted"' \
  >/dev/null || e2e_fail "GET /v1/cas"
[ "$(curl -sf "$vurl/v1/certificates?kind=cvm&tee=tdx" | jq '.certificates | length')" = 1 ] || e2e_fail "history"

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
[ "$code" = 200 ] || e2e_fail "revoke: $code $(cat resp)"
verifier --trust-root root.pem
admit cvm.pem deny revoked "leaf: revoked"
curl -sf "$vurl/v1/certificates/$serial" | jq -e '.status == "revoked"' >/dev/null || e2e_fail "history after revoke"
e2e_stop "$vpid"; vpid=""
echo "e2e admission: OK"
