/*
 * test_vf_snp_sim.c — the SEV-SNP simulator (verifier/snp/vf_snp_sim*.c): the report encoder against the
 * parser (every field, v2/v3/v5), the knob parser, the sim PKI on disk, every knob through vf_appraise with
 * the failure it must produce, the simulated-root rule of the appraiser (allow_simulated, the built-in ARK
 * fallback, real evidence unaffected), and the generated conformance set.
 *
 * The PKI is generated once per run with RSA-2048 (VF_SNP_SIM_RSA_BITS_FAST) to keep CI fast; the CTest
 * sim_snp_conformance runs the AMD-sized RSA-4096 PKI through the CLI.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/x509v3.h>

#include "test_vf_snp_pki.h"
#include "vf_snp_sim.h"

#define SIM_TEST_PATH_MAX 4096
#define SIM_TEST_FILE_MAX ((size_t)1 << 20)

#define SIM_TEST_ROOT_MAX 1024
static char tmp_root[SIM_TEST_ROOT_MAX];
static char pki_dir[SIM_TEST_ROOT_MAX + 8];
static int64_t sim_now;

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int group_setup(void **state)
{
	const char *base = getenv("TMPDIR");

	(void)state;
	snprintf(tmp_root, sizeof(tmp_root), "%s/test_vf_snp_sim.XXXXXX", base ? base : "/tmp");
	if (!mkdtemp(tmp_root))
		return -1;
	snprintf(pki_dir, sizeof(pki_dir), "%s/pki", tmp_root);
	sim_now = tc_time_now();
	if (!tc_is_ok(vf_snp_sim_init_bits(pki_dir, VF_SNP_SIM_RSA_BITS_FAST))) {
		fprintf(stderr, "sim init: %s\n", tc_error_detail());
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	return nftw(tmp_root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ------------------------------------------------------------------------------------- the encoder */

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + 7 * i + 1);
}

/* Every field survives encode -> parse; version-dependent fields appear only where the ABI puts them. */
static void test_encode_roundtrip(void **state)
{
	static const uint32_t versions[] = { VF_SNP_REPORT_V2, VF_SNP_REPORT_V3, VF_SNP_REPORT_V5 };

	(void)state;
	for (size_t v = 0; v < 3; v++) {
		struct vf_snp_report a, b;
		uint8_t bytes[VF_SNP_REPORT_LEN], again[VF_SNP_REPORT_LEN];

		memset(&a, 0, sizeof(a));
		a.version = versions[v];
		a.guest_svn = 0x01020304;
		a.policy = 0x00000000000b1f00ull | VF_SNP_POLICY_RESERVED1;
		fill(a.family_id, sizeof(a.family_id), 1);
		fill(a.image_id, sizeof(a.image_id), 2);
		a.vmpl = 2;
		a.signature_algo = VF_SNP_SIG_ALGO_ECDSA_P384_SHA384;
		a.current_tcb = 0x1112000000001314ull;
		a.platform_info = 3;
		a.key_info = (uint32_t)VF_SNP_KEY_VLEK << VF_SNP_KEY_INFO_SIGNING_KEY_SHIFT | 1u;
		fill(a.report_data, sizeof(a.report_data), 3);
		fill(a.measurement, sizeof(a.measurement), 4);
		fill(a.host_data, sizeof(a.host_data), 5);
		fill(a.id_key_digest, sizeof(a.id_key_digest), 6);
		fill(a.author_key_digest, sizeof(a.author_key_digest), 7);
		fill(a.report_id, sizeof(a.report_id), 8);
		fill(a.report_id_ma, sizeof(a.report_id_ma), 9);
		a.reported_tcb = 0x2122000000002324ull;
		a.cpuid_family = 0x1A;
		a.cpuid_model = 0x11;
		a.cpuid_stepping = 0x02;
		fill(a.chip_id, sizeof(a.chip_id), 10);
		a.committed_tcb = 0x3132000000003334ull;
		a.current_build = 41;
		a.current_minor = 42;
		a.current_major = 43;
		a.committed_build = 44;
		a.committed_minor = 45;
		a.committed_major = 46;
		a.launch_tcb = 0x5152000000005354ull;
		a.launch_mit_vector = 0x6162636465666768ull;
		a.current_mit_vector = 0x7172737475767778ull;
		fill(a.sig_r, VF_SNP_P384_COORD_LEN, 11);
		fill(a.sig_s, VF_SNP_P384_COORD_LEN, 12);
		vf_snp_report_encode(&a, bytes);
		assert_true(tc_is_ok(vf_snp_report_parse(bytes, sizeof(bytes), &b)));
		assert_int_equal(b.version, a.version);
		assert_int_equal(b.guest_svn, a.guest_svn);
		assert_true(b.policy == a.policy);
		assert_memory_equal(b.family_id, a.family_id, sizeof(a.family_id));
		assert_memory_equal(b.image_id, a.image_id, sizeof(a.image_id));
		assert_int_equal(b.vmpl, a.vmpl);
		assert_int_equal(b.signature_algo, a.signature_algo);
		assert_true(b.current_tcb == a.current_tcb && b.platform_info == a.platform_info);
		assert_int_equal(b.key_info, a.key_info);
		assert_int_equal(vf_snp_report_signing_key(&b), VF_SNP_KEY_VLEK);
		assert_memory_equal(b.report_data, a.report_data, sizeof(a.report_data));
		assert_memory_equal(b.measurement, a.measurement, sizeof(a.measurement));
		assert_memory_equal(b.host_data, a.host_data, sizeof(a.host_data));
		assert_memory_equal(b.id_key_digest, a.id_key_digest, sizeof(a.id_key_digest));
		assert_memory_equal(b.author_key_digest, a.author_key_digest, sizeof(a.author_key_digest));
		assert_memory_equal(b.report_id, a.report_id, sizeof(a.report_id));
		assert_memory_equal(b.report_id_ma, a.report_id_ma, sizeof(a.report_id_ma));
		assert_true(b.reported_tcb == a.reported_tcb && b.committed_tcb == a.committed_tcb &&
			    b.launch_tcb == a.launch_tcb);
		assert_memory_equal(b.chip_id, a.chip_id, sizeof(a.chip_id));
		assert_int_equal(b.current_build, 41);
		assert_int_equal(b.current_minor, 42);
		assert_int_equal(b.current_major, 43);
		assert_int_equal(b.committed_build, 44);
		assert_int_equal(b.committed_minor, 45);
		assert_int_equal(b.committed_major, 46);
		assert_memory_equal(b.sig_r, a.sig_r, sizeof(a.sig_r));
		assert_memory_equal(b.sig_s, a.sig_s, sizeof(a.sig_s));
		assert_int_equal(b.has_cpuid, a.version >= VF_SNP_REPORT_V3);
		if (b.has_cpuid) {
			assert_int_equal(b.cpuid_family, 0x1A);
			assert_int_equal(b.cpuid_model, 0x11);
			assert_int_equal(b.cpuid_stepping, 0x02);
		} else {
			assert_int_equal(bytes[VF_SNP_OFF_CPUID_FAM], 0); /* reserved in v2 */
		}
		assert_int_equal(b.has_mit_vectors, a.version >= VF_SNP_REPORT_V5);
		if (b.has_mit_vectors)
			assert_true(b.launch_mit_vector == a.launch_mit_vector &&
				    b.current_mit_vector == a.current_mit_vector);
		else
			assert_int_equal(bytes[VF_SNP_OFF_LAUNCH_MIT_VECTOR], 0);
		/* byte-exact: parse -> encode gives the same bytes */
		vf_snp_report_encode(&b, again);
		assert_memory_equal(bytes, again, sizeof(bytes));
		/* a few offsets spelled out against [ABI] */
		assert_int_equal(bytes[0x000], a.version);
		assert_int_equal(bytes[0x180], 0x24);
		assert_int_equal(bytes[0x1A0], a.chip_id[0]);
		assert_int_equal(bytes[0x2A0], a.sig_r[0]);
	}
}

/* ------------------------------------------------------------------------------------------ knobs */

static void test_knobs(void **state)
{
	struct vf_snp_sim_opts o;
	struct vf_snp_tcb t;
	size_t n;
	const struct vf_snp_sim_knob *k = vf_snp_sim_knobs(&n);

	(void)state;
	assert_true(tc_is_ok(vf_snp_sim_parse_tcb("4,0,24,219", &t)));
	assert_int_equal(t.bootloader, 4);
	assert_int_equal(t.microcode, 219);
	assert_int_equal(t.fmc, 0);
	assert_true(tc_is_ok(vf_snp_sim_parse_tcb("1,2,3,4,5", &t)));
	assert_int_equal(t.fmc, 5);
	assert_false(tc_is_ok(vf_snp_sim_parse_tcb("1,2,3", &t)));
	assert_false(tc_is_ok(vf_snp_sim_parse_tcb("1,2,3,256", &t)));
	assert_false(tc_is_ok(vf_snp_sim_parse_tcb("1,2,x,4", &t)));
	assert_false(tc_is_ok(vf_snp_sim_parse_tcb("1,2,3,4,5,6", &t)));

	/* every knob in the table has a setter */
	for (size_t i = 0; i < n; i++) {
		static const struct {
			const char *name, *value;
		} values[] = { { "product", "turin" },
			       { "version", "3" },
			       { "report-data", "00" },
			       { "measurement", "" },
			       { "host-data", "" },
			       { "chip-id", "01" },
			       { "vmpl", "3" },
			       { "reported-tcb", "1,2,3,4" },
			       { "committed-tcb", "1,2,3,4" },
			       { "launch-tcb", "1,2,3,4" },
			       { "current-tcb", "1,2,3,4" },
			       { "sig-algo", "2" },
			       { "truncate", "1000" } };
		char hex[2 * VF_SNP_MEASUREMENT_LEN + 1];
		const char *v = NULL;

		vf_snp_sim_opts_init(&o, 0);
		for (size_t j = 0; k[i].arg && j < sizeof(values) / sizeof(values[0]); j++)
			if (strcmp(values[j].name, k[i].name) == 0)
				v = values[j].value;
		if (k[i].arg && v && !v[0]) { /* exact-length hex */
			size_t len =
				strcmp(k[i].name, "measurement") == 0 ? VF_SNP_MEASUREMENT_LEN : VF_SNP_HOST_DATA_LEN;

			memset(hex, 'a', 2 * len);
			hex[2 * len] = 0;
			v = hex;
		}
		if (k[i].arg && !v)
			fail_msg("knob --%s has no test value", k[i].name);
		if (!tc_is_ok(vf_snp_sim_knob_set(&o, k[i].name, v)))
			fail_msg("--%s: %s", k[i].name, tc_error_detail());
		assert_false(tc_is_ok(vf_snp_sim_knob_set(&o, k[i].name, k[i].arg ? NULL : "x")));
	}
	vf_snp_sim_opts_init(&o, 0);
	assert_false(tc_is_ok(vf_snp_sim_knob_set(&o, "nope", NULL)));
	assert_false(tc_is_ok(vf_snp_sim_knob_set(&o, "version", "4")));
	assert_false(tc_is_ok(vf_snp_sim_knob_set(&o, "product", "naples")));
	assert_false(tc_is_ok(vf_snp_sim_knob_set(&o, "vmpl", "4")));
	assert_false(tc_is_ok(vf_snp_sim_knob_set(&o, "truncate", "1184")));
	assert_false(tc_is_ok(vf_snp_sim_knob_set(&o, "measurement", "abcd")));
	assert_false(tc_is_ok(vf_snp_sim_knobs_apply(&o, "--product")));
	assert_false(tc_is_ok(vf_snp_sim_knobs_apply(&o, "product genoa")));
	assert_true(tc_is_ok(vf_snp_sim_knobs_apply(&o, "--product genoa --version 2 --vlek --vmpl 1")));
	assert_string_equal(o.product->name, "Genoa");
	assert_int_equal(o.version, 2);
	assert_true(o.vlek);
	assert_int_equal(o.vmpl, 1);
}

/* -------------------------------------------------------------------------------------------- PKI */

static void test_pki_files(void **state)
{
	char path[SIM_TEST_PATH_MAX];
	struct stat st;
	struct vf_snp_sim_pki pki;
	uint8_t chip[VF_SNP_CHIP_ID_LEN], zero[VF_SNP_CHIP_ID_LEN] = { 0 };

	(void)state;
	snprintf(path, sizeof(path), "%s/keys", pki_dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	for (size_t i = 0; i < VF_SNP_SIM_N_PRODUCTS; i++) {
		const struct vf_snp_sim_product *p = vf_snp_sim_product_at(i);
		static const char *const roles[] = { "ark", "ask", "asvk" };

		for (size_t r = 0; r < 3; r++) {
			snprintf(path, sizeof(path), "%s/keys/%s_%s.pem", pki_dir, roles[r], p->id);
			assert_int_equal(stat(path, &st), 0);
			assert_int_equal(st.st_mode & 0777, 0600);
		}
		assert_true(tc_is_ok(vf_snp_sim_pki_load(pki_dir, p, &pki)));
		assert_true(vf_x509_is_simulated(pki.ark));
		assert_false(vf_x509_is_simulated(pki.ask));
		assert_int_equal(X509_check_issued(pki.ark, pki.ark), X509_V_OK);
		assert_int_equal(X509_check_issued(pki.ark, pki.ask), X509_V_OK);
		assert_int_equal(X509_check_issued(pki.ark, pki.asvk), X509_V_OK);
		assert_int_equal(X509_get_signature_nid(pki.ask), NID_rsassaPss);
		assert_int_equal(EVP_PKEY_get_bits(pki.ask_key), VF_SNP_SIM_RSA_BITS_FAST);
		vf_snp_sim_pki_cleanup(&pki);
	}
	assert_true(tc_is_ok(vf_snp_sim_chip_id(pki_dir, chip)));
	assert_memory_not_equal(chip, zero, sizeof(chip));
	/* not a sim PKI */
	assert_false(tc_is_ok(vf_snp_sim_pki_load(tmp_root, vf_snp_sim_product("milan"), &pki)));
	assert_null(vf_snp_sim_product("Naples"));
	assert_false(tc_is_ok(vf_snp_sim_init_bits(tmp_root, 1024)));
}

/* ------------------------------------------------------------------------------------ emit + appraise */

enum { E_NO_ALLOW = 1, E_NO_ANCHOR = 2, E_NO_CRL = 4, E_OTHER_ANCHOR = 8 };

/* Emit per KNOBS and appraise with the emitted chain/CRL and the issuing product's sim ARK. */
static void emit_appraise(const char *knobs, unsigned flags, const char *policy_json, struct vf_appraisal *a)
{
	struct vf_snp_sim_opts o;
	struct vf_snp_sim_output out;
	struct vf_input in;
	struct vf_policy p;
	struct tc_buf ark;
	char path[SIM_TEST_PATH_MAX];
	const struct vf_snp_sim_product *anchor;

	vf_snp_sim_opts_init(&o, sim_now);
	if (!tc_is_ok(vf_snp_sim_knobs_apply(&o, knobs)))
		fail_msg("%s: %s", knobs, tc_error_detail());
	vf_snp_sim_output_init(&out);
	if (!tc_is_ok(vf_snp_sim_emit(pki_dir, &o, &out)))
		fail_msg("emit %s: %s", knobs, tc_error_detail());
	anchor = out.anchor_product;
	if (flags & E_OTHER_ANCHOR)
		anchor = vf_snp_sim_product_at(anchor == vf_snp_sim_product_at(0) ? 1 : 0);
	snprintf(path, sizeof(path), "%s/amd_ark_%s.pem", pki_dir, anchor->id);
	tc_buf_init(&ark, SIM_TEST_FILE_MAX);
	assert_true(tc_is_ok(tc_file_read(path, SIM_TEST_FILE_MAX, &ark)));

	memset(&in, 0, sizeof(in));
	in.tee = VF_TEE_SNP;
	in.evidence[in.n_evidence++] = (struct vf_item){ "snp_report", out.report.data, out.report.len };
	in.evidence[in.n_evidence++] =
		(struct vf_item){ o.vlek ? "vlek" : "vcek", out.leaf_pem.data, out.leaf_pem.len };
	in.collateral[in.n_collateral++] = (struct vf_item){ "ark_ask_chain", out.chain_pem.data, out.chain_pem.len };
	if (!(flags & E_NO_CRL))
		in.collateral[in.n_collateral++] = (struct vf_item){ "amd_crl", out.crl_der.data, out.crl_der.len };
	if (!(flags & E_NO_ANCHOR))
		in.anchors[in.n_anchors++] = (struct vf_item){ "amd_ark", ark.data, ark.len };
	vf_policy_init(&p);
	if (policy_json) {
		json_t *j = json_loads(policy_json, 0, NULL);

		assert_non_null(j);
		assert_true(tc_is_ok(vf_policy_from_json(&p, j)));
		json_decref(j);
	}
	p.allow_simulated = !(flags & E_NO_ALLOW);
	if (!tc_is_ok(vf_appraise(&in, &p, sim_now, a)))
		fail_msg("appraise %s: %s", knobs, tc_error_detail());
	vf_policy_cleanup(&p);
	tc_buf_cleanup(&ark);
	vf_snp_sim_output_cleanup(&out);
}

static void expect(const char *knobs, unsigned flags, const char *policy, const char *failure)
{
	struct vf_appraisal a;
	const char *got;

	emit_appraise(knobs, flags, policy, &a);
	got = a.accepted ? "accepted" : tc_error_info(a.failure)->code;
	if (strcmp(got, failure) != 0)
		fail_msg("'%s' (flags %u): expected %s, got %s (%s)", knobs, flags, failure, got, a.detail);
	assert_int_equal(a.n_devices, 1);
	/* the device is simulated whenever the chain reached the sim root */
	if (a.accepted || strstr(a.detail, "simulated root"))
		assert_true(a.devices[0].simulated);
	if (flags & E_NO_ANCHOR)
		assert_false(a.devices[0].simulated);
	vf_appraisal_cleanup(&a);
}

/* Every product line x report version x key kind verifies at the default (table-latest) TCB. */
static void test_emit_accepted(void **state)
{
	static const char *const products[] = { "milan", "genoa", "turin" };
	static const char *const versions[] = { "2", "3", "5" };

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		for (size_t v = 0; v < 3; v++) {
			for (int vlek = 0; vlek < 2; vlek++) {
				char knobs[128];
				struct vf_appraisal a;

				snprintf(knobs, sizeof(knobs), "--product %s --version %s%s", products[i], versions[v],
					 vlek ? " --vlek" : "");
				emit_appraise(knobs, 0, NULL, &a);
				if (!a.accepted)
					fail_msg("%s: %s", knobs, a.detail);
				assert_true(a.devices[0].simulated);
				assert_int_equal(a.devices[0].tcb_status, VF_TCB_UP_TO_DATE);
				assert_string_equal(
					json_string_value(json_object_get(a.devices[0].claims, "signing_key")),
					vlek ? "vlek" : "vcek");
				vf_appraisal_cleanup(&a);
			}
		}
	}
}

#define MEAS_A "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define MEAS_B "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"

/* Each knob produces its failure code, in check order. */
static void test_emit_failures(void **state)
{
	(void)state;
	expect("--truncate 1183", 0, NULL, "evidence_malformed");
	expect("--unsupported-version", 0, NULL, "evidence_unsupported_version");
	expect("--sig-algo 0", 0, NULL, "evidence_unsupported_version");
	expect("", E_NO_ALLOW, NULL, "cert_chain_invalid");
	expect("--vlek --product turin", E_NO_ALLOW, NULL, "cert_chain_invalid");
	expect("--vcek-expired", E_NO_ALLOW, NULL, "cert_chain_invalid"); /* sim trust before validity */
	expect("", E_NO_ANCHOR, NULL, "cert_chain_invalid");              /* built-in AMD ARK */
	expect("--product genoa", E_NO_ANCHOR, NULL, "cert_chain_invalid");
	expect("", E_OTHER_ANCHOR, NULL, "cert_chain_invalid");
	expect("--wrong-product-chain", 0, NULL, "cert_chain_invalid");
	expect("--product turin --wrong-product-chain", 0, NULL, "cert_chain_invalid");
	expect("--vcek-expired", 0, NULL, "cert_expired");
	expect("--vlek --vcek-expired", 0, NULL, "cert_expired");
	expect("--bad-sig", 0, NULL, "evidence_signature_invalid");
	expect("--product turin --version 2 --bad-sig", 0, NULL, "evidence_signature_invalid");
	expect("", E_NO_CRL, NULL, "collateral_missing");
	expect("", E_NO_CRL, "{\"check_revocation\":false}", "accepted");
	expect("--vcek-revoked", 0, NULL, "cert_revoked");
	expect("--vcek-revoked --vlek --product genoa", 0, NULL, "cert_revoked");
	expect("--vcek-revoked", 0, "{\"check_revocation\":false}", "accepted");
	expect("--vcek-tcb-mismatch", 0, NULL, "tcb_mismatch");
	expect("--vcek-tcb-mismatch --vlek", 0, NULL, "tcb_mismatch");
	expect("--product turin --version 2 --vcek-tcb-mismatch", 0, NULL, "tcb_mismatch");
	expect("--chip-id-mismatch", 0, NULL, "tcb_mismatch");
	expect("--product turin --chip-id-mismatch", 0, NULL, "tcb_mismatch");
	expect("--chip-id-mismatch --vlek", 0, NULL, "accepted"); /* a VLEK has no hwID */
	expect("--reported-tcb 0,0,0,0", 0, NULL, "tcb_status_rejected");
	expect("--reported-tcb 0,0,0,0", 0, "{\"accepted_tcb_statuses\":[\"OutOfDate\"]}", "accepted");
	expect("", 0, "{\"snp_product\":\"Turin\"}", "product_mismatch");
	expect("--product turin", 0, "{\"snp_product\":\"Turin\"}", "accepted");
	expect("--measurement " MEAS_A, 0, "{\"reference_values\":{\"measurement\":[\"" MEAS_B "\"]}}",
	       "measurement_mismatch");
	expect("--measurement " MEAS_A, 0, "{\"reference_values\":{\"measurement\":[\"" MEAS_B "\",\"" MEAS_A "\"]}}",
	       "accepted");
	expect("--debug", 0, NULL, "debug_not_allowed");
	expect("--debug", 0, "{\"allow_debug\":true}", "accepted");
	expect("--migration-agent", 0, NULL, "policy_violation");
	expect("--smt", 0, "{\"snp_require_no_smt\":true}", "policy_violation");
	expect("--smt", 0, NULL, "accepted");
	expect("--vmpl 3", 0, "{\"snp_max_vmpl\":2}", "policy_violation");
	expect("--committed-tcb 9,9,9,9 --current-tcb 8,8,8,8", 0, NULL, "policy_violation");
	expect("--launch-tcb 0,0,0,0", 0,
	       "{\"snp_min_launch_tcb\":{\"bootloader\":1,\"tee\":0,\"snp\":0,\"microcode\":0}}", "policy_violation");
	expect("--current-tcb 255,255,255,255", 0, "{\"snp_permit_provisional_firmware\":false}", "policy_violation");
	expect("--current-tcb 255,255,255,255", 0, NULL, "accepted");
	expect("--host-data "
	       "0101010101010101010101010101010101010101010101010101010101010101",
	       0,
	       "{\"snp_allowed_host_data\":[\""
	       "0202020202020202020202020202020202020202020202020202020202020202"
	       "\"]}",
	       "policy_violation");
}

/* The nonce: REPORT_DATA as given. */
static void test_emit_report_data(void **state)
{
	char policy[256], hex[2 * VF_SNP_REPORT_DATA_LEN + 1];

	(void)state;
	memset(hex, 'c', sizeof(hex) - 1);
	hex[sizeof(hex) - 1] = 0;
	snprintf(policy, sizeof(policy), "{\"expected_report_data\":\"%s\"}", hex);
	{
		char knobs[256];

		snprintf(knobs, sizeof(knobs), "--report-data %s", hex);
		expect(knobs, 0, policy, "accepted");
	}
	expect("--report-data cc", 0, policy, "nonce_mismatch");
}

/* Real evidence is never simulated, allow_simulated or not; the shared cases stay as they are. */
static void test_real_not_simulated(void **state)
{
	char path[1024];
	const char *shared = getenv("TEECERT_SHARED");
	struct vf_case c;
	struct vf_appraisal a;

	(void)state;
	snprintf(path, sizeof(path), "%s/evidence/cases/snp-trustee-milan-ok.json", shared ? shared : "../shared");
	assert_true(tc_is_ok(vf_case_load(path, &c)));
	for (int allow = 0; allow < 2; allow++) {
		c.policy.allow_simulated = allow;
		assert_true(tc_is_ok(vf_appraise(&c.input, &c.policy, c.verify_at, &a)));
		assert_true(a.accepted);
		assert_false(a.devices[0].simulated);
		vf_appraisal_cleanup(&a);
	}
	vf_case_cleanup(&c);
}

/* The generated set: every case passes, and it holds every failure code it promises. */
static void test_cases(void **state)
{
	static const char *const codes[] = { "evidence_malformed",
					     "evidence_unsupported_version",
					     "cert_chain_invalid",
					     "cert_expired",
					     "cert_revoked",
					     "evidence_signature_invalid",
					     "nonce_mismatch",
					     "collateral_missing",
					     "collateral_signature_invalid",
					     "collateral_expired",
					     "tcb_mismatch",
					     "tcb_status_rejected",
					     "product_mismatch",
					     "measurement_mismatch",
					     "debug_not_allowed",
					     "policy_violation" };
	char out_dir[SIM_TEST_PATH_MAX], cases_dir[SIM_TEST_PATH_MAX + 8];
	bool seen[sizeof(codes) / sizeof(codes[0])] = { false };
	size_t n = 0, loaded = 0, accepted = 0, not_allowed = 0;
	struct dirent **names = NULL;
	int count;

	(void)state;
	snprintf(out_dir, sizeof(out_dir), "%s/cases-out", tmp_root);
	if (!tc_is_ok(vf_snp_sim_cases(pki_dir, out_dir, sim_now, &n)))
		fail_msg("cases: %s", tc_error_detail());
	assert_true(n >= 50);
	snprintf(cases_dir, sizeof(cases_dir), "%s/cases", out_dir);
	count = scandir(cases_dir, &names, NULL, alphasort);
	assert_true(count > 0);
	for (int i = 0; i < count; i++) {
		char path[2 * SIM_TEST_PATH_MAX], diff[512];
		struct vf_case c;
		struct vf_appraisal a;
		const char *failure;

		if (names[i]->d_name[0] == '.')
			goto next;
		snprintf(path, sizeof(path), "%s/%s", cases_dir, names[i]->d_name);
		if (!tc_is_ok(vf_case_load(path, &c)))
			fail_msg("%s: %s", path, tc_error_detail());
		loaded++;
		assert_true(tc_is_ok(vf_appraise(&c.input, &c.policy, c.verify_at, &a)));
		if (!vf_case_check(&c, &a, diff, sizeof(diff)))
			fail_msg("%s: %s", c.name, diff);
		failure = json_string_value(json_object_get(c.expect, "failure"));
		for (size_t k = 0; failure && k < sizeof(codes) / sizeof(codes[0]); k++)
			seen[k] = seen[k] || strcmp(failure, codes[k]) == 0;
		accepted += a.accepted;
		not_allowed += !c.policy.allow_simulated;
		if (!c.policy.allow_simulated)
			assert_false(a.accepted);
		vf_appraisal_cleanup(&a);
		vf_case_cleanup(&c);
next:
		free(names[i]);
	}
	free(names);
	assert_int_equal(loaded, n);
	assert_true(accepted >= 20);
	assert_true(not_allowed >= 1);
	for (size_t k = 0; k < sizeof(codes) / sizeof(codes[0]); k++)
		if (!seen[k])
			fail_msg("no generated case expects %s", codes[k]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_roundtrip),   cmocka_unit_test(test_knobs),
		cmocka_unit_test(test_pki_files),          cmocka_unit_test(test_emit_accepted),
		cmocka_unit_test(test_emit_failures),      cmocka_unit_test(test_emit_report_data),
		cmocka_unit_test(test_real_not_simulated), cmocka_unit_test(test_cases),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
