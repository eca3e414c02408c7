#!/usr/bin/env bash
# test_e2e_ca.sh — the CA service end to end with real processes (docs/ca-service.md):
# sim TDX PKI -> migrate -> init (untrusted, sim evidence) -> serve on 127.0.0.1:0 -> challenge -> openssl key +
# CSR -> report_data computed with openssl dgst -> sim quote -> POST /v1/certificates -> openssl verify ->
# teecert cert show -> SNP + 2 sim GPUs (gpu_nonce binding) -> workload certificates bound to CVM certificates
# (same hardware, workload_info_hash) -> two sub-CAs enroll and serve at once (TDX CVM + workload via sub1,
# SNP + 2 GPU CVM via sub2; each reply's chain reaches the root; revoke at sub1: OCSP and its CRL) ->
# revoke at the root (admin token) -> openssl ocsp says revoked, the CRL lists it, a workload on the revoked
# CVM cert is refused. Expired Idempotency-Keys are not honoured and are purged. Negatives check the
# stable error code and that nothing was stored.
set -euo pipefail
teecert="$(readlink -f "$1")"; ca="$(readlink -f "$2")"
# shellcheck source=../lib/e2e_ca.sh
source "$TEECERT_SOURCE_DIR/tests/e2e/lib/e2e_ca.sh"
e2e_init ca
cd "$E2E_DIR"

"$teecert" sim tdx --init pki >/dev/null
"$teecert" sim snp --init snp --rsa-bits 2048 >/dev/null
"$teecert" sim nvidia --init nv >/dev/null
"$ca" migrate --db "$E2E_DSN" >/dev/null
printf 'correct horse battery staple\n' > pass; chmod 600 pass
printf 'admin-token-0123456789abcdef\n' > token; chmod 600 token

# A trusted network refuses simulated evidence, before any key is made.
if "$ca" init --name trusted1 --network trusted --key-out t.key --passphrase-file pass --cert-out t.pem \
     --db "$E2E_DSN" --sim-pki pki 2>err; then e2e_fail "trusted init with sim evidence succeeded"; fi
grep -q evidence_refused err || e2e_fail "trusted init: $(cat err)"
[ ! -e t.key ] || e2e_fail "trusted init left a key"

"$ca" init --name root1 --network untrusted --key-out root.key --passphrase-file pass --cert-out root.pem \
  --db "$E2E_DSN" --sim-pki pki
openssl verify -CAfile root.pem root.pem >/dev/null || e2e_fail "root does not verify"
openssl x509 -in root.pem -noout -text | grep -q "2.23.133.5.4.9" || e2e_fail "root has no evidence extension"
[ "$(e2e_sql "SELECT count(*) FROM cas WHERE name='root1' AND network='untrusted'")" = 1 ] || e2e_fail "cas row"
[ "$(e2e_sql "SELECT count(*) FROM certificates WHERE kind='root'")" = 1 ] || e2e_fail "root certificate row"

# An Idempotency-Key older than its lifetime (24 h): serve purges it with its first issuance.
e2e_sql "INSERT INTO idempotency_keys (key, request_hash, status, response, created_at)
     VALUES ('stale-key', sha256('x'::bytea), 201, '{}', now() - interval '25 hours')" >/dev/null
# --collateral-offline: the imported folders are all the collateral there is (no vendor fetches in tests).
e2e_serve serve "$ca" serve --listen 127.0.0.1:0 --db "$E2E_DSN" --ca-key root.key --passphrase-file pass --ca-cert root.pem \
  --collateral pki/collateral --trust-anchor intel_root=pki/intel_root.pem \
  --collateral snp/collateral-milan --trust-anchor amd_ark=snp/amd_ark_milan.pem --collateral nv/collateral \
  --trust-anchor nvidia_device_root=nv/nvidia_device_root.pem --trust-anchor nvidia_rim_root=nv/nvidia_rim_root.pem \
  --policy <(echo '{"allow_simulated": true}') \
  --admin-token-file token --public-url http://127.0.0.1:1 --collateral-offline
url="$E2E_URL"

# curl helper: body in $1 (file), prints the status; response in resp
post() { curl -s -o resp -w '%{http_code}' -H 'Content-Type: application/json' "${@:2}" --data-binary @"$1" "$url/v1/certificates"; }
code_of() { jq -r .code resp; }
challenge() { curl -sf -X POST "$url/v1/challenges" | jq -r .nonce; }
n_certs() { e2e_sql "SELECT (SELECT count(*) FROM certificates) || '/' || (SELECT size FROM log_state)"; }

# Key, CSR, binding (report_data = SHA-512("teecert/v1" || SHA-256(SPKI DER) || nonce)), quote, request body.
mkreq() { # $1 key $2 nonce $3 out.json [extra sim flags...]
  local key=$1 nonce=$2 out=$3; shift 3
  openssl req -new -key "$key" -subj "/CN=cvm1" -addext "subjectAltName=DNS:cvm1.example" -out "$out.csr" 2>/dev/null
  openssl pkey -in "$key" -pubout -outform DER -out "$out.spki"
  { printf 'teecert/v1'; openssl dgst -sha256 -binary "$out.spki"; echo -n "$nonce" | xxd -r -p; } > "$out.bind"
  local rd; rd="$(openssl dgst -sha512 -binary "$out.bind" | xxd -p -c 256)"
  "$teecert" sim tdx --pki pki --report-data "$rd" --out "$out.quote" "$@" >/dev/null
  jq -n --rawfile csr "$out.csr" --arg nonce "$nonce" --arg q "$(base64 -w0 "$out.quote")" \
    '{kind: "cvm", csr: $csr, nonce: $nonce, evidence: {tee: "tdx", quote: $q}}' > "$out"
}
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out cvm.key 2>/dev/null

before="$(n_certs)"
mkreq cvm.key "$(challenge)" req.json
[ "$(post req.json -H 'Idempotency-Key: k1')" = 201 ] || e2e_fail "issue: $(cat resp)"
jq -r .certificate resp > cvm.pem
jq -r '.chain[0]' resp > chain.pem
serial="$(jq -r .serial resp)"
[ "$(jq -r .appraisal.verdict resp)" = accepted ] || e2e_fail "appraisal in response"
[ "$(jq -r .log_index resp)" -ge 1 ] || e2e_fail "log_index"
openssl verify -CAfile root.pem cvm.pem || e2e_fail "openssl verify cvm"
cmp -s <(openssl x509 -in chain.pem -outform DER) <(openssl x509 -in root.pem -outform DER) || e2e_fail "chain"
openssl x509 -in cvm.pem -noout -text | grep -q "OCSP - URI:http://127.0.0.1:1/v1/ocsp" || e2e_fail "AIA"
[ "$(e2e_sql "SELECT count(*) FROM appraisals WHERE serial = decode('$serial','hex')")" = 1 ] || e2e_fail "appraisal row"
# teecert cert show: standard fields and the teecert extensions decoded.
"$teecert" cert show cvm.pem --json > show.json || e2e_fail "cert show"
[ "$(jq -r .serial show.json)" = "$serial" ] || e2e_fail "cert show serial: $(cat show.json)"
jq -e '.subject == "CN=cvm1" and .ca == false and (.subject_alt_names | index("DNS:cvm1.example")) and
       .teecert.appraisal.verdict == "accepted" and .teecert.role == "cvm" and .teecert.network == "untrusted" and
       (.teecert.log_entry.seq >= 1) and (.teecert.hardware_identity | length >= 1)' show.json >/dev/null ||
  e2e_fail "cert show fields: $(cat show.json)"
"$teecert" cert show root.pem | grep -Eq '^  role +root$' || e2e_fail "cert show text: $("$teecert" cert show root.pem)"
if "$teecert" cert show cvm.key 2>/dev/null; then e2e_fail "cert show accepted a key file"; fi
# Idempotency: same key + same body -> same response; same key + other body -> 409.
cp resp first
[ "$(post req.json -H 'Idempotency-Key: k1')" = 201 ] || e2e_fail "idempotent replay: $(cat resp)"
[ "$(jq -r .serial resp)" = "$serial" ] || e2e_fail "replay gave another certificate"
mkreq cvm.key "$(challenge)" req2.json
[ "$(post req2.json -H 'Idempotency-Key: k1')" = 409 ] && [ "$(code_of)" = idempotency_conflict ] || e2e_fail "idem conflict: $(cat resp)"
[ "$(e2e_sql "SELECT count(*) FROM idempotency_keys WHERE key = 'stale-key'")" = 0 ] || e2e_fail "expired key not purged"
# Once k1 is older than 24 h it is not honoured: the other body gets its own certificate under k1.
e2e_sql "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'k1'" >/dev/null
[ "$(post req2.json -H 'Idempotency-Key: k1')" = 201 ] || e2e_fail "expired idempotency key: $(cat resp)"
serial2="$(jq -r .serial resp)"; [ "$serial2" != "$serial" ] || e2e_fail "expired key replayed the old certificate"
[ "$(post req2.json -H 'Idempotency-Key: k1')" = 201 ] && [ "$(jq -r .serial resp)" = "$serial2" ] ||
  e2e_fail "k1 not honoured again after reuse: $(cat resp)"
after="$(n_certs)"

# Negatives: code and nothing stored.
neg() { # $1 expected status $2 expected code $3 body file [curl args]
  local want=$1 code=$2 body=$3; shift 3
  local got; got="$(post "$body" "$@")"
  [ "$got" = "$want" ] && [ "$(code_of)" = "$code" ] || e2e_fail "want $want $code, got $got $(cat resp)"
  jq -e '.hint and .detail and .request_id' resp >/dev/null || e2e_fail "error shape: $(cat resp)"
  [ "$(n_certs)" = "$after" ] || e2e_fail "$code stored something"
}
neg 400 challenge_used req.json                                   # replayed nonce
mkreq cvm.key "$(openssl rand -hex 32)" unk.json; neg 400 challenge_not_found unk.json
n="$(challenge)"; mkreq cvm.key "$n" mis.json --wrong-report-data; neg 422 nonce_mismatch mis.json
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out other.key 2>/dev/null
jq --rawfile csr <(openssl req -new -key other.key -subj /CN=x 2>/dev/null) '.csr = $csr' req2.json > swap.json
neg 422 nonce_mismatch swap.json                                  # report data does not bind the CSR key
mkreq cvm.key "$(challenge)" dbg.json --debug; neg 422 debug_not_allowed dbg.json
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out weak.key 2>/dev/null
mkreq weak.key "$(challenge)" weak.json; neg 400 key_weak weak.json
# CSR with a broken signature: flip a byte inside the signature BIT STRING (the last bytes of the DER).
openssl req -in req.json.csr -outform DER -out bad.der
python3 - <<'PY'
d = bytearray(open("bad.der", "rb").read()); d[-3] ^= 0x01; open("bad.der", "wb").write(bytes(d))
PY
jq --rawfile csr <(openssl req -inform DER -in bad.der 2>/dev/null || { echo "-----BEGIN CERTIFICATE REQUEST-----"; base64 -w64 bad.der; echo "-----END CERTIFICATE REQUEST-----"; }) '.csr = $csr' req2.json > badsig.json
neg 400 csr_signature_invalid badsig.json
printf '{"kind": "cvm", "csr": ' > malformed.json; neg 400 json_malformed malformed.json
head -c 300000 /dev/zero | tr '\0' 'a' | jq -Rs '{kind: "cvm", csr: .}' > big.json; neg 413 body_too_large big.json

# SNP + 2 GPUs: report_data binds key and nonce; each GPU answers gpu_nonce =
# SHA-256("teecert/gpu/v1" || SHA-256(SPKI) || nonce).
mksnp() { # $1 key $2 nonce $3 out.json [extra sim nvidia flags...]
  local key=$1 nonce=$2 out=$3; shift 3
  openssl req -new -key "$key" -subj "/CN=gpu-cvm" -out "$out.csr" 2>/dev/null
  openssl pkey -in "$key" -pubout -outform DER -out "$out.spki"
  { printf 'teecert/v1'; openssl dgst -sha256 -binary "$out.spki"; echo -n "$nonce" | xxd -r -p; } > "$out.bind"
  { printf 'teecert/gpu/v1'; openssl dgst -sha256 -binary "$out.spki"; echo -n "$nonce" | xxd -r -p; } > "$out.gbind"
  local rd gn; rd="$(openssl dgst -sha512 -binary "$out.bind" | xxd -p -c 256)"
  gn="$(openssl dgst -sha256 -binary "$out.gbind" | xxd -p -c 256)"
  "$teecert" sim snp --pki snp --report-data "$rd" --out "$out.report" --vcek-out "$out.vcek.pem" >/dev/null
  "$teecert" sim nvidia --pki nv --nonce "$gn" --gpus 2 --out "$out.gpu" "$@" >/dev/null
  jq -n --rawfile csr "$out.csr" --arg nonce "$nonce" --arg r "$(base64 -w0 "$out.report")" \
    --arg v "$(base64 -w0 "$out.vcek.pem")" --arg s0 "$(base64 -w0 "${out}.gpu_gpu0_spdm.bin")" \
    --arg s1 "$(base64 -w0 "${out}.gpu_gpu1_spdm.bin")" --rawfile c0 "${out}.gpu_gpu0_certchain.pem" \
    --rawfile c1 "${out}.gpu_gpu1_certchain.pem" \
    '{kind: "cvm", csr: $csr, nonce: $nonce, evidence: {tee: "snp", report: $r, vcek: $v},
      gpu_evidence: [{spdm: $s0, cert_chain: $c0}, {spdm: $s1, cert_chain: $c1}]}' > "$out"
}
mksnp cvm.key "$(challenge)" gpu.json
[ "$(post gpu.json)" = 201 ] || e2e_fail "SNP+GPU issue: $(cat resp)"
jq -r .certificate resp > gpu-cvm.pem
openssl verify -CAfile root.pem gpu-cvm.pem || e2e_fail "openssl verify SNP+GPU cvm"
[ "$(jq -r '[.appraisal.devices[].id] | join(",")' resp)" = "cpu0,gpu0,gpu1" ] || e2e_fail "devices: $(jq -c .appraisal resp)"
"$teecert" cert show gpu-cvm.pem --json | jq -e '[.teecert.appraisal.devices[].tee] == ["snp","nvidia","nvidia"] and
  ([.teecert.evidence[].role] | sort) == ["gpu0.cert_chain","gpu0.spdm","gpu1.cert_chain","gpu1.spdm","snp_report","vcek"]' \
  >/dev/null || e2e_fail "SNP+GPU extensions: $("$teecert" cert show gpu-cvm.pem --json)"
after="$(n_certs)"
mksnp cvm.key "$(challenge)" gpuwrong.json --wrong-nonce; neg 422 nonce_mismatch gpuwrong.json
mksnp cvm.key "$(challenge)" gpubad.json --bad-sig; neg 422 evidence_signature_invalid gpubad.json

# Workload certificates: bound to a CVM certificate of this CA, from the same hardware, with
# report_data = SHA-512("teecert/v1" || SHA-256(SPKI) || nonce || SHA-256(JCS(workload_info))).
# jq -cS equals RFC 8785 for this info (ASCII strings, integers).
jq -n '{runtime_info: [{type: "oci", hash: {algo: "sha256", value: "ab12"}, size: 42}], created_at: "2026-01-01T00:00:00Z", order_id: "o-1"}' > wi.json
mkwl() { # $1 key $2 nonce $3 cvm cert $4 out.json $5 tee (tdx|snp) [extra sim flags...]
  local key=$1 nonce=$2 cvm=$3 out=$4 tee=$5; shift 5
  openssl req -new -key "$key" -subj "/CN=job1" -out "$out.csr" 2>/dev/null
  openssl pkey -in "$key" -pubout -outform DER -out "$out.spki"
  { printf 'teecert/v1'; openssl dgst -sha256 -binary "$out.spki"; echo -n "$nonce" | xxd -r -p
    jq -cSj . wi.json | openssl dgst -sha256 -binary; } > "$out.bind"
  local rd; rd="$(openssl dgst -sha512 -binary "$out.bind" | xxd -p -c 256)"
  if [ "$tee" = tdx ]; then
    "$teecert" sim tdx --pki pki --report-data "$rd" --out "$out.ev" "$@" >/dev/null
    jq -n --arg q "$(base64 -w0 "$out.ev")" '{tee: "tdx", quote: $q}' > "$out.evj"
  else
    "$teecert" sim snp --pki snp --report-data "$rd" --out "$out.ev" --vcek-out "$out.vcek.pem" "$@" >/dev/null
    jq -n --arg r "$(base64 -w0 "$out.ev")" --arg v "$(base64 -w0 "$out.vcek.pem")" '{tee: "snp", report: $r, vcek: $v}' > "$out.evj"
  fi
  jq -n --rawfile csr "$out.csr" --arg nonce "$nonce" --slurpfile ev "$out.evj" --slurpfile wi wi.json \
    --rawfile cvm "$cvm" '{kind: "workload", csr: $csr, nonce: $nonce, evidence: $ev[0], workload_info: $wi[0], cvm_certificate: $cvm}' > "$out"
}
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out wl.key 2>/dev/null
mkwl wl.key "$(challenge)" cvm.pem wl.json tdx
[ "$(post wl.json)" = 201 ] || e2e_fail "workload issue: $(cat resp)"
[ "$(jq -r .kind resp)" = workload ] || e2e_fail "workload kind: $(cat resp)"
jq -r .certificate resp > wl.pem; wl_serial="$(jq -r .serial resp)"
openssl verify -CAfile root.pem wl.pem || e2e_fail "openssl verify workload"
[ "$(date -d "$(openssl x509 -in wl.pem -noout -enddate | cut -d= -f2)" +%s)" -le \
  "$(date -d "$(openssl x509 -in cvm.pem -noout -enddate | cut -d= -f2)" +%s)" ] || e2e_fail "workload outlives its CVM certificate"
wlh="$(jq -cSj . wi.json | openssl dgst -sha256 -binary | xxd -p -c 64)"
"$teecert" cert show wl.pem --json | jq -e --arg h "$wlh" '.teecert.role == "workload" and .teecert.workload_info_hash == $h' \
  >/dev/null || e2e_fail "workload extensions: $("$teecert" cert show wl.pem --json)"
[ "$(e2e_sql "SELECT encode(parent_cvm_serial,'hex') || '/' || encode(workload_info_hash,'hex') FROM certificates WHERE serial = decode('$wl_serial','hex')")" = "$serial/$wlh" ] ||
  e2e_fail "workload row"
after="$(n_certs)"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout foreign.key -subj "/CN=root1/O=teecert" \
  -days 2 -out foreign.pem 2>/dev/null
mkwl wl.key "$(challenge)" foreign.pem wlf.json tdx; neg 422 cvm_certificate_invalid wlf.json   # foreign CVM cert
mkwl wl.key "$(challenge)" root.pem wlr.json tdx; neg 422 cvm_certificate_invalid wlr.json      # not a cvm cert
mkwl wl.key "$(challenge)" cvm.pem wls.json snp; neg 422 hardware_mismatch wls.json             # SNP vs the TDX CVM
mkwl wl.key "$(challenge)" gpu-cvm.pem wlc.json snp --chip-id "$(openssl rand -hex 64)"
neg 422 hardware_mismatch wlc.json                                                               # another SNP chip
mkwl wl.key "$(challenge)" gpu-cvm.pem wlok.json snp                                             # same chip: fine
[ "$(post wlok.json)" = 201 ] || e2e_fail "SNP workload issue: $(cat resp)"
after="$(n_certs)"

# Two sub-CAs: each enrolls under the root (challenge, its own key bound into sim evidence, subroot pathlen
# 0, cas row) and both serve at once against the same database. sub1 issues a TDX CVM certificate and a
# workload certificate under it, sub2 an SNP + 2 GPU CVM certificate; each reply's chain runs up to the root,
# so openssl needs only the root as trust anchor. Then sub1 revokes its workload certificate: its OCSP
# responder says revoked and its CRL lists it.
for s in sub1 sub2; do
  "$ca" enroll --parent "$url" --name "$s" --key-out "$s.key" --passphrase-file pass --cert-out "$s.pem" --db "$E2E_DSN" \
    --sim-pki pki >"enroll-$s.out" || e2e_fail "enroll $s: $(cat "enroll-$s.out")"
  openssl verify -CAfile root.pem "$s.pem" || e2e_fail "openssl verify $s.pem"
  openssl x509 -in "$s.pem" -noout -text | grep -q "CA:TRUE, pathlen:0" || e2e_fail "$s basicConstraints"
  "$teecert" cert show "$s.pem" --json | jq -e '.teecert.role == "subroot" and .teecert.appraisal.verdict == "accepted"' \
    >/dev/null || e2e_fail "$s extensions"
  [ "$(e2e_sql "SELECT count(*) FROM cas s JOIN cas r ON s.parent = r.id WHERE s.name = '$s' AND s.role = 'subroot' AND r.name = 'root1'")" = 1 ] ||
    e2e_fail "$s cas row"
done
cmp -s <(openssl pkey -in sub1.key -passin file:pass -pubout 2>/dev/null) <(openssl pkey -in sub2.key -passin file:pass -pubout 2>/dev/null) &&
  e2e_fail "the sub-CAs share a key"
[ "$(e2e_sql "SELECT count(*) FROM certificates c JOIN cas r ON c.ca = r.id WHERE c.kind = 'subroot' AND r.name = 'root1'")" = 2 ] ||
  e2e_fail "subroot certificate rows"
startsub() { # $1 name, then extra serve flags; sets subpid_<name>, suburl_<name>
  local s=$1; shift
  e2e_start "serve-$s" "$ca" serve --listen 127.0.0.1:0 --db "$E2E_DSN" --ca-key "$s.key" --passphrase-file pass \
    --ca-cert "$s.pem" --ca-name "$s" --policy <(echo '{"allow_simulated": true}') --admin-token-file token \
    --public-url http://127.0.0.1:1 --collateral-offline "$@"
  eval "subpid_$s=$E2E_LAST_PID"
  eval "suburl_$s=\"$(e2e_started "serve-$s.out")\""
}
startsub sub1 --collateral pki/collateral --trust-anchor intel_root=pki/intel_root.pem
startsub sub2 --collateral snp/collateral-milan --trust-anchor amd_ark=snp/amd_ark_milan.pem --collateral nv/collateral \
  --trust-anchor nvidia_device_root=nv/nvidia_device_root.pem --trust-anchor nvidia_rim_root=nv/nvidia_rim_root.pem
[ -n "$suburl_sub1" ] || e2e_fail "sub1 did not start: $(cat serve-sub1.err)"
[ -n "$suburl_sub2" ] || e2e_fail "sub2 did not start: $(cat serve-sub2.err)"
rooturl="$url"
# chain_of NAME: the reply's chain must be the sub-CA's certificate then the root's; written to NAME.chain.
chain_of() {
  [ "$(jq '.chain | length' resp)" = 2 ] || e2e_fail "$1 chain length: $(jq -c .chain resp)"
  cmp -s <(jq -r '.chain[0]' resp | openssl x509 -outform DER) <(openssl x509 -in "$2" -outform DER) || e2e_fail "$1 chain[0]"
  cmp -s <(jq -r '.chain[1]' resp | openssl x509 -outform DER) <(openssl x509 -in root.pem -outform DER) || e2e_fail "$1 chain[1]"
  jq -r '.chain[]' resp > "$1.chain"
}
url="$suburl_sub1"
mkreq cvm.key "$(challenge)" subreq.json
[ "$(post subreq.json)" = 201 ] || e2e_fail "sub1 issue: $(cat resp)"
jq -r .certificate resp > cvm-sub1.pem
chain_of cvm-sub1 sub1.pem
openssl verify -CAfile root.pem -untrusted cvm-sub1.chain cvm-sub1.pem || e2e_fail "openssl verify via sub1"
if openssl verify -CAfile root.pem cvm-sub1.pem >/dev/null 2>&1; then e2e_fail "verified without the sub-CA"; fi
url="$suburl_sub2"
mksnp cvm.key "$(challenge)" subgpu.json
[ "$(post subgpu.json)" = 201 ] || e2e_fail "sub2 SNP+GPU issue: $(cat resp)"
jq -r .certificate resp > gpu-sub2.pem
chain_of gpu-sub2 sub2.pem
openssl verify -CAfile root.pem -untrusted gpu-sub2.chain gpu-sub2.pem || e2e_fail "openssl verify via sub2"
[ "$(jq -r '[.appraisal.devices[].id] | join(",")' resp)" = "cpu0,gpu0,gpu1" ] || e2e_fail "sub2 devices: $(jq -c .appraisal resp)"
# sub2 cannot bind a workload to sub1's CVM certificate (another CA), sub1 can.
after="$(n_certs)"
mkwl wl.key "$(challenge)" cvm-sub1.pem wlx.json tdx; neg 422 cvm_certificate_invalid wlx.json
url="$suburl_sub1"
mkwl wl.key "$(challenge)" cvm-sub1.pem wlsub.json tdx
[ "$(post wlsub.json)" = 201 ] || e2e_fail "sub1 workload issue: $(cat resp)"
jq -r .certificate resp > wl-sub1.pem; wl_sub_serial="$(jq -r .serial resp)"
chain_of wl-sub1 sub1.pem
openssl verify -CAfile root.pem -untrusted wl-sub1.chain wl-sub1.pem || e2e_fail "openssl verify workload via sub1"
[ "$(e2e_sql "SELECT count(*) FROM certificates c JOIN cas s ON c.ca = s.id WHERE s.name = 'sub1' AND c.kind IN ('cvm','workload')")" = 2 ] ||
  e2e_fail "sub1 certificate rows"
[ "$(e2e_sql "SELECT count(*) FROM certificates c JOIN cas s ON c.ca = s.id WHERE s.name = 'sub2' AND c.kind = 'cvm'")" = 1 ] ||
  e2e_fail "sub2 certificate rows"
[ "$(curl -s -o resp -w '%{http_code}' -H "Authorization: Bearer $(cat token)" -H 'Content-Type: application/json' \
      --data '{"reason": "keyCompromise"}' "$url/v1/certificates/$wl_sub_serial/revoke")" = 200 ] || e2e_fail "sub1 revoke: $(cat resp)"
out="$(openssl ocsp -issuer sub1.pem -cert wl-sub1.pem -url "$url/v1/ocsp" -CAfile root.pem -VAfile sub1.pem 2>&1)" ||
  e2e_fail "sub1 ocsp: $out"
echo "$out" | grep -q "wl-sub1.pem: revoked" || e2e_fail "sub1 ocsp status: $out"
curl -sf "$url/v1/crl/sub1" -o sub1.crl
openssl crl -inform DER -in sub1.crl -noout -text | grep -qi "Serial Number: $wl_sub_serial" || e2e_fail "sub1 CRL does not list $wl_sub_serial"
openssl crl -inform DER -in sub1.crl -CAfile sub1.pem -noout 2>&1 | grep -q "verify OK" || e2e_fail "sub1 CRL signature"
# A sub-CA cannot make sub-CAs (pathlen 0, subroots come from a root only).
if "$ca" enroll --parent "$url" --name sub3 --key-out sub3.key --passphrase-file pass --cert-out sub3.pem \
     --db "$E2E_DSN" --sim-pki pki 2>enroll3.err; then e2e_fail "a sub-CA enrolled a sub-CA"; fi
grep -q profile_violation enroll3.err || e2e_fail "sub-CA enroll refusal: $(cat enroll3.err)"
[ ! -e sub3.key ] || e2e_fail "a refused enroll left its key"
[ "$(e2e_sql "SELECT count(*) FROM cas WHERE name = 'sub3'")" = 0 ] || e2e_fail "a refused enroll was recorded"
url="$rooturl"
e2e_stop "$subpid_sub1"; e2e_stop "$subpid_sub2"

# Concurrency (the group commit, docs/ca-service.md "Throughput"): 32 requests with the same nonce at once
# give exactly one 201; 8 retries of one body with one Idempotency-Key at once give one certificate; 24
# distinct requests at once all succeed, and the log stays gap-free with one entry per certificate.
fire() { # $1 body, $2 parallel copies, [curl args]: the statuses, one per line, in status_* files
  local body=$1 n=$2 pids=(); shift 2
  for i in $(seq "$n"); do
    curl -s -o "cresp.$i" -w '%{http_code}\n' -H 'Content-Type: application/json' "$@" --data-binary @"$body" \
      "$url/v1/certificates" > "cstatus.$i" &
    pids+=($!)
  done
  wait "${pids[@]}" # not a bare wait: the CA is a child too
}
before="$(e2e_sql "SELECT count(*) FROM certificates")"
mkreq cvm.key "$(challenge)" same.json
fire same.json 32
[ "$(cat cstatus.* | grep -c '^201$')" = 1 ] || e2e_fail "same nonce x32: $(sort cstatus.* | uniq -c | tr '\n' ' ')"
[ "$(grep -l '"challenge_used"' cresp.* | wc -l)" = 31 ] || e2e_fail "same nonce x32: the others are not challenge_used"
rm -f cstatus.* cresp.*
mkreq cvm.key "$(challenge)" idem.json
fire idem.json 8 -H 'Idempotency-Key: concurrent-1'
[ "$(cat cstatus.* | grep -c '^201$')" -ge 1 ] || e2e_fail "idempotent x8: $(sort cstatus.* | uniq -c | tr '\n' ' ')"
[ "$(for f in cresp.*; do jq -r '.serial // .code' "$f"; done | sort -u | grep -cv db_conflict)" = 1 ] ||
  e2e_fail "idempotent x8 gave different answers: $(for f in cresp.*; do jq -c '.serial // .code' "$f"; done | sort | uniq -c)"
rm -f cstatus.* cresp.*
for i in $(seq 24); do mkreq cvm.key "$(challenge)" "many$i.json"; done
cpids=()
for i in $(seq 24); do
  curl -s -o "cresp.$i" -w '%{http_code}\n' -H 'Content-Type: application/json' --data-binary @"many$i.json" \
    "$url/v1/certificates" > "cstatus.$i" &
  cpids+=($!)
done
wait "${cpids[@]}"
[ "$(cat cstatus.* | grep -c '^201$')" = 24 ] || e2e_fail "24 at once: $(sort cstatus.* | uniq -c | tr '\n' ' ')"
rm -f cstatus.* cresp.*
[ "$(e2e_sql "SELECT count(*) FROM certificates")" = "$((before + 26))" ] || e2e_fail "concurrent issuance stored $(e2e_sql "SELECT count(*) FROM certificates") - $before"
[ "$(e2e_sql "SELECT (SELECT size FROM log_state) = count(*) AND count(*) = max(seq) + 1 FROM log_entries")" = t ] || e2e_fail "log not gap-free"
[ "$(e2e_sql "SELECT count(*) FROM certificates c LEFT JOIN log_entries e ON e.seq = c.log_seq AND e.cert_sha256 = c.sha256 WHERE e.seq IS NULL")" = 0 ] ||
  e2e_fail "a certificate without its own log entry"
after="$(n_certs)"

# Revocation: admin only.
rv() { curl -s -o resp -w '%{http_code}' -H 'Content-Type: application/json' "$@" --data '{"reason": "keyCompromise"}' "$url/v1/certificates/$serial/revoke"; }
[ "$(rv)" = 401 ] && [ "$(code_of)" = unauthorized ] || e2e_fail "revoke without token: $(cat resp)"
[ "$(rv -H 'Authorization: Bearer wrong-token-0123456789')" = 403 ] && [ "$(code_of)" = forbidden ] || e2e_fail "wrong token"
[ "$(e2e_sql "SELECT count(*) FROM revocations WHERE serial = decode('$serial', 'hex')")" = 0 ] || e2e_fail "unauthorized revoke stored"
[ "$(rv -H "Authorization: Bearer $(cat token)")" = 200 ] || e2e_fail "revoke: $(cat resp)"
[ "$(rv -H "Authorization: Bearer $(cat token)")" = 409 ] || e2e_fail "second revoke"
mkwl wl.key "$(challenge)" cvm.pem wlrev.json tdx; after="$(n_certs)"; neg 422 cert_revoked wlrev.json  # revoked CVM cert

# OCSP (openssl POSTs application/ocsp-request) and the CRL.
out="$(openssl ocsp -issuer root.pem -cert cvm.pem -url "$url/v1/ocsp" -CAfile root.pem 2>&1)" || e2e_fail "ocsp: $out"
echo "$out" | grep -q "Response verify OK" || e2e_fail "ocsp verify: $out"
echo "$out" | grep -q "cvm.pem: revoked" || e2e_fail "ocsp status: $out"
curl -sf "$url/v1/crl/root1" -o root.crl
openssl crl -inform DER -in root.crl -noout -text | grep -qi "Serial Number: $serial" || e2e_fail "CRL does not list $serial"
openssl crl -inform DER -in root.crl -CAfile root.pem -noout 2>&1 | grep -q "verify OK" || e2e_fail "CRL signature"
openssl crl -inform DER -in root.crl -out root.crl.pem
openssl verify -crl_check -CRLfile root.crl.pem -CAfile root.pem cvm.pem >/dev/null 2>&1 && e2e_fail "revoked cert verified with CRL"
echo "e2e CA: issue (TDX; SNP + 2 GPUs; workload), two sub-CAs (enroll, serve at once, TDX / SNP + GPU / workload, revoke, OCSP, CRL), cert show, idempotency (+ expiry), 16 negatives, revoke, OCSP, CRL: ok"
