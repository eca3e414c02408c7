/*
 * test_chain_u256.c — 256-bit amounts: decimal round trips at the edges, rejected decimal forms, overflow
 * checks of add and multiply, division.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chain.h"

#define MAX_DEC "115792089237316195423570985008687907853269984665640564039457584007913129639935"

static void dec(const char *s, struct chain_u256 *out)
{
	assert_true(tc_is_ok(chain_u256_from_dec(s, strlen(s), out)));
}

static void test_decimal(void **state)
{
	static const char *ok[] = {
		"0", "1", "255", "256", "18446744073709551615", "18446744073709551616", "1000000000000000000", MAX_DEC
	};
	static const char *bad[] = { "",
				     "-1",
				     "01",
				     "1 ",
				     "0x10",
				     "1e3",
				     "115792089237316195423570985008687907853269984665640564039457584007913129639936" };
	struct chain_u256 u;
	char out[CHAIN_U256_DEC_SIZE];
	uint64_t v;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		dec(ok[i], &u);
		chain_u256_to_dec(&u, out);
		assert_string_equal(out, ok[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(tc_is_ok(chain_u256_from_dec(bad[i], strlen(bad[i]), &u)));
	dec("18446744073709551615", &u);
	assert_true(tc_is_ok(chain_u256_to_u64(&u, &v)));
	assert_true(v == UINT64_MAX);
	dec("18446744073709551616", &u);
	assert_false(tc_is_ok(chain_u256_to_u64(&u, &v)));
	chain_u256_from_u64(&u, 0);
	assert_true(chain_u256_is_zero(&u));
}

static void test_arith(void **state)
{
	struct chain_u256 a, b, r, max;
	char out[CHAIN_U256_DEC_SIZE];
	uint64_t rem;

	dec(MAX_DEC, &max);
	chain_u256_from_u64(&b, 1);
	assert_false(tc_is_ok(chain_u256_add(&max, &b, &r)));
	dec("18446744073709551615", &a);
	assert_true(tc_is_ok(chain_u256_add(&a, &b, &r)));
	chain_u256_to_dec(&r, out);
	assert_string_equal(out, "18446744073709551616");
	assert_true(tc_is_ok(chain_u256_mul_u64(&a, UINT64_MAX, &r)));
	chain_u256_to_dec(&r, out);
	assert_string_equal(out, "340282366920938463426481119284349108225");
	assert_false(tc_is_ok(chain_u256_mul_u64(&max, 2, &r)));
	assert_true(tc_is_ok(chain_u256_mul_u64(&max, 1, &r)));
	assert_int_equal(chain_u256_cmp(&r, &max), 0);
	/* Fee bump arithmetic: ceil(x * 110 / 100). */
	dec("2000000000", &a);
	assert_true(tc_is_ok(chain_u256_mul_u64(&a, 110, &r)));
	assert_true(tc_is_ok(chain_u256_div_u64(&r, 100, &r, &rem)));
	chain_u256_to_dec(&r, out);
	assert_string_equal(out, "2200000000");
	assert_true(rem == 0);
	assert_true(tc_is_ok(chain_u256_div_u64(&max, 10, &r, &rem)));
	assert_true(rem == 5);
	chain_u256_to_dec(&r, out);
	assert_string_equal(out, "11579208923731619542357098500868790785326998466564056403945758400791312963993");
	assert_true(tc_is_ok(chain_u256_div_u64(&max, UINT64_MAX, &r, &rem)));
	assert_false(tc_is_ok(chain_u256_div_u64(&max, 0, &r, &rem)));
	assert_int_equal(chain_u256_cmp(&a, &max), -1);
	assert_int_equal(chain_u256_cmp(&max, &a), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decimal),
		cmocka_unit_test(test_arith),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
