/*
 * db_challenge_consume_batch.c — consume the nonces of a batch of issuances with one statement (the group
 * commit, api_ca_batch.c); db_challenge_consume stays the one-nonce form and tells why a nonce was refused.
 *
 * One UPDATE marks every listed challenge that exists, is unused and unexpired; its row locks make each nonce
 * single-use under concurrency (a concurrent consumer waits, then sees used_at set and skips the row). A nonce
 * listed twice is consumed once: only its first position counts as consumed. The caller asks
 * db_challenge_consume for the reason of each one not consumed (not found, used, expired).
 */
#include <string.h>

#include "db_internal.h"

static const struct db_stmt stmt = {
	.name = "challenge_consume_batch",
	.sql = "UPDATE challenges SET used_at = now()"
	       " WHERE nonce IN (SELECT substring($1::bytea FROM (k - 1) * 32 + 1 FOR 32)"
	       "                 FROM generate_series(1, length($1::bytea) / 32) AS k)"
	       "   AND used_at IS NULL AND expires_at > now()"
	       " RETURNING nonce",
	.nparams = 1,
	.result_format = 1, /* the nonces as bytes */
};

TC_RESULT db_challenge_consume_batch(struct db_conn *conn, const uint8_t (*nonces)[DB_NONCE_LEN], size_t n,
				     bool *consumed)
{
	PGresult *res;

	TC_ENSURE(conn && nonces && consumed && n >= 1 && n <= DB_CHALLENGE_BATCH_MAX, TC_ERR_INVALID_ARGUMENT,
		  "db_challenge_consume_batch: 1..%d nonces", DB_CHALLENGE_BATCH_MAX);
	struct db_param params[] = { DB_PARAM_BYTES(nonces, n * DB_NONCE_LEN) };
	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	for (size_t i = 0; i < n; i++)
		consumed[i] = false;
	for (int row = 0; row < PQntuples(res); row++) {
		if (PQgetlength(res, row, 0) != DB_NONCE_LEN)
			continue;
		const uint8_t *got = (const uint8_t *)PQgetvalue(res, row, 0);

		for (size_t i = 0; i < n; i++)
			if (memcmp(nonces[i], got, DB_NONCE_LEN) == 0) {
				consumed[i] = true;
				break;
			}
	}
	PQclear(res);
	return tc_ok();
}
