/*
 * db_collateral_log_insert.c — append one fetch (or import) to collateral_fetch_log (migration 0004).
 */
#include "db_internal.h"

#include <inttypes.h>
#include <stdio.h>

static const struct db_stmt stmt = {
	.name = "collateral_log_insert",
	.sql = "INSERT INTO collateral_fetch_log (at, vendor, kind, item_key, url, outcome, http_status, attempts,"
	       " duration_ms, error)"
	       " VALUES (to_timestamp($1::bigint), $2, $3, $4, $5, $6, $7::integer, $8::integer, $9::bigint,"
	       " NULLIF(left($10, 512), ''))",
	.nparams = 10,
};

TC_RESULT db_collateral_log_insert(struct db_conn *conn, const struct db_collateral_log *e)
{
	TC_ENSURE(conn != NULL && e != NULL, TC_ERR_INVALID_ARGUMENT, "db_collateral_log_insert: missing argument");
	char at[24], status[16], attempts[16], dur[24];
	snprintf(at, sizeof(at), "%" PRId64, e->at);
	snprintf(status, sizeof(status), "%d", e->http_status);
	snprintf(attempts, sizeof(attempts), "%d", e->attempts);
	snprintf(dur, sizeof(dur), "%" PRId64, e->duration_ms < 0 ? 0 : e->duration_ms);
	struct db_param params[] = {
		DB_PARAM_TEXT(at),
		DB_PARAM_TEXT(e->vendor),
		DB_PARAM_TEXT(e->kind),
		DB_PARAM_TEXT(e->key),
		DB_PARAM_TEXT(e->url),
		DB_PARAM_TEXT(e->outcome),
		e->http_status > 0 ? DB_PARAM_TEXT(status) : DB_PARAM_TEXT(NULL),
		DB_PARAM_TEXT(attempts),
		DB_PARAM_TEXT(dur),
		DB_PARAM_TEXT(e->error),
	};
	PGresult *res;
	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	PQclear(res);
	return tc_ok();
}
