/*
 * test_chain_rlp.c — RLP against ../shared/vectors/rlp.json: every case and extra case is encoded from its
 * description and compared byte for byte, then decoded and compared back; every invalid case is rejected.
 * Negative tests beyond the file: every truncation of every valid encoding, trailing bytes, non-canonical
 * items nested inside lists, nesting depth, length overflow, and the typed integer readers' strictness.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chain_test_util.h"

/* Byte string described by a non-array "in" value; *IS_INT set for integers that fit in 256 bits. */
static uint8_t *leaf_bytes(const json_t *in, size_t *len, bool *is_int, struct chain_u256 *u)
{
	*is_int = false;
	if (json_object_get(in, "ascii")) {
		const char *s = ct_str(in, "ascii");
		uint8_t *p = malloc(strlen(s) + 1);

		assert_non_null(p);
		*len = strlen(s);
		memcpy(p, s, *len);
		return p;
	}
	if (json_object_get(in, "bigint")) {
		const char *d = ct_str(in, "bigint");

		*is_int = tc_is_ok(chain_u256_from_dec(d, strlen(d), u));
		return ct_hex(ct_str(in, "be_hex"), len);
	}
	return ct_hex(ct_str(in, "hex"), len);
}

static void encode(const json_t *in, struct tc_buf *out)
{
	if (json_is_array(in)) {
		size_t mark, i;
		json_t *item;

		assert_true(tc_is_ok(chain_rlp_list_begin(out, &mark)));
		json_array_foreach(in, i, item)
			encode(item, out);
		assert_true(tc_is_ok(chain_rlp_list_end(out, mark)));
	} else {
		size_t len;
		bool is_int;
		struct chain_u256 u;
		uint8_t *p = leaf_bytes(in, &len, &is_int, &u);

		/* Integers go through the integer encoder, which must pick the minimal bytes itself. */
		if (is_int)
			assert_true(tc_is_ok(chain_rlp_put_u256(out, &u)));
		else
			assert_true(tc_is_ok(chain_rlp_put_bytes(out, p, len)));
		free(p);
	}
}

/* Compare the next item of C with IN. */
static void compare(struct tc_cursor *c, const json_t *in)
{
	if (json_is_array(in)) {
		struct chain_rlp_item item;
		struct tc_cursor sub;
		size_t i;
		json_t *x;

		assert_true(tc_is_ok(chain_rlp_next(c, &item)));
		assert_true(tc_is_ok(chain_rlp_enter(&item, &sub)));
		json_array_foreach(in, i, x)
			compare(&sub, x);
		assert_int_equal(tc_cursor_remaining(&sub), 0);
	} else {
		size_t len, got_len;
		bool is_int;
		struct chain_u256 u, got;
		const uint8_t *p;
		uint8_t *want = leaf_bytes(in, &len, &is_int, &u);
		struct tc_cursor t = *c;

		if (is_int) {
			assert_true(tc_is_ok(chain_rlp_get_u256(&t, &got)));
			assert_memory_equal(got.be, u.be, CHAIN_U256_LEN);
		}
		assert_true(tc_is_ok(chain_rlp_get_bytes(c, &p, &got_len)));
		assert_int_equal(got_len, len);
		if (len > 0)
			assert_memory_equal(p, want, len);
		free(want);
	}
}

static size_t run_valid(const json_t *cases)
{
	size_t i, n = 0;
	json_t *v;

	json_array_foreach(cases, i, v) {
		struct tc_buf b;
		struct tc_cursor c;
		struct chain_rlp_item item;
		size_t len;
		uint8_t *out = ct_hex(ct_str(v, "out"), &len);

		tc_buf_init(&b, 0);
		encode(json_object_get(v, "in"), &b);
		ct_assert_hex(b.data, b.len, ct_str(v, "out"));
		assert_true(tc_is_ok(chain_rlp_decode(out, len, &item)));
		tc_cursor_init(&c, out, len);
		compare(&c, json_object_get(v, "in"));
		assert_int_equal(tc_cursor_remaining(&c), 0);
		/* Every truncation fails, and so does one trailing byte. */
		for (size_t cut = 0; cut < len; cut++)
			assert_false(tc_is_ok(chain_rlp_decode(out, cut, &item)));
		assert_true(tc_is_ok(tc_buf_append_u8(&b, 0x00)));
		assert_false(tc_is_ok(chain_rlp_decode(b.data, b.len, &item)));
		tc_buf_cleanup(&b);
		free(out);
		n++;
	}
	return n;
}

static void test_cases(void **state)
{
	json_t *doc = ct_load_vectors("rlp.json");
	size_t n = run_valid(json_object_get(doc, "cases"));
	size_t x = run_valid(json_object_get(doc, "extra_cases"));

	assert_int_equal(n, 29);
	assert_int_equal(x, 13);
	print_message("rlp: %zu cases + %zu extra cases passed\n", n, x);
	json_decref(doc);
}

static void test_invalid_cases(void **state)
{
	json_t *doc = ct_load_vectors("rlp.json");
	json_t *cases = json_object_get(doc, "invalid_cases"), *v;
	size_t i, n = 0;

	json_array_foreach(cases, i, v) {
		struct chain_rlp_item item;
		size_t len;
		uint8_t *in = ct_hex(ct_str(v, "rlp"), &len);

		if (tc_is_ok(chain_rlp_decode(in, len, &item)))
			fail_msg("invalid case %s was accepted", ct_str(v, "name"));
		free(in);
		n++;
	}
	assert_int_equal(n, 17);
	print_message("rlp: %zu invalid cases rejected\n", n);
	json_decref(doc);
}

static bool decodes(const char *hex)
{
	struct chain_rlp_item item;
	size_t len;
	uint8_t *in = ct_hex(hex, &len);
	bool ok = tc_is_ok(chain_rlp_decode(in, len, &item));

	free(in);
	return ok;
}

static void test_negative(void **state)
{
	/* Empty input, non-canonical items inside lists, long lengths that overflow or run past the end. */
	assert_false(decodes(""));
	assert_false(decodes("c28100"));
	assert_false(decodes("c3c28100"));
	assert_false(decodes("c3b80100"));
	assert_false(decodes("bfffffffffffffffff00"));
	assert_false(decodes("ffffffffffffffffff00"));
	assert_false(decodes("b90000"));
	assert_false(decodes("c1"));
	assert_false(decodes("c280"));
	/* A list whose payload ends inside an item. */
	assert_false(decodes("c282"));
	assert_false(decodes("c38261"));
	assert_true(decodes("c0"));
	assert_true(decodes("8180"));
	assert_true(decodes("00"));
}

/* N nested empty lists [[[...]]] built with the encoder. */
static bool nested_decodes(size_t n)
{
	struct tc_buf b;
	struct chain_rlp_item item;
	size_t marks[128];
	bool ok;

	assert_true(n <= 128);
	tc_buf_init(&b, 0);
	for (size_t i = 0; i < n; i++)
		assert_true(tc_is_ok(chain_rlp_list_begin(&b, &marks[i])));
	for (size_t i = n; i-- > 0;)
		assert_true(tc_is_ok(chain_rlp_list_end(&b, marks[i])));
	ok = tc_is_ok(chain_rlp_decode(b.data, b.len, &item));
	tc_buf_cleanup(&b);
	return ok;
}

static void test_depth(void **state)
{
	/* The outermost list is depth 0: CHAIN_RLP_MAX_DEPTH + 1 lists are the deepest accepted. */
	assert_true(nested_decodes(1));
	assert_true(nested_decodes(20));
	assert_true(nested_decodes(CHAIN_RLP_MAX_DEPTH + 1));
	assert_false(nested_decodes(CHAIN_RLP_MAX_DEPTH + 2));
	assert_false(nested_decodes(100));
}

static void test_typed_readers(void **state)
{
	struct tc_cursor c;
	uint64_t v;
	struct chain_u256 u;
	uint8_t fixed[2];
	/* [0x0001, 0x00, 9-byte int, 0, 0x7f, [], 0x1234] */
	static const uint8_t list[] = { 0x82, 0x00, 0x01, 0x00, 0x89, 1,    2,    3,    4,    5,
					6,    7,    8,    9,    0x80, 0x7f, 0xc0, 0x82, 0x12, 0x34 };

	tc_cursor_init(&c, list, sizeof(list));
	assert_false(tc_is_ok(chain_rlp_get_u64(&c, &v))); /* leading zero */
	assert_int_equal(tc_cursor_pos(&c), 0);            /* unchanged on failure */
	assert_false(tc_is_ok(chain_rlp_get_u256(&c, &u)));
	assert_true(tc_is_ok(tc_cursor_skip(&c, 3)));
	assert_false(tc_is_ok(chain_rlp_get_u64(&c, &v))); /* 0x00 is not the integer 0 */
	assert_true(tc_is_ok(tc_cursor_skip(&c, 1)));
	assert_false(tc_is_ok(chain_rlp_get_u64(&c, &v))); /* 9 bytes */
	assert_true(tc_is_ok(chain_rlp_get_u256(&c, &u)));
	assert_true(tc_is_ok(chain_rlp_get_u64(&c, &v)));
	assert_true(v == 0);
	assert_true(tc_is_ok(chain_rlp_get_u64(&c, &v)));
	assert_true(v == 0x7f);
	assert_false(tc_is_ok(chain_rlp_get_u64(&c, &v))); /* a list */
	assert_false(tc_is_ok(chain_rlp_get_fixed(&c, fixed, 2)));
	assert_true(tc_is_ok(tc_cursor_skip(&c, 1)));
	assert_false(tc_is_ok(chain_rlp_get_fixed(&c, fixed, 3)));
	assert_true(tc_is_ok(chain_rlp_get_fixed(&c, fixed, 2)));
	assert_int_equal(fixed[0], 0x12);
	assert_int_equal(tc_cursor_remaining(&c), 0);
	assert_false(tc_is_ok(chain_rlp_get_u64(&c, &v)));
}

static void test_encoder_edges(void **state)
{
	struct tc_buf b;
	size_t outer, inner;
	uint8_t big[1024];

	tc_buf_init(&b, 0);
	assert_true(tc_is_ok(chain_rlp_put_u64(&b, 0)));
	assert_true(tc_is_ok(chain_rlp_put_u64(&b, 0x7f)));
	assert_true(tc_is_ok(chain_rlp_put_u64(&b, 0x80)));
	assert_true(tc_is_ok(chain_rlp_put_u64(&b, UINT64_MAX)));
	ct_assert_hex(b.data, b.len, "807f818088ffffffffffffffff");
	tc_buf_reset(&b);
	/* Nested lists whose headers grow to the long form when closed. */
	memset(big, 0xab, sizeof(big));
	assert_true(tc_is_ok(chain_rlp_list_begin(&b, &outer)));
	assert_true(tc_is_ok(chain_rlp_list_begin(&b, &inner)));
	assert_true(tc_is_ok(chain_rlp_put_bytes(&b, big, sizeof(big))));
	assert_true(tc_is_ok(chain_rlp_list_end(&b, inner)));
	assert_true(tc_is_ok(chain_rlp_list_end(&b, outer)));
	assert_int_equal(b.len, 3 + 3 + 3 + sizeof(big));
	ct_assert_hex(b.data, 9, "f90406f90403b90400");
	tc_buf_cleanup(&b);
	/* A full buffer fails and keeps what it had. */
	tc_buf_init(&b, 4);
	assert_false(tc_is_ok(chain_rlp_put_bytes(&b, big, 10)));
	assert_int_equal(b.len, 0);
	tc_buf_cleanup(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),         cmocka_unit_test(test_invalid_cases),
		cmocka_unit_test(test_negative),      cmocka_unit_test(test_depth),
		cmocka_unit_test(test_typed_readers), cmocka_unit_test(test_encoder_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
