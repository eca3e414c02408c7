/*
 * db_collateral_history_get.c — the bytes an appraisal recorded by SHA-256 (collateral_history, migration
 * 0006): a collateral version, an issuer chain or a trust anchor, for teecert replay.
 */
#include "db_internal.h"

#include <stdio.h>
#include <string.h>

static const struct db_stmt stmt = {
	.name = "collateral_history_get",
	.sql = "SELECT kind, item_key, encode(data, 'hex') FROM collateral_history WHERE sha256 = $1",
	.nparams = 1,
};

TC_RESULT db_collateral_history_get(struct db_conn *conn, const uint8_t digest[DB_COLL_HASH_LEN], struct tc_buf *data,
				    char *kind, char *key, bool *found)
{
	TC_ENSURE(conn != NULL && digest != NULL && data != NULL && kind != NULL && key != NULL && found != NULL,
		  TC_ERR_INVALID_ARGUMENT, "db_collateral_history_get: missing argument");
	struct db_param params[] = { DB_PARAM_BYTES(digest, DB_COLL_HASH_LEN) };
	PGresult *res;
	struct tc_result r = tc_ok();
	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	*found = PQntuples(res) == 1;
	if (*found) {
		const char *hex = PQgetvalue(res, 0, 2);
		snprintf(kind, DB_COLL_KIND_MAX + 16, "%s", PQgetvalue(res, 0, 0));
		snprintf(key, DB_COLL_KEY_MAX + 1, "%s", PQgetvalue(res, 0, 1));
		tc_buf_reset(data);
		r = tc_hex_decode(hex, strlen(hex), data);
		if (!tc_is_ok(r))
			r = tc_fail(TC_ERR_DB_QUERY, "collateral_history data: %s", tc_error_detail());
	}
	PQclear(res);
	return r;
}
