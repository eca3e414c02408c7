/*
 * test_vf_tdx_quote.c — parsers of verifier/tdx: quote v4/v5, PCK SGX extensions, PCS bodies (signed-span
 * scanner, TCB Info v3, QE Identity v2). Expected values are those stated in ../shared/evidence/SOURCES.md.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "tdx_test_util.h"
#include "vf_internal.h"
#include "vf_tdx.h"

static void hex_is(const void *data, size_t len, const char *want)
{
	char hex[256];
	assert_true(tc_is_ok(tc_hex_encode(data, len, hex, sizeof hex)));
	assert_string_equal(hex, want);
}

static void parse_file(const char *rel, struct tc_buf *buf, struct vf_tdx_quote *q)
{
	tdx_test_read(rel, buf);
	assert_true(tc_is_ok(vf_tdx_quote_parse(buf->data, buf->len, q)));
}

static void test_quote_v4_gotdx(void **state)
{
	struct tc_buf b;
	struct vf_tdx_quote q;
	parse_file("tdx/gotdx_v4_spr_e4_quote.dat", &b, &q);
	assert_int_equal(q.version, 4);
	assert_int_equal(q.body_type, VF_TDX_BODY_TD_REPORT10);
	assert_false(q.report.is_v15);
	/* 39 trailing ASCII bytes after the declared quote (SOURCES.md). */
	assert_int_equal(b.len - q.quote_len, 39);
	hex_is(q.report.tee_tcb_svn, 4, "03000400");
	hex_is(q.report.mrtd, 4, "6363b804");
	hex_is(q.report.report_data, 4, "6c62dec1");
	assert_int_equal(q.qe_report.isvsvn, 4);
	assert_int_equal(q.qe_auth_len, 32);
	assert_int_equal(q.signed_len, VF_TDX_HEADER_LEN + VF_TDX_TD_REPORT10_LEN);
	tc_buf_cleanup(&b);
}

static void test_quote_v5_gotdx(void **state)
{
	struct tc_buf b;
	struct vf_tdx_quote q;
	parse_file("tdx/gotdx_v5_quote_90c06f000000.dat", &b, &q);
	assert_int_equal(q.version, 5);
	assert_int_equal(q.body_type, VF_TDX_BODY_TD_REPORT15);
	assert_true(q.report.is_v15);
	hex_is(q.report.tee_tcb_svn, 4, "0b010400");
	hex_is(q.report.tee_tcb_svn2, 4, "0d010400");
	hex_is(q.report.mrtd, 4, "7348651a");
	assert_int_equal(q.qe_report.isvsvn, 7);
	assert_int_equal(q.quote_len, b.len);
	/* v5 signs header + body descriptor (6 bytes) + body. */
	assert_int_equal(q.signed_len, VF_TDX_HEADER_LEN + 6 + VF_TDX_TD_REPORT15_LEN);
	tc_buf_cleanup(&b);
}

static void test_quote_trailing_zeros(void **state)
{
	struct tc_buf b;
	struct vf_tdx_quote q;
	parse_file("tdx/phala_v4_quote_b0c06f000000_uptodate.dat", &b, &q);
	assert_int_equal(b.len - q.quote_len, 70);
	hex_is(q.report.mrtd, 4, "91eb2b44");
	tc_buf_cleanup(&b);
}

/* Every strict prefix of the quote is evidence_malformed (never a crash, never accepted). */
static void test_quote_truncated(void **state)
{
	struct tc_buf b;
	struct vf_tdx_quote q;
	parse_file("tdx/gotdx_v4_spr_e4_quote.dat", &b, &q);
	size_t full = q.quote_len;
	for (size_t n = 0; n < full; n++) {
		struct tc_result r = vf_tdx_quote_parse(b.data, n, &q);
		assert_int_equal(r.code, TC_ERR_EVIDENCE_MALFORMED);
	}
	tc_buf_cleanup(&b);
}

/* Change the byte(s) at OFF and expect CODE, with VALUE named in the detail. */
static void expect_field(const char *rel, size_t off, const uint8_t *bytes, size_t n, enum tc_code code,
			 const char *detail_part)
{
	struct tc_buf b;
	struct vf_tdx_quote q;
	tdx_test_read(rel, &b);
	memcpy(b.data + off, bytes, n);
	struct tc_result r = vf_tdx_quote_parse(b.data, b.len, &q);
	if (r.code != code)
		fail_msg("offset %zu: got %s (%s)", off, tc_error_info(r.code)->code, tc_error_detail());
	if (detail_part != NULL && strstr(tc_error_detail(), detail_part) == NULL)
		fail_msg("detail '%s' lacks '%s'", tc_error_detail(), detail_part);
	tc_buf_cleanup(&b);
}

static void test_quote_unsupported(void **state)
{
	const char *v4 = "tdx/gotdx_v4_spr_e4_quote.dat", *v5 = "tdx/gotdx_v5_quote_90c06f000000.dat";
	expect_field(v4, 0, (const uint8_t[]){ 3, 0 }, 2, TC_ERR_EVIDENCE_UNSUPPORTED_VERSION, "version 3");
	expect_field(v4, 0, (const uint8_t[]){ 6, 0 }, 2, TC_ERR_EVIDENCE_UNSUPPORTED_VERSION, "version 6");
	expect_field(v4, 2, (const uint8_t[]){ 3, 0 }, 2, TC_ERR_EVIDENCE_UNSUPPORTED_VERSION, "key type 3");
	expect_field(v4, 4, (const uint8_t[]){ 0, 0, 0, 0 }, 4, TC_ERR_EVIDENCE_UNSUPPORTED_VERSION, "0x00000000");
	expect_field(v5, 48, (const uint8_t[]){ 1, 0 }, 2, TC_ERR_EVIDENCE_UNSUPPORTED_VERSION, "body type 1");
	/* v5 body size that does not match its type. */
	expect_field(v5, 50, (const uint8_t[]){ 0x48, 0x02, 0, 0 }, 4, TC_ERR_EVIDENCE_MALFORMED, "body size 584");
	/* Certification data type (offset 48 + 584 + 4 + 128 in v4). */
	expect_field(v4, 764, (const uint8_t[]){ 7, 0 }, 2, TC_ERR_EVIDENCE_UNSUPPORTED_VERSION, "type 7");
	/* Inner certification data type: after the QE report, its signature and 2 + 32 auth bytes. */
	expect_field(v4, 770 + 384 + 64 + 2 + 32, (const uint8_t[]){ 4, 0 }, 2, TC_ERR_EVIDENCE_UNSUPPORTED_VERSION,
		     "type 4");
	/* Sizes that disagree with the nested structure. */
	expect_field(v4, 632, (const uint8_t[]){ 0x10 }, 1, TC_ERR_EVIDENCE_MALFORMED, NULL);
	expect_field(v4, 766, (const uint8_t[]){ 0x44 }, 1, TC_ERR_EVIDENCE_MALFORMED, "certification data size");
	expect_field(v4, 770 + 384 + 64, (const uint8_t[]){ 0xff, 0xff }, 2, TC_ERR_EVIDENCE_MALFORMED, "exceeds 4096");
	expect_field(v4, 770 + 384 + 64, (const uint8_t[]){ 0x20 + 4 }, 1, TC_ERR_EVIDENCE_UNSUPPORTED_VERSION, NULL);
	expect_field(v4, 632, (const uint8_t[]){ 0xff, 0xff, 0xff, 0xff }, 4, TC_ERR_EVIDENCE_MALFORMED, "exceeds");
}

/* --------------------------------------------------------------------------------- SGX extensions */

static X509 *pck_of(const char *rel)
{
	struct tc_buf b;
	struct vf_tdx_quote q;
	STACK_OF(X509) *certs = NULL;
	parse_file(rel, &b, &q);
	assert_true(tc_is_ok(vf_x509_parse_pem_chain(q.pck_pem, q.pck_pem_len, TC_ERR_CERT_CHAIN_INVALID, &certs)));
	X509 *pck = sk_X509_shift(certs);
	sk_X509_pop_free(certs, X509_free);
	tc_buf_cleanup(&b);
	return pck;
}

static void test_sgx_ext(void **state)
{
	struct vf_tdx_sgx_ext x;
	X509 *pck = pck_of("tdx/gotdx_v4_spr_e4_quote.dat");
	assert_true(tc_is_ok(vf_tdx_sgx_ext_parse(pck, &x)));
	hex_is(x.fmspc, sizeof x.fmspc, "50806f000000");
	hex_is(x.pceid, sizeof x.pceid, "0000");
	assert_int_equal(x.pcesvn, 11);
	hex_is(x.cpusvn, sizeof x.cpusvn, "03030202020100020000000000000000");
	/* The 16 TCB components are the CPUSVN bytes on these platforms. */
	assert_memory_equal(x.comp, x.cpusvn, sizeof x.comp);
	X509_free(pck);

	pck = pck_of("tdx/gotdx_v5_quote_90c06f000000.dat");
	assert_true(tc_is_ok(vf_tdx_sgx_ext_parse(pck, &x)));
	hex_is(x.fmspc, sizeof x.fmspc, "90c06f000000");
	assert_int_equal(x.pcesvn, 13);
	X509_free(pck);
}

static void test_sgx_ext_negative(void **state)
{
	struct vf_tdx_sgx_ext x;
	X509 *pck = pck_of("tdx/gotdx_v4_spr_e4_quote.dat");
	ASN1_OBJECT *oid = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
	int idx = X509_get_ext_by_OBJ(pck, oid, -1);
	ASN1_OBJECT_free(oid);
	assert_true(idx >= 0);
	const ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(X509_get_ext(pck, idx));
	const uint8_t *der = ASN1_STRING_get0_data(v);
	size_t len = (size_t)ASN1_STRING_length(v);

	assert_true(tc_is_ok(vf_tdx_sgx_ext_parse_der(der, len, &x)));
	/* Every truncation fails cleanly. */
	for (size_t n = 0; n < len; n++)
		assert_int_equal(vf_tdx_sgx_ext_parse_der(der, n, &x).code, TC_ERR_CERT_CHAIN_INVALID);
	/* Every single-byte change either fails or still yields a full parse (never a crash). */
	uint8_t *copy = malloc(len);
	assert_non_null(copy);
	size_t rejected = 0;
	for (size_t i = 0; i < len; i++) {
		memcpy(copy, der, len);
		copy[i] ^= 0xff;
		struct tc_result r = vf_tdx_sgx_ext_parse_der(copy, len, &x);
		assert_true(tc_is_ok(r) || r.code == TC_ERR_CERT_CHAIN_INVALID);
		rejected += !tc_is_ok(r);
	}
	assert_true(rejected > len / 2);
	free(copy);
	/* Not a SEQUENCE at all; an empty SEQUENCE (mandatory entries missing). */
	assert_int_equal(vf_tdx_sgx_ext_parse_der((const uint8_t *)"\x04\x01\x00", 3, &x).code,
			 TC_ERR_CERT_CHAIN_INVALID);
	assert_int_equal(vf_tdx_sgx_ext_parse_der((const uint8_t *)"\x30\x00", 2, &x).code, TC_ERR_CERT_CHAIN_INVALID);
	X509_free(pck);
}

/* ------------------------------------------------------------------------------------- PCS bodies */

static void test_pcs_split(void **state)
{
	struct tc_buf b;
	size_t off, len;
	uint8_t sig[VF_TDX_ECDSA_SIG_LEN];
	/* The derived PCS bodies are {"tcbInfo": + signed bytes + ,"signature":"..."} (SOURCES.md). */
	tdx_test_read("tdx/phala_collateral_b0c06f000000_2025-06-19_tcb_info.json", &b);
	assert_true(tc_is_ok(vf_tdx_pcs_split(b.data, b.len, "tcbInfo", &off, &len, sig)));
	assert_int_equal(off, strlen("{\"tcbInfo\":"));
	assert_memory_equal(b.data + off + len, ",\"signature\":\"", 14);
	assert_int_equal(vf_tdx_pcs_split(b.data, b.len, "enclaveIdentity", &off, &len, sig).code,
			 TC_ERR_COLLATERAL_SIGNATURE_INVALID);
	tc_buf_cleanup(&b);

	tdx_test_read("tdx/gotdx_qeidentity_td_qe_2023-06-08.json", &b);
	assert_true(tc_is_ok(vf_tdx_pcs_split(b.data, b.len, "enclaveIdentity", &off, &len, sig)));
	assert_int_equal(b.data[off], '{');
	assert_int_equal(b.data[off + len - 1], '}');
	tc_buf_cleanup(&b);
}

static void test_pcs_split_negative(void **state)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{\"tcbInfo\":{}}",
		"{\"tcbInfo\":{},\"signature\":\"00\"}",
		"{\"tcbInfo\":{},\"signature\":\"zz\"}",
		"{\"tcbInfo\":[],\"signature\":\"" /* not an object */,
		"{\"tcbInfo\":{},\"tcbInfo\":{},\"signature\":\"\"}",
		"{\"tcbInfo\":{} trailing",
		"{\"tcbInfo\":\"{}\",\"signature\":\"00\"}",
	};
	size_t off, len;
	uint8_t sig[VF_TDX_ECDSA_SIG_LEN];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(vf_tdx_pcs_split((const uint8_t *)bad[i], strlen(bad[i]), "tcbInfo", &off, &len, sig).code,
				 TC_ERR_COLLATERAL_SIGNATURE_INVALID);
	/* A valid body with whitespace and the members reversed: the span is still found exactly. */
	char ok[512];
	char hex[2 * VF_TDX_ECDSA_SIG_LEN + 1];
	memset(hex, 'a', sizeof hex - 1);
	hex[sizeof hex - 1] = 0;
	snprintf(ok, sizeof ok, " { \"signature\" : \"%s\" ,\n \"tcbInfo\" : {\"a\":\"}\\\"\",\"b\":[1,{}]} }\n", hex);
	assert_true(tc_is_ok(vf_tdx_pcs_split((const uint8_t *)ok, strlen(ok), "tcbInfo", &off, &len, sig)));
	assert_int_equal(len, strlen("{\"a\":\"}\\\"\",\"b\":[1,{}]}"));
	assert_memory_equal(ok + off, "{\"a\":", 5);
}

static void test_tcb_info_parse(void **state)
{
	struct tc_buf b;
	size_t off, len;
	uint8_t sig[VF_TDX_ECDSA_SIG_LEN];
	struct vf_tdx_tcb_info *t = NULL;
	tdx_test_read("tdx/gotdx_tcbinfo_90c06f000000_2026-02-01.json", &b);
	assert_true(tc_is_ok(vf_tdx_pcs_split(b.data, b.len, "tcbInfo", &off, &len, sig)));
	assert_true(tc_is_ok(vf_tdx_tcb_info_parse(b.data + off, len, &t)));
	assert_string_equal(t->id, "TDX");
	assert_int_equal(t->version, 3);
	assert_int_equal(t->tcb_evaluation_data_number, 18);
	hex_is(t->fmspc, sizeof t->fmspc, "90c06f000000");
	assert_int_equal(t->n_identities, 2); /* TDX_03, TDX_01 */
	assert_string_equal(t->identities[1].id, "TDX_01");
	assert_true(t->n_levels > 0);
	assert_true(t->has_module);
	vf_tdx_tcb_info_free(t);

	/* Every truncation of the signed bytes fails cleanly. */
	for (size_t n = 0; n < len; n += 7) {
		t = NULL;
		assert_int_equal(vf_tdx_tcb_info_parse(b.data + off, n, &t).code, TC_ERR_COLLATERAL_SIGNATURE_INVALID);
		assert_null(t);
	}
	tc_buf_cleanup(&b);

	static const char *const bad[] = {
		"{}",
		"{\"id\":\"TDX\",\"version\":3}",
		"{\"id\":\"TDX\",\"version\":3,\"issueDate\":\"x\",\"nextUpdate\":\"2026-01-01T00:00:00Z\"}",
		"{\"id\":\"TDX\",\"version\":3,\"issueDate\":\"2026-01-01T00:00:00Z\",\"nextUpdate\":\"2026-01-01T00:00:00Z\","
		"\"fmspc\":\"00\",\"pceId\":\"0000\",\"tcbType\":0,\"tcbEvaluationDataNumber\":1,\"tcbLevels\":[]}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(vf_tdx_tcb_info_parse((const uint8_t *)bad[i], strlen(bad[i]), &t).code,
				 TC_ERR_COLLATERAL_SIGNATURE_INVALID);
}

static void test_qe_identity_parse(void **state)
{
	struct tc_buf b;
	size_t off, len;
	uint8_t sig[VF_TDX_ECDSA_SIG_LEN];
	struct vf_tdx_qe_identity *q = NULL;
	tdx_test_read("tdx/gotdx_qeidentity_td_qe_2023-06-08.json", &b);
	assert_true(tc_is_ok(vf_tdx_pcs_split(b.data, b.len, "enclaveIdentity", &off, &len, sig)));
	assert_true(tc_is_ok(vf_tdx_qe_identity_parse(b.data + off, len, &q)));
	assert_string_equal(q->id, "TD_QE");
	assert_int_equal(q->version, 2);
	assert_int_equal(q->isvprodid, 2);
	assert_int_equal(q->n_levels, 1);
	assert_int_equal(q->levels[0].isvsvn, 4);
	assert_int_equal(q->levels[0].st.status, VF_TCB_UP_TO_DATE);
	hex_is(q->mrsigner, 4, "dc9e2a7c");
	vf_tdx_qe_identity_free(q);
	for (size_t n = 0; n < len; n += 5)
		assert_int_equal(vf_tdx_qe_identity_parse(b.data + off, n, &q).code, TC_ERR_COLLATERAL_SIGNATURE_INVALID);
	/* Unknown status string. */
	char *mod = strndup((const char *)b.data + off, len);
	char *st = strstr(mod, "UpToDate");
	assert_non_null(st);
	memcpy(st, "UpToDaTe", 8);
	assert_int_equal(vf_tdx_qe_identity_parse((const uint8_t *)mod, len, &q).code,
			 TC_ERR_COLLATERAL_SIGNATURE_INVALID);
	free(mod);
	tc_buf_cleanup(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quote_v4_gotdx),
		cmocka_unit_test(test_quote_v5_gotdx),
		cmocka_unit_test(test_quote_trailing_zeros),
		cmocka_unit_test(test_quote_truncated),
		cmocka_unit_test(test_quote_unsupported),
		cmocka_unit_test(test_sgx_ext),
		cmocka_unit_test(test_sgx_ext_negative),
		cmocka_unit_test(test_pcs_split),
		cmocka_unit_test(test_pcs_split_negative),
		cmocka_unit_test(test_tcb_info_parse),
		cmocka_unit_test(test_qe_identity_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
