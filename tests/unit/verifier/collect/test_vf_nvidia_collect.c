/*
 * test_vf_nvidia_collect.c — GPU collection through NVML loaded with dlopen (verifier/nvidia/
 * vf_nvidia_collect.c): the library missing or lacking symbols, and a fake NVML (fake_nvml.c, a shared
 * library loaded by path) serving four real H100 reports: the collected evidence must appraise like the
 * conformance case nvidia-nvat-590.12-x4-ok, with PEM and DER certificate chains; CC off; a foreign nonce.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_tsm.h"
#include "vf.h"

#define CASE_NONCE "e97b23a1718095a0e9e35edca810768c70a6a5a389b705e753b197912bc11576"

static const char *fake_lib(void)
{
	const char *p = getenv("FAKE_NVML_LIB");

	assert_non_null(p);
	return p;
}

static void case_nonce(uint8_t out[32])
{
	assert_true(tc_is_ok(tc_hex_decode_fixed(CASE_NONCE, 64, out, 32)));
}

static void test_library_missing(void **state)
{
	struct vf_nvidia_evidence ev;
	uint8_t nonce[32] = { 0 };

	assert_int_equal(vf_nvidia_collect("/nonexistent/libnvidia-ml.so.1", nonce, &ev).code, TC_ERR_UNSUPPORTED);
	assert_non_null(strstr(tc_error_detail(), "/nonexistent/libnvidia-ml.so.1 not found"));
	assert_int_equal(ev.n_gpus, 0);
	/* A library that is not NVML. */
	assert_int_equal(vf_nvidia_collect("libm.so.6", nonce, &ev).code, TC_ERR_UNSUPPORTED);
	assert_non_null(strstr(tc_error_detail(), "has no nvmlInit_v2"));
}

/* Appraise EV with the case's collateral, anchors and policy. */
static bool appraise(const struct vf_nvidia_evidence *ev)
{
	char path[1024];
	struct vf_case *c = calloc(1, sizeof(*c));
	struct vf_appraisal a;
	bool ok;

	assert_non_null(c);
	fake_shared_path(path, sizeof(path), "cases/nvidia-nvat-590.12-x4-ok.json");
	assert_true(tc_is_ok(vf_case_load(path, c)));
	c->input.n_evidence = 0;
	assert_true(tc_is_ok(vf_nvidia_evidence_to_input(ev, &c->input)));
	assert_int_equal(c->input.n_evidence, 8);
	assert_true(tc_is_ok(vf_appraise(&c->input, &c->policy, c->verify_at, &a)));
	ok = a.accepted;
	if (!ok)
		fprintf(stderr, "appraisal: %s: %s\n", tc_error_info(a.failure)->code, a.detail);
	assert_int_equal(a.n_devices, 4);
	vf_appraisal_cleanup(&a);
	vf_case_cleanup(c);
	free(c);
	return ok;
}

static void test_fake_nvml_end_to_end(void **state)
{
	for (int der = 0; der < 2; der++) {
		struct vf_nvidia_evidence ev;
		uint8_t nonce[32];
		struct tc_buf want;
		char path[1024];

		setenv("FAKE_NVML_DER", der ? "1" : "0", 1);
		case_nonce(nonce);
		assert_true(tc_is_ok(vf_nvidia_collect(fake_lib(), nonce, &ev)));
		assert_int_equal(ev.n_gpus, 4);
		tc_buf_init(&want, 1u << 20);
		fake_shared_path(path, sizeof(path), "nvidia/nvat_h100x4_590.12_gpu2_spdm.bin");
		fake_read_file(path, &want);
		assert_int_equal(ev.gpus[2].spdm.len, want.len);
		assert_memory_equal(ev.gpus[2].spdm.data, want.data, want.len);
		assert_memory_equal(ev.gpus[2].nonce, nonce, 32);
		assert_string_equal(ev.gpus[0].arch, "HOPPER");
		assert_non_null(strstr((const char *)ev.gpus[3].cert_chain.data, "-----BEGIN CERTIFICATE-----"));
		assert_true(appraise(&ev));
		tc_buf_cleanup(&want);
		vf_nvidia_evidence_cleanup(&ev);
	}
	unsetenv("FAKE_NVML_DER");
}

static void test_cc_off_and_wrong_nonce(void **state)
{
	struct vf_nvidia_evidence ev;
	uint8_t nonce[32];

	case_nonce(nonce);
	setenv("FAKE_NVML_CC", "0", 1);
	assert_int_equal(vf_nvidia_collect(fake_lib(), nonce, &ev).code, TC_ERR_UNSUPPORTED);
	assert_non_null(strstr(tc_error_detail(), "confidential computing is off"));
	unsetenv("FAKE_NVML_CC");

	nonce[0] ^= 1; /* the canned reports answer the case's nonce, not this one */
	assert_int_equal(vf_nvidia_collect(fake_lib(), nonce, &ev).code, TC_ERR_NONCE_MISMATCH);
	assert_non_null(strstr(tc_error_detail(), "gpu0"));
	assert_int_equal(ev.n_gpus, 0);

	setenv("FAKE_NVML_GPUS", "0", 1);
	nonce[0] ^= 1;
	assert_int_equal(vf_nvidia_collect(fake_lib(), nonce, &ev).code, TC_ERR_UNSUPPORTED);
	assert_non_null(strstr(tc_error_detail(), "no GPU"));
	unsetenv("FAKE_NVML_GPUS");

	setenv("FAKE_NVML_DIR", "/nonexistent", 1);
	assert_int_equal(vf_nvidia_collect(fake_lib(), nonce, &ev).code, TC_ERR_IO);
	assert_non_null(strstr(tc_error_detail(), "Unknown Error"));
	unsetenv("FAKE_NVML_DIR");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_library_missing),
		cmocka_unit_test(test_fake_nvml_end_to_end),
		cmocka_unit_test(test_cc_off_and_wrong_nonce),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
