/*
 * db_certs_list.c — certificate history for teecert-verifier (GET /v1/certificates and
 * GET /v1/certificates/{serial}, docs/admission.md): certificates with their CA, revocation and appraisal,
 * filtered, in (created_at, serial) order after an optional keyset position. Every filter is a bound
 * parameter that is NULL when unused; status is computed at the caller's time ($12).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"

static const struct db_stmt stmt = {
	.name = "certs_list",
	.sql = "SELECT * FROM (SELECT encode(c.serial, 'hex') AS serial_hex, c.ca, k.name, c.kind, c.subject,"
	       " c.sans::text, extract(epoch FROM c.not_before)::bigint, extract(epoch FROM c.not_after)::bigint,"
	       " extract(epoch FROM date_trunc('second', c.created_at))::bigint * 1000000"
	       "   + extract(microseconds FROM c.created_at)::bigint % 1000000,"
	       " encode(c.der, 'hex'), c.hardware_id, encode(c.workload_info_hash, 'hex'), c.log_seq,"
	       " r.serial IS NOT NULL, COALESCE(extract(epoch FROM r.revoked_at)::bigint, 0), COALESCE(r.reason, 0),"
	       " a.appraisal::text, a.appraisal->'devices'->0->>'tee', a.appraisal->'devices'->0->>'tcb_status',"
	       " CASE WHEN r.serial IS NOT NULL THEN 'revoked'"
	       "      WHEN c.not_after <= to_timestamp($12::bigint) THEN 'expired'"
	       "      WHEN c.not_before > to_timestamp($12::bigint) THEN 'not_yet_valid' ELSE 'valid' END AS status,"
	       " c.created_at AS created_at, c.serial AS serial_key"
	       " FROM certificates c JOIN cas k ON k.id = c.ca"
	       " LEFT JOIN revocations r ON r.serial = c.serial LEFT JOIN appraisals a ON a.serial = c.serial"
	       " WHERE ($1::bytea IS NULL OR c.serial = $1::bytea)"
	       "   AND ($2::text IS NULL OR c.kind = $2::text)"
	       "   AND ($3::text IS NULL OR a.appraisal->'devices' @> jsonb_build_array(jsonb_build_object('tee', $3::text)))"
	       "   AND ($4::text IS NULL OR k.name = $4::text)"
	       "   AND ($6::bigint IS NULL OR c.created_at >= to_timestamp($6::bigint))"
	       "   AND ($7::bigint IS NULL OR c.created_at < to_timestamp($7::bigint))"
	       "   AND ($8::text IS NULL OR c.hardware_id = $8::text)"
	       "   AND ($9::bytea IS NULL OR c.workload_info_hash = $9::bytea)"
	       "   AND ($10::bigint IS NULL OR (c.created_at, c.serial) >"
	       "        (to_timestamp(0) + $10::bigint * interval '1 microsecond', $11::bytea))"
	       ") x WHERE ($5::text IS NULL OR x.status = $5::text) ORDER BY x.created_at, x.serial_key LIMIT $13::int",
	.nparams = 13,
};

static const char *opt_text(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static TC_RESULT read_row(const PGresult *res, int i, struct tc_buf *der, struct db_certs_row *out)
{
	const char *serial = PQgetvalue(res, i, 0), *derhex = PQgetvalue(res, i, 9);
	struct tc_buf sb;
	int64_t v;
	struct tc_result r;

	memset(out, 0, sizeof(*out));
	tc_buf_init(&sb, DB_CA_SERIAL_MAX);
	r = tc_hex_decode(serial, strlen(serial), &sb);
	if (tc_is_ok(r) && (sb.len == 0 || sb.len > DB_CA_SERIAL_MAX))
		r = tc_fail(TC_ERR_DB_QUERY, "certs_list: bad serial");
	if (tc_is_ok(r)) {
		memcpy(out->serial, sb.data, sb.len);
		out->serial_len = sb.len;
	}
	tc_buf_cleanup(&sb);
	TC_GUARD(r);
	TC_GUARD(db_value_int64(res, i, 1, &out->ca));
	out->ca_name = PQgetvalue(res, i, 2);
	out->kind = PQgetvalue(res, i, 3);
	out->subject = PQgetvalue(res, i, 4);
	out->sans_json = PQgetvalue(res, i, 5);
	TC_GUARD(db_value_int64(res, i, 6, &out->not_before));
	TC_GUARD(db_value_int64(res, i, 7, &out->not_after));
	TC_GUARD(db_value_int64(res, i, 8, &out->created_us));
	tc_buf_reset(der);
	TC_GUARD(tc_hex_decode(derhex, strlen(derhex), der));
	out->der = der->data;
	out->der_len = der->len;
	out->hardware_id = opt_text(res, i, 10);
	if (!PQgetisnull(res, i, 11)) {
		const char *h = PQgetvalue(res, i, 11);

		TC_GUARD(tc_hex_decode_fixed(h, strlen(h), out->workload_info_hash, sizeof(out->workload_info_hash)));
		out->has_workload_info_hash = true;
	}
	TC_GUARD(db_value_int64(res, i, 12, &v));
	out->log_seq = (uint64_t)v;
	TC_GUARD(db_value_bool(res, i, 13, &out->revoked));
	TC_GUARD(db_value_int64(res, i, 14, &out->revoked_at));
	TC_GUARD(db_value_int64(res, i, 15, &v));
	out->reason = (int)v;
	out->appraisal_json = opt_text(res, i, 16);
	out->tee = opt_text(res, i, 17);
	out->tcb_status = opt_text(res, i, 18);
	out->status = PQgetvalue(res, i, 19);
	return tc_ok();
}

TC_RESULT db_certs_list(struct db_conn *conn, const struct db_certs_filter *f, db_certs_row_fn fn, void *arg)
{
	char from[24], to[24], after[24], at[24], limit[16];
	PGresult *res;
	struct tc_buf der;
	struct tc_result r = tc_ok();

	TC_ENSURE(conn && f && fn && f->limit >= 1 && f->limit <= DB_CERTS_LIST_MAX, TC_ERR_INVALID_ARGUMENT,
		  "db_certs_list: bad argument");
	snprintf(from, sizeof(from), "%lld", (long long)f->issued_from);
	snprintf(to, sizeof(to), "%lld", (long long)f->issued_to);
	snprintf(after, sizeof(after), "%lld", (long long)f->after_us);
	snprintf(at, sizeof(at), "%lld", (long long)f->at);
	snprintf(limit, sizeof(limit), "%u", f->limit);
	struct db_param params[] = {
		f->serial ? DB_PARAM_BYTES(f->serial, f->serial_len) : DB_PARAM_TEXT(NULL),
		DB_PARAM_TEXT(f->kind),
		DB_PARAM_TEXT(f->tee),
		DB_PARAM_TEXT(f->ca_name),
		DB_PARAM_TEXT(f->status),
		DB_PARAM_TEXT(f->has_issued_from ? from : NULL),
		DB_PARAM_TEXT(f->has_issued_to ? to : NULL),
		DB_PARAM_TEXT(f->hardware_id),
		f->has_workload_info_hash ? DB_PARAM_BYTES(f->workload_info_hash, 32) : DB_PARAM_TEXT(NULL),
		DB_PARAM_TEXT(f->has_after ? after : NULL),
		f->has_after ? DB_PARAM_BYTES(f->after_serial, f->after_serial_len) : DB_PARAM_TEXT(NULL),
		DB_PARAM_TEXT(at),
		DB_PARAM_TEXT(limit),
	};
	TC_GUARD(db_exec_prepared(conn, &stmt, params, &res));
	tc_buf_init(&der, 1048576);
	for (int i = 0; i < PQntuples(res) && tc_is_ok(r); i++) {
		struct db_certs_row row;

		r = read_row(res, i, &der, &row);
		if (tc_is_ok(r))
			r = fn(&row, arg);
	}
	tc_buf_cleanup(&der);
	PQclear(res);
	return r;
}
