/*
 * db_migrate.c — apply the migrations embedded in this binary (sql/migrations/NNNN-name.sql, see
 * db_migrations_embed.cmake) and check that a database has exactly this binary's schema.
 *
 * Each migration runs in its own READ COMMITTED transaction together with its schema_migrations row, so a
 * failed migration leaves no trace. Every transaction first takes a transaction-scoped advisory lock, so
 * two services migrating at once apply each migration exactly once: the second waits, then sees the
 * first one's rows (READ COMMITTED takes a fresh snapshot per statement, after the lock was granted).
 * Migration 0001 creates schema_migrations itself; a database without that table is at version 0.
 * Migration files must not contain transaction control (BEGIN/COMMIT).
 */
#include "db_internal.h"

#include <stdio.h>
#include <string.h>

/* pg_advisory_xact_lock key: "teecert" + schema, as an int8 (any constant works; it only must not clash). */
#define DB_MIGRATE_LOCK_KEY "8386115442453050739"
#define DB_SHA256_HEX_LEN 64

static const struct db_stmt stmt_lock = {
	.name = "migrate_lock",
	.sql = "SELECT pg_advisory_xact_lock($1::bigint)",
	.nparams = 1,
};

static const struct db_stmt stmt_table_exists = {
	.name = "migrate_table_exists",
	.sql = "SELECT to_regclass('schema_migrations') IS NOT NULL",
	.nparams = 0,
};

static const struct db_stmt stmt_versions = {
	.name = "migrate_versions",
	.sql = "SELECT version, name, encode(sha256, 'hex') FROM schema_migrations ORDER BY version",
	.nparams = 0,
};

static const struct db_stmt stmt_record = {
	.name = "migrate_record",
	.sql = "INSERT INTO schema_migrations (version, name, sha256) VALUES ($1::integer, $2, decode($3, 'hex'))",
	.nparams = 3,
};

int db_schema_latest(void)
{
	return (int)db_migrations_count;
}

/* Compare applied row I (version, name, sha256 hex) of RES with the embedded migrations. */
static TC_RESULT check_row(const PGresult *res, int i, int latest)
{
	int64_t version;
	TC_GUARD(db_value_int64(res, i, 0, &version));
	TC_ENSURE(version <= latest, TC_ERR_DB_SCHEMA_UNKNOWN,
		  "the database has schema version %lld, this binary knows versions up to %d", (long long)version,
		  latest);
	TC_ENSURE(version == i + 1, TC_ERR_DB_SCHEMA_MISMATCH,
		  "schema_migrations has version %lld where version %d was expected (versions must have no gaps)",
		  (long long)version, i + 1);
	const struct db_migration *m = &db_migrations[i];
	const char *sha = PQgetvalue(res, i, 2);
	TC_ENSURE(strcmp(sha, m->sha256) == 0, TC_ERR_DB_SCHEMA_MISMATCH,
		  "migration %04d-%s was applied with SHA-256 %s but this binary's copy has %s (was the file "
		  "edited after it was applied?)",
		  m->version, m->name, sha, m->sha256);
	return tc_ok();
}

/* The database's schema version (0 for an empty database), validated against the embedded migrations:
 * unknown newer versions, gaps and changed checksums are errors. */
static TC_RESULT schema_version(struct db_conn *conn, int *out)
{
	PGresult *res = NULL;
	bool exists;
	struct tc_result r;
	TC_GUARD(db_exec_prepared(conn, &stmt_table_exists, NULL, &res));
	r = db_value_bool(res, 0, 0, &exists);
	PQclear(res);
	TC_GUARD(r);
	if (!exists) {
		*out = 0;
		return tc_ok();
	}

	TC_GUARD(db_exec_prepared(conn, &stmt_versions, NULL, &res));
	int n = PQntuples(res);
	int latest = db_schema_latest();
	/* The highest version decides "unknown" before any checksum is looked at. */
	if (n > 0)
		TC_GUARD_GOTO(r, check_row(res, n - 1, latest), out);
	for (int i = 0; i < n; i++)
		TC_GUARD_GOTO(r, check_row(res, i, latest), out);
	*out = n;
	r = tc_ok();
out:
	PQclear(res);
	return r;
}

/* Inside a transaction: lock, then apply the next migration or report that none is left. */
static TC_RESULT migrate_step(struct db_conn *conn, bool *done)
{
	PGresult *res = NULL;
	struct db_param lock_param[] = { DB_PARAM_TEXT(DB_MIGRATE_LOCK_KEY) };
	TC_GUARD(db_exec_prepared(conn, &stmt_lock, lock_param, &res));
	PQclear(res);

	int version;
	TC_GUARD(schema_version(conn, &version));
	if (version == db_schema_latest()) {
		*done = true;
		return tc_ok();
	}

	const struct db_migration *m = &db_migrations[version];
	/* Copy the cause out of the per-thread detail before tc_fail overwrites it. */
	char cause[TC_DETAIL_MAX];
	struct tc_result r = db_exec(conn, m->sql);
	if (!tc_is_ok(r)) {
		snprintf(cause, sizeof(cause), "%s", tc_error_detail());
		return tc_fail(TC_ERR_MIGRATION_FAILED, "migration %04d-%s failed and was rolled back: %s", m->version,
			       m->name, cause);
	}

	char version_text[16];
	snprintf(version_text, sizeof(version_text), "%d", m->version);
	struct db_param params[] = { DB_PARAM_TEXT(version_text), DB_PARAM_TEXT(m->name), DB_PARAM_TEXT(m->sha256) };
	r = db_exec_prepared(conn, &stmt_record, params, &res);
	if (!tc_is_ok(r)) {
		snprintf(cause, sizeof(cause), "%s", tc_error_detail());
		return tc_fail(TC_ERR_MIGRATION_FAILED, "recording migration %04d-%s failed: %s", m->version, m->name,
			       cause);
	}
	PQclear(res);
	tc_log(TC_LOG_INFO, "db_migration_applied", "migration %04d-%s (sha256 %s)", m->version, m->name, m->sha256);
	*done = false;
	return tc_ok();
}

static void rollback(struct db_conn *conn)
{
	if (PQstatus(conn->pg) == CONNECTION_OK && PQtransactionStatus(conn->pg) != PQTRANS_IDLE) {
		PGresult *res = PQexec(conn->pg, "ROLLBACK");
		PQclear(res);
	}
	conn->in_txn = false;
}

TC_RESULT db_migrate(struct db_conn *conn, int *applied)
{
	TC_ENSURE(conn != NULL, TC_ERR_INVALID_ARGUMENT, "db_migrate: no connection");
	TC_ENSURE(!conn->in_txn, TC_ERR_INTERNAL, "db_migrate: cannot run inside a transaction");
	int count = 0;
	for (;;) {
		bool done = false;
		TC_GUARD(db_conn_check(conn));
		TC_GUARD(db_exec(conn, "BEGIN ISOLATION LEVEL READ COMMITTED"));
		conn->in_txn = true;
		struct tc_result r = migrate_step(conn, &done);
		if (tc_is_ok(r))
			r = db_exec(conn, "COMMIT");
		if (!tc_is_ok(r)) {
			rollback(conn);
			return r;
		}
		conn->in_txn = false;
		if (done)
			break;
		count++;
	}
	if (count > 0)
		tc_log(TC_LOG_INFO, "db_migrated", "applied %d migration(s); schema version is now %d", count,
		       db_schema_latest());
	if (applied != NULL)
		*applied = count;
	return tc_ok();
}

TC_RESULT db_schema_check(struct db_conn *conn)
{
	TC_ENSURE(conn != NULL, TC_ERR_INVALID_ARGUMENT, "db_schema_check: no connection");
	int version;
	TC_GUARD(schema_version(conn, &version));
	TC_ENSURE(version == db_schema_latest(), TC_ERR_DB_SCHEMA_OUTDATED,
		  "the database schema is at version %d, this binary needs version %d; run `teecert-ca migrate`",
		  version, db_schema_latest());
	return tc_ok();
}
