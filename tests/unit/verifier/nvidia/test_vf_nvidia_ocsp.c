/*
 * test_vf_nvidia_ocsp.c — RFC 6960 request building and response checking against a CA generated here
 * (no OCSP responses exist in the shared data): good / revoked / on hold / unknown, signer rules
 * (issuer, delegated responder with and without id-kp-OCSPSigning, foreign key), windows and nonce.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "vf_nvidia.h"

#define NOW 1750000000 /* 2025-06-15 */
#define DAY 86400

static EVP_PKEY *ca_key, *leaf_key, *resp_key, *other_key;
static X509 *ca, *leaf, *responder, *responder_noeku, *other_ca;

static EVP_PKEY *new_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-384");

	assert_non_null(k);
	return k;
}

static X509 *new_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, const char *eku, long serial)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	X509V3_CTX v3;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
	ASN1_TIME_set(X509_getm_notBefore(x), NOW - 30 * DAY);
	ASN1_TIME_set(X509_getm_notAfter(x), NOW + 30 * DAY);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
	if (eku) {
		X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, NID_ext_key_usage, eku);

		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	assert_true(X509_sign(x, issuer_key, EVP_sha384()) > 0);
	X509_NAME_free(name);
	return x;
}

static int setup(void **state)
{
	(void)state;
	ca_key = new_key();
	leaf_key = new_key();
	resp_key = new_key();
	other_key = new_key();
	ca = new_cert("Test GPU CA", ca_key, NULL, ca_key, NULL, 1);
	other_ca = new_cert("Test GPU CA", other_key, NULL, other_key, NULL, 1); /* same name, other key */
	leaf = new_cert("Test GPU leaf", leaf_key, ca, ca_key, NULL, 2);
	responder = new_cert("Test OCSP responder", resp_key, ca, ca_key, "OCSPSigning", 3);
	responder_noeku = new_cert("Test OCSP responder", resp_key, ca, ca_key, NULL, 4);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	X509_free(ca);
	X509_free(other_ca);
	X509_free(leaf);
	X509_free(responder);
	X509_free(responder_noeku);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(leaf_key);
	EVP_PKEY_free(resp_key);
	EVP_PKEY_free(other_key);
	return 0;
}

struct resp_opts {
	int status;
	int reason;
	long this_off, next_off; /* seconds from NOW; next_off 0 = no nextUpdate */
	X509 *signer;
	EVP_PKEY *key;
	const uint8_t *nonce;
	X509 *about; /* certificate the response is about (default leaf) */
};

static struct tc_buf make_response(const struct resp_opts *o)
{
	OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
	OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha384(), o->about ? o->about : leaf, ca);
	ASN1_TIME *tu = ASN1_TIME_set(NULL, NOW + o->this_off);
	ASN1_TIME *nu = o->next_off ? ASN1_TIME_set(NULL, NOW + o->next_off) : NULL;
	ASN1_TIME *rt = ASN1_TIME_set(NULL, NOW - DAY);
	OCSP_RESPONSE *resp;
	STACK_OF(X509) *certs = sk_X509_new_null();
	unsigned char *der = NULL;
	int n;
	struct tc_buf b;

	assert_non_null(OCSP_basic_add1_status(bs, id, o->status, o->reason, rt, tu, nu));
	if (o->nonce)
		assert_int_equal(OCSP_basic_add1_nonce(bs, (unsigned char *)o->nonce, VF_OCSP_NONCE_LEN), 1);
	if (o->signer != ca)
		sk_X509_push(certs, o->signer);
	assert_int_equal(OCSP_basic_sign(bs, o->signer, o->key, EVP_sha384(), certs, o->signer == ca ? OCSP_NOCERTS : 0), 1);
	resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
	n = i2d_OCSP_RESPONSE(resp, &der);
	assert_true(n > 0);
	tc_buf_init(&b, VF_OCSP_MAX_BYTES);
	assert_true(tc_is_ok(tc_buf_append(&b, der, (size_t)n)));
	OPENSSL_free(der);
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	OCSP_CERTID_free(id);
	sk_X509_free(certs);
	ASN1_TIME_free(tu);
	ASN1_TIME_free(nu);
	ASN1_TIME_free(rt);
	return b;
}

static enum tc_code check(const struct resp_opts *o, const uint8_t *nonce, enum vf_ocsp_status *st)
{
	struct tc_buf b = make_response(o);
	struct tc_result r = vf_ocsp_check(b.data, b.len, leaf, ca, NOW, nonce, nonce ? VF_OCSP_NONCE_LEN : 0, st);

	tc_buf_cleanup(&b);
	return r.code;
}

static void test_request(void **state)
{
	uint8_t nonce[VF_OCSP_NONCE_LEN];
	struct tc_buf b;
	const unsigned char *p;
	OCSP_REQUEST *req;
	OCSP_CERTID *want = OCSP_cert_to_id(EVP_sha384(), leaf, ca);

	(void)state;
	memset(nonce, 0x42, sizeof(nonce));
	tc_buf_init(&b, VF_OCSP_MAX_BYTES);
	assert_true(tc_is_ok(vf_ocsp_request(leaf, ca, nonce, sizeof(nonce), &b)));
	p = b.data;
	req = d2i_OCSP_REQUEST(NULL, &p, (long)b.len);
	assert_non_null(req);
	assert_int_equal(OCSP_request_onereq_count(req), 1);
	assert_int_equal(OCSP_id_cmp(OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, 0)), want), 0);
	assert_true(OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce, -1) >= 0);
	OCSP_REQUEST_free(req);
	OCSP_CERTID_free(want);
	tc_buf_cleanup(&b);
}

static void test_statuses(void **state)
{
	struct resp_opts o = { V_OCSP_CERTSTATUS_GOOD, -1, -3600, DAY, NULL, NULL, NULL, NULL };
	enum vf_ocsp_status st;

	(void)state;
	o.signer = ca;
	o.key = ca_key;
	assert_int_equal(check(&o, NULL, &st), TC_OK);
	assert_int_equal(st, VF_OCSP_GOOD);
	o.status = V_OCSP_CERTSTATUS_REVOKED;
	o.reason = OCSP_REVOKED_STATUS_KEYCOMPROMISE;
	assert_int_equal(check(&o, NULL, &st), TC_OK);
	assert_int_equal(st, VF_OCSP_REVOKED);
	o.reason = OCSP_REVOKED_STATUS_CERTIFICATEHOLD;
	assert_int_equal(check(&o, NULL, &st), TC_OK);
	assert_int_equal(st, VF_OCSP_ON_HOLD);
	o.status = V_OCSP_CERTSTATUS_UNKNOWN;
	o.reason = -1;
	assert_int_equal(check(&o, NULL, &st), TC_OK);
	assert_int_equal(st, VF_OCSP_UNKNOWN);
	/* a response about another certificate does not cover the leaf */
	o.status = V_OCSP_CERTSTATUS_GOOD;
	o.about = responder;
	assert_int_equal(check(&o, NULL, &st), TC_OK);
	assert_int_equal(st, VF_OCSP_NO_RESPONSE);
}

static void test_signers(void **state)
{
	struct resp_opts o = { V_OCSP_CERTSTATUS_GOOD, -1, -3600, DAY, NULL, NULL, NULL, NULL };
	enum vf_ocsp_status st;

	(void)state;
	o.signer = responder;
	o.key = resp_key;
	assert_int_equal(check(&o, NULL, &st), TC_OK);
	assert_int_equal(st, VF_OCSP_GOOD);
	o.signer = responder_noeku;
	assert_int_equal(check(&o, NULL, &st), TC_ERR_COLLATERAL_SIGNATURE_INVALID);
	o.signer = other_ca; /* same subject as the CA, different key */
	o.key = other_key;
	assert_int_equal(check(&o, NULL, &st), TC_ERR_COLLATERAL_SIGNATURE_INVALID);
	/* the CA's own response with its signature value changed (the signature is the last field) */
	o.signer = ca;
	o.key = ca_key;
	{
		struct tc_buf b = make_response(&o);

		b.data[b.len - 2] ^= 0x01;
		assert_int_equal(vf_ocsp_check(b.data, b.len, leaf, ca, NOW, NULL, 0, &st).code,
				 TC_ERR_COLLATERAL_SIGNATURE_INVALID);
		tc_buf_cleanup(&b);
	}
}

static void test_windows_and_nonce(void **state)
{
	struct resp_opts o = { V_OCSP_CERTSTATUS_GOOD, -1, -3600, DAY, NULL, NULL, NULL, NULL };
	uint8_t nonce[VF_OCSP_NONCE_LEN], other[VF_OCSP_NONCE_LEN];
	enum vf_ocsp_status st;
	struct tc_buf b;
	static const uint8_t junk[] = { 1, 2, 3 };

	(void)state;
	memset(nonce, 7, sizeof(nonce));
	memset(other, 8, sizeof(other));
	o.signer = ca;
	o.key = ca_key;
	o.next_off = -60; /* stale */
	assert_int_equal(check(&o, NULL, &st), TC_ERR_COLLATERAL_EXPIRED);
	o.next_off = 0; /* no nextUpdate: fine */
	assert_int_equal(check(&o, NULL, &st), TC_OK);
	o.this_off = DAY; /* produced in the future */
	assert_int_equal(check(&o, NULL, &st), TC_ERR_COLLATERAL_EXPIRED);
	o.this_off = -3600;
	o.nonce = nonce;
	assert_int_equal(check(&o, nonce, &st), TC_OK);
	assert_int_equal(check(&o, other, &st), TC_ERR_NONCE_MISMATCH);
	o.nonce = NULL;
	assert_int_equal(check(&o, nonce, &st), TC_ERR_NONCE_MISMATCH);
	assert_int_equal(vf_ocsp_check(junk, sizeof(junk), leaf, ca, NOW, NULL, 0, &st).code,
			 TC_ERR_COLLATERAL_SIGNATURE_INVALID);
	/* truncations of a valid response never crash and never pass */
	b = make_response(&o);
	for (size_t n = 0; n < b.len; n++)
		assert_int_not_equal(vf_ocsp_check(b.data, n, leaf, ca, NOW, NULL, 0, &st).code, TC_OK);
	tc_buf_cleanup(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_statuses),
		cmocka_unit_test(test_signers),
		cmocka_unit_test(test_windows_and_nonce),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
