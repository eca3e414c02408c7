/*
 * fuzz_api_route.c — the route matcher (api_route_match, api/api_routes.c) with arbitrary method and path
 * bytes, against both services' tables and a table with {name} parameters, and the X-Request-Id rules
 * (api_request_id_valid / api_request_id_pick, api/api_request.c).
 * Input: byte 0 = method length (mod 32), then the method, then the path (each cut at a NUL, as libmicrohttpd
 * hands them over). Properties: only ok / not_found / method_not_allowed; a match names a route of the table
 * with this method (HEAD answers GET) and non-empty parameters without '/' (but for the last one of an
 * API_ROUTE_TAIL route, GET /v1/ocsp/{request}); a 405 lists the allowed methods;
 * a picked request id is the client's when valid, else 32 hex digits.
 */
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"

#define FUZZ_METHOD_MAX 32
#define FUZZ_TEXT_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static TC_RESULT fuzz_handler(struct api_request *req)
{
	(void)req;
	return tc_ok();
}

/* Designated initializers: the route row grows fields (body media types, ...) without touching this table. */
#define FUZZ_ROUTE(m, p, a) { .method = (m), .pattern = (p), .handler = fuzz_handler, .auth = (a), .summary = "" }
static const struct api_route fuzz_routes[] = {
	FUZZ_ROUTE("GET", "/v1/certificates/{serial}", API_AUTH_PUBLIC),
	FUZZ_ROUTE("DELETE", "/v1/certificates/{serial}", API_AUTH_ADMIN),
	FUZZ_ROUTE("POST", "/v1/certificates", API_AUTH_PUBLIC),
	FUZZ_ROUTE("GET", "/v1/log/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}", API_AUTH_PUBLIC),
	FUZZ_ROUTE("PUT", "/{x}", API_AUTH_PUBLIC),
	FUZZ_ROUTE("GET", "/{}/{", API_AUTH_PUBLIC),
};

static void fuzz_check(const struct api_route *routes, size_t n, const char *method, const char *path)
{
	struct api_match m;
	struct tc_result r = api_route_match(routes, n, method, path, &m);

	if (tc_is_ok(r)) {
		const struct api_route *rt = m.route;

		if (!rt || m.route_index >= n || rt != &routes[m.route_index] || m.n_params > API_ROUTE_MAX_PARAMS)
			abort();
		if (strcmp(rt->method, method) != 0 && !(strcmp(method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0))
			abort();
		for (size_t i = 0; i < m.n_params; i++) {
			const char *v = m.params[i].value;

			/* '/' only in the last parameter of an API_ROUTE_TAIL route (it takes the rest of the path). */
			bool tail = (rt->flags & API_ROUTE_TAIL) && i + 1 == m.n_params;
			if (!v || !*v || (strchr(v, '/') && !tail) || !strstr(path, v))
				abort();
			if (api_match_param(&m, "serial") == NULL && strcmp(rt->pattern, routes[0].pattern) == 0)
				abort();
		}
		return;
	}
	if (r.code == TC_ERR_METHOD_NOT_ALLOWED) {
		if (m.route || !m.allow[0] || memchr(m.allow, '\0', sizeof(m.allow)) == NULL || m.n_params != 0)
			abort();
		return;
	}
	if (r.code != TC_ERR_NOT_FOUND || m.route || m.n_params != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char method[FUZZ_METHOD_MAX + 1];
	char path[FUZZ_TEXT_MAX + 1];
	char id[API_REQUEST_ID_MAX + 1];
	size_t mlen, plen;
	size_t n;
	const struct api_route *routes;

	if (size == 0)
		return 0;
	mlen = data[0] % (FUZZ_METHOD_MAX + 1);
	if (mlen > size - 1)
		mlen = size - 1;
	memcpy(method, data + 1, mlen);
	method[mlen] = '\0';
	plen = size - 1 - mlen;
	if (plen > FUZZ_TEXT_MAX)
		plen = FUZZ_TEXT_MAX;
	memcpy(path, data + 1 + mlen, plen);
	path[plen] = '\0';

	routes = api_routes_for_service("verifier", &n);
	fuzz_check(routes, n, method, path);
	routes = api_routes_for_service("ca", &n);
	fuzz_check(routes, n, method, path);
	fuzz_check(fuzz_routes, sizeof(fuzz_routes) / sizeof(fuzz_routes[0]), method, path);

	if (!tc_is_ok(api_request_id_pick(path, id)))
		abort();
	if (api_request_id_valid(path) ? strcmp(id, path) != 0
				       : (strlen(id) != 2 * API_REQUEST_ID_RANDOM_BYTES ||
					  strspn(id, "0123456789abcdef") != strlen(id)))
		abort();
	if (!api_request_id_valid(id))
		abort();
	return 0;
}
