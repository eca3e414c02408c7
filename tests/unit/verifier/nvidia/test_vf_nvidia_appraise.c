/*
 * test_vf_nvidia_appraise.c — the NVIDIA appraiser end to end over the shared cases and real evidence:
 * every NVIDIA case (cache on, cache off, identical results), RIM tampering, policy knobs, OCSP policy,
 * multi-GPU details. The byte flips over the real SPDM blobs are in test_vf_nvidia_flip.c.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nv_test_cases.h"

/* Every NVIDIA case: expected result, twice with the cache (second run hits), once without; identical. */
static void test_cases_cache_identical(void **state)
{
	const char *shared = getenv("TEECERT_SHARED");
	char dir[1024];
	DIR *d;
	struct dirent *e;
	size_t n = 0;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/evidence/cases", shared);
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char name[256], diff[512];
		struct vf_case *c;
		struct vf_appraisal a[3];
		json_t *j[3];
		uint64_t hits;

		if (strncmp(e->d_name, "nvidia-", 7) != 0)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(strlen(e->d_name) - 5), e->d_name);
		c = load(name);
		vf_nv_cache_enable(true);
		appraise(c, &a[0]);
		hits = vf_nv_cache_hits();
		appraise(c, &a[1]);
		vf_nv_cache_enable(false);
		appraise(c, &a[2]);
		vf_nv_cache_enable(true);
		assert_true(vf_case_check(c, &a[0], diff, sizeof(diff)));
		if (a[0].accepted)
			assert_true(vf_nv_cache_hits() > hits);
		for (int k = 0; k < 3; k++)
			assert_true(tc_is_ok(vf_appraisal_to_json(&a[k], &j[k])));
		for (int k = 1; k < 3; k++) {
			assert_int_equal(a[k].accepted, a[0].accepted);
			assert_int_equal(a[k].failure, a[0].failure);
			assert_string_equal(a[k].detail, a[0].detail);
			assert_true(json_equal(j[k], j[0]));
		}
		if (!a[0].accepted)
			assert_true(a[0].remediation[0] != 0);
		for (int k = 0; k < 3; k++) {
			json_decref(j[k]);
			vf_appraisal_cleanup(&a[k]);
		}
		unload(c);
		n++;
	}
	closedir(d);
	assert_int_equal(n, 19);
}

/* Multi-GPU: the failing GPU is named, and one device per GPU is reported. */
static void test_multi_gpu_detail(void **state)
{
	struct vf_case *c = load("nvidia-nvat-590.12-x4-ok");
	struct vf_item *chain2 = NULL, saved;
	struct vf_appraisal a;

	(void)state;
	appraise(c, &a);
	assert_true(a.accepted);
	assert_int_equal(a.n_devices, 4);
	assert_string_equal(a.devices[3].id, "gpu3");
	assert_string_equal(json_string_value(json_object_get(a.devices[0].claims, "driver_version")), "590.12");
	assert_string_equal(json_string_value(json_object_get(a.devices[0].claims, "mode")), "ppcie");
	vf_appraisal_cleanup(&a);
	for (size_t i = 0; i < c->input.n_evidence; i++)
		if (strcmp(c->input.evidence[i].role, "gpu2.cert_chain") == 0)
			chain2 = &c->input.evidence[i];
	assert_non_null(chain2);
	saved = *chain2;
	*chain2 = *vf_item_find(c->input.evidence, c->input.n_evidence, "gpu1.cert_chain");
	chain2->role = saved.role;
	appraise(c, &a);
	assert_false(a.accepted);
	assert_int_equal(a.failure, TC_ERR_EVIDENCE_SIGNATURE_INVALID);
	assert_non_null(strstr(a.detail, "gpu2:"));
	vf_appraisal_cleanup(&a);
	*chain2 = saved;
	unload(c);
}

/* RIM content edited in memory: the reference digest fails -> rim_signature_invalid. */
static void test_rim_tampered(void **state)
{
	struct vf_case *c = load("nvidia-nvat-535.86.09-vbios-rim-ok");
	struct vf_item *rim = &c->input.collateral[0];
	uint8_t *copy = malloc(rim->len + 256);
	const uint8_t *orig = rim->data;
	size_t len = rim->len;
	struct vf_appraisal a;
	char *p;

	(void)state;
	assert_string_equal(rim->role, "vbios_rim");
	memcpy(copy, orig, len);
	copy[len] = 0;
	rim->data = copy;
	p = strstr((char *)copy, "c3f65ef79a19");
	assert_non_null(p);
	p[0] = 'd';
	appraise(c, &a);
	assert_int_equal(a.failure, TC_ERR_RIM_SIGNATURE_INVALID);
	assert_non_null(strstr(a.detail, "digest"));
	vf_appraisal_cleanup(&a);
	/* a DTD (entity tricks) is refused before anything else */
	memcpy(copy, "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>", 54);
	memcpy(copy + 54, orig, len);
	rim->len = len + 54;
	appraise(c, &a);
	assert_int_equal(a.failure, TC_ERR_RIM_SIGNATURE_INVALID);
	vf_appraisal_cleanup(&a);
	/* not XML at all */
	memcpy(copy, "garbage", 7);
	rim->len = 7;
	appraise(c, &a);
	assert_int_equal(a.failure, TC_ERR_RIM_SIGNATURE_INVALID);
	vf_appraisal_cleanup(&a);
	/* no certificate in KeyInfo -> chain invalid */
	memcpy(copy, orig, len);
	rim->len = len;
	p = strstr((char *)copy, "<ds:X509Data>");
	assert_non_null(p);
	memcpy(p, "<ds:X509Dota>", 13);
	p = strstr(p, "</ds:X509Data>");
	memcpy(p, "</ds:X509Dota>", 14);
	appraise(c, &a);
	assert_int_equal(a.failure, TC_ERR_RIM_CHAIN_INVALID);
	vf_appraisal_cleanup(&a);
	rim->data = orig;
	rim->len = len;
	free(copy);
	unload(c);
}

/* The authenticated PROD VBIOS RIM content. */
static void test_rim_content(void **state)
{
	struct vf_case *c = load("nvidia-nvat-535.86.09-vbios-rim-ok");
	const struct vf_item *rim = vf_item_find(c->input.collateral, c->input.n_collateral, "vbios_rim");
	struct vf_rim_doc *doc = NULL;
	static struct vf_rim content;

	(void)state;
	assert_true(tc_is_ok(vf_rim_doc_parse(rim->data, rim->len, &doc)));
	assert_int_equal(sk_X509_num(vf_rim_doc_certs(doc)), 4);
	assert_true(tc_is_ok(vf_rim_verify_signature(doc)));
	assert_true(tc_is_ok(vf_rim_content(doc, &content)));
	assert_string_equal(content.version, "96.00.5e.00.01");
	assert_string_equal(content.product, "GH100");
	assert_int_equal(content.n_active, 12);
	assert_int_equal(content.meas[12].n_alts, 4);
	assert_false(content.meas[7].active);
	vf_rim_doc_free(&doc);
	assert_null(doc);
	unload(c);
}

static void test_policy_knobs(void **state)
{
	struct vf_case *c = load("nvidia-trustee-coco-580.95.05-trailing-byte");
	struct vf_appraisal a;
	json_t *saved = c->policy.extra;

	(void)state;
	c->policy.extra = json_pack("{s:b}", "nvidia_allow_trailing_byte", 0);
	appraise(c, &a);
	assert_int_equal(a.failure, TC_ERR_EVIDENCE_MALFORMED);
	vf_appraisal_cleanup(&a);
	json_decref(c->policy.extra);
	c->policy.extra = json_pack("{s:[s]}", "nvidia_allowed_modes", "mpt");
	appraise(c, &a);
	assert_int_equal(a.failure, TC_ERR_POLICY_VIOLATION); /* this GPU reports SPT */
	vf_appraisal_cleanup(&a);
	json_decref(c->policy.extra);
	c->policy.extra = json_pack("{s:[s]}", "nvidia_allowed_modes", "spt");
	appraise(c, &a);
	assert_true(a.accepted);
	vf_appraisal_cleanup(&a);
	json_decref(c->policy.extra);
	c->policy.extra = json_pack("{s:b}", "nvidia_no_such_knob", 1);
	assert_int_equal(vf_appraise(&c->input, &c->policy, c->verify_at, &a).code, TC_ERR_INVALID_ARGUMENT);
	json_decref(c->policy.extra);
	c->policy.extra = saved;
	unload(c);

	/* the 535.86.09 capture carries no FWID opaque field */
	c = load("nvidia-nvat-535.86.09-vbios-rim-ok");
	saved = c->policy.extra;
	c->policy.extra = json_pack("{s:b}", "nvidia_require_fwid", 1);
	appraise(c, &a);
	assert_int_equal(a.failure, TC_ERR_CERT_CHAIN_INVALID);
	vf_appraisal_cleanup(&a);
	json_decref(c->policy.extra);
	c->policy.extra = saved;
	unload(c);
}

static void test_ocsp_policy(void **state)
{
	struct vf_case *c = load("nvidia-nvtrust-550.90.07-ok");
	struct vf_appraisal a;
	static const uint8_t junk[] = { 0x30, 0x03, 0x0a, 0x01, 0x00 };

	(void)state;
	c->policy.check_revocation = true;
	c->policy.ocsp = VF_REQUIRED;
	appraise(c, &a);
	assert_int_equal(a.failure, TC_ERR_COLLATERAL_MISSING);
	assert_non_null(strstr(a.detail, "gpu0"));
	vf_appraisal_cleanup(&a);
	c->policy.ocsp = VF_IF_PRESENT;
	appraise(c, &a);
	assert_true(a.accepted);
	vf_appraisal_cleanup(&a);
	c->input.collateral[c->input.n_collateral++] = (struct vf_item){ "ocsp.0", junk, sizeof(junk) };
	appraise(c, &a);
	assert_int_equal(a.failure, TC_ERR_COLLATERAL_SIGNATURE_INVALID);
	vf_appraisal_cleanup(&a);
	c->policy.ocsp = VF_OFF;
	appraise(c, &a);
	assert_true(a.accepted);
	vf_appraisal_cleanup(&a);
	unload(c);
}

static void test_missing_inputs(void **state)
{
	struct vf_case *c = load("nvidia-nvtrust-550.90.07-ok");
	struct vf_appraisal a;
	size_t n;

	(void)state;
	n = c->input.n_anchors;
	c->input.n_anchors = 0;
	appraise(c, &a);
	assert_int_equal(a.failure, TC_ERR_CERT_CHAIN_INVALID);
	vf_appraisal_cleanup(&a);
	c->input.n_anchors = n;
	n = c->input.n_evidence;
	c->input.n_evidence = 0;
	appraise(c, &a);
	assert_int_equal(a.failure, TC_ERR_EVIDENCE_MALFORMED);
	vf_appraisal_cleanup(&a);
	c->input.n_evidence = 1; /* spdm without its chain */
	appraise(c, &a);
	assert_int_equal(a.failure, TC_ERR_CERT_CHAIN_INVALID);
	vf_appraisal_cleanup(&a);
	c->input.n_evidence = n;
	unload(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases_cache_identical), cmocka_unit_test(test_multi_gpu_detail),
		cmocka_unit_test(test_rim_tampered),          cmocka_unit_test(test_rim_content),
		cmocka_unit_test(test_policy_knobs),          cmocka_unit_test(test_ocsp_policy),
		cmocka_unit_test(test_missing_inputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
