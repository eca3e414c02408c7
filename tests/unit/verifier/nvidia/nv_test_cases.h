/*
 * nv_test_cases.h — loading shared NVIDIA conformance cases in the NVIDIA appraiser tests (static helpers,
 * included by each test program).
 */
#ifndef NV_TEST_CASES_H
#define NV_TEST_CASES_H

#include <stdio.h>
#include <stdlib.h>

#include "vf_nvidia.h"

static void case_path(const char *name, char *out, size_t size)
{
	const char *shared = getenv("TEECERT_SHARED");

	assert_non_null(shared);
	snprintf(out, size, "%s/evidence/cases/%s.json", shared, name);
}

static struct vf_case *load(const char *name)
{
	struct vf_case *c = calloc(1, sizeof(*c));
	char path[1024];

	assert_non_null(c);
	case_path(name, path, sizeof(path));
	assert_true(tc_is_ok(vf_case_load(path, c)));
	return c;
}

static void unload(struct vf_case *c)
{
	vf_case_cleanup(c);
	free(c);
}

static void appraise(const struct vf_case *c, struct vf_appraisal *a)
{
	assert_true(tc_is_ok(vf_appraise(&c->input, &c->policy, c->verify_at, a)));
}

#endif /* NV_TEST_CASES_H */
