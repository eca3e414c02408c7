/*
 * vf_tdx_quote.c — TDX quote v4 / v5 parser.
 *
 * Layout per "Intel TDX DCAP Quoting Library API" (Appendix A, "Quote Format"):
 *   v4: Header (48) | TD Quote Body (584) | Signature Data Length u32 | Signature Data
 *   v5: Header (48) | Body Type u16 | Body Size u32 | Body (584: type 2 TDX 1.0, 648: type 3 TDX 1.5)
 *       | Signature Data Length u32 | Signature Data
 *   Signature Data (key type 2): Quote Signature (64, r||s) | ECDSA Attestation Key (64, x||y) |
 *       Certification Data: type u16 = 6, size u32, QE Report Certification Data:
 *         QE Report (384) | QE Report Signature (64) | QE Authentication Data: size u16, data |
 *         Certification Data: type u16 = 5, size u32, PCK certificate chain (PEM)
 * The quote signature covers everything before the Signature Data Length field. Every nested size must
 * account for its bytes exactly; bytes after the declared end of the quote are ignored (trailing bytes).
 * All reads go through struct tc_cursor (STYLE.md point 6).
 */
#include <string.h>

#include "vf_tdx.h"

/* Map a cursor failure (TC_ERR_TRUNCATED) to evidence_malformed naming the field. */
static struct tc_result malformed(const char *field, const struct tc_cursor *c)
{
	return tc_fail(TC_ERR_EVIDENCE_MALFORMED, "tdx quote: %s truncated at offset %zu (%zu bytes left)", field,
		       tc_cursor_pos(c), tc_cursor_remaining(c));
}

#define READ(expr, field, c)                                                                               \
	do {                                                                                               \
		if (!tc_is_ok(expr))                                                                       \
			return malformed((field), (c));                                                    \
	} while (0)

/* TD report fields in quote body order (TDX module ABI TDREPORT_STRUCT / DCAP API Table "TD Quote Body"). */
static TC_RESULT parse_report(struct tc_cursor *c, bool v15, struct vf_tdx_report *r)
{
	READ(tc_cursor_copy(c, r->tee_tcb_svn, sizeof r->tee_tcb_svn), "TEE_TCB_SVN", c);
	READ(tc_cursor_copy(c, r->mrseam, sizeof r->mrseam), "MRSEAM", c);
	READ(tc_cursor_copy(c, r->mrsignerseam, sizeof r->mrsignerseam), "MRSIGNERSEAM", c);
	READ(tc_cursor_copy(c, r->seam_attributes, sizeof r->seam_attributes), "SEAMATTRIBUTES", c);
	READ(tc_cursor_copy(c, r->td_attributes, sizeof r->td_attributes), "TDATTRIBUTES", c);
	READ(tc_cursor_copy(c, r->xfam, sizeof r->xfam), "XFAM", c);
	READ(tc_cursor_copy(c, r->mrtd, sizeof r->mrtd), "MRTD", c);
	READ(tc_cursor_copy(c, r->mrconfigid, sizeof r->mrconfigid), "MRCONFIGID", c);
	READ(tc_cursor_copy(c, r->mrowner, sizeof r->mrowner), "MROWNER", c);
	READ(tc_cursor_copy(c, r->mrownerconfig, sizeof r->mrownerconfig), "MROWNERCONFIG", c);
	for (size_t i = 0; i < VF_TDX_RTMR_COUNT; i++)
		READ(tc_cursor_copy(c, r->rtmr[i], sizeof r->rtmr[i]), "RTMR", c);
	READ(tc_cursor_copy(c, r->report_data, sizeof r->report_data), "REPORTDATA", c);
	r->is_v15 = v15;
	if (v15) {
		READ(tc_cursor_copy(c, r->tee_tcb_svn2, sizeof r->tee_tcb_svn2), "TEE_TCB_SVN2", c);
		READ(tc_cursor_copy(c, r->mrservicetd, sizeof r->mrservicetd), "MRSERVICETD", c);
	}
	return tc_ok();
}

/* SGX REPORT body (SGX Developer Reference "REPORT"): offsets 0 CPUSVN, 16 MISCSELECT, 48 ATTRIBUTES,
 * 64 MRENCLAVE, 128 MRSIGNER, 256 ISVPRODID, 258 ISVSVN, 320 REPORTDATA. */
static TC_RESULT parse_qe_report(const uint8_t *raw, struct vf_tdx_qe_report *r)
{
	struct tc_cursor c;
	tc_cursor_init(&c, raw, VF_TDX_QE_REPORT_LEN);
	READ(tc_cursor_copy(&c, r->cpusvn, sizeof r->cpusvn), "QE report CPUSVN", &c);
	READ(tc_cursor_u32le(&c, &r->miscselect), "QE report MISCSELECT", &c);
	READ(tc_cursor_skip(&c, VF_TDX_QE_RESERVED1_LEN), "QE report reserved", &c);
	READ(tc_cursor_copy(&c, r->attributes, sizeof r->attributes), "QE report ATTRIBUTES", &c);
	READ(tc_cursor_copy(&c, r->mrenclave, sizeof r->mrenclave), "QE report MRENCLAVE", &c);
	READ(tc_cursor_skip(&c, VF_TDX_QE_RESERVED2_LEN), "QE report reserved", &c);
	READ(tc_cursor_copy(&c, r->mrsigner, sizeof r->mrsigner), "QE report MRSIGNER", &c);
	READ(tc_cursor_skip(&c, VF_TDX_QE_RESERVED3_LEN), "QE report reserved", &c);
	READ(tc_cursor_u16le(&c, &r->isvprodid), "QE report ISVPRODID", &c);
	READ(tc_cursor_u16le(&c, &r->isvsvn), "QE report ISVSVN", &c);
	READ(tc_cursor_skip(&c, VF_TDX_QE_RESERVED4_LEN), "QE report reserved", &c);
	READ(tc_cursor_copy(&c, r->report_data, sizeof r->report_data), "QE report REPORTDATA", &c);
	return tc_ok();
}

/* The QE Report Certification Data (certification data type 6) must be consumed exactly. */
static TC_RESULT parse_qe_cert_data(struct tc_cursor *c, struct vf_tdx_quote *q)
{
	uint16_t auth_len, inner_type;
	uint32_t inner_len;

	READ(tc_cursor_view(c, VF_TDX_QE_REPORT_LEN, &q->qe_report_raw), "QE report", c);
	TC_GUARD(parse_qe_report(q->qe_report_raw, &q->qe_report));
	READ(tc_cursor_view(c, VF_TDX_ECDSA_SIG_LEN, &q->qe_report_sig), "QE report signature", c);
	READ(tc_cursor_u16le(c, &auth_len), "QE authentication data size", c);
	TC_ENSURE(auth_len <= VF_TDX_QE_AUTH_MAX, TC_ERR_EVIDENCE_MALFORMED,
		  "tdx quote: QE authentication data size %u exceeds %d", auth_len, VF_TDX_QE_AUTH_MAX);
	READ(tc_cursor_view(c, auth_len, &q->qe_auth), "QE authentication data", c);
	q->qe_auth_len = auth_len;
	READ(tc_cursor_u16le(c, &inner_type), "PCK certification data type", c);
	TC_ENSURE(inner_type == VF_TDX_CERT_PCK_CHAIN, TC_ERR_EVIDENCE_UNSUPPORTED_VERSION,
		  "tdx quote: QE certification data type %u is not supported (only 5, PCK certificate chain)",
		  inner_type);
	READ(tc_cursor_u32le(c, &inner_len), "PCK certification data size", c);
	TC_ENSURE(inner_len == tc_cursor_remaining(c), TC_ERR_EVIDENCE_MALFORMED,
		  "tdx quote: PCK certification data size %u does not match the %zu bytes left in the QE "
		  "certification data",
		  inner_len, tc_cursor_remaining(c));
	READ(tc_cursor_view(c, inner_len, &q->pck_pem), "PCK certificate chain", c);
	q->pck_pem_len = inner_len;
	return tc_ok();
}

/* Signature Data for attestation key type 2 (ECDSA-256-with-P-256), consumed exactly. */
static TC_RESULT parse_signature_data(struct tc_cursor *c, struct vf_tdx_quote *q)
{
	uint16_t cert_type;
	uint32_t cert_len;
	struct tc_cursor qe;

	READ(tc_cursor_view(c, VF_TDX_ECDSA_SIG_LEN, &q->signature), "quote signature", c);
	READ(tc_cursor_view(c, VF_TDX_ECDSA_KEY_LEN, &q->att_key), "attestation key", c);
	READ(tc_cursor_u16le(c, &cert_type), "certification data type", c);
	TC_ENSURE(cert_type == VF_TDX_CERT_QE_REPORT, TC_ERR_EVIDENCE_UNSUPPORTED_VERSION,
		  "tdx quote: certification data type %u is not supported (only 6, QE report certification data)",
		  cert_type);
	READ(tc_cursor_u32le(c, &cert_len), "certification data size", c);
	TC_ENSURE(cert_len == tc_cursor_remaining(c), TC_ERR_EVIDENCE_MALFORMED,
		  "tdx quote: certification data size %u does not match the %zu bytes left in the signature data",
		  cert_len, tc_cursor_remaining(c));
	READ(tc_cursor_sub(c, cert_len, &qe), "certification data", c);
	return parse_qe_cert_data(&qe, q);
}

TC_RESULT vf_tdx_quote_parse(const uint8_t *data, size_t len, struct vf_tdx_quote *out)
{
	struct vf_tdx_quote q;
	struct tc_cursor c, sig;
	uint16_t reserved16;
	uint32_t body_len = VF_TDX_TD_REPORT10_LEN, sig_len;

	memset(&q, 0, sizeof q);
	TC_ENSURE(data != NULL || len == 0, TC_ERR_INVALID_ARGUMENT, "tdx quote: no data");
	tc_cursor_init(&c, data, len);

	/* Header (DCAP API A.3.1 / A.4.1): version, attestation key type, TEE type, 2 reserved u16 (QE SVN,
	 * PCE SVN in v3), QE vendor ID, user data. */
	READ(tc_cursor_u16le(&c, &q.version), "header version", &c);
	TC_ENSURE(q.version == VF_TDX_QUOTE_V4 || q.version == VF_TDX_QUOTE_V5, TC_ERR_EVIDENCE_UNSUPPORTED_VERSION,
		  "tdx quote: version %u is not supported (4 or 5)", q.version);
	READ(tc_cursor_u16le(&c, &q.att_key_type), "header attestation key type", &c);
	TC_ENSURE(q.att_key_type == VF_TDX_ATT_KEY_ECDSA_P256, TC_ERR_EVIDENCE_UNSUPPORTED_VERSION,
		  "tdx quote: attestation key type %u is not supported (only 2, ECDSA-256-with-P-256)",
		  q.att_key_type);
	READ(tc_cursor_u32le(&c, &q.tee_type), "header TEE type", &c);
	TC_ENSURE(q.tee_type == VF_TDX_TEE_TYPE_TDX, TC_ERR_EVIDENCE_UNSUPPORTED_VERSION,
		  "tdx quote: TEE type 0x%08x is not supported (only 0x81, TDX)", q.tee_type);
	READ(tc_cursor_u16le(&c, &reserved16), "header reserved", &c);
	READ(tc_cursor_u16le(&c, &reserved16), "header reserved", &c);
	READ(tc_cursor_view(&c, VF_TDX_QE_VENDOR_ID_LEN, &q.qe_vendor_id), "header QE vendor ID", &c);
	READ(tc_cursor_skip(&c, VF_TDX_USER_DATA_LEN), "header user data", &c);

	q.body_type = VF_TDX_BODY_TD_REPORT10;
	if (q.version == VF_TDX_QUOTE_V5) {
		/* v5 TD Quote Body Descriptor (A.4.2): type u16, size u32. */
		READ(tc_cursor_u16le(&c, &q.body_type), "body type", &c);
		READ(tc_cursor_u32le(&c, &body_len), "body size", &c);
		TC_ENSURE(q.body_type == VF_TDX_BODY_TD_REPORT10 || q.body_type == VF_TDX_BODY_TD_REPORT15,
			  TC_ERR_EVIDENCE_UNSUPPORTED_VERSION,
			  "tdx quote: v5 body type %u is not supported (2 TDX 1.0, 3 TDX 1.5)", q.body_type);
		uint32_t want = q.body_type == VF_TDX_BODY_TD_REPORT15 ? VF_TDX_TD_REPORT15_LEN : VF_TDX_TD_REPORT10_LEN;
		TC_ENSURE(body_len == want, TC_ERR_EVIDENCE_MALFORMED,
			  "tdx quote: v5 body size %u does not match body type %u (%u bytes)", body_len, q.body_type,
			  want);
	}
	TC_GUARD(parse_report(&c, q.body_type == VF_TDX_BODY_TD_REPORT15, &q.report));
	q.signed_data = data;
	q.signed_len = tc_cursor_pos(&c);

	READ(tc_cursor_u32le(&c, &sig_len), "signature data length", &c);
	TC_ENSURE(sig_len <= tc_cursor_remaining(&c), TC_ERR_EVIDENCE_MALFORMED,
		  "tdx quote: signature data length %u exceeds the %zu bytes left", sig_len, tc_cursor_remaining(&c));
	READ(tc_cursor_sub(&c, sig_len, &sig), "signature data", &c);
	TC_GUARD(parse_signature_data(&sig, &q));
	q.quote_len = tc_cursor_pos(&c);
	*out = q;
	return tc_ok();
}
