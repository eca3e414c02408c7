/*
 * test_vf_tdx_tcb.c — TCB evaluation (verifier/tdx/vf_tdx_tcb.c) on small synthetic TCB info / QE identity
 * documents: level matching (TEE_TCB_SVN bytes 0-1 skipped when a module identity applies), module
 * identity, QE identity masks, status convergence and the TD relaunch rule, and every failure code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "vf_tdx.h"

struct fixture {
	struct vf_tdx_quote q;
	struct vf_tdx_sgx_ext ext;
	struct vf_tdx_tcb_info ti;
	struct vf_tdx_tcb_level levels[2];
	struct vf_tdx_module_identity ids[1];
	struct vf_tdx_module_level mod_levels[2];
	struct vf_tdx_qe_identity qi;
	struct vf_tdx_qe_level qe_levels[2];
	struct vf_tdx_tcb_result res;
};

static json_t *adv(const char *id)
{
	return id ? json_pack("[s]", id) : json_array();
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	/* Platform: SGX components 5, PCESVN 10; TEE_TCB_SVN 03 00 04 ..; QE ISVSVN 4. */
	memset(f->ext.comp, 5, sizeof f->ext.comp);
	f->ext.pcesvn = 10;
	f->q.report.tee_tcb_svn[0] = 3;
	f->q.report.tee_tcb_svn[2] = 4;
	f->q.qe_report.isvsvn = 4;
	f->q.qe_report.isvprodid = 2;
	f->q.qe_report.attributes[0] = 0x15;

	snprintf(f->ti.id, sizeof f->ti.id, "TDX");
	f->ti.version = 3;
	f->ti.has_module = true;
	memset(f->ti.module.attributes_mask, 0xff, VF_TDX_ATTRIBUTES_LEN);
	/* Level 0: UpToDate needs SGX 5 / PCESVN 10 / TDX 03 00 04; level 1: OutOfDate, lower. */
	memset(f->levels[0].sgx, 5, VF_TDX_SGX_TCB_COMPONENTS);
	f->levels[0].pcesvn = 10;
	f->levels[0].tdx[0] = 3;
	f->levels[0].tdx[2] = 4;
	f->levels[0].st = (struct vf_tdx_level_status){ VF_TCB_UP_TO_DATE, "2024-01-01T00:00:00Z", adv(NULL) };
	memset(f->levels[1].sgx, 1, VF_TDX_SGX_TCB_COMPONENTS);
	f->levels[1].pcesvn = 1;
	f->levels[1].st = (struct vf_tdx_level_status){ VF_TCB_OUT_OF_DATE, "2023-01-01T00:00:00Z", adv("INTEL-SA-1") };
	f->ti.levels = f->levels;
	f->ti.n_levels = 2;
	snprintf(f->ids[0].id, sizeof f->ids[0].id, "TDX_01");
	memset(f->ids[0].attributes_mask, 0xff, VF_TDX_ATTRIBUTES_LEN);
	f->mod_levels[0] = (struct vf_tdx_module_level){ 6, { VF_TCB_UP_TO_DATE, "2024-01-01T00:00:00Z", adv(NULL) } };
	f->mod_levels[1] = (struct vf_tdx_module_level){ 2, { VF_TCB_OUT_OF_DATE, "2023-01-01T00:00:00Z", adv("INTEL-SA-2") } };
	f->ids[0].levels = f->mod_levels;
	f->ids[0].n_levels = 2;
	f->ti.identities = f->ids;
	f->ti.n_identities = 1;

	snprintf(f->qi.id, sizeof f->qi.id, "TD_QE");
	f->qi.version = 2;
	f->qi.isvprodid = 2;
	f->qi.miscselect_mask = 0xffffffffu;
	f->qi.attributes[0] = 0x11;
	f->qi.attributes_mask[0] = 0xfb;
	f->qe_levels[0] = (struct vf_tdx_qe_level){ 4, { VF_TCB_UP_TO_DATE, "2023-02-15T00:00:00Z", adv(NULL) } };
	f->qe_levels[1] = (struct vf_tdx_qe_level){ 2, { VF_TCB_OUT_OF_DATE, "2022-01-01T00:00:00Z", adv("INTEL-SA-3") } };
	f->qi.levels = f->qe_levels;
	f->qi.n_levels = 2;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	for (size_t i = 0; i < 2; i++) {
		json_decref(f->levels[i].st.advisory_ids);
		json_decref(f->mod_levels[i].st.advisory_ids);
		json_decref(f->qe_levels[i].st.advisory_ids);
	}
	vf_tdx_tcb_result_cleanup(&f->res);
	free(f);
	return 0;
}

static enum tc_code eval(struct fixture *f)
{
	vf_tdx_tcb_result_cleanup(&f->res);
	assert_true(tc_is_ok(vf_tdx_tcb_evaluate(&f->q, &f->ext, &f->ti, &f->qi, &f->res)));
	return f->res.failure;
}

static bool has_advisory(const struct fixture *f, const char *id)
{
	size_t i;
	json_t *v;
	json_array_foreach (f->res.advisory_ids, i, v)
		if (strcmp(json_string_value(v), id) == 0)
			return true;
	return false;
}

static void test_up_to_date(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(eval(f), TC_OK);
	assert_int_equal(f->res.status, VF_TCB_UP_TO_DATE);
	assert_string_equal(f->res.tcb_date, "2024-01-01T00:00:00Z");
	assert_int_equal(json_array_size(f->res.advisory_ids), 0);
}

static void test_lower_level(void **state)
{
	struct fixture *f = *state;
	f->q.report.tee_tcb_svn[2] = 3; /* below level 0's TDX component 2 */
	assert_int_equal(eval(f), TC_OK);
	assert_int_equal(f->res.status, VF_TCB_OUT_OF_DATE);
	assert_true(has_advisory(f, "INTEL-SA-1"));
	f->ext.comp[7] = 0; /* below every level */
	assert_int_equal(eval(f), TC_ERR_TCB_LEVEL_NOT_FOUND);
	f->ext.comp[7] = 5;
	f->ext.pcesvn = 0;
	assert_int_equal(eval(f), TC_ERR_TCB_LEVEL_NOT_FOUND);
}

static void test_module_identity(void **state)
{
	struct fixture *f = *state;
	/* Module 1.x, ISVSVN 3: bytes 0-1 are judged by TDX_01 (OutOfDate at isvsvn 2), not by the level. */
	f->q.report.tee_tcb_svn[1] = 1;
	f->levels[0].tdx[0] = 9;
	assert_int_equal(eval(f), TC_OK);
	assert_int_equal(f->res.platform_status, VF_TCB_UP_TO_DATE);
	assert_true(f->res.has_module_status);
	assert_int_equal(f->res.module_status, VF_TCB_OUT_OF_DATE);
	assert_int_equal(f->res.status, VF_TCB_OUT_OF_DATE);
	assert_true(has_advisory(f, "INTEL-SA-2"));
	f->q.report.tee_tcb_svn[0] = 1; /* below every module level */
	assert_int_equal(eval(f), TC_ERR_TCB_LEVEL_NOT_FOUND);
	f->q.report.tee_tcb_svn[1] = 2; /* TDX_02 is not listed */
	assert_int_equal(eval(f), TC_ERR_TCB_LEVEL_NOT_FOUND);
	f->q.report.tee_tcb_svn[1] = 1;
	f->q.report.tee_tcb_svn[0] = 6;
	f->q.report.mrsignerseam[0] = 1;
	assert_int_equal(eval(f), TC_ERR_TCB_MISMATCH);
	f->q.report.mrsignerseam[0] = 0;
	f->q.report.seam_attributes[7] = 0x80;
	assert_int_equal(eval(f), TC_ERR_TCB_MISMATCH);
}

static void test_platform_mismatch(void **state)
{
	struct fixture *f = *state;
	f->ext.fmspc[0] = 0x50;
	assert_int_equal(eval(f), TC_ERR_TCB_MISMATCH);
	f->ext.fmspc[0] = 0;
	f->ext.pceid[1] = 1;
	assert_int_equal(eval(f), TC_ERR_TCB_MISMATCH);
	f->ext.pceid[1] = 0;
	snprintf(f->ti.id, sizeof f->ti.id, "SGX");
	assert_int_equal(eval(f), TC_ERR_TCB_MISMATCH);
}

static void test_qe_identity(void **state)
{
	struct fixture *f = *state;
	f->q.qe_report.attributes[0] = 0x11 | 0x04; /* bit outside the mask: still matches */
	assert_int_equal(eval(f), TC_OK);
	f->q.qe_report.attributes[0] = 0x10;
	assert_int_equal(eval(f), TC_ERR_QE_IDENTITY_MISMATCH);
	f->q.qe_report.attributes[0] = 0x15;
	f->q.qe_report.mrsigner[3] = 1;
	assert_int_equal(eval(f), TC_ERR_QE_IDENTITY_MISMATCH);
	f->q.qe_report.mrsigner[3] = 0;
	f->q.qe_report.isvprodid = 1;
	assert_int_equal(eval(f), TC_ERR_QE_IDENTITY_MISMATCH);
	f->q.qe_report.isvprodid = 2;
	f->q.qe_report.miscselect = 1;
	assert_int_equal(eval(f), TC_ERR_QE_IDENTITY_MISMATCH);
	f->q.qe_report.miscselect = 0;
	f->q.qe_report.isvsvn = 3; /* QE OutOfDate makes the whole TCB OutOfDate */
	assert_int_equal(eval(f), TC_OK);
	assert_int_equal(f->res.status, VF_TCB_OUT_OF_DATE);
	assert_true(has_advisory(f, "INTEL-SA-3"));
	f->levels[0].st.status = VF_TCB_CONFIGURATION_NEEDED;
	assert_int_equal(eval(f), TC_OK);
	assert_int_equal(f->res.status, VF_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED);
	f->qe_levels[1].st.status = VF_TCB_REVOKED;
	assert_int_equal(eval(f), TC_OK);
	assert_int_equal(f->res.status, VF_TCB_REVOKED);
	f->q.qe_report.isvsvn = 1;
	assert_int_equal(eval(f), TC_ERR_TCB_LEVEL_NOT_FOUND);
}

static void test_relaunch(void **state)
{
	struct fixture *f = *state;
	/* TDX 1.5 report, module 1.x at ISVSVN 3 (OutOfDate), already updated per TEE_TCB_SVN2. */
	f->q.report.is_v15 = true;
	f->q.report.tee_tcb_svn[1] = 1;
	f->q.report.tee_tcb_svn2[0] = 6;
	f->q.report.tee_tcb_svn2[1] = 1;
	f->q.report.tee_tcb_svn2[2] = 4;
	assert_int_equal(eval(f), TC_OK);
	assert_int_equal(f->res.status, VF_TCB_TD_RELAUNCH_ADVISED);
	f->levels[0].st.status = VF_TCB_CONFIGURATION_NEEDED;
	assert_int_equal(eval(f), TC_OK);
	assert_int_equal(f->res.status, VF_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED);
	f->q.report.tee_tcb_svn2[0] = 5; /* not yet at the latest module level: stays out of date */
	assert_int_equal(eval(f), TC_OK);
	assert_int_equal(f->res.status, VF_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_up_to_date, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lower_level, setup, teardown),
		cmocka_unit_test_setup_teardown(test_module_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_platform_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qe_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relaunch, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
