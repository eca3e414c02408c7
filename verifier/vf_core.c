/*
 * vf_core.c — the appraisal model shared by every TEE: policy defaults and JSON form, the appraisal result
 * and its JSON form (docs/appraisal.md), and vf_appraise, which dispatches to the per-TEE appraiser.
 *
 * The per-TEE code decides; this file only keeps the result model in one place, so the CLI, the REST API,
 * the database and the certificate extension all see the same fields.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "vf_internal.h"

/* ------------------------------------------------------------------------------------------------ names */

static const char *const tee_names[] = { [VF_TEE_TDX] = "tdx", [VF_TEE_SNP] = "snp", [VF_TEE_NVIDIA] = "nvidia" };

const char *vf_tee_name(enum vf_tee tee)
{
	if ((unsigned)tee >= sizeof(tee_names) / sizeof(tee_names[0]))
		return "unknown";
	return tee_names[tee];
}

TC_RESULT vf_tee_parse(const char *s, enum vf_tee *out)
{
	for (size_t i = 0; i < sizeof(tee_names) / sizeof(tee_names[0]); i++) {
		if (s && strcmp(s, tee_names[i]) == 0) {
			*out = (enum vf_tee)i;
			return tc_ok();
		}
	}
	return tc_fail(TC_ERR_INVALID_ARGUMENT, "unknown TEE '%s' (expected tdx, snp or nvidia)", s ? s : "(null)");
}

/* Intel's TCB status strings (PCS API v4, tcbLevels[].tcbStatus); SNP/NVIDIA derive a subset. */
static const char *const tcb_status_names[VF_TCB__COUNT] = {
	[VF_TCB_UP_TO_DATE] = "UpToDate",
	[VF_TCB_SW_HARDENING_NEEDED] = "SWHardeningNeeded",
	[VF_TCB_CONFIGURATION_NEEDED] = "ConfigurationNeeded",
	[VF_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED] = "ConfigurationAndSWHardeningNeeded",
	[VF_TCB_OUT_OF_DATE] = "OutOfDate",
	[VF_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED] = "OutOfDateConfigurationNeeded",
	[VF_TCB_TD_RELAUNCH_ADVISED] = "TDRelaunchAdvised",
	[VF_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED] = "TDRelaunchAdvisedConfigurationNeeded",
	[VF_TCB_REVOKED] = "Revoked",
	[VF_TCB_UNKNOWN] = "Unknown",
};

const char *vf_tcb_status_name(enum vf_tcb_status s)
{
	if ((unsigned)s >= VF_TCB__COUNT)
		return "Unknown";
	return tcb_status_names[s];
}

TC_RESULT vf_tcb_status_parse(const char *s, enum vf_tcb_status *out)
{
	for (unsigned i = 0; i < VF_TCB__COUNT; i++) {
		if (s && strcmp(s, tcb_status_names[i]) == 0) {
			*out = (enum vf_tcb_status)i;
			return tc_ok();
		}
	}
	return tc_fail(TC_ERR_INVALID_ARGUMENT, "unknown TCB status '%s'", s ? s : "(null)");
}

const struct vf_item *vf_item_find(const struct vf_item *items, size_t n, const char *role)
{
	for (size_t i = 0; i < n; i++)
		if (items[i].role && strcmp(items[i].role, role) == 0)
			return &items[i];
	return NULL;
}

bool vf_is_failure_code(enum tc_code code)
{
	return code >= TC_ERR_EVIDENCE_MALFORMED && code <= TC_ERR_POLICY_VIOLATION;
}

bool vf_check(struct vf_appraisal *a, struct tc_result check, struct tc_result *internal)
{
	*internal = tc_ok();
	if (tc_is_ok(check))
		return false;
	if (vf_is_failure_code(check.code)) {
		vf_reject(a, check.code, "%s", tc_error_detail());
		return true;
	}
	*internal = check;
	return true;
}

/* ----------------------------------------------------------------------------------------------- hashes */

static TC_RESULT digest(const char *name, const void *data, size_t len, uint8_t *out)
{
	unsigned int n = 0;

	if (EVP_Digest(data, len, out, &n, EVP_get_digestbyname(name), NULL) != 1)
		return tc_fail_openssl(TC_ERR_CRYPTO, name);
	return tc_ok();
}

TC_RESULT vf_sha256(const void *data, size_t len, uint8_t out[32])
{
	return digest("SHA256", data, len, out);
}

TC_RESULT vf_sha384(const void *data, size_t len, uint8_t out[48])
{
	return digest("SHA384", data, len, out);
}

TC_RESULT vf_sha512(const void *data, size_t len, uint8_t out[64])
{
	return digest("SHA512", data, len, out);
}

/* ----------------------------------------------------------------------------------------------- policy */

#define VF_TCB_BIT(s) (1u << (s))

void vf_policy_init(struct vf_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->accepted_tcb_statuses = VF_TCB_BIT(VF_TCB_UP_TO_DATE) | VF_TCB_BIT(VF_TCB_SW_HARDENING_NEEDED);
	p->require_collateral = true;
	p->check_revocation = true;
	p->gpu_rims = VF_REQUIRED;
	p->ocsp = VF_IF_PRESENT;
}

void vf_policy_cleanup(struct vf_policy *p)
{
	json_decref(p->reference_values);
	json_decref(p->extra);
	memset(p, 0, sizeof(*p));
}

static const char *const tristate_names[] = { [VF_REQUIRED] = "required", [VF_IF_PRESENT] = "if_present",
					      [VF_OFF] = "off" };

static TC_RESULT parse_tristate(const char *key, const json_t *v, enum vf_tristate *out)
{
	const char *s = json_string_value(v);

	for (unsigned i = 0; s && i < 3; i++) {
		if (strcmp(s, tristate_names[i]) == 0) {
			*out = (enum vf_tristate)i;
			return tc_ok();
		}
	}
	return tc_fail(TC_ERR_JSON_FIELD_INVALID, "policy.%s must be \"required\", \"if_present\" or \"off\"", key);
}

static TC_RESULT parse_bool(const char *key, const json_t *v, bool *out)
{
	TC_ENSURE(json_is_boolean(v), TC_ERR_JSON_FIELD_INVALID, "policy.%s must be true or false", key);
	*out = json_is_true(v);
	return tc_ok();
}

static TC_RESULT parse_hex_fixed(const char *key, const json_t *v, uint8_t *out, size_t len)
{
	const char *s = json_string_value(v);
	struct tc_result r;

	TC_ENSURE(s, TC_ERR_JSON_FIELD_INVALID, "policy.%s must be a hex string", key);
	r = tc_hex_decode_fixed(s, strlen(s), out, len);
	TC_ENSURE(tc_is_ok(r), TC_ERR_JSON_FIELD_INVALID, "policy.%s must be %zu bytes of hex: %s", key, len,
		  tc_error_detail());
	return tc_ok();
}

static TC_RESULT parse_statuses(const json_t *v, uint32_t *out)
{
	size_t i;
	json_t *e;
	uint32_t set = 0;

	TC_ENSURE(json_is_array(v), TC_ERR_JSON_FIELD_INVALID, "policy.accepted_tcb_statuses must be an array");
	json_array_foreach(v, i, e) {
		enum vf_tcb_status s;
		struct tc_result r = vf_tcb_status_parse(json_string_value(e), &s);

		TC_ENSURE(tc_is_ok(r), TC_ERR_JSON_FIELD_INVALID, "policy.accepted_tcb_statuses[%zu]: %s", i,
			  tc_error_detail());
		/* Revoked is never accepted (cases README "Policy defaults"). */
		TC_ENSURE(s != VF_TCB_REVOKED, TC_ERR_JSON_FIELD_INVALID,
			  "policy.accepted_tcb_statuses: Revoked can never be accepted");
		set |= VF_TCB_BIT(s);
	}
	*out = set;
	return tc_ok();
}

#define VF_SNP_TCB_MAX 255

static TC_RESULT parse_snp_tcb(const json_t *v, struct vf_snp_tcb *out)
{
	static const char *const names[] = { "bootloader", "tee", "snp", "microcode", "fmc" };
	uint8_t vals[5] = { 0 };
	const char *k;
	json_t *e;

	TC_ENSURE(json_is_object(v), TC_ERR_JSON_FIELD_INVALID, "policy.min_snp_tcb must be an object");
	json_object_foreach((json_t *)v, k, e) {
		size_t i;

		for (i = 0; i < 5 && strcmp(k, names[i]) != 0; i++)
			;
		TC_ENSURE(i < 5, TC_ERR_JSON_FIELD_UNKNOWN, "policy.min_snp_tcb.%s is not a TCB component", k);
		TC_ENSURE(json_is_integer(e) && json_integer_value(e) >= 0 &&
				  json_integer_value(e) <= VF_SNP_TCB_MAX,
			  TC_ERR_JSON_FIELD_INVALID, "policy.min_snp_tcb.%s must be an integer 0..255", k);
		vals[i] = (uint8_t)json_integer_value(e);
	}
	out->bootloader = vals[0];
	out->tee = vals[1];
	out->snp = vals[2];
	out->microcode = vals[3];
	out->fmc = vals[4];
	return tc_ok();
}

static bool has_tee_prefix(const char *key)
{
	return strncmp(key, "tdx_", 4) == 0 || strncmp(key, "snp_", 4) == 0 || strncmp(key, "nvidia_", 7) == 0;
}

static TC_RESULT policy_apply(struct vf_policy *p, const char *k, json_t *v)
{
	if (strcmp(k, "accepted_tcb_statuses") == 0)
		return parse_statuses(v, &p->accepted_tcb_statuses);
	if (strcmp(k, "allow_debug") == 0)
		return parse_bool(k, v, &p->allow_debug);
	if (strcmp(k, "require_collateral") == 0)
		return parse_bool(k, v, &p->require_collateral);
	if (strcmp(k, "check_revocation") == 0)
		return parse_bool(k, v, &p->check_revocation);
	if (strcmp(k, "allow_ocsp_on_hold") == 0)
		return parse_bool(k, v, &p->allow_ocsp_on_hold);
	if (strcmp(k, "allow_simulated") == 0)
		return parse_bool(k, v, &p->allow_simulated);
	if (strcmp(k, "gpu_rims") == 0)
		return parse_tristate(k, v, &p->gpu_rims);
	if (strcmp(k, "ocsp") == 0)
		return parse_tristate(k, v, &p->ocsp);
	if (strcmp(k, "expected_nonce") == 0) {
		TC_GUARD(parse_hex_fixed(k, v, p->expected_nonce, VF_GPU_NONCE_LEN));
		p->has_expected_nonce = true;
		return tc_ok();
	}
	if (strcmp(k, "expected_report_data") == 0) {
		TC_GUARD(parse_hex_fixed(k, v, p->expected_report_data, VF_REPORT_DATA_LEN));
		p->has_expected_report_data = true;
		return tc_ok();
	}
	if (strcmp(k, "min_snp_tcb") == 0) {
		TC_GUARD(parse_snp_tcb(v, &p->min_snp_tcb));
		p->has_min_snp_tcb = true;
		return tc_ok();
	}
	if (strcmp(k, "snp_product") == 0) {
		const char *s = json_string_value(v);

		TC_ENSURE(s && (strcmp(s, "Milan") == 0 || strcmp(s, "Genoa") == 0 || strcmp(s, "Turin") == 0),
			  TC_ERR_JSON_FIELD_INVALID, "policy.snp_product must be \"Milan\", \"Genoa\" or \"Turin\"");
		snprintf(p->snp_product, sizeof(p->snp_product), "%s", s);
		return tc_ok();
	}
	if (strcmp(k, "reference_values") == 0) {
		const char *claim;
		json_t *list;

		TC_ENSURE(json_is_object(v), TC_ERR_JSON_FIELD_INVALID, "policy.reference_values must be an object");
		json_object_foreach(v, claim, list) {
			size_t i;
			json_t *e;

			TC_ENSURE(json_is_array(list), TC_ERR_JSON_FIELD_INVALID,
				  "policy.reference_values.%s must be an array of hex strings", claim);
			json_array_foreach(list, i, e)
				TC_ENSURE(json_is_string(e), TC_ERR_JSON_FIELD_INVALID,
					  "policy.reference_values.%s[%zu] must be a hex string", claim, i);
		}
		json_decref(p->reference_values);
		p->reference_values = json_deep_copy(v);
		TC_ENSURE(p->reference_values, TC_ERR_NO_MEMORY, "copying policy.reference_values");
		return tc_ok();
	}
	if (has_tee_prefix(k)) {
		/* The knob becomes part of the policy digest (RFC 8785, integers only): a value that cannot be
		 * canonicalised (a real number) is refused here, not later by every appraisal under this policy. */
		struct tc_buf canon;
		struct tc_result cr;

		tc_buf_init(&canon, TC_JSON_MAX_DEFAULT);
		cr = tc_json_canonical(v, &canon);
		tc_buf_cleanup(&canon);
		TC_ENSURE(tc_is_ok(cr) || cr.code == TC_ERR_NO_MEMORY, TC_ERR_JSON_FIELD_INVALID, "policy.%s: %s", k,
			  tc_error_detail());
		TC_GUARD(cr);
		if (!p->extra)
			p->extra = json_object();
		TC_ENSURE(p->extra && json_object_set(p->extra, k, v) == 0, TC_ERR_NO_MEMORY, "policy.%s", k);
		return tc_ok();
	}
	return tc_fail(TC_ERR_JSON_FIELD_UNKNOWN, "policy.%s is not a policy knob (see docs/appraisal.md)", k);
}

TC_RESULT vf_policy_from_json(struct vf_policy *p, const json_t *obj)
{
	const char *k;
	json_t *v;

	if (!obj)
		return tc_ok();
	TC_ENSURE(json_is_object(obj), TC_ERR_JSON_FIELD_INVALID, "the policy must be a JSON object");
	json_object_foreach((json_t *)obj, k, v)
		TC_GUARD(policy_apply(p, k, v));
	return tc_ok();
}

static json_t *hex_or_null(bool has, const uint8_t *data, size_t len)
{
	return has ? tc_json_hex(data, len) : json_null();
}

TC_RESULT vf_policy_to_json(const struct vf_policy *p, json_t **out)
{
	json_t *o = json_object(), *statuses = json_array();
	struct tc_result r = tc_ok();

	TC_ENSURE_GOTO(r, o && statuses, fail, TC_ERR_NO_MEMORY, "policy JSON");
	for (unsigned i = 0; i < VF_TCB__COUNT; i++)
		if (p->accepted_tcb_statuses & VF_TCB_BIT(i))
			json_array_append_new(statuses, json_string(tcb_status_names[i]));
	json_object_set_new(o, "accepted_tcb_statuses", statuses);
	statuses = NULL;
	json_object_set_new(o, "allow_debug", json_boolean(p->allow_debug));
	json_object_set_new(o, "require_collateral", json_boolean(p->require_collateral));
	json_object_set_new(o, "check_revocation", json_boolean(p->check_revocation));
	json_object_set_new(o, "gpu_rims", json_string(tristate_names[p->gpu_rims]));
	json_object_set_new(o, "ocsp", json_string(tristate_names[p->ocsp]));
	json_object_set_new(o, "allow_ocsp_on_hold", json_boolean(p->allow_ocsp_on_hold));
	json_object_set_new(o, "allow_simulated", json_boolean(p->allow_simulated));
	json_object_set_new(o, "expected_nonce", hex_or_null(p->has_expected_nonce, p->expected_nonce,
							     VF_GPU_NONCE_LEN));
	json_object_set_new(o, "expected_report_data",
			    hex_or_null(p->has_expected_report_data, p->expected_report_data, VF_REPORT_DATA_LEN));
	if (p->has_min_snp_tcb)
		json_object_set_new(o, "min_snp_tcb",
				    json_pack("{s:i,s:i,s:i,s:i,s:i}", "bootloader", p->min_snp_tcb.bootloader, "tee",
					      p->min_snp_tcb.tee, "snp", p->min_snp_tcb.snp, "microcode",
					      p->min_snp_tcb.microcode, "fmc", p->min_snp_tcb.fmc));
	else
		json_object_set_new(o, "min_snp_tcb", json_null());
	json_object_set_new(o, "snp_product", p->snp_product[0] ? json_string(p->snp_product) : json_null());
	json_object_set_new(o, "reference_values",
			    p->reference_values ? json_deep_copy(p->reference_values) : json_object());
	if (p->extra)
		json_object_update(o, p->extra);
	*out = o;
	return tc_ok();
fail:
	json_decref(o);
	json_decref(statuses);
	return r;
}

TC_RESULT vf_policy_digest(const struct vf_policy *p, uint8_t out[32])
{
	json_t *j = NULL;
	struct tc_buf b;
	struct tc_result r;

	tc_buf_init(&b, TC_JSON_MAX_DEFAULT);
	TC_GUARD_GOTO(r, vf_policy_to_json(p, &j), out);
	TC_GUARD_GOTO(r, tc_json_canonical(j, &b), out);
	r = vf_sha256(b.data, b.len, out);
out:
	json_decref(j);
	tc_buf_cleanup(&b);
	return r;
}

/* -------------------------------------------------------------------------------------------- appraisal */

void vf_appraisal_init(struct vf_appraisal *a)
{
	memset(a, 0, sizeof(*a));
	a->accepted = true;
	a->failure = TC_OK;
}

void vf_appraisal_cleanup(struct vf_appraisal *a)
{
	for (size_t i = 0; i < a->n_devices; i++) {
		json_decref(a->devices[i].advisory_ids);
		json_decref(a->devices[i].claims);
	}
	json_decref(a->extra);
	memset(a, 0, sizeof(*a));
}

struct vf_device *vf_appraisal_add_device(struct vf_appraisal *a, const char *id, enum vf_tee tee)
{
	struct vf_device *d;

	if (a->n_devices >= VF_MAX_DEVICES)
		return NULL;
	d = &a->devices[a->n_devices];
	memset(d, 0, sizeof(*d));
	snprintf(d->id, sizeof(d->id), "%s", id);
	d->tee = tee;
	d->tcb_status = VF_TCB_UNKNOWN;
	d->advisory_ids = json_array();
	d->claims = json_object();
	if (!d->advisory_ids || !d->claims) {
		json_decref(d->advisory_ids);
		json_decref(d->claims);
		return NULL;
	}
	a->n_devices++;
	return d;
}

TC_RESULT vf_appraisal_add_digest(struct vf_appraisal *a, const char *role, const void *data, size_t len)
{
	uint8_t h[32];

	TC_GUARD(vf_sha256(data, len, h));
	/* The same item used twice (e.g. one chain file for two roles) is recorded once per role. */
	for (size_t i = 0; i < a->n_collateral; i++)
		if (strcmp(a->collateral[i].role, role) == 0 && memcmp(a->collateral[i].sha256, h, 32) == 0)
			return tc_ok();
	TC_ENSURE(a->n_collateral < VF_MAX_ITEMS, TC_ERR_TOO_LARGE, "more than %d collateral digests", VF_MAX_ITEMS);
	snprintf(a->collateral[a->n_collateral].role, sizeof(a->collateral[0].role), "%s", role);
	memcpy(a->collateral[a->n_collateral].sha256, h, 32);
	a->n_collateral++;
	return tc_ok();
}

void vf_reject(struct vf_appraisal *a, enum tc_code failure, const char *fmt, ...)
{
	va_list ap;

	if (!a->accepted)
		return;
	a->accepted = false;
	a->failure = failure;
	va_start(ap, fmt);
	vsnprintf(a->detail, sizeof(a->detail), fmt, ap);
	va_end(ap);
	if (!a->remediation[0])
		snprintf(a->remediation, sizeof(a->remediation), "%s", tc_error_info(failure)->hint);
}

static json_t *device_to_json(const struct vf_device *d)
{
	return json_pack("{s:s,s:s,s:b,s:o,s:O,s:O}", "id", d->id, "tee", vf_tee_name(d->tee), "simulated",
			 d->simulated, "tcb_status",
			 d->has_tcb_status ? json_string(vf_tcb_status_name(d->tcb_status)) : json_null(),
			 "advisory_ids", d->advisory_ids, "claims", d->claims);
}

TC_RESULT vf_appraisal_to_json(const struct vf_appraisal *a, json_t **out)
{
	char at[TC_TIME_RFC3339_LEN];
	json_t *o = NULL, *devices = json_array(), *digests = json_array();
	struct tc_result r = tc_ok();

	TC_ENSURE_GOTO(r, devices && digests, fail, TC_ERR_NO_MEMORY, "appraisal JSON");
	for (size_t i = 0; i < a->n_devices; i++) {
		json_t *d = device_to_json(&a->devices[i]);

		TC_ENSURE_GOTO(r, d && json_array_append_new(devices, d) == 0, fail, TC_ERR_NO_MEMORY, "device");
	}
	for (size_t i = 0; i < a->n_collateral; i++) {
		json_t *d = json_pack("{s:s,s:o}", "role", a->collateral[i].role, "sha256",
				      tc_json_hex(a->collateral[i].sha256, 32));

		TC_ENSURE_GOTO(r, d && json_array_append_new(digests, d) == 0, fail, TC_ERR_NO_MEMORY, "digest");
	}
	TC_GUARD_GOTO(r, tc_time_format(a->appraised_at, at), fail);
	o = json_pack("{s:s,s:o,s:s,s:o,s:o,s:o,s:o,s:o,s:s}", "verdict", a->accepted ? "accepted" : "rejected",
		      "failure", a->accepted ? json_null() : json_string(tc_error_info(a->failure)->code), "detail",
		      a->detail, "remediation", a->accepted ? json_null() : json_string(a->remediation), "devices",
		      devices, "collateral_digests", digests, "evidence_digest", tc_json_hex(a->evidence_digest, 32),
		      "policy_digest", tc_json_hex(a->policy_digest, 32), "appraised_at", at);
	devices = digests = NULL;
	TC_ENSURE_GOTO(r, o, fail, TC_ERR_NO_MEMORY, "appraisal JSON");
	if (a->extra)
		json_object_set(o, "extra", a->extra);
	*out = o;
	return tc_ok();
fail:
	json_decref(devices);
	json_decref(digests);
	json_decref(o);
	return r;
}

/* ---------------------------------------------------------------------------------------------- appraise */

static TC_RESULT evidence_digest(const struct vf_input *in, uint8_t out[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;
	struct tc_result r = tc_ok();

	TC_ENSURE(ctx, TC_ERR_NO_MEMORY, "digest context");
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		r = tc_fail_openssl(TC_ERR_CRYPTO, "SHA-256 init");
		goto out;
	}
	/* Each item contributes role NUL length(8, big-endian) bytes, so item boundaries are unambiguous. */
	for (size_t i = 0; i < in->n_evidence; i++) {
		const struct vf_item *it = &in->evidence[i];
		uint8_t len_be[8];

		for (int k = 0; k < 8; k++)
			len_be[k] = (uint8_t)((uint64_t)it->len >> (56 - 8 * k));
		if (EVP_DigestUpdate(ctx, it->role, strlen(it->role) + 1) != 1 ||
		    EVP_DigestUpdate(ctx, len_be, sizeof(len_be)) != 1 ||
		    EVP_DigestUpdate(ctx, it->data, it->len) != 1) {
			r = tc_fail_openssl(TC_ERR_CRYPTO, "SHA-256 update");
			goto out;
		}
	}
	if (EVP_DigestFinal_ex(ctx, out, &n) != 1)
		r = tc_fail_openssl(TC_ERR_CRYPTO, "SHA-256 final");
out:
	EVP_MD_CTX_free(ctx);
	return r;
}

TC_RESULT vf_appraise(const struct vf_input *input, const struct vf_policy *policy, int64_t now,
		      struct vf_appraisal *out)
{
	struct vf_appraisal a;
	struct tc_result r;

	vf_appraisal_init(&a);
	a.appraised_at = now;
	TC_GUARD_GOTO(r, evidence_digest(input, a.evidence_digest), fail);
	TC_GUARD_GOTO(r, vf_policy_digest(policy, a.policy_digest), fail);
	switch (input->tee) {
	case VF_TEE_TDX:
		r = vf_tdx_appraise(input, policy, now, &a);
		break;
	case VF_TEE_SNP:
		r = vf_snp_appraise(input, policy, now, &a);
		break;
	case VF_TEE_NVIDIA:
		r = vf_nvidia_appraise(input, policy, now, &a);
		break;
	default:
		r = tc_fail(TC_ERR_INVALID_ARGUMENT, "unknown TEE %d", (int)input->tee);
	}
	if (!tc_is_ok(r))
		goto fail;
	*out = a;
	return tc_ok();
fail:
	vf_appraisal_cleanup(&a);
	return r;
}
