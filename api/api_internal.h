/*
 * api_internal.h — private to api/: the server and request structures shared by the server core, the
 * metrics and the endpoint files, the request-id rules, and the handlers the route table names.
 * Nothing outside api/ (except its unit tests) includes this file.
 */
#ifndef API_INTERNAL_H
#define API_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include <microhttpd.h>

#include "api.h"

/* ----------------------------------------------------------------------------------------- request id */

#define API_REQUEST_ID_MAX 64
#define API_REQUEST_ID_RANDOM_BYTES 16

/* True when ID is 1..64 characters of [A-Za-z0-9._-] (the X-Request-Id we accept from clients). */
bool api_request_id_valid(const char *id);
/* ID when valid, else a fresh id of 16 random bytes in hex, into OUT (API_REQUEST_ID_MAX + 1 bytes). */
TC_RESULT api_request_id_pick(const char *id, char out[API_REQUEST_ID_MAX + 1]);

/* -------------------------------------------------------------------------------------------- metrics */

#define API_METRICS_BUCKETS 14 /* 13 bounds + Inf */
#define API_METRICS_STATUS_SLOTS 24
#define API_METRICS_UNMATCHED "unmatched"

struct api_metrics_status {
	const char *method; /* static string */
	unsigned status;
	unsigned long long count;
};

struct api_metrics_route {
	unsigned long long buckets[API_METRICS_BUCKETS]; /* not cumulative; summed when rendered */
	unsigned long long count;
	double sum_s;
	struct api_metrics_status statuses[API_METRICS_STATUS_SLOTS];
	unsigned long long status_overflow;
};

struct api_metrics {
	pthread_mutex_t lock;
	size_t n_routes;                  /* + 1 slot for unmatched requests */
	struct api_metrics_route *routes; /* n_routes + 1 */
};

TC_RESULT api_metrics_init(struct api_metrics *m, size_t n_routes);
void api_metrics_cleanup(struct api_metrics *m);
/* Count one finished request. ROUTE_INDEX is n_routes for unmatched requests. */
void api_metrics_observe(struct api_metrics *m, size_t route_index, const char *method, unsigned status,
			 double seconds);

/* ----------------------------------------------------------------------------------------- the server */

struct api_server {
	struct api_config cfg;
	char host[API_HOST_MAX];
	struct MHD_Daemon *daemon;
	struct db_pool *pool;
	bool owns_pool;
	uint16_t port;
	struct api_metrics metrics;

	atomic_bool stopping;
	atomic_bool stop_requested;
	pthread_mutex_t inflight_lock;
	pthread_cond_t inflight_cond;
	unsigned inflight;
	bool stopped;
};

#define API_LOG_PATH_MAX 256

enum api_request_state {
	API_REQ_NEW,     /* headers received, not yet routed */
	API_REQ_BODY,    /* receiving the body */
	API_REQ_DISCARD, /* the body passed its limit: reading and dropping the rest, 413 at the end */
	API_REQ_DONE,    /* a reply is queued */
};

struct api_request {
	struct api_server *server;
	struct MHD_Connection *conn;
	struct timespec start;
	enum api_request_state state;
	char id[API_REQUEST_ID_MAX + 1];
	const char *method;
	char path[API_LOG_PATH_MAX]; /* printable copy for the access log */
	struct api_match match;
	bool matched;
	struct tc_buf body;
	size_t discarded;
	json_t *json;
	struct db_conn *db;
	unsigned status;
	bool replied;
	const char *allow; /* Allow header for a 405 reply */
};

/* ----------------------------------------------------------------------------------------- endpoints */

TC_RESULT api_healthz(struct api_request *req);
TC_RESULT api_readyz(struct api_request *req);
TC_RESULT api_metrics_handler(struct api_request *req);
TC_RESULT api_openapi(struct api_request *req);
TC_RESULT api_challenges_post(struct api_request *req);

/* Transparency log endpoints (api_log_*.c) and the query helpers they share (api_log_query.c). */
struct chain_merkle_proof;

struct api_log_query {
	const char *name; /* the parameter's name */
	bool present;     /* set by api_log_query_parse */
	uint64_t value;
};

/* Decimal 0 .. 2^63 - 1 without sign or leading zeros; NAME goes into the 400 detail. */
TC_RESULT api_log_u64(const char *name, const char *s, uint64_t *out);
/* Read the query string into Q (N names); unknown or repeated parameters and bad numbers are 400s. */
TC_RESULT api_log_query_parse(struct api_request *req, struct api_log_query *q, size_t n);
/* Tree size of the latest checkpoint (0 when there is none). */
TC_RESULT api_log_latest_size(struct db_conn *conn, uint64_t *size);
/* A proof as a JSON array of hex hashes (new reference). */
TC_RESULT api_log_proof_json(const struct chain_merkle_proof *p, json_t **out);
TC_RESULT api_log_checkpoint_get(struct api_request *req);
TC_RESULT api_log_entry_get(struct api_request *req);
TC_RESULT api_log_inclusion_get(struct api_request *req);
TC_RESULT api_log_consistency_get(struct api_request *req);

#endif /* API_INTERNAL_H */
