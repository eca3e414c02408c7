/*
 * db_cert_insert.c — record an issued certificate (migration 0005 `certificates`) in the transaction that
 * appended its log entry; the database checks the digest, the workload parent and serial uniqueness.
 */
#include <stdio.h>

#include "db_internal.h"

static const struct db_stmt stmt = {
	.name = "cert_insert",
	.sql = "INSERT INTO certificates (serial, ca, kind, subject, sans, not_before, not_after, der, sha256,"
	       " spki_sha256, hardware_id, workload_info_hash, parent_cvm_serial, log_seq)"
	       " VALUES ($1, $2::bigint, $3, $4, $5::jsonb, to_timestamp($6::bigint), to_timestamp($7::bigint), $8,"
	       " sha256($8), $9, $10, $11, $12, $13::bigint)",
	.nparams = 13,
};

TC_RESULT db_cert_insert(struct db_conn *conn, const struct db_cert *c)
{
	char ca[24], nb[24], na[24], seq[24];
	PGresult *res;

	TC_ENSURE(conn && c && c->der && c->subject && c->serial_len > 0 && c->serial_len <= DB_CA_SERIAL_MAX,
		  TC_ERR_INVALID_ARGUMENT, "db_cert_insert: missing argument");
	snprintf(ca, sizeof(ca), "%lld", (long long)c->ca);
	snprintf(nb, sizeof(nb), "%lld", (long long)c->not_before);
	snprintf(na, sizeof(na), "%lld", (long long)c->not_after);
	snprintf(seq, sizeof(seq), "%llu", (unsigned long long)c->log_seq);
	struct db_param params[] = {
		DB_PARAM_BYTES(c->serial, c->serial_len),
		DB_PARAM_TEXT(ca),
		DB_PARAM_TEXT(c->kind),
		DB_PARAM_TEXT(c->subject),
		DB_PARAM_TEXT(c->sans_json ? c->sans_json : "[]"),
		DB_PARAM_TEXT(nb),
		DB_PARAM_TEXT(na),
		DB_PARAM_BYTES(c->der, c->der_len),
		DB_PARAM_BYTES(c->spki_sha256, 32),
		DB_PARAM_TEXT(c->hardware_id),
		c->has_workload_info_hash ? DB_PARAM_BYTES(c->workload_info_hash, 32) : DB_PARAM_TEXT(NULL),
		c->parent_cvm_serial ? DB_PARAM_BYTES(c->parent_cvm_serial, c->parent_cvm_serial_len) : DB_PARAM_TEXT(NULL),
		DB_PARAM_TEXT(seq),
	};
	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	PQclear(res);
	return tc_ok();
}
