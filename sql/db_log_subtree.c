/*
 * db_log_subtree.c — the stored hash of one complete Merkle subtree [start, start + 2^level) (log_nodes,
 * migration 0002). This is the struct chain_merkle_source lookup in its simplest form; proofs use the
 * batched db_log_subtrees.c instead.
 */
#include <stdio.h>
#include <string.h>

#include "chain.h"
#include "db_internal.h"

static const struct db_stmt stmt = {
	.name = "log_subtree",
	.sql = "SELECT hash FROM log_nodes WHERE level = $1::smallint AND idx = $2::bigint",
	.nparams = 2,
	.result_format = 1, /* hash as raw bytes */
};

TC_RESULT db_log_subtree(struct db_conn *conn, uint64_t start, unsigned level, uint8_t out[DB_LOG_HASH_LEN])
{
	char level_s[8], idx_s[24];
	PGresult *res;
	struct tc_result r = tc_ok();

	TC_ENSURE(conn != NULL && out != NULL, TC_ERR_INVALID_ARGUMENT, "db_log_subtree: missing argument");
	TC_ENSURE(level <= CHAIN_MERKLE_MAX_LEVEL && (start & ((UINT64_C(1) << level) - 1)) == 0,
		  TC_ERR_INVALID_ARGUMENT, "db_log_subtree: start %llu is not a multiple of 2^%u",
		  (unsigned long long)start, level);
	snprintf(level_s, sizeof(level_s), "%u", level);
	snprintf(idx_s, sizeof(idx_s), "%llu", (unsigned long long)(start >> level));
	struct db_param params[] = { DB_PARAM_TEXT(level_s), DB_PARAM_TEXT(idx_s) };

	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	if (PQntuples(res) != 1)
		r = tc_fail(TC_ERR_NOT_FOUND, "the log has no complete subtree [%llu, +2^%u)", (unsigned long long)start,
			    level);
	else if (PQgetlength(res, 0, 0) != DB_LOG_HASH_LEN)
		r = tc_fail(TC_ERR_DB_QUERY, "log_nodes hash of %d bytes", PQgetlength(res, 0, 0));
	else
		memcpy(out, PQgetvalue(res, 0, 0), DB_LOG_HASH_LEN);
	PQclear(res);
	return r;
}
