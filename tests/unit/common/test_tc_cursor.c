/*
 * test_tc_cursor.c — the bounds-checked reader: integer decoding, reads at and past the end (cursor left
 * unchanged), sub-cursors bounded by their parent's slice, and n values that would overflow pos + n.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tc.h"

static const uint8_t bytes[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a };

static void test_integers(void **state)
{
	struct tc_cursor c;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	tc_cursor_init(&c, bytes, sizeof(bytes));
	assert_true(tc_is_ok(tc_cursor_u8(&c, &u8)));
	assert_int_equal(u8, 0x01);
	assert_true(tc_is_ok(tc_cursor_u16le(&c, &u16)));
	assert_int_equal(u16, 0x0302);
	assert_true(tc_is_ok(tc_cursor_u16be(&c, &u16)));
	assert_int_equal(u16, 0x0405);
	assert_true(tc_is_ok(tc_cursor_u24le(&c, &u32)));
	assert_int_equal(u32, 0x080706);
	assert_int_equal(tc_cursor_pos(&c), 8);
	assert_int_equal(tc_cursor_remaining(&c), 2);

	tc_cursor_init(&c, bytes, sizeof(bytes));
	assert_true(tc_is_ok(tc_cursor_u32le(&c, &u32)));
	assert_int_equal(u32, 0x04030201);
	assert_true(tc_is_ok(tc_cursor_u32be(&c, &u32)));
	assert_int_equal(u32, 0x05060708);

	tc_cursor_init(&c, bytes, sizeof(bytes));
	assert_true(tc_is_ok(tc_cursor_u64le(&c, &u64)));
	assert_true(u64 == UINT64_C(0x0807060504030201));
}

/* Each reader: succeeds with exactly its width left, fails with one byte less, and then leaves pos alone. */
static void test_exact_end_and_one_past(void **state)
{
	static const size_t widths[] = { 1, 2, 2, 3, 4, 4, 8 };

	for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++) {
		for (size_t have = widths[w] - 1; have <= widths[w]; have++) {
			struct tc_cursor c;
			struct tc_result r;
			uint8_t u8;
			uint16_t u16;
			uint32_t u32;
			uint64_t u64;

			tc_cursor_init(&c, bytes + sizeof(bytes) - have, have);
			switch (w) {
			case 0:
				r = tc_cursor_u8(&c, &u8);
				break;
			case 1:
				r = tc_cursor_u16le(&c, &u16);
				break;
			case 2:
				r = tc_cursor_u16be(&c, &u16);
				break;
			case 3:
				r = tc_cursor_u24le(&c, &u32);
				break;
			case 4:
				r = tc_cursor_u32le(&c, &u32);
				break;
			case 5:
				r = tc_cursor_u32be(&c, &u32);
				break;
			default:
				r = tc_cursor_u64le(&c, &u64);
				break;
			}
			if (have == widths[w]) {
				assert_int_equal(r.code, TC_OK);
				assert_int_equal(tc_cursor_remaining(&c), 0);
			} else {
				assert_int_equal(r.code, TC_ERR_TRUNCATED);
				assert_int_equal(tc_cursor_pos(&c), 0);
				assert_int_equal(tc_cursor_remaining(&c), have);
			}
		}
	}
}

static void test_copy_view_skip(void **state)
{
	struct tc_cursor c;
	uint8_t out[4] = { 0 };
	const uint8_t *view = NULL;

	tc_cursor_init(&c, bytes, sizeof(bytes));
	assert_true(tc_is_ok(tc_cursor_copy(&c, out, 4)));
	assert_memory_equal(out, bytes, 4);
	assert_true(tc_is_ok(tc_cursor_view(&c, 3, &view)));
	assert_ptr_equal(view, bytes + 4);
	assert_true(tc_is_ok(tc_cursor_skip(&c, 3)));
	assert_int_equal(tc_cursor_remaining(&c), 0);
	/* Zero-length reads at the end are fine; one byte is not. */
	assert_true(tc_is_ok(tc_cursor_copy(&c, out, 0)));
	assert_true(tc_is_ok(tc_cursor_skip(&c, 0)));
	assert_int_equal(tc_cursor_skip(&c, 1).code, TC_ERR_TRUNCATED);
	memset(out, 0xee, sizeof(out));
	assert_int_equal(tc_cursor_copy(&c, out, 1).code, TC_ERR_TRUNCATED);
	assert_int_equal(out[0], 0xee); /* not written on failure */
	view = NULL;
	assert_int_equal(tc_cursor_view(&c, 1, &view).code, TC_ERR_TRUNCATED);
	assert_null(view);
	assert_int_equal(tc_cursor_pos(&c), sizeof(bytes));
	assert_non_null(strstr(tc_error_detail(), "offset 10"));
}

static void test_overflow(void **state)
{
	struct tc_cursor c;
	const uint8_t *view;
	struct tc_cursor sub;

	tc_cursor_init(&c, bytes, sizeof(bytes));
	assert_true(tc_is_ok(tc_cursor_skip(&c, 3)));
	/* pos + n wraps around to a small number for these; they must still fail. */
	assert_int_equal(tc_cursor_skip(&c, SIZE_MAX).code, TC_ERR_TRUNCATED);
	assert_int_equal(tc_cursor_skip(&c, SIZE_MAX - 2).code, TC_ERR_TRUNCATED);
	assert_int_equal(tc_cursor_view(&c, SIZE_MAX - 1, &view).code, TC_ERR_TRUNCATED);
	assert_int_equal(tc_cursor_sub(&c, SIZE_MAX, &sub).code, TC_ERR_TRUNCATED);
	assert_int_equal(tc_cursor_pos(&c), 3);
	assert_true(tc_is_ok(tc_cursor_skip(&c, sizeof(bytes) - 3)));
}

static void test_sub_cursor(void **state)
{
	struct tc_cursor c, sub, subsub;
	uint32_t u32;
	uint16_t u16;
	uint8_t u8;

	tc_cursor_init(&c, bytes, sizeof(bytes));
	assert_true(tc_is_ok(tc_cursor_skip(&c, 1)));
	assert_true(tc_is_ok(tc_cursor_sub(&c, 4, &sub)));
	assert_int_equal(tc_cursor_pos(&c), 5);
	assert_int_equal(tc_cursor_pos(&sub), 0);
	assert_int_equal(tc_cursor_remaining(&sub), 4);
	/* The sub-cursor ends where its slice ends although the parent has more bytes. */
	assert_true(tc_is_ok(tc_cursor_u16le(&sub, &u16)));
	assert_int_equal(u16, 0x0302);
	assert_int_equal(tc_cursor_u32le(&sub, &u32).code, TC_ERR_TRUNCATED);
	assert_true(tc_is_ok(tc_cursor_sub(&sub, 2, &subsub)));
	assert_true(tc_is_ok(tc_cursor_u8(&subsub, &u8)));
	assert_int_equal(u8, 0x04);
	assert_true(tc_is_ok(tc_cursor_u8(&subsub, &u8)));
	assert_int_equal(tc_cursor_u8(&subsub, &u8).code, TC_ERR_TRUNCATED);
	assert_int_equal(tc_cursor_sub(&sub, 1, &subsub).code, TC_ERR_TRUNCATED);
	/* A sub-cursor larger than what is left fails and the parent stays put. */
	assert_int_equal(tc_cursor_sub(&c, 6, &sub).code, TC_ERR_TRUNCATED);
	assert_int_equal(tc_cursor_pos(&c), 5);
	assert_true(tc_is_ok(tc_cursor_sub(&c, 5, &sub)));
	assert_int_equal(tc_cursor_remaining(&c), 0);
	assert_true(tc_is_ok(tc_cursor_sub(&c, 0, &sub)));
	assert_int_equal(tc_cursor_remaining(&sub), 0);
}

static void test_empty(void **state)
{
	struct tc_cursor c;
	uint8_t u8;
	const uint8_t *view = (const uint8_t *)"x";

	tc_cursor_init(&c, NULL, 100); /* NULL data never claims a length */
	assert_int_equal(tc_cursor_remaining(&c), 0);
	assert_int_equal(tc_cursor_u8(&c, &u8).code, TC_ERR_TRUNCATED);
	assert_true(tc_is_ok(tc_cursor_view(&c, 0, &view)));
	assert_int_equal(tc_cursor_skip(&c, 1).code, TC_ERR_TRUNCATED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers),       cmocka_unit_test(test_exact_end_and_one_past),
		cmocka_unit_test(test_copy_view_skip), cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_sub_cursor),     cmocka_unit_test(test_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
