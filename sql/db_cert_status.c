/*
 * db_cert_status.c — whether a certificate exists and is revoked (revocation, OCSP). With LOCK the
 * certificate row is locked so that two revocations of one certificate serialize.
 */
#include <stdio.h>
#include <string.h>

#include "db_internal.h"

#define CERT_STATUS_SQL                                                                                        \
	"SELECT c.ca, c.kind, encode(c.sha256, 'hex'), r.serial IS NOT NULL, COALESCE(r.reason, 0),"            \
	" COALESCE(extract(epoch FROM r.revoked_at)::bigint, 0)"                                                \
	" FROM certificates c LEFT JOIN revocations r ON r.serial = c.serial WHERE c.serial = $1"

static const struct db_stmt stmt_plain = { .name = "cert_status", .sql = CERT_STATUS_SQL, .nparams = 1 };
static const struct db_stmt stmt_lock = { .name = "cert_status_lock", .sql = CERT_STATUS_SQL " FOR UPDATE OF c",
					  .nparams = 1 };

static TC_RESULT read_row(const PGresult *res, struct db_cert_status *out)
{
	int64_t reason;
	const char *hex = PQgetvalue(res, 0, 2);

	memset(out, 0, sizeof(*out));
	TC_GUARD(db_value_int64(res, 0, 0, &out->ca));
	snprintf(out->kind, sizeof(out->kind), "%s", PQgetvalue(res, 0, 1));
	TC_GUARD(tc_hex_decode_fixed(hex, strlen(hex), out->sha256, sizeof(out->sha256)));
	TC_GUARD(db_value_bool(res, 0, 3, &out->revoked));
	TC_GUARD(db_value_int64(res, 0, 4, &reason));
	TC_GUARD(db_value_int64(res, 0, 5, &out->revoked_at));
	out->reason = (int)reason;
	return tc_ok();
}

TC_RESULT db_cert_status(struct db_conn *conn, const uint8_t *serial, size_t serial_len, bool lock,
			 struct db_cert_status *out, bool *found)
{
	PGresult *res;

	TC_ENSURE(conn && serial && out && found, TC_ERR_INVALID_ARGUMENT, "db_cert_status: missing argument");
	struct db_param params[] = { DB_PARAM_BYTES(serial, serial_len) };
	TC_GUARD(db_exec_prepared(conn, lock ? &stmt_lock : &stmt_plain, params, &res));
	bool f = PQntuples(res) == 1;
	struct tc_result r = f ? read_row(res, out) : tc_ok();

	PQclear(res);
	TC_GUARD(r);
	*found = f;
	return tc_ok();
}
