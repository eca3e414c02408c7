/*
 * test_vf_tdx_cache.c — the TDX memo (verifier/tdx/vf_tdx_cache.c): exact-key hits, a working set of a fleet's
 * PCK chains and attestation keys stays cached, the bound holds, evicted values live on while borrowed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vf_internal.h"
#include "vf_tdx.h"

struct counted {
	struct vf_tdx_memo memo;
	int id;
};

static int destroyed;

static void counted_destroy(struct vf_tdx_memo *m)
{
	destroyed++;
	free(m);
}

static struct counted *counted_new(int id)
{
	struct counted *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	c->memo.refs = 1;
	c->memo.destroy = counted_destroy;
	c->id = id;
	return c;
}

/* Key I: SHA-256 of its decimal text (keys are SHA-256 outputs in the verifier). */
static void key_of(int i, uint8_t key[VF_TDX_SHA256_LEN])
{
	char text[16];

	snprintf(text, sizeof(text), "%d", i);
	assert_true(tc_is_ok(vf_sha256((const uint8_t *)text, strlen(text), key)));
}

static void put(int i)
{
	uint8_t key[VF_TDX_SHA256_LEN];
	struct counted *c = counted_new(i);

	key_of(i, key);
	vf_tdx_cache_put(key, &c->memo);
	vf_tdx_memo_release(&c->memo);
}

/* The value under key I, or -1 on a miss. */
static int get(int i)
{
	uint8_t key[VF_TDX_SHA256_LEN];
	struct counted *c;
	int id;

	key_of(i, key);
	c = (struct counted *)vf_tdx_cache_get(key);
	if (c == NULL)
		return -1;
	id = c->id;
	vf_tdx_memo_release(&c->memo);
	return id;
}

static void test_fleet_stays_cached(void **state)
{
	size_t entries;
	uint64_t hits, misses;
	int n = 300; /* e.g. 140 platforms' chains + attestation keys + collateral, above the former 128 slots */

	(void)state;
	vf_tdx_cache_clear();
	for (int i = 0; i < n; i++)
		put(i);
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < n; i++)
			assert_int_equal(get(i), i);
	assert_int_equal(get(n), -1);
	vf_tdx_cache_stats(&entries, &hits, &misses);
	assert_int_equal(entries, (size_t)n);
	vf_tdx_cache_clear();
}

static void test_bounded_and_borrow_safe(void **state)
{
	uint8_t key[VF_TDX_SHA256_LEN];
	struct counted *held;
	size_t entries;
	uint64_t hits, misses;
	int n = 4 * VF_TDX_CACHE_SLOTS;

	(void)state;
	vf_tdx_cache_clear();
	destroyed = 0;
	put(-1);
	key_of(-1, key);
	held = (struct counted *)vf_tdx_cache_get(key);
	assert_non_null(held);
	for (int i = 0; i < n; i++)
		put(i);
	vf_tdx_cache_stats(&entries, &hits, &misses);
	assert_true(entries >= VF_TDX_CACHE_SLOTS / 2 && entries <= VF_TDX_CACHE_SLOTS);
	assert_int_equal(held->id, -1); /* alive while borrowed, evicted or not (ASan checks) */
	vf_tdx_memo_release(&held->memo);
	assert_int_equal(destroyed, n + 1 - (int)entries); /* every evicted value is freed, once */
	/* the most recent entries of each set survive */
	assert_int_equal(get(n - 1), n - 1);
	vf_tdx_cache_clear();
	assert_int_equal(destroyed, n + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fleet_stays_cached),
		cmocka_unit_test(test_bounded_and_borrow_safe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
