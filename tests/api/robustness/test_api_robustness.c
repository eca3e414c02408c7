/*
 * test_api_robustness.c — malformed HTTP against the real `teecert-verifier serve` (a fresh migrated database
 * in the test cluster), over raw sockets: bad methods, bad percent-encoding, NUL and non-UTF-8 bytes in the
 * request line, huge headers and URIs, ambiguous or unsupported body framing, bad chunk sizes, deep JSON,
 * invalid UTF-8 bodies and slow clients. The server must answer with the error shape {code, hint, detail,
 * request_id} (or libmicrohttpd's own 4xx for what never reaches the handler) or close the connection, keep
 * serving, and at the end shut down promptly with exit 0 (nothing left in flight; with the ASan build no
 * leak either, which would make the exit code non-zero).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
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

#include "api_test_util.h"

#define RAW_TIMEOUT_S 10
#define RAW_REPLY_MAX 65536
#define PROMPT_MS 5000         /* an answer to a complete request comes well within this */
#define STOP_TIMEOUT_S 8       /* below the server's 10 s shutdown grace: a stuck request fails the test */
#define SLOW_HEADERS 32
#define SLOW_BODIES 16
#define DEEP_SMALL 2000        /* brackets of each kind: 4000 bytes, under the 4096-byte challenge limit */
#define DEEP_BIG 10000
#define HUGE_HEADER ((size_t)200 * 1024)
#define MANY_HEADERS 5000
#define HUGE_URI ((size_t)100 * 1024)

static char g_dsn[API_TEST_DSN_MAX];
static struct api_test_server g_srv;

struct raw_reply {
	char data[RAW_REPLY_MAX];
	size_t len;
	long ms; /* until the server closed or the timeout */
};

static int raw_connect(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)g_srv.port) };
	struct timeval tv = { .tv_sec = RAW_TIMEOUT_S };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(inet_pton(AF_INET, "127.0.0.1", &a.sin_addr), 1);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	return fd;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (long)(t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Send LEN bytes of REQ (may hold NUL bytes) and read until the server closes (or RAW_TIMEOUT_S). The
 * server may close before reading everything (an early error reply): send errors are tolerated. */
static void raw_send(const void *req, size_t len, struct raw_reply *r)
{
	struct timespec t0;
	int fd = raw_connect();
	size_t sent = 0;
	ssize_t got;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (sent < len) {
		got = send(fd, (const char *)req + sent, len - sent, MSG_NOSIGNAL);
		if (got <= 0)
			break;
		sent += (size_t)got;
	}
	r->len = 0;
	while (r->len + 1 < sizeof(r->data) && (got = recv(fd, r->data + r->len, sizeof(r->data) - 1 - r->len, 0)) > 0)
		r->len += (size_t)got;
	r->data[r->len] = '\0';
	r->ms = ms_since(&t0);
	close(fd);
}

static void raw_text(const char *req, struct raw_reply *r)
{
	raw_send(req, strlen(req), r);
}

static long raw_status(const struct raw_reply *r)
{
	long status = 0;

	if (r->len < 12 || strncmp(r->data, "HTTP/1.", 7) != 0)
		return 0;
	status = strtol(r->data + 9, NULL, 10);
	return status;
}

/* The reply is STATUS with the error shape and CODE (NULL: any code), and came promptly. */
static void expect_error_shape(const struct raw_reply *r, long status, const char *code)
{
	const char *body = strstr(r->data, "\r\n\r\n");
	json_error_t err;
	json_t *j;

	assert_int_equal(raw_status(r), status);
	assert_true(r->ms < PROMPT_MS);
	assert_non_null(body);
	j = json_loads(body + 4, 0, &err);
	if (!j)
		fail_msg("error body is not JSON (%s): %.200s", err.text, body + 4);
	assert_true(json_is_string(json_object_get(j, "code")));
	assert_true(json_is_string(json_object_get(j, "hint")));
	assert_true(json_is_string(json_object_get(j, "detail")));
	assert_true(json_is_string(json_object_get(j, "request_id")));
	if (code)
		assert_string_equal(json_string_value(json_object_get(j, "code")), code);
	json_decref(j);
}

/* The server answered with some 4xx (its own page for what never reaches a handler) or closed. */
static void expect_refused(const struct raw_reply *r)
{
	long status = raw_status(r);

	assert_true(r->ms < PROMPT_MS);
	assert_true(r->len == 0 || (status >= 400 && status < 500));
}

/* As expect_refused, but status OK is also fine (libmicrohttpd reads the request after all). */
static void expect_refused_or(const struct raw_reply *r, long ok)
{
	assert_true(r->ms < PROMPT_MS);
	if (raw_status(r) != ok)
		expect_refused(r);
}

static void expect_alive(void)
{
	struct raw_reply r;

	raw_text("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &r);
	assert_int_equal(raw_status(&r), 200);
}

static int group_setup(void **state)
{
	const char *migrate[] = { "migrate", "--db", g_dsn, NULL };

	(void)state;
	api_test_db_create(g_dsn);
	assert_int_equal(api_test_run(migrate, NULL, 0, NULL, 0), 0);
	api_test_server_start(g_dsn, NULL, &g_srv);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	api_test_db_drop(g_dsn);
	return 0;
}

static void test_bad_methods(void **state)
{
	static const char bin[] = "G\x80T /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	struct raw_reply r;

	(void)state;
	raw_text("FOO /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &r);
	expect_error_shape(&r, 405, "method_not_allowed");
	assert_non_null(strstr(r.data, "Allow: GET, HEAD"));
	raw_text("get /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &r);
	expect_error_shape(&r, 405, "method_not_allowed");
	/* a method that is not UTF-8 cannot be echoed in the JSON detail: still the error shape */
	raw_send(bin, sizeof(bin) - 1, &r);
	expect_error_shape(&r, 405, "method_not_allowed");
	expect_alive();
}

static void test_bad_paths(void **state)
{
	static const char nul[] = "GET /heal\0thz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	static const char *const paths[] = { "/he%zzlthz", "/heal%00thz", "/healthz%", "/%ff%fe", "/heal\xffthz",
					     "http://x/healthz", "*", "/healthz/", "//healthz" };
	char req[256];
	struct raw_reply r;

	(void)state;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", paths[i]);
		raw_text(req, &r);
		expect_error_shape(&r, 404, "not_found");
	}
	raw_send(nul, sizeof(nul) - 1, &r);
	expect_refused(&r);
	expect_alive();
}

static void test_huge_request_lines_and_headers(void **state)
{
	size_t cap = HUGE_HEADER + HUGE_URI + (size_t)MANY_HEADERS * 16 + 256;
	char *req = malloc(cap);
	struct raw_reply r;
	size_t n;

	(void)state;
	assert_non_null(req);
	n = (size_t)snprintf(req, cap, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: ");
	memset(req + n, 'a', HUGE_HEADER);
	n += HUGE_HEADER;
	n += (size_t)snprintf(req + n, cap - n, "\r\n\r\n");
	raw_send(req, n, &r);
	expect_refused(&r);

	n = (size_t)snprintf(req, cap, "GET /healthz HTTP/1.1\r\nHost: x\r\n");
	for (int i = 0; i < MANY_HEADERS; i++)
		n += (size_t)snprintf(req + n, cap - n, "X-%d: v\r\n", i);
	n += (size_t)snprintf(req + n, cap - n, "\r\n");
	raw_send(req, n, &r);
	expect_refused(&r);

	n = (size_t)snprintf(req, cap, "GET /");
	memset(req + n, 'a', HUGE_URI);
	n += HUGE_URI;
	n += (size_t)snprintf(req + n, cap - n, " HTTP/1.1\r\nHost: x\r\n\r\n");
	raw_send(req, n, &r);
	expect_refused(&r);

	raw_text("GET /healthz HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n", &r);
	expect_refused(&r);
	raw_text("GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n", &r);
	assert_int_equal(raw_status(&r), 505);
	free(req);
	expect_alive();
}

/* Body framing must have exactly one reading (RFC 9112 §6); before the fix an unknown transfer coding was
 * read until the client closed and the request stayed in flight (shutdown then waited out its grace). */
static void test_body_framing(void **state)
{
	struct raw_reply r;

	(void)state;
	raw_text("POST /v1/challenges HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
		 "Transfer-Encoding: gzip\r\n\r\n{}",
		 &r);
	expect_error_shape(&r, 400, "unsupported");
	raw_text("POST /v1/challenges HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
		 "Transfer-Encoding: \xff\xfezz\r\n\r\n{}",
		 &r);
	expect_error_shape(&r, 400, "unsupported");
	raw_text("POST /v1/challenges HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
		 "Content-Length: 2\r\nContent-Length: 5\r\n\r\n{}",
		 &r);
	expect_error_shape(&r, 400, "invalid_argument");
	raw_text("POST /v1/challenges HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
		 "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
		 &r);
	expect_error_shape(&r, 400, "invalid_argument");
	raw_text("GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"
		 "0\r\n\r\n",
		 &r);
	expect_error_shape(&r, 400, "invalid_argument");

	/* bad chunk sizes: libmicrohttpd refuses them itself */
	static const char *const sizes[] = { "ZZ", "-2", "ffffffffffffffffffff", "2;\xff", "" };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char req[512];

		snprintf(req, sizeof(req),
			 "POST /v1/challenges HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
			 "Connection: close\r\nTransfer-Encoding: chunked\r\n\r\n%s\r\n{}\r\n0\r\n\r\n",
			 sizes[i]);
		raw_text(req, &r);
		expect_refused_or(&r, 201); /* "2;ext" is a valid chunk extension */
	}
	/* Content-Length values libmicrohttpd cannot read, or past our limit */
	static const char *const lengths[] = { "-1", "99999999999999999999999", "1\xff", "+2", " 2" };

	for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		char req[512];

		snprintf(req, sizeof(req),
			 "POST /v1/challenges HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
			 "Connection: close\r\nContent-Length: %s\r\n\r\n{}",
			 lengths[i]);
		raw_text(req, &r);
		expect_refused_or(&r, 201);
	}
	expect_alive();
}

static void post_json(const char *body, size_t len, struct raw_reply *r)
{
	size_t cap = len + 256;
	char *req = malloc(cap);
	int n;

	assert_non_null(req);
	n = snprintf(req, cap,
		     "POST /v1/challenges HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
		     "Content-Length: %zu\r\n\r\n",
		     len);
	memcpy(req + n, body, len);
	raw_send(req, (size_t)n + len, r);
	free(req);
}

static void test_json_bodies(void **state)
{
	char *deep = malloc(2 * DEEP_BIG + 1);
	struct raw_reply r;

	(void)state;
	assert_non_null(deep);
	memset(deep, '[', DEEP_SMALL);
	memset(deep + DEEP_SMALL, ']', DEEP_SMALL);
	post_json(deep, 2 * DEEP_SMALL, &r);
	expect_error_shape(&r, 400, NULL);

	memset(deep, '[', DEEP_BIG);
	memset(deep + DEEP_BIG, ']', DEEP_BIG);
	post_json(deep, 2 * DEEP_BIG, &r);
	expect_error_shape(&r, 413, "body_too_large");

	/* {"a":{"a":...}} as deep as fits */
	size_t n = 0;

	while (n + 6 + (n / 5 + 1) < 4000) {
		memcpy(deep + n, "{\"a\":", 5);
		n += 5;
	}
	deep[n++] = '1';
	for (size_t k = n / 5; k > 0; k--)
		deep[n++] = '}';
	post_json(deep, n, &r);
	expect_error_shape(&r, 400, NULL);

	post_json("{\"\xff\":1}", 7, &r);
	expect_error_shape(&r, 400, "json_malformed");
	post_json("{\"x\":\"\xc3\x28\"}", 10, &r);
	expect_error_shape(&r, 400, "json_malformed");
	post_json("{\0}", 3, &r);
	expect_error_shape(&r, 400, "json_malformed");
	post_json("{\"x\":\"\\ud800\"}", 14, &r);
	assert_true(raw_status(&r) == 400 || raw_status(&r) == 201);
	free(deep);
	expect_alive();
}

static void test_slow_clients(void **state)
{
	int heads[SLOW_HEADERS], bodies[SLOW_BODIES];
	static const char partial_body[] = "POST /v1/challenges HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
					   "Content-Length: 100\r\n\r\n{\"a";
	struct timespec pause = { 0, 100 * 1000 * 1000 };

	(void)state;
	for (int i = 0; i < SLOW_HEADERS; i++) {
		heads[i] = raw_connect();
		assert_true(send(heads[i], "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ", 40, MSG_NOSIGNAL) == 40);
	}
	for (int i = 0; i < SLOW_BODIES; i++) {
		bodies[i] = raw_connect();
		assert_true(send(bodies[i], partial_body, sizeof(partial_body) - 1, MSG_NOSIGNAL) ==
			    (ssize_t)(sizeof(partial_body) - 1));
	}
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < SLOW_HEADERS; i++)
			(void)send(heads[i], "a", 1, MSG_NOSIGNAL);
		nanosleep(&pause, NULL);
	}
	expect_alive(); /* other clients are served meanwhile */
	for (int i = 0; i < SLOW_HEADERS; i++)
		close(heads[i]);
	for (int i = 0; i < SLOW_BODIES; i++)
		close(bodies[i]);
	expect_alive();
}

/* Last: after all of the above, nothing is left in flight and (ASan build) nothing leaked. */
static void test_shutdown_clean(void **state)
{
	struct timespec settle = { 0, 300 * 1000 * 1000 };

	(void)state;
	nanosleep(&settle, NULL);
	assert_int_equal(api_test_server_stop(&g_srv, SIGTERM, STOP_TIMEOUT_S), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_methods),
		cmocka_unit_test(test_bad_paths),
		cmocka_unit_test(test_huge_request_lines_and_headers),
		cmocka_unit_test(test_body_framing),
		cmocka_unit_test(test_json_bodies),
		cmocka_unit_test(test_slow_clients),
		cmocka_unit_test(test_shutdown_clean),
	};

	api_test_init();
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
