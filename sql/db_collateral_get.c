/*
 * db_collateral_get.c — one cached collateral item by (vendor, kind, key), with or without its bytes.
 */
#include "db_internal.h"

#include <string.h>

static const struct db_stmt stmt = {
	.name = "collateral_get",
	.sql = "SELECT " DB_COLL_ITEM_COLUMNS ","
	       " CASE WHEN $4::boolean THEN encode(raw, 'hex') ELSE '' END,"
	       " CASE WHEN $4::boolean THEN encode(issuer_chain, 'hex') ELSE '' END"
	       " FROM collateral_items WHERE vendor = $1 AND kind = $2 AND item_key = $3",
	.nparams = 4,
};

static TC_RESULT hex_into(const PGresult *res, int col, struct tc_buf *out)
{
	tc_buf_reset(out);
	if (PQgetisnull(res, 0, col))
		return tc_ok();
	const char *v = PQgetvalue(res, 0, col);
	if (!tc_is_ok(tc_hex_decode(v, strlen(v), out)))
		return tc_fail(TC_ERR_DB_QUERY, "collateral_items column %d: %s", col, tc_error_detail());
	return tc_ok();
}

TC_RESULT db_collateral_get(struct db_conn *conn, const char *vendor, const char *kind, const char *key,
			    bool with_raw, struct db_collateral_item *out, bool *found)
{
	TC_ENSURE(conn != NULL && vendor != NULL && kind != NULL && key != NULL && out != NULL && found != NULL,
		  TC_ERR_INVALID_ARGUMENT, "db_collateral_get: missing argument");
	struct db_param params[] = { DB_PARAM_TEXT(vendor), DB_PARAM_TEXT(kind), DB_PARAM_TEXT(key),
				     DB_PARAM_TEXT(with_raw ? "true" : "false") };
	PGresult *res;
	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	struct tc_result r = tc_ok();
	if (PQntuples(res) == 0) {
		*found = false;
		goto out;
	}
	TC_GUARD_GOTO(r, db_collateral_item_read(res, 0, out), out);
	TC_GUARD_GOTO(r, hex_into(res, DB_COLL_ITEM_NCOLUMNS, &out->raw), out);
	TC_GUARD_GOTO(r, hex_into(res, DB_COLL_ITEM_NCOLUMNS + 1, &out->issuer_chain), out);
	*found = true;
out:
	PQclear(res);
	return r;
}
