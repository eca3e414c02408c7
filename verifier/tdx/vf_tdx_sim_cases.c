/*
 * vf_tdx_sim_cases.c — `teecert sim tdx --pki DIR --cases OUT`: a conformance set over the simulated TDX
 * platform in the shared manifest format (../shared/evidence/cases/SCHEMA.md, schema 1).
 *
 * OUT/cases/tdx-sim-<name>.json are the manifests; OUT/tdx-sim/ holds the data (paths in the manifests are
 * relative to OUT): a copy of the PKI's anchor and collateral, the quotes (<name>.bin) and the collateral
 * variants the collateral-side cases need (tampered, re-signed, expired, other root). Quote-side failures come
 * from the quote knobs (vf_tdx_sim_quote.c), TCB outcomes from the presets (vf_tdx_sim_tcb.c), collateral
 * failures from how files are arranged and from verify_at. Every case carries "allow_simulated": true except
 * one, which must be rejected with cert_chain_invalid. Expectations come from the sim tables, not from
 * running the verifier: the set checks the verifier.
 */
#include <stdlib.h>
#include <string.h>

#include "vf_internal.h"
#include "vf_tdx_sim.h"

#define SIM_DATA "tdx-sim"         /* data folder under OUT */
#define SIM_CASE_PREFIX "tdx-sim-" /* case names */
#define SIM_NAME_MAX 96
#define SIM_MAX_OVERRIDES 3
#define SIM_VERIFY_AFTER VF_TDX_SIM_HOUR /* default verify_at = created_at + 1 h */
#define SIM_TRUNCATE_AT 1000             /* inside the signature data of every quote */
#define SIM_TRAILING 70                  /* as Azure/Phala/trustee quotes carry */

/* Collateral roles and their file names in a collateral folder (the role is the name up to the dot). */
static const char *const roles[] = { "tcb_info", "tcb_info_issuer_chain", "qe_identity", "qe_identity_issuer_chain",
				     "pck_crl",  "pck_crl_issuer_chain",  "root_ca_crl" };
static const char *const role_files[] = { "tcb_info.json",    "tcb_info_issuer_chain.pem",
					  "qe_identity.json", "qe_identity_issuer_chain.pem",
					  "pck_crl.der",      "pck_crl_issuer_chain.pem",
					  "root_ca_crl.der" };
#define SIM_N_ROLES (sizeof roles / sizeof roles[0])

/* The collateral variants written under OUT/tdx-sim/ (file names). */
#define V_TCB_TAMPERED "tcb_info_tampered.json"
#define V_QE_BAD_SIG "qe_identity_bad_signature.json"
#define V_PCK_CRL_BAD_SIG "pck_crl_bad_signature.der"
#define V_PCK_CRL_EXPIRED "pck_crl_expired.der"
#define V_ROOT_CRL_REVOKES_CA "root_ca_crl_revokes_platform_ca.der"
#define V_TCB_EXPIRED_SIGNER "tcb_info_expired_signer.json"
#define V_TCB_EXPIRED_CHAIN "tcb_info_issuer_chain_expired.pem"
#define V_TCB_OTHER_SIGNER "tcb_info_other_root_signer.json"
#define V_TCB_OTHER_CHAIN "tcb_info_issuer_chain_other_root.pem"
#define V_OTHER_ROOT "other_root.pem"

struct gen {
	const char *out;
	struct vf_tdx_sim_pki *pki;
	uint8_t report_data[VF_TDX_REPORT_DATA_LEN]; /* what every quote of the set carries */
	char report_data_hex[2 * VF_TDX_REPORT_DATA_LEN + 1];
	char mrtd_hex[2 * VF_TDX_MEASUREMENT_LEN + 1];
	char rtmr0_hex[2 * VF_TDX_MEASUREMENT_LEN + 1];
	size_t n;
};

/* One collateral change: ROLE comes from FILE under OUT/tdx-sim/ (NULL: the role is left out). */
struct override {
	const char *role;
	const char *file;
};

struct sim_case {
	const char *name;
	const char *preset;                            /* TCB preset; NULL: uptodate */
	void (*knob)(struct vf_tdx_sim_quote_opts *o); /* quote knobs; NULL: none */
	struct override coll[SIM_MAX_OVERRIDES];
	bool no_collateral;   /* "collateral": {} */
	const char *anchor;   /* file under OUT/tdx-sim/; NULL: intel_root.pem */
	const char *policy;   /* JSON object merged into the case policy; NULL: none */
	bool reference_match; /* policy reference_values listing the quote's mrtd, rtmr0 */
	bool not_simulated;   /* leave allow_simulated out */
	int64_t verify_at;    /* seconds after created_at; 0: SIM_VERIFY_AFTER */
	const char *failure;  /* NULL: accepted */
	const char *status;   /* expect.tcb_status; "preset": the preset's; NULL: none */
	const char *notes;
};

/* ------------------------------------------------------------------------------------------ knobs */

static void k_v5(struct vf_tdx_sim_quote_opts *o)
{
	o->version = VF_TDX_QUOTE_V5;
	o->body_type = VF_TDX_BODY_TD_REPORT10;
}
static void k_v5_tdx15(struct vf_tdx_sim_quote_opts *o)
{
	o->version = VF_TDX_QUOTE_V5;
	o->body_type = VF_TDX_BODY_TD_REPORT15;
}
static void k_debug(struct vf_tdx_sim_quote_opts *o)
{
	o->report.td_attributes[0] |= VF_TDX_TD_ATTR_DEBUG;
}
static void k_ak_from_keys(struct vf_tdx_sim_quote_opts *o)
{
	o->ak_from_keys = true;
}
static void k_trailing(struct vf_tdx_sim_quote_opts *o)
{
	o->trailing = SIM_TRAILING;
}
static void k_bad_quote_sig(struct vf_tdx_sim_quote_opts *o)
{
	o->bad_quote_sig = true;
}
static void k_bad_qe_sig(struct vf_tdx_sim_quote_opts *o)
{
	o->bad_qe_sig = true;
}
static void k_bad_ak_binding(struct vf_tdx_sim_quote_opts *o)
{
	o->bad_ak_binding = true;
}
static void k_bad_pck_chain(struct vf_tdx_sim_quote_opts *o)
{
	o->bad_pck_chain = true;
}
static void k_pck_expired(struct vf_tdx_sim_quote_opts *o)
{
	o->pck_expired = true;
}
static void k_pck_revoked(struct vf_tdx_sim_quote_opts *o)
{
	o->pck_revoked = true;
}
static void k_truncate(struct vf_tdx_sim_quote_opts *o)
{
	o->truncate = SIM_TRUNCATE_AT;
}
static void k_unsupported_version(struct vf_tdx_sim_quote_opts *o)
{
	o->version = 3;
}
static void k_unknown_body_type(struct vf_tdx_sim_quote_opts *o)
{
	o->version = VF_TDX_QUOTE_V5;
	o->body_type = 4;
}
static void k_fmspc_mismatch(struct vf_tdx_sim_quote_opts *o)
{
	o->fmspc_mismatch = true;
}
static void k_seam_signer(struct vf_tdx_sim_quote_opts *o)
{
	o->report.mrsignerseam[0] = 0x01;
}
static void k_bad_qe_identity(struct vf_tdx_sim_quote_opts *o)
{
	o->bad_qe_identity = true;
}
static void k_wrong_report_data(struct vf_tdx_sim_quote_opts *o)
{
	o->wrong_report_data = true;
}
static void k_service_td(struct vf_tdx_sim_quote_opts *o)
{
	k_v5_tdx15(o);
	memset(o->report.mrservicetd, 0x5d, sizeof o->report.mrservicetd);
}

/* ------------------------------------------------------------------------------------------ the set */

#define REVOCATION_OFF "{\"check_revocation\":false}"

static const struct sim_case cases[] = {
	/* Accepted. */
	{ "v4-uptodate", .status = "preset", .notes = "quote v4, every level up to date" },
	{ "v5-uptodate", .knob = k_v5, .status = "preset", .notes = "quote v5, body type 2 (TDX 1.0)" },
	{ "v5-tdx15-uptodate", .knob = k_v5_tdx15, .status = "preset", .notes = "quote v5, body type 3 (TDX 1.5)" },
	{ "swhardening", "swhardening", .status = "preset", .notes = "SWHardeningNeeded is accepted by default" },
	{ "configneeded-allowed", "configneeded", .status = "preset",
	  .policy = "{\"accepted_tcb_statuses\":[\"UpToDate\",\"SWHardeningNeeded\",\"ConfigurationNeeded\"]}",
	  .notes = "ConfigurationNeeded accepted when the policy lists it" },
	{ "relaunch-allowed", "relaunch", .status = "preset",
	  .policy = "{\"accepted_tcb_statuses\":[\"UpToDate\",\"TDRelaunchAdvised\"]}",
	  .notes = "TDRelaunchAdvised accepted when the policy lists it" },
	{ "module-tdx03", "module-tdx03", .status = "preset", .notes = "TDX module identity TDX_03" },
	{ "tdxmodule", "tdxmodule", .status = "preset", .notes = "module major version 0: tdxModule only" },
	{ "debug-allowed", .knob = k_debug, .status = "preset", .policy = "{\"allow_debug\":true}",
	  .notes = "debug TD with allow_debug" },
	{ "ak-from-keys", .knob = k_ak_from_keys, .status = "preset", .notes = "attestation key from keys/" },
	{ "trailing-bytes", .knob = k_trailing, .status = "preset", .notes = "70 zero bytes after the quote" },
	{ "revocation-off-no-crls",
	  .coll = { { "pck_crl", NULL }, { "pck_crl_issuer_chain", NULL }, { "root_ca_crl", NULL } },
	  .policy = REVOCATION_OFF, .status = "preset", .notes = "no CRLs needed with check_revocation false" },
	{ "sigonly", .no_collateral = true, .policy = "{\"require_collateral\":false}", .status = "Unknown",
	  .notes = "signatures and chains only" },
	{ "reference-values-match", .status = "preset", .reference_match = true,
	  .notes = "mrtd and rtmr0 among their reference values" },

	/* TCB outcomes. */
	{ "configneeded", "configneeded", .failure = "tcb_status_rejected", .status = "preset" },
	{ "configswhardening", "configswhardening", .failure = "tcb_status_rejected", .status = "preset" },
	{ "outofdate", "outofdate", .failure = "tcb_status_rejected", .status = "preset" },
	{ "outofdateconfig", "outofdateconfig", .failure = "tcb_status_rejected", .status = "preset" },
	{ "revoked", "revoked", .failure = "tcb_status_rejected", .status = "preset" },
	{ "relaunch", "relaunch", .failure = "tcb_status_rejected", .status = "preset" },
	{ "relaunch-config", "relaunch-config", .failure = "tcb_status_rejected", .status = "preset" },
	{ "module-outofdate", "module-outofdate", .failure = "tcb_status_rejected", .status = "preset" },
	{ "qe-outofdate", "qe-outofdate", .failure = "tcb_status_rejected", .status = "preset" },
	{ "qe-revoked", "qe-revoked", .failure = "tcb_status_rejected", .status = "preset" },
	{ "tcb-level-none", "none", .failure = "tcb_level_not_found" },
	{ "module-identity-none", "module-none", .failure = "tcb_level_not_found" },
	{ "module-svn-none", "module-svn-none", .failure = "tcb_level_not_found" },
	{ "qe-level-none", "qe-none", .failure = "tcb_level_not_found" },
	{ "fmspc-mismatch", .knob = k_fmspc_mismatch, .failure = "tcb_mismatch", .notes = "PCK of another FMSPC" },
	{ "seam-signer-mismatch", .knob = k_seam_signer, .failure = "tcb_mismatch",
	  .notes = "MRSIGNERSEAM differs from the TDX module identity" },
	{ "qe-identity-mismatch", .knob = k_bad_qe_identity, .failure = "qe_identity_mismatch",
	  .notes = "QE MRSIGNER differs from the QE identity" },

	/* Quote side. */
	{ "truncated", .knob = k_truncate, .failure = "evidence_malformed" },
	{ "unsupported-version", .knob = k_unsupported_version, .failure = "evidence_unsupported_version" },
	{ "v5-unknown-body-type", .knob = k_unknown_body_type, .failure = "evidence_unsupported_version" },
	{ "bad-pck-chain", .knob = k_bad_pck_chain, .failure = "cert_chain_invalid",
	  .notes = "PCK not signed by the Platform CA it names" },
	{ "pck-expired", .knob = k_pck_expired, .failure = "cert_expired" },
	{ "pck-revoked", .knob = k_pck_revoked, .failure = "cert_revoked", .notes = "PCK serial listed in pck_crl" },
	{ "bad-qe-signature", .knob = k_bad_qe_sig, .failure = "qe_report_signature_invalid" },
	{ "bad-ak-binding", .knob = k_bad_ak_binding, .failure = "attestation_key_binding_invalid" },
	{ "bad-quote-signature", .knob = k_bad_quote_sig, .failure = "evidence_signature_invalid" },
	{ "report-data-mismatch", .knob = k_wrong_report_data, .failure = "nonce_mismatch" },
	{ "reference-values-mismatch",
	  .policy = "{\"reference_values\":{\"mrtd\":[\"" /* 48 zero bytes */
		    "000000000000000000000000000000000000000000000000"
		    "000000000000000000000000000000000000000000000000\"]}}",
	  .failure = "measurement_mismatch", .status = "preset" },
	{ "debug-not-allowed", .knob = k_debug, .failure = "debug_not_allowed", .status = "preset" },
	{ "service-td-not-allowed", .knob = k_service_td, .policy = "{\"tdx_allow_service_td\":false}",
	  .failure = "policy_violation", .status = "preset", .notes = "non-zero MRSERVICETD" },

	/* Anchors. */
	{ "simulated-not-allowed", .not_simulated = true, .failure = "cert_chain_invalid",
	  .notes = "a simulated root is trusted only with allow_simulated" },
	{ "wrong-root", .anchor = V_OTHER_ROOT, .failure = "cert_chain_invalid",
	  .notes = "pinned anchor of another simulated PKI with the same name" },

	/* Collateral side. */
	{ "no-tcb-info", .coll = { { "tcb_info", NULL } }, .failure = "collateral_missing" },
	{ "no-pck-crl", .coll = { { "pck_crl", NULL } }, .failure = "collateral_missing",
	  .notes = "check_revocation needs the CRLs" },
	{ "tcb-signer-expired",
	  .coll = { { "tcb_info", V_TCB_EXPIRED_SIGNER }, { "tcb_info_issuer_chain", V_TCB_EXPIRED_CHAIN } },
	  .failure = "cert_expired" },
	{ "tcb-signer-other-root",
	  .coll = { { "tcb_info", V_TCB_OTHER_SIGNER }, { "tcb_info_issuer_chain", V_TCB_OTHER_CHAIN } },
	  .failure = "cert_chain_invalid" },
	{ "tcb-info-tampered", .coll = { { "tcb_info", V_TCB_TAMPERED } }, .failure = "collateral_signature_invalid" },
	{ "qe-identity-bad-signature", .coll = { { "qe_identity", V_QE_BAD_SIG } },
	  .failure = "collateral_signature_invalid" },
	{ "pck-crl-bad-signature", .coll = { { "pck_crl", V_PCK_CRL_BAD_SIG } },
	  .failure = "collateral_signature_invalid" },
	{ "collateral-expired", .verify_at = (VF_TDX_SIM_COLLATERAL_DAYS + 1) * VF_TDX_SIM_DAY,
	  .failure = "collateral_expired", .notes = "verify_at after nextUpdate" },
	{ "collateral-not-yet-valid", .verify_at = -2 * VF_TDX_SIM_HOUR, .failure = "collateral_expired",
	  .notes = "verify_at before issueDate" },
	{ "pck-crl-expired", .coll = { { "pck_crl", V_PCK_CRL_EXPIRED } }, .failure = "collateral_expired" },
	{ "platform-ca-revoked", .coll = { { "root_ca_crl", V_ROOT_CRL_REVOKES_CA } }, .failure = "cert_revoked",
	  .notes = "root CA CRL lists the PCK Platform CA" },
};

/* ------------------------------------------------------------------------------------------ files */

static TC_RESULT out_path(const struct gen *g, const char *rel, char *path, size_t size)
{
	TC_ENSURE(snprintf(path, size, "%s/%s", g->out, rel) < (int)size, TC_ERR_TOO_LARGE, "path too long");
	return tc_ok();
}

static TC_RESULT write_data(const struct gen *g, const char *rel, const void *data, size_t len)
{
	char path[VF_TDX_SIM_PATH_MAX];
	TC_GUARD(out_path(g, rel, path, sizeof path));
	return tc_file_write(path, data, len, 0644);
}

/* A file of the PKI folder (relative REL) read into OUT. */
static TC_RESULT read_pki(const struct gen *g, const char *rel, struct tc_buf *out)
{
	char path[VF_TDX_SIM_PATH_MAX];
	TC_ENSURE(snprintf(path, sizeof path, "%s/%s", g->pki->dir, rel) < (int)sizeof path, TC_ERR_TOO_LARGE,
		  "path too long");
	return tc_file_read(path, TC_JSON_MAX_DEFAULT, out);
}

static TC_RESULT copy_from_pki(const struct gen *g, const char *from, const char *to)
{
	struct tc_buf b;
	tc_buf_init(&b, TC_JSON_MAX_DEFAULT);
	struct tc_result r = read_pki(g, from, &b);
	if (tc_is_ok(r))
		r = write_data(g, to, b.data, b.len);
	tc_buf_cleanup(&b);
	return r;
}

static TC_RESULT write_pem(const struct gen *g, const char *rel, X509 *first, X509 *second)
{
	struct tc_buf pem;
	tc_buf_init(&pem, TC_BUF_DEFAULT_MAX);
	struct tc_result r = vf_sim_cert_pem(first, &pem);
	if (tc_is_ok(r) && second != NULL)
		r = vf_sim_cert_pem(second, &pem);
	if (tc_is_ok(r))
		r = write_data(g, rel, pem.data, pem.len);
	tc_buf_cleanup(&pem);
	return r;
}

/* ------------------------------------------------------------------------------ collateral variants */

/* The PKI's PCS body for ROLE re-signed with KEY, written to OUT/tdx-sim/FILE. */
static TC_RESULT resign(const struct gen *g, const char *pki_rel, const char *field, EVP_PKEY *key, const char *file)
{
	struct tc_result r = tc_ok();
	struct tc_buf body, resigned;
	size_t off = 0, len = 0;
	uint8_t sig[VF_TDX_ECDSA_SIG_LEN];
	char rel[VF_TDX_SIM_PATH_MAX];

	tc_buf_init(&body, TC_JSON_MAX_DEFAULT);
	tc_buf_init(&resigned, TC_JSON_MAX_DEFAULT);
	TC_GUARD_GOTO(r, read_pki(g, pki_rel, &body), out);
	TC_GUARD_GOTO(r, vf_tdx_pcs_split(body.data, body.len, field, &off, &len, sig), out);
	TC_GUARD_GOTO(r, vf_tdx_sim_pcs_body(field, body.data + off, len, key, &resigned), out);
	snprintf(rel, sizeof rel, SIM_DATA "/%s", file);
	r = write_data(g, rel, resigned.data, resigned.len);
out:
	tc_buf_cleanup(&body);
	tc_buf_cleanup(&resigned);
	return r;
}

/* TCB info with one signed byte changed ("tcbType":0 -> 1), signature kept. */
static TC_RESULT tampered_tcb_info(const struct gen *g)
{
	static const char needle[] = "\"tcbType\":0";
	struct tc_buf body;
	tc_buf_init(&body, TC_JSON_MAX_DEFAULT);
	struct tc_result r = read_pki(g, "collateral/tcb_info.json", &body);
	if (tc_is_ok(r)) {
		uint8_t *hit = memmem(body.data, body.len, needle, sizeof needle - 1);
		if (hit == NULL)
			r = tc_fail(TC_ERR_INTERNAL, "tdx sim: tcbType not found in tcb_info.json");
		else
			hit[sizeof needle - 2] = '1';
	}
	if (tc_is_ok(r))
		r = write_data(g, SIM_DATA "/" V_TCB_TAMPERED, body.data, body.len);
	tc_buf_cleanup(&body);
	return r;
}

static TC_RESULT write_crl(const struct gen *g, const char *file, X509 *issuer, EVP_PKEY *key, int64_t this_update,
			   int64_t next_update, const ASN1_INTEGER *serial)
{
	char rel[VF_TDX_SIM_PATH_MAX];
	struct tc_buf der;
	const ASN1_INTEGER *serials[] = { serial };
	tc_buf_init(&der, TC_BUF_DEFAULT_MAX);
	struct tc_result r =
		vf_tdx_sim_crl(issuer, key, this_update, next_update, serials, serial != NULL ? 1 : 0, &der);
	snprintf(rel, sizeof rel, SIM_DATA "/%s", file);
	if (tc_is_ok(r))
		r = write_data(g, rel, der.data, der.len);
	tc_buf_cleanup(&der);
	return r;
}

/* A TCB signing certificate (issued by ISSUER with ISSUER_KEY, valid NB..NA), its chain with our root and the
 * TCB info re-signed by it. */
static TC_RESULT other_signer(const struct gen *g, X509 *issuer, EVP_PKEY *issuer_key, int64_t nb, int64_t na,
			      const char *chain_file, const char *tcb_file)
{
	struct tc_result r = tc_ok();
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	char rel[VF_TDX_SIM_PATH_MAX];

	TC_GUARD_GOTO(r, vf_sim_key_new("P-256", &key), out);
	struct vf_tdx_sim_cert_spec spec = { VF_TDX_SIM_CERT_TCB_SIGNER,
					     "Intel SGX TCB Signing (simulated)",
					     key,
					     issuer,
					     issuer_key,
					     nb,
					     na,
					     NULL,
					     NULL };
	TC_GUARD_GOTO(r, vf_tdx_sim_cert_issue(&spec, &cert), out);
	snprintf(rel, sizeof rel, SIM_DATA "/%s", chain_file);
	TC_GUARD_GOTO(r, write_pem(g, rel, cert, g->pki->root), out);
	r = resign(g, "collateral/tcb_info.json", "tcbInfo", key, tcb_file);
out:
	X509_free(cert);
	EVP_PKEY_free(key);
	return r;
}

static TC_RESULT write_variants(const struct gen *g)
{
	const struct vf_tdx_sim_pki *p = g->pki;
	int64_t nb = p->created_at - VF_TDX_SIM_CERT_LEAD;
	int64_t issue = p->created_at - VF_TDX_SIM_COLLATERAL_LEAD;
	int64_t next = p->created_at + VF_TDX_SIM_COLLATERAL_DAYS * VF_TDX_SIM_DAY;
	struct tc_result r = tc_ok();
	EVP_PKEY *rogue = NULL, *other_key = NULL;
	X509 *other_root = NULL;

	TC_GUARD_GOTO(r, tampered_tcb_info(g), out);
	TC_GUARD_GOTO(r, vf_sim_key_new("P-256", &rogue), out);
	TC_GUARD_GOTO(r, resign(g, "collateral/qe_identity.json", "enclaveIdentity", rogue, V_QE_BAD_SIG), out);
	TC_GUARD_GOTO(r, write_crl(g, V_PCK_CRL_BAD_SIG, p->platform_ca, rogue, issue, next, NULL), out);
	TC_GUARD_GOTO(r,
		      write_crl(g, V_PCK_CRL_EXPIRED, p->platform_ca, p->platform_ca_key,
				issue - 2 * VF_TDX_SIM_COLLATERAL_DAYS * VF_TDX_SIM_DAY,
				issue - VF_TDX_SIM_COLLATERAL_DAYS * VF_TDX_SIM_DAY, NULL),
		      out);
	TC_GUARD_GOTO(r,
		      write_crl(g, V_ROOT_CRL_REVOKES_CA, p->root, p->root_key, issue, next,
				X509_get0_serialNumber(p->platform_ca)),
		      out);
	TC_GUARD_GOTO(r,
		      other_signer(g, p->root, p->root_key, nb, nb + VF_TDX_SIM_HOUR, V_TCB_EXPIRED_CHAIN,
				   V_TCB_EXPIRED_SIGNER),
		      out);

	/* Another simulated PKI's root, with the same name as ours. */
	TC_GUARD_GOTO(r, vf_sim_key_new("P-256", &other_key), out);
	struct vf_tdx_sim_cert_spec spec = { VF_TDX_SIM_CERT_ROOT,
					     "Intel SGX Root CA (simulated)",
					     other_key,
					     NULL,
					     other_key,
					     nb,
					     p->created_at + VF_TDX_SIM_ROOT_YEARS * VF_TDX_SIM_YEAR,
					     NULL,
					     NULL };
	TC_GUARD_GOTO(r, vf_tdx_sim_cert_issue(&spec, &other_root), out);
	TC_GUARD_GOTO(r, write_pem(g, SIM_DATA "/" V_OTHER_ROOT, other_root, NULL), out);
	r = other_signer(g, other_root, other_key, nb, p->created_at + VF_TDX_SIM_LEAF_YEARS * VF_TDX_SIM_YEAR,
			 V_TCB_OTHER_CHAIN, V_TCB_OTHER_SIGNER);
out:
	X509_free(other_root);
	EVP_PKEY_free(other_key);
	EVP_PKEY_free(rogue);
	return r;
}

/* --------------------------------------------------------------------------------------- manifests */

static json_t *time_json(int64_t t)
{
	char text[TC_TIME_RFC3339_LEN];
	return tc_is_ok(tc_time_format(t, text)) ? json_string(text) : NULL;
}

static json_t *data_path(const char *file)
{
	char rel[VF_TDX_SIM_PATH_MAX];
	int n = snprintf(rel, sizeof rel, SIM_DATA "/%s", file);

	return n > 0 && (size_t)n < sizeof rel ? json_string(rel) : NULL;
}

/* The collateral map: every role from the copied folder, then the case's overrides. */
static TC_RESULT collateral_json(const struct sim_case *c, json_t **out)
{
	char file[VF_TDX_SIM_PATH_MAX];
	json_t *coll = json_object();
	TC_ENSURE(coll != NULL, TC_ERR_NO_MEMORY, "out of memory");
	for (size_t i = 0; i < SIM_N_ROLES && !c->no_collateral; i++) {
		bool present = true;
		snprintf(file, sizeof file, "collateral/%s", role_files[i]);
		for (size_t k = 0; k < SIM_MAX_OVERRIDES && c->coll[k].role != NULL; k++) {
			if (strcmp(c->coll[k].role, roles[i]) != 0)
				continue;
			present = c->coll[k].file != NULL;
			if (present)
				snprintf(file, sizeof file, "%s", c->coll[k].file);
		}
		if (present && json_object_set_new(coll, roles[i], data_path(file)) != 0) {
			json_decref(coll);
			return tc_fail(TC_ERR_NO_MEMORY, "out of memory");
		}
	}
	*out = coll;
	return tc_ok();
}

static TC_RESULT policy_json(const struct gen *g, const struct sim_case *c, json_t **out)
{
	json_error_t err;
	json_t *p = NULL;
	if (c->reference_match)
		p = json_pack(
			"{s:{s:[s],s:[s,s]}}", "reference_values", "mrtd", g->mrtd_hex, "rtmr0",
			"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
			g->rtmr0_hex);
	else if (c->policy != NULL)
		p = json_loads(c->policy, 0, &err);
	else
		p = json_object();
	if (!json_is_object(p)) {
		json_decref(p);
		return tc_fail(TC_ERR_INTERNAL, "tdx sim: case %s has a bad policy", c->name);
	}
	bool ok = json_object_set_new(p, "expected_report_data", json_string(g->report_data_hex)) == 0;
	if (!c->not_simulated)
		ok = ok && json_object_set_new(p, "allow_simulated", json_true()) == 0;
	if (!ok) {
		json_decref(p);
		return tc_fail(TC_ERR_NO_MEMORY, "out of memory");
	}
	*out = p;
	return tc_ok();
}

static TC_RESULT expect_json(const struct gen *g, const struct sim_case *c, const struct vf_tdx_sim_preset *preset,
			     json_t **out)
{
	struct tc_result r = tc_ok();
	json_t *e = json_pack("{s:s}", "verdict", c->failure != NULL ? "rejected" : "accepted");
	TC_ENSURE(e != NULL, TC_ERR_NO_MEMORY, "out of memory");
	bool ok = c->failure == NULL || json_object_set_new(e, "failure", json_string(c->failure)) == 0;
	if (ok && c->status != NULL && strcmp(c->status, "preset") == 0) {
		json_t *ids = NULL;
		TC_GUARD_GOTO(r, vf_tdx_sim_preset_advisories(preset, &ids), out);
		ok = json_object_set_new(e, "tcb_status", json_string(vf_tcb_status_name(preset->expect))) == 0 &&
		     json_object_set_new(e, "advisory_ids", ids) == 0;
	} else if (ok && c->status != NULL) {
		ok = json_object_set_new(e, "tcb_status", json_string(c->status)) == 0;
	}
	if (ok && c->failure == NULL)
		ok = json_object_set_new(
			     e, "claims",
			     json_pack("{s:s,s:s}", "mrtd", g->mrtd_hex, "report_data", g->report_data_hex)) == 0;
	TC_ENSURE_GOTO(r, ok, out, TC_ERR_NO_MEMORY, "out of memory");
	*out = e;
	e = NULL;
out:
	json_decref(e);
	return r;
}

static TC_RESULT write_manifest(const struct gen *g, const struct sim_case *c, const struct vf_tdx_sim_preset *preset,
				const char *name, const char *quote_rel)
{
	struct tc_result r = tc_ok();
	json_t *coll = NULL, *policy = NULL, *expect = NULL, *m = NULL;
	char *text = NULL, rel[VF_TDX_SIM_PATH_MAX], source[128], created[TC_TIME_RFC3339_LEN];
	int64_t at = g->pki->created_at + (c->verify_at != 0 ? c->verify_at : SIM_VERIFY_AFTER);

	TC_GUARD_GOTO(r, collateral_json(c, &coll), out);
	TC_GUARD_GOTO(r, policy_json(g, c, &policy), out);
	TC_GUARD_GOTO(r, expect_json(g, c, preset, &expect), out);
	TC_GUARD_GOTO(r, tc_time_format(g->pki->created_at, created), out);
	snprintf(source, sizeof source, "teecert sim tdx --cases (simulated PKI created %s)", created);
	m = json_pack("{s:i,s:s,s:s,s:{s:s},s:o,s:{s:o},s:o,s:o,s:o,s:s,s:s}", "schema", 1, "name", name, "tee", "tdx",
		      "evidence", "tdx_quote", quote_rel, "collateral", coll, "trust_anchors", "intel_root",
		      data_path(c->anchor != NULL ? c->anchor : "intel_root.pem"), "verify_at", time_json(at), "policy",
		      policy, "expect", expect, "source", source, "notes",
		      c->notes != NULL ? c->notes : (preset != NULL ? preset->summary : ""));
	coll = policy = expect = NULL; /* stolen by json_pack, even on failure */
	TC_ENSURE_GOTO(r, m != NULL, out, TC_ERR_NO_MEMORY, "case %s: out of memory", name);
	text = json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	TC_ENSURE_GOTO(r, text != NULL, out, TC_ERR_NO_MEMORY, "case %s: out of memory", name);
	snprintf(rel, sizeof rel, "cases/%s.json", name);
	r = write_data(g, rel, text, strlen(text));
out:
	free(text);
	json_decref(m);
	json_decref(coll);
	json_decref(policy);
	json_decref(expect);
	return r;
}

static TC_RESULT write_case(struct gen *g, const struct sim_case *c)
{
	struct tc_result r = tc_ok();
	struct vf_tdx_sim_quote_opts o;
	struct tc_buf quote;
	char name[SIM_NAME_MAX], quote_rel[VF_TDX_SIM_PATH_MAX];
	const struct vf_tdx_sim_preset *preset = vf_tdx_sim_preset_find(c->preset != NULL ? c->preset : "uptodate");

	TC_ENSURE(preset != NULL, TC_ERR_INTERNAL, "tdx sim: case %s names an unknown preset", c->name);
	snprintf(name, sizeof name, SIM_CASE_PREFIX "%s", c->name);
	snprintf(quote_rel, sizeof quote_rel, SIM_DATA "/%s.bin", name);
	tc_buf_init(&quote, TC_BUF_DEFAULT_MAX);
	TC_GUARD_GOTO(r, vf_tdx_sim_quote_opts_init(&o), out);
	vf_tdx_sim_quote_apply_preset(&o, preset);
	memcpy(o.report.report_data, g->report_data, VF_TDX_REPORT_DATA_LEN);
	if (c->knob != NULL)
		c->knob(&o);
	TC_GUARD_GOTO(r, vf_tdx_sim_quote(g->pki, &o, &quote), out);
	TC_GUARD_GOTO(r, write_data(g, quote_rel, quote.data, quote.len), out);
	TC_GUARD_GOTO(r, write_manifest(g, c, preset, name, quote_rel), out);
	g->n++;
out:
	tc_buf_cleanup(&quote);
	return r;
}

static TC_RESULT generate(struct gen *g)
{
	char path[VF_TDX_SIM_PATH_MAX];
	struct vf_tdx_sim_quote_opts o;

	TC_GUARD(vf_sim_mkdir(g->out, 0755));
	TC_GUARD(out_path(g, "cases", path, sizeof path));
	TC_GUARD(vf_sim_mkdir(path, 0755));
	TC_GUARD(out_path(g, SIM_DATA, path, sizeof path));
	TC_GUARD(vf_sim_mkdir(path, 0755));
	TC_GUARD(out_path(g, SIM_DATA "/collateral", path, sizeof path));
	TC_GUARD(vf_sim_mkdir(path, 0755));

	/* The report data every quote carries and the measurements the reference-value cases name. */
	static const char label[] = "teecert/sim/tdx/cases/report-data";
	TC_GUARD(vf_sha512(label, sizeof label - 1, g->report_data));
	TC_GUARD(tc_hex_encode(g->report_data, sizeof g->report_data, g->report_data_hex, sizeof g->report_data_hex));
	TC_GUARD(vf_tdx_sim_quote_opts_init(&o));
	TC_GUARD(tc_hex_encode(o.report.mrtd, sizeof o.report.mrtd, g->mrtd_hex, sizeof g->mrtd_hex));
	TC_GUARD(tc_hex_encode(o.report.rtmr[0], sizeof o.report.rtmr[0], g->rtmr0_hex, sizeof g->rtmr0_hex));

	TC_GUARD(copy_from_pki(g, "intel_root.pem", SIM_DATA "/intel_root.pem"));
	for (size_t i = 0; i < SIM_N_ROLES; i++) {
		char from[VF_TDX_SIM_PATH_MAX], to[VF_TDX_SIM_PATH_MAX];
		snprintf(from, sizeof from, "collateral/%s", role_files[i]);
		snprintf(to, sizeof to, SIM_DATA "/collateral/%s", role_files[i]);
		TC_GUARD(copy_from_pki(g, from, to));
	}
	TC_GUARD(write_variants(g));
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		TC_GUARD(write_case(g, &cases[i]));
	return tc_ok();
}

TC_RESULT vf_tdx_sim_cases(const char *pki_dir, const char *out_dir, size_t *n_cases)
{
	struct gen g;
	memset(&g, 0, sizeof g);
	TC_ENSURE(pki_dir != NULL && out_dir != NULL, TC_ERR_INVALID_ARGUMENT, "tdx sim: folders required");
	g.out = out_dir;
	TC_GUARD(vf_tdx_sim_pki_load(pki_dir, &g.pki));
	struct tc_result r = generate(&g);
	vf_tdx_sim_pki_free(g.pki);
	if (tc_is_ok(r))
		*n_cases = g.n;
	return r;
}
