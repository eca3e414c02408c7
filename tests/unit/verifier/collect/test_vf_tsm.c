/*
 * test_vf_tsm.c — configfs-tsm collection (verifier/vf_tsm.c, vf_collect.c) against the fake kernel thread
 * of fake_tsm.c, serving real evidence from ../shared: the collected bytes must then appraise like the
 * conformance cases; racing writers, a missing provider, permission errors, no TEE at all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_tsm.h"
#include "vf.h"
#include "vf_collect.h"
#include "vf_tsm.h"

#define TDX_QUOTE "tdx/phala_v4_quote_b0c06f000000_uptodate.dat"
#define TDX_RD_OFFSET 568
#define SNP_REPORT "snp/trustee_milan_v2_report.bin"
#define SNP_RD_OFFSET 0x50
#define NOBODY 65534

static int count_dirs(const char *root)
{
	DIR *d = opendir(root);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_type == DT_DIR && strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void serve_file(struct fake_tsm *f, const char *rel)
{
	char path[1024];

	fake_shared_path(path, sizeof(path), rel);
	fake_read_file(path, &f->outblob);
}

/* Appraise a conformance case with some of its evidence/collateral items replaced by collected bytes. */
static bool appraise_case_with(const char *case_name, const char *const *roles, const struct tc_buf *const *bufs,
			       size_t n)
{
	char path[1024];
	struct vf_case *c = calloc(1, sizeof(*c));
	struct vf_appraisal a;
	bool accepted, replaced[8] = { false };

	assert_non_null(c);
	fake_shared_path(path, sizeof(path), case_name);
	assert_true(tc_is_ok(vf_case_load(path, c)));
	for (size_t k = 0; k < n; k++) {
		struct vf_item *lists[2] = { c->input.evidence, c->input.collateral };
		size_t counts[2] = { c->input.n_evidence, c->input.n_collateral };

		for (int l = 0; l < 2; l++)
			for (size_t i = 0; i < counts[l]; i++)
				if (strcmp(lists[l][i].role, roles[k]) == 0) {
					lists[l][i].data = bufs[k]->data;
					lists[l][i].len = bufs[k]->len;
					replaced[k] = true;
				}
		assert_true(replaced[k]);
	}
	assert_true(tc_is_ok(vf_appraise(&c->input, &c->policy, c->verify_at, &a)));
	accepted = a.accepted;
	if (!accepted)
		fprintf(stderr, "appraisal: %s: %s\n", tc_error_info(a.failure)->code, a.detail);
	vf_appraisal_cleanup(&a);
	vf_case_cleanup(c);
	free(c);
	return accepted;
}

static void test_tdx_quote_through_tsm(void **state)
{
	struct fake_tsm f;
	struct vf_collect_options opt = { .privlevel = -1, .no_fallback = true };
	struct vf_cpu_evidence ev;
	uint8_t rd[64];
	struct tc_buf want;
	const char *roles[] = { "tdx_quote" };
	const struct tc_buf *bufs[1];
	struct stat st;

	fake_tsm_init(&f, "tdx_guest");
	serve_file(&f, TDX_QUOTE);
	tc_buf_init(&want, 1u << 20);
	assert_true(tc_is_ok(tc_buf_append(&want, f.outblob.data, f.outblob.len)));
	fake_report_data(TDX_QUOTE, TDX_RD_OFFSET, rd);
	assert_int_equal(fake_tsm_start(&f), 0);
	opt.tsm_root = f.root;
	assert_true(tc_is_ok(vf_collect_cpu(&opt, rd, &ev)));
	assert_int_equal(ev.tee, VF_TEE_TDX);
	assert_string_equal(ev.provider, "tdx_guest");
	assert_string_equal(ev.interface, "configfs-tsm");
	assert_false(ev.td_report_only);
	assert_int_equal(ev.evidence.len, want.len);
	assert_memory_equal(ev.evidence.data, want.data, want.len);
	assert_int_equal(f.served, 1);
	bufs[0] = &ev.evidence;
	assert_true(appraise_case_with("cases/tdx-phala-v4-b0c06f-uptodate.json", roles, bufs, 1));
	vf_cpu_evidence_cleanup(&ev);
	/* The entry folder is removed again (rmdir): no folder is left under the root. */
	assert_int_equal(stat(f.root, &st), 0);
	assert_int_equal(count_dirs(f.root), 0);
	fake_tsm_stop(&f);
	tc_buf_cleanup(&want);
}

static void test_snp_report_and_cert_table(void **state)
{
	for (int variant = 0; variant < 2; variant++) {
		struct fake_tsm f;
		struct vf_collect_options opt = { .privlevel = -1, .no_fallback = true };
		struct vf_cpu_evidence ev;
		uint8_t rd[64];
		struct tc_buf vcek;
		char path[1024];
		const char *roles[] = { "snp_report", "vcek", "ark_ask_chain" };
		const struct tc_buf *bufs[3];

		fake_tsm_init(&f, "sev_guest");
		serve_file(&f, SNP_REPORT);
		fake_snp_cert_table(&f.auxblob, variant == 1, false);
		f.has_auxblob = true;
		fake_report_data(SNP_REPORT, SNP_RD_OFFSET, rd);
		assert_int_equal(fake_tsm_start(&f), 0);
		opt.tsm_root = f.root;
		assert_true(tc_is_ok(vf_collect_cpu(&opt, rd, &ev)));
		assert_int_equal(ev.tee, VF_TEE_SNP);
		assert_string_equal(ev.provider, "sev_guest");
		assert_false(ev.is_vlek);
		tc_buf_init(&vcek, 1u << 20);
		fake_shared_path(path, sizeof(path), "snp/trustee_milan_vcek.der");
		fake_read_file(path, &vcek);
		assert_int_equal(ev.endorsement.len, vcek.len);
		assert_memory_equal(ev.endorsement.data, vcek.data, vcek.len);
		assert_int_equal(ev.cert_table.len, f.auxblob.len);
		assert_non_null(strstr((const char *)ev.ark_ask_chain.data, "-----BEGIN CERTIFICATE-----"));
		bufs[0] = &ev.evidence;
		bufs[1] = &ev.endorsement;
		bufs[2] = &ev.ark_ask_chain;
		assert_true(appraise_case_with("cases/snp-trustee-milan-ok.json", roles, bufs, 3));
		tc_buf_cleanup(&vcek);
		vf_cpu_evidence_cleanup(&ev);
		fake_tsm_stop(&f);
	}
}

static void test_report_data_must_match(void **state)
{
	struct fake_tsm f;
	struct vf_collect_options opt = { .privlevel = -1, .no_fallback = true };
	struct vf_cpu_evidence ev;
	uint8_t rd[64];

	fake_tsm_init(&f, "tdx_guest");
	serve_file(&f, TDX_QUOTE);
	fake_report_data(TDX_QUOTE, TDX_RD_OFFSET, rd);
	rd[5] ^= 1;
	assert_int_equal(fake_tsm_start(&f), 0);
	opt.tsm_root = f.root;
	assert_int_equal(vf_collect_cpu(&opt, rd, &ev).code, TC_ERR_NONCE_MISMATCH);
	assert_non_null(strstr(tc_error_detail(), "REPORTDATA"));
	fake_tsm_stop(&f);
}

static void test_racing_writer(void **state)
{
	struct fake_tsm f;
	struct vf_tsm_report rep;
	uint8_t rd[64] = { 1 };
	bool present = false;

	fake_tsm_init(&f, "tdx_guest");
	serve_file(&f, TDX_QUOTE);
	f.extra_bumps = 1; /* someone else wrote once more */
	assert_int_equal(fake_tsm_start(&f), 0);
	assert_int_equal(vf_tsm_report_get(f.root, rd, -1, &present, &rep).code, TC_ERR_IO);
	assert_true(present);
	assert_non_null(strstr(tc_error_detail(), "racing writer"));
	assert_non_null(strstr(tc_error_detail(), "from 0 to 2"));
	fake_tsm_stop(&f);
}

static void test_privlevel_and_generation(void **state)
{
	struct fake_tsm f;
	struct vf_tsm_report rep;
	uint8_t rd[64] = { 2 };
	bool present = false;

	fake_tsm_init(&f, "sev_guest");
	serve_file(&f, SNP_REPORT);
	f.privlevel = true;
	assert_int_equal(fake_tsm_start(&f), 0);
	assert_true(tc_is_ok(vf_tsm_report_get(f.root, rd, 2, &present, &rep)));
	assert_int_equal(rep.generation, 2); /* privlevel + inblob */
	assert_false(rep.has_auxblob);
	assert_false(rep.on_configfs);
	assert_string_equal(rep.provider, "sev_guest");
	vf_tsm_report_cleanup(&rep);
	assert_int_equal(vf_tsm_report_get(f.root, rd, 4, &present, &rep).code, TC_ERR_INVALID_ARGUMENT);
	fake_tsm_stop(&f);

	/* A provider without privlevel (TDX) says so instead of failing obscurely. */
	fake_tsm_init(&f, "tdx_guest");
	serve_file(&f, TDX_QUOTE);
	assert_int_equal(fake_tsm_start(&f), 0);
	assert_int_equal(vf_tsm_report_get(f.root, rd, 1, &present, &rep).code, TC_ERR_UNSUPPORTED);
	assert_non_null(strstr(tc_error_detail(), "privlevel"));
	fake_tsm_stop(&f);
}

static void test_missing_and_unknown_provider(void **state)
{
	struct fake_tsm f;
	struct vf_collect_options opt = { .privlevel = -1, .no_fallback = true };
	struct vf_cpu_evidence ev;
	uint8_t rd[64] = { 3 };

	fake_tsm_init(&f, NULL);
	serve_file(&f, TDX_QUOTE);
	assert_int_equal(fake_tsm_start(&f), 0);
	opt.tsm_root = f.root;
	assert_int_equal(vf_collect_cpu(&opt, rd, &ev).code, TC_ERR_IO);
	assert_non_null(strstr(tc_error_detail(), "provider is missing"));
	fake_tsm_stop(&f);

	fake_tsm_init(&f, "arm_cca_guest\n");
	serve_file(&f, TDX_QUOTE);
	assert_int_equal(fake_tsm_start(&f), 0);
	opt.tsm_root = f.root;
	assert_int_equal(vf_collect_cpu(&opt, rd, &ev).code, TC_ERR_IO);
	assert_non_null(strstr(tc_error_detail(), "'arm_cca_guest'"));
	fake_tsm_stop(&f);
}

/* Run the collector as an unprivileged user (root ignores file modes): fork, drop to nobody, collect. */
static void expect_permission_error(const char *root, const char *needle)
{
	uint8_t rd[64] = { 4 };
	struct vf_tsm_report rep;
	bool present = false;
	pid_t pid;
	int status = 0;

	if (geteuid() != 0) {
		assert_int_equal(vf_tsm_report_get(root, rd, -1, &present, &rep).code, TC_ERR_IO);
		assert_non_null(strstr(tc_error_detail(), needle));
		assert_non_null(strstr(tc_error_detail(), "Permission denied"));
		return;
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct tc_result r;

		if (setgroups(0, NULL) != 0 || setgid(NOBODY) != 0 || setuid(NOBODY) != 0)
			_exit(10);
		r = vf_tsm_report_get(root, rd, -1, &present, &rep);
		if (r.code != TC_ERR_IO)
			_exit(11);
		if (!strstr(tc_error_detail(), needle) || !strstr(tc_error_detail(), "Permission denied") ||
		    !strstr(tc_error_detail(), "run as root"))
			_exit(12);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_permission_errors(void **state)
{
	struct fake_tsm f;

	/* mkdir refused: the report folder is not writable. */
	fake_tsm_init(&f, "tdx_guest");
	serve_file(&f, TDX_QUOTE);
	assert_int_equal(fake_tsm_start(&f), 0);
	assert_int_equal(chmod(f.root, 0555), 0);
	expect_permission_error(f.root, "cannot create a report entry");
	fake_tsm_stop(&f);

	/* The entry is made, but inblob is not writable for this user. */
	fake_tsm_init(&f, "tdx_guest");
	serve_file(&f, TDX_QUOTE);
	f.attr_mode = 0444;
	assert_int_equal(fake_tsm_start(&f), 0);
	assert_int_equal(chmod(f.root, 0777), 0);
	expect_permission_error(f.root, "inblob");
	fake_tsm_stop(&f);
}

static void test_no_tee_anywhere(void **state)
{
	struct vf_collect_options opt = { .tsm_root = "/nonexistent/tsm/report",
					  .tdx_device = "/nonexistent/tdx_guest",
					  .sev_device = "/nonexistent/sev-guest",
					  .privlevel = -1 };
	struct vf_cpu_evidence ev;
	uint8_t rd[64] = { 5 };
	bool present = true;
	struct vf_tsm_report rep;

	assert_int_equal(vf_collect_cpu(&opt, rd, &ev).code, TC_ERR_UNSUPPORTED);
	assert_non_null(strstr(tc_error_detail(), "no TEE interface found"));
	assert_non_null(strstr(tc_error_detail(), "/nonexistent/tsm/report"));
	assert_non_null(strstr(tc_error_detail(), "/nonexistent/tdx_guest"));
	assert_non_null(strstr(tc_error_detail(), "/nonexistent/sev-guest"));
	assert_non_null(strstr(tc_error_detail(), "No such file or directory"));
	assert_int_equal(vf_tsm_report_get("/nonexistent/tsm/report", rd, -1, &present, &rep).code, TC_ERR_UNSUPPORTED);
	assert_false(present);
	assert_non_null(strstr(vf_tsm_errno_hint(EBUSY), "busy"));
	assert_string_equal(vf_tsm_errno_hint(E2BIG), "");
}

/* configfs-tsm absent, the fallback device present but not a TEE device: the failure is reported, not hidden. */
static void test_fallback_device_failure(void **state)
{
	char dev[] = "/tmp/teecert-not-a-device-XXXXXX";
	int fd = mkstemp(dev);
	struct vf_collect_options opt = { .tsm_root = "/nonexistent/tsm/report",
					  .tdx_device = dev,
					  .sev_device = "/nonexistent/sev-guest",
					  .privlevel = -1 };
	struct vf_cpu_evidence ev;
	uint8_t rd[64] = { 6 };

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(vf_collect_cpu(&opt, rd, &ev).code, TC_ERR_IO);
	assert_non_null(strstr(tc_error_detail(), "TDX_CMD_GET_REPORT0 failed"));
	assert_non_null(strstr(ev.tried, "/nonexistent/tsm/report"));
	opt.no_fallback = true;
	assert_int_equal(vf_collect_cpu(&opt, rd, &ev).code, TC_ERR_UNSUPPORTED);
	assert_null(strstr(tc_error_detail(), dev));
	unlink(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tdx_quote_through_tsm),    cmocka_unit_test(test_snp_report_and_cert_table),
		cmocka_unit_test(test_report_data_must_match),   cmocka_unit_test(test_racing_writer),
		cmocka_unit_test(test_privlevel_and_generation), cmocka_unit_test(test_missing_and_unknown_provider),
		cmocka_unit_test(test_permission_errors),        cmocka_unit_test(test_no_tee_anywhere),
		cmocka_unit_test(test_fallback_device_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
