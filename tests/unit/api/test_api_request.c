/*
 * test_api_request.c — request id rules (accept [A-Za-z0-9._-]{1,64}, otherwise generate 16 random bytes
 * in hex) and the HOST:PORT parser of `serve --listen`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "api_internal.h"

static void test_id_valid(void **state)
{
	char longest[API_REQUEST_ID_MAX + 1];
	char too_long[API_REQUEST_ID_MAX + 2];

	(void)state;
	memset(longest, 'a', API_REQUEST_ID_MAX);
	longest[API_REQUEST_ID_MAX] = '\0';
	memset(too_long, 'b', API_REQUEST_ID_MAX + 1);
	too_long[API_REQUEST_ID_MAX + 1] = '\0';

	assert_true(api_request_id_valid("a"));
	assert_true(api_request_id_valid("req-2024.01_AZaz09"));
	assert_true(api_request_id_valid(longest));
	assert_false(api_request_id_valid(too_long));
	assert_false(api_request_id_valid(NULL));
	assert_false(api_request_id_valid(""));
	assert_false(api_request_id_valid("has space"));
	assert_false(api_request_id_valid("quote\"inside"));
	assert_false(api_request_id_valid("new\nline"));
	assert_false(api_request_id_valid("slash/"));
	assert_false(api_request_id_valid("caf\xc3\xa9"));
	assert_false(api_request_id_valid("{json}"));
}

static bool is_hex32(const char *s)
{
	if (strlen(s) != 2 * API_REQUEST_ID_RANDOM_BYTES)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

static void test_id_pick(void **state)
{
	char a[API_REQUEST_ID_MAX + 1];
	char b[API_REQUEST_ID_MAX + 1];
	char too_long[API_REQUEST_ID_MAX + 2];

	(void)state;
	assert_int_equal(api_request_id_pick("client-id.1", a).code, TC_OK);
	assert_string_equal(a, "client-id.1");

	assert_int_equal(api_request_id_pick(NULL, a).code, TC_OK);
	assert_true(is_hex32(a));
	assert_int_equal(api_request_id_pick("bad id", b).code, TC_OK);
	assert_true(is_hex32(b));
	assert_string_not_equal(a, b);

	memset(too_long, 'x', API_REQUEST_ID_MAX + 1);
	too_long[API_REQUEST_ID_MAX + 1] = '\0';
	assert_int_equal(api_request_id_pick(too_long, a).code, TC_OK);
	assert_true(is_hex32(a));
}

static void test_listen_parse(void **state)
{
	char host[API_HOST_MAX];
	char tiny[4];
	uint16_t port = 1;

	(void)state;
	assert_int_equal(api_listen_parse("127.0.0.1:0", host, sizeof(host), &port).code, TC_OK);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 0);
	assert_int_equal(api_listen_parse("localhost:8443", host, sizeof(host), &port).code, TC_OK);
	assert_string_equal(host, "localhost");
	assert_int_equal(port, 8443);
	assert_int_equal(api_listen_parse("[::1]:65535", host, sizeof(host), &port).code, TC_OK);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 65535);

	static const char *const bad[] = { "",           "127.0.0.1", ":80",      "host:",
					   "host:65536", "host:-1",   "host:80x", "::1:80",
					   "[::1]80",    "[::1]:",    "[]:80",    "host:99999999999999999999" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(api_listen_parse(bad[i], host, sizeof(host), &port).code, TC_ERR_INVALID_ARGUMENT);
	assert_int_equal(api_listen_parse(NULL, host, sizeof(host), &port).code, TC_ERR_INVALID_ARGUMENT);
	assert_int_equal(api_listen_parse("longhost:80", tiny, sizeof(tiny), &port).code, TC_ERR_INVALID_ARGUMENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_valid),
		cmocka_unit_test(test_id_pick),
		cmocka_unit_test(test_listen_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
