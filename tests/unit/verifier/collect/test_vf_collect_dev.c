/*
 * test_vf_collect_dev.c — the ioctl fallbacks without a device (verifier/tdx/vf_tdx_collect.c,
 * verifier/snp/vf_snp_collect.c): ioctl numbers against the values the kernel headers produce, request
 * building, MSG_REPORT_RSP and TDREPORT parsing, the GHCB certificate table, and the "no device" errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "fake_tsm.h"
#include "vf.h"
#include "vf_collect.h"

static void test_ioctl_numbers(void **state)
{
	/* _IOWR(type, nr, size) = 3 << 30 | size << 16 | type << 8 | nr (asm-generic/ioctl.h), written out. */
	assert_int_equal(vf_tdx_get_report0_cmd(), 0xC4405401ul); /* 'T', 1, 1088 bytes */
	assert_int_equal(vf_snp_get_report_cmd(), 0xC0205300ul);  /* 'S', 0, 32 bytes */
	assert_int_equal(vf_snp_get_ext_report_cmd(), 0xC0205302ul);
}

static void test_requests(void **state)
{
	uint8_t rd[64], certs[16];
	struct vf_tdx_report_req treq;
	struct vf_snp_ext_report_req sreq;
	struct vf_snp_guest_request_ioctl io;
	struct vf_snp_report_resp *resp = calloc(1, sizeof(*resp));
	const uint8_t *raw = (const uint8_t *)&sreq;

	for (int i = 0; i < 64; i++)
		rd[i] = (uint8_t)(0xA0 + i);
	memset(&treq, 0xFF, sizeof(treq));
	vf_tdx_report_req_init(&treq, rd);
	assert_memory_equal(treq.reportdata, rd, 64);
	for (size_t i = 0; i < sizeof(treq.tdreport); i++)
		assert_int_equal(treq.tdreport[i], 0);

	memset(&sreq, 0xFF, sizeof(sreq));
	vf_snp_ext_report_req_init(&sreq, rd, 2, certs, 4096);
	assert_memory_equal(raw, rd, 64); /* user_data at 0 */
	assert_int_equal(raw[64], 2);     /* vmpl (u32 le) at 64 */
	assert_int_equal(raw[65] | raw[66] | raw[67], 0);
	for (int i = 68; i < 96; i++) /* rsvd must be zero */
		assert_int_equal(raw[i], 0);
	assert_int_equal(offsetof(struct vf_snp_ext_report_req, certs_address), 96);
	assert_int_equal(offsetof(struct vf_snp_ext_report_req, certs_len), 104);
	assert_true(sreq.certs_address == (uint64_t)(uintptr_t)certs);
	assert_int_equal(sreq.certs_len, 4096);

	assert_non_null(resp);
	vf_snp_guest_request_init(&io, &sreq, resp);
	assert_int_equal(io.msg_version, 1);
	assert_true(io.req_data == (uint64_t)(uintptr_t)&sreq);
	assert_true(io.resp_data == (uint64_t)(uintptr_t)resp);
	assert_int_equal(io.exitinfo2, 0);
	assert_int_equal(offsetof(struct vf_snp_guest_request_ioctl, req_data), 8);
	assert_int_equal(offsetof(struct vf_snp_guest_request_ioctl, exitinfo2), 24);
	free(resp);
}

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void test_report_resp(void **state)
{
	uint8_t resp[4000];
	struct tc_buf report;
	char path[1024];
	struct tc_buf real;
	uint8_t rd[64];

	tc_buf_init(&report, 1u << 16);
	tc_buf_init(&real, 1u << 16);
	fake_shared_path(path, sizeof(path), "snp/trustee_milan_v2_report.bin");
	fake_read_file(path, &real);
	memset(resp, 0, sizeof(resp));
	le32(resp, 0);
	le32(resp + 4, (uint32_t)real.len);
	memcpy(resp + 0x20, real.data, real.len);
	assert_true(tc_is_ok(vf_snp_report_resp_parse(resp, sizeof(resp), &report)));
	assert_int_equal(report.len, 1184);
	assert_memory_equal(report.data, real.data, real.len);
	memcpy(rd, real.data + 0x50, 64);
	assert_true(tc_is_ok(vf_snp_report_check_report_data(report.data, report.len, rd)));
	rd[63] ^= 1;
	assert_int_equal(vf_snp_report_check_report_data(report.data, report.len, rd).code, TC_ERR_NONCE_MISMATCH);

	tc_buf_reset(&report);
	le32(resp, 0x16); /* firmware: invalid parameters */
	assert_int_equal(vf_snp_report_resp_parse(resp, sizeof(resp), &report).code, TC_ERR_IO);
	assert_non_null(strstr(tc_error_detail(), "0x16"));
	le32(resp, 0);
	le32(resp + 4, 4000); /* larger than what follows the header */
	assert_int_equal(vf_snp_report_resp_parse(resp, sizeof(resp), &report).code, TC_ERR_EVIDENCE_MALFORMED);
	le32(resp + 4, 100);
	assert_int_equal(vf_snp_report_resp_parse(resp, sizeof(resp), &report).code, TC_ERR_EVIDENCE_MALFORMED);
	assert_int_equal(vf_snp_report_resp_parse(resp, 16, &report).code, TC_ERR_EVIDENCE_MALFORMED);
	assert_int_equal(report.len, 0);
	tc_buf_cleanup(&report);
	tc_buf_cleanup(&real);
}

static void test_tdreport(void **state)
{
	uint8_t rep[1024], rd[64];

	memset(rep, 0x11, sizeof(rep));
	rep[0] = 0x81; /* REPORTTYPE.TYPE = TDX */
	for (int i = 0; i < 64; i++)
		rd[i] = (uint8_t)i;
	memcpy(rep + 128, rd, 64);
	assert_true(tc_is_ok(vf_tdx_tdreport_check(rep, sizeof(rep), rd)));
	rep[128 + 63] ^= 1;
	assert_int_equal(vf_tdx_tdreport_check(rep, sizeof(rep), rd).code, TC_ERR_NONCE_MISMATCH);
	rep[128 + 63] ^= 1;
	rep[0] = 0x00; /* SGX */
	assert_int_equal(vf_tdx_tdreport_check(rep, sizeof(rep), rd).code, TC_ERR_EVIDENCE_MALFORMED);
	assert_int_equal(vf_tdx_tdreport_check(rep, 584, rd).code, TC_ERR_EVIDENCE_MALFORMED);
}

static void test_cert_table(void **state)
{
	for (int mixed = 0; mixed < 2; mixed++) {
		struct tc_buf t;
		struct vf_snp_cert_table table;
		struct vf_cpu_evidence ev;
		BIO *bio;
		X509 *ask, *ark;
		char name[256];

		tc_buf_init(&t, 1u << 20);
		fake_snp_cert_table(&t, mixed, false);
		assert_true(tc_is_ok(vf_snp_cert_table_parse(t.data, t.len, &table)));
		assert_int_equal(table.n, 3);
		assert_int_equal(table.entries[0].kind, VF_SNP_CERT_VCEK);
		assert_int_equal(table.entries[1].kind, VF_SNP_CERT_ASK);
		assert_int_equal(table.entries[2].kind, VF_SNP_CERT_ARK);
		assert_int_equal(table.extent, t.len);
		assert_string_equal(vf_snp_cert_kind_name(table.entries[1].kind), "ask");

		memset(&ev, 0, sizeof(ev));
		tc_buf_init(&ev.endorsement, 1u << 20);
		tc_buf_init(&ev.ark_ask_chain, 1u << 20);
		assert_true(tc_is_ok(vf_snp_cert_table_split(&table, &ev)));
		assert_false(ev.is_vlek);
		assert_int_equal(ev.endorsement.len, table.entries[0].len);
		bio = BIO_new_mem_buf(ev.ark_ask_chain.data, (int)ev.ark_ask_chain.len);
		ask = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		ark = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		assert_non_null(ask);
		assert_non_null(ark);
		X509_NAME_oneline(X509_get_subject_name(ask), name, sizeof(name));
		assert_non_null(strstr(name, "SEV-Milan"));
		X509_NAME_oneline(X509_get_subject_name(ark), name, sizeof(name));
		assert_non_null(strstr(name, "ARK-Milan"));
		X509_free(ask);
		X509_free(ark);
		BIO_free(bio);
		vf_cpu_evidence_cleanup(&ev);
		tc_buf_cleanup(&t);
	}
}

static void test_cert_table_vlek_and_errors(void **state)
{
	struct tc_buf t;
	struct vf_snp_cert_table table;
	struct vf_cpu_evidence ev;
	uint8_t zeros[64] = { 0 }, one[24], two[48] = { 0 };

	tc_buf_init(&t, 1u << 20);
	fake_snp_cert_table(&t, false, true);
	assert_true(tc_is_ok(vf_snp_cert_table_parse(t.data, t.len, &table)));
	assert_int_equal(table.entries[0].kind, VF_SNP_CERT_VLEK);
	memset(&ev, 0, sizeof(ev));
	tc_buf_init(&ev.endorsement, 1u << 20);
	tc_buf_init(&ev.ark_ask_chain, 1u << 20);
	assert_true(tc_is_ok(vf_snp_cert_table_split(&table, &ev)));
	assert_true(ev.is_vlek);
	vf_cpu_evidence_cleanup(&ev);

	/* An unknown GUID is kept as "other". */
	t.data[0] ^= 0xFF;
	assert_true(tc_is_ok(vf_snp_cert_table_parse(t.data, t.len, &table)));
	assert_int_equal(table.entries[0].kind, VF_SNP_CERT_OTHER);
	t.data[0] ^= 0xFF;
	/* An entry whose length runs past the buffer. */
	le32(t.data + 24 + 20, (uint32_t)t.len);
	assert_int_equal(vf_snp_cert_table_parse(t.data, t.len, &table).code, TC_ERR_EVIDENCE_MALFORMED);
	assert_non_null(strstr(tc_error_detail(), "outside"));
	/* No terminator within the buffer (the table is cut inside its entries). */
	memcpy(one, t.data, 16);
	le32(one + 16, 0);
	le32(one + 20, sizeof(one));
	assert_int_equal(vf_snp_cert_table_parse(one, sizeof(one), &table).code, TC_ERR_EVIDENCE_MALFORMED);
	assert_non_null(strstr(tc_error_detail(), "terminator"));
	/* An entry pointing into the table itself. */
	memcpy(two, one, sizeof(one));
	assert_int_equal(vf_snp_cert_table_parse(two, sizeof(two), &table).code, TC_ERR_EVIDENCE_MALFORMED);
	assert_non_null(strstr(tc_error_detail(), "table itself"));
	/* Empty and all-zero buffers: a host that supplied no certificates. */
	assert_true(tc_is_ok(vf_snp_cert_table_parse(zeros, sizeof(zeros), &table)));
	assert_int_equal(table.n, 0);
	assert_true(tc_is_ok(vf_snp_cert_table_parse(zeros, 0, &table)));
	assert_int_equal(table.n, 0);
	tc_buf_cleanup(&t);
}

static void test_no_device(void **state)
{
	uint8_t rd[64] = { 0 };
	struct tc_buf out, certs;
	bool present = true;
	char dev[] = "/tmp/teecert-fake-dev-XXXXXX";
	int fd = mkstemp(dev);

	tc_buf_init(&out, 1u << 20);
	tc_buf_init(&certs, 1u << 20);
	assert_int_equal(vf_tdx_collect_tdreport("/nonexistent/tdx_guest", rd, &present, &out).code,
			 TC_ERR_UNSUPPORTED);
	assert_false(present);
	assert_non_null(strstr(tc_error_detail(), "/nonexistent/tdx_guest: No such file or directory"));
	present = true;
	assert_int_equal(vf_snp_collect_ext_report("/nonexistent/sev-guest", rd, 0, &present, &out, &certs).code,
			 TC_ERR_UNSUPPORTED);
	assert_false(present);
	/* A file that is not the device: present, and the ioctl's failure is named. */
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(vf_tdx_collect_tdreport(dev, rd, &present, &out).code, TC_ERR_IO);
	assert_true(present);
	assert_non_null(strstr(tc_error_detail(), "TDX_CMD_GET_REPORT0"));
	assert_int_equal(vf_snp_collect_ext_report(dev, rd, 0, &present, &out, &certs).code, TC_ERR_IO);
	assert_true(present);
	assert_non_null(strstr(tc_error_detail(), "SNP_GET_EXT_REPORT"));
	assert_int_equal(out.len, 0);
	unlink(dev);
	tc_buf_cleanup(&out);
	tc_buf_cleanup(&certs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ioctl_numbers), cmocka_unit_test(test_requests),
		cmocka_unit_test(test_report_resp),   cmocka_unit_test(test_tdreport),
		cmocka_unit_test(test_cert_table),    cmocka_unit_test(test_cert_table_vlek_and_errors),
		cmocka_unit_test(test_no_device),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
