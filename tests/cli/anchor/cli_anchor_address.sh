#!/usr/bin/env bash
# cli_anchor_address.sh — `teecert-anchor address --key FILE` prints the key's EIP-55 address (docs/anchor.md).
# Known answers: the web3.js accounts example key, and private key 1 (the generator G, whose address is the
# well-known 0x7E5F...Bdf). Refusals: no --key (usage, 1), a key file readable by group/others, bad hex, zero
# (internal, 3, with the reason on stderr).
set -euo pipefail
anchor="$(readlink -f "$1")"
dir="$(mktemp -d)"; trap 'rm -rf "$dir"' EXIT
cd "$dir"
fail() { echo "FAIL: $*" >&2; exit 1; }

key() { (umask 077 && printf '%s\n' "$2" > "$1"); }
want_addr() { # KEYHEX ADDRESS
  key k "$1"
  local got; got="$("$anchor" address --key k)" || fail "address of $1 exited $?"
  [ "$got" = "$2" ] || fail "address of $1: got $got, want $2"
  rm -f k
}
want_addr 4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318 0x2c7536E3605D9C16a7a3D7b1898e529396a65c23
want_addr 0x0000000000000000000000000000000000000000000000000000000000000001 0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf

refuse() { # EXIT MESSAGE ARGS...
  local want=$1 msg=$2; shift 2
  local rc=0
  "$anchor" address "$@" >out 2>err || rc=$?
  [ "$rc" = "$want" ] && grep -q -- "$msg" err && [ ! -s out ] || fail "want exit $want '$msg' for $*, got $rc: $(cat err)"
}
refuse 1 "--key FILE is required"
refuse 1 "unexpected argument" --key k extra
key k 4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318; chmod 644 k
refuse 3 "must not be accessible by group or others" --key k
key bad "zz0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
refuse 3 "hex" --key bad
key short 4c0883a6
refuse 3 "64 hex digits" --key short
key zero 0000000000000000000000000000000000000000000000000000000000000000
refuse 3 "" --key zero
refuse 3 "cannot open key file" --key missing
echo "teecert-anchor address: 2 known answers, 7 refusals: ok"
