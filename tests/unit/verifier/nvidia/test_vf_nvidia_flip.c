/*
 * test_vf_nvidia_flip.c — robustness: every byte of three real SPDM blobs flipped in turn and the whole case
 * appraised again; no crash, and every flip in the signed range or the signature is rejected (label
 * robustness: about 20 s, one P-384 verification per flip and GPU).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nv_test_cases.h"

/* Flip every byte of a real blob: no crash; every flip in the signed range or the signature rejected. */
static void flip_all(const char *case_name, size_t gpu_item)
{
	struct vf_case *c = load(case_name);
	struct vf_item *item = &c->input.evidence[gpu_item];
	uint8_t *copy = malloc(item->len);
	const uint8_t *orig = item->data;
	size_t len = item->len, rejected = 0;

	assert_non_null(copy);
	memcpy(copy, orig, len);
	item->data = copy;
	for (size_t i = 0; i < len; i++) {
		struct vf_appraisal a;
		bool in_trailing = strstr(case_name, "trailing") != NULL && i == len - 1;

		copy[i] ^= 0x01;
		appraise(c, &a);
		if (!in_trailing) {
			assert_false(a.accepted);
			rejected++;
		}
		vf_appraisal_cleanup(&a);
		copy[i] = orig[i];
	}
	assert_true(rejected >= len - 1);
	item->data = orig;
	free(copy);
	unload(c);
}

static void test_flip_nvtrust(void **state)
{
	(void)state;
	flip_all("nvidia-nvtrust-550.90.07-ok", 0);
}

static void test_flip_coco_trailing(void **state)
{
	(void)state;
	flip_all("nvidia-trustee-coco-580.95.05-trailing-byte", 0);
}

static void test_flip_multi_gpu2(void **state)
{
	struct vf_case *c = load("nvidia-nvat-590.12-x4-ok");
	size_t idx = 0;

	(void)state;
	while (strcmp(c->input.evidence[idx].role, "gpu2.spdm") != 0)
		idx++;
	unload(c);
	flip_all("nvidia-nvat-590.12-x4-ok", idx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flip_nvtrust),
		cmocka_unit_test(test_flip_coco_trailing),
		cmocka_unit_test(test_flip_multi_gpu2),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
