/*
 * test_vf_snp_report.c — the ATTESTATION_REPORT parser, the TCB_VERSION codec (Milan/Genoa and Turin
 * layouts) and the VCEK/VLEK extension parser, on the real shared files and on crafted negatives.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_vf_snp_pki.h"

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void test_parse_real(void **state)
{
	struct tc_buf b;
	struct vf_snp_report r;
	struct vf_snp_tcb t;

	(void)state;
	snp_test_read("snp/gosev_milan_v2_report.bin", &b);
	assert_true(tc_is_ok(vf_snp_report_parse(b.data, b.len, &r)));
	assert_int_equal(r.version, 2);
	assert_false(r.has_cpuid);
	assert_false(r.has_mit_vectors);
	assert_int_equal(r.policy, 0xb0000);
	assert_int_equal(r.vmpl, 0);
	assert_int_equal(r.report_data[0], 1);
	assert_int_equal(r.report_data[4], 5);
	assert_int_equal(r.chip_id[0], 0x3a);
	assert_int_equal(r.chip_id[63], 0x5d);
	assert_int_equal(r.measurement[0], 0xb0);
	assert_int_equal(r.measurement[47], 0x01);
	assert_int_equal(vf_snp_report_signing_key(&r), VF_SNP_KEY_VCEK);
	assert_ptr_equal(r.signed_bytes, b.data);
	t = vf_snp_tcb_decode(r.reported_tcb, vf_snp_tcb_layout_of(&r, "Milan"));
	assert_int_equal(t.bootloader, 2);
	assert_int_equal(t.tee, 0);
	assert_int_equal(t.snp, 5);
	assert_int_equal(t.microcode, 68);
	assert_int_equal(r.committed_major, 1);
	assert_int_equal(r.committed_minor, 0x31);
	assert_int_equal(r.committed_build, 3);
	tc_buf_cleanup(&b);

	snp_test_read("snp/azure_genoa_v3_report_extracted.bin", &b);
	assert_true(tc_is_ok(vf_snp_report_parse(b.data, b.len, &r)));
	assert_int_equal(r.version, 3);
	assert_true(r.has_cpuid);
	assert_int_equal(r.cpuid_family, 0x19);
	assert_int_equal(r.cpuid_model, 0x11);
	assert_int_equal(r.cpuid_stepping, 1);
	assert_int_equal(r.policy, 0x3001f);
	assert_int_equal(r.platform_info, 0x24);
	assert_int_equal(vf_snp_tcb_layout_of(&r, "Turin"), VF_SNP_TCB_MILAN_GENOA); /* CPUID wins */
	t = vf_snp_tcb_decode(r.reported_tcb, VF_SNP_TCB_MILAN_GENOA);
	assert_int_equal(t.bootloader, 10);
	assert_int_equal(t.snp, 23);
	assert_int_equal(t.microcode, 84);
	/* trailing bytes are ignored */
	assert_true(tc_is_ok(tc_buf_append(&b, "\0\0\0", 3)));
	assert_true(tc_is_ok(vf_snp_report_parse(b.data, b.len, &r)));
	tc_buf_cleanup(&b);
}

static void test_parse_negative(void **state)
{
	struct tc_buf b;
	struct vf_snp_report r;
	uint8_t sig[96];

	(void)state;
	snp_test_read("snp/trustee_genoa_v3_report_truncated_1000.bin", &b);
	assert_int_equal(vf_snp_report_parse(b.data, b.len, &r).code, TC_ERR_EVIDENCE_MALFORMED);
	tc_buf_cleanup(&b);
	assert_int_equal(vf_snp_report_parse(NULL, 0, &r).code, TC_ERR_EVIDENCE_MALFORMED);

	snp_test_read("snp/trustee_milan_v2_report.bin", &b);
	assert_int_equal(vf_snp_report_parse(b.data, VF_SNP_REPORT_LEN - 1, &r).code, TC_ERR_EVIDENCE_MALFORMED);
	for (uint32_t v = 0; v < 8; v++) {
		struct tc_result res;

		put32(b.data, v);
		res = vf_snp_report_parse(b.data, b.len, &r);
		if (v == 2 || v == 3 || v == 5)
			assert_true(tc_is_ok(res));
		else
			assert_int_equal(res.code, TC_ERR_EVIDENCE_UNSUPPORTED_VERSION);
	}
	put32(b.data, 2);
	put32(b.data + 0x34, 0);
	assert_int_equal(vf_snp_report_parse(b.data, b.len, &r).code, TC_ERR_EVIDENCE_UNSUPPORTED_VERSION);
	put32(b.data + 0x34, 2);
	assert_int_equal(vf_snp_report_parse(b.data, b.len, &r).code, TC_ERR_EVIDENCE_UNSUPPORTED_VERSION);
	put32(b.data + 0x34, 1);
	assert_true(tc_is_ok(vf_snp_report_parse(b.data, b.len, &r)));
	assert_true(tc_is_ok(vf_snp_report_sig_be(&r, sig)));
	assert_int_equal(sig[47], b.data[0x2A0]); /* R is little-endian in the report */
	assert_int_equal(sig[0], b.data[0x2A0 + 47]);
	assert_int_equal(sig[48 + 47], b.data[0x2A0 + 72]);
	b.data[0x2A0 + 48] = 1; /* padding of R must be zero */
	assert_true(tc_is_ok(vf_snp_report_parse(b.data, b.len, &r)));
	assert_int_equal(vf_snp_report_sig_be(&r, sig).code, TC_ERR_EVIDENCE_SIGNATURE_INVALID);
	b.data[0x2A0 + 48] = 0;
	b.data[0x2A0 + 72 + 71] = 1; /* padding of S */
	assert_true(tc_is_ok(vf_snp_report_parse(b.data, b.len, &r)));
	assert_int_equal(vf_snp_report_sig_be(&r, sig).code, TC_ERR_EVIDENCE_SIGNATURE_INVALID);
	/* v5 fields */
	put32(b.data, 5);
	b.data[0x1F8] = 0x11;
	b.data[0x200] = 0x22;
	b.data[0x188] = 0x1A;
	assert_true(tc_is_ok(vf_snp_report_parse(b.data, b.len, &r)));
	assert_true(r.has_mit_vectors);
	assert_int_equal(r.launch_mit_vector, 0x11);
	assert_int_equal(r.current_mit_vector, 0x22);
	assert_int_equal(vf_snp_tcb_layout_of(&r, "Milan"), VF_SNP_TCB_TURIN);
	/* key_info: SIGNING_KEY bits 4:2 */
	put32(b.data + 0x48, 1u << 2);
	assert_true(tc_is_ok(vf_snp_report_parse(b.data, b.len, &r)));
	assert_int_equal(vf_snp_report_signing_key(&r), VF_SNP_KEY_VLEK);
	tc_buf_cleanup(&b);
}

static void test_tcb_codec(void **state)
{
	struct vf_snp_tcb t = { .bootloader = 4, .tee = 0, .snp = 24, .microcode = 219, .fmc = 0 };
	struct vf_snp_tcb u = { .bootloader = 1, .tee = 2, .snp = 3, .microcode = 4, .fmc = 5 };
	struct vf_snp_tcb d;
	char buf[64];

	(void)state;
	/* Milan/Genoa: BL byte 0, TEE 1, SNP 6, UCODE 7 -> the KDS notation db18000000000004 */
	assert_int_equal(vf_snp_tcb_encode(&t, VF_SNP_TCB_MILAN_GENOA), 0xdb18000000000004ull);
	d = vf_snp_tcb_decode(0xdb18000000000004ull, VF_SNP_TCB_MILAN_GENOA);
	assert_memory_equal(&d, &t, sizeof(t));
	/* Turin: FMC byte 0, BL 1, TEE 2, SNP 3, UCODE 7 */
	assert_int_equal(vf_snp_tcb_encode(&u, VF_SNP_TCB_TURIN), 0x0400000003020105ull);
	d = vf_snp_tcb_decode(0x0400000003020105ull, VF_SNP_TCB_TURIN);
	assert_memory_equal(&d, &u, sizeof(u));
	/* the same bytes read with the other layout give other numbers */
	d = vf_snp_tcb_decode(0x0400000003020105ull, VF_SNP_TCB_MILAN_GENOA);
	assert_int_equal(d.bootloader, 5);
	assert_int_equal(d.fmc, 0);
	/* component-wise order; fmc only on Turin */
	assert_true(vf_snp_tcb_ge(&u, &u, VF_SNP_TCB_TURIN));
	d = u;
	d.fmc = 6;
	assert_false(vf_snp_tcb_ge(&u, &d, VF_SNP_TCB_TURIN));
	assert_true(vf_snp_tcb_ge(&u, &d, VF_SNP_TCB_MILAN_GENOA));
	d = u;
	d.snp = 2;
	d.microcode = 9; /* not "greater" as a whole: every component must be >= */
	assert_false(vf_snp_tcb_ge(&u, &d, VF_SNP_TCB_MILAN_GENOA));
	vf_snp_tcb_format(&u, VF_SNP_TCB_TURIN, buf, sizeof(buf));
	assert_string_equal(buf, "bl=1 tee=2 snp=3 ucode=4 fmc=5");
	vf_snp_tcb_format(&u, VF_SNP_TCB_MILAN_GENOA, buf, sizeof(buf));
	assert_string_equal(buf, "bl=1 tee=2 snp=3 ucode=4");
}

static void test_vcek_ext_real(void **state)
{
	struct tc_buf b, rep;
	struct vf_snp_vcek_ext e;
	struct vf_snp_report r;

	(void)state;
	snp_test_read("snp/gosev_milan_vcek.der", &b);
	assert_true(tc_is_ok(vf_snp_vcek_ext_parse_bytes(b.data, b.len, &e)));
	assert_string_equal(e.product_name, "Milan-B0");
	assert_string_equal(e.product, "Milan");
	assert_int_equal(e.struct_version, 0);
	assert_int_equal(e.tcb.bootloader, 2);
	assert_int_equal(e.tcb.snp, 5);
	assert_int_equal(e.tcb.microcode, 68);
	assert_false(e.has_fmc);
	assert_int_equal(e.hwid_len, 64);
	snp_test_read("snp/gosev_milan_v2_report.bin", &rep);
	assert_true(tc_is_ok(vf_snp_report_parse(rep.data, rep.len, &r)));
	assert_memory_equal(e.hwid, r.chip_id, 64);
	tc_buf_cleanup(&b);
	tc_buf_cleanup(&rep);

	/* legacy: raw hwID 00..3f, ucodeSPL 169 encoded 02 02 00 a9 */
	snp_test_read("snp/trustee_vcek_invalid_legacy.der", &b);
	assert_true(tc_is_ok(vf_snp_vcek_ext_parse_bytes(b.data, b.len, &e)));
	assert_int_equal(e.hwid_len, 64);
	assert_int_equal(e.hwid[0], 0);
	assert_int_equal(e.hwid[63], 0x3f);
	assert_int_equal(e.tcb.microcode, 169);
	tc_buf_cleanup(&b);
	/* new: the same hwID wrapped in an OCTET STRING */
	snp_test_read("snp/trustee_vcek_invalid_new.der", &b);
	assert_true(tc_is_ok(vf_snp_vcek_ext_parse_bytes(b.data, b.len, &e)));
	assert_int_equal(e.hwid_len, 64);
	assert_int_equal(e.hwid[0], 0);
	assert_int_equal(e.hwid[1], 1);
	assert_int_equal(e.hwid[63], 0x3f);
	tc_buf_cleanup(&b);
	/* Turin: structVersion 1, fmcSPL, 8-byte hwID */
	snp_test_read("snp/virtee_turin_vcek.der", &b);
	assert_true(tc_is_ok(vf_snp_vcek_ext_parse_bytes(b.data, b.len, &e)));
	assert_string_equal(e.product, "Turin");
	assert_int_equal(e.struct_version, 1);
	assert_true(e.has_fmc);
	assert_int_equal(e.tcb.fmc, 0);
	assert_int_equal(e.tcb.microcode, 9);
	assert_int_equal(e.hwid_len, 8);
	assert_int_equal(e.hwid[0], 0x1e);
	tc_buf_cleanup(&b);
	/* PEM */
	snp_test_read("snp/azure_genoa_vcek.pem", &b);
	assert_true(tc_is_ok(vf_snp_vcek_ext_parse_bytes(b.data, b.len, &e)));
	assert_string_equal(e.product, "Genoa");
	tc_buf_cleanup(&b);
	/* not a VCEK: the ARK has no AMD extensions */
	snp_test_read("snp/amd_ark_milan.pem", &b);
	assert_int_equal(vf_snp_vcek_ext_parse_bytes(b.data, b.len, &e).code, TC_ERR_CERT_CHAIN_INVALID);
	tc_buf_cleanup(&b);
	assert_int_equal(vf_snp_vcek_ext_parse_bytes((const uint8_t *)"junk", 4, &e).code, TC_ERR_CERT_CHAIN_INVALID);
}

/* One crafted extension value per case: each must be refused with cert_chain_invalid. */
static void test_vcek_ext_negative(void **state)
{
	static const uint8_t big[] = { 0x02, 0x02, 0x01, 0x00 };      /* 256 */
	static const uint8_t neg[] = { 0x02, 0x01, 0x80 };            /* -128 */
	static const uint8_t wrong_tag[] = { 0x01, 0x01, 0xff };      /* BOOLEAN */
	static const uint8_t trailing[] = { 0x02, 0x01, 0x01, 0x00 }; /* extra byte */
	static const uint8_t short_len[] = { 0x02, 0x05, 0x01 };      /* length past the end */
	static const uint8_t hw_short[] = { 1, 2, 3, 4, 5 };          /* 5-byte hwID */
	static const uint8_t prod_bin[] = { 0x16, 0x02, 'M', 0x01 };  /* control char in productName */
	static const struct {
		const char *oid;
		const uint8_t *der;
		size_t len;
	} bad[] = {
		{ "1.3.6.1.4.1.3704.1.3.1", big, sizeof(big) },
		{ "1.3.6.1.4.1.3704.1.3.2", neg, sizeof(neg) },
		{ "1.3.6.1.4.1.3704.1.3.3", wrong_tag, sizeof(wrong_tag) },
		{ "1.3.6.1.4.1.3704.1.3.8", trailing, sizeof(trailing) },
		{ "1.3.6.1.4.1.3704.1.3.9", short_len, sizeof(short_len) },
		{ "1.3.6.1.4.1.3704.1.3.5", neg, sizeof(neg) },
		{ "1.3.6.1.4.1.3704.1.4", hw_short, sizeof(hw_short) },
		{ "1.3.6.1.4.1.3704.1.2", prod_bin, sizeof(prod_bin) },
		{ "1.3.6.1.4.1.3704.1.2", big, sizeof(big) },
	};
	EVP_PKEY *key = snp_test_key();
	uint8_t chip[64] = { 0 };
	struct snp_test_vcek v = { .product_name = "Milan", .tcb = { 1, 2, 3, 4, 0 }, .hwid = chip, .hwid_len = 64 };
	struct vf_snp_vcek_ext e;
	X509 *x;

	(void)state;
	/* the well-formed baseline parses */
	x = snp_test_vcek_cert(&v, "SEV-VCEK", key, NULL, key, 0, 1000);
	assert_true(tc_is_ok(vf_snp_vcek_ext_parse(x, &e)));
	X509_free(x);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct snp_test_ext one = { bad[i].oid, bad[i].der, bad[i].len };
		static const uint8_t prod[] = { 0x16, 0x05, 'M', 'i', 'l', 'a', 'n' };
		static const uint8_t one_spl[] = { 0x02, 0x01, 0x01 };
		struct snp_test_ext exts[6] = {
			{ "1.3.6.1.4.1.3704.1.2", prod, sizeof(prod) }, { "1.3.6.1.4.1.3704.1.3.1", one_spl, 3 },
			{ "1.3.6.1.4.1.3704.1.3.2", one_spl, 3 },       { "1.3.6.1.4.1.3704.1.3.3", one_spl, 3 },
			{ "1.3.6.1.4.1.3704.1.3.8", one_spl, 3 },
		};
		size_t n = 5;

		/* replace the same OID or add */
		for (size_t k = 0; k < 5; k++)
			if (strcmp(exts[k].oid, one.oid) == 0) {
				exts[k] = one;
				n = 0;
			}
		if (n == 5)
			exts[n++] = one;
		else
			n = 5;
		x = snp_test_cert("SEV-VCEK", key, NULL, key, false, 0, 0, 1000, exts, n);
		if (vf_snp_vcek_ext_parse(x, &e).code != TC_ERR_CERT_CHAIN_INVALID)
			fail_msg("bad extension %zu (%s) accepted", i, bad[i].oid);
		X509_free(x);
	}
	/* missing TCB extension, missing productName, duplicate extension */
	{
		static const uint8_t prod[] = { 0x16, 0x05, 'M', 'i', 'l', 'a', 'n' };
		static const uint8_t one_spl[] = { 0x02, 0x01, 0x01 };
		struct snp_test_ext no_ucode[] = { { "1.3.6.1.4.1.3704.1.2", prod, sizeof(prod) },
						   { "1.3.6.1.4.1.3704.1.3.1", one_spl, 3 },
						   { "1.3.6.1.4.1.3704.1.3.2", one_spl, 3 },
						   { "1.3.6.1.4.1.3704.1.3.3", one_spl, 3 } };
		struct snp_test_ext no_prod[] = { { "1.3.6.1.4.1.3704.1.3.1", one_spl, 3 },
						  { "1.3.6.1.4.1.3704.1.3.2", one_spl, 3 },
						  { "1.3.6.1.4.1.3704.1.3.3", one_spl, 3 },
						  { "1.3.6.1.4.1.3704.1.3.8", one_spl, 3 } };
		struct snp_test_ext dup[] = {
			{ "1.3.6.1.4.1.3704.1.2", prod, sizeof(prod) }, { "1.3.6.1.4.1.3704.1.3.1", one_spl, 3 },
			{ "1.3.6.1.4.1.3704.1.3.1", one_spl, 3 },       { "1.3.6.1.4.1.3704.1.3.2", one_spl, 3 },
			{ "1.3.6.1.4.1.3704.1.3.3", one_spl, 3 },       { "1.3.6.1.4.1.3704.1.3.8", one_spl, 3 }
		};

		x = snp_test_cert("SEV-VCEK", key, NULL, key, false, 0, 0, 1000, no_ucode, 4);
		assert_int_equal(vf_snp_vcek_ext_parse(x, &e).code, TC_ERR_CERT_CHAIN_INVALID);
		X509_free(x);
		x = snp_test_cert("SEV-VCEK", key, NULL, key, false, 0, 0, 1000, no_prod, 4);
		assert_int_equal(vf_snp_vcek_ext_parse(x, &e).code, TC_ERR_CERT_CHAIN_INVALID);
		X509_free(x);
		x = snp_test_cert("SEV-VCEK", key, NULL, key, false, 0, 0, 1000, dup, 6);
		if (x) { /* OpenSSL may refuse to build it; if it does not, we must refuse to read it */
			assert_int_equal(vf_snp_vcek_ext_parse(x, &e).code, TC_ERR_CERT_CHAIN_INVALID);
			X509_free(x);
		}
	}
	EVP_PKEY_free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_real),        cmocka_unit_test(test_parse_negative),
		cmocka_unit_test(test_tcb_codec),         cmocka_unit_test(test_vcek_ext_real),
		cmocka_unit_test(test_vcek_ext_negative),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
