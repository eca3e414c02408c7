/*
 * api_readyz.c — GET /readyz: readiness. 200 {"status":"ready","schema":N} when a pooled connection works
 * and its schema is exactly the one this binary knows; otherwise the error shape with db_unavailable,
 * db_schema_outdated or db_schema_unknown (503 each, from tc_errors.def), so a load balancer takes the
 * replica out of rotation until the database is back or migrated.
 */
#include "api_internal.h"

TC_RESULT api_readyz(struct api_request *req)
{
	struct db_conn *conn = NULL;
	struct tc_result r;
	json_t *body;

	TC_GUARD(api_request_db(req, &conn));
	TC_GUARD(db_schema_check(conn));
	body = json_pack("{s:s, s:i}", "status", "ready", "schema", db_schema_latest());
	TC_ENSURE(body, TC_ERR_NO_MEMORY, "readyz body");
	r = api_reply_json(req, 200, body);
	json_decref(body);
	return r;
}
