/*
 * db_cert_appraisal_insert.c — the appraisal and raw evidence behind a certificate (migration 0005
 * `appraisals`), written in the issuance transaction so any past decision can be replayed.
 */
#include "db_internal.h"

static const struct db_stmt stmt = {
	.name = "cert_appraisal_insert",
	.sql = "INSERT INTO appraisals (serial, appraisal, policy_digest, evidence_digest, evidence_type, evidence)"
	       " VALUES ($1, $2::jsonb, $3, $4, $5, $6)",
	.nparams = 6,
};

TC_RESULT db_cert_appraisal_insert(struct db_conn *conn, const uint8_t *serial, size_t serial_len,
				   const char *appraisal_json, const uint8_t policy_digest[32],
				   const uint8_t evidence_digest[32], const char *evidence_type, const uint8_t *evidence,
				   size_t evidence_len)
{
	PGresult *res;

	TC_ENSURE(conn && serial && appraisal_json && policy_digest && evidence_digest && evidence_type && evidence,
		  TC_ERR_INVALID_ARGUMENT, "db_cert_appraisal_insert: missing argument");
	struct db_param params[] = {
		DB_PARAM_BYTES(serial, serial_len),	 DB_PARAM_TEXT(appraisal_json),
		DB_PARAM_BYTES(policy_digest, 32),	 DB_PARAM_BYTES(evidence_digest, 32),
		DB_PARAM_TEXT(evidence_type),		 DB_PARAM_BYTES(evidence, evidence_len),
	};
	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	PQclear(res);
	return tc_ok();
}
