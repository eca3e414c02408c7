/*
 * ca_csr.c — CSR intake (PKCS #10, RFC 2986) and CSR building for our own keys.
 *
 * Intake: size limit before parsing; exactly one PEM "CERTIFICATE REQUEST" block; DER only (the parsed
 * request re-encodes to the bytes received, so the SubjectPublicKeyInfo the evidence binding hashes —
 * DESIGN.md "Evidence binding" — is exactly what the client sent); self-signature verified; keys ECDSA
 * P-256/P-384 or RSA 3072..8192 bits (DESIGN.md "Certificates"); requested SANs (RFC 5280 §4.2.1.6) from
 * the extensionRequest attribute (PKCS #9, RFC 2985 §5.4.2) extracted for the profile to judge.
 */
#include "ca_internal.h"

#include <arpa/inet.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
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

static TC_RESULT csr_sans(X509_REQ *req, struct ca_csr *out)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
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
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return r;
}

/* Key checks of DESIGN.md "Certificates". */
static TC_RESULT csr_key(EVP_PKEY *pkey, struct ca_csr *out)
{
	char group[32] = "";
	size_t glen = 0;
	int id = EVP_PKEY_get_base_id(pkey);

	if (id == EVP_PKEY_EC) {
		TC_ENSURE(EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &glen),
			  TC_ERR_KEY_UNSUPPORTED, "EC key with explicit or unnamed curve parameters");
		if (strcmp(group, "prime256v1") == 0) {
			out->key_type = CA_KEYTYPE_EC_P256;
			out->key_bits = 256;
		} else if (strcmp(group, "secp384r1") == 0) {
			out->key_type = CA_KEYTYPE_EC_P384;
			out->key_bits = 384;
		} else {
			return tc_fail(TC_ERR_KEY_UNSUPPORTED, "EC curve %s is not accepted (P-256 or P-384)", group);
		}
		return tc_ok();
	}
	if (id == EVP_PKEY_RSA) {
		int bits = EVP_PKEY_get_bits(pkey);

		TC_ENSURE(bits >= CA_RSA_MIN_BITS, TC_ERR_KEY_WEAK, "RSA key of %d bits (at least %d)", bits,
			  CA_RSA_MIN_BITS);
		TC_ENSURE(bits <= CA_RSA_MAX_BITS, TC_ERR_KEY_UNSUPPORTED, "RSA key of %d bits (at most %d)", bits,
			  CA_RSA_MAX_BITS);
		out->key_type = CA_KEYTYPE_RSA;
		out->key_bits = (unsigned)bits;
		return tc_ok();
	}
	return tc_fail(TC_ERR_KEY_UNSUPPORTED, "key type %s is not accepted (ECDSA P-256/P-384 or RSA-3072+)",
		       OBJ_nid2sn(id));
}

/* The raw subject and SPKI of CertificationRequestInfo (RFC 2986 §4.1), as received. */
static TC_RESULT csr_raw_parts(const uint8_t *der, size_t len, struct ca_csr *out)
{
	struct tc_cursor c, req, cri;
	struct tc_cursor ver;
	const uint8_t *p;
	size_t n;

	tc_cursor_init(&c, der, len);
	TC_GUARD(ca_der_read(&c, CA_DER_SEQUENCE, "CertificationRequest", &req));
	TC_GUARD(ca_der_read(&req, CA_DER_SEQUENCE, "CertificationRequestInfo", &cri));
	TC_GUARD(ca_der_read(&cri, CA_DER_INTEGER, "version", &ver));
	TC_GUARD(ca_der_read_raw(&cri, CA_DER_SEQUENCE, "subject", &p, &n));
	TC_GUARD(tc_buf_append(&out->subject, p, n));
	TC_GUARD(ca_der_read_raw(&cri, CA_DER_SEQUENCE, "subjectPKInfo", &p, &n));
	TC_GUARD(tc_buf_append(&out->spki, p, n));
	return tc_ok();
}

TC_RESULT ca_csr_parse_der(const uint8_t *der, size_t len, struct ca_csr *out)
{
	const unsigned char *p = der;
	X509_REQ *req = NULL;
	EVP_PKEY *pkey = NULL;
	unsigned char *re = NULL;
	int re_len;
	BIO *bio = NULL;
	struct tc_result r = tc_ok();

	memset(out, 0, sizeof(*out));
	tc_buf_init(&out->spki, CA_CSR_PEM_MAX);
	tc_buf_init(&out->subject, CA_CSR_PEM_MAX);
	TC_ENSURE_GOTO(r, der != NULL && len > 0, out, TC_ERR_CSR_INVALID, "empty CSR");
	TC_ENSURE_GOTO(r, len <= CA_CSR_PEM_MAX, out, TC_ERR_TOO_LARGE, "CSR of %zu bytes (at most %d)", len,
		       CA_CSR_PEM_MAX);
	req = d2i_X509_REQ(NULL, &p, (long)len);
	if (req == NULL) {
		tc_openssl_clear();
		r = tc_fail(TC_ERR_CSR_INVALID, "the CSR is not a PKCS#10 request");
		goto out;
	}
	TC_ENSURE_GOTO(r, p == der + len, out, TC_ERR_CSR_INVALID, "%zu trailing bytes after the CSR",
		       (size_t)(der + len - p));
	/* DER check: a BER-encoded CSR would make the hashed SPKI ambiguous. */
	re_len = i2d_X509_REQ(req, &re);
	TC_ENSURE_GOTO(r, re_len > 0 && (size_t)re_len == len && memcmp(re, der, len) == 0, out, TC_ERR_CSR_INVALID,
		       "the CSR is not DER-encoded");
	TC_ENSURE_GOTO(r, X509_REQ_get_version(req) == X509_REQ_VERSION_1, out, TC_ERR_CSR_INVALID,
		       "CSR version %ld (expected v1 = 0)", X509_REQ_get_version(req));
	pkey = X509_REQ_get_pubkey(req);
	if (pkey == NULL) {
		tc_openssl_clear();
		r = tc_fail(TC_ERR_KEY_UNSUPPORTED, "the CSR's public key does not decode");
		goto out;
	}
	TC_GUARD_GOTO(r, csr_key(pkey, out), out);
	if (X509_REQ_verify(req, pkey) != 1) {
		tc_openssl_clear();
		r = tc_fail(TC_ERR_CSR_SIGNATURE_INVALID, "the CSR's self-signature does not verify");
		goto out;
	}
	TC_GUARD_GOTO(r, csr_raw_parts(der, len, out), out);
	TC_GUARD_GOTO(r, csr_sans(req, out), out);
	bio = BIO_new(BIO_s_mem());
	if (bio != NULL && X509_NAME_print_ex(bio, X509_REQ_get_subject_name(req), 0, XN_FLAG_RFC2253) >= 0) {
		int n = BIO_read(bio, out->subject_text, (int)sizeof(out->subject_text) - 1);

		out->subject_text[n > 0 ? n : 0] = '\0';
	}
	tc_openssl_clear();
out:
	BIO_free(bio);
	OPENSSL_free(re);
	EVP_PKEY_free(pkey);
	X509_REQ_free(req);
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
