/*
 * test_tc_errors.c — the error table (unique snake_case codes, HTTP statuses in 400..599, hints, reverse
 * lookup) and the per-thread failure detail, including draining OpenSSL's error queue.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <pthread.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "tc.h"

static void test_table(void **state)
{
	const struct tc_error_info *ok = tc_error_info(TC_OK);

	assert_string_equal(ok->code, "ok");
	for (int i = 1; i < TC_ERR__COUNT; i++) {
		const struct tc_error_info *e = tc_error_info((enum tc_code)i);

		assert_non_null(e->code);
		assert_true(strlen(e->code) > 0);
		assert_true(strspn(e->code, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(e->code));
		assert_true(e->http_status >= 400 && e->http_status <= 599);
		assert_non_null(e->hint);
		assert_true(strlen(e->hint) > 0);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(e->code, tc_error_info((enum tc_code)j)->code);
	}
	/* Out of range maps to the internal error row, never NULL. */
	assert_ptr_equal(tc_error_info(TC_ERR__COUNT), tc_error_info(TC_ERR_INTERNAL));
	assert_ptr_equal(tc_error_info((enum tc_code) - 1), tc_error_info(TC_ERR_INTERNAL));
	assert_string_equal(tc_error_info(TC_ERR_INTERNAL)->code, "internal_error");
	assert_int_equal(tc_error_info(TC_ERR_NOT_FOUND)->http_status, 404);
}

static void test_reverse_lookup(void **state)
{
	enum tc_code c = TC_ERR_INTERNAL;

	for (int i = 0; i < TC_ERR__COUNT; i++) {
		assert_true(tc_error_from_string(tc_error_info((enum tc_code)i)->code, &c));
		assert_int_equal(c, i);
	}
	c = TC_ERR_IO;
	assert_false(tc_error_from_string("no_such_code", &c));
	assert_false(tc_error_from_string("", &c));
	assert_false(tc_error_from_string("TRUNCATED", &c));
	assert_false(tc_error_from_string(NULL, &c));
	assert_int_equal(c, TC_ERR_IO);
}

static struct tc_result fails_with(int n)
{
	return tc_fail(TC_ERR_INVALID_ARGUMENT, "value %d is bad", n);
}

static struct tc_result guarded(int n)
{
	TC_GUARD(fails_with(n));
	return tc_ok();
}

static void test_detail(void **state)
{
	char big[TC_DETAIL_MAX * 2];
	struct tc_result r = guarded(7);

	assert_int_equal(r.code, TC_ERR_INVALID_ARGUMENT);
	assert_string_equal(tc_error_detail(), "value 7 is bad");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	r = tc_fail(TC_ERR_IO, "%s", big);
	assert_int_equal(r.code, TC_ERR_IO);
	assert_int_equal(strlen(tc_error_detail()), TC_DETAIL_MAX - 1);
	/* Wrapping the previous detail in a new one is safe. */
	r = tc_fail(TC_ERR_IO, "inner %d", 1);
	r = tc_fail(TC_ERR_JSON_FIELD_INVALID, "outer: %s", tc_error_detail());
	assert_string_equal(tc_error_detail(), "outer: inner 1");
	r = tc_fail_openssl(TC_ERR_CRYPTO, tc_error_detail());
	assert_string_equal(tc_error_detail(), "outer: inner 1");
	/* A failure is never "ok". */
	assert_int_equal(tc_fail(TC_OK, "oops").code, TC_ERR_INTERNAL);
}

static void *thread_fail(void *arg)
{
	struct tc_result r = tc_fail(TC_ERR_IO, "from the thread");

	(void)r;
	return (void *)(uintptr_t)(strcmp(tc_error_detail(), "from the thread") == 0);
}

static void test_detail_per_thread(void **state)
{
	pthread_t th;
	void *ok = NULL;
	struct tc_result r = tc_fail(TC_ERR_IO, "from main");

	(void)r;
	assert_int_equal(pthread_create(&th, NULL, thread_fail, NULL), 0);
	assert_int_equal(pthread_join(th, &ok), 0);
	assert_true(ok != NULL);
	assert_string_equal(tc_error_detail(), "from main");
}

static void test_openssl(void **state)
{
	static const unsigned char garbage[] = { 0x30, 0x03, 0x02, 0x01 };
	const unsigned char *p = garbage;
	X509 *x;
	struct tc_result r;

	tc_openssl_clear();
	x = d2i_X509(NULL, &p, sizeof(garbage));
	assert_null(x);
	assert_true(ERR_peek_error() != 0);
	r = tc_fail_openssl(TC_ERR_CRYPTO, "parsing the certificate");
	assert_int_equal(r.code, TC_ERR_CRYPTO);
	assert_int_equal(ERR_peek_error(), 0); /* drained */
	assert_non_null(strstr(tc_error_detail(), "parsing the certificate: "));
	assert_non_null(strstr(tc_error_detail(), "asn1"));

	/* With an empty queue only the description remains. */
	r = tc_fail_openssl(TC_ERR_CRYPTO, "nothing queued");
	assert_string_equal(tc_error_detail(), "nothing queued");

	p = garbage;
	assert_null(d2i_X509(NULL, &p, sizeof(garbage)));
	assert_true(tc_openssl_clear() > 0);
	assert_int_equal(ERR_peek_error(), 0);
	assert_int_equal(tc_openssl_clear(), 0);

	/* A queue much longer than the detail still drains completely. */
	for (int i = 0; i < 200; i++)
		ERR_raise_data(ERR_LIB_EVP, EVP_R_BAD_DECRYPT, "entry %d with some data", i);
	r = tc_fail_openssl(TC_ERR_CRYPTO, "many");
	assert_int_equal(ERR_peek_error(), 0);
	assert_true(strlen(tc_error_detail()) < TC_DETAIL_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),   cmocka_unit_test(test_reverse_lookup),
		cmocka_unit_test(test_detail),  cmocka_unit_test(test_detail_per_thread),
		cmocka_unit_test(test_openssl),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
