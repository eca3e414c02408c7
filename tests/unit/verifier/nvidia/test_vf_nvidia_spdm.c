/*
 * test_vf_nvidia_spdm.c — SPDM 1.1 MEASUREMENTS parser, NVIDIA opaque data, FWID extension and the
 * serialized evidence JSON, over the real H100 captures in $TEECERT_SHARED/evidence/nvidia.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vf_nvidia.h"

static struct tc_buf nv_read(const char *name)
{
	const char *shared = getenv("TEECERT_SHARED");
	char path[1024];
	struct tc_buf b;

	assert_non_null(shared);
	snprintf(path, sizeof(path), "%s/evidence/nvidia/%s", shared, name);
	tc_buf_init(&b, 4 * 1024 * 1024);
	assert_true(tc_is_ok(tc_file_read(path, 4 * 1024 * 1024, &b)));
	return b;
}

static struct vf_spdm spdm; /* large: keep off the stack */

static enum tc_code parse(const uint8_t *d, size_t n, size_t trailing)
{
	struct tc_buf scratch;
	struct tc_result r;

	tc_buf_init(&scratch, VF_SPDM_MAX_INPUT);
	r = vf_spdm_parse(d, n, trailing, &scratch, &spdm);
	tc_buf_cleanup(&scratch);
	return r.code;
}

static void test_parse_real(void **state)
{
	struct tc_buf b = nv_read("nvtrust_h100_550.90.07_report.bin");
	char text[64];

	(void)state;
	assert_int_equal(parse(b.data, b.len, 1), TC_OK);
	assert_int_equal(spdm.n_blocks, 64);
	assert_int_equal(spdm.trailing, 0);
	assert_int_equal(spdm.signed_len + VF_SPDM_SIG_LEN, b.len);
	assert_int_equal(spdm.req_nonce[0], 0x93);
	assert_true(tc_is_ok(vf_nv_driver_version(&spdm, text, sizeof(text))));
	assert_string_equal(text, "550.90.07");
	assert_true(tc_is_ok(vf_nv_vbios_version(&spdm, text, sizeof(text))));
	assert_string_equal(text, "96.00.9f.00.01");
	assert_non_null(vf_spdm_field(&spdm, VF_NV_OPAQUE_FWID));
	assert_int_equal(vf_spdm_block(&spdm, 1)->value_len, 48);
	assert_null(vf_spdm_block(&spdm, 65));
	tc_buf_cleanup(&b);
}

/* The claims equal trustee's independent parse of the same report (origin test expectation). */
static void test_claims_match_trustee(void **state)
{
	struct tc_buf b = nv_read("nvtrust_h100_550.90.07_report.bin");
	struct tc_buf e = nv_read("trustee_h100_550.90.07_expected_claims.json");
	json_t *want = NULL, *claims = json_object(), *meas, *opaque;
	const char *key;
	json_t *v;

	(void)state;
	assert_true(tc_is_ok(tc_json_parse((const char *)e.data, e.len, e.len + 1, &want)));
	assert_int_equal(parse(b.data, b.len, 0), TC_OK);
	assert_true(tc_is_ok(vf_spdm_claims(&spdm, claims)));
	meas = json_object_get(claims, "measurements");
	json_object_foreach(json_object_get(want, "measurements"), key, v)
		assert_string_equal(json_string_value(json_object_get(meas, key)), json_string_value(v));
	opaque = json_object_get(claims, "opaque");
	assert_string_equal(json_string_value(json_object_get(opaque, "fwid")),
			    json_string_value(json_object_get(json_object_get(want, "config"), "fwid")));
	assert_string_equal(json_string_value(json_object_get(opaque, "project")), "1010");
	assert_string_equal(json_string_value(json_object_get(opaque, "chip_sku")), "882");
	assert_string_equal(json_string_value(json_object_get(claims, "vbios_version")),
			    json_string_value(json_object_get(json_object_get(want, "config"), "vbios_version")));
	json_decref(want);
	json_decref(claims);
	tc_buf_cleanup(&b);
	tc_buf_cleanup(&e);
}

static void test_hex_text_and_trailing(void **state)
{
	struct tc_buf hex = nv_read("nvat_h100_535.86.09_report.hex.txt");
	struct tc_buf bin = nv_read("nvat_h100_535.86.09_report.bin");
	struct tc_buf coco = nv_read("trustee_h100_580.95.05_coco_report.bin");
	struct tc_buf scratch;

	(void)state;
	tc_buf_init(&scratch, VF_SPDM_MAX_INPUT);
	assert_true(tc_is_ok(vf_spdm_parse(hex.data, hex.len, 0, &scratch, &spdm)));
	assert_int_equal(scratch.len, bin.len);
	assert_memory_equal(scratch.data, bin.data, bin.len);
	tc_buf_cleanup(&scratch);
	/* coco keeps one 0x00 after the signature: tolerated only when allowed, and reported */
	assert_int_equal(parse(coco.data, coco.len, 1), TC_OK);
	assert_int_equal(spdm.trailing, 1);
	assert_int_equal(parse(coco.data, coco.len, 0), TC_ERR_EVIDENCE_MALFORMED);
	coco.data[coco.len - 1] = 0x5a;
	assert_int_equal(parse(coco.data, coco.len, 1), TC_ERR_EVIDENCE_MALFORMED);
	assert_true(tc_is_ok(tc_buf_append_u8(&bin, 0)) && tc_is_ok(tc_buf_append_u8(&bin, 0)));
	assert_int_equal(parse(bin.data, bin.len, 1), TC_ERR_EVIDENCE_MALFORMED); /* two trailing bytes */
	tc_buf_cleanup(&hex);
	tc_buf_cleanup(&bin);
	tc_buf_cleanup(&coco);
}

/* Every truncation is a clean evidence_malformed. */
static void test_truncations(void **state)
{
	struct tc_buf b = nv_read("nvtrust_h100_550.90.07_report.bin");

	(void)state;
	for (size_t n = 0; n < b.len; n++)
		assert_int_equal(parse(b.data, n, 1), TC_ERR_EVIDENCE_MALFORMED);
	tc_buf_cleanup(&b);
}

static void test_header_negatives(void **state)
{
	struct tc_buf b = nv_read("nvtrust_h100_550.90.07_report.bin");
	struct {
		size_t at;
		uint8_t value;
		enum tc_code want;
	} cases[] = {
		{ 0, 0x12, TC_ERR_EVIDENCE_UNSUPPORTED_VERSION },  /* request SPDM 1.2 */
		{ 1, 0xE1, TC_ERR_EVIDENCE_UNSUPPORTED_VERSION },  /* not GET_MEASUREMENTS */
		{ 2, 0x00, TC_ERR_EVIDENCE_UNSUPPORTED_VERSION },  /* no signature requested */
		{ 37, 0x10, TC_ERR_EVIDENCE_UNSUPPORTED_VERSION }, /* response SPDM 1.0 */
		{ 38, 0x61, TC_ERR_EVIDENCE_UNSUPPORTED_VERSION }, /* not MEASUREMENTS */
		{ 41, 0x00, TC_ERR_EVIDENCE_MALFORMED },           /* zero blocks */
		{ 41, 0x41, TC_ERR_EVIDENCE_MALFORMED },           /* block count vs record */
		{ 42, 0xFF, TC_ERR_EVIDENCE_MALFORMED },           /* record length */
		{ 45, 0x02, TC_ERR_EVIDENCE_MALFORMED },           /* duplicate index 2 */
		{ 46, 0x02, TC_ERR_EVIDENCE_UNSUPPORTED_VERSION }, /* block not DMTF */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t old = b.data[cases[i].at];

		b.data[cases[i].at] = cases[i].value;
		assert_int_equal(parse(b.data, b.len, 1), cases[i].want);
		b.data[cases[i].at] = old;
	}
	assert_int_equal(parse(b.data, b.len, 1), TC_OK);
	tc_buf_cleanup(&b);
}

static void test_opaque_negatives(void **state)
{
	struct vf_nv_opaque_field f[4];
	size_t n = 0;
	const uint8_t ok[] = { 3, 0, 2, 0, '5', 0, 6, 0, 0, 0 };
	const uint8_t trunc_hdr[] = { 3, 0, 2 };
	const uint8_t trunc_val[] = { 3, 0, 9, 0, 'x' };
	const uint8_t repeated[] = { 3, 0, 0, 0, 3, 0, 0, 0 };
	const uint8_t many[] = { 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0 };

	(void)state;
	assert_true(tc_is_ok(vf_nv_opaque_parse(ok, sizeof(ok), f, 4, &n)));
	assert_int_equal(n, 2);
	assert_int_equal(f[1].type, 6);
	assert_int_equal(f[1].len, 0);
	assert_int_equal(vf_nv_opaque_parse(trunc_hdr, sizeof(trunc_hdr), f, 4, &n).code, TC_ERR_EVIDENCE_MALFORMED);
	assert_int_equal(vf_nv_opaque_parse(trunc_val, sizeof(trunc_val), f, 4, &n).code, TC_ERR_EVIDENCE_MALFORMED);
	assert_int_equal(vf_nv_opaque_parse(repeated, sizeof(repeated), f, 4, &n).code, TC_ERR_EVIDENCE_MALFORMED);
	assert_int_equal(vf_nv_opaque_parse(many, sizeof(many), f, 4, &n).code, TC_ERR_EVIDENCE_MALFORMED);
	assert_string_equal(vf_nv_opaque_name(VF_NV_OPAQUE_FEATURE_FLAG), "feature_flag");
	assert_null(vf_nv_opaque_name(200));
}

static void test_fwid_extension(void **state)
{
	struct tc_buf pem = nv_read("trustee_h100_signing_cert.pem");
	struct tc_buf root = nv_read("nvidia_device_identity_root_ca.pem");
	const char want[] = "f5c384aebb579217a2c66b17ed0f28e6a9b8d639041acd7b4721cec004f7275494ba94bb5cdfdb3055ee051762b1f75d";
	uint8_t fwid[VF_NV_FWID_LEN];
	char hex[2 * VF_NV_FWID_LEN + 1];
	size_t len = 0;
	bool found = false;
	X509 *x = NULL;

	(void)state;
	assert_true(tc_is_ok(vf_x509_parse(pem.data, pem.len, TC_ERR_CERT_CHAIN_INVALID, &x)));
	assert_true(tc_is_ok(vf_nv_cert_fwid(x, fwid, sizeof(fwid), &len, &found)));
	assert_true(found);
	assert_true(tc_is_ok(tc_hex_encode(fwid, len, hex, sizeof(hex))));
	assert_string_equal(hex, want);
	X509_free(x);
	/* the root has no TcbInfo */
	assert_true(tc_is_ok(vf_x509_parse(root.data, root.len, TC_ERR_CERT_CHAIN_INVALID, &x)));
	assert_true(tc_is_ok(vf_nv_cert_fwid(x, fwid, sizeof(fwid), &len, &found)));
	assert_false(found);
	X509_free(x);
	tc_buf_cleanup(&pem);
	tc_buf_cleanup(&root);
}

static void test_evidence_json(void **state)
{
	struct tc_buf one = nv_read("nvat_h100_590.12_evidence.json");
	struct tc_buf multi = nv_read("nvat_h100x4_590.12_multi_gpu_evidence.json");
	struct tc_buf gpu0 = nv_read("nvat_h100x4_590.12_gpu0_spdm.bin");
	struct tc_buf chain3 = nv_read("nvat_h100x4_590.12_gpu3_certchain.pem");
	static struct vf_nvidia_evidence ev;
	static struct vf_input in;
	const char *bad[] = {
		"{}", "[]", "42", "[{\"arch\":\"HOPPER\"}]",
		"{\"arch\":\"HOPPER\",\"nonce\":\"00\",\"evidence\":\"AA==\",\"certificate\":\"AA==\"}",
		"{\"arch\":\"HOPPER\",\"nonce\":\"0000000000000000000000000000000000000000000000000000000000000000\","
		"\"evidence\":\"!!\",\"certificate\":\"AA==\"}",
		"{\"arch\":\"HOPPER\",\"nonce\":\"0000000000000000000000000000000000000000000000000000000000000000\","
		"\"evidence\":\"AA==\",\"certificate\":\"AA==\"}", /* evidence shorter than the request nonce */
		"{\"a\":1,\"a\":2}",
	};

	(void)state;
	assert_true(tc_is_ok(vf_nvidia_evidence_parse((const char *)one.data, one.len, &ev)));
	assert_int_equal(ev.n_gpus, 1);
	assert_string_equal(ev.gpus[0].arch, "HOPPER");
	assert_int_equal(ev.gpus[0].nonce[0], 0xe9);
	assert_int_equal(ev.gpus[0].spdm.len, gpu0.len);
	assert_memory_equal(ev.gpus[0].spdm.data, gpu0.data, gpu0.len);
	vf_nvidia_evidence_cleanup(&ev);

	assert_true(tc_is_ok(vf_nvidia_evidence_parse((const char *)multi.data, multi.len, &ev)));
	assert_int_equal(ev.n_gpus, 4);
	assert_int_equal(ev.gpus[3].cert_chain.len, chain3.len);
	assert_memory_equal(ev.gpus[3].cert_chain.data, chain3.data, chain3.len);
	memset(&in, 0, sizeof(in));
	assert_true(tc_is_ok(vf_nvidia_evidence_to_input(&ev, &in)));
	assert_int_equal(in.n_evidence, 8);
	assert_int_equal(in.tee, VF_TEE_NVIDIA);
	assert_string_equal(in.evidence[7].role, "gpu3.cert_chain");
	assert_non_null(vf_item_find(in.evidence, in.n_evidence, "gpu2.spdm"));
	vf_nvidia_evidence_cleanup(&ev);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(vf_nvidia_evidence_parse(bad[i], strlen(bad[i]), &ev).code, TC_ERR_EVIDENCE_MALFORMED);
	tc_buf_cleanup(&one);
	tc_buf_cleanup(&multi);
	tc_buf_cleanup(&gpu0);
	tc_buf_cleanup(&chain3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_real),        cmocka_unit_test(test_claims_match_trustee),
		cmocka_unit_test(test_hex_text_and_trailing), cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_header_negatives),  cmocka_unit_test(test_opaque_negatives),
		cmocka_unit_test(test_fwid_extension),    cmocka_unit_test(test_evidence_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
