/*
 * test_tc_encode.c — hex and base64/base64url: RFC 4648 §10 test vectors, round trips of random data, and
 * every rejection (odd length, bad characters, misplaced/missing padding, non-canonical final bits), with
 * the output buffer untouched on failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tc.h"

static void test_hex(void **state)
{
	static const uint8_t in[] = { 0x00, 0x01, 0xab, 0xcd, 0xef, 0xff };
	char out[13];
	struct tc_buf b = { 0 };
	uint8_t fixed[3];

	assert_true(tc_is_ok(tc_hex_encode(in, sizeof(in), out, sizeof(out))));
	assert_string_equal(out, "0001abcdefff");
	assert_int_equal(tc_hex_encode(in, sizeof(in), out, sizeof(out) - 1).code, TC_ERR_INVALID_ARGUMENT);
	assert_true(tc_is_ok(tc_hex_encode(NULL, 0, out, 1)));
	assert_string_equal(out, "");
	assert_true(tc_is_ok(tc_hex_encode_buf(in, sizeof(in), &b)));
	assert_string_equal((char *)b.data, "0001abcdefff");
	tc_buf_reset(&b);
	/* Upper and mixed case decode to the same bytes. */
	assert_true(tc_is_ok(tc_hex_decode("0001ABCDefFF", 12, &b)));
	assert_int_equal(b.len, sizeof(in));
	assert_memory_equal(b.data, in, sizeof(in));
	assert_true(tc_is_ok(tc_hex_decode_fixed("AbCdEf", 6, fixed, 3)));
	assert_memory_equal(fixed, in + 2, 3);
	assert_true(tc_is_ok(tc_hex_decode("", 0, &b)));
	assert_int_equal(b.len, sizeof(in));
	tc_buf_cleanup(&b);
}

static void test_hex_errors(void **state)
{
	static const char *bad[] = { "0", "abc", "0g", "g0", " 00", "00 ", "0x00", "+1", "zz", "\xc3\xa9" };
	struct tc_buf b = { 0 };
	uint8_t fixed[2] = { 0x55, 0x55 };

	assert_true(tc_is_ok(tc_buf_append_str(&b, "keep")));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(tc_hex_decode(bad[i], strlen(bad[i]), &b).code, TC_ERR_HEX_INVALID);
		assert_int_equal(b.len, 4);
	}
	/* A bad character late in the string still leaves nothing appended. */
	assert_int_equal(tc_hex_decode("00112233445566778x", 18, &b).code, TC_ERR_HEX_INVALID);
	assert_non_null(strstr(tc_error_detail(), "offset 17"));
	assert_string_equal((char *)b.data, "keep");
	/* Embedded NUL counts as a bad character, not as the end. */
	assert_int_equal(tc_hex_decode("00\0000", 4, &b).code, TC_ERR_HEX_INVALID);
	/* Fixed length: too short, too long, bad char — output untouched. */
	assert_int_equal(tc_hex_decode_fixed("0011", 4, fixed, 2).code, TC_OK);
	fixed[0] = 0x55;
	fixed[1] = 0x55;
	assert_int_equal(tc_hex_decode_fixed("00", 2, fixed, 2).code, TC_ERR_HEX_INVALID);
	assert_int_equal(tc_hex_decode_fixed("001122", 6, fixed, 2).code, TC_ERR_HEX_INVALID);
	assert_int_equal(tc_hex_decode_fixed("00x1", 4, fixed, 2).code, TC_ERR_HEX_INVALID);
	assert_int_equal(fixed[0], 0x55);
	assert_int_equal(fixed[1], 0x55);
	assert_int_equal(tc_hex_decode(NULL, 2, &b).code, TC_ERR_INVALID_ARGUMENT);
	tc_buf_cleanup(&b);
}

/* RFC 4648 §10. */
static const struct {
	const char *plain, *b64, *b64url;
} vectors[] = {
	{ "", "", "" },
	{ "f", "Zg==", "Zg" },
	{ "fo", "Zm8=", "Zm8" },
	{ "foo", "Zm9v", "Zm9v" },
	{ "foob", "Zm9vYg==", "Zm9vYg" },
	{ "fooba", "Zm9vYmE=", "Zm9vYmE" },
	{ "foobar", "Zm9vYmFy", "Zm9vYmFy" },
};

static void test_base64_vectors(void **state)
{
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		struct tc_buf b = { 0 };
		size_t n = strlen(vectors[i].plain);

		assert_true(tc_is_ok(tc_base64_encode(vectors[i].plain, n, &b)));
		assert_string_equal((char *)b.data, vectors[i].b64);
		tc_buf_reset(&b);
		assert_true(tc_is_ok(tc_base64_decode(vectors[i].b64, strlen(vectors[i].b64), &b)));
		assert_int_equal(b.len, n);
		assert_memory_equal(b.data, vectors[i].plain, n);
		tc_buf_reset(&b);
		assert_true(tc_is_ok(tc_base64url_encode(vectors[i].plain, n, &b)));
		assert_string_equal((char *)b.data, vectors[i].b64url);
		tc_buf_reset(&b);
		assert_true(tc_is_ok(tc_base64url_decode(vectors[i].b64url, strlen(vectors[i].b64url), &b)));
		assert_int_equal(b.len, n);
		assert_memory_equal(b.data, vectors[i].plain, n);
		tc_buf_cleanup(&b);
	}
}

/* The two alphabets differ only in 62/63: bytes 0xfb 0xff 0xbf encode to "+/+/" vs "-_-_". */
static void test_alphabets(void **state)
{
	static const uint8_t in[] = { 0xfb, 0xef, 0xbe, 0xfb, 0xef, 0xbe };
	struct tc_buf b = { 0 };

	assert_true(tc_is_ok(tc_base64_encode(in, sizeof(in), &b)));
	assert_string_equal((char *)b.data, "++++++++");
	tc_buf_reset(&b);
	assert_true(tc_is_ok(tc_base64url_encode(in, sizeof(in), &b)));
	assert_string_equal((char *)b.data, "--------");
	tc_buf_reset(&b);
	assert_true(tc_is_ok(tc_base64_decode("//8=", 4, &b)));
	assert_int_equal(b.len, 2);
	assert_int_equal(b.data[0], 0xff);
	tc_buf_reset(&b);
	assert_true(tc_is_ok(tc_base64url_decode("__8", 3, &b)));
	assert_int_equal(b.data[1], 0xff);
	tc_buf_reset(&b);
	assert_int_equal(tc_base64_decode("__8=", 4, &b).code, TC_ERR_BASE64_INVALID);
	assert_int_equal(tc_base64url_decode("//8", 3, &b).code, TC_ERR_BASE64_INVALID);
	tc_buf_cleanup(&b);
}

static void test_base64_errors(void **state)
{
	static const char *bad[] = {
		"Zg",       /* padding required */
		"Zg=",      /* length not a multiple of 4 */
		"Zg===",    /* length 5 */
		"Z===",     /* three pads */
		"====",     /* only padding */
		"Zg==Zm8=", /* padding in the middle */
		"Z=g=",     /* padding inside the last group */
		"Zh==",     /* non-zero unused bits (not canonical, RFC 4648 §3.5) */
		"Zm9=",     /* same with one pad */
		"Zm 9",     /* whitespace */
		"Zm9v\n",   /* trailing newline */
		"Zm9*",     /* bad character */
		"Zm9\x80",  /* high byte */
	};
	struct tc_buf b = { 0 };

	assert_true(tc_is_ok(tc_buf_append_str(&b, "keep")));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(tc_base64_decode(bad[i], strlen(bad[i]), &b).code, TC_ERR_BASE64_INVALID);
		assert_string_equal((char *)b.data, "keep");
	}
	assert_int_equal(tc_base64_decode("Zm\0v", 4, &b).code, TC_ERR_BASE64_INVALID);
	assert_int_equal(tc_base64_decode(NULL, 4, &b).code, TC_ERR_INVALID_ARGUMENT);
	assert_int_equal(b.len, 4);
	tc_buf_cleanup(&b);
}

static void test_base64url_errors(void **state)
{
	static const char *bad[] = { "Z", "Zm9vY", "Zg==", "Zm8=", "Zh", "Zm9", "Zm+v", "Zm/v", "Zm9v " };
	struct tc_buf b = { 0 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(tc_base64url_decode(bad[i], strlen(bad[i]), &b).code, TC_ERR_BASE64_INVALID);
		assert_int_equal(b.len, 0);
	}
	tc_buf_cleanup(&b);
}

/* Random data of every length 0..200 round-trips through all three encodings. */
static void test_round_trip(void **state)
{
	uint8_t data[200];

	assert_true(tc_is_ok(tc_random_bytes(data, sizeof(data))));
	for (size_t n = 0; n <= sizeof(data); n++) {
		struct tc_buf enc = { 0 }, dec = { 0 };

		assert_true(tc_is_ok(tc_hex_encode_buf(data, n, &enc)));
		assert_int_equal(enc.len, 2 * n);
		assert_true(tc_is_ok(tc_hex_decode((char *)enc.data, enc.len, &dec)));
		assert_int_equal(dec.len, n);
		assert_true(n == 0 || memcmp(dec.data, data, n) == 0);
		tc_buf_reset(&enc);
		tc_buf_reset(&dec);
		assert_true(tc_is_ok(tc_base64_encode(data, n, &enc)));
		assert_int_equal(enc.len, (n + 2) / 3 * 4);
		assert_true(tc_is_ok(tc_base64_decode((char *)enc.data, enc.len, &dec)));
		assert_int_equal(dec.len, n);
		assert_true(n == 0 || memcmp(dec.data, data, n) == 0);
		tc_buf_reset(&enc);
		tc_buf_reset(&dec);
		assert_true(tc_is_ok(tc_base64url_encode(data, n, &enc)));
		assert_null(memchr(enc.data, '=', enc.len));
		assert_true(tc_is_ok(tc_base64url_decode((char *)enc.data, enc.len, &dec)));
		assert_int_equal(dec.len, n);
		assert_true(n == 0 || memcmp(dec.data, data, n) == 0);
		tc_buf_cleanup(&enc);
		tc_buf_cleanup(&dec);
	}
}

static void test_limit(void **state)
{
	struct tc_buf b;

	tc_buf_init(&b, 5);
	assert_int_equal(tc_base64_encode("abcd", 4, &b).code, TC_ERR_TOO_LARGE);
	assert_int_equal(tc_hex_encode_buf("abc", 3, &b).code, TC_ERR_TOO_LARGE);
	assert_int_equal(b.len, 0);
	tc_buf_cleanup(&b);
}

/* RFC 7468: 64-column lines, BEGIN/END labels; 48 bytes are exactly one line, 49 start a second. */
static void test_pem(void **state)
{
	uint8_t der[49];
	struct tc_buf b;

	(void)state;
	for (size_t i = 0; i < sizeof(der); i++)
		der[i] = (uint8_t)(i * 7);
	tc_buf_init(&b, 4096);
	assert_true(tc_is_ok(tc_pem_encode("CERTIFICATE", der, 48, &b)));
	assert_int_equal(b.len, strlen("-----BEGIN CERTIFICATE-----\n") + 65 + strlen("-----END CERTIFICATE-----\n"));
	assert_memory_equal(b.data, "-----BEGIN CERTIFICATE-----\nAAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK", 62);
	assert_int_equal(b.data[strlen("-----BEGIN CERTIFICATE-----\n") + 64], '\n');
	tc_buf_reset(&b);
	assert_true(tc_is_ok(tc_pem_encode("X", der, 49, &b)));
	assert_memory_equal(b.data + b.len - strlen("\nUA==\n-----END X-----\n"), "\nUA==\n-----END X-----\n",
			    strlen("\nUA==\n-----END X-----\n"));
	tc_buf_reset(&b);
	assert_true(tc_is_ok(tc_pem_encode("X", NULL, 0, &b)));
	assert_string_equal((const char *)b.data, "-----BEGIN X-----\n-----END X-----\n");
	tc_buf_cleanup(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_pem),
		cmocka_unit_test(test_hex_errors),
		cmocka_unit_test(test_base64_vectors),
		cmocka_unit_test(test_alphabets),
		cmocka_unit_test(test_base64_errors),
		cmocka_unit_test(test_base64url_errors),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
