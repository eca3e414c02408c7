/*
 * test_tc_time.c — RFC 3339 parsing/formatting: calendar rules (leap years, month lengths), offsets,
 * fractions, every out-of-range field, the 0000/9999 bounds, and agreement with libc's gmtime_r/timegm
 * over many random instants.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "tc.h"

/* Oracle: libc's UTC conversion (glibc handles years 0..9999 with 64-bit time_t). */
static int64_t oracle(int year, int mon, int day, int h, int m, int s)
{
	struct tm tm = { 0 };

	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = s;
	return (int64_t)timegm(&tm);
}

static int64_t parse_ok(const char *s)
{
	int64_t t = -12345;

	struct tc_result r = tc_time_parse(s, &t);
	if (!tc_is_ok(r))
		fail_msg("'%s' failed: %s", s, tc_error_detail());
	return t;
}

static void test_known(void **state)
{
	assert_int_equal(parse_ok("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(parse_ok("2000-02-29T00:00:00Z"), oracle(2000, 2, 29, 0, 0, 0));
	assert_int_equal(parse_ok("2024-02-29T12:34:56Z"), oracle(2024, 2, 29, 12, 34, 56));
	assert_int_equal(parse_ok("1969-12-31T23:59:59Z"), -1);
	assert_int_equal(parse_ok("2038-01-19T03:14:08Z"), INT64_C(2147483648));
	assert_int_equal(parse_ok("2023-12-31T23:59:59Z"), oracle(2023, 12, 31, 23, 59, 59));
	/* Lower-case separators are allowed (RFC 3339 §5.6 NOTE). */
	assert_int_equal(parse_ok("2024-02-29t12:34:56z"), oracle(2024, 2, 29, 12, 34, 56));
}

static void test_offsets_and_fractions(void **state)
{
	int64_t utc = oracle(2024, 3, 1, 0, 30, 0);

	assert_int_equal(parse_ok("2024-03-01T01:30:00+01:00"), utc);
	assert_int_equal(parse_ok("2024-02-29T19:00:00-05:30"), utc);
	assert_int_equal(parse_ok("2024-03-01T00:30:00+00:00"), utc);
	assert_int_equal(parse_ok("2024-03-01T00:30:00-00:00"), utc);
	assert_int_equal(parse_ok("2024-03-01T23:59:00+23:59"), oracle(2024, 3, 1, 0, 0, 0));
	/* Fractions are truncated, however long. */
	assert_int_equal(parse_ok("2024-03-01T00:30:00.999Z"), utc);
	assert_int_equal(parse_ok("2024-03-01T00:30:00.1+00:00"), utc);
	assert_int_equal(parse_ok("2024-03-01T00:30:00.123456789012345678901234567890Z"), utc);
}

static void test_leap_years(void **state)
{
	static const struct {
		int year;
		bool leap;
	} years[] = { { 1900, false }, { 1996, true }, { 2000, true }, { 2023, false }, { 2024, true },
		      { 2100, false }, { 2400, true }, { 0, true },    { 9999, false } };

	for (size_t i = 0; i < sizeof(years) / sizeof(years[0]); i++) {
		char s[32];
		int64_t t;

		snprintf(s, sizeof(s), "%04d-02-29T00:00:00Z", years[i].year);
		assert_int_equal(tc_time_parse(s, &t).code, years[i].leap ? TC_OK : TC_ERR_TIME_INVALID);
		snprintf(s, sizeof(s), "%04d-02-28T00:00:00Z", years[i].year);
		assert_int_equal(tc_time_parse(s, &t).code, TC_OK);
	}
}

static void test_invalid(void **state)
{
	static const char *bad[] = {
		"",
		"2024",
		"2024-01-01",
		"2024-01-01T00:00Z",
		"2024-01-01T00:00:00",
		"2024-01-01 00:00:00Z",
		"2024-1-01T00:00:00Z",
		"24-01-01T00:00:00Z",
		"2024-00-01T00:00:00Z",
		"2024-13-01T00:00:00Z",
		"2024-01-00T00:00:00Z",
		"2024-01-32T00:00:00Z",
		"2024-04-31T00:00:00Z",
		"2023-02-29T00:00:00Z",
		"2024-02-30T00:00:00Z",
		"2024-01-01T24:00:00Z",
		"2024-01-01T00:60:00Z",
		"2024-01-01T00:00:60Z",
		"2024-01-01T00:00:61Z",
		"2024-01-01T00:00:00.Z",
		"2024-01-01T00:00:00.5",
		"2024-01-01T00:00:00+24:00",
		"2024-01-01T00:00:00+01:60",
		"2024-01-01T00:00:00+0100",
		"2024-01-01T00:00:00+01",
		"2024-01-01T00:00:00ZZ",
		"2024-01-01T00:00:00Z ",
		" 2024-01-01T00:00:00Z",
		"+2024-01-01T00:00:00Z",
		"2024-01-01T00:00:00UTC",
		"2024/01/01T00:00:00Z",
		"2024-0a-01T00:00:00Z",
		"10000-01-01T00:00:00Z",
	};
	int64_t t = 777;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tc_result r = tc_time_parse(bad[i], &t);

		if (r.code != TC_ERR_TIME_INVALID)
			fail_msg("'%s' was accepted", bad[i]);
		assert_true(strlen(tc_error_detail()) > 0);
	}
	assert_int_equal(t, 777); /* never written on failure */
	assert_int_equal(tc_time_parse(NULL, &t).code, TC_ERR_INVALID_ARGUMENT);
}

static void test_bounds(void **state)
{
	char out[TC_TIME_RFC3339_LEN];
	int64_t lo = oracle(0, 1, 1, 0, 0, 0);
	int64_t hi = oracle(9999, 12, 31, 23, 59, 59);

	assert_int_equal(parse_ok("0000-01-01T00:00:00Z"), lo);
	assert_int_equal(parse_ok("9999-12-31T23:59:59Z"), hi);
	assert_true(tc_is_ok(tc_time_format(lo, out)));
	assert_string_equal(out, "0000-01-01T00:00:00Z");
	assert_true(tc_is_ok(tc_time_format(hi, out)));
	assert_string_equal(out, "9999-12-31T23:59:59Z");
	assert_true(tc_is_ok(tc_time_format(0, out)));
	assert_string_equal(out, "1970-01-01T00:00:00Z");
	assert_true(tc_is_ok(tc_time_format(-1, out)));
	assert_string_equal(out, "1969-12-31T23:59:59Z");
	assert_int_equal(tc_time_format(lo - 1, out).code, TC_ERR_TIME_INVALID);
	assert_int_equal(tc_time_format(hi + 1, out).code, TC_ERR_TIME_INVALID);
	assert_int_equal(tc_time_format(INT64_MIN, out).code, TC_ERR_TIME_INVALID);
	assert_int_equal(tc_time_format(INT64_MAX, out).code, TC_ERR_TIME_INVALID);
	/* An offset may carry a valid local time just past the bounds in UTC. */
	assert_int_equal(parse_ok("9999-12-31T23:59:59-01:00"), hi + 3600);
}

/* Format agrees with gmtime_r, and parse(format(t)) == t, over random instants of 0000..9999. */
static void test_round_trip_random(void **state)
{
	int64_t lo = oracle(0, 1, 1, 0, 0, 0);
	int64_t hi = oracle(9999, 12, 31, 23, 59, 59);

	for (int i = 0; i < 20000; i++) {
		uint64_t r;
		int64_t t, back;
		char out[TC_TIME_RFC3339_LEN], expect[64];
		struct tm tm;
		time_t tt;

		assert_true(tc_is_ok(tc_random_bytes(&r, sizeof(r))));
		t = lo + (int64_t)(r % (uint64_t)(hi - lo + 1));
		assert_true(tc_is_ok(tc_time_format(t, out)));
		tt = (time_t)t;
		assert_non_null(gmtime_r(&tt, &tm));
		snprintf(expect, sizeof(expect), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		assert_string_equal(out, expect);
		assert_true(tc_is_ok(tc_time_parse(out, &back)));
		assert_int_equal(back, t);
	}
}

static void test_clocks(void **state)
{
	int64_t now = tc_time_now();
	uint64_t a = tc_time_mono_ms(), b;

	assert_true(now > parse_ok("2024-01-01T00:00:00Z"));
	assert_true(llabs(now - (int64_t)time(NULL)) <= 1);
	b = tc_time_mono_ms();
	assert_true(b >= a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known),      cmocka_unit_test(test_offsets_and_fractions),
		cmocka_unit_test(test_leap_years), cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_bounds),     cmocka_unit_test(test_round_trip_random),
		cmocka_unit_test(test_clocks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
