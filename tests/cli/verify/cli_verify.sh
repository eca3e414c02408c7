#!/usr/bin/env bash
# cli_verify.sh TEECERT — exercises `teecert verify|appraise|conformance` on the shared real evidence.
set -euo pipefail
teecert="$1"
ev="${TEECERT_SHARED:?}/evidence"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# expect CODE CMD... : run CMD, require exit CODE, keep stdout in $tmp/out
expect() {
	local want="$1" rc=0
	shift
	"$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	[ "$rc" = "$want" ] || { cat "$tmp/out" "$tmp/err" >&2; fail "exit $rc, wanted $want: $*"; }
}
field() { jq -r "$1" "$tmp/out"; }

# 1. TDX with a folder of role-named collateral files; the Intel root is pinned by default.
mkdir "$tmp/coll"
cp "$ev/tdx/phala_collateral_b0c06f000000_2025-06-19_tcb_info.json" "$tmp/coll/tcb_info.json"
cp "$ev/tdx/phala_collateral_b0c06f000000_2025-06-19_qe_identity.json" "$tmp/coll/qe_identity.json"
cp "$ev/tdx/intel_tcb_signing_chain_2025-2032.pem" "$tmp/coll/tcb_info_issuer_chain.pem"
cp "$ev/tdx/intel_tcb_signing_chain_2025-2032.pem" "$tmp/coll/qe_identity_issuer_chain.pem"
cp "$ev/tdx/phala_collateral_b0c06f000000_2025-06-19_pck_crl.der" "$tmp/coll/pck_crl.der"
cp "$ev/tdx/gotdx_pck_crl_issuer_chain.pem" "$tmp/coll/pck_crl_issuer_chain.pem"
cp "$ev/tdx/phala_collateral_root_ca_crl_2025-03-20.der" "$tmp/coll/root_ca_crl.der"
quote="$ev/tdx/phala_v4_quote_b0c06f000000_uptodate.dat"
expect 0 "$teecert" verify --tee tdx --evidence "$quote" --collateral "$tmp/coll" --at 2025-07-19T10:00:34Z
[ "$(field .verdict)" = accepted ] || fail "folder collateral not accepted"
[ "$(field '.devices[0].tcb_status')" = UpToDate ] || fail "tcb_status"
[ "$(field '.collateral_digests | length')" -ge 7 ] || fail "collateral digests missing"

# 2. The same collateral as the dcap-qvl QuoteCollateralV3 bundle gives the same decision and digests.
cp "$tmp/out" "$tmp/folder.json"
expect 0 "$teecert" verify --tee tdx --evidence "$quote" \
	--collateral "$ev/tdx/phala_collateral_b0c06f000000_2025-06-19.json" --at 2025-07-19T10:00:34Z
[ "$(field .verdict)" = accepted ] || fail "bundle not accepted"
[ "$(jq -c '[.collateral_digests[] | select(.role=="tcb_info" or .role=="qe_identity")]' "$tmp/out")" = \
	"$(jq -c '[.collateral_digests[] | select(.role=="tcb_info" or .role=="qe_identity")]' "$tmp/folder.json")" ] ||
	fail "bundle rebuilt different PCS bodies than the folder files"

# 3. Hex text evidence is accepted as well (the NEAR sample ships as hex).
expect 0 "$teecert" verify --tee tdx --evidence "$ev/tdx/phala_near_v4_quote_20a06f000000.hex.txt" \
	--collateral "$ev/tdx/phala_near_collateral_20a06f000000_2025-09-02.json" --at 2025-09-10T00:00:00Z
[ "$(field .verdict)" = accepted ] || fail "hex quote"

# 4. Rejections exit 2 with the failure code: collateral expired one month later; wrong anchor.
expect 2 "$teecert" verify --tee tdx --evidence "$quote" --collateral "$tmp/coll" --at 2025-08-30T00:00:00Z
[ "$(field .failure)" = collateral_expired ] || fail "expected collateral_expired, got $(field .failure)"
expect 2 "$teecert" verify --tee tdx --evidence "$quote" --collateral "$tmp/coll" --at 2025-07-19T10:00:34Z \
	--trust-anchor "$ev/snp/amd_ark_milan.pem"
[ "$(field .failure)" = cert_chain_invalid ] || fail "expected cert_chain_invalid"

# 5. Policy file: signatures only.
echo '{"require_collateral": false}' >"$tmp/policy.json"
expect 0 "$teecert" verify --tee tdx --evidence "$ev/tdx/gotdx_v5_quote_90c06f000000.dat" --policy "$tmp/policy.json" \
	--at 2026-02-03T01:00:00Z
[ "$(field '.devices[0].tcb_status')" = Unknown ] || fail "signature-only status"

# 6. SNP with the pinned ARK picked by product; NVIDIA with one GPU.
expect 0 "$teecert" verify --tee snp --evidence "$ev/snp/trustee_milan_v2_report.bin" --vcek "$ev/snp/trustee_milan_vcek.der" \
	--collateral ark_ask_chain="$ev/snp/amd_ark_ask_milan_vcek.pem" --product Milan --at 2024-01-01T00:00:00Z \
	--policy <(echo '{"check_revocation": false}')
[ "$(field '.devices[0].tee')" = snp ] || fail "snp device"
expect 0 "$teecert" verify --tee nvidia --evidence "$ev/nvidia/nvat_h100x4_590.12_gpu0_spdm.bin" \
	--cert-chain "$ev/nvidia/nvat_h100x4_590.12_gpu0_certchain.pem" --at 2025-06-01T00:00:00Z \
	--policy <(echo '{"gpu_rims": "off", "check_revocation": false}')
[ "$(field '.devices[0].id')" = gpu0 ] || fail "gpu device"

# 7. Usage errors exit 1 and say why.
expect 1 "$teecert" verify --tee sgx --evidence "$quote"
grep -q "unknown TEE" "$tmp/err" || fail "unknown TEE message"
expect 1 "$teecert" verify --tee tdx
expect 1 "$teecert" verify --tee tdx --evidence "$quote" --at yesterday
expect 1 "$teecert" verify --tee tdx --evidence "$tmp/no-such-file"
expect 1 "$teecert" verify --tee tdx --evidence "$quote" --policy <(echo '{"no_such_knob": 1}')
expect 1 "$teecert" nonsense
expect 0 "$teecert" verify --help

# 8. appraise and conformance.
expect 0 "$teecert" appraise --case "$ev/cases/tdx-phala-v4-b0c06f-uptodate.json"
[ "$(field '.devices[0].claims.mrtd')" = 91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7 ] ||
	fail "mrtd claim"
expect 0 "$teecert" conformance "$ev/cases/snp-trustee-milan-ok.json" "$ev/cases/tdx-gotdx-v4-spr-e4-sigonly.json"
grep -qx "2 passed, 0 failed" "$tmp/out" || fail "conformance summary"
# A case whose expectation is wrong must FAIL (the runner can fail).
jq '.expect.verdict = "rejected"' "$ev/cases/snp-trustee-milan-ok.json" >"$tmp/cases-bad.json"
mkdir -p "$tmp/set/cases" && cp "$tmp/cases-bad.json" "$tmp/set/cases/x.json" && cp -r "$ev/snp" "$tmp/set/snp"
expect 2 "$teecert" conformance "$tmp/set/cases"
grep -qx "0 passed, 1 failed" "$tmp/out" || fail "a wrong expectation was not reported"
echo "cli_verify: all checks passed"
