/*
 * api_certs_list.c — GET /v1/certificates (teecert-verifier, docs/admission.md): certificate history for
 * auditors. Filters (each at most once; unknown parameters are 400s naming them): kind, tee, issuer_ca,
 * status (valid | revoked | expired | not_yet_valid, at now), issued_from / issued_to (RFC 3339, issuance
 * time in [from, to)), hardware_id, workload_info_hash (64 hex). Keyset pagination in (issued_at, serial)
 * order: `cursor` is the opaque next_cursor of the previous page (base64url of "<microseconds>.<serial hex>"),
 * `limit` 1..1000 (default 100). 200 {certificates: [...], next_cursor: string | null}.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "api_internal.h"

#define CURSOR_MAX 96
#define PARAM_TEXT_MAX 256

enum qp { QP_KIND, QP_TEE, QP_ISSUER_CA, QP_STATUS, QP_FROM, QP_TO, QP_HWID, QP_WIH, QP_CURSOR, QP_LIMIT, QP_COUNT };

static const char *const qp_names[QP_COUNT] = { "kind",        "tee",       "issuer_ca",   "status",
						"issued_from", "issued_to", "hardware_id", "workload_info_hash",
						"cursor",      "limit" };

struct query {
	const char *v[QP_COUNT];
	struct tc_result r;
};

static enum MHD_Result visit(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct query *q = cls;
	(void)kind;

	for (size_t i = 0; i < QP_COUNT; i++) {
		if (strcmp(qp_names[i], key) != 0)
			continue;
		if (q->v[i])
			q->r = tc_fail(TC_ERR_INVALID_ARGUMENT, "query parameter %s given twice", key);
		else
			q->v[i] = value ? value : "";
		return tc_is_ok(q->r) ? MHD_YES : MHD_NO;
	}
	q->r = tc_fail(TC_ERR_INVALID_ARGUMENT, "unknown query parameter '%.32s'", key);
	return MHD_NO;
}

static bool one_of(const char *s, const char *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, set[i]) == 0)
			return true;
	return false;
}

/* 1..MAX characters of [A-Za-z0-9._:-]. */
static bool token_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '.' || s[i] == '_' || s[i] == '-' || s[i] == ':'))
			return false;
	return true;
}

static TC_RESULT cursor_parse(const char *s, struct db_certs_filter *f)
{
	struct tc_buf raw;
	char text[CURSOR_MAX + 1];
	char *dot;
	uint64_t us;
	struct tc_result r;

	tc_buf_init(&raw, CURSOR_MAX);
	r = tc_base64url_decode(s, strlen(s), &raw);
	if (tc_is_ok(r) && raw.len > 0 && raw.len <= CURSOR_MAX) {
		memcpy(text, raw.data, raw.len);
		text[raw.len] = '\0';
	} else {
		r = tc_fail(TC_ERR_INVALID_ARGUMENT, "cursor is not a cursor of this API");
	}
	tc_buf_cleanup(&raw);
	TC_ENSURE(tc_is_ok(r) && (dot = strchr(text, '.')) != NULL, TC_ERR_INVALID_ARGUMENT,
		  "cursor is not a cursor of this API");
	*dot = '\0';
	TC_ENSURE(tc_is_ok(api_log_u64("cursor", text, &us)) &&
			  tc_is_ok(api_certs_serial_parse("cursor", dot + 1, f->after_serial, &f->after_serial_len)),
		  TC_ERR_INVALID_ARGUMENT, "cursor is not a cursor of this API");
	f->has_after = true;
	f->after_us = (int64_t)us;
	return tc_ok();
}

static TC_RESULT filter_parse(const struct query *q, struct db_certs_filter *f)
{
	static const char *const kinds[] = { "cvm", "workload", "subroot", "root" };
	static const char *const statuses[] = { "valid", "revoked", "expired", "not_yet_valid" };
	uint64_t limit = API_CERTS_LIMIT_DEFAULT;

	if (q->v[QP_KIND]) {
		TC_ENSURE(one_of(q->v[QP_KIND], kinds, 4), TC_ERR_INVALID_ARGUMENT,
			  "kind must be cvm, workload, subroot or root");
		f->kind = q->v[QP_KIND];
	}
	if (q->v[QP_TEE]) {
		TC_ENSURE(token_ok(q->v[QP_TEE], 16), TC_ERR_INVALID_ARGUMENT,
			  "tee must be a TEE name (tdx, snp, nvidia)");
		f->tee = q->v[QP_TEE];
	}
	if (q->v[QP_ISSUER_CA]) {
		TC_ENSURE(token_ok(q->v[QP_ISSUER_CA], DB_CA_NAME_MAX), TC_ERR_INVALID_ARGUMENT,
			  "issuer_ca must be a CA name");
		f->ca_name = q->v[QP_ISSUER_CA];
	}
	if (q->v[QP_STATUS]) {
		TC_ENSURE(one_of(q->v[QP_STATUS], statuses, 4), TC_ERR_INVALID_ARGUMENT,
			  "status must be valid, revoked, expired or not_yet_valid");
		f->status = q->v[QP_STATUS];
	}
	if (q->v[QP_FROM]) {
		TC_ENSURE(tc_is_ok(tc_time_parse(q->v[QP_FROM], &f->issued_from)), TC_ERR_INVALID_ARGUMENT,
			  "issued_from must be an RFC 3339 time");
		f->has_issued_from = true;
	}
	if (q->v[QP_TO]) {
		TC_ENSURE(tc_is_ok(tc_time_parse(q->v[QP_TO], &f->issued_to)), TC_ERR_INVALID_ARGUMENT,
			  "issued_to must be an RFC 3339 time");
		f->has_issued_to = true;
	}
	if (q->v[QP_HWID]) {
		TC_ENSURE(token_ok(q->v[QP_HWID], DB_CA_HWID_MAX), TC_ERR_INVALID_ARGUMENT,
			  "hardware_id must be 1..256 characters of [A-Za-z0-9._:-]");
		f->hardware_id = q->v[QP_HWID];
	}
	if (q->v[QP_WIH]) {
		const char *h = q->v[QP_WIH];

		TC_ENSURE(strlen(h) == 64 && tc_is_ok(tc_hex_decode_fixed(h, 64, f->workload_info_hash, 32)),
			  TC_ERR_INVALID_ARGUMENT, "workload_info_hash must be 64 hex digits");
		f->has_workload_info_hash = true;
	}
	if (q->v[QP_CURSOR])
		TC_GUARD(cursor_parse(q->v[QP_CURSOR], f));
	if (q->v[QP_LIMIT]) {
		TC_ENSURE(tc_is_ok(api_log_u64("limit", q->v[QP_LIMIT], &limit)) && limit >= 1 &&
				  limit <= API_CERTS_LIMIT_MAX,
			  TC_ERR_INVALID_ARGUMENT, "limit must be 1..%d", API_CERTS_LIMIT_MAX);
	}
	f->limit = (unsigned)limit + 1; /* one row of look-ahead tells whether there is a next page */
	return tc_ok();
}

struct page {
	json_t *arr;
	unsigned want, got;
	int64_t last_us;
	char last_serial[2 * DB_CA_SERIAL_MAX + 1];
	bool more;
};

static TC_RESULT take_row(const struct db_certs_row *row, void *arg)
{
	struct page *p = arg;
	json_t *o = NULL;

	if (p->got == p->want) {
		p->more = true;
		return tc_ok();
	}
	TC_GUARD(api_certs_row_json(row, false, &o));
	TC_ENSURE(json_array_append_new(p->arr, o) == 0, TC_ERR_NO_MEMORY, "certificate list");
	p->got++;
	p->last_us = row->created_us;
	return tc_hex_encode(row->serial, row->serial_len, p->last_serial, sizeof(p->last_serial));
}

static TC_RESULT next_cursor(const struct page *p, json_t **out)
{
	char text[CURSOR_MAX];
	struct tc_buf b;
	struct tc_result r;

	if (!p->more) {
		*out = json_null();
		return tc_ok();
	}
	snprintf(text, sizeof(text), "%" PRId64 ".%s", p->last_us, p->last_serial);
	tc_buf_init(&b, CURSOR_MAX * 2);
	r = tc_base64url_encode(text, strlen(text), &b);
	if (tc_is_ok(r)) {
		*out = json_stringn((const char *)b.data, b.len);
		if (*out == NULL)
			r = tc_fail(TC_ERR_NO_MEMORY, "cursor");
	}
	tc_buf_cleanup(&b);
	return r;
}

TC_RESULT api_certs_list(struct api_request *req)
{
	struct query q = { .r = tc_ok() };
	struct db_certs_filter f = { 0 };
	struct page p = { 0 };
	struct db_conn *conn = NULL;
	json_t *cursor = NULL, *body = NULL;
	struct tc_result r = tc_ok();

	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, visit, &q);
	TC_GUARD(q.r);
	TC_GUARD(filter_parse(&q, &f));
	f.at = tc_time_now();
	p.want = f.limit - 1;
	p.arr = json_array();
	TC_ENSURE(p.arr != NULL, TC_ERR_NO_MEMORY, "certificate list");
	TC_GUARD_GOTO(r, api_request_db(req, &conn), out);
	TC_GUARD_GOTO(r, db_certs_list(conn, &f, take_row, &p), out);
	TC_GUARD_GOTO(r, next_cursor(&p, &cursor), out);
	body = json_pack("{s:O, s:O}", "certificates", p.arr, "next_cursor", cursor);
	TC_ENSURE_GOTO(r, body != NULL, out, TC_ERR_NO_MEMORY, "certificate list");
	r = api_reply_json(req, 200, body);
out:
	json_decref(body);
	json_decref(cursor);
	json_decref(p.arr);
	return r;
}
