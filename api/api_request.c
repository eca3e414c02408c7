/*
 * api_request.c — the per-request context handlers see: request id rules, path parameters, the parsed
 * body, and the pooled database connection borrowed for the request.
 */
#include <string.h>

#include "api_internal.h"

bool api_request_id_valid(const char *id)
{
	size_t n = 0;

	if (!id)
		return false;
	for (; id[n]; n++) {
		char c = id[n];
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
			  c == '_' || c == '-';

		if (!ok || n >= API_REQUEST_ID_MAX)
			return false;
	}
	return n >= 1;
}

TC_RESULT api_request_id_pick(const char *id, char out[API_REQUEST_ID_MAX + 1])
{
	uint8_t raw[API_REQUEST_ID_RANDOM_BYTES];

	if (api_request_id_valid(id)) {
		snprintf(out, API_REQUEST_ID_MAX + 1, "%s", id);
		return tc_ok();
	}
	TC_GUARD(tc_random_bytes(raw, sizeof(raw)));
	return tc_hex_encode(raw, sizeof(raw), out, API_REQUEST_ID_MAX + 1);
}

const char *api_request_id(const struct api_request *req)
{
	return req->id;
}

const char *api_request_param(const struct api_request *req, const char *name)
{
	return req->matched ? api_match_param(&req->match, name) : NULL;
}

const json_t *api_request_json(const struct api_request *req)
{
	return req->json;
}

const struct api_config *api_request_config(const struct api_request *req)
{
	return &req->server->cfg;
}

struct db_pool *api_request_pool(const struct api_request *req)
{
	return req->server->pool;
}

TC_RESULT api_request_db(struct api_request *req, struct db_conn **out)
{
	if (!req->db) {
		/* Read-only routes go to the read pool when there is one (--read-db). */
		struct db_pool *pool = req->matched && (req->match.route->flags & API_ROUTE_READ) && req->server->read_pool
					       ? req->server->read_pool
					       : req->server->pool;

		TC_ENSURE(pool, TC_ERR_DB_UNAVAILABLE, "this server has no database");
		TC_GUARD(db_pool_acquire(pool, req->server->cfg.db_acquire_ms, &req->db));
		req->db_pool = pool;
	}
	*out = req->db;
	return tc_ok();
}
