/*
 * db_anchors_list.c — the anchors of the log as GET /v1/anchors shows them: the newest LIMIT live anchor
 * transactions (not replaced or dropped), newest tree size first, with their state and receipt block.
 */
#include <stdio.h>
#include <string.h>

#include "db_internal.h"

static const struct db_stmt stmt = {
	.name = "anchors_list",
	.sql = "SELECT tree_size, encode(root, 'hex'), prev_tree_size, state, encode(tx_hash, 'hex'),"
	       "       block_number, encode(block_hash, 'hex'), extract(epoch FROM confirmed_at)::bigint"
	       "  FROM anchor_txs"
	       " WHERE state NOT IN ('replaced', 'dropped')"
	       " ORDER BY tree_size DESC, id DESC"
	       " LIMIT $1::int",
	.nparams = 1,
};

/* Copy a text column (NULL -> ""). */
static TC_RESULT text_col(const PGresult *res, int row, int col, char *out, size_t size)
{
	int len = PQgetlength(res, row, col);

	TC_ENSURE(len >= 0 && (size_t)len < size, TC_ERR_DB_QUERY, "anchors_list: column %d too long", col);
	memcpy(out, PQgetvalue(res, row, col), (size_t)len);
	out[len] = 0;
	return tc_ok();
}

static TC_RESULT row_read(const PGresult *res, int i, struct db_anchor_row *a)
{
	int64_t v = 0;

	memset(a, 0, sizeof(*a));
	TC_GUARD(db_value_int64(res, i, 0, &v));
	a->tree_size = (uint64_t)v;
	TC_GUARD(text_col(res, i, 1, a->root_hex, sizeof(a->root_hex)));
	TC_GUARD(db_value_int64(res, i, 2, &v));
	a->prev_tree_size = (uint64_t)v;
	TC_GUARD(text_col(res, i, 3, a->state, sizeof(a->state)));
	TC_GUARD(text_col(res, i, 4, a->tx_hash_hex, sizeof(a->tx_hash_hex)));
	a->has_block = !PQgetisnull(res, i, 5);
	if (a->has_block) {
		TC_GUARD(db_value_int64(res, i, 5, &v));
		a->block_number = (uint64_t)v;
		TC_GUARD(text_col(res, i, 6, a->block_hash_hex, sizeof(a->block_hash_hex)));
	}
	a->has_confirmed_at = !PQgetisnull(res, i, 7);
	if (a->has_confirmed_at)
		TC_GUARD(db_value_int64(res, i, 7, &a->confirmed_at));
	return tc_ok();
}

TC_RESULT db_anchors_list(struct db_conn *conn, int limit, struct db_anchor_row *rows, size_t *n)
{
	char limit_s[16];
	PGresult *res;
	struct tc_result r = tc_ok();
	int count;

	TC_ENSURE(limit > 0 && limit <= DB_ANCHORS_LIST_MAX, TC_ERR_INVALID_ARGUMENT, "limit must be 1..%d",
		  DB_ANCHORS_LIST_MAX);
	snprintf(limit_s, sizeof(limit_s), "%d", limit);
	struct db_param params[] = { DB_PARAM_TEXT(limit_s) };

	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	count = PQntuples(res);
	for (int i = 0; i < count && tc_is_ok(r); i++)
		r = row_read(res, i, &rows[i]);
	PQclear(res);
	TC_GUARD(r);
	*n = (size_t)count;
	return tc_ok();
}
