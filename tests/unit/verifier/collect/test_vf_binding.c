/*
 * test_vf_binding.c — evidence binding (verifier/vf_binding.c, DESIGN.md "Evidence binding"): known answers
 * for a fixed P-256 SubjectPublicKeyInfo, computed twice independently of the code under test: as constants
 * (Python hashlib) and step by step with OpenSSL EVP here; the CSR helper; the workload info hash (JCS).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "vf.h"

/* A fixed P-256 SPKI (DER). */
static const char spki_hex[] =
	"3059301306072a8648ce3d020106082a8648ce3d030107034200047ebed793299c9aa3178ae5c0031a7c24f34baeb35bb885e1ac2c"
	"90b4bd0bf0b53a0e9b7cecd42afa5f007dab0c2757b5fddae61534c6eae8338f9c269f44d3ac";
/* Computed with Python hashlib for nonce = 00 01 .. 1f and workload hash = SHA-256('{"a":1,"b":[true,"x"]}'). */
static const char want_rd[] = "f33143c171fc5c2f2f3e4d5a2a929b7ae94366d9560a0a46e4e3deecf8718a591905ecf8e3e109025fd4756"
			      "829527237e4713ee92d1ab5a87031a8d60517d1ea";
static const char want_rd_wl[] = "0c29713c1d0d6193fddaa0b54146574acfe449adef8e57d32ae14bc0d168a06a98403d6deb415421bd1"
				 "6cd75d000806e72fe4b4ad77b4cf9811206aa52a521ea";
static const char want_gpu[] = "b6f0c878791254111d2d70fa05d2e2db22f5840aecba93144171d3a08f771e2e";
static const char want_wih[] = "63e8063d9dc6f0fd5a24b4706818a165fd57c3531b74466cf5dea62bff09b0b6";

static struct tc_buf spki;
static uint8_t nonce[32], wih[32];

static int setup(void **state)
{
	tc_buf_init(&spki, 1024);
	assert_true(tc_is_ok(tc_hex_decode(spki_hex, strlen(spki_hex), &spki)));
	for (int i = 0; i < 32; i++)
		nonce[i] = (uint8_t)i;
	assert_true(tc_is_ok(tc_hex_decode_fixed(want_wih, 64, wih, 32)));
	return 0;
}

static int teardown(void **state)
{
	tc_buf_cleanup(&spki);
	return 0;
}

static void assert_hex(const uint8_t *got, size_t len, const char *want)
{
	char hex[257];

	assert_true(tc_is_ok(tc_hex_encode(got, len, hex, sizeof(hex))));
	assert_string_equal(hex, want);
}

/* The binding written out with EVP, one step at a time. */
static void evp_binding(const EVP_MD *outer, const char *label, const uint8_t *extra, uint8_t *out)
{
	uint8_t h[32];
	unsigned int n = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, spki.data, spki.len), 1);
	assert_int_equal(EVP_DigestFinal_ex(ctx, h, &n), 1);
	assert_int_equal(n, 32);
	assert_int_equal(EVP_DigestInit_ex(ctx, outer, NULL), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, label, strlen(label)), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, h, sizeof(h)), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, nonce, sizeof(nonce)), 1);
	if (extra)
		assert_int_equal(EVP_DigestUpdate(ctx, extra, 32), 1);
	assert_int_equal(EVP_DigestFinal_ex(ctx, out, &n), 1);
	EVP_MD_CTX_free(ctx);
}

static void test_report_data_known_answer(void **state)
{
	uint8_t got[64], evp[64];

	assert_true(tc_is_ok(vf_binding_report_data(spki.data, spki.len, nonce, NULL, got)));
	assert_hex(got, 64, want_rd);
	evp_binding(EVP_sha512(), "teecert/v1", NULL, evp);
	assert_memory_equal(got, evp, 64);

	assert_true(tc_is_ok(vf_binding_report_data(spki.data, spki.len, nonce, wih, got)));
	assert_hex(got, 64, want_rd_wl);
	evp_binding(EVP_sha512(), "teecert/v1", wih, evp);
	assert_memory_equal(got, evp, 64);
}

static void test_gpu_nonce_known_answer(void **state)
{
	uint8_t got[32], evp[32];

	assert_true(tc_is_ok(vf_binding_gpu_nonce(spki.data, spki.len, nonce, got)));
	assert_hex(got, 32, want_gpu);
	evp_binding(EVP_sha256(), "teecert/gpu/v1", NULL, evp);
	assert_memory_equal(got, evp, 32);
}

static void test_binding_inputs_matter(void **state)
{
	uint8_t a[64], b[64], n2[32];

	memcpy(n2, nonce, 32);
	n2[31] ^= 1;
	assert_true(tc_is_ok(vf_binding_report_data(spki.data, spki.len, nonce, NULL, a)));
	assert_true(tc_is_ok(vf_binding_report_data(spki.data, spki.len, n2, NULL, b)));
	assert_memory_not_equal(a, b, 64);
	spki.data[spki.len - 1] ^= 1;
	assert_true(tc_is_ok(vf_binding_report_data(spki.data, spki.len, nonce, NULL, b)));
	spki.data[spki.len - 1] ^= 1;
	assert_memory_not_equal(a, b, 64);
	assert_int_equal(vf_binding_report_data(NULL, 0, nonce, NULL, a).code, TC_ERR_INVALID_ARGUMENT);
	assert_int_equal(vf_binding_gpu_nonce(spki.data, 0, nonce, a).code, TC_ERR_INVALID_ARGUMENT);
}

static void test_workload_info_hash(void **state)
{
	json_t *j = NULL;
	const char *text = "{ \"b\": [true, \"x\"], \"a\": 1 }"; /* canonical: {"a":1,"b":[true,"x"]} */
	uint8_t got[32];

	assert_true(tc_is_ok(tc_json_parse(text, strlen(text), TC_JSON_MAX_DEFAULT, &j)));
	assert_true(tc_is_ok(vf_binding_workload_info_hash(j, got)));
	assert_memory_equal(got, wih, 32);
	json_decref(j);
	j = json_array();
	assert_int_equal(vf_binding_workload_info_hash(j, got).code, TC_ERR_INVALID_ARGUMENT);
	json_decref(j);
}

/* A PEM CSR for a fresh P-256 key; SPKI_OUT gets the key's SPKI DER. */
static char *make_csr(struct tc_buf *spki_out, bool corrupt_signature)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509_REQ *req = X509_REQ_new();
	BIO *bio = BIO_new(BIO_s_mem());
	unsigned char *der = NULL;
	char *mem = NULL, *copy;
	long n;
	int der_len;

	assert_non_null(key);
	assert_non_null(req);
	assert_int_equal(X509_REQ_set_pubkey(req, key), 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_ASC,
						    (const unsigned char *)"cvm", -1, -1, 0),
			 1);
	assert_true(X509_REQ_sign(req, key, EVP_sha256()) > 0);
	if (corrupt_signature) {
		const ASN1_BIT_STRING *sig = NULL;

		X509_REQ_get0_signature(req, &sig, NULL);
		((ASN1_BIT_STRING *)sig)->data[10] ^= 0x40;
	}
	assert_int_equal(PEM_write_bio_X509_REQ(bio, req), 1);
	n = BIO_get_mem_data(bio, &mem);
	copy = calloc(1, (size_t)n + 1);
	memcpy(copy, mem, (size_t)n);
	der_len = i2d_PUBKEY(key, &der);
	assert_true(der_len > 0);
	assert_true(tc_is_ok(tc_buf_append(spki_out, der, (size_t)der_len)));
	OPENSSL_free(der);
	BIO_free(bio);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	return copy;
}

static void test_csr_spki(void **state)
{
	struct tc_buf want, got;
	char *pem;

	tc_buf_init(&want, 4096);
	tc_buf_init(&got, 4096);
	pem = make_csr(&want, false);
	assert_true(tc_is_ok(vf_binding_csr_spki(pem, strlen(pem), &got)));
	assert_int_equal(got.len, want.len);
	assert_memory_equal(got.data, want.data, want.len);
	free(pem);

	tc_buf_reset(&want);
	tc_buf_reset(&got);
	pem = make_csr(&want, true);
	assert_int_equal(vf_binding_csr_spki(pem, strlen(pem), &got).code, TC_ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(tc_error_detail(), "signature"));
	assert_int_equal(got.len, 0);
	free(pem);

	assert_int_equal(vf_binding_csr_spki("not a csr", 9, &got).code, TC_ERR_INVALID_ARGUMENT);
	tc_buf_cleanup(&want);
	tc_buf_cleanup(&got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_data_known_answer),
		cmocka_unit_test(test_gpu_nonce_known_answer),
		cmocka_unit_test(test_binding_inputs_matter),
		cmocka_unit_test(test_workload_info_hash),
		cmocka_unit_test(test_csr_spki),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
