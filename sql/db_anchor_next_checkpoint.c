/*
 * db_anchor_next_checkpoint.c — the next checkpoint to anchor: the smallest tree size above the last
 * anchored one, from log_checkpoints (the transparency log's signed tree heads, migration 0002).
 */
#include "db_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const struct db_stmt stmt = {
	.name = "anchor_next_checkpoint",
	.sql = "SELECT tree_size, encode(root, 'hex') FROM log_checkpoints"
	       " WHERE tree_size > $1::bigint ORDER BY tree_size LIMIT 1",
	.nparams = 1,
};

TC_RESULT db_anchor_next_checkpoint(struct db_conn *conn, uint64_t after, bool *found, uint64_t *tree_size,
				    uint8_t root[DB_ANCHOR_HASH_LEN])
{
	TC_ENSURE(conn != NULL && found != NULL && tree_size != NULL && root != NULL, TC_ERR_INVALID_ARGUMENT,
		  "db_anchor_next_checkpoint: missing argument");
	TC_ENSURE(after <= INT64_MAX, TC_ERR_INVALID_ARGUMENT, "tree size out of range");
	char after_s[24];
	snprintf(after_s, sizeof(after_s), "%" PRIu64, after);
	struct db_param params[] = { DB_PARAM_TEXT(after_s) };
	PGresult *res;
	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	struct tc_result r = tc_ok();
	if (PQntuples(res) == 0) {
		*found = false;
		goto out;
	}
	int64_t size;
	uint8_t h[DB_ANCHOR_HASH_LEN];
	TC_GUARD_GOTO(r, db_value_int64(res, 0, 0, &size), out);
	const char *hex = PQgetvalue(res, 0, 1);
	if (!tc_is_ok(tc_hex_decode_fixed(hex, strlen(hex), h, sizeof(h)))) {
		r = tc_fail(TC_ERR_DB_QUERY, "log_checkpoints row %" PRId64 ": root is not 32 bytes", size);
		goto out;
	}
	TC_ENSURE_GOTO(r, size > 0, out, TC_ERR_DB_QUERY, "log_checkpoints has tree size %" PRId64, size);
	*tree_size = (uint64_t)size;
	memcpy(root, h, sizeof(h));
	*found = true;
out:
	PQclear(res);
	return r;
}
