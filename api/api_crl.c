/*
 * api_crl.c — GET /v1/crl/{ca}: the v2 CRL (DER, application/pkix-crl, RFC 5280 §5) of the CA named {ca}.
 * Built from the revocations table and cached in memory until the next revocation (or half its validity).
 */
#include <string.h>

#include "api_internal.h"

TC_RESULT api_crl_get(struct api_request *req)
{
	struct api_ca *ca = req->server->cfg.ca;
	const char *name = api_request_param(req, "ca");
	struct db_conn *conn = NULL;
	struct tc_buf crl;
	struct tc_result r;

	TC_ENSURE(ca, TC_ERR_INTERNAL, "this server has no CA configured");
	TC_ENSURE(name && strcmp(name, ca->row.name) == 0, TC_ERR_NOT_FOUND, "this server has no CA named '%.64s'",
		  name ? name : "");
	TC_GUARD(api_request_db(req, &conn));
	tc_buf_init(&crl, (size_t)64 * 1024 * 1024);
	r = api_ca_crl_get(ca, conn, (int64_t)time(NULL), &crl);
	if (tc_is_ok(r))
		r = api_reply_data(req, 200, "application/pkix-crl", crl.data, crl.len);
	tc_buf_cleanup(&crl);
	return r;
}
