/*
 * tc_errors.c — the error table lookup (tc_errors.def) and the per-thread failure detail.
 *
 * Every fallible function returns a struct tc_result; the human-readable detail of the last failure is kept
 * per thread so results stay one word wide (STYLE.md point 3). OpenSSL's error queue is drained into the
 * detail where a failure happens, never left behind for the next request.
 */
#include "tc.h"

#include <string.h>

#include <openssl/err.h>

static const struct tc_error_info tc_error_table[] = {
	{ "ok", 200, "Success" },
#define X(name, code, http, hint) { code, http, hint },
#include "tc_errors.def"
#undef X
};

_Static_assert(sizeof(tc_error_table) / sizeof(tc_error_table[0]) == TC_ERR__COUNT,
	       "error table and enum tc_code disagree");

static _Thread_local char tc_detail[TC_DETAIL_MAX];

const struct tc_error_info *tc_error_info(enum tc_code code)
{
	if ((unsigned)code >= (unsigned)TC_ERR__COUNT)
		return &tc_error_table[TC_ERR_INTERNAL];
	return &tc_error_table[code];
}

bool tc_error_from_string(const char *code, enum tc_code *out)
{
	if (code == NULL)
		return false;
	for (size_t i = 0; i < (size_t)TC_ERR__COUNT; i++) {
		if (strcmp(tc_error_table[i].code, code) == 0) {
			*out = (enum tc_code)i;
			return true;
		}
	}
	return false;
}

/* Formats into a local buffer first: callers often wrap the previous detail (tc_fail(c, "x: %s",
 * tc_error_detail())), and vsnprintf must not read and write the same bytes. */
struct tc_result tc_fail(enum tc_code code, const char *fmt, ...)
{
	char detail[TC_DETAIL_MAX] = "";
	va_list ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		if (vsnprintf(detail, sizeof(detail), fmt, ap) < 0)
			detail[0] = '\0';
		va_end(ap);
	}
	memcpy(tc_detail, detail, sizeof(tc_detail));
	if (code == TC_OK)
		code = TC_ERR_INTERNAL; /* a failure is never "ok" */
	return (struct tc_result){ code };
}

/* Append ": lib:reason" entries of the OpenSSL queue to the detail, oldest first, then clear the queue. */
struct tc_result tc_fail_openssl(enum tc_code code, const char *what)
{
	size_t used;
	unsigned long e;
	const char *file = NULL, *func = NULL, *data = NULL;
	int line = 0, flags = 0;
	char head[TC_DETAIL_MAX];
	int n;

	/* WHAT may point into tc_detail itself. */
	snprintf(head, sizeof(head), "%s", what != NULL ? what : "OpenSSL operation failed");
	n = snprintf(tc_detail, sizeof(tc_detail), "%s", head);
	used = n < 0 ? 0 : (size_t)n;
	if (used >= sizeof(tc_detail))
		used = sizeof(tc_detail) - 1;
	while ((e = ERR_get_error_all(&file, &line, &func, &data, &flags)) != 0) {
		char reason[256];

		ERR_error_string_n(e, reason, sizeof(reason));
		if (used + 1 >= sizeof(tc_detail))
			continue; /* keep draining */
		n = snprintf(tc_detail + used, sizeof(tc_detail) - used, ": %s%s%s", reason,
			     (flags & ERR_TXT_STRING) && data != NULL && data[0] != '\0' ? " " : "",
			     (flags & ERR_TXT_STRING) && data != NULL ? data : "");
		if (n < 0)
			continue;
		used += (size_t)n;
		if (used >= sizeof(tc_detail))
			used = sizeof(tc_detail) - 1;
	}
	if (code == TC_OK)
		code = TC_ERR_INTERNAL;
	return (struct tc_result){ code };
}

int tc_openssl_clear(void)
{
	int n = 0;

	while (ERR_get_error() != 0)
		n++;
	return n;
}

const char *tc_error_detail(void)
{
	return tc_detail;
}
