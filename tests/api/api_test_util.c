/*
 * api_test_util.c — see api_test_util.h. The server under test is the real binary, started as a child
 * process; everything talks to it over TCP with libcurl, as a client would.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <libpq-fe.h>

#include "api_test_util.h"
#include "tc_testsupport.h"

#define LISTEN_WAIT_MS 30000
#define HTTP_TIMEOUT_S 30L
#define STOP_POLL_MS 50
#define RUN_TIMEOUT_MS 60000

void api_test_init(void)
{
	assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
	signal(SIGPIPE, SIG_IGN);
}

const char *api_test_verifier_bin(void)
{
	const char *bin = getenv("TEECERT_VERIFIER_BIN");

	if (!bin || !*bin)
		fail_msg("TEECERT_VERIFIER_BIN is not set (run through ctest)");
	return bin;
}

/* ------------------------------------------------------------------------------------------ database */

void api_test_db_create(char dsn[API_TEST_DSN_MAX])
{
	if (!tc_is_ok(tc_test_db_create("api", dsn, API_TEST_DSN_MAX)))
		fail_msg("cannot create a test database: %s", tc_error_detail());
}

void api_test_db_drop(const char *dsn)
{
	if (!tc_is_ok(tc_test_db_drop(dsn)))
		fail_msg("cannot drop the test database %s: %s", dsn, tc_error_detail());
}

long api_test_db_scalar(const char *dsn, const char *sql, const char *param)
{
	PGconn *pg = PQconnectdb(dsn);
	long v = -1;

	if (PQstatus(pg) != CONNECTION_OK)
		fail_msg("cannot connect to %s: %s", dsn, PQerrorMessage(pg));
	PGresult *res = PQexecParams(pg, sql, param ? 1 : 0, NULL, param ? &param : NULL, NULL, NULL, 0);
	bool ok = PQresultStatus(res) == PGRES_TUPLES_OK;
	char err[512];

	snprintf(err, sizeof(err), "%s", PQerrorMessage(pg));
	if (ok && PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
		v = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	PQfinish(pg);
	if (!ok)
		fail_msg("%s: %s", sql, err);
	return v;
}

/* ------------------------------------------------------------------------------------------ processes */

static void read_file_into(int fd, char *out, size_t out_size)
{
	size_t n = 0;
	ssize_t got;

	if (!out)
		return;
	lseek(fd, 0, SEEK_SET);
	while (n + 1 < out_size && (got = read(fd, out + n, out_size - 1 - n)) > 0)
		n += (size_t)got;
	out[n] = '\0';
}

int api_test_run(const char *const *argv, char *out, size_t out_size, char *err, size_t err_size)
{
	char out_path[] = "/tmp/api_test_outXXXXXX";
	char err_path[] = "/tmp/api_test_errXXXXXX";
	const char *args[32];
	size_t n = 0;
	int status = 0;
	int ofd = mkstemp(out_path);
	int efd = mkstemp(err_path);

	assert_true(ofd >= 0 && efd >= 0);
	unlink(out_path);
	unlink(err_path);
	args[n++] = api_test_verifier_bin();
	for (; argv[n - 1] && n < sizeof(args) / sizeof(args[0]) - 1; n++)
		args[n] = argv[n - 1];
	args[n] = NULL;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(ofd, STDOUT_FILENO);
		dup2(efd, STDERR_FILENO);
		execv(args[0], (char *const *)args);
		_exit(127);
	}
	for (int waited_ms = 0; waitpid(pid, &status, WNOHANG) != pid; waited_ms += STOP_POLL_MS) {
		if (waited_ms >= RUN_TIMEOUT_MS) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			fail_msg("%s %s did not exit within %d ms", args[0], args[1] ? args[1] : "", RUN_TIMEOUT_MS);
		}
		usleep(STOP_POLL_MS * 1000);
	}
	read_file_into(ofd, out, out_size);
	read_file_into(efd, err, err_size);
	close(ofd);
	close(efd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void api_test_server_start(const char *dsn, const char *const *extra, struct api_test_server *s)
{
	const char *args[32] = { api_test_verifier_bin(), "serve", "--listen", "127.0.0.1:0", "--db", dsn,
				 "--log-level",           "warn" };
	size_t n = 8;
	int fds[2];
	char line[512];
	size_t used = 0;

	for (; extra && *extra && n < sizeof(args) / sizeof(args[0]) - 1; extra++)
		args[n++] = *extra;
	args[n] = NULL;
	memset(s, 0, sizeof(*s));
	assert_int_equal(pipe(fds), 0);
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		/* Dies with the test, also when CTest kills it on a timeout (it would hold its port and database). */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execv(args[0], (char *const *)args);
		_exit(127);
	}
	close(fds[1]);
	s->stdout_fd = fds[0];

	/* Read stdout until the listening line (bounded wait; a server that exits closes the pipe). */
	while (!memchr(line, '\n', used)) {
		struct pollfd p = { .fd = s->stdout_fd, .events = POLLIN };

		if (poll(&p, 1, LISTEN_WAIT_MS) <= 0)
			fail_msg("the server printed no listening line within %d ms", LISTEN_WAIT_MS);
		ssize_t got = read(s->stdout_fd, line + used, sizeof(line) - 1 - used);

		if (got <= 0)
			fail_msg("the server exited before listening (see its stderr)");
		used += (size_t)got;
		if (used >= sizeof(line) - 1)
			break;
	}
	line[used] = '\0';
	if (sscanf(line, "listening on http://127.0.0.1:%d", &s->port) != 1 || s->port <= 0 || s->port > 65535)
		fail_msg("unexpected first line from the server: %s", line);
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", s->port);
}

int api_test_server_stop(struct api_test_server *s, int sig, int timeout_s)
{
	int status = 0;
	int waited_ms = 0;

	if (s->pid <= 0)
		return -1;
	if (sig)
		kill(s->pid, sig);
	for (;;) {
		pid_t r = waitpid(s->pid, &status, WNOHANG);

		if (r == s->pid)
			break;
		if (waited_ms >= timeout_s * 1000) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, &status, 0);
			status = -1;
			break;
		}
		usleep(STOP_POLL_MS * 1000);
		waited_ms += STOP_POLL_MS;
	}
	close(s->stdout_fd);
	s->pid = 0;
	if (status == -1)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ----------------------------------------------------------------------------------------------- HTTP */

struct body_sink {
	char *data;
	size_t len;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct body_sink *b = arg;
	size_t n = size * nmemb;

	if (b->len + n > API_TEST_BODY_MAX)
		return 0;
	char *p = realloc(b->data, b->len + n + 1);

	if (!p)
		return 0;
	memcpy(p + b->len, ptr, n);
	b->data = p;
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

/* Copy the value of header line LINE into OUT when its name is NAME. */
static void header_value(const char *line, size_t len, const char *name, char out[API_TEST_HEADER_MAX])
{
	size_t nlen = strlen(name);

	if (len <= nlen + 1 || strncasecmp(line, name, nlen) != 0 || line[nlen] != ':')
		return;
	const char *v = line + nlen + 1;
	size_t vlen = len - nlen - 1;

	while (vlen && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
		vlen--;
	if (vlen >= API_TEST_HEADER_MAX)
		vlen = API_TEST_HEADER_MAX - 1;
	memcpy(out, v, vlen);
	out[vlen] = '\0';
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct api_test_reply *r = arg;
	size_t n = size * nmemb;

	header_value(ptr, n, "X-Request-Id", r->request_id);
	header_value(ptr, n, "Allow", r->allow);
	header_value(ptr, n, "Content-Type", r->content_type);
	header_value(ptr, n, "Connection", r->connection);
	header_value(ptr, n, "Retry-After", r->retry_after);
	return n;
}

void api_test_http(const char *method, const char *url, const char *const *headers, const char *body, size_t body_len,
		   struct api_test_reply *out)
{
	CURL *c = curl_easy_init();
	struct curl_slist *list = NULL;
	struct body_sink sink = { NULL, 0 };

	assert_non_null(c);
	memset(out, 0, sizeof(*out));
	list = curl_slist_append(list, "Expect:");
	for (; headers && *headers; headers++)
		list = curl_slist_append(list, *headers);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, HTTP_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	}
	out->curl_code = (int)curl_easy_perform(c);
	if (out->curl_code == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	out->body = sink.data ? sink.data : strdup("");
	out->body_len = sink.len;
	curl_slist_free_all(list);
	curl_easy_cleanup(c);
}

void api_test_reply_free(struct api_test_reply *r)
{
	free(r->body);
	r->body = NULL;
}

json_t *api_test_reply_json(const struct api_test_reply *r)
{
	json_error_t err;
	json_t *j = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &err);

	if (!j)
		fail_msg("reply is not JSON (%s): %.200s", err.text, r->body);
	return j;
}

void api_test_expect_error(const struct api_test_reply *r, long status, const char *code)
{
	json_t *j;

	assert_int_equal(r->status, status);
	assert_true(strncmp(r->content_type, "application/json", 16) == 0);
	j = api_test_reply_json(r);
	assert_true(json_is_object(j));
	assert_int_equal(json_object_size(j), 4);
	assert_string_equal(json_string_value(json_object_get(j, "code")), code);
	assert_non_null(json_string_value(json_object_get(j, "hint")));
	assert_true(strlen(json_string_value(json_object_get(j, "hint"))) > 0);
	assert_non_null(json_string_value(json_object_get(j, "detail")));
	assert_true(r->request_id[0] != '\0');
	assert_string_equal(json_string_value(json_object_get(j, "request_id")), r->request_id);
	json_decref(j);
}
