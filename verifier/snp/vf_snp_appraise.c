/*
 * vf_snp_appraise.c — AMD SEV-SNP appraisal (vf_snp_appraise, called by vf_appraise).
 *
 * Steps in the check order of ../shared/evidence/cases/README.md; the first failing check decides:
 *  1. parse the ATTESTATION_REPORT ([ABI] Table "ATTESTATION_REPORT Structure")
 *  2. endorsement chain VCEK <- ASK <- ARK or VLEK <- ASVK <- ARK (vf_snp_chain.c), then validity
 *  3. report signature: ECDSA P-384 / SHA-384 over bytes 0x000-0x29F
 *  4. REPORT_DATA against policy expected_report_data
 *  5. collateral: the AMD CRL (signed by the pinned ARK) when check_revocation
 *  6. TCB: VCEK extensions vs REPORTED_TCB and CHIP_ID ([KDS] extensions), derived TCB status
 *     (vf_snp_tcb.c), product line, measurement allow-list
 *  7. policy: GUEST_POLICY.DEBUG, then the other knobs (policy_violation)
 * SNP-specific policy knobs live in policy->extra with the prefix snp_ (docs/snp.md "Policy").
 */
#include <ctype.h>
#include <string.h>

#include "vf_snp.h"

#define VF_SNP_MAX_VMPL 3
#define VF_SNP_TCB_TEXT 64
#define VF_SNP_HEX_MAX (2 * VF_SNP_CHIP_ID_LEN + 1)

/* Knobs of policy->extra this appraiser understands (docs/snp.md). */
struct snp_policy {
	bool has_min_current, has_min_committed, has_min_launch;
	struct vf_snp_tcb min_current, min_committed, min_launch;
	bool allow_migration_agent;
	bool require_no_smt;
	bool require_single_socket;
	bool require_tsme;
	bool permit_provisional_firmware;
	uint32_t max_vmpl;
	bool has_min_guest_svn;
	uint32_t min_guest_svn;
	const json_t *allowed_host_data; /* borrowed array of hex strings */
};

/* Everything one appraisal carries between its steps. */
struct snp_ctx {
	const struct vf_input *in;
	const struct vf_policy *policy;
	struct snp_policy sp;
	int64_t now;
	struct vf_appraisal *out;
	struct vf_device *dev;
	const struct vf_item *report_item, *key_item;
	bool is_vlek;
	struct vf_snp_report report;
	struct vf_snp_endorsement e;
	bool have_e;
	enum vf_snp_tcb_layout layout;
};

/* ------------------------------------------------------------------------------------------- policy */

static TC_RESULT parse_tcb_knob(const char *key, const json_t *v, struct vf_snp_tcb *out)
{
	static const char *const names[] = { "bootloader", "tee", "snp", "microcode", "fmc" };
	uint8_t *fields[] = { &out->bootloader, &out->tee, &out->snp, &out->microcode, &out->fmc };
	const char *k;
	json_t *e;

	memset(out, 0, sizeof(*out));
	TC_ENSURE(json_is_object(v), TC_ERR_JSON_FIELD_INVALID, "policy.%s must be an object of TCB components", key);
	json_object_foreach((json_t *)v, k, e) {
		size_t i;

		for (i = 0; i < 5 && strcmp(k, names[i]) != 0; i++)
			;
		TC_ENSURE(i < 5, TC_ERR_JSON_FIELD_UNKNOWN, "policy.%s.%s is not a TCB component", key, k);
		TC_ENSURE(json_is_integer(e) && json_integer_value(e) >= 0 && json_integer_value(e) <= 255,
			  TC_ERR_JSON_FIELD_INVALID, "policy.%s.%s must be an integer 0..255", key, k);
		*fields[i] = (uint8_t)json_integer_value(e);
	}
	return tc_ok();
}

static TC_RESULT parse_bool_knob(const char *key, const json_t *v, bool *out)
{
	TC_ENSURE(json_is_boolean(v), TC_ERR_JSON_FIELD_INVALID, "policy.%s must be true or false", key);
	*out = json_is_true(v);
	return tc_ok();
}

static TC_RESULT parse_uint_knob(const char *key, const json_t *v, uint32_t max, uint32_t *out)
{
	TC_ENSURE(json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= (json_int_t)max,
		  TC_ERR_JSON_FIELD_INVALID, "policy.%s must be an integer 0..%u", key, max);
	*out = (uint32_t)json_integer_value(v);
	return tc_ok();
}

static TC_RESULT parse_hex_list_knob(const char *key, const json_t *v, size_t len)
{
	size_t i;
	json_t *e;

	TC_ENSURE(json_is_array(v), TC_ERR_JSON_FIELD_INVALID, "policy.%s must be an array of hex strings", key);
	json_array_foreach(v, i, e) {
		const char *s = json_string_value(e);

		TC_ENSURE(s && strlen(s) == 2 * len, TC_ERR_JSON_FIELD_INVALID,
			  "policy.%s[%zu] must be %zu bytes of hex", key, i, len);
	}
	return tc_ok();
}

static TC_RESULT snp_policy_parse(const json_t *extra, struct snp_policy *sp)
{
	const char *k;
	json_t *v;

	memset(sp, 0, sizeof(*sp));
	sp->max_vmpl = VF_SNP_MAX_VMPL;
	sp->permit_provisional_firmware = true;
	if (!extra)
		return tc_ok();
	json_object_foreach((json_t *)extra, k, v) {
		if (strncmp(k, "snp_", 4) != 0)
			continue; /* another TEE's knob */
		if (strcmp(k, "snp_min_current_tcb") == 0) {
			TC_GUARD(parse_tcb_knob(k, v, &sp->min_current));
			sp->has_min_current = true;
		} else if (strcmp(k, "snp_min_committed_tcb") == 0) {
			TC_GUARD(parse_tcb_knob(k, v, &sp->min_committed));
			sp->has_min_committed = true;
		} else if (strcmp(k, "snp_min_launch_tcb") == 0) {
			TC_GUARD(parse_tcb_knob(k, v, &sp->min_launch));
			sp->has_min_launch = true;
		} else if (strcmp(k, "snp_allow_migration_agent") == 0) {
			TC_GUARD(parse_bool_knob(k, v, &sp->allow_migration_agent));
		} else if (strcmp(k, "snp_require_no_smt") == 0) {
			TC_GUARD(parse_bool_knob(k, v, &sp->require_no_smt));
		} else if (strcmp(k, "snp_require_single_socket") == 0) {
			TC_GUARD(parse_bool_knob(k, v, &sp->require_single_socket));
		} else if (strcmp(k, "snp_require_tsme") == 0) {
			TC_GUARD(parse_bool_knob(k, v, &sp->require_tsme));
		} else if (strcmp(k, "snp_permit_provisional_firmware") == 0) {
			TC_GUARD(parse_bool_knob(k, v, &sp->permit_provisional_firmware));
		} else if (strcmp(k, "snp_max_vmpl") == 0) {
			TC_GUARD(parse_uint_knob(k, v, VF_SNP_MAX_VMPL, &sp->max_vmpl));
		} else if (strcmp(k, "snp_min_guest_svn") == 0) {
			TC_GUARD(parse_uint_knob(k, v, UINT32_MAX, &sp->min_guest_svn));
			sp->has_min_guest_svn = true;
		} else if (strcmp(k, "snp_allowed_host_data") == 0) {
			TC_GUARD(parse_hex_list_knob(k, v, VF_SNP_HOST_DATA_LEN));
			sp->allowed_host_data = v;
		} else {
			return tc_fail(TC_ERR_JSON_FIELD_UNKNOWN, "policy.%s is not an SNP policy knob (docs/snp.md)",
				       k);
		}
	}
	return tc_ok();
}

/* ------------------------------------------------------------------------------------------- claims */

static TC_RESULT claim_set(struct snp_ctx *x, const char *name, json_t *value)
{
	TC_ENSURE(value && json_object_set_new(x->dev->claims, name, value) == 0, TC_ERR_NO_MEMORY, "claim %s", name);
	return tc_ok();
}

static TC_RESULT claim_hex(struct snp_ctx *x, const char *name, const void *data, size_t len)
{
	return claim_set(x, name, tc_json_hex(data, len));
}

/* 64-bit fields as 16 lowercase hex digits of the value (AMD's and KDS's notation). */
static TC_RESULT claim_u64(struct snp_ctx *x, const char *name, uint64_t v)
{
	char buf[17];

	snprintf(buf, sizeof(buf), "%016llx", (unsigned long long)v);
	return claim_set(x, name, json_string(buf));
}

static TC_RESULT claims_report(struct snp_ctx *x)
{
	const struct vf_snp_report *r = &x->report;

	TC_GUARD(claim_set(x, "report_version", json_integer(r->version)));
	TC_GUARD(claim_hex(x, "measurement", r->measurement, sizeof(r->measurement)));
	TC_GUARD(claim_hex(x, "host_data", r->host_data, sizeof(r->host_data)));
	TC_GUARD(claim_hex(x, "report_data", r->report_data, sizeof(r->report_data)));
	TC_GUARD(claim_u64(x, "policy", r->policy));
	TC_GUARD(claim_set(x, "vmpl", json_integer(r->vmpl)));
	TC_GUARD(claim_hex(x, "chip_id", r->chip_id, sizeof(r->chip_id)));
	TC_GUARD(claim_u64(x, "reported_tcb", r->reported_tcb));
	TC_GUARD(claim_u64(x, "committed_tcb", r->committed_tcb));
	TC_GUARD(claim_u64(x, "current_tcb", r->current_tcb));
	TC_GUARD(claim_u64(x, "launch_tcb", r->launch_tcb));
	TC_GUARD(claim_u64(x, "platform_info", r->platform_info));
	TC_GUARD(claim_set(x, "guest_svn", json_integer(r->guest_svn)));
	TC_GUARD(claim_hex(x, "family_id", r->family_id, sizeof(r->family_id)));
	TC_GUARD(claim_hex(x, "image_id", r->image_id, sizeof(r->image_id)));
	TC_GUARD(claim_hex(x, "id_key_digest", r->id_key_digest, sizeof(r->id_key_digest)));
	TC_GUARD(claim_hex(x, "author_key_digest", r->author_key_digest, sizeof(r->author_key_digest)));
	TC_GUARD(claim_hex(x, "report_id", r->report_id, sizeof(r->report_id)));
	TC_GUARD(claim_hex(x, "report_id_ma", r->report_id_ma, sizeof(r->report_id_ma)));
	TC_GUARD(claim_set(x, "signing_key", json_string(x->is_vlek ? "vlek" : "vcek")));
	if (r->has_cpuid) {
		TC_GUARD(claim_set(x, "family", json_integer(r->cpuid_family)));
		TC_GUARD(claim_set(x, "model", json_integer(r->cpuid_model)));
		TC_GUARD(claim_set(x, "stepping", json_integer(r->cpuid_stepping)));
	}
	if (r->has_mit_vectors) {
		TC_GUARD(claim_u64(x, "launch_mit_vector", r->launch_mit_vector));
		TC_GUARD(claim_u64(x, "current_mit_vector", r->current_mit_vector));
	}
	return tc_ok();
}

static json_t *tcb_json(const struct vf_snp_tcb *t, enum vf_snp_tcb_layout layout)
{
	json_t *o = json_pack("{s:i,s:i,s:i,s:i}", "bootloader", t->bootloader, "tee", t->tee, "snp", t->snp,
			      "microcode", t->microcode);

	if (o && layout == VF_SNP_TCB_TURIN)
		json_object_set_new(o, "fmc", json_integer(t->fmc));
	return o;
}

/* Facts that need the endorsement key (product, TCB layout): claims plus decoded TCBs in out->extra.snp. */
static TC_RESULT claims_endorsement(struct snp_ctx *x)
{
	const struct vf_snp_report *r = &x->report;
	struct vf_snp_tcb rep = vf_snp_tcb_decode(r->reported_tcb, x->layout);
	struct vf_snp_tcb cur = vf_snp_tcb_decode(r->current_tcb, x->layout);
	struct vf_snp_tcb com = vf_snp_tcb_decode(r->committed_tcb, x->layout);
	struct vf_snp_tcb lau = vf_snp_tcb_decode(r->launch_tcb, x->layout);
	json_t *snp;

	TC_GUARD(claim_set(x, "product", json_string(x->e.ext.product)));
	TC_GUARD(claim_set(x, "product_name", json_string(x->e.ext.product_name)));
	if (!x->out->extra)
		x->out->extra = json_object();
	snp = json_pack("{s:s,s:o,s:o,s:o,s:o}", "tcb_layout", x->layout == VF_SNP_TCB_TURIN ? "turin" : "milan_genoa",
			"reported_tcb", tcb_json(&rep, x->layout), "current_tcb", tcb_json(&cur, x->layout),
			"committed_tcb", tcb_json(&com, x->layout), "launch_tcb", tcb_json(&lau, x->layout));
	TC_ENSURE(x->out->extra && snp && json_object_set_new(x->out->extra, "snp", snp) == 0, TC_ERR_NO_MEMORY,
		  "appraisal extra");
	return tc_ok();
}

/* ------------------------------------------------------------------------------------------- steps */

/* Remediation hints for the SNP failures (the detail says what; this says what to do). */
static const char *remediation_of(enum tc_code code)
{
	switch (code) {
	case TC_ERR_EVIDENCE_MALFORMED:
		return "Send the complete 1184-byte ATTESTATION_REPORT (configfs-tsm outblob) with the VCEK or VLEK";
	case TC_ERR_EVIDENCE_UNSUPPORTED_VERSION:
		return "Use firmware that produces report version 2, 3 or 5 signed with ECDSA P-384/SHA-384";
	case TC_ERR_CERT_CHAIN_INVALID:
		return "Fetch the VCEK and the cert_chain of the same product line from AMD KDS (/vcek/v1/<product>/) "
		       "and pin that product's ARK";
	case TC_ERR_CERT_EXPIRED:
		return "Fetch a current VCEK/VLEK from AMD KDS for the reported TCB";
	case TC_ERR_CERT_REVOKED:
		return "The endorsement key or ASK is revoked by AMD; the platform must not be trusted";
	case TC_ERR_EVIDENCE_SIGNATURE_INVALID:
		return "The report was altered or signed by another key: collect a fresh report and the VCEK for its "
		       "REPORTED_TCB";
	case TC_ERR_NONCE_MISMATCH:
		return "Request a new challenge and bind it in REPORT_DATA as docs/snp.md describes";
	case TC_ERR_COLLATERAL_MISSING:
		return "Provide the missing collateral (AMD KDS cert_chain / crl) or turn the check off in the policy";
	case TC_ERR_COLLATERAL_SIGNATURE_INVALID:
	case TC_ERR_COLLATERAL_EXPIRED:
		return "Fetch a current CRL from AMD KDS (/vcek/v1/<product>/crl)";
	case TC_ERR_TCB_MISMATCH:
		return "Fetch the VCEK for exactly this chip and REPORTED_TCB (KDS hwID + blSPL/teeSPL/snpSPL/ucodeSPL)";
	case TC_ERR_TCB_LEVEL_NOT_FOUND:
		return "This product line is not in the SNP TCB table; upgrade teecert";
	case TC_ERR_TCB_STATUS_REJECTED:
		return "Update the host's SEV firmware and microcode (AMD security bulletin in the detail) and commit "
		       "the new TCB";
	case TC_ERR_PRODUCT_MISMATCH:
		return "Run the workload on the expected product line or correct policy snp_product";
	case TC_ERR_MEASUREMENT_MISMATCH:
		return "Launch the expected guest image or add its measurement to policy reference_values";
	case TC_ERR_DEBUG_NOT_ALLOWED:
		return "Launch the guest without the DEBUG policy bit (19)";
	case TC_ERR_POLICY_VIOLATION:
		return "Launch the guest with a configuration that meets the policy named in the detail";
	default:
		return NULL;
	}
}

/* vf_check plus the remediation hint; true when the appraisal stops here. */
static bool stop(struct snp_ctx *x, struct tc_result check, struct tc_result *internal)
{
	if (!tc_is_ok(check) && vf_is_failure_code(check.code) && x->out->accepted && remediation_of(check.code))
		snprintf(x->out->remediation, sizeof(x->out->remediation), "%s", remediation_of(check.code));
	return vf_check(x->out, check, internal);
}

#define SNP_STEP(x, expr)                                                                                              \
	do {                                                                                                           \
		struct tc_result snp__r;                                                                               \
		if (stop((x), (expr), &snp__r))                                                                        \
			return snp__r;                                                                                 \
	} while (0)

static TC_RESULT step_parse(struct snp_ctx *x)
{
	const struct vf_item *vcek = vf_item_find(x->in->evidence, x->in->n_evidence, "vcek");
	const struct vf_item *vlek = vf_item_find(x->in->evidence, x->in->n_evidence, "vlek");

	x->report_item = vf_item_find(x->in->evidence, x->in->n_evidence, "snp_report");
	TC_ENSURE(x->report_item, TC_ERR_EVIDENCE_MALFORMED, "no evidence.snp_report");
	TC_ENSURE(vcek || vlek, TC_ERR_EVIDENCE_MALFORMED, "no evidence.vcek or evidence.vlek to verify the report");
	TC_ENSURE(!(vcek && vlek), TC_ERR_EVIDENCE_MALFORMED, "both evidence.vcek and evidence.vlek given; send one");
	x->key_item = vcek ? vcek : vlek;
	x->is_vlek = vlek != NULL;
	TC_GUARD(vf_snp_report_parse(x->report_item->data, x->report_item->len, &x->report));
	x->layout = vf_snp_tcb_layout_of(&x->report, NULL);
	return claims_report(x);
}

/* "SEV-VLEK-Milan" -> "amd_ark_milan" (no anchor given: the built-in ARK of the key's product line). */
static TC_RESULT default_anchor(struct snp_ctx *x, const char **pem)
{
	X509 *leaf = NULL;
	char cn[64] = "", name[32];
	const char *dash;

	TC_GUARD(vf_x509_parse(x->key_item->data, x->key_item->len, TC_ERR_CERT_CHAIN_INVALID, &leaf));
	if (X509_NAME_get_text_by_NID(X509_get_issuer_name(leaf), NID_commonName, cn, sizeof(cn)) < 0)
		cn[0] = 0;
	X509_free(leaf);
	dash = strrchr(cn, '-');
	snprintf(name, sizeof(name), "amd_ark_%s", dash ? dash + 1 : "");
	for (char *p = name; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	*pem = vf_default_anchor(name);
	TC_ENSURE(*pem, TC_ERR_CERT_CHAIN_INVALID, "no trust_anchors.amd_ark and no built-in ARK for issuer '%s'", cn);
	return tc_ok();
}

/*
 * A chain that builds to a simulated root (teecert sim, VF_SIM_ROOT_OID on the ARK) marks the device
 * simulated and is trusted only with policy allow_simulated. The built-in ARKs are AMD's, never simulated.
 */
static TC_RESULT check_simulated(struct snp_ctx *x, const uint8_t *anchor, size_t anchor_len)
{
	X509 *ark = x->have_e ? x->e.ark : NULL;
	bool sim;

	if (!ark)
		TC_GUARD(vf_x509_parse(anchor, anchor_len, TC_ERR_CERT_CHAIN_INVALID, &ark));
	sim = vf_x509_is_simulated(ark);
	if (ark != x->e.ark)
		X509_free(ark);
	if (!sim)
		return tc_ok();
	x->dev->simulated = true;
	TC_ENSURE(x->policy->allow_simulated, TC_ERR_CERT_CHAIN_INVALID,
		  "simulated root: set allow_simulated to trust it (the ARK is a teecert sim root)");
	return tc_ok();
}

static TC_RESULT step_chain(struct snp_ctx *x)
{
	const struct vf_item *chain = vf_item_find(x->in->collateral, x->in->n_collateral, "ark_ask_chain");
	const struct vf_item *ark = vf_item_find(x->in->anchors, x->in->n_anchors, "amd_ark");
	const uint8_t *anchor;
	size_t anchor_len;
	struct tc_result r;

	TC_ENSURE(chain, TC_ERR_COLLATERAL_MISSING,
		  "collateral.ark_ask_chain (the %s + ARK PEM from AMD KDS) is needed to verify the %s",
		  x->is_vlek ? "ASVK" : "ASK", x->is_vlek ? "VLEK" : "VCEK");
	if (ark) {
		anchor = ark->data;
		anchor_len = ark->len;
	} else {
		const char *pem;

		TC_GUARD(default_anchor(x, &pem));
		anchor = (const uint8_t *)pem;
		anchor_len = strlen(pem);
	}
	TC_GUARD(vf_appraisal_add_digest(x->out, "ark_ask_chain", chain->data, chain->len));
	TC_GUARD(vf_appraisal_add_digest(x->out, "amd_ark", anchor, anchor_len));
	r = vf_snp_chain_verify(x->key_item->data, x->key_item->len, x->is_vlek, chain->data, chain->len, anchor,
				anchor_len, x->now, &x->e);
	x->have_e = tc_is_ok(r);
	/* The chain held (its validity aside): is its anchor a simulated root? Checked before validity. */
	if (r.code == TC_OK || r.code == TC_ERR_CERT_EXPIRED)
		TC_GUARD(check_simulated(x, anchor, anchor_len));
	TC_GUARD(r);
	x->layout = vf_snp_tcb_layout_of(&x->report, x->e.ext.product);
	return claims_endorsement(x);
}

static TC_RESULT step_signature(struct snp_ctx *x)
{
	const struct vf_snp_report *r = &x->report;
	enum vf_snp_signing_key key = vf_snp_report_signing_key(r);
	uint8_t digest[VF_SNP_SHA384_LEN], sig[2 * VF_SNP_P384_COORD_LEN];

	TC_ENSURE(key == (x->is_vlek ? VF_SNP_KEY_VLEK : VF_SNP_KEY_VCEK), TC_ERR_EVIDENCE_SIGNATURE_INVALID,
		  "the report's SIGNING_KEY is %u (%s) but evidence.%s was given", (unsigned)key,
		  key == VF_SNP_KEY_VCEK ? "VCEK" :
		  key == VF_SNP_KEY_VLEK ? "VLEK" :
					   "none",
		  x->is_vlek ? "vlek" : "vcek");
	TC_GUARD(vf_snp_report_sig_be(r, sig));
	TC_GUARD(vf_sha384(r->signed_bytes, VF_SNP_SIGNED_LEN, digest));
	TC_ENSURE(vf_ecdsa_verify_raw(x->e.leaf_key, digest, sizeof(digest), sig, VF_SNP_P384_COORD_LEN),
		  TC_ERR_EVIDENCE_SIGNATURE_INVALID,
		  "the report signature (ECDSA P-384 over bytes 0x000-0x29F) does not verify with the %s",
		  x->is_vlek ? "VLEK" : "VCEK");
	return tc_ok();
}

static TC_RESULT step_nonce(struct snp_ctx *x)
{
	char want[2 * VF_REPORT_DATA_LEN + 1], got[2 * VF_REPORT_DATA_LEN + 1];

	if (!x->policy->has_expected_report_data)
		return tc_ok();
	if (tc_ct_equal(x->policy->expected_report_data, x->report.report_data, VF_REPORT_DATA_LEN))
		return tc_ok();
	TC_GUARD(tc_hex_encode(x->policy->expected_report_data, VF_REPORT_DATA_LEN, want, sizeof(want)));
	TC_GUARD(tc_hex_encode(x->report.report_data, VF_REPORT_DATA_LEN, got, sizeof(got)));
	return tc_fail(TC_ERR_NONCE_MISMATCH, "REPORT_DATA is %.16s... but the policy expects %.16s...", got, want);
}

static TC_RESULT step_collateral(struct snp_ctx *x)
{
	const struct vf_item *crl = vf_item_find(x->in->collateral, x->in->n_collateral, "amd_crl");
	STACK_OF(X509) *certs;
	struct tc_result r;

	if (!x->policy->check_revocation || !x->policy->require_collateral)
		return tc_ok();
	if (!crl)
		crl = vf_item_find(x->in->collateral, x->in->n_collateral, "crl");
	TC_ENSURE(crl, TC_ERR_COLLATERAL_MISSING,
		  "check_revocation needs collateral.amd_crl (AMD KDS /%s/v1/%s/crl) or policy check_revocation=false",
		  x->is_vlek ? "vlek" : "vcek", x->e.ext.product);
	TC_GUARD(vf_appraisal_add_digest(x->out, "amd_crl", crl->data, crl->len));
	certs = sk_X509_new_null();
	TC_ENSURE(certs && sk_X509_push(certs, x->e.ask) > 0 && sk_X509_push(certs, x->e.leaf) > 0, TC_ERR_NO_MEMORY,
		  "certificate list");
	r = vf_x509_check_crl(crl->data, crl->len, x->e.ark, x->now, certs, "collateral.amd_crl");
	sk_X509_free(certs);
	return r;
}

/* CPUID family/model -> KDS product line ([KDS] "product_name"; Genoa includes Bergamo/Siena). */
static const char *product_of_cpuid(const struct vf_snp_report *r)
{
	if (!r->has_cpuid)
		return NULL;
	if (r->cpuid_family == VF_SNP_CPUID_FAMILY_TURIN)
		return "Turin";
	if (r->cpuid_family == 0x19 && r->cpuid_model <= 0x0F)
		return "Milan";
	if (r->cpuid_family == 0x19 &&
	    ((r->cpuid_model >= 0x10 && r->cpuid_model <= 0x1F) || (r->cpuid_model >= 0xA0 && r->cpuid_model <= 0xAF)))
		return "Genoa";
	return NULL;
}

/* [KDS]: the VCEK certifies hwID = CHIP_ID and the TCB it was derived for = REPORTED_TCB. */
static TC_RESULT check_tcb_binding(struct snp_ctx *x)
{
	const struct vf_snp_report *r = &x->report;
	const struct vf_snp_vcek_ext *ext = &x->e.ext;
	const char *cpu_product = product_of_cpuid(r);
	struct vf_snp_tcb rep = vf_snp_tcb_decode(r->reported_tcb, x->layout);
	char a[VF_SNP_TCB_TEXT], b[VF_SNP_TCB_TEXT];
	const char *kind = x->is_vlek ? "VLEK" : "VCEK";

	TC_ENSURE(!cpu_product || strcmp(cpu_product, ext->product) == 0, TC_ERR_TCB_MISMATCH,
		  "the report's CPUID (family 0x%02x model 0x%02x) is a %s part but the %s is for %s", r->cpuid_family,
		  r->cpuid_model, cpu_product, kind, ext->product);
	TC_ENSURE(x->layout != VF_SNP_TCB_TURIN || ext->has_fmc, TC_ERR_TCB_MISMATCH,
		  "a Turin report needs a %s with the fmcSPL extension (1.3.6.1.4.1.3704.1.3.9)", kind);
	vf_snp_tcb_format(&rep, x->layout, a, sizeof(a));
	vf_snp_tcb_format(&ext->tcb, x->layout, b, sizeof(b));
	TC_ENSURE(rep.bootloader == ext->tcb.bootloader && rep.tee == ext->tcb.tee && rep.snp == ext->tcb.snp &&
			  rep.microcode == ext->tcb.microcode &&
			  (x->layout != VF_SNP_TCB_TURIN || rep.fmc == ext->tcb.fmc),
		  TC_ERR_TCB_MISMATCH, "REPORTED_TCB (%s) differs from the TCB the %s certifies (%s)", a, kind, b);
	if (x->is_vlek)
		return tc_ok(); /* a VLEK is not chip-specific: no hwID */
	if (x->layout == VF_SNP_TCB_TURIN) {
		TC_ENSURE(ext->hwid_len == VF_SNP_TURIN_HWID_LEN, TC_ERR_TCB_MISMATCH,
			  "a Turin VCEK hwID is %d bytes, this one %zu", VF_SNP_TURIN_HWID_LEN, ext->hwid_len);
		for (size_t i = VF_SNP_TURIN_HWID_LEN; i < VF_SNP_CHIP_ID_LEN; i++)
			TC_ENSURE(r->chip_id[i] == 0, TC_ERR_TCB_MISMATCH,
				  "a Turin CHIP_ID has 8 significant bytes; byte %zu is not zero", i);
	} else {
		TC_ENSURE(ext->hwid_len == VF_SNP_CHIP_ID_LEN, TC_ERR_TCB_MISMATCH,
			  "the VCEK hwID is %zu bytes, CHIP_ID is %d", ext->hwid_len, VF_SNP_CHIP_ID_LEN);
	}
	if (memcmp(ext->hwid, r->chip_id, ext->hwid_len) != 0) {
		char want[VF_SNP_HEX_MAX], got[VF_SNP_HEX_MAX];

		TC_GUARD(tc_hex_encode(ext->hwid, ext->hwid_len, want, sizeof(want)));
		TC_GUARD(tc_hex_encode(r->chip_id, ext->hwid_len, got, sizeof(got)));
		return tc_fail(TC_ERR_TCB_MISMATCH, "CHIP_ID %.16s... is not the VCEK's hwID %.16s...%s", got, want,
			       tc_ct_equal(r->chip_id, (uint8_t[VF_SNP_CHIP_ID_LEN]){ 0 }, VF_SNP_CHIP_ID_LEN) ?
				       " (CHIP_ID is masked: use a VLEK or unmask it)" :
				       "");
	}
	return tc_ok();
}

static TC_RESULT check_tcb_status(struct snp_ctx *x)
{
	const struct vf_snp_report *r = &x->report;
	struct vf_snp_tcb rep = vf_snp_tcb_decode(r->reported_tcb, x->layout);
	struct vf_snp_tcb_verdict v;
	char a[VF_SNP_TCB_TEXT], b[VF_SNP_TCB_TEXT];

	if (!x->policy->require_collateral) {
		x->dev->has_tcb_status = true;
		x->dev->tcb_status = VF_TCB_UNKNOWN;
		return tc_ok();
	}
	TC_GUARD(vf_snp_tcb_evaluate(NULL, x->e.ext.product, r->has_cpuid ? r->cpuid_model : -1, &rep, x->layout,
				     x->now, &v));
	x->dev->has_tcb_status = true;
	x->dev->tcb_status = v.status;
	if (strcmp(v.bulletin, "baseline") != 0 && v.status != VF_TCB_UP_TO_DATE)
		TC_ENSURE(json_array_append_new(x->dev->advisory_ids, json_string(v.bulletin)) == 0, TC_ERR_NO_MEMORY,
			  "advisory ids");
	vf_snp_tcb_format(&rep, x->layout, a, sizeof(a));
	if (v.below_minimum) {
		vf_snp_tcb_format(&v.minimum, x->layout, b, sizeof(b));
		return tc_fail(TC_ERR_TCB_STATUS_REJECTED,
			       "REPORTED_TCB (%s) is below the %s minimum in force after %s (%s)", a, x->e.ext.product,
			       v.bulletin, b);
	}
	vf_snp_tcb_format(&v.latest, x->layout, b, sizeof(b));
	TC_ENSURE(x->policy->accepted_tcb_statuses & (1u << v.status), TC_ERR_TCB_STATUS_REJECTED,
		  "TCB status %s is not accepted: REPORTED_TCB (%s) is older than the %s level of %s (%s)",
		  vf_tcb_status_name(v.status), a, x->e.ext.product, v.bulletin, b);
	return tc_ok();
}

static TC_RESULT check_product(struct snp_ctx *x)
{
	const char *want = x->policy->snp_product;

	if (!want[0])
		return tc_ok();
	TC_ENSURE(strcmp(want, x->e.ext.product) == 0, TC_ERR_PRODUCT_MISMATCH,
		  "the policy expects a %s platform but the %s is for %s (productName %s)", want,
		  x->is_vlek ? "VLEK" : "VCEK", x->e.ext.product, x->e.ext.product_name);
	return tc_ok();
}

/* Is the claim's hex value in reference_values[NAME] (when the list exists)? */
static TC_RESULT check_allowed(struct snp_ctx *x, const json_t *list, const char *name, enum tc_code code)
{
	const char *have = json_string_value(json_object_get(x->dev->claims, name));
	size_t i;
	json_t *e;

	if (!list)
		return tc_ok();
	json_array_foreach(list, i, e) {
		const char *s = json_string_value(e);

		if (s && have && strcasecmp(s, have) == 0)
			return tc_ok();
	}
	return tc_fail(code, "%s %.32s... is not in the policy's allow-list (%zu entries)", name, have ? have : "?",
		       json_array_size(list));
}

static TC_RESULT check_tcb_min(const char *what, const char *knob, uint64_t raw, const struct vf_snp_tcb *min,
			       enum vf_snp_tcb_layout layout)
{
	struct vf_snp_tcb t = vf_snp_tcb_decode(raw, layout);
	char a[VF_SNP_TCB_TEXT], b[VF_SNP_TCB_TEXT];

	if (vf_snp_tcb_ge(&t, min, layout))
		return tc_ok();
	vf_snp_tcb_format(&t, layout, a, sizeof(a));
	vf_snp_tcb_format(min, layout, b, sizeof(b));
	return tc_fail(TC_ERR_POLICY_VIOLATION, "%s (%s) is below policy %s (%s)", what, a, knob, b);
}

static TC_RESULT check_policy(struct snp_ctx *x)
{
	const struct vf_snp_report *r = &x->report;
	const struct snp_policy *sp = &x->sp;
	const json_t *refs = x->policy->reference_values;
	struct vf_snp_tcb cur = vf_snp_tcb_decode(r->current_tcb, x->layout);
	struct vf_snp_tcb com = vf_snp_tcb_decode(r->committed_tcb, x->layout);

	/* [ABI] GUEST_POLICY */
	TC_ENSURE(r->vmpl <= sp->max_vmpl, TC_ERR_POLICY_VIOLATION,
		  "the report comes from VMPL %u; policy snp_max_vmpl is %u", r->vmpl, sp->max_vmpl);
	TC_ENSURE(sp->allow_migration_agent || !(r->policy & VF_SNP_POLICY_MIGRATE_MA), TC_ERR_POLICY_VIOLATION,
		  "guest policy 0x%llx allows a migration agent (bit 18); set snp_allow_migration_agent to accept",
		  (unsigned long long)r->policy);
	TC_ENSURE(!sp->require_no_smt || !(r->policy & VF_SNP_POLICY_SMT), TC_ERR_POLICY_VIOLATION,
		  "guest policy 0x%llx allows SMT (bit 16) but snp_require_no_smt is set",
		  (unsigned long long)r->policy);
	TC_ENSURE(!sp->require_no_smt || !(r->platform_info & VF_SNP_PLATFORM_SMT_EN), TC_ERR_POLICY_VIOLATION,
		  "PLATFORM_INFO 0x%llx says SMT is enabled but snp_require_no_smt is set",
		  (unsigned long long)r->platform_info);
	TC_ENSURE(!sp->require_single_socket || (r->policy & VF_SNP_POLICY_SINGLE_SOCKET), TC_ERR_POLICY_VIOLATION,
		  "guest policy 0x%llx does not restrict the guest to a single socket (bit 20)",
		  (unsigned long long)r->policy);
	TC_ENSURE(!sp->require_tsme || (r->platform_info & VF_SNP_PLATFORM_TSME_EN), TC_ERR_POLICY_VIOLATION,
		  "PLATFORM_INFO 0x%llx says TSME is off but snp_require_tsme is set",
		  (unsigned long long)r->platform_info);
	/* TCB minimums */
	if (x->policy->has_min_snp_tcb)
		TC_GUARD(check_tcb_min("REPORTED_TCB", "min_snp_tcb", r->reported_tcb, &x->policy->min_snp_tcb,
				       x->layout));
	if (sp->has_min_current)
		TC_GUARD(check_tcb_min("CURRENT_TCB", "snp_min_current_tcb", r->current_tcb, &sp->min_current,
				       x->layout));
	if (sp->has_min_committed)
		TC_GUARD(check_tcb_min("COMMITTED_TCB", "snp_min_committed_tcb", r->committed_tcb, &sp->min_committed,
				       x->layout));
	if (sp->has_min_launch)
		TC_GUARD(check_tcb_min("LAUNCH_TCB", "snp_min_launch_tcb", r->launch_tcb, &sp->min_launch, x->layout));
	/* Firmware can only run at or above what it committed (anti-rollback); provisional = not yet committed. */
	TC_ENSURE(vf_snp_tcb_ge(&cur, &com, x->layout), TC_ERR_POLICY_VIOLATION,
		  "COMMITTED_TCB %016llx is above CURRENT_TCB %016llx", (unsigned long long)r->committed_tcb,
		  (unsigned long long)r->current_tcb);
	TC_ENSURE(sp->permit_provisional_firmware ||
			  (r->current_tcb == r->committed_tcb && r->current_major == r->committed_major &&
			   r->current_minor == r->committed_minor && r->current_build == r->committed_build),
		  TC_ERR_POLICY_VIOLATION,
		  "the host runs provisional firmware (current %u.%u.%u TCB %016llx, committed %u.%u.%u TCB %016llx) "
		  "and snp_permit_provisional_firmware is false",
		  r->current_major, r->current_minor, r->current_build, (unsigned long long)r->current_tcb,
		  r->committed_major, r->committed_minor, r->committed_build, (unsigned long long)r->committed_tcb);
	TC_ENSURE(!sp->has_min_guest_svn || r->guest_svn >= sp->min_guest_svn, TC_ERR_POLICY_VIOLATION,
		  "GUEST_SVN %u is below policy snp_min_guest_svn %u", r->guest_svn, sp->min_guest_svn);
	/* allow-lists */
	TC_GUARD(check_allowed(x, sp->allowed_host_data, "host_data", TC_ERR_POLICY_VIOLATION));
	if (refs) {
		static const char *const names[] = { "host_data", "id_key_digest", "author_key_digest",
						     "report_id", "family_id",     "image_id" };

		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			TC_GUARD(check_allowed(x, json_object_get(refs, names[i]), names[i], TC_ERR_POLICY_VIOLATION));
	}
	return tc_ok();
}

static TC_RESULT check_debug(struct snp_ctx *x)
{
	TC_ENSURE(x->policy->allow_debug || !(x->report.policy & VF_SNP_POLICY_DEBUG), TC_ERR_DEBUG_NOT_ALLOWED,
		  "guest policy 0x%llx has DEBUG (bit 19) set: the host can read and change guest memory",
		  (unsigned long long)x->report.policy);
	return tc_ok();
}

static TC_RESULT run(struct snp_ctx *x)
{
	const json_t *refs = x->policy->reference_values;

	SNP_STEP(x, step_parse(x));
	SNP_STEP(x, step_chain(x));
	SNP_STEP(x, step_signature(x));
	SNP_STEP(x, step_nonce(x));
	SNP_STEP(x, step_collateral(x));
	SNP_STEP(x, check_tcb_binding(x));
	SNP_STEP(x, check_tcb_status(x));
	SNP_STEP(x, check_product(x));
	SNP_STEP(x, check_allowed(x, refs ? json_object_get(refs, "measurement") : NULL, "measurement",
				  TC_ERR_MEASUREMENT_MISMATCH));
	SNP_STEP(x, check_debug(x));
	SNP_STEP(x, check_policy(x));
	snprintf(x->out->detail, sizeof(x->out->detail),
		 "SEV-SNP report v%u verified with the %s %s (%s chain); TCB status %s", x->report.version,
		 x->e.ext.product_name, x->is_vlek ? "VLEK" : "VCEK", x->e.ext.product,
		 vf_tcb_status_name(x->dev->tcb_status));
	return tc_ok();
}

TC_RESULT vf_snp_appraise(const struct vf_input *input, const struct vf_policy *policy, int64_t now,
			  struct vf_appraisal *out)
{
	struct snp_ctx x;
	struct tc_result r;

	memset(&x, 0, sizeof(x));
	x.in = input;
	x.policy = policy;
	x.now = now;
	x.out = out;
	TC_GUARD(snp_policy_parse(policy->extra, &x.sp));
	x.dev = vf_appraisal_add_device(out, "cpu0", VF_TEE_SNP);
	TC_ENSURE(x.dev, TC_ERR_NO_MEMORY, "appraisal device");
	r = run(&x);
	if (x.have_e)
		vf_snp_endorsement_cleanup(&x.e);
	return r;
}
