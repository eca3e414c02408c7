/*
 * api_collateral.c — the vendor collateral service: cache semantics, single flight, refresher
 * (docs/collateral.md). The HTTP side (libcurl, rate limits, backoff) is api_collateral_http.c; offline
 * import/export is api_collateral_dir.c.
 *
 * Serving rule: an immutable item (VCEK per chip+TCB, AMD chains, RIM per id) is served once verified; an
 * expiring item (TCB info, QE identity, CRLs, OCSP) is served while now < nextUpdate and NEVER after. A
 * refresh that fails keeps the cached bytes (stale-if-error, bounded by the item's own nextUpdate), logs a
 * line and counts it. Every fetched item goes through vf_collateral_verify before db_collateral_put, so a
 * bad upstream cannot poison the cache; an item older than the cached one (rollback) is refused.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/sha.h>

#include "api.h"
#include "api_collateral_http.h"

#define API_COLL_FLIGHT_KEY_MAX (DB_COLL_VENDOR_MAX + DB_COLL_KIND_MAX + DB_COLL_KEY_MAX + 4)

/* One upstream fetch in progress: followers wait on the service's condvar until DONE. */
struct api_coll_flight {
	struct api_coll_flight *next;
	char id[API_COLL_FLIGHT_KEY_MAX];
	bool done;
	unsigned waiters;
	struct tc_result result;
	char detail[TC_DETAIL_MAX];
};

struct api_collateral {
	struct api_collateral_config cfg;
	struct db_pool *pool;
	bool own_pool;
	struct api_coll_http http;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct api_coll_flight *flights;
	struct api_collateral_stats stats;
	struct api_coll_cache *cache; /* api_collateral_resolve's in-process cache (api_collateral_resolve.c) */
	/* refresher */
	pthread_t thread;
	bool thread_running, stop;
	pthread_cond_t stop_cond;
};

#define API_COLL_STAT(c, field)                                                                                        \
	do {                                                                                                           \
		pthread_mutex_lock(&(c)->lock);                                                                        \
		(c)->stats.field++;                                                                                    \
		pthread_mutex_unlock(&(c)->lock);                                                                      \
	} while (0)

void api_collateral_config_init(struct api_collateral_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->intel_sgx_base = API_COLL_INTEL_SGX_BASE;
	cfg->intel_tdx_base = API_COLL_INTEL_TDX_BASE;
	cfg->intel_root_crl_url = API_COLL_INTEL_ROOT_CRL_URL;
	cfg->intel_update = "standard";
	cfg->amd_kds_base = API_COLL_AMD_KDS_BASE;
	cfg->nvidia_rim_base = API_COLL_NVIDIA_RIM_BASE;
	cfg->nvidia_ocsp_url = API_COLL_NVIDIA_OCSP_URL;
	cfg->rate[API_COLL_HOST_INTEL] = (struct api_coll_rate){ 5.0, 5.0 };
	cfg->rate[API_COLL_HOST_AMD] = (struct api_coll_rate){ 0.1, 1.0 }; /* KDS: about one request per 10 s */
	cfg->rate[API_COLL_HOST_NVIDIA] = (struct api_coll_rate){ 5.0, 5.0 };
	cfg->timeout_ms = 15000;
	cfg->max_attempts = 4;
	cfg->backoff_base_ms = 1000;
	cfg->backoff_max_ms = 60000;
	cfg->max_wait_ms = 300000;
	cfg->host_down_ms = 30000;
	cfg->refresh_lead_s = 2 * 86400;
	cfg->refresh_interval_s = 300;
	cfg->db_acquire_ms = API_DEFAULT_DB_ACQUIRE_MS;
	cfg->cache_ttl_s = API_COLL_CACHE_TTL_MAX_S;
	cfg->cache_max = API_COLL_CACHE_MAX_DEFAULT;
	cfg->miss_ttl_s = 30;
}

struct api_coll_cache *api_collateral_cache(struct api_collateral *c)
{
	return c->cache;
}

const struct api_collateral_config *api_collateral_cfg(const struct api_collateral *c)
{
	return &c->cfg;
}

int64_t api_collateral_now(struct api_collateral *c)
{
	return api_coll_http_clock_ms(&c->http) / 1000;
}

TC_RESULT api_collateral_new(const struct api_collateral_config *cfg, struct api_collateral **out)
{
	TC_ENSURE(cfg != NULL && out != NULL && (cfg->pool != NULL || cfg->dsn != NULL), TC_ERR_INVALID_ARGUMENT,
		  "collateral service: a database pool or DSN is required");
	TC_ENSURE(cfg->intel_update == NULL || strcmp(cfg->intel_update, "standard") == 0 ||
			  strcmp(cfg->intel_update, "early") == 0,
		  TC_ERR_INVALID_ARGUMENT, "intel update must be standard or early");
	TC_ENSURE(cfg->snp_product == NULL || strcmp(cfg->snp_product, "Milan") == 0 ||
			  strcmp(cfg->snp_product, "Genoa") == 0 || strcmp(cfg->snp_product, "Turin") == 0,
		  TC_ERR_INVALID_ARGUMENT, "snp product must be Milan, Genoa or Turin");
	struct api_collateral *c = calloc(1, sizeof(*c));
	TC_ENSURE(c != NULL, TC_ERR_NO_MEMORY, "out of memory");
	c->cfg = *cfg;
	if (c->cfg.max_attempts == 0)
		c->cfg.max_attempts = 1;
	struct tc_result r = tc_ok();
	if (cfg->pool != NULL) {
		c->pool = cfg->pool;
	} else {
		TC_GUARD_GOTO(r, db_pool_new(cfg->dsn, 4, &c->pool), fail);
		c->own_pool = true;
	}
	if (c->cfg.cache_ttl_s == 0 || c->cfg.cache_ttl_s > API_COLL_CACHE_TTL_MAX_S)
		c->cfg.cache_ttl_s = API_COLL_CACHE_TTL_MAX_S;
	if (c->cfg.cache_max == 0)
		c->cfg.cache_max = API_COLL_CACHE_MAX_DEFAULT;
	TC_GUARD_GOTO(r, api_coll_cache_new(&c->cfg, &c->cache), fail);
	r = api_coll_http_init(&c->http, &c->cfg);
	if (!tc_is_ok(r)) {
		api_coll_cache_free(&c->cache);
		goto fail;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	pthread_cond_init(&c->stop_cond, NULL);
	*out = c;
	return tc_ok();
fail:
	if (c->own_pool)
		db_pool_free(&c->pool);
	free(c);
	return r;
}

void api_collateral_free(struct api_collateral **cp)
{
	if (cp == NULL || *cp == NULL)
		return;
	struct api_collateral *c = *cp;
	api_collateral_refresher_stop(c);
	api_coll_http_cleanup(&c->http);
	api_coll_cache_free(&c->cache);
	if (c->own_pool)
		db_pool_free(&c->pool);
	pthread_cond_destroy(&c->stop_cond);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
	*cp = NULL;
}

void api_collateral_stats(struct api_collateral *c, struct api_collateral_stats *out)
{
	pthread_mutex_lock(&c->lock);
	*out = c->stats;
	out->upstream_requests = api_coll_http_requests(&c->http);
	out->retries = api_coll_http_retries(&c->http);
	out->rate_limit_waits = api_coll_http_rate_waits(&c->http);
	out->host_down_skips = api_coll_http_down_skips(&c->http);
	pthread_mutex_unlock(&c->lock);
}

/* ------------------------------------------------------------------------------------- database access */

struct api_coll_db_op {
	enum { OP_GET, OP_PUT, OP_FAIL, OP_LOG } op;
	const char *vendor, *kind, *key;
	bool with_raw;
	struct db_collateral_item *item;
	bool *found;
	const char *error;
	int64_t at;
	const struct db_collateral_log *log;
};

static TC_RESULT api_coll_db(struct api_collateral *c, struct api_coll_db_op *op)
{
	struct db_conn *conn;
	TC_GUARD(db_pool_acquire(c->pool, c->cfg.db_acquire_ms, &conn));
	struct tc_result r;
	switch (op->op) {
	case OP_GET:
		r = db_collateral_get(conn, op->vendor, op->kind, op->key, op->with_raw, op->item, op->found);
		break;
	case OP_PUT:
		r = db_collateral_put(conn, op->item);
		break;
	case OP_FAIL:
		r = db_collateral_fail(conn, op->vendor, op->kind, op->key, op->error, op->at);
		break;
	default:
		r = db_collateral_log_insert(conn, op->log);
		break;
	}
	db_pool_release(c->pool, conn);
	return r;
}

TC_RESULT api_collateral_db_conn(struct api_collateral *c, struct db_conn **out)
{
	return db_pool_acquire(c->pool, c->cfg.db_acquire_ms, out);
}

void api_collateral_db_release(struct api_collateral *c, struct db_conn *conn)
{
	if (conn != NULL)
		db_pool_release(c->pool, conn);
}

static TC_RESULT api_coll_lookup(struct api_collateral *c, enum vf_coll_kind kind, const char *key, bool with_raw,
				 struct db_collateral_item *out, bool *found)
{
	struct api_coll_db_op op = { .op = OP_GET, .vendor = vf_coll_kind_vendor(kind), .kind = vf_coll_kind_name(kind),
				     .key = key, .with_raw = with_raw, .item = out, .found = found };
	return api_coll_db(c, &op);
}

/* Record a fetch in the log (best effort: a failing log write is logged, not returned). */
static void api_coll_log(struct api_collateral *c, enum vf_coll_kind kind, const char *key, const char *url,
			 const char *outcome, const struct api_coll_http_result *hr, int64_t started_ms, const char *error)
{
	struct db_collateral_log e;
	memset(&e, 0, sizeof(e));
	e.at = api_collateral_now(c);
	snprintf(e.vendor, sizeof(e.vendor), "%s", vf_coll_kind_vendor(kind));
	snprintf(e.kind, sizeof(e.kind), "%s", vf_coll_kind_name(kind));
	snprintf(e.key, sizeof(e.key), "%s", key);
	snprintf(e.url, sizeof(e.url), "%s", url);
	snprintf(e.outcome, sizeof(e.outcome), "%s", outcome);
	e.http_status = hr != NULL ? (int)hr->status : 0;
	e.attempts = hr != NULL ? (int)hr->attempts : 0;
	e.duration_ms = api_coll_http_clock_ms(&c->http) - started_ms;
	snprintf(e.error, sizeof(e.error), "%s", error != NULL ? error : "");
	struct api_coll_db_op op = { .op = OP_LOG, .log = &e };
	struct tc_result r = api_coll_db(c, &op);
	if (!tc_is_ok(r))
		tc_log(TC_LOG_WARN, "collateral_log_failed", "%s", tc_error_detail());
}

static void api_coll_record_failure(struct api_collateral *c, enum vf_coll_kind kind, const char *key,
				    const char *error)
{
	struct api_coll_db_op op = { .op = OP_FAIL, .vendor = vf_coll_kind_vendor(kind), .kind = vf_coll_kind_name(kind),
				     .key = key, .error = error, .at = api_collateral_now(c) };
	struct tc_result r = api_coll_db(c, &op);
	if (!tc_is_ok(r))
		tc_log(TC_LOG_WARN, "collateral_fail_record_failed", "%s", tc_error_detail());
}

/* ------------------------------------------------------------------------------ verify, then store */

/* The vf_input anchor role that signs KIND's items (NULL: none, OCSP carries its issuer). */
static const char *api_coll_anchor_role(enum vf_coll_kind kind)
{
	switch (kind) {
	case VF_COLL_TCB_INFO:
	case VF_COLL_QE_IDENTITY:
	case VF_COLL_PCK_CRL:
	case VF_COLL_ROOT_CA_CRL:
		return "intel_root";
	case VF_COLL_VCEK:
	case VF_COLL_ARK_ASK_CHAIN:
	case VF_COLL_ASVK_CHAIN:
	case VF_COLL_AMD_CRL:
		return "amd_ark";
	case VF_COLL_RIM:
		return "nvidia_rim_root";
	default:
		return NULL;
	}
}

/*
 * vf_collateral_verify with the configured extra anchors of KIND's role first (e.g. a simulated root of an
 * untrusted network), then the pinned vendor root. Without extra anchors only the pinned root is tried, so
 * collateral signed by a simulated root is refused. The first failure of a configured anchor is reported
 * (else the pinned root's).
 */
TC_RESULT api_coll_verify(struct api_collateral *c, enum vf_coll_kind kind, const uint8_t *raw, size_t len,
			  const uint8_t *chain, size_t chain_len, const char *want_key, int64_t now,
			  struct vf_coll_check *chk)
{
	const char *role = api_coll_anchor_role(kind);
	struct tc_result first = tc_ok();
	char detail[TC_DETAIL_MAX] = "";

	for (size_t i = 0; role != NULL && i < c->cfg.n_anchors; i++) {
		const struct vf_item *a = &c->cfg.anchors[i];
		if (a->role == NULL || strcmp(a->role, role) != 0)
			continue;
		struct tc_result r =
			vf_collateral_verify(kind, raw, len, chain, chain_len, a->data, a->len, want_key, now, chk);
		if (tc_is_ok(r))
			return r;
		if (tc_is_ok(first)) {
			first = r;
			snprintf(detail, sizeof(detail), "%s", tc_error_detail());
		}
	}
	struct tc_result r = vf_collateral_verify(kind, raw, len, chain, chain_len, NULL, 0, want_key, now, chk);
	if (tc_is_ok(r) || tc_is_ok(first))
		return r;
	return tc_fail(first.code, "%s", detail);
}

/* AMD product lines whose cached cert_chain a VCEK given without its chain may belong to. */
static const char *const api_coll_products[] = { "Milan", "Genoa", "Turin", "Siena" };

/* A VCEK without its chain (offline import): verified with the cached ark_ask_chain items only. */
static TC_RESULT api_coll_verify_vcek_cached(struct api_collateral *c, const uint8_t *raw, size_t len,
					     const char *want_key, int64_t now, struct vf_coll_check *chk)
{
	struct tc_result r = tc_fail(TC_ERR_COLLATERAL_MISSING, "vcek: no cached ark_ask_chain to verify it with");
	for (size_t i = 0; i < sizeof(api_coll_products) / sizeof(api_coll_products[0]); i++) {
		struct db_collateral_item ask;
		db_collateral_item_init(&ask);
		bool found = false;
		struct tc_result lr = api_coll_lookup(c, VF_COLL_ARK_ASK_CHAIN, api_coll_products[i], true, &ask, &found);
		if (tc_is_ok(lr) && found) {
			r = api_coll_verify(c, VF_COLL_VCEK, raw, len, ask.raw.data, ask.raw.len, want_key, now, chk);
		}
		db_collateral_item_cleanup(&ask);
		if (tc_is_ok(r) || !tc_is_ok(lr))
			return tc_is_ok(lr) ? r : lr;
	}
	return r;
}

/*
 * Verify RAW (as fetched) for KIND/WANT_KEY at the service's now and store it. The cache is untouched
 * unless every check passed. KEY_OUT (may be NULL) gets the stored key; OUTCOME the log outcome.
 */
static TC_RESULT api_coll_store(struct api_collateral *c, enum vf_coll_kind kind, const uint8_t *raw, size_t len,
				const uint8_t *chain, size_t chain_len, const char *source, const char *want_key,
				char *key_out, const char **outcome)
{
	struct db_collateral_item it, old;
	struct tc_result r;
	struct vf_coll_check chk;
	bool found = false;
	int64_t now = api_collateral_now(c);

	db_collateral_item_init(&it);
	db_collateral_item_init(&old);
	*outcome = "verify_failed";
	TC_GUARD_GOTO(r, vf_collateral_normalize(kind, raw, len, &it.raw), out);
	if (kind == VF_COLL_VCEK && (chain == NULL || chain_len == 0))
		r = api_coll_verify_vcek_cached(c, it.raw.data, it.raw.len, want_key, now, &chk);
	else
		r = api_coll_verify(c, kind, it.raw.data, it.raw.len, chain, chain_len, want_key, now, &chk);
	if (!tc_is_ok(r))
		goto out;
	/* Keep the issuer chain with the items that need it to be re-verified (Intel headers, OCSP). The VCEK's
	 * chain is its product's ark_ask_chain item. */
	if (chain != NULL && chain_len > 0 && kind != VF_COLL_VCEK)
		TC_GUARD_GOTO(r, tc_buf_append(&it.issuer_chain, chain, chain_len), out);
	snprintf(it.vendor, sizeof(it.vendor), "%s", vf_coll_kind_vendor(kind));
	snprintf(it.kind, sizeof(it.kind), "%s", vf_coll_kind_name(kind));
	snprintf(it.key, sizeof(it.key), "%s", chk.key);
	snprintf(it.source_url, sizeof(it.source_url), "%s", source);
	SHA256(it.raw.data, it.raw.len, it.sha256);
	it.fetched_at = it.verified_at = now;
	it.has_window = chk.has_window && !vf_coll_kind_immutable(kind);
	it.not_before = chk.not_before;
	it.next_update = chk.next_update;

	/* Rollback: never replace a cached item by one issued before it. */
	TC_GUARD_GOTO(r, api_coll_lookup(c, kind, it.key, false, &old, &found), out);
	if (found && old.has_window && it.has_window && it.not_before < old.not_before) {
		*outcome = "rejected_rollback";
		API_COLL_STAT(c, rollbacks_refused);
		r = tc_fail(TC_ERR_COLLATERAL_EXPIRED, "%s/%s: upstream item issued before the cached one (rollback refused)",
			    it.kind, it.key);
		goto out;
	}
	*outcome = found && memcmp(old.sha256, it.sha256, sizeof(it.sha256)) == 0 ? "unchanged" : "stored";
	struct api_coll_db_op op = { .op = OP_PUT, .item = &it };
	TC_GUARD_GOTO(r, api_coll_db(c, &op), out);
	if (strcmp(*outcome, "stored") == 0)
		API_COLL_STAT(c, stored);
	else
		API_COLL_STAT(c, unchanged);
	if (key_out != NULL)
		snprintf(key_out, VF_COLL_KEY_MAX, "%.*s", VF_COLL_KEY_MAX - 1, it.key);
out:
	if (!tc_is_ok(r) && strcmp(*outcome, "verify_failed") == 0)
		API_COLL_STAT(c, verify_failed);
	db_collateral_item_cleanup(&old);
	db_collateral_item_cleanup(&it);
	return r;
}

TC_RESULT api_collateral_put(struct api_collateral *c, enum vf_coll_kind kind, const uint8_t *raw, size_t len,
			     const uint8_t *chain, size_t chain_len, const char *source, const char *want_key,
			     char *key_out)
{
	TC_ENSURE(c != NULL && raw != NULL && source != NULL, TC_ERR_INVALID_ARGUMENT, "api_collateral_put: missing argument");
	const char *outcome;
	int64_t started = api_coll_http_clock_ms(&c->http);
	char key[VF_COLL_KEY_MAX] = "";
	struct tc_result r = api_coll_store(c, kind, raw, len, chain, chain_len, source, want_key, key, &outcome);
	api_coll_log(c, kind, key[0] ? key : (want_key ? want_key : "?"), source, outcome, NULL, started,
		     tc_is_ok(r) ? NULL : tc_error_detail());
	if (tc_is_ok(r) && key_out != NULL)
		snprintf(key_out, VF_COLL_KEY_MAX, "%s", key);
	return r;
}

/* ---------------------------------------------------------------------------------------- fetching */

/* Keys go into URLs: only characters that need no escaping, and no "..". */
static TC_RESULT api_coll_key_check(const char *key)
{
	size_t n = key != NULL ? strlen(key) : 0;
	TC_ENSURE(n > 0 && n < DB_COLL_KEY_MAX, TC_ERR_INVALID_ARGUMENT, "collateral key missing or too long");
	for (size_t i = 0; i < n; i++) {
		char ch = key[i];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
			  ch == '-' || ch == '.' || ch == '/';
		TC_ENSURE(ok, TC_ERR_INVALID_ARGUMENT, "collateral key '%s': character '%c' not allowed", key, ch);
	}
	TC_ENSURE(strstr(key, "..") == NULL, TC_ERR_INVALID_ARGUMENT, "collateral key '%s': '..' not allowed", key);
	return tc_ok();
}

/* AMD VCEK key "Product/hwid/bl.tee.snp.ucode[.fmc]" -> KDS URL (KDS spec #57230 §4.1). */
static TC_RESULT api_coll_vcek_url(const struct api_collateral_config *cfg, const char *key, char *url, size_t size,
				   char *product, size_t psize)
{
	char buf[DB_COLL_KEY_MAX];
	snprintf(buf, sizeof(buf), "%s", key);
	char *s1 = strchr(buf, '/');
	char *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
	TC_ENSURE(s1 != NULL && s2 != NULL, TC_ERR_INVALID_ARGUMENT,
		  "vcek key '%s' is not Product/chip-id-hex/bl.tee.snp.ucode[.fmc]", key);
	*s1 = *s2 = 0;
	unsigned v[5] = { 0 };
	int n = 0;
	char *p = s2 + 1;
	while (n < 5 && *p) {
		char *end;
		unsigned long x = strtoul(p, &end, 10);
		TC_ENSURE(end != p && x <= 255 && (*end == '.' || *end == 0), TC_ERR_INVALID_ARGUMENT,
			  "vcek key '%s': bad TCB component", key);
		v[n++] = (unsigned)x;
		p = *end == '.' ? end + 1 : end;
	}
	TC_ENSURE((n == 4 || n == 5) && *p == 0, TC_ERR_INVALID_ARGUMENT, "vcek key '%s': 4 or 5 TCB components", key);
	int pn = snprintf(product, psize, "%s", buf);
	TC_ENSURE(pn > 0 && (size_t)pn < psize, TC_ERR_INVALID_ARGUMENT, "vcek key '%s': product name too long", key);
	int w;
	if (n == 5)
		w = snprintf(url, size, "%s/vcek/v1/%s/%s?blSPL=%u&teeSPL=%u&snpSPL=%u&ucodeSPL=%u&fmcSPL=%u",
			     cfg->amd_kds_base, buf, s1 + 1, v[0], v[1], v[2], v[3], v[4]);
	else
		w = snprintf(url, size, "%s/vcek/v1/%s/%s?blSPL=%u&teeSPL=%u&snpSPL=%u&ucodeSPL=%u", cfg->amd_kds_base,
			     buf, s1 + 1, v[0], v[1], v[2], v[3]);
	TC_ENSURE(w > 0 && (size_t)w < size, TC_ERR_INVALID_ARGUMENT, "URL too long");
	return tc_ok();
}

/* The upstream request of KIND/KEY: URL, host (rate bucket) and the issuer-chain header Intel sends. */
static TC_RESULT api_coll_request(const struct api_collateral_config *cfg, enum vf_coll_kind kind, const char *key,
				  char *url, size_t size, enum api_coll_host *host, const char **chain_header,
				  char *product, size_t psize)
{
	const char *upd = cfg->intel_update ? cfg->intel_update : "standard";
	int w = 0;
	*chain_header = NULL;
	product[0] = 0;
	switch (kind) {
	case VF_COLL_TCB_INFO: /* PCS v4 "Get TDX TCB Info" */
		*host = API_COLL_HOST_INTEL;
		*chain_header = "TCB-Info-Issuer-Chain";
		w = snprintf(url, size, "%s/tcb?fmspc=%s&update=%s", cfg->intel_tdx_base, key, upd);
		break;
	case VF_COLL_QE_IDENTITY: /* PCS v4 "Get TDX QE Identity" */
		TC_ENSURE(strcasecmp(key, "td_qe") == 0, TC_ERR_INVALID_ARGUMENT, "qe_identity key must be td_qe");
		*host = API_COLL_HOST_INTEL;
		*chain_header = "SGX-Enclave-Identity-Issuer-Chain";
		w = snprintf(url, size, "%s/qe/identity?update=%s", cfg->intel_tdx_base, upd);
		break;
	case VF_COLL_PCK_CRL: /* PCS v4 "Get PCK Cert CRL" */
		TC_ENSURE(strcmp(key, "platform") == 0 || strcmp(key, "processor") == 0, TC_ERR_INVALID_ARGUMENT,
			  "pck_crl key must be platform or processor");
		*host = API_COLL_HOST_INTEL;
		*chain_header = "SGX-PCK-CRL-Issuer-Chain";
		w = snprintf(url, size, "%s/pckcrl?ca=%s&encoding=der", cfg->intel_sgx_base, key);
		break;
	case VF_COLL_ROOT_CA_CRL:
		TC_ENSURE(strcmp(key, "root") == 0, TC_ERR_INVALID_ARGUMENT, "root_ca_crl key must be root");
		*host = API_COLL_HOST_INTEL;
		w = snprintf(url, size, "%s", cfg->intel_root_crl_url);
		break;
	case VF_COLL_VCEK:
		*host = API_COLL_HOST_AMD;
		return api_coll_vcek_url(cfg, key, url, size, product, psize);
	case VF_COLL_ARK_ASK_CHAIN:
	case VF_COLL_ASVK_CHAIN:
	case VF_COLL_AMD_CRL:
		TC_ENSURE(strchr(key, '/') == NULL, TC_ERR_INVALID_ARGUMENT, "%s key is a product line (Milan, Genoa, Turin)",
			  vf_coll_kind_name(kind));
		*host = API_COLL_HOST_AMD;
		w = snprintf(url, size, "%s/%s/v1/%s/%s", cfg->amd_kds_base, kind == VF_COLL_ASVK_CHAIN ? "vlek" : "vcek",
			     key, kind == VF_COLL_AMD_CRL ? "crl" : "cert_chain");
		break;
	case VF_COLL_RIM:
		TC_ENSURE(strchr(key, '/') == NULL, TC_ERR_INVALID_ARGUMENT, "rim key is a RIM id");
		*host = API_COLL_HOST_NVIDIA;
		w = snprintf(url, size, "%s/%s", cfg->nvidia_rim_base, key);
		break;
	default:
		return tc_fail(TC_ERR_UNSUPPORTED, "%s items are fetched with api_collateral_fetch_ocsp",
			       vf_coll_kind_name(kind));
	}
	TC_ENSURE(w > 0 && (size_t)w < size, TC_ERR_INVALID_ARGUMENT, "URL too long");
	return tc_ok();
}

/* Fetch + verify + store KIND/KEY (the single-flight leader runs this). CHAIN_IN: OCSP certificate chain. */
static TC_RESULT api_coll_fetch_now(struct api_collateral *c, enum vf_coll_kind kind, const char *key,
				    const uint8_t *chain_in, size_t chain_in_len)
{
	char url[API_COLL_URL_MAX], product[32];
	enum api_coll_host host = API_COLL_HOST_NVIDIA;
	const char *chain_header = NULL;
	struct api_coll_http_result hr;
	struct db_collateral_item ask;
	struct tc_buf req;
	struct tc_result r;
	const char *outcome = "network_error";
	int64_t started = api_coll_http_clock_ms(&c->http);

	api_coll_http_result_init(&hr);
	db_collateral_item_init(&ask);
	tc_buf_init(&req, API_COLL_OCSP_MAX);
	url[0] = 0;
	if (c->cfg.offline) {
		/* Cache only: nothing leaves the process (no log row either, nothing was fetched). */
		r = tc_fail(TC_ERR_COLLATERAL_MISSING, "%s/%s: not in the store and the service is offline (cache only)",
			    vf_coll_kind_name(kind), key);
		goto done;
	}
	if (kind == VF_COLL_OCSP) {
		char serial[VF_COLL_KEY_MAX];
		TC_GUARD_GOTO(r, vf_collateral_ocsp_request(chain_in, chain_in_len, &req, serial), out);
		snprintf(url, sizeof(url), "%s", c->cfg.nvidia_ocsp_url);
	} else {
		TC_GUARD_GOTO(r, api_coll_request(&c->cfg, kind, key, url, sizeof(url), &host, &chain_header, product,
						  sizeof(product)),
			      out);
	}
	/* A VCEK is verified with its product's ASK/ARK chain: get that first (cached or fetched). */
	if (kind == VF_COLL_VCEK) {
		TC_GUARD_GOTO(r, api_collateral_get(c, VF_COLL_ARK_ASK_CHAIN, product, &ask), out);
		chain_in = ask.raw.data;
		chain_in_len = ask.raw.len;
	}
	r = api_coll_http_fetch(&c->http, host, url, chain_header, req.len > 0 ? &req : NULL, &hr);
	if (!tc_is_ok(r)) {
		outcome = hr.status > 0 ? "http_error" : "network_error";
		API_COLL_STAT(c, http_failures);
		goto out;
	}
	const uint8_t *chain = chain_header != NULL ? hr.chain.data : chain_in;
	size_t chain_len = chain_header != NULL ? hr.chain.len : chain_in_len;
	r = api_coll_store(c, kind, hr.body.data, hr.body.len, chain, chain_len, url, key, NULL, &outcome);
out:
	if (!tc_is_ok(r)) {
		char detail[TC_DETAIL_MAX];
		snprintf(detail, sizeof(detail), "%s", tc_error_detail());
		api_coll_record_failure(c, kind, key, detail);
		tc_log(TC_LOG_WARN, "collateral_fetch_failed", "%s/%s/%s from %s: %s (%s)", vf_coll_kind_vendor(kind),
		       vf_coll_kind_name(kind), key, url, tc_error_info(r.code)->code, detail);
		api_coll_log(c, kind, key, url[0] ? url : "-", outcome, &hr, started, detail);
		r = tc_fail(r.code, "%s", detail); /* the log writes above may have replaced the detail */
	} else {
		api_coll_log(c, kind, key, url, outcome, &hr, started, NULL);
	}
done:
	tc_buf_cleanup(&req);
	db_collateral_item_cleanup(&ask);
	api_coll_http_result_cleanup(&hr);
	return r;
}

/* ----------------------------------------------------------------------------------- single flight */

static bool api_coll_servable(const struct db_collateral_item *it, int64_t now)
{
	return !it->has_window || now < it->next_update;
}

/*
 * Fetch KIND/KEY once however many threads ask at the same time. Without FORCE a thread that becomes the
 * leader first re-reads the cache: a fetch that finished while it was on its way is not repeated.
 */
static TC_RESULT api_coll_single_flight(struct api_collateral *c, enum vf_coll_kind kind, const char *key, bool force,
					const uint8_t *chain, size_t chain_len)
{
	char id[API_COLL_FLIGHT_KEY_MAX];
	snprintf(id, sizeof(id), "%s/%s/%s", vf_coll_kind_vendor(kind), vf_coll_kind_name(kind), key);

	pthread_mutex_lock(&c->lock);
	struct api_coll_flight *f = c->flights;
	while (f != NULL && strcmp(f->id, id) != 0)
		f = f->next;
	if (f != NULL) {
		/* Follower: wait for the leader's outcome. */
		f->waiters++;
		c->stats.single_flight_waits++;
		while (!f->done)
			pthread_cond_wait(&c->cond, &c->lock);
		struct tc_result r = f->result;
		char detail[TC_DETAIL_MAX];
		snprintf(detail, sizeof(detail), "%s", f->detail);
		/* The leader unlinked F when it finished; the last follower out frees it. */
		if (--f->waiters == 0)
			free(f);
		pthread_mutex_unlock(&c->lock);
		if (!tc_is_ok(r))
			return tc_fail(r.code, "%s", detail);
		return tc_ok();
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL) {
		pthread_mutex_unlock(&c->lock);
		return tc_fail(TC_ERR_NO_MEMORY, "out of memory");
	}
	snprintf(f->id, sizeof(f->id), "%s", id);
	f->next = c->flights;
	c->flights = f;
	pthread_mutex_unlock(&c->lock);

	/* Leader. */
	struct tc_result r = tc_ok();
	bool fresh = false;
	if (!force) {
		struct db_collateral_item it;
		db_collateral_item_init(&it);
		bool found = false;
		r = api_coll_lookup(c, kind, key, false, &it, &found);
		fresh = tc_is_ok(r) && found && api_coll_servable(&it, api_collateral_now(c)) && it.failures == 0;
		db_collateral_item_cleanup(&it);
	}
	if (tc_is_ok(r) && !fresh)
		r = api_coll_fetch_now(c, kind, key, chain, chain_len);

	pthread_mutex_lock(&c->lock);
	f->result = r;
	snprintf(f->detail, sizeof(f->detail), "%s", tc_is_ok(r) ? "" : tc_error_detail());
	f->done = true;
	/* Unlink now so later requests start a new flight; followers still hold F until they leave. */
	struct api_coll_flight **pp = &c->flights;
	while (*pp != f)
		pp = &(*pp)->next;
	*pp = f->next;
	f->next = NULL;
	bool free_now = f->waiters == 0;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	if (free_now)
		free(f);
	return r;
}

/* ------------------------------------------------------------------------------------------ public */

TC_RESULT api_collateral_fetch(struct api_collateral *c, enum vf_coll_kind kind, const char *key,
			       struct db_collateral_item *out)
{
	TC_ENSURE(c != NULL, TC_ERR_INVALID_ARGUMENT, "api_collateral_fetch: missing argument");
	TC_GUARD(api_coll_key_check(key));
	TC_GUARD(api_coll_single_flight(c, kind, key, true, NULL, 0));
	if (out == NULL)
		return tc_ok();
	bool found = false;
	TC_GUARD(api_coll_lookup(c, kind, key, true, out, &found));
	TC_ENSURE(found, TC_ERR_INTERNAL, "%s/%s vanished after it was stored", vf_coll_kind_name(kind), key);
	return tc_ok();
}

TC_RESULT api_collateral_fetch_ocsp(struct api_collateral *c, const uint8_t *chain_pem, size_t len,
				    struct db_collateral_item *out)
{
	TC_ENSURE(c != NULL && chain_pem != NULL, TC_ERR_INVALID_ARGUMENT, "api_collateral_fetch_ocsp: missing argument");
	/* The key is the certificate's serial; the cache check does not apply (OCSP answers change). */
	struct tc_buf req;
	char key[VF_COLL_KEY_MAX];
	tc_buf_init(&req, API_COLL_OCSP_MAX);
	struct tc_result r = vf_collateral_ocsp_request(chain_pem, len, &req, key); /* validates the chain early */
	tc_buf_cleanup(&req);
	TC_GUARD(r);
	TC_GUARD(api_coll_single_flight(c, VF_COLL_OCSP, key, true, chain_pem, len));
	if (out == NULL)
		return tc_ok();
	bool found = false;
	TC_GUARD(api_coll_lookup(c, VF_COLL_OCSP, key, true, out, &found));
	TC_ENSURE(found, TC_ERR_INTERNAL, "ocsp/%s vanished after it was stored", key);
	return tc_ok();
}

TC_RESULT api_collateral_get(struct api_collateral *c, enum vf_coll_kind kind, const char *key,
			     struct db_collateral_item *out)
{
	TC_ENSURE(c != NULL && out != NULL, TC_ERR_INVALID_ARGUMENT, "api_collateral_get: missing argument");
	TC_GUARD(api_coll_key_check(key));
	API_COLL_STAT(c, gets);
	bool found = false;
	TC_GUARD(api_coll_lookup(c, kind, key, true, out, &found));
	int64_t now = api_collateral_now(c);
	if (found && api_coll_servable(out, now)) {
		API_COLL_STAT(c, cache_hits);
		if (out->has_window && out->failures > 0) {
			/* Stale-if-error: refreshes fail, the item is still inside its own window. */
			API_COLL_STAT(c, stale_served);
			char nu[TC_TIME_RFC3339_LEN] = "?";
			(void)tc_is_ok(tc_time_format(out->next_update, nu));
			tc_log(TC_LOG_WARN, "collateral_stale_served",
			       "%s/%s/%s: serving cached item until its nextUpdate %s; %d refresh failure(s), last: %s",
			       out->vendor, out->kind, out->key, nu, out->failures, out->last_error);
		}
		return tc_ok();
	}
	TC_ENSURE(kind != VF_COLL_OCSP, TC_ERR_COLLATERAL_MISSING,
		  "ocsp/%s: not cached or expired; fetch it with the certificate chain", key);
	bool was_cached = found;
	int64_t old_next = found ? out->next_update : 0;
	struct tc_result r = api_coll_single_flight(c, kind, key, false, NULL, 0);
	if (!tc_is_ok(r)) {
		if (!was_cached)
			return r;
		API_COLL_STAT(c, expired_refused);
		char nu[TC_TIME_RFC3339_LEN] = "?";
		(void)tc_is_ok(tc_time_format(old_next, nu));
		char detail[TC_DETAIL_MAX];
		snprintf(detail, sizeof(detail), "%s", tc_error_detail());
		tc_log(TC_LOG_ERROR, "collateral_expired_refused", "%s/%s: cached item expired at %s and refresh failed: %s",
		       vf_coll_kind_name(kind), key, nu, detail);
		return tc_fail(TC_ERR_COLLATERAL_EXPIRED, "%s/%s: cached item expired at %s (nextUpdate) and refresh failed: %s",
			       vf_coll_kind_name(kind), key, nu, detail);
	}
	found = false;
	TC_GUARD(api_coll_lookup(c, kind, key, true, out, &found));
	TC_ENSURE(found && api_coll_servable(out, api_collateral_now(c)), TC_ERR_COLLATERAL_EXPIRED,
		  "%s/%s: no servable item after the fetch", vf_coll_kind_name(kind), key);
	return tc_ok();
}

TC_RESULT api_collateral_peek(struct api_collateral *c, enum vf_coll_kind kind, const char *key,
			      struct db_collateral_item *out, bool *found)
{
	TC_GUARD(api_coll_key_check(key));
	TC_GUARD(api_coll_lookup(c, kind, key, true, out, found));
	if (*found && !api_coll_servable(out, api_collateral_now(c)))
		*found = false;
	return tc_ok();
}

/* ----------------------------------------------------------------------------------------- refresher */

TC_RESULT api_collateral_refresh_due(struct api_collateral *c, size_t *refreshed, size_t *failed)
{
	TC_ENSURE(c != NULL, TC_ERR_INVALID_ARGUMENT, "api_collateral_refresh_due: missing argument");
	struct db_collateral_item *items = NULL;
	size_t n = 0, ok = 0, bad = 0;
	struct db_conn *conn;
	TC_GUARD(db_pool_acquire(c->pool, c->cfg.db_acquire_ms, &conn));
	struct tc_result r = db_collateral_list(conn, &items, &n);
	db_pool_release(c->pool, conn);
	TC_GUARD(r);
	int64_t now = api_collateral_now(c);
	for (size_t i = 0; i < n; i++) {
		struct db_collateral_item *it = &items[i];
		enum vf_coll_kind kind;
		if (!it->has_window || now < it->next_update - c->cfg.refresh_lead_s ||
		    !tc_is_ok(vf_coll_kind_parse(it->kind, &kind)))
			continue;
		struct tc_result fr;
		if (kind == VF_COLL_OCSP) {
			struct db_collateral_item full;
			db_collateral_item_init(&full);
			bool found = false;
			fr = api_coll_lookup(c, kind, it->key, true, &full, &found);
			if (tc_is_ok(fr) && found)
				fr = api_coll_single_flight(c, kind, it->key, true, full.issuer_chain.data, full.issuer_chain.len);
			db_collateral_item_cleanup(&full);
		} else {
			fr = api_coll_single_flight(c, kind, it->key, true, NULL, 0);
		}
		if (tc_is_ok(fr)) {
			ok++;
		} else {
			bad++;
			char nu[TC_TIME_RFC3339_LEN] = "?";
			(void)tc_is_ok(tc_time_format(it->next_update, nu));
			tc_log(TC_LOG_WARN, "collateral_refresh_failed",
			       "%s/%s/%s: refresh failed (%s); the cached item is served until %s, never after",
			       it->vendor, it->kind, it->key, tc_error_detail(), nu);
		}
	}
	for (size_t i = 0; i < n; i++)
		db_collateral_item_cleanup(&items[i]);
	free(items);
	if (refreshed != NULL)
		*refreshed = ok;
	if (failed != NULL)
		*failed = bad;
	return tc_ok();
}

static void *api_coll_refresher(void *arg)
{
	struct api_collateral *c = arg;
	pthread_mutex_lock(&c->lock);
	while (!c->stop) {
		pthread_mutex_unlock(&c->lock);
		size_t ok = 0, bad = 0;
		struct tc_result r = api_collateral_refresh_due(c, &ok, &bad);
		if (!tc_is_ok(r))
			tc_log(TC_LOG_WARN, "collateral_refresher", "pass failed: %s", tc_error_detail());
		else if (ok + bad > 0)
			tc_log(TC_LOG_INFO, "collateral_refresher", "refreshed %zu, failed %zu", ok, bad);
		pthread_mutex_lock(&c->lock);
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += c->cfg.refresh_interval_s > 0 ? c->cfg.refresh_interval_s : 300;
		while (!c->stop && pthread_cond_timedwait(&c->stop_cond, &c->lock, &until) == 0)
			;
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

TC_RESULT api_collateral_refresher_start(struct api_collateral *c)
{
	TC_ENSURE(c != NULL && !c->thread_running, TC_ERR_INVALID_ARGUMENT, "refresher already running");
	c->stop = false;
	TC_ENSURE(pthread_create(&c->thread, NULL, api_coll_refresher, c) == 0, TC_ERR_INTERNAL,
		  "cannot start the collateral refresher thread");
	c->thread_running = true;
	return tc_ok();
}

void api_collateral_refresher_stop(struct api_collateral *c)
{
	if (c == NULL || !c->thread_running)
		return;
	pthread_mutex_lock(&c->lock);
	c->stop = true;
	pthread_cond_broadcast(&c->stop_cond);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	c->thread_running = false;
}
