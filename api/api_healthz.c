/*
 * api_healthz.c — GET /healthz: liveness. Answers as long as the process serves HTTP; never touches the
 * database (a database outage must not make an orchestrator restart every replica; /readyz covers it).
 */
#include "api_internal.h"

TC_RESULT api_healthz(struct api_request *req)
{
	json_t *body = json_pack("{s:s}", "status", "ok");
	struct tc_result r;

	TC_ENSURE(body, TC_ERR_NO_MEMORY, "healthz body");
	r = api_reply_json(req, 200, body);
	json_decref(body);
	return r;
}
