/*
 * test_api_server.c — the real `teecert-verifier serve` process against a fresh migrated database in the
 * test cluster, driven over HTTP with libcurl: every endpoint, the route errors (404, 405 + Allow), body
 * limits (413 before the body is read, 413 while streaming), media type and JSON errors, request ids, the
 * challenge nonces (unique, stored), metrics (moving, exact under concurrency) and the CLI contract of
 * serve/migrate.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "api.h"
#include "api_test_util.h"

#define RAW_TIMEOUT_S 10
#define NONCES 20
#define CONC_THREADS 8
#define CONC_REQUESTS 25
#define CHALLENGE_TOLERANCE_S 120
#define CUSTOM_LIFETIME_S 42

static char g_dsn[API_TEST_DSN_MAX];
static struct api_test_server g_srv;

static const char *const json_ct[] = { "Content-Type: application/json", NULL };

static void url_of(const char *path, char *out, size_t size)
{
	snprintf(out, size, "%s%s", g_srv.url, path);
}

static void get(const char *path, const char *const *headers, struct api_test_reply *r)
{
	char url[API_TEST_URL_MAX];

	url_of(path, url, sizeof(url));
	api_test_http("GET", url, headers, NULL, 0, r);
}

static void post(const char *path, const char *const *headers, const char *body, struct api_test_reply *r)
{
	char url[API_TEST_URL_MAX];

	url_of(path, url, sizeof(url));
	api_test_http("POST", url, headers, body, body ? strlen(body) : 0, r);
}

static bool is_lower_hex(const char *s, size_t len)
{
	if (!s || strlen(s) != len)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

static int group_setup(void **state)
{
	const char *migrate[] = { "migrate", "--db", g_dsn, NULL };
	char out[512];
	char expect[128];

	(void)state;
	api_test_db_create(g_dsn);
	assert_int_equal(api_test_run(migrate, out, sizeof(out), NULL, 0), 0);
	snprintf(expect, sizeof(expect), "schema version %d", db_schema_latest());
	assert_non_null(strstr(out, expect));
	api_test_server_start(g_dsn, NULL, &g_srv);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	assert_int_equal(api_test_server_stop(&g_srv, SIGTERM, 30), 0);
	api_test_db_drop(g_dsn);
	return 0;
}

/* --------------------------------------------------------------------------------------- endpoints */

static void test_healthz(void **state)
{
	struct api_test_reply r;
	json_t *j;

	(void)state;
	get("/healthz", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_true(strncmp(r.content_type, "application/json", 16) == 0);
	j = api_test_reply_json(&r);
	assert_int_equal(json_object_size(j), 1);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "ok");
	json_decref(j);
	assert_true(is_lower_hex(r.request_id, 32));
	api_test_reply_free(&r);

	char url[API_TEST_URL_MAX];

	url_of("/healthz", url, sizeof(url));
	api_test_http("HEAD", url, NULL, NULL, 0, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 0);
	api_test_reply_free(&r);
}

static void test_readyz(void **state)
{
	struct api_test_reply r;
	json_t *j;

	(void)state;
	get("/readyz", NULL, &r);
	assert_int_equal(r.status, 200);
	j = api_test_reply_json(&r);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "ready");
	assert_int_equal(json_integer_value(json_object_get(j, "schema")), db_schema_latest());
	assert_true(db_schema_latest() >= 1);
	json_decref(j);
	api_test_reply_free(&r);
}

/* The served document parses and has an operation for every row of the verifier's route table. */
static void test_openapi_lists_every_route(void **state)
{
	struct api_test_reply r;
	size_t n = 0;
	const struct api_route *routes = api_routes_for_service("verifier", &n);
	json_t *doc;
	json_t *paths;

	(void)state;
	assert_non_null(routes);
	get("/openapi.json", NULL, &r);
	assert_int_equal(r.status, 200);
	doc = api_test_reply_json(&r);
	assert_true(strncmp(json_string_value(json_object_get(doc, "openapi")), "3.1", 3) == 0);
	paths = json_object_get(doc, "paths");
	assert_true(json_is_object(paths));
	for (size_t i = 0; i < n; i++) {
		char method[16];
		size_t k = 0;

		for (; routes[i].method[k] && k + 1 < sizeof(method); k++)
			method[k] = (char)(routes[i].method[k] | 0x20);
		method[k] = '\0';
		json_t *op = json_object_get(json_object_get(paths, routes[i].pattern), method);

		if (!json_is_object(op))
			fail_msg("openapi.json has no operation %s %s", routes[i].method, routes[i].pattern);
		assert_true(json_is_object(json_object_get(op, "responses")));
		assert_true(json_is_string(json_object_get(op, "summary")));
		if (routes[i].body == API_BODY_JSON)
			assert_true(json_is_object(json_object_get(op, "requestBody")));
	}
	/* The error schema is the shape every error reply has. */
	json_t *err = json_object_get(json_object_get(json_object_get(doc, "components"), "schemas"), "Error");
	json_t *req = json_object_get(err, "required");

	assert_int_equal(json_array_size(req), 4);
	json_decref(doc);
	/* Same bytes as the embedded copy. */
	assert_int_equal(r.body_len, api_openapi_json_len);
	assert_memory_equal(r.body, api_openapi_json, r.body_len);
	api_test_reply_free(&r);
}

/* ---------------------------------------------------------------------------------- routing errors */

static void test_not_found(void **state)
{
	static const char *const paths[] = { "/nope", "/healthz/", "/v1/challenges/x", "/v1", "/" };
	struct api_test_reply r;

	(void)state;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		get(paths[i], NULL, &r);
		api_test_expect_error(&r, 404, "not_found");
		api_test_reply_free(&r);
	}
}

static void test_method_not_allowed(void **state)
{
	struct api_test_reply r;
	char url[API_TEST_URL_MAX];

	(void)state;
	url_of("/healthz", url, sizeof(url));
	api_test_http("DELETE", url, NULL, NULL, 0, &r);
	api_test_expect_error(&r, 405, "method_not_allowed");
	assert_string_equal(r.allow, "GET, HEAD");
	api_test_reply_free(&r);

	api_test_http("get", url, NULL, NULL, 0, &r); /* methods are case-sensitive */
	api_test_expect_error(&r, 405, "method_not_allowed");
	assert_string_equal(r.allow, "GET, HEAD");
	api_test_reply_free(&r);

	get("/v1/challenges", NULL, &r);
	api_test_expect_error(&r, 405, "method_not_allowed");
	assert_string_equal(r.allow, "POST");
	api_test_reply_free(&r);

	post("/readyz", json_ct, "{}", &r);
	api_test_expect_error(&r, 405, "method_not_allowed");
	assert_string_equal(r.allow, "GET, HEAD");
	api_test_reply_free(&r);
}

/* ------------------------------------------------------------------------------------- body limits */

/* Send REQUEST (headers only) on a raw socket and read the reply until the server closes or RAW_TIMEOUT_S. */
static void raw_exchange(const char *request, char *reply, size_t reply_size)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)g_srv.port) };
	struct timeval tv = { .tv_sec = RAW_TIMEOUT_S };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	size_t n = 0;
	ssize_t got;

	assert_true(fd >= 0);
	assert_int_equal(inet_pton(AF_INET, "127.0.0.1", &a.sin_addr), 1);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	assert_int_equal(send(fd, request, strlen(request), 0), (ssize_t)strlen(request));
	while (n + 1 < reply_size && (got = recv(fd, reply + n, reply_size - 1 - n, 0)) > 0)
		n += (size_t)got;
	reply[n] = '\0';
	close(fd);
}

static void test_body_too_large_before_read(void **state)
{
	char reply[4096];

	(void)state;
	/* Announces 10 MB and sends none of it: the 413 must come anyway (decided from Content-Length). */
	raw_exchange("POST /v1/challenges HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
		     "X-Request-Id: raw-413\r\nContent-Length: 10000000\r\n\r\n",
		     reply, sizeof(reply));
	assert_true(strncmp(reply, "HTTP/1.1 413", 12) == 0);
	assert_non_null(strstr(reply, "\"code\":\"body_too_large\""));
	assert_non_null(strstr(reply, "\"request_id\":\"raw-413\""));

	/* A body on a route that takes none. */
	raw_exchange("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\n", reply, sizeof(reply));
	assert_true(strncmp(reply, "HTTP/1.1 413", 12) == 0);
}

static void test_body_too_large_streamed(void **state)
{
	static const char *const chunked[] = { "Content-Type: application/json", "Transfer-Encoding: chunked", NULL };
	const size_t big = 64 * 1024;
	char *body = malloc(big + 1);
	struct api_test_reply r;
	json_t *j;

	(void)state;
	assert_non_null(body);
	body[0] = '{';
	memset(body + 1, ' ', big - 2);
	body[big - 1] = '}';
	body[big] = '\0';
	post("/v1/challenges", chunked, body, &r);
	api_test_expect_error(&r, 413, "body_too_large");
	j = api_test_reply_json(&r);
	/* Decided while streaming (no Content-Length to go by). */
	assert_non_null(strstr(json_string_value(json_object_get(j, "detail")), "the body exceeds"));
	json_decref(j);
	api_test_reply_free(&r);

	/* The same endpoint accepts a small chunked body. */
	post("/v1/challenges", chunked, "{ }", &r);
	assert_int_equal(r.status, 201);
	api_test_reply_free(&r);
	free(body);
}

/* ---------------------------------------------------------------------------------- JSON and media */

static void test_json_errors(void **state)
{
	static const char *const text_ct[] = { "Content-Type: text/plain", NULL };
	static const char *const form_ct[] = { "Content-Type: application/x-www-form-urlencoded", NULL };
	static const struct {
		const char *body;
		long status;
		const char *code;
	} cases[] = {
		{ "{\"a\":", 400, "json_malformed" },
		{ "not json", 400, "json_malformed" },
		{ "{} {}", 400, "json_malformed" },
		{ "{\"x\":1,\"x\":2}", 400, "json_malformed" }, /* duplicate keys */
		{ "{\"unknown\":true}", 400, "json_field_unknown" },
		{ "[]", 400, "json_field_invalid" },
		{ "\"{}\"", 400, "json_field_invalid" },
	};
	struct api_test_reply r;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		post("/v1/challenges", json_ct, cases[i].body, &r);
		api_test_expect_error(&r, cases[i].status, cases[i].code);
		api_test_reply_free(&r);
	}
	post("/v1/challenges", text_ct, "{}", &r);
	api_test_expect_error(&r, 415, "unsupported_media_type");
	api_test_reply_free(&r);
	post("/v1/challenges", form_ct, "{}", &r);
	api_test_expect_error(&r, 415, "unsupported_media_type");
	api_test_reply_free(&r);
	/* JSON with a charset parameter is JSON. */
	static const char *const json_utf8[] = { "Content-Type: application/json; charset=utf-8", NULL };

	post("/v1/challenges", json_utf8, "{}", &r);
	assert_int_equal(r.status, 201);
	api_test_reply_free(&r);
}

/* --------------------------------------------------------------------------------------- request id */

static void test_request_id(void **state)
{
	static const char *const valid[] = { "X-Request-Id: client-req.42_A", NULL };
	static const char *const invalid[] = { "X-Request-Id: bad id with spaces", NULL };
	static const char *const too_long[] = {
		"X-Request-Id: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL /* 65 */
	};
	struct api_test_reply r;
	char first[API_TEST_HEADER_MAX];

	(void)state;
	get("/healthz", valid, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.request_id, "client-req.42_A");
	api_test_reply_free(&r);

	get("/missing", valid, &r);
	api_test_expect_error(&r, 404, "not_found"); /* checks body request_id == header */
	assert_string_equal(r.request_id, "client-req.42_A");
	api_test_reply_free(&r);

	get("/missing", invalid, &r);
	api_test_expect_error(&r, 404, "not_found");
	assert_true(is_lower_hex(r.request_id, 32));
	api_test_reply_free(&r);

	get("/healthz", too_long, &r);
	assert_true(is_lower_hex(r.request_id, 32));
	api_test_reply_free(&r);

	get("/healthz", NULL, &r);
	assert_true(is_lower_hex(r.request_id, 32));
	snprintf(first, sizeof(first), "%s", r.request_id);
	api_test_reply_free(&r);
	get("/healthz", NULL, &r);
	assert_true(is_lower_hex(r.request_id, 32));
	assert_string_not_equal(first, r.request_id);
	api_test_reply_free(&r);
}

/* --------------------------------------------------------------------------------------- challenges */

/* Check one 201 reply; NONCE gets the nonce. Expiry must be LIFETIME from now (generous tolerance). */
static void check_challenge(const struct api_test_reply *r, int lifetime, char nonce[65])
{
	json_t *j;
	struct tm tm;
	const char *exp;

	assert_int_equal(r->status, 201);
	j = api_test_reply_json(r);
	assert_int_equal(json_object_size(j), 2);
	assert_true(is_lower_hex(json_string_value(json_object_get(j, "nonce")), 64));
	snprintf(nonce, 65, "%s", json_string_value(json_object_get(j, "nonce")));
	exp = json_string_value(json_object_get(j, "expires_at"));
	assert_non_null(exp);
	memset(&tm, 0, sizeof(tm));
	const char *end = strptime(exp, "%Y-%m-%dT%H:%M:%SZ", &tm);

	assert_non_null(end);
	assert_int_equal(*end, '\0');
	long delta = (long)(timegm(&tm) - time(NULL));

	assert_true(delta > lifetime - CHALLENGE_TOLERANCE_S / 2 && delta <= lifetime + CHALLENGE_TOLERANCE_S / 2);
	json_decref(j);
}

static void test_challenges(void **state)
{
	char nonces[NONCES][65];
	struct api_test_reply r;

	(void)state;
	for (int i = 0; i < NONCES; i++) {
		/* Alternate the accepted forms: no body, empty body, {}. */
		if (i % 3 == 0)
			post("/v1/challenges", NULL, NULL, &r);
		else if (i % 3 == 1)
			post("/v1/challenges", NULL, "", &r);
		else
			post("/v1/challenges", json_ct, "{}", &r);
		check_challenge(&r, API_DEFAULT_CHALLENGE_LIFETIME_S, nonces[i]);
		api_test_reply_free(&r);
	}
	for (int i = 0; i < NONCES; i++) {
		for (int k = i + 1; k < NONCES; k++)
			assert_string_not_equal(nonces[i], nonces[k]);
		/* Stored in the challenges table, with the lifetime the reply announced. */
		assert_int_equal(api_test_db_scalar(g_dsn,
						    "SELECT count(*) FROM challenges WHERE nonce = decode($1, 'hex')",
						    nonces[i]),
				 1);
	}
}

static void test_challenge_lifetime_flag(void **state)
{
	static const char *const extra[] = { "--challenge-lifetime", "42", NULL };
	struct api_test_server other;
	struct api_test_reply r;
	char url[API_TEST_URL_MAX];
	char nonce[65];

	(void)state;
	api_test_server_start(g_dsn, extra, &other);
	snprintf(url, sizeof(url), "%s/v1/challenges", other.url);
	api_test_http("POST", url, NULL, NULL, 0, &r);
	check_challenge(&r, CUSTOM_LIFETIME_S, nonce);
	api_test_reply_free(&r);
	assert_int_equal(api_test_server_stop(&other, SIGTERM, 30), 0);
}

/* ------------------------------------------------------------------------------------------ metrics */

/* Value of the sample line that starts with PREFIX (name + labels), -1 when absent. */
static double metric(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, prefix, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	return -1;
}

/*
 * GET /metrics once every earlier request has completed. A request is counted when it completes, which can be
 * just after its client got the response (with a thread per connection, always on another thread than the
 * next request's), so the scrape is repeated until it saw no request in flight but itself: every counter
 * then includes all earlier requests. Bounded: fails after 5 s.
 */
static void fetch_metrics(struct api_test_reply *r)
{
	for (int i = 0;; i++) {
		get("/metrics", NULL, r);
		assert_int_equal(r->status, 200);
		assert_non_null(strstr(r->content_type, "text/plain"));
		assert_non_null(strstr(r->content_type, "version=0.0.4"));
		if (metric(r->body, "teecert_http_requests_in_flight") == 1)
			return;
		api_test_reply_free(r);
		if (i == 500)
			fail_msg("/metrics never saw the earlier requests completed");
		usleep(10 * 1000);
	}
}

/* Every line is a comment or `name{labels} value`. */
static void check_exposition_format(const char *text)
{
	for (const char *p = text; *p;) {
		const char *eol = strchr(p, '\n');

		assert_non_null(eol); /* the format ends every line with \n */
		if (*p != '#') {
			const char *q = p;

			while (q < eol && ((*q >= 'a' && *q <= 'z') || *q == '_'))
				q++;
			assert_true(q > p);
			if (*q == '{') {
				q = memrchr(q, '}', (size_t)(eol - q));
				assert_non_null(q);
				q++;
			}
			assert_int_equal(*q, ' ');
			char *end = NULL;

			(void)strtod(q + 1, &end);
			assert_ptr_equal(end, eol);
		}
		p = eol + 1;
	}
}

static void test_metrics_move(void **state)
{
	static const char *const ok_line =
		"teecert_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"}";
	static const char *const nf_line =
		"teecert_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"}";
	static const char *const count_line = "teecert_http_request_duration_seconds_count{route=\"/healthz\"}";
	static const char *const inf_line =
		"teecert_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"+Inf\"}";
	struct api_test_reply m1, m2, r;

	(void)state;
	get("/healthz", NULL, &r); /* at least one sample exists */
	api_test_reply_free(&r);
	fetch_metrics(&m1);
	check_exposition_format(m1.body);
	get("/healthz", NULL, &r);
	api_test_reply_free(&r);
	get("/healthz", NULL, &r);
	api_test_reply_free(&r);
	get("/no-such-route", NULL, &r);
	api_test_reply_free(&r);
	fetch_metrics(&m2);

	double before = metric(m1.body, ok_line);

	assert_true(before >= 1);
	assert_true(metric(m2.body, ok_line) == before + 2);
	assert_true(metric(m2.body, nf_line) == (metric(m1.body, nf_line) < 0 ? 0 : metric(m1.body, nf_line)) + 1);
	assert_true(metric(m2.body, count_line) == metric(m1.body, count_line) + 2);
	assert_true(metric(m2.body, inf_line) == metric(m2.body, count_line));
	assert_true(metric(m2.body, "teecert_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.0005\"}") >=
		    0);
	assert_true(metric(m2.body, "teecert_db_pool_connections{state=\"size\"}") >= 1);
	assert_true(metric(m2.body, "teecert_db_pool_connections{state=\"in_use\"}") >= 0);
	assert_true(metric(m2.body, "teecert_db_pool_acquire_total") >= 1); /* readyz/challenges used it */
	assert_true(metric(m2.body, "teecert_db_pool_wait_total") >= 0);
	assert_true(metric(m2.body, "teecert_db_pool_errors_total") >= 0);
	assert_non_null(strstr(m2.body, "teecert_build_info{version=\""));
	assert_non_null(strstr(m2.body, "# TYPE teecert_http_request_duration_seconds histogram"));
	/* The /metrics request itself is counted once it completed. */
	assert_true(metric(m2.body, "teecert_http_requests_total{route=\"/metrics\",method=\"GET\",status=\"200\"}") >=
		    1);
	api_test_reply_free(&m1);
	api_test_reply_free(&m2);
}

static void *hammer(void *arg)
{
	char url[API_TEST_URL_MAX];
	int *failures = arg;

	url_of("/healthz", url, sizeof(url));
	for (int i = 0; i < CONC_REQUESTS; i++) {
		struct api_test_reply r;

		api_test_http("GET", url, NULL, NULL, 0, &r);
		if (r.status != 200)
			(*failures)++;
		api_test_reply_free(&r);
	}
	return NULL;
}

/* Counters are exact under concurrency: N threads x M requests move the counter by exactly N*M. */
static void test_metrics_concurrent(void **state)
{
	static const char *const ok_line =
		"teecert_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"}";
	pthread_t th[CONC_THREADS];
	int failures[CONC_THREADS] = { 0 };
	struct api_test_reply m1, m2;

	(void)state;
	fetch_metrics(&m1);
	for (int i = 0; i < CONC_THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, hammer, &failures[i]), 0);
	for (int i = 0; i < CONC_THREADS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(failures[i], 0);
	}
	fetch_metrics(&m2);
	double before = metric(m1.body, ok_line);

	assert_true(metric(m2.body, ok_line) == (before < 0 ? 0 : before) + CONC_THREADS * CONC_REQUESTS);
	api_test_reply_free(&m1);
	api_test_reply_free(&m2);
}

/* /readyz reports a schema that is older (run migrate) or newer (upgrade) than the binary. */
static void test_readyz_schema_mismatch(void **state)
{
	char dsn[API_TEST_DSN_MAX];
	char url[API_TEST_URL_MAX];
	const char *migrate[] = { "migrate", "--db", dsn, NULL };
	struct api_test_server srv;
	struct api_test_reply r;

	(void)state;
	api_test_db_create(dsn);
	assert_int_equal(api_test_run(migrate, NULL, 0, NULL, 0), 0);
	api_test_server_start(dsn, NULL, &srv);
	snprintf(url, sizeof(url), "%s/readyz", srv.url);
	api_test_http("GET", url, NULL, NULL, 0, &r);
	assert_int_equal(r.status, 200);
	api_test_reply_free(&r);

	/* Older: the newest migration's row is gone. */
	assert_true(api_test_db_scalar(dsn,
				       "DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM "
				       "schema_migrations) RETURNING version",
				       NULL) == db_schema_latest());
	api_test_http("GET", url, NULL, NULL, 0, &r);
	api_test_expect_error(&r, 503, "db_schema_outdated");
	api_test_reply_free(&r);

	/* Newer: a version this binary does not know. */
	assert_true(
		api_test_db_scalar(dsn,
				   "INSERT INTO schema_migrations (version, name, sha256) VALUES ($1::int, 'future', "
				   "decode(repeat('00', 32), 'hex')) RETURNING version",
				   "9999") == 9999);
	api_test_http("GET", url, NULL, NULL, 0, &r);
	api_test_expect_error(&r, 503, "db_schema_unknown");
	api_test_reply_free(&r);
	assert_int_equal(api_test_server_stop(&srv, SIGTERM, 30), 0);
	api_test_db_drop(dsn);
}

/* ---------------------------------------------------------------------------------------------- CLI */

static void test_cli(void **state)
{
	static char out[8192], err[8192];
	char fresh[API_TEST_DSN_MAX];

	(void)state;
	const char *serve_help[] = { "serve", "--help", NULL };
	const char *migrate_help[] = { "migrate", "-h", NULL };
	const char *bogus[] = { "serve", "--bogus", NULL };
	const char *bogus_migrate[] = { "migrate", "--db", g_dsn, "--nope", NULL };
	const char *no_value[] = { "serve", "--db", NULL };
	const char *bad_pool[] = { "serve", "--db", g_dsn, "--pool", "0", NULL };
	const char *bad_listen[] = { "serve", "--db", g_dsn, "--listen", "nowhere", NULL };
	const char *no_db[] = { "serve", "--listen", "127.0.0.1:0", NULL };

	assert_int_equal(api_test_run(serve_help, out, sizeof(out), err, sizeof(err)), 0);
	assert_non_null(strstr(out, "--listen HOST:PORT"));
	assert_non_null(strstr(out, "TEECERT_DB_DSN"));
	assert_int_equal(api_test_run(migrate_help, out, sizeof(out), err, sizeof(err)), 0);
	assert_non_null(strstr(out, "migrate"));
	assert_int_equal(api_test_run(bogus, out, sizeof(out), err, sizeof(err)), 1);
	assert_non_null(strstr(err, "unknown option '--bogus'"));
	assert_int_equal(api_test_run(bogus_migrate, out, sizeof(out), err, sizeof(err)), 1);
	assert_non_null(strstr(err, "--nope"));
	assert_int_equal(api_test_run(no_value, out, sizeof(out), err, sizeof(err)), 1);
	assert_int_equal(api_test_run(bad_pool, out, sizeof(out), err, sizeof(err)), 1);
	assert_int_equal(api_test_run(bad_listen, out, sizeof(out), err, sizeof(err)), 1);
	unsetenv("TEECERT_DB_DSN");
	assert_int_equal(api_test_run(no_db, out, sizeof(out), err, sizeof(err)), 1);
	assert_non_null(strstr(err, "TEECERT_DB_DSN"));

	/* serve refuses a database without the schema and says to migrate. */
	api_test_db_create(fresh);
	const char *serve_fresh[] = { "serve", "--listen", "127.0.0.1:0", "--db", fresh, NULL };
	const char *migrate_fresh[] = { "migrate", "--db", fresh, NULL };

	assert_int_equal(api_test_run(serve_fresh, out, sizeof(out), err, sizeof(err)), 3);
	assert_non_null(strstr(err, "migrate"));
	assert_null(strstr(out, "listening on"));
	/* migrate applies everything once, then nothing; the DSN may come from the environment. */
	assert_int_equal(api_test_run(migrate_fresh, out, sizeof(out), err, sizeof(err)), 0);
	assert_null(strstr(out, "applied 0 "));
	setenv("TEECERT_DB_DSN", fresh, 1);
	const char *migrate_env[] = { "migrate", NULL };

	assert_int_equal(api_test_run(migrate_env, out, sizeof(out), err, sizeof(err)), 0);
	unsetenv("TEECERT_DB_DSN");
	assert_non_null(strstr(out, "applied 0 migrations"));

	/* An unreachable database: a clear message, exit 3. */
	const char *unreachable[] = { "migrate", "--db", "postgresql://teecert@127.0.0.1:1/none?connect_timeout=5",
				      NULL };

	assert_int_equal(api_test_run(unreachable, out, sizeof(out), err, sizeof(err)), 3);
	assert_non_null(strstr(err, "cannot reach the database"));
	api_test_db_drop(fresh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_healthz),
		cmocka_unit_test(test_readyz),
		cmocka_unit_test(test_openapi_lists_every_route),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_method_not_allowed),
		cmocka_unit_test(test_body_too_large_before_read),
		cmocka_unit_test(test_body_too_large_streamed),
		cmocka_unit_test(test_json_errors),
		cmocka_unit_test(test_request_id),
		cmocka_unit_test(test_challenges),
		cmocka_unit_test(test_challenge_lifetime_flag),
		cmocka_unit_test(test_metrics_move),
		cmocka_unit_test(test_metrics_concurrent),
		cmocka_unit_test(test_readyz_schema_mismatch),
		cmocka_unit_test(test_cli),
	};

	api_test_init();
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
