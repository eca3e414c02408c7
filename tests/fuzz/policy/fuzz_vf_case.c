/*
 * fuzz_vf_case.c — appraisal policies from JSON text (vf_policy_from_json, verifier/vf_core.c), the path a
 * case manifest's "policy" or a policy file takes: tc_json_parse, then the policy knobs onto the defaults,
 * then the canonical policy JSON and its digest (what every appraisal records).
 * Properties: a failure carries a JSON field code and a detail; a policy accepted by vf_policy_from_json
 * always yields its JSON and digest (vf_appraise needs the digest), and the digest is stable.
 */
#include <stdlib.h>
#include <string.h>

#include "vf.h"

#define FUZZ_POLICY_MAX ((size_t)64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vf_policy p;
	json_t *obj = NULL, *j = NULL;
	uint8_t d1[32], d2[32];
	struct tc_result r;

	if (!tc_is_ok(tc_json_parse((const char *)data, size, FUZZ_POLICY_MAX, &obj)))
		return 0;
	vf_policy_init(&p);
	r = vf_policy_from_json(&p, obj);
	if (!tc_is_ok(r)) {
		if ((r.code != TC_ERR_JSON_FIELD_INVALID && r.code != TC_ERR_JSON_FIELD_UNKNOWN) ||
		    tc_error_detail()[0] == '\0')
			abort();
		goto out;
	}
	if (!tc_is_ok(vf_policy_to_json(&p, &j)) || !tc_is_ok(vf_policy_digest(&p, d1)) ||
	    !tc_is_ok(vf_policy_digest(&p, d2)) || memcmp(d1, d2, sizeof(d1)) != 0)
		abort();
out:
	json_decref(j);
	json_decref(obj);
	vf_policy_cleanup(&p);
	return 0;
}
