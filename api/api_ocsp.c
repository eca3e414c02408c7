/*
 * api_ocsp.c — the OCSP responder (RFC 6960): POST /v1/ocsp with an application/ocsp-request body, and
 * GET /v1/ocsp/{base64} (RFC 6960 appendix A.1; base64 or base64url, URL-decoded by the server). ca_ocsp
 * builds and signs the response; the status of each serial comes from the database.
 */
#include <string.h>

#include "api_internal.h"

struct ocsp_lookup {
	struct db_conn *conn;
	int64_t ca_id;
};

static struct tc_result ocsp_lookup(void *ctx, const uint8_t *serial, size_t serial_len, struct ca_ocsp_status *out)
{
	struct ocsp_lookup *l = ctx;
	struct db_cert_status st;
	bool found = false;

	TC_GUARD(db_cert_status(l->conn, serial, serial_len, false, &st, &found));
	memset(out, 0, sizeof(*out));
	if (!found || st.ca != l->ca_id) {
		out->status = CA_OCSP_UNKNOWN;
	} else if (st.revoked) {
		out->status = CA_OCSP_REVOKED;
		out->revoked_at = st.revoked_at;
		out->reason = (enum ca_crl_reason)st.reason;
	} else {
		out->status = CA_OCSP_GOOD;
	}
	return tc_ok();
}

static TC_RESULT respond(struct api_request *req, const uint8_t *der, size_t len)
{
	struct api_ca *ca = req->server->cfg.ca;
	struct ocsp_lookup l = { .ca_id = ca ? ca->row.id : 0 };
	struct ca_ocsp_result res;
	struct tc_buf out;
	struct tc_result r;

	TC_ENSURE(ca, TC_ERR_INTERNAL, "this server has no CA configured");
	TC_GUARD(api_request_db(req, &l.conn));
	struct ca_ocsp_responder rs = {
		.ca_cert_der = ca->cert_der.data,
		.ca_cert_len = ca->cert_der.len,
		.signer = ca->signer,
		.validity_s = API_CA_OCSP_VALIDITY_S,
		.lookup = ocsp_lookup,
		.lookup_ctx = &l,
	};
	tc_buf_init(&out, (size_t)1024 * 1024);
	r = ca_ocsp_respond(&rs, der, len, (int64_t)time(NULL), &out, &res);
	if (tc_is_ok(r))
		r = api_reply_data(req, 200, "application/ocsp-response", out.data, out.len);
	tc_buf_cleanup(&out);
	return r;
}

TC_RESULT api_ocsp_post(struct api_request *req)
{
	return respond(req, req->body.data, req->body.len);
}

TC_RESULT api_ocsp_get(struct api_request *req)
{
	const char *b64 = api_request_param(req, "request");
	struct tc_buf der;
	struct tc_result r;
	size_t n = b64 ? strlen(b64) : 0;

	TC_ENSURE(n > 0 && n <= 2 * CA_OCSP_REQUEST_MAX, TC_ERR_TOO_LARGE, "the OCSP request is empty or too large");
	tc_buf_init(&der, CA_OCSP_REQUEST_MAX);
	r = strpbrk(b64, "-_") ? tc_base64url_decode(b64, n, &der) : tc_base64_decode(b64, n, &der);
	if (tc_is_ok(r))
		r = respond(req, der.data, der.len);
	tc_buf_cleanup(&der);
	return r;
}
