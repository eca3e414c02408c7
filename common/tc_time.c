/*
 * tc_time.c — RFC 3339 timestamps <-> Unix seconds, without the process time zone or libc's struct tm
 * (timegm/gmtime limits differ between platforms; collateral validity windows must not).
 *
 * Accepted (RFC 3339 §5.6): YYYY-MM-DD "T" HH:MM:SS [ "." 1*DIGIT ] ( "Z" / ("+" / "-") HH:MM ), with "t"
 * and "z" allowed in lower case (§5.6 NOTE). Fractions are truncated. Leap seconds (SS = 60) cannot be
 * represented in Unix time and are rejected. Years are 0000..9999.
 */
#include "tc.h"

#include <string.h>
#include <time.h>

#define TC_SECS_PER_DAY INT64_C(86400)
#define TC_YEAR_MAX 9999

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t tc_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void tc_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool tc_is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned tc_days_in_month(int64_t y, unsigned m)
{
	static const unsigned days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && tc_is_leap(y) ? 29 : days[m - 1];
}

/* Read exactly N decimal digits at *P. */
static bool tc_digits(const char **p, int n, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < n; i++) {
		char ch = (*p)[i];

		if (ch < '0' || ch > '9')
			return false;
		v = v * 10 + (unsigned)(ch - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool tc_expect(const char **p, char a, char b)
{
	if (**p != a && **p != b)
		return false;
	(*p)++;
	return true;
}

TC_RESULT tc_time_parse(const char *s, int64_t *out)
{
	const char *p = s;
	unsigned year, mon, day, hour, min, sec, oh = 0, om = 0;
	int sign = 0;
	int64_t t;

	TC_ENSURE(s != NULL, TC_ERR_INVALID_ARGUMENT, "time_parse: NULL string");
	TC_ENSURE(tc_digits(&p, 4, &year) && tc_expect(&p, '-', '-') && tc_digits(&p, 2, &mon) &&
			  tc_expect(&p, '-', '-') && tc_digits(&p, 2, &day),
		  TC_ERR_TIME_INVALID, "'%.64s': expected YYYY-MM-DD", s);
	TC_ENSURE(tc_expect(&p, 'T', 't'), TC_ERR_TIME_INVALID, "'%.64s': expected 'T' after the date", s);
	TC_ENSURE(tc_digits(&p, 2, &hour) && tc_expect(&p, ':', ':') && tc_digits(&p, 2, &min) &&
			  tc_expect(&p, ':', ':') && tc_digits(&p, 2, &sec),
		  TC_ERR_TIME_INVALID, "'%.64s': expected HH:MM:SS", s);
	if (*p == '.') {
		p++;
		TC_ENSURE(*p >= '0' && *p <= '9', TC_ERR_TIME_INVALID, "'%.64s': empty fraction", s);
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else {
		TC_ENSURE(*p == '+' || *p == '-', TC_ERR_TIME_INVALID, "'%.64s': expected 'Z' or a ±hh:mm offset", s);
		sign = *p == '-' ? -1 : 1;
		p++;
		TC_ENSURE(tc_digits(&p, 2, &oh) && tc_expect(&p, ':', ':') && tc_digits(&p, 2, &om),
			  TC_ERR_TIME_INVALID, "'%.64s': offset must be ±hh:mm", s);
	}
	TC_ENSURE(*p == '\0', TC_ERR_TIME_INVALID, "'%.64s': unexpected text after the time", s);
	TC_ENSURE(mon >= 1 && mon <= 12, TC_ERR_TIME_INVALID, "'%.64s': month %u out of range", s, mon);
	TC_ENSURE(day >= 1 && day <= tc_days_in_month(year, mon), TC_ERR_TIME_INVALID,
		  "'%.64s': day %u out of range for %04u-%02u", s, day, year, mon);
	TC_ENSURE(hour <= 23 && min <= 59, TC_ERR_TIME_INVALID, "'%.64s': hour or minute out of range", s);
	TC_ENSURE(sec <= 59, TC_ERR_TIME_INVALID, "'%.64s': second %u out of range (leap seconds are not supported)", s,
		  sec);
	TC_ENSURE(oh <= 23 && om <= 59, TC_ERR_TIME_INVALID, "'%.64s': offset out of range", s);
	t = tc_days_from_civil(year, mon, day) * TC_SECS_PER_DAY + (int64_t)hour * 3600 + (int64_t)min * 60 + sec;
	t -= sign * ((int64_t)oh * 3600 + (int64_t)om * 60); /* local = UTC + offset (§4.2) */
	*out = t;
	return tc_ok();
}

TC_RESULT tc_time_format(int64_t t, char out[TC_TIME_RFC3339_LEN])
{
	int64_t lo = tc_days_from_civil(0, 1, 1) * TC_SECS_PER_DAY;
	int64_t hi = tc_days_from_civil(TC_YEAR_MAX, 12, 31) * TC_SECS_PER_DAY + TC_SECS_PER_DAY - 1;
	int64_t days, secs, y;
	unsigned m, d;

	TC_ENSURE(t >= lo && t <= hi, TC_ERR_TIME_INVALID, "time %lld is outside years 0000..9999", (long long)t);
	days = t / TC_SECS_PER_DAY;
	secs = t % TC_SECS_PER_DAY;
	if (secs < 0) {
		secs += TC_SECS_PER_DAY;
		days--;
	}
	tc_civil_from_days(days, &y, &m, &d);
	/* The ranges are already guaranteed; the modulos only let the compiler see the field widths. */
	snprintf(out, TC_TIME_RFC3339_LEN, "%04u-%02u-%02uT%02u:%02u:%02uZ", (unsigned)y % 10000u, m % 100u, d % 100u,
		 (unsigned)(secs / 3600) % 100u, (unsigned)(secs / 60 % 60), (unsigned)(secs % 60));
	return tc_ok();
}

int64_t tc_time_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

uint64_t tc_time_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
