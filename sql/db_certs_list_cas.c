/*
 * db_certs_list_cas.c — every CA instance (migration 0005 `cas`) with whether its own certificate row is
 * revoked, for GET /v1/cas and the chains of GET /v1/certificates/{serial} (docs/admission.md).
 */
#include <string.h>

#include "db_internal.h"

static const struct db_stmt stmt = {
	.name = "certs_list_cas",
	.sql = "SELECT k.id, COALESCE(k.parent, 0), k.name, k.role, k.network, encode(k.certificate, 'hex'),"
	       " EXISTS (SELECT 1 FROM certificates c JOIN revocations r ON r.serial = c.serial"
	       "         WHERE c.sha256 = k.cert_sha256)"
	       " FROM cas k ORDER BY k.id",
	.nparams = 0,
};

TC_RESULT db_certs_list_cas(struct db_conn *conn, db_certs_ca_fn fn, void *arg)
{
	PGresult *res;
	struct tc_buf der;
	struct tc_result r = tc_ok();

	TC_ENSURE(conn && fn, TC_ERR_INVALID_ARGUMENT, "db_certs_list_cas: missing argument");
	TC_GUARD(db_exec_prepared(conn, &stmt, NULL, &res));
	tc_buf_init(&der, 1048576);
	for (int i = 0; i < PQntuples(res) && tc_is_ok(r); i++) {
		struct db_certs_ca_row row = { 0 };
		const char *hex = PQgetvalue(res, i, 5);

		r = db_value_int64(res, i, 0, &row.id);
		if (tc_is_ok(r))
			r = db_value_int64(res, i, 1, &row.parent);
		if (tc_is_ok(r))
			r = db_value_bool(res, i, 6, &row.revoked);
		tc_buf_reset(&der);
		if (tc_is_ok(r))
			r = tc_hex_decode(hex, strlen(hex), &der);
		if (!tc_is_ok(r))
			break;
		row.name = PQgetvalue(res, i, 2);
		row.role = PQgetvalue(res, i, 3);
		row.network = PQgetvalue(res, i, 4);
		row.der = der.data;
		row.der_len = der.len;
		r = fn(&row, arg);
	}
	tc_buf_cleanup(&der);
	PQclear(res);
	return r;
}
