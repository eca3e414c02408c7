/*
 * tdx_test_util.h — shared helpers of the verifier/tdx unit tests: read shared data files (TEECERT_SHARED).
 */
#ifndef TDX_TEST_UTIL_H
#define TDX_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>

#include "tc.h"

#define TDX_TEST_FILE_MAX ((size_t)1024 * 1024)

/* Read SHARED/evidence/REL into BUF (initialised here); aborts the test binary when missing. */
static inline void tdx_test_read(const char *rel, struct tc_buf *buf)
{
	const char *shared = getenv("TEECERT_SHARED");
	char path[4096];
	snprintf(path, sizeof path, "%s/evidence/%s", shared ? shared : "../shared", rel);
	tc_buf_init(buf, TDX_TEST_FILE_MAX);
	if (!tc_is_ok(tc_file_read(path, TDX_TEST_FILE_MAX, buf))) {
		fprintf(stderr, "cannot read %s: %s\n", path, tc_error_detail());
		abort();
	}
}

static inline void tdx_test_case_path(const char *name, char *out, size_t size)
{
	const char *shared = getenv("TEECERT_SHARED");
	snprintf(out, size, "%s/evidence/cases/%s.json", shared ? shared : "../shared", name);
}

#endif /* TDX_TEST_UTIL_H */
