/*
 * db_cert_idem_put.c — remember the response given for an Idempotency-Key, in the transaction that made it
 * (so a key is stored exactly when its certificate is). A row older than TTL_S seconds (expired, no longer
 * honoured) is replaced; a live row of the same key (a concurrent first use) is TC_ERR_DB_CONFLICT.
 */
#include <stdio.h>

#include "db_internal.h"

static const struct db_stmt stmt = {
	.name = "cert_idem_put",
	.sql = "INSERT INTO idempotency_keys (key, request_hash, status, response) VALUES ($1, $2, $3::smallint, $4::jsonb)"
	       " ON CONFLICT (key) DO UPDATE SET request_hash = EXCLUDED.request_hash, status = EXCLUDED.status,"
	       " response = EXCLUDED.response, created_at = now()"
	       " WHERE idempotency_keys.created_at <= now() - make_interval(secs => $5::bigint)",
	.nparams = 5,
};

TC_RESULT db_cert_idem_put(struct db_conn *conn, const char *key, int64_t ttl_s, const uint8_t request_hash[32],
			   int status, const char *response_json)
{
	char st[16], ttl[24];
	bool stored;
	PGresult *res;

	TC_ENSURE(conn && key && request_hash && response_json, TC_ERR_INVALID_ARGUMENT,
		  "db_cert_idem_put: missing argument");
	TC_ENSURE(ttl_s > 0, TC_ERR_INVALID_ARGUMENT, "db_cert_idem_put: ttl %lld", (long long)ttl_s);
	snprintf(st, sizeof(st), "%d", status);
	snprintf(ttl, sizeof(ttl), "%lld", (long long)ttl_s);
	struct db_param params[] = { DB_PARAM_TEXT(key), DB_PARAM_BYTES(request_hash, 32), DB_PARAM_TEXT(st),
				     DB_PARAM_TEXT(response_json), DB_PARAM_TEXT(ttl) };
	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	stored = PQcmdTuples(res)[0] == '1';
	PQclear(res);
	TC_ENSURE(stored, TC_ERR_DB_CONFLICT, "Idempotency-Key '%.64s' was stored by a concurrent request; retry",
		  key);
	return tc_ok();
}
