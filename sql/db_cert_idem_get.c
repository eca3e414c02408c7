/*
 * db_cert_idem_get.c — the stored response of an Idempotency-Key (POST /v1/certificates). The row is read
 * with FOR SHARE in the issuance transaction so a concurrent first use of the same key serializes. A key
 * older than TTL_S seconds is not honoured (found false): db_cert_idem_put may then reuse it and
 * db_cert_idem_purge deletes it.
 */
#include <stdio.h>
#include <string.h>

#include "db_internal.h"

static const struct db_stmt stmt = {
	.name = "cert_idem_get",
	.sql = "SELECT encode(request_hash, 'hex'), status, response::text FROM idempotency_keys"
	       " WHERE key = $1 AND created_at > now() - make_interval(secs => $2::bigint) FOR SHARE",
	.nparams = 2,
};

static TC_RESULT read_row(const PGresult *res, uint8_t request_hash[32], int *status, struct tc_buf *response)
{
	const char *hex = PQgetvalue(res, 0, 0);
	int64_t st;

	TC_GUARD(tc_hex_decode_fixed(hex, strlen(hex), request_hash, 32));
	TC_GUARD(db_value_int64(res, 0, 1, &st));
	*status = (int)st;
	return tc_buf_append_str(response, PQgetvalue(res, 0, 2));
}

TC_RESULT db_cert_idem_get(struct db_conn *conn, const char *key, int64_t ttl_s, uint8_t request_hash[32], int *status,
			   struct tc_buf *response, bool *found)
{
	PGresult *res;
	char ttl[24];

	TC_ENSURE(conn && key && request_hash && status && response && found, TC_ERR_INVALID_ARGUMENT,
		  "db_cert_idem_get: missing argument");
	TC_ENSURE(ttl_s > 0, TC_ERR_INVALID_ARGUMENT, "db_cert_idem_get: ttl %lld", (long long)ttl_s);
	snprintf(ttl, sizeof(ttl), "%lld", (long long)ttl_s);
	struct db_param params[] = { DB_PARAM_TEXT(key), DB_PARAM_TEXT(ttl) };
	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	bool f = PQntuples(res) == 1;
	struct tc_result r = f ? read_row(res, request_hash, status, response) : tc_ok();

	PQclear(res);
	TC_GUARD(r);
	*found = f;
	return tc_ok();
}
