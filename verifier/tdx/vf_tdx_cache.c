/*
 * vf_tdx_cache.c — process-wide memo of time-independent TDX verification results.
 *
 * What is stored (keys are SHA-256 over a kind tag, the exact input bytes and the anchor):
 *   "this chain's signatures verify to this anchor" (+ the parsed PCK SGX extensions),
 *   "this TCB info / QE identity signature verifies, here is its parsed form",
 *   "this CRL's signature verifies with this issuer", and the parsed anchor.
 * Validity-window checks and everything quote-specific run on every call, so a hit changes no result.
 * Bounded (VF_TDX_CACHE_SLOTS in sets of VF_TDX_CACHE_WAYS chosen by the key, the least recently used entry
 * of the set evicted), one mutex; values are reference-counted so a borrower keeps a value alive across an
 * eviction.
 */
#include <pthread.h>
#include <string.h>

#include "vf_tdx.h"

struct slot {
	bool used;
	uint8_t key[VF_TDX_SHA256_LEN];
	uint64_t stamp;
	struct vf_tdx_memo *value;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot slots[VF_TDX_CACHE_SLOTS];
static uint64_t clock_stamp, hits, misses;
static bool enabled = true;

_Static_assert(VF_TDX_CACHE_SLOTS % VF_TDX_CACHE_WAYS == 0, "whole sets");

/* The first slot of KEY's set. */
static size_t set_of(const uint8_t key[VF_TDX_SHA256_LEN])
{
	uint32_t h = (uint32_t)key[0] | (uint32_t)key[1] << 8 | (uint32_t)key[2] << 16;

	return (h % (VF_TDX_CACHE_SLOTS / VF_TDX_CACHE_WAYS)) * VF_TDX_CACHE_WAYS;
}

static void release_locked(struct vf_tdx_memo *m)
{
	if (m != NULL && --m->refs == 0)
		m->destroy(m);
}

struct vf_tdx_memo *vf_tdx_cache_get(const uint8_t key[VF_TDX_SHA256_LEN])
{
	struct vf_tdx_memo *found = NULL;
	pthread_mutex_lock(&lock);
	if (enabled) {
		size_t set = set_of(key);

		for (size_t i = set; i < set + VF_TDX_CACHE_WAYS; i++) {
			if (slots[i].used && memcmp(slots[i].key, key, VF_TDX_SHA256_LEN) == 0) {
				found = slots[i].value;
				found->refs++;
				slots[i].stamp = ++clock_stamp;
				break;
			}
		}
		if (found != NULL)
			hits++;
		else
			misses++;
	}
	pthread_mutex_unlock(&lock);
	return found;
}

void vf_tdx_cache_put(const uint8_t key[VF_TDX_SHA256_LEN], struct vf_tdx_memo *value)
{
	struct vf_tdx_memo *evicted = NULL;
	pthread_mutex_lock(&lock);
	if (enabled) {
		size_t set = set_of(key), victim = set;
		for (size_t i = set; i < set + VF_TDX_CACHE_WAYS; i++) {
			if (slots[i].used && memcmp(slots[i].key, key, VF_TDX_SHA256_LEN) == 0) {
				victim = SIZE_MAX; /* another thread stored it first */
				break;
			}
			if (!slots[i].used || (slots[victim].used && slots[i].stamp < slots[victim].stamp))
				victim = i;
		}
		if (victim != SIZE_MAX) {
			if (slots[victim].used)
				evicted = slots[victim].value;
			slots[victim].used = true;
			memcpy(slots[victim].key, key, VF_TDX_SHA256_LEN);
			slots[victim].stamp = ++clock_stamp;
			slots[victim].value = value;
			value->refs++;
		}
	}
	release_locked(evicted);
	pthread_mutex_unlock(&lock);
}

void vf_tdx_memo_release(struct vf_tdx_memo *m)
{
	if (m == NULL)
		return;
	pthread_mutex_lock(&lock);
	release_locked(m);
	pthread_mutex_unlock(&lock);
}

void vf_tdx_cache_clear(void)
{
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < VF_TDX_CACHE_SLOTS; i++) {
		if (slots[i].used)
			release_locked(slots[i].value);
		memset(&slots[i], 0, sizeof slots[i]);
	}
	pthread_mutex_unlock(&lock);
}

void vf_tdx_cache_set_enabled(bool on)
{
	pthread_mutex_lock(&lock);
	enabled = on;
	pthread_mutex_unlock(&lock);
	if (!on)
		vf_tdx_cache_clear();
}

bool vf_tdx_cache_enabled(void)
{
	pthread_mutex_lock(&lock);
	bool on = enabled;
	pthread_mutex_unlock(&lock);
	return on;
}

void vf_tdx_cache_stats(size_t *entries, uint64_t *h, uint64_t *m)
{
	size_t n = 0;
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < VF_TDX_CACHE_SLOTS; i++)
		n += slots[i].used;
	*entries = n;
	*h = hits;
	*m = misses;
	pthread_mutex_unlock(&lock);
}
