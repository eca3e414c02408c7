/*
 * api_collateral_resolve.c — the collateral of one appraisal from the collateral service
 * (docs/collateral.md "Resolving an appraisal's collateral"): vf_collateral_needs says which items the
 * evidence needs; each comes from a bounded in-process cache, else from api_collateral_get (PostgreSQL,
 * fetched upstream when missing or expired); the bytes are copied into the caller's hold and appended to
 * the input under the appraiser's roles (issuer chains as their own roles).
 *
 * The cache exists because api_collateral_get reads PostgreSQL per call, too slow for issuance at hundreds
 * per second. It never serves what the store would not: an entry lives at most cache_ttl_s (<= 60 s) and
 * never past the item's own nextUpdate (checked on every hit with the service clock), and only bytes whose
 * SHA-256 equals the digest stored with the verified item enter it. A miss (the service could not supply
 * the item) is remembered for miss_ttl_s so a burst of requests does not retry the upstream per request.
 * Bounded: at most cache_max entries, the least recently used one is evicted. One mutex guards it.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "api_collateral_http.h"

struct api_coll_centry {
	bool used;
	bool miss; /* negative entry: the service could not supply the item */
	enum vf_coll_kind kind;
	char key[VF_COLL_KEY_MAX];
	struct tc_buf raw, chain;
	int64_t expires; /* service clock, seconds: min(loaded + ttl, nextUpdate) */
	uint64_t tick;   /* last use, for LRU eviction */
};

struct api_coll_cache {
	pthread_mutex_t lock;
	struct api_coll_centry *e;
	size_t max;
	unsigned ttl_s, miss_ttl_s;
	uint64_t tick;
};

TC_RESULT api_coll_cache_new(const struct api_collateral_config *cfg, struct api_coll_cache **out)
{
	struct api_coll_cache *c = calloc(1, sizeof(*c));
	TC_ENSURE(c != NULL, TC_ERR_NO_MEMORY, "out of memory");
	c->max = cfg->cache_max > 0 ? cfg->cache_max : API_COLL_CACHE_MAX_DEFAULT;
	c->ttl_s = cfg->cache_ttl_s > 0 && cfg->cache_ttl_s <= API_COLL_CACHE_TTL_MAX_S ? cfg->cache_ttl_s :
											  API_COLL_CACHE_TTL_MAX_S;
	c->miss_ttl_s = cfg->miss_ttl_s <= API_COLL_CACHE_TTL_MAX_S ? cfg->miss_ttl_s : API_COLL_CACHE_TTL_MAX_S;
	c->e = calloc(c->max, sizeof(*c->e));
	if (c->e == NULL) {
		free(c);
		return tc_fail(TC_ERR_NO_MEMORY, "out of memory");
	}
	pthread_mutex_init(&c->lock, NULL);
	*out = c;
	return tc_ok();
}

static void api_coll_centry_drop(struct api_coll_centry *e)
{
	if (e->used) {
		tc_buf_cleanup(&e->raw);
		tc_buf_cleanup(&e->chain);
	}
	memset(e, 0, sizeof(*e));
}

void api_coll_cache_free(struct api_coll_cache **cp)
{
	if (cp == NULL || *cp == NULL)
		return;
	struct api_coll_cache *c = *cp;
	for (size_t i = 0; i < c->max; i++)
		api_coll_centry_drop(&c->e[i]);
	free(c->e);
	pthread_mutex_destroy(&c->lock);
	free(c);
	*cp = NULL;
}

void api_collateral_cache_clear(struct api_collateral *svc)
{
	struct api_coll_cache *c = svc != NULL ? api_collateral_cache(svc) : NULL;
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->max; i++)
		api_coll_centry_drop(&c->e[i]);
	pthread_mutex_unlock(&c->lock);
}

/* A copy of BYTES kept until HOLD is cleaned up; NULL data for empty input. */
static TC_RESULT api_coll_hold_copy(struct api_coll_hold *hold, const struct tc_buf *bytes, const struct tc_buf **out)
{
	TC_ENSURE(hold->n < sizeof(hold->bufs) / sizeof(hold->bufs[0]), TC_ERR_TOO_LARGE,
		  "more than %zu collateral buffers in one appraisal", sizeof(hold->bufs) / sizeof(hold->bufs[0]));
	struct tc_buf *b = &hold->bufs[hold->n];
	tc_buf_init(b, bytes->len > 0 ? bytes->len : 1);
	hold->n++;
	TC_GUARD(tc_buf_append(b, bytes->data, bytes->len));
	*out = b;
	return tc_ok();
}

enum api_coll_look { API_COLL_LOOK_NONE, API_COLL_LOOK_HIT, API_COLL_LOOK_MISS };

/* Look KIND/KEY up at NOW; on a hit RAW/CHAIN get copies in HOLD. */
static TC_RESULT api_coll_cache_get(struct api_coll_cache *c, enum vf_coll_kind kind, const char *key, int64_t now,
				    struct api_coll_hold *hold, const struct tc_buf **raw, const struct tc_buf **chain,
				    enum api_coll_look *look)
{
	struct tc_result r = tc_ok();
	*look = API_COLL_LOOK_NONE;
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->max; i++) {
		struct api_coll_centry *e = &c->e[i];
		if (!e->used || e->kind != kind || strcmp(e->key, key) != 0)
			continue;
		if (now >= e->expires) {
			api_coll_centry_drop(e); /* past its TTL or the item's nextUpdate: never served */
			break;
		}
		e->tick = ++c->tick;
		if (e->miss) {
			*look = API_COLL_LOOK_MISS;
			break;
		}
		r = api_coll_hold_copy(hold, &e->raw, raw);
		if (tc_is_ok(r))
			r = api_coll_hold_copy(hold, &e->chain, chain);
		if (tc_is_ok(r))
			*look = API_COLL_LOOK_HIT;
		break;
	}
	pthread_mutex_unlock(&c->lock);
	return r;
}

/* Remember IT (NULL: a miss) for KIND/KEY from NOW. A failure to cache is not an error: nothing is kept. */
static void api_coll_cache_put(struct api_coll_cache *c, enum vf_coll_kind kind, const char *key, int64_t now,
			       const struct db_collateral_item *it)
{
	if (it == NULL && c->miss_ttl_s == 0)
		return;
	pthread_mutex_lock(&c->lock);
	/* The entry of KIND/KEY, else a free one, else the least recently used one; a miss never evicts a
	 * cached item (only another miss). */
	struct api_coll_centry *same = NULL, *free_slot = NULL, *lru = NULL, *lru_miss = NULL;
	for (size_t i = 0; i < c->max && same == NULL; i++) {
		struct api_coll_centry *e = &c->e[i];
		if (e->used && e->kind == kind && strcmp(e->key, key) == 0)
			same = e;
		else if (!e->used && free_slot == NULL)
			free_slot = e;
		else if (e->used && (lru == NULL || e->tick < lru->tick))
			lru = e;
		if (e->used && e->miss && (lru_miss == NULL || e->tick < lru_miss->tick))
			lru_miss = e;
	}
	struct api_coll_centry *slot = same != NULL      ? same :
				       free_slot != NULL ? free_slot :
				       it != NULL        ? lru :
							   lru_miss;
	if (slot == NULL) {
		pthread_mutex_unlock(&c->lock);
		return;
	}
	api_coll_centry_drop(slot);
	slot->used = true;
	slot->kind = kind;
	snprintf(slot->key, sizeof(slot->key), "%s", key);
	slot->tick = ++c->tick;
	slot->miss = it == NULL;
	slot->expires = now + (it == NULL ? c->miss_ttl_s : c->ttl_s);
	if (it != NULL && it->has_window && it->next_update < slot->expires)
		slot->expires = it->next_update;
	tc_buf_init(&slot->raw, it != NULL && it->raw.len > 0 ? it->raw.len : 1);
	tc_buf_init(&slot->chain, it != NULL && it->issuer_chain.len > 0 ? it->issuer_chain.len : 1);
	if (it != NULL && (!tc_is_ok(tc_buf_append(&slot->raw, it->raw.data, it->raw.len)) ||
			   !tc_is_ok(tc_buf_append(&slot->chain, it->issuer_chain.data, it->issuer_chain.len))))
		api_coll_centry_drop(slot);
	pthread_mutex_unlock(&c->lock);
}

/* ------------------------------------------------------------------------------------------ roles */

/* Role names live as long as the program: the input borrows them. */
static const char *const api_coll_static_roles[] = {
	"tcb_info",     "tcb_info_issuer_chain",
	"qe_identity",  "qe_identity_issuer_chain",
	"pck_crl",      "pck_crl_issuer_chain",
	"root_ca_crl",  "ark_ask_chain",
	"amd_crl",      "vcek",
	"driver_rim",   "driver_rim.1",
	"driver_rim.2", "driver_rim.3",
	"driver_rim.4", "driver_rim.5",
	"driver_rim.6", "driver_rim.7",
	"vbios_rim",    "vbios_rim.1",
	"vbios_rim.2",  "vbios_rim.3",
	"vbios_rim.4",  "vbios_rim.5",
	"vbios_rim.6",  "vbios_rim.7",
};

static const char *api_coll_role(const char *role)
{
	for (size_t i = 0; i < sizeof(api_coll_static_roles) / sizeof(api_coll_static_roles[0]); i++)
		if (strcmp(api_coll_static_roles[i], role) == 0)
			return api_coll_static_roles[i];
	return NULL;
}

static bool api_coll_internal(enum tc_code code)
{
	return code == TC_ERR_INTERNAL || code == TC_ERR_NO_MEMORY || code == TC_ERR_DB_UNAVAILABLE ||
	       code == TC_ERR_DB_QUERY || code == TC_ERR_DB_CONFLICT || code == TC_ERR_DB_SCHEMA_UNKNOWN ||
	       code == TC_ERR_DB_SCHEMA_OUTDATED || code == TC_ERR_DB_SCHEMA_MISMATCH;
}

/*
 * An imported VBIOS RIM whose id the folder did not name is stored under the version-only id
 * NV_GPU_VBIOS_<VERSION> (api_collateral_dir.c): the RIM itself does not carry the board's project/SKU.
 */
static void api_coll_vbios_alias(const char *key, char *out, size_t size)
{
	const char *v = strrchr(key, '_');
	out[0] = 0;
	if (strncmp(key, "NV_GPU_VBIOS_", 13) == 0 && v != NULL && v[1] != 0)
		snprintf(out, size, "NV_GPU_VBIOS_%s", v + 1);
}

/*
 * OCSP responses are fetched only from a configured responder of a service that is not offline, and a
 * simulated chain is never sent to NVIDIA's public responder (it cannot know it; an operator-configured
 * responder, e.g. a test one, is asked).
 */
static bool api_coll_ocsp_online(const struct api_collateral *c, const struct vf_coll_need *need)
{
	const struct api_collateral_config *cfg = api_collateral_cfg(c);
	if (cfg->offline || cfg->nvidia_ocsp_url == NULL || cfg->nvidia_ocsp_url[0] == 0)
		return false;
	return !need->simulated || strcmp(cfg->nvidia_ocsp_url, API_COLL_NVIDIA_OCSP_URL) != 0;
}

/*
 * The OCSP response of NEED: from the store while servable (before its nextUpdate), else asked from the
 * responder for the certificate and its issuer in IN's GPU chain (api_collateral_fetch_ocsp verifies it
 * before it is stored). *QUIET: nothing was asked (no responder configured, or offline), not worth a log line.
 */
static TC_RESULT api_coll_fetch_ocsp_need(struct api_collateral *c, const struct vf_coll_need *need,
					  const struct vf_input *in, struct db_collateral_item *it, bool *quiet)
{
	bool found = false;
	struct tc_buf pair;
	struct tc_result r;

	TC_GUARD(api_collateral_peek(c, VF_COLL_OCSP, need->key, it, &found));
	if (found)
		return tc_ok();
	if (!api_coll_ocsp_online(c, need)) {
		*quiet = true;
		return tc_fail(TC_ERR_COLLATERAL_MISSING, "ocsp/%s: not in the store and no OCSP responder is used",
			       need->key);
	}
	tc_buf_init(&pair, (size_t)64 * 1024);
	r = vf_collateral_ocsp_pair(in, need, &pair);
	if (tc_is_ok(r)) {
		db_collateral_item_cleanup(it);
		db_collateral_item_init(it);
		r = api_collateral_fetch_ocsp(c, pair.data, pair.len, it);
	}
	tc_buf_cleanup(&pair);
	return r;
}

/* The item of NEED from the store (upstream when missing): RIMs from the store first, then the alias. */
static TC_RESULT api_coll_fetch_need(struct api_collateral *c, const struct vf_coll_need *need,
				     const struct vf_input *in, struct db_collateral_item *it, bool *quiet)
{
	if (need->kind == VF_COLL_OCSP)
		return api_coll_fetch_ocsp_need(c, need, in, it, quiet);
	if (need->kind == VF_COLL_RIM) {
		char alias[VF_COLL_KEY_MAX];
		bool found = false;
		TC_GUARD(api_collateral_peek(c, need->kind, need->key, it, &found));
		api_coll_vbios_alias(need->key, alias, sizeof(alias));
		if (!found && alias[0])
			TC_GUARD(api_collateral_peek(c, need->kind, alias, it, &found));
		if (found)
			return tc_ok();
	}
	return api_collateral_get(c, need->kind, need->key, it);
}

/* NEED into IN (raw under its role, the issuer chain under chain_role), bytes held in HOLD. */
static TC_RESULT api_coll_resolve_one(struct api_collateral *c, const struct vf_coll_need *need, int64_t now,
				      struct vf_input *in, struct api_coll_hold *hold)
{
	struct api_coll_cache *cache = api_collateral_cache(c);
	const struct tc_buf *raw = NULL, *chain = NULL;
	const char *role = api_coll_role(need->role);
	const char *chain_role = need->chain_role[0] ? api_coll_role(need->chain_role) : NULL;
	struct vf_item *list = need->evidence ? in->evidence : in->collateral;
	size_t *n = need->evidence ? &in->n_evidence : &in->n_collateral;
	enum api_coll_look look;
	struct tc_result r = tc_ok();
	bool quiet = false;

	if (need->kind == VF_COLL_OCSP && vf_item_find(list, *n, need->role) == NULL) {
		/* "ocsp.gpuN.I": one role per certificate, kept in HOLD as long as the input */
		const struct tc_buf *name = NULL;
		struct tc_buf text = { .data = (uint8_t *)need->role, .len = strlen(need->role) + 1 };
		TC_GUARD(api_coll_hold_copy(hold, &text, &name));
		role = (const char *)name->data;
	}
	if (role == NULL || vf_item_find(list, *n, role) != NULL)
		return tc_ok(); /* more RIMs than roles, or the caller gave the item itself */
	TC_GUARD(api_coll_cache_get(cache, need->kind, need->key, now, hold, &raw, &chain, &look));
	if (look == API_COLL_LOOK_MISS)
		return tc_ok();
	if (look == API_COLL_LOOK_NONE) {
		struct db_collateral_item it;
		uint8_t digest[32];
		db_collateral_item_init(&it);
		r = api_coll_fetch_need(c, need, in, &it, &quiet);
		if (tc_is_ok(r)) {
			/* Only the bytes that were verified: the digest stored with them must match. */
			SHA256(it.raw.data, it.raw.len, digest);
			if (memcmp(digest, it.sha256, sizeof(digest)) != 0)
				r = tc_fail(TC_ERR_COLLATERAL_SIGNATURE_INVALID,
					    "%s/%s: stored bytes differ from their verified digest", it.kind, it.key);
		}
		if (tc_is_ok(r)) {
			api_coll_cache_put(cache, need->kind, need->key, now, &it);
			r = api_coll_hold_copy(hold, &it.raw, &raw);
			if (tc_is_ok(r))
				r = api_coll_hold_copy(hold, &it.issuer_chain, &chain);
		}
		db_collateral_item_cleanup(&it);
		if (!tc_is_ok(r)) {
			if (api_coll_internal(r.code))
				return r;
			if (!quiet)
				tc_log(TC_LOG_WARN, "collateral_unavailable", "%s %s (role %s) left out: %s: %s",
				       vf_coll_kind_name(need->kind), need->key, need->role,
				       tc_error_info(r.code)->code, tc_error_detail());
			api_coll_cache_put(cache, need->kind, need->key, now, NULL);
			return tc_ok();
		}
	}
	TC_ENSURE(*n < VF_MAX_ITEMS && (chain_role == NULL || *n + 1 < VF_MAX_ITEMS), TC_ERR_TOO_LARGE,
		  "too many collateral items for one appraisal");
	list[(*n)++] = (struct vf_item){ .role = role, .data = raw->data, .len = raw->len };
	if (chain_role != NULL && chain->len > 0 && vf_item_find(in->collateral, in->n_collateral, chain_role) == NULL)
		in->collateral[in->n_collateral++] =
			(struct vf_item){ .role = chain_role, .data = chain->data, .len = chain->len };
	return tc_ok();
}

TC_RESULT api_collateral_resolve(struct api_collateral *c, struct vf_input *in, struct api_coll_hold *hold)
{
	TC_ENSURE(c != NULL && in != NULL && hold != NULL, TC_ERR_INVALID_ARGUMENT,
		  "api_collateral_resolve: missing argument");
	struct vf_coll_need needs[VF_COLL_NEEDS_MAX];
	size_t n = 0;
	const struct vf_coll_needs_opts opts = { .snp_product = api_collateral_cfg(c)->snp_product, .ocsp = true };
	TC_GUARD(vf_collateral_needs_opts(in, &opts, needs, VF_COLL_NEEDS_MAX, &n));
	int64_t now = api_collateral_now(c);
	bool rims = false;
	for (size_t i = 0; i < n; i++) {
		TC_GUARD(api_coll_resolve_one(c, &needs[i], now, in, hold));
		rims = rims || needs[i].kind == VF_COLL_RIM;
	}
	if (!rims)
		return tc_ok();
	/* The RIMs' signer chains are known once the RIMs are in: their OCSP responses in a second pass. */
	const struct vf_coll_needs_opts rim_opts = { .rim_ocsp_only = true };
	struct tc_result r = vf_collateral_needs_opts(in, &rim_opts, needs, VF_COLL_NEEDS_MAX, &n);
	if (r.code == TC_ERR_TOO_LARGE) {
		tc_log(TC_LOG_WARN, "collateral_unavailable", "RIM signer chain OCSP left out: %s", tc_error_detail());
		return tc_ok();
	}
	TC_GUARD(r);
	for (size_t i = 0; i < n; i++)
		TC_GUARD(api_coll_resolve_one(c, &needs[i], now, in, hold));
	return tc_ok();
}

/* ---------------------------------------------------------------------------------- replay history */

TC_RESULT api_collateral_store_anchors(struct api_collateral *c)
{
	TC_ENSURE(c != NULL, TC_ERR_INVALID_ARGUMENT, "api_collateral_store_anchors: missing argument");
	const struct api_collateral_config *cfg = api_collateral_cfg(c);
	struct db_conn *conn = NULL;
	struct tc_result r = tc_ok();

	if (cfg->n_anchors == 0)
		return tc_ok();
	TC_GUARD(api_collateral_db_conn(c, &conn));
	for (size_t i = 0; i < cfg->n_anchors && tc_is_ok(r); i++) {
		const struct vf_item *a = &cfg->anchors[i];
		if (a->role != NULL && a->data != NULL && a->len > 0)
			r = db_collateral_history_put(conn, "operator", "anchor", a->role, a->data, a->len,
						      api_collateral_now(c));
	}
	api_collateral_db_release(c, conn);
	return r;
}
