/*
 * fuzz_tc_time.c — RFC 3339 timestamps (common/tc_time.c): tc_time_parse on arbitrary text and
 * tc_time_format on arbitrary Unix seconds, with round trips.
 * Properties: a parse failure is time_invalid with a detail; whatever tc_time_format writes parses back to
 * the same second; a parsed "YYYY-MM-DDTHH:MM:SSZ" is its own formatting; formatting a parsed time either
 * fails (outside years 0000..9999 after the offset) or round-trips.
 */
#include <stdlib.h>
#include <string.h>

#include "tc.h"

#define FUZZ_TEXT_MAX 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_round_trip(int64_t t)
{
	char out[TC_TIME_RFC3339_LEN];
	int64_t back = 0;
	struct tc_result r = tc_time_format(t, out);

	if (!tc_is_ok(r)) {
		if (r.code != TC_ERR_TIME_INVALID)
			abort();
		return;
	}
	if (strlen(out) != TC_TIME_RFC3339_LEN - 1 || !tc_is_ok(tc_time_parse(out, &back)) || back != t)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[FUZZ_TEXT_MAX + 1];
	size_t n = size < FUZZ_TEXT_MAX ? size : FUZZ_TEXT_MAX;
	int64_t t = 0;
	struct tc_result r;

	memcpy(text, data, n);
	text[n] = '\0';
	r = tc_time_parse(text, &t);
	if (tc_is_ok(r)) {
		char out[TC_TIME_RFC3339_LEN];

		fuzz_round_trip(t);
		if (strlen(text) == TC_TIME_RFC3339_LEN - 1 && text[10] == 'T' && text[19] == 'Z' &&
		    (!tc_is_ok(tc_time_format(t, out)) || strcmp(out, text) != 0))
			abort();
	} else if (r.code != TC_ERR_TIME_INVALID || tc_error_detail()[0] == '\0') {
		abort();
	}
	/* The first 8 bytes as a time value as well. */
	if (size >= sizeof(t)) {
		memcpy(&t, data, sizeof(t));
		fuzz_round_trip(t);
		fuzz_round_trip(t % (INT64_C(400) * 366 * 86400 * 25));
	}
	return 0;
}
