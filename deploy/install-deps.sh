#!/usr/bin/env bash
# install-deps.sh — install everything teecert builds and tests with, on Debian 12 (bookworm).
#
#   deploy/install-deps.sh            # as root, or as a user with sudo
#
# Idempotent: Debian packages are installed only when missing (one `apt-get update`, skipped when nothing is
# missing), Node.js/npm only when `node`/`npm` are absent (a working node is never replaced), and the pinned
# npm tools (anvil, solc-js; versions in package.json / package-lock.json) with `npm ci` only when
# node_modules/ does not already match package-lock.json. A run with nothing to do takes well under a second.
#
# Environment:
#   TEECERT_SKIP_APT=1   do not touch Debian packages (just report what is missing)
#   TEECERT_SKIP_NPM=1   do not install the npm tools
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DEBIAN_FRONTEND=noninteractive

# Debian 12 packages. clang-format and libclang-rt-14-dev (clang's sanitizer/libFuzzer runtimes, only a
# "Recommends" of clang) are named explicitly because we install without recommends.
PKGS=(
	build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev clang-format git ca-certificates
	libssl-dev libmicrohttpd-dev libjansson-dev libpq-dev libcurl4-openssl-dev libcmocka-dev
	libsecp256k1-dev libxml2-dev libxmlsec1-dev libxmlsec1-openssl libgnutls28-dev
	postgresql-15 postgresql-client-15 curl openssl jq wrk
)

log() { printf 'install-deps: %s\n' "$*"; }
die() { printf 'install-deps: error: %s\n' "$*" >&2; exit 1; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo -E "$@"
	else
		die "need root (or sudo) to run: $*"
	fi
}

installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = "installed" ]; }

# ------------------------------------------------------------------------------------------ Debian packages
command -v dpkg-query >/dev/null 2>&1 || die "this script supports Debian 12 (dpkg/apt) only"

missing=()
for p in "${PKGS[@]}"; do
	installed "$p" || missing+=("$p")
done
# Node.js and npm: keep whatever works (these machines ship node 20 + npm 11); fall back to Debian's.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ "${#missing[@]}" -eq 0 ]; then
	log "Debian packages: all ${#PKGS[@]} present"
elif [ "${TEECERT_SKIP_APT:-0}" = 1 ]; then
	log "Debian packages missing (TEECERT_SKIP_APT=1, not installing): ${missing[*]}"
else
	log "Debian packages to install: ${missing[*]}"
	as_root apt-get update -q -o Acquire::Retries=3
	# Every name must have an install candidate before we start (clear error instead of a half install).
	for p in "${missing[@]}"; do
		cand="$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ { print $2 }')"
		[ -n "$cand" ] && [ "$cand" != "(none)" ] || die "no install candidate for Debian package '$p'"
	done
	as_root apt-get install -y -q --no-install-recommends -o Acquire::Retries=3 "${missing[@]}"
	log "Debian packages installed: ${missing[*]}"
fi

# ------------------------------------------------------------------------------------------------ npm tools
# anvil (@foundry-rs/anvil-linux-amd64, an ELF in node_modules/.../bin/anvil) and solc-js, pinned exactly in
# package.json and locked by package-lock.json; `npm ci` reproduces exactly the locked tree.
if [ "${TEECERT_SKIP_NPM:-0}" = 1 ]; then
	log "npm tools: skipped (TEECERT_SKIP_NPM=1)"
else
	command -v npm >/dev/null 2>&1 || die "npm not found after installing packages"
	lock="$ROOT/package-lock.json"
	stamp="$ROOT/node_modules/.teecert-lock.sha256"
	want="$(sha256sum "$lock" | cut -d' ' -f1)"
	anvil="$ROOT/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$anvil" ] &&
		[ -f "$ROOT/node_modules/solc/soljson.js" ]; then
		log "npm tools: node_modules matches package-lock.json"
	else
		log "npm tools: npm ci (node $(node --version), npm $(npm --version 2>/dev/null))"
		(cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
		printf '%s\n' "$want" >"$stamp"
		log "npm tools installed: $("$anvil" --version | head -n1), solc-js $(node -p 'require("'"$ROOT"'/node_modules/solc/package.json").version')"
	fi
fi

log "done"
