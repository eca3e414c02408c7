/*
 * db_policy_put.c — keep a policy a CA appraises under (policies, migration 0006) by its digest, so a
 * stored appraisal's policy can be recovered for teecert replay.
 */
#include "db_internal.h"

#include <string.h>

static const struct db_stmt stmt = {
	.name = "policy_put",
	.sql = "INSERT INTO policies (digest, canonical) VALUES ($1, $2) ON CONFLICT (digest) DO NOTHING",
	.nparams = 2,
};

TC_RESULT db_policy_put(struct db_conn *conn, const uint8_t digest[DB_COLL_HASH_LEN], const char *canonical)
{
	TC_ENSURE(conn != NULL && digest != NULL && canonical != NULL, TC_ERR_INVALID_ARGUMENT,
		  "db_policy_put: missing argument");
	TC_ENSURE(strlen(canonical) >= 2 && strlen(canonical) <= DB_POLICY_MAX, TC_ERR_TOO_LARGE, "policy of %zu bytes",
		  strlen(canonical));
	struct db_param params[] = { DB_PARAM_BYTES(digest, DB_COLL_HASH_LEN), DB_PARAM_TEXT(canonical) };
	PGresult *res;
	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	PQclear(res);
	return tc_ok();
}
