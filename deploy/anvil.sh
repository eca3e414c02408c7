#!/usr/bin/env bash
# anvil.sh — a throwaway local EVM node (anvil, chain id 204 like opBNB) for tests and the quickstart.
#
#   deploy/anvil.sh start DIR [PORT]   start (or find running) anvil; prints the RPC URL, writes DIR/rpc_url
#   deploy/anvil.sh stop DIR           stop it (state is dumped to DIR/state.json on exit)
#   deploy/anvil.sh status DIR         exit 0 and print the RPC URL when it answers, exit 1 otherwise
#
# Runs the ELF shipped in the npm package @foundry-rs/anvil-linux-amd64 (node_modules/, installed by
# deploy/install-deps.sh) directly, bound to 127.0.0.1. Without PORT anvil binds port 0 and we read the port
# it got from its log, so parallel test runs never race for a port. DIR holds anvil.log, anvil.pid, rpc_url
# and state.json. Idempotent: start on a running node only prints its URL; stop on a stopped one is a no-op.
# Environment: TEECERT_ANVIL (path of the anvil binary), TEECERT_ANVIL_TIMEOUT (seconds to wait, default 30).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ANVIL="${TEECERT_ANVIL:-$ROOT/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil}"
CHAIN_ID=204
CHAIN_ID_HEX=0xcc
TIMEOUT="${TEECERT_ANVIL_TIMEOUT:-30}"

die() { printf 'anvil.sh: %s\n' "$*" >&2; exit 1; }
usage() { die "usage: anvil.sh start DIR [PORT] | stop DIR | status DIR"; }

# eth_chainId of URL, or nothing when it does not answer.
chain_id() {
	curl -sS --max-time 2 -H 'Content-Type: application/json' \
		--data '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' "$1" 2>/dev/null |
		sed -n 's/.*"result":"\(0x[0-9a-fA-F]*\)".*/\1/p'
}

pid_alive() { [ -f "$DIR/anvil.pid" ] && kill -0 "$(cat "$DIR/anvil.pid")" 2>/dev/null; }

running_url() {
	pid_alive || return 1
	[ -f "$DIR/rpc_url" ] || return 1
	local url
	url="$(cat "$DIR/rpc_url")"
	[ "$(chain_id "$url")" = "$CHAIN_ID_HEX" ] || return 1
	printf '%s\n' "$url"
}

cmd_start() {
	local port="${1:-0}"
	if running_url; then
		return 0
	fi
	[ -x "$ANVIL" ] || die "anvil not found at $ANVIL (run deploy/install-deps.sh)"
	if pid_alive; then # alive but not answering: a stale or stuck instance of ours
		cmd_stop
	fi
	rm -f "$DIR/rpc_url" "$DIR/anvil.pid"
	: >"$DIR/anvil.log"
	# --state loads DIR/state.json when present and dumps to it on exit.
	# setsid: its own session, so a Ctrl-C meant for the caller's foreground job does not reach it directly;
	# callers stop it with `anvil.sh stop`.
	setsid "$ANVIL" --host 127.0.0.1 --port "$port" --chain-id "$CHAIN_ID" --state "$DIR/state.json" \
		>>"$DIR/anvil.log" 2>&1 </dev/null &
	echo $! >"$DIR/anvil.pid"

	local url="" deadline=$((SECONDS + TIMEOUT)) got
	while [ "$SECONDS" -lt "$deadline" ]; do
		pid_alive || die "anvil exited during start-up; last lines of $DIR/anvil.log:
$(tail -n 20 "$DIR/anvil.log")"
		if [ -z "$url" ]; then
			got="$(sed -n 's/^Listening on \(127\.0\.0\.1:[0-9][0-9]*\).*/\1/p' "$DIR/anvil.log" | tail -n1)"
			[ -n "$got" ] && url="http://$got"
		fi
		if [ -n "$url" ] && [ "$(chain_id "$url")" = "$CHAIN_ID_HEX" ]; then
			printf '%s\n' "$url" >"$DIR/rpc_url"
			printf '%s\n' "$url"
			return 0
		fi
		sleep 0.1
	done
	cmd_stop >/dev/null 2>&1 || true
	die "anvil did not answer eth_chainId=$CHAIN_ID_HEX within ${TIMEOUT}s; see $DIR/anvil.log"
}

cmd_stop() {
	if ! pid_alive; then
		rm -f "$DIR/anvil.pid" "$DIR/rpc_url"
		return 0
	fi
	local pid
	pid="$(cat "$DIR/anvil.pid")"
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 1 100); do # up to 10 s for it to dump its state and exit
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$DIR/anvil.pid" "$DIR/rpc_url"
}

cmd_status() {
	running_url || {
		echo "anvil.sh: not running ($DIR)" >&2
		return 1
	}
}

[ $# -ge 2 ] || usage
action="$1"
DIR="$2"
shift 2
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"

case "$action" in
start)
	[ $# -le 1 ] || usage
	if [ $# -eq 1 ]; then
		[[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -le 65535 ] || die "bad port '$1'"
	fi
	cmd_start "$@"
	;;
stop) cmd_stop ;;
status) cmd_status ;;
*) usage ;;
esac
