/*
 * fuzz_vf_appraise.c — the whole appraisal (vf_appraise) with the fuzz input as the CPU evidence and real
 * collateral loaded once from a conformance case of $TEECERT_SHARED/evidence/cases. Built twice:
 * FUZZ_TEE_TDX (input = "tdx_quote", case tdx-phala-v4-b0c06f-uptodate) and FUZZ_TEE_SNP (input =
 * "snp_report", case snp-trustee-milan-ok: real VCEK and ARK/ASK chain). Without $TEECERT_SHARED (or when the
 * case cannot be read) the input is appraised alone under the vendor default anchor, so replays still run.
 *
 * Properties for any input (docs/appraisal.md): vf_appraise returns TC_OK (an error means "no appraisal could
 * be made", which evidence bytes must never cause); a rejection carries a failure code of the appraisal
 * vocabulary and a detail; an acceptance carries no failure; the appraisal always serialises to JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vf.h"
#include "vf_internal.h"

#if defined(FUZZ_TEE_TDX)
#define FUZZ_CASE "tdx-phala-v4-b0c06f-uptodate"
#define FUZZ_ROLE "tdx_quote"
#define FUZZ_TEE VF_TEE_TDX
#elif defined(FUZZ_TEE_SNP)
#define FUZZ_CASE "snp-trustee-milan-ok"
#define FUZZ_ROLE "snp_report"
#define FUZZ_TEE VF_TEE_SNP
#else
#error "define FUZZ_TEE_TDX or FUZZ_TEE_SNP"
#endif

#define FUZZ_PATH_MAX 4096
/* 2025-07-19T10:00:34Z: inside every validity window of both cases' collateral. */
#define FUZZ_FALLBACK_NOW INT64_C(1752919234)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vf_case fuzz_case;
static bool fuzz_loaded;
static bool fuzz_have_case;

static void fuzz_load(void)
{
	const char *shared = getenv("TEECERT_SHARED");
	char path[FUZZ_PATH_MAX];

	fuzz_loaded = true;
	if (!shared || !*shared)
		return;
	snprintf(path, sizeof(path), "%s/evidence/cases/%s.json", shared, FUZZ_CASE);
	if (tc_is_ok(vf_case_load(path, &fuzz_case)))
		fuzz_have_case = true;
	else
		fprintf(stderr, "fuzz: %s: %s (appraising the input alone)\n", path, tc_error_detail());
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vf_input in;
	struct vf_policy fallback;
	const struct vf_policy *policy = &fallback;
	struct vf_appraisal a;
	json_t *j = NULL;
	int64_t now = FUZZ_FALLBACK_NOW;
	bool replaced = false;

	if (!fuzz_loaded)
		fuzz_load();
	vf_policy_init(&fallback);
	memset(&in, 0, sizeof(in));
	in.tee = FUZZ_TEE;
	if (fuzz_have_case) {
		in = fuzz_case.input;
		policy = &fuzz_case.policy;
		now = fuzz_case.verify_at;
	}
	for (size_t i = 0; i < in.n_evidence; i++) {
		if (strcmp(in.evidence[i].role, FUZZ_ROLE) == 0) {
			in.evidence[i].data = data;
			in.evidence[i].len = size;
			replaced = true;
		}
	}
	if (!replaced) {
		in.evidence[in.n_evidence++] = (struct vf_item){ .role = FUZZ_ROLE, .data = data, .len = size };
	}

	if (!tc_is_ok(vf_appraise(&in, policy, now, &a))) {
		fprintf(stderr, "fuzz: vf_appraise failed: %s\n", tc_error_detail());
		abort();
	}
	if (a.accepted ? a.failure != TC_OK : (!vf_is_failure_code(a.failure) || a.detail[0] == '\0')) {
		fprintf(stderr, "fuzz: verdict %d with failure %d (%s)\n", (int)a.accepted, (int)a.failure, a.detail);
		abort();
	}
	if (!tc_is_ok(vf_appraisal_to_json(&a, &j))) {
		fprintf(stderr, "fuzz: appraisal does not serialise: %s (detail '%s')\n", tc_error_detail(), a.detail);
		abort();
	}
	json_decref(j);
	vf_appraisal_cleanup(&a);
	vf_policy_cleanup(&fallback);
	tc_openssl_clear();
	return 0;
}
