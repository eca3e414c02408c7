/*
 * test_vf_snp_appraise.c — vf_snp_appraise end to end: the 15 shared SNP cases (with and without the chain
 * memo, identical results), every failure code the appraiser can give, the policy knobs, the derived TCB
 * status, the CRL, VLEK, and a self-made Turin platform (TCB layout with FMC, 8-byte hwID).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/x509v3.h>
#include <pthread.h>

#include "test_vf_snp_pki.h"

static const char *const snp_cases[] = {
	"snp-azure-genoa-ok",
	"snp-gosev-milan-debug-allowed",
	"snp-gosev-milan-debug-default",
	"snp-gosev-milan-min-tcb-violation",
	"snp-gosev-milan-product-genoa",
	"snp-trustee-genoa-ok",
	"snp-trustee-genoa-truncated",
	"snp-trustee-milan-ok",
	"snp-trustee-milan-report-data-mismatch",
	"snp-trustee-milan-report-flip-0x180",
	"snp-trustee-milan-report-flip-0x2a",
	"snp-trustee-milan-vcek-expired",
	"snp-trustee-milan-vcek-flip-0x2a",
	"snp-trustee-milan-vcek-with-asvk",
	"snp-trustee-vcek-invalid-legacy",
};

static void case_path(const char *name, char *buf, size_t size)
{
	const char *shared = getenv("TEECERT_SHARED");

	snprintf(buf, size, "%s/evidence/cases/%s.json", shared ? shared : "../shared", name);
}

static char *appraisal_text(const struct vf_appraisal *a)
{
	json_t *j = NULL;
	char *s;

	assert_true(tc_is_ok(vf_appraisal_to_json(a, &j)));
	s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(j);
	assert_non_null(s);
	return s;
}

/* Every shared SNP case: the expectation holds, and the memo changes nothing (cold, warm, off). */
static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(snp_cases) / sizeof(snp_cases[0]); i++) {
		char path[1024], diff[512];
		struct vf_case c;
		char *text[3];

		case_path(snp_cases[i], path, sizeof(path));
		if (!tc_is_ok(vf_case_load(path, &c)))
			fail_msg("%s: %s", snp_cases[i], tc_error_detail());
		vf_snp_chain_cache_clear();
		for (int run = 0; run < 3; run++) {
			struct vf_appraisal a;

			vf_snp_chain_cache_enable(run < 2);
			if (!tc_is_ok(vf_appraise(&c.input, &c.policy, c.verify_at, &a)))
				fail_msg("%s: appraisal error %s", snp_cases[i], tc_error_detail());
			if (!vf_case_check(&c, &a, diff, sizeof(diff)))
				fail_msg("%s (run %d): %s [detail: %s]", snp_cases[i], run, diff, a.detail);
			assert_true(a.accepted || a.remediation[0]);
			text[run] = appraisal_text(&a);
			vf_appraisal_cleanup(&a);
		}
		assert_string_equal(text[0], text[1]);
		assert_string_equal(text[0], text[2]);
		for (int run = 0; run < 3; run++)
			free(text[run]);
		vf_snp_chain_cache_enable(true);
		vf_case_cleanup(&c);
	}
}

/* ------------------------------------------------------------------------------ real-data appraisals */

struct real {
	struct tc_buf report, vcek, chain, ark, crl;
	struct vf_input in;
	struct vf_policy policy;
	int64_t now;
};

static void real_load(struct real *r, const char *report, const char *vcek, const char *chain, const char *ark,
		      const char *now)
{
	memset(r, 0, sizeof(*r));
	snp_test_read(report, &r->report);
	snp_test_read(vcek, &r->vcek);
	snp_test_read(chain, &r->chain);
	snp_test_read(ark, &r->ark);
	r->in.tee = VF_TEE_SNP;
	r->in.evidence[0] = (struct vf_item){ "snp_report", r->report.data, r->report.len };
	r->in.evidence[1] = (struct vf_item){ "vcek", r->vcek.data, r->vcek.len };
	r->in.n_evidence = 2;
	r->in.collateral[0] = (struct vf_item){ "ark_ask_chain", r->chain.data, r->chain.len };
	r->in.n_collateral = 1;
	r->in.anchors[0] = (struct vf_item){ "amd_ark", r->ark.data, r->ark.len };
	r->in.n_anchors = 1;
	vf_policy_init(&r->policy);
	r->policy.check_revocation = false;
	assert_true(tc_is_ok(tc_time_parse(now, &r->now)));
}

static void trustee_milan(struct real *r)
{
	real_load(r, "snp/trustee_milan_v2_report.bin", "snp/trustee_milan_vcek.der", "snp/amd_ark_ask_milan_vcek.pem",
		  "snp/amd_ark_milan.pem", "2024-01-01T00:00:00Z");
}

static void real_free(struct real *r)
{
	tc_buf_cleanup(&r->report);
	tc_buf_cleanup(&r->vcek);
	tc_buf_cleanup(&r->chain);
	tc_buf_cleanup(&r->ark);
	tc_buf_cleanup(&r->crl);
	vf_policy_cleanup(&r->policy);
}

static void policy_json(struct real *r, const char *json)
{
	json_error_t err;
	json_t *j = json_loads(json, 0, &err);

	assert_non_null(j);
	if (!tc_is_ok(vf_policy_from_json(&r->policy, j)))
		fail_msg("policy %s: %s", json, tc_error_detail());
	json_decref(j);
}

/* Appraise and expect FAILURE (TC_OK = accepted) with DETAIL_PART in the detail (NULL: any). */
static void expect(struct real *r, enum tc_code failure, const char *detail_part)
{
	struct vf_appraisal a;

	if (!tc_is_ok(vf_appraise(&r->in, &r->policy, r->now, &a)))
		fail_msg("appraisal error: %s", tc_error_detail());
	if (a.failure != failure)
		fail_msg("expected %s, got %s: %s", tc_error_info(failure)->code, tc_error_info(a.failure)->code,
			 a.detail);
	assert_int_equal(a.accepted, failure == TC_OK);
	if (detail_part && !strstr(a.detail, detail_part))
		fail_msg("detail '%s' lacks '%s'", a.detail, detail_part);
	if (failure != TC_OK)
		assert_true(a.remediation[0] != 0);
	vf_appraisal_cleanup(&a);
}

static void test_claims_and_digests(void **state)
{
	struct real r;
	struct vf_appraisal a;
	const json_t *cl;

	(void)state;
	real_load(&r, "snp/trustee_genoa_v3_report_reconstructed.bin", "snp/trustee_genoa_vcek.der",
		  "snp/amd_ark_ask_genoa_vcek.pem", "snp/amd_ark_genoa.pem", "2025-06-01T00:00:00Z");
	assert_true(tc_is_ok(vf_appraise(&r.in, &r.policy, r.now, &a)));
	assert_true(a.accepted);
	assert_int_equal(a.n_devices, 1);
	assert_string_equal(a.devices[0].id, "cpu0");
	assert_true(a.devices[0].has_tcb_status);
	assert_int_equal(a.devices[0].tcb_status, VF_TCB_UP_TO_DATE);
	cl = a.devices[0].claims;
	assert_int_equal(json_integer_value(json_object_get(cl, "report_version")), 3);
	assert_int_equal(json_integer_value(json_object_get(cl, "family")), 0x19);
	assert_int_equal(json_integer_value(json_object_get(cl, "model")), 0xa0);
	assert_int_equal(json_integer_value(json_object_get(cl, "stepping")), 2);
	assert_string_equal(json_string_value(json_object_get(cl, "policy")), "0000000000030000");
	assert_string_equal(json_string_value(json_object_get(cl, "reported_tcb")), "191700000000000a");
	assert_string_equal(json_string_value(json_object_get(cl, "platform_info")), "0000000000000025");
	assert_string_equal(json_string_value(json_object_get(cl, "signing_key")), "vcek");
	assert_string_equal(json_string_value(json_object_get(cl, "product")), "Genoa");
	assert_int_equal(json_integer_value(json_object_get(cl, "vmpl")), 0);
	assert_int_equal(strlen(json_string_value(json_object_get(cl, "chip_id"))), 128);
	assert_null(json_object_get(cl, "launch_mit_vector")); /* v3: no mitigation vectors */
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(json_object_get(a.extra, "snp"), "reported_tcb"), "microcode")),
			 25);
	assert_int_equal(a.n_collateral, 2);
	assert_string_equal(a.collateral[0].role, "ark_ask_chain");
	assert_string_equal(a.collateral[1].role, "amd_ark");
	vf_appraisal_cleanup(&a);
	real_free(&r);
}

static void test_missing_inputs(void **state)
{
	struct real r;

	(void)state;
	trustee_milan(&r);
	r.in.n_collateral = 0;
	expect(&r, TC_ERR_COLLATERAL_MISSING, "ark_ask_chain");
	r.in.n_collateral = 1;
	r.in.n_evidence = 1;
	expect(&r, TC_ERR_EVIDENCE_MALFORMED, "vcek");
	r.in.evidence[0].role = "vcek";
	r.in.evidence[1].role = "vcek";
	r.in.n_evidence = 2;
	expect(&r, TC_ERR_EVIDENCE_MALFORMED, "snp_report");
	r.in.evidence[0].role = "snp_report";
	r.in.evidence[1].role = "vlek"; /* a VCEK offered as VLEK */
	expect(&r, TC_ERR_CERT_CHAIN_INVALID, "VCEK certificate");
	r.in.evidence[1].role = "vcek";
	r.policy.check_revocation = true; /* default: needs the AMD CRL */
	expect(&r, TC_ERR_COLLATERAL_MISSING, "amd_crl");
	r.policy.require_collateral = false; /* signatures and chains only */
	expect(&r, TC_OK, "TCB status Unknown");
	real_free(&r);
}

static void test_default_anchor(void **state)
{
	struct real r;

	(void)state;
	trustee_milan(&r);
	r.in.n_anchors = 0; /* the built-in ARK-Milan */
	expect(&r, TC_OK, NULL);
	real_free(&r);
}

static void test_wrong_product_chain(void **state)
{
	struct real r;

	(void)state;
	trustee_milan(&r);
	tc_buf_cleanup(&r.ark);
	snp_test_read("snp/amd_ark_genoa.pem", &r.ark);
	r.in.anchors[0] = (struct vf_item){ "amd_ark", r.ark.data, r.ark.len };
	expect(&r, TC_ERR_CERT_CHAIN_INVALID, "Milan VCEK but the pinned ARK is Genoa's");
	tc_buf_cleanup(&r.chain);
	snp_test_read("snp/amd_ark_ask_genoa_vcek.pem", &r.chain);
	r.in.collateral[0] = (struct vf_item){ "ark_ask_chain", r.chain.data, r.chain.len };
	expect(&r, TC_ERR_CERT_CHAIN_INVALID, "Milan VCEK but the pinned ARK is Genoa's");
	real_free(&r);
	trustee_milan(&r);
	tc_buf_cleanup(&r.chain);
	snp_test_read("snp/amd_ark_ask_milan_vlek.pem", &r.chain);
	r.in.collateral[0] = (struct vf_item){ "ark_ask_chain", r.chain.data, r.chain.len };
	expect(&r, TC_ERR_CERT_CHAIN_INVALID, "ASVK");
	tc_buf_cleanup(&r.chain);
	snp_test_read("snp/amd_ark_milan.pem", &r.chain); /* the ASK is missing */
	r.in.collateral[0] = (struct vf_item){ "ark_ask_chain", r.chain.data, r.chain.len };
	expect(&r, TC_ERR_CERT_CHAIN_INVALID, NULL);
	real_free(&r);
	/* the hwID-wrapped variant: parses, but its ASK signature is bad */
	trustee_milan(&r);
	tc_buf_cleanup(&r.vcek);
	snp_test_read("snp/trustee_vcek_invalid_new.der", &r.vcek);
	r.in.evidence[1] = (struct vf_item){ "vcek", r.vcek.data, r.vcek.len };
	expect(&r, TC_ERR_CERT_CHAIN_INVALID, NULL);
	real_free(&r);
}

static void test_policy_knobs(void **state)
{
	struct real r;

	(void)state;
	/* trustee Milan: policy 0x3001f (SMT allowed), VMPL 0, current ucode 206 > committed 115 */
	trustee_milan(&r);
	policy_json(&r, "{\"snp_require_no_smt\": true}");
	expect(&r, TC_ERR_POLICY_VIOLATION, "SMT");
	real_free(&r);
	trustee_milan(&r);
	policy_json(&r, "{\"snp_require_single_socket\": true}");
	expect(&r, TC_ERR_POLICY_VIOLATION, "single socket");
	real_free(&r);
	trustee_milan(&r);
	policy_json(&r, "{\"snp_permit_provisional_firmware\": false}");
	expect(&r, TC_ERR_POLICY_VIOLATION, "provisional");
	real_free(&r);
	trustee_milan(&r);
	policy_json(&r, "{\"snp_min_committed_tcb\": {\"bootloader\": 3, \"snp\": 9}}");
	expect(&r, TC_ERR_POLICY_VIOLATION, "COMMITTED_TCB");
	real_free(&r);
	trustee_milan(&r);
	policy_json(&r, "{\"snp_min_launch_tcb\": {\"microcode\": 116}}");
	expect(&r, TC_ERR_POLICY_VIOLATION, "LAUNCH_TCB");
	real_free(&r);
	trustee_milan(&r);
	policy_json(&r, "{\"snp_min_current_tcb\": {\"microcode\": 206}, \"snp_min_launch_tcb\": {\"microcode\": 115},"
			" \"snp_max_vmpl\": 0, \"snp_min_guest_svn\": 4, \"snp_allow_migration_agent\": false}");
	expect(&r, TC_OK, NULL);
	real_free(&r);
	trustee_milan(&r);
	policy_json(&r, "{\"snp_min_guest_svn\": 5}");
	expect(&r, TC_ERR_POLICY_VIOLATION, "GUEST_SVN");
	real_free(&r);
	trustee_milan(&r);
	policy_json(&r, "{\"snp_require_tsme\": true}");
	expect(&r, TC_ERR_POLICY_VIOLATION, "TSME");
	real_free(&r);
	trustee_milan(&r);
	policy_json(&r, "{\"min_snp_tcb\": {\"bootloader\": 3, \"tee\": 0, \"snp\": 8, \"microcode\": 116}}");
	expect(&r, TC_ERR_POLICY_VIOLATION, "min_snp_tcb");
	real_free(&r);
	trustee_milan(&r);
	policy_json(&r, "{\"snp_product\": \"Turin\"}");
	expect(&r, TC_ERR_PRODUCT_MISMATCH, "Turin");
	real_free(&r);
	/* an unknown SNP knob is an error of the policy, not a verdict */
	trustee_milan(&r);
	policy_json(&r, "{\"snp_no_such_knob\": 1}");
	{
		struct vf_appraisal a;
		struct tc_result res = vf_appraise(&r.in, &r.policy, r.now, &a);

		assert_int_equal(res.code, TC_ERR_JSON_FIELD_UNKNOWN);
	}
	real_free(&r);
	trustee_milan(&r);
	policy_json(&r, "{\"snp_max_vmpl\": 4}");
	{
		struct vf_appraisal a;

		assert_int_equal(vf_appraise(&r.in, &r.policy, r.now, &a).code, TC_ERR_JSON_FIELD_INVALID);
	}
	real_free(&r);
}

static void test_allow_lists(void **state)
{
	struct real r;
	const char *good =
		"a1f3930413247bb38cfc171579ea3c12d5fe4901f0c792f63fd75d98f1ef827c23500644e0e692e6be917f9050d3d38c";

	(void)state;
	trustee_milan(&r);
	{
		char json[512];

		snprintf(json, sizeof(json), "{\"reference_values\": {\"measurement\": [\"%s\"]}}", good);
		policy_json(&r, json);
		expect(&r, TC_OK, NULL);
	}
	real_free(&r);
	trustee_milan(&r);
	policy_json(&r, "{\"reference_values\": {\"measurement\": [\"00\"]}}");
	expect(&r, TC_ERR_MEASUREMENT_MISMATCH, "measurement");
	real_free(&r);
	trustee_milan(&r);
	policy_json(&r, "{\"reference_values\": {\"host_data\": [\"11\"]}}");
	expect(&r, TC_ERR_POLICY_VIOLATION, "host_data");
	real_free(&r);
	trustee_milan(&r);
	policy_json(
		&r,
		"{\"snp_allowed_host_data\": [\"0000000000000000000000000000000000000000000000000000000000000000\"]}");
	expect(&r, TC_OK, NULL);
	real_free(&r);
	trustee_milan(&r);
	policy_json(
		&r,
		"{\"snp_allowed_host_data\": [\"0100000000000000000000000000000000000000000000000000000000000000\"]}");
	expect(&r, TC_ERR_POLICY_VIOLATION, "host_data");
	real_free(&r);
	trustee_milan(&r);
	policy_json(&r, "{\"reference_values\": {\"id_key_digest\": [\"ff\"]}}");
	expect(&r, TC_ERR_POLICY_VIOLATION, "id_key_digest");
	real_free(&r);
	trustee_milan(&r);
	policy_json(&r, "{\"reference_values\": {\"report_id\": [\"ff\"]}}");
	expect(&r, TC_ERR_POLICY_VIOLATION, "report_id");
	real_free(&r);
	trustee_milan(&r);
	policy_json(&r, "{\"reference_values\": {\"author_key_digest\": [\"ff\"]}}");
	expect(&r, TC_ERR_POLICY_VIOLATION, "author_key_digest");
	real_free(&r);
}

/* The built-in table: Milan evaluated after AMD-SB-3019 (2025-02-03) is OutOfDate. */
static void test_tcb_status_real(void **state)
{
	struct real r;
	struct vf_appraisal a;

	(void)state;
	real_load(&r, "snp/trustee_milan_v2_report.bin", "snp/trustee_milan_vcek.der", "snp/amd_ark_ask_milan_vcek.pem",
		  "snp/amd_ark_milan.pem", "2025-06-01T00:00:00Z");
	assert_true(tc_is_ok(vf_appraise(&r.in, &r.policy, r.now, &a)));
	assert_false(a.accepted);
	assert_int_equal(a.failure, TC_ERR_TCB_STATUS_REJECTED);
	assert_int_equal(a.devices[0].tcb_status, VF_TCB_OUT_OF_DATE);
	assert_non_null(strstr(a.detail, "AMD-SB-3019"));
	assert_string_equal(json_string_value(json_array_get(a.devices[0].advisory_ids, 0)), "AMD-SB-3019");
	vf_appraisal_cleanup(&a);
	policy_json(&r, "{\"accepted_tcb_statuses\": [\"UpToDate\", \"OutOfDate\"]}");
	assert_true(tc_is_ok(vf_appraise(&r.in, &r.policy, r.now, &a)));
	assert_true(a.accepted);
	assert_int_equal(a.devices[0].tcb_status, VF_TCB_OUT_OF_DATE);
	vf_appraisal_cleanup(&a);
	real_free(&r);
}

/* Below the minimum of the row in force: rejected whatever accepted_tcb_statuses says. */
static void test_tcb_below_minimum(void **state)
{
	static const char table[] = "{\"schema\":1,\"products\":{\"Milan\":[{\"bulletin\":\"SB-TEST\","
				    "\"published\":\"2021-01-01T00:00:00Z\","
				    "\"latest\":{\"bootloader\":9,\"tee\":0,\"snp\":30,\"microcode\":250},"
				    "\"minimum\":{\"bootloader\":3,\"tee\":0,\"snp\":9,\"microcode\":100}}]}}";
	struct real r;
	struct vf_appraisal a;

	(void)state;
	trustee_milan(&r); /* bl=3 snp=8 ucode=115: snp below 9 */
	policy_json(&r, "{\"accepted_tcb_statuses\": [\"UpToDate\", \"OutOfDate\"]}");
	vf_snp_tcb_table_override(table);
	assert_true(tc_is_ok(vf_appraise(&r.in, &r.policy, r.now, &a)));
	vf_snp_tcb_table_override(NULL);
	assert_int_equal(a.failure, TC_ERR_TCB_STATUS_REJECTED);
	assert_int_equal(a.devices[0].tcb_status, VF_TCB_OUT_OF_DATE);
	assert_non_null(strstr(a.detail, "below the Milan minimum"));
	vf_appraisal_cleanup(&a);
	real_free(&r);
}

static void test_tcb_table(void **state)
{
	static const char table[] =
		"{\"schema\":1,\"products\":{\"Milan\":["
		"{\"bulletin\":\"baseline\",\"published\":\"2021-01-01T00:00:00Z\","
		" \"latest\":{\"bootloader\":1,\"tee\":0,\"snp\":1,\"microcode\":1},"
		" \"minimum\":{\"bootloader\":0,\"tee\":0,\"snp\":0,\"microcode\":0}},"
		"{\"bulletin\":\"SB-X\",\"published\":\"2024-01-01T00:00:00Z\","
		" \"latest\":{\"bootloader\":4,\"tee\":0,\"snp\":20,\"microcode\":200},"
		" \"minimum\":{\"bootloader\":3,\"tee\":0,\"snp\":8,\"microcode\":100},"
		" \"microcode_by_cpuid_model\":{\"0x01\":{\"latest\":50,\"minimum\":40},\"0xa0\":null}}]}}";
	struct vf_snp_tcb_verdict v;
	struct vf_snp_tcb t = { .bootloader = 3, .tee = 0, .snp = 8, .microcode = 115 };
	int64_t t2023 = 1672531200, t2025 = SNP_TEST_NOW;

	(void)state;
	/* before SB-X: the baseline row */
	assert_true(tc_is_ok(vf_snp_tcb_evaluate(table, "Milan", -1, &t, VF_SNP_TCB_MILAN_GENOA, t2023, &v)));
	assert_int_equal(v.status, VF_TCB_UP_TO_DATE);
	assert_string_equal(v.bulletin, "baseline");
	/* after: OutOfDate, not below minimum */
	assert_true(tc_is_ok(vf_snp_tcb_evaluate(table, "Milan", -1, &t, VF_SNP_TCB_MILAN_GENOA, t2025, &v)));
	assert_int_equal(v.status, VF_TCB_OUT_OF_DATE);
	assert_false(v.below_minimum);
	assert_string_equal(v.bulletin, "SB-X");
	/* below minimum (snp 7) */
	t.snp = 7;
	assert_true(tc_is_ok(vf_snp_tcb_evaluate(table, "Milan", -1, &t, VF_SNP_TCB_MILAN_GENOA, t2025, &v)));
	assert_true(v.below_minimum);
	t.snp = 20;
	t.bootloader = 4;
	/* model 0x01: microcode 115 >= 50 -> UpToDate; unknown model: 115 < 200 -> OutOfDate */
	assert_true(tc_is_ok(vf_snp_tcb_evaluate(table, "Milan", 0x01, &t, VF_SNP_TCB_MILAN_GENOA, t2025, &v)));
	assert_int_equal(v.status, VF_TCB_UP_TO_DATE);
	assert_true(tc_is_ok(vf_snp_tcb_evaluate(table, "Milan", 0x02, &t, VF_SNP_TCB_MILAN_GENOA, t2025, &v)));
	assert_int_equal(v.status, VF_TCB_OUT_OF_DATE);
	/* model 0xa0: microcode not judged */
	t.microcode = 0;
	assert_true(tc_is_ok(vf_snp_tcb_evaluate(table, "Milan", 0xa0, &t, VF_SNP_TCB_MILAN_GENOA, t2025, &v)));
	assert_int_equal(v.status, VF_TCB_UP_TO_DATE);
	assert_false(v.below_minimum);
	/* unknown product, broken tables */
	assert_int_equal(vf_snp_tcb_evaluate(table, "Venice", -1, &t, VF_SNP_TCB_TURIN, t2025, &v).code,
			 TC_ERR_TCB_LEVEL_NOT_FOUND);
	assert_int_equal(vf_snp_tcb_evaluate("{", "Milan", -1, &t, VF_SNP_TCB_TURIN, t2025, &v).code,
			 TC_ERR_JSON_MALFORMED);
	assert_int_equal(
		vf_snp_tcb_evaluate("{\"schema\":2,\"products\":{}}", "Milan", -1, &t, VF_SNP_TCB_TURIN, t2025, &v)
			.code,
		TC_ERR_INTERNAL);
	assert_int_equal(vf_snp_tcb_evaluate("{\"schema\":1,\"products\":{\"Milan\":[{\"bulletin\":\"a\","
					     "\"published\":\"2021-01-01T00:00:00Z\",\"latest\":{\"bootloader\":1,"
					     "\"tee\":0,\"snp\":0,\"microcode\":0},\"minimum\":{\"bootloader\":2,"
					     "\"tee\":0,\"snp\":0,\"microcode\":0}}]}}",
					     "Milan", -1, &t, VF_SNP_TCB_TURIN, t2025, &v)
				 .code,
			 TC_ERR_INTERNAL);
	/* the built-in table parses and knows the three product lines */
	assert_true(
		tc_is_ok(vf_snp_tcb_evaluate(vf_snp_tcb_table_json(), "Turin", 0x02, &t, VF_SNP_TCB_TURIN, t2025, &v)));
	assert_true(tc_is_ok(vf_snp_tcb_evaluate(NULL, "Genoa", 0x11, &t, VF_SNP_TCB_MILAN_GENOA, t2025, &v)));
	assert_string_equal(v.bulletin, "AMD-SB-3019");
	assert_int_equal(v.status, VF_TCB_OUT_OF_DATE);
	assert_true(tc_is_ok(vf_snp_tcb_evaluate(NULL, "Milan", -1, &t, VF_SNP_TCB_MILAN_GENOA, t2025, &v)));
}

/* --------------------------------------------------------------------------------- self-made platform */

struct fake {
	EVP_PKEY *ark_key, *ask_key, *leaf_key;
	X509 *ark, *ask, *leaf;
	struct tc_buf report, leaf_der, chain, anchor, crl;
	struct snp_test_report rep;
	struct snp_test_vcek vcek;
	uint8_t chip_id[64];
	bool vlek;
	struct vf_input in;
	struct vf_policy policy;
};

/* A Turin (or Milan) platform: ARK-<p> <- SEV-<p> (or SEV-VLEK-<p>) <- SEV-VCEK (SEV-VLEK). */
static void fake_init(struct fake *f, const char *product, bool vlek)
{
	char ark_cn[32], ask_cn[32];
	bool turin = strcmp(product, "Turin") == 0;
	enum vf_snp_tcb_layout layout = turin ? VF_SNP_TCB_TURIN : VF_SNP_TCB_MILAN_GENOA;
	struct vf_snp_tcb tcb = { .bootloader = 10, .tee = 2, .snp = 30, .microcode = 230, .fmc = turin ? 5 : 0 };

	memset(f, 0, sizeof(*f));
	f->vlek = vlek;
	for (int i = 0; i < (turin ? 8 : 64); i++)
		f->chip_id[i] = (uint8_t)(0xc0 + i);
	snprintf(ark_cn, sizeof(ark_cn), "ARK-%s", product);
	snprintf(ask_cn, sizeof(ask_cn), vlek ? "SEV-VLEK-%s" : "SEV-%s", product);
	f->ark_key = snp_test_key();
	f->ask_key = snp_test_key();
	f->leaf_key = snp_test_key();
	f->ark = snp_test_cert(ark_cn, f->ark_key, NULL, f->ark_key, true, 1, SNP_TEST_NOW - SNP_TEST_YEAR,
			       SNP_TEST_NOW + 20 * SNP_TEST_YEAR, NULL, 0);
	f->ask = snp_test_cert(ask_cn, f->ask_key, f->ark, f->ark_key, true, 2, SNP_TEST_NOW - SNP_TEST_YEAR,
			       SNP_TEST_NOW + 20 * SNP_TEST_YEAR, NULL, 0);
	f->vcek = (struct snp_test_vcek){ .product_name = product,
					  .struct_version = turin ? 1 : 0,
					  .tcb = tcb,
					  .with_fmc = turin,
					  .hwid = vlek ? NULL : f->chip_id,
					  .hwid_len = turin ? 8 : 64 };
	f->rep = (struct snp_test_report){ .version = 3,
					   .policy = 0x30000,
					   .signing_key = vlek ? 1 : 0,
					   .family = turin ? 0x1A : 0x19,
					   .model = turin                         ? 0x02 :
						    strcmp(product, "Genoa") == 0 ? 0x11 :
										    0x01,
					   .stepping = 1 };
	f->rep.reported_tcb = f->rep.current_tcb = f->rep.committed_tcb = f->rep.launch_tcb =
		vf_snp_tcb_encode(&tcb, layout);
	memcpy(f->rep.chip_id, f->chip_id, 64);
	memset(f->rep.measurement, 0x5a, 48);
	vf_policy_init(&f->policy);
	f->policy.check_revocation = false;
}

/* (Re)issue the leaf and sign the report from the current fields. */
static void fake_build(struct fake *f)
{
	X509_free(f->leaf);
	tc_buf_cleanup(&f->report);
	tc_buf_cleanup(&f->leaf_der);
	tc_buf_cleanup(&f->chain);
	tc_buf_cleanup(&f->anchor);
	f->leaf = snp_test_vcek_cert(&f->vcek, f->vlek ? "SEV-VLEK" : "SEV-VCEK", f->leaf_key, f->ask, f->ask_key,
				     SNP_TEST_NOW - SNP_TEST_YEAR, SNP_TEST_NOW + 7 * SNP_TEST_YEAR);
	tc_buf_init(&f->report, VF_SNP_REPORT_LEN);
	assert_true(tc_is_ok(tc_buf_reserve(&f->report, VF_SNP_REPORT_LEN)));
	snp_test_report_build(&f->rep, f->leaf_key, f->report.data);
	f->report.len = VF_SNP_REPORT_LEN;
	tc_buf_init(&f->leaf_der, 1 << 16);
	tc_buf_init(&f->chain, 1 << 16);
	tc_buf_init(&f->anchor, 1 << 16);
	snp_test_der(f->leaf, &f->leaf_der);
	snp_test_pem(f->ask, &f->chain);
	snp_test_pem(f->ark, &f->chain);
	snp_test_pem(f->ark, &f->anchor);
	f->in.tee = VF_TEE_SNP;
	f->in.evidence[0] = (struct vf_item){ "snp_report", f->report.data, f->report.len };
	f->in.evidence[1] = (struct vf_item){ f->vlek ? "vlek" : "vcek", f->leaf_der.data, f->leaf_der.len };
	f->in.n_evidence = 2;
	f->in.collateral[0] = (struct vf_item){ "ark_ask_chain", f->chain.data, f->chain.len };
	f->in.n_collateral = 1;
	if (f->crl.len) {
		f->in.collateral[1] = (struct vf_item){ "amd_crl", f->crl.data, f->crl.len };
		f->in.n_collateral = 2;
	}
	f->in.anchors[0] = (struct vf_item){ "amd_ark", f->anchor.data, f->anchor.len };
	f->in.n_anchors = 1;
}

static void fake_free(struct fake *f)
{
	X509_free(f->ark);
	X509_free(f->ask);
	X509_free(f->leaf);
	EVP_PKEY_free(f->ark_key);
	EVP_PKEY_free(f->ask_key);
	EVP_PKEY_free(f->leaf_key);
	tc_buf_cleanup(&f->report);
	tc_buf_cleanup(&f->leaf_der);
	tc_buf_cleanup(&f->chain);
	tc_buf_cleanup(&f->anchor);
	tc_buf_cleanup(&f->crl);
	vf_policy_cleanup(&f->policy);
}

static void fake_expect(struct fake *f, enum tc_code failure, const char *detail_part, struct vf_appraisal *keep)
{
	struct vf_appraisal a;

	fake_build(f);
	if (!tc_is_ok(vf_appraise(&f->in, &f->policy, SNP_TEST_NOW, &a)))
		fail_msg("appraisal error: %s", tc_error_detail());
	if (a.failure != failure)
		fail_msg("expected %s, got %s: %s", tc_error_info(failure)->code, tc_error_info(a.failure)->code,
			 a.detail);
	if (detail_part && !strstr(a.detail, detail_part))
		fail_msg("detail '%s' lacks '%s'", a.detail, detail_part);
	if (keep)
		*keep = a;
	else
		vf_appraisal_cleanup(&a);
}

static void test_turin(void **state)
{
	struct fake f;
	struct vf_appraisal a;
	json_t *tcb;

	(void)state;
	fake_init(&f, "Turin", false);
	fake_expect(&f, TC_OK, NULL, &a);
	tcb = json_object_get(json_object_get(a.extra, "snp"), "reported_tcb");
	assert_string_equal(json_string_value(json_object_get(json_object_get(a.extra, "snp"), "tcb_layout")), "turin");
	assert_int_equal(json_integer_value(json_object_get(tcb, "fmc")), 5);
	assert_int_equal(json_integer_value(json_object_get(tcb, "bootloader")), 10);
	assert_int_equal(json_integer_value(json_object_get(tcb, "tee")), 2);
	assert_int_equal(json_integer_value(json_object_get(tcb, "snp")), 30);
	assert_int_equal(json_integer_value(json_object_get(tcb, "microcode")), 230);
	/* Turin layout: FMC byte 0, BL 1, TEE 2, SNP 3, UCODE 7 */
	assert_string_equal(json_string_value(json_object_get(a.devices[0].claims, "reported_tcb")),
			    "e60000001e020a05");
	assert_string_equal(json_string_value(json_object_get(a.devices[0].claims, "product")), "Turin");
	vf_appraisal_cleanup(&a);

	/* the VCEK certifies another FMC */
	f.vcek.tcb.fmc = 6;
	fake_expect(&f, TC_ERR_TCB_MISMATCH, "fmc=5", NULL);
	f.vcek.tcb.fmc = 5;
	/* a Turin VCEK without fmcSPL */
	f.vcek.with_fmc = false;
	fake_expect(&f, TC_ERR_TCB_MISMATCH, "fmcSPL", NULL);
	f.vcek.with_fmc = true;
	/* CHIP_ID beyond the 8 significant bytes must be zero */
	f.rep.chip_id[9] = 1;
	fake_expect(&f, TC_ERR_TCB_MISMATCH, "byte 9", NULL);
	f.rep.chip_id[9] = 0;
	/* another chip */
	f.rep.chip_id[0] ^= 1;
	fake_expect(&f, TC_ERR_TCB_MISMATCH, "hwID", NULL);
	f.rep.chip_id[0] ^= 1;
	/* DER-wrapped hwID is the same */
	f.vcek.wrap_hwid = true;
	fake_expect(&f, TC_OK, NULL, NULL);
	/* v2 report (no CPUID): the layout comes from the VCEK product */
	f.rep.version = 2;
	fake_expect(&f, TC_OK, NULL, &a);
	assert_string_equal(json_string_value(json_object_get(json_object_get(a.extra, "snp"), "tcb_layout")), "turin");
	vf_appraisal_cleanup(&a);
	/* v5 report: mitigation vectors become claims */
	f.rep.version = 5;
	f.rep.launch_mit = 0x3;
	f.rep.current_mit = 0x7;
	fake_expect(&f, TC_OK, NULL, &a);
	assert_string_equal(json_string_value(json_object_get(a.devices[0].claims, "current_mit_vector")),
			    "0000000000000007");
	vf_appraisal_cleanup(&a);
	/* CPUID says Genoa but the VCEK is Turin's */
	f.rep.family = 0x19;
	f.rep.model = 0x11;
	fake_expect(&f, TC_ERR_TCB_MISMATCH, "CPUID", NULL);
	f.rep.family = 0x1A;
	/* min_snp_tcb with fmc */
	f.policy.has_min_snp_tcb = true;
	f.policy.min_snp_tcb = (struct vf_snp_tcb){ .bootloader = 10, .tee = 2, .snp = 30, .microcode = 230, .fmc = 6 };
	fake_expect(&f, TC_ERR_POLICY_VIOLATION, "fmc=6", NULL);
	f.policy.has_min_snp_tcb = false;
	/* signatures */
	f.rep.signing_key = 1;
	fake_expect(&f, TC_ERR_EVIDENCE_SIGNATURE_INVALID, "SIGNING_KEY", NULL);
	f.rep.signing_key = 0;
	/* the report says debug */
	f.rep.policy |= 1ull << 19;
	fake_expect(&f, TC_ERR_DEBUG_NOT_ALLOWED, "DEBUG", NULL);
	f.rep.policy &= ~(1ull << 19);
	f.rep.policy |= 1ull << 18;
	fake_expect(&f, TC_ERR_POLICY_VIOLATION, "migration agent", NULL);
	f.rep.policy &= ~(1ull << 18);
	/* anti-rollback: committed above current */
	f.rep.committed_tcb += 1ull << 56;
	fake_expect(&f, TC_ERR_POLICY_VIOLATION, "COMMITTED_TCB", NULL);
	fake_free(&f);
}

/* A product line the TCB table does not know (v2 report: no CPUID to contradict it). */
static void test_unknown_product(void **state)
{
	struct fake f;
	struct vf_appraisal a;

	(void)state;
	fake_init(&f, "Venice", false);
	f.rep.version = 2;
	fake_expect(&f, TC_ERR_TCB_LEVEL_NOT_FOUND, "Venice", &a);
	assert_false(a.devices[0].has_tcb_status);
	vf_appraisal_cleanup(&a);
	fake_free(&f);
}

static void test_vlek(void **state)
{
	struct fake f;

	(void)state;
	fake_init(&f, "Milan", true);
	fake_expect(&f, TC_OK, "VLEK", NULL);
	f.rep.signing_key = 0;
	fake_expect(&f, TC_ERR_EVIDENCE_SIGNATURE_INVALID, "SIGNING_KEY", NULL);
	f.rep.signing_key = 1;
	/* a VLEK must not carry hwID */
	f.vcek.hwid = f.chip_id;
	f.vcek.hwid_len = 64;
	fake_expect(&f, TC_ERR_CERT_CHAIN_INVALID, "hwID", NULL);
	fake_free(&f);
}

static void test_milan_fake(void **state)
{
	struct fake f;

	(void)state;
	fake_init(&f, "Milan", false);
	fake_expect(&f, TC_OK, NULL, NULL);
	f.vcek.tcb.microcode = 231;
	fake_expect(&f, TC_ERR_TCB_MISMATCH, "REPORTED_TCB", NULL);
	f.vcek.tcb.microcode = 230;
	f.vcek.hwid_len = 8; /* a Turin-sized hwID on Milan */
	fake_expect(&f, TC_ERR_TCB_MISMATCH, "hwID", NULL);
	f.vcek.hwid_len = 64;
	f.vcek.product_name = "Milan-B0";
	fake_expect(&f, TC_OK, NULL, NULL);
	/* productName of another line than the ASK that issued it */
	f.vcek.product_name = "Genoa";
	fake_expect(&f, TC_ERR_CERT_CHAIN_INVALID, "issued by SEV-Milan", NULL);
	f.vcek.product_name = "Milan-B0";
	/* unsupported version / algorithm */
	f.rep.version = 4;
	fake_expect(&f, TC_ERR_EVIDENCE_UNSUPPORTED_VERSION, "version 4", NULL);
	f.rep.version = 3;
	/* the leaf is expired at NOW */
	X509_free(f.ask);
	f.ask = snp_test_cert("SEV-Milan", f.ask_key, f.ark, f.ark_key, true, 2, SNP_TEST_NOW - 3 * SNP_TEST_YEAR,
			      SNP_TEST_NOW - SNP_TEST_YEAR / 2, NULL, 0);
	fake_expect(&f, TC_ERR_CERT_EXPIRED, "ASK", NULL);
	fake_free(&f);
}

/* AMD CRL: signed by the ARK, lists revoked ASKs/VCEKs. */
static void make_crl(struct fake *f, EVP_PKEY *signer, long revoked_serial, int64_t this_update, int64_t next_update)
{
	X509_CRL *crl = X509_CRL_new();
	unsigned char *der = NULL;
	int n;

	assert_non_null(crl);
	X509_CRL_set_version(crl, 1);
	X509_CRL_set_issuer_name(crl, X509_get_subject_name(f->ark));
	{
		ASN1_TIME *t0 = ASN1_TIME_set(NULL, (time_t)this_update),
			  *t1 = ASN1_TIME_set(NULL, (time_t)next_update);

		X509_CRL_set1_lastUpdate(crl, t0);
		X509_CRL_set1_nextUpdate(crl, t1);
		ASN1_TIME_free(t0);
		ASN1_TIME_free(t1);
	}
	if (revoked_serial >= 0) {
		X509_REVOKED *rev = X509_REVOKED_new();
		ASN1_INTEGER *s = ASN1_INTEGER_new();
		ASN1_TIME *t = ASN1_TIME_set(NULL, (time_t)this_update);

		ASN1_INTEGER_set(s, revoked_serial);
		X509_REVOKED_set_serialNumber(rev, s);
		X509_REVOKED_set_revocationDate(rev, t);
		X509_CRL_add0_revoked(crl, rev);
		ASN1_INTEGER_free(s);
		ASN1_TIME_free(t);
	}
	assert_true(X509_CRL_sign(crl, signer, EVP_sha384()) > 0);
	n = i2d_X509_CRL(crl, &der);
	assert_true(n > 0);
	tc_buf_cleanup(&f->crl);
	tc_buf_init(&f->crl, 1 << 16);
	assert_true(tc_is_ok(tc_buf_append(&f->crl, der, (size_t)n)));
	OPENSSL_free(der);
	X509_CRL_free(crl);
}

static void test_crl(void **state)
{
	struct fake f;

	(void)state;
	fake_init(&f, "Genoa", false);
	f.policy.check_revocation = true;
	make_crl(&f, f.ark_key, 99, SNP_TEST_NOW - 3600, SNP_TEST_NOW + 3600);
	fake_expect(&f, TC_OK, NULL, NULL);
	make_crl(&f, f.ark_key, 2, SNP_TEST_NOW - 3600, SNP_TEST_NOW + 3600); /* the ASK's serial */
	fake_expect(&f, TC_ERR_CERT_REVOKED, NULL, NULL);
	make_crl(&f, f.ark_key, -1, SNP_TEST_NOW - 7200, SNP_TEST_NOW - 3600);
	fake_expect(&f, TC_ERR_COLLATERAL_EXPIRED, NULL, NULL);
	make_crl(&f, f.ask_key, -1, SNP_TEST_NOW - 3600, SNP_TEST_NOW + 3600);
	fake_expect(&f, TC_ERR_COLLATERAL_SIGNATURE_INVALID, NULL, NULL);
	fake_free(&f);
}

/* The memo is bounded: more distinct chains than slots still verify, and hits are counted. */
static void test_cache(void **state)
{
	struct fake f;

	(void)state;
	vf_snp_chain_cache_clear();
	fake_init(&f, "Milan", false);
	for (int i = 0; i < 70; i++) {
		f.vcek.tcb.tee = (uint8_t)(i % 3); /* a new leaf each time: new bytes, new key */
		f.rep.reported_tcb = vf_snp_tcb_encode(&f.vcek.tcb, VF_SNP_TCB_MILAN_GENOA);
		f.rep.current_tcb = f.rep.committed_tcb = f.rep.launch_tcb = f.rep.reported_tcb;
		fake_expect(&f, TC_OK, NULL, NULL);
	}
	assert_int_equal(vf_snp_chain_cache_hits(), 0);
	{
		struct vf_appraisal a;

		assert_true(tc_is_ok(vf_appraise(&f.in, &f.policy, SNP_TEST_NOW, &a)));
		assert_true(a.accepted);
		vf_appraisal_cleanup(&a);
		/* time is checked on every call, also after a hit */
		assert_true(tc_is_ok(vf_appraise(&f.in, &f.policy, SNP_TEST_NOW + 30 * SNP_TEST_YEAR, &a)));
		assert_int_equal(a.failure, TC_ERR_CERT_EXPIRED);
		vf_appraisal_cleanup(&a);
	}
	assert_int_equal(vf_snp_chain_cache_hits(), 2);
	fake_free(&f);
}

/* Many threads appraise through one memo: every result accepted and identical. */
#define THREADS 4
#define PER_THREAD 40

static void *thread_run(void *arg)
{
	struct real *r = arg;
	long bad = 0;

	for (int i = 0; i < PER_THREAD; i++) {
		struct vf_appraisal a;

		if (!tc_is_ok(vf_appraise(&r->in, &r->policy, r->now, &a))) {
			bad++;
			continue;
		}
		bad += !a.accepted;
		vf_appraisal_cleanup(&a);
	}
	return (void *)bad;
}

static void test_threads(void **state)
{
	struct real r;
	pthread_t t[THREADS];

	(void)state;
	trustee_milan(&r);
	vf_snp_chain_cache_clear();
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, thread_run, &r), 0);
	for (int i = 0; i < THREADS; i++) {
		void *bad = NULL;

		assert_int_equal(pthread_join(t[i], &bad), 0);
		assert_null(bad);
	}
	assert_true(vf_snp_chain_cache_hits() >= THREADS * PER_THREAD - THREADS);
	real_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_claims_and_digests),
		cmocka_unit_test(test_missing_inputs),
		cmocka_unit_test(test_default_anchor),
		cmocka_unit_test(test_wrong_product_chain),
		cmocka_unit_test(test_policy_knobs),
		cmocka_unit_test(test_allow_lists),
		cmocka_unit_test(test_tcb_status_real),
		cmocka_unit_test(test_tcb_table),
		cmocka_unit_test(test_tcb_below_minimum),
		cmocka_unit_test(test_turin),
		cmocka_unit_test(test_vlek),
		cmocka_unit_test(test_unknown_product),
		cmocka_unit_test(test_milan_fake),
		cmocka_unit_test(test_crl),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
