/*
 * db_cert_revoked_list.c — every revoked certificate of one CA, oldest revocation first: the entries of its
 * CRL (GET /v1/crl/{ca}).
 */
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"

static const struct db_stmt stmt = {
	.name = "cert_revoked_list",
	.sql = "SELECT encode(r.serial, 'hex'), r.reason, extract(epoch FROM r.revoked_at)::bigint"
	       " FROM revocations r JOIN certificates c ON c.serial = r.serial"
	       " WHERE c.ca = $1::bigint ORDER BY r.revoked_at, r.serial",
	.nparams = 1,
};

static TC_RESULT read_rows(const PGresult *res, struct db_cert_revoked *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *hex = PQgetvalue(res, (int)i, 0);
		size_t len = strlen(hex) / 2;
		int64_t reason;

		TC_ENSURE(len >= 1 && len <= DB_CA_SERIAL_MAX, TC_ERR_DB_QUERY, "revocations.serial length %zu", len);
		TC_GUARD(tc_hex_decode_fixed(hex, 2 * len, list[i].serial, len));
		list[i].serial_len = len;
		TC_GUARD(db_value_int64(res, (int)i, 1, &reason));
		TC_GUARD(db_value_int64(res, (int)i, 2, &list[i].revoked_at));
		list[i].reason = (int)reason;
	}
	return tc_ok();
}

TC_RESULT db_cert_revoked_list(struct db_conn *conn, int64_t ca, struct db_cert_revoked **out, size_t *n)
{
	char ca_s[24];
	PGresult *res;

	TC_ENSURE(conn && out && n, TC_ERR_INVALID_ARGUMENT, "db_cert_revoked_list: missing argument");
	snprintf(ca_s, sizeof(ca_s), "%lld", (long long)ca);
	struct db_param params[] = { DB_PARAM_TEXT(ca_s) };
	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	size_t rows = (size_t)PQntuples(res);
	struct db_cert_revoked *list = calloc(rows ? rows : 1, sizeof(*list));
	struct tc_result r = list ? read_rows(res, list, rows) : tc_fail(TC_ERR_NO_MEMORY, "revoked list");

	PQclear(res);
	if (!tc_is_ok(r)) {
		free(list);
		return r;
	}
	*out = list;
	*n = rows;
	return tc_ok();
}
