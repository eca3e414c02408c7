/*
 * test_tc_buf.c — growable buffer (limits keep the old content, NUL termination, steal/reset/cleanup) and
 * the file helpers built on it (size limits, atomic write, permissions, missing files).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tc.h"

static void test_append_and_nul(void **state)
{
	struct tc_buf b;

	tc_buf_init(&b, 0);
	assert_true(tc_is_ok(tc_buf_append_str(&b, "")));
	assert_non_null(b.data);
	assert_string_equal((char *)b.data, "");
	assert_true(tc_is_ok(tc_buf_append_str(&b, "abc")));
	assert_true(tc_is_ok(tc_buf_append_u8(&b, 'd')));
	assert_true(tc_is_ok(tc_buf_appendf(&b, "-%d-%s", 42, "x")));
	assert_int_equal(b.len, 9);
	assert_string_equal((char *)b.data, "abcd-42-x");
	assert_int_equal(tc_buf_append(&b, NULL, 1).code, TC_ERR_INVALID_ARGUMENT);
	assert_int_equal(tc_buf_append_str(&b, NULL).code, TC_ERR_INVALID_ARGUMENT);
	tc_buf_cleanup(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	tc_buf_cleanup(&b); /* twice is fine */
}

static void test_growth(void **state)
{
	struct tc_buf b;
	uint8_t chunk[37];

	tc_buf_init(&b, 0);
	for (size_t i = 0; i < sizeof(chunk); i++)
		chunk[i] = (uint8_t)i;
	for (int i = 0; i < 1000; i++)
		assert_true(tc_is_ok(tc_buf_append(&b, chunk, sizeof(chunk))));
	assert_int_equal(b.len, 37000);
	assert_true(b.cap > b.len);
	for (size_t i = 0; i < b.len; i++)
		assert_int_equal(b.data[i], i % sizeof(chunk));
	assert_int_equal(b.data[b.len], 0);
	tc_buf_cleanup(&b);
}

static void test_max_keeps_content(void **state)
{
	struct tc_buf b;

	tc_buf_init(&b, 8);
	assert_true(tc_is_ok(tc_buf_append_str(&b, "12345")));
	assert_int_equal(tc_buf_append_str(&b, "6789").code, TC_ERR_TOO_LARGE);
	assert_int_equal(b.len, 5);
	assert_string_equal((char *)b.data, "12345");
	assert_int_equal(tc_buf_appendf(&b, "%s", "abcd").code, TC_ERR_TOO_LARGE);
	assert_string_equal((char *)b.data, "12345");
	/* Exactly max is allowed, one more is not. */
	assert_true(tc_is_ok(tc_buf_append_str(&b, "678")));
	assert_string_equal((char *)b.data, "12345678");
	assert_int_equal(tc_buf_append_u8(&b, '9').code, TC_ERR_TOO_LARGE);
	assert_true(tc_is_ok(tc_buf_append(&b, "", 0)));
	assert_int_equal(tc_buf_reserve(&b, SIZE_MAX).code, TC_ERR_TOO_LARGE);
	assert_int_equal(b.len, 8);
	assert_non_null(strstr(tc_error_detail(), "limit"));
	tc_buf_cleanup(&b);
}

static void test_zeroed_struct_and_reserve_overflow(void **state)
{
	struct tc_buf b = { 0 };

	assert_int_equal(tc_buf_reserve(&b, SIZE_MAX).code, TC_ERR_TOO_LARGE);
	assert_int_equal(tc_buf_reserve(&b, TC_BUF_DEFAULT_MAX + 1).code, TC_ERR_TOO_LARGE);
	assert_true(tc_is_ok(tc_buf_append_str(&b, "ok")));
	assert_string_equal((char *)b.data, "ok");
	tc_buf_cleanup(&b);
}

static void test_steal_reset(void **state)
{
	struct tc_buf b;
	size_t len = 99;
	uint8_t *p;

	tc_buf_init(&b, 0);
	assert_null(tc_buf_steal(&b, &len));
	assert_int_equal(len, 0);
	assert_true(tc_is_ok(tc_buf_append_str(&b, "secret")));
	tc_buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal((char *)b.data, "");
	assert_null(tc_buf_steal(&b, &len)); /* empty again */
	assert_true(tc_is_ok(tc_buf_append_str(&b, "keep")));
	p = tc_buf_steal(&b, &len);
	assert_non_null(p);
	assert_int_equal(len, 4);
	assert_memory_equal(p, "keep", 4);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	free(p);
	assert_true(tc_is_ok(tc_buf_append_str(&b, "again")));
	tc_buf_cleanup(&b);
}

static void make_path(char *out, size_t size, const char *name)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(out, size, "%s/tc_buf_test_%ld_%s", tmp != NULL ? tmp : "/tmp", (long)getpid(), name);
}

static void test_file_round_trip(void **state)
{
	char path[512];
	struct tc_buf b;
	struct stat st;
	uint8_t data[50000];

	make_path(path, sizeof(path), "rt");
	assert_true(tc_is_ok(tc_random_bytes(data, sizeof(data))));
	assert_true(tc_is_ok(tc_file_write(path, data, sizeof(data), 0600)));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	tc_buf_init(&b, 0);
	assert_true(tc_is_ok(tc_buf_append_str(&b, "prefix")));
	assert_true(tc_is_ok(tc_file_read(path, sizeof(data), &b))); /* exactly max */
	assert_int_equal(b.len, 6 + sizeof(data));
	assert_memory_equal(b.data + 6, data, sizeof(data));

	/* One byte over the limit fails and leaves the buffer as it was. */
	tc_buf_reset(&b);
	assert_true(tc_is_ok(tc_buf_append_str(&b, "prefix")));
	assert_int_equal(tc_file_read(path, sizeof(data) - 1, &b).code, TC_ERR_TOO_LARGE);
	assert_int_equal(b.len, 6);
	assert_string_equal((char *)b.data, "prefix");

	/* Rewriting replaces the content atomically and applies the new mode. */
	assert_true(tc_is_ok(tc_file_write(path, "hi", 2, 0644)));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	tc_buf_reset(&b);
	assert_true(tc_is_ok(tc_file_read(path, 2, &b)));
	assert_string_equal((char *)b.data, "hi");
	unlink(path);

	/* An empty file still yields a C string. */
	assert_true(tc_is_ok(tc_file_write(path, NULL, 0, 0600)));
	tc_buf_cleanup(&b);
	assert_true(tc_is_ok(tc_file_read(path, 10, &b)));
	assert_int_equal(b.len, 0);
	assert_non_null(b.data);
	unlink(path);
	tc_buf_cleanup(&b);
}

static void test_file_errors(void **state)
{
	struct tc_buf b = { 0 };

	assert_int_equal(tc_file_read("/nonexistent/teecert/file", 10, &b).code, TC_ERR_IO);
	assert_non_null(strstr(tc_error_detail(), "/nonexistent/teecert/file"));
	assert_int_equal(tc_file_read(NULL, 10, &b).code, TC_ERR_INVALID_ARGUMENT);
	assert_int_equal(tc_file_write("/nonexistent/teecert/file", "x", 1, 0600).code, TC_ERR_IO);
	assert_int_equal(tc_file_write(NULL, "x", 1, 0600).code, TC_ERR_INVALID_ARGUMENT);
	/* A directory cannot be read as a file. */
	assert_int_equal(tc_file_read("/", 10, &b).code, TC_ERR_IO);
	/* The buffer's own limit applies too. */
	tc_buf_cleanup(&b);
	tc_buf_init(&b, 4);
	assert_int_equal(tc_file_read("/proc/self/status", 1 << 20, &b).code, TC_ERR_TOO_LARGE);
	assert_int_equal(b.len, 0);
	tc_buf_cleanup(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_and_nul),    cmocka_unit_test(test_growth),
		cmocka_unit_test(test_max_keeps_content), cmocka_unit_test(test_zeroed_struct_and_reserve_overflow),
		cmocka_unit_test(test_steal_reset),       cmocka_unit_test(test_file_round_trip),
		cmocka_unit_test(test_file_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
