/*
 * ca_ocsp.c — OCSP responder core (RFC 6960). The request is parsed by OpenSSL (d2i_OCSP_REQUEST, size
 * limited, no trailing bytes); the response is built with the DER writer and signed through the signer:
 *   OCSPResponse      §4.2.1  { responseStatus, responseBytes [0] { id-pkix-ocsp-basic, BasicOCSPResponse } }
 *   BasicOCSPResponse §4.2.1  { tbsResponseData, signatureAlgorithm, signature, certs [0] (delegated only) }
 *   ResponseData      §4.2.1  { responderID byKey [2] (SHA-1 of the signer's key), producedAt, responses,
 *                               responseExtensions [1] { nonce, echoed as received (§4.4.1, RFC 8954) } }
 * Status per CertID: issuer name/key hashes (SHA-1, SHA-256/384/512) compared with the CA's; a CertID of
 * another CA is "unknown"; a request with none of ours is unauthorized (§2.3); malformed input yields
 * malformedRequest. Lookup failures give tryLater (database down) or internalError.
 */
#include "ca_internal.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#define OCSP_SUCCESSFUL 0
#define OCSP_MALFORMED 1
#define OCSP_INTERNAL_ERROR 2
#define OCSP_TRY_LATER 3
#define OCSP_UNAUTHORIZED 6

/* OCSPResponse without responseBytes. */
static TC_RESULT status_only(int status, struct tc_buf *out, struct ca_ocsp_result *res)
{
	struct ca_der w;

	res->response_status = status;
	ca_der_init(&w, out);
	ca_der_begin(&w, CA_DER_SEQUENCE);
	ca_der_uint(&w, CA_DER_ENUMERATED, (uint64_t)status);
	ca_der_end(&w);
	return ca_der_finish(&w);
}

struct ca_hashes {
	int nid;
	uint8_t name[EVP_MAX_MD_SIZE], key[EVP_MAX_MD_SIZE];
	unsigned name_len, key_len;
};

/* Issuer name and key hashes of CA for the CertID's hash algorithm (false: algorithm not supported). */
static bool ca_hashes_for(X509 *ca, int nid, struct ca_hashes *cache, size_t n_cache)
{
	const EVP_MD *md = nid == NID_sha1 ? EVP_sha1() : nid == NID_sha256 ? EVP_sha256() : nid == NID_sha384 ? EVP_sha384() : nid == NID_sha512 ? EVP_sha512() : NULL;

	for (size_t i = 0; i < n_cache; i++) {
		if (cache[i].nid == nid)
			return true;
		if (cache[i].nid != NID_undef)
			continue;
		if (md == NULL || !X509_NAME_digest(X509_get_subject_name(ca), md, cache[i].name, &cache[i].name_len) ||
		    !X509_pubkey_digest(ca, md, cache[i].key, &cache[i].key_len)) {
			tc_openssl_clear();
			return false;
		}
		cache[i].nid = nid;
		return true;
	}
	return false;
}

static const struct ca_hashes *ca_hashes_get(const struct ca_hashes *cache, size_t n, int nid)
{
	for (size_t i = 0; i < n; i++)
		if (cache[i].nid == nid)
			return &cache[i];
	return NULL;
}

/*
 * The request nonce's extnValue EXT is the DER of Nonce ::= OCTET STRING (SIZE(1..128)) (RFC 9654 §2.1): one
 * OCTET STRING, nothing after it, 1 to CA_OCSP_NONCE_MAX octets. It is echoed byte for byte when valid.
 */
static bool nonce_valid(const ASN1_OCTET_STRING *ext)
{
	const unsigned char *p = ASN1_STRING_get0_data(ext);
	long len = ASN1_STRING_length(ext);
	ASN1_OCTET_STRING *inner = d2i_ASN1_OCTET_STRING(NULL, &p, len);
	bool ok = inner != NULL && p == ASN1_STRING_get0_data(ext) + len && ASN1_STRING_length(inner) >= 1 &&
		  ASN1_STRING_length(inner) <= CA_OCSP_NONCE_MAX;
	ASN1_OCTET_STRING_free(inner);
	if (!ok)
		tc_openssl_clear();
	return ok;
}

/* One SingleResponse for CID (§4.2.1). *OURS is set when the CertID names this CA. */
static TC_RESULT single_response(const struct ca_ocsp_responder *rs, X509 *ca, struct ca_hashes *cache,
				 size_t n_cache, OCSP_CERTID *cid, int64_t now, struct ca_der *w, bool *ours,
				 int *fail_status)
{
	ASN1_OCTET_STRING *name_hash = NULL, *key_hash = NULL;
	ASN1_OBJECT *md_obj = NULL;
	ASN1_INTEGER *serial = NULL;
	unsigned char *cid_der = NULL;
	int cid_len;
	struct ca_ocsp_status st = { CA_OCSP_UNKNOWN, 0, CA_REASON_NONE };
	const struct ca_hashes *h;
	int nid;

	*ours = false;
	if (!OCSP_id_get0_info(&name_hash, &md_obj, &key_hash, &serial, cid)) {
		*fail_status = OCSP_MALFORMED;
		return tc_ok();
	}
	nid = OBJ_obj2nid(md_obj);
	if (ca_hashes_for(ca, nid, cache, n_cache) && (h = ca_hashes_get(cache, n_cache, nid)) != NULL &&
	    (unsigned)ASN1_STRING_length(name_hash) == h->name_len &&
	    memcmp(ASN1_STRING_get0_data(name_hash), h->name, h->name_len) == 0 &&
	    (unsigned)ASN1_STRING_length(key_hash) == h->key_len &&
	    memcmp(ASN1_STRING_get0_data(key_hash), h->key, h->key_len) == 0) {
		*ours = true;
		if (ASN1_STRING_type(serial) == V_ASN1_INTEGER && ASN1_STRING_length(serial) >= 1 &&
		    ASN1_STRING_length(serial) <= CA_SERIAL_MAX) {
			struct tc_result lr = rs->lookup(rs->lookup_ctx, ASN1_STRING_get0_data(serial),
							 (size_t)ASN1_STRING_length(serial), &st);

			if (!tc_is_ok(lr)) {
				tc_log(TC_LOG_ERROR, "ocsp_lookup_failed", "%s", tc_error_detail());
				*fail_status = lr.code == TC_ERR_DB_UNAVAILABLE ? OCSP_TRY_LATER : OCSP_INTERNAL_ERROR;
				return tc_ok();
			}
		}
	}
	cid_len = i2d_OCSP_CERTID(cid, &cid_der);
	if (cid_len <= 0)
		return tc_fail_openssl(TC_ERR_CRYPTO, "re-encoding a CertID");
	/* The CertID is echoed as OpenSSL re-encodes it, and that is not always DER a client can read: hash
	 * parameters of tag 0 ("00 00") decode, but their re-encoding does not (found by fuzz_ca_ocsp). */
	const unsigned char *back = cid_der;
	OCSP_CERTID *again = d2i_OCSP_CERTID(NULL, &back, cid_len);
	bool readable = again != NULL && back == cid_der + cid_len;
	OCSP_CERTID_free(again);
	if (!readable) {
		tc_openssl_clear();
		OPENSSL_free(cid_der);
		*fail_status = OCSP_MALFORMED;
		return tc_ok();
	}
	ca_der_begin(w, CA_DER_SEQUENCE);
	ca_der_raw(w, cid_der, (size_t)cid_len);
	OPENSSL_free(cid_der);
	switch (st.status) {
	case CA_OCSP_GOOD:
		ca_der_tlv(w, CA_DER_CTX(0), NULL, 0); /* good [0] IMPLICIT NULL */
		break;
	case CA_OCSP_REVOKED:
		ca_der_begin(w, CA_DER_CTX_CONS(1)); /* revoked [1] IMPLICIT RevokedInfo */
		ca_der_time(w, st.revoked_at, true);
		if (st.reason != CA_REASON_NONE) {
			ca_der_begin(w, CA_DER_CTX_CONS(0)); /* revocationReason [0] EXPLICIT CRLReason */
			ca_der_uint(w, CA_DER_ENUMERATED, (uint64_t)st.reason);
			ca_der_end(w);
		}
		ca_der_end(w);
		break;
	default:
		ca_der_tlv(w, CA_DER_CTX(2), NULL, 0); /* unknown [2] IMPLICIT UnknownInfo (NULL) */
		break;
	}
	ca_der_time(w, now, true); /* thisUpdate */
	if (rs->validity_s > 0) {
		ca_der_begin(w, CA_DER_CTX_CONS(0));
		ca_der_time(w, now + rs->validity_s, true);
		ca_der_end(w);
	}
	ca_der_end(w);
	return tc_ok();
}

/* The delegated responder certificate must carry id-kp-OCSPSigning (§4.2.2.2) and hold the signer's key. */
static TC_RESULT check_delegate(const struct ca_ocsp_responder *rs, X509 *ca, const struct tc_buf *spki)
{
	X509 *d = NULL;
	unsigned char *der = NULL;
	int n;
	struct tc_result r = tc_ok();

	TC_GUARD(ca_x509_from_der(rs->responder_cert_der, rs->responder_cert_len, &d));
	TC_ENSURE_GOTO(r, (X509_get_extension_flags(d) & EXFLAG_XKUSAGE) && (X509_get_extended_key_usage(d) & XKU_OCSP_SIGN),
		       out, TC_ERR_INVALID_ARGUMENT, "the responder certificate lacks id-kp-OCSPSigning");
	TC_ENSURE_GOTO(r, X509_check_issued(ca, d) == X509_V_OK, out, TC_ERR_INVALID_ARGUMENT,
		       "the responder certificate is not issued by the CA");
	n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(d), &der);
	TC_ENSURE_GOTO(r, n > 0 && (size_t)n == spki->len && memcmp(der, spki->data, spki->len) == 0, out,
		       TC_ERR_INVALID_ARGUMENT, "the responder certificate does not hold the signer's key");
out:
	tc_openssl_clear();
	OPENSSL_free(der);
	X509_free(d);
	return r;
}

TC_RESULT ca_ocsp_respond(const struct ca_ocsp_responder *rs, const uint8_t *req_der, size_t len, int64_t now,
			  struct tc_buf *out, struct ca_ocsp_result *res)
{
	OCSP_REQUEST *req = NULL;
	X509 *ca = NULL;
	const unsigned char *p = req_der;
	struct ca_hashes cache[4];
	struct tc_buf tbs = { 0 }, spki = { 0 }, sig = { 0 }, basic = { 0 };
	uint8_t key_id[20];
	const ASN1_OCTET_STRING *nonce = NULL;
	int n, idx, fail_status = OCSP_SUCCESSFUL;
	size_t ours = 0;
	struct ca_der w;
	struct tc_result r = tc_ok();

	memset(res, 0, sizeof(*res));
	for (size_t i = 0; i < 4; i++)
		cache[i].nid = NID_undef;
	TC_ENSURE(rs != NULL && rs->signer != NULL && rs->lookup != NULL && rs->ca_cert_der != NULL,
		  TC_ERR_INVALID_ARGUMENT, "OCSP responder not configured");
	if (req_der == NULL || len == 0 || len > CA_OCSP_REQUEST_MAX)
		return status_only(OCSP_MALFORMED, out, res);
	req = d2i_OCSP_REQUEST(NULL, &p, (long)len);
	if (req == NULL || p != req_der + len) {
		tc_openssl_clear();
		OCSP_REQUEST_free(req);
		return status_only(OCSP_MALFORMED, out, res);
	}
	n = OCSP_request_onereq_count(req);
	if (n < 1 || n > CA_OCSP_MAX_SINGLE) {
		r = status_only(OCSP_MALFORMED, out, res);
		goto out;
	}
	idx = OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce, -1);
	if (idx >= 0) {
		nonce = X509_EXTENSION_get_data(OCSP_REQUEST_get_ext(req, idx));
		if (nonce == NULL || !nonce_valid(nonce) || OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce, idx) >= 0) {
			r = status_only(OCSP_MALFORMED, out, res);
			goto out;
		}
	}
	TC_GUARD_GOTO(r, ca_x509_from_der(rs->ca_cert_der, rs->ca_cert_len, &ca), out);
	TC_GUARD_GOTO(r, rs->signer->public_key(rs->signer, &spki), out);
	if (rs->responder_cert_der != NULL)
		TC_GUARD_GOTO(r, check_delegate(rs, ca, &spki), out);
	TC_GUARD_GOTO(r, ca_spki_key_sha1(spki.data, spki.len, key_id), out);

	tc_buf_init(&tbs, CA_DER_MAX_OUTPUT);
	ca_der_init(&w, &tbs);
	ca_der_begin(&w, CA_DER_SEQUENCE);
	ca_der_begin(&w, CA_DER_CTX_CONS(2)); /* responderID byKey [2] EXPLICIT KeyHash */
	ca_der_tlv(&w, CA_DER_OCTET_STRING, key_id, sizeof(key_id));
	ca_der_end(&w);
	ca_der_time(&w, now, true); /* producedAt */
	ca_der_begin(&w, CA_DER_SEQUENCE);
	for (int i = 0; i < n && fail_status == OCSP_SUCCESSFUL; i++) {
		bool mine = false;

		TC_GUARD_GOTO(r, single_response(rs, ca, cache, 4, OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, i)),
						 now, &w, &mine, &fail_status),
			      out);
		ours += mine;
	}
	ca_der_end(&w);
	if (nonce != NULL) {
		struct tc_buf v = { .data = (uint8_t *)ASN1_STRING_get0_data(nonce),
				    .len = (size_t)ASN1_STRING_length(nonce) };

		ca_der_begin(&w, CA_DER_CTX_CONS(1));
		ca_der_begin(&w, CA_DER_SEQUENCE);
		ca_der_extension(&w, &CA_OIDB_OCSP_NONCE, false, &v);
		ca_der_end(&w);
		ca_der_end(&w);
	}
	ca_der_end(&w);
	TC_GUARD_GOTO(r, ca_der_finish(&w), out);
	if (fail_status != OCSP_SUCCESSFUL) {
		r = status_only(fail_status, out, res);
		goto out;
	}
	if (ours == 0) {
		r = status_only(OCSP_UNAUTHORIZED, out, res);
		goto out;
	}

	tc_buf_init(&sig, CA_SIG_MAX);
	TC_GUARD_GOTO(r, ca_signer_sign_data(rs->signer, tbs.data, tbs.len, &sig), out);
	tc_buf_init(&basic, CA_DER_MAX_OUTPUT);
	ca_der_init(&w, &basic);
	ca_der_begin(&w, CA_DER_SEQUENCE);
	ca_der_raw(&w, tbs.data, tbs.len);
	ca_der_sig_alg(&w, rs->signer->algorithm(rs->signer));
	ca_der_bit_string(&w, sig.data, sig.len);
	if (rs->responder_cert_der != NULL) {
		ca_der_begin(&w, CA_DER_CTX_CONS(0));
		ca_der_begin(&w, CA_DER_SEQUENCE);
		ca_der_raw(&w, rs->responder_cert_der, rs->responder_cert_len);
		ca_der_end(&w);
		ca_der_end(&w);
	}
	ca_der_end(&w);
	TC_GUARD_GOTO(r, ca_der_finish(&w), out);

	ca_der_init(&w, out);
	ca_der_begin(&w, CA_DER_SEQUENCE);
	ca_der_uint(&w, CA_DER_ENUMERATED, OCSP_SUCCESSFUL);
	ca_der_begin(&w, CA_DER_CTX_CONS(0));
	ca_der_begin(&w, CA_DER_SEQUENCE);
	ca_der_oid(&w, CA_OIDB_OCSP_BASIC.der, CA_OIDB_OCSP_BASIC.len);
	ca_der_tlv(&w, CA_DER_OCTET_STRING, basic.data, basic.len);
	ca_der_end(&w);
	ca_der_end(&w);
	ca_der_end(&w);
	TC_GUARD_GOTO(r, ca_der_finish(&w), out);
	res->response_status = OCSP_SUCCESSFUL;
	res->n_single = (size_t)n;
	res->nonce_echoed = nonce != NULL;
out:
	tc_openssl_clear();
	OCSP_REQUEST_free(req);
	X509_free(ca);
	tc_buf_cleanup(&tbs);
	tc_buf_cleanup(&spki);
	tc_buf_cleanup(&sig);
	tc_buf_cleanup(&basic);
	return r;
}
