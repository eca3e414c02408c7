/*
 * test_vf_collateral_needs.c — vf_collateral_needs over every shared conformance case and over simulated
 * evidence: the keys derived from the evidence are the keys of the case's own collateral items (what
 * vf_collateral_verify derives from their content, or accepts as the requested id for RIMs), so the
 * collateral service would find exactly those items; the roles are those the appraisers read. Also the VCEK
 * key of an SNP report without its VCEK, and evidence that does not parse (fewer needs, no error). The PCK
 * chain memo: a fleet of platforms with two FMSPCs, asked in several orders, each gets its own.
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

#include "coll_test_util.h"
#include "nvidia/vf_nvidia_sim.h"
#include "tdx/vf_tdx_sim.h"
#include "vf.h"
#include "vf_internal.h"

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
	snprintf(dir, sizeof(dir), "%s/evidence/cases", coll_test_shared());
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
	coll_test_case_load(name, c);
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
			/* The configured product line (serve --snp-product) names it: chain, CRL and the VCEK,
			 * whose key is the one the VCEK's own content gives. */
			struct vf_coll_needs_opts o = { .snp_product = "Milan" };
			assert_true(tc_is_ok(vf_collateral_needs_opts(&in, &o, n, VF_COLL_NEEDS_MAX, &k)));
			assert_int_equal(k, 3);
			assert_string_equal(n[0].key, "Milan");
			assert_string_equal(n[1].key, "Milan");
			v = find_role(n, k, "vcek");
			assert_non_null(v);
			assert_true(v->evidence);
			if (strcasecmp(v->key, chk.key) != 0)
				fail_msg("%s: derived %s with --snp-product, the VCEK is %s", cases[ci], v->key,
					 chk.key);
			/* A product the evidence names wins over the configured one. */
			o.snp_product = "Turin";
			assert_true(tc_is_ok(vf_collateral_needs_opts(&c.input, &o, n, VF_COLL_NEEDS_MAX, &k)));
			assert_string_equal(n[0].key, "Milan");
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

/* A fleet of 40 platforms, half of it with the other FMSPC: asked round robin, backwards and again, every
 * quote's TCB info key is its own PCK's FMSPC (memo hits never mix platforms up). */
static void test_tdx_pck_memo(void **state)
{
	(void)state;
	enum { PLATFORMS = 40 };
	char dir[] = "/tmp/tc_needs_memo_XXXXXX";
	struct vf_tdx_sim_pki *pki = NULL;
	struct tc_buf q[PLATFORMS];
	char want[2][2 * VF_TDX_FMSPC_LEN + 1];

	assert_non_null(mkdtemp(dir));
	assert_true(tc_is_ok(vf_tdx_sim_init(dir)));
	assert_true(tc_is_ok(vf_tdx_sim_pki_load(dir, &pki)));
	assert_true(tc_is_ok(tc_hex_encode(vf_tdx_sim_fmspc, VF_TDX_FMSPC_LEN, want[0], sizeof(want[0]))));
	assert_true(tc_is_ok(tc_hex_encode(vf_tdx_sim_other_fmspc, VF_TDX_FMSPC_LEN, want[1], sizeof(want[1]))));
	for (size_t i = 0; i < PLATFORMS; i++) {
		struct vf_tdx_sim_quote_opts o;
		X509 *pck = NULL;

		assert_true(tc_is_ok(vf_tdx_sim_quote_opts_init(&o)));
		o.fmspc_mismatch = i % 2 == 1;
		assert_true(tc_is_ok(vf_tdx_sim_pck_issue(pki, &o, &pck)));
		o.pck = pck;
		tc_buf_init(&q[i], TC_BUF_DEFAULT_MAX);
		assert_true(tc_is_ok(vf_tdx_sim_quote(pki, &o, &q[i])));
		X509_free(pck);
	}
	for (size_t round = 0; round < 3; round++) {
		for (size_t j = 0; j < PLATFORMS; j++) {
			size_t i = round == 1 ? PLATFORMS - 1 - j : j;
			struct vf_input in = { .tee = VF_TEE_TDX, .n_evidence = 1 };
			struct vf_coll_need n[VF_COLL_NEEDS_MAX];
			size_t k = 0;

			in.evidence[0] = (struct vf_item){ .role = "tdx_quote", .data = q[i].data, .len = q[i].len };
			assert_true(tc_is_ok(vf_collateral_needs(&in, n, VF_COLL_NEEDS_MAX, &k)));
			assert_int_equal(k, 4);
			assert_int_equal(n[0].kind, VF_COLL_TCB_INFO);
			assert_string_equal(n[0].key, want[i % 2]);
			assert_string_equal(n[2].key, "platform");
		}
	}
	for (size_t i = 0; i < PLATFORMS; i++)
		tc_buf_cleanup(&q[i]);
	vf_tdx_sim_pki_free(pki);
	coll_test_rmdir(dir);
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
	struct vf_input g = { .tee = VF_TEE_NVIDIA };
	struct coll_test_gpus gpus;
	coll_test_gpus_init(&gpus, pki, tc_time_now(), &g);
	assert_true(tc_is_ok(vf_collateral_needs(&g, n, VF_COLL_NEEDS_MAX, &k)));
	assert_int_equal(k, 2);
	assert_string_equal(n[0].key, "NV_GPU_DRIVER_" VF_NV_SIM_PRODUCT "_" VF_NV_SIM_DRIVER_VERSION);
	assert_true(strncmp(n[1].key, "NV_GPU_VBIOS_", 13) == 0);
	assert_true(strstr(n[1].key, "96009F0004") != NULL);

	/* OCSP: every certificate of each chain but the leaf and the root (BROM, ICA, identity); the two GPUs
	 * share the ICA and identity: 3 + 1. Each pair is the certificate and its issuer, keyed by serial. */
	struct vf_coll_needs_opts o = { .ocsp = true };
	assert_true(tc_is_ok(vf_collateral_needs_opts(&g, &o, n, VF_COLL_NEEDS_MAX, &k)));
	assert_int_equal(k, 6);
	static const char *const roles[] = { "ocsp.gpu0.1", "ocsp.gpu0.2", "ocsp.gpu0.3", "ocsp.gpu1.1" };
	for (size_t i = 0; i < 4; i++) {
		const struct vf_coll_need *o1 = &n[2 + i];
		struct tc_buf pair, req;
		char key[VF_COLL_KEY_MAX];
		assert_int_equal(o1->kind, VF_COLL_OCSP);
		assert_string_equal(o1->role, roles[i]);
		assert_true(o1->simulated);
		tc_buf_init(&pair, TC_BUF_DEFAULT_MAX);
		tc_buf_init(&req, TC_BUF_DEFAULT_MAX);
		assert_true(tc_is_ok(vf_collateral_ocsp_pair(&g, o1, &pair)));
		assert_true(tc_is_ok(vf_collateral_ocsp_request(pair.data, pair.len, &req, key)));
		assert_string_equal(key, o1->key);
		STACK_OF(X509) *pc = NULL;
		assert_true(tc_is_ok(vf_x509_parse_pem_chain(pair.data, pair.len, TC_ERR_CERT_CHAIN_INVALID, &pc)));
		assert_int_equal(sk_X509_num(pc), 2);
		assert_int_equal(X509_check_issued(sk_X509_value(pc, 1), sk_X509_value(pc, 0)), X509_V_OK);
		sk_X509_pop_free(pc, X509_free);
		tc_buf_cleanup(&pair);
		tc_buf_cleanup(&req);
	}
	/* A RIM in the collateral: its signer chain (signer, RIM CA; the root is not asked about) too. */
	char rim_path[512];
	snprintf(rim_path, sizeof(rim_path), "%s/collateral/driver_rim.xml", nv);
	struct tc_buf rim;
	tc_buf_init(&rim, TC_BUF_DEFAULT_MAX);
	assert_true(tc_is_ok(tc_file_read(rim_path, TC_BUF_DEFAULT_MAX, &rim)));
	g.collateral[g.n_collateral++] = (struct vf_item){ .role = "driver_rim", .data = rim.data, .len = rim.len };
	assert_true(tc_is_ok(vf_collateral_needs_opts(&g, &o, n, VF_COLL_NEEDS_MAX, &k)));
	assert_int_equal(k, 8);
	assert_string_equal(n[6].role, "ocsp.driver_rim.0");
	assert_string_equal(n[7].role, "ocsp.driver_rim.1");
	for (size_t i = 6; i < 8; i++) {
		struct tc_buf pair, req;
		char key[VF_COLL_KEY_MAX];
		tc_buf_init(&pair, TC_BUF_DEFAULT_MAX);
		tc_buf_init(&req, TC_BUF_DEFAULT_MAX);
		assert_true(tc_is_ok(vf_collateral_ocsp_pair(&g, &n[i], &pair)));
		assert_true(tc_is_ok(vf_collateral_ocsp_request(pair.data, pair.len, &req, key)));
		assert_string_equal(key, n[i].key);
		tc_buf_cleanup(&pair);
		tc_buf_cleanup(&req);
	}
	g.n_collateral = 0;
	tc_buf_cleanup(&rim);

	/* A chain without its root: the root comes from the anchors, the identity is asked about too. */
	STACK_OF(X509) *full = NULL;
	assert_true(tc_is_ok(
		vf_x509_parse_pem_chain(gpus.chains[0].data, gpus.chains[0].len, TC_ERR_CERT_CHAIN_INVALID, &full)));
	const char *end = strstr((const char *)gpus.chains[0].data, "-----END CERTIFICATE-----");
	for (int i = 0; i < 3 && end != NULL; i++)
		end = strstr(end + 1, "-----END CERTIFICATE-----");
	assert_non_null(end);
	struct vf_input nr = { .tee = VF_TEE_NVIDIA };
	nr.evidence[nr.n_evidence++] = g.evidence[0];
	nr.evidence[nr.n_evidence++] =
		(struct vf_item){ .role = "gpu0.cert_chain",
				  .data = gpus.chains[0].data,
				  .len = (size_t)(end + 25 - (const char *)gpus.chains[0].data) };
	char root_path[512];
	snprintf(root_path, sizeof(root_path), "%s/nvidia_device_root.pem", nv);
	struct tc_buf root;
	tc_buf_init(&root, TC_BUF_DEFAULT_MAX);
	assert_true(tc_is_ok(tc_file_read(root_path, TC_BUF_DEFAULT_MAX, &root)));
	nr.anchors[nr.n_anchors++] =
		(struct vf_item){ .role = "nvidia_device_root", .data = root.data, .len = root.len };
	assert_true(tc_is_ok(vf_collateral_needs_opts(&nr, &o, n, VF_COLL_NEEDS_MAX, &k)));
	assert_int_equal(k, 5); /* 2 RIMs + BROM, ICA, identity (its issuer: the anchor) */
	assert_string_equal(n[4].role, "ocsp.gpu0.3");
	struct tc_buf pair;
	tc_buf_init(&pair, TC_BUF_DEFAULT_MAX);
	assert_true(tc_is_ok(vf_collateral_ocsp_pair(&nr, &n[4], &pair)));
	tc_buf_cleanup(&pair);
	tc_buf_cleanup(&root);
	sk_X509_pop_free(full, X509_free);
	/* Bad input: a need naming no evidence item, a garbage chain. */
	struct vf_coll_need bogus = n[4];
	snprintf(bogus.src_role, sizeof(bogus.src_role), "gpu7.cert_chain");
	tc_buf_init(&pair, TC_BUF_DEFAULT_MAX);
	assert_int_equal(vf_collateral_ocsp_pair(&nr, &bogus, &pair).code, TC_ERR_CERT_CHAIN_INVALID);
	nr.evidence[1].len = 40;
	assert_true(tc_is_ok(vf_collateral_needs_opts(&nr, &o, n, VF_COLL_NEEDS_MAX, &k)));
	assert_int_equal(k, 2); /* the RIMs; the chain does not parse: no OCSP needs, no error */
	assert_int_equal(vf_collateral_ocsp_pair(&nr, &n[0], &pair).code, TC_ERR_INVALID_ARGUMENT);
	tc_buf_cleanup(&pair);
	coll_test_gpus_cleanup(&gpus);
	vf_nv_sim_pki_free(&pki);
	coll_test_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_cases), cmocka_unit_test(test_tdx_keys),
		cmocka_unit_test(test_snp_vcek_key), cmocka_unit_test(test_snp_vlek),
		cmocka_unit_test(test_nvidia_ids),   cmocka_unit_test(test_sim),
		cmocka_unit_test(test_tdx_pck_memo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
