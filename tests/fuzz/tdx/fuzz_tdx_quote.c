/*
 * fuzz_tdx_quote.c — fuzz target: TDX quote v4/v5 parser (verifier/tdx/vf_tdx_quote.c), then the PCK chain's
 * strict PEM reader and the SGX extension parser on whatever certification data the quote declares.
 */
#include <stddef.h>
#include <stdint.h>

#include "vf_internal.h"
#include "vf_tdx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vf_tdx_quote q;
	STACK_OF(X509) *certs = NULL;
	struct vf_tdx_sgx_ext ext;

	if (!tc_is_ok(vf_tdx_quote_parse(data, size, &q)))
		return 0;
	if (tc_is_ok(vf_x509_parse_pem_chain(q.pck_pem, q.pck_pem_len, TC_ERR_CERT_CHAIN_INVALID, &certs))) {
		if (tc_is_ok(vf_tdx_sgx_ext_parse(sk_X509_value(certs, 0), &ext)))
			(void)ext.pcesvn;
		sk_X509_pop_free(certs, X509_free);
	}
	return 0;
}
