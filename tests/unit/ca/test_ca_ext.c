/*
 * test_ca_ext.c — encoders/decoders of ca/teecert.asn1 and the CMW evidence extension: round trips, exact
 * DER of small values, and negative cases (truncation, trailing bytes, wrong tags, non-minimal lengths and
 * integers, DEFAULT values encoded, out-of-range enumerations, CMW order/duplicates/indefinite lengths).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ca_test_util.h"

static void test_role_exact(void **state)
{
	struct tc_buf b = { 0 };
	struct ca_ext_role v = { CA_ROLE_CVM, CA_NETWORK_UNTRUSTED }, d;
	static const uint8_t want[] = { 0x30, 0x06, 0x0a, 0x01, 0x02, 0x0a, 0x01, 0x01 };
	static const uint8_t bad_enum[] = { 0x30, 0x06, 0x0a, 0x01, 0x04, 0x0a, 0x01, 0x01 };
	static const uint8_t trailing[] = { 0x30, 0x06, 0x0a, 0x01, 0x02, 0x0a, 0x01, 0x01, 0x00 };
	static const uint8_t long_len[] = { 0x30, 0x81, 0x06, 0x0a, 0x01, 0x02, 0x0a, 0x01, 0x01 };
	static const uint8_t nonmin_int[] = { 0x30, 0x07, 0x0a, 0x02, 0x00, 0x02, 0x0a, 0x01, 0x01 };
	static const uint8_t wrong_tag[] = { 0x31, 0x06, 0x0a, 0x01, 0x02, 0x0a, 0x01, 0x01 };

	(void)state;
	assert_true(tc_is_ok(ca_ext_role_encode(&v, &b)));
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	assert_true(tc_is_ok(ca_ext_role_decode(b.data, b.len, &d)));
	assert_int_equal(d.role, CA_ROLE_CVM);
	assert_int_equal(d.network, CA_NETWORK_UNTRUSTED);
	assert_int_equal(ca_ext_role_decode(bad_enum, sizeof(bad_enum), &d).code, TC_ERR_EXTENSION_MALFORMED);
	assert_int_equal(ca_ext_role_decode(trailing, sizeof(trailing), &d).code, TC_ERR_EXTENSION_MALFORMED);
	assert_int_equal(ca_ext_role_decode(long_len, sizeof(long_len), &d).code, TC_ERR_EXTENSION_MALFORMED);
	assert_int_equal(ca_ext_role_decode(nonmin_int, sizeof(nonmin_int), &d).code, TC_ERR_EXTENSION_MALFORMED);
	assert_int_equal(ca_ext_role_decode(wrong_tag, sizeof(wrong_tag), &d).code, TC_ERR_EXTENSION_MALFORMED);
	for (size_t n = 0; n < sizeof(want); n++)
		assert_int_equal(ca_ext_role_decode(want, n, &d).code, TC_ERR_EXTENSION_MALFORMED);
	tc_buf_cleanup(&b);
}

static void test_appraisal_roundtrip(void **state)
{
	struct vf_appraisal a;
	struct ca_ext_appraisal s, d;
	struct tc_buf b = { 0 };

	(void)state;
	ca_test_appraisal(&a, true);
	assert_true(tc_is_ok(ca_ext_appraisal_from_vf(&a, &s)));
	assert_true(tc_is_ok(ca_ext_appraisal_encode(&s, &b)));
	assert_true(tc_is_ok(ca_ext_appraisal_decode(b.data, b.len, &d)));
	assert_memory_equal(&s, &d, sizeof(s));
	/* Every truncation fails, as does a flipped top-level tag. */
	for (size_t n = 0; n < b.len; n++)
		assert_int_equal(ca_ext_appraisal_decode(b.data, n, &d).code, TC_ERR_EXTENSION_MALFORMED);
	b.data[0] = 0x31;
	assert_int_equal(ca_ext_appraisal_decode(b.data, b.len, &d).code, TC_ERR_EXTENSION_MALFORMED);
	tc_buf_cleanup(&b);
	/* Rejected: failure code carried; accepted-with-failure is inconsistent. */
	vf_reject(&a, TC_ERR_TCB_STATUS_REJECTED, "x");
	assert_true(tc_is_ok(ca_ext_appraisal_from_vf(&a, &s)));
	assert_string_equal(s.failure, "tcb_status_rejected");
	assert_true(tc_is_ok(ca_ext_appraisal_encode(&s, &b)));
	assert_true(tc_is_ok(ca_ext_appraisal_decode(b.data, b.len, &d)));
	assert_false(d.accepted);
	assert_string_equal(d.failure, "tcb_status_rejected");
	tc_buf_reset(&b);
	s.accepted = true;
	assert_true(tc_is_ok(ca_ext_appraisal_encode(&s, &b)));
	assert_int_equal(ca_ext_appraisal_decode(b.data, b.len, &d).code, TC_ERR_EXTENSION_MALFORMED);
	tc_buf_cleanup(&b);
	vf_appraisal_cleanup(&a);
}

static void test_simulated_default(void **state)
{
	/* DeviceSummary with simulated explicitly FALSE violates DER (DEFAULT omitted). */
	static const uint8_t dev_false[] = { 0x30, 0x0c, 0x0c, 0x04, 'c', 'p', 'u', '0', 0x0a, 0x01, 0x00, 0x01, 0x01, 0x00 };
	struct ca_ext_appraisal s = { 0 }, d;
	struct tc_buf b = { 0 };
	uint8_t *p;
	size_t i;

	(void)state;
	s.accepted = true;
	s.n_devices = 1;
	memcpy(s.devices[0].id, "cpu0", 5);
	s.appraised_at = CA_TEST_NOW;
	assert_true(tc_is_ok(ca_ext_appraisal_encode(&s, &b)));
	/* Splice: replace the encoded device (30 09 ...) by the one with an explicit FALSE. */
	p = memmem(b.data, b.len, "\x30\x09\x0c\x04" "cpu0", 8);
	assert_non_null(p);
	{
		struct tc_buf m = { 0 };
		size_t off = (size_t)(p - b.data);

		/* outer SEQUENCE and devices SEQUENCE lengths grow by 3 (all short-form here) */
		assert_true(tc_is_ok(tc_buf_append(&m, b.data, off)));
		assert_true(tc_is_ok(tc_buf_append(&m, dev_false, sizeof(dev_false))));
		assert_true(tc_is_ok(tc_buf_append(&m, p + 11, b.len - off - 11)));
		m.data[1] += 3;
		for (i = 2; i < off; i++)
			if (m.data[i] == 0x30 && m.data[i + 1] == 0x0b) {
				m.data[i + 1] = 0x0e;
				break;
			}
		assert_int_equal(ca_ext_appraisal_decode(m.data, m.len, &d).code, TC_ERR_EXTENSION_MALFORMED);
		assert_non_null(strstr(tc_error_detail(), "simulated"));
		tc_buf_cleanup(&m);
	}
	tc_buf_cleanup(&b);
}

static void test_small_extensions(void **state)
{
	struct tc_buf b = { 0 };
	uint8_t h[32], h2[32];
	struct ca_ext_log_ref ref = { .seq = 0x80, .log_id_len = 3, .log_id = { 9, 8, 7 } }, rd;
	struct vf_appraisal a;
	struct ca_ext_hwid hw, hd;
	const uint8_t *q;
	size_t ql;

	(void)state;
	memset(h, 0x5a, sizeof(h));
	assert_true(tc_is_ok(ca_ext_workload_info_encode(h, &b)));
	assert_true(tc_is_ok(ca_ext_workload_info_decode(b.data, b.len, h2)));
	assert_memory_equal(h, h2, 32);
	assert_int_equal(ca_ext_workload_info_decode(b.data, b.len - 1, h2).code, TC_ERR_EXTENSION_MALFORMED);
	tc_buf_reset(&b);
	assert_true(tc_is_ok(ca_ext_log_ref_encode(&ref, &b)));
	assert_int_equal(b.data[2], 0x02);
	assert_int_equal(b.data[3], 0x02); /* 0x80 needs a leading zero */
	assert_true(tc_is_ok(ca_ext_log_ref_decode(b.data, b.len, &rd)));
	assert_int_equal(rd.seq, 0x80);
	assert_int_equal(rd.log_id_len, 3);
	b.data[4] = 0xff; /* negative INTEGER */
	b.data[5] = 0x80;
	assert_int_equal(ca_ext_log_ref_decode(b.data, b.len, &rd).code, TC_ERR_EXTENSION_MALFORMED);
	tc_buf_reset(&b);
	ref.log_id_len = 0;
	assert_int_equal(ca_ext_log_ref_encode(&ref, &b).code, TC_ERR_INVALID_ARGUMENT);
	ca_test_appraisal(&a, false);
	assert_true(tc_is_ok(ca_ext_hwid_from_vf(&a, &hw)));
	assert_true(hw.devices[0].has_fmspc);
	assert_int_equal(hw.devices[0].fmspc[2], 0x6e);
	assert_true(tc_is_ok(ca_ext_hwid_encode(&hw, &b)));
	assert_true(tc_is_ok(ca_ext_hwid_decode(b.data, b.len, &hd)));
	assert_memory_equal(&hw, &hd, sizeof(hw));
	for (size_t n = 0; n < b.len; n++)
		assert_int_equal(ca_ext_hwid_decode(b.data, n, &hd).code, TC_ERR_EXTENSION_MALFORMED);
	/* A claim of the wrong size is refused at the source. */
	json_object_set_new(a.devices[0].claims, "fmspc", json_string("0011"));
	assert_false(tc_is_ok(ca_ext_hwid_from_vf(&a, &hw)));
	vf_appraisal_cleanup(&a);
	tc_buf_reset(&b);
	assert_true(tc_is_ok(ca_ext_ratls_encode((const uint8_t *)"QUOTE", 5, &b)));
	assert_true(tc_is_ok(ca_ext_ratls_decode(b.data, b.len, &q, &ql)));
	assert_int_equal(ql, 5);
	assert_int_equal(ca_ext_ratls_decode(b.data, b.len + 0, &q, &ql).code, TC_OK);
	tc_buf_cleanup(&b);
}

static void test_cmw(void **state)
{
	struct tc_buf b = { 0 };
	struct ca_ext_evidence ev;
	struct vf_item dup[2] = { ca_test_evidence[0], ca_test_evidence[0] };

	(void)state;
	assert_true(tc_is_ok(ca_ext_evidence_encode(ca_test_evidence, 3, &b)));
	assert_true(tc_is_ok(ca_ext_evidence_decode(b.data, b.len, &ev)));
	assert_int_equal(ev.n_items, 3);
	/* Deterministic order: shorter labels first. */
	assert_string_equal(ev.items[0].role, "gpu0.spdm");
	assert_string_equal(ev.items[1].role, "tdx_quote");
	assert_string_equal(ev.items[2].role, "gpu0.cert_chain");
	assert_string_equal(ev.items[1].media_type, "application/vnd.teecert.tdx-quote");
	assert_string_equal(ev.items[2].media_type, "application/pem-certificate-chain");
	assert_int_equal(ev.items[1].len, ca_test_evidence[0].len);
	assert_memory_equal(ev.items[1].data, ca_test_evidence[0].data, ev.items[1].len);
	for (size_t n = 0; n < b.len; n++)
		assert_int_equal(ca_ext_evidence_decode(b.data, n, &ev).code, TC_ERR_EXTENSION_MALFORMED);
	/* CBOR map header (after the OCTET STRING header 04 LL) made indefinite: refused. */
	{
		size_t hdr = b.data[1] < 0x80 ? 2 : 2 + (b.data[1] & 0x7f);
		uint8_t save = b.data[hdr];

		assert_int_equal(save, 0xa4);
		b.data[hdr] = 0xbf;
		assert_int_equal(ca_ext_evidence_decode(b.data, b.len, &ev).code, TC_ERR_EXTENSION_MALFORMED);
		b.data[hdr] = 0xa5; /* one entry more than present */
		assert_int_equal(ca_ext_evidence_decode(b.data, b.len, &ev).code, TC_ERR_EXTENSION_MALFORMED);
		b.data[hdr] = save;
	}
	tc_buf_reset(&b);
	assert_int_equal(ca_ext_evidence_encode(dup, 2, &b).code, TC_ERR_INVALID_ARGUMENT);
	assert_int_equal(ca_ext_evidence_encode(dup, 0, &b).code, TC_ERR_INVALID_ARGUMENT);
	tc_buf_cleanup(&b);
}

static void test_names(void **state)
{
	enum ca_role r;
	enum ca_network n;
	enum ca_crl_reason cr;

	(void)state;
	assert_true(tc_is_ok(ca_role_parse("subroot", &r)));
	assert_int_equal(r, CA_ROLE_SUBROOT);
	assert_false(tc_is_ok(ca_role_parse("admin", &r)));
	assert_true(tc_is_ok(ca_network_parse("untrusted", &n)));
	assert_false(tc_is_ok(ca_network_parse("", &n)));
	assert_true(tc_is_ok(ca_crl_reason_parse("keyCompromise", &cr)));
	assert_int_equal(cr, CA_REASON_KEY_COMPROMISE);
	assert_false(tc_is_ok(ca_crl_reason_parse("lost", &cr)));
	assert_string_equal(ca_crl_reason_name(CA_REASON_AA_COMPROMISE), "aACompromise");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_role_exact), cmocka_unit_test(test_appraisal_roundtrip),
		cmocka_unit_test(test_simulated_default), cmocka_unit_test(test_small_extensions),
		cmocka_unit_test(test_cmw), cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
