/*
 * api_ratelimit.c — per-client rate limits (`serve --rate-limit N/s --rate-burst B`, docs/admission.md
 * "Operations"): one token bucket per client, refilled at N tokens per second up to B; a request takes one
 * token or is answered 429 with Retry-After (RFC 9110 §10.2.3, whole seconds >= 1) and the error shape
 * (rate_limited). Routes flagged API_ROUTE_UNLIMITED (/healthz, /readyz, /metrics) are exempt.
 *
 * Who a client is: the SHA-256 of its verified TLS client certificate when it presented one (a node behind a
 * NAT or a load balancer keeps its own bucket), else its IP address (IPv4-mapped IPv6 counts as IPv4).
 *
 * Memory is bounded: API_RATELIMIT_SLOTS buckets in one table, whatever the number of clients. A key hashes
 * (keyed with a per-process random seed, so clients cannot aim at one slot) to a window of
 * API_RATELIMIT_PROBE slots; a new client takes an empty slot of its window, else the slot of a client that
 * has been idle long enough for its bucket to be full again (forgetting it changes nothing), else the least
 * recently seen one (then that client starts over with a full bucket: under a flood of distinct addresses
 * the limit degrades towards "off" for the evicted ones, it never blocks or grows). Evictions are counted.
 */
#include <math.h> /* isfinite (a macro: no libm) */
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <time.h>

#include "api_internal.h"

#define KEY_IPV4 1
#define KEY_IPV6 2
#define KEY_CERT 3
#define NS_PER_S 1000000000.0
#define RETRY_AFTER_MAX_S 86400u

struct slot {
	uint8_t key[API_RATELIMIT_KEY_LEN]; /* key[0] == 0: empty */
	double tokens;
	int64_t last_ns; /* when TOKENS was computed */
};

struct api_ratelimit {
	double per_s, burst;
	uint64_t seed;
	pthread_mutex_t lock;
	unsigned long long evictions;
	struct slot slots[API_RATELIMIT_SLOTS];
};

TC_RESULT api_ratelimit_new(double per_s, double burst, struct api_ratelimit **out)
{
	struct api_ratelimit *rl;

	TC_ENSURE(per_s > 0 && isfinite(per_s) && burst >= 1 && isfinite(burst), TC_ERR_INVALID_ARGUMENT,
		  "rate limit: the rate must be > 0 per second and the burst >= 1");
	rl = calloc(1, sizeof(*rl));
	TC_ENSURE(rl, TC_ERR_NO_MEMORY, "rate limit table");
	rl->per_s = per_s;
	rl->burst = burst;
	if (!tc_is_ok(tc_random_bytes(&rl->seed, sizeof(rl->seed)))) {
		free(rl);
		return tc_fail(TC_ERR_INTERNAL, "rate limit: no random seed: %s", tc_error_detail());
	}
	pthread_mutex_init(&rl->lock, NULL);
	*out = rl;
	return tc_ok();
}

void api_ratelimit_free(struct api_ratelimit **p)
{
	struct api_ratelimit *rl = p ? *p : NULL;

	if (!rl)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl);
	*p = NULL;
}

/* FNV-1a over the seed and the key, then a 64-bit finaliser (splitmix64) to spread the low bits. */
static size_t key_hash(const struct api_ratelimit *rl, const uint8_t key[API_RATELIMIT_KEY_LEN])
{
	uint64_t h = 1469598103934665603ULL ^ rl->seed;

	for (size_t i = 0; i < API_RATELIMIT_KEY_LEN; i++) {
		h ^= key[i];
		h *= 1099511628211ULL;
	}
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return (size_t)h & (API_RATELIMIT_SLOTS - 1);
}

/* Tokens of slot S at NOW_NS (refilled since its last update, capped at the burst). */
static double refilled(const struct api_ratelimit *rl, const struct slot *s, int64_t now_ns)
{
	double t = s->tokens;

	if (now_ns > s->last_ns)
		t += (double)(now_ns - s->last_ns) / NS_PER_S * rl->per_s;
	return t > rl->burst ? rl->burst : t;
}

/* The slot of KEY: its own, an empty one, a full (idle) one, or the least recently seen one (evicted). */
static struct slot *slot_for(struct api_ratelimit *rl, const uint8_t key[API_RATELIMIT_KEY_LEN], int64_t now_ns)
{
	size_t h = key_hash(rl, key);
	struct slot *empty = NULL, *idle = NULL, *oldest = NULL;

	for (size_t i = 0; i < API_RATELIMIT_PROBE; i++) {
		struct slot *s = &rl->slots[(h + i) & (API_RATELIMIT_SLOTS - 1)];

		if (s->key[0] == 0) {
			if (!empty)
				empty = s;
			continue;
		}
		if (memcmp(s->key, key, API_RATELIMIT_KEY_LEN) == 0)
			return s;
		if (!idle && refilled(rl, s, now_ns) >= rl->burst)
			idle = s;
		if (!oldest || s->last_ns < oldest->last_ns)
			oldest = s;
	}
	struct slot *s = empty ? empty : idle ? idle : oldest;

	if (!empty)
		rl->evictions++;
	memcpy(s->key, key, API_RATELIMIT_KEY_LEN);
	s->tokens = rl->burst;
	s->last_ns = now_ns;
	return s;
}

bool api_ratelimit_take(struct api_ratelimit *rl, const uint8_t key[API_RATELIMIT_KEY_LEN], int64_t now_ns,
			unsigned *retry_after_s)
{
	bool ok;

	pthread_mutex_lock(&rl->lock);
	struct slot *s = slot_for(rl, key, now_ns);

	s->tokens = refilled(rl, s, now_ns);
	if (now_ns > s->last_ns)
		s->last_ns = now_ns;
	ok = s->tokens >= 1.0;
	if (ok) {
		s->tokens -= 1.0;
	} else {
		double wait = (1.0 - s->tokens) / rl->per_s; /* seconds until one token, rounded up below */
		unsigned secs = wait >= RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : (unsigned)wait;

		if ((double)secs < wait && secs < RETRY_AFTER_MAX_S)
			secs++;
		*retry_after_s = secs < 1 ? 1u : secs;
	}
	pthread_mutex_unlock(&rl->lock);
	return ok;
}

unsigned long long api_ratelimit_evictions(struct api_ratelimit *rl)
{
	unsigned long long n;

	pthread_mutex_lock(&rl->lock);
	n = rl->evictions;
	pthread_mutex_unlock(&rl->lock);
	return n;
}

/* The client of REQ: verified client certificate, else the peer address. False when neither is known. */
static bool request_key(const struct api_request *req, uint8_t key[API_RATELIMIT_KEY_LEN])
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	memset(key, 0, API_RATELIMIT_KEY_LEN);
	if (api_request_client_fp(req, key + 1)) {
		key[0] = KEY_CERT;
		return true;
	}
	ci = MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	sa = ci ? ci->client_addr : NULL;
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;

		key[0] = KEY_IPV4;
		memcpy(key + 1, &in->sin_addr, 4);
		return true;
	}
	if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			key[0] = KEY_IPV4;
			memcpy(key + 1, &in6->sin6_addr.s6_addr[12], 4);
		} else {
			key[0] = KEY_IPV6;
			memcpy(key + 1, &in6->sin6_addr, 16);
		}
		return true;
	}
	return false;
}

TC_RESULT api_ratelimit_check(struct api_request *req)
{
	struct api_ratelimit *rl = req->server->ratelimit;
	uint8_t key[API_RATELIMIT_KEY_LEN];
	struct timespec now;
	unsigned retry = 0;

	if (!rl || !req->matched || (req->match.route->flags & API_ROUTE_UNLIMITED))
		return tc_ok();
	if (!request_key(req, key))
		return tc_ok(); /* no address (a UNIX socket): nothing to key on */
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (api_ratelimit_take(rl, key, (int64_t)now.tv_sec * 1000000000 + now.tv_nsec, &retry))
		return tc_ok();
	req->retry_after_s = retry;
	return tc_fail(TC_ERR_RATE_LIMITED,
		       "more than %g requests per second (burst %g) from this client; retry in %u s", rl->per_s,
		       rl->burst, retry);
}
