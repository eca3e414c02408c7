# e2e_ca.sh — shared setup of the e2e shell tests (sourced, not run): a fresh database on the `pg` fixture's
# cluster, a simulated Intel TDX PKI, a migrated schema, a root CA on the untrusted network, `serve` started in
# the background with its URL read from its "listening on" line, and a CVM certificate request body bound to a
# challenge (report_data = SHA-512("teecert/v1" || SHA-256(SPKI DER) || nonce), DESIGN.md "Evidence binding"),
# or the certificate itself (e2e_issue_cvm); several servers at once (e2e_start, e2e_started) stopped with a check
# that they exit cleanly (e2e_stop, e2e_stop_all). Used by the e2e tests of ca, tls, admission, collateral replay
# and by tests/bench/admission.
#
# Usage:  source "$TEECERT_SOURCE_DIR/tests/e2e/lib/e2e_ca.sh"; e2e_init NAME   (then cd "$E2E_DIR")
# Needs TEECERT_BUILD_DIR (the `pg` fixture writes its DSN under it), or E2E_BASE_DSN set before e2e_init.
# Everything is removed on exit (set E2E_KEEP=1 to keep the folder with the servers' logs for debugging).

E2E_PSQL=/usr/lib/postgresql/15/bin/psql
E2E_PIDS=()
E2E_DB=""
E2E_DIR=""
E2E_FAIL_ALSO=() # files of the test folder besides *.err that e2e_fail shows (their last 2000 bytes)

e2e_cleanup() {
  local p
  for p in "${E2E_PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  [ -n "$E2E_DB" ] && "$E2E_PSQL" "$E2E_BASE_DSN" -qAtc "DROP DATABASE IF EXISTS $E2E_DB WITH (FORCE)" >/dev/null 2>&1 ||
    true
  if [ -n "${E2E_KEEP:-}" ]; then echo "e2e: kept $E2E_DIR" >&2; elif [ -n "$E2E_DIR" ]; then rm -rf "$E2E_DIR"; fi
  return 0
}

# Print the message, the tail of every *.err file of the test folder and of the E2E_FAIL_ALSO files, then exit 1.
e2e_fail() {
  echo "FAIL: $*" >&2
  local f
  for f in "$E2E_DIR"/*.err; do [ -f "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }; done
  for f in "${E2E_FAIL_ALSO[@]}"; do [ -f "$E2E_DIR/$f" ] && { echo "--- $f" >&2; tail -c 2000 "$E2E_DIR/$f" >&2; }; done
  exit 1
}

# e2e_init NAME: temp folder E2E_DIR, database E2E_DB (DSN in E2E_DSN), cleanup trap.
e2e_init() {
  E2E_DIR="$(mktemp -d)"
  trap e2e_cleanup EXIT
  E2E_BASE_DSN="${E2E_BASE_DSN:-$(cat "$TEECERT_BUILD_DIR/testpg/dsn")}"
  E2E_DB="t_e2e_${1}_$$_$RANDOM"
  "$E2E_PSQL" "$E2E_BASE_DSN" -qAtc "CREATE DATABASE $E2E_DB" >/dev/null
  case "$E2E_BASE_DSN" in
    postgres*://*) E2E_DSN="${E2E_BASE_DSN%%\?*}"; E2E_DSN="${E2E_DSN%/*}/$E2E_DB";;
    *dbname=*) E2E_DSN="$(echo "$E2E_BASE_DSN" | sed "s/dbname=[^ ]*/dbname=$E2E_DB/")";;
    *) E2E_DSN="$E2E_BASE_DSN dbname=$E2E_DB";;
  esac
}

e2e_sql() { "$E2E_PSQL" "$E2E_DSN" -qAtc "$1"; }

# e2e_root TEECERT TEECERT_CA NAME: in the current folder, a sim TDX PKI (pki/), the migrated schema, a
# passphrase file (pass) and root CA NAME (root.key, root.pem).
e2e_root() {
  "$1" sim tdx --init pki >/dev/null
  "$2" migrate --db "$E2E_DSN" >/dev/null
  printf 'correct horse battery staple\n' > pass; chmod 600 pass
  "$2" init --name "$3" --network untrusted --key-out root.key --passphrase-file pass --cert-out root.pem \
    --db "$E2E_DSN" --sim-pki pki >/dev/null
}

# e2e_started FILE: wait up to 15 s for a server's "listening on URL" line in FILE; print the URL (nothing if none).
e2e_started() {
  for _ in $(seq 150); do grep -q "listening on" "$1" 2>/dev/null && break; sleep 0.1; done
  sed -n 's/^listening on //p' "$1"
}

# e2e_start PREFIX BINARY serve ARGS...: run in the background (PREFIX.out, PREFIX.err) and set E2E_LAST_PID;
# e2e_started PREFIX.out then gives its URL (start several, then wait for them together).
e2e_start() {
  local prefix=$1; shift
  "$@" >"$prefix.out" 2>"$prefix.err" &
  E2E_PIDS+=($!)
  E2E_LAST_PID=$!
}

# e2e_serve PREFIX BINARY serve ARGS...: e2e_start, then wait for its "listening on URL" line and set E2E_URL;
# fails the test when it does not start within 15 s.
e2e_serve() {
  e2e_start "$@"
  E2E_URL="$(e2e_started "$1.out")"
  [ -n "$E2E_URL" ] || e2e_fail "$1 did not start"
}

# e2e_stop PID: stop a server of e2e_start (SIGTERM); fails the test unless it exits 0 (under the sanitizers: no
# leak or crash).
e2e_stop() {
  local p keep=()
  kill "$1"
  wait "$1" || e2e_fail "a service (pid $1) exited with $? (leak or crash)"
  for p in "${E2E_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  E2E_PIDS=("${keep[@]}")
}

# e2e_stop_all: e2e_stop every server still running.
e2e_stop_all() {
  while [ ${#E2E_PIDS[@]} -gt 0 ]; do e2e_stop "${E2E_PIDS[0]}"; done
}

# e2e_ca_serve_args: the appraisal flags of a CA serving the sim TDX PKI of e2e_root (simulated evidence allowed).
e2e_ca_serve_args() {
  echo --ca-key root.key --passphrase-file pass --ca-cert root.pem --collateral pki/collateral \
    --trust-anchor intel_root=pki/intel_root.pem
}

# e2e_cvm_request TEECERT KEY NONCE OUT.json: CSR of KEY, sim TDX quote binding KEY and NONCE, request body.
e2e_cvm_request() {
  local teecert=$1 key=$2 nonce=$3 out=$4
  openssl req -new -key "$key" -subj "/CN=cvm1" -out "$out.csr" 2>/dev/null
  openssl pkey -in "$key" -pubout -outform DER -out "$out.spki"
  { printf 'teecert/v1'; openssl dgst -sha256 -binary "$out.spki"; echo -n "$nonce" | xxd -r -p; } > "$out.bind"
  local rd; rd="$(openssl dgst -sha512 -binary "$out.bind" | xxd -p -c 256)"
  "$teecert" sim tdx --pki pki --report-data "$rd" --out "$out.quote" >/dev/null
  jq -n --rawfile csr "$out.csr" --arg nonce "$nonce" --arg q "$(base64 -w0 "$out.quote")" \
    '{kind: "cvm", csr: $csr, nonce: $nonce, evidence: {tee: "tdx", quote: $q}}' > "$out"
}

# e2e_issue_cvm TEECERT URL KEY OUT.pem: a new P-256 KEY and a cvm certificate for it from the CA at URL (sim TDX
# evidence bound to a fresh challenge, e2e_cvm_request; body req.json) into OUT.pem; the CA's reply stays in resp.
e2e_issue_cvm() {
  local teecert=$1 url=$2 key=$3 out=$4 nonce code
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$key" 2>/dev/null
  nonce="$(curl -sf -X POST "$url/v1/challenges" | jq -r .nonce)"
  e2e_cvm_request "$teecert" "$key" "$nonce" req.json
  code="$(curl -s -o resp -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @req.json \
    "$url/v1/certificates")"
  [ "$code" = 201 ] || e2e_fail "issue: $code $(cat resp)"
  jq -r .certificate resp > "$out"
}
