/*
 * test_api_shutdown.c — graceful shutdown of the real server: a POST whose body is uploaded slowly is in
 * flight when SIGTERM arrives; new connections are refused from then on, the in-flight request still
 * completes with 201 (told to close its connection), and the process exits 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "api_test_util.h"

#define SLOW_BODY_LEN 300
#define SLOW_CHUNK 10
#define SLOW_CHUNK_DELAY_US 100000 /* 30 chunks: about 3 s of upload */
#define REFUSE_POLL_US 20000
#define REFUSE_WAIT_US 2500000

struct slow_upload {
	char url[API_TEST_URL_MAX];
	char body[SLOW_BODY_LEN];
	size_t sent;
	atomic_bool started;
	atomic_bool finished;
	long status;
	int curl_code;
	struct api_test_reply reply; /* headers only */
	char resp[1024];
	size_t resp_len;
};

static size_t slow_read(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct slow_upload *u = arg;
	size_t n = size * nmemb;

	if (u->sent > 0)
		usleep(SLOW_CHUNK_DELAY_US);
	if (n > SLOW_CHUNK)
		n = SLOW_CHUNK;
	if (n > SLOW_BODY_LEN - u->sent)
		n = SLOW_BODY_LEN - u->sent;
	memcpy(buf, u->body + u->sent, n);
	u->sent += n;
	atomic_store(&u->started, true);
	return n;
}

static size_t slow_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct slow_upload *u = arg;
	size_t n = size * nmemb;
	size_t room = sizeof(u->resp) - 1 - u->resp_len;
	size_t take = n < room ? n : room;

	memcpy(u->resp + u->resp_len, ptr, take);
	u->resp_len += take;
	u->resp[u->resp_len] = '\0';
	return n;
}

static size_t slow_header(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct slow_upload *u = arg;
	size_t n = size * nmemb;

	if (n > 11 && strncasecmp(ptr, "Connection:", 11) == 0)
		snprintf(u->reply.connection, sizeof(u->reply.connection), "%.*s", (int)(n - 11), ptr + 11);
	return n;
}

static void *slow_post(void *arg)
{
	struct slow_upload *u = arg;
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;

	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, u->url);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)SLOW_BODY_LEN);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, slow_read);
	curl_easy_setopt(c, CURLOPT_READDATA, u);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, slow_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, u);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, slow_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, u);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	u->curl_code = (int)curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &u->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	atomic_store(&u->finished, true);
	return NULL;
}

/* True when a TCP connect to PORT is refused. */
static bool connect_refused(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool refused;

	assert_true(fd >= 0);
	assert_int_equal(inet_pton(AF_INET, "127.0.0.1", &a.sin_addr), 1);
	refused = connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 && errno == ECONNREFUSED;
	close(fd);
	return refused;
}

static void test_sigterm_with_request_in_flight(void **state)
{
	const char *migrate[4] = { "migrate", "--db", NULL, NULL };
	static struct slow_upload u;
	char dsn[API_TEST_DSN_MAX];
	struct api_test_server srv;
	pthread_t th;
	bool refused_during_upload = false;

	(void)state;
	api_test_db_create(dsn);
	migrate[2] = dsn;
	assert_int_equal(api_test_run(migrate, NULL, 0, NULL, 0), 0);
	api_test_server_start(dsn, NULL, &srv);
	assert_false(connect_refused(srv.port));

	memset(u.body, ' ', sizeof(u.body));
	u.body[0] = '{';
	u.body[SLOW_BODY_LEN - 1] = '}';
	snprintf(u.url, sizeof(u.url), "%s/v1/challenges", srv.url);
	assert_int_equal(pthread_create(&th, NULL, slow_post, &u), 0);
	while (!atomic_load(&u.started))
		usleep(REFUSE_POLL_US);
	usleep(3 * SLOW_CHUNK_DELAY_US); /* the server has the headers and some of the body */
	assert_false(atomic_load(&u.finished));

	assert_int_equal(kill(srv.pid, SIGTERM), 0);
	for (int waited = 0; waited < REFUSE_WAIT_US; waited += REFUSE_POLL_US) {
		if (connect_refused(srv.port)) {
			refused_during_upload = !atomic_load(&u.finished);
			break;
		}
		usleep(REFUSE_POLL_US);
	}
	assert_true(refused_during_upload);

	pthread_join(th, NULL);
	assert_int_equal(u.curl_code, CURLE_OK);
	assert_int_equal(u.sent, SLOW_BODY_LEN);
	assert_int_equal(u.status, 201);
	assert_non_null(strstr(u.resp, "\"nonce\""));
	assert_non_null(strstr(u.reply.connection, "close"));
	assert_int_equal(api_test_server_stop(&srv, 0, 30), 0);
	assert_true(connect_refused(srv.port));
	api_test_db_drop(dsn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigterm_with_request_in_flight),
	};

	api_test_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
