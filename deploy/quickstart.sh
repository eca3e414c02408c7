#!/usr/bin/env bash
# quickstart.sh — a complete local teecert on this machine, for trying the API by hand.
#
#   deploy/quickstart.sh            bring everything up, walk the mission once, run until Ctrl-C
#   deploy/quickstart.sh --no-wait  bring everything up, walk the mission once, stop everything (a smoke test)
#
# Steps: install dependencies (deploy/install-deps.sh), build build/, start a throwaway PostgreSQL 15
# (deploy/pg.sh, in .teecert/pg) and anvil (deploy/anvil.sh, chain id 204, in .teecert/anvil), apply the
# migrations (`teecert-ca migrate`), make a simulated Intel TDX PKI (`teecert sim tdx --init`, .teecert/sim-tdx),
# a root CA on the untrusted network whose own evidence is simulated (`teecert-ca init --sim-pki`, once, in
# .teecert/ca with its log key from `teecert-ca log-key`), start `teecert-ca serve` (that root) and
# `teecert-verifier serve` (trusting it, signing verdicts) on loopback (logs in .teecert/*.log), wait until
# both say ready, then walk the mission once: a CVM certificate (`teecert request cvm --sim`, in
# .teecert/walk/cvm) and a peer admission of it (`teecert admit peer`). Ctrl-C (SIGINT) or SIGTERM stops the
# services first, then anvil, then PostgreSQL. The data in .teecert/ is kept between runs (the root CA too);
# delete the folder for a fresh start.
#
# Environment (all optional):
#   TEECERT_QUICKSTART_NO_WAIT=1   same as --no-wait
#   TEECERT_SKIP_DEPS=1            do not run install-deps.sh
#   TEECERT_BUILD_DIR              build folder                          (default: build)
#   TEECERT_STATE_DIR              state folder                          (default: .teecert)
#   TEECERT_CA_LISTEN              teecert-ca address                    (default: 127.0.0.1:8081)
#   TEECERT_VERIFIER_LISTEN        teecert-verifier address              (default: 127.0.0.1:8080)
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
VF_LISTEN="${TEECERT_VERIFIER_LISTEN:-127.0.0.1:8080}"
READY_TIMEOUT=60

say() { printf 'quickstart: %s\n' "$*"; }
die() {
	printf 'quickstart: error: %s\n' "$*" >&2
	exit 1
}

# ------------------------------------------------------------------------------------------------- cleanup
PIDS=()   # services we started, in start order
NAMES=()
PG_UP=0
ANVIL_UP=0
STOPPING=0

stop_service() { # PID NAME
	local pid="$1" name="$2" i
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 1 100); do # 10 s for a graceful stop (in-flight requests finish)
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		say "$name did not stop in 10 s; killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	[ "$STOPPING" = 1 ] && exit "$rc"
	STOPPING=1
	local i
	if [ "${#PIDS[@]}" -gt 0 ] || [ "$ANVIL_UP" = 1 ] || [ "$PG_UP" = 1 ]; then
		say "stopping"
	fi
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do # services first, newest first
		stop_service "${PIDS[$i]}" "${NAMES[$i]}"
		say "  ${NAMES[$i]} stopped"
	done
	if [ "$ANVIL_UP" = 1 ]; then
		timeout 30 bash "$ROOT/deploy/anvil.sh" stop "$STATE/anvil" || true
		say "  anvil stopped"
	fi
	if [ "$PG_UP" = 1 ]; then
		timeout 60 bash "$ROOT/deploy/pg.sh" stop "$STATE/pg" >/dev/null || true
		say "  PostgreSQL stopped"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Is something already listening on HOST:PORT?
port_busy() {
	local host="${1%:*}" port="${1##*:}"
	(exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
}

# ------------------------------------------------------------------------------------------ deps and build
if [ "${TEECERT_SKIP_DEPS:-0}" != 1 ]; then
	bash "$ROOT/deploy/install-deps.sh"
fi

say "building $BUILD/"
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
	gen=()
	command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)
	mkdir -p "$STATE"
	cmake -S "$ROOT" -B "$BUILD" "${gen[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$STATE/configure.log" 2>&1 ||
		{ cat "$STATE/configure.log" >&2; die "cmake configure failed (log: $STATE/configure.log)"; }
fi
cmake --build "$BUILD" -j 2 --target teecert-ca teecert-verifier teecert
CA_BIN="$BUILD/cli/teecert-ca"
VF_BIN="$BUILD/cli/teecert-verifier"
TC_BIN="$BUILD/cli/teecert"
[ -x "$CA_BIN" ] && [ -x "$VF_BIN" ] && [ -x "$TC_BIN" ] || die "$CA_BIN / $VF_BIN / $TC_BIN were not built"

for l in "$CA_LISTEN" "$VF_LISTEN"; do
	if port_busy "$l"; then
		die "$l is already in use (another quickstart running? set TEECERT_CA_LISTEN / TEECERT_VERIFIER_LISTEN)"
	fi
done

# ---------------------------------------------------------------------------------------- real services
mkdir -p "$STATE"
say "starting PostgreSQL 15 in $STATE/pg"
PG_UP=1
bash "$ROOT/deploy/pg.sh" start "$STATE/pg" >/dev/null
DSN="$(cat "$STATE/pg/dsn")"

say "starting anvil in $STATE/anvil"
ANVIL_UP=1
RPC_URL="$(bash "$ROOT/deploy/anvil.sh" start "$STATE/anvil" | tail -n1)"

say "applying migrations"
"$CA_BIN" migrate --db "$DSN" >"$STATE/migrate.log" 2>&1 || {
	cat "$STATE/migrate.log" >&2
	die "teecert-ca migrate failed (log: $STATE/migrate.log)"
}

# ------------------------------------------------------------------------------------------------ root CA
# A simulated TDX PKI (fresh each run: its collateral is valid 30 days), then the root CA once: key in
# .teecert/ca (encrypted PKCS#8, 0600), self-signed certificate embedding its own (simulated) evidence.
SIM="$STATE/sim-tdx"
CADIR="$STATE/ca"
say "making a simulated TDX PKI in $SIM (teecert sim tdx --init)"
rm -rf "$SIM"
"$TC_BIN" sim tdx --init "$SIM" >"$STATE/sim.log" 2>&1 || { cat "$STATE/sim.log" >&2; die "teecert sim tdx --init failed"; }
mkdir -p "$CADIR"
chmod 700 "$CADIR"
[ -f "$CADIR/passphrase" ] || (umask 077 && openssl rand -hex 24 >"$CADIR/passphrase")
[ -f "$CADIR/admin-token" ] || (umask 077 && openssl rand -hex 24 >"$CADIR/admin-token")
if [ ! -f "$CADIR/root.pem" ]; then
	say "creating the root CA 'quickstart-root' (teecert-ca init --network untrusted --sim-pki)"
	rm -f "$CADIR/root.key"
	"$CA_BIN" init --name quickstart-root --network untrusted --key-out "$CADIR/root.key" \
		--passphrase-file "$CADIR/passphrase" --cert-out "$CADIR/root.pem" --db "$DSN" --sim-pki "$SIM" \
		>"$STATE/init.log" 2>&1 || { cat "$STATE/init.log" >&2; die "teecert-ca init failed"; }
else
	say "root CA: reusing $CADIR/root.pem"
fi
if [ ! -f "$CADIR/log.key" ]; then
	"$CA_BIN" log-key --out "$CADIR/log.key" >"$CADIR/log-key.txt" 2>&1 ||
		{ cat "$CADIR/log-key.txt" >&2; die "teecert-ca log-key failed"; }
fi
[ -f "$CADIR/verdict.key" ] ||
	(umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$CADIR/verdict.key" 2>/dev/null)
echo '{"allow_simulated": true}' >"$CADIR/ca-policy.json"

# ------------------------------------------------------------------------------------------ our services
start_service() { # NAME LOG BIN ARGS...
	local name="$1" log="$2"
	shift 2
	: >"$log"
	# setsid: Ctrl-C reaches this script only, which then stops everything in order.
	setsid "$@" >>"$log" 2>&1 </dev/null &
	PIDS+=($!)
	NAMES+=("$name")
}

# Wait until NAME (pid PID) logged "listening on http://..." and its /readyz answers 200.
wait_ready() { # NAME PID LOG URL
	local name="$1" pid="$2" log="$3" url="$4" deadline=$((SECONDS + READY_TIMEOUT))
	while [ "$SECONDS" -lt "$deadline" ]; do
		kill -0 "$pid" 2>/dev/null || {
			tail -n 20 "$log" >&2
			die "$name exited during start-up (log: $log)"
		}
		if grep -q 'listening on http://' "$log" && curl -fsS --max-time 2 "$url/readyz" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.2
	done
	tail -n 20 "$log" >&2
	die "$name not ready after ${READY_TIMEOUT}s (log: $log)"
}

say "starting teecert-ca on $CA_LISTEN and teecert-verifier on $VF_LISTEN"
CA_URL="http://$CA_LISTEN"
VF_URL="http://$VF_LISTEN"
start_service teecert-ca "$STATE/ca.log" "$CA_BIN" serve --listen "$CA_LISTEN" --db "$DSN" \
	--ca-key "$CADIR/root.key" --passphrase-file "$CADIR/passphrase" --ca-cert "$CADIR/root.pem" \
	--collateral "$SIM/collateral" --trust-anchor "intel_root=$SIM/intel_root.pem" --policy "$CADIR/ca-policy.json" \
	--admin-token-file "$CADIR/admin-token" --public-url "$CA_URL" --log-key "$CADIR/log.key"
start_service teecert-verifier "$STATE/verifier.log" "$VF_BIN" serve --listen "$VF_LISTEN" --db "$DSN" \
	--trust-root "$CADIR/root.pem" --signing-key "$CADIR/verdict.key"
wait_ready teecert-ca "${PIDS[0]}" "$STATE/ca.log" "$CA_URL"
wait_ready teecert-verifier "${PIDS[1]}" "$STATE/verifier.log" "$VF_URL"

# ------------------------------------------------------------------------------------------- the mission
# What a node agent and a peer do (DESIGN.md "Users"): a CVM certificate, then an admission decision.
WALK="$STATE/walk"
mkdir -p "$WALK"
say "walk 1/2: a CVM certificate from the CA (teecert request cvm --sim)"
echo "  \$ teecert request cvm --ca $CA_URL --out $WALK/cvm --sim $SIM --san node1.local"
"$TC_BIN" request cvm --ca "$CA_URL" --out "$WALK/cvm" --sim "$SIM" --san node1.local --cn node1 | sed 's/^/  /' ||
	die "teecert request cvm failed"
say "walk 2/2: may this CVM peer with us? (teecert admit peer)"
echo "  \$ teecert admit peer --verifier $VF_URL --chain $WALK/cvm/cert.pem"
"$TC_BIN" admit peer --verifier "$VF_URL" --chain "$WALK/cvm/cert.pem" | sed 's/^/  /' ||
	die "teecert admit peer did not allow the CVM (exit 2: denied, 3: the verifier could not be asked)"

cat <<EOF

teecert is up.
  CA (teecert-ca)              $CA_URL        log: $STATE/ca.log
  verifier (teecert-verifier)  $VF_URL        log: $STATE/verifier.log
  anvil RPC (chain id 204)     $RPC_URL
  PostgreSQL DSN               $DSN

  root CA                      $CADIR/root.pem (untrusted network, simulated TDX evidence)
  log verifier key (pin it)    $(tail -n1 "$CADIR/log-key.txt")
  CVM certificate              $WALK/cvm/cert.pem (key: $WALK/cvm/key.pem)

Try:
  $TC_BIN certs list --verifier $VF_URL
  $TC_BIN request cvm --ca $CA_URL --out /tmp/cvm2 --sim $SIM
  $TC_BIN admit peer --verifier $VF_URL --chain $WALK/cvm/cert.pem --json
  curl -s $VF_URL/readyz
  curl -s -X POST -H 'Content-Type: application/json' -d '{}' $VF_URL/v1/challenges
  curl -s $CA_URL/openapi.json | jq '.paths | keys'
  curl -s $VF_URL/metrics | head
  psql '$DSN' -c '\\dt'

EOF

if [ "$NO_WAIT" = 1 ]; then
	for u in "$CA_URL" "$VF_URL"; do
		body="$(curl -fsS --max-time 5 "$u/readyz")" || die "$u/readyz failed"
		say "$u/readyz: $body"
	done
	say "--no-wait: everything came up; stopping"
	exit 0
fi

say "running; Ctrl-C stops everything"
# Sleep in the background and wait on it, so a signal is handled at once. Stop if a service dies.
while :; do
	for i in "${!PIDS[@]}"; do
		if ! kill -0 "${PIDS[$i]}" 2>/dev/null; then
			tail -n 20 "$STATE/${NAMES[$i]#teecert-}.log" >&2 || true
			die "${NAMES[$i]} exited unexpectedly"
		fi
	done
	sleep 1 &
	wait $! || true
done
