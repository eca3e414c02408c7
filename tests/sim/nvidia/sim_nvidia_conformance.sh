#!/usr/bin/env bash
# sim_nvidia_conformance.sh TEECERT — the simulated NVIDIA H100 end to end through the real CLI:
#   1. `teecert sim nvidia --init` builds a sim PKI (no dependence on the TDX/SNP simulators);
#   2. `teecert sim nvidia --cases` writes the conformance set and `teecert conformance` must pass all of it;
#   3. `teecert sim nvidia` evidence for 2 GPUs + `teecert verify` with the PKI's collateral folder is accepted
#      with allow_simulated and rejected (exit 2, cert_chain_invalid) without it;
#   4. RIMs and OCSP responses written by `--rim-out/--ocsp-out` form a --collateral folder (ocsp required);
#   5. key files are private (0600 in a 0700 folder).
set -euo pipefail

teecert=${1:?usage: sim_nvidia_conformance.sh PATH/TO/teecert}
work=$(mktemp -d "${TMPDIR:-/tmp}/teecert-sim-nvidia.XXXXXX")
trap 'rm -rf "$work"' EXIT

"$teecert" sim nvidia --init "$work/pki"
"$teecert" sim nvidia --pki "$work/pki" --cases "$work/out"

n=$(find "$work/out/cases" -name '*.json' | wc -l)
if [ "$n" -lt 40 ]; then
	echo "expected at least 40 generated cases, got $n" >&2
	exit 1
fi
set +e
result=$("$teecert" conformance "$work/out/cases")
rc=$?
set -e
echo "$result"
if [ "$rc" -ne 0 ] || ! grep -qx "$n passed, 0 failed" <<<"$result"; then
	echo "conformance over the generated NVIDIA sim cases failed (rc=$rc, $n cases)" >&2
	exit 1
fi

nonce=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
mkdir -p "$work/ev"
"$teecert" sim nvidia --pki "$work/pki" --nonce "$nonce" --gpus 2 --out "$work/ev/x"
printf '{"allow_simulated": true, "expected_nonce": "%s"}\n' "$nonce" >"$work/allow.json"
printf '{"expected_nonce": "%s"}\n' "$nonce" >"$work/deny.json"
verify=("$teecert" verify --tee nvidia
	--evidence "$work/ev/x_gpu0_spdm.bin" --cert-chain "$work/ev/x_gpu0_certchain.pem"
	--evidence "$work/ev/x_gpu1_spdm.bin" --cert-chain "$work/ev/x_gpu1_certchain.pem"
	--collateral "$work/pki/collateral"
	--trust-anchor "nvidia_device_root=$work/pki/nvidia_device_root.pem"
	--trust-anchor "nvidia_rim_root=$work/pki/nvidia_rim_root.pem")
"${verify[@]}" --policy "$work/allow.json" >"$work/accepted.json"
grep -q '"verdict": "accepted"' "$work/accepted.json"
grep -q '"simulated": true' "$work/accepted.json"
set +e
"${verify[@]}" --policy "$work/deny.json" >"$work/rejected.json"
rc=$?
set -e
if [ "$rc" -ne 2 ] || ! grep -q '"failure": "cert_chain_invalid"' "$work/rejected.json"; then
	echo "simulated evidence without allow_simulated: expected exit 2 / cert_chain_invalid, got $rc" >&2
	cat "$work/rejected.json" >&2
	exit 1
fi

# Collateral written by the evidence command itself: RIMs + OCSP responses, ocsp required.
mkdir -p "$work/coll-good" "$work/coll-revoked"
"$teecert" sim nvidia --pki "$work/pki" --nonce "$nonce" --gpus 2 --out "$work/ev/y" \
	--rim-out "$work/coll-good" --ocsp-out "$work/coll-good"
"$teecert" sim nvidia --pki "$work/pki" --nonce "$nonce" --out "$work/ev/z" \
	--rim-out "$work/coll-revoked" --ocsp-out "$work/coll-revoked" --ocsp-fault revoked --ocsp-target rim
printf '{"allow_simulated": true, "expected_nonce": "%s", "ocsp": "required"}\n' "$nonce" >"$work/ocsp.json"
"$teecert" verify --tee nvidia --evidence "$work/ev/y_gpu0_spdm.bin" --cert-chain "$work/ev/y_gpu0_certchain.pem" \
	--evidence "$work/ev/y_gpu1_spdm.bin" --cert-chain "$work/ev/y_gpu1_certchain.pem" \
	--collateral "$work/coll-good" --trust-anchor "nvidia_device_root=$work/pki/nvidia_device_root.pem" \
	--trust-anchor "nvidia_rim_root=$work/pki/nvidia_rim_root.pem" --policy "$work/ocsp.json" >/dev/null
set +e
"$teecert" verify --tee nvidia --evidence "$work/ev/z_gpu0_spdm.bin" --cert-chain "$work/ev/z_gpu0_certchain.pem" \
	--collateral "$work/coll-revoked" --trust-anchor "nvidia_device_root=$work/pki/nvidia_device_root.pem" \
	--trust-anchor "nvidia_rim_root=$work/pki/nvidia_rim_root.pem" --policy "$work/ocsp.json" >"$work/revoked.json"
rc=$?
set -e
if [ "$rc" -ne 2 ] || ! grep -q '"failure": "cert_revoked"' "$work/revoked.json"; then
	echo "revoked RIM signer: expected exit 2 / cert_revoked, got $rc" >&2
	exit 1
fi

[ "$(stat -c %a "$work/pki/keys")" = 700 ]
for key in "$work"/pki/keys/*.key; do
	[ "$(stat -c %a "$key")" = 600 ] || { echo "$key is not 0600" >&2; exit 1; }
done
echo "sim nvidia: $n cases passed; verify accepted with allow_simulated, rejected without"
