/*
 * db_ca_get.c — one CA instance by name (migration 0005 `cas`): what `teecert-ca serve` and GET /v1/crl/{ca}
 * look up.
 */
#include <stdio.h>
#include <string.h>

#include "db_internal.h"

static const struct db_stmt stmt = {
	.name = "ca_get",
	.sql = "SELECT id, role, network, COALESCE(parent, 0), encode(certificate, 'hex') FROM cas WHERE name = $1",
	.nparams = 1,
};

static TC_RESULT read_row(const PGresult *res, const char *name, struct db_ca *out, struct tc_buf *cert)
{
	const char *hex = PQgetvalue(res, 0, 4);

	memset(out, 0, sizeof(*out));
	TC_GUARD(db_value_int64(res, 0, 0, &out->id));
	TC_GUARD(db_value_int64(res, 0, 3, &out->parent));
	snprintf(out->name, sizeof(out->name), "%s", name);
	snprintf(out->role, sizeof(out->role), "%s", PQgetvalue(res, 0, 1));
	snprintf(out->network, sizeof(out->network), "%s", PQgetvalue(res, 0, 2));
	if (cert)
		TC_GUARD(tc_hex_decode(hex, strlen(hex), cert));
	return tc_ok();
}

TC_RESULT db_ca_get(struct db_conn *conn, const char *name, struct db_ca *out, struct tc_buf *cert, bool *found)
{
	PGresult *res;

	TC_ENSURE(conn && name && out && found, TC_ERR_INVALID_ARGUMENT, "db_ca_get: missing argument");
	struct db_param params[] = { DB_PARAM_TEXT(name) };
	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	struct tc_result r = tc_ok();
	bool f = PQntuples(res) == 1;

	if (f)
		r = read_row(res, name, out, cert);
	PQclear(res);
	TC_GUARD(r);
	*found = f;
	return tc_ok();
}
