/*
 * db_conn.c — one libpq connection with its prepared-statement registry, reconnection, and the helpers
 * every query file uses to execute statements and read typed results.
 *
 * A connection can break while it idles (server restart, pg_terminate_backend, a network cut). libpq only
 * notices when it next reads the socket, so db_conn_check first looks for pending input (a dead backend
 * leaves its FATAL message or EOF there), then reconnects a CONNECTION_BAD connection with PQreset and
 * forgets its prepared statements, which are prepared again on their next use. It never reconnects inside
 * a transaction: the caller must see the failure (the transaction is gone).
 */
#include "db_internal.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

/* Default connect timeout in seconds when the DSN sets none (libpq otherwise waits forever). */
#define DB_CONNECT_TIMEOUT_S "10"
#define DB_PREPARED_INITIAL 16

/* libpq messages end with a newline; the detail reads better without it. */
static int msg_len(const char *msg)
{
	size_t n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	return (int)n;
}

static PGconn *connect_dsn(const char *dsn)
{
	/* With expand_dbname, settings in the DSN override the earlier default connect_timeout. */
	const char *const keys[] = { "connect_timeout", "dbname", NULL };
	const char *const values[] = { DB_CONNECT_TIMEOUT_S, dsn, NULL };
	return PQconnectdbParams(keys, values, 1);
}

/* Server notices and asynchronous errors go to the structured log, not raw to stderr. */
static void notice_to_log(void *arg, const char *message)
{
	(void)arg;
	tc_log(TC_LOG_WARN, "db_notice", "%.*s", msg_len(message), message);
}

TC_RESULT db_conn_open(const char *dsn, struct db_conn **out)
{
	TC_ENSURE(dsn != NULL && out != NULL, TC_ERR_INVALID_ARGUMENT, "db_conn_open: dsn and out are required");
	PGconn *pg = connect_dsn(dsn);
	TC_ENSURE(pg != NULL, TC_ERR_NO_MEMORY, "libpq could not allocate a connection");
	if (PQstatus(pg) != CONNECTION_OK) {
		const char *msg = PQerrorMessage(pg);
		struct tc_result r =
			tc_fail(TC_ERR_DB_UNAVAILABLE, "cannot connect to the database: %.*s", msg_len(msg), msg);
		PQfinish(pg);
		return r;
	}
	struct db_conn *conn = calloc(1, sizeof(*conn));
	if (conn == NULL) {
		PQfinish(pg);
		return tc_fail(TC_ERR_NO_MEMORY, "db_conn_open: out of memory");
	}
	PQsetNoticeProcessor(pg, notice_to_log, NULL);
	conn->pg = pg;
	*out = conn;
	return tc_ok();
}

void db_conn_free(struct db_conn **conn)
{
	if (conn == NULL || *conn == NULL)
		return;
	PQfinish((*conn)->pg);
	free((*conn)->prepared.stmts);
	free(*conn);
	*conn = NULL;
}

struct pg_conn *db_conn_pg(struct db_conn *conn)
{
	return conn->pg;
}

/* Reads of pending input on an idle connection before giving up (a dead backend sends a message, then EOF). */
#define DB_IDLE_READS_MAX 8

/* Read whatever the server sent to an idle connection, so libpq notices a closed or dead backend: its
 * FATAL message arrives first, the end of the stream in a later read. */
static void poll_idle_input(struct db_conn *conn)
{
	for (int i = 0; i < DB_IDLE_READS_MAX && PQstatus(conn->pg) == CONNECTION_OK; i++) {
		int fd = PQsocket(conn->pg);
		if (fd < 0)
			return;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, 0) <= 0)
			return;
		if (PQconsumeInput(conn->pg) == 0)
			return;
		PGnotify *n;
		while ((n = PQnotifies(conn->pg)) != NULL)
			PQfreemem(n);
	}
}

TC_RESULT db_conn_check(struct db_conn *conn)
{
	TC_ENSURE(conn != NULL, TC_ERR_INVALID_ARGUMENT, "db_conn_check: no connection");
	if (!conn->in_txn && PQstatus(conn->pg) == CONNECTION_OK)
		poll_idle_input(conn);
	if (PQstatus(conn->pg) == CONNECTION_OK)
		return tc_ok();
	TC_ENSURE(!conn->in_txn, TC_ERR_DB_UNAVAILABLE, "the database connection broke inside a transaction: %s",
		  PQerrorMessage(conn->pg));
	/* The server-side statements died with the old backend. */
	conn->prepared.len = 0;
	PQreset(conn->pg);
	if (PQstatus(conn->pg) != CONNECTION_OK) {
		const char *msg = PQerrorMessage(conn->pg);
		return tc_fail(TC_ERR_DB_UNAVAILABLE, "cannot reconnect to the database: %.*s", msg_len(msg), msg);
	}
	conn->reconnects++;
	tc_log(TC_LOG_INFO, "db_reconnected", "reconnected to the database (%llu so far)", conn->reconnects);
	return tc_ok();
}

/* ------------------------------------------------------------------------------------ error mapping */

static bool sqlstate_is_connection_loss(const char *state)
{
	/* Class 08 connection_exception; 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now */
	return strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 || strcmp(state, "57P02") == 0 ||
	       strcmp(state, "57P03") == 0;
}

struct tc_result db_fail_result(struct db_conn *conn, const PGresult *res, const char *what)
{
	const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res != NULL ? PQresultErrorMessage(res) : "";
	if (msg[0] == '\0')
		msg = PQerrorMessage(conn->pg);
	snprintf(conn->last_sqlstate, sizeof(conn->last_sqlstate), "%s", state != NULL ? state : "");

	enum tc_code code = TC_ERR_DB_QUERY;
	if (PQstatus(conn->pg) != CONNECTION_OK || (state != NULL && sqlstate_is_connection_loss(state)))
		code = TC_ERR_DB_UNAVAILABLE;
	else if (state != NULL && (strcmp(state, DB_SQLSTATE_SERIALIZATION_FAILURE) == 0 ||
				   strcmp(state, DB_SQLSTATE_DEADLOCK_DETECTED) == 0)) {
		code = TC_ERR_DB_CONFLICT;
		conn->txn_retryable = true;
	} else if (state != NULL && strcmp(state, DB_SQLSTATE_UNIQUE_VIOLATION) == 0)
		code = TC_ERR_DB_CONFLICT;
	return tc_fail(code, "%s: %.*s (SQLSTATE %s)", what, msg_len(msg), msg, state != NULL ? state : "none");
}

static bool result_ok(const PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);
	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

/* ---------------------------------------------------------------------------------- prepared registry */

static bool prepared_has(const struct db_prepared *p, const struct db_stmt *stmt)
{
	for (size_t i = 0; i < p->len; i++) {
		if (p->stmts[i] == stmt)
			return true;
	}
	return false;
}

static TC_RESULT prepared_add(struct db_prepared *p, const struct db_stmt *stmt)
{
	if (p->len == p->cap) {
		size_t cap = p->cap == 0 ? DB_PREPARED_INITIAL : 2 * p->cap;
		const struct db_stmt **s = realloc(p->stmts, cap * sizeof(*s));
		TC_ENSURE(s != NULL, TC_ERR_NO_MEMORY, "prepared-statement registry: out of memory");
		p->stmts = s;
		p->cap = cap;
	}
	p->stmts[p->len++] = stmt;
	return tc_ok();
}

static TC_RESULT prepare(struct db_conn *conn, const struct db_stmt *stmt)
{
	PGresult *res = PQprepare(conn->pg, stmt->name, stmt->sql, stmt->nparams, NULL);
	struct tc_result r = tc_ok();
	if (!result_ok(res)) {
		char what[128];
		snprintf(what, sizeof(what), "prepare %s", stmt->name);
		r = db_fail_result(conn, res, what);
	}
	PQclear(res);
	TC_GUARD(r);
	return prepared_add(&conn->prepared, stmt);
}

#define DB_PARAMS_MAX 32

TC_RESULT db_exec_prepared(struct db_conn *conn, const struct db_stmt *stmt, const struct db_param *params,
			   PGresult **out)
{
	TC_ENSURE(conn != NULL && stmt != NULL && out != NULL, TC_ERR_INVALID_ARGUMENT,
		  "db_exec_prepared: missing argument");
	TC_ENSURE(stmt->nparams >= 0 && stmt->nparams <= DB_PARAMS_MAX && (stmt->nparams == 0 || params != NULL),
		  TC_ERR_INTERNAL, "statement %s: bad parameter count %d", stmt->name, stmt->nparams);
	if (!conn->in_txn)
		TC_GUARD(db_conn_check(conn));
	conn->last_sqlstate[0] = '\0';
	if (!prepared_has(&conn->prepared, stmt))
		TC_GUARD(prepare(conn, stmt));

	const char *values[DB_PARAMS_MAX];
	int lengths[DB_PARAMS_MAX];
	int formats[DB_PARAMS_MAX];
	for (int i = 0; i < stmt->nparams; i++) {
		values[i] = params[i].value;
		lengths[i] = params[i].len;
		formats[i] = params[i].format;
	}
	PGresult *res =
		PQexecPrepared(conn->pg, stmt->name, stmt->nparams, values, lengths, formats, stmt->result_format);
	if (!result_ok(res)) {
		struct tc_result r = db_fail_result(conn, res, stmt->name);
		PQclear(res);
		return r;
	}
	*out = res;
	return tc_ok();
}

TC_RESULT db_exec(struct db_conn *conn, const char *sql)
{
	TC_ENSURE(conn != NULL && sql != NULL, TC_ERR_INVALID_ARGUMENT, "db_exec: missing argument");
	if (!conn->in_txn)
		TC_GUARD(db_conn_check(conn));
	conn->last_sqlstate[0] = '\0';
	PGresult *res = PQexec(conn->pg, sql);
	struct tc_result r = tc_ok();
	if (!result_ok(res)) {
		char what[64];
		snprintf(what, sizeof(what), "%.40s", sql);
		r = db_fail_result(conn, res, what);
	}
	PQclear(res);
	return r;
}

/* ------------------------------------------------------------------------------------- typed values */

static TC_RESULT cell(const PGresult *res, int row, int col, const char **out)
{
	TC_ENSURE(row < PQntuples(res) && col < PQnfields(res), TC_ERR_DB_QUERY, "result has no cell (%d, %d)", row,
		  col);
	TC_ENSURE(!PQgetisnull(res, row, col), TC_ERR_DB_QUERY, "column %s is NULL", PQfname(res, col));
	*out = PQgetvalue(res, row, col);
	return tc_ok();
}

TC_RESULT db_value_int64(const PGresult *res, int row, int col, int64_t *out)
{
	const char *s;
	TC_GUARD(cell(res, row, col, &s));
	char *end = NULL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	TC_ENSURE(errno == 0 && end != s && *end == '\0', TC_ERR_DB_QUERY, "column %s is not an integer: '%s'",
		  PQfname(res, col), s);
	*out = (int64_t)v;
	return tc_ok();
}

TC_RESULT db_value_bool(const PGresult *res, int row, int col, bool *out)
{
	const char *s;
	TC_GUARD(cell(res, row, col, &s));
	TC_ENSURE(strcmp(s, "t") == 0 || strcmp(s, "f") == 0, TC_ERR_DB_QUERY, "column %s is not a boolean: '%s'",
		  PQfname(res, col), s);
	*out = s[0] == 't';
	return tc_ok();
}
