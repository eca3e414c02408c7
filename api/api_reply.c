/*
 * api_reply.c — the reply helpers. Every reply carries X-Request-Id; every error reply has the one shape
 * {code, hint, detail, request_id}, with the status and hint of the code's row in common/tc_errors.def
 * (no switch on codes anywhere in api/).
 */
#include <string.h>

#include "api_internal.h"

TC_RESULT api_reply_data(struct api_request *req, unsigned status, const char *content_type, const void *data,
			 size_t len)
{
	struct tc_result r = tc_ok();
	struct MHD_Response *resp = NULL;

	TC_ENSURE(!req->replied, TC_ERR_INTERNAL, "a second reply for one request");
	resp = MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
	TC_ENSURE(resp, TC_ERR_NO_MEMORY, "cannot create a response of %zu bytes", len);
	bool ok = MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type) == MHD_YES &&
		  MHD_add_response_header(resp, "X-Request-Id", req->id) == MHD_YES &&
		  MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") == MHD_YES;

	if (ok && req->allow && req->allow[0])
		ok = MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, req->allow) == MHD_YES;
	if (ok && req->retry_after_s > 0) { /* a 429 (api_ratelimit.c): whole seconds, RFC 9110 §10.2.3 */
		char secs[16];

		snprintf(secs, sizeof(secs), "%u", req->retry_after_s);
		ok = MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, secs) == MHD_YES;
	}
	/* While draining for shutdown, tell keep-alive clients to take their next request elsewhere. */
	if (ok && atomic_load(&req->server->stopping))
		ok = MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close") == MHD_YES;
	TC_ENSURE_GOTO(r, ok, out, TC_ERR_NO_MEMORY, "cannot add response headers");
	TC_ENSURE_GOTO(r, MHD_queue_response(req->conn, status, resp) == MHD_YES, out, TC_ERR_INTERNAL,
		       "libmicrohttpd refused to queue the %u response", status);
	req->replied = true;
	req->status = status;
	req->state = API_REQ_DONE;
out:
	MHD_destroy_response(resp);
	return r;
}

TC_RESULT api_reply_json(struct api_request *req, unsigned status, const json_t *body)
{
	struct tc_result r = tc_ok();
	struct tc_buf out;

	tc_buf_init(&out, TC_BUF_DEFAULT_MAX);
	TC_GUARD_GOTO(r, tc_json_dump(body, &out), done);
	TC_GUARD_GOTO(r, api_reply_data(req, status, "application/json", out.data, out.len), done);
done:
	tc_buf_cleanup(&out);
	return r;
}

TC_RESULT api_reply_error(struct api_request *req, enum tc_code code, const char *detail)
{
	const struct tc_error_info *info = tc_error_info(code);
	struct tc_result r = tc_ok();
	json_t *body = json_pack("{s:s, s:s, s:s, s:s}", "code", info->code, "hint", info->hint, "detail",
				 detail ? detail : "", "request_id", req->id);

	/* A detail that echoes outside bytes may not be UTF-8: keep the error, drop the detail. */
	if (!body)
		body = json_pack("{s:s, s:s, s:s, s:s}", "code", info->code, "hint", info->hint, "detail",
				 "(detail not representable)", "request_id", req->id);
	TC_ENSURE(body, TC_ERR_NO_MEMORY, "cannot build the error body");
	r = api_reply_json(req, (unsigned)info->http_status, body);
	json_decref(body);
	return r;
}
