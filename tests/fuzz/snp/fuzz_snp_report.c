/*
 * fuzz_snp_report.c — the SEV-SNP ATTESTATION_REPORT parser (verifier/snp/vf_snp_report.c) on arbitrary
 * bytes, then everything derived from a parsed report without keys: signature conversion, both TCB_VERSION
 * layouts and the derived TCB status from the built-in table.
 */
#include <stddef.h>
#include <stdint.h>

#include "vf_snp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const products[] = { "Milan", "Genoa", "Turin", "" };
	struct vf_snp_report r;
	uint8_t sig[2 * VF_SNP_P384_COORD_LEN];

	if (!tc_is_ok(vf_snp_report_parse(data, size, &r)))
		return 0;
	if (!tc_is_ok(vf_snp_report_sig_be(&r, sig)))
		sig[0] = 0;
	for (size_t i = 0; i < sizeof(products) / sizeof(products[0]); i++) {
		enum vf_snp_tcb_layout layout = vf_snp_tcb_layout_of(&r, products[i]);
		struct vf_snp_tcb t = vf_snp_tcb_decode(r.reported_tcb, layout);
		struct vf_snp_tcb_verdict v;
		char buf[64];

		/* the codec round-trips the bytes its layout defines */
		if (vf_snp_tcb_encode(&t, layout) !=
		    (r.reported_tcb & (layout == VF_SNP_TCB_TURIN ? 0xff000000ffffffffull : 0xffff00000000ffffull)))
			__builtin_trap();
		vf_snp_tcb_format(&t, layout, buf, sizeof(buf));
		if (!tc_is_ok(vf_snp_tcb_evaluate(NULL, products[i], r.has_cpuid ? r.cpuid_model : -1, &t, layout,
						  (int64_t)r.guest_svn, &v)))
			continue;
	}
	return 0;
}
