/*
 * api_evidence.c — the evidence of a request body, in one place for every endpoint that takes raw evidence
 * (POST /v1/evidence/appraise, POST /v1/certificates):
 *
 *   "evidence":     {"tee": "tdx", "quote": base64} | {"tee": "snp", "report": base64, "vcek"|"vlek": base64}
 *   "gpu_evidence": [{"spdm": base64 (GET_MEASUREMENTS request || response), "cert_chain": PEM}, ...]
 *
 * parse (declarative field specs, sizes bounded before decoding) -> vf inputs under the role names of vf.h
 * ("tdx_quote", "snp_report", "vcek"/"vlek", "gpu<N>.spdm", "gpu<N>.cert_chain") -> one appraisal of the CPU
 * and then the GPUs, merged the way the certificate extension records it: CPU devices then GPU devices, every
 * collateral digest once, the evidence digest over every item in order (vf_core's encoding: role NUL, length
 * as 8 bytes big-endian, bytes).
 */
#include <string.h>

#include <openssl/evp.h>

#include "api_internal.h"

static const char *const gpu_spdm_roles[API_EVIDENCE_GPUS_MAX] = { "gpu0.spdm", "gpu1.spdm", "gpu2.spdm", "gpu3.spdm",
								   "gpu4.spdm", "gpu5.spdm", "gpu6.spdm", "gpu7.spdm" };
static const char *const gpu_chain_roles[API_EVIDENCE_GPUS_MAX] = { "gpu0.cert_chain", "gpu1.cert_chain",
								    "gpu2.cert_chain", "gpu3.cert_chain",
								    "gpu4.cert_chain", "gpu5.cert_chain",
								    "gpu6.cert_chain", "gpu7.cert_chain" };

void api_evidence_init(struct api_evidence *e)
{
	memset(e, 0, sizeof(*e));
	tc_buf_init(&e->cpu, API_EVIDENCE_QUOTE_MAX);
	tc_buf_init(&e->endorsement, API_EVIDENCE_VCEK_MAX);
	for (size_t i = 0; i < API_EVIDENCE_GPUS_MAX; i++)
		tc_buf_init(&e->spdm[i], API_EVIDENCE_SPDM_MAX);
}

void api_evidence_cleanup(struct api_evidence *e)
{
	tc_buf_cleanup(&e->cpu);
	tc_buf_cleanup(&e->endorsement);
	for (size_t i = 0; i < API_EVIDENCE_GPUS_MAX; i++)
		tc_buf_cleanup(&e->spdm[i]);
}

/* evidence: {"tee": "tdx", "quote"} or {"tee": "snp", "report", "vcek" | "vlek"}. */
static TC_RESULT cpu_parse(const json_t *evidence, struct api_evidence *e)
{
	const char *tee = NULL;
	bool has_vcek = false, has_vlek = false;
	const struct tc_json_field head[] = {
		{ .name = "tee", .kind = TC_JSON_STRING, .required = true, .out = &tee, .max_len = 16 },
	};
	const struct tc_json_field tdx[] = {
		{ .name = "tee", .kind = TC_JSON_STRING, .required = true, .out = &tee, .max_len = 16 },
		{ .name = "quote",
		  .kind = TC_JSON_BASE64,
		  .required = true,
		  .out = &e->cpu,
		  .max_len = API_EVIDENCE_QUOTE_MAX },
	};
	const struct tc_json_field snp[] = {
		{ .name = "tee", .kind = TC_JSON_STRING, .required = true, .out = &tee, .max_len = 16 },
		{ .name = "report",
		  .kind = TC_JSON_BASE64,
		  .required = true,
		  .out = &e->cpu,
		  .max_len = API_EVIDENCE_QUOTE_MAX },
		{ .name = "vcek",
		  .kind = TC_JSON_BASE64,
		  .out = &e->endorsement,
		  .max_len = API_EVIDENCE_VCEK_MAX,
		  .present = &has_vcek },
		{ .name = "vlek",
		  .kind = TC_JSON_BASE64,
		  .out = &e->endorsement,
		  .max_len = API_EVIDENCE_VCEK_MAX,
		  .present = &has_vlek },
	};

	TC_ENSURE(json_is_object(evidence), TC_ERR_JSON_FIELD_INVALID, "evidence must be an object");
	TC_GUARD(tc_json_fields(evidence, head, 1, true));
	if (strcmp(tee, "tdx") == 0) {
		e->tee = VF_TEE_TDX;
		TC_GUARD(tc_json_fields(evidence, tdx, sizeof(tdx) / sizeof(tdx[0]), false));
	} else {
		TC_ENSURE(strcmp(tee, "snp") == 0, TC_ERR_JSON_FIELD_INVALID,
			  "evidence.tee '%.16s': expected tdx or snp", tee);
		e->tee = VF_TEE_SNP;
		TC_GUARD(tc_json_fields(evidence, snp, sizeof(snp) / sizeof(snp[0]), false));
		TC_ENSURE(has_vcek != has_vlek, TC_ERR_JSON_FIELD_INVALID,
			  "evidence: exactly one of vcek and vlek is needed with tee snp");
		e->is_vlek = has_vlek;
	}
	e->has_cpu = true;
	return tc_ok();
}

/* gpu_evidence: [{"spdm": base64, "cert_chain": PEM}, ...], at most API_EVIDENCE_GPUS_MAX. */
static TC_RESULT gpus_parse(const json_t *arr, struct api_evidence *e)
{
	size_t i;
	const json_t *g;

	TC_ENSURE(json_is_array(arr) && json_array_size(arr) <= API_EVIDENCE_GPUS_MAX, TC_ERR_JSON_FIELD_INVALID,
		  "gpu_evidence must be an array of at most %d objects", API_EVIDENCE_GPUS_MAX);
	json_array_foreach(arr, i, g) {
		const struct tc_json_field spec[] = {
			{ .name = "spdm",
			  .kind = TC_JSON_BASE64,
			  .required = true,
			  .out = &e->spdm[i],
			  .max_len = API_EVIDENCE_SPDM_MAX },
			{ .name = "cert_chain",
			  .kind = TC_JSON_STRING,
			  .required = true,
			  .out = &e->chain[i],
			  .max_len = API_EVIDENCE_CHAIN_MAX },
		};

		TC_ENSURE(json_is_object(g), TC_ERR_JSON_FIELD_INVALID, "gpu_evidence[%zu] must be an object", i);
		TC_GUARD(tc_json_fields(g, spec, sizeof(spec) / sizeof(spec[0]), false));
		e->n_gpus = i + 1;
	}
	return tc_ok();
}

TC_RESULT api_evidence_parse(const json_t *evidence, const json_t *gpus, struct api_evidence *e)
{
	if (evidence)
		TC_GUARD(cpu_parse(evidence, e));
	if (gpus)
		TC_GUARD(gpus_parse(gpus, e));
	return tc_ok();
}

void api_evidence_inputs(const struct api_evidence *e, struct vf_input *cpu, struct vf_input *gpu)
{
	memset(cpu, 0, sizeof(*cpu));
	memset(gpu, 0, sizeof(*gpu));
	cpu->tee = e->tee;
	gpu->tee = VF_TEE_NVIDIA;
	if (e->has_cpu && e->tee == VF_TEE_TDX) {
		cpu->evidence[cpu->n_evidence++] =
			(struct vf_item){ .role = "tdx_quote", .data = e->cpu.data, .len = e->cpu.len };
	} else if (e->has_cpu) {
		cpu->evidence[cpu->n_evidence++] =
			(struct vf_item){ .role = "snp_report", .data = e->cpu.data, .len = e->cpu.len };
		cpu->evidence[cpu->n_evidence++] = (struct vf_item){ .role = e->is_vlek ? "vlek" : "vcek",
								     .data = e->endorsement.data,
								     .len = e->endorsement.len };
	}
	for (size_t i = 0; i < e->n_gpus; i++) {
		gpu->evidence[gpu->n_evidence++] =
			(struct vf_item){ .role = gpu_spdm_roles[i], .data = e->spdm[i].data, .len = e->spdm[i].len };
		gpu->evidence[gpu->n_evidence++] = (struct vf_item){ .role = gpu_chain_roles[i],
								     .data = (const uint8_t *)e->chain[i],
								     .len = strlen(e->chain[i]) };
	}
}

/* vf_core's evidence digest over the combined list: role NUL, length (8 bytes BE), bytes per item. */
static TC_RESULT evidence_digest(const struct vf_input *cpu, const struct vf_input *gpu, uint8_t out[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = 0;
	bool ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
	const struct vf_input *lists[] = { cpu, gpu };

	for (size_t l = 0; ok && l < 2; l++) {
		for (size_t i = 0; ok && i < lists[l]->n_evidence; i++) {
			const struct vf_item *it = &lists[l]->evidence[i];
			uint8_t len_be[8];

			for (int k = 0; k < 8; k++)
				len_be[k] = (uint8_t)((uint64_t)it->len >> (56 - 8 * k));
			ok = EVP_DigestUpdate(ctx, it->role, strlen(it->role) + 1) == 1 &&
			     EVP_DigestUpdate(ctx, len_be, sizeof(len_be)) == 1 &&
			     EVP_DigestUpdate(ctx, it->data, it->len) == 1;
		}
	}
	ok = ok && EVP_DigestFinal_ex(ctx, out, &len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? tc_ok() : tc_fail_openssl(TC_ERR_CRYPTO, "evidence digest");
}

/* Move GPU's devices and collateral digests into A; GPU's rejection (if any) becomes A's. */
static TC_RESULT merge(struct vf_appraisal *a, struct vf_appraisal *gpu)
{
	for (size_t i = 0; i < gpu->n_devices; i++) {
		struct vf_device *src = &gpu->devices[i];
		struct vf_device *d = vf_appraisal_add_device(a, src->id, src->tee);

		TC_ENSURE(d, TC_ERR_INTERNAL, "too many devices in one appraisal");
		d->simulated = src->simulated;
		d->tcb_status = src->tcb_status;
		d->has_tcb_status = src->has_tcb_status;
		json_decref(d->advisory_ids);
		json_decref(d->claims);
		d->advisory_ids = src->advisory_ids;
		d->claims = src->claims;
		src->advisory_ids = NULL;
		src->claims = NULL;
	}
	for (size_t i = 0; i < gpu->n_collateral; i++) {
		bool seen = false;

		for (size_t k = 0; k < a->n_collateral && !seen; k++)
			seen = strcmp(a->collateral[k].role, gpu->collateral[i].role) == 0 &&
			       memcmp(a->collateral[k].sha256, gpu->collateral[i].sha256, 32) == 0;
		if (seen)
			continue;
		TC_ENSURE(a->n_collateral < VF_MAX_ITEMS, TC_ERR_INTERNAL, "too many collateral digests");
		a->collateral[a->n_collateral++] = gpu->collateral[i];
	}
	if (!gpu->accepted && a->accepted) {
		a->accepted = false;
		a->failure = gpu->failure;
		memcpy(a->detail, gpu->detail, sizeof(a->detail));
		memcpy(a->remediation, gpu->remediation, sizeof(a->remediation));
	}
	return tc_ok();
}

TC_RESULT api_evidence_appraise(const struct api_evidence *e, const struct vf_policy *cpu_policy,
				const struct vf_policy *gpu_policy, int64_t now, api_evidence_fill_fn fill, void *arg,
				struct vf_appraisal *out)
{
	struct vf_input cpu, gpu;
	struct vf_appraisal a, g;
	struct tc_result r;

	TC_ENSURE(e->has_cpu || e->n_gpus > 0, TC_ERR_JSON_FIELD_MISSING,
		  "no evidence: send evidence and/or gpu_evidence");
	api_evidence_inputs(e, &cpu, &gpu);
	if (!e->has_cpu) { /* GPUs alone: the NVIDIA appraisal is the whole appraisal */
		TC_GUARD(fill(arg, &gpu));
		return vf_appraise(&gpu, gpu_policy, now, out);
	}
	TC_GUARD(fill(arg, &cpu));
	TC_GUARD(vf_appraise(&cpu, cpu_policy, now, &a));
	if (!a.accepted || e->n_gpus == 0) {
		*out = a;
		return tc_ok();
	}
	r = fill(arg, &gpu);
	if (tc_is_ok(r))
		r = vf_appraise(&gpu, gpu_policy, now, &g);
	if (!tc_is_ok(r)) {
		vf_appraisal_cleanup(&a);
		return r;
	}
	r = merge(&a, &g);
	vf_appraisal_cleanup(&g);
	if (tc_is_ok(r))
		r = evidence_digest(&cpu, &gpu, a.evidence_digest);
	if (!tc_is_ok(r)) {
		vf_appraisal_cleanup(&a);
		return r;
	}
	*out = a;
	return tc_ok();
}
