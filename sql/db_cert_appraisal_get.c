/*
 * db_cert_appraisal_get.c — the stored appraisal behind a certificate (appraisals, migration 0005) with the
 * issuing CA's network, for teecert replay.
 */
#include "db_internal.h"

#include <stdio.h>
#include <string.h>

static const struct db_stmt stmt = {
	.name = "cert_appraisal_get",
	.sql = "SELECT a.appraisal::text, encode(a.policy_digest, 'hex'), encode(a.evidence_digest, 'hex'),"
	       " a.evidence_type, encode(a.evidence, 'hex'), cas.network"
	       " FROM appraisals a JOIN certificates c ON c.serial = a.serial JOIN cas ON cas.id = c.ca"
	       " WHERE a.serial = $1",
	.nparams = 1,
};

void db_cert_appraisal_init(struct db_cert_appraisal *a)
{
	memset(a, 0, sizeof(*a));
	tc_buf_init(&a->appraisal_json, (size_t)16 * 1024 * 1024);
	tc_buf_init(&a->evidence, (size_t)16 * 1024 * 1024);
}

void db_cert_appraisal_cleanup(struct db_cert_appraisal *a)
{
	if (a == NULL)
		return;
	tc_buf_cleanup(&a->appraisal_json);
	tc_buf_cleanup(&a->evidence);
}

static TC_RESULT digest_col(const PGresult *res, int col, uint8_t out[32])
{
	struct tc_buf b;
	const char *hex = PQgetvalue(res, 0, col);
	tc_buf_init(&b, 32);
	struct tc_result r = tc_hex_decode(hex, strlen(hex), &b);
	if (tc_is_ok(r) && b.len != 32)
		r = tc_fail(TC_ERR_DB_QUERY, "appraisals digest of %zu bytes", b.len);
	if (tc_is_ok(r))
		memcpy(out, b.data, 32);
	tc_buf_cleanup(&b);
	return r;
}

TC_RESULT db_cert_appraisal_get(struct db_conn *conn, const uint8_t *serial, size_t serial_len,
				struct db_cert_appraisal *out, bool *found)
{
	TC_ENSURE(conn != NULL && serial != NULL && serial_len > 0 && out != NULL && found != NULL,
		  TC_ERR_INVALID_ARGUMENT, "db_cert_appraisal_get: missing argument");
	struct db_param params[] = { DB_PARAM_BYTES(serial, serial_len) };
	PGresult *res;
	struct tc_result r = tc_ok();
	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	*found = PQntuples(res) == 1;
	if (!*found)
		goto out;
	const char *json = PQgetvalue(res, 0, 0), *ev = PQgetvalue(res, 0, 4);
	tc_buf_reset(&out->appraisal_json);
	tc_buf_reset(&out->evidence);
	TC_GUARD_GOTO(r, tc_buf_append(&out->appraisal_json, json, strlen(json) + 1), out);
	TC_GUARD_GOTO(r, digest_col(res, 1, out->policy_digest), out);
	TC_GUARD_GOTO(r, digest_col(res, 2, out->evidence_digest), out);
	snprintf(out->evidence_type, sizeof(out->evidence_type), "%s", PQgetvalue(res, 0, 3));
	TC_GUARD_GOTO(r, tc_hex_decode(ev, strlen(ev), &out->evidence), out);
	snprintf(out->network, sizeof(out->network), "%s", PQgetvalue(res, 0, 5));
out:
	PQclear(res);
	return r;
}
