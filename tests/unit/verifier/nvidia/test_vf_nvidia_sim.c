/*
 * test_vf_nvidia_sim.c — the simulated H100 (verifier/nvidia/vf_nvidia_sim*.c): PKI layout and file modes,
 * byte formats read back by the real parsers (SPDM, VBIOS version, TcbInfo FWID, RIM XML-DSig), every knob
 * through vf_appraise, the simulated-root gate of the appraiser (device and RIM root), and the generated
 * conformance set (every case passes, the NVIDIA failure codes are all covered).
 */
#include <dirent.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "vf_nvidia_sim.h"

#define T_BUF_MAX (4u * 1024u * 1024u)

struct fixture {
	char dir[256];
	char pki_dir[300];
	struct vf_nv_sim_pki *pki;
	int64_t now;
	struct tc_buf device_root, rim_root, driver_rim, vbios_rim;
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_rf(const char *dir)
{
	assert_int_equal(nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
}

static void read_file(const char *dir, const char *name, struct tc_buf *out)
{
	char path[VF_NV_SIM_PATH_MAX];

	tc_buf_init(out, T_BUF_MAX);
	assert_true(tc_is_ok(vf_nv_sim_path(dir, name, path)));
	assert_true(tc_is_ok(tc_file_read(path, T_BUF_MAX, out)));
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "%s/test_vf_nvidia_sim.XXXXXX", tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->pki_dir, sizeof(f->pki_dir), "%s/pki", f->dir);
	f->now = tc_time_now();
	assert_true(tc_is_ok(vf_nv_sim_init_at(f->pki_dir, f->now)));
	assert_true(tc_is_ok(vf_nv_sim_pki_load(f->pki_dir, &f->pki)));
	read_file(f->pki_dir, "nvidia_device_root.pem", &f->device_root);
	read_file(f->pki_dir, "nvidia_rim_root.pem", &f->rim_root);
	read_file(f->pki_dir, "collateral/driver_rim.xml", &f->driver_rim);
	read_file(f->pki_dir, "collateral/vbios_rim.xml", &f->vbios_rim);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	vf_nv_sim_pki_free(&f->pki);
	tc_buf_cleanup(&f->device_root);
	tc_buf_cleanup(&f->rim_root);
	tc_buf_cleanup(&f->driver_rim);
	tc_buf_cleanup(&f->vbios_rim);
	rm_rf(f->dir);
	free(f);
	return 0;
}

/* ------------------------------------------------------------------------------------------ PKI */

static void test_pki_layout(void **state)
{
	struct fixture *f = *state;
	static const char *const keys[] = { "device_root.key", "gh100_identity.key", "provisioner_ica.key",
					    "gpu0_brom.key",   "gpu7_fmc.key",       "rim_root.key",
					    "rim_ca.key",      "rim_signer.key" };
	char path[VF_NV_SIM_PATH_MAX];
	struct stat st;
	X509 *root = NULL;
	STACK_OF(X509) *path_out = NULL;

	snprintf(path, sizeof(path), "%s/keys", f->pki_dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct tc_buf pem;

		snprintf(path, sizeof(path), "%s/keys/%s", f->pki_dir, keys[i]);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		tc_buf_init(&pem, T_BUF_MAX);
		assert_true(tc_is_ok(tc_file_read(path, T_BUF_MAX, &pem)));
		assert_non_null(strstr((const char *)pem.data, "-----BEGIN PRIVATE KEY-----")); /* PKCS#8 */
		tc_buf_cleanup(&pem);
	}
	assert_int_equal(f->pki->n_gpus, VF_NV_SIM_MAX_GPUS);
	assert_string_equal(f->pki->driver_version, VF_NV_SIM_DRIVER_VERSION);
	assert_string_equal(f->pki->vbios_version, VF_NV_SIM_VBIOS_VERSION);
	assert_true(vf_x509_is_simulated(f->pki->device_root));
	assert_true(vf_x509_is_simulated(f->pki->rim_root));
	assert_false(vf_x509_is_simulated(f->pki->rim_signer));
	for (size_t i = 0; i < f->pki->n_gpus; i++) {
		STACK_OF(X509) *chain = f->pki->gpus[i].chain;
		uint8_t fwid[VF_NV_FWID_LEN];
		size_t fwid_len = 0;
		bool found = false;

		assert_int_equal(sk_X509_num(chain), 5);
		assert_false(vf_x509_is_simulated(sk_X509_value(chain, 0)));
		assert_int_equal(X509_cmp(sk_X509_value(chain, 4), f->pki->device_root), 0);
		assert_true(tc_is_ok(vf_x509_verify_chain(sk_X509_value(chain, 0), chain, f->pki->device_root, f->now,
							  VF_CHAIN_LEAF_SIGNER, TC_ERR_CERT_CHAIN_INVALID, &path_out)));
		assert_int_equal(sk_X509_num(path_out), 5);
		sk_X509_pop_free(path_out, X509_free);
		path_out = NULL;
		/* The FWID is read back by the appraiser's TcbInfo parser. */
		assert_true(tc_is_ok(vf_nv_cert_fwid(sk_X509_value(chain, 0), fwid, sizeof(fwid), &fwid_len, &found)));
		assert_true(found);
		assert_int_equal(fwid_len, VF_NV_FWID_LEN);
		/* Intermediates carry no FWID; the chain is not valid before it was created. */
		assert_true(tc_is_ok(vf_nv_cert_fwid(sk_X509_value(chain, 1), fwid, sizeof(fwid), &fwid_len, &found)));
		assert_false(found);
	}
	assert_int_equal(vf_x509_verify_chain(sk_X509_value(f->pki->gpus[0].chain, 0), f->pki->gpus[0].chain,
					      f->pki->device_root, f->now - 3 * 86400, VF_CHAIN_LEAF_SIGNER,
					      TC_ERR_CERT_CHAIN_INVALID, NULL)
				 .code,
			 TC_ERR_CERT_EXPIRED);
	assert_true(tc_is_ok(vf_x509_parse(f->device_root.data, f->device_root.len, TC_ERR_CERT_CHAIN_INVALID, &root)));
	assert_int_equal(X509_cmp(root, f->pki->device_root), 0);
	X509_free(root);
	/* Loading a folder that is not a sim PKI fails cleanly. */
	{
		struct vf_nv_sim_pki *none = NULL;

		snprintf(path, sizeof(path), "%s/no-such-pki", f->dir);
		assert_false(tc_is_ok(vf_nv_sim_pki_load(path, &none)));
		assert_null(none);
	}
}

/* ------------------------------------------------------------------------------------- formats */

static void test_vbios_encode(void **state)
{
	/* Bytes of the shared nvtrust capture (opaque type 6) and their nvtrust rendering. */
	static const uint8_t real[VF_NV_VBIOS_LEN] = { 0x00, 0x9f, 0x00, 0x96, 0x01, 0x00, 0x00, 0x00 };
	uint8_t out[VF_NV_VBIOS_LEN];
	struct vf_spdm s;
	char text[VF_RIM_VERSION_MAX];

	(void)state;
	assert_true(tc_is_ok(vf_nv_vbios_encode("96.00.9F.00.01", out)));
	assert_memory_equal(out, real, sizeof(real));
	memset(&s, 0, sizeof(s));
	s.fields[0] =
		(struct vf_nv_opaque_field){ .type = VF_NV_OPAQUE_VBIOS_VERSION, .value = out, .len = sizeof(out) };
	s.n_fields = 1;
	assert_true(tc_is_ok(vf_nv_vbios_encode(VF_NV_SIM_VBIOS_VERSION, out)));
	assert_true(tc_is_ok(vf_nv_vbios_version(&s, text, sizeof(text))));
	assert_string_equal(text, VF_NV_SIM_VBIOS_VERSION);
	assert_false(tc_is_ok(vf_nv_vbios_encode("96.00.9f.00", out)));
	assert_false(tc_is_ok(vf_nv_vbios_encode("96.00.9f.00.04.", out)));
	assert_false(tc_is_ok(vf_nv_vbios_encode("96.0g.9f.00.04", out)));
	assert_false(tc_is_ok(vf_nv_vbios_encode("", out)));
}

static void evidence(const struct fixture *f, const struct vf_nv_sim_knobs *k, struct tc_buf *spdm,
		     struct tc_buf *chains)
{
	for (size_t i = 0; i < VF_NV_SIM_MAX_GPUS; i++) {
		tc_buf_init(&spdm[i], T_BUF_MAX);
		tc_buf_init(&chains[i], T_BUF_MAX);
	}
	assert_true(tc_is_ok(vf_nv_sim_evidence(f->pki, k, f->now, spdm, chains)));
}

static void evidence_cleanup(struct tc_buf *spdm, struct tc_buf *chains)
{
	for (size_t i = 0; i < VF_NV_SIM_MAX_GPUS; i++) {
		tc_buf_cleanup(&spdm[i]);
		tc_buf_cleanup(&chains[i]);
	}
}

static void test_spdm_format(void **state)
{
	struct fixture *f = *state;
	struct vf_nv_sim_knobs k = { .mode = VF_NV_SIM_MODE_PPCIE };
	struct tc_buf spdm[VF_NV_SIM_MAX_GPUS], chains[VF_NV_SIM_MAX_GPUS], scratch;
	struct vf_spdm s;
	char text[VF_RIM_VERSION_MAX];
	const struct vf_nv_opaque_field *fld;
	uint8_t fwid[VF_NV_FWID_LEN];
	size_t fwid_len;
	bool found;

	memset(k.nonce, 0xA5, sizeof(k.nonce));
	evidence(f, &k, spdm, chains);
	tc_buf_init(&scratch, VF_SPDM_MAX_INPUT);
	assert_true(tc_is_ok(vf_spdm_parse(spdm[0].data, spdm[0].len, 0, &scratch, &s)));
	assert_memory_equal(s.req_nonce, k.nonce, VF_SPDM_NONCE_LEN);
	assert_int_equal(s.req_param1, VF_SPDM_REQ_SIGNATURE);
	assert_int_equal(s.req_param2, VF_SPDM_MEAS_ALL);
	assert_int_equal(s.n_blocks, VF_NV_SIM_BLOCKS);
	assert_int_equal(s.signed_len + VF_SPDM_SIG_LEN, spdm[0].len);
	assert_int_equal(s.trailing, 0);
	for (size_t i = 0; i < VF_NV_SIM_BLOCKS; i++) {
		const struct vf_spdm_block *b = vf_spdm_block(&s, (uint8_t)(i + 1));

		assert_non_null(b);
		assert_int_equal(b->value_type, VF_DMTF_VALUE_FIRMWARE);
		assert_int_equal(b->value_len, VF_NV_SIM_MEAS_LEN);
		assert_memory_equal(b->value, f->pki->meas[i], VF_NV_SIM_MEAS_LEN);
	}
	assert_true(tc_is_ok(vf_nv_driver_version(&s, text, sizeof(text))));
	assert_string_equal(text, VF_NV_SIM_DRIVER_VERSION);
	assert_true(tc_is_ok(vf_nv_vbios_version(&s, text, sizeof(text))));
	assert_string_equal(text, VF_NV_SIM_VBIOS_VERSION);
	fld = vf_spdm_field(&s, VF_NV_OPAQUE_FWID);
	assert_non_null(fld);
	assert_true(tc_is_ok(
		vf_nv_cert_fwid(sk_X509_value(f->pki->gpus[0].chain, 0), fwid, sizeof(fwid), &fwid_len, &found)));
	assert_int_equal(fld->len, fwid_len);
	assert_memory_equal(fld->value, fwid, fwid_len);
	fld = vf_spdm_field(&s, VF_NV_OPAQUE_FEATURE_FLAG);
	assert_non_null(fld);
	assert_int_equal(fld->value[0], VF_NV_FEATURE_PPCIE);
	fld = vf_spdm_field(&s, VF_NV_OPAQUE_NVDEC0_STATUS);
	assert_non_null(fld);
	assert_int_equal(fld->value[0], VF_NV_NVDEC0_ENABLED);
	/* The chain file is the PKI's chain, leaf first. */
	assert_true(strstr((const char *)chains[0].data, "-----BEGIN CERTIFICATE-----") ==
		    (const char *)chains[0].data);
	tc_buf_cleanup(&scratch);
	evidence_cleanup(spdm, chains);
	/* Knob limits. */
	k = (struct vf_nv_sim_knobs){ .gpus = VF_NV_SIM_MAX_GPUS + 1 };
	for (size_t i = 0; i < VF_NV_SIM_MAX_GPUS; i++) {
		tc_buf_init(&spdm[i], T_BUF_MAX);
		tc_buf_init(&chains[i], T_BUF_MAX);
	}
	assert_int_equal(vf_nv_sim_evidence(f->pki, &k, f->now, spdm, chains).code, TC_ERR_INVALID_ARGUMENT);
	k = (struct vf_nv_sim_knobs){ .swap_chain = true };
	assert_int_equal(vf_nv_sim_evidence(f->pki, &k, f->now, spdm, chains).code, TC_ERR_INVALID_ARGUMENT);
	k = (struct vf_nv_sim_knobs){ .mismatch_block = VF_NV_SIM_BLOCKS + 1 };
	assert_int_equal(vf_nv_sim_evidence(f->pki, &k, f->now, spdm, chains).code, TC_ERR_INVALID_ARGUMENT);
	evidence_cleanup(spdm, chains);
}

/* RIM documents read back by the appraiser's RIM code. */
static void test_rims(void **state)
{
	struct fixture *f = *state;
	static const struct {
		enum vf_nv_sim_rim_kind kind;
		enum vf_nv_sim_rim_fault fault;
		enum tc_code chain, sig;
		const char *detail;
	} rows[] = {
		{ VF_NV_SIM_RIM_DRIVER, VF_NV_SIM_RIM_OK, TC_OK, TC_OK, NULL },
		{ VF_NV_SIM_RIM_VBIOS, VF_NV_SIM_RIM_OK, TC_OK, TC_OK, NULL },
		{ VF_NV_SIM_RIM_DRIVER, VF_NV_SIM_RIM_TAMPERED, TC_OK, TC_ERR_RIM_SIGNATURE_INVALID,
		  "reference digest" },
		{ VF_NV_SIM_RIM_VBIOS, VF_NV_SIM_RIM_BAD_SIG, TC_OK, TC_ERR_RIM_SIGNATURE_INVALID, "SignatureValue" },
		{ VF_NV_SIM_RIM_DRIVER, VF_NV_SIM_RIM_FOREIGN_ROOT, TC_ERR_RIM_CHAIN_INVALID, TC_OK, NULL },
		{ VF_NV_SIM_RIM_VBIOS, VF_NV_SIM_RIM_EXPIRED_SIGNER, TC_ERR_CERT_EXPIRED, TC_OK, NULL },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct tc_buf xml;
		struct vf_rim_doc *doc = NULL;
		STACK_OF(X509) *certs;
		struct tc_result r;

		tc_buf_init(&xml, T_BUF_MAX);
		assert_true(tc_is_ok(vf_nv_sim_rim(f->pki, rows[i].kind, NULL, rows[i].fault, f->now, &xml)));
		assert_true(tc_is_ok(vf_rim_doc_parse(xml.data, xml.len, &doc)));
		certs = vf_rim_doc_certs(doc);
		assert_int_equal(sk_X509_num(certs), 3);
		r = vf_x509_verify_chain(sk_X509_value(certs, 0), certs, f->pki->rim_root, f->now, VF_CHAIN_LEAF_SIGNER,
					 TC_ERR_RIM_CHAIN_INVALID, NULL);
		assert_int_equal(r.code, rows[i].chain);
		r = vf_rim_verify_signature(doc);
		assert_int_equal(r.code, rows[i].sig);
		if (rows[i].detail)
			assert_non_null(strstr(tc_error_detail(), rows[i].detail));
		if (rows[i].fault == VF_NV_SIM_RIM_OK) {
			struct vf_rim *rim = calloc(1, sizeof(*rim));
			bool drv = rows[i].kind == VF_NV_SIM_RIM_DRIVER;
			size_t active = 0;

			assert_non_null(rim);
			assert_true(tc_is_ok(vf_rim_content(doc, rim)));
			assert_string_equal(rim->version, drv ? VF_NV_SIM_DRIVER_VERSION : VF_NV_SIM_VBIOS_VERSION);
			assert_string_equal(rim->product, VF_NV_SIM_PRODUCT);
			for (size_t k = 0; k < VF_NV_SIM_BLOCKS; k++) {
				assert_true(rim->meas[k].present);
				assert_int_equal(rim->meas[k].active, vf_nv_sim_rim_active(rows[i].kind, k));
				active += rim->meas[k].active;
			}
			assert_int_equal(rim->n_active, active);
			assert_int_equal(active, drv ? 21 : 12);
			if (!drv) {
				assert_int_equal(rim->meas[VF_NV_SIM_ALT_RIM_INDEX].n_alts, 2);
				assert_memory_equal(rim->meas[VF_NV_SIM_ALT_RIM_INDEX].alts[1],
						    f->pki->meas[VF_NV_SIM_ALT_RIM_INDEX], VF_NV_SIM_MEAS_LEN);
			}
			free(rim);
		}
		vf_rim_doc_free(&doc);
		tc_buf_cleanup(&xml);
	}
	/* The RIM in the collateral folder verifies too, and carries the sim signer chain. */
	{
		struct vf_rim_doc *doc = NULL;

		assert_true(tc_is_ok(vf_rim_doc_parse(f->vbios_rim.data, f->vbios_rim.len, &doc)));
		assert_true(tc_is_ok(vf_rim_verify_signature(doc)));
		assert_int_equal(X509_cmp(sk_X509_value(vf_rim_doc_certs(doc), 0), f->pki->rim_signer), 0);
		vf_rim_doc_free(&doc);
	}
}

/* ----------------------------------------------------------------------------------- appraisal */

struct input {
	struct vf_input in;
	struct tc_buf spdm[VF_NV_SIM_MAX_GPUS], chains[VF_NV_SIM_MAX_GPUS], rims[2];
	char roles[2 * VF_NV_SIM_MAX_GPUS][48];
};

static void input_build(const struct fixture *f, const struct vf_nv_sim_knobs *k, enum vf_nv_sim_rim_fault driver_fault,
			struct input *x)
{
	size_t n = k->gpus ? k->gpus : 1;

	memset(x, 0, sizeof(*x));
	x->in.tee = VF_TEE_NVIDIA;
	evidence(f, k, x->spdm, x->chains);
	for (size_t i = 0; i < n; i++) {
		snprintf(x->roles[2 * i], sizeof(x->roles[0]), "gpu%zu.spdm", i);
		snprintf(x->roles[2 * i + 1], sizeof(x->roles[0]), "gpu%zu.cert_chain", i);
		x->in.evidence[x->in.n_evidence++] =
			(struct vf_item){ x->roles[2 * i], x->spdm[i].data, x->spdm[i].len };
		x->in.evidence[x->in.n_evidence++] =
			(struct vf_item){ x->roles[2 * i + 1], x->chains[i].data, x->chains[i].len };
	}
	for (int kind = 0; kind < 2; kind++) {
		tc_buf_init(&x->rims[kind], T_BUF_MAX);
		assert_true(tc_is_ok(vf_nv_sim_rim(f->pki, (enum vf_nv_sim_rim_kind)kind, NULL,
						   kind == VF_NV_SIM_RIM_DRIVER ? driver_fault : VF_NV_SIM_RIM_OK,
						   f->now, &x->rims[kind])));
		x->in.collateral[x->in.n_collateral++] =
			(struct vf_item){ kind == VF_NV_SIM_RIM_DRIVER ? "driver_rim" : "vbios_rim", x->rims[kind].data,
					  x->rims[kind].len };
	}
	x->in.anchors[x->in.n_anchors++] =
		(struct vf_item){ "nvidia_device_root", f->device_root.data, f->device_root.len };
	x->in.anchors[x->in.n_anchors++] = (struct vf_item){ "nvidia_rim_root", f->rim_root.data, f->rim_root.len };
}

static void input_cleanup(struct input *x)
{
	evidence_cleanup(x->spdm, x->chains);
	tc_buf_cleanup(&x->rims[0]);
	tc_buf_cleanup(&x->rims[1]);
}

static void policy_sim(struct vf_policy *p, const uint8_t *nonce, bool allow)
{
	vf_policy_init(p);
	p->allow_simulated = allow;
	p->has_expected_nonce = true;
	memcpy(p->expected_nonce, nonce, VF_GPU_NONCE_LEN);
}

/* Every evidence knob through vf_appraise, with the expected first failure. */
static void test_knobs(void **state)
{
	struct fixture *f = *state;
	static const struct {
		struct vf_nv_sim_knobs k;
		enum vf_nv_sim_rim_fault driver_fault;
		enum tc_code want;
	} rows[] = {
		{ { 0 }, VF_NV_SIM_RIM_OK, TC_OK },
		{ { .gpus = 3 }, VF_NV_SIM_RIM_OK, TC_OK },
		{ { .trailing = 1 }, VF_NV_SIM_RIM_OK, TC_OK },
		{ { .no_fwid = true }, VF_NV_SIM_RIM_OK, TC_OK },
		{ { .mode = VF_NV_SIM_MODE_MPT }, VF_NV_SIM_RIM_OK, TC_OK },
		{ { .mismatch_block = VF_NV_NVDEC0_RIM_INDEX + 1, .nvdec_disabled = true }, VF_NV_SIM_RIM_OK, TC_OK },
		{ { .truncate = 60 }, VF_NV_SIM_RIM_OK, TC_ERR_EVIDENCE_MALFORMED },
		{ { .trailing = 3 }, VF_NV_SIM_RIM_OK, TC_ERR_EVIDENCE_MALFORMED },
		{ { .spdm_version = 0x12 }, VF_NV_SIM_RIM_OK, TC_ERR_EVIDENCE_UNSUPPORTED_VERSION },
		{ { .chain = VF_NV_SIM_CHAIN_MISSING_LEAF }, VF_NV_SIM_RIM_OK, TC_ERR_CERT_CHAIN_INVALID },
		{ { .chain = VF_NV_SIM_CHAIN_MISSING_ICA }, VF_NV_SIM_RIM_OK, TC_ERR_CERT_CHAIN_INVALID },
		{ { .chain = VF_NV_SIM_CHAIN_ROOT_ONLY }, VF_NV_SIM_RIM_OK, TC_ERR_CERT_CHAIN_INVALID },
		{ { .expired_leaf = true }, VF_NV_SIM_RIM_OK, TC_ERR_CERT_EXPIRED },
		{ { .bad_sig = true }, VF_NV_SIM_RIM_OK, TC_ERR_EVIDENCE_SIGNATURE_INVALID },
		{ { .gpus = 3, .swap_chain = true }, VF_NV_SIM_RIM_OK, TC_ERR_EVIDENCE_SIGNATURE_INVALID },
		{ { .fwid_mismatch = true }, VF_NV_SIM_RIM_OK, TC_ERR_CERT_CHAIN_INVALID },
		{ { .wrong_nonce = true }, VF_NV_SIM_RIM_OK, TC_ERR_NONCE_MISMATCH },
		{ { .gpus = 2, .wrong_nonce = true }, VF_NV_SIM_RIM_OK, TC_ERR_NONCE_MISMATCH },
		{ { 0 }, VF_NV_SIM_RIM_TAMPERED, TC_ERR_RIM_SIGNATURE_INVALID },
		{ { 0 }, VF_NV_SIM_RIM_BAD_SIG, TC_ERR_RIM_SIGNATURE_INVALID },
		{ { 0 }, VF_NV_SIM_RIM_FOREIGN_ROOT, TC_ERR_RIM_CHAIN_INVALID },
		{ { 0 }, VF_NV_SIM_RIM_EXPIRED_SIGNER, TC_ERR_CERT_EXPIRED },
		{ { .mismatch_block = 1 }, VF_NV_SIM_RIM_OK, TC_ERR_MEASUREMENT_MISMATCH },
		{ { .mismatch_block = VF_NV_NVDEC0_RIM_INDEX + 1 }, VF_NV_SIM_RIM_OK, TC_ERR_MEASUREMENT_MISMATCH },
		{ { .mismatch_block = 64 }, VF_NV_SIM_RIM_OK, TC_OK }, /* inactive in both RIMs */
		{ { .driver_version = "1.2.3" }, VF_NV_SIM_RIM_OK, TC_ERR_MEASUREMENT_MISMATCH },
		{ { .vbios_version = "96.00.00.00.00" }, VF_NV_SIM_RIM_OK, TC_ERR_MEASUREMENT_MISMATCH },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct vf_nv_sim_knobs k = rows[i].k;
		struct input *x = calloc(1, sizeof(*x));
		struct vf_policy p;
		struct vf_appraisal a;

		assert_non_null(x);
		memset(k.nonce, (int)(0x10 + i), sizeof(k.nonce));
		input_build(f, &k, rows[i].driver_fault, x);
		policy_sim(&p, k.nonce, true);
		if (rows[i].k.gpus == 2 && rows[i].k.wrong_nonce)
			p.has_expected_nonce = false; /* the gpu1-vs-gpu0 rule alone */
		assert_true(tc_is_ok(vf_appraise(&x->in, &p, f->now, &a)));
		if (a.failure != rows[i].want)
			print_error("row %zu: got %s (%s)\n", i, tc_error_info(a.failure)->code, a.detail);
		assert_int_equal(a.failure, rows[i].want);
		assert_int_equal(a.accepted, rows[i].want == TC_OK);
		assert_int_equal(a.n_devices, rows[i].k.gpus ? rows[i].k.gpus : 1);
		for (size_t d = 0; d < a.n_devices; d++)
			assert_true(a.devices[d].simulated);
		if (rows[i].want == TC_OK)
			assert_int_equal(a.devices[0].tcb_status, VF_TCB_UP_TO_DATE);
		vf_appraisal_cleanup(&a);
		vf_policy_cleanup(&p);
		input_cleanup(x);
		free(x);
	}
}

/* The simulated-root gate: device root, then RIM root (with real evidence, so the device root is real). */
static void test_simulated_gate(void **state)
{
	struct fixture *f = *state;
	struct vf_nv_sim_knobs k = { 0 };
	struct input *x = calloc(1, sizeof(*x));
	struct vf_policy p;
	struct vf_appraisal a;
	struct vf_case *real = calloc(1, sizeof(*real));
	char path[1024];
	const char *shared = getenv("TEECERT_SHARED");

	assert_non_null(x);
	assert_non_null(real);
	input_build(f, &k, VF_NV_SIM_RIM_OK, x);
	policy_sim(&p, k.nonce, false);
	assert_true(tc_is_ok(vf_appraise(&x->in, &p, f->now, &a)));
	assert_false(a.accepted);
	assert_int_equal(a.failure, TC_ERR_CERT_CHAIN_INVALID);
	assert_non_null(strstr(a.detail, "simulated root: set allow_simulated to trust it"));
	assert_non_null(strstr(a.remediation, "allow_simulated"));
	assert_true(a.devices[0].simulated);
	vf_appraisal_cleanup(&a);
	vf_policy_cleanup(&p);

	/* Real H100 evidence (real device root) with sim RIMs: the RIM root gate. */
	assert_non_null(shared);
	snprintf(path, sizeof(path), "%s/evidence/cases/nvidia-nvtrust-550.90.07-ok.json", shared);
	assert_true(tc_is_ok(vf_case_load(path, real)));
	real->input.n_collateral = 0;
	real->input.collateral[real->input.n_collateral++] = x->in.collateral[0];
	real->input.collateral[real->input.n_collateral++] = x->in.collateral[1];
	for (size_t i = 0; i < real->input.n_anchors; i++)
		if (strcmp(real->input.anchors[i].role, "nvidia_rim_root") == 0)
			real->input.anchors[i] = x->in.anchors[1];
	real->policy.gpu_rims = VF_IF_PRESENT;
	assert_true(tc_is_ok(vf_appraise(&real->input, &real->policy, real->verify_at, &a)));
	assert_int_equal(a.failure, TC_ERR_RIM_CHAIN_INVALID);
	assert_non_null(strstr(a.detail, "simulated root"));
	assert_true(a.devices[0].simulated);
	vf_appraisal_cleanup(&a);
	/* Allowed: the sim RIMs authenticate and then do not describe this real GPU. The RIM signer chain is
	 * checked at the case's verify_at, before the sim PKI existed, so use now. */
	real->policy.allow_simulated = true;
	assert_true(tc_is_ok(vf_appraise(&real->input, &real->policy, f->now, &a)));
	assert_int_equal(a.failure, TC_ERR_MEASUREMENT_MISMATCH);
	vf_appraisal_cleanup(&a);
	/* Untouched real evidence is not simulated. */
	vf_case_cleanup(real);
	assert_true(tc_is_ok(vf_case_load(path, real)));
	assert_true(tc_is_ok(vf_appraise(&real->input, &real->policy, real->verify_at, &a)));
	assert_true(a.accepted);
	assert_false(a.devices[0].simulated);
	vf_appraisal_cleanup(&a);
	vf_case_cleanup(real);
	free(real);
	input_cleanup(x);
	free(x);
}

/* OCSP responses read back by the appraiser's RFC 6960 checker. */
static void test_ocsp(void **state)
{
	struct fixture *f = *state;
	static const struct {
		enum vf_nv_sim_ocsp_fault fault;
		enum vf_nv_sim_ocsp_target target;
		enum tc_code code;
		enum vf_ocsp_status first, rim;
	} rows[] = {
		{ VF_NV_SIM_OCSP_GOOD, VF_NV_SIM_OCSP_TARGET_GPU, TC_OK, VF_OCSP_GOOD, VF_OCSP_GOOD },
		{ VF_NV_SIM_OCSP_REVOKED, VF_NV_SIM_OCSP_TARGET_GPU, TC_OK, VF_OCSP_REVOKED, VF_OCSP_GOOD },
		{ VF_NV_SIM_OCSP_ON_HOLD, VF_NV_SIM_OCSP_TARGET_GPU, TC_OK, VF_OCSP_ON_HOLD, VF_OCSP_GOOD },
		{ VF_NV_SIM_OCSP_REVOKED, VF_NV_SIM_OCSP_TARGET_RIM, TC_OK, VF_OCSP_GOOD, VF_OCSP_REVOKED },
		{ VF_NV_SIM_OCSP_STALE, VF_NV_SIM_OCSP_TARGET_GPU, TC_ERR_COLLATERAL_EXPIRED, VF_OCSP_GOOD,
		  VF_OCSP_GOOD },
		{ VF_NV_SIM_OCSP_BAD_SIG, VF_NV_SIM_OCSP_TARGET_GPU, TC_ERR_COLLATERAL_SIGNATURE_INVALID, VF_OCSP_GOOD,
		  VF_OCSP_GOOD },
	};
	STACK_OF(X509) *chain = f->pki->gpus[1].chain;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct tc_buf der[VF_NV_SIM_OCSP_RESPONSES];
		enum vf_ocsp_status st = VF_OCSP_NO_RESPONSE;
		struct tc_result r;

		for (size_t k = 0; k < VF_NV_SIM_OCSP_RESPONSES; k++)
			tc_buf_init(&der[k], T_BUF_MAX);
		assert_true(tc_is_ok(vf_nv_sim_ocsp(f->pki, 1, rows[i].fault, rows[i].target, f->now, der)));
		r = vf_ocsp_check(der[0].data, der[0].len, sk_X509_value(chain, 1), sk_X509_value(chain, 2), f->now,
				  NULL, 0, &st);
		assert_int_equal(r.code, rows[i].code);
		if (rows[i].code == TC_OK)
			assert_int_equal(st, rows[i].first);
		for (int k = 1; k < VF_NV_SIM_DEVICE_CAS; k++) {
			assert_true(tc_is_ok(vf_ocsp_check(der[k].data, der[k].len, sk_X509_value(chain, k + 1),
							   sk_X509_value(chain, k + 2), f->now, NULL, 0, &st)));
			assert_int_equal(st, VF_OCSP_GOOD);
		}
		assert_true(tc_is_ok(vf_ocsp_check(der[3].data, der[3].len, f->pki->rim_signer, f->pki->rim_ca, f->now,
						   NULL, 0, &st)));
		assert_int_equal(st, rows[i].rim);
		assert_true(tc_is_ok(vf_ocsp_check(der[4].data, der[4].len, f->pki->rim_ca, f->pki->rim_root, f->now,
						   NULL, 0, &st)));
		assert_int_equal(st, VF_OCSP_GOOD);
		/* A response is about its own certificate only (gpu0's BROM is not gpu1's). */
		assert_true(tc_is_ok(vf_ocsp_check(der[0].data, der[0].len, sk_X509_value(f->pki->gpus[0].chain, 1),
						   sk_X509_value(chain, 2), f->now, NULL, 0, &st)));
		assert_int_equal(st, VF_OCSP_NO_RESPONSE);
		for (size_t k = 0; k < VF_NV_SIM_OCSP_RESPONSES; k++)
			tc_buf_cleanup(&der[k]);
	}
}

/* ------------------------------------------------------------------------------- generated set */

static int json_only(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 5 && strcmp(d->d_name + n - 5, ".json") == 0;
}

static void test_generated_cases(void **state)
{
	struct fixture *f = *state;
	static const char *const codes[] = { "evidence_malformed",
					     "evidence_unsupported_version",
					     "cert_chain_invalid",
					     "cert_expired",
					     "evidence_signature_invalid",
					     "nonce_mismatch",
					     "collateral_missing",
					     "rim_missing",
					     "rim_chain_invalid",
					     "rim_signature_invalid",
					     "measurement_mismatch",
					     "policy_violation",
					     "cert_revoked",
					     "collateral_expired",
					     "collateral_signature_invalid" };
	bool covered[sizeof(codes) / sizeof(codes[0])] = { false };
	char out[512], cases[600];
	struct dirent **names = NULL;
	size_t n_cases = 0, accepted = 0, denied = 0;
	int n;

	snprintf(out, sizeof(out), "%s/out", f->dir);
	snprintf(cases, sizeof(cases), "%s/cases", out);
	assert_true(tc_is_ok(vf_nv_sim_cases(f->pki_dir, out, f->now, &n_cases)));
	n = scandir(cases, &names, json_only, alphasort);
	assert_int_equal((size_t)n, n_cases);
	assert_true(n_cases >= 40);
	for (int i = 0; i < n; i++) {
		struct vf_case *c = calloc(1, sizeof(*c));
		struct vf_appraisal a;
		char path[1024], diff[512];
		const char *failure;

		assert_non_null(c);
		snprintf(path, sizeof(path), "%s/%s", cases, names[i]->d_name);
		assert_true(tc_is_ok(vf_case_load(path, c)));
		assert_int_equal(c->verify_at, f->now);
		assert_true(tc_is_ok(vf_appraise(&c->input, &c->policy, c->verify_at, &a)));
		if (!vf_case_check(c, &a, diff, sizeof(diff)))
			print_error("%s: %s\n", c->name, diff);
		assert_true(vf_case_check(c, &a, diff, sizeof(diff)));
		/* Every case's evidence is simulated; only the real-root case pins a non-simulated anchor. */
		assert_int_equal(a.devices[0].simulated, strstr(c->name, "real-device-root") == NULL);
		failure = json_string_value(json_object_get(c->expect, "failure"));
		for (size_t k = 0; failure && k < sizeof(codes) / sizeof(codes[0]); k++)
			covered[k] = covered[k] || strcmp(codes[k], failure) == 0;
		accepted += a.accepted;
		denied += !c->policy.allow_simulated;
		vf_appraisal_cleanup(&a);
		vf_case_cleanup(c);
		free(c);
		free(names[i]);
	}
	free(names);
	for (size_t k = 0; k < sizeof(codes) / sizeof(codes[0]); k++) {
		if (!covered[k])
			print_error("no generated case expects %s\n", codes[k]);
		assert_true(covered[k]);
	}
	assert_int_equal(denied, 1);
	assert_true(accepted >= 10 && accepted < n_cases);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vbios_encode),
		cmocka_unit_test_setup_teardown(test_pki_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spdm_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rims, setup, teardown),
		cmocka_unit_test_setup_teardown(test_knobs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ocsp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_simulated_gate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_generated_cases, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
