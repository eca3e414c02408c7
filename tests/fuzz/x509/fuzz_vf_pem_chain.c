/*
 * fuzz_vf_pem_chain.c — the certificate readers of verifier/vf_x509.c on arbitrary bytes:
 * vf_x509_parse_pem_chain (strict PEM sequence) and vf_x509_parse (one certificate, DER or PEM).
 * Properties: a failure carries the caller's failure code and a detail; a parsed chain holds 1..16
 * certificates; a single certificate parsed from PEM is the first certificate of the chain reading.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "vf_internal.h"

#define FUZZ_PEM_MAX_CERTS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check_failure(struct tc_result r)
{
	if (!tc_is_ok(r) && (r.code != TC_ERR_CERT_CHAIN_INVALID || tc_error_detail()[0] == '\0'))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	STACK_OF(X509) *sk = NULL;
	X509 *x = NULL;
	struct tc_result r;

	r = vf_x509_parse_pem_chain(data, size, TC_ERR_CERT_CHAIN_INVALID, &sk);
	fuzz_check_failure(r);
	if (tc_is_ok(r) && (sk_X509_num(sk) < 1 || sk_X509_num(sk) > FUZZ_PEM_MAX_CERTS))
		abort();

	r = vf_x509_parse(data, size, TC_ERR_CERT_CHAIN_INVALID, &x);
	fuzz_check_failure(r);
	if (tc_is_ok(r) && sk && sk_X509_num(sk) == 1 && X509_cmp(x, sk_X509_value(sk, 0)) != 0)
		abort();
	X509_free(x);
	sk_X509_pop_free(sk, X509_free);
	tc_openssl_clear();
	return 0;
}
