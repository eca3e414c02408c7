#!/usr/bin/env bash
# test_replay.sh — `teecert replay` end to end (docs/collateral.md "Replay"): a CA on sim PKIs (TDX, SNP,
# NVIDIA) whose --collateral folders are imported into the collateral store, certificates issued (TDX with
# `teecert request`, SNP + 2 GPUs over HTTP), the root (teecert-ca init) and a sub-CA (enroll), then replay ->
# identical; the replay data altered in this
# throwaway database -> missing (exit 3, naming what) or differs (exit 2, naming the field).
set -euo pipefail
teecert="$(readlink -f "$1")"; ca="$(readlink -f "$2")"
source "$TEECERT_SOURCE_DIR/tests/e2e/lib/e2e_ca.sh"
e2e_init replay
cd "$E2E_DIR"
dsn="$E2E_DSN"
sql() { e2e_sql "$1"; }
fail() { e2e_fail "$@"; }
# run WANT_EXIT CMD...: output in out, errors in err
run() { local want=$1; shift; set +e; "$@" >out 2>err; local got=$?; set -e
  [ "$got" = "$want" ] || fail "$* exited $got, want $want: $(cat out err)"; }

e2e_root "$teecert" "$ca" root1
# The root's own appraisal, before any service ran: teecert-ca init imported its folder into the store and
# kept the policy and the sim root anchor, so the root certificate replays on its own.
root_serial="$(openssl x509 -in root.pem -noout -serial | sed 's/^serial=//' | tr 'A-F' 'a-f')"
[ "$(sql "SELECT count(*) FROM appraisals WHERE serial = decode('$root_serial','hex')")" = 1 ] || fail "root appraisal row"
[ "$(sql "SELECT count(*) FROM collateral_history WHERE kind = 'anchor' AND item_key = 'intel_root'")" = 1 ] ||
  fail "root anchor in history: $(sql "SELECT vendor, kind, item_key FROM collateral_history")"
[ "$(sql "SELECT count(*) FROM policies")" = 1 ] || fail "root policy row"
run 0 "$teecert" replay "$root_serial" --db "$dsn"
grep -qx identical out || fail "root replay: $(cat out err)"
"$teecert" sim snp --init snp --rsa-bits 2048 >/dev/null
"$teecert" sim nvidia --init nv >/dev/null
e2e_serve serve "$ca" serve --listen 127.0.0.1:0 --db "$dsn" --ca-key root.key --passphrase-file pass \
  --ca-cert root.pem --collateral pki/collateral --trust-anchor intel_root=pki/intel_root.pem \
  --collateral snp/collateral-milan --trust-anchor amd_ark=snp/amd_ark_milan.pem --collateral nv/collateral \
  --trust-anchor nvidia_device_root=nv/nvidia_device_root.pem --trust-anchor nvidia_rim_root=nv/nvidia_rim_root.pem \
  --policy <(echo '{"allow_simulated": true}') --collateral-offline
url="$E2E_URL"
for _ in $(seq 50); do grep -q "imported into the store" serve.err && break; sleep 0.1; done
grep -q "item(s) imported into the store, 0 refused" serve.err || fail "import: $(cat serve.err)"
# The folders are in the store (verified with the sim anchors), with their history, anchors and the policy.
[ "$(sql "SELECT count(*) FROM collateral_items WHERE kind IN ('tcb_info','qe_identity','pck_crl','root_ca_crl')")" = 4 ] ||
  fail "intel items: $(sql "SELECT kind, item_key FROM collateral_items")"
[ "$(sql "SELECT count(*) FROM collateral_items WHERE kind = 'rim'")" = 2 ] || fail "rims"
[ "$(sql "SELECT count(*) FROM collateral_history WHERE kind = 'anchor'")" = 4 ] || fail "anchors in history"
[ "$(sql "SELECT count(*) FROM policies")" -ge 1 ] || fail "policy row"

# TDX
run 0 "$teecert" request cvm --ca "$url" --out cvm --sim pki
serial="$(sed -n 's/^issued cvm certificate serial \([0-9a-f]*\) .*/\1/p' out)"; [ -n "$serial" ] || fail "serial"
run 0 "$teecert" replay "$serial" --db "$dsn"
grep -qx identical out || fail "TDX replay: $(cat out)"
[ "$(sql "SELECT evidence_type FROM appraisals WHERE serial = decode('$serial','hex')")" = tdx_quote ] || fail "type"

# SNP + 2 GPUs (evidence stored as a CMW collection)
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out g.key 2>/dev/null
nonce="$(curl -sf -X POST "$url/v1/challenges" | jq -r .nonce)"
openssl req -new -key g.key -subj "/CN=gpu-cvm" -out g.csr 2>/dev/null
openssl pkey -in g.key -pubout -outform DER -out g.spki
{ printf 'teecert/v1'; openssl dgst -sha256 -binary g.spki; echo -n "$nonce" | xxd -r -p; } > g.bind
{ printf 'teecert/gpu/v1'; openssl dgst -sha256 -binary g.spki; echo -n "$nonce" | xxd -r -p; } > g.gbind
rd="$(openssl dgst -sha512 -binary g.bind | xxd -p -c 256)"; gn="$(openssl dgst -sha256 -binary g.gbind | xxd -p -c 256)"
"$teecert" sim snp --pki snp --report-data "$rd" --out g.report --vcek-out g.vcek.pem >/dev/null
"$teecert" sim nvidia --pki nv --nonce "$gn" --gpus 2 --out g.gpu >/dev/null
jq -n --rawfile csr g.csr --arg nonce "$nonce" --arg r "$(base64 -w0 g.report)" --arg v "$(base64 -w0 g.vcek.pem)" \
  --arg s0 "$(base64 -w0 g.gpu_gpu0_spdm.bin)" --arg s1 "$(base64 -w0 g.gpu_gpu1_spdm.bin)" \
  --rawfile c0 g.gpu_gpu0_certchain.pem --rawfile c1 g.gpu_gpu1_certchain.pem \
  '{kind: "cvm", csr: $csr, nonce: $nonce, evidence: {tee: "snp", report: $r, vcek: $v},
    gpu_evidence: [{spdm: $s0, cert_chain: $c0}, {spdm: $s1, cert_chain: $c1}]}' > g.json
code="$(curl -s -o resp -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @g.json "$url/v1/certificates")"
[ "$code" = 201 ] || fail "SNP+GPU issue: $code $(cat resp)"
gserial="$(jq -r .serial resp)"
jq -e '[.appraisal.collateral_digests[].role] | (index("driver_rim") != null and index("vbios_rim") != null and
       index("ark_ask_chain") != null)' resp >/dev/null || fail "resolved roles: $(jq -c .appraisal.collateral_digests resp)"
run 0 "$teecert" replay "$gserial" --db "$dsn"
grep -qx identical out || fail "SNP+GPU replay: $(cat out)"
[ "$(sql "SELECT evidence_type FROM appraisals WHERE serial = decode('$gserial','hex')")" = cmw ] || fail "cmw"

# A sub-CA's own appraisal (by the serving root, through the collateral service).
"$ca" enroll --parent "$url" --name sub1 --key-out sub1.key --passphrase-file pass --cert-out sub1.pem --db "$dsn" \
  --sim-pki pki >enroll.out 2>&1 || fail "enroll: $(cat enroll.out)"
sub_serial="$(openssl x509 -in sub1.pem -noout -serial | sed 's/^serial=//' | tr 'A-F' 'a-f')"
run 0 "$teecert" replay "$sub_serial" --db "$dsn"
grep -qx identical out || fail "sub-CA replay: $(cat out err)"
run 0 "$teecert" replay "$root_serial" --db "$dsn"
grep -qx identical out || fail "root replay after serve: $(cat out err)"

# Negatives.
run 1 "$teecert" replay zz --db "$dsn"
run 3 "$teecert" replay 0102030405 --db "$dsn"
grep -q "no appraisal is stored" err || fail "unknown serial: $(cat err)"
# A policy row altered: no stored policy gives the recorded digest.
sql "ALTER TABLE policies DISABLE TRIGGER policies_append_only;
     UPDATE policies SET canonical = replace(canonical, '\"allow_debug\":false', '\"allow_debug\":true')"
run 3 "$teecert" replay "$serial" --db "$dsn"
grep -q "altered" err && grep -q "no stored policy gives the recorded policy digest" err || fail "policy: $(cat err)"
sql "UPDATE policies SET canonical = replace(canonical, '\"allow_debug\":true', '\"allow_debug\":false')"
run 0 "$teecert" replay "$serial" --db "$dsn"
# A history row deleted: the TCB info the appraisal used is gone.
sql "ALTER TABLE collateral_history DISABLE TRIGGER collateral_history_append_only;
     DELETE FROM collateral_history WHERE kind = 'tcb_info'"
run 3 "$teecert" replay "$serial" --db "$dsn"
grep -q "missing: tcb_info (sha256 [0-9a-f]*) is not in collateral_history" err || fail "history: $(cat err)"
# The stored appraisal altered: replay names the field that differs.
sql "ALTER TABLE appraisals DISABLE TRIGGER appraisals_append_only;
     UPDATE appraisals SET appraisal = jsonb_set(appraisal, '{devices,1,claims,driver_version}', '\"1.2.3\"')
     WHERE serial = decode('$gserial','hex')"
run 2 "$teecert" replay "$gserial" --db "$dsn"
grep -q "^differs: gpu0.claims" out || fail "differs: $(cat out)"
echo "replay: TDX, SNP+2 GPUs, root and sub-CA identical; altered policy, deleted history row, altered appraisal detected"
