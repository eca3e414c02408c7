/*
 * vf_nvidia_ocsp.c — RFC 6960 OCSP for the GPU device chain and the RIM signer chains.
 *
 * NVIDIA's verifiers (nvtrust cc_admin_utils.ocsp_certificate_chain_validation) ask for every certificate
 * of a chain except the root — for GPU chains also except the FMC leaf — with a SHA-384 CertID and a nonce
 * extension. Here: vf_ocsp_request builds that DER request (RFC 6960 §4.1.1, nonce §4.4.1);
 * vf_ocsp_check verifies a DER response given as collateral (§3.2 "Signed Response Acceptance
 * Requirements"): successful status, a BasicOCSPResponse signed by the issuer itself or by a responder
 * certificate the issuer issued with id-kp-OCSPSigning (§4.2.2.2), valid at the verification time,
 * thisUpdate/nextUpdate around it (§4.2.2.1), and the nonce when the caller knows it.
 */
#include <string.h>

#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "vf_nvidia.h"

#define VF_OCSP_SKEW_SECONDS 300 /* clock skew tolerated on thisUpdate (RFC 6960 §4.2.2.1) */

TC_RESULT vf_ocsp_request(X509 *cert, X509 *issuer, const uint8_t *nonce, size_t nonce_len, struct tc_buf *out)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha384(), cert, issuer);
	unsigned char *der = NULL;
	struct tc_result r = tc_ok();
	int der_len;

	TC_ENSURE_GOTO(r, req != NULL && id != NULL, out, TC_ERR_CRYPTO, "OCSP: cannot build the CertID");
	TC_ENSURE_GOTO(r, OCSP_request_add0_id(req, id) != NULL, out, TC_ERR_CRYPTO, "OCSP: cannot add the CertID");
	id = NULL; /* owned by REQ */
	if (nonce != NULL)
		TC_ENSURE_GOTO(r, nonce_len > 0 && OCSP_request_add1_nonce(req, (unsigned char *)nonce, (int)nonce_len) == 1,
			       out, TC_ERR_CRYPTO, "OCSP: cannot add the nonce");
	der_len = i2d_OCSP_REQUEST(req, &der);
	TC_ENSURE_GOTO(r, der_len > 0, out, TC_ERR_CRYPTO, "OCSP: cannot encode the request");
	r = tc_buf_append(out, der, (size_t)der_len);
out:
	if (r.code == TC_ERR_CRYPTO)
		r = tc_fail_openssl(TC_ERR_CRYPTO, tc_error_detail());
	OPENSSL_free(der);
	OCSP_CERTID_free(id);
	OCSP_REQUEST_free(req);
	return r;
}

/* The single response about CERT (any CertID hash algorithm), or NULL. */
static OCSP_SINGLERESP *vf_ocsp_find(OCSP_BASICRESP *bs, X509 *cert, X509 *issuer)
{
	for (int i = 0; i < OCSP_resp_count(bs); i++) {
		OCSP_SINGLERESP *single = OCSP_resp_get0(bs, i);
		const OCSP_CERTID *cid = OCSP_SINGLERESP_get0_id(single);
		ASN1_OBJECT *md_oid = NULL;
		const EVP_MD *md;
		OCSP_CERTID *mine;
		bool same;

		if (OCSP_id_get0_info(NULL, &md_oid, NULL, NULL, (OCSP_CERTID *)cid) != 1)
			continue;
		md = EVP_get_digestbyobj(md_oid);
		if (md == NULL)
			continue;
		mine = OCSP_cert_to_id(md, cert, issuer);
		same = mine != NULL && OCSP_id_cmp(mine, cid) == 0;
		OCSP_CERTID_free(mine);
		if (same)
			return single;
	}
	return NULL;
}

static TC_RESULT vf_ocsp_time_ok(const ASN1_TIME *t, const char *what, int64_t *out)
{
	TC_ENSURE(t != NULL && tc_is_ok(vf_asn1_time_to_unix(t, out)), TC_ERR_COLLATERAL_SIGNATURE_INVALID,
		  "OCSP: unreadable %s", what);
	return tc_ok();
}

/* RFC 6960 §4.2.2.2: the issuer itself, or a delegated responder it issued for OCSP signing. */
static TC_RESULT vf_ocsp_signer(OCSP_BASICRESP *bs, X509 *issuer, int64_t now)
{
	STACK_OF(X509) *extra = sk_X509_new_null();
	X509 *signer = NULL;
	EVP_PKEY *issuer_key = X509_get0_pubkey(issuer);
	struct tc_result r = tc_ok();
	int64_t nb, na;

	TC_ENSURE_GOTO(r, extra != NULL && sk_X509_push(extra, issuer) > 0, out, TC_ERR_NO_MEMORY, "out of memory");
	TC_ENSURE_GOTO(r, OCSP_resp_get0_signer(bs, &signer, extra) == 1 && signer != NULL, out,
		       TC_ERR_COLLATERAL_SIGNATURE_INVALID, "OCSP: the responder certificate is not in the response");
	if (X509_cmp(signer, issuer) != 0) {
		TC_ENSURE_GOTO(r, issuer_key != NULL && X509_check_issued(issuer, signer) == X509_V_OK &&
					  X509_verify(signer, issuer_key) == 1,
			       out, TC_ERR_COLLATERAL_SIGNATURE_INVALID,
			       "OCSP: the responder certificate is not issued by the certificate's issuer");
		TC_ENSURE_GOTO(r, (X509_get_extension_flags(signer) & EXFLAG_XKUSAGE) &&
					  (X509_get_extended_key_usage(signer) & XKU_OCSP_SIGN),
			       out, TC_ERR_COLLATERAL_SIGNATURE_INVALID,
			       "OCSP: the responder certificate lacks id-kp-OCSPSigning");
		TC_GUARD_GOTO(r, vf_ocsp_time_ok(X509_get0_notBefore(signer), "responder notBefore", &nb), out);
		TC_GUARD_GOTO(r, vf_ocsp_time_ok(X509_get0_notAfter(signer), "responder notAfter", &na), out);
		TC_ENSURE_GOTO(r, nb <= now && now <= na, out, TC_ERR_CERT_EXPIRED,
			       "OCSP: the responder certificate is not valid at the verification time");
	}
	/* Only the signature: the signer was accepted above (OCSP_NOVERIFY), and only that signer is used. */
	sk_X509_zero(extra);
	TC_ENSURE_GOTO(r, sk_X509_push(extra, signer) > 0, out, TC_ERR_NO_MEMORY, "out of memory");
	TC_ENSURE_GOTO(r, OCSP_basic_verify(bs, extra, NULL, OCSP_NOVERIFY | OCSP_NOINTERN) == 1, out,
		       TC_ERR_COLLATERAL_SIGNATURE_INVALID, "OCSP: the response signature does not verify");
out:
	sk_X509_free(extra);
	tc_openssl_clear();
	return r;
}

/* The nonce extension carries the nonce as a DER OCTET STRING (what OCSP_request_add1_nonce writes). */
static TC_RESULT vf_ocsp_nonce(OCSP_BASICRESP *bs, const uint8_t *nonce, size_t nonce_len)
{
	int at = OCSP_BASICRESP_get_ext_by_NID(bs, NID_id_pkix_OCSP_Nonce, -1);
	const ASN1_OCTET_STRING *v;
	const uint8_t *p;
	size_t n;

	TC_ENSURE(at >= 0, TC_ERR_NONCE_MISMATCH, "OCSP: the response has no nonce");
	v = X509_EXTENSION_get_data(OCSP_BASICRESP_get_ext(bs, at));
	p = ASN1_STRING_get0_data(v);
	n = (size_t)ASN1_STRING_length(v);
	TC_ENSURE(nonce_len < 128 && n == nonce_len + 2 && p[0] == 0x04 && p[1] == nonce_len &&
			  memcmp(p + 2, nonce, nonce_len) == 0,
		  TC_ERR_NONCE_MISMATCH, "OCSP: the response nonce differs from the request's");
	return tc_ok();
}

TC_RESULT vf_ocsp_check(const uint8_t *der, size_t len, X509 *cert, X509 *issuer, int64_t now,
			const uint8_t *nonce, size_t nonce_len, enum vf_ocsp_status *status)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *bs = NULL;
	OCSP_SINGLERESP *single;
	ASN1_GENERALIZEDTIME *this_upd = NULL, *next_upd = NULL, *rev_time = NULL;
	struct tc_result r = tc_ok();
	int reason = -1, st, rs;
	int64_t t_this, t_next;

	TC_ENSURE(len > 0 && len <= VF_OCSP_MAX_BYTES, TC_ERR_COLLATERAL_SIGNATURE_INVALID,
		  "OCSP response of %zu bytes", len);
	resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	TC_ENSURE_GOTO(r, resp != NULL && p == der + len, out, TC_ERR_COLLATERAL_SIGNATURE_INVALID,
		       "OCSP response is not one DER OCSPResponse");
	rs = OCSP_response_status(resp);
	TC_ENSURE_GOTO(r, rs == OCSP_RESPONSE_STATUS_SUCCESSFUL, out, TC_ERR_COLLATERAL_SIGNATURE_INVALID,
		       "OCSP responseStatus %d (%s)", rs, OCSP_response_status_str(rs));
	bs = OCSP_response_get1_basic(resp);
	TC_ENSURE_GOTO(r, bs != NULL, out, TC_ERR_COLLATERAL_SIGNATURE_INVALID, "OCSP response is not basic");
	single = vf_ocsp_find(bs, cert, issuer);
	if (single == NULL) {
		*status = VF_OCSP_NO_RESPONSE;
		goto out;
	}
	TC_GUARD_GOTO(r, vf_ocsp_signer(bs, issuer, now), out);
	if (nonce != NULL)
		TC_GUARD_GOTO(r, vf_ocsp_nonce(bs, nonce, nonce_len), out);
	st = OCSP_single_get0_status(single, &reason, &rev_time, &this_upd, &next_upd);
	TC_GUARD_GOTO(r, vf_ocsp_time_ok(this_upd, "thisUpdate", &t_this), out);
	TC_ENSURE_GOTO(r, t_this <= now + VF_OCSP_SKEW_SECONDS, out, TC_ERR_COLLATERAL_EXPIRED,
		       "OCSP: thisUpdate is after the verification time");
	if (next_upd != NULL) {
		TC_GUARD_GOTO(r, vf_ocsp_time_ok(next_upd, "nextUpdate", &t_next), out);
		TC_ENSURE_GOTO(r, now < t_next, out, TC_ERR_COLLATERAL_EXPIRED,
			       "OCSP: nextUpdate is before the verification time (stale response)");
	}
	switch (st) {
	case V_OCSP_CERTSTATUS_GOOD:
		*status = VF_OCSP_GOOD;
		break;
	case V_OCSP_CERTSTATUS_REVOKED:
		*status = reason == OCSP_REVOKED_STATUS_CERTIFICATEHOLD ? VF_OCSP_ON_HOLD : VF_OCSP_REVOKED;
		break;
	default:
		*status = VF_OCSP_UNKNOWN;
		break;
	}
out:
	tc_openssl_clear();
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	return r;
}
