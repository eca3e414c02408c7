/*
 * test_ca_csr.c — CSR intake: accepted key types, refusals with their codes (weak RSA, other curves,
 * Ed25519, bad self-signature, not PEM, too large, BER), SAN extraction, SPKI equal to the key's DER.
 * The DER walk of ca_csr.c: EC points off the curve or at infinity, explicit curve parameters, compressed
 * points, every truncation, wrong version, patched algorithm OIDs, signature algorithms left to OpenSSL
 * (RSA-PSS, ECDSA with SHA-1). Hand-built requests: the identity point with the signature anyone can make,
 * hybrid point forms, RSA exponents (e = 1 with EM as its "signature", 3, even, over 256 bits), even moduli,
 * size limits, rsaEncryption parameters other than NULL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/core_names.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "ca_test_util.h"

static enum tc_code parse(EVP_PKEY *k, const char *const *sans, const EVP_MD *md, struct ca_csr *out)
{
	char *pem = ca_test_csr_pem(k, "node", sans, md);
	struct tc_result r = ca_csr_parse_pem(pem, strlen(pem), out);

	free(pem);
	return r.code;
}

static EVP_PKEY *rsa(unsigned bits)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
}

static void test_key_types(void **state)
{
	struct ca_csr c;
	EVP_PKEY *k;
	unsigned char *der = NULL;
	int n;

	(void)state;
	k = EVP_EC_gen("P-256");
	assert_int_equal(parse(k, NULL, EVP_sha256(), &c), TC_OK);
	assert_int_equal(c.key_type, CA_KEYTYPE_EC_P256);
	n = i2d_PUBKEY(k, &der);
	assert_int_equal((size_t)n, c.spki.len);
	assert_memory_equal(der, c.spki.data, c.spki.len);
	OPENSSL_free(der);
	assert_string_equal(c.subject_text, "CN=node");
	ca_csr_cleanup(&c);
	EVP_PKEY_free(k);
	k = EVP_EC_gen("P-384");
	assert_int_equal(parse(k, NULL, EVP_sha384(), &c), TC_OK);
	assert_int_equal(c.key_type, CA_KEYTYPE_EC_P384);
	ca_csr_cleanup(&c);
	EVP_PKEY_free(k);
	k = rsa(3072);
	assert_int_equal(parse(k, NULL, EVP_sha256(), &c), TC_OK);
	assert_int_equal(c.key_type, CA_KEYTYPE_RSA);
	assert_int_equal(c.key_bits, 3072);
	ca_csr_cleanup(&c);
	EVP_PKEY_free(k);
	k = rsa(2048);
	assert_int_equal(parse(k, NULL, EVP_sha256(), &c), TC_ERR_KEY_WEAK);
	EVP_PKEY_free(k);
	k = EVP_EC_gen("P-521");
	assert_int_equal(parse(k, NULL, EVP_sha512(), &c), TC_ERR_KEY_UNSUPPORTED);
	EVP_PKEY_free(k);
	k = EVP_EC_gen("secp256k1");
	assert_int_equal(parse(k, NULL, EVP_sha256(), &c), TC_ERR_KEY_UNSUPPORTED);
	EVP_PKEY_free(k);
	k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_int_equal(parse(k, NULL, NULL, &c), TC_ERR_KEY_UNSUPPORTED);
	EVP_PKEY_free(k);
}

static void test_sans(void **state)
{
	static const char *const ok[] = { "DNS:a.example", "IP:10.1.2.3", "IP:::1", "URI:spiffe://td/w", "email:x@y.z", NULL };
	static const char *const bad_dns[] = { "DNS:*.example", NULL };
	static const char *const bad_dns2[] = { "DNS:a..b", NULL };
	struct ca_csr c;
	EVP_PKEY *k = EVP_EC_gen("P-256");

	(void)state;
	assert_int_equal(parse(k, ok, EVP_sha256(), &c), TC_OK);
	assert_int_equal(c.n_sans, 5);
	assert_int_equal(c.sans[0].type, CA_SAN_DNS);
	assert_string_equal(c.sans[0].value, "a.example");
	assert_int_equal(c.sans[1].type, CA_SAN_IP);
	assert_string_equal(c.sans[1].value, "10.1.2.3");
	assert_int_equal(c.sans[2].ip_len, 16);
	assert_string_equal(c.sans[2].value, "::1");
	assert_int_equal(c.sans[3].type, CA_SAN_URI);
	assert_int_equal(c.sans[4].type, CA_SAN_OTHER);
	ca_csr_cleanup(&c);
	assert_int_equal(parse(k, bad_dns, EVP_sha256(), &c), TC_ERR_CSR_INVALID);
	assert_int_equal(parse(k, bad_dns2, EVP_sha256(), &c), TC_ERR_CSR_INVALID);
	EVP_PKEY_free(k);
}

static void test_malformed(void **state)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	char *pem = ca_test_csr_pem(k, "node", NULL, EVP_sha256());
	struct ca_csr c;
	BIO *bio;
	char *name, *hdr;
	unsigned char *der;
	long len;
	char *big;

	(void)state;
	assert_int_equal(ca_csr_parse_pem("", 0, &c).code, TC_ERR_CSR_INVALID);
	assert_int_equal(ca_csr_parse_pem("hello", 5, &c).code, TC_ERR_CSR_INVALID);
	big = calloc(1, CA_CSR_PEM_MAX + 2);
	memset(big, 'A', CA_CSR_PEM_MAX + 1);
	assert_int_equal(ca_csr_parse_pem(big, CA_CSR_PEM_MAX + 1, &c).code, TC_ERR_TOO_LARGE);
	free(big);
	/* A certificate PEM block is not a CSR. */
	assert_int_equal(ca_csr_parse_pem("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n", 60, &c).code,
			 TC_ERR_CSR_INVALID);
	/* Flip one bit of the signature: the self-signature check fails. */
	bio = BIO_new_mem_buf(pem, -1);
	assert_int_equal(PEM_read_bio(bio, &name, &hdr, &der, &len), 1);
	BIO_free(bio);
	der[len - 3] ^= 0x01;
	assert_int_equal(ca_csr_parse_der(der, (size_t)len, &c).code, TC_ERR_CSR_SIGNATURE_INVALID);
	der[len - 3] ^= 0x01;
	assert_int_equal(ca_csr_parse_der(der, (size_t)len, &c).code, TC_OK);
	ca_csr_cleanup(&c);
	/* Truncated and trailing bytes. */
	assert_int_equal(ca_csr_parse_der(der, (size_t)len - 1, &c).code, TC_ERR_CSR_INVALID);
	{
		unsigned char *longer = malloc((size_t)len + 1);

		memcpy(longer, der, (size_t)len);
		longer[len] = 0;
		assert_int_equal(ca_csr_parse_der(longer, (size_t)len + 1, &c).code, TC_ERR_CSR_INVALID);
		/* BER: the outer length in long form (0x82 00 xx ...) is not DER. */
		free(longer);
	}
	OPENSSL_free(name);
	OPENSSL_free(hdr);
	OPENSSL_free(der);
	free(pem);
	EVP_PKEY_free(k);
}

static void test_build_roundtrip(void **state)
{
	struct ca_signer *s = NULL;
	struct tc_buf pem = { 0 }, spki = { 0 };
	static const char *const dns[] = { "x.example" };
	struct ca_csr c;

	(void)state;
	assert_true(tc_is_ok(ca_signer_file_generate(CA_KEY_P256, NULL, NULL, 0, &s)));
	assert_true(tc_is_ok(ca_csr_build(s, "built", "teecert", dns, 1, &pem)));
	assert_int_equal(ca_csr_parse_pem((const char *)pem.data, pem.len, &c).code, TC_OK);
	assert_true(tc_is_ok(s->public_key(s, &spki)));
	assert_memory_equal(spki.data, c.spki.data, spki.len);
	assert_string_equal(c.subject_text, "CN=built,O=teecert");
	assert_int_equal(c.n_sans, 1);
	assert_string_equal(c.sans[0].value, "x.example");
	assert_int_equal(ca_csr_build(s, "", NULL, NULL, 0, &pem).code, TC_ERR_INVALID_ARGUMENT);
	ca_csr_cleanup(&c);
	tc_buf_cleanup(&pem);
	tc_buf_cleanup(&spki);
	ca_signer_free(&s);
}

/* DER of a fresh CSR for K (CN=node, no SAN), signed with MD. */
static unsigned char *der_of(EVP_PKEY *k, const EVP_MD *md, size_t *len)
{
	char *pem = ca_test_csr_pem(k, "node", NULL, md);
	BIO *bio = BIO_new_mem_buf(pem, -1);
	char *name = NULL, *hdr = NULL;
	unsigned char *der = NULL;
	long n = 0;

	assert_int_equal(PEM_read_bio(bio, &name, &hdr, &der, &n), 1);
	BIO_free(bio);
	OPENSSL_free(name);
	OPENSSL_free(hdr);
	free(pem);
	*len = (size_t)n;
	return der;
}

static enum tc_code parse_der(const unsigned char *der, size_t len)
{
	struct ca_csr c;
	struct tc_result r = ca_csr_parse_der(der, len, &c);

	if (tc_is_ok(r))
		ca_csr_cleanup(&c);
	return r.code;
}

/* The first occurrence of NEEDLE in DER (asserted present). */
static unsigned char *find(unsigned char *der, size_t len, const void *needle, size_t n)
{
	unsigned char *p = memmem(der, len, needle, n);

	assert_non_null(p);
	return p;
}

static void test_ec_points(void **state)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	unsigned char *spki = NULL, *der, *p;
	size_t len;
	int n;

	(void)state;
	/* Off the curve: the last byte of Y changed (the key check comes before the signature). */
	der = der_of(k, EVP_sha256(), &len);
	n = i2d_PUBKEY(k, &spki);
	p = find(der, len, spki, (size_t)n);
	p[n - 1] ^= 0x01;
	assert_int_equal(parse_der(der, len), TC_ERR_KEY_UNSUPPORTED);
	p[n - 1] ^= 0x01;
	assert_int_equal(parse_der(der, len), TC_OK);
	/* A point with the wrong length for P-256 (X only, uncompressed tag kept). */
	p[n - 65] = 0x05;
	assert_int_equal(parse_der(der, len), TC_ERR_KEY_UNSUPPORTED);
	OPENSSL_free(der);
	OPENSSL_free(spki);

	/* A compressed point is a valid encoding of a P-256 key. */
	assert_int_equal(EVP_PKEY_set_utf8_string_param(k, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, "compressed"),
			 1);
	{
		struct ca_csr c;
		char *pem = ca_test_csr_pem(k, "node", NULL, EVP_sha256());

		assert_int_equal(ca_csr_parse_pem(pem, strlen(pem), &c).code, TC_OK);
		assert_int_equal(c.key_type, CA_KEYTYPE_EC_P256);
		assert_int_equal(c.spki.len, 59); /* 0x02/0x03 || X */
		ca_csr_cleanup(&c);
		free(pem);
	}
	EVP_PKEY_free(k);

	/* Explicit curve parameters are not a named curve (RFC 5480 §2.1.1: MUST NOT be used). Before the DER walk,
	 * OpenSSL's decoder mapped explicit P-256 parameters back to prime256v1 and such a CSR was accepted. */
	k = EVP_EC_gen("P-256");
	assert_int_equal(EVP_PKEY_set_utf8_string_param(k, OSSL_PKEY_PARAM_EC_ENCODING, "explicit"), 1);
	der = der_of(k, EVP_sha256(), &len);
	assert_int_equal(parse_der(der, len), TC_ERR_KEY_UNSUPPORTED);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
}

static void test_truncated_and_version(void **state)
{
	EVP_PKEY *k = EVP_EC_gen("P-384");
	size_t len;
	unsigned char *der = der_of(k, EVP_sha384(), &len);
	static const unsigned char v1[] = { 0x02, 0x01, 0x00 };
	unsigned char *p;

	(void)state;
	for (size_t n = 0; n < len; n++)
		assert_int_equal(parse_der(der, n), TC_ERR_CSR_INVALID);
	assert_int_equal(parse_der(der, len), TC_OK);
	p = find(der, len, v1, sizeof(v1));
	p[2] = 1; /* version 2 */
	assert_int_equal(parse_der(der, len), TC_ERR_CSR_INVALID);
	p[2] = 0;
	/* A non-minimal length inside the request (0x81 0x01 for the version's 1) is BER, not DER. */
	{
		unsigned char *ber = malloc(len + 1);
		size_t off = (size_t)(p - der);

		memcpy(ber, der, off + 1);
		ber[off + 1] = 0x81;
		memcpy(ber + off + 2, p + 1, len - off - 1);
		assert_int_equal(parse_der(ber, len + 1), TC_ERR_CSR_INVALID);
		free(ber);
	}
	OPENSSL_free(der);
	EVP_PKEY_free(k);
}

static void test_algorithm_oids(void **state)
{
	static const unsigned char ec_pub[] = { 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01 };
	static const unsigned char p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
	static const unsigned char ecdsa_sha256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
	static const unsigned char rsa_sha256[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b };
	EVP_PKEY *k = EVP_EC_gen("P-256");
	size_t len;
	unsigned char *der = der_of(k, EVP_sha256(), &len), *p;

	(void)state;
	/* Key algorithm 1.2.840.10045.2.2 (not a key type OpenSSL knows). */
	p = find(der, len, ec_pub, sizeof(ec_pub));
	p[8] = 0x02;
	assert_int_equal(parse_der(der, len), TC_ERR_KEY_UNSUPPORTED);
	p[8] = 0x01;
	/* Curve prime256v1 -> prime239v1 (1.2.840.10045.3.1.4): a named curve we do not accept. */
	p = find(der, len, p256, sizeof(p256));
	p[9] = 0x04;
	assert_int_equal(parse_der(der, len), TC_ERR_KEY_UNSUPPORTED);
	p[9] = 0x07;
	/* ecdsa-with-SHA384 on a SHA-256 signature; an unknown ecdsa-with-SHA2 arc (left to OpenSSL). */
	p = find(der, len, ecdsa_sha256, sizeof(ecdsa_sha256));
	p[9] = 0x03;
	assert_int_equal(parse_der(der, len), TC_ERR_CSR_SIGNATURE_INVALID);
	p[9] = 0x09;
	assert_int_equal(parse_der(der, len), TC_ERR_CSR_SIGNATURE_INVALID);
	p[9] = 0x02;
	assert_int_equal(parse_der(der, len), TC_OK);
	/* The signature BIT STRING right after the algorithm: 8 unused bits is not a BIT STRING. */
	assert_int_equal(p[10], 0x03);
	p[12] = 8;
	assert_int_equal(parse_der(der, len), TC_ERR_CSR_INVALID);
	p[12] = 0;
	OPENSSL_free(der);
	EVP_PKEY_free(k);

	k = rsa(3072);
	der = der_of(k, EVP_sha256(), &len);
	p = find(der, len, rsa_sha256, sizeof(rsa_sha256));
	p[10] = 0x0c; /* sha384WithRSAEncryption over a SHA-256 signature */
	assert_int_equal(parse_der(der, len), TC_ERR_CSR_SIGNATURE_INVALID);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
}

/* A CSR signed through an EVP_MD_CTX (RSA-PSS padding when PSS). */
static char *csr_pem_ctx(EVP_PKEY *k, const EVP_MD *md, bool pss)
{
	X509_REQ *req = X509_REQ_new();
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	char *pem;

	X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_UTF8, (const unsigned char *)"pss",
				   -1, -1, 0);
	assert_int_equal(X509_REQ_set_pubkey(req, k), 1);
	assert_int_equal(EVP_DigestSignInit(m, &pctx, md, NULL, k), 1);
	if (pss)
		assert_true(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0);
	assert_true(X509_REQ_sign_ctx(req, m) > 0);
	pem = ca_test_req_pem(req);
	EVP_MD_CTX_free(m);
	X509_REQ_free(req);
	return pem;
}

static void test_openssl_verified_algorithms(void **state)
{
	struct ca_csr c;
	EVP_PKEY *k = rsa(3072);
	char *pem = csr_pem_ctx(k, EVP_sha256(), true);

	(void)state;
	assert_int_equal(ca_csr_parse_pem(pem, strlen(pem), &c).code, TC_OK);
	assert_int_equal(c.key_type, CA_KEYTYPE_RSA);
	assert_string_equal(c.subject_text, "CN=pss");
	ca_csr_cleanup(&c);
	free(pem);
	EVP_PKEY_free(k);
	k = EVP_EC_gen("P-256");
	pem = csr_pem_ctx(k, EVP_sha1(), false);
	assert_int_equal(ca_csr_parse_pem(pem, strlen(pem), &c).code, TC_OK);
	ca_csr_cleanup(&c);
	free(pem);
	EVP_PKEY_free(k);
}

/* ------------------------------------------------------------------ hand-built requests (the DER walk) */

/* TAG LEN CONTENT at OUT (CONTENT may overlap OUT: moved); returns the TLV's length. */
static size_t tlv(uint8_t *out, uint8_t tag, const uint8_t *content, size_t n)
{
	size_t h = 2;

	if (n >= 0x100)
		h = 4;
	else if (n >= 0x80)
		h = 3;
	memmove(out + h, content, n);
	out[0] = tag;
	if (h == 2) {
		out[1] = (uint8_t)n;
	} else if (h == 3) {
		out[1] = 0x81;
		out[2] = (uint8_t)n;
	} else {
		out[1] = 0x82;
		out[2] = (uint8_t)(n >> 8);
		out[3] = (uint8_t)n;
	}
	return h + n;
}

/* CertificationRequestInfo { v1, CN=node, SPKI, [0] {} } into CRI (at least spki_len + 64 bytes). */
static size_t cri_of(const uint8_t *spki, size_t spki_len, uint8_t *cri)
{
	static const uint8_t head[] = { 0x02, 0x01, 0x00, 0x30, 0x0f, 0x31, 0x0d, 0x30, 0x0b, 0x06,
					0x03, 0x55, 0x04, 0x03, 0x0c, 0x04, 'n',  'o',  'd',  'e' };
	uint8_t body[4096];
	size_t n = 0;

	assert_true(spki_len + sizeof(head) + 2 <= sizeof(body));
	memcpy(body, head, sizeof(head));
	n = sizeof(head);
	memcpy(body + n, spki, spki_len);
	n += spki_len;
	body[n++] = 0xa0;
	body[n++] = 0x00;
	return tlv(cri, 0x30, body, n);
}

/* CertificationRequest { CRI, AlgorithmIdentifier { SIG_OID (TLV) }, BIT STRING { 0, SIG } } into OUT. */
static size_t csr_of(const uint8_t *cri, size_t cri_len, const uint8_t *sig_oid, size_t oid_len, const uint8_t *sig,
		     size_t sig_len, uint8_t *out)
{
	uint8_t body[8192], alg[32], bits[2048];
	size_t n = 0;

	assert_true(cri_len + oid_len + sig_len + 32 <= sizeof(body) && sig_len + 1 <= sizeof(bits));
	memcpy(body, cri, cri_len);
	n = cri_len;
	memcpy(alg, sig_oid, oid_len);
	n += tlv(body + n, 0x30, alg, oid_len);
	bits[0] = 0;
	memcpy(bits + 1, sig, sig_len);
	n += tlv(body + n, 0x03, bits, sig_len + 1);
	return tlv(out, 0x30, body, n);
}

static const uint8_t oid_ecdsa_sha256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
static const uint8_t oid_ecdsa_sha384[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03 };
static const uint8_t oid_rsa_sha256[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b };

/* SubjectPublicKeyInfo of an EC key on CURVE_OID (TLV) whose ECPoint is POINT. */
static size_t ec_spki(const uint8_t *curve_oid, size_t curve_len, const uint8_t *point, size_t point_len, uint8_t *out)
{
	static const uint8_t ec_pub[] = { 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01 };
	uint8_t body[512], alg[64], bits[256];
	size_t n;

	memcpy(alg, ec_pub, sizeof(ec_pub));
	memcpy(alg + sizeof(ec_pub), curve_oid, curve_len);
	n = tlv(body, 0x30, alg, sizeof(ec_pub) + curve_len);
	bits[0] = 0;
	memcpy(bits + 1, point, point_len);
	n += tlv(body + n, 0x03, bits, point_len + 1);
	return tlv(out, 0x30, body, n);
}

/* SubjectPublicKeyInfo of rsaEncryption with parameters PARAMS (a TLV, or none when PARAMS_LEN is 0). */
static size_t rsa_spki(const BIGNUM *n, const BIGNUM *e, const uint8_t *params, size_t params_len, uint8_t *out)
{
	static const uint8_t rsa_enc[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01 };
	uint8_t ints[2400], seq[2400], bits[2400], body[2400], alg[64];
	size_t m = 0, k;
	uint8_t mag[1100];
	int len;

	for (int i = 0; i < 2; i++) {
		const BIGNUM *v = i == 0 ? n : e;

		mag[0] = 0;
		len = BN_bn2bin(v, mag + 1);
		k = (size_t)len + 1;
		/* minimal INTEGER: keep the 0x00 only when the top bit is set */
		if (len > 0 && !(mag[1] & 0x80))
			m += tlv(ints + m, 0x02, mag + 1, (size_t)len);
		else
			m += tlv(ints + m, 0x02, mag, k);
	}
	k = tlv(seq, 0x30, ints, m);
	bits[0] = 0;
	memcpy(bits + 1, seq, k);
	memcpy(alg, rsa_enc, sizeof(rsa_enc));
	if (params_len > 0)
		memcpy(alg + sizeof(rsa_enc), params, params_len);
	m = tlv(body, 0x30, alg, sizeof(rsa_enc) + params_len);
	m += tlv(body + m, 0x03, bits, k + 1);
	return tlv(out, 0x30, body, m);
}

/* The whole request for SPKI, signed by K with MD (SIG_OID naming it). */
static size_t csr_signed(const uint8_t *spki, size_t spki_len, EVP_PKEY *k, const EVP_MD *md, const uint8_t *sig_oid,
			 size_t oid_len, uint8_t *out)
{
	uint8_t cri[4096], sig[1024];
	size_t cri_len = cri_of(spki, spki_len, cri), sig_len = sizeof(sig);
	EVP_MD_CTX *m = EVP_MD_CTX_new();

	assert_int_equal(EVP_DigestSignInit(m, NULL, md, NULL, k), 1);
	assert_int_equal(EVP_DigestSign(m, sig, &sig_len, cri, cri_len), 1);
	EVP_MD_CTX_free(m);
	return csr_of(cri, cri_len, sig_oid, oid_len, sig, sig_len, out);
}

/*
 * The ECDSA "signature" that verifies for the identity public key O over any message: R = kG, r = x(R), s = h/k,
 * so u1 G + u2 O = (h/s) G = kG. Anyone can make it, so a key at infinity proves no possession.
 */
static size_t forge_ecdsa_identity(int nid, const EVP_MD *md, const uint8_t *msg, size_t msg_len, uint8_t *sig)
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(nid);
	BN_CTX *ctx = BN_CTX_new();
	EC_POINT *R = EC_POINT_new(g);
	BIGNUM *k = BN_new(), *x = BN_new(), *r = BN_new(), *s = BN_new(), *h = BN_new(), *kinv;
	const BIGNUM *order = EC_GROUP_get0_order(g);
	uint8_t dgst[64];
	unsigned int dlen = 0;
	ECDSA_SIG *es = ECDSA_SIG_new();
	unsigned char *p = sig;
	int n;

	assert_int_equal(EVP_Digest(msg, msg_len, dgst, &dlen, md, NULL), 1);
	assert_non_null(BN_bin2bn(dgst, (int)dlen, h));
	assert_int_equal(BN_rand_range(k, order), 1);
	assert_int_equal(EC_POINT_mul(g, R, k, NULL, NULL, ctx), 1);
	assert_int_equal(EC_POINT_get_affine_coordinates(g, R, x, NULL, ctx), 1);
	assert_int_equal(BN_nnmod(r, x, order, ctx), 1);
	kinv = BN_mod_inverse(NULL, k, order, ctx);
	assert_non_null(kinv);
	assert_int_equal(BN_mod_mul(s, h, kinv, order, ctx), 1);
	assert_int_equal(ECDSA_SIG_set0(es, r, s), 1);
	n = i2d_ECDSA_SIG(es, &p);
	assert_true(n > 0);
	ECDSA_SIG_free(es);
	BN_free(kinv);
	BN_free(k);
	BN_free(x);
	BN_free(h);
	EC_POINT_free(R);
	BN_CTX_free(ctx);
	EC_GROUP_free(g);
	return (size_t)n;
}

static void test_ec_point_identity(void **state)
{
	static const uint8_t p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
	static const uint8_t p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };
	static const uint8_t identity[] = { 0x00 };
	uint8_t spki[512], cri[1024], sig[256], der[2048];
	size_t spki_len, cri_len, sig_len, len;

	(void)state;
	/* The identity (point at infinity, ECPoint 0x00) with the signature anyone can make: refused. */
	for (int i = 0; i < 2; i++) {
		spki_len = ec_spki(i == 0 ? p256 : p384, i == 0 ? sizeof(p256) : sizeof(p384), identity, 1, spki);
		cri_len = cri_of(spki, spki_len, cri);
		sig_len = forge_ecdsa_identity(i == 0 ? NID_X9_62_prime256v1 : NID_secp384r1,
					       i == 0 ? EVP_sha256() : EVP_sha384(), cri, cri_len, sig);
		len = csr_of(cri, cri_len, i == 0 ? oid_ecdsa_sha256 : oid_ecdsa_sha384,
			     i == 0 ? sizeof(oid_ecdsa_sha256) : sizeof(oid_ecdsa_sha384), sig, sig_len, der);
		assert_int_equal(parse_der(der, len), TC_ERR_KEY_UNSUPPORTED);
	}
}

static void test_ec_point_hybrid(void **state)
{
	static const uint8_t p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
	uint8_t spki[512], der[2048], point[256];
	size_t spki_len, len, plen = 0;
	EVP_PKEY *k;

	(void)state;
	/* A real key, its point in the hybrid form (0x06/0x07 || X || Y; RFC 5480 §2.2: MUST be rejected), signed
	 * by the key: refused. The same request with the uncompressed form is accepted. */
	k = EVP_EC_gen("P-256");
	assert_int_equal(EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point), &plen), 1);
	assert_int_equal(plen, 65);
	assert_int_equal(point[0], 0x04);
	spki_len = ec_spki(p256, sizeof(p256), point, plen, spki);
	len = csr_signed(spki, spki_len, k, EVP_sha256(), oid_ecdsa_sha256, sizeof(oid_ecdsa_sha256), der);
	assert_int_equal(parse_der(der, len), TC_OK);
	point[0] = (uint8_t)(0x06 | (point[64] & 1));
	spki_len = ec_spki(p256, sizeof(p256), point, plen, spki);
	len = csr_signed(spki, spki_len, k, EVP_sha256(), oid_ecdsa_sha256, sizeof(oid_ecdsa_sha256), der);
	assert_int_equal(parse_der(der, len), TC_ERR_KEY_UNSUPPORTED);
	/* A compressed tag on a 65-byte point, an uncompressed one on 33 bytes: refused. */
	point[0] = (uint8_t)(0x02 | (point[64] & 1));
	spki_len = ec_spki(p256, sizeof(p256), point, plen, spki);
	len = csr_signed(spki, spki_len, k, EVP_sha256(), oid_ecdsa_sha256, sizeof(oid_ecdsa_sha256), der);
	assert_int_equal(parse_der(der, len), TC_ERR_KEY_UNSUPPORTED);
	point[0] = 0x04;
	spki_len = ec_spki(p256, sizeof(p256), point, 33, spki);
	len = csr_signed(spki, spki_len, k, EVP_sha256(), oid_ecdsa_sha256, sizeof(oid_ecdsa_sha256), der);
	assert_int_equal(parse_der(der, len), TC_ERR_KEY_UNSUPPORTED);
	EVP_PKEY_free(k);
}

/* EMSA-PKCS1-v1_5 of SHA-256(MSG) in MOD_LEN bytes (RFC 8017 §9.2): the "signature" when e = 1. */
static void emsa_sha256(const uint8_t *msg, size_t msg_len, uint8_t *em, size_t mod_len)
{
	static const uint8_t di[] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
				      0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };
	unsigned int dlen = 0;

	memset(em, 0xff, mod_len);
	em[0] = 0x00;
	em[1] = 0x01;
	em[mod_len - 32 - sizeof(di) - 1] = 0x00;
	memcpy(em + mod_len - 32 - sizeof(di), di, sizeof(di));
	assert_int_equal(EVP_Digest(msg, msg_len, em + mod_len - 32, &dlen, EVP_sha256(), NULL), 1);
}

/* Request for RSA key (N, E) with parameters PARAMS; the signature is EM (which verifies only when e = 1). */
static enum tc_code rsa_case(const BIGNUM *n, const BIGNUM *e, const uint8_t *params, size_t params_len)
{
	static uint8_t spki[2400], cri[2600], sig[1100], der[4000];
	size_t spki_len = rsa_spki(n, e, params, params_len, spki), cri_len = cri_of(spki, spki_len, cri);
	size_t mod_len = (size_t)BN_num_bytes(n);

	emsa_sha256(cri, cri_len, sig, mod_len);
	return parse_der(der, csr_of(cri, cri_len, oid_rsa_sha256, sizeof(oid_rsa_sha256), sig, mod_len, der));
}

static void test_rsa_key_checks(void **state)
{
	static const uint8_t null_params[] = { 0x05, 0x00 };
	static const uint8_t odd_params[] = { 0x04, 0x01, 0x78 };
	BIGNUM *n = BN_new(), *e = BN_new();

	(void)state;
	assert_int_equal(BN_rand(n, 3072, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ODD), 1);
	/* e = 1: EM itself is a valid signature for any modulus, so no proof of possession. */
	assert_int_equal(BN_set_word(e, 1), 1);
	assert_int_equal(rsa_case(n, e, null_params, sizeof(null_params)), TC_ERR_KEY_WEAK);
	assert_int_equal(BN_set_word(e, 3), 1);
	assert_int_equal(rsa_case(n, e, null_params, sizeof(null_params)), TC_ERR_KEY_WEAK);
	/* Even exponent, exponent of more than 256 bits: not an RSA public key we accept. */
	assert_int_equal(BN_set_word(e, 65538), 1);
	assert_int_equal(rsa_case(n, e, null_params, sizeof(null_params)), TC_ERR_KEY_UNSUPPORTED);
	assert_int_equal(BN_set_word(e, 1), 1);
	assert_int_equal(BN_lshift(e, e, 256), 1);
	assert_int_equal(BN_add_word(e, 1), 1);
	assert_int_equal(rsa_case(n, e, null_params, sizeof(null_params)), TC_ERR_KEY_UNSUPPORTED);
	/* e = 65537 passes the key checks (the made-up signature then does not verify). */
	assert_int_equal(BN_set_word(e, 65537), 1);
	assert_int_equal(rsa_case(n, e, null_params, sizeof(null_params)), TC_ERR_CSR_SIGNATURE_INVALID);
	/* An even modulus. */
	assert_int_equal(BN_clear_bit(n, 0), 1);
	assert_int_equal(rsa_case(n, e, null_params, sizeof(null_params)), TC_ERR_KEY_UNSUPPORTED);
	/* Modulus sizes: 3071 -> key_weak, 8193 -> key_unsupported, 8192 passes the key checks. */
	assert_int_equal(BN_rand(n, 3071, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ODD), 1);
	assert_int_equal(rsa_case(n, e, null_params, sizeof(null_params)), TC_ERR_KEY_WEAK);
	assert_int_equal(BN_rand(n, 8193, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ODD), 1);
	assert_int_equal(rsa_case(n, e, null_params, sizeof(null_params)), TC_ERR_KEY_UNSUPPORTED);
	assert_int_equal(BN_rand(n, 8192, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ODD), 1);
	assert_int_equal(rsa_case(n, e, null_params, sizeof(null_params)), TC_ERR_CSR_SIGNATURE_INVALID);
	/* rsaEncryption parameters are NULL (RFC 3279 §2.3.1) or, tolerated, absent; anything else would make one key
	 * encodable as many SubjectPublicKeyInfos (the evidence binding hashes the SPKI). */
	assert_int_equal(BN_rand(n, 3072, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ODD), 1);
	assert_int_equal(rsa_case(n, e, NULL, 0), TC_ERR_CSR_SIGNATURE_INVALID);
	assert_int_equal(rsa_case(n, e, odd_params, sizeof(odd_params)), TC_ERR_KEY_UNSUPPORTED);
	BN_free(n);
	BN_free(e);
}

static void test_rsa_params_signed(void **state)
{
	static const uint8_t odd_params[] = { 0x04, 0x01, 0x78 };
	EVP_PKEY *k = rsa(3072);
	BIGNUM *n = NULL, *e = NULL;
	static uint8_t spki[2400], der[4000];
	size_t spki_len, len;

	(void)state;
	assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n), 1);
	assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e), 1);
	/* Parameters absent: tolerated (a properly signed request is accepted). */
	spki_len = rsa_spki(n, e, NULL, 0, spki);
	len = csr_signed(spki, spki_len, k, EVP_sha256(), oid_rsa_sha256, sizeof(oid_rsa_sha256), der);
	assert_int_equal(parse_der(der, len), TC_OK);
	/* Arbitrary parameters, even properly signed: refused. */
	spki_len = rsa_spki(n, e, odd_params, sizeof(odd_params), spki);
	len = csr_signed(spki, spki_len, k, EVP_sha256(), oid_rsa_sha256, sizeof(oid_rsa_sha256), der);
	assert_int_equal(parse_der(der, len), TC_ERR_KEY_UNSUPPORTED);
	/* An RSA key under an ECDSA signature algorithm. */
	spki_len = rsa_spki(n, e, NULL, 0, spki);
	len = csr_signed(spki, spki_len, k, EVP_sha256(), oid_ecdsa_sha256, sizeof(oid_ecdsa_sha256), der);
	assert_int_equal(parse_der(der, len), TC_ERR_CSR_SIGNATURE_INVALID);
	BN_free(n);
	BN_free(e);
	EVP_PKEY_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_types),         cmocka_unit_test(test_sans),
		cmocka_unit_test(test_malformed),         cmocka_unit_test(test_build_roundtrip),
		cmocka_unit_test(test_ec_points),         cmocka_unit_test(test_truncated_and_version),
		cmocka_unit_test(test_algorithm_oids),    cmocka_unit_test(test_openssl_verified_algorithms),
		cmocka_unit_test(test_ec_point_identity), cmocka_unit_test(test_ec_point_hybrid),
		cmocka_unit_test(test_rsa_key_checks),    cmocka_unit_test(test_rsa_params_signed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
