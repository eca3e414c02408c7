/*
 * test_tc_secure.c — secure zero, constant-time comparison (equal/unequal at every position), and the
 * CSPRNG wrapper (argument checks, output differs between calls, plausibly uniform bytes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tc.h"

static void test_zero(void **state)
{
	uint8_t buf[64];

	memset(buf, 0xa5, sizeof(buf));
	tc_secure_zero(buf + 8, 32);
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], i >= 8 && i < 40 ? 0 : 0xa5);
	tc_secure_zero(NULL, 10); /* tolerated */
	tc_secure_zero(buf, 0);
	assert_int_equal(buf[0], 0xa5);
}

static void test_ct_equal(void **state)
{
	uint8_t a[48], b[48];

	assert_true(tc_is_ok(tc_random_bytes(a, sizeof(a))));
	memcpy(b, a, sizeof(b));
	assert_true(tc_ct_equal(a, b, sizeof(a)));
	assert_true(tc_ct_equal(a, b, 0));
	for (size_t i = 0; i < sizeof(a); i++) {
		for (int bit = 0; bit < 8; bit++) {
			b[i] ^= (uint8_t)(1u << bit);
			assert_false(tc_ct_equal(a, b, sizeof(a)));
			b[i] ^= (uint8_t)(1u << bit);
		}
	}
	assert_true(tc_ct_equal(a, b, sizeof(a)));
}

static void test_random(void **state)
{
	static uint8_t big[1 << 20];
	uint8_t x[32], y[32];
	size_t counts[256] = { 0 };

	assert_true(tc_is_ok(tc_random_bytes(x, sizeof(x))));
	assert_true(tc_is_ok(tc_random_bytes(y, sizeof(y))));
	assert_memory_not_equal(x, y, sizeof(x));
	assert_true(tc_is_ok(tc_random_bytes(NULL, 0)));
	assert_int_equal(tc_random_bytes(NULL, 1).code, TC_ERR_INVALID_ARGUMENT);
	assert_true(tc_is_ok(tc_random_bytes(big, sizeof(big))));
	for (size_t i = 0; i < sizeof(big); i++)
		counts[big[i]]++;
	/* Expected 4096 per value; a bound of +-25% fails only for a broken generator. */
	for (int v = 0; v < 256; v++)
		assert_true(counts[v] > 3072 && counts[v] < 5120);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zero),
		cmocka_unit_test(test_ct_equal),
		cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
