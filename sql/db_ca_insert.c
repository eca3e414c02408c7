/*
 * db_ca_insert.c — record a CA instance (migration 0005 `cas`): `teecert-ca init` writes its root here in the
 * transaction that also logs the root certificate.
 */
#include <stdio.h>

#include "db_internal.h"

static const struct db_stmt stmt = {
	.name = "ca_insert",
	.sql = "INSERT INTO cas (name, role, network, certificate, cert_sha256, parent)"
	       " VALUES ($1, $2, $3, $4, sha256($4), NULLIF($5::bigint, 0)) RETURNING id",
	.nparams = 5,
};

TC_RESULT db_ca_insert(struct db_conn *conn, const struct db_ca *ca, const uint8_t *cert_der, size_t cert_len,
		       int64_t *id)
{
	char parent[24];
	PGresult *res;

	TC_ENSURE(conn && ca && cert_der && cert_len > 0 && id, TC_ERR_INVALID_ARGUMENT, "db_ca_insert: missing argument");
	snprintf(parent, sizeof(parent), "%lld", (long long)ca->parent);
	struct db_param params[] = {
		DB_PARAM_TEXT(ca->name), DB_PARAM_TEXT(ca->role), DB_PARAM_TEXT(ca->network),
		DB_PARAM_BYTES(cert_der, cert_len), DB_PARAM_TEXT(parent),
	};
	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	struct tc_result r = db_value_int64(res, 0, 0, id);
	PQclear(res);
	return r;
}
