/*
 * db_collateral_fail.c — record a failed refresh on a cached collateral item (the cached bytes stay and are
 * served until their own nextUpdate: stale-if-error with a hard limit, docs/collateral.md).
 */
#include "db_internal.h"

#include <inttypes.h>
#include <stdio.h>

static const struct db_stmt stmt = {
	.name = "collateral_fail",
	.sql = "UPDATE collateral_items SET failures = failures + 1, last_error = left($4, 512),"
	       " last_error_at = to_timestamp($5::bigint)"
	       " WHERE vendor = $1 AND kind = $2 AND item_key = $3",
	.nparams = 5,
};

TC_RESULT db_collateral_fail(struct db_conn *conn, const char *vendor, const char *kind, const char *key,
			     const char *error, int64_t at)
{
	TC_ENSURE(conn != NULL && vendor != NULL && kind != NULL && key != NULL && error != NULL,
		  TC_ERR_INVALID_ARGUMENT, "db_collateral_fail: missing argument");
	char at_s[24];
	snprintf(at_s, sizeof(at_s), "%" PRId64, at);
	struct db_param params[] = { DB_PARAM_TEXT(vendor), DB_PARAM_TEXT(kind), DB_PARAM_TEXT(key),
				     DB_PARAM_TEXT(error), DB_PARAM_TEXT(at_s) };
	PGresult *res;
	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	PQclear(res);
	return tc_ok();
}
