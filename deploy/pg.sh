#!/usr/bin/env bash
# pg.sh — a throwaway PostgreSQL 15 cluster for tests, benchmarks and the quickstart.
#
#   pg.sh start  DIR   create (first time) and start a cluster; prints its DSN (also written to DIR/dsn)
#   pg.sh stop   DIR   fast shutdown; succeeds when it is not running
#   pg.sh status DIR   "running DSN" (exit 0) or "stopped" (exit 3)
#   pg.sh dsn    DIR   print the DSN of the cluster
#
# The cluster listens on 127.0.0.1 only, on a free TCP port chosen at the first start and kept in DIR/port
# (a restart reuses the data and the same port), and on a unix socket in ROOT/run. Role `teecert` is a
# superuser with trust authentication over 127.0.0.1 — it is a throwaway cluster, never a production one.
# The bootstrap superuser (the OS user running the server) logs in over the socket with peer auth only.
# fsync stays on: benchmarks need durable commits. max_connections is 200 for parallel tests.
#
# Who runs the server: the current user; when that is root, the `postgres` OS user (PostgreSQL refuses to
# run as root) via runuser. Files: DIR/port, DIR/dsn (readable by everyone) and ROOT/{data,run,postgres.log},
# where ROOT is DIR itself, except when the server user cannot reach DIR (a parent folder it cannot
# traverse, e.g. /root/...) or the socket path would be too long (108 bytes on Linux): then ROOT is
# /tmp/teecert-pg-<hash of DIR> and DIR/root names it. Never uses pg_ctlcluster or the system cluster.
#
# Environment: PG_BIN (default /usr/lib/postgresql/15/bin), PG_PORT (port for the first start).
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_ROLE=teecert
PG_DB=teecert
SOCKET_PATH_MAX=100 # sun_path is 108 bytes; keep a margin for ".s.PGSQL.NNNNN"
START_TRIES=8

die() {
	echo "pg.sh: $*" >&2
	exit 1
}

usage() {
	echo "usage: pg.sh start|stop|status|dsn DIR" >&2
	exit 2
}

[ $# -eq 2 ] || usage
CMD=$1
mkdir -p "$2"
DIR=$(cd "$2" && pwd -P)

[ -x "$PG_BIN/pg_ctl" ] || die "PostgreSQL binaries not found in $PG_BIN (install postgresql-15 or set PG_BIN)"

if [ "$(id -u)" -eq 0 ]; then
	PG_USER=postgres
	id "$PG_USER" >/dev/null 2>&1 || die "running as root needs the 'postgres' OS user (from postgresql-15)"
else
	PG_USER=$(id -un)
fi

# Run a command as the server user, from a folder it can read (initdb/psql complain about an unreadable
# cwd), without the lock descriptor: a postmaster inheriting it would hold the lock forever.
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && runuser -u "$PG_USER" -- "$@" 9>&-)
	else
		(cd / && "$@" 9>&-)
	fi
}

# ROOT: where data, socket and log live (see the header).
pick_root() {
	if [ -f "$DIR/root" ]; then
		ROOT=$(cat "$DIR/root")
		return
	fi
	ROOT=$DIR
	if [ "$(id -u)" -eq 0 ]; then
		chown "$PG_USER:" "$DIR"
		if ! as_pg test -w "$DIR" -a -x "$DIR"; then
			ROOT=""
		fi
	fi
	if [ -n "$ROOT" ] && [ ${#ROOT} -gt $((SOCKET_PATH_MAX - 20)) ]; then
		ROOT=""
	fi
	if [ -z "$ROOT" ]; then
		ROOT=/tmp/teecert-pg-$(printf '%s' "$DIR" | sha256sum | cut -c1-16)
		mkdir -p "$ROOT"
		chmod 700 "$ROOT"
		[ "$(id -u)" -eq 0 ] && chown "$PG_USER:" "$ROOT"
		echo "$ROOT" >"$DIR/root"
	fi
}

# Root of an existing cluster without creating anything.
existing_root() {
	if [ -f "$DIR/root" ]; then cat "$DIR/root"; else echo "$DIR"; fi
}

is_running() { # $1 = data folder
	[ -f "$1/PG_VERSION" ] && as_pg "$PG_BIN/pg_ctl" status -D "$1" >/dev/null 2>&1
}

port_in_use() {
	ss -Htln "sport = :$1" 2>/dev/null | grep -q . && return 0
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pick_port() {
	local p
	for _ in $(seq 1 50); do
		p=$(shuf -i 20000-59999 -n 1)
		if ! port_in_use "$p"; then
			echo "$p"
			return
		fi
	done
	die "no free TCP port found on 127.0.0.1"
}

write_conf() { # $1 = port
	as_pg tee "$ROOT/data/teecert.conf" >/dev/null <<EOF
# written by deploy/pg.sh — a throwaway cluster
port = $1
listen_addresses = '127.0.0.1'
unix_socket_directories = '$ROOT/run'
unix_socket_permissions = 0700
max_connections = 200
fsync = on
synchronous_commit = on
logging_collector = off
log_min_messages = warning
log_line_prefix = '%m [%p] %q%u@%d '
EOF
}

init_cluster() {
	as_pg mkdir -p "$ROOT/run"
	as_pg "$PG_BIN/initdb" -D "$ROOT/data" -U "$PG_USER" -E UTF8 --locale=C.UTF-8 \
		--auth-local=peer --auth-host=reject >"$ROOT/initdb.log" 2>&1 ||
		{ cat "$ROOT/initdb.log" >&2; die "initdb failed in $ROOT/data"; }
	as_pg tee "$ROOT/data/pg_hba.conf" >/dev/null <<EOF
# written by deploy/pg.sh: peer for the server's own user on the socket, trust for teecert on 127.0.0.1
local   all   $PG_USER                 peer
host    all   $PG_ROLE   127.0.0.1/32  trust
EOF
	echo "include_if_exists = 'teecert.conf'" | as_pg tee -a "$ROOT/data/postgresql.conf" >/dev/null
}

psql_admin() { # SQL on stdin
	as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$ROOT/run" -p "$PORT" -U "$PG_USER" -d postgres
}

ensure_role_and_db() {
	psql_admin <<EOF
SELECT format('CREATE ROLE %I SUPERUSER LOGIN', '$PG_ROLE')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$PG_ROLE') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', '$PG_DB', '$PG_ROLE')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$PG_DB') \gexec
EOF
}

write_dsn() {
	DSN="postgresql://$PG_ROLE@127.0.0.1:$PORT/$PG_DB"
	echo "$PORT" >"$DIR/port.tmp" && mv "$DIR/port.tmp" "$DIR/port"
	echo "$DSN" >"$DIR/dsn.tmp" && mv "$DIR/dsn.tmp" "$DIR/dsn"
	chmod 644 "$DIR/port" "$DIR/dsn"
}

cmd_start() {
	pick_root
	if [ ! -f "$ROOT/data/PG_VERSION" ]; then
		rm -f "$DIR/port" "$DIR/dsn"
		init_cluster
	fi
	local fixed=0
	if [ -f "$DIR/port" ]; then
		PORT=$(cat "$DIR/port")
		fixed=1
	elif [ -n "${PG_PORT:-}" ]; then
		PORT=$PG_PORT
		fixed=1
	fi
	if is_running "$ROOT/data"; then
		[ -n "${PORT:-}" ] || die "a server runs in $ROOT/data but $DIR/port is missing"
		write_dsn
		ensure_role_and_db
		echo "$DSN"
		return
	fi
	[ "$fixed" -eq 1 ] && port_in_use "$PORT" &&
		die "port $PORT (kept in $DIR/port) is taken by another process; stop it or remove $DIR"
	local try
	for try in $(seq 1 $START_TRIES); do
		[ "$fixed" -eq 1 ] || PORT=$(pick_port)
		write_conf "$PORT"
		if as_pg "$PG_BIN/pg_ctl" start -D "$ROOT/data" -l "$ROOT/postgres.log" -w -t 60 >/dev/null; then
			write_dsn
			ensure_role_and_db
			echo "$DSN"
			return
		fi
		# Someone may have bound the port between the check and the start: pick another one.
		[ "$fixed" -eq 0 ] || break
		echo "pg.sh: start on port $PORT failed (attempt $try), trying another port" >&2
	done
	tail -n 20 "$ROOT/postgres.log" >&2 || true
	die "PostgreSQL did not start (log: $ROOT/postgres.log)"
}

cmd_stop() {
	local root
	root=$(existing_root)
	if ! is_running "$root/data"; then
		echo "stopped"
		return
	fi
	as_pg "$PG_BIN/pg_ctl" stop -D "$root/data" -m fast -w -t 60 >/dev/null
	echo "stopped"
}

cmd_status() {
	local root
	root=$(existing_root)
	if is_running "$root/data"; then
		echo "running $(cat "$DIR/dsn" 2>/dev/null || echo '(no dsn)')"
		return 0
	fi
	echo "stopped"
	exit 3
}

cmd_dsn() {
	[ -f "$DIR/dsn" ] || die "no cluster in $DIR (run: pg.sh start $DIR)"
	cat "$DIR/dsn"
}

# One pg.sh at a time per DIR (ctest fixtures and a developer's shell may overlap).
LOCK_WAIT_S=120
exec 9>"$DIR/.lock"
flock -w $LOCK_WAIT_S 9 || die "another process holds $DIR/.lock (a postmaster started by an older pg.sh? stop it)"

case "$CMD" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
dsn) cmd_dsn ;;
*) usage ;;
esac
