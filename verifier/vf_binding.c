/*
 * vf_binding.c — evidence binding (DESIGN.md "Evidence binding"): the 64-byte report data a CVM asks its TEE
 * to sign and the 32-byte SPDM nonce of each GPU, both derived from the CSR's public key and the challenge
 * nonce, so that the CA can recompute them and refuse evidence made for another key or another challenge.
 *
 *   report_data = SHA-512("teecert/v1" || SHA-256(SPKI DER) || nonce || workload_info_hash?)
 *   gpu_nonce   = SHA-256("teecert/gpu/v1" || SHA-256(SPKI DER) || nonce)
 *
 * The labels are hashed without a terminating NUL; the optional workload info hash is simply absent (not
 * 32 zero bytes) for CVM certificates.
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <string.h>

#include "vf.h"
#include "vf_internal.h"

#define VF_BINDING_LABEL "teecert/v1"
#define VF_BINDING_GPU_LABEL "teecert/gpu/v1"
#define VF_BINDING_CSR_MAX ((size_t)64 * 1024)

/* SHA-256 or SHA-512 over up to four parts (NULL parts skipped) into OUT (the digest's size). */
static TC_RESULT digest_parts(const EVP_MD *md, const void *const *parts, const size_t *lens, size_t n, uint8_t *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int out_len = 0;
	struct tc_result r = tc_ok();

	TC_ENSURE(ctx, TC_ERR_NO_MEMORY, "EVP_MD_CTX_new failed");
	if (EVP_DigestInit_ex(ctx, md, NULL) != 1) {
		r = tc_fail_openssl(TC_ERR_CRYPTO, "binding digest init");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (!parts[i])
			continue;
		if (EVP_DigestUpdate(ctx, parts[i], lens[i]) != 1) {
			r = tc_fail_openssl(TC_ERR_CRYPTO, "binding digest update");
			goto out;
		}
	}
	if (EVP_DigestFinal_ex(ctx, out, &out_len) != 1)
		r = tc_fail_openssl(TC_ERR_CRYPTO, "binding digest final");
out:
	EVP_MD_CTX_free(ctx);
	return r;
}

TC_RESULT vf_binding_report_data(const uint8_t *spki_der, size_t spki_len, const uint8_t nonce[VF_BINDING_NONCE_LEN],
				 const uint8_t *workload_info_hash, uint8_t out[VF_REPORT_DATA_LEN])
{
	uint8_t spki_hash[VF_BINDING_HASH_LEN];
	const void *parts[4];
	size_t lens[4];

	TC_ENSURE(spki_der && spki_len > 0 && nonce, TC_ERR_INVALID_ARGUMENT, "binding needs an SPKI and a nonce");
	TC_GUARD(vf_sha256(spki_der, spki_len, spki_hash));
	parts[0] = VF_BINDING_LABEL;
	lens[0] = strlen(VF_BINDING_LABEL);
	parts[1] = spki_hash;
	lens[1] = sizeof(spki_hash);
	parts[2] = nonce;
	lens[2] = VF_BINDING_NONCE_LEN;
	parts[3] = workload_info_hash;
	lens[3] = VF_BINDING_HASH_LEN;
	return digest_parts(EVP_sha512(), parts, lens, 4, out);
}

TC_RESULT vf_binding_gpu_nonce(const uint8_t *spki_der, size_t spki_len, const uint8_t nonce[VF_BINDING_NONCE_LEN],
			       uint8_t out[VF_GPU_NONCE_LEN])
{
	uint8_t spki_hash[VF_BINDING_HASH_LEN];
	const void *parts[3];
	size_t lens[3];

	TC_ENSURE(spki_der && spki_len > 0 && nonce, TC_ERR_INVALID_ARGUMENT, "binding needs an SPKI and a nonce");
	TC_GUARD(vf_sha256(spki_der, spki_len, spki_hash));
	parts[0] = VF_BINDING_GPU_LABEL;
	lens[0] = strlen(VF_BINDING_GPU_LABEL);
	parts[1] = spki_hash;
	lens[1] = sizeof(spki_hash);
	parts[2] = nonce;
	lens[2] = VF_BINDING_NONCE_LEN;
	return digest_parts(EVP_sha256(), parts, lens, 3, out);
}

TC_RESULT vf_binding_csr_spki(const char *csr_pem, size_t len, struct tc_buf *out)
{
	BIO *bio = NULL;
	X509_REQ *req = NULL;
	EVP_PKEY *key = NULL;
	unsigned char *der = NULL;
	int der_len;
	struct tc_result r = tc_ok();

	TC_ENSURE(csr_pem && len > 0 && len <= VF_BINDING_CSR_MAX, TC_ERR_INVALID_ARGUMENT,
		  "the CSR must be PEM text of at most %zu bytes", VF_BINDING_CSR_MAX);
	bio = BIO_new_mem_buf(csr_pem, (int)len);
	TC_ENSURE_GOTO(r, bio, out, TC_ERR_NO_MEMORY, "BIO_new_mem_buf failed");
	req = PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL);
	if (!req) {
		r = tc_fail_openssl(TC_ERR_INVALID_ARGUMENT, "the CSR is not a PEM CERTIFICATE REQUEST");
		goto out;
	}
	key = X509_REQ_get0_pubkey(req);
	if (!key) {
		r = tc_fail_openssl(TC_ERR_INVALID_ARGUMENT, "the CSR's public key does not parse");
		goto out;
	}
	/* Proof of possession: a CSR whose signature does not verify is refused here already (the CA would). */
	if (X509_REQ_verify(req, key) != 1) {
		r = tc_fail_openssl(TC_ERR_INVALID_ARGUMENT, "the CSR's self-signature does not verify");
		goto out;
	}
	der_len = i2d_PUBKEY(key, &der);
	if (der_len <= 0) {
		r = tc_fail_openssl(TC_ERR_CRYPTO, "encoding the CSR's SubjectPublicKeyInfo");
		goto out;
	}
	r = tc_buf_append(out, der, (size_t)der_len);
out:
	OPENSSL_free(der);
	X509_REQ_free(req);
	BIO_free(bio);
	return r;
}

TC_RESULT vf_binding_workload_info_hash(const json_t *info, uint8_t out[VF_BINDING_HASH_LEN])
{
	struct tc_buf canon;
	struct tc_result r;

	TC_ENSURE(json_is_object(info), TC_ERR_INVALID_ARGUMENT, "workload info must be a JSON object");
	tc_buf_init(&canon, TC_JSON_MAX_DEFAULT);
	r = tc_json_canonical(info, &canon);
	if (tc_is_ok(r))
		r = vf_sha256(canon.data, canon.len, out);
	tc_buf_cleanup(&canon);
	return r;
}
