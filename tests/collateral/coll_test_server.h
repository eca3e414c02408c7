/*
 * coll_test_server.h — a small vendor-collateral HTTP server on 127.0.0.1 (libmicrohttpd, own threads) for
 * the collateral tests: serves recorded vendor responses from ../shared/evidence with the headers the
 * vendors send, counts hits per path, and injects failures (status codes, Retry-After, delays, truncated and
 * tampered bodies).
 */
#ifndef COLL_TEST_SERVER_H
#define COLL_TEST_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COLL_SRV_MAX_HITS 64

struct coll_srv;

/* Start on an ephemeral port. CLOCK (may be NULL) stamps each hit (the tests' injected clock, ms). */
struct coll_srv *coll_srv_start(int64_t (*clock_ms)(void *), void *clock_arg);
void coll_srv_stop(struct coll_srv *s);
/* "http://127.0.0.1:PORT" */
const char *coll_srv_base(const struct coll_srv *s);

/* Serve the file BODY_FILE (under $TEECERT_SHARED/evidence) at PATH (no query string), with header
 * HEADER_NAME: URL-encoded contents of HEADER_FILE when both are given. Replaces an existing route. */
void coll_srv_route(struct coll_srv *s, const char *path, const char *body_file, const char *header_name,
		    const char *header_file);

/* Answer POSTs to PATH with FN: it gets the request body and returns a malloc'ed response body (*OUT,
 * *OUT_LEN) and true, or false for a 404. Called on the server's threads (FN locks what it shares). Hits and
 * faults apply as for files. Used for a test OCSP responder (the request names the certificate). */
typedef bool (*coll_srv_post_fn)(void *arg, const uint8_t *body, size_t len, uint8_t **out, size_t *out_len);
void coll_srv_post_handler(struct coll_srv *s, const char *path, coll_srv_post_fn fn, void *arg);

/* Failure injection for PATH: the next FAIL_TIMES requests answer STATUS (with Retry-After: RETRY_AFTER
 * seconds when >= 0); every request waits DELAY_MS (real time) first; TRUNCATE serves half the body;
 * TAMPER flips one byte in the middle of the body. */
struct coll_srv_fault {
	int status;
	int fail_times; /* -1: always */
	int retry_after;
	int delay_ms;
	bool truncate;
	bool tamper;
};
void coll_srv_fault(struct coll_srv *s, const char *path, const struct coll_srv_fault *f);
void coll_srv_clear_fault(struct coll_srv *s, const char *path);

/* Requests PATH received so far, and the clock value of hit I. */
int coll_srv_hits(struct coll_srv *s, const char *path);
int64_t coll_srv_hit_time(struct coll_srv *s, const char *path, int i);
void coll_srv_reset_hits(struct coll_srv *s);

/* Read a file under $TEECERT_SHARED/evidence into a new buffer (NUL-terminated); NULL on failure. */
uint8_t *coll_test_read(const char *rel, size_t *len);

#endif /* COLL_TEST_SERVER_H */
