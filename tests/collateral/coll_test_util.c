/*
 * coll_test_util.c — the collateral tests' clock, shared cases, simulated GPU evidence and temporary folders
 * (coll_test_util.h). Verifier-level only: the unit test test_vf_collateral_needs links it without the
 * database.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "coll_test_util.h"
#include "vf_nvidia_sim.h"

int64_t coll_test_clock(void *arg)
{
	return atomic_load((_Atomic int64_t *)arg);
}

void coll_test_sleep(void *arg, int64_t ms)
{
	atomic_fetch_add((_Atomic int64_t *)arg, ms);
}

const char *coll_test_shared(void)
{
	const char *s = getenv("TEECERT_SHARED");
	return s != NULL ? s : "../shared";
}

void coll_test_case_load(const char *name, struct vf_case *c)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/evidence/cases/%s.json", coll_test_shared(), name);
	if (!tc_is_ok(vf_case_load(path, c)))
		fail_msg("%s: %s", path, tc_error_detail());
}

void coll_test_gpus_init(struct coll_test_gpus *g, const struct vf_nv_sim_pki *pki, int64_t at, struct vf_input *in)
{
	static const char *const roles[COLL_TEST_GPUS][2] = { { "gpu0.spdm", "gpu0.cert_chain" },
							      { "gpu1.spdm", "gpu1.cert_chain" } };
	struct vf_nv_sim_knobs kn;
	memset(&kn, 0, sizeof(kn));
	kn.gpus = COLL_TEST_GPUS;
	for (int i = 0; i < COLL_TEST_GPUS; i++) {
		tc_buf_init(&g->spdm[i], TC_BUF_DEFAULT_MAX);
		tc_buf_init(&g->chains[i], TC_BUF_DEFAULT_MAX);
	}
	if (!tc_is_ok(vf_nv_sim_evidence(pki, &kn, at, g->spdm, g->chains)))
		fail_msg("vf_nv_sim_evidence: %s", tc_error_detail());
	for (int i = 0; in != NULL && i < COLL_TEST_GPUS; i++) {
		in->evidence[in->n_evidence++] = (struct vf_item){ roles[i][0], g->spdm[i].data, g->spdm[i].len };
		in->evidence[in->n_evidence++] = (struct vf_item){ roles[i][1], g->chains[i].data, g->chains[i].len };
	}
}

void coll_test_gpus_cleanup(struct coll_test_gpus *g)
{
	for (int i = 0; i < COLL_TEST_GPUS; i++) {
		tc_buf_cleanup(&g->spdm[i]);
		tc_buf_cleanup(&g->chains[i]);
	}
}

void coll_test_rmdir(const char *dir)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}
