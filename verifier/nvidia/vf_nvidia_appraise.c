/* vf_nvidia_appraise.c — placeholder until the nvidia appraiser lands: rejects with a clear reason. */
#include "vf.h"

TC_RESULT vf_nvidia_appraise(const struct vf_input *input, const struct vf_policy *policy, int64_t now,
			   struct vf_appraisal *out)
{
	vf_reject(out, TC_ERR_EVIDENCE_UNSUPPORTED_VERSION, "nvidia appraisal is not available in this build");
	return tc_ok();
}
