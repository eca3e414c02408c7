/*
 * ca_csr.c — CSR intake (PKCS #10, RFC 2986) and CSR building for our own keys.
 *
 * Intake: size limit before parsing; exactly one PEM "CERTIFICATE REQUEST" block; DER only (the parsed
 * request re-encodes to the bytes received, so the SubjectPublicKeyInfo the evidence binding hashes —
 * DESIGN.md "Evidence binding" — is exactly what the client sent); self-signature verified; keys ECDSA
 * P-256/P-384 or RSA 3072..8192 bits (DESIGN.md "Certificates"); requested SANs (RFC 5280 §4.2.1.6) from
 * the extensionRequest attribute (PKCS #9, RFC 2985 §5.4.2) extracted for the profile to judge.
 *
 * Why a hand walk of the DER instead of d2i_X509_REQ: OpenSSL 3.0 decodes every SubjectPublicKeyInfo through
 * OSSL_DECODER_CTX_new_for_pkey, whose set-up dominated CSR intake (about a tenth of the CA's CPU per
 * certificate). The request is walked with the ca_der reader (definite minimal lengths, nothing trailing),
 * the key is built with EVP_PKEY_fromdata (a named P-256/P-384 point in uncompressed or compressed form, which
 * fromdata checks is on the curve — the identity and hybrid forms are refused before; RSA n odd and e odd with
 * 2^16 < e < 2^256, rsaEncryption parameters NULL or absent), and the self-signature is verified over the
 * CertificationRequestInfo bytes as received.
 * OpenSSL's ASN.1 templates (no decoders) still parse the subject Name and each Attribute, as d2i_X509_REQ
 * did. Signature algorithms other than ECDSA or PKCS #1 v1.5 with SHA-2 (RSA-PSS, SHA-1, ...) are rare and
 * left to X509_REQ_verify, as before.
 */
#include "ca_internal.h"

#include <arpa/inet.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#define CA_DNS_NAME_MAX 253

void ca_csr_cleanup(struct ca_csr *c)
{
	tc_buf_cleanup(&c->spki);
	tc_buf_cleanup(&c->subject);
	memset(c, 0, sizeof(*c));
}

/* LDH labels separated by dots (RFC 1034 §3.5 preferred syntax, RFC 5280 §4.2.1.6: no wildcards here). */
static bool dns_name_ok(const unsigned char *s, size_t n)
{
	size_t label = 0, i;

	if (n == 0 || n > CA_DNS_NAME_MAX || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (i = 0; i < n; i++) {
		unsigned char ch = s[i];

		if (ch == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			  (ch == '-' && label > 0);
		if (!ok || ++label > 63)
			return false;
	}
	return s[n - 1] != '-';
}

static bool printable_ascii(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return false;
	return n > 0;
}

static TC_RESULT csr_sans(STACK_OF(X509_EXTENSION) *exts, struct ca_csr *out)
{
	GENERAL_NAMES *names = NULL;
	struct tc_result r = tc_ok();
	int crit = -1;

	if (exts == NULL) {
		tc_openssl_clear();
		return tc_ok();
	}
	names = X509V3_get_d2i(exts, NID_subject_alt_name, &crit, NULL);
	if (names == NULL) {
		TC_ENSURE_GOTO(r, crit == -1, out, TC_ERR_CSR_INVALID,
			       crit == -2 ? "the CSR repeats subjectAltName" : "the CSR's subjectAltName does not parse");
		goto out;
	}
	TC_ENSURE_GOTO(r, sk_GENERAL_NAME_num(names) <= CA_CSR_MAX_SANS, out, TC_ERR_CSR_INVALID,
		       "the CSR requests %d SANs (at most %d)", sk_GENERAL_NAME_num(names), CA_CSR_MAX_SANS);
	for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
		struct ca_san *san = &out->sans[out->n_sans++];
		int type;
		const ASN1_STRING *v = GENERAL_NAME_get0_value(gn, &type);
		const unsigned char *d = v != NULL ? ASN1_STRING_get0_data(v) : NULL;
		size_t n = v != NULL ? (size_t)ASN1_STRING_length(v) : 0;

		memset(san, 0, sizeof(*san));
		switch (type) {
		case GEN_DNS:
			TC_ENSURE_GOTO(r, dns_name_ok(d, n), out, TC_ERR_CSR_INVALID,
				       "SAN %d is not a valid DNS name (LDH labels, no wildcard)", i);
			san->type = CA_SAN_DNS;
			memcpy(san->value, d, n);
			break;
		case GEN_URI:
			TC_ENSURE_GOTO(r, n < CA_SAN_VALUE_MAX && printable_ascii(d, n) && memchr(d, ':', n) != NULL, out,
				       TC_ERR_CSR_INVALID, "SAN %d is not a valid URI", i);
			san->type = CA_SAN_URI;
			memcpy(san->value, d, n);
			break;
		case GEN_IPADD:
			TC_ENSURE_GOTO(r, n == 4 || n == 16, out, TC_ERR_CSR_INVALID, "SAN %d: IP address of %zu bytes", i,
				       n);
			san->type = CA_SAN_IP;
			memcpy(san->ip, d, n);
			san->ip_len = n;
			TC_ENSURE_GOTO(r, inet_ntop(n == 4 ? AF_INET : AF_INET6, d, san->value, sizeof(san->value)) != NULL,
				       out, TC_ERR_CSR_INVALID, "SAN %d: IP address", i);
			break;
		default:
			san->type = CA_SAN_OTHER;
			snprintf(san->value, sizeof(san->value), "GeneralName type %d", type);
			break;
		}
	}
out:
	GENERAL_NAMES_free(names);
	return r;
}

/* --------------------------------------------------------------------------------------- DER walk */

/* OBJECT IDENTIFIER contents (X.690 §8.19) of the algorithms the walk knows. */
static const uint8_t oid_ec_public_key[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01 }; /* RFC 5480 §2.1.1 */
static const uint8_t oid_prime256v1[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const uint8_t oid_secp384r1[] = { 0x2b, 0x81, 0x04, 0x00, 0x22 };
static const uint8_t oid_rsa_encryption[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01 }; /* RFC 8017 */

/* Signature algorithms verified here (RFC 5758 §3.2 ecdsa-with-SHA2, RFC 4055 §5 shaNNNWithRSAEncryption);
 * any other is left to X509_REQ_verify (csr_verify_openssl). */
struct csr_sig_alg {
	uint8_t oid[9];
	size_t oid_len;
	bool ec; /* the key it goes with: EC, else RSA */
	const EVP_MD *(*md)(void);
};

static const struct csr_sig_alg csr_sig_algs[] = {
	{ { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 }, 8, true, EVP_sha256 },
	{ { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03 }, 8, true, EVP_sha384 },
	{ { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04 }, 8, true, EVP_sha512 },
	{ { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b }, 9, false, EVP_sha256 },
	{ { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c }, 9, false, EVP_sha384 },
	{ { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d }, 9, false, EVP_sha512 },
};

/* An OBJECT IDENTIFIER as read: its TLV (for OpenSSL) and its contents (to compare). */
struct csr_oid {
	const uint8_t *tlv, *der;
	size_t tlv_len, len;
};

/* An AlgorithmIdentifier (RFC 5280 §4.1.1.2): the OID and the parameters' TLV (PARAMS_TAG 0: absent). */
struct csr_alg {
	struct csr_oid oid;
	uint8_t params_tag;
	struct csr_oid params; /* TLV and contents of the parameters */
};

/* The parts of a CertificationRequest (RFC 2986 §4.1, §4.2), pointing into the DER received. */
struct csr_der {
	const uint8_t *cri, *subject, *spki;
	size_t cri_len, subject_len, spki_len;
	struct csr_alg key_alg;
	const uint8_t *key; /* subjectPublicKey BIT STRING contents: unused-bits octet, then the key */
	size_t key_len;
	struct tc_cursor attributes; /* contents of [0] IMPLICIT SET OF Attribute (empty when absent) */
	struct csr_alg sig_alg;
	const uint8_t *sig; /* signature BIT STRING contents */
	size_t sig_len;
};

static bool oid_is(const struct csr_oid *o, const uint8_t *der, size_t len)
{
	return o->len == len && memcmp(o->der, der, len) == 0;
}

static TC_RESULT csr_read_alg(struct tc_cursor *c, const char *what, struct csr_alg *out)
{
	struct tc_cursor alg, v, pv;
	size_t start;

	memset(out, 0, sizeof(*out));
	TC_GUARD(ca_der_read(c, CA_DER_SEQUENCE, what, &alg));
	start = alg.pos;
	TC_GUARD(ca_der_read(&alg, CA_DER_OID, what, &v));
	TC_ENSURE(tc_cursor_remaining(&v) > 0, TC_ERR_CSR_INVALID, "%s: empty OID", what);
	out->oid.tlv = alg.data + start;
	out->oid.tlv_len = alg.pos - start;
	out->oid.der = v.data + v.pos;
	out->oid.len = tc_cursor_remaining(&v);
	/* parameters ANY DEFINED BY algorithm OPTIONAL: one TLV of any tag */
	if (ca_der_peek(&alg, &out->params_tag)) {
		TC_ENSURE(out->params_tag != 0, TC_ERR_CSR_INVALID, "%s: parameters with tag 0", what);
		start = alg.pos;
		TC_GUARD(ca_der_read(&alg, out->params_tag, what, &pv));
		out->params.tlv = alg.data + start;
		out->params.tlv_len = alg.pos - start;
		out->params.der = pv.data + pv.pos;
		out->params.len = tc_cursor_remaining(&pv);
	}
	return ca_der_expect_end(&alg, what);
}

/* A BIT STRING's contents: at least the unused-bits octet, which is at most 7 (X.690 §8.6.2.2). */
static TC_RESULT csr_read_bits(struct tc_cursor *c, const char *what, const uint8_t **p, size_t *n)
{
	TC_GUARD(ca_der_read_octets(c, CA_DER_BIT_STRING, what, 1, SIZE_MAX, p, n));
	TC_ENSURE((*p)[0] <= 7, TC_ERR_CSR_INVALID, "%s: %u unused bits", what, (*p)[0]);
	return tc_ok();
}

/*
 * CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm, signature BIT STRING }
 * CertificationRequestInfo ::= SEQUENCE { version INTEGER { v1(0) }, subject Name, subjectPKInfo,
 *                                         attributes [0] IMPLICIT SET OF Attribute }
 * (RFC 2986 §4). As with d2i_X509_REQ, absent attributes are tolerated. The ca_der reader accepts only
 * definite minimal lengths, and nothing may follow the request.
 */
static TC_RESULT csr_walk(const uint8_t *der, size_t len, struct csr_der *d)
{
	struct tc_cursor c, req, cri, info, ver, s, spki;
	uint8_t tag;

	memset(d, 0, sizeof(*d));
	tc_cursor_init(&c, der, len);
	TC_GUARD(ca_der_read(&c, CA_DER_SEQUENCE, "CertificationRequest", &req));
	TC_GUARD(ca_der_expect_end(&c, "CertificationRequest"));
	TC_GUARD(ca_der_read_raw(&req, CA_DER_SEQUENCE, "CertificationRequestInfo", &d->cri, &d->cri_len));
	tc_cursor_init(&cri, d->cri, d->cri_len);
	TC_GUARD(ca_der_read(&cri, CA_DER_SEQUENCE, "CertificationRequestInfo", &info));
	TC_GUARD(ca_der_read(&info, CA_DER_INTEGER, "version", &ver));
	TC_ENSURE(tc_cursor_remaining(&ver) == 1 && ver.data[ver.pos] == 0, TC_ERR_CSR_INVALID,
		  "CSR version is not v1 (0)");
	TC_GUARD(ca_der_read_raw(&info, CA_DER_SEQUENCE, "subject", &d->subject, &d->subject_len));
	TC_GUARD(ca_der_read_raw(&info, CA_DER_SEQUENCE, "subjectPKInfo", &d->spki, &d->spki_len));
	tc_cursor_init(&s, d->spki, d->spki_len);
	TC_GUARD(ca_der_read(&s, CA_DER_SEQUENCE, "subjectPKInfo", &spki));
	TC_GUARD(csr_read_alg(&spki, "subjectPKInfo.algorithm", &d->key_alg));
	TC_GUARD(csr_read_bits(&spki, "subjectPublicKey", &d->key, &d->key_len));
	TC_GUARD(ca_der_expect_end(&spki, "subjectPKInfo"));
	tc_cursor_init(&d->attributes, NULL, 0);
	if (ca_der_peek(&info, &tag) && tag == CA_DER_CTX_CONS(0))
		TC_GUARD(ca_der_read(&info, CA_DER_CTX_CONS(0), "attributes", &d->attributes));
	TC_GUARD(ca_der_expect_end(&info, "CertificationRequestInfo"));
	TC_GUARD(csr_read_alg(&req, "signatureAlgorithm", &d->sig_alg));
	TC_GUARD(csr_read_bits(&req, "signature", &d->sig, &d->sig_len));
	return ca_der_expect_end(&req, "CertificationRequest");
}

/* The subject Name through OpenSSL's template (no decoders): for the RFC 2253 text, and so that a subject
 * d2i_X509_REQ refused is still refused. */
static TC_RESULT csr_subject(const struct csr_der *d, X509_NAME **out)
{
	const unsigned char *p = d->subject;
	X509_NAME *name = d2i_X509_NAME(NULL, &p, (long)d->subject_len);

	if (name == NULL || p != d->subject + d->subject_len) {
		X509_NAME_free(name);
		tc_openssl_clear();
		return tc_fail(TC_ERR_CSR_INVALID, "the CSR's subject is not a Name");
	}
	*out = name;
	return tc_ok();
}

/*
 * Every Attribute (RFC 2986 §4.1) through OpenSSL's template, as d2i_X509_REQ parsed them; *OUT: the one
 * X509_REQ_get_extensions reads (the first PKCS #9 extensionRequest, else the first Microsoft one), or NULL.
 */
static TC_RESULT csr_attributes(const struct csr_der *d, X509_ATTRIBUTE **out)
{
	struct tc_cursor c = d->attributes;
	X509_ATTRIBUTE *ext = NULL, *ms = NULL;

	while (tc_cursor_remaining(&c) > 0) {
		const uint8_t *tlv = NULL;
		const unsigned char *p;
		size_t n = 0;
		X509_ATTRIBUTE *a;
		int nid;
		struct tc_result r = ca_der_read_raw(&c, CA_DER_SEQUENCE, "Attribute", &tlv, &n);

		p = tlv;
		a = tc_is_ok(r) ? d2i_X509_ATTRIBUTE(NULL, &p, (long)n) : NULL;
		if (a == NULL || p != tlv + n) {
			X509_ATTRIBUTE_free(a);
			X509_ATTRIBUTE_free(ext);
			X509_ATTRIBUTE_free(ms);
			tc_openssl_clear();
			return tc_fail(TC_ERR_CSR_INVALID, "the CSR's attributes do not parse");
		}
		nid = OBJ_obj2nid(X509_ATTRIBUTE_get0_object(a));
		if (nid == NID_ext_req && ext == NULL)
			ext = a;
		else if (nid == NID_ms_ext_req && ms == NULL)
			ms = a;
		else
			X509_ATTRIBUTE_free(a);
	}
	if (ext != NULL) {
		X509_ATTRIBUTE_free(ms);
		ms = NULL;
	}
	*out = ext != NULL ? ext : ms;
	return tc_ok();
}

/* The requested extensions as X509_REQ_get_extensions gives them: NULL when absent or not parsable. */
static STACK_OF(X509_EXTENSION) *csr_extensions(X509_ATTRIBUTE *attr)
{
	ASN1_TYPE *t = attr != NULL ? X509_ATTRIBUTE_get0_type(attr, 0) : NULL;
	const unsigned char *p;
	STACK_OF(X509_EXTENSION) *exts;

	if (t == NULL || t->type != V_ASN1_SEQUENCE)
		return NULL;
	p = t->value.sequence->data;
	exts = d2i_X509_EXTENSIONS(NULL, &p, t->value.sequence->length);
	tc_openssl_clear();
	return exts;
}

/* ------------------------------------------------------------------------------------------- the key */

static TC_RESULT csr_key_undecodable(void)
{
	tc_openssl_clear();
	return tc_fail(TC_ERR_KEY_UNSUPPORTED, "the CSR's public key does not decode");
}

/* The short name of an OID we do not accept, for the refusal; NULL if OpenSSL does not know it. */
static TC_RESULT csr_oid_name(const struct csr_oid *o, const char **name)
{
	const unsigned char *p = o->tlv;
	ASN1_OBJECT *obj = d2i_ASN1_OBJECT(NULL, &p, (long)o->tlv_len);
	int nid;

	if (obj == NULL) {
		tc_openssl_clear();
		return tc_fail(TC_ERR_CSR_INVALID, "the CSR holds a malformed OID");
	}
	nid = OBJ_obj2nid(obj);
	ASN1_OBJECT_free(obj);
	*name = nid != NID_undef ? OBJ_nid2sn(nid) : NULL;
	return tc_ok();
}

static TC_RESULT csr_pkey_fromdata(const char *type, const OSSL_PARAM *params, EVP_PKEY **out)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *k = NULL;
	bool ok = ctx != NULL && EVP_PKEY_fromdata_init(ctx) == 1 &&
		  EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, (OSSL_PARAM *)params) == 1;

	EVP_PKEY_CTX_free(ctx);
	if (!ok) {
		EVP_PKEY_free(k);
		return csr_key_undecodable();
	}
	*out = k;
	return tc_ok();
}

/* ECPoint of a named curve (RFC 5480 §2.1.1, §2.2); EVP_PKEY_fromdata refuses a point not on the curve (the
 * identity is refused here: oct2point takes it). */
static TC_RESULT csr_key_ec(const struct csr_der *d, struct ca_csr *out, EVP_PKEY **pkey)
{
	const struct csr_alg *a = &d->key_alg;
	const struct csr_oid *curve = &a->params;
	const char *group, *name = NULL;
	const uint8_t *pt;
	size_t fl, pl;
	OSSL_PARAM params[3];

	TC_ENSURE(a->params_tag != CA_DER_SEQUENCE, TC_ERR_KEY_UNSUPPORTED,
		  "EC key with explicit or unnamed curve parameters");
	if (a->params_tag != CA_DER_OID)
		return csr_key_undecodable();
	if (oid_is(curve, oid_prime256v1, sizeof(oid_prime256v1))) {
		group = SN_X9_62_prime256v1;
		out->key_type = CA_KEYTYPE_EC_P256;
		out->key_bits = 256;
	} else if (oid_is(curve, oid_secp384r1, sizeof(oid_secp384r1))) {
		group = SN_secp384r1;
		out->key_type = CA_KEYTYPE_EC_P384;
		out->key_bits = 384;
	} else {
		TC_GUARD(csr_oid_name(curve, &name));
		if (name == NULL)
			return csr_key_undecodable();
		return tc_fail(TC_ERR_KEY_UNSUPPORTED, "EC curve %s is not accepted (P-256 or P-384)", name);
	}
	if (d->key[0] != 0)
		return csr_key_undecodable();
	/* RFC 5480 §2.2: uncompressed (0x04 || X || Y) or compressed (0x02/0x03 || X) only. OpenSSL's oct2point also
	 * takes the identity (a lone 0x00: every ECDSA verification then reduces to u1·G, so anyone can make a
	 * "signature" and the self-signature proves nothing) and the hybrid forms (0x06/0x07), which the RFC says
	 * MUST be rejected; a fixed length per form also keeps one key from having several SPKI encodings of a
	 * given form. */
	fl = out->key_bits / 8;
	pt = d->key + 1;
	pl = d->key_len - 1;
	if (!(pl == 1 + 2 * fl && pt[0] == 0x04) && !(pl == 1 + fl && (pt[0] == 0x02 || pt[0] == 0x03)))
		return tc_fail(TC_ERR_KEY_UNSUPPORTED, "the CSR's EC point is not in uncompressed or compressed form");
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pt, pl);
	params[2] = OSSL_PARAM_construct_end();
	return csr_pkey_fromdata("EC", params, pkey);
}

/* A positive INTEGER in minimal form (X.690 §8.3.2) as a BIGNUM. */
static TC_RESULT csr_read_bn(struct tc_cursor *c, const char *what, BIGNUM **out)
{
	const uint8_t *p;
	size_t n;

	TC_GUARD(ca_der_read_octets(c, CA_DER_INTEGER, what, 1, SIZE_MAX, &p, &n));
	TC_ENSURE(!(p[0] & 0x80) && !(n > 1 && p[0] == 0 && !(p[1] & 0x80)), TC_ERR_KEY_UNSUPPORTED,
		  "%s is negative or not minimal", what);
	*out = BN_bin2bn(p, (int)n, NULL);
	TC_ENSURE(*out != NULL, TC_ERR_NO_MEMORY, "BIGNUM");
	return tc_ok();
}

/* RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } (RFC 8017 §A.1.1); size checked
 * before the key is built. */
static TC_RESULT csr_key_rsa(const struct csr_der *d, struct ca_csr *out, EVP_PKEY **pkey)
{
	struct tc_cursor c, seq;
	BIGNUM *n = NULL, *e = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	struct tc_result r = tc_ok();
	int bits;

	TC_ENSURE(d->key[0] == 0, TC_ERR_KEY_UNSUPPORTED, "the CSR's public key does not decode");
	tc_cursor_init(&c, d->key + 1, d->key_len - 1);
	if (!tc_is_ok(ca_der_read(&c, CA_DER_SEQUENCE, "RSAPublicKey", &seq)) ||
	    !tc_is_ok(csr_read_bn(&seq, "modulus", &n)) || !tc_is_ok(csr_read_bn(&seq, "publicExponent", &e)) ||
	    tc_cursor_remaining(&seq) != 0 || tc_cursor_remaining(&c) != 0) {
		r = csr_key_undecodable();
		goto out;
	}
	bits = BN_num_bits(n);
	TC_ENSURE_GOTO(r, bits >= CA_RSA_MIN_BITS, out, TC_ERR_KEY_WEAK, "RSA key of %d bits (at least %d)", bits,
		       CA_RSA_MIN_BITS);
	TC_ENSURE_GOTO(r, bits <= CA_RSA_MAX_BITS, out, TC_ERR_KEY_UNSUPPORTED, "RSA key of %d bits (at most %d)", bits,
		       CA_RSA_MAX_BITS);
	/* Neither EVP_PKEY_fromdata nor OpenSSL's RSA verification checks the exponent beyond e < n (and e of at most
	 * 64 bits above 3072-bit moduli). With e = 1 the PKCS #1 encoding of any message is its own signature, so
	 * the self-signature would prove nothing; FIPS 186-4 §B.3.1 / SP 800-89: e odd, 2^16 < e < 2^256 (the
	 * upper bound also caps the cost of the verification). An even modulus is no RSA modulus. */
	TC_ENSURE_GOTO(r, BN_is_odd(n), out, TC_ERR_KEY_UNSUPPORTED, "the CSR's RSA modulus is even");
	TC_ENSURE_GOTO(r, BN_is_odd(e), out, TC_ERR_KEY_UNSUPPORTED, "the CSR's RSA public exponent is even");
	TC_ENSURE_GOTO(r, BN_num_bits(e) <= 256, out, TC_ERR_KEY_UNSUPPORTED,
		       "RSA public exponent of %d bits (at most 256)", BN_num_bits(e));
	TC_ENSURE_GOTO(r, BN_num_bits(e) > 16, out, TC_ERR_KEY_WEAK, "RSA public exponent %lu (at least 65537)",
		       (unsigned long)BN_get_word(e));
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) || (params = OSSL_PARAM_BLD_to_param(bld)) == NULL) {
		r = tc_fail_openssl(TC_ERR_NO_MEMORY, "RSA key parameters");
		goto out;
	}
	TC_GUARD_GOTO(r, csr_pkey_fromdata("RSA", params, pkey), out);
	out->key_type = CA_KEYTYPE_RSA;
	out->key_bits = (unsigned)bits;
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return r;
}

/* Key checks of DESIGN.md "Certificates": ECDSA P-256/P-384 or RSA 3072..8192 bits. */
static TC_RESULT csr_key(const struct csr_der *d, struct ca_csr *out, EVP_PKEY **pkey)
{
	const char *name = NULL;

	if (oid_is(&d->key_alg.oid, oid_ec_public_key, sizeof(oid_ec_public_key)))
		return csr_key_ec(d, out, pkey);
	if (oid_is(&d->key_alg.oid, oid_rsa_encryption, sizeof(oid_rsa_encryption))) {
		/* Parameters NULL (RFC 3279 §2.3.1) or, as some encoders write, absent. OpenSSL ignores them, so any
		 * other value would give one key many SubjectPublicKeyInfos (the evidence binding hashes the SPKI, and
		 * the certificate copies it). */
		TC_ENSURE(d->key_alg.params_tag == 0 ||
				  (d->key_alg.params_tag == CA_DER_NULL && d->key_alg.params.len == 0),
			  TC_ERR_KEY_UNSUPPORTED, "rsaEncryption parameters other than NULL");
		return csr_key_rsa(d, out, pkey);
	}
	TC_GUARD(csr_oid_name(&d->key_alg.oid, &name));
	if (name == NULL)
		return csr_key_undecodable();
	return tc_fail(TC_ERR_KEY_UNSUPPORTED, "key type %s is not accepted (ECDSA P-256/P-384 or RSA-3072+)", name);
}

/* ------------------------------------------------------------------------------------ self-signature */

/* Signature algorithms the table does not know (RSA-PSS, SHA-1, SHA-224, ...): OpenSSL's X509_REQ_verify, as
 * before the walk (its d2i_X509_REQ runs the decoders, but only on this rare path). */
static TC_RESULT csr_verify_openssl(const uint8_t *der, size_t len, EVP_PKEY *pkey)
{
	const unsigned char *p = der;
	X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)len);
	bool parsed = req != NULL && p == der + len;
	bool ok = parsed && X509_REQ_verify(req, pkey) == 1;

	X509_REQ_free(req);
	tc_openssl_clear();
	TC_ENSURE(parsed, TC_ERR_CSR_INVALID, "the CSR is not a PKCS#10 request");
	TC_ENSURE(ok, TC_ERR_CSR_SIGNATURE_INVALID, "the CSR's self-signature does not verify");
	return tc_ok();
}

/* The signature over the CertificationRequestInfo bytes as received (RFC 2986 §3 step 3). */
static TC_RESULT csr_verify(const uint8_t *der, size_t len, const struct csr_der *d, EVP_PKEY *pkey, bool ec)
{
	const struct csr_sig_alg *alg = NULL;
	EVP_MD_CTX *mctx;
	bool ok;

	for (size_t i = 0; i < sizeof(csr_sig_algs) / sizeof(csr_sig_algs[0]); i++)
		if (oid_is(&d->sig_alg.oid, csr_sig_algs[i].oid, csr_sig_algs[i].oid_len))
			alg = &csr_sig_algs[i];
	if (alg == NULL)
		return csr_verify_openssl(der, len, pkey);
	TC_ENSURE(alg->ec == ec, TC_ERR_CSR_SIGNATURE_INVALID, "the CSR's signature algorithm does not fit its key");
	TC_ENSURE(d->sig[0] == 0, TC_ERR_CSR_SIGNATURE_INVALID, "the CSR's signature has unused bits");
	mctx = EVP_MD_CTX_new();
	ok = mctx != NULL && EVP_DigestVerifyInit(mctx, NULL, alg->md(), NULL, pkey) == 1 &&
	     EVP_DigestVerify(mctx, d->sig + 1, d->sig_len - 1, d->cri, d->cri_len) == 1;
	EVP_MD_CTX_free(mctx);
	if (!ok) {
		tc_openssl_clear();
		return tc_fail(TC_ERR_CSR_SIGNATURE_INVALID, "the CSR's self-signature does not verify");
	}
	return tc_ok();
}

TC_RESULT ca_csr_parse_der(const uint8_t *der, size_t len, struct ca_csr *out)
{
	struct csr_der d;
	X509_NAME *name = NULL;
	X509_ATTRIBUTE *ext_attr = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	struct tc_result r = tc_ok();

	memset(out, 0, sizeof(*out));
	tc_buf_init(&out->spki, CA_CSR_PEM_MAX);
	tc_buf_init(&out->subject, CA_CSR_PEM_MAX);
	TC_ENSURE_GOTO(r, der != NULL && len > 0, out, TC_ERR_CSR_INVALID, "empty CSR");
	TC_ENSURE_GOTO(r, len <= CA_CSR_PEM_MAX, out, TC_ERR_TOO_LARGE, "CSR of %zu bytes (at most %d)", len,
		       CA_CSR_PEM_MAX);
	r = csr_walk(der, len, &d);
	if (!tc_is_ok(r)) {
		/* DER only: a BER form would make the hashed SPKI ambiguous. */
		r = tc_fail(TC_ERR_CSR_INVALID, "the CSR is not a DER PKCS#10 request: %s", tc_error_detail());
		goto out;
	}
	TC_GUARD_GOTO(r, csr_subject(&d, &name), out);
	TC_GUARD_GOTO(r, csr_attributes(&d, &ext_attr), out);
	TC_GUARD_GOTO(r, csr_key(&d, out, &pkey), out);
	TC_GUARD_GOTO(r, csr_verify(der, len, &d, pkey, out->key_type != CA_KEYTYPE_RSA), out);
	TC_GUARD_GOTO(r, tc_buf_append(&out->subject, d.subject, d.subject_len), out);
	TC_GUARD_GOTO(r, tc_buf_append(&out->spki, d.spki, d.spki_len), out);
	exts = csr_extensions(ext_attr);
	TC_GUARD_GOTO(r, csr_sans(exts, out), out);
	bio = BIO_new(BIO_s_mem());
	if (bio != NULL && X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
		int n = BIO_read(bio, out->subject_text, (int)sizeof(out->subject_text) - 1);

		out->subject_text[n > 0 ? n : 0] = '\0';
	}
	tc_openssl_clear();
out:
	BIO_free(bio);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_ATTRIBUTE_free(ext_attr);
	EVP_PKEY_free(pkey);
	X509_NAME_free(name);
	if (!tc_is_ok(r)) {
		struct tc_result keep = r;

		ca_csr_cleanup(out);
		r = keep;
	}
	return r;
}

TC_RESULT ca_csr_parse_pem(const char *pem, size_t len, struct ca_csr *out)
{
	BIO *bio = NULL;
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	long dlen = 0;
	struct tc_result r;

	memset(out, 0, sizeof(*out));
	TC_ENSURE(pem != NULL && len > 0, TC_ERR_CSR_INVALID, "empty CSR");
	TC_ENSURE(len <= CA_CSR_PEM_MAX, TC_ERR_TOO_LARGE, "CSR of %zu bytes (at most %d)", len, CA_CSR_PEM_MAX);
	bio = BIO_new_mem_buf(pem, (int)len);
	TC_ENSURE(bio != NULL, TC_ERR_NO_MEMORY, "BIO");
	if (!PEM_read_bio(bio, &name, &header, &data, &dlen)) {
		tc_openssl_clear();
		r = tc_fail(TC_ERR_CSR_INVALID, "no PEM block in the CSR");
		goto out;
	}
	TC_ENSURE_GOTO(r, strcmp(name, "CERTIFICATE REQUEST") == 0 || strcmp(name, "NEW CERTIFICATE REQUEST") == 0, out,
		       TC_ERR_CSR_INVALID, "PEM block is \"%s\", not a CERTIFICATE REQUEST", name);
	TC_ENSURE_GOTO(r, header[0] == '\0', out, TC_ERR_CSR_INVALID, "PEM headers are not accepted in a CSR");
	r = ca_csr_parse_der(data, (size_t)dlen, out);
out:
	tc_openssl_clear();
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(data);
	BIO_free(bio);
	return r;
}

/* Name ::= SEQUENCE OF RDN, one attribute per RDN (RFC 5280 §4.1.2.4: UTF8String). */
static void der_name(struct ca_der *w, const char *cn, const char *org)
{
	ca_der_begin(w, CA_DER_SEQUENCE);
	if (org != NULL) {
		ca_der_begin(w, CA_DER_SET);
		ca_der_begin(w, CA_DER_SEQUENCE);
		ca_der_oid(w, CA_OIDB_O.der, CA_OIDB_O.len);
		ca_der_utf8(w, CA_DER_UTF8STRING, org);
		ca_der_end(w);
		ca_der_end(w);
	}
	ca_der_begin(w, CA_DER_SET);
	ca_der_begin(w, CA_DER_SEQUENCE);
	ca_der_oid(w, CA_OIDB_CN.der, CA_OIDB_CN.len);
	ca_der_utf8(w, CA_DER_UTF8STRING, cn);
	ca_der_end(w);
	ca_der_end(w);
	ca_der_end(w);
}

TC_RESULT ca_csr_build(const struct ca_signer *s, const char *common_name, const char *org, const char *const *dns,
		       size_t n_dns, struct tc_buf *pem_out)
{
	struct tc_buf spki = { 0 }, cri = { 0 }, san = { 0 }, req = { 0 };
	struct ca_der w;
	struct tc_result r;
	BIO *bio = NULL;
	BUF_MEM *mem = NULL;

	TC_ENSURE(common_name != NULL && common_name[0] != '\0' && strlen(common_name) <= 64, TC_ERR_INVALID_ARGUMENT,
		  "common name must be 1..64 bytes");
	TC_GUARD_GOTO(r, s->public_key(s, &spki), out);
	if (n_dns > 0) {
		ca_der_init(&w, &san);
		ca_der_begin(&w, CA_DER_SEQUENCE);
		for (size_t i = 0; i < n_dns; i++)
			ca_der_utf8(&w, CA_DER_CTX(2), dns[i]);
		ca_der_end(&w);
		TC_GUARD_GOTO(r, ca_der_finish(&w), out);
	}
	ca_der_init(&w, &cri);
	ca_der_begin(&w, CA_DER_SEQUENCE);
	ca_der_uint(&w, CA_DER_INTEGER, 0);
	der_name(&w, common_name, org);
	ca_der_raw(&w, spki.data, spki.len);
	ca_der_begin(&w, CA_DER_CTX_CONS(0));
	if (n_dns > 0) {
		ca_der_begin(&w, CA_DER_SEQUENCE);
		ca_der_oid(&w, CA_OIDB_EXT_REQUEST.der, CA_OIDB_EXT_REQUEST.len);
		ca_der_begin(&w, CA_DER_SET);
		ca_der_begin(&w, CA_DER_SEQUENCE);
		ca_der_extension(&w, &CA_OIDB_SAN, false, &san);
		ca_der_end(&w);
		ca_der_end(&w);
		ca_der_end(&w);
	}
	ca_der_end(&w);
	ca_der_end(&w);
	TC_GUARD_GOTO(r, ca_der_finish(&w), out);
	TC_GUARD_GOTO(r, ca_sign_structure(s, cri.data, cri.len, &req), out);
	bio = BIO_new(BIO_s_mem());
	if (bio == NULL || !PEM_write_bio(bio, "CERTIFICATE REQUEST", "", req.data, (long)req.len)) {
		r = tc_fail_openssl(TC_ERR_CRYPTO, "PEM of the CSR");
		goto out;
	}
	BIO_get_mem_ptr(bio, &mem);
	r = tc_buf_append(pem_out, mem->data, mem->length);
out:
	BIO_free(bio);
	tc_buf_cleanup(&spki);
	tc_buf_cleanup(&cri);
	tc_buf_cleanup(&san);
	tc_buf_cleanup(&req);
	return r;
}
