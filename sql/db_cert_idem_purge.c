/*
 * db_cert_idem_purge.c — delete the idempotency keys older than their lifetime (POST /v1/certificates honours
 * a key for TTL_S seconds; docs/ca-service.md "Idempotency"). teecert-ca serve runs it now and then
 * (api_ca_batch.c); the index idempotency_keys_created (migration 0005) finds the rows.
 */
#include <stdio.h>
#include <stdlib.h>

#include "db_internal.h"

static const struct db_stmt stmt = {
	.name = "cert_idem_purge",
	.sql = "DELETE FROM idempotency_keys WHERE created_at <= now() - make_interval(secs => $1::bigint)",
	.nparams = 1,
};

TC_RESULT db_cert_idem_purge(struct db_conn *conn, int64_t ttl_s, uint64_t *deleted)
{
	char ttl[24];
	PGresult *res;

	TC_ENSURE(conn != NULL && ttl_s > 0, TC_ERR_INVALID_ARGUMENT, "db_cert_idem_purge: missing argument");
	snprintf(ttl, sizeof(ttl), "%lld", (long long)ttl_s);
	struct db_param params[] = { DB_PARAM_TEXT(ttl) };
	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	if (deleted)
		*deleted = strtoull(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return tc_ok();
}
