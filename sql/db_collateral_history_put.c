/*
 * db_collateral_history_put.c — keep bytes in collateral_history (migration 0006) under their SHA-256: the
 * trust anchors a service appraises with (vendor "operator", kind "anchor"), so a replay finds every
 * digest an appraisal recorded. Collateral items get their history rows from db_collateral_put.
 */
#include "db_internal.h"

#include <inttypes.h>
#include <stdio.h>

static const struct db_stmt stmt = {
	.name = "collateral_history_put",
	.sql = "INSERT INTO collateral_history (sha256, vendor, kind, item_key, data, first_stored)"
	       " VALUES (sha256($4::bytea), $1, $2, $3, $4::bytea, to_timestamp($5::bigint))"
	       " ON CONFLICT (sha256) DO NOTHING",
	.nparams = 5,
};

TC_RESULT db_collateral_history_put(struct db_conn *conn, const char *vendor, const char *kind, const char *key,
				    const uint8_t *data, size_t len, int64_t at)
{
	TC_ENSURE(conn != NULL && vendor != NULL && kind != NULL && key != NULL && data != NULL && len > 0,
		  TC_ERR_INVALID_ARGUMENT, "db_collateral_history_put: missing argument");
	TC_ENSURE(len <= DB_COLL_RAW_MAX, TC_ERR_TOO_LARGE, "history item of %zu bytes", len);
	char ts[24];
	snprintf(ts, sizeof(ts), "%" PRId64, at);
	struct db_param params[] = { DB_PARAM_TEXT(vendor), DB_PARAM_TEXT(kind), DB_PARAM_TEXT(key),
				     DB_PARAM_BYTES(data, len), DB_PARAM_TEXT(ts) };
	PGresult *res;
	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	PQclear(res);
	return tc_ok();
}
