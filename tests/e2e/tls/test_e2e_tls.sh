#!/usr/bin/env bash
# test_e2e_tls.sh — HTTPS and admin authentication by TLS client certificate, with real processes
# (docs/ca-service.md "Admin authentication"): openssl makes a server CA + server certificate, a client CA
# with an admin certificate (named by --admin-cert-sha256), an "admins" intermediate CA (named by
# --admin-client-ca) with a second admin, a non-admin client, a client certificate without clientAuth and
# one from a foreign CA. teecert-ca serves HTTPS on PostgreSQL; certificates are issued over HTTPS (curl
# --cacert) and revoked with each credential: admin certificate 200, admin via the admin CA (chain sent by
# the client) 200, bearer token 200, nothing 401, non-admin certificate 403, unverifiable certificates 401.
# openssl s_client shows the client CA list; plain HTTP to the TLS port fails cleanly and the server keeps
# serving. teecert-verifier serves HTTPS (RSA key) for a GET. Bad TLS flags are usage errors.
# Revocation of client certificates (--client-crl): CRLs made with `openssl ca -revoke/-gencrl` for the client
# CA and the admins CA; a second CA server with them refuses the revoked admin (401; its token still works),
# takes a replaced CRL file within 2 s without a restart (also on a keep-alive connection verified before the
# change), and keeps the previous CRLs when the new file is broken.
# The teecert CLI over HTTPS with the private server CA: `request cvm --sim` with --cacert, $TEECERT_CACERT
# and a client certificate (--cert/--key), refused without the CA; `certs get|list` and `admit peer` against
# the verifier. GET /v1/ocsp/{request} with a base64 request holding '/' (RFC 6960 A.1), raw and %2F-encoded.
set -euo pipefail
teecert="$(readlink -f "$1")"; ca="$(readlink -f "$2")"; verifier="$(readlink -f "$3")"
# shellcheck source=../lib/e2e_ca.sh
source "$TEECERT_SOURCE_DIR/tests/e2e/lib/e2e_ca.sh"
e2e_init tls
cd "$E2E_DIR"

# ---------------------------------------------------------------------------------------- the test PKIs
ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:"$2" -out "$1" 2>/dev/null; }
mkroot() { # NAME CN: self-signed CA
  ec_key "$1.key" P-256
  openssl req -x509 -new -key "$1.key" -subj "/CN=$2" -days 30 -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign -out "$1.pem" 2>/dev/null
}
mkcert() { # NAME CN ISSUER EXTENSIONS: NAME.key (exists or P-256) signed by ISSUER
  [ -f "$1.key" ] || ec_key "$1.key" P-256
  openssl req -new -key "$1.key" -subj "/CN=$2" 2>/dev/null |
    openssl x509 -req -CA "$3.pem" -CAkey "$3.key" -set_serial "0x$(openssl rand -hex 8)" -days 30 \
      -extfile <(printf '%b' "$4") -out "$1.pem" 2>/dev/null
}
ca_ext='basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n'
client_ext='basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n'
server_ext='basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n'

mkroot srvca "teecert test server CA"
ec_key server.key P-384
mkcert server 127.0.0.1 srvca "$server_ext"
cat server.pem srvca.pem > server-chain.pem
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out vserver.key 2>/dev/null
mkcert vserver 127.0.0.1 srvca "$server_ext"

mkroot clientca "teecert test client CA"
mkcert admins "teecert test admins CA" clientca "$ca_ext"
mkcert admin1 admin-one clientca "$client_ext"           # admin by fingerprint
mkcert admin2 admin-two admins "$client_ext"             # admin by --admin-client-ca (an intermediate)
cat admin2.pem admins.pem > admin2-chain.pem
mkcert ops operator clientca "$client_ext"               # verified, not an admin
mkcert noclient no-client-auth clientca 'basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n'
mkroot foreignca "foreign CA"
cp admin1.key foreign.key                                # same key as admin1, but a foreign issuer
mkcert foreign admin-one foreignca "$client_ext"
admin1_fp="$(openssl x509 -in admin1.pem -noout -fingerprint -sha256 | cut -d= -f2)"   # AB:CD:... form
fp_hex() { openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }

# ------------------------------------------------------------------------------------- CA over HTTPS
e2e_root "$teecert" "$ca" root1
printf 'admin-token-0123456789abcdef\n' > token; chmod 600 token
# shellcheck disable=SC2046
e2e_serve serve "$ca" serve --listen 127.0.0.1:0 --db "$E2E_DSN" $(e2e_ca_serve_args) \
  --policy <(echo '{"allow_simulated": true}') --admin-token-file token --public-url https://127.0.0.1:1 \
  --tls-cert server-chain.pem --tls-key server.key --client-ca clientca.pem \
  --admin-cert-sha256 "$admin1_fp" --admin-client-ca admins.pem
ca_pid=$E2E_LAST_PID
url="$E2E_URL"
case "$url" in https://127.0.0.1:*) ;; *) e2e_fail "serve printed '$url', not an https URL";; esac
port="${url##*:}"
tcurl() { curl -s --cacert srvca.pem "$@"; }
code_of() { jq -r .code resp; }

issue() { # -> serial of a new CVM certificate issued over HTTPS
  local nonce; nonce="$(tcurl -f -X POST "$url/v1/challenges" | jq -r .nonce)"
  [ -n "$nonce" ] && [ "$nonce" != null ] || e2e_fail "challenge over HTTPS"
  e2e_cvm_request "$teecert" cvm.key "$nonce" req.json
  [ "$(tcurl -o resp -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @req.json \
        "$url/v1/certificates")" = 201 ] || e2e_fail "issue over HTTPS: $(cat resp)"
  jq -r .serial resp
}
ec_key cvm.key P-256
s1="$(issue)"; s2="$(issue)"; s3="$(issue)"; s4="$(issue)"
jq -r .certificate resp > cvm.pem
openssl verify -CAfile root.pem cvm.pem >/dev/null || e2e_fail "openssl verify of a certificate issued over HTTPS"

rv() { # SERIAL CURL-ARGS... -> status; body in resp
  local serial=$1; shift
  tcurl -o resp -w '%{http_code}' -H 'Content-Type: application/json' --data '{"reason": "keyCompromise"}' "$@" \
    "$url/v1/certificates/$serial/revoke"
}
want() { # STATUS CODE SERIAL CURL-ARGS...: the revoke answers STATUS with error CODE and stores nothing
  local status=$1 code=$2 serial=$3; shift 3
  local n; n="$(e2e_sql "SELECT count(*) FROM revocations")"
  local got; got="$(rv "$serial" "$@")"
  [ "$got" = "$status" ] && [ "$(code_of)" = "$code" ] || e2e_fail "want $status $code, got $got $(cat resp) ($*)"
  jq -e '.hint and .detail and .request_id' resp >/dev/null || e2e_fail "error shape: $(cat resp)"
  [ "$(e2e_sql "SELECT count(*) FROM revocations")" = "$n" ] || e2e_fail "a refused revoke was stored ($*)"
}
want 401 unauthorized "$s1"
want 401 unauthorized "$s1" -H 'Authorization: Basic YWRtaW46YWRtaW4='
want 403 forbidden "$s1" --cert ops.pem --key ops.key
jq -r .detail resp | grep -q "$(fp_hex ops.pem)" || e2e_fail "403 detail names no fingerprint: $(cat resp)"
want 403 forbidden "$s1" --cert ops.pem --key ops.key -H 'Authorization: Bearer wrong-token-0123456789'
want 401 unauthorized "$s1" --cert foreign.pem --key foreign.key
jq -r .detail resp | grep -q "did not verify" || e2e_fail "foreign CA detail: $(cat resp)"
want 401 unauthorized "$s1" --cert noclient.pem --key noclient.key           # no clientAuth: purpose sslclient
want 401 unauthorized "$s1" --cert admin2.pem --key admin2.key               # admin2 without its intermediate
want 403 forbidden "$s1" -H 'Authorization: Bearer wrong-token-0123456789'

[ "$(rv "$s1" --cert admin1.pem --key admin1.key)" = 200 ] || e2e_fail "revoke with the admin certificate: $(cat resp)"
[ "$(jq -r .reason resp)" = keyCompromise ] && [ "$(jq -r .serial resp)" = "$s1" ] || e2e_fail "revoke reply: $(cat resp)"
[ "$(rv "$s1" --cert admin1.pem --key admin1.key)" = 409 ] || e2e_fail "second revoke: $(cat resp)"
[ "$(rv "$s2" --cert admin2-chain.pem --key admin2.key)" = 200 ] || e2e_fail "revoke via --admin-client-ca: $(cat resp)"
[ "$(rv "$s3" -H "Authorization: Bearer $(cat token)")" = 200 ] || e2e_fail "revoke with the token: $(cat resp)"
[ "$(rv "$s4" --cert ops.pem --key ops.key -H "Authorization: Bearer $(cat token)")" = 200 ] ||
  e2e_fail "non-admin certificate + good token: $(cat resp)"
[ "$(e2e_sql "SELECT count(*) FROM revocations")" = 4 ] || e2e_fail "revocations stored"
# The log says which method authenticated, with the request id and the certificate's fingerprint.
grep '"admin_auth"' serve.err | grep '"client_cert"' | grep -q "$(fp_hex admin1.pem)" || e2e_fail "no client_cert auth log"
grep '"admin_auth"' serve.err | grep '"client_cert"' | grep -q "$(fp_hex admin2.pem)" || e2e_fail "no admin-CA auth log"
grep '"admin_auth"' serve.err | grep '"bearer"' | grep -q '"request_id"' || e2e_fail "no bearer auth log"
grep '"admin_auth_denied"' serve.err | grep -q '"forbidden"' || e2e_fail "no denial log"
# One keep-alive connection, two requests: the client certificate is verified once (per-connection cache).
foreign_fp="$(fp_hex foreign.pem)"
n0="$(grep '"tls_client_cert"' serve.err | grep -c "$foreign_fp" || true)"
[ "$(tcurl --cert foreign.pem --key foreign.key -o /dev/null -o /dev/null -w '%{http_code}%{num_connects}\n' \
      "$url/healthz" "$url/healthz" | tr '\n' ' ')" = "2001 2000 " ] || e2e_fail "two requests on one connection"
[ "$(grep '"tls_client_cert"' serve.err | grep -c "$foreign_fp")" = $((n0 + 1)) ] ||
  e2e_fail "the client certificate was not verified exactly once for one connection"
# The CRL over HTTPS lists the revocations.
tcurl -f "$url/v1/crl/root1" -o root.crl || e2e_fail "CRL over HTTPS"
openssl crl -inform DER -in root.crl -noout -text | grep -qi "Serial Number: $s2" || e2e_fail "CRL does not list $s2"

# ------------------------------------------------------------------- the teecert CLI over HTTPS
# The server logs the certificates it cannot verify (tls_client_cert, warn): the foreign one proves it was sent.
rc=0; "$teecert" request cvm --ca "$url" --out creq0 --sim pki >creq0.out 2>creq0.err || rc=$?
[ "$rc" = 3 ] && grep -qi "certificate" creq0.err || e2e_fail "request without the server CA: exit $rc $(cat creq0.err)"
"$teecert" request cvm --ca "$url" --out creq1 --sim pki --cacert srvca.pem >creq1.out 2>creq1.err ||
  e2e_fail "request --cacert: $(cat creq1.err)"
openssl verify -CAfile root.pem creq1/cert.pem >/dev/null || e2e_fail "the certificate of request --cacert"
TEECERT_CACERT=srvca.pem "$teecert" request cvm --ca "$url" --out creq2 --sim pki >creq2.out 2>creq2.err ||
  e2e_fail "request with TEECERT_CACERT: $(cat creq2.err)"
n0="$(grep '"tls_client_cert"' serve.err | grep -c "$foreign_fp" || true)"
"$teecert" request cvm --ca "$url" --out creq3 --sim pki --cacert srvca.pem --cert foreign.pem --key foreign.key \
  >creq3.out 2>creq3.err || e2e_fail "request with a client certificate: $(cat creq3.err)"
[ "$(grep '"tls_client_cert"' serve.err | grep -c "$foreign_fp")" -gt "$n0" ] ||
  e2e_fail "the server saw no client certificate from request --cert"
cli_bad() { # MESSAGE ARGS...: teecert refuses with exit 1 and MESSAGE on stderr
  local msg=$1; shift
  local rc=0
  "$teecert" "$@" >bad.out 2>bad.txt || rc=$?
  [ "$rc" = 1 ] && grep -q -- "$msg" bad.txt || e2e_fail "want exit 1 '$msg' for $*, got $rc: $(cat bad.txt)"
}
cli_bad "go together" request cvm --ca "$url" --out creq4 --sim pki --cacert srvca.pem --cert ops.pem
cli_bad "cannot read nosuch.pem" request cvm --ca "$url" --out creq4 --sim pki --cacert nosuch.pem
TEECERT_CACERT=nosuch.pem cli_bad 'TEECERT_CACERT' certs get 01 --verifier "$url"

# GET /v1/ocsp/{request}: base64 may hold '/', which must not split the path (raw and %2F-encoded).
for _ in $(seq 64); do
  openssl ocsp -issuer root.pem -cert creq1/cert.pem -reqout ocsp.req >/dev/null 2>&1 || e2e_fail "ocsp -reqout"
  b64="$(base64 -w0 ocsp.req)"
  case "$b64" in */*) break;; esac
done
case "$b64" in */*) ;; *) e2e_fail "no OCSP request with '/' in its base64 in 64 tries";; esac
nonce="$(openssl ocsp -reqin ocsp.req -req_text 2>/dev/null | grep -A1 "OCSP Nonce" | tail -1 | tr -d ' ')"
[ -n "$nonce" ] || e2e_fail "the OCSP request has no nonce"
for path in "$b64" "$(jq -rn --arg s "$b64" '$s|@uri')"; do
  [ "$(tcurl -o ocsp.resp -w '%{http_code}' "$url/v1/ocsp/$path")" = 200 ] || e2e_fail "OCSP GET /v1/ocsp/$path: $(cat ocsp.resp)"
  # -no_nonce: -cert would make a fresh request (another nonce); the echo of ours is checked below.
  out="$(openssl ocsp -respin ocsp.resp -issuer root.pem -cert creq1/cert.pem -CAfile root.pem -no_nonce -resp_text 2>&1)" ||
    e2e_fail "OCSP GET response: $out"
  echo "$out" | grep -q "Response verify OK" && echo "$out" | grep -q "creq1/cert.pem: good" &&
    echo "$out" | grep -A1 "OCSP Nonce" | grep -q "$nonce" || e2e_fail "OCSP GET status or nonce $nonce: $out"
done

# The handshake: the server chain verifies and the CertificateRequest names the client CA.
out="$(openssl s_client -connect "127.0.0.1:$port" -CAfile srvca.pem -verify_return_error </dev/null 2>&1)" ||
  e2e_fail "s_client: $out"
echo "$out" | grep -q "Verify return code: 0 (ok)" || e2e_fail "s_client verify: $out"
echo "$out" | grep -A3 "Acceptable client certificate CA names" | grep -q "teecert test client CA" ||
  e2e_fail "s_client shows no client CA list: $out"
out="$(openssl s_client -connect "127.0.0.1:$port" -CAfile srvca.pem -tls1_1 </dev/null 2>&1)" &&
  e2e_fail "TLS 1.1 accepted: $out"

# Plain HTTP to the TLS port fails cleanly; the server keeps serving.
code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port/healthz" || true)"
[ "$code" != 200 ] || e2e_fail "plain HTTP answered 200 on the TLS port"
# Garbage that starts like a TLS record; the server may close first (the subshell takes any SIGPIPE).
(exec 3<>"/dev/tcp/127.0.0.1/$port"; printf 'GARBAGE\r\n\r\n\x16\x03\x01\x00\x05hello' >&3; timeout 5 cat <&3) \
  >/dev/null 2>&1 || true
kill -0 "$ca_pid" 2>/dev/null || e2e_fail "the server died on plain HTTP"
[ "$(tcurl -o /dev/null -w '%{http_code}' "$url/healthz")" = 200 ] || e2e_fail "HTTPS after plain HTTP"

# ---------------------------------------------------------------- client certificate revocation (CRLs)
e2e_stop "$ca_pid"
crl_ca() { # NAME: an `openssl ca` database for the CA NAME (NAME.pem, NAME.key)
  mkdir -p "crl-$1"; : > "crl-$1/index.txt"; echo 01 > "crl-$1/crlnumber"
  printf '[ca]\ndefault_ca=c\n[c]\ndatabase=crl-%s/index.txt\ncrlnumber=crl-%s/crlnumber\ndefault_md=sha256\ndefault_crl_days=7\n' \
    "$1" "$1" > "crl-$1/ca.cnf"
}
crl_revoke() { # CA CERT
  openssl ca -config "crl-$1/ca.cnf" -keyfile "$1.key" -cert "$1.pem" -revoke "$2.pem" >/dev/null 2>&1 ||
    e2e_fail "openssl ca -revoke $2"
}
crl_gen() { # CA FILE: the CA's CRL into FILE, replaced atomically (rename) as an operator's refresh would
  openssl ca -config "crl-$1/ca.cnf" -keyfile "$1.key" -cert "$1.pem" -gencrl -out "$2.new" >/dev/null 2>&1 ||
    e2e_fail "openssl ca -gencrl $1"
  mv "$2.new" "$2"
}
crl_ca clientca; crl_ca admins; crl_ca foreignca
crl_revoke clientca admin1                               # the admin by fingerprint is revoked
crl_gen clientca clientca.crl
crl_gen admins admins.crl                                # revokes nothing yet (admin2's issuer)
crl_gen foreignca foreign.crl
# shellcheck disable=SC2046
e2e_serve crlserve "$ca" serve --listen 127.0.0.1:0 --db "$E2E_DSN" $(e2e_ca_serve_args) \
  --policy <(echo '{"allow_simulated": true}') --admin-token-file token --public-url https://127.0.0.1:1 \
  --tls-cert server-chain.pem --tls-key server.key --client-ca clientca.pem \
  --admin-cert-sha256 "$admin1_fp" --admin-client-ca admins.pem --client-crl clientca.crl --client-crl admins.crl
crl_pid=$E2E_LAST_PID
url="$E2E_URL"; cport="${url##*:}"
s5="$(issue)"; s6="$(issue)"; s7="$(issue)"
want 401 unauthorized "$s5" --cert admin1.pem --key admin1.key
jq -r .detail resp | grep -q "certificate revoked" || e2e_fail "revoked admin detail: $(cat resp)"
[ "$(rv "$s5" --cert admin1.pem --key admin1.key -H "Authorization: Bearer $(cat token)")" = 200 ] ||
  e2e_fail "revoked certificate + good token: $(cat resp)"
want 403 forbidden "$s6" --cert ops.pem --key ops.key                     # not revoked: verified, no admin
# One keep-alive connection as admin2: revoke s6 (200); admins.crl is replaced by one revoking admin2; 2 s later
# the same connection is refused (401) for s7: the cached verification did not outlive the CRL change.
body='{"reason": "keyCompromise"}'
req() { printf 'POST /v1/certificates/%s/revoke HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n%s' \
  "$1" "${#body}" "$2" "$body"; }
{ req "$s6" ''; sleep 1; crl_revoke admins admin2; crl_gen admins admins.crl; sleep 2; req "$s7" $'Connection: close\r\n'; sleep 2; } |
  timeout 20 openssl s_client -connect "127.0.0.1:$cport" -CAfile srvca.pem -cert admin2.pem -cert_chain admins.pem \
    -key admin2.key -quiet >keepalive.out 2>keepalive.err || true
[ "$(grep -ao 'HTTP/1\.1 [0-9][0-9][0-9]' keepalive.out | cut -d' ' -f2 | tr '\n' ' ')" = "200 401 " ] ||
  e2e_fail "keep-alive across the CRL change: $(cat keepalive.out keepalive.err)"
grep -q '"tls_client_crl_reloaded"' crlserve.err || e2e_fail "no CRL reload log"
want 401 unauthorized "$s7" --cert admin2-chain.pem --key admin2.key          # and on a new connection
jq -r .detail resp | grep -q "certificate revoked" || e2e_fail "revoked admin2 detail: $(cat resp)"
want 401 unauthorized "$s7" --cert admin1.pem --key admin1.key
# A broken replacement is logged and the previous CRLs stay: admin1 still revoked, ops still verified.
printf -- '-----BEGIN X509 CRL-----\nnot a CRL\n-----END X509 CRL-----\n' > clientca.crl.new; mv clientca.crl.new clientca.crl
sleep 1.2
want 401 unauthorized "$s7" --cert admin1.pem --key admin1.key
want 403 forbidden "$s7" --cert ops.pem --key ops.key
grep '"tls_client_crl_reload_failed"' crlserve.err | grep -q "clientca.crl" || e2e_fail "no CRL reload failure log"
[ "$(rv "$s7" -H "Authorization: Bearer $(cat token)")" = 200 ] || e2e_fail "token after the CRL change: $(cat resp)"
e2e_stop "$crl_pid"

# ------------------------------------------------------------------------------- verifier over HTTPS
(umask 077 && ec_key verdict.key P-256)
e2e_serve vserve "$verifier" serve --listen 127.0.0.1:0 --db "$E2E_DSN" --tls-cert vserver.pem --tls-key vserver.key \
  --client-ca clientca.pem --trust-root root.pem --signing-key verdict.key
case "$E2E_URL" in https://*) ;; *) e2e_fail "verifier printed '$E2E_URL'";; esac
[ "$(tcurl -o resp -w '%{http_code}' "$E2E_URL/v1/cas")" = 200 ] || e2e_fail "verifier GET /v1/cas: $(cat resp)"
jq -e '[.. | .name? // empty] | index("root1")' resp >/dev/null || e2e_fail "verifier /v1/cas: $(cat resp)"
[ "$(tcurl -o /dev/null -w '%{http_code}' --cert ops.pem --key ops.key "$E2E_URL/healthz")" = 200 ] ||
  e2e_fail "verifier with a client certificate"
if curl -s -o /dev/null "$E2E_URL/healthz"; then e2e_fail "a client trusted the test server CA without --cacert"; fi
"$teecert" certs get "$s1" --verifier "$E2E_URL" --cacert srvca.pem --json >certs.json 2>certs.err ||
  e2e_fail "certs get --cacert: $(cat certs.err)"
jq -e --arg s "$s1" '.serial == $s and .status == "revoked"' certs.json >/dev/null || e2e_fail "certs get: $(cat certs.json)"
TEECERT_CACERT=srvca.pem "$teecert" certs list --verifier "$E2E_URL" --cert ops.pem --key ops.key --json \
  >certs.json 2>certs.err || e2e_fail "certs list with TEECERT_CACERT and a client certificate: $(cat certs.err)"
[ "$(jq '.certificates | length' certs.json)" -ge 7 ] || e2e_fail "certs list: $(cat certs.json)"
rc=0; "$teecert" certs list --verifier "$E2E_URL" >certs.json 2>certs.err || rc=$?
[ "$rc" = 3 ] || e2e_fail "certs list without the server CA: exit $rc"
rc=0; "$teecert" admit peer --verifier "$E2E_URL" --chain creq1/chain.pem --cacert srvca.pem --json >admit.json \
  2>admit.err || rc=$?
[ "$rc" = 0 ] && jq -e '.decision == "allow"' admit.json >/dev/null ||
  e2e_fail "admit peer --cacert: exit $rc $(cat admit.json admit.err)"

# ----------------------------------------------------------------------------------- bad TLS flags
bad() { # MESSAGE FLAGS...: serve refuses with exit 1 and MESSAGE on stderr
  local msg=$1; shift
  local rc=0
  timeout 20 "$verifier" serve --listen 127.0.0.1:0 --db "$E2E_DSN" "$@" >bad.out 2>bad.txt || rc=$?
  [ "$rc" = 1 ] && grep -q -- "$msg" bad.txt || e2e_fail "want exit 1 '$msg' for $*, got $rc: $(cat bad.txt)"
}
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out p521.key 2>/dev/null
openssl req -x509 -new -key p521.key -subj /CN=x -days 2 -out p521.pem 2>/dev/null
openssl pkey -in server.key -aes256 -passout pass:secret -out enc.key
bad "both --tls-cert and --tls-key" --tls-cert server.pem
bad "does not belong" --tls-cert server.pem --tls-key admin1.key
bad "is encrypted: give its passphrase" --tls-cert server.pem --tls-key enc.key
(umask 077 && echo wrong > wrongpass.txt && echo secret > pass.txt)
bad "does not decrypt it" --tls-cert server.pem --tls-key enc.key --tls-key-passphrase-file wrongpass.txt
bad "empty passphrase" --tls-cert server.pem --tls-key enc.key --tls-key-passphrase-file /dev/null
bad "not P-256 or P-384" --tls-cert p521.pem --tls-key p521.key
bad "no PEM CERTIFICATE" --tls-cert server.key --tls-key server.key
bad "need --client-ca" --tls-cert server.pem --tls-key server.key --admin-cert-sha256 "$admin1_fp"
bad "not 32 bytes of hex" --tls-cert server.pem --tls-key server.key --client-ca clientca.pem --admin-cert-sha256 abc
bad "HTTPS needs" --client-ca clientca.pem
crl_gen clientca clientca.crl
bad "needs --client-ca" --tls-cert server.pem --tls-key server.key --client-crl clientca.crl
bad "not signed by a certificate of --client-ca" --tls-cert server.pem --tls-key server.key --client-ca clientca.pem \
  --client-crl clientca.crl --client-crl foreign.crl
bad "no PEM X509 CRL" --tls-cert server.pem --tls-key server.key --client-ca clientca.pem --client-crl clientca.pem

# An encrypted key (the same key as server.key) with its passphrase file: served, and the handshake works.
e2e_serve encserve "$verifier" serve --listen 127.0.0.1:0 --db "$E2E_DSN" --tls-cert server-chain.pem \
  --tls-key enc.key --tls-key-passphrase-file pass.txt
[ "$(tcurl -o /dev/null -w '%{http_code}' "$E2E_URL/healthz")" = 200 ] || e2e_fail "HTTPS with an encrypted key"
e2e_stop "$E2E_LAST_PID"
echo "e2e TLS: HTTPS issue, revoke by admin cert / admin CA / token, 9 refusals, CLI --cacert/--cert, OCSP GET with '/', s_client, plain HTTP, client CRLs (revoked 401, reload, keep-alive, bad file), verifier, 13 bad flags, encrypted key: ok"
