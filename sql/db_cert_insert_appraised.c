/*
 * db_cert_insert_appraised.c — a certificate and its appraisal (migration 0005 `certificates`, `appraisals`)
 * in one statement: the issuance path writes both for every certificate, and one round trip instead of two
 * matters when a batch of issuances holds the log lock (api_ca_batch.c). The same rows and checks as
 * db_cert_insert followed by db_cert_appraisal_insert: the appraisal's foreign key is checked at the end of the
 * statement, when the certificate row is there. The certificate's parameters are bound as db_cert_insert binds
 * them (db_cert_params).
 */
#include "db_internal.h"

static const struct db_stmt stmt = {
	.name = "cert_insert_appraised",
	.sql = "WITH c AS ("
	       " INSERT INTO certificates (serial, ca, kind, subject, sans, not_before, not_after, der, sha256,"
	       "  spki_sha256, hardware_id, workload_info_hash, parent_cvm_serial, log_seq)"
	       " VALUES ($1, $2::bigint, $3, $4, $5::jsonb, to_timestamp($6::bigint), to_timestamp($7::bigint), $8,"
	       "  sha256($8), $9, $10, $11, $12, $13::bigint) RETURNING serial)"
	       " INSERT INTO appraisals (serial, appraisal, policy_digest, evidence_digest, evidence_type, evidence)"
	       " SELECT serial, $14::jsonb, $15, $16, $17, $18 FROM c",
	.nparams = 18,
};

TC_RESULT db_cert_insert_appraised(struct db_conn *conn, const struct db_cert *c, const struct db_cert_appraisal_row *a)
{
	struct db_cert_num num;
	struct db_param params[DB_CERT_NPARAMS + 5];
	PGresult *res;
	bool one;

	TC_ENSURE(conn && c && a && c->der && c->subject && c->serial_len > 0 && c->serial_len <= DB_CA_SERIAL_MAX &&
			  a->appraisal_json && a->evidence_type && a->evidence,
		  TC_ERR_INVALID_ARGUMENT, "db_cert_insert_appraised: missing argument");
	db_cert_params(c, &num, params); /* $1..$13; $14..$18: the appraisal row */
	params[13] = DB_PARAM_TEXT(a->appraisal_json);
	params[14] = DB_PARAM_BYTES(a->policy_digest, 32);
	params[15] = DB_PARAM_BYTES(a->evidence_digest, 32);
	params[16] = DB_PARAM_TEXT(a->evidence_type);
	params[17] = DB_PARAM_BYTES(a->evidence, a->evidence_len);
	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	one = PQcmdTuples(res)[0] == '1' && PQcmdTuples(res)[1] == '\0';
	PQclear(res);
	TC_ENSURE(one, TC_ERR_DB_QUERY, "cert_insert_appraised stored no appraisal");
	return tc_ok();
}
