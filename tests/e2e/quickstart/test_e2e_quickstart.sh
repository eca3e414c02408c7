#!/usr/bin/env bash
# test_e2e_quickstart.sh — deploy/quickstart.sh --no-wait, twice, in a temporary state folder with every
# service on a free port; the binaries of this build (TEECERT_BUILD_DIR), no dependency install, no build.
# Checks that each step of the walk ran and proved what it says: the sub-CA issued the CVM and workload
# certificates (openssl verify through it), peer admission allow, workload admission allow and deny, and
# `teecert audit` passed down to the on-chain receipt; the second run reuses the CAs and the contract; no
# service is left running.
set -euo pipefail
src="${TEECERT_SOURCE_DIR:?}"; build="${TEECERT_BUILD_DIR:?}"
[ -x "$src/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil" ] || { echo "anvil not installed: skip"; exit 77; }
state="$(mktemp -d)"
# Traversable, so that PostgreSQL (run as `postgres` when we are root) keeps its cluster inside it.
chmod 755 "$state"
cleanup() {
  # The quickstart stops what it started; this only covers a test killed half way.
  bash "$src/deploy/anvil.sh" stop "$state/anvil" >/dev/null 2>&1 || true
  bash "$src/deploy/pg.sh" stop "$state/pg" >/dev/null 2>&1 || true
  # pg.sh keeps a cluster it cannot place in DIR under /tmp/teecert-pg-<hash>, named in DIR/root.
  if [ -f "$state/pg/root" ]; then case "$(cat "$state/pg/root")" in /tmp/teecert-pg-*) rm -rf "$(cat "$state/pg/root")";; esac; fi
  rm -rf "$state"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

quickstart() { # LOG
  TEECERT_SKIP_DEPS=1 TEECERT_SKIP_BUILD=1 TEECERT_BUILD_DIR="$build" TEECERT_STATE_DIR="$state" \
    TEECERT_CA_LISTEN=127.0.0.1:0 TEECERT_SUBCA_LISTEN=127.0.0.1:0 TEECERT_VERIFIER_LISTEN=127.0.0.1:0 \
    TEECERT_ANCHOR_TIMEOUT=60 timeout 240 bash "$src/deploy/quickstart.sh" --no-wait >"$1" 2>&1 ||
    { tail -40 "$1" >&2; fail "quickstart.sh --no-wait exited $?"; }
}
expect() { grep -q -- "$2" "$1" || { tail -40 "$1" >&2; fail "no '$2' in the quickstart output"; }; }

quickstart "$state/run1.out"
for s in "walk 1/5" "walk 2/5" "walk 3/5" "walk 4/5" "walk 5/5" "creating the root CA" "enrolling the sub-CA" \
         "deploying the anchor contract" "--no-wait: the walk passed"; do
  expect "$state/run1.out" "$s"
done
expect "$state/run1.out" "^  decision *allow"
expect "$state/run1.out" "^  decision *deny"
expect "$state/run1.out" "its workload info hash is not the expected one"
expect "$state/run1.out" "^  OK receipt: tx 0x[0-9a-f]*: status 1"
expect "$state/run1.out" "audit passed: entry [0-9]* is in the log"
expect "$state/run1.out" 'admission now reports it anchored: {"tree_size":'
# The certificates the walk left: issued by the sub-CA, which the root issued.
walk="$state/walk"
openssl verify -CAfile "$state/ca/root.pem" -untrusted "$state/ca/sub.pem" "$walk/cvm/cert.pem" >/dev/null || fail "cvm chain"
openssl verify -CAfile "$state/ca/root.pem" -untrusted "$state/ca/sub.pem" "$walk/workload/cert.pem" >/dev/null ||
  fail "workload chain"
if openssl verify -CAfile "$state/ca/root.pem" "$walk/workload/cert.pem" >/dev/null 2>&1; then
  fail "the workload certificate verified without the sub-CA"
fi
[ "$("$build/cli/teecert" cert show "$walk/workload/cert.pem" --json | jq -r .teecert.role)" = workload ] || fail "workload role"
[ -z "$(ls "$state/run")" ] || fail "pid files left: $(ls "$state/run")"

# Again on the same state: reused, and nothing of the first run in the way.
quickstart "$state/run2.out"
expect "$state/run2.out" "root CA: reusing"
expect "$state/run2.out" "sub-CA: reusing"
expect "$state/run2.out" "anchor contract: reusing"
expect "$state/run2.out" "audit passed"
! grep -q "does not fit together" "$state/run2.out" || fail "the second run recreated the state"
! bash "$src/deploy/pg.sh" status "$state/pg" >/dev/null 2>&1 || fail "PostgreSQL left running"
! bash "$src/deploy/anvil.sh" status "$state/anvil" >/dev/null 2>&1 || fail "anvil left running"
echo "e2e quickstart: two --no-wait walks (root, sub-CA, verifier, anchor worker; cvm + workload, admissions, audit): ok"
