/*
 * test_ca_csr.c — CSR intake: accepted key types, refusals with their codes (weak RSA, other curves,
 * Ed25519, bad self-signature, not PEM, too large, BER), SAN extraction, SPKI equal to the key's DER.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_types), cmocka_unit_test(test_sans),
		cmocka_unit_test(test_malformed), cmocka_unit_test(test_build_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
