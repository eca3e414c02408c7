/*
 * test_ca_csr.c — CSR intake: accepted key types, refusals with their codes (weak RSA, other curves,
 * Ed25519, bad self-signature, not PEM, too large, BER), SAN extraction, SPKI equal to the key's DER.
 * The DER walk of ca_csr.c: EC points off the curve or at infinity, explicit curve parameters, compressed
 * points, every truncation, wrong version, patched algorithm OIDs, signature algorithms left to OpenSSL
 * (RSA-PSS, ECDSA with SHA-1).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
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
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *pem;
	long n;

	X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_UTF8, (const unsigned char *)"pss",
				   -1, -1, 0);
	assert_int_equal(X509_REQ_set_pubkey(req, k), 1);
	assert_int_equal(EVP_DigestSignInit(m, &pctx, md, NULL, k), 1);
	if (pss)
		assert_true(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0);
	assert_true(X509_REQ_sign_ctx(req, m) > 0);
	PEM_write_bio_X509_REQ(bio, req);
	n = BIO_get_mem_data(bio, &data);
	pem = calloc(1, (size_t)n + 1);
	memcpy(pem, data, (size_t)n);
	BIO_free(bio);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_types),      cmocka_unit_test(test_sans),
		cmocka_unit_test(test_malformed),      cmocka_unit_test(test_build_roundtrip),
		cmocka_unit_test(test_ec_points),      cmocka_unit_test(test_truncated_and_version),
		cmocka_unit_test(test_algorithm_oids), cmocka_unit_test(test_openssl_verified_algorithms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
