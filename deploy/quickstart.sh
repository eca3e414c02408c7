#!/usr/bin/env bash
# quickstart.sh — a complete local teecert on this machine, for trying the API by hand.
#
#   deploy/quickstart.sh            bring everything up, walk the mission once, run until Ctrl-C
#   deploy/quickstart.sh --no-wait  bring everything up, walk the mission once, stop everything (a smoke test)
#
# Services: install dependencies (deploy/install-deps.sh), build build/, start a throwaway PostgreSQL 15
# (deploy/pg.sh, in .teecert/pg) and anvil (deploy/anvil.sh, chain id 204, in .teecert/anvil), apply the
# migrations, make a simulated Intel TDX PKI (`teecert sim tdx --init`), a root CA on the untrusted network
# (`teecert-ca init --sim-pki`) with a log key, serve it, enroll a sub-CA under it (`teecert-ca enroll`) and
# serve that on its own port, start the verifier (trusting the root, signing verdicts), deploy the anchor
# contract on anvil (`teecert-anchor deploy`, with a chain key funded on the local node) and run the anchor
# worker (`teecert-anchor run`). The CAs sign a checkpoint of the log every second (--checkpoint-interval 1).
#
# The walk (what DESIGN.md "Users" do), each step printed with what it proved:
#   1. a CVM certificate from the sub-CA, from simulated TDX evidence bound to its key (teecert request cvm)
#   2. a workload certificate under it, bound to a workload info hash (teecert request workload)
#   3. a peer admission of the CVM (teecert admit peer: allow)
#   4. a workload admission with the right workload info (allow) and with another one (deny)
#   5. `teecert audit` of the workload certificate: chain, log inclusion, signed checkpoint, and the
#      Anchored event on chain (waits, up to TEECERT_ANCHOR_TIMEOUT seconds, for the anchor to be mined)
# then it prints the URLs and keeps running until Ctrl-C.
#
# State: .teecert/ keeps PostgreSQL, anvil's chain (dumped on stop), the root and sub-CA keys, the log key and
# the chain key between runs, so a re-run reuses them. When they no longer fit together (the contract the
# database anchors to is not on the chain, a CA missing from the database) the database (same cluster), the
# chain and the keys are recreated. Delete the folder for a fresh start. Services are started in their own sessions and stopped on exit, Ctrl-C or SIGTERM
# (services, then anvil, then PostgreSQL); ones a killed earlier run left behind (pid files in
# .teecert/run) are stopped at start.
#
# Environment (all optional):
#   TEECERT_QUICKSTART_NO_WAIT=1   same as --no-wait
#   TEECERT_SKIP_DEPS=1            do not run install-deps.sh
#   TEECERT_SKIP_BUILD=1           do not build (the binaries must exist in the build folder)
#   TEECERT_BUILD_DIR              build folder                          (default: build)
#   TEECERT_STATE_DIR              state folder                          (default: .teecert)
#   TEECERT_CA_LISTEN              root teecert-ca address               (default: 127.0.0.1:8081)
#   TEECERT_SUBCA_LISTEN           sub-CA teecert-ca address             (default: 127.0.0.1:8082)
#   TEECERT_VERIFIER_LISTEN        teecert-verifier address              (default: 127.0.0.1:8080)
#                                  (port 0 anywhere: a free port, read from the service's log)
#   TEECERT_ANCHOR_TIMEOUT         seconds to wait for the anchor        (default: 90)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

NO_WAIT="${TEECERT_QUICKSTART_NO_WAIT:-0}"
for arg in "$@"; do
	case "$arg" in
	--no-wait) NO_WAIT=1 ;;
	-h | --help)
		sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "quickstart.sh: unknown argument '$arg' (try --help)" >&2
		exit 1
		;;
	esac
done

BUILD="${TEECERT_BUILD_DIR:-build}"
STATE="${TEECERT_STATE_DIR:-$ROOT/.teecert}"
CA_LISTEN="${TEECERT_CA_LISTEN:-127.0.0.1:8081}"
SUB_LISTEN="${TEECERT_SUBCA_LISTEN:-127.0.0.1:8082}"
VF_LISTEN="${TEECERT_VERIFIER_LISTEN:-127.0.0.1:8080}"
ANCHOR_TIMEOUT="${TEECERT_ANCHOR_TIMEOUT:-90}"
READY_TIMEOUT=60
PSQL=/usr/lib/postgresql/15/bin/psql

say() { printf 'quickstart: %s\n' "$*"; }
die() {
	printf 'quickstart: error: %s\n' "$*" >&2
	exit 1
}

# ------------------------------------------------------------------------------------------------- cleanup
PIDS=() # services we started, in start order
NAMES=()
LOGS=()
PG_UP=0
ANVIL_UP=0
STOPPING=0

stop_pid() { # PID NAME: SIGTERM, 10 s for a graceful stop (in-flight requests finish), then SIGKILL
	local pid="$1" name="$2" i
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		say "$name did not stop in 10 s; killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

stop_services() {
	local i
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do # newest first
		stop_pid "${PIDS[$i]}" "${NAMES[$i]}"
		rm -f "$STATE/run/${NAMES[$i]}.pid"
		say "  ${NAMES[$i]} stopped"
	done
	PIDS=()
	NAMES=()
	LOGS=()
}

stop_backends() {
	if [ "$ANVIL_UP" = 1 ]; then
		timeout 30 bash "$ROOT/deploy/anvil.sh" stop "$STATE/anvil" || true
		ANVIL_UP=0
		say "  anvil stopped"
	fi
	if [ "$PG_UP" = 1 ]; then
		timeout 60 bash "$ROOT/deploy/pg.sh" stop "$STATE/pg" >/dev/null || true
		PG_UP=0
		say "  PostgreSQL stopped"
	fi
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	[ "$STOPPING" = 1 ] && exit "$rc"
	STOPPING=1
	if [ "${#PIDS[@]}" -gt 0 ] || [ "$ANVIL_UP" = 1 ] || [ "$PG_UP" = 1 ]; then
		say "stopping"
	fi
	stop_services
	stop_backends
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Is something already listening on HOST:PORT? (port 0: never)
port_busy() {
	local host="${1%:*}" port="${1##*:}"
	[ "$port" != 0 ] || return 1
	(exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
}

# ------------------------------------------------------------------------------------------ deps and build
if [ "${TEECERT_SKIP_DEPS:-0}" != 1 ]; then
	bash "$ROOT/deploy/install-deps.sh"
fi

mkdir -p "$STATE"
STATE="$(cd "$STATE" && pwd)"
if [ "${TEECERT_SKIP_BUILD:-0}" != 1 ]; then
	say "building $BUILD/"
	if [ ! -f "$BUILD/CMakeCache.txt" ]; then
		gen=()
		command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)
		cmake -S "$ROOT" -B "$BUILD" "${gen[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$STATE/configure.log" 2>&1 ||
			{ cat "$STATE/configure.log" >&2; die "cmake configure failed (log: $STATE/configure.log)"; }
	fi
	cmake --build "$BUILD" -j 2 --target teecert-ca teecert-verifier teecert teecert-anchor
fi
CA_BIN="$(readlink -f "$BUILD/cli/teecert-ca")"
VF_BIN="$(readlink -f "$BUILD/cli/teecert-verifier")"
TC_BIN="$(readlink -f "$BUILD/cli/teecert")"
AN_BIN="$(readlink -f "$BUILD/cli/teecert-anchor")"
for b in "$CA_BIN" "$VF_BIN" "$TC_BIN" "$AN_BIN"; do
	[ -x "$b" ] || die "$b was not built"
done

# Services a killed earlier run left behind (their sessions outlive it): stop them by their pid files,
# only when the process is still one of our binaries.
mkdir -p "$STATE/run"
for f in "$STATE"/run/*.pid; do
	[ -e "$f" ] || continue
	pid="$(cat "$f")"
	if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null &&
		tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q '/teecert'; then
		say "stopping $(basename "$f" .pid) (pid $pid) left running by an earlier run"
		stop_pid "$pid" "$(basename "$f" .pid)"
	fi
	rm -f "$f"
done

for l in "$CA_LISTEN" "$SUB_LISTEN" "$VF_LISTEN"; do
	if port_busy "$l"; then
		die "$l is already in use (another quickstart running? set TEECERT_CA_LISTEN / TEECERT_SUBCA_LISTEN / TEECERT_VERIFIER_LISTEN)"
	fi
done

# ---------------------------------------------------------------------------------------- real services
start_backends() {
	say "starting PostgreSQL 15 in $STATE/pg"
	PG_UP=1
	bash "$ROOT/deploy/pg.sh" start "$STATE/pg" >/dev/null
	DSN="$(cat "$STATE/pg/dsn")"
	say "starting anvil (chain id 204) in $STATE/anvil"
	ANVIL_UP=1
	RPC_URL="$(bash "$ROOT/deploy/anvil.sh" start "$STATE/anvil" | tail -n1)"
	"$CA_BIN" migrate --db "$DSN" >"$STATE/migrate.log" 2>&1 || {
		cat "$STATE/migrate.log" >&2
		die "teecert-ca migrate failed (log: $STATE/migrate.log)"
	}
}

rpc() { # METHOD PARAMS-JSON: print the result (JSON), fail on an error
	local out
	out="$(curl -sS --max-time 10 -H 'Content-Type: application/json' \
		--data "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}" "$RPC_URL")" || return 1
	jq -e 'has("result")' <<<"$out" >/dev/null || { echo "$out" >&2; return 1; }
	jq -c .result <<<"$out"
}

sql() { "$PSQL" "$DSN" -qAtc "$1"; }

# Do the kept state, the database and the chain still fit together? Prints why not.
state_mismatch() {
	local n contract code
	if [ -f "$STATE/ca/root.pem" ]; then
		n="$(sql "SELECT count(*) FROM cas WHERE name = 'quickstart-root'")" || { echo "database unreadable"; return 0; }
		[ "$n" = 1 ] || { echo "the root CA is not in the database"; return 0; }
	fi
	if [ -f "$STATE/ca/sub.pem" ]; then
		n="$(sql "SELECT count(*) FROM cas WHERE name = 'quickstart-sub'")" || { echo "database unreadable"; return 0; }
		[ "$n" = 1 ] || { echo "the sub-CA is not in the database"; return 0; }
	fi
	contract="$("$AN_BIN" status --db "$DSN" 2>/dev/null | jq -r '.contract // empty')" || true
	if [ -n "$contract" ]; then
		code="$(rpc eth_getCode "[\"$contract\", \"latest\"]" | jq -r .)" || { echo "anvil unreadable"; return 0; }
		[ "$code" != 0x ] || { echo "the anchor contract $contract is not on the chain"; return 0; }
		[ -f "$STATE/chain/chain.key" ] || { echo "the chain key is missing"; return 0; }
	fi
	return 1
}

start_backends
if why="$(state_mismatch)"; then
	# A fresh database (same cluster), a fresh chain, new CA, log and chain keys.
	say "$STATE does not fit together ($why): recreating the database, the chain and the keys"
	timeout 30 bash "$ROOT/deploy/anvil.sh" stop "$STATE/anvil" || true
	rm -rf "$STATE/anvil" "$STATE/ca" "$STATE/chain" "$STATE/walk"
	db="${DSN##*/}"
	"$PSQL" "${DSN%/*}/postgres" -qAtc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null &&
		"$PSQL" "${DSN%/*}/postgres" -qAtc "CREATE DATABASE $db" >/dev/null || die "could not recreate database $db"
	start_backends
fi

# ------------------------------------------------------------------------------------------- keys and CAs
SIM="$STATE/sim-tdx"
CADIR="$STATE/ca"
CHAINDIR="$STATE/chain"
# A simulated TDX PKI, fresh each run (its collateral is valid 30 days).
say "making a simulated TDX PKI in $SIM (teecert sim tdx --init)"
rm -rf "$SIM"
"$TC_BIN" sim tdx --init "$SIM" >"$STATE/sim.log" 2>&1 || { cat "$STATE/sim.log" >&2; die "teecert sim tdx --init failed"; }
mkdir -p "$CADIR" "$CHAINDIR"
chmod 700 "$CADIR" "$CHAINDIR"
[ -f "$CADIR/passphrase" ] || (umask 077 && openssl rand -hex 24 >"$CADIR/passphrase")
[ -f "$CADIR/admin-token" ] || (umask 077 && openssl rand -hex 24 >"$CADIR/admin-token")
if [ ! -f "$CADIR/log.key" ]; then
	"$CA_BIN" log-key --out "$CADIR/log.key" >"$CADIR/log-key.txt" 2>&1 ||
		{ cat "$CADIR/log-key.txt" >&2; die "teecert-ca log-key failed"; }
fi
tail -n1 "$CADIR/log-key.txt" >"$CADIR/log.vkey"
[ -f "$CADIR/verdict.key" ] ||
	(umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$CADIR/verdict.key" 2>/dev/null)
echo '{"allow_simulated": true}' >"$CADIR/ca-policy.json"

if [ ! -f "$CADIR/root.pem" ]; then
	say "creating the root CA 'quickstart-root' (teecert-ca init --network untrusted --sim-pki)"
	rm -f "$CADIR/root.key"
	"$CA_BIN" init --name quickstart-root --network untrusted --key-out "$CADIR/root.key" \
		--passphrase-file "$CADIR/passphrase" --cert-out "$CADIR/root.pem" --db "$DSN" --sim-pki "$SIM" \
		>"$STATE/init.log" 2>&1 || { cat "$STATE/init.log" >&2; die "teecert-ca init failed"; }
else
	say "root CA: reusing $CADIR/root.pem"
fi

# ------------------------------------------------------------------------------------------ our services
start_service() { # NAME LOG BIN ARGS...
	local name="$1" log="$2"
	shift 2
	: >"$log"
	# setsid: Ctrl-C reaches this script only, which then stops everything in order.
	setsid "$@" >>"$log" 2>&1 </dev/null &
	PIDS+=($!)
	NAMES+=("$name")
	LOGS+=("$log")
	echo "$!" >"$STATE/run/$name.pid"
}

# Wait until NAME (pid PID) logged "listening on http://..." and its /readyz answers 200; print its URL.
wait_ready() { # NAME PID LOG
	local name="$1" pid="$2" log="$3" deadline=$((SECONDS + READY_TIMEOUT)) url
	while [ "$SECONDS" -lt "$deadline" ]; do
		kill -0 "$pid" 2>/dev/null || {
			tail -n 20 "$log" >&2
			die "$name exited during start-up (log: $log)"
		}
		url="$(sed -n 's/.*listening on \(http:\/\/[^ ]*\).*/\1/p' "$log" | head -n1)"
		if [ -n "$url" ] && curl -fsS --max-time 2 "$url/readyz" >/dev/null 2>&1; then
			echo "$url"
			return 0
		fi
		sleep 0.2
	done
	tail -n 20 "$log" >&2
	die "$name not ready after ${READY_TIMEOUT}s (log: $log)"
}

ca_serve() { # NAME LISTEN KEY CERT CA-NAME PUBLIC-URL-HOST: start a teecert-ca serve
	start_service "$1" "$STATE/$1.log" "$CA_BIN" serve --listen "$2" --db "$DSN" \
		--ca-key "$3" --passphrase-file "$CADIR/passphrase" --ca-cert "$4" --ca-name "$5" \
		--collateral "$SIM/collateral" --trust-anchor "intel_root=$SIM/intel_root.pem" \
		--policy "$CADIR/ca-policy.json" --admin-token-file "$CADIR/admin-token" --public-url "http://$2" \
		--log-key "$CADIR/log.key" --checkpoint-interval 1
}

say "starting the root CA (teecert-ca serve) on $CA_LISTEN"
ca_serve teecert-ca-root "$CA_LISTEN" "$CADIR/root.key" "$CADIR/root.pem" quickstart-root
CA_URL="$(wait_ready teecert-ca-root "${PIDS[0]}" "$STATE/teecert-ca-root.log")"

if [ ! -f "$CADIR/sub.pem" ]; then
	say "enrolling the sub-CA 'quickstart-sub' under the root (teecert-ca enroll --parent $CA_URL --sim-pki)"
	rm -f "$CADIR/sub.key"
	"$CA_BIN" enroll --parent "$CA_URL" --name quickstart-sub --key-out "$CADIR/sub.key" \
		--passphrase-file "$CADIR/passphrase" --cert-out "$CADIR/sub.pem" --db "$DSN" --sim-pki "$SIM" \
		>"$STATE/enroll.log" 2>&1 || { cat "$STATE/enroll.log" >&2; die "teecert-ca enroll failed"; }
else
	say "sub-CA: reusing $CADIR/sub.pem"
fi
say "starting the sub-CA (teecert-ca serve) on $SUB_LISTEN and the verifier (teecert-verifier serve) on $VF_LISTEN"
ca_serve teecert-ca-sub "$SUB_LISTEN" "$CADIR/sub.key" "$CADIR/sub.pem" quickstart-sub
start_service teecert-verifier "$STATE/teecert-verifier.log" "$VF_BIN" serve --listen "$VF_LISTEN" --db "$DSN" \
	--trust-root "$CADIR/root.pem" --signing-key "$CADIR/verdict.key"
SUB_URL="$(wait_ready teecert-ca-sub "${PIDS[1]}" "$STATE/teecert-ca-sub.log")"
VF_URL="$(wait_ready teecert-verifier "${PIDS[2]}" "$STATE/teecert-verifier.log")"

# The anchor worker: a chain key of its own (funded on the local node), the contract deployed once.
if [ ! -f "$CHAINDIR/chain.key" ]; then
	(umask 077 && openssl rand -hex 32 >"$CHAINDIR/chain.key")
fi
CHAIN_ADDR="$("$AN_BIN" address --key "$CHAINDIR/chain.key")" || die "could not derive the chain key's address"
rpc anvil_setBalance "[\"$CHAIN_ADDR\", \"0x56bc75e2d63100000\"]" >/dev/null || die "anvil_setBalance failed"
CONTRACT="$("$AN_BIN" status --db "$DSN" | jq -r '.contract // empty')"
if [ -z "$CONTRACT" ]; then
	say "deploying the anchor contract on anvil (teecert-anchor deploy)"
	"$AN_BIN" deploy --rpc "$RPC_URL" --key "$CHAINDIR/chain.key" --db "$DSN" --chain-id 204 \
		>"$STATE/deploy.log" 2>&1 || { cat "$STATE/deploy.log" >&2; die "teecert-anchor deploy failed"; }
	CONTRACT="$("$AN_BIN" status --db "$DSN" | jq -r '.contract // empty')"
	[ -n "$CONTRACT" ] || die "teecert-anchor deploy recorded no contract"
else
	say "anchor contract: reusing $CONTRACT"
fi
DEPLOY_BLOCK="$("$AN_BIN" status --db "$DSN" | jq -r '.deploy_block // 0')"
say "starting the anchor worker (teecert-anchor run, 1 confirmation)"
start_service teecert-anchor "$STATE/teecert-anchor.log" "$AN_BIN" run --rpc "$RPC_URL" --key "$CHAINDIR/chain.key" \
	--db "$DSN" --chain-id 204 --confirmations 1 --poll-ms 500 --finalized-stale-s 0

# ------------------------------------------------------------------------------------------- the mission
WALK="$STATE/walk"
rm -rf "$WALK"
mkdir -p "$WALK"
step() { printf '\nquickstart: walk %s\n' "$*"; }
cmd() { printf '  $ %s\n' "$*"; }
proved() { printf '  => %s\n' "$*"; }

step "1/5: a CVM certificate from the sub-CA, from simulated TDX evidence"
cmd teecert request cvm --ca "$SUB_URL" --out "$WALK/cvm" --sim "$SIM" --san node1.local --cn node1
"$TC_BIN" request cvm --ca "$SUB_URL" --out "$WALK/cvm" --sim "$SIM" --san node1.local --cn node1 | sed 's/^/  /' ||
	die "teecert request cvm failed"
cat "$WALK/cvm/cert.pem" "$WALK/cvm/chain.pem" >"$WALK/cvm/fullchain.pem"
openssl verify -CAfile "$CADIR/root.pem" -untrusted "$WALK/cvm/chain.pem" "$WALK/cvm/cert.pem" >/dev/null ||
	die "openssl verify of the CVM certificate failed"
proved "the sub-CA appraised a TDX quote bound to a fresh challenge and to this key; openssl verifies the" \
	"certificate through the sub-CA to the root"

step "2/5: a workload certificate under the CVM certificate"
jq -n --arg t "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg h "$(printf 'quickstart workload image' | openssl dgst -sha256 -r | cut -d' ' -f1)" \
	'{runtime_info: [{type: "oci", hash: {algo: "sha256", value: $h}, size: 25}], created_at: $t, order_id: "quickstart-1"}' \
	>"$WALK/workload-info.json"
cmd teecert request workload --ca "$SUB_URL" --out "$WALK/workload" --sim "$SIM" --cvm-cert "$WALK/cvm/cert.pem" \
	--workload-info "$WALK/workload-info.json"
"$TC_BIN" request workload --ca "$SUB_URL" --out "$WALK/workload" --sim "$SIM" --cvm-cert "$WALK/cvm/cert.pem" \
	--workload-info "$WALK/workload-info.json" | sed 's/^/  /' || die "teecert request workload failed"
cat "$WALK/workload/cert.pem" "$WALK/workload/chain.pem" >"$WALK/workload/fullchain.pem"
WL_SERIAL="$("$TC_BIN" cert show "$WALK/workload/cert.pem" --json | jq -r .serial)"
WL_HASH="$("$TC_BIN" cert show "$WALK/workload/cert.pem" --json | jq -r .teecert.workload_info_hash)"
proved "fresh evidence from the same hardware as the CVM certificate, bound to the workload info hash" \
	"$WL_HASH, which the certificate records"

step "3/5: may this CVM peer with us?"
cmd teecert admit peer --verifier "$VF_URL" --chain "$WALK/cvm/fullchain.pem"
"$TC_BIN" admit peer --verifier "$VF_URL" --chain "$WALK/cvm/fullchain.pem" | sed 's/^/  /' ||
	die "teecert admit peer did not allow the CVM (exit 2: denied, 3: the verifier could not be asked)"
proved "allow: the chain reaches the root, nothing is revoked, the appraisals recorded at issuance still pass" \
	"the current policy; the verdict is signed (JWS ES256, key at $VF_URL/v1/verdict-key)"

step "4/5: may this workload run?"
cmd teecert admit workload --verifier "$VF_URL" --chain "$WALK/workload/fullchain.pem" \
	--workload-info "$WALK/workload-info.json"
"$TC_BIN" admit workload --verifier "$VF_URL" --chain "$WALK/workload/fullchain.pem" \
	--workload-info "$WALK/workload-info.json" | sed 's/^/  /' || die "teecert admit workload did not allow the workload"
jq '.order_id = "another-order"' "$WALK/workload-info.json" >"$WALK/other-info.json"
cmd teecert admit workload --verifier "$VF_URL" --chain "$WALK/workload/fullchain.pem" \
	--workload-info "$WALK/other-info.json"
rc=0
"$TC_BIN" admit workload --verifier "$VF_URL" --chain "$WALK/workload/fullchain.pem" \
	--workload-info "$WALK/other-info.json" >"$WALK/other.out" || rc=$?
sed 's/^/  /' "$WALK/other.out"
[ "$rc" = 2 ] || die "admit workload with other workload info: exit $rc, want 2 (deny)"
proved "allow for the workload info the certificate was issued for; deny (exit 2) for any other"

step "5/5: audit the workload certificate down to the Anchored event on chain"
cmd teecert audit --cert "$WALK/workload/cert.pem" --verifier "$VF_URL" --rpc "$RPC_URL" --contract "$CONTRACT" \
	--log-key "$CADIR/log.vkey" --from-block "$DEPLOY_BLOCK"
deadline=$((SECONDS + ANCHOR_TIMEOUT))
while :; do
	rc=0
	"$TC_BIN" audit --cert "$WALK/workload/cert.pem" --verifier "$VF_URL" --rpc "$RPC_URL" --contract "$CONTRACT" \
		--log-key "$CADIR/log.vkey" --from-block "$DEPLOY_BLOCK" >"$WALK/audit.out" 2>&1 || rc=$?
	[ "$rc" = 0 ] && break
	[ "$rc" = 1 ] && { cat "$WALK/audit.out" >&2; die "teecert audit: usage error"; }
	for i in "${!PIDS[@]}"; do
		kill -0 "${PIDS[$i]}" 2>/dev/null || { tail -n 20 "${LOGS[$i]}" >&2; die "${NAMES[$i]} exited"; }
	done
	if [ "$SECONDS" -ge "$deadline" ]; then
		sed 's/^/  /' "$WALK/audit.out" >&2
		die "the workload certificate's log entry was not anchored within ${ANCHOR_TIMEOUT}s (logs: $STATE/teecert-anchor.log)"
	fi
	printf '  (waiting for the checkpoint covering it to be anchored: %s)\n' "$(grep -m1 '^FAIL' "$WALK/audit.out" || tail -n1 "$WALK/audit.out")"
	sleep 1
done
sed 's/^/  /' "$WALK/audit.out"
proved "the certificate is entry of a log whose checkpoint, signed by the pinned log key, is anchored by a" \
	"mined transaction of contract $CONTRACT on chain 204"
# The verifier reports an anchor once the worker has seen it confirmed (its next pass).
while :; do
	"$TC_BIN" admit workload --verifier "$VF_URL" --chain "$WALK/workload/fullchain.pem" --workload-info-hash "$WL_HASH" \
		--json >"$WALK/admit-anchored.json" || die "teecert admit workload after anchoring"
	jq -e '.anchored != null' "$WALK/admit-anchored.json" >/dev/null && break
	[ "$SECONDS" -lt "$deadline" ] || die "the verifier does not report the anchor within ${ANCHOR_TIMEOUT}s"
	sleep 0.5
done
proved "admission now reports it anchored: $(jq -c .anchored "$WALK/admit-anchored.json")"

cat <<EOF

teecert is up.
  root CA (teecert-ca)         $CA_URL        log: $STATE/teecert-ca-root.log
  sub-CA (teecert-ca)          $SUB_URL        log: $STATE/teecert-ca-sub.log
  verifier (teecert-verifier)  $VF_URL        log: $STATE/teecert-verifier.log
  anchor worker                teecert-anchor run   log: $STATE/teecert-anchor.log
  anvil RPC (chain id 204)     $RPC_URL   contract: $CONTRACT
  PostgreSQL DSN               $DSN

  root CA                      $CADIR/root.pem (untrusted network, simulated TDX evidence)
  sub-CA                       $CADIR/sub.pem
  log verifier key (pin it)    $(cat "$CADIR/log.vkey")
  CVM certificate              $WALK/cvm/cert.pem (key: $WALK/cvm/key.pem)
  workload certificate         $WALK/workload/cert.pem (serial $WL_SERIAL)

Try:
  $TC_BIN certs list --verifier $VF_URL
  $TC_BIN certs get $WL_SERIAL --verifier $VF_URL
  $TC_BIN request cvm --ca $SUB_URL --out /tmp/cvm2 --sim $SIM
  $TC_BIN admit peer --verifier $VF_URL --chain $WALK/cvm/fullchain.pem --json
  $TC_BIN audit --serial $WL_SERIAL --verifier $VF_URL --rpc $RPC_URL --contract $CONTRACT --log-key $CADIR/log.vkey
  $AN_BIN status --db '$DSN'
  curl -s $VF_URL/v1/log/checkpoint
  curl -s $CA_URL/openapi.json | jq '.paths | keys'
  curl -s $VF_URL/metrics | head
  psql '$DSN' -c '\\dt'

EOF

if [ "$NO_WAIT" = 1 ]; then
	for u in "$CA_URL" "$SUB_URL" "$VF_URL"; do
		body="$(curl -fsS --max-time 5 "$u/readyz")" || die "$u/readyz failed"
		say "$u/readyz: $body"
	done
	say "--no-wait: the walk passed; stopping"
	exit 0
fi

say "running; Ctrl-C stops everything"
# Sleep in the background and wait on it, so a signal is handled at once. Stop if a service dies.
while :; do
	for i in "${!PIDS[@]}"; do
		if ! kill -0 "${PIDS[$i]}" 2>/dev/null; then
			tail -n 20 "${LOGS[$i]}" >&2 || true
			die "${NAMES[$i]} exited unexpectedly"
		fi
	done
	sleep 1 &
	wait $! || true
done
