/* fuzz_nvidia_opaque.c — NVIDIA opaque-data TLV parser ([type u16le | size u16le | value] ...). */
#include "vf_nvidia.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vf_nv_opaque_field fields[VF_NV_MAX_OPAQUE_FIELDS];
	size_t n = 0;

	if (size <= UINT16_MAX && tc_is_ok(vf_nv_opaque_parse(data, size, fields, VF_NV_MAX_OPAQUE_FIELDS, &n))) {
		for (size_t i = 0; i < n; i++)
			if (fields[i].value + fields[i].len > data + size)
				__builtin_trap(); /* a field must stay inside the input */
	}
	return 0;
}
