# e2e_admission.sh — shared checks of the admission e2e shell tests (sourced, not run, after e2e_ca.sh):
# a verdict's JWS verified with openssl against the key the verifier publishes (docs/admission.md).
#
# Usage:  source "$TEECERT_SOURCE_DIR/tests/e2e/lib/e2e_admission.sh"

# e2e_check_jws VERIFIER-URL VERDICT-FILE: the verdict's JWS (ES256) verifies with `openssl dgst -verify`
# against the key of VERIFIER-URL/v1/verdict-key and its payload is the verdict without the jws member.
e2e_check_jws() {
  curl -sf "$1/v1/verdict-key" > jwks || e2e_fail "GET /v1/verdict-key"
  python3 - jwks "$2" <<'PY' || e2e_fail "JWS of $2: $(cat "$2")"
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
