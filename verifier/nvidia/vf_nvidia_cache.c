/*
 * vf_nvidia_cache.c — process-wide memo of time-independent verification results (thread-safe, bounded).
 *
 * Two kinds of entries, keyed by SHA-256 over the exact input bytes and the pinned anchor:
 *   - "this GPU chain's path and signatures verify to this anchor" (+ leaf key, FWID, validity window);
 *   - "this RIM's signer chain builds to this anchor and its XML signature verifies or not" (+ parsed content).
 * Only facts that do not depend on the verification time are stored; every time check and all evidence work
 * still run on every call. Entries are reference counted so a reader keeps using one after eviction.
 * Eviction: round robin over VF_NV_CACHE_SLOTS slots per kind.
 */
#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>

#include "vf_nvidia.h"

static pthread_mutex_t vf_nv_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct vf_nv_chain *vf_nv_chains[VF_NV_CACHE_SLOTS];
static size_t vf_nv_chain_next;
static struct vf_nv_rim_entry *vf_nv_rims[VF_NV_CACHE_SLOTS];
static size_t vf_nv_rim_next;
static bool vf_nv_cache_on = true;
static uint64_t vf_nv_hits;

void vf_nv_lock(void)
{
	pthread_mutex_lock(&vf_nv_mutex);
}

void vf_nv_unlock(void)
{
	pthread_mutex_unlock(&vf_nv_mutex);
}

TC_RESULT vf_nv_cache_key(const char *domain, const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len,
			  uint8_t out[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint64_t la = a_len, lb = b_len;
	bool ok;

	TC_ENSURE(ctx != NULL, TC_ERR_NO_MEMORY, "EVP_MD_CTX_new failed");
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	     EVP_DigestUpdate(ctx, domain, strlen(domain) + 1) == 1 && EVP_DigestUpdate(ctx, &la, sizeof(la)) == 1 &&
	     EVP_DigestUpdate(ctx, a, a_len) == 1 && EVP_DigestUpdate(ctx, &lb, sizeof(lb)) == 1 &&
	     EVP_DigestUpdate(ctx, b, b_len) == 1 && EVP_DigestFinal_ex(ctx, out, NULL) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return tc_fail_openssl(TC_ERR_CRYPTO, "cache key digest");
	return tc_ok();
}

/* ------------------------------------------------------------------------------------------ chains */

static void vf_nv_chain_destroy(struct vf_nv_chain *c)
{
	sk_X509_pop_free(c->certs, X509_free);
	EVP_PKEY_free(c->leaf_key);
	free(c);
}

void vf_nv_chain_release(struct vf_nv_chain **c)
{
	bool last;

	if (*c == NULL)
		return;
	vf_nv_lock();
	last = --(*c)->refs == 0;
	vf_nv_unlock();
	if (last)
		vf_nv_chain_destroy(*c);
	*c = NULL;
}

struct vf_nv_chain *vf_nv_cache_chain_get(const uint8_t key[32])
{
	struct vf_nv_chain *found = NULL;

	vf_nv_lock();
	for (size_t i = 0; vf_nv_cache_on && i < VF_NV_CACHE_SLOTS; i++) {
		if (vf_nv_chains[i] != NULL && memcmp(vf_nv_chains[i]->key, key, 32) == 0) {
			found = vf_nv_chains[i];
			found->refs++;
			vf_nv_hits++;
			break;
		}
	}
	vf_nv_unlock();
	return found;
}

void vf_nv_cache_chain_put(struct vf_nv_chain *c)
{
	struct vf_nv_chain *old = NULL;

	vf_nv_lock();
	if (vf_nv_cache_on) {
		c->refs++;
		old = vf_nv_chains[vf_nv_chain_next];
		vf_nv_chains[vf_nv_chain_next] = c;
		vf_nv_chain_next = (vf_nv_chain_next + 1) % VF_NV_CACHE_SLOTS;
	}
	vf_nv_unlock();
	vf_nv_chain_release(&old);
}

/* -------------------------------------------------------------------------------------------- RIMs */

static void vf_nv_rim_destroy(struct vf_nv_rim_entry *e)
{
	sk_X509_pop_free(e->certs, X509_free);
	free(e);
}

void vf_nv_rim_entry_release(struct vf_nv_rim_entry **e)
{
	bool last;

	if (*e == NULL)
		return;
	vf_nv_lock();
	last = --(*e)->refs == 0;
	vf_nv_unlock();
	if (last)
		vf_nv_rim_destroy(*e);
	*e = NULL;
}

struct vf_nv_rim_entry *vf_nv_cache_rim_get(const uint8_t key[32])
{
	struct vf_nv_rim_entry *found = NULL;

	vf_nv_lock();
	for (size_t i = 0; vf_nv_cache_on && i < VF_NV_CACHE_SLOTS; i++) {
		if (vf_nv_rims[i] != NULL && memcmp(vf_nv_rims[i]->key, key, 32) == 0) {
			found = vf_nv_rims[i];
			found->refs++;
			vf_nv_hits++;
			break;
		}
	}
	vf_nv_unlock();
	return found;
}

void vf_nv_cache_rim_put(struct vf_nv_rim_entry *e)
{
	struct vf_nv_rim_entry *old = NULL;

	vf_nv_lock();
	if (vf_nv_cache_on) {
		e->refs++;
		old = vf_nv_rims[vf_nv_rim_next];
		vf_nv_rims[vf_nv_rim_next] = e;
		vf_nv_rim_next = (vf_nv_rim_next + 1) % VF_NV_CACHE_SLOTS;
	}
	vf_nv_unlock();
	vf_nv_rim_entry_release(&old);
}

/* ------------------------------------------------------------------------------------------ control */

void vf_nv_cache_clear(void)
{
	struct vf_nv_chain *chains[VF_NV_CACHE_SLOTS];
	struct vf_nv_rim_entry *rims[VF_NV_CACHE_SLOTS];

	vf_nv_lock();
	memcpy(chains, vf_nv_chains, sizeof(chains));
	memcpy(rims, vf_nv_rims, sizeof(rims));
	memset(vf_nv_chains, 0, sizeof(vf_nv_chains));
	memset(vf_nv_rims, 0, sizeof(vf_nv_rims));
	vf_nv_unlock();
	for (size_t i = 0; i < VF_NV_CACHE_SLOTS; i++) {
		vf_nv_chain_release(&chains[i]);
		vf_nv_rim_entry_release(&rims[i]);
	}
}

void vf_nv_cache_enable(bool on)
{
	vf_nv_lock();
	vf_nv_cache_on = on;
	vf_nv_unlock();
	vf_nv_cache_clear();
}

uint64_t vf_nv_cache_hits(void)
{
	uint64_t h;

	vf_nv_lock();
	h = vf_nv_hits;
	vf_nv_unlock();
	return h;
}
