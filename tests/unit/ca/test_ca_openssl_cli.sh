#!/usr/bin/env bash
# test_ca_openssl_cli.sh — the real openssl CLI judges what ca/ issues: chain verification, CRL signature and
# revocation, OCSP responses (status, signature, nonce) for requests the CLI builds, CSR self-signature.
# Each check has a counterpart that must fail, so the test cannot pass vacuously.
set -euo pipefail
tool="$(readlink -f "$1")"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
export TEECERT_TEST_PASS="correct horse battery staple"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$tool" issue "$dir"
cd "$dir"
[ "$(stat -c %a sub.key)" = 600 ] || fail "sub.key mode $(stat -c %a sub.key)"
grep -q "BEGIN ENCRYPTED PRIVATE KEY" sub.key || fail "sub.key is not encrypted PKCS#8"
openssl pkey -in sub.key -passin env:TEECERT_TEST_PASS -noout || fail "openssl cannot decrypt sub.key"
openssl pkey -in sub.key -passin pass:wrong-passphrase -noout 2>/dev/null && fail "wrong passphrase accepted"

# Chain
openssl verify -CAfile root.pem root.pem
openssl verify -CAfile root.pem sub.pem
openssl verify -CAfile root.pem -untrusted sub.pem cvm.pem
openssl verify -CAfile root.pem -untrusted sub.pem workload.pem
openssl verify -purpose sslserver -CAfile root.pem -untrusted sub.pem cvm.pem
openssl verify -purpose sslclient -CAfile root.pem -untrusted sub.pem cvm.pem
openssl verify -CAfile sub.pem cvm.pem 2>/dev/null && fail "partial chain accepted"
openssl verify -CAfile cvm.pem root.pem 2>/dev/null && fail "wrong anchor accepted"
openssl x509 -in cvm.pem -noout -text > cvm.txt
grep -q "ecdsa-with-SHA384" cvm.txt || fail "signature algorithm"
grep -q "DNS:cvm1.example" cvm.txt || fail "SAN"
grep -q "CA:FALSE" cvm.txt || fail "basicConstraints"
grep -q "TLS Web Server Authentication, TLS Web Client Authentication" cvm.txt || fail "EKU"
grep -q "OCSP - URI:http://127.0.0.1:1/ocsp" cvm.txt || fail "AIA"
grep -q "2.23.133.5.4.9" cvm.txt || fail "CMW extension"
openssl x509 -in sub.pem -noout -text | grep -q "CA:TRUE, pathlen:0" || fail "subroot pathlen"

# CRL
out="$(openssl crl -inform DER -in sub.crl -CAfile root.pem -noout 2>&1 || true)"
echo "$out" | grep -q "verify OK" && fail "sub CRL verified against the root's key"
openssl crl -inform DER -in sub.crl -out sub.crl.pem
openssl crl -inform DER -in root.crl -out root.crl.pem
openssl crl -in sub.crl.pem -CAfile sub.pem -noout 2>&1 | grep -q "verify OK" || fail "CRL signature"
openssl crl -in sub.crl.pem -noout -text | grep -q "Key Compromise" || fail "CRL reason"
cat sub.crl.pem root.crl.pem > crls.pem
openssl verify -crl_check_all -CRLfile crls.pem -CAfile root.pem -untrusted sub.pem cvm.pem
openssl verify -crl_check_all -CRLfile crls.pem -CAfile root.pem -untrusted sub.pem workload.pem 2>/dev/null \
  && fail "revoked workload certificate verified with the CRL"

# OCSP: requests built by the CLI, responses by ca/
for leaf in cvm workload; do
  openssl ocsp -issuer sub.pem -cert "$leaf.pem" -reqout "req_$leaf.der"
  openssl ocsp -reqin "req_$leaf.der" -req_text | grep -q "OCSP Nonce" || fail "request without nonce"
  "$tool" respond "$dir" "req_$leaf.der" "resp_$leaf.der"
  # Signature chain and nonce against the request as sent (-reqin alone: -cert would build a new request).
  out="$(openssl ocsp -reqin "req_$leaf.der" -respin "resp_$leaf.der" -CAfile root.pem -verify_other sub.pem 2>&1)"
  echo "$out"
  echo "$out" | grep -q "Response verify OK" || fail "OCSP response of $leaf does not verify"
  echo "$out" | grep -qi "nonce" && fail "OCSP nonce problem for $leaf"
  # Status of the certificate in question.
  out="$(openssl ocsp -respin "resp_$leaf.der" -issuer sub.pem -cert "$leaf.pem" -no_nonce -CAfile root.pem \
        -verify_other sub.pem 2>&1)"
  echo "$out"
  echo "$out" | grep -q "Response verify OK" || fail "OCSP response of $leaf does not verify"
  echo "$out" | grep -q "WARNING" && fail "OCSP validity warning for $leaf"
  case "$leaf" in
    cvm) echo "$out" | grep -q "cvm.pem: good" || fail "cvm status" ;;
    workload) echo "$out" | grep -q "workload.pem: revoked" || fail "workload status" ;;
  esac
done
# A response to one request does not satisfy another request's nonce.
openssl ocsp -issuer sub.pem -cert cvm.pem -reqout req_other.der
out="$(openssl ocsp -reqin req_other.der -respin resp_cvm.der -CAfile root.pem -verify_other sub.pem 2>&1 || true)"
echo "$out" | grep -qi "nonce verify error" || fail "foreign nonce accepted"
# Wrong trust anchor: the response must not verify.
# (no -issuer here: the CLI trusts -issuer certificates directly when the chain fails)
out="$(openssl ocsp -reqin req_cvm.der -respin resp_cvm.der -CAfile cvm.pem -verify_other sub.pem 2>&1 || true)"
echo "$out" | grep -q "Response verify OK" && fail "OCSP response verified against the wrong anchor"
# Malformed request -> malformedRequest
head -c 20 req_cvm.der > req_bad.der
"$tool" respond "$dir" req_bad.der resp_bad.der | grep -q "response_status=1" || fail "malformed request"
out="$(openssl ocsp -respin resp_bad.der -resp_text 2>&1 || true)"
echo "$out" | grep -qi "malformedrequest" || fail "malformed status text"

# CSR built by ca/ (self-signature, SAN)
"$tool" csr "$dir"
openssl req -in csr.pem -verify -noout 2>&1 | grep -q "verify OK" || fail "CSR self-signature"
openssl req -in csr.pem -noout -text | grep -q "DNS:node.example" || fail "CSR SAN"
echo "openssl CLI checks passed"
