/*
 * vf_tdx_sim.h — private header of the simulated Intel TDX platform (teecert sim tdx; docs/sim.md "## TDX").
 *
 * Private to verifier/tdx and the unit tests; cli/sim_tdx.c drives the simulator through vf.h's sim section
 * (opaque quote options, knobs by flag name: vf_tdx_sim_door.c). Every byte format is built with the layout
 * constants of vf_tdx.h that the parser reads, so the simulator and the verifier cannot drift apart.
 *
 *   vf_tdx_sim.c        vf_tdx_sim_init: the test vendor PKI, collateral and pki.json
 *   vf_tdx_sim_tcb.c    the simulated platform: TCB levels, module identities, QE identity, presets
 *   vf_tdx_sim_x509.c   keys, certificates (PCK with SGX extensions), CRLs, raw ECDSA, PKI loading
 *   vf_tdx_sim_quote.c  quote v4/v5 builder with knobs
 *   vf_tdx_sim_cases.c  conformance set generator (schema-1 manifests)
 *   vf_tdx_sim_door.c   the vf.h entry points: presets as strings, options behind a pointer, knobs by name
 */
#ifndef VF_TDX_SIM_H
#define VF_TDX_SIM_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "vf_tdx.h"

/* --------------------------------------------------------------------------------- the platform */

#define VF_TDX_SIM_PATH_MAX 4096
#define VF_TDX_SIM_HOUR ((int64_t)3600)
#define VF_TDX_SIM_DAY ((int64_t)86400)
#define VF_TDX_SIM_YEAR (365 * VF_TDX_SIM_DAY)
/* Every certificate starts one day before the PKI's creation time; collateral one hour before it. */
#define VF_TDX_SIM_CERT_LEAD VF_TDX_SIM_DAY
#define VF_TDX_SIM_COLLATERAL_LEAD VF_TDX_SIM_HOUR
#define VF_TDX_SIM_COLLATERAL_DAYS 30 /* TCB info, QE identity and CRLs: nextUpdate = created + 30 days */
#define VF_TDX_SIM_ROOT_YEARS 20
#define VF_TDX_SIM_CA_YEARS 15
#define VF_TDX_SIM_LEAF_YEARS 7 /* PCK and TCB signing certificates */
#define VF_TDX_SIM_SERIAL_LEN 16
#define VF_TDX_SIM_QE_AUTH_LEN 32 /* QE authentication data, as Intel's QE emits it */
#define VF_TDX_SIM_PCESVN 13
#define VF_TDX_SIM_QE_PRODID 2 /* TD_QE ISVPRODID */
#define VF_TDX_SIM_TCB_EVAL_NUMBER 17
#define VF_TDX_SIM_MAX_ADVISORIES 4
#define VF_TDX_SIM_MODULE_LEVELS 2

extern const uint8_t vf_tdx_sim_fmspc[VF_TDX_FMSPC_LEN];       /* the platform's FMSPC */
extern const uint8_t vf_tdx_sim_other_fmspc[VF_TDX_FMSPC_LEN]; /* --fmspc-mismatch */
extern const uint8_t vf_tdx_sim_pceid[VF_TDX_PCEID_LEN];
extern const uint8_t vf_tdx_sim_qe_vendor_id[VF_TDX_QE_VENDOR_ID_LEN];
extern const uint8_t vf_tdx_sim_qe_attributes[VF_TDX_SGX_ATTRIBUTES_LEN];

/* A status of the TCB info / QE identity with its date and advisories (NULL-terminated). */
struct vf_tdx_sim_status {
	enum vf_tcb_status status;
	const char *date;
	const char *advisories[VF_TDX_SIM_MAX_ADVISORIES];
};

/* A platform TCB level: every level has the same SGX components except component 1 (SGX TCB Comp01), which
 * selects it, and the same tdxtcbcomponents. */
struct vf_tdx_sim_platform_level {
	uint8_t sgx_comp1;
	struct vf_tdx_sim_status st;
};

struct vf_tdx_sim_module_level {
	uint8_t isvsvn;
	struct vf_tdx_sim_status st;
};

/* A TDX module identity "TDX_%02X" of tdxModuleIdentities. */
struct vf_tdx_sim_module {
	uint8_t major; /* TEE_TCB_SVN[1] */
	struct vf_tdx_sim_module_level levels[VF_TDX_SIM_MODULE_LEVELS];
};

struct vf_tdx_sim_qe_level {
	uint16_t isvsvn;
	struct vf_tdx_sim_status st;
};

extern const struct vf_tdx_sim_platform_level vf_tdx_sim_platform_levels[];
extern const size_t vf_tdx_sim_n_platform_levels;
extern const struct vf_tdx_sim_module vf_tdx_sim_modules[];
extern const size_t vf_tdx_sim_n_modules;
extern const struct vf_tdx_sim_qe_level vf_tdx_sim_qe_levels[];
extern const size_t vf_tdx_sim_n_qe_levels;

/* The SGX components of a PCK whose component 1 is COMP1 (the others as every level has them). */
void vf_tdx_sim_sgx_components(uint8_t comp1, uint8_t out[VF_TDX_SGX_TCB_COMPONENTS]);
/* The tdxtcbcomponents of every platform level. */
void vf_tdx_sim_tdx_components(uint8_t out[VF_TDX_SVN_LEN]);
/* The simulated TD QE MRSIGNER (SHA-256 of a fixed label) and MRENCLAVE. */
TC_RESULT vf_tdx_sim_qe_mrsigner(uint8_t out[VF_TDX_SGX_HASH_LEN]);
TC_RESULT vf_tdx_sim_qe_mrenclave(uint8_t out[VF_TDX_SGX_HASH_LEN]);

/*
 * TCB presets (teecert sim tdx --tcb-level NAME): which platform level, module level and QE level the quote
 * matches, and what the verifier must conclude.
 */
struct vf_tdx_sim_preset {
	const char *name;
	const char *summary;
	uint8_t sgx_comp1;    /* PCK SGX TCB Comp01 */
	uint8_t module_major; /* TEE_TCB_SVN[1] */
	uint8_t module_svn;   /* TEE_TCB_SVN[0] */
	uint8_t svn2_module;  /* TEE_TCB_SVN2[0] when the preset needs a TDX 1.5 body (relaunch), else 0 */
	uint16_t qe_isvsvn;
	bool level_found;          /* false: tcb_level_not_found */
	enum vf_tcb_status expect; /* the converged status when found */
};

extern const struct vf_tdx_sim_preset vf_tdx_sim_presets[];
extern const size_t vf_tdx_sim_n_presets;
const struct vf_tdx_sim_preset *vf_tdx_sim_preset_find(const char *name);

/*
 * The advisory IDs the verifier must report for PRESET: the union of the matched platform, module and QE
 * levels (a new JSON array), computed from the tables above.
 */
TC_RESULT vf_tdx_sim_preset_advisories(const struct vf_tdx_sim_preset *preset, json_t **out);

/* The signed inner objects of the collateral (compact JSON text, exactly the bytes that get signed). */
TC_RESULT vf_tdx_sim_tcb_info_text(int64_t issue, int64_t next, struct tc_buf *out);
TC_RESULT vf_tdx_sim_qe_identity_text(int64_t issue, int64_t next, struct tc_buf *out);

/* ----------------------------------------------------------------------------- keys and certificates */

/* A loaded simulated PKI (DIR as vf_tdx_sim_init wrote it). */
struct vf_tdx_sim_pki {
	char dir[VF_TDX_SIM_PATH_MAX];
	int64_t created_at;
	X509 *root, *platform_ca, *tcb_signer;
	EVP_PKEY *root_key, *platform_ca_key, *tcb_key, *pck_key, *ak_key;
	ASN1_INTEGER *revoked_pck_serial; /* listed in collateral/pck_crl.der */
};

TC_RESULT vf_tdx_sim_pki_load(const char *dir, struct vf_tdx_sim_pki **out);
void vf_tdx_sim_pki_free(struct vf_tdx_sim_pki *pki);

/* Keys (P-256), PEM files, serials (VF_TDX_SIM_SERIAL_LEN) and folders: vf_sim_* in vf_internal.h. */

/* What a certificate is for (extensions per Intel's SGX PKI profile). */
enum vf_tdx_sim_cert_kind {
	VF_TDX_SIM_CERT_ROOT,       /* self-signed CA, marked simulated */
	VF_TDX_SIM_CERT_CA,         /* Intel SGX PCK Platform CA: CA, pathlen 0 */
	VF_TDX_SIM_CERT_TCB_SIGNER, /* Intel SGX TCB Signing: end entity */
	VF_TDX_SIM_CERT_PCK,        /* Intel SGX PCK Certificate: end entity with the SGX extensions */
};

/* The SGX extension content of a PCK (vf_tdx_pck.c parses it back). */
struct vf_tdx_sim_sgx {
	uint8_t ppid[VF_TDX_PPID_LEN];
	uint8_t comp[VF_TDX_SGX_TCB_COMPONENTS];
	uint16_t pcesvn;
	uint8_t cpusvn[VF_TDX_SVN_LEN];
	uint8_t pceid[VF_TDX_PCEID_LEN];
	uint8_t fmspc[VF_TDX_FMSPC_LEN];
	int sgx_type;
};

struct vf_tdx_sim_cert_spec {
	enum vf_tdx_sim_cert_kind kind;
	const char *cn;
	EVP_PKEY *key;        /* subject public key */
	X509 *issuer;         /* NULL: self-signed */
	EVP_PKEY *issuer_key; /* signs */
	int64_t not_before, not_after;
	const ASN1_INTEGER *serial;       /* NULL: random */
	const struct vf_tdx_sim_sgx *sgx; /* PCK only */
};

TC_RESULT vf_tdx_sim_cert_issue(const struct vf_tdx_sim_cert_spec *spec, X509 **out);
/* The DER of the SGX extension value (for tests of the PCK parser). */
TC_RESULT vf_tdx_sim_sgx_ext_der(const struct vf_tdx_sim_sgx *sgx, struct tc_buf *out);

/* A DER CRL by ISSUER (signed with KEY) listing SERIALS. */
TC_RESULT vf_tdx_sim_crl(X509 *issuer, EVP_PKEY *key, int64_t this_update, int64_t next_update,
			 const ASN1_INTEGER *const *serials, size_t n_serials, struct tc_buf *out);

/* ECDSA P-256 / SHA-256 over DATA as raw r || s (DCAP quote and PCS signatures). */
TC_RESULT vf_tdx_sim_sign_raw(EVP_PKEY *key, const void *data, size_t len, uint8_t sig[VF_TDX_ECDSA_SIG_LEN]);
/* The public key of KEY as x || y. */
TC_RESULT vf_tdx_sim_pubkey_xy(EVP_PKEY *key, uint8_t xy[VF_TDX_ECDSA_KEY_LEN]);
/* A PCS body {"<field>":<inner>,"signature":"<hex>"} around INNER signed by KEY, appended to OUT. */
TC_RESULT vf_tdx_sim_pcs_body(const char *field, const uint8_t *inner, size_t len, EVP_PKEY *key, struct tc_buf *out);

/* ------------------------------------------------------------------------------------------- quotes */

/* What the quote holds and how it is damaged (teecert sim tdx flags). */
struct vf_tdx_sim_quote_opts {
	uint16_t version;            /* header version: 4 or 5 (anything else for negative tests) */
	uint16_t body_type;          /* v5 body descriptor type (2, 3; others for negative tests) */
	struct vf_tdx_report report; /* TD report fields; is_v15 is derived from body_type */
	uint8_t sgx_comp1;           /* PCK SGX TCB Comp01 (selects the platform level) */
	uint16_t qe_isvsvn;
	bool fmspc_mismatch;    /* the PCK names vf_tdx_sim_other_fmspc -> tcb_mismatch */
	bool bad_qe_identity;   /* QE MRSIGNER differs from the QE identity -> qe_identity_mismatch */
	bool bad_quote_sig;     /* -> evidence_signature_invalid */
	bool bad_qe_sig;        /* -> qe_report_signature_invalid */
	bool bad_ak_binding;    /* -> attestation_key_binding_invalid */
	bool bad_pck_chain;     /* PCK signed by a key that is not the Platform CA's -> cert_chain_invalid */
	bool pck_expired;       /* PCK validity ended before the PKI was created -> cert_expired */
	bool pck_revoked;       /* PCK serial listed in pck_crl -> cert_revoked */
	bool wrong_report_data; /* REPORTDATA with its first byte flipped -> nonce_mismatch */
	bool ak_from_keys;      /* keys/attestation_key.pem instead of a fresh key */
	size_t truncate;        /* > 0: keep only the first TRUNCATE bytes -> evidence_malformed */
	size_t trailing;        /* zero bytes appended after the quote (ignored by parsers) */
	X509 *pck;              /* non-NULL: embed this PCK (from vf_tdx_sim_pck_issue; borrowed): one platform's
				 * quotes; NULL: a newly issued PCK per quote */
	EVP_PKEY *ak;           /* non-NULL: this attestation key (P-256, borrowed; one platform's QE), else as
				 * ak_from_keys says */
};

/* Defaults: v4, the uptodate preset, a fixed simulated TD (mrtd, rtmrs, ...), zero report data. */
TC_RESULT vf_tdx_sim_quote_opts_init(struct vf_tdx_sim_quote_opts *o);
/* Apply a TCB preset (TEE_TCB_SVN/SVN2, PCK component, QE ISVSVN; relaunch switches to v5 body type 3). */
void vf_tdx_sim_quote_apply_preset(struct vf_tdx_sim_quote_opts *o, const struct vf_tdx_sim_preset *p);
/* The PCK certificate the quote embeds, as O asks (TCB components, FMSPC, validity, serial, issuer key). */
TC_RESULT vf_tdx_sim_pck_issue(const struct vf_tdx_sim_pki *pki, const struct vf_tdx_sim_quote_opts *o, X509 **out);
/* Build the quote (appended to OUT). */
TC_RESULT vf_tdx_sim_quote(const struct vf_tdx_sim_pki *pki, const struct vf_tdx_sim_quote_opts *o, struct tc_buf *out);

/* ------------------------------------------------------------------------------------------- cases */

/*
 * Write a conformance set for the PKI in PKI_DIR: OUT_DIR/cases/<name>.json (schema 1) and the data files
 * under OUT_DIR/tdx-sim/. *N_CASES gets the number of manifests written.
 */
TC_RESULT vf_tdx_sim_cases(const char *pki_dir, const char *out_dir, size_t *n_cases);


#endif /* VF_TDX_SIM_H */
