/*
 * db_log_entry_get.c — one entry of the transparency log by its seq: the stored fields, the canonical
 * bytes that were hashed and the leaf hash (log_entries, migration 0002).
 */
#include <stdio.h>
#include <string.h>

#include "db_internal.h"

/* Byte columns as hex text, so every cell is read the same way. */
static const struct db_stmt stmt = {
	.name = "log_entry_get",
	.sql = "SELECT encode(entry, 'hex'), encode(leaf_hash, 'hex'), type, serial, encode(cert_sha256, 'hex'),"
	       " issuer, kind, encode(appraisal_digest, 'hex'), encode(workload_info_hash, 'hex'),"
	       " extract(epoch FROM logged_at)::bigint"
	       " FROM log_entries WHERE seq = $1::bigint",
	.nparams = 1,
};

enum { COL_ENTRY, COL_LEAF, COL_TYPE, COL_SERIAL, COL_CERT, COL_ISSUER, COL_KIND, COL_APPRAISAL, COL_WORKLOAD, COL_TIME };

static TC_RESULT hash_cell(const PGresult *res, int col, bool *present, uint8_t out[DB_LOG_HASH_LEN])
{
	bool is_null = PQgetisnull(res, 0, col);

	if (present)
		*present = !is_null;
	else
		TC_ENSURE(!is_null, TC_ERR_DB_QUERY, "log_entries column %d is NULL", col);
	if (is_null)
		return tc_ok();
	return tc_hex_decode_fixed(PQgetvalue(res, 0, col), (size_t)PQgetlength(res, 0, col), out, DB_LOG_HASH_LEN);
}

static TC_RESULT text_cell(const PGresult *res, int col, char *out, size_t size)
{
	TC_ENSURE((size_t)PQgetlength(res, 0, col) < size, TC_ERR_DB_QUERY, "log_entries column %d too long", col);
	snprintf(out, size, "%s", PQgetvalue(res, 0, col));
	return tc_ok();
}

static TC_RESULT row_read(const PGresult *res, struct db_log_entry *e, struct tc_buf *entry,
			  uint8_t leaf[DB_LOG_HASH_LEN])
{
	TC_GUARD(db_log_type_parse(PQgetvalue(res, 0, COL_TYPE), &e->type));
	TC_GUARD(text_cell(res, COL_SERIAL, e->serial, sizeof(e->serial)));
	TC_GUARD(hash_cell(res, COL_CERT, NULL, e->cert_sha256));
	TC_GUARD(text_cell(res, COL_ISSUER, e->issuer, sizeof(e->issuer)));
	TC_GUARD(text_cell(res, COL_KIND, e->kind, sizeof(e->kind)));
	TC_GUARD(hash_cell(res, COL_APPRAISAL, &e->has_appraisal_digest, e->appraisal_digest));
	TC_GUARD(hash_cell(res, COL_WORKLOAD, &e->has_workload_info_hash, e->workload_info_hash));
	TC_GUARD(db_value_int64(res, 0, COL_TIME, &e->time));
	TC_GUARD(hash_cell(res, COL_LEAF, NULL, leaf));
	if (entry)
		TC_GUARD(tc_hex_decode(PQgetvalue(res, 0, COL_ENTRY), (size_t)PQgetlength(res, 0, COL_ENTRY), entry));
	return tc_ok();
}

TC_RESULT db_log_entry_get(struct db_conn *conn, uint64_t seq, struct db_log_entry *out, struct tc_buf *entry,
			   uint8_t leaf_hash[DB_LOG_HASH_LEN], bool *found)
{
	char seq_s[24];
	PGresult *res;
	struct db_log_entry e = { .seq = seq };
	uint8_t leaf[DB_LOG_HASH_LEN];
	struct tc_result r = tc_ok();

	TC_ENSURE(conn != NULL && out != NULL && found != NULL, TC_ERR_INVALID_ARGUMENT,
		  "db_log_entry_get: missing argument");
	TC_ENSURE(seq <= INT64_MAX, TC_ERR_INVALID_ARGUMENT, "log seq beyond 2^63");
	snprintf(seq_s, sizeof(seq_s), "%llu", (unsigned long long)seq);
	struct db_param params[] = { DB_PARAM_TEXT(seq_s) };

	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	if (PQntuples(res) == 1)
		r = row_read(res, &e, entry, leaf);
	if (tc_is_ok(r)) {
		*found = PQntuples(res) == 1;
		if (*found) {
			*out = e;
			if (leaf_hash)
				memcpy(leaf_hash, leaf, DB_LOG_HASH_LEN);
		}
	}
	PQclear(res);
	return r;
}
