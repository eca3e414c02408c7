/*
 * test_vf_collateral_needs.c — vf_collateral_needs over every shared conformance case and over simulated
 * evidence: the keys derived from the evidence are the keys of the case's own collateral items (what
 * vf_collateral_verify derives from their content, or accepts as the requested id for RIMs), so the
 * collateral service would find exactly those items; the roles are those the appraisers read. Also the VCEK
 * key of an SNP report without its VCEK, and evidence that does not parse (fewer needs, no error).
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>

#include "nvidia/vf_nvidia_sim.h"
#include "vf.h"

static const char *shared(void)
{
	const char *s = getenv("TEECERT_SHARED");
	return s != NULL ? s : "../shared";
}

static const struct vf_coll_need *find_role(const struct vf_coll_need *n, size_t k, const char *role)
{
	for (size_t i = 0; i < k; i++)
		if (strcmp(n[i].role, role) == 0 || strcmp(n[i].chain_role, role) == 0)
			return &n[i];
	return NULL;
}

/* Content-derived keys compared for every item that verifies at the case's time; counts what was compared. */
static void check_case(const char *path, size_t *compared, size_t *cases)
{
	struct vf_case c;
	if (!tc_is_ok(vf_case_load(path, &c)))
		fail_msg("%s: %s", path, tc_error_detail());
	struct vf_coll_need needs[VF_COLL_NEEDS_MAX];
	size_t n = 0;
	assert_true(tc_is_ok(vf_collateral_needs(&c.input, needs, VF_COLL_NEEDS_MAX, &n)));
	const char *failure = json_string_value(json_object_get(c.expect, "failure"));
	/* Cases whose point is an item of another platform / version. */
	bool mismatch_case = failure != NULL &&
			     (strcmp(failure, "tcb_mismatch") == 0 || strcmp(failure, "measurement_mismatch") == 0 ||
			      strcmp(failure, "product_mismatch") == 0 ||
			      (c.input.tee == VF_TEE_SNP && strcmp(failure, "cert_chain_invalid") == 0));
	const struct vf_item *anchor = NULL;
	for (size_t i = 0; i < c.input.n_anchors; i++)
		if (strcmp(c.input.anchors[i].role, "nvidia_device_root") != 0)
			anchor = &c.input.anchors[i];
	(*cases)++;
	for (size_t i = 0; i < c.input.n_collateral; i++) {
		const struct vf_item *it = &c.input.collateral[i];
		const struct vf_coll_need *nd = find_role(needs, n, it->role);
		if (strstr(it->role, "issuer_chain") != NULL)
			continue; /* the chain role is named by its item's need (checked below) */
		if (nd == NULL) {
			/* Every collateral role of a parsable evidence is needed. */
			if (strcmp(c.expect ? json_string_value(json_object_get(c.expect, "verdict")) : "",
				   "accepted") == 0)
				fail_msg("%s: no need names role %s", c.name, it->role);
			continue;
		}
		const struct vf_item *chain =
			nd->chain_role[0] ? vf_item_find(c.input.collateral, c.input.n_collateral, nd->chain_role) :
					    NULL;
		struct vf_coll_check chk;
		bool rim = nd->kind == VF_COLL_RIM;
		struct tc_result r =
			vf_collateral_verify(nd->kind, it->data, it->len, chain ? chain->data : NULL,
					     chain ? chain->len : 0, anchor ? anchor->data : NULL,
					     anchor ? anchor->len : 0, rim ? nd->key : NULL, c.verify_at, &chk);
		if (!tc_is_ok(r)) {
			/* An item refused for its content being another one is a key mismatch, unless that is the
			 * case's point. */
			if (r.code == TC_ERR_TCB_MISMATCH && !mismatch_case)
				fail_msg("%s: %s (%s) is not the item named by the evidence: %s", c.name, it->role,
					 nd->key, tc_error_detail());
			continue;
		}
		if (!mismatch_case && strcasecmp(chk.key, nd->key) != 0)
			fail_msg("%s: %s: evidence needs %s/%s, the item is %s", c.name, it->role,
				 vf_coll_kind_name(nd->kind), nd->key, chk.key);
		(*compared)++;
	}
	vf_case_cleanup(&c);
}

static void test_shared_cases(void **state)
{
	(void)state;
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/evidence/cases", shared());
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	size_t compared = 0, cases = 0;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l < 6 || strcmp(e->d_name + l - 5, ".json") != 0)
			continue;
		char path[2048];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		check_case(path, &compared, &cases);
	}
	closedir(d);
	print_message("%zu cases, %zu collateral items matched their derived keys\n", cases, compared);
	assert_true(cases >= 63);
	assert_true(compared >= 40);
}

static void needs_of_case(const char *name, struct vf_case *c, struct vf_coll_need *needs, size_t *n)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/evidence/cases/%s.json", shared(), name);
	if (!tc_is_ok(vf_case_load(path, c)))
		fail_msg("%s: %s", path, tc_error_detail());
	assert_true(tc_is_ok(vf_collateral_needs(&c->input, needs, VF_COLL_NEEDS_MAX, n)));
}

static void test_tdx_keys(void **state)
{
	(void)state;
	struct vf_case c;
	struct vf_coll_need n[VF_COLL_NEEDS_MAX];
	size_t k = 0;
	needs_of_case("tdx-phala-v4-b0c06f-uptodate", &c, n, &k);
	assert_int_equal(k, 4);
	assert_int_equal(n[0].kind, VF_COLL_TCB_INFO);
	assert_string_equal(n[0].key, "b0c06f000000");
	assert_string_equal(n[0].chain_role, "tcb_info_issuer_chain");
	assert_string_equal(n[1].key, "td_qe");
	assert_string_equal(n[2].role, "pck_crl");
	assert_string_equal(n[2].key, "platform");
	assert_string_equal(n[3].role, "root_ca_crl");
	/* A quote that does not parse: no needs, no error. */
	c.input.evidence[0].len = 10;
	assert_true(tc_is_ok(vf_collateral_needs(&c.input, n, VF_COLL_NEEDS_MAX, &k)));
	assert_int_equal(k, 0);
	/* Too small an output array. */
	c.input.evidence[0].len = c.files[0].len;
	assert_int_equal(vf_collateral_needs(&c.input, n, 2, &k).code, TC_ERR_TOO_LARGE);
	vf_case_cleanup(&c);
}

/* An SNP report without its VCEK: the VCEK need's key is the one the VCEK's own content gives. */
static void test_snp_vcek_key(void **state)
{
	(void)state;
	/* v3+ reports (CPUID names the product); the v2 Milan report cannot name its product without a key. */
	static const char *const cases[] = { "snp-azure-genoa-ok", "snp-trustee-genoa-ok", "snp-trustee-milan-ok" };
	for (size_t ci = 0; ci < sizeof(cases) / sizeof(cases[0]); ci++) {
		struct vf_case c;
		struct vf_coll_need n[VF_COLL_NEEDS_MAX];
		size_t k = 0;
		needs_of_case(cases[ci], &c, n, &k);
		const struct vf_item *vcek = vf_item_find(c.input.evidence, c.input.n_evidence, "vcek");
		const struct vf_item *chain = vf_item_find(c.input.collateral, c.input.n_collateral, "ark_ask_chain");
		const struct vf_item *ark = vf_item_find(c.input.anchors, c.input.n_anchors, "amd_ark");
		assert_non_null(vcek);
		assert_int_equal(k, 2); /* ark_ask_chain + amd_crl; the evidence has its VCEK */
		assert_int_equal(n[0].kind, VF_COLL_ARK_ASK_CHAIN);
		struct vf_coll_check chk;
		assert_true(tc_is_ok(vf_collateral_verify(VF_COLL_VCEK, vcek->data, vcek->len, chain->data, chain->len,
							  ark->data, ark->len, NULL, c.verify_at, &chk)));
		/* Drop the VCEK from the evidence. */
		struct vf_input in = c.input;
		in.n_evidence = 0;
		for (size_t i = 0; i < c.input.n_evidence; i++)
			if (strcmp(c.input.evidence[i].role, "vcek") != 0)
				in.evidence[in.n_evidence++] = c.input.evidence[i];
		assert_true(tc_is_ok(vf_collateral_needs(&in, n, VF_COLL_NEEDS_MAX, &k)));
		const struct vf_coll_need *v = find_role(n, k, "vcek");
		if (strstr(cases[ci], "milan") != NULL) {
			assert_null(v);
			assert_int_equal(k, 0);
			vf_case_cleanup(&c);
			continue;
		}
		if (v == NULL)
			fail_msg("%s: no vcek need without the VCEK", cases[ci]);
		assert_true(v->evidence);
		if (strcasecmp(v->key, chk.key) != 0)
			fail_msg("%s: derived %s, the VCEK is %s", cases[ci], v->key, chk.key);
		vf_case_cleanup(&c);
	}
}

static void test_snp_vlek(void **state)
{
	(void)state;
	struct vf_case c;
	struct vf_coll_need n[VF_COLL_NEEDS_MAX];
	size_t k = 0;
	needs_of_case("snp-trustee-milan-ok", &c, n, &k);
	c.input.evidence[1].role = "vlek"; /* the same certificate named a VLEK: the ASVK chain is needed */
	assert_true(tc_is_ok(vf_collateral_needs(&c.input, n, VF_COLL_NEEDS_MAX, &k)));
	assert_int_equal(n[0].kind, VF_COLL_ASVK_CHAIN);
	assert_string_equal(n[0].role, "ark_ask_chain");
	assert_string_equal(n[0].key, "Milan");
	vf_case_cleanup(&c);
}

static void test_nvidia_ids(void **state)
{
	(void)state;
	struct vf_case c;
	struct vf_coll_need n[VF_COLL_NEEDS_MAX];
	size_t k = 0;
	needs_of_case("nvidia-nvat-590.12-x4-ok", &c, n, &k);
	/* Four GPUs of one board type: one driver and one VBIOS RIM. */
	assert_int_equal(k, 2);
	assert_string_equal(n[0].role, "driver_rim");
	assert_string_equal(n[0].key, "NV_GPU_DRIVER_GH100_590.12");
	assert_string_equal(n[1].role, "vbios_rim");
	assert_string_equal(n[1].key, "NV_GPU_VBIOS_G520_0200_885_9600A50001");
	vf_case_cleanup(&c);
	needs_of_case("nvidia-nvat-535.86.09-vbios-rim-ok", &c, n, &k);
	assert_int_equal(k, 2);
	assert_string_equal(n[1].key, "NV_GPU_VBIOS_1010_0200_882_96005E0001");
	vf_case_cleanup(&c);
}

/* Simulated evidence: TDX sim quote (FMSPC 50806F000000, Platform CA) and sim GPUs. */
static void test_sim(void **state)
{
	(void)state;
	char dir[] = "/tmp/tc_needs_XXXXXX";
	assert_non_null(mkdtemp(dir));
	char tdx[256], nv[256];
	snprintf(tdx, sizeof(tdx), "%s/tdx", dir);
	snprintf(nv, sizeof(nv), "%s/nv", dir);
	assert_true(tc_is_ok(vf_tdx_sim_init(tdx)));
	uint8_t rd[VF_REPORT_DATA_LEN] = { 1, 2, 3 };
	struct tc_buf quote;
	tc_buf_init(&quote, TC_BUF_DEFAULT_MAX);
	assert_true(tc_is_ok(vf_tdx_quote_for(tdx, rd, &quote)));
	struct vf_input in = { .tee = VF_TEE_TDX };
	in.evidence[in.n_evidence++] = (struct vf_item){ .role = "tdx_quote", .data = quote.data, .len = quote.len };
	struct vf_coll_need n[VF_COLL_NEEDS_MAX];
	size_t k = 0;
	assert_true(tc_is_ok(vf_collateral_needs(&in, n, VF_COLL_NEEDS_MAX, &k)));
	assert_int_equal(k, 4);
	assert_string_equal(n[0].key, "50806f000000");
	assert_string_equal(n[2].key, "platform");
	tc_buf_cleanup(&quote);

	struct vf_nv_sim_pki *pki = NULL;
	assert_true(tc_is_ok(vf_nvidia_sim_init(nv)));
	assert_true(tc_is_ok(vf_nv_sim_pki_load(nv, &pki)));
	struct vf_nv_sim_knobs kn;
	memset(&kn, 0, sizeof(kn));
	kn.gpus = 2;
	struct tc_buf spdm[2], chains[2];
	for (int i = 0; i < 2; i++) {
		tc_buf_init(&spdm[i], TC_BUF_DEFAULT_MAX);
		tc_buf_init(&chains[i], TC_BUF_DEFAULT_MAX);
	}
	assert_true(tc_is_ok(vf_nv_sim_evidence(pki, &kn, tc_time_now(), spdm, chains)));
	struct vf_input g = { .tee = VF_TEE_NVIDIA };
	g.evidence[g.n_evidence++] = (struct vf_item){ .role = "gpu0.spdm", .data = spdm[0].data, .len = spdm[0].len };
	g.evidence[g.n_evidence++] = (struct vf_item){ .role = "gpu1.spdm", .data = spdm[1].data, .len = spdm[1].len };
	assert_true(tc_is_ok(vf_collateral_needs(&g, n, VF_COLL_NEEDS_MAX, &k)));
	assert_int_equal(k, 2);
	assert_string_equal(n[0].key, "NV_GPU_DRIVER_" VF_NV_SIM_PRODUCT "_" VF_NV_SIM_DRIVER_VERSION);
	assert_true(strncmp(n[1].key, "NV_GPU_VBIOS_", 13) == 0);
	assert_true(strstr(n[1].key, "96009F0004") != NULL);
	for (int i = 0; i < 2; i++) {
		tc_buf_cleanup(&spdm[i]);
		tc_buf_cleanup(&chains[i]);
	}
	vf_nv_sim_pki_free(&pki);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_cases), cmocka_unit_test(test_tdx_keys),
		cmocka_unit_test(test_snp_vcek_key), cmocka_unit_test(test_snp_vlek),
		cmocka_unit_test(test_nvidia_ids),   cmocka_unit_test(test_sim),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
