/*
 * db_log_subtrees.c — many complete-subtree hashes in one round trip: the subtrees a root or proof needs
 * (O(log^2 n) at worst) are listed first, then fetched with this query, in the order asked.
 */
#include <string.h>

#include "chain.h"
#include "db_internal.h"

/* One row per requested subtree, in request order, NULL when it is missing. A correlated subquery rather than a
 * LEFT JOIN: the join's generic plan (a prepared statement is planned once, while the log may still be small)
 * can be a hash join over a sequential scan of log_nodes, which then reads every node on each append as the log
 * grows; the subquery's only sensible plan is one primary-key lookup per requested subtree. */
static const struct db_stmt stmt = {
	.name = "log_subtrees",
	.sql = "SELECT (SELECT n.hash FROM log_nodes n WHERE n.level = q.level AND n.idx = q.idx)"
	       " FROM unnest($1::smallint[], $2::bigint[]) WITH ORDINALITY AS q(level, idx, i) ORDER BY q.i",
	.nparams = 2,
	.result_format = 1, /* hashes as raw bytes */
};

/* "{a,b,c}" array literals of the levels and the indices (NUL-terminated). */
static TC_RESULT arrays_build(size_t n, const uint64_t *starts, const unsigned *levels, struct tc_buf *lv,
			      struct tc_buf *ix)
{
	for (size_t i = 0; i < n; i++) {
		TC_ENSURE(levels[i] <= CHAIN_MERKLE_MAX_LEVEL && (starts[i] & ((UINT64_C(1) << levels[i]) - 1)) == 0,
			  TC_ERR_INVALID_ARGUMENT, "db_log_subtrees: start %llu is not a multiple of 2^%u",
			  (unsigned long long)starts[i], levels[i]);
		TC_GUARD(db_array_num(lv, levels[i]));
		TC_GUARD(db_array_num(ix, (long long)(starts[i] >> levels[i])));
	}
	TC_GUARD(db_array_close(lv));
	return db_array_close(ix);
}

static TC_RESULT rows_copy(const PGresult *res, size_t n, const uint64_t *starts, const unsigned *levels,
			   uint8_t (*out)[DB_LOG_HASH_LEN])
{
	TC_ENSURE((size_t)PQntuples(res) == n, TC_ERR_DB_QUERY, "log_subtrees: %d rows for %zu subtrees",
		  PQntuples(res), n);
	for (size_t i = 0; i < n; i++) {
		TC_ENSURE(!PQgetisnull(res, (int)i, 0), TC_ERR_NOT_FOUND,
			  "the log has no complete subtree [%llu, +2^%u)", (unsigned long long)starts[i], levels[i]);
		TC_ENSURE(PQgetlength(res, (int)i, 0) == DB_LOG_HASH_LEN, TC_ERR_DB_QUERY, "log_nodes hash size");
		memcpy(out[i], PQgetvalue(res, (int)i, 0), DB_LOG_HASH_LEN);
	}
	return tc_ok();
}

TC_RESULT db_log_subtrees(struct db_conn *conn, size_t n, const uint64_t *starts, const unsigned *levels,
			  uint8_t (*out)[DB_LOG_HASH_LEN])
{
	struct tc_buf lv, ix;
	PGresult *res = NULL;
	struct tc_result r = tc_ok();

	TC_ENSURE(conn != NULL && (n == 0 || (starts != NULL && levels != NULL && out != NULL)),
		  TC_ERR_INVALID_ARGUMENT, "db_log_subtrees: missing argument");
	TC_ENSURE(n <= DB_LOG_SUBTREES_MAX, TC_ERR_INVALID_ARGUMENT, "db_log_subtrees: %zu subtrees asked", n);
	if (n == 0)
		return tc_ok();
	tc_buf_init(&lv, n * 4 + 8);
	tc_buf_init(&ix, n * 22 + 8);
	TC_GUARD_GOTO(r, arrays_build(n, starts, levels, &lv, &ix), out);
	struct db_param params[] = { DB_PARAM_TEXT((const char *)lv.data), DB_PARAM_TEXT((const char *)ix.data) };

	TC_GUARD_GOTO(r, db_exec_prepared(conn, &stmt, params, &res), out);
	r = rows_copy(res, n, starts, levels, out);
out:
	PQclear(res);
	tc_buf_cleanup(&lv);
	tc_buf_cleanup(&ix);
	return r;
}
