/*
 * api_collateral_http.c — upstream HTTP of the collateral service (docs/collateral.md "Sources"): libcurl
 * easy handles (one per attempt, so threads never share one), response size limits, the issuer-chain
 * headers of Intel PCS v4 (URL-encoded PEM), per-host token buckets (AMD KDS allows about one request per
 * 10 s), exponential backoff with full jitter between 0.5x and 1.5x, and Retry-After (RFC 9110 §10.2.3:
 * delay-seconds or an HTTP-date).
 */
#include "api_collateral_http.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

static pthread_once_t api_coll_curl_once = PTHREAD_ONCE_INIT;

static void api_coll_curl_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		tc_log(TC_LOG_ERROR, "collateral_curl_init", "curl_global_init failed");
}

TC_RESULT api_coll_http_init(struct api_coll_http *h, const struct api_collateral_config *cfg)
{
	memset(h, 0, sizeof(*h));
	h->cfg = cfg;
	pthread_once(&api_coll_curl_once, api_coll_curl_init);
	pthread_mutex_init(&h->lock, NULL);
	int64_t now = api_coll_http_clock_ms(h);
	for (int i = 0; i < API_COLL_HOST_COUNT; i++) {
		h->bucket[i].tokens = cfg->rate[i].burst > 0 ? cfg->rate[i].burst : 1.0;
		h->bucket[i].last_ms = now;
	}
	return tc_ok();
}

void api_coll_http_cleanup(struct api_coll_http *h)
{
	pthread_mutex_destroy(&h->lock);
}

void api_coll_http_result_init(struct api_coll_http_result *r)
{
	memset(r, 0, sizeof(*r));
	tc_buf_init(&r->body, DB_COLL_RAW_MAX);
	tc_buf_init(&r->chain, DB_COLL_CHAIN_MAX);
}

void api_coll_http_result_cleanup(struct api_coll_http_result *r)
{
	tc_buf_cleanup(&r->body);
	tc_buf_cleanup(&r->chain);
}

int64_t api_coll_http_clock_ms(struct api_coll_http *h)
{
	if (h->cfg->clock_ms != NULL)
		return h->cfg->clock_ms(h->cfg->clock_arg);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void api_coll_http_sleep_ms(struct api_coll_http *h, int64_t ms)
{
	if (ms <= 0)
		return;
	if (h->cfg->sleep_ms != NULL) {
		h->cfg->sleep_ms(h->cfg->clock_arg, ms);
		return;
	}
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) != 0)
		;
}

#define API_COLL_COUNTER(h, field)                                                                                     \
	uint64_t api_coll_http_##field(struct api_coll_http *h)                                                        \
	{                                                                                                              \
		pthread_mutex_lock(&h->lock);                                                                          \
		uint64_t v = h->field;                                                                                 \
		pthread_mutex_unlock(&h->lock);                                                                        \
		return v;                                                                                              \
	}
API_COLL_COUNTER(h, requests)
API_COLL_COUNTER(h, retries)
API_COLL_COUNTER(h, rate_waits)
API_COLL_COUNTER(h, down_skips)

/* ----------------------------------------------------------------------------------- token buckets */

/* Take one token of HOST, waiting (on the service clock) as long as needed within *BUDGET_MS. */
static TC_RESULT api_coll_take_token(struct api_coll_http *h, enum api_coll_host host, int64_t *budget_ms)
{
	const struct api_coll_rate *rate = &h->cfg->rate[host];
	for (;;) {
		pthread_mutex_lock(&h->lock);
		struct api_coll_bucket *b = &h->bucket[host];
		int64_t now = api_coll_http_clock_ms(h);
		double burst = rate->burst > 0 ? rate->burst : 1.0;
		if (rate->per_s > 0 && now > b->last_ms) {
			b->tokens += (double)(now - b->last_ms) * rate->per_s / 1000.0;
			if (b->tokens > burst)
				b->tokens = burst;
		}
		if (now > b->last_ms)
			b->last_ms = now;
		int64_t wait = 0;
		if (now < b->blocked_until_ms)
			wait = b->blocked_until_ms - now;
		else if (rate->per_s <= 0 || b->tokens >= 1.0) {
			if (rate->per_s > 0)
				b->tokens -= 1.0;
			h->requests++;
			pthread_mutex_unlock(&h->lock);
			return tc_ok();
		} else
			wait = (int64_t)((1.0 - b->tokens) * 1000.0 / rate->per_s) + 1; /* round up */
		h->rate_waits++;
		pthread_mutex_unlock(&h->lock);
		TC_ENSURE(wait <= *budget_ms, TC_ERR_RATE_LIMITED,
			  "rate limit of the upstream host: next request allowed in %lld ms, over the wait budget",
			  (long long)wait);
		*budget_ms -= wait;
		api_coll_http_sleep_ms(h, wait);
	}
}

/* ----------------------------------------------------------------------------------------- one attempt */

struct api_coll_attempt {
	struct api_coll_http_result *out;
	const char *chain_header;
	bool chain_seen;
	int64_t retry_after_s; /* -1: none */
	bool too_large;
};

static size_t api_coll_write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct api_coll_attempt *a = arg;
	size_t n = size * nmemb;
	if (!tc_is_ok(tc_buf_append(&a->out->body, ptr, n))) {
		a->too_large = true;
		return 0;
	}
	return n;
}

/* Header lines arrive one by one ("Name: value\r\n"), for every response including interim ones. */
static size_t api_coll_header_cb(char *ptr, size_t size, size_t nitems, void *arg)
{
	struct api_coll_attempt *a = arg;
	size_t n = size * nitems;
	const char *colon = memchr(ptr, ':', n);
	if (colon == NULL)
		return n;
	size_t name_len = (size_t)(colon - ptr);
	const char *v = colon + 1;
	size_t vlen = n - name_len - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t'))
		v++, vlen--;
	while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
		vlen--;
	/* PCS v3 used the SGX-TCB-Info-Issuer-Chain name for the TCB info chain; accept both. */
	bool is_chain = a->chain_header != NULL &&
			((strlen(a->chain_header) == name_len && strncasecmp(ptr, a->chain_header, name_len) == 0) ||
			 (strcasecmp(a->chain_header, "TCB-Info-Issuer-Chain") == 0 && name_len == 25 &&
			  strncasecmp(ptr, "SGX-TCB-Info-Issuer-Chain", 25) == 0));
	if (is_chain && vlen > 0 && vlen < DB_COLL_CHAIN_MAX) {
		int dl = 0;
		char *dec = curl_easy_unescape(NULL, v, (int)vlen, &dl);
		if (dec != NULL) {
			tc_buf_reset(&a->out->chain);
			a->chain_seen = tc_is_ok(tc_buf_append(&a->out->chain, dec, (size_t)dl));
			curl_free(dec);
		}
	} else if (name_len == 11 && strncasecmp(ptr, "Retry-After", 11) == 0 && vlen > 0 && vlen < 64) {
		char buf[64];
		memcpy(buf, v, vlen);
		buf[vlen] = 0;
		if (isdigit((unsigned char)buf[0])) {
			char *end;
			long long s = strtoll(buf, &end, 10);
			if (*end == 0 && s >= 0)
				a->retry_after_s = s;
		} else {
			time_t t = curl_getdate(buf, NULL);
			if (t > 0)
				a->retry_after_s = -2 - (int64_t)t; /* absolute date: resolved against the clock later */
		}
	}
	return n;
}

static TC_RESULT api_coll_attempt(struct api_coll_http *h, const char *url, const struct tc_buf *post_body,
				  struct api_coll_attempt *a, CURLcode *cc)
{
	CURL *curl = curl_easy_init();
	TC_ENSURE(curl != NULL, TC_ERR_NO_MEMORY, "curl_easy_init failed");
	struct curl_slist *hdrs = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	tc_buf_reset(&a->out->body);
	tc_buf_reset(&a->out->chain);
	a->chain_seen = false;
	a->retry_after_s = -1;
	a->too_large = false;
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 3L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)h->cfg->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)h->cfg->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)DB_COLL_RAW_MAX);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, api_coll_write_cb);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, api_coll_header_cb);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, a);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "teecert-collateral/1");
	if (post_body != NULL) {
		hdrs = curl_slist_append(hdrs, "Content-Type: application/ocsp-request");
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, post_body->data);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)post_body->len);
	}
	*cc = curl_easy_perform(curl);
	long status = 0;
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	a->out->status = *cc == CURLE_OK ? status : 0;
	if (status > 0)
		a->out->answered = true; /* a status line came, even if the body then failed */
	struct tc_result r = tc_ok();
	if (*cc != CURLE_OK)
		r = tc_fail(a->too_large ? TC_ERR_TOO_LARGE : TC_ERR_IO, "%s: %s", url,
			    a->too_large ? "response larger than the limit" : (errbuf[0] ? errbuf : curl_easy_strerror(*cc)));
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(curl);
	return r;
}

/* ------------------------------------------------------------------------------------------ retries */

/* Backoff before retry N (1-based): base * 2^(N-1), capped, times a random factor in [0.5, 1.5). */
static int64_t api_coll_backoff_ms(const struct api_collateral_config *cfg, unsigned n)
{
	double d = (double)cfg->backoff_base_ms;
	for (unsigned i = 1; i < n && d < (double)cfg->backoff_max_ms; i++)
		d *= 2.0;
	if (d > (double)cfg->backoff_max_ms)
		d = (double)cfg->backoff_max_ms;
	uint32_t rnd = 0;
	if (!tc_is_ok(tc_random_bytes(&rnd, sizeof(rnd))))
		rnd = UINT32_MAX / 2;
	return (int64_t)(d * (0.5 + (double)rnd / 4294967296.0));
}

/* ---------------------------------------------------------------------------------------- down hosts */

/*
 * The scheme://host:port part of URL (whatever precedes the path, query or fragment), lower-cased and with
 * the scheme's default port written out, so "HTTPS://Host" and "https://host:443" are one host.
 */
static void api_coll_authority(const char *url, char *out, size_t size)
{
	const char *p = strstr(url, "://");
	p = p != NULL ? p + 3 : url;
	size_t n = (size_t)(p - url) + strcspn(p, "/?#");
	snprintf(out, size, "%.*s", (int)n, url);
	for (char *c = out; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	const char *host = strstr(out, "://");
	host = host != NULL ? host + 3 : out;
	const char *colon = strrchr(host, ':'), *bracket = strrchr(host, ']');
	if (colon != NULL && (bracket == NULL || colon > bracket))
		return; /* a port is there */
	size_t len = strlen(out);
	if (strncmp(out, "https://", 8) == 0)
		snprintf(out + len, size - len, ":443");
	else if (strncmp(out, "http://", 7) == 0)
		snprintf(out + len, size - len, ":80");
}

/* The slot of AUTHORITY, or NULL (caller holds the lock). */
static struct api_coll_down *api_coll_down_find(struct api_coll_http *h, const char *authority)
{
	for (size_t i = 0; i < API_COLL_DOWN_HOSTS; i++)
		if (h->down[i].until_ms != 0 && strcmp(h->down[i].authority, authority) == 0)
			return &h->down[i];
	return NULL;
}

/* Fails at once while URL's host is down. */
static TC_RESULT api_coll_host_check(struct api_coll_http *h, const char *url)
{
	char authority[sizeof(h->down[0].authority)];
	api_coll_authority(url, authority, sizeof(authority));
	pthread_mutex_lock(&h->lock);
	int64_t now = api_coll_http_clock_ms(h);
	const struct api_coll_down *d = api_coll_down_find(h, authority);
	if (d == NULL || now >= d->until_ms) {
		pthread_mutex_unlock(&h->lock);
		return tc_ok();
	}
	h->down_skips++;
	struct tc_result r = tc_fail(TC_ERR_IO, "%s: not tried: %s did not answer (%s); next try in %lld ms", url,
				     authority, d->reason, (long long)(d->until_ms - now));
	pthread_mutex_unlock(&h->lock);
	return r;
}

/*
 * After a fetch from URL: R failed with no HTTP answer to any attempt (!ANSWERED) → the host is down for
 * host_down_ms; an answer → it is up again; anything else (a wait budget spent before any attempt) says
 * nothing about the host.
 */
static void api_coll_host_note(struct api_coll_http *h, const char *url, struct tc_result r, bool answered)
{
	char authority[sizeof(h->down[0].authority)];
	api_coll_authority(url, authority, sizeof(authority));
	bool down = !tc_is_ok(r) && r.code == TC_ERR_IO && !answered && h->cfg->host_down_ms > 0;
	if (!down && !answered)
		return;
	pthread_mutex_lock(&h->lock);
	struct api_coll_down *d = api_coll_down_find(h, authority);
	if (!down) {
		if (d != NULL)
			d->until_ms = 0;
		pthread_mutex_unlock(&h->lock);
		return;
	}
	int64_t now = api_coll_http_clock_ms(h);
	for (size_t i = 0; d == NULL && i < API_COLL_DOWN_HOSTS; i++)
		if (h->down[i].until_ms <= now)
			d = &h->down[i];
	if (d == NULL) { /* all taken: the one that ends first */
		d = &h->down[0];
		for (size_t i = 1; i < API_COLL_DOWN_HOSTS; i++)
			if (h->down[i].until_ms < d->until_ms)
				d = &h->down[i];
	}
	snprintf(d->authority, sizeof(d->authority), "%s", authority);
	snprintf(d->reason, sizeof(d->reason), "%s", tc_error_detail());
	d->until_ms = now + h->cfg->host_down_ms;
	pthread_mutex_unlock(&h->lock);
	tc_log(TC_LOG_WARN, "collateral_host_down", "%s did not answer: its fetches fail at once for %u ms (%s)",
	       authority, h->cfg->host_down_ms, tc_error_detail());
}

/* ------------------------------------------------------------------------------------------- fetch */

static TC_RESULT api_coll_http_try(struct api_coll_http *h, enum api_coll_host host, const char *url,
				   const char *chain_header, const struct tc_buf *post_body,
				   struct api_coll_http_result *out)
{
	int64_t budget = h->cfg->max_wait_ms;
	struct api_coll_attempt a = { .out = out, .chain_header = chain_header };
	struct tc_result r = tc_fail(TC_ERR_IO, "%s: no attempt made", url);
	for (unsigned n = 1; n <= h->cfg->max_attempts; n++) {
		TC_GUARD(api_coll_take_token(h, host, &budget));
		out->attempts = n;
		CURLcode cc;
		r = api_coll_attempt(h, url, post_body, &a, &cc);
		bool retry;
		if (!tc_is_ok(r)) {
			retry = r.code == TC_ERR_IO; /* timeouts, resets, partial bodies */
		} else if (out->status == 200) {
			return tc_ok();
		} else if (out->status == 404) {
			return tc_fail(TC_ERR_NOT_FOUND, "%s: 404 Not Found", url);
		} else {
			retry = out->status == 408 || out->status == 429 || out->status >= 500;
			r = tc_fail(out->status == 429 ? TC_ERR_RATE_LIMITED : TC_ERR_IO, "%s: HTTP %ld", url, out->status);
		}
		if (!retry || n == h->cfg->max_attempts)
			break;
		int64_t now = api_coll_http_clock_ms(h);
		int64_t ra_ms = 0;
		if (a.retry_after_s >= 0)
			ra_ms = a.retry_after_s * 1000;
		else if (a.retry_after_s <= -2)
			ra_ms = (-2 - a.retry_after_s) * 1000 - now;
		int64_t delay = api_coll_backoff_ms(h->cfg, n);
		if (ra_ms > delay)
			delay = ra_ms;
		if (ra_ms > 0) {
			/* The whole host is asked to wait, not only this request. */
			pthread_mutex_lock(&h->lock);
			if (h->bucket[host].blocked_until_ms < now + ra_ms)
				h->bucket[host].blocked_until_ms = now + ra_ms;
			pthread_mutex_unlock(&h->lock);
		}
		if (delay > budget) {
			char detail[TC_DETAIL_MAX];
			snprintf(detail, sizeof(detail), "%s", tc_error_detail());
			return tc_fail(r.code, "%s (next retry in %lld ms exceeds the wait budget)", detail, (long long)delay);
		}
		budget -= delay;
		pthread_mutex_lock(&h->lock);
		h->retries++;
		pthread_mutex_unlock(&h->lock);
		tc_log(TC_LOG_INFO, "collateral_retry", "%s: attempt %u failed (%s); retrying in %lld ms", url, n,
		       tc_error_detail(), (long long)delay);
		api_coll_http_sleep_ms(h, delay);
	}
	return r;
}

TC_RESULT api_coll_http_fetch(struct api_coll_http *h, enum api_coll_host host, const char *url,
			      const char *chain_header, const struct tc_buf *post_body,
			      struct api_coll_http_result *out)
{
	TC_ENSURE(h != NULL && url != NULL && out != NULL && (unsigned)host < API_COLL_HOST_COUNT,
		  TC_ERR_INVALID_ARGUMENT, "api_coll_http_fetch: missing argument");
	TC_GUARD(api_coll_host_check(h, url));
	struct tc_result r = api_coll_http_try(h, host, url, chain_header, post_body, out);
	api_coll_host_note(h, url, r, out->answered);
	return r;
}
