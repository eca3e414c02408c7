/*
 * db_log_checkpoint_get.c — read a stored checkpoint: the latest one, or the one of a given tree size
 * (log_checkpoints, migration 0002). Two statements with the same columns and one row reader.
 */
#include <stdio.h>
#include <string.h>

#include "db_internal.h"

#define CHECKPOINT_COLUMNS                                                                                         \
	"tree_size, encode(root, 'hex'), extract(epoch FROM signed_at)::bigint, note, key_name,"                   \
	" encode(key_id, 'hex'), encode(signature, 'hex')"

static const struct db_stmt stmt_latest = {
	.name = "log_checkpoint_latest",
	.sql = "SELECT " CHECKPOINT_COLUMNS " FROM log_checkpoints ORDER BY tree_size DESC LIMIT 1",
	.nparams = 0,
};

static const struct db_stmt stmt_by_size = {
	.name = "log_checkpoint_by_size",
	.sql = "SELECT " CHECKPOINT_COLUMNS " FROM log_checkpoints WHERE tree_size = $1::bigint",
	.nparams = 1,
};

enum { COL_SIZE, COL_ROOT, COL_TIME, COL_NOTE, COL_KEY_NAME, COL_KEY_ID, COL_SIG };

static TC_RESULT hex_cell(const PGresult *res, int col, void *out, size_t len)
{
	return tc_hex_decode_fixed(PQgetvalue(res, 0, col), (size_t)PQgetlength(res, 0, col), out, len);
}

static TC_RESULT row_read(const PGresult *res, struct db_log_checkpoint *cp)
{
	int64_t size;

	TC_GUARD(db_value_int64(res, 0, COL_SIZE, &size));
	TC_ENSURE(size > 0, TC_ERR_DB_QUERY, "log_checkpoints size %lld", (long long)size);
	cp->tree_size = (uint64_t)size;
	TC_GUARD(hex_cell(res, COL_ROOT, cp->root, DB_LOG_HASH_LEN));
	TC_GUARD(db_value_int64(res, 0, COL_TIME, &cp->time));
	TC_ENSURE((size_t)PQgetlength(res, 0, COL_NOTE) < sizeof(cp->note) &&
			  (size_t)PQgetlength(res, 0, COL_KEY_NAME) < sizeof(cp->key_name),
		  TC_ERR_DB_QUERY, "log_checkpoints note or key name too long");
	snprintf(cp->note, sizeof(cp->note), "%s", PQgetvalue(res, 0, COL_NOTE));
	snprintf(cp->key_name, sizeof(cp->key_name), "%s", PQgetvalue(res, 0, COL_KEY_NAME));
	TC_GUARD(hex_cell(res, COL_KEY_ID, cp->key_id, DB_LOG_KEY_ID_LEN));
	return hex_cell(res, COL_SIG, cp->signature, DB_LOG_SIG_LEN);
}

/* Run STMT, read its row (if any) into a heap copy, hand it out on success. */
static TC_RESULT checkpoint_query(struct db_conn *conn, const struct db_stmt *stmt, const struct db_param *params,
				  struct db_log_checkpoint *out, bool *found)
{
	PGresult *res;
	struct db_log_checkpoint *cp;
	struct tc_result r = tc_ok();

	TC_ENSURE(conn != NULL && out != NULL && found != NULL, TC_ERR_INVALID_ARGUMENT,
		  "log checkpoint get: missing argument");
	cp = calloc(1, sizeof(*cp));
	TC_ENSURE(cp != NULL, TC_ERR_NO_MEMORY, "log checkpoint");
	TC_GUARD_GOTO(r, db_exec_prepared(conn, stmt, params, &res), out);
	if (PQntuples(res) == 1)
		r = row_read(res, cp);
	if (tc_is_ok(r)) {
		*found = PQntuples(res) == 1;
		if (*found)
			*out = *cp;
	}
	PQclear(res);
out:
	free(cp);
	return r;
}

TC_RESULT db_log_checkpoint_latest(struct db_conn *conn, struct db_log_checkpoint *out, bool *found)
{
	return checkpoint_query(conn, &stmt_latest, NULL, out, found);
}

TC_RESULT db_log_checkpoint_by_size(struct db_conn *conn, uint64_t size, struct db_log_checkpoint *out, bool *found)
{
	char size_s[24];

	TC_ENSURE(size <= INT64_MAX, TC_ERR_INVALID_ARGUMENT, "checkpoint size beyond 2^63");
	snprintf(size_s, sizeof(size_s), "%llu", (unsigned long long)size);
	struct db_param params[] = { DB_PARAM_TEXT(size_s) };

	return checkpoint_query(conn, &stmt_by_size, params, out, found);
}
