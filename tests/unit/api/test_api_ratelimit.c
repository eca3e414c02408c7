/*
 * test_api_ratelimit.c — the per-client token bucket of api_ratelimit.c with injected time: a burst passes,
 * the next request is refused with a Retry-After that is honest (waiting that long is enough), tokens refill
 * at the rate and never above the burst, clients are independent, and a flood of distinct clients keeps the
 * table bounded (idle clients are evicted, a busy one keeps its bucket while there is room).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "api_internal.h"

#define NS 1000000000LL

static void key_of(uint32_t ip, uint8_t key[API_RATELIMIT_KEY_LEN])
{
	memset(key, 0, API_RATELIMIT_KEY_LEN);
	key[0] = 1;
	memcpy(key + 1, &ip, sizeof(ip));
}

static void test_burst_then_429(void **state)
{
	struct api_ratelimit *rl = NULL;
	uint8_t k[API_RATELIMIT_KEY_LEN];
	unsigned retry = 0;
	int64_t t = 1000 * NS;

	(void)state;
	assert_int_equal(api_ratelimit_new(2, 5, &rl).code, TC_OK);
	key_of(0x0100007f, k);
	for (int i = 0; i < 5; i++)
		assert_true(api_ratelimit_take(rl, k, t, &retry));
	assert_false(api_ratelimit_take(rl, k, t, &retry));
	assert_int_equal(retry, 1); /* one token at 2/s: 0.5 s, rounded up to whole seconds */
	/* 0.4 s later: 0.8 tokens, still refused; 0.5 s after the burst: one token. */
	assert_false(api_ratelimit_take(rl, k, t + 4 * NS / 10, &retry));
	assert_true(retry >= 1);
	assert_true(api_ratelimit_take(rl, k, t + 5 * NS / 10, &retry));
	assert_false(api_ratelimit_take(rl, k, t + 5 * NS / 10, &retry));
	/* A long pause refills to the burst, not beyond. */
	t += 3600 * NS;
	for (int i = 0; i < 5; i++)
		assert_true(api_ratelimit_take(rl, k, t, &retry));
	assert_false(api_ratelimit_take(rl, k, t, &retry));
	api_ratelimit_free(&rl);
	assert_null(rl);
}

static void test_slow_rate_retry_after(void **state)
{
	struct api_ratelimit *rl = NULL;
	uint8_t k[API_RATELIMIT_KEY_LEN];
	unsigned retry = 0;
	int64_t t = 5 * NS;

	(void)state;
	assert_int_equal(api_ratelimit_new(0.1, 1, &rl).code, TC_OK); /* one per 10 s */
	key_of(7, k);
	assert_true(api_ratelimit_take(rl, k, t, &retry));
	assert_false(api_ratelimit_take(rl, k, t + NS, &retry));
	assert_int_equal(retry, 9); /* 0.1 tokens there, 0.9 missing at 0.1/s */
	assert_false(api_ratelimit_take(rl, k, t + 9 * NS, &retry));
	assert_true(api_ratelimit_take(rl, k, t + 10 * NS, &retry));
	api_ratelimit_free(&rl);
}

static void test_clients_independent(void **state)
{
	struct api_ratelimit *rl = NULL;
	uint8_t a[API_RATELIMIT_KEY_LEN], b[API_RATELIMIT_KEY_LEN];
	unsigned retry = 0;

	(void)state;
	assert_int_equal(api_ratelimit_new(1, 1, &rl).code, TC_OK);
	key_of(1, a);
	key_of(2, b);
	assert_true(api_ratelimit_take(rl, a, NS, &retry));
	assert_false(api_ratelimit_take(rl, a, NS, &retry));
	assert_true(api_ratelimit_take(rl, b, NS, &retry));
	api_ratelimit_free(&rl);
}

static void test_bounded_table(void **state)
{
	struct api_ratelimit *rl = NULL;
	uint8_t busy[API_RATELIMIT_KEY_LEN], k[API_RATELIMIT_KEY_LEN];
	unsigned retry = 0;
	int64_t t = NS;

	(void)state;
	assert_int_equal(api_ratelimit_new(1, 2, &rl).code, TC_OK);
	key_of(0xdeadbeef, busy);
	assert_true(api_ratelimit_take(rl, busy, t, &retry));
	assert_true(api_ratelimit_take(rl, busy, t, &retry));
	assert_false(api_ratelimit_take(rl, busy, t, &retry));
	/* Ten times more distinct clients than slots, each sending once a long time later: the table does not
	 * grow (it is one fixed allocation) and every newcomer is served; idle slots are reused. */
	t += 100 * NS;
	for (uint32_t ip = 0; ip < 10 * API_RATELIMIT_SLOTS; ip++) {
		key_of(0x0a000000 + ip, k);
		assert_true(api_ratelimit_take(rl, k, t, &retry));
	}
	assert_true(api_ratelimit_evictions(rl) > 0);
	/* A client that exhausted its bucket and is still within its window keeps its state: under the flood
	 * above it was idle (full again) and may have been evicted, which only ever gives it a full bucket. */
	assert_true(api_ratelimit_take(rl, busy, t, &retry));
	api_ratelimit_free(&rl);
}

static void test_bad_config(void **state)
{
	struct api_ratelimit *rl = NULL;

	(void)state;
	assert_int_equal(api_ratelimit_new(0, 1, &rl).code, TC_ERR_INVALID_ARGUMENT);
	assert_int_equal(api_ratelimit_new(1, 0.5, &rl).code, TC_ERR_INVALID_ARGUMENT);
	assert_int_equal(api_ratelimit_new(-1, 10, &rl).code, TC_ERR_INVALID_ARGUMENT);
	assert_null(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_429),      cmocka_unit_test(test_slow_rate_retry_after),
		cmocka_unit_test(test_clients_independent), cmocka_unit_test(test_bounded_table),
		cmocka_unit_test(test_bad_config),
	};
	return cmocka_run_group_tests_name("api_ratelimit", tests, NULL, NULL);
}
