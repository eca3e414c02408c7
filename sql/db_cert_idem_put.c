/*
 * db_cert_idem_put.c — remember the response given for an Idempotency-Key, in the transaction that made it
 * (so a key is stored exactly when its certificate is).
 */
#include <stdio.h>

#include "db_internal.h"

static const struct db_stmt stmt = {
	.name = "cert_idem_put",
	.sql = "INSERT INTO idempotency_keys (key, request_hash, status, response) VALUES ($1, $2, $3::smallint, $4::jsonb)",
	.nparams = 4,
};

TC_RESULT db_cert_idem_put(struct db_conn *conn, const char *key, const uint8_t request_hash[32], int status,
			   const char *response_json)
{
	char st[16];
	PGresult *res;

	TC_ENSURE(conn && key && request_hash && response_json, TC_ERR_INVALID_ARGUMENT,
		  "db_cert_idem_put: missing argument");
	snprintf(st, sizeof(st), "%d", status);
	struct db_param params[] = { DB_PARAM_TEXT(key), DB_PARAM_BYTES(request_hash, 32), DB_PARAM_TEXT(st),
				     DB_PARAM_TEXT(response_json) };
	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	PQclear(res);
	return tc_ok();
}
