/*
 * test_vf_tdx_appraise.c — vf_tdx_appraise over the shared TDX cases: every manifest's expectation, results
 * identical with and without the memo cache, policy knobs (accepted statuses, reference values, tdx_ keys),
 * the extra facts and the digests of every collateral item used.
 */
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "tdx_test_util.h"
#include "vf_tdx.h"

static char *appraise_json(struct vf_case *c, struct vf_appraisal *keep)
{
	struct vf_appraisal a;
	json_t *j = NULL;
	assert_true(tc_is_ok(vf_appraise(&c->input, &c->policy, c->verify_at, &a)));
	assert_true(tc_is_ok(vf_appraisal_to_json(&a, &j)));
	char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(j);
	if (keep != NULL)
		*keep = a;
	else
		vf_appraisal_cleanup(&a);
	return s;
}

static void load(const char *name, struct vf_case *c)
{
	char path[4096];
	tdx_test_case_path(name, path, sizeof path);
	assert_true(tc_is_ok(vf_case_load(path, c)));
}

/* Every TDX case meets its manifest, with the cache off, cold and warm; the three JSON forms are equal. */
static void test_cases_cache_equivalence(void **state)
{
	char pattern[4096];
	glob_t g;
	tdx_test_case_path("tdx-*", pattern, sizeof pattern);
	assert_int_equal(glob(pattern, 0, NULL, &g), 0);
	assert_true(g.gl_pathc >= 29);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct vf_case c;
		struct vf_appraisal a;
		char diff[512] = "";
		assert_true(tc_is_ok(vf_case_load(g.gl_pathv[i], &c)));
		vf_tdx_cache_set_enabled(false);
		char *off = appraise_json(&c, NULL);
		vf_tdx_cache_set_enabled(true);
		vf_tdx_cache_clear();
		char *cold = appraise_json(&c, NULL);
		char *warm = appraise_json(&c, &a);
		if (!vf_case_check(&c, &a, diff, sizeof diff))
			fail_msg("%s: %s", c.name, diff);
		assert_string_equal(off, cold);
		assert_string_equal(cold, warm);
		free(off);
		free(cold);
		free(warm);
		vf_appraisal_cleanup(&a);
		vf_case_cleanup(&c);
	}
	size_t entries;
	uint64_t hits, misses;
	vf_tdx_cache_stats(&entries, &hits, &misses);
	assert_true(entries > 0 && hits > 0 && entries <= VF_TDX_CACHE_SLOTS);
	globfree(&g);
}

static void test_uptodate_details(void **state)
{
	struct vf_case c;
	struct vf_appraisal a;
	load("tdx-phala-v4-b0c06f-uptodate", &c);
	assert_true(tc_is_ok(vf_appraise(&c.input, &c.policy, c.verify_at, &a)));
	assert_true(a.accepted);
	assert_int_equal(a.n_devices, 1);
	assert_string_equal(a.devices[0].id, "cpu0");
	/* The anchor plus the seven collateral items (SCHEMA.md roles). */
	assert_int_equal(a.n_collateral, 8);
	/* SOURCES.md: tcbEvaluationDataNumber 17; the set's window ends 2025-07-19T10:00:35Z. */
	assert_int_equal(json_integer_value(json_object_get(a.extra, "tcb_evaluation_data_number")), 17);
	assert_string_equal(json_string_value(json_object_get(a.extra, "collateral_expires_at")), "2025-07-19T10:00:35Z");
	assert_string_equal(json_string_value(json_object_get(a.devices[0].claims, "mrtd")),
			    json_string_value(json_object_get(json_object_get(c.expect, "claims"), "mrtd")));
	assert_string_equal(json_string_value(json_object_get(a.devices[0].claims, "fmspc")), "b0c06f000000");
	assert_int_equal(json_integer_value(json_object_get(a.devices[0].claims, "quote_version")), 4);
	vf_appraisal_cleanup(&a);
	vf_case_cleanup(&c);
}

static enum tc_code verdict(struct vf_case *c, struct vf_appraisal *a)
{
	assert_true(tc_is_ok(vf_appraise(&c->input, &c->policy, c->verify_at, a)));
	return a->failure;
}

static void test_status_not_accepted(void **state)
{
	struct vf_case c;
	struct vf_appraisal a;
	load("tdx-phala-v4-b0c06f-uptodate", &c);
	c.policy.accepted_tcb_statuses = 1u << VF_TCB_SW_HARDENING_NEEDED;
	assert_int_equal(verdict(&c, &a), TC_ERR_TCB_STATUS_REJECTED);
	assert_true(a.devices[0].has_tcb_status);
	assert_int_equal(a.devices[0].tcb_status, VF_TCB_UP_TO_DATE);
	assert_true(a.remediation[0] != '\0');
	vf_appraisal_cleanup(&a);
	vf_case_cleanup(&c);
}

static void test_reference_values(void **state)
{
	struct vf_case c;
	struct vf_appraisal a;
	load("tdx-phala-v4-b0c06f-uptodate", &c);
	const char *mrtd = json_string_value(json_object_get(json_object_get(c.expect, "claims"), "mrtd"));
	char upper[2 * VF_TDX_MEASUREMENT_LEN + 1];
	for (size_t i = 0; i <= strlen(mrtd); i++)
		upper[i] = (char)(mrtd[i] >= 'a' && mrtd[i] <= 'f' ? mrtd[i] - 32 : mrtd[i]);

	c.policy.reference_values = json_pack("{s:[s,s]}", "mrtd", "00", upper);
	assert_int_equal(verdict(&c, &a), TC_OK);
	vf_appraisal_cleanup(&a);

	json_decref(c.policy.reference_values);
	c.policy.reference_values = json_pack("{s:[s]}", "rtmr0", mrtd);
	assert_int_equal(verdict(&c, &a), TC_ERR_MEASUREMENT_MISMATCH);
	assert_non_null(strstr(a.detail, "rtmr0"));
	vf_appraisal_cleanup(&a);
	vf_case_cleanup(&c);
}

static void test_nonce_matches(void **state)
{
	struct vf_case c;
	struct vf_appraisal a;
	load("tdx-phala-v4-b0c06f-uptodate", &c);
	const char *rd = json_string_value(json_object_get(json_object_get(c.expect, "claims"), "report_data"));
	assert_true(tc_is_ok(tc_hex_decode_fixed(rd, strlen(rd), c.policy.expected_report_data, VF_REPORT_DATA_LEN)));
	c.policy.has_expected_report_data = true;
	assert_int_equal(verdict(&c, &a), TC_OK);
	vf_appraisal_cleanup(&a);
	c.policy.expected_report_data[63] ^= 1;
	assert_int_equal(verdict(&c, &a), TC_ERR_NONCE_MISMATCH);
	vf_appraisal_cleanup(&a);
	vf_case_cleanup(&c);
}

static void test_tdx_knobs(void **state)
{
	struct vf_case c;
	struct vf_appraisal a;
	/* SOURCES.md: this v5 quote binds a service TD (MR_SERVICE_TD non-zero). */
	load("tdx-trustee-v5-90c06f-sigonly", &c);
	if (c.policy.extra == NULL)
		c.policy.extra = json_object();
	json_object_set_new(c.policy.extra, "tdx_allow_service_td", json_false());
	assert_int_equal(verdict(&c, &a), TC_ERR_POLICY_VIOLATION);
	vf_appraisal_cleanup(&a);
	json_object_set_new(c.policy.extra, "tdx_allow_service_td", json_true());
	assert_int_equal(verdict(&c, &a), TC_OK);
	vf_appraisal_cleanup(&a);
	json_object_set_new(c.policy.extra, "tdx_no_such_knob", json_true());
	assert_int_equal(vf_appraise(&c.input, &c.policy, c.verify_at, &a).code, TC_ERR_INVALID_ARGUMENT);
	vf_case_cleanup(&c);
}

/* Collateral roles dropped one at a time: collateral_missing naming the role; CRLs optional without revocation. */
static void test_missing_roles(void **state)
{
	static const char *const roles[] = { "tcb_info", "tcb_info_issuer_chain", "qe_identity",
					     "qe_identity_issuer_chain", "pck_crl", "pck_crl_issuer_chain",
					     "root_ca_crl" };
	for (size_t r = 0; r < sizeof roles / sizeof roles[0]; r++) {
		struct vf_case c;
		struct vf_appraisal a;
		load("tdx-phala-v4-b0c06f-uptodate", &c);
		for (size_t i = 0; i < c.input.n_collateral; i++)
			if (strcmp(c.input.collateral[i].role, roles[r]) == 0)
				c.input.collateral[i].len = 0;
		assert_int_equal(verdict(&c, &a), TC_ERR_COLLATERAL_MISSING);
		assert_non_null(strstr(a.detail, roles[r]));
		vf_appraisal_cleanup(&a);
		c.policy.check_revocation = false;
		assert_int_equal(verdict(&c, &a), r >= 4 ? TC_OK : TC_ERR_COLLATERAL_MISSING);
		vf_appraisal_cleanup(&a);
		vf_case_cleanup(&c);
	}
}

/* Collateral swapped between roles: signature / chain failures, never a crash. */
static void test_swapped_collateral(void **state)
{
	struct vf_case c;
	struct vf_appraisal a;
	load("tdx-phala-v4-b0c06f-uptodate", &c);
	struct vf_item *ti = NULL, *qi = NULL, *crl = NULL, *root_crl = NULL;
	for (size_t i = 0; i < c.input.n_collateral; i++) {
		struct vf_item *it = &c.input.collateral[i];
		if (strcmp(it->role, "tcb_info") == 0)
			ti = it;
		else if (strcmp(it->role, "qe_identity") == 0)
			qi = it;
		else if (strcmp(it->role, "pck_crl") == 0)
			crl = it;
		else if (strcmp(it->role, "root_ca_crl") == 0)
			root_crl = it;
	}
	assert_true(ti && qi && crl && root_crl);
	struct vf_item save = *ti;
	ti->data = qi->data;
	ti->len = qi->len;
	assert_int_equal(verdict(&c, &a), TC_ERR_COLLATERAL_SIGNATURE_INVALID);
	vf_appraisal_cleanup(&a);
	*ti = save;
	save = *crl;
	crl->data = root_crl->data;
	crl->len = root_crl->len;
	assert_int_equal(verdict(&c, &a), TC_ERR_COLLATERAL_SIGNATURE_INVALID);
	vf_appraisal_cleanup(&a);
	*crl = save;
	assert_int_equal(verdict(&c, &a), TC_OK);
	vf_appraisal_cleanup(&a);
	vf_case_cleanup(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases_cache_equivalence),
		cmocka_unit_test(test_uptodate_details),
		cmocka_unit_test(test_status_not_accepted),
		cmocka_unit_test(test_reference_values),
		cmocka_unit_test(test_nonce_matches),
		cmocka_unit_test(test_tdx_knobs),
		cmocka_unit_test(test_missing_roles),
		cmocka_unit_test(test_swapped_collateral),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	vf_tdx_cache_clear();
	return rc;
}
