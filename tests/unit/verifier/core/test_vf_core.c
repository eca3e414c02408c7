/*
 * test_vf_core.c — the shared appraisal model: policy knobs and digest, the appraisal result and its JSON,
 * and the conformance case loader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "vf.h"

static json_t *parse(const char *text)
{
	json_t *j = NULL;

	assert_true(tc_is_ok(tc_json_parse(text, strlen(text), TC_JSON_MAX_DEFAULT, &j)));
	return j;
}

static enum tc_code policy_code(const char *text)
{
	struct vf_policy p;
	json_t *j = parse(text);
	struct tc_result r;

	vf_policy_init(&p);
	r = vf_policy_from_json(&p, j);
	json_decref(j);
	vf_policy_cleanup(&p);
	return r.code;
}

static void test_policy_defaults(void **state)
{
	struct vf_policy p;
	json_t *j = NULL;

	vf_policy_init(&p);
	assert_true(p.require_collateral);
	assert_true(p.check_revocation);
	assert_false(p.allow_debug);
	assert_int_equal(p.gpu_rims, VF_REQUIRED);
	assert_int_equal(p.ocsp, VF_IF_PRESENT);
	assert_int_equal(p.accepted_tcb_statuses, (1u << VF_TCB_UP_TO_DATE) | (1u << VF_TCB_SW_HARDENING_NEEDED));
	assert_true(tc_is_ok(vf_policy_to_json(&p, &j)));
	assert_int_equal(json_array_size(json_object_get(j, "accepted_tcb_statuses")), 2);
	assert_string_equal(json_string_value(json_object_get(j, "gpu_rims")), "required");
	json_decref(j);
	vf_policy_cleanup(&p);
}

static void test_policy_overrides(void **state)
{
	struct vf_policy p;
	json_t *j = parse("{\"accepted_tcb_statuses\":[\"UpToDate\",\"OutOfDate\"],\"allow_debug\":true,"
			  "\"gpu_rims\":\"off\",\"expected_nonce\":\"e97b23a1718095a0e9e35edca810768c70a6a5a389b705e753b197912bc11576\","
			  "\"min_snp_tcb\":{\"bootloader\":3,\"tee\":0,\"snp\":8,\"microcode\":115},\"snp_product\":\"Genoa\","
			  "\"tdx_knob\":1,\"reference_values\":{\"mrtd\":[\"00\"]}}");

	vf_policy_init(&p);
	assert_true(tc_is_ok(vf_policy_from_json(&p, j)));
	assert_true(p.allow_debug);
	assert_int_equal(p.gpu_rims, VF_OFF);
	assert_true(p.has_expected_nonce);
	assert_int_equal(p.expected_nonce[0], 0xe9);
	assert_true(p.has_min_snp_tcb);
	assert_int_equal(p.min_snp_tcb.microcode, 115);
	assert_string_equal(p.snp_product, "Genoa");
	assert_true(p.accepted_tcb_statuses & (1u << VF_TCB_OUT_OF_DATE));
	assert_false(p.accepted_tcb_statuses & (1u << VF_TCB_SW_HARDENING_NEEDED));
	assert_non_null(json_object_get(p.extra, "tdx_knob"));
	assert_non_null(json_object_get(p.reference_values, "mrtd"));
	json_decref(j);
	vf_policy_cleanup(&p);
}

static void test_policy_rejects(void **state)
{
	assert_int_equal(policy_code("{\"no_such_knob\":1}"), TC_ERR_JSON_FIELD_UNKNOWN);
	assert_int_equal(policy_code("{\"accepted_tcb_statuses\":[\"Revoked\"]}"), TC_ERR_JSON_FIELD_INVALID);
	assert_int_equal(policy_code("{\"accepted_tcb_statuses\":[\"Great\"]}"), TC_ERR_JSON_FIELD_INVALID);
	assert_int_equal(policy_code("{\"accepted_tcb_statuses\":\"UpToDate\"}"), TC_ERR_JSON_FIELD_INVALID);
	assert_int_equal(policy_code("{\"allow_debug\":1}"), TC_ERR_JSON_FIELD_INVALID);
	assert_int_equal(policy_code("{\"gpu_rims\":\"sometimes\"}"), TC_ERR_JSON_FIELD_INVALID);
	assert_int_equal(policy_code("{\"expected_nonce\":\"abcd\"}"), TC_ERR_JSON_FIELD_INVALID);
	assert_int_equal(policy_code("{\"expected_report_data\":\"zz\"}"), TC_ERR_JSON_FIELD_INVALID);
	assert_int_equal(policy_code("{\"min_snp_tcb\":{\"bootloader\":256}}"), TC_ERR_JSON_FIELD_INVALID);
	assert_int_equal(policy_code("{\"min_snp_tcb\":{\"firmware\":1}}"), TC_ERR_JSON_FIELD_UNKNOWN);
	assert_int_equal(policy_code("{\"snp_product\":\"Naples\"}"), TC_ERR_JSON_FIELD_INVALID);
	assert_int_equal(policy_code("{\"reference_values\":{\"mrtd\":\"00\"}}"), TC_ERR_JSON_FIELD_INVALID);
	assert_int_equal(policy_code("[]"), TC_ERR_JSON_FIELD_INVALID);
}

static void test_policy_digest(void **state)
{
	struct vf_policy a, b;
	uint8_t da[32], db[32];

	vf_policy_init(&a);
	vf_policy_init(&b);
	assert_true(tc_is_ok(vf_policy_digest(&a, da)));
	assert_true(tc_is_ok(vf_policy_digest(&b, db)));
	assert_memory_equal(da, db, 32);
	b.allow_debug = true;
	assert_true(tc_is_ok(vf_policy_digest(&b, db)));
	assert_memory_not_equal(da, db, 32);
	vf_policy_cleanup(&a);
	vf_policy_cleanup(&b);
}

static void test_appraisal_reject_and_json(void **state)
{
	struct vf_appraisal a;
	struct vf_device *d;
	json_t *j = NULL;

	vf_appraisal_init(&a);
	d = vf_appraisal_add_device(&a, "cpu0", VF_TEE_TDX);
	assert_non_null(d);
	d->has_tcb_status = true;
	d->tcb_status = VF_TCB_OUT_OF_DATE;
	json_object_set_new(d->claims, "mrtd", json_string("00ff"));
	assert_true(tc_is_ok(vf_appraisal_add_digest(&a, "tcb_info", "abc", 3)));
	assert_true(tc_is_ok(vf_appraisal_add_digest(&a, "tcb_info", "abc", 3))); /* same item once */
	assert_int_equal(a.n_collateral, 1);
	vf_reject(&a, TC_ERR_TCB_STATUS_REJECTED, "status %s", "OutOfDate");
	vf_reject(&a, TC_ERR_DEBUG_NOT_ALLOWED, "later failure is ignored");
	assert_false(a.accepted);
	assert_int_equal(a.failure, TC_ERR_TCB_STATUS_REJECTED);
	assert_string_equal(a.detail, "status OutOfDate");
	assert_true(strlen(a.remediation) > 0);
	assert_true(tc_is_ok(vf_appraisal_to_json(&a, &j)));
	assert_string_equal(json_string_value(json_object_get(j, "verdict")), "rejected");
	assert_string_equal(json_string_value(json_object_get(j, "failure")), "tcb_status_rejected");
	d = NULL;
	{
		json_t *dev = json_array_get(json_object_get(j, "devices"), 0);

		assert_string_equal(json_string_value(json_object_get(dev, "id")), "cpu0");
		assert_string_equal(json_string_value(json_object_get(dev, "tcb_status")), "OutOfDate");
		assert_string_equal(json_string_value(json_object_get(json_object_get(dev, "claims"), "mrtd")), "00ff");
	}
	/* SHA-256("abc") */
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "collateral_digests"), 0),
							       "sha256")),
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	json_decref(j);
	vf_appraisal_cleanup(&a);
}

static void test_device_limit(void **state)
{
	struct vf_appraisal a;

	vf_appraisal_init(&a);
	for (int i = 0; i < VF_MAX_DEVICES; i++)
		assert_non_null(vf_appraisal_add_device(&a, "gpu", VF_TEE_NVIDIA));
	assert_null(vf_appraisal_add_device(&a, "gpu", VF_TEE_NVIDIA));
	vf_appraisal_cleanup(&a);
}

static void test_names(void **state)
{
	enum vf_tee t;
	enum vf_tcb_status s;

	assert_true(tc_is_ok(vf_tee_parse("nvidia", &t)));
	assert_int_equal(t, VF_TEE_NVIDIA);
	assert_int_equal(vf_tee_parse("sgx", &t).code, TC_ERR_INVALID_ARGUMENT);
	for (int i = 0; i < VF_TCB__COUNT; i++) {
		assert_true(tc_is_ok(vf_tcb_status_parse(vf_tcb_status_name((enum vf_tcb_status)i), &s)));
		assert_int_equal(s, i);
	}
	assert_non_null(vf_default_anchor("intel_root"));
	assert_non_null(vf_default_anchor("amd_ark_turin"));
	assert_null(vf_default_anchor("nope"));
}

static char *shared_path(const char *rel)
{
	const char *base = getenv("TEECERT_SHARED");
	char *p = NULL;

	assert_non_null(base);
	assert_true(asprintf(&p, "%s/%s", base, rel) > 0);
	return p;
}

static void test_case_load(void **state)
{
	struct vf_case *c = calloc(1, sizeof(*c));
	char *path = shared_path("evidence/cases/nvidia-nvat-590.12-x4-ok.json");

	assert_true(tc_is_ok(vf_case_load(path, c)));
	assert_string_equal(c->name, "nvidia-nvat-590.12-x4-ok");
	assert_int_equal(c->input.tee, VF_TEE_NVIDIA);
	assert_int_equal(c->input.n_evidence, 8);
	assert_non_null(vf_item_find(c->input.evidence, c->input.n_evidence, "gpu3.cert_chain"));
	assert_non_null(vf_item_find(c->input.anchors, c->input.n_anchors, "nvidia_rim_root"));
	assert_true(c->policy.has_expected_nonce);
	assert_int_equal(c->policy.gpu_rims, VF_OFF);
	assert_int_equal(c->verify_at, 1748736000); /* 2025-06-01T00:00:00Z */
	vf_case_cleanup(c);
	free(path);

	path = shared_path("evidence/cases/no-such-case.json");
	assert_int_equal(vf_case_load(path, c).code, TC_ERR_IO);
	free(path);
	free(c);
}

/* A manifest written to a temp folder tree: <tmp>/cases/x.json with data in <tmp>. */
static enum tc_code load_text(const char *text)
{
	char dir[] = "/tmp/vfcaseXXXXXX", sub[64], file[96];
	struct vf_case *c = calloc(1, sizeof(*c));
	struct tc_result r;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/cases", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(file, sizeof(file), "%s/x.json", sub);
	f = fopen(file, "w");
	fputs(text, f);
	fclose(f);
	r = vf_case_load(file, c);
	if (tc_is_ok(r))
		vf_case_cleanup(c);
	free(c);
	unlink(file);
	rmdir(sub);
	rmdir(dir);
	return r.code;
}

static void test_case_negatives(void **state)
{
	assert_int_equal(load_text("{\"schema\":2}"), TC_ERR_EVIDENCE_UNSUPPORTED_VERSION);
	assert_int_equal(load_text("{\"schema\":1,\"name\":\"x\"}"), TC_ERR_JSON_FIELD_MISSING);
	assert_int_equal(load_text("{\"schema\":1,\"name\":\"x\",\"tee\":\"sgx\",\"verify_at\":\"2025-01-01T00:00:00Z\","
				   "\"expect\":{}}"),
			 TC_ERR_INVALID_ARGUMENT);
	assert_int_equal(load_text("{\"schema\":1,\"name\":\"x\",\"tee\":\"tdx\",\"verify_at\":\"yesterday\","
				   "\"expect\":{}}"),
			 TC_ERR_TIME_INVALID);
	assert_int_equal(load_text("{\"schema\":1,\"name\":\"x\",\"tee\":\"tdx\",\"verify_at\":\"2025-01-01T00:00:00Z\","
				   "\"expect\":{},\"evidence\":{\"tdx_quote\":\"../../etc/passwd\"}}"),
			 TC_ERR_INVALID_ARGUMENT);
	assert_int_equal(load_text("{\"schema\":1,\"name\":\"x\",\"tee\":\"tdx\",\"verify_at\":\"2025-01-01T00:00:00Z\","
				   "\"expect\":{},\"evidence\":{\"tdx_quote\":\"missing.bin\"}}"),
			 TC_ERR_IO);
	assert_int_equal(load_text("{\"schema\":1,\"name\":\"x\",\"tee\":\"tdx\",\"verify_at\":\"2025-01-01T00:00:00Z\","
				   "\"expect\":{},\"policy\":{\"bogus\":true}}"),
			 TC_ERR_JSON_FIELD_UNKNOWN);
	assert_int_equal(load_text("{\"schema\":1,\"schema\":1}"), TC_ERR_JSON_MALFORMED);
}

static void test_case_check(void **state)
{
	struct vf_case *c = calloc(1, sizeof(*c));
	char *path = shared_path("evidence/cases/tdx-phala-v4-b0c06f-uptodate.json");
	struct vf_appraisal a;
	struct vf_device *d;
	char diff[512];

	assert_true(tc_is_ok(vf_case_load(path, c)));
	vf_appraisal_init(&a);
	assert_false(vf_case_check(c, &a, diff, sizeof(diff))); /* no device, no claims */
	assert_non_null(strstr(diff, "tcb_status"));
	d = vf_appraisal_add_device(&a, "cpu0", VF_TEE_TDX);
	d->has_tcb_status = true;
	d->tcb_status = VF_TCB_UP_TO_DATE;
	json_object_set(d->claims, "mrtd", json_object_get(json_object_get(c->expect, "claims"), "mrtd"));
	json_object_set(d->claims, "report_data", json_object_get(json_object_get(c->expect, "claims"), "report_data"));
	assert_true(vf_case_check(c, &a, diff, sizeof(diff)));
	vf_reject(&a, TC_ERR_CERT_EXPIRED, "x");
	assert_false(vf_case_check(c, &a, diff, sizeof(diff)));
	assert_non_null(strstr(diff, "verdict"));
	vf_appraisal_cleanup(&a);
	vf_case_cleanup(c);
	free(c);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_defaults),	      cmocka_unit_test(test_policy_overrides),
		cmocka_unit_test(test_policy_rejects),	      cmocka_unit_test(test_policy_digest),
		cmocka_unit_test(test_appraisal_reject_and_json), cmocka_unit_test(test_device_limit),
		cmocka_unit_test(test_names),		      cmocka_unit_test(test_case_load),
		cmocka_unit_test(test_case_negatives),	      cmocka_unit_test(test_case_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
