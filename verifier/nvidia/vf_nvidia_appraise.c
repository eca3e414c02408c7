/*
 * vf_nvidia_appraise.c — appraisal of NVIDIA H100 GPU evidence (one device "gpuN" per GPU).
 *
 * Check order (../shared/evidence/cases/README.md "Check order"), first failure wins, every GPU in turn:
 *   1. parse the SPDM 1.1 GET_MEASUREMENTS request || MEASUREMENTS response (vf_nvidia_spdm.c);
 *   2. the GPU chain (FMC leaf <- GSP BROM <- provisioner ICA <- GH100 identity <- NVIDIA Device Identity CA)
 *      to the pinned nvidia_device_root: a simulated root (teecert sim, VF_SIM_ROOT_OID) only with
 *      allow_simulated, then structure and signatures, then validity;
 *   3. the SPDM signature: ECDSA P-384 over SHA-384(request || response up to the signature) with the leaf
 *      key (DSP0274 1.1 §10.11.2), then the leaf's TCG DICE FWID against the evidence FWID opaque field;
 *   4. the request nonce against expected_nonce, and every GPU against GPU 0 (one nonce for all);
 *   5. collateral: OCSP for the GPU chains (RFC 6960); RIMs: presence (rim_missing), signer chain to the
 *      pinned nvidia_rim_root (a simulated root only with allow_simulated; rim_chain_invalid / cert_expired), XML signature (rim_signature_invalid),
 *      OCSP for the signer chain;
 *   6. RIM identity (driver/VBIOS version, product) and every active measurement (measurement_mismatch);
 *   7. policy knobs (policy_violation).
 * Time-independent results (chain signatures, RIM XML signature and content) are memoized in
 * vf_nvidia_cache.c; time checks and all evidence work run on every call.
 */
#include <stdlib.h>
#include <string.h>

#include "vf_nvidia.h"

#define VF_NV_ID_MAX 16
#define VF_NV_MAX_RIMS 8
#define VF_NV_MISMATCH_TEXT 200
#define VF_NV_SIM_DETAIL "simulated root: set allow_simulated to trust it"
#define VF_NV_SIM_HINT                                                                                     \
	"The evidence comes from a teecert sim PKI: set allow_simulated in the policy (development only; a "     \
	"trusted network never does), or collect evidence from a real GPU"

/* NVIDIA knobs read from policy->extra ("nvidia_" keys; docs/nvidia.md). */
struct vf_nv_opts {
	bool allow_trailing_byte; /* nvidia_allow_trailing_byte, default true */
	bool require_fwid;        /* nvidia_require_fwid, default false */
	unsigned allowed_modes;   /* nvidia_allowed_modes, bit set of enum vf_nv_mode; default all */
};

enum vf_nv_mode { VF_NV_MODE_LEGACY, VF_NV_MODE_SPT, VF_NV_MODE_MPT, VF_NV_MODE_PPCIE, VF_NV_MODE__COUNT };
static const char *const vf_nv_mode_names[] = { "legacy", "spt", "mpt", "ppcie" };

struct vf_nv_gpu {
	char id[VF_DEVICE_ID_LEN];
	const struct vf_item *spdm_item;
	const struct vf_item *chain_item;
	struct tc_buf scratch;
	struct vf_spdm spdm;
	struct vf_nv_chain *chain;
	struct vf_device *dev;
	char driver[VF_RIM_VERSION_MAX];
	char vbios[VF_RIM_VERSION_MAX];
};

struct vf_nv_ctx {
	const struct vf_input *input;
	const struct vf_policy *policy;
	int64_t now;
	struct vf_appraisal *out;
	struct vf_nv_opts opts;
	struct vf_nv_gpu *gpus;
	size_t n_gpus;
	const struct vf_item *device_root_item;
	X509 *device_root;
	const struct vf_item *rim_root_item;
	X509 *rim_root;
	bool device_root_simulated;
};

/* --------------------------------------------------------------------------------------- helpers */

/* Turn a check result into a rejection prefixed with WHO; internal errors propagate. True: stop. */
static bool vf_nv_check(struct vf_nv_ctx *x, const char *who, struct tc_result check, struct tc_result *internal)
{
	*internal = tc_ok();
	if (tc_is_ok(check))
		return false;
	if (vf_is_failure_code(check.code)) {
		vf_reject(x->out, check.code, "%s: %s", who, tc_error_detail());
		return true;
	}
	*internal = check;
	return true;
}

static void vf_nv_remediation(struct vf_appraisal *a)
{
	const char *hint = NULL;

	if (a->accepted || a->remediation[0])
		return;
	switch (a->failure) {
	case TC_ERR_RIM_MISSING:
		hint = "Fetch the driver and VBIOS RIMs for the reported versions from the NVIDIA RIM service and pass "
		       "them as driver_rim / vbios_rim, or set gpu_rims to if_present/off";
		break;
	case TC_ERR_MEASUREMENT_MISMATCH:
		hint = "The GPU firmware/driver differs from NVIDIA's reference values: use the RIMs matching the "
		       "installed driver and VBIOS, or update the GPU software";
		break;
	case TC_ERR_NONCE_MISMATCH:
		hint = "Collect fresh GPU evidence with the challenge's SPDM nonce (DESIGN.md evidence binding)";
		break;
	case TC_ERR_CERT_CHAIN_INVALID:
		hint = "Send the GPU attestation certificate chain leaf first, as returned by the driver, and pin the "
		       "NVIDIA Device Identity CA as nvidia_device_root";
		break;
	default:
		break;
	}
	if (hint)
		snprintf(a->remediation, sizeof(a->remediation), "%s", hint);
}

/* A simulated anchor: every device is marked; without allow_simulated the appraisal is rejected with CODE.
 * True: stop. */
static bool vf_nv_simulated(struct vf_nv_ctx *x, const char *who, enum tc_code code)
{
	for (size_t i = 0; i < x->n_gpus; i++)
		if (x->gpus[i].dev != NULL)
			x->gpus[i].dev->simulated = true;
	if (x->policy->allow_simulated)
		return false;
	snprintf(x->out->remediation, sizeof(x->out->remediation), "%s", VF_NV_SIM_HINT);
	vf_reject(x->out, code, "%s: " VF_NV_SIM_DETAIL, who);
	return true;
}

static TC_RESULT vf_nv_bool_opt(const json_t *v, const char *key, bool *out)
{
	TC_ENSURE(json_is_boolean(v), TC_ERR_INVALID_ARGUMENT, "policy.%s must be a boolean", key);
	*out = json_is_true(v);
	return tc_ok();
}

static TC_RESULT vf_nv_parse_opts(const struct vf_policy *p, struct vf_nv_opts *o)
{
	const char *key;
	json_t *v;

	o->allow_trailing_byte = true;
	o->require_fwid = false;
	o->allowed_modes = (1u << VF_NV_MODE__COUNT) - 1;
	if (p->extra == NULL)
		return tc_ok();
	json_object_foreach(p->extra, key, v) {
		if (strncmp(key, "nvidia_", 7) != 0)
			continue;
		if (strcmp(key, "nvidia_allow_trailing_byte") == 0) {
			TC_GUARD(vf_nv_bool_opt(v, key, &o->allow_trailing_byte));
		} else if (strcmp(key, "nvidia_require_fwid") == 0) {
			TC_GUARD(vf_nv_bool_opt(v, key, &o->require_fwid));
		} else if (strcmp(key, "nvidia_allowed_modes") == 0) {
			size_t i;
			json_t *m;

			TC_ENSURE(json_is_array(v), TC_ERR_INVALID_ARGUMENT, "policy.%s must be an array", key);
			o->allowed_modes = 0;
			json_array_foreach(v, i, m) {
				size_t k = 0;

				while (k < VF_NV_MODE__COUNT &&
				       !(json_is_string(m) && strcmp(json_string_value(m), vf_nv_mode_names[k]) == 0))
					k++;
				TC_ENSURE(k < VF_NV_MODE__COUNT, TC_ERR_INVALID_ARGUMENT,
					  "policy.%s[%zu]: expected legacy, spt, mpt or ppcie", key, i);
				o->allowed_modes |= 1u << k;
			}
		} else {
			return tc_fail(TC_ERR_INVALID_ARGUMENT,
				       "unknown NVIDIA policy key %s (known: nvidia_allow_trailing_byte, "
				       "nvidia_require_fwid, nvidia_allowed_modes)",
				       key);
		}
	}
	return tc_ok();
}

static const struct vf_item *vf_nv_find(const struct vf_item *items, size_t n, const char *role)
{
	return vf_item_find(items, n, role);
}

/* Items whose role is PREFIX or starts with PREFIX "." (e.g. "vbios_rim", "vbios_rim.1"). */
static size_t vf_nv_collect(const struct vf_item *items, size_t n, const char *prefix, const struct vf_item **out,
			    size_t max)
{
	size_t k = 0, pl = strlen(prefix);

	for (size_t i = 0; i < n && k < max; i++)
		if (strncmp(items[i].role, prefix, pl) == 0 && (items[i].role[pl] == 0 || items[i].role[pl] == '.'))
			out[k++] = &items[i];
	return k;
}

/* ----------------------------------------------------------------------------------------- chains */

static TC_RESULT vf_nv_window(STACK_OF(X509) *path, int64_t *nb_out, int64_t *na_out)
{
	int64_t nb_max = INT64_MIN, na_min = INT64_MAX;

	for (int i = 0; i < sk_X509_num(path); i++) {
		int64_t nb, na;

		TC_GUARD(vf_asn1_time_to_unix(X509_get0_notBefore(sk_X509_value(path, i)), &nb));
		TC_GUARD(vf_asn1_time_to_unix(X509_get0_notAfter(sk_X509_value(path, i)), &na));
		nb_max = nb > nb_max ? nb : nb_max;
		na_min = na < na_min ? na : na_min;
	}
	*nb_out = nb_max;
	*na_out = na_min;
	return tc_ok();
}

/* Parse and verify one GPU chain (no cache). */
static TC_RESULT vf_nv_chain_verify(const struct vf_item *item, X509 *anchor, int64_t now, struct vf_nv_chain **out)
{
	STACK_OF(X509) *certs = NULL, *path = NULL;
	struct vf_nv_chain *c = NULL;
	struct tc_result r = tc_ok();

	TC_GUARD(vf_x509_parse_pem_chain(item->data, item->len, TC_ERR_CERT_CHAIN_INVALID, &certs));
	TC_ENSURE_GOTO(r, sk_X509_num(certs) >= 2, out, TC_ERR_CERT_CHAIN_INVALID,
		       "chain holds %d certificate(s); the attestation signing leaf and its CAs are needed",
		       sk_X509_num(certs));
	TC_GUARD_GOTO(r, vf_x509_verify_chain(sk_X509_value(certs, 0), certs, anchor, now, VF_CHAIN_LEAF_SIGNER,
					      TC_ERR_CERT_CHAIN_INVALID, &path),
		      out);
	c = calloc(1, sizeof(*c));
	TC_ENSURE_GOTO(r, c != NULL, out, TC_ERR_NO_MEMORY, "out of memory");
	c->refs = 1;
	c->certs = path;
	path = NULL;
	c->leaf = sk_X509_value(c->certs, 0);
	c->leaf_key = X509_get_pubkey(c->leaf);
	TC_ENSURE_GOTO(r, c->leaf_key != NULL && EVP_PKEY_base_id(c->leaf_key) == EVP_PKEY_EC, out,
		       TC_ERR_CERT_CHAIN_INVALID, "GPU leaf key is not an EC key");
	TC_GUARD_GOTO(r, vf_nv_window(c->certs, &c->not_before, &c->not_after), out);
	TC_GUARD_GOTO(r, vf_nv_cert_fwid(c->leaf, c->fwid, sizeof(c->fwid), &c->fwid_len, &c->has_fwid), out);
	*out = c;
	c = NULL;
out:
	tc_openssl_clear();
	if (c != NULL)
		vf_nv_chain_release(&c);
	sk_X509_pop_free(certs, X509_free);
	sk_X509_pop_free(path, X509_free);
	return r;
}

/* The chain for ITEM: from the cache when its time window covers NOW, else verified (and cached). */
static TC_RESULT vf_nv_chain_get(struct vf_nv_ctx *x, const struct vf_item *item, struct vf_nv_chain **out)
{
	uint8_t key[32];
	struct vf_nv_chain *c;

	TC_GUARD(vf_nv_cache_key("gpu-chain", item->data, item->len, x->device_root_item->data,
				 x->device_root_item->len, key));
	c = vf_nv_cache_chain_get(key);
	if (c != NULL && c->not_before <= x->now && x->now <= c->not_after) {
		*out = c;
		return tc_ok();
	}
	vf_nv_chain_release(&c);
	TC_GUARD(vf_nv_chain_verify(item, x->device_root, x->now, &c));
	memcpy(c->key, key, sizeof(key));
	vf_nv_cache_chain_put(c);
	*out = c;
	return tc_ok();
}

/* ------------------------------------------------------------------------------------ GPU evidence */

static TC_RESULT vf_nv_signature(const struct vf_nv_gpu *g)
{
	uint8_t digest[48];

	TC_GUARD(vf_sha384(g->spdm.msg, g->spdm.signed_len, digest));
	TC_ENSURE(vf_ecdsa_verify_raw(g->chain->leaf_key, digest, sizeof(digest), g->spdm.signature,
				      VF_SPDM_P384_COORD_LEN),
		  TC_ERR_EVIDENCE_SIGNATURE_INVALID,
		  "SPDM MEASUREMENTS signature does not verify with the leaf key (ECDSA P-384 over SHA-384 of %zu bytes)",
		  g->spdm.signed_len);
	return tc_ok();
}

static TC_RESULT vf_nv_fwid(const struct vf_nv_ctx *x, const struct vf_nv_gpu *g)
{
	const struct vf_nv_opaque_field *f = vf_spdm_field(&g->spdm, VF_NV_OPAQUE_FWID);

	if (f == NULL) {
		TC_ENSURE(!x->opts.require_fwid, TC_ERR_CERT_CHAIN_INVALID,
			  "the evidence carries no FWID to bind the leaf certificate (nvidia_require_fwid)");
		return tc_ok();
	}
	TC_ENSURE(g->chain->has_fwid, TC_ERR_CERT_CHAIN_INVALID,
		  "the leaf certificate has no TCG DICE TcbInfo FWID (2.23.133.5.4.1) while the evidence has one");
	TC_ENSURE(f->len == g->chain->fwid_len && memcmp(f->value, g->chain->fwid, f->len) == 0,
		  TC_ERR_CERT_CHAIN_INVALID, "the leaf certificate FWID differs from the evidence FWID opaque field");
	return tc_ok();
}

static TC_RESULT vf_nv_nonce(const struct vf_nv_ctx *x, size_t i)
{
	const struct vf_nv_gpu *g = &x->gpus[i];
	char want[2 * VF_SPDM_NONCE_LEN + 1], got[2 * VF_SPDM_NONCE_LEN + 1];

	TC_GUARD(tc_hex_encode(g->spdm.req_nonce, VF_SPDM_NONCE_LEN, got, sizeof(got)));
	if (x->policy->has_expected_nonce && !tc_ct_equal(x->policy->expected_nonce, g->spdm.req_nonce, VF_SPDM_NONCE_LEN)) {
		TC_GUARD(tc_hex_encode(x->policy->expected_nonce, VF_SPDM_NONCE_LEN, want, sizeof(want)));
		return tc_fail(TC_ERR_NONCE_MISMATCH, "SPDM request nonce %s, expected %s", got, want);
	}
	TC_ENSURE(i == 0 || memcmp(x->gpus[0].spdm.req_nonce, g->spdm.req_nonce, VF_SPDM_NONCE_LEN) == 0,
		  TC_ERR_NONCE_MISMATCH, "SPDM request nonce %s differs from gpu0's (all GPUs must answer one challenge)",
		  got);
	return tc_ok();
}

/* Steps 1-4 for one GPU. True: stop (rejected or internal error in *R). */
static bool vf_nv_gpu_evidence(struct vf_nv_ctx *x, size_t i, struct tc_result *r)
{
	struct vf_nv_gpu *g = &x->gpus[i];
	size_t trailing = x->opts.allow_trailing_byte ? VF_SPDM_MAX_TRAILING : 0;

	if (vf_nv_check(x, g->id, vf_spdm_parse(g->spdm_item->data, g->spdm_item->len, trailing, &g->scratch, &g->spdm),
			r))
		return true;
	if (vf_nv_check(x, g->id, vf_spdm_claims(&g->spdm, g->dev->claims), r))
		return true;
	if (!tc_is_ok(vf_nv_driver_version(&g->spdm, g->driver, sizeof(g->driver))))
		g->driver[0] = 0;
	if (!tc_is_ok(vf_nv_vbios_version(&g->spdm, g->vbios, sizeof(g->vbios))))
		g->vbios[0] = 0;
	if (g->chain_item == NULL) {
		vf_reject(x->out, TC_ERR_CERT_CHAIN_INVALID, "%s: no certificate chain (role %s.cert_chain)", g->id, g->id);
		return true;
	}
	if (x->device_root_simulated && vf_nv_simulated(x, g->id, TC_ERR_CERT_CHAIN_INVALID))
		return true;
	if (vf_nv_check(x, g->id, vf_nv_chain_get(x, g->chain_item, &g->chain), r))
		return true;
	if (vf_nv_check(x, g->id, vf_nv_signature(g), r))
		return true;
	if (vf_nv_check(x, g->id, vf_nv_fwid(x, g), r))
		return true;
	json_object_set_new(g->dev->claims, "fwid_bound", json_boolean(vf_spdm_field(&g->spdm, VF_NV_OPAQUE_FWID) != NULL));
	return vf_nv_check(x, g->id, vf_nv_nonce(x, i), r);
}

/* -------------------------------------------------------------------------------------------- OCSP */

/* Status of CERT (issued by ISSUER) from the ocsp.* collateral under the policy. */
static TC_RESULT vf_nv_ocsp_one(const struct vf_nv_ctx *x, X509 *cert, X509 *issuer, const char *what)
{
	const struct vf_item *items[VF_MAX_ITEMS];
	size_t n = vf_nv_collect(x->input->collateral, x->input->n_collateral, "ocsp", items, VF_MAX_ITEMS);
	enum vf_ocsp_status st = VF_OCSP_NO_RESPONSE;

	for (size_t i = 0; i < n && st == VF_OCSP_NO_RESPONSE; i++) {
		struct tc_result r = vf_ocsp_check(items[i]->data, items[i]->len, cert, issuer, x->now, NULL, 0, &st);

		if (!tc_is_ok(r))
			return tc_fail(r.code, "%s: %s: %s", what, items[i]->role, tc_error_detail());
		if (st != VF_OCSP_NO_RESPONSE)
			TC_GUARD(vf_appraisal_add_digest(x->out, items[i]->role, items[i]->data, items[i]->len));
	}
	switch (st) {
	case VF_OCSP_GOOD:
		return tc_ok();
	case VF_OCSP_ON_HOLD:
		TC_ENSURE(x->policy->allow_ocsp_on_hold, TC_ERR_CERT_REVOKED,
			  "%s: OCSP says certificateHold (allow_ocsp_on_hold is false)", what);
		return tc_ok();
	case VF_OCSP_REVOKED:
		return tc_fail(TC_ERR_CERT_REVOKED, "%s: OCSP says revoked", what);
	case VF_OCSP_UNKNOWN:
		return tc_fail(TC_ERR_CERT_REVOKED, "%s: OCSP status unknown (treated as not good, RFC 6960 §2.2)", what);
	case VF_OCSP_NO_RESPONSE:
	default:
		TC_ENSURE(x->policy->ocsp != VF_REQUIRED, TC_ERR_COLLATERAL_MISSING,
			  "%s: no OCSP response (ocsp=required)", what);
		return tc_ok();
	}
}

/* Certificates FIRST..n-2 of PATH (leaf first; the anchor is never asked about). */
static TC_RESULT vf_nv_ocsp_path(const struct vf_nv_ctx *x, STACK_OF(X509) *path, int first, const char *who)
{
	for (int i = first; i + 1 < sk_X509_num(path); i++) {
		char what[96];

		snprintf(what, sizeof(what), "%s certificate %d", who, i);
		TC_GUARD(vf_nv_ocsp_one(x, sk_X509_value(path, i), sk_X509_value(path, i + 1), what));
	}
	return tc_ok();
}

static bool vf_nv_ocsp_on(const struct vf_nv_ctx *x)
{
	return x->policy->check_revocation && x->policy->ocsp != VF_OFF;
}

/* -------------------------------------------------------------------------------------------- RIMs */

static bool vf_nv_anchor(struct vf_nv_ctx *x, const struct vf_item *item, enum tc_code code, X509 **out,
			 struct tc_result *r)
{
	*r = tc_ok();
	if (item == NULL)
		return false;
	if (vf_nv_check(x, item->role, vf_x509_parse(item->data, item->len, code, out), r))
		return true;
	return vf_nv_check(x, item->role, vf_appraisal_add_digest(x->out, item->role, item->data, item->len), r);
}


static TC_RESULT vf_nv_rim_verify(const struct vf_nv_ctx *x, const struct vf_item *item, struct vf_nv_rim_entry **out)
{
	struct vf_rim_doc *doc = NULL;
	STACK_OF(X509) *path = NULL;
	struct vf_nv_rim_entry *e = NULL;
	struct tc_result r = tc_ok();

	TC_GUARD(vf_rim_doc_parse(item->data, item->len, &doc));
	TC_GUARD_GOTO(r, vf_x509_verify_chain(sk_X509_value(vf_rim_doc_certs(doc), 0), vf_rim_doc_certs(doc), x->rim_root,
					      x->now, VF_CHAIN_LEAF_SIGNER, TC_ERR_RIM_CHAIN_INVALID, &path),
		      out);
	e = calloc(1, sizeof(*e));
	TC_ENSURE_GOTO(r, e != NULL, out, TC_ERR_NO_MEMORY, "out of memory");
	e->refs = 1;
	e->certs = path;
	path = NULL;
	TC_GUARD_GOTO(r, vf_nv_window(e->certs, &e->not_before, &e->not_after), out);
	r = vf_rim_verify_signature(doc);
	e->sig_ok = tc_is_ok(r);
	if (!e->sig_ok) {
		TC_ENSURE_GOTO(r, r.code == TC_ERR_RIM_SIGNATURE_INVALID, out, r.code, "%s", tc_error_detail());
		snprintf(e->sig_detail, sizeof(e->sig_detail), "%s", tc_error_detail());
		r = tc_ok();
	} else {
		r = vf_rim_content(doc, &e->rim);
		if (!tc_is_ok(r)) {
			/* Authentic but unusable content: reported as a measurement mismatch, not cached. */
			vf_nv_rim_entry_release(&e);
			goto out;
		}
	}
	*out = e;
	e = NULL;
out:
	vf_nv_rim_entry_release(&e);
	sk_X509_pop_free(path, X509_free);
	vf_rim_doc_free(&doc);
	return r;
}

/* Authenticate one RIM (cached): chain structure + time, XML signature, OCSP of the signer chain. */
static TC_RESULT vf_nv_rim_auth(const struct vf_nv_ctx *x, const struct vf_item *item, struct vf_nv_rim_entry **out)
{
	uint8_t key[32];
	struct vf_nv_rim_entry *e;

	TC_GUARD(vf_nv_cache_key("rim", item->data, item->len, x->rim_root_item->data, x->rim_root_item->len, key));
	e = vf_nv_cache_rim_get(key);
	if (e == NULL || x->now < e->not_before || x->now > e->not_after) {
		vf_nv_rim_entry_release(&e);
		TC_GUARD(vf_nv_rim_verify(x, item, &e));
		memcpy(e->key, key, sizeof(key));
		vf_nv_cache_rim_put(e);
	}
	if (!e->sig_ok) {
		struct tc_result r = tc_fail(TC_ERR_RIM_SIGNATURE_INVALID, "%s", e->sig_detail);

		vf_nv_rim_entry_release(&e);
		return r;
	}
	if (vf_nv_ocsp_on(x)) {
		struct tc_result r = vf_nv_ocsp_path(x, e->certs, 0, "RIM signer chain");

		if (!tc_is_ok(r)) {
			vf_nv_rim_entry_release(&e);
			return r;
		}
	}
	*out = e;
	return tc_ok();
}

/* Compare one RIM with one GPU's evidence (identity, then every active index). */
static TC_RESULT vf_nv_rim_compare(const struct vf_nv_gpu *g, const struct vf_rim *rim, const char *kind,
				   const char *evidence_version, size_t *matched)
{
	const struct vf_nv_opaque_field *nvdec = vf_spdm_field(&g->spdm, VF_NV_OPAQUE_NVDEC0_STATUS);
	const struct vf_nv_opaque_field *chip = vf_spdm_field(&g->spdm, VF_NV_OPAQUE_CHIP_INFO);
	bool skip_nvdec = nvdec != NULL && nvdec->len >= 1 && nvdec->value[0] == VF_NV_NVDEC0_DISABLED;
	char list[VF_NV_MISMATCH_TEXT] = "";
	size_t bad = 0, used = 0;

	TC_ENSURE(strcmp(rim->version, evidence_version) == 0, TC_ERR_MEASUREMENT_MISMATCH,
		  "%s RIM version %s differs from the evidence %s version %s", kind, rim->version, kind,
		  evidence_version[0] ? evidence_version : "(absent)");
	if (chip != NULL && rim->product[0]) {
		TC_ENSURE(chip->len > 0 && strncasecmp((const char *)chip->value, rim->product, chip->len) == 0 &&
				  (chip->len == strlen(rim->product) || chip->value[strlen(rim->product)] == 0),
			  TC_ERR_MEASUREMENT_MISMATCH, "%s RIM product %s differs from the evidence chip", kind,
			  rim->product);
	}
	for (size_t i = 0; i < VF_RIM_MAX_MEAS; i++) {
		const struct vf_rim_meas *m = &rim->meas[i];
		const struct vf_spdm_block *b;
		bool ok = false;

		if (!m->present || !m->active || (i == VF_NV_NVDEC0_RIM_INDEX && skip_nvdec))
			continue;
		b = i + 1 <= 0xFE ? vf_spdm_block(&g->spdm, (uint8_t)(i + 1)) : NULL;
		for (size_t k = 0; b != NULL && k < m->n_alts && !ok; k++)
			ok = b->value_len == m->size && memcmp(b->value, m->alts[k], m->size) == 0;
		if (ok) {
			(*matched)++;
			continue;
		}
		bad++;
		if (used + 8 < sizeof(list))
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%zu", bad > 1 ? "," : "", i);
	}
	TC_ENSURE(bad == 0, TC_ERR_MEASUREMENT_MISMATCH,
		  "%s RIM %s: %zu active measurement(s) differ from the evidence at RIM indices [%s] (SPDM block = index+1)",
		  kind, rim->version, bad, list);
	return tc_ok();
}

/* Pick the RIM among AUTH matching VERSION, else the first one (whose version mismatch is then reported). */
static const struct vf_rim *vf_nv_pick(struct vf_nv_rim_entry **auth, size_t n, const char *version)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(auth[i]->rim.version, version) == 0)
			return &auth[i]->rim;
	return n > 0 ? &auth[0]->rim : NULL;
}

static TC_RESULT vf_nv_rim_conflict(const struct vf_rim *d, const struct vf_rim *v)
{
	for (size_t i = 0; d != NULL && v != NULL && i < VF_RIM_MAX_MEAS; i++)
		TC_ENSURE(!(d->meas[i].present && d->meas[i].active && v->meas[i].present && v->meas[i].active),
			  TC_ERR_MEASUREMENT_MISMATCH, "RIM index %zu is active in both the driver and the VBIOS RIM", i);
	return tc_ok();
}

/* Step 5 (RIM part) and step 6. True: stop. */
static bool vf_nv_rims(struct vf_nv_ctx *x, struct tc_result *r)
{
	const struct vf_item *drv[VF_NV_MAX_RIMS], *vb[VF_NV_MAX_RIMS];
	struct vf_nv_rim_entry *auth_d[VF_NV_MAX_RIMS] = { 0 }, *auth_v[VF_NV_MAX_RIMS] = { 0 };
	size_t nd, nv;
	bool stop = false;

	*r = tc_ok();
	if (x->policy->gpu_rims == VF_OFF)
		return false;
	nd = vf_nv_collect(x->input->collateral, x->input->n_collateral, "driver_rim", drv, VF_NV_MAX_RIMS);
	nv = vf_nv_collect(x->input->collateral, x->input->n_collateral, "vbios_rim", vb, VF_NV_MAX_RIMS);
	if (x->policy->gpu_rims == VF_REQUIRED && (nd == 0 || nv == 0)) {
		vf_reject(x->out, TC_ERR_RIM_MISSING, "gpu_rims=required but no %s%s%s RIM was supplied",
			  nd == 0 ? "driver" : "", nd == 0 && nv == 0 ? " or " : "", nv == 0 ? "VBIOS" : "");
		return true;
	}
	if (nd + nv == 0)
		return false;
	if (x->rim_root_item == NULL) {
		vf_reject(x->out, TC_ERR_RIM_CHAIN_INVALID, "no pinned nvidia_rim_root to verify the RIM signers");
		return true;
	}
	if (vf_nv_anchor(x, x->rim_root_item, TC_ERR_RIM_CHAIN_INVALID, &x->rim_root, r))
		return true;
	if (vf_x509_is_simulated(x->rim_root) && vf_nv_simulated(x, "nvidia_rim_root", TC_ERR_RIM_CHAIN_INVALID))
		return true;
	for (size_t i = 0; i < nd + nv && !stop; i++) {
		const struct vf_item *item = i < nd ? drv[i] : vb[i - nd];
		struct vf_nv_rim_entry **slot = i < nd ? &auth_d[i] : &auth_v[i - nd];

		stop = vf_nv_check(x, item->role, vf_nv_rim_auth(x, item, slot), r) ||
		       vf_nv_check(x, item->role, vf_appraisal_add_digest(x->out, item->role, item->data, item->len), r);
	}
	for (size_t i = 0; i < x->n_gpus && !stop; i++) {
		struct vf_nv_gpu *g = &x->gpus[i];
		const struct vf_rim *d = vf_nv_pick(auth_d, nd, g->driver);
		const struct vf_rim *v = vf_nv_pick(auth_v, nv, g->vbios);
		size_t matched = 0;

		stop = vf_nv_check(x, g->id, vf_nv_rim_conflict(d, v), r);
		if (!stop && d != NULL)
			stop = vf_nv_check(x, g->id, vf_nv_rim_compare(g, d, "driver", g->driver, &matched), r);
		if (!stop && v != NULL)
			stop = vf_nv_check(x, g->id, vf_nv_rim_compare(g, v, "vbios", g->vbios, &matched), r);
		if (stop)
			break;
		if (d != NULL)
			json_object_set_new(g->dev->claims, "driver_rim_version", json_string(d->version));
		if (v != NULL)
			json_object_set_new(g->dev->claims, "vbios_rim_version", json_string(v->version));
		json_object_set_new(g->dev->claims, "rim_measurements_matched", json_integer((json_int_t)matched));
		if (d != NULL && v != NULL) {
			/* Derived status: every active reference value of both RIMs matches (NVIDIA's
			 * measurements_matching = success). */
			g->dev->tcb_status = VF_TCB_UP_TO_DATE;
			g->dev->has_tcb_status = true;
		}
	}
	for (size_t i = 0; i < VF_NV_MAX_RIMS; i++) {
		vf_nv_rim_entry_release(&auth_d[i]);
		vf_nv_rim_entry_release(&auth_v[i]);
	}
	return stop;
}

/* ------------------------------------------------------------------------------------------ policy */

static TC_RESULT vf_nv_mode(const struct vf_nv_ctx *x, struct vf_nv_gpu *g)
{
	const struct vf_nv_opaque_field *f = vf_spdm_field(&g->spdm, VF_NV_OPAQUE_FEATURE_FLAG);
	enum vf_nv_mode mode = VF_NV_MODE_LEGACY;

	if (f != NULL) {
		TC_ENSURE(f->len >= 1 && f->value[0] <= VF_NV_FEATURE_PPCIE, TC_ERR_POLICY_VIOLATION,
			  "unknown FEATURE_FLAG value");
		mode = f->value[0] == VF_NV_FEATURE_SPT ? VF_NV_MODE_SPT
		       : f->value[0] == VF_NV_FEATURE_MPT ? VF_NV_MODE_MPT
							  : VF_NV_MODE_PPCIE;
	}
	json_object_set_new(g->dev->claims, "mode", json_string(vf_nv_mode_names[mode]));
	TC_ENSURE(x->opts.allowed_modes & (1u << mode), TC_ERR_POLICY_VIOLATION,
		  "GPU mode %s is not in nvidia_allowed_modes", vf_nv_mode_names[mode]);
	return tc_ok();
}

/* ------------------------------------------------------------------------------------------- entry */

static TC_RESULT vf_nv_setup(struct vf_nv_ctx *x, bool *stop)
{
	static const char *const kinds[] = { "spdm", "cert_chain" };
	char role[VF_NV_ID_MAX + 16];

	*stop = false;
	while (x->n_gpus < VF_MAX_DEVICES) {
		snprintf(role, sizeof(role), "gpu%zu.%s", x->n_gpus, kinds[0]);
		if (vf_nv_find(x->input->evidence, x->input->n_evidence, role) == NULL)
			break;
		x->n_gpus++;
	}
	if (x->n_gpus == 0) {
		vf_reject(x->out, TC_ERR_EVIDENCE_MALFORMED, "no GPU evidence (role gpu0.spdm)");
		*stop = true;
		return tc_ok();
	}
	x->gpus = calloc(x->n_gpus, sizeof(*x->gpus));
	TC_ENSURE(x->gpus != NULL, TC_ERR_NO_MEMORY, "out of memory");
	for (size_t i = 0; i < x->n_gpus; i++) {
		struct vf_nv_gpu *g = &x->gpus[i];

		snprintf(g->id, sizeof(g->id), "gpu%u", (unsigned)(i % VF_MAX_DEVICES));
		tc_buf_init(&g->scratch, VF_SPDM_MAX_INPUT);
		snprintf(role, sizeof(role), "%s.%s", g->id, kinds[0]);
		g->spdm_item = vf_nv_find(x->input->evidence, x->input->n_evidence, role);
		snprintf(role, sizeof(role), "%s.%s", g->id, kinds[1]);
		g->chain_item = vf_nv_find(x->input->evidence, x->input->n_evidence, role);
	}
	x->device_root_item = vf_nv_find(x->input->anchors, x->input->n_anchors, "nvidia_device_root");
	x->rim_root_item = vf_nv_find(x->input->anchors, x->input->n_anchors, "nvidia_rim_root");
	return tc_ok();
}

static void vf_nv_cleanup(struct vf_nv_ctx *x)
{
	for (size_t i = 0; x->gpus != NULL && i < x->n_gpus; i++) {
		vf_nv_chain_release(&x->gpus[i].chain);
		tc_buf_cleanup(&x->gpus[i].scratch);
	}
	free(x->gpus);
	X509_free(x->device_root);
	X509_free(x->rim_root);
}

TC_RESULT vf_nvidia_appraise(const struct vf_input *input, const struct vf_policy *policy, int64_t now,
			     struct vf_appraisal *out)
{
	struct vf_nv_ctx x = { .input = input, .policy = policy, .now = now, .out = out };
	struct tc_result r = tc_ok();
	bool stop = false;

	TC_GUARD(vf_nv_parse_opts(policy, &x.opts));
	TC_GUARD_GOTO(r, vf_nv_setup(&x, &stop), out);
	if (stop)
		goto out;
	for (size_t i = 0; i < x.n_gpus; i++) {
		x.gpus[i].dev = vf_appraisal_add_device(out, x.gpus[i].id, VF_TEE_NVIDIA);
		TC_ENSURE_GOTO(r, x.gpus[i].dev != NULL, out, TC_ERR_INTERNAL, "too many devices");
		x.gpus[i].dev->has_tcb_status = false;
	}
	if (x.device_root_item == NULL) {
		vf_reject(out, TC_ERR_CERT_CHAIN_INVALID, "no pinned nvidia_device_root trust anchor");
		goto out;
	}
	if (vf_nv_anchor(&x, x.device_root_item, TC_ERR_CERT_CHAIN_INVALID, &x.device_root, &r))
		goto out;
	x.device_root_simulated = vf_x509_is_simulated(x.device_root);
	if (x.device_root_simulated)
		for (size_t i = 0; i < x.n_gpus; i++)
			x.gpus[i].dev->simulated = true;
	/* Steps 1-4, GPU by GPU. */
	for (size_t i = 0; i < x.n_gpus; i++)
		if (vf_nv_gpu_evidence(&x, i, &r))
			goto out;
	/* Step 5: OCSP for the GPU chains (the FMC leaf and the root are not asked about). */
	for (size_t i = 0; i < x.n_gpus && vf_nv_ocsp_on(&x); i++)
		if (vf_nv_check(&x, x.gpus[i].id, vf_nv_ocsp_path(&x, x.gpus[i].chain->certs, 1, "GPU chain"), &r))
			goto out;
	/* Steps 5-6: RIMs. */
	if (vf_nv_rims(&x, &r))
		goto out;
	/* Step 7: policy. */
	for (size_t i = 0; i < x.n_gpus; i++)
		if (vf_nv_check(&x, x.gpus[i].id, vf_nv_mode(&x, &x.gpus[i]), &r))
			goto out;
out:
	vf_nv_remediation(out);
	vf_nv_cleanup(&x);
	return r;
}
