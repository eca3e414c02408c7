/*
 * fuzz_tdx_qe_identity.c — fuzz target: PCS body scanner (vf_tdx_pcs_split, field "enclaveIdentity") and the
 * qe_identity parser of verifier/tdx/vf_tdx_json.c, on the signed span and on the raw input.
 */
#include <stddef.h>
#include <stdint.h>

#include "vf_tdx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0, len = 0;
	uint8_t sig[VF_TDX_ECDSA_SIG_LEN];
	struct vf_tdx_qe_identity *doc = NULL;

	if (tc_is_ok(vf_tdx_pcs_split(data, size, "enclaveIdentity", &off, &len, sig)) &&
	    tc_is_ok(vf_tdx_qe_identity_parse(data + off, len, &doc)))
		vf_tdx_qe_identity_free(doc);
	doc = NULL;
	if (tc_is_ok(vf_tdx_qe_identity_parse(data, size, &doc)))
		vf_tdx_qe_identity_free(doc);
	return 0;
}
