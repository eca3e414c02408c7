/*
 * api_evidence_appraise.c — POST /v1/evidence/appraise (teecert-verifier, docs/admission.md "Evidence
 * appraisal"): appraise raw evidence and return the appraisal JSON exactly as `teecert verify` prints it.
 *
 *   {"evidence": {"tee": "tdx", "quote"} | {"tee": "snp", "report", "vcek"|"vlek"},   (api_evidence.c)
 *    "gpu_evidence": [{"spdm", "cert_chain"}, ...],          at least one of the two
 *    "expected_report_data": 128 hex,                        optional: TDX REPORTDATA / SNP REPORT_DATA
 *    "expected_gpu_nonce": 64 hex,                           optional: the SPDM nonce of every GPU
 *    "policy": "default"}                                    optional: a policy NAME this verifier knows
 *
 * Clients name a policy; they cannot send one (a verifier that appraised under a client's own policy would
 * vouch for nothing). The names are the operator's (`serve --appraisal-policy NAME=FILE`); "default" is always
 * known: the admission policy (--policy) or, without one, the built-in defaults (DESIGN.md "Appraisal").
 * Collateral comes from the collateral service (api_collateral_resolve: cache first, fetched when missing),
 * trust anchors are the verifier's (--trust-anchor ROLE=FILE) or else the pinned vendor roots, and the time
 * is the collateral service's clock. A rejected appraisal is a 200 with verdict "rejected" and its failure
 * code; only a malformed request is a 4xx. No database transaction: the verifier records nothing here.
 *
 * The handler may wait for an upstream fetch on a cache miss (bounded by the collateral service's timeouts);
 * warm the cache (teecert collateral import/prefetch) where that matters.
 */
#include <string.h>

#include "api_internal.h"

#define POLICY_NAME_MAX 64

struct fill_ctx {
	const struct api_config *cfg;
	struct api_coll_hold *hold;
};

/* Collateral from the service, then the verifier's trust anchors, then the pinned vendor roots for the roles
 * still missing (SNP: the appraiser picks the pinned ARK of the VCEK's product itself). */
static struct tc_result fill(void *arg, struct vf_input *in)
{
	static const char *const tdx[] = { "intel_root", NULL };
	static const char *const nvidia[] = { "nvidia_device_root", "nvidia_rim_root", NULL };
	const char *const *pinned = in->tee == VF_TEE_TDX ? tdx : in->tee == VF_TEE_NVIDIA ? nvidia : NULL;
	struct fill_ctx *f = arg;

	TC_GUARD(api_collateral_resolve(f->cfg->collateral, in, f->hold));
	for (size_t i = 0; i < f->cfg->n_anchors; i++) {
		TC_ENSURE(in->n_anchors < VF_MAX_ITEMS, TC_ERR_INTERNAL, "too many trust anchors");
		in->anchors[in->n_anchors++] = f->cfg->anchors[i];
	}
	for (size_t i = 0; pinned && pinned[i]; i++) {
		const char *pem = vf_default_anchor(pinned[i]);

		if (!pem || vf_item_find(in->anchors, in->n_anchors, pinned[i]))
			continue;
		TC_ENSURE(in->n_anchors < VF_MAX_ITEMS, TC_ERR_INTERNAL, "too many trust anchors");
		in->anchors[in->n_anchors++] =
			(struct vf_item){ .role = pinned[i], .data = (const uint8_t *)pem, .len = strlen(pem) };
	}
	return tc_ok();
}

/* The policy called NAME (NULL: "default"); unknown names are a 400 listing the known ones. */
static TC_RESULT policy_find(const struct api_config *cfg, const char *name, const struct vf_policy *builtin,
			     const struct vf_policy **out)
{
	char known[256] = "default";
	size_t n = strlen(known);

	if (!name)
		name = "default";
	for (size_t i = 0; i < cfg->n_policies; i++) {
		if (strcmp(cfg->policies[i].name, name) == 0) {
			*out = cfg->policies[i].policy;
			return tc_ok();
		}
		if (strcmp(cfg->policies[i].name, "default") != 0 && n + 2 < sizeof(known))
			n += (size_t)snprintf(known + n, sizeof(known) - n, ", %s", cfg->policies[i].name);
	}
	TC_ENSURE(strcmp(name, "default") == 0, TC_ERR_JSON_FIELD_INVALID,
		  "policy '%.64s' is not known to this verifier (known: %s)", name, known);
	*out = cfg->admission ? &cfg->admission->policy : builtin;
	return tc_ok();
}

TC_RESULT api_evidence_appraise_post(struct api_request *req)
{
	const struct api_config *cfg = api_request_config(req);
	const json_t *body = api_request_json(req);
	json_t *evidence = NULL, *gpus = NULL, *out = NULL;
	const char *policy_name = NULL;
	struct tc_buf report_data, gpu_nonce;
	bool has_rd = false, has_gn = false;
	struct api_evidence ev;
	struct vf_policy builtin, cpu_policy, gpu_policy;
	const struct vf_policy *named = NULL;
	struct api_coll_hold hold;
	struct fill_ctx fctx = { .cfg = cfg, .hold = &hold };
	struct vf_appraisal a;
	bool appraised = false;
	struct tc_result r = tc_ok();
	const struct tc_json_field spec[] = {
		{ .name = "evidence", .kind = TC_JSON_OBJECT, .out = &evidence },
		{ .name = "gpu_evidence", .kind = TC_JSON_ARRAY, .out = &gpus, .max_len = API_EVIDENCE_GPUS_MAX },
		{ .name = "expected_report_data",
		  .kind = TC_JSON_HEX,
		  .out = &report_data,
		  .exact_len = VF_REPORT_DATA_LEN,
		  .present = &has_rd },
		{ .name = "expected_gpu_nonce",
		  .kind = TC_JSON_HEX,
		  .out = &gpu_nonce,
		  .exact_len = VF_GPU_NONCE_LEN,
		  .present = &has_gn },
		{ .name = "policy", .kind = TC_JSON_STRING, .out = &policy_name, .max_len = POLICY_NAME_MAX },
	};

	TC_ENSURE(
		body && json_is_object(body), TC_ERR_JSON_FIELD_MISSING,
		"a JSON body {evidence?, gpu_evidence?, expected_report_data?, expected_gpu_nonce?, policy?} is required");
	tc_buf_init(&report_data, VF_REPORT_DATA_LEN);
	tc_buf_init(&gpu_nonce, VF_GPU_NONCE_LEN);
	api_evidence_init(&ev);
	api_coll_hold_init(&hold);
	vf_policy_init(&builtin);
	TC_GUARD_GOTO(r, tc_json_fields(body, spec, sizeof(spec) / sizeof(spec[0]), false), out);
	TC_ENSURE_GOTO(r, evidence || gpus, out, TC_ERR_JSON_FIELD_MISSING,
		       "no evidence: send evidence and/or gpu_evidence");
	TC_GUARD_GOTO(r, api_evidence_parse(evidence, gpus, &ev), out);
	TC_ENSURE_GOTO(r, ev.has_cpu || ev.n_gpus > 0, out, TC_ERR_JSON_FIELD_MISSING,
		       "no evidence: gpu_evidence is empty and evidence is absent");
	TC_ENSURE_GOTO(r, !has_rd || ev.has_cpu, out, TC_ERR_JSON_FIELD_INVALID,
		       "expected_report_data goes with CPU evidence (evidence)");
	TC_ENSURE_GOTO(r, !has_gn || ev.n_gpus > 0, out, TC_ERR_JSON_FIELD_INVALID,
		       "expected_gpu_nonce goes with gpu_evidence");
	TC_GUARD_GOTO(r, policy_find(cfg, policy_name, &builtin, &named), out);
	TC_ENSURE_GOTO(r, cfg->collateral, out, TC_ERR_COLLATERAL_NOT_CONFIGURED,
		       "start teecert-verifier with a collateral service to appraise evidence");

	/* Shallow copies: the JSON members stay owned by the named policy. */
	cpu_policy = *named;
	gpu_policy = *named;
	if (has_rd) {
		cpu_policy.has_expected_report_data = true;
		memcpy(cpu_policy.expected_report_data, report_data.data, VF_REPORT_DATA_LEN);
	}
	gpu_policy.has_expected_report_data = false;
	if (has_gn) {
		gpu_policy.has_expected_nonce = true;
		memcpy(gpu_policy.expected_nonce, gpu_nonce.data, VF_GPU_NONCE_LEN);
	}
	TC_GUARD_GOTO(r,
		      api_evidence_appraise(&ev, &cpu_policy, &gpu_policy, api_collateral_now(cfg->collateral), fill,
					    &fctx, &a),
		      out);
	appraised = true;
	api_metrics_appraisal(&req->server->metrics, a.accepted, a.failure);
	TC_GUARD_GOTO(r, vf_appraisal_to_json(&a, &out), out);
	tc_log(TC_LOG_INFO, "evidence_appraised", "%s%s%s", a.accepted ? "accepted" : "rejected",
	       a.accepted ? "" : ": ", a.accepted ? "" : tc_error_info(a.failure)->code);
	r = api_reply_json(req, 200, out);
out:
	json_decref(out);
	if (appraised)
		vf_appraisal_cleanup(&a);
	vf_policy_cleanup(&builtin);
	api_coll_hold_cleanup(&hold);
	api_evidence_cleanup(&ev);
	tc_buf_cleanup(&report_data);
	tc_buf_cleanup(&gpu_nonce);
	return r;
}

/* ------------------------------------------------------------------------ serve inputs (api_cli.c) */

static bool policy_name_valid(const char *s, size_t n)
{
	if (n < 1 || n > POLICY_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

TC_RESULT api_appraise_inputs_new(const char *const *anchors, size_t n_anchors, const char *const *policies,
				  size_t n_policies, struct api_appraise_inputs **out)
{
	struct api_appraise_inputs *in = calloc(1, sizeof(*in));
	struct tc_result r = tc_ok();

	TC_ENSURE(in, TC_ERR_NO_MEMORY, "appraisal inputs");
	api_ca_inputs_init(&in->anchors);
	TC_ENSURE_GOTO(r, n_policies <= API_APPRAISE_POLICIES_MAX, fail, TC_ERR_INVALID_ARGUMENT,
		       "at most %d --appraisal-policy options", API_APPRAISE_POLICIES_MAX);
	for (size_t i = 0; i < n_anchors; i++)
		TC_GUARD_GOTO(r, api_ca_inputs_anchor(&in->anchors, anchors[i]), fail);
	for (size_t i = 0; i < n_policies; i++) {
		const char *eq = strchr(policies[i], '=');
		size_t n = eq ? (size_t)(eq - policies[i]) : 0;

		TC_ENSURE_GOTO(r, eq && eq[1] && policy_name_valid(policies[i], n), fail, TC_ERR_INVALID_ARGUMENT,
			       "--appraisal-policy '%.64s': want NAME=FILE, NAME 1..%d of [A-Za-z0-9._-]", policies[i],
			       POLICY_NAME_MAX);
		snprintf(in->names[i], sizeof(in->names[i]), "%.*s", (int)n, policies[i]);
		for (size_t k = 0; k < i; k++)
			TC_ENSURE_GOTO(r, strcmp(in->names[k], in->names[i]) != 0, fail, TC_ERR_INVALID_ARGUMENT,
				       "--appraisal-policy: '%s' named twice", in->names[i]);
		in->policies[i] = calloc(1, sizeof(*in->policies[i]));
		TC_ENSURE_GOTO(r, in->policies[i], fail, TC_ERR_NO_MEMORY, "appraisal policy");
		api_ca_inputs_init(in->policies[i]);
		in->n_policies = i + 1;
		TC_GUARD_GOTO(r, api_ca_inputs_policy_file(in->policies[i], eq + 1), fail);
		in->named[i] = (struct api_named_policy){ .name = in->names[i], .policy = &in->policies[i]->policy };
	}
	*out = in;
	return tc_ok();
fail:
	api_appraise_inputs_free(&in);
	return r;
}

void api_appraise_inputs_free(struct api_appraise_inputs **p)
{
	struct api_appraise_inputs *in = p ? *p : NULL;

	if (!in)
		return;
	for (size_t i = 0; i < in->n_policies; i++) {
		api_ca_inputs_cleanup(in->policies[i]);
		free(in->policies[i]);
	}
	api_ca_inputs_cleanup(&in->anchors);
	free(in);
	*p = NULL;
}

void api_appraise_inputs_apply(const struct api_appraise_inputs *in, struct api_config *cfg)
{
	if (!in)
		return;
	cfg->policies = in->named;
	cfg->n_policies = in->n_policies;
	cfg->anchors = in->anchors.anchors;
	cfg->n_anchors = in->anchors.n_anchors;
}
