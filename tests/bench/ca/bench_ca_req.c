/*
 * bench_ca_req.c — the OCSP request and the RSA CSR of bench_ca, built with OpenSSL's client API (as a
 * relying party / a client would).
 */
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tc.h"

int bench_ocsp_request(const struct tc_buf *leaf_der, const struct tc_buf *issuer_der, struct tc_buf *out);
int bench_rsa_csr(unsigned bits, struct tc_buf *out);

int bench_ocsp_request(const struct tc_buf *leaf_der, const struct tc_buf *issuer_der, struct tc_buf *out)
{
	const unsigned char *p = leaf_der->data, *q = issuer_der->data;
	X509 *leaf = d2i_X509(NULL, &p, (long)leaf_der->len), *issuer = d2i_X509(NULL, &q, (long)issuer_der->len);
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	unsigned char *der = NULL;
	int n = -1;

	if (leaf != NULL && issuer != NULL && req != NULL &&
	    OCSP_request_add0_id(req, OCSP_cert_to_id(EVP_sha1(), leaf, issuer)) != NULL &&
	    OCSP_request_add1_nonce(req, NULL, 16) == 1)
		n = i2d_OCSP_REQUEST(req, &der);
	if (n > 0 && !tc_is_ok(tc_buf_append(out, der, (size_t)n)))
		n = -1;
	OPENSSL_free(der);
	OCSP_REQUEST_free(req);
	X509_free(leaf);
	X509_free(issuer);
	return n > 0 ? 0 : 1;
}

int bench_rsa_csr(unsigned bits, struct tc_buf *out)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	X509_REQ *req = X509_REQ_new();
	BIO *bio = BIO_new(BIO_s_mem());
	char *p = NULL;
	long n = 0;
	int ok = k != NULL && req != NULL && bio != NULL &&
		 X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_ASC,
					    (const unsigned char *)"cvm", -1, -1, 0) == 1 &&
		 X509_REQ_set_pubkey(req, k) == 1 && X509_REQ_sign(req, k, EVP_sha256()) > 0 &&
		 PEM_write_bio_X509_REQ(bio, req) == 1 && (n = BIO_get_mem_data(bio, &p)) > 0 &&
		 tc_is_ok(tc_buf_append(out, p, (size_t)n));

	BIO_free(bio);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
	return ok ? 0 : 1;
}
