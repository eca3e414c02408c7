/*
 * test_chain_keccak.c — Keccak-256 against every vector of ../shared/vectors/keccak256.json, one-shot and
 * fed in uneven pieces across the 136-byte block boundary, and the SHA3-256 contrast (0x06 padding must
 * not come out).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chain_test_util.h"

static uint8_t *vector_input(const json_t *v, size_t *len)
{
	json_t *rep = json_object_get(v, "input_repeat");
	uint8_t *p;

	if (json_object_get(v, "input_ascii")) {
		const char *s = ct_str(v, "input_ascii");

		*len = strlen(s);
		p = malloc(*len + 1);
		assert_non_null(p);
		memcpy(p, s, *len);
		return p;
	}
	if (json_object_get(v, "input_hex"))
		return ct_hex(ct_str(v, "input_hex"), len);
	assert_non_null(rep);
	{
		uint8_t byte;

		ct_hex_fixed(ct_str(rep, "byte_hex"), &byte, 1);
		*len = (size_t)json_integer_value(json_object_get(rep, "count"));
		p = malloc(*len + 1);
		assert_non_null(p);
		memset(p, byte, *len);
	}
	return p;
}

static void test_vectors(void **state)
{
	json_t *doc = ct_load_vectors("keccak256.json");
	json_t *vecs = json_object_get(doc, "vectors"), *v;
	size_t i, n = 0;

	json_array_foreach(vecs, i, v) {
		size_t len;
		uint8_t *in = vector_input(v, &len);
		uint8_t out[CHAIN_KECCAK256_LEN];
		struct chain_keccak k;
		static const size_t steps[] = { 1, 7, 135, 136, 137, 1000 };

		assert_int_equal(len, (size_t)json_integer_value(json_object_get(v, "input_length")));
		chain_keccak256(in, len, out);
		ct_assert_hex(out, sizeof(out), ct_str(v, "keccak256"));
		/* The same digest when fed in pieces of each size. */
		for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
			chain_keccak_init(&k);
			for (size_t off = 0; off < len; off += steps[s])
				chain_keccak_update(&k, in + off, len - off < steps[s] ? len - off : steps[s]);
			chain_keccak_final(&k, out);
			ct_assert_hex(out, sizeof(out), ct_str(v, "keccak256"));
		}
		free(in);
		n++;
	}
	assert_int_equal(n, 17);
	print_message("keccak256: %zu vectors passed\n", n);
	json_decref(doc);
}

static void test_not_sha3(void **state)
{
	json_t *doc = ct_load_vectors("keccak256.json");
	json_t *c = json_object_get(doc, "sha3_256_contrast");
	uint8_t out[CHAIN_KECCAK256_LEN], sha3[CHAIN_KECCAK256_LEN];

	chain_keccak256("", 0, out);
	ct_hex_fixed(ct_str(c, "sha3_256"), sha3, sizeof(sha3));
	assert_memory_not_equal(out, sha3, sizeof(out));
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_not_sha3),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
