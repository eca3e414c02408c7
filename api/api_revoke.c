/*
 * api_revoke.c — POST /v1/certificates/{serial}/revoke (admin): {"reason": "keyCompromise"} (optional,
 * RFC 5280 CRLReason names; default unspecified). One transaction: lock the certificate, refuse unknown or
 * already revoked ones, append the revocation log entry, insert the revocation row. Then the cached CRL is
 * invalidated. Replies 200 {serial, reason, revoked_at, log_index}.
 */
#include <string.h>

#include "api_internal.h"

struct revoke_txn {
	struct api_ca *ca;
	uint8_t serial[DB_CA_SERIAL_MAX];
	size_t serial_len;
	const char *serial_hex;
	enum ca_crl_reason reason;
	int64_t now;
	uint64_t log_seq;
};

static struct tc_result revoke_txn_run(struct db_conn *conn, void *arg)
{
	struct revoke_txn *t = arg;
	struct db_cert_status st;
	struct db_log_entry e = { .type = DB_LOG_REVOCATION };
	bool found = false;

	TC_GUARD(db_cert_status(conn, t->serial, t->serial_len, true, &st, &found));
	TC_ENSURE(found && st.ca == t->ca->row.id, TC_ERR_CERT_NOT_FOUND, "no certificate %.64s issued by CA %s",
		  t->serial_hex, t->ca->row.name);
	TC_ENSURE(!st.revoked, TC_ERR_CERT_ALREADY_REVOKED, "certificate %.64s was revoked already", t->serial_hex);
	TC_ENSURE(strcmp(st.kind, "root") != 0, TC_ERR_PROFILE_VIOLATION, "a root certificate cannot revoke itself");
	snprintf(e.serial, sizeof(e.serial), "%s", t->serial_hex);
	memcpy(e.cert_sha256, st.sha256, 32);
	snprintf(e.issuer, sizeof(e.issuer), "%s", t->ca->subject);
	snprintf(e.kind, sizeof(e.kind), "%s", st.kind);
	e.time = t->now;
	TC_GUARD(db_log_append(conn, &e, &t->log_seq, NULL));
	return db_cert_revoke(conn, t->serial, t->serial_len, t->reason == CA_REASON_NONE ? 0 : (int)t->reason,
			      t->now, t->log_seq);
}

TC_RESULT api_revoke_post(struct api_request *req)
{
	struct api_ca *ca = req->server->cfg.ca;
	const json_t *in = api_request_json(req);
	const char *serial = api_request_param(req, "serial");
	const char *reason = NULL;
	struct revoke_txn t = { .ca = ca, .reason = CA_REASON_UNSPECIFIED };
	char hex[2 * DB_CA_SERIAL_MAX + 1], at[TC_TIME_RFC3339_LEN];
	struct db_conn *conn = NULL;
	struct tc_buf bytes;
	struct tc_result r;
	const struct tc_json_field spec[] = {
		{ .name = "reason", .kind = TC_JSON_STRING, .out = &reason, .max_len = 32 },
	};

	TC_ENSURE(ca, TC_ERR_INTERNAL, "this server has no CA configured");
	if (in) {
		TC_ENSURE(json_is_object(in), TC_ERR_JSON_FIELD_INVALID, "the body must be a JSON object");
		TC_GUARD(tc_json_fields(in, spec, 1, false));
	}
	if (reason) {
		TC_GUARD(ca_crl_reason_parse(reason, &t.reason));
		TC_ENSURE(t.reason != CA_REASON_REMOVE_FROM_CRL && t.reason != CA_REASON_NONE, TC_ERR_JSON_FIELD_INVALID,
			  "reason '%.32s' is not a revocation", reason);
	}
	size_t n = strlen(serial);

	TC_ENSURE(n >= 2 && n % 2 == 0 && n <= 2 * DB_CA_SERIAL_MAX, TC_ERR_CERT_NOT_FOUND,
		  "serial must be 1..%d bytes of hex", DB_CA_SERIAL_MAX);
	tc_buf_init(&bytes, DB_CA_SERIAL_MAX);
	r = tc_hex_decode(serial, n, &bytes);
	if (tc_is_ok(r)) {
		memcpy(t.serial, bytes.data, bytes.len);
		t.serial_len = bytes.len;
	}
	tc_buf_cleanup(&bytes);
	TC_GUARD(r);
	TC_GUARD(tc_hex_encode(t.serial, t.serial_len, hex, sizeof(hex)));
	t.serial_hex = hex;
	t.now = (int64_t)time(NULL);
	TC_GUARD(api_request_db(req, &conn));
	TC_GUARD(db_txn_run(conn, revoke_txn_run, &t));
	api_ca_crl_invalidate(ca);
	tc_log(TC_LOG_INFO, "certificate_revoked", "serial %s reason %s log %llu", hex, ca_crl_reason_name(t.reason),
	       (unsigned long long)t.log_seq);
	TC_GUARD(tc_time_format(t.now, at));
	json_t *body = json_pack("{s:s, s:s, s:s, s:I}", "serial", hex, "reason", ca_crl_reason_name(t.reason),
				 "revoked_at", at, "log_index", (json_int_t)t.log_seq);

	TC_ENSURE(body, TC_ERR_NO_MEMORY, "revoke body");
	r = api_reply_json(req, 200, body);
	json_decref(body);
	return r;
}
