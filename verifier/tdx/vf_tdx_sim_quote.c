/*
 * vf_tdx_sim_quote.c — simulated TDX quotes v4 / v5 in the real byte format.
 *
 * Layout per "Intel TDX DCAP Quoting Library API", Appendix A (the same as vf_tdx_quote.c parses):
 *   Header (VF_TDX_HEADER_LEN) | v5: body type u16, body size u32 | TD report (584 / 648 for TDX 1.5)
 *   | Signature Data Length u32 | Quote Signature (r||s) | Attestation Key (x||y)
 *   | Certification Data type 6, size u32: QE Report (384) | QE Report Signature | QE Auth Data size u16, data
 *     | Certification Data type 5, size u32: PCK leaf || PCK Platform CA || Root CA (PEM)
 * The attestation key (fresh per quote, or keys/attestation_key.pem) signs header (+ descriptor) + body; the
 * PCK key signs the QE report, whose REPORTDATA is SHA-256(attestation key || QE auth data) || 32 zeros.
 * Knobs in struct vf_tdx_sim_quote_opts damage exactly one thing each.
 */
#include <string.h>

#include "vf_internal.h"
#include "vf_tdx_sim.h"

#define SIM_SGX_TYPE_SCALABLE 1 /* SGX Type of TDX-capable Xeon platforms */

/* ------------------------------------------------------------------------------------------ writers */

static TC_RESULT put_u16le(struct tc_buf *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)(v & 0xff), (uint8_t)(v >> 8) };
	return tc_buf_append(b, x, sizeof x);
}

static TC_RESULT put_u32le(struct tc_buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v & 0xff), (uint8_t)(v >> 8 & 0xff), (uint8_t)(v >> 16 & 0xff), (uint8_t)(v >> 24) };
	return tc_buf_append(b, x, sizeof x);
}

static TC_RESULT put_zeros(struct tc_buf *b, size_t n)
{
	static const uint8_t zero[VF_TDX_QE_RESERVED3_LEN];
	while (n > 0) {
		size_t k = n < sizeof zero ? n : sizeof zero;
		TC_GUARD(tc_buf_append(b, zero, k));
		n -= k;
	}
	return tc_ok();
}

/* ------------------------------------------------------------------------------------------- options */

static TC_RESULT label_sha384(const char *label, uint8_t out[VF_TDX_MEASUREMENT_LEN])
{
	return vf_sha384(label, strlen(label), out);
}

TC_RESULT vf_tdx_sim_quote_opts_init(struct vf_tdx_sim_quote_opts *o)
{
	static const char *const rtmr_labels[VF_TDX_RTMR_COUNT] = { "teecert/sim/tdx/rtmr0", "teecert/sim/tdx/rtmr1",
								    "teecert/sim/tdx/rtmr2", "teecert/sim/tdx/rtmr3" };
	/* TDATTRIBUTES.SEPT_VE_DISABLE (bit 28) as production TDs set it; XFAM x87/SSE/AVX/AVX-512/PK. */
	static const uint8_t td_attributes[VF_TDX_ATTRIBUTES_LEN] = { 0x00, 0x00, 0x00, 0x10 };
	static const uint8_t xfam[VF_TDX_ATTRIBUTES_LEN] = { 0xe7, 0x02, 0x06 };

	memset(o, 0, sizeof *o);
	o->version = VF_TDX_QUOTE_V4;
	o->body_type = VF_TDX_BODY_TD_REPORT10;
	TC_GUARD(label_sha384("teecert/sim/tdx/mrtd", o->report.mrtd));
	TC_GUARD(label_sha384("teecert/sim/tdx/mrseam", o->report.mrseam));
	for (size_t i = 0; i < VF_TDX_RTMR_COUNT; i++)
		TC_GUARD(label_sha384(rtmr_labels[i], o->report.rtmr[i]));
	memcpy(o->report.td_attributes, td_attributes, sizeof td_attributes);
	memcpy(o->report.xfam, xfam, sizeof xfam);
	vf_tdx_sim_quote_apply_preset(o, vf_tdx_sim_preset_find("uptodate"));
	return tc_ok();
}

void vf_tdx_sim_quote_apply_preset(struct vf_tdx_sim_quote_opts *o, const struct vf_tdx_sim_preset *p)
{
	if (p == NULL)
		return;
	vf_tdx_sim_tdx_components(o->report.tee_tcb_svn);
	o->report.tee_tcb_svn[0] = p->module_svn;
	o->report.tee_tcb_svn[1] = p->module_major;
	memcpy(o->report.tee_tcb_svn2, o->report.tee_tcb_svn, VF_TDX_SVN_LEN);
	o->sgx_comp1 = p->sgx_comp1;
	o->qe_isvsvn = p->qe_isvsvn;
	if (p->svn2_module > 0) {
		o->report.tee_tcb_svn2[0] = p->svn2_module;
		o->version = VF_TDX_QUOTE_V5;
		o->body_type = VF_TDX_BODY_TD_REPORT15;
	}
}

/* ------------------------------------------------------------------------------------------------- PCK */

TC_RESULT vf_tdx_sim_pck_issue(const struct vf_tdx_sim_pki *pki, const struct vf_tdx_sim_quote_opts *o, X509 **out)
{
	struct vf_tdx_sim_sgx sgx;
	uint8_t xy[VF_TDX_ECDSA_KEY_LEN], digest[VF_TDX_SHA256_LEN];
	EVP_PKEY *rogue = NULL;
	struct tc_result r = tc_ok();

	memset(&sgx, 0, sizeof sgx);
	vf_tdx_sim_sgx_components(o->sgx_comp1, sgx.comp);
	memcpy(sgx.cpusvn, sgx.comp, VF_TDX_SVN_LEN);
	sgx.pcesvn = VF_TDX_SIM_PCESVN;
	memcpy(sgx.pceid, vf_tdx_sim_pceid, VF_TDX_PCEID_LEN);
	memcpy(sgx.fmspc, o->fmspc_mismatch ? vf_tdx_sim_other_fmspc : vf_tdx_sim_fmspc, VF_TDX_FMSPC_LEN);
	sgx.sgx_type = SIM_SGX_TYPE_SCALABLE;
	/* The PPID is the platform's: derived from its PCK key. */
	TC_GUARD(vf_tdx_sim_pubkey_xy(pki->pck_key, xy));
	TC_GUARD(vf_sha256(xy, sizeof xy, digest));
	memcpy(sgx.ppid, digest, VF_TDX_PPID_LEN);

	struct vf_tdx_sim_cert_spec spec = {
		.kind = VF_TDX_SIM_CERT_PCK,
		.cn = "Intel SGX PCK Certificate (simulated)",
		.key = pki->pck_key,
		.issuer = pki->platform_ca,
		.issuer_key = pki->platform_ca_key,
		.not_before = pki->created_at - VF_TDX_SIM_CERT_LEAD,
		.not_after = pki->created_at + VF_TDX_SIM_LEAF_YEARS * VF_TDX_SIM_YEAR,
		.serial = o->pck_revoked ? pki->revoked_pck_serial : NULL,
		.sgx = &sgx,
	};
	if (o->pck_expired)
		spec.not_after = spec.not_before + VF_TDX_SIM_HOUR; /* ended before the PKI was created */
	if (o->bad_pck_chain) {
		/* Names the Platform CA as issuer, signed by a key that is not the Platform CA's. */
		TC_GUARD(vf_sim_key_new("P-256", &rogue));
		spec.issuer_key = rogue;
	}
	r = vf_tdx_sim_cert_issue(&spec, out);
	EVP_PKEY_free(rogue);
	return r;
}

/* ------------------------------------------------------------------------------------------------ quote */

/* TD report fields in the order vf_tdx_quote.c reads them (TDX module ABI TDREPORT / TD Quote Body). */
static TC_RESULT put_report(struct tc_buf *b, const struct vf_tdx_report *r, bool v15)
{
	TC_GUARD(tc_buf_append(b, r->tee_tcb_svn, sizeof r->tee_tcb_svn));
	TC_GUARD(tc_buf_append(b, r->mrseam, sizeof r->mrseam));
	TC_GUARD(tc_buf_append(b, r->mrsignerseam, sizeof r->mrsignerseam));
	TC_GUARD(tc_buf_append(b, r->seam_attributes, sizeof r->seam_attributes));
	TC_GUARD(tc_buf_append(b, r->td_attributes, sizeof r->td_attributes));
	TC_GUARD(tc_buf_append(b, r->xfam, sizeof r->xfam));
	TC_GUARD(tc_buf_append(b, r->mrtd, sizeof r->mrtd));
	TC_GUARD(tc_buf_append(b, r->mrconfigid, sizeof r->mrconfigid));
	TC_GUARD(tc_buf_append(b, r->mrowner, sizeof r->mrowner));
	TC_GUARD(tc_buf_append(b, r->mrownerconfig, sizeof r->mrownerconfig));
	for (size_t i = 0; i < VF_TDX_RTMR_COUNT; i++)
		TC_GUARD(tc_buf_append(b, r->rtmr[i], sizeof r->rtmr[i]));
	TC_GUARD(tc_buf_append(b, r->report_data, sizeof r->report_data));
	if (v15) {
		TC_GUARD(tc_buf_append(b, r->tee_tcb_svn2, sizeof r->tee_tcb_svn2));
		TC_GUARD(tc_buf_append(b, r->mrservicetd, sizeof r->mrservicetd));
	}
	return tc_ok();
}

/* Header (DCAP API A.3.1 / A.4.1): version, key type, TEE type, QE SVN, PCE SVN, QE vendor ID, user data. */
static TC_RESULT put_header(struct tc_buf *b, const struct vf_tdx_sim_quote_opts *o)
{
	TC_GUARD(put_u16le(b, o->version));
	TC_GUARD(put_u16le(b, VF_TDX_ATT_KEY_ECDSA_P256));
	TC_GUARD(put_u32le(b, VF_TDX_TEE_TYPE_TDX));
	TC_GUARD(put_u16le(b, o->qe_isvsvn));
	TC_GUARD(put_u16le(b, VF_TDX_SIM_PCESVN));
	TC_GUARD(tc_buf_append(b, vf_tdx_sim_qe_vendor_id, VF_TDX_QE_VENDOR_ID_LEN));
	TC_GUARD(put_zeros(b, VF_TDX_USER_DATA_LEN));
	TC_ENSURE(b->len == VF_TDX_HEADER_LEN, TC_ERR_INTERNAL, "tdx sim: header is %zu bytes", b->len);
	return tc_ok();
}

/* SGX REPORT body of the QE at the offsets vf_tdx_quote.c reads. */
static TC_RESULT put_qe_report(struct tc_buf *b, const struct vf_tdx_sim_quote_opts *o,
			       const uint8_t ak_xy[VF_TDX_ECDSA_KEY_LEN], const uint8_t *auth, size_t auth_len)
{
	uint8_t cpusvn[VF_TDX_SVN_LEN], mrenclave[VF_TDX_SGX_HASH_LEN], mrsigner[VF_TDX_SGX_HASH_LEN];
	uint8_t bound[VF_TDX_ECDSA_KEY_LEN + VF_TDX_SIM_QE_AUTH_LEN], report_data[VF_TDX_REPORT_DATA_LEN] = { 0 };

	vf_tdx_sim_sgx_components(o->sgx_comp1, cpusvn);
	TC_GUARD(vf_tdx_sim_qe_mrenclave(mrenclave));
	TC_GUARD(vf_tdx_sim_qe_mrsigner(mrsigner));
	if (o->bad_qe_identity)
		mrsigner[0] ^= 0xff;
	/* REPORTDATA = SHA-256(attestation key || QE authentication data) || 32 zero bytes. */
	TC_ENSURE(auth_len <= VF_TDX_SIM_QE_AUTH_LEN, TC_ERR_INTERNAL, "tdx sim: QE auth data too long");
	memcpy(bound, ak_xy, VF_TDX_ECDSA_KEY_LEN);
	memcpy(bound + VF_TDX_ECDSA_KEY_LEN, auth, auth_len);
	if (o->bad_ak_binding)
		bound[0] ^= 0x01; /* bound to another key */
	TC_GUARD(vf_sha256(bound, VF_TDX_ECDSA_KEY_LEN + auth_len, report_data));

	size_t start = b->len;
	TC_GUARD(tc_buf_append(b, cpusvn, sizeof cpusvn));
	TC_GUARD(put_u32le(b, 0)); /* MISCSELECT */
	TC_GUARD(put_zeros(b, VF_TDX_QE_RESERVED1_LEN));
	TC_GUARD(tc_buf_append(b, vf_tdx_sim_qe_attributes, VF_TDX_SGX_ATTRIBUTES_LEN));
	TC_GUARD(tc_buf_append(b, mrenclave, sizeof mrenclave));
	TC_GUARD(put_zeros(b, VF_TDX_QE_RESERVED2_LEN));
	TC_GUARD(tc_buf_append(b, mrsigner, sizeof mrsigner));
	TC_GUARD(put_zeros(b, VF_TDX_QE_RESERVED3_LEN));
	TC_GUARD(put_u16le(b, VF_TDX_SIM_QE_PRODID));
	TC_GUARD(put_u16le(b, o->qe_isvsvn));
	TC_GUARD(put_zeros(b, VF_TDX_QE_RESERVED4_LEN));
	TC_GUARD(tc_buf_append(b, report_data, sizeof report_data));
	TC_ENSURE(b->len - start == VF_TDX_QE_REPORT_LEN, TC_ERR_INTERNAL, "tdx sim: QE report is %zu bytes",
		  b->len - start);
	return tc_ok();
}

/* PCK leaf || Platform CA || Root, PEM (certification data type 5). */
static TC_RESULT put_pck_chain(struct tc_buf *pem, const struct vf_tdx_sim_pki *pki, X509 *pck)
{
	TC_GUARD(vf_sim_cert_pem(pck, pem));
	TC_GUARD(vf_sim_cert_pem(pki->platform_ca, pem));
	return vf_sim_cert_pem(pki->root, pem);
}

/* Signature Data for key type 2: quote signature, attestation key, certification data type 6. */
static TC_RESULT put_signature_data(struct tc_buf *sig, const struct vf_tdx_sim_pki *pki,
				    const struct vf_tdx_sim_quote_opts *o, EVP_PKEY *ak,
				    const struct tc_buf *signed_part, const struct tc_buf *pem)
{
	uint8_t ak_xy[VF_TDX_ECDSA_KEY_LEN], quote_sig[VF_TDX_ECDSA_SIG_LEN], qe_sig[VF_TDX_ECDSA_SIG_LEN];
	uint8_t auth[VF_TDX_SIM_QE_AUTH_LEN];
	struct tc_result r = tc_ok();
	struct tc_buf qe;

	for (size_t i = 0; i < sizeof auth; i++)
		auth[i] = (uint8_t)i; /* Intel's QE emits 0x00..0x1f */
	tc_buf_init(&qe, TC_BUF_DEFAULT_MAX);
	TC_GUARD_GOTO(r, vf_tdx_sim_pubkey_xy(ak, ak_xy), out);
	TC_GUARD_GOTO(r, vf_tdx_sim_sign_raw(ak, signed_part->data, signed_part->len, quote_sig), out);
	if (o->bad_quote_sig)
		quote_sig[VF_TDX_ECDSA_SIG_LEN - 1] ^= 0x01;
	TC_GUARD_GOTO(r, put_qe_report(&qe, o, ak_xy, auth, sizeof auth), out);
	TC_GUARD_GOTO(r, vf_tdx_sim_sign_raw(pki->pck_key, qe.data, VF_TDX_QE_REPORT_LEN, qe_sig), out);
	if (o->bad_qe_sig)
		qe_sig[VF_TDX_ECDSA_SIG_LEN - 1] ^= 0x01;
	TC_GUARD_GOTO(r, tc_buf_append(&qe, qe_sig, sizeof qe_sig), out);
	TC_GUARD_GOTO(r, put_u16le(&qe, (uint16_t)sizeof auth), out);
	TC_GUARD_GOTO(r, tc_buf_append(&qe, auth, sizeof auth), out);
	TC_GUARD_GOTO(r, put_u16le(&qe, VF_TDX_CERT_PCK_CHAIN), out);
	TC_GUARD_GOTO(r, put_u32le(&qe, (uint32_t)pem->len), out);
	TC_GUARD_GOTO(r, tc_buf_append(&qe, pem->data, pem->len), out);

	TC_GUARD_GOTO(r, tc_buf_append(sig, quote_sig, sizeof quote_sig), out);
	TC_GUARD_GOTO(r, tc_buf_append(sig, ak_xy, sizeof ak_xy), out);
	TC_GUARD_GOTO(r, put_u16le(sig, VF_TDX_CERT_QE_REPORT), out);
	TC_GUARD_GOTO(r, put_u32le(sig, (uint32_t)qe.len), out);
	r = tc_buf_append(sig, qe.data, qe.len);
out:
	tc_buf_cleanup(&qe);
	return r;
}

static TC_RESULT build(const struct vf_tdx_sim_pki *pki, const struct vf_tdx_sim_quote_opts *o, EVP_PKEY *ak, X509 *pck,
		       struct tc_buf *q, struct tc_buf *sig, struct tc_buf *pem)
{
	struct vf_tdx_report report = o->report;
	bool v5 = o->version == VF_TDX_QUOTE_V5;
	bool v15 = v5 && o->body_type == VF_TDX_BODY_TD_REPORT15;

	if (o->wrong_report_data)
		report.report_data[0] ^= 0xff;
	TC_GUARD(put_header(q, o));
	if (v5) {
		/* v5 TD Quote Body Descriptor (A.4.2). An unknown type gets the TDX 1.0 body. */
		TC_GUARD(put_u16le(q, o->body_type));
		TC_GUARD(put_u32le(q, v15 ? VF_TDX_TD_REPORT15_LEN : VF_TDX_TD_REPORT10_LEN));
	}
	size_t body_start = q->len;
	TC_GUARD(put_report(q, &report, v15));
	TC_ENSURE(q->len - body_start == (v15 ? VF_TDX_TD_REPORT15_LEN : VF_TDX_TD_REPORT10_LEN), TC_ERR_INTERNAL,
		  "tdx sim: TD report is %zu bytes", q->len - body_start);
	TC_GUARD(put_pck_chain(pem, pki, pck));
	TC_GUARD(put_signature_data(sig, pki, o, ak, q, pem));
	TC_GUARD(put_u32le(q, (uint32_t)sig->len));
	return tc_buf_append(q, sig->data, sig->len);
}

TC_RESULT vf_tdx_sim_quote(const struct vf_tdx_sim_pki *pki, const struct vf_tdx_sim_quote_opts *o, struct tc_buf *out)
{
	struct tc_result r = tc_ok();
	struct tc_buf q, sig, pem;
	EVP_PKEY *ak = NULL;
	X509 *pck = NULL;

	tc_buf_init(&q, TC_BUF_DEFAULT_MAX);
	tc_buf_init(&sig, TC_BUF_DEFAULT_MAX);
	tc_buf_init(&pem, TC_BUF_DEFAULT_MAX);
	if (o->ak != NULL || o->ak_from_keys) {
		EVP_PKEY *use = o->ak != NULL ? o->ak : pki->ak_key;

		TC_ENSURE_GOTO(r, EVP_PKEY_up_ref(use) == 1, out, TC_ERR_CRYPTO, "attestation key");
		ak = use;
	} else {
		TC_GUARD_GOTO(r, vf_sim_key_new("P-256", &ak), out);
	}
	if (o->pck != NULL) {
		TC_ENSURE_GOTO(r, X509_up_ref(o->pck) == 1, out, TC_ERR_CRYPTO, "PCK certificate");
		pck = o->pck;
	} else {
		TC_GUARD_GOTO(r, vf_tdx_sim_pck_issue(pki, o, &pck), out);
	}
	TC_GUARD_GOTO(r, build(pki, o, ak, pck, &q, &sig, &pem), out);
	/* --truncate keeps the first bytes only; --trailing appends zero bytes after the declared end. */
	TC_GUARD_GOTO(r, tc_buf_append(out, q.data, o->truncate > 0 && o->truncate < q.len ? o->truncate : q.len), out);
	r = put_zeros(out, o->trailing);
out:
	X509_free(pck);
	EVP_PKEY_free(ak);
	tc_buf_cleanup(&q);
	tc_buf_cleanup(&sig);
	tc_buf_cleanup(&pem);
	return r;
}
