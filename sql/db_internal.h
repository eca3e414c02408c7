/*
 * db_internal.h — private to sql/ (and its tests): the connection struct, the prepared-statement helper
 * every query file uses, SQLSTATE classification and the embedded migrations.
 *
 * A query file reads like this (STYLE.md point 9: the SQL, its parameters and its results on one screen):
 *
 *   static const struct db_stmt stmt = {
 *           .name = "challenge_insert", .nparams = 2,
 *           .sql = "INSERT INTO challenges ... VALUES ($1, ...) RETURNING ...",
 *   };
 *   struct db_param params[] = { DB_PARAM_BYTES(nonce, DB_NONCE_LEN), DB_PARAM_TEXT(lifetime) };
 *   TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
 *
 * The statement is prepared on its first use on a connection, and again after that connection reconnects.
 */
#ifndef DB_INTERNAL_H
#define DB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "db.h"

/* SQLSTATE: five characters plus NUL. */
#define DB_SQLSTATE_LEN 6

/* SQLSTATEs the module acts on (PostgreSQL manual, Appendix A). */
#define DB_SQLSTATE_UNIQUE_VIOLATION "23505"
#define DB_SQLSTATE_SERIALIZATION_FAILURE "40001"
#define DB_SQLSTATE_DEADLOCK_DETECTED "40P01"

/* A statement with a name unique across sql/; declare it `static const` in the query file. */
struct db_stmt {
	const char *name;
	const char *sql;
	int nparams;
	int result_format; /* 0: text results (the default), 1: binary */
};

/* One bound parameter. A NULL value is SQL NULL. Text parameters are NUL-terminated. */
struct db_param {
	const char *value;
	int len;    /* binary parameters only */
	int format; /* 0: text, 1: binary */
};

#define DB_PARAM_TEXT(s) ((struct db_param){ .value = (s), .len = 0, .format = 0 })
#define DB_PARAM_BYTES(p, n) ((struct db_param){ .value = (const char *)(p), .len = (int)(n), .format = 1 })

/* The statements prepared on one connection, by address of their static struct db_stmt. */
struct db_prepared {
	const struct db_stmt **stmts;
	size_t len;
	size_t cap;
};

struct db_conn {
	PGconn *pg;
	struct db_prepared prepared;
	bool in_txn;                         /* inside db_txn_run (or a migration): never reconnect then */
	unsigned long long reconnects;       /* successful reconnections of this connection */
	char last_sqlstate[DB_SQLSTATE_LEN]; /* SQLSTATE of the last failed statement ("" after success) */
	bool txn_retryable;                  /* a statement of this transaction failed with 40001 or 40P01 */
};

/*
 * Execute STMT with PARAMS (STMT->nparams entries), preparing it first when this connection has not yet.
 * On success *OUT is the result (PQclear it); on failure nothing is written and the error is classified
 * (db_fail_result). Outside a transaction a broken connection is re-established first.
 */
TC_RESULT db_exec_prepared(struct db_conn *conn, const struct db_stmt *stmt, const struct db_param *params,
			   PGresult **out);
/* Run SQL (one or several statements, no parameters) with the simple query protocol; no result. */
TC_RESULT db_exec(struct db_conn *conn, const char *sql);

/*
 * PostgreSQL array literals for unnest() parameters (db_array.c), built in an empty buffer B: append a
 * number, or a quoted text element (quotes and backslashes escaped; NULL S is NULL); db_array_close ends it
 * ("{}" when empty) and NUL-terminates it for DB_PARAM_TEXT.
 */
TC_RESULT db_array_num(struct tc_buf *b, long long v);
TC_RESULT db_array_text(struct tc_buf *b, const char *s);
TC_RESULT db_array_close(struct tc_buf *b);

/*
 * Turn a failed RES on CONN into a result: records the SQLSTATE in conn->last_sqlstate and maps it:
 * connection loss (class 08, 57P01-57P03, or a bad connection) -> TC_ERR_DB_UNAVAILABLE; 23505, 40001,
 * 40P01 -> TC_ERR_DB_CONFLICT; anything else -> TC_ERR_DB_QUERY. WHAT names the statement in the detail.
 */
struct tc_result db_fail_result(struct db_conn *conn, const PGresult *res, const char *what);

/* Typed reads of text-format result cells; a NULL or malformed cell is TC_ERR_DB_QUERY. */
TC_RESULT db_value_int64(const PGresult *res, int row, int col, int64_t *out);
TC_RESULT db_value_bool(const PGresult *res, int row, int col, bool *out);

/* The size of the transparency log from RES, the result of `SELECT size FROM log_state` (db_log_size.c; also
 * db_log_lock.c). */
TC_RESULT db_log_size_value(const PGresult *res, uint64_t *size);

/* One migration embedded at build time from sql/migrations/NNNN-name.sql (generated db_migrations.c). */
struct db_migration {
	int version;
	const char *name;   /* "bookkeeping-and-challenges" */
	const char *sql;    /* the file's text */
	const char *sha256; /* lowercase hex SHA-256 of the file's bytes */
};

/* Versions 1..db_migrations_count, in order (checked by the generator). */
extern const struct db_migration db_migrations[];
extern const size_t db_migrations_count;

#endif /* DB_INTERNAL_H */
