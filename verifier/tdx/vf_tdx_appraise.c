/*
 * vf_tdx_appraise.c — vf_tdx_appraise: appraisal of an Intel TDX quote (v4/v5) with Intel PCS collateral.
 *
 * Check order (../shared/evidence/cases/README.md "Check order"; the first failure wins):
 *  1. parse the quote (evidence_malformed / evidence_unsupported_version);
 *  2. PCK chain from the quote to the pinned intel_root: a simulated root (teecert sim) only with
 *     policy.allow_simulated, then structure and signatures, then validity;
 *  3. QE report signature (PCK key), attestation-key binding (QE REPORTDATA = SHA-256(attestation key ||
 *     QE authentication data) || 32 zero bytes), quote signature (attestation key over header + body);
 *  4. expected report data;
 *  5. collateral: presence, signer chains (+ validity), signatures, validity windows, revocation;
 *  6. TCB evaluation (vf_tdx_tcb.c), accepted statuses, reference values;
 *  7. debug TD, tdx_ policy knobs.
 * Intel's references: "Intel TDX DCAP Quoting Library API" (quote v4/v5, A.3/A.4), Intel QVL
 * QuoteVerifier 4.1.2.4.x (steps quoted in vf_tdx_tcb.c), PCS API v4 (collateral).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "vf_internal.h"
#include "vf_tdx.h"

/* Policy knobs of this appraiser (policy JSON keys with the tdx_ prefix, kept in policy->extra). */
struct tdx_knobs {
	bool allow_service_td; /* tdx_allow_service_td: a non-zero MRSERVICETD (TDX 1.5) is acceptable */
};

/* Everything one appraisal holds; released in one place. */
struct tdx_run {
	const struct vf_input *in;
	const struct vf_policy *policy;
	int64_t now;
	struct vf_appraisal *out;
	struct vf_device *dev;
	struct tdx_knobs knobs;
	struct vf_tdx_quote quote;
	struct vf_tdx_anchor *anchor;
	struct vf_tdx_chain *pck, *tcb_chain, *qe_chain, *crl_chain;
	struct vf_tdx_doc *tcb_doc, *qe_doc;
	struct vf_tdx_crl *pck_crl, *root_crl;
	struct vf_tdx_tcb_result tcb;
	bool tcb_done;
};

static const char *remediation_for(enum tc_code code)
{
	switch (code) {
	case TC_ERR_EVIDENCE_MALFORMED:
		return "Re-collect the quote from the TD (configfs-tsm) and send its bytes unmodified";
	case TC_ERR_EVIDENCE_UNSUPPORTED_VERSION:
		return "Send a TDX quote v4 or v5 with an ECDSA P-256 attestation key and a PCK certificate chain";
	case TC_ERR_CERT_CHAIN_INVALID:
		return "Use the PCK/collateral chains issued by Intel and pin the Intel SGX Root CA as intel_root";
	case TC_ERR_CERT_EXPIRED:
		return "Fetch current certificates/collateral from Intel PCS, or check the verification time";
	case TC_ERR_CERT_REVOKED:
		return "Intel revoked a certificate of this platform's chain; the platform cannot be trusted";
	case TC_ERR_EVIDENCE_SIGNATURE_INVALID:
	case TC_ERR_QE_REPORT_SIGNATURE_INVALID:
	case TC_ERR_ATTESTATION_KEY_BINDING_INVALID:
		return "The quote was altered or not produced by a genuine TD quoting enclave; re-collect it";
	case TC_ERR_NONCE_MISMATCH:
		return "Collect a fresh quote whose REPORTDATA carries the challenge binding";
	case TC_ERR_COLLATERAL_MISSING:
		return "Supply TCB info, QE identity and their issuer chains (and the CRLs when revocation is checked)";
	case TC_ERR_COLLATERAL_SIGNATURE_INVALID:
		return "Re-fetch the collateral from Intel PCS and pass the response bodies unmodified";
	case TC_ERR_COLLATERAL_EXPIRED:
		return "Re-fetch current TCB info, QE identity and CRLs from Intel PCS";
	case TC_ERR_TCB_MISMATCH:
		return "Fetch the TDX TCB info for this platform's FMSPC from Intel PCS";
	case TC_ERR_QE_IDENTITY_MISMATCH:
		return "The quoting enclave is not Intel's TD QE; use Intel's DCAP quote generation";
	case TC_ERR_TCB_LEVEL_NOT_FOUND:
		return "Update BIOS/microcode/TDX module to a TCB level listed by Intel, or fetch newer TCB info";
	case TC_ERR_TCB_STATUS_REJECTED:
		return "Apply the Intel updates named by the advisories, or widen accepted_tcb_statuses";
	case TC_ERR_MEASUREMENT_MISMATCH:
		return "The TD's measurements differ from the policy's reference values; check the TD image";
	case TC_ERR_DEBUG_NOT_ALLOWED:
		return "Launch the TD without the DEBUG attribute, or set allow_debug for development";
	default:
		return "See the detail of the failing check";
	}
}

/* Turn a check into the appraisal (vf_check) and add the remediation hint. True: stop appraising. */
static bool check(struct tdx_run *run, struct tc_result result, struct tc_result *stop)
{
	if (!vf_check(run->out, result, stop))
		return false;
	if (tc_is_ok(*stop) && run->out->remediation[0] == '\0')
		snprintf(run->out->remediation, sizeof run->out->remediation, "%s",
			 remediation_for(run->out->failure));
	return true;
}

#define CHECK(run, expr, r)                                                                                \
	do {                                                                                               \
		if (check((run), (expr), &(r)))                                                            \
			return (r);                                                                        \
	} while (0)

static struct tc_result reject(enum tc_code code, const char *fmt, ...) TC_PRINTF(2, 3);
static struct tc_result reject(enum tc_code code, const char *fmt, ...)
{
	char detail[TC_DETAIL_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	return tc_fail(code, "%s", detail);
}

/* ---------------------------------------------------------------------------------------- policy knobs */

static TC_RESULT read_knobs(const struct vf_policy *p, struct tdx_knobs *k)
{
	const char *key;
	json_t *v;
	k->allow_service_td = true;
	if (p->extra == NULL)
		return tc_ok();
	TC_ENSURE(json_is_object(p->extra), TC_ERR_INVALID_ARGUMENT, "policy: extra knobs are not an object");
	json_object_foreach (p->extra, key, v) {
		if (strncmp(key, "tdx_", 4) != 0)
			continue; /* another appraiser's knob */
		if (strcmp(key, "tdx_allow_service_td") == 0) {
			TC_ENSURE(json_is_boolean(v), TC_ERR_INVALID_ARGUMENT, "policy: %s must be a boolean", key);
			k->allow_service_td = json_is_true(v);
			continue;
		}
		return tc_fail(TC_ERR_INVALID_ARGUMENT, "policy: unknown TDX knob \"%s\"", key);
	}
	return tc_ok();
}

/* ------------------------------------------------------------------------------------------- evidence */

/* The attestation key x||y as an EVP_PKEY (uncompressed SEC1 point on P-256). */
static EVP_PKEY *attestation_key_new(const uint8_t xy[VF_TDX_ECDSA_KEY_LEN])
{
	uint8_t point[1 + VF_TDX_ECDSA_KEY_LEN];
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	OSSL_PARAM params[3];

	point[0] = 0x04;
	memcpy(point + 1, xy, VF_TDX_ECDSA_KEY_LEN);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"prime256v1", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point);
	params[2] = OSSL_PARAM_construct_end();
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	tc_openssl_clear();
	return pkey;
}

/* A decoded attestation key, memoized by its bytes (decoding costs ~15 us; the signature check over the
 * quote still runs on every call). */
struct attkey {
	struct vf_tdx_memo memo;
	EVP_PKEY *pkey;
};

static void attkey_destroy(struct vf_tdx_memo *m)
{
	struct attkey *k = (struct attkey *)m;
	EVP_PKEY_free(k->pkey);
	free(k);
}

/* NULL with *BAD set when the bytes are not a P-256 point; NULL without it on OOM. */
static struct attkey *attestation_key(const uint8_t xy[VF_TDX_ECDSA_KEY_LEN], bool *bad)
{
	uint8_t tagged[sizeof "tdx-attkey" + VF_TDX_ECDSA_KEY_LEN], key[VF_TDX_SHA256_LEN];
	memcpy(tagged, "tdx-attkey", sizeof "tdx-attkey");
	memcpy(tagged + sizeof "tdx-attkey", xy, VF_TDX_ECDSA_KEY_LEN);
	*bad = false;
	if (!tc_is_ok(vf_sha256(tagged, sizeof tagged, key)))
		return NULL;
	struct attkey *k = (struct attkey *)vf_tdx_cache_get(key);
	if (k != NULL)
		return k;
	k = calloc(1, sizeof *k);
	if (k == NULL)
		return NULL;
	k->memo.refs = 1;
	k->memo.destroy = attkey_destroy;
	k->pkey = attestation_key_new(xy);
	if (k->pkey == NULL) {
		*bad = true;
		free(k);
		return NULL;
	}
	vf_tdx_cache_put(key, &k->memo);
	return k;
}

/* Step 3: QE report signature, attestation key binding, quote signature. */
static TC_RESULT check_signatures(struct tdx_run *run)
{
	const struct vf_tdx_quote *q = &run->quote;
	uint8_t digest[VF_TDX_SHA256_LEN];
	struct tc_result r = tc_ok();
	struct attkey *ak = NULL;
	bool bad_key = false;
	EVP_MD_CTX *md = NULL;
	unsigned int n = 0;

	/* QVL 4.1.2.4.12: the PCK signs the 384-byte QE report (ECDSA P-256, SHA-256, raw r||s). */
	TC_GUARD(vf_sha256(q->qe_report_raw, VF_TDX_QE_REPORT_LEN, digest));
	if (!vf_ecdsa_verify_raw(run->pck->leaf_key, digest, sizeof digest, q->qe_report_sig, VF_TDX_ECDSA_COORD_LEN))
		return reject(TC_ERR_QE_REPORT_SIGNATURE_INVALID,
			      "the QE report signature does not verify with the PCK certificate's key");

	/* QVL 4.1.2.4.13: QE REPORTDATA = SHA-256(attestation key || QE authentication data) || 32 zero bytes. */
	md = EVP_MD_CTX_new();
	bool ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
		  EVP_DigestUpdate(md, q->att_key, VF_TDX_ECDSA_KEY_LEN) == 1 &&
		  EVP_DigestUpdate(md, q->qe_auth, q->qe_auth_len) == 1 && EVP_DigestFinal_ex(md, digest, &n) == 1;
	EVP_MD_CTX_free(md);
	TC_ENSURE(ok, TC_ERR_CRYPTO, "SHA-256 failed");
	static const uint8_t zero[VF_TDX_REPORT_DATA_LEN - VF_TDX_SHA256_LEN];
	if (memcmp(q->qe_report.report_data, digest, VF_TDX_SHA256_LEN) != 0 ||
	    memcmp(q->qe_report.report_data + VF_TDX_SHA256_LEN, zero, sizeof zero) != 0)
		return reject(TC_ERR_ATTESTATION_KEY_BINDING_INVALID,
			      "QE REPORTDATA is not SHA-256(attestation key || QE authentication data) || zeros");

	/* QVL 4.1.2.4.16: the attestation key signs header (+ v5 body descriptor) + body. */
	ak = attestation_key(q->att_key, &bad_key);
	if (ak == NULL && bad_key)
		return reject(TC_ERR_EVIDENCE_SIGNATURE_INVALID, "the attestation key is not a P-256 point");
	TC_ENSURE(ak != NULL, TC_ERR_NO_MEMORY, "out of memory");
	TC_GUARD_GOTO(r, vf_sha256(q->signed_data, q->signed_len, digest), out);
	if (!vf_ecdsa_verify_raw(ak->pkey, digest, sizeof digest, q->signature, VF_TDX_ECDSA_COORD_LEN))
		r = reject(TC_ERR_EVIDENCE_SIGNATURE_INVALID,
			   "the quote signature does not verify with the attestation key");
out:
	vf_tdx_memo_release(&ak->memo);
	return r;
}

static TC_RESULT claim_hex(json_t *claims, const char *name, const void *data, size_t len)
{
	json_t *v = tc_json_hex(data, len);
	TC_ENSURE(v != NULL && json_object_set_new(claims, name, v) == 0, TC_ERR_NO_MEMORY, "out of memory");
	return tc_ok();
}

static TC_RESULT claim_int(json_t *claims, const char *name, json_int_t value)
{
	TC_ENSURE(json_object_set_new(claims, name, json_integer(value)) == 0, TC_ERR_NO_MEMORY, "out of memory");
	return tc_ok();
}

/* Claims of docs/tdx.md (lowercase hex; SVNs of the PCK and QE as numbers). */
static TC_RESULT add_claims(struct tdx_run *run)
{
	const struct vf_tdx_report *rp = &run->quote.report;
	const struct vf_tdx_sgx_ext *x = &run->pck->sgx_ext;
	json_t *c = run->dev->claims;
	static const char *const rtmr_names[VF_TDX_RTMR_COUNT] = { "rtmr0", "rtmr1", "rtmr2", "rtmr3" };

	TC_GUARD(claim_int(c, "quote_version", run->quote.version));
	TC_GUARD(claim_hex(c, "tee_tcb_svn", rp->tee_tcb_svn, sizeof rp->tee_tcb_svn));
	TC_GUARD(claim_hex(c, "mrseam", rp->mrseam, sizeof rp->mrseam));
	TC_GUARD(claim_hex(c, "mrsignerseam", rp->mrsignerseam, sizeof rp->mrsignerseam));
	TC_GUARD(claim_hex(c, "seam_attributes", rp->seam_attributes, sizeof rp->seam_attributes));
	TC_GUARD(claim_hex(c, "td_attributes", rp->td_attributes, sizeof rp->td_attributes));
	TC_GUARD(claim_hex(c, "xfam", rp->xfam, sizeof rp->xfam));
	TC_GUARD(claim_hex(c, "mrtd", rp->mrtd, sizeof rp->mrtd));
	TC_GUARD(claim_hex(c, "mrconfigid", rp->mrconfigid, sizeof rp->mrconfigid));
	TC_GUARD(claim_hex(c, "mrowner", rp->mrowner, sizeof rp->mrowner));
	TC_GUARD(claim_hex(c, "mrownerconfig", rp->mrownerconfig, sizeof rp->mrownerconfig));
	for (size_t i = 0; i < VF_TDX_RTMR_COUNT; i++)
		TC_GUARD(claim_hex(c, rtmr_names[i], rp->rtmr[i], sizeof rp->rtmr[i]));
	TC_GUARD(claim_hex(c, "report_data", rp->report_data, sizeof rp->report_data));
	if (rp->is_v15) {
		TC_GUARD(claim_hex(c, "tee_tcb_svn2", rp->tee_tcb_svn2, sizeof rp->tee_tcb_svn2));
		TC_GUARD(claim_hex(c, "mr_servicetd", rp->mrservicetd, sizeof rp->mrservicetd));
	}
	TC_GUARD(claim_hex(c, "fmspc", x->fmspc, sizeof x->fmspc));
	TC_GUARD(claim_hex(c, "pce_id", x->pceid, sizeof x->pceid));
	TC_GUARD(claim_hex(c, "cpusvn", x->cpusvn, sizeof x->cpusvn));
	TC_GUARD(claim_int(c, "pcesvn", x->pcesvn));
	TC_GUARD(claim_int(c, "qe_svn", run->quote.qe_report.isvsvn));
	return tc_ok();
}

/* ------------------------------------------------------------------------------------------ collateral */

static const struct vf_item *collateral(const struct tdx_run *run, const char *role)
{
	return vf_item_find(run->in->collateral, run->in->n_collateral, role);
}

static TC_RESULT use_item(struct tdx_run *run, const char *role, const struct vf_item **out)
{
	*out = collateral(run, role);
	return vf_appraisal_add_digest(run->out, role, (*out)->data, (*out)->len);
}

static void expiry(int64_t *earliest, int64_t t)
{
	if (*earliest == 0 || t < *earliest)
		*earliest = t;
}

static TC_RESULT doc_window(const char *what, int64_t issue, int64_t next, int64_t now)
{
	if (now >= issue && now < next)
		return tc_ok();
	char a[TC_TIME_RFC3339_LEN] = "?", b[TC_TIME_RFC3339_LEN] = "?", at[TC_TIME_RFC3339_LEN] = "?";
	vf_tdx_time_text(issue, a);
	vf_tdx_time_text(next, b);
	vf_tdx_time_text(now, at);
	return tc_fail(TC_ERR_COLLATERAL_EXPIRED, "%s: valid %s..%s (issueDate..nextUpdate), not at %s", what, a, b,
		       at);
}

/* Root CA CRL: every certificate in use that the root issued (not the root itself). */
static TC_RESULT root_revocation(struct tdx_run *run, const struct vf_tdx_chain *chain)
{
	X509 *root = run->anchor->cert;
	for (int i = 0; i < sk_X509_num(chain->path); i++) {
		X509 *c = sk_X509_value(chain->path, i);
		if (X509_cmp(c, root) == 0 || X509_NAME_cmp(X509_get_issuer_name(c), X509_get_subject_name(root)) != 0)
			continue;
		TC_GUARD(vf_tdx_crl_check_cert(run->root_crl, c, "root_ca_crl"));
	}
	return tc_ok();
}

static TC_RESULT appraise_collateral(struct tdx_run *run)
{
	static const char *const needed[] = { "tcb_info", "tcb_info_issuer_chain", "qe_identity",
					      "qe_identity_issuer_chain", "pck_crl", "pck_crl_issuer_chain",
					      "root_ca_crl" };
	bool revocation = run->policy->check_revocation;
	size_t n_needed = revocation ? 7 : 4;
	char missing[256] = "";
	struct tc_result r = tc_ok();
	const struct vf_item *ti, *ti_chain, *qi, *qi_chain, *crl = NULL, *crl_chain = NULL, *root_crl = NULL;
	int64_t earliest = 0;

	/* Presence (README step 5: presence first). */
	for (size_t i = 0; i < n_needed; i++) {
		const struct vf_item *it = collateral(run, needed[i]);
		if (it == NULL || it->len == 0) {
			size_t used = strlen(missing);
			snprintf(missing + used, sizeof missing - used, "%s%s", used ? ", " : "", needed[i]);
		}
	}
	CHECK(run, missing[0] ? reject(TC_ERR_COLLATERAL_MISSING, "missing collateral: %s", missing) : tc_ok(), r);
	TC_GUARD(use_item(run, "tcb_info", &ti));
	TC_GUARD(use_item(run, "tcb_info_issuer_chain", &ti_chain));
	TC_GUARD(use_item(run, "qe_identity", &qi));
	TC_GUARD(use_item(run, "qe_identity_issuer_chain", &qi_chain));
	if (revocation) {
		TC_GUARD(use_item(run, "pck_crl", &crl));
		TC_GUARD(use_item(run, "pck_crl_issuer_chain", &crl_chain));
		TC_GUARD(use_item(run, "root_ca_crl", &root_crl));
	}

	/* Signer chains, each with its validity. */
	CHECK(run, vf_tdx_chain_get(ti_chain->data, ti_chain->len, run->anchor, VF_TDX_CHAIN_SIGNER,
				    "tcb_info_issuer_chain", &run->tcb_chain), r);
	CHECK(run, vf_tdx_chain_check_time(run->tcb_chain, run->now, "tcb_info_issuer_chain"), r);
	CHECK(run, vf_tdx_chain_get(qi_chain->data, qi_chain->len, run->anchor, VF_TDX_CHAIN_SIGNER,
				    "qe_identity_issuer_chain", &run->qe_chain), r);
	CHECK(run, vf_tdx_chain_check_time(run->qe_chain, run->now, "qe_identity_issuer_chain"), r);
	if (revocation) {
		CHECK(run, vf_tdx_chain_get(crl_chain->data, crl_chain->len, run->anchor, VF_TDX_CHAIN_CRL_ISSUER,
					    "pck_crl_issuer_chain", &run->crl_chain), r);
		CHECK(run, vf_tdx_chain_check_time(run->crl_chain, run->now, "pck_crl_issuer_chain"), r);
	}

	/* Signatures over the exact signed bytes. */
	CHECK(run, vf_tdx_doc_get_tcb_info(ti->data, ti->len, run->tcb_chain, &run->tcb_doc), r);
	CHECK(run, vf_tdx_doc_get_qe_identity(qi->data, qi->len, run->qe_chain, &run->qe_doc), r);
	if (revocation) {
		CHECK(run, vf_tdx_crl_get(crl->data, crl->len, sk_X509_value(run->crl_chain->path, 0), run->crl_chain->key,
					  "pck_crl", &run->pck_crl), r);
		CHECK(run, vf_tdx_crl_get(root_crl->data, root_crl->len, run->anchor->cert, run->anchor->sha256,
					  "root_ca_crl", &run->root_crl), r);
	}

	/* Validity windows. */
	const struct vf_tdx_tcb_info *t = run->tcb_doc->tcb_info;
	const struct vf_tdx_qe_identity *q = run->qe_doc->qe_identity;
	CHECK(run, doc_window("tcb_info", t->issue_date, t->next_update, run->now), r);
	CHECK(run, doc_window("qe_identity", q->issue_date, q->next_update, run->now), r);
	expiry(&earliest, t->next_update);
	expiry(&earliest, q->next_update);
	if (revocation) {
		CHECK(run, vf_tdx_crl_check_time(run->pck_crl, run->now, "pck_crl"), r);
		CHECK(run, vf_tdx_crl_check_time(run->root_crl, run->now, "root_ca_crl"), r);
		expiry(&earliest, run->pck_crl->next_update);
		expiry(&earliest, run->root_crl->next_update);
	}
	char at[TC_TIME_RFC3339_LEN];
	if (tc_is_ok(tc_time_format(earliest, at)))
		TC_ENSURE(json_object_set_new(run->out->extra, "collateral_expires_at", json_string(at)) == 0,
			  TC_ERR_NO_MEMORY, "out of memory");

	/* Revocation: the PCK CRL covers the PCK, the root CA CRL every certificate the root issued. */
	if (revocation) {
		X509 *pck = sk_X509_value(run->pck->path, 0);
		CHECK(run,
		      X509_NAME_cmp(X509_CRL_get_issuer(run->pck_crl->crl), X509_get_issuer_name(pck)) == 0
			      ? tc_ok()
			      : reject(TC_ERR_COLLATERAL_MISSING,
				       "pck_crl is not the CRL of the PCK certificate's issuer (Platform vs Processor CA)"),
		      r);
		CHECK(run, vf_tdx_crl_check_cert(run->pck_crl, pck, "pck_crl"), r);
		CHECK(run, root_revocation(run, run->pck), r);
		CHECK(run, root_revocation(run, run->tcb_chain), r);
		CHECK(run, root_revocation(run, run->qe_chain), r);
		CHECK(run, root_revocation(run, run->crl_chain), r);
	}
	return tc_ok();
}

/* --------------------------------------------------------------------------------------- TCB and policy */

static TC_RESULT appraise_tcb(struct tdx_run *run)
{
	struct tc_result r = tc_ok();
	const struct vf_tdx_tcb_info *t = run->tcb_doc->tcb_info;
	json_t *extra = run->out->extra;

	TC_GUARD(vf_tdx_tcb_evaluate(&run->quote, &run->pck->sgx_ext, t, run->qe_doc->qe_identity, &run->tcb));
	run->tcb_done = true;
	TC_ENSURE(json_object_set_new(extra, "tcb_evaluation_data_number",
				      json_integer(t->tcb_evaluation_data_number)) == 0,
		  TC_ERR_NO_MEMORY, "out of memory");
	if (run->tcb.failure != TC_OK)
		CHECK(run, reject(run->tcb.failure, "%s", run->tcb.detail), r);

	run->dev->tcb_status = run->tcb.status;
	run->dev->has_tcb_status = true;
	TC_ENSURE(json_array_extend(run->dev->advisory_ids, run->tcb.advisory_ids) == 0, TC_ERR_NO_MEMORY,
		  "out of memory");
	bool ok = json_object_set_new(extra, "tcb_date", json_string(run->tcb.tcb_date)) == 0 &&
		  json_object_set_new(extra, "platform_tcb_status",
				      json_string(vf_tcb_status_name(run->tcb.platform_status))) == 0 &&
		  json_object_set_new(extra, "qe_tcb_status", json_string(vf_tcb_status_name(run->tcb.qe_status))) == 0;
	if (ok && run->tcb.has_module_status)
		ok = json_object_set_new(extra, "tdx_module_tcb_status",
					 json_string(vf_tcb_status_name(run->tcb.module_status))) == 0 &&
		     json_object_set_new(extra, "tdx_module_identity", json_string(run->tcb.module_id)) == 0;
	TC_ENSURE(ok, TC_ERR_NO_MEMORY, "out of memory");

	CHECK(run,
	      (run->policy->accepted_tcb_statuses & (1u << run->tcb.status)) && run->tcb.status != VF_TCB_REVOKED
		      ? tc_ok()
		      : reject(TC_ERR_TCB_STATUS_REJECTED, "TCB status %s is not accepted by the policy",
			       vf_tcb_status_name(run->tcb.status)),
	      r);
	return tc_ok();
}

/* policy.reference_values: every TDX claim named there must equal one of its listed values. */
static TC_RESULT check_reference_values(struct tdx_run *run)
{
	const char *name;
	json_t *allowed;
	if (run->policy->reference_values == NULL)
		return tc_ok();
	json_object_foreach (run->policy->reference_values, name, allowed) {
		const char *have = json_string_value(json_object_get(run->dev->claims, name));
		if (have == NULL)
			continue; /* a claim of another TEE (SNP, GPU) */
		size_t i;
		json_t *v;
		bool match = false;
		json_array_foreach (allowed, i, v)
			match = match || (json_is_string(v) && strcasecmp(json_string_value(v), have) == 0);
		if (!match)
			return tc_fail(TC_ERR_MEASUREMENT_MISMATCH, "claim %s = %s is not among its %zu reference values",
				       name, have, json_is_array(allowed) ? json_array_size(allowed) : (size_t)0);
	}
	return tc_ok();
}

static bool all_zero(const uint8_t *b, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= b[i];
	return acc == 0;
}

/* ------------------------------------------------------------------------------------------ the flow */

static TC_RESULT appraise(struct tdx_run *run)
{
	struct tc_result r = tc_ok();
	const struct vf_item *quote = vf_item_find(run->in->evidence, run->in->n_evidence, "tdx_quote");
	const struct vf_item *root = vf_item_find(run->in->anchors, run->in->n_anchors, "intel_root");

	TC_GUARD(read_knobs(run->policy, &run->knobs));
	if (run->out->extra == NULL)
		run->out->extra = json_object();
	TC_ENSURE(run->out->extra != NULL, TC_ERR_NO_MEMORY, "out of memory");

	/* 1. Parse. */
	CHECK(run, quote != NULL ? tc_ok() : reject(TC_ERR_EVIDENCE_MALFORMED, "no tdx_quote evidence item"), r);
	CHECK(run, vf_tdx_quote_parse(quote->data, quote->len, &run->quote), r);

	/* 2. PCK chain to the pinned root. */
	CHECK(run, root != NULL ? tc_ok() : reject(TC_ERR_CERT_CHAIN_INVALID, "no intel_root trust anchor"), r);
	TC_GUARD(vf_appraisal_add_digest(run->out, "intel_root", root->data, root->len));
	CHECK(run, vf_tdx_anchor_get(root->data, root->len, &run->anchor), r);
	/* A simulated root (teecert sim, VF_SIM_ROOT_OID) is trusted only when the policy says so. */
	run->dev->simulated = run->anchor->simulated;
	if (run->anchor->simulated && !run->policy->allow_simulated) {
		snprintf(run->out->remediation, sizeof run->out->remediation, "%s",
			 "Simulated evidence: set allow_simulated in the policy (never in a trusted network)");
		CHECK(run, reject(TC_ERR_CERT_CHAIN_INVALID, "simulated root: set allow_simulated to trust it"), r);
	}
	CHECK(run, vf_tdx_chain_get(run->quote.pck_pem, run->quote.pck_pem_len, run->anchor, VF_TDX_CHAIN_PCK,
				    "PCK chain", &run->pck), r);
	CHECK(run, vf_tdx_chain_check_time(run->pck, run->now, "PCK chain"), r);

	/* 3. Evidence signatures; the claims are reported once they are authenticated. */
	CHECK(run, check_signatures(run), r);
	TC_GUARD(add_claims(run));

	/* 4. Report data. */
	if (run->policy->has_expected_report_data &&
	    memcmp(run->policy->expected_report_data, run->quote.report.report_data, VF_TDX_REPORT_DATA_LEN) != 0)
		CHECK(run, reject(TC_ERR_NONCE_MISMATCH, "REPORTDATA differs from the policy's expected_report_data"), r);

	/* 5. and 6. Collateral and TCB (signatures and chains only when collateral is not required). */
	if (run->policy->require_collateral) {
		TC_GUARD(appraise_collateral(run));
		if (run->out->failure != TC_OK)
			return tc_ok();
		TC_GUARD(appraise_tcb(run));
		if (run->out->failure != TC_OK)
			return tc_ok();
	} else {
		run->dev->tcb_status = VF_TCB_UNKNOWN;
		run->dev->has_tcb_status = true;
	}
	CHECK(run, check_reference_values(run), r);

	/* 7. Policy. */
	if (!run->policy->allow_debug && (run->quote.report.td_attributes[0] & VF_TDX_TD_ATTR_DEBUG))
		CHECK(run, reject(TC_ERR_DEBUG_NOT_ALLOWED, "TDATTRIBUTES.DEBUG is set (debug TD)"), r);
	if (!run->knobs.allow_service_td && run->quote.report.is_v15 &&
	    !all_zero(run->quote.report.mrservicetd, VF_TDX_MEASUREMENT_LEN))
		CHECK(run, reject(TC_ERR_POLICY_VIOLATION, "MRSERVICETD is set and tdx_allow_service_td is false"), r);
	return tc_ok();
}

TC_RESULT vf_tdx_appraise(const struct vf_input *input, const struct vf_policy *policy, int64_t now,
			  struct vf_appraisal *out)
{
	struct tdx_run run;
	memset(&run, 0, sizeof run);
	run.in = input;
	run.policy = policy;
	run.now = now;
	run.out = out;
	run.dev = vf_appraisal_add_device(out, "cpu0", VF_TEE_TDX);
	TC_ENSURE(run.dev != NULL, TC_ERR_INTERNAL, "tdx: no room for device cpu0");
	run.dev->has_tcb_status = false;

	struct tc_result r = appraise(&run);

	vf_tdx_tcb_result_cleanup(&run.tcb);
	vf_tdx_memo_release(run.root_crl ? &run.root_crl->memo : NULL);
	vf_tdx_memo_release(run.pck_crl ? &run.pck_crl->memo : NULL);
	vf_tdx_memo_release(run.qe_doc ? &run.qe_doc->memo : NULL);
	vf_tdx_memo_release(run.tcb_doc ? &run.tcb_doc->memo : NULL);
	vf_tdx_memo_release(run.crl_chain ? &run.crl_chain->memo : NULL);
	vf_tdx_memo_release(run.qe_chain ? &run.qe_chain->memo : NULL);
	vf_tdx_memo_release(run.tcb_chain ? &run.tcb_chain->memo : NULL);
	vf_tdx_memo_release(run.pck ? &run.pck->memo : NULL);
	vf_tdx_memo_release(run.anchor ? &run.anchor->memo : NULL);
	return r;
}
