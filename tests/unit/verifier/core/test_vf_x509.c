/*
 * test_vf_x509.c — shared certificate helpers on real Intel and AMD certificates: strict PEM sequences,
 * chain verification order (structure and signatures, then validity), CRL checks, raw ECDSA.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "vf_internal.h"

static struct tc_buf read_shared(const char *rel)
{
	const char *base = getenv("TEECERT_SHARED");
	char path[1024];
	struct tc_buf b;

	assert_non_null(base);
	snprintf(path, sizeof(path), "%s/evidence/%s", base, rel);
	tc_buf_init(&b, 1 << 20);
	assert_true(tc_is_ok(tc_file_read(path, 1 << 20, &b)));
	return b;
}

static STACK_OF(X509) *chain_of(const char *rel)
{
	struct tc_buf b = read_shared(rel);
	STACK_OF(X509) *sk = NULL;

	assert_true(tc_is_ok(vf_x509_parse_pem_chain(b.data, b.len, TC_ERR_CERT_CHAIN_INVALID, &sk)));
	tc_buf_cleanup(&b);
	return sk;
}

static int64_t at(const char *t)
{
	int64_t v = 0;

	assert_true(tc_is_ok(tc_time_parse(t, &v)));
	return v;
}

static void test_pem_chain_strict(void **state)
{
	struct tc_buf b = read_shared("tdx/intel_tcb_signing_chain_2025-2032.pem");
	STACK_OF(X509) *sk = NULL;
	struct tc_buf bad;
	uint8_t *end;

	assert_true(tc_is_ok(vf_x509_parse_pem_chain(b.data, b.len, TC_ERR_CERT_CHAIN_INVALID, &sk)));
	assert_int_equal(sk_X509_num(sk), 2);
	sk_X509_pop_free(sk, X509_free);

	/* trailing NUL padding is fine (quotes carry it) */
	tc_buf_init(&bad, 1 << 20);
	assert_true(tc_is_ok(tc_buf_append(&bad, b.data, b.len)));
	assert_true(tc_is_ok(tc_buf_append(&bad, "\0\0\0", 3)));
	assert_true(tc_is_ok(vf_x509_parse_pem_chain(bad.data, bad.len, TC_ERR_CERT_CHAIN_INVALID, &sk)));
	sk_X509_pop_free(sk, X509_free);

	/* garbage between blocks */
	tc_buf_reset(&bad);
	end = memmem(b.data, b.len, "-----END CERTIFICATE-----", 25);
	assert_non_null(end);
	assert_true(tc_is_ok(tc_buf_append(&bad, b.data, (size_t)(end - b.data) + 25)));
	assert_true(tc_is_ok(tc_buf_append_str(&bad, "\nxx\n")));
	assert_true(tc_is_ok(tc_buf_append(&bad, end + 25, b.len - (size_t)(end - b.data) - 25)));
	assert_int_equal(vf_x509_parse_pem_chain(bad.data, bad.len, TC_ERR_CERT_CHAIN_INVALID, &sk).code,
			 TC_ERR_CERT_CHAIN_INVALID);

	/* a damaged END line of the last block (as gotdx flip 0x1343) */
	tc_buf_reset(&bad);
	assert_true(tc_is_ok(tc_buf_append(&bad, b.data, b.len)));
	end = memmem(bad.data + 40, bad.len - 40, "-----END CERTIFICATE-----", 25);
	end = memmem(end + 25, bad.len - (size_t)(end + 25 - bad.data), "-----END CERTIFICATE-----", 25);
	assert_non_null(end);
	end[3] = '2';
	assert_int_equal(vf_x509_parse_pem_chain(bad.data, bad.len, TC_ERR_RIM_CHAIN_INVALID, &sk).code,
			 TC_ERR_RIM_CHAIN_INVALID);

	/* a damaged END line of the FIRST block: the reader must not swallow the second certificate */
	tc_buf_reset(&bad);
	assert_true(tc_is_ok(tc_buf_append(&bad, b.data, b.len)));
	end = memmem(bad.data, bad.len, "-----END CERTIFICATE-----", 25);
	end[10] = 'X';
	assert_int_equal(vf_x509_parse_pem_chain(bad.data, bad.len, TC_ERR_CERT_CHAIN_INVALID, &sk).code,
			 TC_ERR_CERT_CHAIN_INVALID);

	/* empty, NUL inside, not PEM */
	assert_int_equal(vf_x509_parse_pem_chain((const uint8_t *)"  \n", 3, TC_ERR_CERT_CHAIN_INVALID, &sk).code,
			 TC_ERR_CERT_CHAIN_INVALID);
	assert_int_equal(vf_x509_parse_pem_chain((const uint8_t *)"\0x", 2, TC_ERR_CERT_CHAIN_INVALID, &sk).code,
			 TC_ERR_CERT_CHAIN_INVALID);
	tc_buf_cleanup(&bad);
	tc_buf_cleanup(&b);
}

static void test_parse_der_or_pem(void **state)
{
	struct tc_buf der = read_shared("snp/trustee_milan_vcek.der");
	struct tc_buf pem = read_shared("snp/amd_ark_milan.pem");
	X509 *x = NULL;

	assert_true(tc_is_ok(vf_x509_parse(der.data, der.len, TC_ERR_CERT_CHAIN_INVALID, &x)));
	X509_free(x);
	assert_true(tc_is_ok(vf_x509_parse(pem.data, pem.len, TC_ERR_CERT_CHAIN_INVALID, &x)));
	X509_free(x);
	/* DER with a trailing byte, and truncated DER */
	assert_true(tc_is_ok(tc_buf_append_u8(&der, 0)));
	assert_int_equal(vf_x509_parse(der.data, der.len, TC_ERR_CERT_CHAIN_INVALID, &x).code, TC_ERR_CERT_CHAIN_INVALID);
	assert_int_equal(vf_x509_parse(der.data, 100, TC_ERR_CERT_CHAIN_INVALID, &x).code, TC_ERR_CERT_CHAIN_INVALID);
	/* two certificates where one is expected */
	tc_buf_cleanup(&pem);
	pem = read_shared("snp/amd_ark_ask_milan_vcek.pem");
	assert_int_equal(vf_x509_parse(pem.data, pem.len, TC_ERR_CERT_CHAIN_INVALID, &x).code, TC_ERR_CERT_CHAIN_INVALID);
	tc_buf_cleanup(&pem);
	tc_buf_cleanup(&der);
}

static void test_verify_chain_order(void **state)
{
	STACK_OF(X509) *sk = chain_of("tdx/intel_tcb_signing_chain_2025-2032.pem");
	STACK_OF(X509) *amd = chain_of("snp/amd_ark_milan.pem");
	STACK_OF(X509) *built = NULL;
	X509 *leaf = sk_X509_value(sk, 0), *root = sk_X509_value(sk, 1);

	assert_true(tc_is_ok(vf_x509_verify_chain(leaf, sk, root, at("2026-01-01T00:00:00Z"), VF_CHAIN_LEAF_SIGNER,
						  TC_ERR_CERT_CHAIN_INVALID, &built)));
	assert_int_equal(sk_X509_num(built), 2);
	sk_X509_pop_free(built, X509_free);
	/* renewed signing cert: notBefore 2025-05-06 */
	assert_int_equal(vf_x509_verify_chain(leaf, sk, root, at("2024-01-01T00:00:00Z"), 0, TC_ERR_CERT_CHAIN_INVALID,
					      NULL).code,
			 TC_ERR_CERT_EXPIRED);
	assert_non_null(strstr(tc_error_detail(), "2025-05-06"));
	/* wrong anchor is a chain failure, whatever the time */
	assert_int_equal(vf_x509_verify_chain(leaf, sk, sk_X509_value(amd, 0), at("2024-01-01T00:00:00Z"), 0,
					      TC_ERR_CERT_CHAIN_INVALID, NULL).code,
			 TC_ERR_CERT_CHAIN_INVALID);
	/* the root as leaf signer: a CA cannot be an evidence signer */
	assert_int_equal(vf_x509_verify_chain(root, NULL, root, at("2026-01-01T00:00:00Z"), VF_CHAIN_LEAF_SIGNER,
					      TC_ERR_RIM_CHAIN_INVALID, NULL).code,
			 TC_ERR_RIM_CHAIN_INVALID);
	sk_X509_pop_free(sk, X509_free);
	sk_X509_pop_free(amd, X509_free);
}

static void test_crl(void **state)
{
	struct tc_buf crl = read_shared("tdx/gotdx_pck_platform_crl_2023-06-08.der");
	struct tc_buf root_crl = read_shared("tdx/gotdx_root_ca_crl_2023-04-03.der");
	STACK_OF(X509) *issuer = chain_of("tdx/gotdx_pck_crl_issuer_chain.pem");
	X509 *platform_ca = sk_X509_value(issuer, 0), *root = sk_X509_value(issuer, 1);

	assert_true(tc_is_ok(vf_x509_check_crl(crl.data, crl.len, platform_ca, at("2023-07-01T01:00:00Z"), NULL,
					       "pck_crl")));
	assert_int_equal(vf_x509_check_crl(crl.data, crl.len, platform_ca, at("2023-08-01T00:00:00Z"), NULL, "pck_crl")
				 .code,
			 TC_ERR_COLLATERAL_EXPIRED);
	/* signed by the platform CA, not by the root */
	assert_int_equal(vf_x509_check_crl(crl.data, crl.len, root, at("2023-07-01T01:00:00Z"), NULL, "pck_crl").code,
			 TC_ERR_COLLATERAL_SIGNATURE_INVALID);
	/* root CRL is empty: the platform CA is not revoked */
	assert_true(tc_is_ok(vf_x509_check_crl(root_crl.data, root_crl.len, root, at("2023-07-01T01:00:00Z"), issuer,
					       "root_ca_crl")));
	/* a flipped signature byte */
	crl.data[crl.len - 5] ^= 0xff;
	assert_int_equal(vf_x509_check_crl(crl.data, crl.len, platform_ca, at("2023-07-01T01:00:00Z"), NULL, "pck_crl")
				 .code,
			 TC_ERR_COLLATERAL_SIGNATURE_INVALID);
	assert_int_not_equal(vf_x509_check_crl(crl.data, 10, platform_ca, at("2023-07-01T01:00:00Z"), NULL, "pck_crl")
				     .code,
			     TC_OK);
	sk_X509_pop_free(issuer, X509_free);
	tc_buf_cleanup(&crl);
	tc_buf_cleanup(&root_crl);
}

static void test_ecdsa_raw(void **state)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	uint8_t dgst[32], raw[64] = { 0 };
	unsigned char der[80];
	size_t der_len = sizeof(der);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(k, NULL);
	ECDSA_SIG *sig;
	const unsigned char *p = der;
	const BIGNUM *r, *s;

	assert_true(tc_is_ok(vf_sha256("msg", 3, dgst)));
	assert_int_equal(EVP_PKEY_sign_init(ctx), 1);
	assert_int_equal(EVP_PKEY_sign(ctx, der, &der_len, dgst, 32), 1);
	sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	ECDSA_SIG_get0(sig, &r, &s);
	BN_bn2binpad(r, raw, 32);
	BN_bn2binpad(s, raw + 32, 32);
	assert_true(vf_ecdsa_verify_raw(k, dgst, 32, raw, 32));
	raw[10] ^= 1;
	assert_false(vf_ecdsa_verify_raw(k, dgst, 32, raw, 32));
	ECDSA_SIG_free(sig);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pem_chain_strict), cmocka_unit_test(test_parse_der_or_pem),
		cmocka_unit_test(test_verify_chain_order), cmocka_unit_test(test_crl), cmocka_unit_test(test_ecdsa_raw),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
