/*
 * db_cert_insert_appraised_batch.c — the certificates and appraisals rows (migration 0005) of N issuances in one
 * statement: db_cert_insert + db_cert_appraisal_insert for each, in order, with one round trip and one executor
 * start instead of 2N, while the group commit of issuances (api_ca_batch.c) holds the log lock (N = 1: one
 * issuance). The rows, conversions and checks are those of db_cert_insert.c's column list; certificates are inserted in
 * order (the BEFORE INSERT trigger of row i sees rows 0 .. i - 1), and the appraisals' foreign keys are checked
 * at the end of the statement, when every certificate row is there. Any failure fails the whole statement.
 *
 * Parameters, as db_log_append_batch.c passes them: large and fixed-size binary fields concatenated in one
 * bytea each (binary format: no escaping), sliced by offset/length; text and numbers as array literals.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"

#define CERT_BATCH_BYTES_MAX ((size_t)INT_MAX) /* a libpq parameter length is an int */

/*
 * Bytes: $1 serials, $2 DERs, $3 SPKI hashes (32 each), $4 workload info hashes (32 each, zeros where $20 is
 * false), $5 parent serials, $6 policy digests (32 each), $7 evidence digests (32 each), $8 evidence.
 * Arrays (one element per certificate): $9/$10 serial offset/length, $11 ca, $12 kind, $13 subject, $14 sans,
 * $15/$16 notBefore/notAfter (epoch seconds), $17/$18 DER offset/length, $19 hardware id (NULL: unknown),
 * $20 has a workload info hash, $21/$22 parent offset/length (length -1: NULL), $23 log seq, $24 appraisal
 * JSON, $25 evidence type, $26/$27 evidence offset/length.
 */
static const struct db_stmt stmt = {
	.name = "cert_insert_appraised_batch",
	.sql = "WITH t AS (SELECT * FROM unnest($9::int[], $10::int[], $11::bigint[], $12::text[], $13::text[],"
	       "  $14::text[], $15::bigint[], $16::bigint[], $17::int[], $18::int[], $19::text[], $20::bool[],"
	       "  $21::int[], $22::int[], $23::bigint[], $24::text[], $25::text[], $26::int[], $27::int[])"
	       "  WITH ORDINALITY AS t(soff, slen, ca, kind, subject, sans, nb, na, doff, dlen, hwid, has_wh, poff, plen,"
	       "  seq, appraisal, etype, eoff, elen, o)),"
	       " c AS (INSERT INTO certificates (serial, ca, kind, subject, sans, not_before, not_after, der, sha256,"
	       "  spki_sha256, hardware_id, workload_info_hash, parent_cvm_serial, log_seq)"
	       "  SELECT substring($1::bytea FROM t.soff + 1 FOR t.slen), t.ca, t.kind, t.subject, t.sans::jsonb,"
	       "   to_timestamp(t.nb), to_timestamp(t.na), substring($2::bytea FROM t.doff + 1 FOR t.dlen),"
	       "   sha256(substring($2::bytea FROM t.doff + 1 FOR t.dlen)),"
	       "   substring($3::bytea FROM (t.o::int - 1) * 32 + 1 FOR 32), t.hwid,"
	       "   CASE WHEN t.has_wh THEN substring($4::bytea FROM (t.o::int - 1) * 32 + 1 FOR 32) END,"
	       "   CASE WHEN t.plen >= 0 THEN substring($5::bytea FROM t.poff + 1 FOR t.plen) END, t.seq"
	       "  FROM t ORDER BY t.o RETURNING serial)"
	       " INSERT INTO appraisals (serial, appraisal, policy_digest, evidence_digest, evidence_type, evidence)"
	       " SELECT c.serial, t.appraisal::jsonb, substring($6::bytea FROM (t.o::int - 1) * 32 + 1 FOR 32),"
	       "  substring($7::bytea FROM (t.o::int - 1) * 32 + 1 FOR 32), t.etype,"
	       "  substring($8::bytea FROM t.eoff + 1 FOR t.elen)"
	       " FROM t JOIN c ON c.serial = substring($1::bytea FROM t.soff + 1 FOR t.slen) ORDER BY t.o",
	.nparams = 27,
};

/* The parameters, built up certificate by certificate. */
struct cert_cols {
	struct tc_buf serials, ders, spkis, whs, parents, pols, evds, evs;                   /* bytes */
	struct tc_buf soff, slen, ca, kind, subject, sans, nb, na, doff, dlen, hwid, has_wh; /* arrays */
	struct tc_buf poff, plen, seq, appraisal, etype, eoff, elen;
};

#define CERT_COLS_N 27

static void cols_all(struct cert_cols *c, struct tc_buf *all[CERT_COLS_N])
{
	struct tc_buf *a[CERT_COLS_N] = { &c->serials, &c->ders,   &c->spkis, &c->whs,  &c->parents, &c->pols,
					  &c->evds,    &c->evs,    &c->soff,  &c->slen, &c->ca,      &c->kind,
					  &c->subject, &c->sans,   &c->nb,    &c->na,   &c->doff,    &c->dlen,
					  &c->hwid,    &c->has_wh, &c->poff,  &c->plen, &c->seq,     &c->appraisal,
					  &c->etype,   &c->eoff,   &c->elen };

	memcpy(all, a, sizeof(a));
}

static TC_RESULT bytes_add(struct tc_buf *bytes, struct tc_buf *off, struct tc_buf *len, const void *data, size_t n)
{
	TC_ENSURE(bytes->len + n < CERT_BATCH_BYTES_MAX, TC_ERR_TOO_LARGE, "certificate batch over %zu bytes",
		  CERT_BATCH_BYTES_MAX);
	TC_GUARD(db_array_num(off, (long long)bytes->len));
	TC_GUARD(db_array_num(len, (long long)n));
	return tc_buf_append(bytes, data, n);
}

static TC_RESULT cols_add(struct cert_cols *k, const struct db_cert *c, const struct db_cert_appraisal_row *a)
{
	static const uint8_t zero[32] = { 0 };

	TC_ENSURE(c->der && c->subject && c->serial_len > 0 && c->serial_len <= DB_CA_SERIAL_MAX && a->appraisal_json &&
			  a->evidence_type && a->evidence && a->policy_digest && a->evidence_digest,
		  TC_ERR_INVALID_ARGUMENT, "db_cert_insert_appraised_batch: missing argument");
	TC_GUARD(bytes_add(&k->serials, &k->soff, &k->slen, c->serial, c->serial_len));
	TC_GUARD(db_array_num(&k->ca, (long long)c->ca));
	TC_GUARD(db_array_text(&k->kind, c->kind));
	TC_GUARD(db_array_text(&k->subject, c->subject));
	TC_GUARD(db_array_text(&k->sans, c->sans_json ? c->sans_json : "[]"));
	TC_GUARD(db_array_num(&k->nb, (long long)c->not_before));
	TC_GUARD(db_array_num(&k->na, (long long)c->not_after));
	TC_GUARD(bytes_add(&k->ders, &k->doff, &k->dlen, c->der, c->der_len));
	TC_GUARD(tc_buf_append(&k->spkis, c->spki_sha256, 32));
	TC_GUARD(db_array_text(&k->hwid, c->hardware_id));
	TC_GUARD(tc_buf_append(&k->whs, c->has_workload_info_hash ? c->workload_info_hash : zero, 32));
	TC_GUARD(db_array_text(&k->has_wh, c->has_workload_info_hash ? "t" : "f"));
	if (c->parent_cvm_serial) {
		TC_GUARD(bytes_add(&k->parents, &k->poff, &k->plen, c->parent_cvm_serial, c->parent_cvm_serial_len));
	} else {
		TC_GUARD(db_array_num(&k->poff, 0));
		TC_GUARD(db_array_num(&k->plen, -1));
	}
	TC_ENSURE(c->log_seq <= (uint64_t)LLONG_MAX, TC_ERR_INVALID_ARGUMENT, "log seq out of range");
	TC_GUARD(db_array_num(&k->seq, (long long)c->log_seq));
	TC_GUARD(db_array_text(&k->appraisal, a->appraisal_json));
	TC_GUARD(tc_buf_append(&k->pols, a->policy_digest, 32));
	TC_GUARD(tc_buf_append(&k->evds, a->evidence_digest, 32));
	TC_GUARD(db_array_text(&k->etype, a->evidence_type));
	return bytes_add(&k->evs, &k->eoff, &k->elen, a->evidence, a->evidence_len);
}

static TC_RESULT cols_exec(struct db_conn *conn, struct cert_cols *k, size_t n)
{
	struct tc_buf *all[CERT_COLS_N];
	struct db_param params[CERT_COLS_N];
	PGresult *res;
	bool all_rows;

	cols_all(k, all);
	for (size_t i = 0; i < CERT_COLS_N; i++) {
		if (i < 8) { /* the concatenated bytes ($1..$8); an empty one (no parents) is still a value */
			params[i] = DB_PARAM_BYTES(all[i]->len ? all[i]->data : (const uint8_t *)"", all[i]->len);
		} else {
			TC_GUARD(db_array_close(all[i]));
			params[i] = DB_PARAM_TEXT((const char *)all[i]->data);
		}
	}
	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	all_rows = strtoull(PQcmdTuples(res), NULL, 10) == n;
	PQclear(res);
	TC_ENSURE(all_rows, TC_ERR_DB_QUERY, "cert_insert_appraised_batch stored fewer than %zu appraisals", n);
	return tc_ok();
}

TC_RESULT db_cert_insert_appraised_batch(struct db_conn *conn, const struct db_cert *certs,
					 const struct db_cert_appraisal_row *rows, size_t n)
{
	struct tc_buf *all[CERT_COLS_N];
	struct cert_cols *k;
	struct tc_result r = tc_ok();

	TC_ENSURE(conn && certs && rows && n >= 1 && n <= DB_CERT_BATCH_MAX, TC_ERR_INVALID_ARGUMENT,
		  "db_cert_insert_appraised_batch: 1..%d certificates", DB_CERT_BATCH_MAX);
	k = calloc(1, sizeof(*k));
	TC_ENSURE(k, TC_ERR_NO_MEMORY, "certificate batch");
	cols_all(k, all);
	for (size_t i = 0; i < CERT_COLS_N; i++)
		tc_buf_init(all[i], CERT_BATCH_BYTES_MAX);
	for (size_t i = 0; i < n && tc_is_ok(r); i++)
		r = cols_add(k, &certs[i], &rows[i]);
	if (tc_is_ok(r))
		r = cols_exec(conn, k, n);
	for (size_t i = 0; i < CERT_COLS_N; i++)
		tc_buf_cleanup(all[i]);
	free(k);
	return r;
}
