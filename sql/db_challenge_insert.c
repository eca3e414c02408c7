/*
 * db_challenge_insert.c — store a fresh challenge nonce (DESIGN.md "Evidence binding", step 1).
 * The expiry comes from the database clock so every replica agrees on it.
 */
#include "db_internal.h"

#include <stdio.h>

/* A challenge lives at most a day (the default is 5 minutes); 0 is allowed and is expired at once. */
#define DB_CHALLENGE_LIFETIME_MAX_S 86400

static const struct db_stmt stmt = {
	.name = "challenge_insert",
	.sql = "INSERT INTO challenges (nonce, created_at, expires_at)"
	       " VALUES ($1, now(), now() + make_interval(secs => $2::integer))"
	       " RETURNING floor(extract(epoch FROM expires_at))::bigint",
	.nparams = 2,
};

TC_RESULT db_challenge_insert(struct db_conn *conn, const uint8_t nonce[DB_NONCE_LEN], int lifetime_s,
			      int64_t *expires_at)
{
	TC_ENSURE(conn != NULL && nonce != NULL && expires_at != NULL, TC_ERR_INVALID_ARGUMENT,
		  "db_challenge_insert: missing argument");
	TC_ENSURE(lifetime_s >= 0 && lifetime_s <= DB_CHALLENGE_LIFETIME_MAX_S, TC_ERR_INVALID_ARGUMENT,
		  "challenge lifetime %d s is outside 0..%d s", lifetime_s, DB_CHALLENGE_LIFETIME_MAX_S);
	char lifetime[16];
	snprintf(lifetime, sizeof(lifetime), "%d", lifetime_s);
	struct db_param params[] = { DB_PARAM_BYTES(nonce, DB_NONCE_LEN), DB_PARAM_TEXT(lifetime) };

	PGresult *res;
	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	int64_t expiry;
	struct tc_result r = db_value_int64(res, 0, 0, &expiry);
	PQclear(res);
	TC_GUARD(r);
	*expires_at = expiry;
	return tc_ok();
}
