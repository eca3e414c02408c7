/*
 * bench_ca_req.c — the OCSP request of bench_ca, built with OpenSSL's client API (as a relying party would).
 */
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "tc.h"

int bench_ocsp_request(const struct tc_buf *leaf_der, const struct tc_buf *issuer_der, struct tc_buf *out);

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
