/*
 * api_test_util.h — helpers of the API tests: a fresh database in the test cluster, the real
 * teecert-verifier process (spawned, its `listening on` line read), and HTTP over libcurl.
 */
#ifndef API_TEST_UTIL_H
#define API_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#define API_TEST_DSN_MAX 512 /* TC_TEST_DSN_MAX of tests/support */
#define API_TEST_URL_MAX 256
#define API_TEST_BASE_MAX 64 /* http://127.0.0.1:PORT */
#define API_TEST_HEADER_MAX 256
#define API_TEST_BODY_MAX ((size_t)4 * 1024 * 1024)

/* Call once from main before any thread starts (libcurl global init). */
void api_test_init(void);

/* Path of the teecert-verifier binary ($TEECERT_VERIFIER_BIN). */
const char *api_test_verifier_bin(void);

/* Create a fresh, empty database in the shared test cluster; DSN gets its URI. Fails the test on error. */
void api_test_db_create(char dsn[API_TEST_DSN_MAX]);
/* Drop a database made by api_test_db_create (its sessions are ended first). */
void api_test_db_drop(const char *dsn);
/* Run one SQL statement with up to one text parameter on DSN; return the first column of the first row
 * as a long (or -1 when there is no row). Fails the test on a query error. */
long api_test_db_scalar(const char *dsn, const char *sql, const char *param);

/* Run the verifier binary with ARGV (NULL-terminated, without the program); wait; return its exit status
 * (-1 when it did not exit normally). Its stdout/stderr go into OUT/ERR (each may be NULL). */
int api_test_run(const char *const *argv, char *out, size_t out_size, char *err, size_t err_size);

struct api_test_server {
	pid_t pid;
	int port;
	char url[API_TEST_BASE_MAX]; /* http://127.0.0.1:PORT */
	int stdout_fd;
};

/* Start `teecert-verifier serve --listen 127.0.0.1:0 --db DSN EXTRA...` and wait for its listening line. */
void api_test_server_start(const char *dsn, const char *const *extra, struct api_test_server *s);
/* Send SIGNAL (0: none) and wait up to TIMEOUT_S for the exit; return the exit status (-1: killed). */
int api_test_server_stop(struct api_test_server *s, int signal, int timeout_s);

struct api_test_reply {
	long status;   /* 0 when the request failed at the transport level */
	int curl_code; /* CURLcode */
	char *body;    /* NUL-terminated */
	size_t body_len;
	char request_id[API_TEST_HEADER_MAX];
	char allow[API_TEST_HEADER_MAX];
	char content_type[API_TEST_HEADER_MAX];
	char connection[API_TEST_HEADER_MAX];
	char retry_after[API_TEST_HEADER_MAX];
};

/*
 * One HTTP request on a fresh connection. HEADERS is a NULL-terminated list of "Name: value" lines (may be
 * NULL). BODY of BODY_LEN bytes is sent when non-NULL (with BODY_LEN 0: an empty body).
 */
void api_test_http(const char *method, const char *url, const char *const *headers, const char *body, size_t body_len,
		   struct api_test_reply *out);
void api_test_reply_free(struct api_test_reply *r);
/* The reply body parsed as JSON (new reference); fails the test when it is not JSON. */
json_t *api_test_reply_json(const struct api_test_reply *r);
/* Check the error shape: STATUS, CODE, hint and detail strings, request_id equal to the header. */
void api_test_expect_error(const struct api_test_reply *r, long status, const char *code);

#endif /* API_TEST_UTIL_H */
