/* vf_snp_appraise.c — placeholder until the snp appraiser lands: rejects with a clear reason. */
#include "vf.h"

TC_RESULT vf_snp_appraise(const struct vf_input *input, const struct vf_policy *policy, int64_t now,
			   struct vf_appraisal *out)
{
	vf_reject(out, TC_ERR_EVIDENCE_UNSUPPORTED_VERSION, "snp appraisal is not available in this build");
	return tc_ok();
}
