/*
 * fuzz_snp_vcek.c — the VCEK/VLEK extension parser (verifier/snp/vf_snp_vcek.c) on arbitrary certificate
 * bytes (DER or PEM): AMD KDS extensions 1.3.6.1.4.1.3704.1.*, both hwID encodings.
 */
#include <stddef.h>
#include <stdint.h>

#include "vf_snp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vf_snp_vcek_ext e;

	if (tc_is_ok(vf_snp_vcek_ext_parse_bytes(data, size, &e)) && e.hwid_len > VF_SNP_HWID_MAX)
		__builtin_trap(); /* the parser's own bound */
	tc_openssl_clear();
	return 0;
}
