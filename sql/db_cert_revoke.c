/*
 * db_cert_revoke.c — record a revocation (migration 0005 `revocations`) in the transaction that appended its
 * log entry. The primary key makes a second revocation of one certificate a conflict.
 */
#include <stdio.h>

#include "db_internal.h"

static const struct db_stmt stmt = {
	.name = "cert_revoke",
	.sql = "INSERT INTO revocations (serial, reason, revoked_at, log_seq)"
	       " VALUES ($1, $2::smallint, to_timestamp($3::bigint), $4::bigint)",
	.nparams = 4,
};

TC_RESULT db_cert_revoke(struct db_conn *conn, const uint8_t *serial, size_t serial_len, int reason, int64_t at,
			 uint64_t log_seq)
{
	char reason_s[16], at_s[24], seq_s[24];
	PGresult *res;

	TC_ENSURE(conn && serial, TC_ERR_INVALID_ARGUMENT, "db_cert_revoke: missing argument");
	snprintf(reason_s, sizeof(reason_s), "%d", reason);
	snprintf(at_s, sizeof(at_s), "%lld", (long long)at);
	snprintf(seq_s, sizeof(seq_s), "%llu", (unsigned long long)log_seq);
	struct db_param params[] = { DB_PARAM_BYTES(serial, serial_len), DB_PARAM_TEXT(reason_s), DB_PARAM_TEXT(at_s),
				     DB_PARAM_TEXT(seq_s) };
	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	PQclear(res);
	return tc_ok();
}
