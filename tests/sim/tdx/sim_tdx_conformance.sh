#!/usr/bin/env bash
# sim_tdx_conformance.sh TEECERT WORKDIR — the simulated TDX platform through the CLI:
#  1. `teecert sim tdx --init` a PKI and `--cases` its conformance set into WORKDIR;
#  2. the set covers every TDX failure code and `teecert conformance` passes all of it;
#  3. one quote from `teecert sim tdx` is accepted by `teecert verify` with allow_simulated and rejected
#     (cert_chain_invalid, exit 2) without it.
set -euo pipefail

teecert=$1
work=$2
rm -rf "$work"
mkdir -p "$work"

"$teecert" sim tdx --init "$work/pki"
"$teecert" sim tdx --pki "$work/pki" --cases "$work/set"

n=$(find "$work/set/cases" -name '*.json' | wc -l)
if [ "$n" -lt 50 ]; then
	echo "only $n cases generated" >&2
	exit 1
fi
for code in evidence_malformed evidence_unsupported_version cert_chain_invalid cert_expired cert_revoked \
	evidence_signature_invalid qe_report_signature_invalid attestation_key_binding_invalid nonce_mismatch \
	collateral_missing collateral_signature_invalid collateral_expired tcb_mismatch tcb_level_not_found \
	tcb_status_rejected qe_identity_mismatch measurement_mismatch debug_not_allowed; do
	if ! grep -lq "\"failure\": \"$code\"" "$work/set/cases"/*.json; then
		echo "no generated case expects $code" >&2
		exit 1
	fi
done

rc=0
"$teecert" conformance "$work/set/cases" >"$work/conformance.txt" || rc=$?
cat "$work/conformance.txt"
grep -qx "$n passed, 0 failed" "$work/conformance.txt"
[ "$rc" -eq 0 ]

# One quote through `teecert verify` (wall clock, collateral folder as sim init wrote it).
rd=$(printf 'ab%.0s' $(seq 64))
"$teecert" sim tdx --pki "$work/pki" --version 5 --body-type 3 --report-data "$rd" --out "$work/quote.bin"
printf '{"allow_simulated": true, "expected_report_data": "%s"}\n' "$rd" >"$work/policy.json"
printf '{"expected_report_data": "%s"}\n' "$rd" >"$work/policy-strict.json"
verify=("$teecert" verify --tee tdx --evidence "$work/quote.bin" --collateral "$work/pki/collateral"
	--trust-anchor "$work/pki/intel_root.pem")
"${verify[@]}" --policy "$work/policy.json" >"$work/accepted.json"
grep -q '"verdict": "accepted"' "$work/accepted.json"
grep -q '"simulated": true' "$work/accepted.json"
rc=0
"${verify[@]}" --policy "$work/policy-strict.json" >"$work/rejected.json" || rc=$?
[ "$rc" -eq 2 ]
grep -q '"failure": "cert_chain_invalid"' "$work/rejected.json"
echo "sim tdx: $n cases passed; teecert verify accepts with allow_simulated and rejects without"
