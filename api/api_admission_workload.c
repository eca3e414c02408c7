/*
 * api_admission_workload.c — POST /v1/admission/workload {chain, workload_info_hash: 64 hex, nonce?}
 * (teecert-verifier, docs/admission.md): may a node run the workload holding this chain? Everything
 * POST /v1/admission/peer checks, plus: the leaf is a workload certificate whose recorded workload info hash
 * (SHA-256 of the JCS workload info) is the expected one. Same signed verdict.
 */
#include "api_internal.h"

TC_RESULT api_admission_workload_post(struct api_request *req)
{
	return api_admission_decide(req, true);
}
