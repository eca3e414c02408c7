/*
 * db_collateral_log_counts.c — fetches per outcome in collateral_fetch_log (teecert collateral status).
 */
#include "db_internal.h"

#include <stdio.h>

static const struct db_stmt stmt = {
	.name = "collateral_log_counts",
	.sql = "SELECT outcome, count(*) FROM collateral_fetch_log GROUP BY outcome ORDER BY outcome",
	.nparams = 0,
};

TC_RESULT db_collateral_log_counts(struct db_conn *conn, char (*outcomes)[DB_COLL_OUTCOME_MAX], int64_t *counts,
				   size_t max, size_t *n)
{
	TC_ENSURE(conn != NULL && outcomes != NULL && counts != NULL && n != NULL, TC_ERR_INVALID_ARGUMENT,
		  "db_collateral_log_counts: missing argument");
	PGresult *res;
	TC_GUARD(db_exec_prepared(conn, &stmt, NULL, &res));
	struct tc_result r = tc_ok();
	size_t rows = (size_t)PQntuples(res);
	size_t k = 0;
	for (size_t i = 0; i < rows && k < max; i++, k++) {
		snprintf(outcomes[k], DB_COLL_OUTCOME_MAX, "%s", PQgetvalue(res, (int)i, 0));
		TC_GUARD_GOTO(r, db_value_int64(res, (int)i, 1, &counts[k]), out);
	}
	*n = k;
out:
	PQclear(res);
	return r;
}
