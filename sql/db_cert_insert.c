/*
 * db_cert_insert.c — record an issued certificate (migration 0005 `certificates`) in the transaction that
 * appended its log entry; the database checks the digest, the workload parent and serial uniqueness.
 */
#include <stdio.h>
#include <string.h>

#include "db_internal.h"

static const struct db_stmt stmt = {
	.name = "cert_insert",
	.sql = "INSERT INTO certificates (serial, ca, kind, subject, sans, not_before, not_after, der, sha256,"
	       " spki_sha256, hardware_id, workload_info_hash, parent_cvm_serial, log_seq)"
	       " VALUES ($1, $2::bigint, $3, $4, $5::jsonb, to_timestamp($6::bigint), to_timestamp($7::bigint), $8,"
	       " sha256($8), $9, $10, $11, $12, $13::bigint)",
	.nparams = 13,
};

/* Parameters $1..$13 of a `certificates` row, in the column order of the INSERT. NUM holds the text of C's
 * numbers: PARAMS borrow it and C. */
#define DB_CERT_NPARAMS 13
struct db_cert_num {
	char ca[24], not_before[24], not_after[24], log_seq[24];
};

static void db_cert_params(const struct db_cert *c, struct db_cert_num *num, struct db_param params[DB_CERT_NPARAMS])
{
	snprintf(num->ca, sizeof(num->ca), "%lld", (long long)c->ca);
	snprintf(num->not_before, sizeof(num->not_before), "%lld", (long long)c->not_before);
	snprintf(num->not_after, sizeof(num->not_after), "%lld", (long long)c->not_after);
	snprintf(num->log_seq, sizeof(num->log_seq), "%llu", (unsigned long long)c->log_seq);
	const struct db_param p[DB_CERT_NPARAMS] = {
		DB_PARAM_BYTES(c->serial, c->serial_len),
		DB_PARAM_TEXT(num->ca),
		DB_PARAM_TEXT(c->kind),
		DB_PARAM_TEXT(c->subject),
		DB_PARAM_TEXT(c->sans_json ? c->sans_json : "[]"),
		DB_PARAM_TEXT(num->not_before),
		DB_PARAM_TEXT(num->not_after),
		DB_PARAM_BYTES(c->der, c->der_len),
		DB_PARAM_BYTES(c->spki_sha256, 32),
		DB_PARAM_TEXT(c->hardware_id),
		c->has_workload_info_hash ? DB_PARAM_BYTES(c->workload_info_hash, 32) : DB_PARAM_TEXT(NULL),
		c->parent_cvm_serial ? DB_PARAM_BYTES(c->parent_cvm_serial, c->parent_cvm_serial_len) :
				       DB_PARAM_TEXT(NULL),
		DB_PARAM_TEXT(num->log_seq),
	};

	memcpy(params, p, sizeof(p));
}

TC_RESULT db_cert_insert(struct db_conn *conn, const struct db_cert *c)
{
	struct db_cert_num num;
	struct db_param params[DB_CERT_NPARAMS];
	PGresult *res;

	TC_ENSURE(conn && c && c->der && c->subject && c->serial_len > 0 && c->serial_len <= DB_CA_SERIAL_MAX,
		  TC_ERR_INVALID_ARGUMENT, "db_cert_insert: missing argument");
	db_cert_params(c, &num, params);
	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	PQclear(res);
	return tc_ok();
}
