/*
 * fuzz_ca_ext.c — fuzz target: the decoders of ca/teecert.asn1 and the CMW / RA-TLS extensions, and the
 * certificate walk of ca_cert_info_parse (+ its JSON). The first byte picks the decoder, the rest is input.
 */
#include <stddef.h>
#include <stdint.h>

#include "ca.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ca_ext_appraisal a;
	struct ca_ext_hwid h;
	struct ca_ext_role r;
	struct ca_ext_log_ref l;
	struct ca_ext_evidence e;
	struct ca_cert_info info;
	uint8_t hash[VF_BINDING_HASH_LEN];
	const uint8_t *q;
	size_t ql;
	json_t *j = NULL;

	if (size < 1)
		return 0;
	switch (data[0] % 8) {
	case 0:
		(void)tc_is_ok(ca_ext_appraisal_decode(data + 1, size - 1, &a));
		break;
	case 1:
		(void)tc_is_ok(ca_ext_workload_info_decode(data + 1, size - 1, hash));
		break;
	case 2:
		(void)tc_is_ok(ca_ext_hwid_decode(data + 1, size - 1, &h));
		break;
	case 3:
		(void)tc_is_ok(ca_ext_role_decode(data + 1, size - 1, &r));
		break;
	case 4:
		(void)tc_is_ok(ca_ext_log_ref_decode(data + 1, size - 1, &l));
		break;
	case 5:
		(void)tc_is_ok(ca_ext_evidence_decode(data + 1, size - 1, &e));
		break;
	case 6:
		(void)tc_is_ok(ca_ext_ratls_decode(data + 1, size - 1, &q, &ql));
		break;
	default:
		if (tc_is_ok(ca_cert_info_parse(data + 1, size - 1, &info)) && tc_is_ok(ca_cert_info_to_json(&info, &j)))
			json_decref(j);
		break;
	}
	return 0;
}
