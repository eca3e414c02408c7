/*
 * ca_crl.c — v2 CRLs (RFC 5280 §5.1): TBSCertList built with the DER writer and signed through the signer;
 * CRL extensions authorityKeyIdentifier (§5.2.1) and cRLNumber (§5.2.3), entry extension reasonCode
 * (§5.3.1, omitted for CA_REASON_NONE; "unspecified" is written explicitly when asked for).
 */
#include "ca_internal.h"

#include <string.h>

#include <openssl/x509v3.h>

static const struct {
	enum ca_crl_reason reason;
	const char *name;
} reasons[] = {
	{ CA_REASON_UNSPECIFIED, "unspecified" },
	{ CA_REASON_KEY_COMPROMISE, "keyCompromise" },
	{ CA_REASON_CA_COMPROMISE, "cACompromise" },
	{ CA_REASON_AFFILIATION_CHANGED, "affiliationChanged" },
	{ CA_REASON_SUPERSEDED, "superseded" },
	{ CA_REASON_CESSATION_OF_OPERATION, "cessationOfOperation" },
	{ CA_REASON_CERTIFICATE_HOLD, "certificateHold" },
	{ CA_REASON_REMOVE_FROM_CRL, "removeFromCRL" },
	{ CA_REASON_PRIVILEGE_WITHDRAWN, "privilegeWithdrawn" },
	{ CA_REASON_AA_COMPROMISE, "aACompromise" },
};

const char *ca_crl_reason_name(enum ca_crl_reason r)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].reason == r)
			return reasons[i].name;
	return "none";
}

TC_RESULT ca_crl_reason_parse(const char *s, enum ca_crl_reason *out)
{
	for (size_t i = 0; s != NULL && i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (strcmp(s, reasons[i].name) == 0) {
			*out = reasons[i].reason;
			return tc_ok();
		}
	return tc_fail(TC_ERR_INVALID_ARGUMENT, "unknown CRL reason \"%s\" (RFC 5280 §5.3.1 names, e.g. keyCompromise)",
		       s != NULL ? s : "");
}

static bool reason_valid(enum ca_crl_reason r)
{
	return r == CA_REASON_NONE || strcmp(ca_crl_reason_name(r), "none") != 0;
}

TC_RESULT ca_crl_build(const struct ca_issuer *issuer, const struct ca_revoked *entries, size_t n,
		       uint64_t crl_number, int64_t this_update, int64_t next_update, struct tc_buf *out)
{
	X509 *ca = NULL;
	struct tc_buf tbs = { 0 }, val = { 0 }, name = { 0 };
	const ASN1_OCTET_STRING *ski;
	uint8_t key_id[20];
	const uint8_t *kid;
	size_t kid_len;
	unsigned char *der = NULL;
	int dlen;
	struct ca_der w, v;
	struct tc_result r = tc_ok();

	TC_ENSURE(issuer != NULL && issuer->signer != NULL && issuer->cert_der != NULL, TC_ERR_INVALID_ARGUMENT,
		  "a CRL needs the CA certificate and signer");
	TC_ENSURE(next_update > this_update, TC_ERR_INVALID_ARGUMENT, "nextUpdate must follow thisUpdate");
	TC_ENSURE(n == 0 || entries != NULL, TC_ERR_INVALID_ARGUMENT, "no entries");
	TC_GUARD(ca_x509_from_der(issuer->cert_der, issuer->cert_len, &ca));
	dlen = i2d_X509_NAME(X509_get_subject_name(ca), &der);
	TC_ENSURE_GOTO(r, dlen > 0, out, TC_ERR_CRYPTO, "issuer name");
	TC_GUARD_GOTO(r, tc_buf_append(&name, der, (size_t)dlen), out);
	ski = X509_get0_subject_key_id(ca);
	if (ski != NULL && ASN1_STRING_length(ski) > 0) {
		kid = ASN1_STRING_get0_data(ski);
		kid_len = (size_t)ASN1_STRING_length(ski);
	} else {
		unsigned char *spki = NULL;
		int sl = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(ca), &spki);

		r = sl > 0 ? ca_spki_key_sha1(spki, (size_t)sl, key_id) : tc_fail(TC_ERR_CRYPTO, "issuer key");
		OPENSSL_free(spki);
		if (!tc_is_ok(r))
			goto out;
		kid = key_id;
		kid_len = sizeof(key_id);
	}

	ca_der_init(&w, &tbs);
	ca_der_begin(&w, CA_DER_SEQUENCE);
	ca_der_uint(&w, CA_DER_INTEGER, 1); /* v2 */
	ca_der_sig_alg(&w, issuer->signer->algorithm(issuer->signer));
	ca_der_raw(&w, name.data, name.len);
	ca_der_time(&w, this_update, false);
	ca_der_time(&w, next_update, false);
	if (n > 0) {
		ca_der_begin(&w, CA_DER_SEQUENCE);
		for (size_t i = 0; i < n; i++) {
			const struct ca_revoked *e = &entries[i];

			TC_ENSURE_GOTO(r, e->serial_len >= 1 && e->serial_len <= CA_SERIAL_MAX, out, TC_ERR_INVALID_ARGUMENT,
				       "entry %zu: serial of %zu bytes", i, e->serial_len);
			TC_ENSURE_GOTO(r, reason_valid(e->reason), out, TC_ERR_INVALID_ARGUMENT, "entry %zu: reason %d", i,
				       (int)e->reason);
			ca_der_begin(&w, CA_DER_SEQUENCE);
			ca_der_uint_bytes(&w, e->serial, e->serial_len);
			ca_der_time(&w, e->revoked_at, false);
			if (e->reason != CA_REASON_NONE) {
				tc_buf_reset(&val);
				ca_der_init(&v, &val);
				ca_der_uint(&v, CA_DER_ENUMERATED, (uint64_t)e->reason);
				TC_GUARD_GOTO(r, ca_der_finish(&v), out);
				ca_der_begin(&w, CA_DER_SEQUENCE);
				ca_der_extension(&w, &CA_OIDB_REASON_CODE, false, &val);
				ca_der_end(&w);
			}
			ca_der_end(&w);
		}
		ca_der_end(&w);
	}
	ca_der_begin(&w, CA_DER_CTX_CONS(0));
	ca_der_begin(&w, CA_DER_SEQUENCE);
	tc_buf_reset(&val);
	ca_der_init(&v, &val);
	ca_der_begin(&v, CA_DER_SEQUENCE);
	ca_der_tlv(&v, CA_DER_CTX(0), kid, kid_len);
	ca_der_end(&v);
	TC_GUARD_GOTO(r, ca_der_finish(&v), out);
	ca_der_extension(&w, &CA_OIDB_AKI, false, &val);
	tc_buf_reset(&val);
	ca_der_init(&v, &val);
	ca_der_uint(&v, CA_DER_INTEGER, crl_number);
	TC_GUARD_GOTO(r, ca_der_finish(&v), out);
	ca_der_extension(&w, &CA_OIDB_CRL_NUMBER, false, &val);
	ca_der_end(&w);
	ca_der_end(&w);
	ca_der_end(&w);
	TC_GUARD_GOTO(r, ca_der_finish(&w), out);
	r = ca_sign_structure(issuer->signer, tbs.data, tbs.len, out);
out:
	tc_openssl_clear();
	OPENSSL_free(der);
	X509_free(ca);
	tc_buf_cleanup(&tbs);
	tc_buf_cleanup(&val);
	tc_buf_cleanup(&name);
	return r;
}
