/*
 * test_vf_sim_door.c — the simulators' entry points of vf.h's sim section, through vf.h only (the way
 * cli/sim_tdx.c, sim_snp.c and sim_nvidia.c use them): TDX presets as strings, opaque quote options and
 * knobs by flag name (each kind, unknown knobs, bad values), a quote made from a fresh sim PKI carrying the
 * knobs; SNP opaque options, the VLEK switch, an emitted report and its --collateral-out folder; NVIDIA's
 * opaque PKI refused for a folder that is not one.
 */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "vf.h"

#define TEST_PATH_MAX 4096
#define SNP_REPORT_LEN 1184 /* AMD SEV-SNP ABI, ATTESTATION_REPORT */

static char work[TEST_PATH_MAX];

/* DIR/NAME into OUT (TEST_PATH_MAX bytes); the test fails when it does not fit. */
static void join(char *out, const char *dir, const char *name)
{
	int n = snprintf(out, TEST_PATH_MAX, "%s/%s", dir, name);

	if (n < 0 || n >= TEST_PATH_MAX)
		fail_msg("path %s/%s is too long", dir, name);
}

static void path_in(char *out, const char *name)
{
	join(out, work, name);
}

static int setup(void **state)
{
	const char *base = getenv("TEECERT_BUILD_DIR");

	(void)state;
	int n = snprintf(work, sizeof(work), "%s/test_vf_sim_door.XXXXXX", base ? base : "/tmp");

	if (n < 0 || (size_t)n >= sizeof(work) / 2)
		return -1;
	return mkdtemp(work) == NULL ? -1 : 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	(void)state;
	/* Only the folder setup() created with mkdtemp. */
	return nftw(work, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void test_tdx_levels(void **state)
{
	const char *name, *expect, *summary;
	bool uptodate = false;

	(void)state;
	assert_true(vf_tdx_sim_n_tcb_levels() > 1);
	for (size_t i = 0; i < vf_tdx_sim_n_tcb_levels(); i++) {
		struct vf_tdx_sim_quote_opts *o = NULL;

		vf_tdx_sim_tcb_level(i, &name, &expect, &summary);
		assert_true(name[0] != '\0' && expect[0] != '\0' && summary[0] != '\0');
		uptodate = uptodate || (strcmp(name, "uptodate") == 0 && strcmp(expect, "UpToDate") == 0);
		/* Every listed preset is accepted. */
		assert_int_equal(vf_tdx_sim_quote_opts_new(name, &o).code, TC_OK);
		vf_tdx_sim_quote_opts_free(&o);
		assert_null(o);
	}
	assert_true(uptodate);
	vf_tdx_sim_tcb_level(vf_tdx_sim_n_tcb_levels(), &name, &expect, &summary);
	assert_string_equal(name, "");
	struct vf_tdx_sim_quote_opts *o = NULL;
	assert_int_equal(vf_tdx_sim_quote_opts_new("no-such-level", &o).code, TC_ERR_INVALID_ARGUMENT);
	assert_null(o);
}

static void test_tdx_knobs(void **state)
{
	static const char *const bad[][2] = {
		{ "no-such-knob", "1" },   { "version", "3" },
		{ "version", "6" },        { "version", "-4" },
		{ "version", "4x" },       { "version", "" },
		{ "version", NULL },       { "body-type", "65536" },
		{ "qe-svn", "65536" },     { "truncate", "0" },
		{ "truncate", "2000000" }, { "trailing", "2000000" },
		{ "report-data", "00" },   { "report-data", NULL },
		{ "mrtd", "zz" },          { "xfam", "0011223344556677aa" },
		{ "tee-tcb-svn", "00" },
	};
	struct vf_tdx_sim_quote_opts *o = NULL;

	(void)state;
	assert_int_equal(vf_tdx_sim_quote_opts_new(NULL, &o).code, TC_OK); /* NULL: uptodate */
	assert_int_equal(vf_tdx_sim_quote_version(o), 4);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tc_result r = vf_tdx_sim_quote_knob(o, bad[i][0], bad[i][1]);

		if (tc_is_ok(r))
			fail_msg("knob --%s '%s' accepted", bad[i][0], bad[i][1] ? bad[i][1] : "(null)");
	}
	assert_int_equal(vf_tdx_sim_quote_version(o), 4);
	assert_int_equal(vf_tdx_sim_quote_knob(o, "version", "5").code, TC_OK);
	assert_int_equal(vf_tdx_sim_quote_version(o), 5);
	assert_int_equal(vf_tdx_sim_quote_knob(o, "unsupported-version", NULL).code, TC_OK);
	assert_int_equal(vf_tdx_sim_quote_version(o), 3);
	assert_int_equal(vf_tdx_sim_quote_knob(o, "bad-quote-sig", NULL).code, TC_OK);
	assert_int_equal(vf_tdx_sim_quote_knob(o, "debug", NULL).code, TC_OK);
	assert_int_equal(vf_tdx_sim_quote_knob(o, "xfam", "0011223344556677").code, TC_OK);
	assert_int_equal(vf_tdx_sim_quote_knob(NULL, "debug", NULL).code, TC_ERR_INVALID_ARGUMENT);
	vf_tdx_sim_quote_opts_free(&o);
	vf_tdx_sim_quote_opts_free(&o); /* twice: a no-op */
}

/* A quote from a fresh sim PKI carries the knobs: version, report data, MRTD, truncation. */
static void test_tdx_quote(void **state)
{
	char pki[TEST_PATH_MAX], rd[129], mrtd[97];
	uint8_t rd_bytes[64], mrtd_bytes[48];
	struct vf_tdx_sim_quote_opts *o = NULL;
	struct tc_buf q;

	(void)state;
	path_in(pki, "tdx");
	assert_int_equal(vf_tdx_sim_init(pki).code, TC_OK);
	memset(rd_bytes, 0xa5, sizeof(rd_bytes));
	memset(mrtd_bytes, 0x3c, sizeof(mrtd_bytes));
	for (size_t i = 0; i < sizeof(rd_bytes); i++)
		snprintf(rd + 2 * i, 3, "a5");
	for (size_t i = 0; i < sizeof(mrtd_bytes); i++)
		snprintf(mrtd + 2 * i, 3, "3c");
	assert_int_equal(vf_tdx_sim_quote_opts_new("uptodate", &o).code, TC_OK);
	assert_int_equal(vf_tdx_sim_quote_knob(o, "report-data", rd).code, TC_OK);
	assert_int_equal(vf_tdx_sim_quote_knob(o, "mrtd", mrtd).code, TC_OK);
	assert_int_equal(vf_tdx_sim_quote_knob(o, "version", "5").code, TC_OK);
	tc_buf_init(&q, TC_BUF_DEFAULT_MAX);
	assert_int_equal(vf_tdx_sim_quote_make(pki, o, &q).code, TC_OK);
	assert_true(q.len > 1000);
	assert_int_equal(q.data[0] | q.data[1] << 8, 5); /* header version, little endian */
	assert_non_null(memmem(q.data, q.len, rd_bytes, sizeof(rd_bytes)));
	assert_non_null(memmem(q.data, q.len, mrtd_bytes, sizeof(mrtd_bytes)));
	tc_buf_reset(&q);
	assert_int_equal(vf_tdx_sim_quote_knob(o, "truncate", "100").code, TC_OK);
	assert_int_equal(vf_tdx_sim_quote_make(pki, o, &q).code, TC_OK);
	assert_int_equal(q.len, 100);
	tc_buf_reset(&q);
	path_in(pki, "no-such-pki");
	assert_false(tc_is_ok(vf_tdx_sim_quote_make(pki, o, &q)));
	tc_buf_cleanup(&q);
	vf_tdx_sim_quote_opts_free(&o);
}

static void test_snp(void **state)
{
	char pki[TEST_PATH_MAX], coll[TEST_PATH_MAX], file[TEST_PATH_MAX];
	struct vf_snp_sim_opts *o = NULL;
	struct vf_snp_sim_output out;
	struct stat st;
	size_t n = 0;
	const struct vf_snp_sim_knob *k = vf_snp_sim_knobs(&n);

	(void)state;
	assert_true(n > 10 && k[0].name != NULL);
	path_in(pki, "snp");
	assert_int_equal(vf_snp_sim_init_bits(pki, VF_SNP_SIM_RSA_BITS_FAST).code, TC_OK);
	assert_int_equal(vf_snp_sim_opts_new(tc_time_now(), &o).code, TC_OK);
	assert_false(vf_snp_sim_opts_vlek(o));
	assert_int_equal(vf_snp_sim_knob_set(o, "no-such-knob", NULL).code, TC_ERR_INVALID_ARGUMENT);
	assert_int_equal(vf_snp_sim_knob_set(o, "vlek", NULL).code, TC_OK);
	assert_true(vf_snp_sim_opts_vlek(o));
	assert_int_equal(vf_snp_sim_knob_set(o, "report-data", "ab").code, TC_OK);
	vf_snp_sim_output_init(&out);
	assert_int_equal(vf_snp_sim_emit(pki, o, &out).code, TC_OK);
	assert_int_equal(out.report.len, SNP_REPORT_LEN);
	assert_true(out.leaf_pem.len > 27 && memcmp(out.leaf_pem.data, "-----BEGIN CERTIFICATE-----", 27) == 0);
	assert_string_equal(vf_snp_sim_product_id(out.anchor_product), "milan");
	assert_string_equal(vf_snp_sim_product_id(NULL), "");
	path_in(coll, "snp-coll");
	assert_int_equal(vf_snp_sim_collateral_write(&out, coll).code, TC_OK);
	join(file, coll, "ark_ask_chain.pem");
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal((size_t)st.st_size, out.chain_pem.len);
	join(file, coll, "amd_crl.der");
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal((size_t)st.st_size, out.crl_der.len);
	/* A folder under a file cannot be made. */
	join(file, coll, "amd_crl.der/sub");
	assert_false(tc_is_ok(vf_snp_sim_collateral_write(&out, file)));
	vf_snp_sim_output_cleanup(&out);
	vf_snp_sim_opts_free(&o);
	assert_null(o);
}

static void test_nvidia_pki(void **state)
{
	char dir[TEST_PATH_MAX];
	struct vf_nv_sim_pki *pki = NULL;

	(void)state;
	path_in(dir, "no-such-nvidia-pki");
	assert_false(tc_is_ok(vf_nv_sim_pki_load(dir, &pki)));
	assert_null(pki);
	vf_nv_sim_pki_free(&pki); /* NULL: a no-op */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tdx_levels), cmocka_unit_test(test_tdx_knobs),  cmocka_unit_test(test_tdx_quote),
		cmocka_unit_test(test_snp),        cmocka_unit_test(test_nvidia_pki),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
