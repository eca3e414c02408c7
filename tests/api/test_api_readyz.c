/*
 * test_api_readyz.c — /readyz follows the database: on a private throwaway cluster (deploy/pg.sh on a temp
 * folder, not the shared fixture) the real server is ready, turns 503 db_unavailable when PostgreSQL stops
 * (while /healthz stays 200), and ready again after it restarts, without restarting the server.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "api_test_util.h"

#define READY_WAIT_S 60
#define POLL_US 250000

static char g_dir[512];

/* bash deploy/pg.sh CMD g_dir; OUT gets the last line of stdout (the DSN for start). */
static int pg_sh(const char *cmd, char *out, size_t out_size)
{
	const char *src = getenv("TEECERT_SOURCE_DIR");
	char script[512];
	char line[512] = "";
	char command[1280];
	FILE *p;

	assert_non_null(src);
	snprintf(script, sizeof(script), "%s/deploy/pg.sh", src);
	snprintf(command, sizeof(command), "bash '%s' %s '%s'", script, cmd, g_dir);
	p = popen(command, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p))
		if (out)
			snprintf(out, out_size, "%s", line);
	int status = pclose(p);

	if (out)
		out[strcspn(out, "\r\n")] = '\0';
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int setup(void **state)
{
	const char *build = getenv("TEECERT_BUILD_DIR");

	(void)state;
	snprintf(g_dir, sizeof(g_dir), "%s/api-readyz-XXXXXX", build ? build : "/tmp");
	assert_non_null(mkdtemp(g_dir));
	return 0;
}

static int teardown(void **state)
{
	char root[512] = "";
	char path[600];
	char command[1400];
	FILE *f;

	(void)state;
	(void)pg_sh("stop", NULL, 0);
	snprintf(path, sizeof(path), "%s/root", g_dir);
	f = fopen(path, "r");
	if (f) {
		if (fgets(root, sizeof(root), f))
			root[strcspn(root, "\r\n")] = '\0';
		fclose(f);
	}
	if (root[0] && strncmp(root, "/tmp/teecert-pg-", 16) == 0) {
		snprintf(command, sizeof(command), "rm -rf '%s'", root);
		assert_int_equal(system(command), 0);
	}
	snprintf(command, sizeof(command), "rm -rf '%s'", g_dir);
	assert_int_equal(system(command), 0);
	return 0;
}

/* GET /readyz until it answers WANT (bounded); return the last reply (caller frees). */
static void readyz_until(const struct api_test_server *s, long want, struct api_test_reply *r)
{
	char url[API_TEST_URL_MAX];

	snprintf(url, sizeof(url), "%s/readyz", s->url);
	for (int waited = 0;; waited += POLL_US) {
		api_test_http("GET", url, NULL, NULL, 0, r);
		if (r->status == want || waited >= READY_WAIT_S * 1000000)
			return;
		api_test_reply_free(r);
		usleep(POLL_US);
	}
}

static void test_readyz_follows_database(void **state)
{
	char dsn[API_TEST_DSN_MAX];
	const char *migrate[] = { "migrate", "--db", dsn, NULL };
	const char *extra[] = { "--pool", "2", NULL };
	struct api_test_server srv;
	struct api_test_reply r;
	char url[API_TEST_URL_MAX];
	json_t *j;

	(void)state;
	assert_int_equal(pg_sh("start", dsn, sizeof(dsn)), 0);
	assert_true(strncmp(dsn, "postgresql://", 13) == 0);
	assert_int_equal(api_test_run(migrate, NULL, 0, NULL, 0), 0);
	api_test_server_start(dsn, extra, &srv);

	readyz_until(&srv, 200, &r);
	assert_int_equal(r.status, 200);
	j = api_test_reply_json(&r);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "ready");
	json_decref(j);
	api_test_reply_free(&r);

	assert_int_equal(pg_sh("stop", NULL, 0), 0);
	readyz_until(&srv, 503, &r);
	api_test_expect_error(&r, 503, "db_unavailable");
	api_test_reply_free(&r);
	/* Liveness does not depend on the database; endpoints that need it fail with the same code. */
	snprintf(url, sizeof(url), "%s/healthz", srv.url);
	api_test_http("GET", url, NULL, NULL, 0, &r);
	assert_int_equal(r.status, 200);
	api_test_reply_free(&r);
	snprintf(url, sizeof(url), "%s/v1/challenges", srv.url);
	api_test_http("POST", url, NULL, NULL, 0, &r);
	api_test_expect_error(&r, 503, "db_unavailable");
	api_test_reply_free(&r);

	assert_int_equal(pg_sh("start", NULL, 0), 0);
	readyz_until(&srv, 200, &r);
	assert_int_equal(r.status, 200);
	api_test_reply_free(&r);
	api_test_http("POST", url, NULL, NULL, 0, &r);
	assert_int_equal(r.status, 201);
	api_test_reply_free(&r);

	assert_int_equal(api_test_server_stop(&srv, SIGTERM, 30), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_readyz_follows_database, setup, teardown),
	};

	api_test_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
