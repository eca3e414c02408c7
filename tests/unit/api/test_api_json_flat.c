/*
 * test_api_json_flat.c — the fast body scanner of api_json_flat.c gives exactly what tc_json_parse gives:
 * the same value for every document it accepts, the same error code for every one it refuses (it hands
 * what it does not cover to tc_json_parse), over hand-written edge cases and generated flat objects.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "api_internal.h"

static void same(const char *doc, size_t len)
{
	json_t *a = NULL, *b = NULL;
	struct tc_result ra = api_json_parse_flat(doc, len, 1 << 20, &a);
	struct tc_result rb = tc_json_parse(doc, len, 1 << 20, &b);

	if (ra.code != rb.code)
		fail_msg("%.*s: flat %s, full %s", (int)len, doc, tc_error_info(ra.code)->code,
			 tc_error_info(rb.code)->code);
	if (ra.code == TC_OK && !json_equal(a, b))
		fail_msg("%.*s: values differ", (int)len, doc);
	json_decref(a);
	json_decref(b);
}

static void same_str(const char *doc)
{
	same(doc, strlen(doc));
}

static void test_edge_cases(void **state)
{
	static const char *const docs[] = {
		"{}",
		" { } ",
		"{\"chain\": \"x\"}",
		"{\"a\":\"b\",\"c\":null}",
		"{\"a\": \"\\n\\t\\r\\b\\f\\/\\\\\\\"\"}",
		"{\"a\": \"\\u0041\"}",
		"{\"a\": \"\\u0000\"}",
		"{\"a\": \"\\x\"}",
		"{\"a\": \"caf\xc3\xa9\"}",
		"{\"a\": \"\xff\"}",
		"{\"a\": \"tab\there\"}",
		"{\"a\": 1}",
		"{\"a\": [1]}",
		"{\"a\": {\"b\": \"c\"}}",
		"{\"a\": true}",
		"{\"a\": nul}",
		"{\"a\": \"b\", \"a\": \"c\"}",
		"{\"a\": \"b\",}",
		"{\"a\" \"b\"}",
		"{\"a\": \"b\"} x",
		"{\"a\": \"b\"}}",
		"[\"a\"]",
		"\"a\"",
		"{\"a\": \"unterminated}",
		"{",
		"",
		"{\"\": \"empty key\"}",
		"{\"a\": \"b\"\n}\n",
		"{\"a\\u0062\": \"c\"}",
		"{\"a\": \"\\",
		"null",
		"{\"a\": \"b\", \"c\": \"d\", \"e\": \"f\", \"g\": \"h\", \"i\": \"j\", \"k\": \"l\", \"m\": \"n\", \"o\": "
		"\"p\", \"q\": \"r\", \"s\": \"t\", \"u\": \"v\", \"w\": \"x\", \"y\": \"z\", \"A\": \"B\", \"C\": \"D\", "
		"\"E\": \"F\", \"G\": \"H\"}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++)
		same_str(docs[i]);
	same("{\"a\": \"b\0c\"}", 12); /* a raw NUL byte inside a string */
}

/* Generated flat objects of printable strings with every simple escape, and each one cut short. */
static void test_generated(void **state)
{
	static const char *const pieces[] = {
		"-----BEGIN CERTIFICATE-----", "\\n", "MIIB", "\\/", "\\\"", "\\\\", " ", "\\t", "=="
	};
	char doc[4096];
	uint32_t x = 12345;

	(void)state;
	for (int round = 0; round < 300; round++) {
		size_t n = (size_t)snprintf(doc, sizeof(doc), "{\"chain\": \"");

		for (int k = 0; k < 40; k++) {
			x = x * 1103515245u + 12345u;
			n += (size_t)snprintf(doc + n, sizeof(doc) - n, "%s", pieces[(x >> 16) % 9]);
		}
		n += (size_t)snprintf(doc + n, sizeof(doc) - n, "\", \"nonce\": %s}", round % 2 ? "null" : "\"0a0b\"");
		same(doc, n);
		same(doc, n - 1 - (size_t)(round % 7)); /* truncated */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edge_cases),
		cmocka_unit_test(test_generated),
	};
	return cmocka_run_group_tests_name("api_json_flat", tests, NULL, NULL);
}
