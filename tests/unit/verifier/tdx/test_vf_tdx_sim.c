/*
 * test_vf_tdx_sim.c — the simulated TDX platform (verifier/tdx/vf_tdx_sim*.c): PKI layout and permissions,
 * SGX extension and quote round trips through the real parsers, acceptance only with allow_simulated, every
 * TCB preset and quote knob against the appraiser, truncation at every structure boundary, and the generated
 * conformance set (every manifest passes, every TDX failure code appears).
 */
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/x509v3.h>

#include "vf_internal.h"
#include "vf_tdx_sim.h"

#define TEST_PATH_MAX 4096
#define TEST_FILE_MAX ((size_t)1024 * 1024)

static const char *const coll_files[] = { "tcb_info.json",    "tcb_info_issuer_chain.pem",
					  "qe_identity.json", "qe_identity_issuer_chain.pem",
					  "pck_crl.der",      "pck_crl_issuer_chain.pem",
					  "root_ca_crl.der" };
#define N_COLL (sizeof coll_files / sizeof coll_files[0])

/* One simulated PKI for the whole file. */
static char work[TEST_PATH_MAX];
static char pki_dir[TEST_PATH_MAX];
static struct vf_tdx_sim_pki *pki;

/* Collateral and anchor of the PKI, as roles. */
static struct tc_buf coll_bufs[N_COLL], root_buf;

static void path_in(char *out, const char *dir, const char *rel)
{
	int n = snprintf(out, TEST_PATH_MAX, "%s/%s", dir, rel);

	assert_true(n > 0 && n < TEST_PATH_MAX);
}

static void read_file(const char *path, struct tc_buf *b)
{
	tc_buf_init(b, TEST_FILE_MAX);
	if (!tc_is_ok(tc_file_read(path, TEST_FILE_MAX, b)))
		fail_msg("cannot read %s: %s", path, tc_error_detail());
}

static int setup(void **state)
{
	(void)state;
	const char *base = getenv("TEECERT_BUILD_DIR");
	char path[TEST_PATH_MAX];
	snprintf(work, sizeof work, "%s/test_vf_tdx_sim.XXXXXX", base ? base : "/tmp");
	if (mkdtemp(work) == NULL)
		return -1;
	path_in(pki_dir, work, "pki");
	if (!tc_is_ok(vf_tdx_sim_init(pki_dir)) || !tc_is_ok(vf_tdx_sim_pki_load(pki_dir, &pki))) {
		fprintf(stderr, "sim init: %s\n", tc_error_detail());
		return -1;
	}
	for (size_t i = 0; i < N_COLL; i++) {
		char rel[256];
		snprintf(rel, sizeof rel, "collateral/%s", coll_files[i]);
		path_in(path, pki_dir, rel);
		read_file(path, &coll_bufs[i]);
	}
	path_in(path, pki_dir, "intel_root.pem");
	read_file(path, &root_buf);
	return 0;
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
	for (size_t i = 0; i < N_COLL; i++)
		tc_buf_cleanup(&coll_bufs[i]);
	tc_buf_cleanup(&root_buf);
	vf_tdx_sim_pki_free(pki);
	/* Only the folder setup() created with mkdtemp. */
	return nftw(work, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Input of QUOTE with the PKI's collateral (ROLE_SKIP left out, may be NULL) and anchor. */
static void input_of(const struct tc_buf *quote, const char *role_skip, struct vf_input *in)
{
	memset(in, 0, sizeof *in);
	in->tee = VF_TEE_TDX;
	in->evidence[in->n_evidence++] = (struct vf_item){ "tdx_quote", quote->data, quote->len };
	for (size_t i = 0; i < N_COLL; i++) {
		static char roles[N_COLL][64];
		snprintf(roles[i], sizeof roles[i], "%s", coll_files[i]);
		*strchr(roles[i], '.') = '\0';
		if (role_skip != NULL && strcmp(role_skip, roles[i]) == 0)
			continue;
		in->collateral[in->n_collateral++] = (struct vf_item){ roles[i], coll_bufs[i].data, coll_bufs[i].len };
	}
	in->anchors[in->n_anchors++] = (struct vf_item){ "intel_root", root_buf.data, root_buf.len };
}

static int64_t now(void)
{
	return pki->created_at + VF_TDX_SIM_HOUR;
}

static void make_quote(const struct vf_tdx_sim_quote_opts *o, struct tc_buf *q)
{
	tc_buf_init(q, TEST_FILE_MAX);
	if (!tc_is_ok(vf_tdx_sim_quote(pki, o, q)))
		fail_msg("sim quote: %s", tc_error_detail());
}

/* Appraise Q with every TCB status accepted unless STRICT, allow_simulated as given. */
static void appraise(const struct tc_buf *q, bool allow_simulated, bool strict, struct vf_appraisal *a)
{
	struct vf_input in;
	struct vf_policy p;
	vf_policy_init(&p);
	p.allow_simulated = allow_simulated;
	if (!strict)
		p.accepted_tcb_statuses = (1u << VF_TCB__COUNT) - 1;
	input_of(q, NULL, &in);
	assert_true(tc_is_ok(vf_appraise(&in, &p, now(), a)));
	vf_policy_cleanup(&p);
}

/* --------------------------------------------------------------------------------------------- PKI */

static void test_init_layout(void **state)
{
	(void)state;
	static const char *const keys[] = { "root_key.pem", "pck_platform_ca_key.pem", "tcb_signing_key.pem",
					    "pck_key.pem", "attestation_key.pem" };
	char path[TEST_PATH_MAX];
	struct stat st;

	path_in(path, pki_dir, "keys");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		char rel[128];
		struct tc_buf b;
		snprintf(rel, sizeof rel, "keys/%s", keys[i]);
		path_in(path, pki_dir, rel);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		read_file(path, &b);
		assert_non_null(memmem(b.data, b.len, "-----BEGIN PRIVATE KEY-----", 27)); /* PKCS#8 */
		tc_buf_cleanup(&b);
	}
	/* The anchor carries the simulated-root marker; the intermediates do not. */
	assert_true(vf_x509_is_simulated(pki->root));
	assert_false(vf_x509_is_simulated(pki->platform_ca));
	assert_false(vf_x509_is_simulated(pki->tcb_signer));
	assert_int_equal(X509_check_issued(pki->root, pki->platform_ca), X509_V_OK);
	assert_int_equal(X509_check_issued(pki->root, pki->tcb_signer), X509_V_OK);

	/* pki.json describes the files. */
	struct tc_buf text;
	json_t *info = NULL;
	path_in(path, pki_dir, "pki.json");
	read_file(path, &text);
	assert_true(tc_is_ok(tc_json_parse((const char *)text.data, text.len, TEST_FILE_MAX, &info)));
	assert_string_equal(json_string_value(json_object_get(info, "tee")), "tdx");
	assert_string_equal(json_string_value(json_object_get(json_object_get(info, "collateral"), "pck_crl")),
			    "collateral/pck_crl.der");
	assert_int_equal(json_array_size(json_object_get(info, "tcb_presets")), vf_tdx_sim_n_presets);
	json_decref(info);
	tc_buf_cleanup(&text);
}

/* The PCS bodies verify with the TCB signing key over the exact inner bytes, and parse. */
static void test_collateral_documents(void **state)
{
	(void)state;
	size_t off = 0, len = 0;
	uint8_t sig[VF_TDX_ECDSA_SIG_LEN], digest[VF_TDX_SHA256_LEN];
	struct vf_tdx_tcb_info *ti = NULL;
	struct vf_tdx_qe_identity *qi = NULL;

	assert_true(tc_is_ok(vf_tdx_pcs_split(coll_bufs[0].data, coll_bufs[0].len, "tcbInfo", &off, &len, sig)));
	assert_true(tc_is_ok(vf_sha256(coll_bufs[0].data + off, len, digest)));
	assert_true(vf_ecdsa_verify_raw(X509_get0_pubkey(pki->tcb_signer), digest, sizeof digest, sig,
					VF_TDX_ECDSA_COORD_LEN));
	assert_true(tc_is_ok(vf_tdx_tcb_info_parse(coll_bufs[0].data + off, len, &ti)));
	assert_string_equal(ti->id, "TDX");
	assert_int_equal(ti->version, 3);
	assert_memory_equal(ti->fmspc, vf_tdx_sim_fmspc, VF_TDX_FMSPC_LEN);
	assert_int_equal(ti->n_levels, vf_tdx_sim_n_platform_levels);
	assert_int_equal(ti->n_identities, vf_tdx_sim_n_modules);
	assert_string_equal(ti->identities[0].id, "TDX_01");
	assert_string_equal(ti->identities[1].id, "TDX_03");
	assert_int_equal(ti->levels[vf_tdx_sim_n_platform_levels - 1].st.status, VF_TCB_REVOKED);
	assert_int_equal(ti->issue_date, pki->created_at - VF_TDX_SIM_COLLATERAL_LEAD);
	vf_tdx_tcb_info_free(ti);

	assert_true(
		tc_is_ok(vf_tdx_pcs_split(coll_bufs[2].data, coll_bufs[2].len, "enclaveIdentity", &off, &len, sig)));
	assert_true(tc_is_ok(vf_sha256(coll_bufs[2].data + off, len, digest)));
	assert_true(vf_ecdsa_verify_raw(X509_get0_pubkey(pki->tcb_signer), digest, sizeof digest, sig,
					VF_TDX_ECDSA_COORD_LEN));
	assert_true(tc_is_ok(vf_tdx_qe_identity_parse(coll_bufs[2].data + off, len, &qi)));
	assert_string_equal(qi->id, "TD_QE");
	assert_int_equal(qi->isvprodid, VF_TDX_SIM_QE_PRODID);
	vf_tdx_qe_identity_free(qi);
	/* A changed byte in the signed span no longer verifies. */
	struct tc_buf copy;
	tc_buf_init(&copy, TEST_FILE_MAX);
	assert_true(tc_is_ok(tc_buf_append(&copy, coll_bufs[2].data, coll_bufs[2].len)));
	copy.data[off + 10] ^= 0x01;
	assert_true(tc_is_ok(vf_sha256(copy.data + off, len, digest)));
	assert_false(vf_ecdsa_verify_raw(X509_get0_pubkey(pki->tcb_signer), digest, sizeof digest, sig,
					 VF_TDX_ECDSA_COORD_LEN));
	tc_buf_cleanup(&copy);
}

static void test_sgx_extension_roundtrip(void **state)
{
	(void)state;
	struct vf_tdx_sim_sgx in = { .pcesvn = 0x1234, .sgx_type = 1 };
	struct vf_tdx_sgx_ext out;
	struct tc_buf der;
	for (size_t i = 0; i < VF_TDX_PPID_LEN; i++)
		in.ppid[i] = (uint8_t)(0xa0 + i);
	for (size_t i = 0; i < VF_TDX_SGX_TCB_COMPONENTS; i++)
		in.comp[i] = (uint8_t)(i * 13 + 1);
	for (size_t i = 0; i < VF_TDX_SVN_LEN; i++)
		in.cpusvn[i] = (uint8_t)(0xf0 ^ i);
	memcpy(in.pceid, "\x12\x34", VF_TDX_PCEID_LEN);
	memcpy(in.fmspc, vf_tdx_sim_other_fmspc, VF_TDX_FMSPC_LEN);
	tc_buf_init(&der, TEST_FILE_MAX);
	assert_true(tc_is_ok(vf_tdx_sim_sgx_ext_der(&in, &der)));
	assert_true(tc_is_ok(vf_tdx_sgx_ext_parse_der(der.data, der.len, &out)));
	assert_memory_equal(out.ppid, in.ppid, VF_TDX_PPID_LEN);
	assert_memory_equal(out.comp, in.comp, VF_TDX_SGX_TCB_COMPONENTS);
	assert_int_equal(out.pcesvn, 0x1234);
	assert_memory_equal(out.cpusvn, in.cpusvn, VF_TDX_SVN_LEN);
	assert_memory_equal(out.pceid, in.pceid, VF_TDX_PCEID_LEN);
	assert_memory_equal(out.fmspc, in.fmspc, VF_TDX_FMSPC_LEN);
	assert_int_equal(out.sgx_type, 1);
	/* Cutting the DER anywhere breaks it. */
	for (size_t n = 1; n < der.len; n += 7)
		assert_int_equal(vf_tdx_sgx_ext_parse_der(der.data, n, &out).code, TC_ERR_CERT_CHAIN_INVALID);
	tc_buf_cleanup(&der);
}

/* ------------------------------------------------------------------------------------------ quotes */

static void fill_distinct(struct vf_tdx_report *r)
{
	uint8_t *fields[] = { r->mrseam, r->mrconfigid, r->mrowner, r->mrownerconfig, r->mrservicetd, r->rtmr[3] };
	for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
		for (size_t i = 0; i < VF_TDX_MEASUREMENT_LEN; i++)
			fields[f][i] = (uint8_t)(f * 40 + i);
	for (size_t i = 0; i < VF_TDX_REPORT_DATA_LEN; i++)
		r->report_data[i] = (uint8_t)(255 - i);
}

/* The parser reads back every field the builder wrote, for v4, v5 type 2 and v5 type 3. */
static void test_quote_roundtrip(void **state)
{
	(void)state;
	static const struct {
		uint16_t version, body_type;
		size_t body_len;
	} forms[] = { { VF_TDX_QUOTE_V4, VF_TDX_BODY_TD_REPORT10, VF_TDX_TD_REPORT10_LEN },
		      { VF_TDX_QUOTE_V5, VF_TDX_BODY_TD_REPORT10, VF_TDX_TD_REPORT10_LEN },
		      { VF_TDX_QUOTE_V5, VF_TDX_BODY_TD_REPORT15, VF_TDX_TD_REPORT15_LEN } };
	for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
		struct vf_tdx_sim_quote_opts o;
		struct vf_tdx_quote q;
		struct tc_buf buf;
		assert_true(tc_is_ok(vf_tdx_sim_quote_opts_init(&o)));
		o.version = forms[f].version;
		o.body_type = forms[f].body_type;
		o.qe_isvsvn = 7;
		o.trailing = 5;
		fill_distinct(&o.report);
		make_quote(&o, &buf);
		assert_true(tc_is_ok(vf_tdx_quote_parse(buf.data, buf.len, &q)));
		assert_int_equal(q.version, forms[f].version);
		assert_int_equal(q.body_type, forms[f].body_type);
		assert_int_equal(q.quote_len + 5, buf.len);
		size_t desc = forms[f].version == VF_TDX_QUOTE_V5 ? VF_TDX_BODY_TYPE_LEN + VF_TDX_BODY_SIZE_LEN : 0;
		assert_int_equal(q.signed_len, VF_TDX_HEADER_LEN + desc + forms[f].body_len);
		bool v15 = forms[f].body_type == VF_TDX_BODY_TD_REPORT15;
		o.report.is_v15 = v15;
		if (!v15) {
			memset(o.report.tee_tcb_svn2, 0, VF_TDX_SVN_LEN);
			memset(o.report.mrservicetd, 0, VF_TDX_MEASUREMENT_LEN);
		}
		assert_memory_equal(&q.report, &o.report, sizeof o.report);
		assert_int_equal(q.qe_report.isvsvn, 7);
		assert_int_equal(q.qe_report.isvprodid, VF_TDX_SIM_QE_PRODID);
		assert_int_equal(q.qe_auth_len, VF_TDX_SIM_QE_AUTH_LEN);
		assert_memory_equal(q.qe_vendor_id, vf_tdx_sim_qe_vendor_id, VF_TDX_QE_VENDOR_ID_LEN);
		uint8_t mrsigner[VF_TDX_SGX_HASH_LEN];
		assert_true(tc_is_ok(vf_tdx_sim_qe_mrsigner(mrsigner)));
		assert_memory_equal(q.qe_report.mrsigner, mrsigner, sizeof mrsigner);
		assert_memory_equal(q.qe_report.attributes, vf_tdx_sim_qe_attributes, VF_TDX_SGX_ATTRIBUTES_LEN);
		assert_non_null(memmem(q.pck_pem, q.pck_pem_len, "-----BEGIN CERTIFICATE-----", 27));
		tc_buf_cleanup(&buf);
	}
}

/* Accepted only with allow_simulated; the device is reported simulated either way. */
static void test_allow_simulated(void **state)
{
	(void)state;
	struct vf_tdx_sim_quote_opts o;
	struct tc_buf q;
	struct vf_appraisal a;
	assert_true(tc_is_ok(vf_tdx_sim_quote_opts_init(&o)));
	make_quote(&o, &q);

	appraise(&q, true, true, &a);
	assert_true(a.accepted);
	assert_true(a.devices[0].simulated);
	assert_int_equal(a.devices[0].tcb_status, VF_TCB_UP_TO_DATE);
	vf_appraisal_cleanup(&a);

	appraise(&q, false, true, &a);
	assert_false(a.accepted);
	assert_int_equal(a.failure, TC_ERR_CERT_CHAIN_INVALID);
	assert_true(a.devices[0].simulated);
	assert_non_null(strstr(a.detail, "simulated root"));
	assert_non_null(strstr(a.remediation, "allow_simulated"));
	vf_appraisal_cleanup(&a);
	tc_buf_cleanup(&q);
}

/* Every preset lands on the status it names (all statuses accepted except Revoked, which never is). */
static void test_presets(void **state)
{
	(void)state;
	for (size_t i = 0; i < vf_tdx_sim_n_presets; i++) {
		const struct vf_tdx_sim_preset *p = &vf_tdx_sim_presets[i];
		struct vf_tdx_sim_quote_opts o;
		struct tc_buf q;
		struct vf_appraisal a;
		json_t *ids = NULL;
		assert_true(tc_is_ok(vf_tdx_sim_quote_opts_init(&o)));
		vf_tdx_sim_quote_apply_preset(&o, p);
		make_quote(&o, &q);
		appraise(&q, true, false, &a);
		if (!p->level_found) {
			if (a.failure != TC_ERR_TCB_LEVEL_NOT_FOUND)
				fail_msg("preset %s: failure %s (%s)", p->name, tc_error_info(a.failure)->code,
					 a.detail);
		} else {
			if (!a.devices[0].has_tcb_status || a.devices[0].tcb_status != p->expect)
				fail_msg("preset %s: status %s (%s), expected %s", p->name,
					 vf_tcb_status_name(a.devices[0].tcb_status), a.detail,
					 vf_tcb_status_name(p->expect));
			assert_int_equal(a.accepted, p->expect != VF_TCB_REVOKED);
			assert_true(tc_is_ok(vf_tdx_sim_preset_advisories(p, &ids)));
			if (json_array_size(ids) != json_array_size(a.devices[0].advisory_ids))
				fail_msg("preset %s: advisories differ", p->name);
			json_decref(ids);
		}
		vf_appraisal_cleanup(&a);
		tc_buf_cleanup(&q);
	}
}

static void k_bad_quote_sig(struct vf_tdx_sim_quote_opts *o)
{
	o->bad_quote_sig = true;
}
static void k_bad_qe_sig(struct vf_tdx_sim_quote_opts *o)
{
	o->bad_qe_sig = true;
}
static void k_bad_ak(struct vf_tdx_sim_quote_opts *o)
{
	o->bad_ak_binding = true;
}
static void k_bad_chain(struct vf_tdx_sim_quote_opts *o)
{
	o->bad_pck_chain = true;
}
static void k_expired(struct vf_tdx_sim_quote_opts *o)
{
	o->pck_expired = true;
}
static void k_revoked(struct vf_tdx_sim_quote_opts *o)
{
	o->pck_revoked = true;
}
static void k_version(struct vf_tdx_sim_quote_opts *o)
{
	o->version = 3;
}
static void k_body(struct vf_tdx_sim_quote_opts *o)
{
	o->version = VF_TDX_QUOTE_V5;
	o->body_type = 1;
}
static void k_fmspc(struct vf_tdx_sim_quote_opts *o)
{
	o->fmspc_mismatch = true;
}
static void k_qe_id(struct vf_tdx_sim_quote_opts *o)
{
	o->bad_qe_identity = true;
}
static void k_debug(struct vf_tdx_sim_quote_opts *o)
{
	o->report.td_attributes[0] |= VF_TDX_TD_ATTR_DEBUG;
}
static void k_truncate(struct vf_tdx_sim_quote_opts *o)
{
	o->truncate = VF_TDX_HEADER_LEN + 10;
}
static void k_seam(struct vf_tdx_sim_quote_opts *o)
{
	o->report.seam_attributes[0] = 1;
}
static void k_ak_keys(struct vf_tdx_sim_quote_opts *o)
{
	o->ak_from_keys = true;
}

/* Each knob damages exactly one thing: the appraisal fails with its code (strict default policy). */
static void test_knobs(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		void (*knob)(struct vf_tdx_sim_quote_opts *o);
		enum tc_code want;
	} knobs[] = {
		{ "bad-quote-sig", k_bad_quote_sig, TC_ERR_EVIDENCE_SIGNATURE_INVALID },
		{ "bad-qe-sig", k_bad_qe_sig, TC_ERR_QE_REPORT_SIGNATURE_INVALID },
		{ "bad-ak-binding", k_bad_ak, TC_ERR_ATTESTATION_KEY_BINDING_INVALID },
		{ "bad-pck-chain", k_bad_chain, TC_ERR_CERT_CHAIN_INVALID },
		{ "pck-expired", k_expired, TC_ERR_CERT_EXPIRED },
		{ "pck-revoked", k_revoked, TC_ERR_CERT_REVOKED },
		{ "unsupported-version", k_version, TC_ERR_EVIDENCE_UNSUPPORTED_VERSION },
		{ "body-type", k_body, TC_ERR_EVIDENCE_UNSUPPORTED_VERSION },
		{ "fmspc-mismatch", k_fmspc, TC_ERR_TCB_MISMATCH },
		{ "bad-qe-identity", k_qe_id, TC_ERR_QE_IDENTITY_MISMATCH },
		{ "debug", k_debug, TC_ERR_DEBUG_NOT_ALLOWED },
		{ "truncate", k_truncate, TC_ERR_EVIDENCE_MALFORMED },
		{ "seam-attributes", k_seam, TC_ERR_TCB_MISMATCH },
		{ "ak-from-keys", k_ak_keys, TC_OK },
	};
	for (size_t i = 0; i < sizeof knobs / sizeof knobs[0]; i++) {
		struct vf_tdx_sim_quote_opts o;
		struct tc_buf q;
		struct vf_appraisal a;
		assert_true(tc_is_ok(vf_tdx_sim_quote_opts_init(&o)));
		knobs[i].knob(&o);
		make_quote(&o, &q);
		appraise(&q, true, true, &a);
		if (a.failure != knobs[i].want)
			fail_msg("knob %s: got %s (%s)", knobs[i].name, tc_error_info(a.failure)->code, a.detail);
		vf_appraisal_cleanup(&a);
		tc_buf_cleanup(&q);
	}
}

/* Cut at every structure boundary (and one byte either side): malformed, never accepted, never a crash. */
static void test_truncation(void **state)
{
	(void)state;
	struct vf_tdx_sim_quote_opts o;
	struct tc_buf q;
	struct vf_tdx_quote parsed;
	assert_true(tc_is_ok(vf_tdx_sim_quote_opts_init(&o)));
	make_quote(&o, &q);
	size_t sig_at = VF_TDX_HEADER_LEN + VF_TDX_TD_REPORT10_LEN; /* signature data length field */
	size_t qe_at =
		sig_at + 4 + VF_TDX_ECDSA_SIG_LEN + VF_TDX_ECDSA_KEY_LEN + VF_TDX_CERT_TYPE_LEN + VF_TDX_CERT_SIZE_LEN;
	size_t cuts[] = { 0,
			  1,
			  2,
			  VF_TDX_HEADER_LEN,
			  sig_at,
			  sig_at + 4,
			  qe_at,
			  qe_at + VF_TDX_QE_REPORT_LEN,
			  qe_at + VF_TDX_QE_REPORT_LEN + VF_TDX_ECDSA_SIG_LEN + VF_TDX_QE_AUTH_SIZE_LEN,
			  q.len - 1 };
	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		for (int d = -1; d <= 1; d++) {
			size_t n = cuts[i] + (size_t)d;
			if ((d < 0 && cuts[i] == 0) || n >= q.len)
				continue;
			struct tc_result r = vf_tdx_quote_parse(q.data, n, &parsed);
			if (r.code != TC_ERR_EVIDENCE_MALFORMED)
				fail_msg("cut at %zu: %s", n, tc_error_info(r.code)->code);
		}
	}
	assert_true(tc_is_ok(vf_tdx_quote_parse(q.data, q.len, &parsed)));
	tc_buf_cleanup(&q);
}

/* Collateral missing by role. */
static void test_collateral_missing(void **state)
{
	(void)state;
	struct vf_tdx_sim_quote_opts o;
	struct tc_buf q;
	struct vf_policy p;
	assert_true(tc_is_ok(vf_tdx_sim_quote_opts_init(&o)));
	make_quote(&o, &q);
	vf_policy_init(&p);
	p.allow_simulated = true;
	for (size_t i = 0; i < N_COLL; i++) {
		struct vf_input in;
		struct vf_appraisal a;
		char role[64];
		snprintf(role, sizeof role, "%s", coll_files[i]);
		*strchr(role, '.') = '\0';
		input_of(&q, role, &in);
		assert_true(tc_is_ok(vf_appraise(&in, &p, now(), &a)));
		assert_int_equal(a.failure, TC_ERR_COLLATERAL_MISSING);
		assert_non_null(strstr(a.detail, role));
		vf_appraisal_cleanup(&a);
	}
	vf_policy_cleanup(&p);
	tc_buf_cleanup(&q);
}

/* ------------------------------------------------------------------------------------------- cases */

static int json_filter(const struct dirent *d)
{
	size_t n = strlen(d->d_name);
	return n > 5 && strcmp(d->d_name + n - 5, ".json") == 0;
}

/* The generated set: every manifest meets its expectation and every TDX failure code appears. */
static void test_generated_cases(void **state)
{
	(void)state;
	static const char *const codes[] = {
		"evidence_malformed",
		"evidence_unsupported_version",
		"cert_chain_invalid",
		"cert_expired",
		"cert_revoked",
		"evidence_signature_invalid",
		"qe_report_signature_invalid",
		"attestation_key_binding_invalid",
		"nonce_mismatch",
		"collateral_missing",
		"collateral_signature_invalid",
		"collateral_expired",
		"tcb_mismatch",
		"tcb_level_not_found",
		"tcb_status_rejected",
		"qe_identity_mismatch",
		"measurement_mismatch",
		"debug_not_allowed",
		"policy_violation",
	};
	bool seen[sizeof codes / sizeof codes[0]] = { false };
	char out[TEST_PATH_MAX], dir[TEST_PATH_MAX];
	struct dirent **names = NULL;
	size_t n_cases = 0, accepted = 0, without_sim = 0;

	path_in(out, work, "cases-out");
	assert_true(tc_is_ok(vf_tdx_sim_cases(pki_dir, out, &n_cases)));
	assert_true(n_cases >= 50);
	path_in(dir, out, "cases");
	int n = scandir(dir, &names, json_filter, alphasort);
	assert_int_equal(n, (int)n_cases);
	for (int i = 0; i < n; i++) {
		char path[TEST_PATH_MAX], diff[1024];
		struct vf_case c;
		struct vf_appraisal a;
		path_in(path, dir, names[i]->d_name);
		if (!tc_is_ok(vf_case_load(path, &c)))
			fail_msg("%s: %s", path, tc_error_detail());
		assert_true(tc_is_ok(vf_appraise(&c.input, &c.policy, c.verify_at, &a)));
		if (!vf_case_check(&c, &a, diff, sizeof diff))
			fail_msg("%s: %s", c.name, diff);
		/* The anchor is read after parsing: a quote that does not parse never reaches it. */
		if (a.failure != TC_ERR_EVIDENCE_MALFORMED && a.failure != TC_ERR_EVIDENCE_UNSUPPORTED_VERSION)
			assert_true(a.devices[0].simulated);
		accepted += a.accepted;
		without_sim += !c.policy.allow_simulated;
		const char *failure = json_string_value(json_object_get(c.expect, "failure"));
		for (size_t k = 0; failure != NULL && k < sizeof codes / sizeof codes[0]; k++)
			seen[k] = seen[k] || strcmp(codes[k], failure) == 0;
		vf_appraisal_cleanup(&a);
		vf_case_cleanup(&c);
		free(names[i]);
	}
	free(names);
	for (size_t k = 0; k < sizeof codes / sizeof codes[0]; k++)
		if (!seen[k])
			fail_msg("no generated case expects %s", codes[k]);
	assert_true(accepted >= 10);
	assert_int_equal(without_sim, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_layout),
		cmocka_unit_test(test_collateral_documents),
		cmocka_unit_test(test_sgx_extension_roundtrip),
		cmocka_unit_test(test_quote_roundtrip),
		cmocka_unit_test(test_allow_simulated),
		cmocka_unit_test(test_presets),
		cmocka_unit_test(test_knobs),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_collateral_missing),
		cmocka_unit_test(test_generated_cases),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
