/*
 * db_challenge_consume.c — use a challenge exactly once (DESIGN.md "Evidence binding", step 3).
 *
 * The row is locked (FOR UPDATE) so two requests presenting the same nonce serialize: the second sees
 * used_at set. Expiry is judged with the database clock (now(), the start of the caller's transaction)
 * so replicas with skewed clocks agree.
 */
#include "db_internal.h"

static const struct db_stmt stmt_lock = {
	.name = "challenge_consume_lock",
	.sql = "SELECT used_at IS NOT NULL, expires_at <= now()"
	       " FROM challenges WHERE nonce = $1 FOR UPDATE",
	.nparams = 1,
};

static const struct db_stmt stmt_use = {
	.name = "challenge_consume_use",
	.sql = "UPDATE challenges SET used_at = now() WHERE nonce = $1 AND used_at IS NULL",
	.nparams = 1,
};

/* Decide from the locked row whether the challenge may be used. */
static TC_RESULT usable(const PGresult *res)
{
	TC_ENSURE(PQntuples(res) == 1, TC_ERR_CHALLENGE_NOT_FOUND, "no challenge with this nonce was issued");
	bool used, expired;
	TC_GUARD(db_value_bool(res, 0, 0, &used));
	TC_GUARD(db_value_bool(res, 0, 1, &expired));
	TC_ENSURE(!used, TC_ERR_CHALLENGE_USED, "this challenge was already used");
	TC_ENSURE(!expired, TC_ERR_CHALLENGE_EXPIRED, "this challenge expired");
	return tc_ok();
}

TC_RESULT db_challenge_consume(struct db_conn *conn, const uint8_t nonce[DB_NONCE_LEN])
{
	TC_ENSURE(conn != NULL && nonce != NULL, TC_ERR_INVALID_ARGUMENT, "db_challenge_consume: missing argument");
	struct db_param params[] = { DB_PARAM_BYTES(nonce, DB_NONCE_LEN) };

	PGresult *res;
	TC_GUARD(db_exec_prepared(conn, &stmt_lock, params, &res));
	struct tc_result r = usable(res);
	PQclear(res);
	TC_GUARD(r);

	TC_GUARD(db_exec_prepared(conn, &stmt_use, params, &res));
	bool updated = PQcmdTuples(res)[0] == '1';
	PQclear(res);
	TC_ENSURE(updated, TC_ERR_DB_QUERY, "the locked challenge row could not be marked used");
	return tc_ok();
}
