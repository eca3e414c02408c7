/*
 * test_vf_collateral.c — vf_collateral_verify / vf_collateral_normalize on the recorded vendor collateral of
 * ../shared/evidence: Intel TCB info, QE identity, PCK and Root CA CRLs with their issuer chains; AMD VCEK
 * and KDS cert_chain documents; NVIDIA RIMs. Positive items with their keys and windows, and the negatives
 * (tampered signature, wrong signer chain, outside the window, another item than asked for).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "coll_test_server.h"
#include "vf.h"

struct file {
	uint8_t *data;
	size_t len;
};

static struct file load(const char *rel)
{
	struct file f = { NULL, 0 };
	f.data = coll_test_read(rel, &f.len);
	if (f.data == NULL)
		fail_msg("cannot read %s (TEECERT_SHARED)", rel);
	return f;
}

static int64_t at(const char *rfc3339)
{
	int64_t t = 0;
	assert_true(tc_is_ok(tc_time_parse(rfc3339, &t)));
	return t;
}

/* Verify BODY (+ CHAIN, ANCHOR files, may be NULL) at NOW, expecting CODE; returns the check. */
static struct vf_coll_check check(enum vf_coll_kind kind, const char *body, const char *chain, const char *anchor,
				  const char *want, const char *now, enum tc_code code)
{
	struct file b = load(body), c = { NULL, 0 }, a = { NULL, 0 };
	if (chain)
		c = load(chain);
	if (anchor)
		a = load(anchor);
	struct tc_buf norm;
	tc_buf_init(&norm, TC_BUF_DEFAULT_MAX);
	assert_true(tc_is_ok(vf_collateral_normalize(kind, b.data, b.len, &norm)));
	struct vf_coll_check out;
	memset(&out, 0, sizeof(out));
	struct tc_result r = vf_collateral_verify(kind, norm.data, norm.len, c.data, c.len, a.data, a.len, want, at(now), &out);
	if (r.code != code)
		fail_msg("%s: expected %s, got %s: %s", body, tc_error_info(code)->code, tc_error_info(r.code)->code,
			 tc_error_detail());
	tc_buf_cleanup(&norm);
	free(b.data);
	free(c.data);
	free(a.data);
	return out;
}

static void test_intel_tcb_info(void **state)
{
	(void)state;
	struct vf_coll_check c = check(VF_COLL_TCB_INFO, "tdx/gotdx_tcbinfo_50806f000000_2023-06-18.json",
				       "tdx/gotdx_tcb_signing_chain_2018-2025.pem", NULL, "50806F000000",
				       "2023-07-01T01:00:00Z", TC_OK);
	assert_string_equal(c.key, "50806f000000");
	assert_true(c.has_window);
	assert_int_equal(c.not_before, at("2023-06-18T08:42:58Z"));
	assert_int_equal(c.next_update, at("2023-07-18T08:42:58Z"));
	/* Phala TCB info with the renewed signer chain; then the negatives. */
	c = check(VF_COLL_TCB_INFO, "tdx/phala_collateral_b0c06f000000_2025-06-19_tcb_info.json",
		  "tdx/intel_tcb_signing_chain_2025-2032.pem", NULL, NULL, "2025-07-01T00:00:00Z", TC_OK);
	assert_string_equal(c.key, "b0c06f000000");
	check(VF_COLL_TCB_INFO, "tdx/phala_collateral_b0c06f000000_2025-06-19_tcb_info_tampered.json",
	      "tdx/intel_tcb_signing_chain_2025-2032.pem", NULL, NULL, "2025-07-01T00:00:00Z",
	      TC_ERR_COLLATERAL_SIGNATURE_INVALID);
	check(VF_COLL_TCB_INFO, "tdx/phala_collateral_b0c06f000000_2025-06-19_tcb_info.json",
	      "tdx/intel_tcb_signing_chain_2025-2032.pem", NULL, "90c06f000000", "2025-07-01T00:00:00Z",
	      TC_ERR_TCB_MISMATCH);
	check(VF_COLL_TCB_INFO, "tdx/phala_collateral_b0c06f000000_2025-06-19_tcb_info.json",
	      "tdx/intel_tcb_signing_chain_2025-2032.pem", NULL, NULL, "2025-08-01T00:00:00Z", TC_ERR_COLLATERAL_EXPIRED);
	/* The 2018-2025 signer expired on 2025-05-21. */
	check(VF_COLL_TCB_INFO, "tdx/phala_collateral_b0c06f000000_2025-06-19_tcb_info.json",
	      "tdx/gotdx_tcb_signing_chain_2018-2025.pem", NULL, NULL, "2025-07-01T00:00:00Z", TC_ERR_CERT_EXPIRED);
	/* A chain that is not an issuer chain (PCK CRL chain: leaf is a CA). */
	check(VF_COLL_TCB_INFO, "tdx/gotdx_tcbinfo_50806f000000_2023-06-18.json", "tdx/gotdx_pck_crl_issuer_chain.pem",
	      NULL, NULL, "2023-07-01T01:00:00Z", TC_ERR_CERT_CHAIN_INVALID);
	/* No issuer chain header at all. */
	check(VF_COLL_TCB_INFO, "tdx/gotdx_tcbinfo_50806f000000_2023-06-18.json", NULL, NULL, NULL,
	      "2023-07-01T01:00:00Z", TC_ERR_COLLATERAL_MISSING);
}

static void test_intel_qe_identity_and_crls(void **state)
{
	(void)state;
	struct vf_coll_check c = check(VF_COLL_QE_IDENTITY, "tdx/gotdx_qeidentity_td_qe_2023-06-08.json",
				       "tdx/gotdx_tcb_signing_chain_2018-2025.pem", NULL, "td_qe",
				       "2023-07-01T01:00:00Z", TC_OK);
	assert_string_equal(c.key, "td_qe");
	assert_int_equal(c.next_update, at("2023-07-08T07:24:59Z"));
	c = check(VF_COLL_PCK_CRL, "tdx/gotdx_pck_platform_crl_2023-06-08.der", "tdx/gotdx_pck_crl_issuer_chain.pem", NULL,
		  "platform", "2023-07-01T01:00:00Z", TC_OK);
	assert_string_equal(c.key, "platform");
	assert_int_equal(c.not_before, at("2023-06-08T07:27:52Z"));
	assert_int_equal(c.next_update, at("2023-07-08T07:27:52Z"));
	check(VF_COLL_PCK_CRL, "tdx/gotdx_pck_platform_crl_2023-06-08.der", "tdx/gotdx_pck_crl_issuer_chain.pem", NULL,
	      "processor", "2023-07-01T01:00:00Z", TC_ERR_TCB_MISMATCH);
	/* Signed by the Platform CA, not by the TCB signer. */
	check(VF_COLL_PCK_CRL, "tdx/gotdx_pck_platform_crl_2023-06-08.der", "tdx/gotdx_tcb_signing_chain_2018-2025.pem",
	      NULL, NULL, "2023-07-01T01:00:00Z", TC_ERR_COLLATERAL_SIGNATURE_INVALID);
	c = check(VF_COLL_ROOT_CA_CRL, "tdx/gotdx_root_ca_crl_2023-04-03.der", NULL, NULL, "root", "2023-07-01T01:00:00Z",
		  TC_OK);
	assert_int_equal(c.next_update, at("2024-04-02T10:22:51Z"));
	check(VF_COLL_ROOT_CA_CRL, "tdx/gotdx_root_ca_crl_2023-04-03.der", NULL, NULL, NULL, "2024-05-01T00:00:00Z",
	      TC_ERR_COLLATERAL_EXPIRED);
	/* A PCK CRL is not signed by the root. */
	check(VF_COLL_ROOT_CA_CRL, "tdx/gotdx_pck_platform_crl_2023-06-08.der", NULL, NULL, NULL, "2023-07-01T01:00:00Z",
	      TC_ERR_COLLATERAL_SIGNATURE_INVALID);
}

static void test_crl_encodings(void **state)
{
	(void)state;
	struct file der = load("tdx/gotdx_root_ca_crl_2023-04-03.der");
	struct tc_buf hex, out;
	tc_buf_init(&hex, TC_BUF_DEFAULT_MAX);
	tc_buf_init(&out, TC_BUF_DEFAULT_MAX);
	assert_true(tc_is_ok(tc_hex_encode_buf(der.data, der.len, &hex)));
	assert_true(tc_is_ok(vf_collateral_normalize(VF_COLL_ROOT_CA_CRL, hex.data, hex.len, &out)));
	assert_int_equal(out.len, der.len);
	assert_memory_equal(out.data, der.data, der.len);
	tc_buf_cleanup(&hex);
	tc_buf_cleanup(&out);
	free(der.data);
}

static void test_amd(void **state)
{
	(void)state;
	struct vf_coll_check c = check(VF_COLL_VCEK, "snp/trustee_milan_vcek.der", "snp/amd_ark_ask_milan_vcek.pem", NULL,
				       NULL, "2024-01-01T00:00:00Z", TC_OK);
	assert_false(c.has_window);
	assert_non_null(strstr(c.key, "Milan/"));
	assert_non_null(strstr(c.key, "/3.0.8.115"));
	char want[VF_COLL_KEY_MAX];
	snprintf(want, sizeof(want), "%s", c.key);
	check(VF_COLL_VCEK, "snp/trustee_milan_vcek.der", "snp/amd_ark_ask_milan_vcek.pem", NULL, want,
	      "2024-01-01T00:00:00Z", TC_OK);
	want[strlen(want) - 1] = '6'; /* ucode 116: another VCEK */
	check(VF_COLL_VCEK, "snp/trustee_milan_vcek.der", "snp/amd_ark_ask_milan_vcek.pem", NULL, want,
	      "2024-01-01T00:00:00Z", TC_ERR_TCB_MISMATCH);
	check(VF_COLL_VCEK, "snp/trustee_milan_vcek_flip_0x2a.der", "snp/amd_ark_ask_milan_vcek.pem", NULL, NULL,
	      "2024-01-01T00:00:00Z", TC_ERR_CERT_CHAIN_INVALID);
	check(VF_COLL_VCEK, "snp/trustee_milan_vcek.der", "snp/amd_ark_ask_genoa_vcek.pem", NULL, NULL,
	      "2024-01-01T00:00:00Z", TC_ERR_CERT_CHAIN_INVALID);
	c = check(VF_COLL_ARK_ASK_CHAIN, "snp/amd_ark_ask_genoa_vcek.pem", NULL, NULL, "Genoa", "2026-01-01T00:00:00Z",
		  TC_OK);
	assert_string_equal(c.key, "Genoa");
	check(VF_COLL_ARK_ASK_CHAIN, "snp/amd_ark_ask_milan_vcek.pem", NULL, NULL, "Genoa", "2026-01-01T00:00:00Z",
	      TC_ERR_TCB_MISMATCH);
	c = check(VF_COLL_ASVK_CHAIN, "snp/amd_ark_ask_turin_vlek.pem", NULL, NULL, NULL, "2026-01-01T00:00:00Z", TC_OK);
	assert_string_equal(c.key, "Turin");
	/* A VLEK chain is not a VCEK chain. */
	check(VF_COLL_ARK_ASK_CHAIN, "snp/amd_ark_ask_milan_vlek.pem", NULL, NULL, NULL, "2026-01-01T00:00:00Z",
	      TC_ERR_CERT_CHAIN_INVALID);
}

static void test_nvidia_rim(void **state)
{
	(void)state;
	struct vf_coll_check c = check(VF_COLL_RIM, "nvidia/nvtrust_rim_vbios_1010_0200_882_96.00.74.00.1A_PROD.swidtag",
				       NULL, NULL, "NV_GPU_VBIOS_1010_0200_882_960074001A", "2024-06-01T00:00:00Z", TC_OK);
	assert_string_equal(c.key, "NV_GPU_VBIOS_1010_0200_882_960074001A");
	assert_false(c.has_window);
	assert_true(c.signer_not_after > at("2024-06-01T00:00:00Z"));
	check(VF_COLL_RIM, "nvidia/nvtrust_rim_vbios_1010_0200_882_96.00.74.00.1A_PROD.swidtag", NULL, NULL,
	      "NV_GPU_VBIOS_1010_0200_882_9600740020", "2024-06-01T00:00:00Z", TC_ERR_TCB_MISMATCH);
	check(VF_COLL_RIM, "nvidia/nvat_rim_driver_550.144.03_incorrect_signature.xml", NULL, NULL, NULL,
	      "2025-06-01T00:00:00Z", TC_ERR_RIM_SIGNATURE_INVALID);
	check(VF_COLL_RIM, "nvidia/nvtrust_rim_vbios_1010_0200_882_96.00.5E.00.01_PROD.swidtag", NULL,
	      "nvidia/nvat_incorrect_rim_root.crt", NULL, "2024-06-01T00:00:00Z", TC_ERR_RIM_CHAIN_INVALID);
	c = check(VF_COLL_RIM, "nvidia/nvat_rim_driver_550.144.03.xml", NULL, NULL, "NV_GPU_DRIVER_GH100_550.144.03",
		  "2025-06-01T00:00:00Z", TC_OK);
	assert_string_equal(c.key, "NV_GPU_DRIVER_GH100_550.144.03");
}

static void test_rim_service_envelope(void **state)
{
	(void)state;
	struct file x = load("nvidia/nvat_rim_driver_550.144.03.xml");
	struct tc_buf b64, json, out;
	tc_buf_init(&b64, TC_BUF_DEFAULT_MAX);
	tc_buf_init(&json, TC_BUF_DEFAULT_MAX);
	tc_buf_init(&out, TC_BUF_DEFAULT_MAX);
	assert_true(tc_is_ok(tc_base64_encode(x.data, x.len, &b64)));
	assert_true(tc_is_ok(tc_buf_appendf(&json, "{\"id\":\"NV_GPU_DRIVER_GH100_550.144.03\",\"rim\":\"%s\","
						   "\"rim_format\":\"SWIDTAG\"}", (const char *)b64.data)));
	assert_true(tc_is_ok(vf_collateral_normalize(VF_COLL_RIM, json.data, json.len, &out)));
	assert_int_equal(out.len, x.len);
	assert_memory_equal(out.data, x.data, x.len);
	tc_buf_cleanup(&b64);
	tc_buf_cleanup(&json);
	tc_buf_cleanup(&out);
	free(x.data);
}

static void test_kinds(void **state)
{
	(void)state;
	for (int k = 0; k < VF_COLL__COUNT; k++) {
		enum vf_coll_kind back;
		assert_true(tc_is_ok(vf_coll_kind_parse(vf_coll_kind_name((enum vf_coll_kind)k), &back)));
		assert_int_equal(back, k);
	}
	enum vf_coll_kind k;
	assert_int_equal(vf_coll_kind_parse("pck_cert", &k).code, TC_ERR_INVALID_ARGUMENT);
	assert_true(vf_coll_kind_immutable(VF_COLL_VCEK));
	assert_false(vf_coll_kind_immutable(VF_COLL_TCB_INFO));
	assert_string_equal(vf_coll_kind_vendor(VF_COLL_RIM), "nvidia");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intel_tcb_info),
		cmocka_unit_test(test_intel_qe_identity_and_crls),
		cmocka_unit_test(test_crl_encodings),
		cmocka_unit_test(test_amd),
		cmocka_unit_test(test_nvidia_rim),
		cmocka_unit_test(test_rim_service_envelope),
		cmocka_unit_test(test_kinds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
