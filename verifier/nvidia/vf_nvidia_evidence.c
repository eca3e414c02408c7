/*
 * vf_nvidia_evidence.c — NVIDIA's serialized GPU evidence JSON, as the attestation SDK and nvtrust
 * collectors write it (e.g. attestation-sdk common-test-data/serialized_test_evidence/hopper_evidence.json):
 *   [ { "arch": "HOPPER", "nonce": "<64 hex>", "evidence": "<base64 SPDM request || response>",
 *       "certificate": "<base64 of the PEM chain, leaf first>" }, ... ]   (or one such object)
 * Fields are read with the declarative tc_json_fields spec (STYLE.md point 8); the nonce must equal the
 * nonce inside the GET_MEASUREMENTS request (bytes 4..35).
 */
#include <string.h>

#include "vf_nvidia.h"

#define VF_NV_EVIDENCE_JSON_MAX ((size_t)2 * 1024 * 1024)
#define VF_NV_CHAIN_MAX ((size_t)64 * 1024)
#define VF_NV_REQ_NONCE_OFFSET 4

static const char *const vf_nv_spdm_roles[VF_MAX_DEVICES] = {
	"gpu0.spdm",  "gpu1.spdm",  "gpu2.spdm",  "gpu3.spdm",  "gpu4.spdm",  "gpu5.spdm",  "gpu6.spdm",  "gpu7.spdm",
	"gpu8.spdm",  "gpu9.spdm",  "gpu10.spdm", "gpu11.spdm", "gpu12.spdm", "gpu13.spdm", "gpu14.spdm", "gpu15.spdm",
};
static const char *const vf_nv_chain_roles[VF_MAX_DEVICES] = {
	"gpu0.cert_chain",  "gpu1.cert_chain",  "gpu2.cert_chain",  "gpu3.cert_chain",
	"gpu4.cert_chain",  "gpu5.cert_chain",  "gpu6.cert_chain",  "gpu7.cert_chain",
	"gpu8.cert_chain",  "gpu9.cert_chain",  "gpu10.cert_chain", "gpu11.cert_chain",
	"gpu12.cert_chain", "gpu13.cert_chain", "gpu14.cert_chain", "gpu15.cert_chain",
};

static TC_RESULT vf_nv_evidence_one(const json_t *obj, size_t i, struct vf_nvidia_gpu_evidence *g)
{
	const char *arch = NULL;
	struct tc_buf nonce;
	struct tc_result r;
	const struct tc_json_field spec[] = {
		{ .name = "arch", .kind = TC_JSON_STRING, .required = true, .out = &arch, .max_len = sizeof(g->arch) - 1 },
		{ .name = "nonce", .kind = TC_JSON_HEX, .required = true, .out = &nonce, .exact_len = VF_GPU_NONCE_LEN },
		{ .name = "evidence", .kind = TC_JSON_BASE64, .required = true, .out = &g->spdm, .max_len = VF_SPDM_MAX_INPUT },
		{ .name = "certificate", .kind = TC_JSON_BASE64, .required = true, .out = &g->cert_chain,
		  .max_len = VF_NV_CHAIN_MAX },
	};

	tc_buf_init(&nonce, VF_GPU_NONCE_LEN);
	TC_ENSURE(json_is_object(obj), TC_ERR_EVIDENCE_MALFORMED, "NVIDIA evidence [%zu] is not an object", i);
	r = tc_json_fields(obj, spec, sizeof(spec) / sizeof(spec[0]), true);
	if (!tc_is_ok(r)) {
		tc_buf_cleanup(&nonce);
		return tc_fail(TC_ERR_EVIDENCE_MALFORMED, "NVIDIA evidence [%zu]: %s", i, tc_error_detail());
	}
	snprintf(g->arch, sizeof(g->arch), "%s", arch);
	memcpy(g->nonce, nonce.data, VF_GPU_NONCE_LEN);
	tc_buf_cleanup(&nonce);
	TC_ENSURE(g->spdm.len >= VF_NV_REQ_NONCE_OFFSET + VF_GPU_NONCE_LEN &&
			  memcmp(g->spdm.data + VF_NV_REQ_NONCE_OFFSET, g->nonce, VF_GPU_NONCE_LEN) == 0,
		  TC_ERR_EVIDENCE_MALFORMED, "NVIDIA evidence [%zu]: nonce differs from the SPDM request nonce", i);
	return tc_ok();
}

TC_RESULT vf_nvidia_evidence_parse(const char *json, size_t len, struct vf_nvidia_evidence *out)
{
	json_t *root = NULL;
	struct tc_result r;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < VF_MAX_DEVICES; i++) {
		tc_buf_init(&out->gpus[i].spdm, VF_SPDM_MAX_INPUT);
		tc_buf_init(&out->gpus[i].cert_chain, VF_NV_CHAIN_MAX);
	}
	r = tc_json_parse(json, len, VF_NV_EVIDENCE_JSON_MAX, &root);
	if (!tc_is_ok(r))
		return tc_fail(TC_ERR_EVIDENCE_MALFORMED, "NVIDIA evidence JSON: %s", tc_error_detail());
	if (json_is_object(root)) {
		r = vf_nv_evidence_one(root, 0, &out->gpus[0]);
		out->n_gpus = tc_is_ok(r) ? 1 : 0;
	} else if (json_is_array(root) && json_array_size(root) > 0 && json_array_size(root) <= VF_MAX_DEVICES) {
		for (size_t i = 0; i < json_array_size(root) && tc_is_ok(r); i++) {
			r = vf_nv_evidence_one(json_array_get(root, i), i, &out->gpus[i]);
			out->n_gpus += tc_is_ok(r) ? 1 : 0;
		}
	} else {
		r = tc_fail(TC_ERR_EVIDENCE_MALFORMED, "NVIDIA evidence JSON must be an object or a list of 1..%d objects",
			    VF_MAX_DEVICES);
	}
	json_decref(root);
	if (!tc_is_ok(r))
		vf_nvidia_evidence_cleanup(out);
	return r;
}

void vf_nvidia_evidence_cleanup(struct vf_nvidia_evidence *ev)
{
	for (size_t i = 0; i < VF_MAX_DEVICES; i++) {
		tc_buf_cleanup(&ev->gpus[i].spdm);
		tc_buf_cleanup(&ev->gpus[i].cert_chain);
	}
	ev->n_gpus = 0;
}

TC_RESULT vf_nvidia_evidence_to_input(const struct vf_nvidia_evidence *ev, struct vf_input *input)
{
	TC_ENSURE(input->n_evidence + 2 * ev->n_gpus <= VF_MAX_ITEMS, TC_ERR_TOO_LARGE, "too many evidence items");
	input->tee = VF_TEE_NVIDIA;
	for (size_t i = 0; i < ev->n_gpus; i++) {
		input->evidence[input->n_evidence++] =
			(struct vf_item){ vf_nv_spdm_roles[i], ev->gpus[i].spdm.data, ev->gpus[i].spdm.len };
		input->evidence[input->n_evidence++] =
			(struct vf_item){ vf_nv_chain_roles[i], ev->gpus[i].cert_chain.data, ev->gpus[i].cert_chain.len };
	}
	return tc_ok();
}
