/*
 * fuzz_ca_csr.c — fuzz target: CSR intake (ca_csr_parse_der, the DER walk of ca/ca_csr.c, and the PEM
 * wrapper). The first byte picks DER or PEM, the rest is the input. Seeds: corpus_csr (CSRs for P-256,
 * P-384 with SANs, RSA-3072 with RSA-PSS, made by OpenSSL).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ca.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ca_csr c;
	struct tc_result r;

	if (size < 1)
		return 0;
	if (data[0] & 1)
		r = ca_csr_parse_pem((const char *)data + 1, size - 1, &c);
	else
		r = ca_csr_parse_der(data + 1, size - 1, &c);
	if (!tc_is_ok(r))
		return 0;
	/* The SubjectPublicKeyInfo and subject kept are the bytes received (the evidence binding hashes the SPKI). */
	if (!(data[0] & 1) && (memmem(data + 1, size - 1, c.spki.data, c.spki.len) == NULL ||
			       memmem(data + 1, size - 1, c.subject.data, c.subject.len) == NULL || c.spki.len == 0))
		abort();
	ca_csr_cleanup(&c);
	return 0;
}
