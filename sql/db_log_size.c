/*
 * db_log_size.c — the number of entries of the transparency log (log_state, migration 0002), and the reading of
 * that row, which db_log_lock.c shares.
 */
#include "db_internal.h"

static const struct db_stmt stmt = {
	.name = "log_size",
	.sql = "SELECT size FROM log_state",
	.nparams = 0,
};

TC_RESULT db_log_size(struct db_conn *conn, uint64_t *size)
{
	PGresult *res;

	TC_ENSURE(conn != NULL && size != NULL, TC_ERR_INVALID_ARGUMENT, "db_log_size: missing argument");
	TC_GUARD(db_exec_prepared(conn, &stmt, NULL, &res));
	struct tc_result r = db_log_size_value(res, size);
	PQclear(res);
	return r;
}

TC_RESULT db_log_size_value(const PGresult *res, uint64_t *size)
{
	int64_t v = -1;

	TC_ENSURE(PQntuples(res) == 1, TC_ERR_DB_QUERY, "log_state has no row (migration 0002 missing?)");
	TC_GUARD(db_value_int64(res, 0, 0, &v));
	TC_ENSURE(v >= 0, TC_ERR_DB_QUERY, "log_state size %lld", (long long)v);
	*size = (uint64_t)v;
	return tc_ok();
}
