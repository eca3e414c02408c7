/*
 * chain_test_util.c — see chain_test_util.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chain_test_util.h"

#define CT_PATH_MAX 4096

json_t *ct_load_vectors(const char *name)
{
	const char *shared = getenv("TEECERT_SHARED");
	char path[CT_PATH_MAX];
	json_error_t err;
	json_t *j;

	assert_non_null(shared);
	snprintf(path, sizeof(path), "%s/vectors/%s", shared, name);
	j = json_load_file(path, 0, &err);
	if (j == NULL)
		fail_msg("cannot load %s: %s (line %d)", path, err.text, err.line);
	return j;
}

json_t *ct_load_source_json(const char *rel)
{
	const char *src = getenv("TEECERT_SOURCE_DIR");
	char path[CT_PATH_MAX];
	json_error_t err;

	if (src == NULL)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", src, rel);
	return json_load_file(path, 0, &err);
}

uint8_t *ct_hex(const char *hex, size_t *len)
{
	struct tc_buf b;
	uint8_t *out;

	if (hex[0] == '0' && hex[1] == 'x')
		hex += 2;
	tc_buf_init(&b, 0);
	if (!tc_is_ok(tc_hex_decode(hex, strlen(hex), &b)))
		fail_msg("bad hex in a vector: %.40s", hex);
	*len = b.len;
	out = malloc(b.len + 1);
	assert_non_null(out);
	if (b.len > 0)
		memcpy(out, b.data, b.len);
	tc_buf_cleanup(&b);
	return out;
}

void ct_hex_fixed(const char *hex, void *out, size_t n)
{
	size_t len;
	uint8_t *p = ct_hex(hex, &len);

	assert_int_equal(len, n);
	memcpy(out, p, n);
	free(p);
}

const char *ct_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	if (s == NULL)
		fail_msg("vector lacks string field %s", key);
	return s;
}

void ct_assert_hex(const uint8_t *buf, size_t len, const char *hex)
{
	char *got = malloc(2 * len + 1);

	assert_non_null(got);
	assert_true(tc_is_ok(tc_hex_encode(buf, len, got, 2 * len + 1)));
	if (hex[0] == '0' && hex[1] == 'x')
		hex += 2;
	if (strcmp(got, hex) != 0) {
		fprintf(stderr, "expected %s\n     got %s\n", hex, got);
		free(got);
		fail();
	}
	free(got);
}

void ct_u256(const json_t *obj, const char *key, struct chain_u256 *out)
{
	const char *s = ct_str(obj, key);

	assert_true(tc_is_ok(chain_u256_from_dec(s, strlen(s), out)));
}

uint64_t ct_u64(const json_t *obj, const char *key)
{
	struct chain_u256 u;
	uint64_t v;

	ct_u256(obj, key, &u);
	assert_true(tc_is_ok(chain_u256_to_u64(&u, &v)));
	return v;
}
