/*
 * api_collateral_http.h — private to api_collateral*.c: the upstream HTTP client of the collateral service
 * (libcurl), with per-host token buckets, exponential backoff with jitter and Retry-After.
 */
#ifndef API_COLLATERAL_HTTP_H
#define API_COLLATERAL_HTTP_H

#include <pthread.h>

#include "api.h"

#define API_COLL_URL_MAX 2048
#define API_COLL_OCSP_MAX ((size_t)64 * 1024)

struct api_coll_bucket {
	double tokens;
	int64_t last_ms;
	int64_t blocked_until_ms; /* Retry-After of the host */
};

/* A host (scheme://host:port of a URL) that did not answer: fetches from it fail at once until UNTIL_MS. */
#define API_COLL_DOWN_HOSTS 8
struct api_coll_down {
	char authority[128];
	int64_t until_ms;
	char reason[192];
};

struct api_coll_http {
	const struct api_collateral_config *cfg; /* borrowed from the service */
	pthread_mutex_t lock;
	struct api_coll_bucket bucket[API_COLL_HOST_COUNT];
	struct api_coll_down down[API_COLL_DOWN_HOSTS];
	uint64_t requests, retries, rate_waits, down_skips;
};

struct api_coll_http_result {
	long status;        /* last HTTP status (0: no response) */
	bool answered;      /* some attempt got a status line (the host is up, whatever came after) */
	unsigned attempts;
	struct tc_buf body;
	struct tc_buf chain; /* URL-decoded issuer-chain header, when asked for */
};

TC_RESULT api_coll_http_init(struct api_coll_http *h, const struct api_collateral_config *cfg);
void api_coll_http_cleanup(struct api_coll_http *h);
void api_coll_http_result_init(struct api_coll_http_result *r);
void api_coll_http_result_cleanup(struct api_coll_http_result *r);

/* The service clock (milliseconds) and sleep (advances an injected clock). */
int64_t api_coll_http_clock_ms(struct api_coll_http *h);
void api_coll_http_sleep_ms(struct api_coll_http *h, int64_t ms);

/*
 * GET URL (POST of POST_BODY as application/ocsp-request when non-NULL) from HOST's bucket, retrying
 * network errors, 408, 429 and 5xx with backoff (Retry-After honoured) up to max_attempts. CHAIN_HEADER:
 * the response header holding the issuer chain (NULL: none). Failures: TC_ERR_NOT_FOUND (404),
 * TC_ERR_RATE_LIMITED (429 to the end or the wait budget spent), TC_ERR_IO (anything else; at once, with
 * "not tried" in the detail, while URL's host is down: cfg->host_down_ms).
 */
TC_RESULT api_coll_http_fetch(struct api_coll_http *h, enum api_coll_host host, const char *url,
			      const char *chain_header, const struct tc_buf *post_body,
			      struct api_coll_http_result *out);

uint64_t api_coll_http_requests(struct api_coll_http *h);
uint64_t api_coll_http_retries(struct api_coll_http *h);
uint64_t api_coll_http_rate_waits(struct api_coll_http *h);
uint64_t api_coll_http_down_skips(struct api_coll_http *h);

/* api_collateral.c: a pooled connection of the service for the other api_collateral*.c files. */
TC_RESULT api_collateral_db_conn(struct api_collateral *c, struct db_conn **out);
void api_collateral_db_release(struct api_collateral *c, struct db_conn *conn);
/* api_collateral.c: the item KIND/KEY from the store only (no fetch), *FOUND only while servable. */
TC_RESULT api_collateral_peek(struct api_collateral *c, enum vf_coll_kind kind, const char *key,
			      struct db_collateral_item *out, bool *found);
/* api_collateral.c: vf_collateral_verify with the configured extra anchors of KIND, then the pinned root. */
TC_RESULT api_coll_verify(struct api_collateral *c, enum vf_coll_kind kind, const uint8_t *raw, size_t len,
			  const uint8_t *chain, size_t chain_len, const char *want_key, int64_t now,
			  struct vf_coll_check *chk);
/* The service's configuration (defaults applied). */
const struct api_collateral_config *api_collateral_cfg(const struct api_collateral *c);

/* api_collateral_resolve.c: the resolver's bounded, thread-safe in-process cache (kind/key -> bytes). */
#define API_COLL_CACHE_TTL_MAX_S 60
#define API_COLL_CACHE_MAX_DEFAULT 256
struct api_coll_cache;
TC_RESULT api_coll_cache_new(const struct api_collateral_config *cfg, struct api_coll_cache **out);
void api_coll_cache_free(struct api_coll_cache **cache);
struct api_coll_cache *api_collateral_cache(struct api_collateral *c);

#endif /* API_COLLATERAL_HTTP_H */
