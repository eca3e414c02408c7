/*
 * test_api_ops.c — operations features of teecert-verifier (docs/admission.md "Operations"):
 *   - --read-db: read-only routes (API_ROUTE_READ) are served from a second database, writes stay on --db;
 *     two databases seeded differently show which one answered;
 *   - --rate-limit/--rate-burst: a burst past the limit is answered 429 with Retry-After and the error shape,
 *     /healthz and /metrics are exempt, and after Retry-After seconds requests pass again;
 *   - /metrics labels requests by route template and status;
 *   - threading (api_server.c "Threading model"): with a thread per connection, a handler that waits does
 *     not hold up another connection; on a one-worker pool it does (the control). The real verifier by
 *     default: an appraisal waiting for a vendor that does not answer (a local socket that accepts and holds
 *     the connection) leaves /healthz on another connection answered; with --threads 1 it does not.
 * Both against the real teecert-verifier process (the serve flags) and an in-process server.
 */
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "api.h"
#include "api_test_util.h"
#include "tc.h"

static char g_primary[API_TEST_DSN_MAX], g_replica[API_TEST_DSN_MAX];

static const char anchor_sql[] =
	"INSERT INTO anchor_txs (state, tree_size, root, prev_tree_size, chain_id, nonce, gas_limit,"
	" max_fee_per_gas, max_priority_fee_per_gas, raw_tx, tx_hash, block_number, block_hash, confirmed_at)"
	" VALUES ('confirmed', $1::bigint, decode(repeat('11', 32), 'hex'), 0, 31337, 0, 100000, 1, 1, '\\x01',"
	" decode(repeat('cc', 32), 'hex'), 42, decode(repeat('dd', 32), 'hex'), now()) RETURNING tree_size";

static int group_setup(void **state)
{
	const char *m1[] = { "migrate", "--db", g_primary, NULL };
	const char *m2[] = { "migrate", "--db", g_replica, NULL };

	(void)state;
	api_test_init();
	api_test_db_create(g_primary);
	api_test_db_create(g_replica);
	if (api_test_run(m1, NULL, 0, NULL, 0) != 0 || api_test_run(m2, NULL, 0, NULL, 0) != 0)
		return -1;
	/* The same table, different contents: tree size 3 on the primary, 7 on the "replica". */
	if (api_test_db_scalar(g_primary, anchor_sql, "3") != 3 || api_test_db_scalar(g_replica, anchor_sql, "7") != 7)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	api_test_db_drop(g_primary);
	api_test_db_drop(g_replica);
	return 0;
}

static long get(const char *base, const char *path, struct api_test_reply *r)
{
	char url[API_TEST_URL_MAX];

	snprintf(url, sizeof(url), "%s%s", base, path);
	api_test_http("GET", url, NULL, NULL, 0, r);
	return r->status;
}

/* tree_size of the newest anchor GET /v1/anchors reports. */
static long anchors_tree_size(const char *base)
{
	struct api_test_reply r;
	json_t *j;
	long size;

	assert_int_equal(get(base, "/v1/anchors", &r), 200);
	j = api_test_reply_json(&r);
	size = (long)json_integer_value(json_object_get(json_array_get(json_object_get(j, "anchors"), 0), "tree_size"));
	json_decref(j);
	api_test_reply_free(&r);
	return size;
}

static void post_challenge(const char *base, long want)
{
	char url[API_TEST_URL_MAX];
	struct api_test_reply r;

	snprintf(url, sizeof(url), "%s/v1/challenges", base);
	api_test_http("POST", url, NULL, NULL, 0, &r);
	assert_int_equal(r.status, want);
	api_test_reply_free(&r);
}

/* The real binary: `serve --read-db`: reads from the replica, writes to the primary. */
static void test_read_db_process(void **state)
{
	const char *extra[] = { "--read-db", g_replica, NULL };
	struct api_test_server s;
	long before_p = api_test_db_scalar(g_primary, "SELECT count(*) FROM challenges", NULL);
	long before_r = api_test_db_scalar(g_replica, "SELECT count(*) FROM challenges", NULL);

	(void)state;
	api_test_server_start(g_primary, extra, &s);
	assert_int_equal(anchors_tree_size(s.url), 7); /* GET /v1/anchors: API_ROUTE_READ */
	post_challenge(s.url, 201);                    /* a write */
	assert_int_equal(api_test_db_scalar(g_primary, "SELECT count(*) FROM challenges", NULL), before_p + 1);
	assert_int_equal(api_test_db_scalar(g_replica, "SELECT count(*) FROM challenges", NULL), before_r);
	assert_int_equal(api_test_server_stop(&s, SIGTERM, 30), 0);

	/* Without --read-db everything is the primary. */
	api_test_server_start(g_primary, NULL, &s);
	assert_int_equal(anchors_tree_size(s.url), 3);
	assert_int_equal(api_test_server_stop(&s, SIGTERM, 30), 0);
}

/* In process: the pool a route uses follows its API_ROUTE_READ flag. */
static void test_read_db_in_process(void **state)
{
	struct api_config cfg;
	struct api_server *srv = NULL;
	char base[API_TEST_BASE_MAX];

	(void)state;
	api_config_init(&cfg);
	cfg.dsn = g_primary;
	cfg.read_dsn = g_replica;
	cfg.pool_size = 2;
	cfg.threads = 2;
	assert_int_equal(api_server_start(&cfg, &srv).code, TC_OK);
	snprintf(base, sizeof(base), "http://127.0.0.1:%u", (unsigned)api_server_port(srv));
	assert_int_equal(anchors_tree_size(base), 7);
	api_server_free(&srv);
}

/* R is a 429 with the error shape and an integer Retry-After >= 1 (RFC 9110 §10.2.3 delay-seconds). */
static void check_429(const struct api_test_reply *r)
{
	api_test_expect_error(r, 429, "rate_limited");
	assert_true(r->retry_after[0] != '\0');
	assert_true(strspn(r->retry_after, "0123456789") == strlen(r->retry_after));
	assert_true(strtol(r->retry_after, NULL, 10) >= 1);
}

static void expect_200(const char *base, const char *path)
{
	struct api_test_reply r;

	if (get(base, path, &r) != 200)
		fail_msg("GET %s: %ld %s", path, r.status, r.body ? r.body : "");
	api_test_reply_free(&r);
}

/* The real binary: --rate-limit 2/s --rate-burst 3 from one client (127.0.0.1). */
static void test_rate_limit_process(void **state)
{
	const char *extra[] = { "--rate-limit", "2/s", "--rate-burst", "3", NULL };
	struct api_test_server s;
	struct api_test_reply r;
	int ok = 0;

	(void)state;
	api_test_server_start(g_primary, extra, &s);
	/* The burst: at least 3 requests pass, then (at 2/s refill) a 429 comes well within 20 requests. */
	for (int i = 0; i < 20; i++) {
		get(s.url, i % 2 ? "/openapi.json" : "/v1/cas", &r);
		if (r.status == 429)
			break;
		assert_int_equal(r.status, 200);
		ok++;
		api_test_reply_free(&r);
	}
	assert_int_equal(r.status, 429);
	check_429(&r);
	api_test_reply_free(&r);
	assert_true(ok >= 3);
	/* Exempt: health, readiness and metrics. */
	for (int i = 0; i < 5; i++) {
		expect_200(s.url, "/healthz");
		expect_200(s.url, "/metrics");
	}
	/* /metrics counts the 429s under the route template. */
	assert_int_equal(get(s.url, "/metrics", &r), 200);
	assert_true(
		strstr(r.body, "teecert_http_requests_total{route=\"/openapi.json\",method=\"GET\",status=\"429\"}") ||
		strstr(r.body, "teecert_http_requests_total{route=\"/v1/cas\",method=\"GET\",status=\"429\"}"));
	assert_non_null(strstr(r.body, "teecert_http_request_duration_seconds_count{route=\"/v1/cas\"}"));
	assert_null(strstr(r.body, "route=\"/healthz\",method=\"GET\",status=\"429\""));
	assert_non_null(
		strstr(r.body, "teecert_http_requests_total{route=\"/openapi.json\",method=\"GET\",status=\"200\"}"));
	api_test_reply_free(&r);
	/* After Retry-After the client is served again. */
	sleep(2);
	expect_200(s.url, "/openapi.json");
	assert_int_equal(api_test_server_stop(&s, SIGTERM, 30), 0);
}

static void test_rate_limit_bad_flags(void **state)
{
	const char *bad1[] = { "serve", "--db", g_primary, "--rate-limit", "fast", NULL };
	const char *bad2[] = { "serve", "--db", g_primary, "--rate-limit", "-1/s", NULL };
	const char *bad3[] = { "serve", "--db", g_primary, "--rate-limit", "5/h", NULL };
	char err[1024];

	(void)state;
	assert_int_equal(api_test_run(bad1, NULL, 0, err, sizeof(err)), 1);
	assert_non_null(strstr(err, "--rate-limit"));
	assert_int_equal(api_test_run(bad2, NULL, 0, NULL, 0), 1);
	assert_int_equal(api_test_run(bad3, NULL, 0, NULL, 0), 1);
}

/* In process, 1 request per second, burst 1: the second is refused for about a second, then passes. */
static void test_rate_limit_in_process(void **state)
{
	struct api_config cfg;
	struct api_server *srv = NULL;
	char base[API_TEST_BASE_MAX];
	struct api_test_reply r;

	(void)state;
	api_config_init(&cfg);
	cfg.dsn = g_primary;
	cfg.pool_size = 1;
	cfg.threads = 1;
	cfg.rate_per_s = 1;
	cfg.rate_burst = 1;
	assert_int_equal(api_server_start(&cfg, &srv).code, TC_OK);
	snprintf(base, sizeof(base), "http://127.0.0.1:%u", (unsigned)api_server_port(srv));
	expect_200(base, "/openapi.json");
	assert_int_equal(get(base, "/openapi.json", &r), 429);
	check_429(&r);
	assert_string_equal(r.retry_after, "1");
	api_test_reply_free(&r);
	expect_200(base, "/readyz");
	usleep(1100 * 1000);
	expect_200(base, "/openapi.json");
	api_server_free(&srv);
}

/* ----------------------------------------------------------------------------------------- threading */

#define WAIT_HANDLER_MAX_MS 10000 /* the waiting handler gives up after this, so no test can hang */
#define QUICK_TIMEOUT_MS 1500

static atomic_int g_waiting;  /* 1 while GET /wait's handler runs */
static atomic_int g_released; /* set to let it return */

static struct tc_result wait_handler(struct api_request *req)
{
	atomic_store(&g_waiting, 1);
	for (int i = 0; i < WAIT_HANDLER_MAX_MS && !atomic_load(&g_released); i++)
		usleep(1000);
	atomic_store(&g_waiting, 0);
	return api_reply_data(req, 200, "text/plain", "waited", 6);
}

static struct tc_result quick_handler(struct api_request *req)
{
	return api_reply_data(req, 200, "text/plain", "quick", 5);
}

static const struct api_route wait_routes[] = {
	{ "GET", "/wait", wait_handler, API_BODY_NONE, 0, API_AUTH_PUBLIC, "waits until released", API_ROUTE_UNLIMITED },
	{ "GET", "/quick", quick_handler, API_BODY_NONE, 0, API_AUTH_PUBLIC, "answers at once", API_ROUTE_UNLIMITED },
};

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* GET URL on a connection of its own; the HTTP status, or 0 when it took longer than TIMEOUT_MS. */
static long get_within(const char *url, long timeout_ms)
{
	CURL *c = curl_easy_init();
	long status = 0;

	assert_non_null(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	return status;
}

static void *wait_request(void *url)
{
	return (void *)(intptr_t)get_within(url, WAIT_HANDLER_MAX_MS + 5000);
}

/* With one HTTP thread of each model: is GET /quick answered while GET /wait's handler waits? */
static bool quick_while_waiting(bool thread_per_connection)
{
	struct api_config cfg;
	struct api_server *srv = NULL;
	char wait_url[API_TEST_URL_MAX], quick_url[API_TEST_URL_MAX];
	pthread_t t;
	void *waited = NULL;
	long quick;

	api_config_init(&cfg);
	cfg.dsn = g_primary;
	cfg.pool_size = 1;
	cfg.threads = 1;
	cfg.thread_per_connection = thread_per_connection;
	cfg.routes = wait_routes;
	cfg.n_routes = sizeof(wait_routes) / sizeof(wait_routes[0]);
	assert_int_equal(api_server_start(&cfg, &srv).code, TC_OK);
	snprintf(wait_url, sizeof(wait_url), "http://127.0.0.1:%u/wait", (unsigned)api_server_port(srv));
	snprintf(quick_url, sizeof(quick_url), "http://127.0.0.1:%u/quick", (unsigned)api_server_port(srv));
	atomic_store(&g_released, 0);
	atomic_store(&g_waiting, 0);
	assert_int_equal(pthread_create(&t, NULL, wait_request, wait_url), 0);
	for (int i = 0; i < 5000 && !atomic_load(&g_waiting); i++)
		usleep(1000);
	assert_true(atomic_load(&g_waiting));
	quick = get_within(quick_url, QUICK_TIMEOUT_MS);
	atomic_store(&g_released, 1);
	assert_int_equal(pthread_join(t, &waited), 0);
	assert_int_equal((long)(intptr_t)waited, 200);
	api_server_free(&srv);
	return quick == 200;
}

static void test_thread_per_connection(void **state)
{
	(void)state;
	assert_true(quick_while_waiting(true));
	/* The control: one pool worker owns both connections, so /quick waits behind /wait. */
	assert_false(quick_while_waiting(false));
}

/*
 * A vendor that does not answer until released: its thread accepts, counts and holds every connection;
 * once released it answers each held and each new one 404 (nothing there, no retry) until stopped.
 */
struct vendor {
	int fd;
	unsigned port;
	atomic_int accepted, released, stopped;
	pthread_t thread;
};

static void vendor_404(int c)
{
	static const char reply[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
	char req[4096];
	/* Read what the request sent (closing with unread data would reset the connection), then answer. */
	while (recv(c, req, sizeof(req), MSG_DONTWAIT) > 0)
		;
	if (write(c, reply, sizeof(reply) - 1) < 0)
		(void)0; /* the client may have given up already */
	shutdown(c, SHUT_WR);
	close(c);
}

static void *vendor_run(void *arg)
{
	struct vendor *v = arg;
	int held[64];
	int n = 0;

	while (!atomic_load(&v->stopped)) {
		if (atomic_load(&v->released))
			for (; n > 0; n--)
				vendor_404(held[n - 1]);
		struct pollfd p = { .fd = v->fd, .events = POLLIN };
		if (poll(&p, 1, 20) <= 0)
			continue;
		int c = accept(v->fd, NULL, NULL);
		if (c < 0)
			continue;
		atomic_fetch_add(&v->accepted, 1);
		if (n < 64 && !atomic_load(&v->released))
			held[n++] = c;
		else
			vendor_404(c);
	}
	for (; n > 0; n--)
		close(held[n - 1]);
	close(v->fd);
	return NULL;
}

static void vendor_start(struct vendor *v)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);

	memset(v, 0, sizeof(*v));
	v->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(v->fd >= 0);
	assert_int_equal(bind(v->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(v->fd, 16), 0);
	assert_int_equal(getsockname(v->fd, (struct sockaddr *)&a, &len), 0);
	v->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&v->thread, NULL, vendor_run, v), 0);
}

static void vendor_stop(struct vendor *v)
{
	atomic_store(&v->stopped, 1);
	assert_int_equal(pthread_join(v->thread, NULL), 0);
}

struct appraise_call {
	char url[API_TEST_URL_MAX];
	const char *body;
	long status;
};

static void *appraise_request(void *arg)
{
	struct appraise_call *a = arg;
	const char *const headers[] = { "Content-Type: application/json", NULL };
	struct api_test_reply r;

	api_test_http("POST", a->url, headers, a->body, strlen(a->body), &r);
	a->status = r.status;
	api_test_reply_free(&r);
	return NULL;
}

#define VENDOR_WAITERS_MAX 16

/*
 * The real verifier with EXTRA flags and every vendor URL on a silent vendor: while CALLS requests POST
 * /v1/evidence/appraise of a real TDX quote (nothing in the store: its collateral is fetched) wait for the
 * vendor, is GET /healthz on another connection answered? The appraisals are answered once the vendor
 * answers. 16 waiting requests also block every worker of a pool of 8 (the old default; tried by hand with
 * --threads 8: /healthz then times out), so the default's check fails if the default goes back to a pool.
 * The vendor is static: it outlives a failed assertion's jump.
 */
static bool healthz_while_vendor_waits(const char *body, const char *const *extra, size_t calls)
{
	static struct vendor v;
	char url[64];
	const char *args[24];
	size_t n = 0;
	struct api_test_server s;
	struct appraise_call call[VENDOR_WAITERS_MAX];
	pthread_t t[VENDOR_WAITERS_MAX];
	char healthz[API_TEST_URL_MAX];

	assert_true(calls >= 1 && calls <= VENDOR_WAITERS_MAX);
	vendor_start(&v);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/vendor", v.port);
	const char *const vendor_flags[] = { "--intel-sgx-base", "--intel-tdx-base", "--intel-root-crl",
					     "--amd-kds",        "--nvidia-rim",     "--nvidia-ocsp" };
	for (size_t i = 0; i < sizeof(vendor_flags) / sizeof(vendor_flags[0]); i++) {
		args[n++] = vendor_flags[i];
		args[n++] = url;
	}
	for (; extra != NULL && *extra != NULL; extra++)
		args[n++] = *extra;
	args[n] = NULL;
	api_test_server_start(g_primary, args, &s);
	snprintf(healthz, sizeof(healthz), "%s/healthz", s.url);
	for (size_t i = 0; i < calls; i++) {
		call[i] = (struct appraise_call){ .body = body };
		snprintf(call[i].url, sizeof(call[i].url), "%s/v1/evidence/appraise", s.url);
		assert_int_equal(pthread_create(&t[i], NULL, appraise_request, &call[i]), 0);
		usleep(20 * 1000); /* one at a time, so a pool's idle workers take them one each */
	}
	for (int i = 0; i < 10000 && atomic_load(&v.accepted) == 0; i++)
		usleep(1000);
	assert_true(atomic_load(&v.accepted) > 0); /* the appraisals are waiting for the vendor */
	long quick = get_within(healthz, QUICK_TIMEOUT_MS);
	atomic_store(&v.released, 1);
	for (size_t i = 0; i < calls; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	/* Answered (collateral missing: the appraisal's verdict or error), not dropped. */
	for (size_t i = 0; i < calls; i++)
		if (call[i].status < 200 || call[i].status >= 500)
			fail_msg("appraisal %zu once the vendor answered: HTTP %ld", i, call[i].status);
	assert_int_equal(api_test_server_stop(&s, SIGTERM, 30), 0);
	vendor_stop(&v);
	return quick == 200;
}

static void test_vendor_wait_process(void **state)
{
	(void)state;
	const char *shared = getenv("TEECERT_SHARED");
	char path[1024];
	struct tc_buf quote, b64;

	assert_non_null(shared);
	snprintf(path, sizeof(path), "%s/evidence/tdx/gotdx_v4_spr_e4_quote.dat", shared);
	tc_buf_init(&quote, 64 * 1024);
	tc_buf_init(&b64, 128 * 1024);
	assert_int_equal(tc_file_read(path, 64 * 1024, &quote).code, TC_OK);
	assert_int_equal(tc_base64_encode(quote.data, quote.len, &b64).code, TC_OK);
	json_t *body = json_pack("{s:{s:s, s:s%}}", "evidence", "tee", "tdx", "quote", (const char *)b64.data, b64.len);
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	tc_buf_cleanup(&quote);
	tc_buf_cleanup(&b64);
	assert_non_null(text);

	assert_true(healthz_while_vendor_waits(text, NULL, VENDOR_WAITERS_MAX)); /* default: thread per connection */
	const char *const pool[] = { "--threads", "1", NULL };
	assert_false(healthz_while_vendor_waits(text, pool, 1)); /* the control: one pool worker */
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_db_process),       cmocka_unit_test(test_read_db_in_process),
		cmocka_unit_test(test_rate_limit_process),    cmocka_unit_test(test_rate_limit_bad_flags),
		cmocka_unit_test(test_rate_limit_in_process), cmocka_unit_test(test_thread_per_connection),
		cmocka_unit_test(test_vendor_wait_process),
	};
	return cmocka_run_group_tests_name("api_ops", tests, group_setup, group_teardown);
}
