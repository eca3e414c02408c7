/*
 * test_api_routes.c — the route matcher (api_routes.c): literal and {param} segments, trailing slashes and
 * empty segments, 404 vs 405 with the Allow list, case-sensitive methods, HEAD on GET routes, the greedy
 * last parameter of API_ROUTE_TAIL routes (GET /v1/ocsp/{request}: base64 with '/'), and the two service
 * tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "api_internal.h"

static struct tc_result handler_stub(struct api_request *req)
{
	(void)req;
	return tc_ok();
}

static const struct api_route table[] = {
	{ "GET", "/healthz", handler_stub, API_BODY_NONE, 0, API_AUTH_PUBLIC, "health", 0 },
	{ "GET", "/v1/certificates/{serial}", handler_stub, API_BODY_NONE, 0, API_AUTH_PUBLIC, "get", 0 },
	{ "DELETE", "/v1/certificates/{serial}", handler_stub, API_BODY_NONE, 0, API_AUTH_ADMIN, "revoke", 0 },
	{ "POST", "/v1/certificates", handler_stub, API_BODY_JSON, 1024, API_AUTH_PUBLIC, "issue", 0 },
	{ "GET", "/v1/log/{tree}/proof/{index}", handler_stub, API_BODY_NONE, 0, API_AUTH_PUBLIC, "proof", 0 },
	{ "PUT", "/v1/policy", handler_stub, API_BODY_JSON, 1024, API_AUTH_ADMIN, "policy", 0 },
	{ "POST", "/v1/policy", handler_stub, API_BODY_JSON, 1024, API_AUTH_ADMIN, "policy", 0 },
	{ "GET", "/v1/ocsp/{request}", handler_stub, API_BODY_NONE, 0, API_AUTH_PUBLIC, "ocsp", API_ROUTE_TAIL },
	{ "GET", "/v1/crl/{ca}", handler_stub, API_BODY_NONE, 0, API_AUTH_PUBLIC, "crl", 0 },
	/* TAIL applies to a {name} that ends the pattern only. */
	{ "GET", "/v1/t/{x}/end", handler_stub, API_BODY_NONE, 0, API_AUTH_PUBLIC, "t", API_ROUTE_TAIL },
};
#define N_TABLE (sizeof(table) / sizeof(table[0]))

static struct tc_result match(const char *method, const char *path, struct api_match *m)
{
	return api_route_match(table, N_TABLE, method, path, m);
}

static void test_literal(void **state)
{
	struct api_match m;

	(void)state;
	assert_int_equal(match("GET", "/healthz", &m).code, TC_OK);
	assert_ptr_equal(m.route, &table[0]);
	assert_int_equal(m.route_index, 0);
	assert_int_equal(m.n_params, 0);
	assert_int_equal(match("POST", "/v1/certificates", &m).code, TC_OK);
	assert_ptr_equal(m.route, &table[3]);
}

static void test_params(void **state)
{
	struct api_match m;

	(void)state;
	assert_int_equal(match("GET", "/v1/certificates/0a1b2c", &m).code, TC_OK);
	assert_ptr_equal(m.route, &table[1]);
	assert_int_equal(m.n_params, 1);
	assert_string_equal(api_match_param(&m, "serial"), "0a1b2c");
	assert_null(api_match_param(&m, "seria"));
	assert_null(api_match_param(&m, "serial2"));

	assert_int_equal(match("DELETE", "/v1/certificates/77", &m).code, TC_OK);
	assert_ptr_equal(m.route, &table[2]);
	assert_string_equal(api_match_param(&m, "serial"), "77");

	assert_int_equal(match("GET", "/v1/log/main/proof/12345", &m).code, TC_OK);
	assert_ptr_equal(m.route, &table[4]);
	assert_int_equal(m.n_params, 2);
	assert_string_equal(api_match_param(&m, "tree"), "main");
	assert_string_equal(api_match_param(&m, "index"), "12345");
}

static void test_not_found(void **state)
{
	static const char *const paths[] = {
		"/",
		"",
		"healthz",
		"/healthz/", /* trailing slash: exact matching */
		"/healthzz",
		"/health",
		"//healthz",
		"/v1/certificates/", /* empty parameter segment */
		"/v1/certificates//x",
		"/v1/certificates/1/extra",
		"/v1/log/main/proof",
		"/v1/log//proof/1",
		"/V1/certificates", /* paths are case-sensitive */
	};
	struct api_match m;

	(void)state;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct tc_result r = match("GET", paths[i], &m);

		assert_int_equal(r.code, TC_ERR_NOT_FOUND);
		assert_null(m.route);
		assert_string_equal(m.allow, "");
	}
	assert_int_equal(tc_error_info(TC_ERR_NOT_FOUND)->http_status, 404);
}

static void test_too_long_path(void **state)
{
	char path[API_PATH_MAX + 16];
	struct api_match m;

	(void)state;
	path[0] = '/';
	memset(path + 1, 'a', sizeof(path) - 2);
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(match("GET", path, &m).code, TC_ERR_NOT_FOUND);
}

static void test_method_not_allowed(void **state)
{
	struct api_match m;

	(void)state;
	assert_int_equal(match("POST", "/healthz", &m).code, TC_ERR_METHOD_NOT_ALLOWED);
	assert_null(m.route);
	assert_string_equal(m.allow, "GET, HEAD");

	assert_int_equal(match("PUT", "/v1/certificates/9", &m).code, TC_ERR_METHOD_NOT_ALLOWED);
	assert_string_equal(m.allow, "GET, HEAD, DELETE");

	assert_int_equal(match("GET", "/v1/certificates", &m).code, TC_ERR_METHOD_NOT_ALLOWED);
	assert_string_equal(m.allow, "POST");

	assert_int_equal(match("DELETE", "/v1/policy", &m).code, TC_ERR_METHOD_NOT_ALLOWED);
	assert_string_equal(m.allow, "PUT, POST");
	assert_int_equal(tc_error_info(TC_ERR_METHOD_NOT_ALLOWED)->http_status, 405);
}

static void test_method_case(void **state)
{
	struct api_match m;

	(void)state;
	/* RFC 9110 §9.1: methods are case-sensitive; "get" is not GET. */
	assert_int_equal(match("get", "/healthz", &m).code, TC_ERR_METHOD_NOT_ALLOWED);
	assert_string_equal(m.allow, "GET, HEAD");
	assert_int_equal(match("Post", "/v1/certificates", &m).code, TC_ERR_METHOD_NOT_ALLOWED);
	assert_string_equal(m.allow, "POST");
}

static void test_head_on_get(void **state)
{
	struct api_match m;

	(void)state;
	assert_int_equal(match("HEAD", "/healthz", &m).code, TC_OK);
	assert_ptr_equal(m.route, &table[0]);
	assert_int_equal(match("HEAD", "/v1/certificates", &m).code, TC_ERR_METHOD_NOT_ALLOWED);
}

static void test_tail(void **state)
{
	static const char *const values[] = {
		"MFMwUTBPME0wSzAJBgUrDgMCGgUABBTx/ab+cd==", /* '/' and '+' of base64 */
		"a/b/c",
		"a//b", /* base64 may hold "//" */
		"x/",   /* ... and end with '/' */
		"plain",
	};
	char path[API_PATH_MAX];
	struct api_match m;

	(void)state;
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		snprintf(path, sizeof(path), "/v1/ocsp/%s", values[i]);
		assert_int_equal(match("GET", path, &m).code, TC_OK);
		assert_ptr_equal(m.route, &table[7]);
		assert_int_equal(m.n_params, 1);
		assert_string_equal(api_match_param(&m, "request"), values[i]);
	}
	/* Still no empty parameter; a route without TAIL still takes one segment. */
	assert_int_equal(match("GET", "/v1/ocsp/", &m).code, TC_ERR_NOT_FOUND);
	assert_int_equal(match("GET", "/v1/ocsp", &m).code, TC_ERR_NOT_FOUND);
	assert_int_equal(match("GET", "/v1/crl/root1", &m).code, TC_OK);
	assert_int_equal(match("GET", "/v1/crl/root1/x", &m).code, TC_ERR_NOT_FOUND);
	assert_int_equal(match("POST", "/v1/ocsp/a/b", &m).code, TC_ERR_METHOD_NOT_ALLOWED);
	assert_string_equal(m.allow, "GET, HEAD");
	/* A {name} inside the pattern is one segment even with TAIL. */
	assert_int_equal(match("GET", "/v1/t/a/end", &m).code, TC_OK);
	assert_string_equal(api_match_param(&m, "x"), "a");
	assert_int_equal(match("GET", "/v1/t/a/b/end", &m).code, TC_ERR_NOT_FOUND);
	/* The longest path the matcher takes fits the match's storage. */
	size_t n = (size_t)snprintf(path, sizeof(path), "/v1/ocsp/");
	memset(path + n, 'A', sizeof(path) - n - 1);
	path[sizeof(path) - 1] = '\0';
	path[n + 10] = '/';
	assert_int_equal(match("GET", path, &m).code, TC_OK);
	assert_int_equal(strlen(api_match_param(&m, "request")), sizeof(path) - 1 - n);

	/* The CA's OCSP GET route takes a request whose base64 holds '/'. */
	size_t n_routes = 0;
	const struct api_route *ca = api_routes_for_service("ca", &n_routes);
	assert_non_null(ca);
	assert_int_equal(api_route_match(ca, n_routes, "GET", "/v1/ocsp/MEUw/Qz+B==", &m).code, TC_OK);
	assert_ptr_equal(m.route->handler, api_ocsp_get);
	assert_string_equal(api_match_param(&m, "request"), "MEUw/Qz+B==");
}

static void test_bad_input(void **state)
{
	struct api_match m;

	(void)state;
	assert_int_equal(api_route_match(table, N_TABLE, NULL, "/healthz", &m).code, TC_ERR_INVALID_ARGUMENT);
	assert_int_equal(api_route_match(table, N_TABLE, "GET", NULL, &m).code, TC_ERR_INVALID_ARGUMENT);
	assert_int_equal(api_route_match(NULL, 0, "GET", "/healthz", &m).code, TC_ERR_INVALID_ARGUMENT);
	assert_int_equal(api_route_match(table, 0, "GET", "/healthz", &m).code, TC_ERR_NOT_FOUND);
}

/* The service tables: every row well formed, no duplicate (method, pattern), the endpoints of this stage. */
static void check_service(const char *service)
{
	size_t n = 0;
	const struct api_route *routes = api_routes_for_service(service, &n);
	static const char *const required[][2] = {
		{ "GET", "/healthz" },      { "GET", "/readyz" },         { "GET", "/metrics" },
		{ "GET", "/openapi.json" }, { "POST", "/v1/challenges" },
	};

	assert_non_null(routes);
	assert_true(n >= sizeof(required) / sizeof(required[0]));
	for (size_t i = 0; i < n; i++) {
		struct api_match m;

		assert_non_null(routes[i].handler);
		assert_non_null(routes[i].summary);
		assert_true(routes[i].pattern[0] == '/');
		if (routes[i].body == API_BODY_JSON)
			assert_true(routes[i].max_body > 0);
		for (size_t j = i + 1; j < n; j++)
			assert_false(strcmp(routes[i].method, routes[j].method) == 0 &&
				     strcmp(routes[i].pattern, routes[j].pattern) == 0);
		/* Each literal pattern routes to its own row. */
		if (!strchr(routes[i].pattern, '{')) {
			assert_int_equal(api_route_match(routes, n, routes[i].method, routes[i].pattern, &m).code,
					 TC_OK);
			assert_ptr_equal(m.route, &routes[i]);
		}
	}
	for (size_t k = 0; k < sizeof(required) / sizeof(required[0]); k++) {
		struct api_match m;

		assert_int_equal(api_route_match(routes, n, required[k][0], required[k][1], &m).code, TC_OK);
	}
}

static void test_service_tables(void **state)
{
	size_t n = 0;

	(void)state;
	check_service("verifier");
	check_service("ca");
	assert_null(api_routes_for_service("anchor", &n));
	assert_null(api_routes_for_service(NULL, &n));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literal),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_too_long_path),
		cmocka_unit_test(test_method_not_allowed),
		cmocka_unit_test(test_method_case),
		cmocka_unit_test(test_head_on_get),
		cmocka_unit_test(test_tail),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_service_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
