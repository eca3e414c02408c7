/* fuzz_nvidia_spdm.c — SPDM 1.1 MEASUREMENTS parser (binary and hex text) and the claims built from it. */
#include "vf_nvidia.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Failures are clean errors; the fuzzer only looks for crashes and sanitizer reports. */
static void fuzz_ignore(struct tc_result r)
{
	(void)r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vf_spdm spdm;
	struct tc_buf scratch;
	char text[VF_RIM_VERSION_MAX];

	tc_buf_init(&scratch, VF_SPDM_MAX_INPUT);
	if (tc_is_ok(vf_spdm_parse(data, size, VF_SPDM_MAX_TRAILING, &scratch, &spdm))) {
		json_t *claims = json_object();

		if (claims != NULL)
			fuzz_ignore(vf_spdm_claims(&spdm, claims)); /* a failure is a clean error */
		json_decref(claims);
		fuzz_ignore(vf_nv_driver_version(&spdm, text, sizeof(text)));
		fuzz_ignore(vf_nv_vbios_version(&spdm, text, sizeof(text)));
	}
	tc_buf_cleanup(&scratch);
	return 0;
}
