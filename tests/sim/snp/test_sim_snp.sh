#!/bin/bash
# test_sim_snp.sh TEECERT WORKDIR — the SEV-SNP simulator through the CLI:
#  1. `teecert sim snp --init` makes a sim PKI (keys/ 0700, key files 0600, ARKs marked simulated);
#  2. `teecert sim snp --cases` writes the conformance set; `teecert conformance` must pass all of it,
#     and the set must hold every SNP failure code the simulator promises;
#  3. an emitted report verifies with allow_simulated (exit 0) and is rejected without it, and with the
#     built-in (real AMD) ARK (exit 2, cert_chain_invalid).
set -euo pipefail

teecert=$1
work=$2
bits=${TC_SIM_SNP_RSA_BITS:-4096}
rm -rf "$work"
mkdir -p "$work"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# 1. PKI
start=$(date +%s)
"$teecert" sim snp --init "$work/pki" --rsa-bits "$bits"
echo "sim snp --init (RSA-$bits): $(($(date +%s) - start)) s"
[ "$(stat -c %a "$work/pki/keys")" = 700 ] || fail "keys/ is not 0700"
for k in "$work"/pki/keys/*.pem; do
	[ "$(stat -c %a "$k")" = 600 ] || fail "$k is not 0600"
done
[ "$(ls "$work"/pki/keys/*.pem | wc -l)" = 9 ] || fail "expected 9 private keys"
for p in milan genoa turin; do
	for f in amd_ark_$p.pem collateral-$p/ark_ask_chain.pem collateral-$p/amd_crl.der \
		collateral-$p-vlek/ark_ask_chain.pem collateral-$p-vlek/amd_crl.der; do
		[ -s "$work/pki/$f" ] || fail "missing $f"
	done
done

# 2. conformance set
"$teecert" sim snp --pki "$work/pki" --cases "$work/out"
n=$(ls "$work"/out/cases/*.json | wc -l)
[ "$n" -ge 50 ] || fail "only $n cases"
out=$("$teecert" conformance "$work/out/cases") || { echo "$out"; fail "conformance run failed"; }
last=$(echo "$out" | tail -n 1)
echo "$last"
[ "$last" = "$n passed, 0 failed" ] || { echo "$out"; fail "expected '$n passed, 0 failed'"; }
for code in evidence_malformed evidence_unsupported_version cert_chain_invalid cert_expired cert_revoked \
	evidence_signature_invalid nonce_mismatch collateral_missing collateral_signature_invalid \
	collateral_expired tcb_mismatch tcb_status_rejected product_mismatch measurement_mismatch \
	debug_not_allowed policy_violation; do
	grep -Eq "\"failure\": *\"$code\"" "$work"/out/cases/*.json || fail "no case expects $code"
done
grep -Eq '"verdict": *"accepted"' "$work"/out/cases/*.json || fail "no accepted case"

# 3. one report through teecert verify
rd=$(printf 'ab%.0s' $(seq 64))
"$teecert" sim snp --pki "$work/pki" --product genoa --version 3 --report-data "$rd" \
	--out "$work/r.bin" --vcek-out "$work/r.vcek.pem"
[ "$(stat -c %s "$work/r.bin")" = 1184 ] || fail "report is not 1184 bytes"
echo '{"allow_simulated": true}' > "$work/allow.json"
echo "{\"allow_simulated\": true, \"expected_report_data\": \"$rd\"}" > "$work/allow_rd.json"
verify() {
	"$teecert" verify --tee snp --evidence "$work/r.bin" --vcek "$work/r.vcek.pem" "$@"
}
verify --collateral "$work/pki/collateral-genoa" --trust-anchor "$work/pki/amd_ark_genoa.pem" \
	--policy "$work/allow_rd.json" > "$work/accepted.json" || fail "sim report not accepted"
grep -q '"simulated": true' "$work/accepted.json" || fail "device not marked simulated"
rc=0
verify --collateral "$work/pki/collateral-genoa" --trust-anchor "$work/pki/amd_ark_genoa.pem" \
	> "$work/no_allow.json" || rc=$?
[ "$rc" = 2 ] && grep -q '"failure": "cert_chain_invalid"' "$work/no_allow.json" ||
	fail "without allow_simulated: exit $rc, expected 2 and cert_chain_invalid"
rc=0
verify --collateral "$work/pki/collateral-genoa" --product Genoa --policy "$work/allow.json" \
	> "$work/builtin.json" || rc=$?
[ "$rc" = 2 ] && grep -q '"failure": "cert_chain_invalid"' "$work/builtin.json" ||
	fail "with the built-in ARK: exit $rc, expected 2 and cert_chain_invalid"
echo "sim snp: PKI, $n cases and teecert verify OK"
rm -rf "$work"
