/*
 * vf.h — the public door of verifier/ (libtc_verifier): evidence appraisal (DESIGN.md "Appraisal").
 *
 * vf_appraise(input, policy, now) -> appraisal. The appraisal is the one result model used by the CLI, the
 * REST API, the database and the certificate extension. Appraisal is a pure function of its inputs: no
 * clock, no network, no database. A failed appraisal (verdict rejected) is not an error: the function
 * returns TC_OK and the reason is in the appraisal; an error result means the appraisal could not be made
 * at all (out of memory, internal failure).
 */
#ifndef VF_H
#define VF_H

#include "tc.h"

enum vf_tee { VF_TEE_TDX, VF_TEE_SNP, VF_TEE_NVIDIA };

/* "tdx", "snp", "nvidia" */
const char *vf_tee_name(enum vf_tee tee);
TC_RESULT vf_tee_parse(const char *s, enum vf_tee *out);

/* ----------------------------------------------------------------------------------------------- input */

/*
 * One named input item (borrowed bytes). Role names are those of ../shared/evidence/cases/README.md:
 * evidence "tdx_quote", "snp_report", "vcek", "vlek", and per GPU "gpu<N>.spdm", "gpu<N>.cert_chain";
 * collateral "tcb_info", "tcb_info_issuer_chain", "qe_identity", "qe_identity_issuer_chain", "pck_crl",
 * "pck_crl_issuer_chain", "root_ca_crl", "ark_ask_chain", "amd_crl", "driver_rim", "vbios_rim",
 * "ocsp.<...>"; trust anchors "intel_root", "amd_ark", "nvidia_device_root", "nvidia_rim_root".
 */
struct vf_item {
	const char *role;
	const uint8_t *data;
	size_t len;
};

#define VF_MAX_ITEMS 64

struct vf_input {
	enum vf_tee tee;
	struct vf_item evidence[VF_MAX_ITEMS];
	size_t n_evidence;
	struct vf_item collateral[VF_MAX_ITEMS];
	size_t n_collateral;
	struct vf_item anchors[VF_MAX_ITEMS];
	size_t n_anchors;
};

/*
 * The vendor root pinned by default for NAME: "intel_root", "amd_ark_milan", "amd_ark_genoa",
 * "amd_ark_turin", "nvidia_device_root", "nvidia_rim_root" (PEM text, static), or NULL.
 */
const char *vf_default_anchor(const char *name);

/* First item with ROLE in a list, or NULL. */
const struct vf_item *vf_item_find(const struct vf_item *items, size_t n, const char *role);

/* ---------------------------------------------------------------------------------------------- policy */

/* TCB statuses (Intel's strings; SNP/NVIDIA derive UpToDate / OutOfDate). Bit positions in a status set. */
enum vf_tcb_status {
	VF_TCB_UP_TO_DATE,
	VF_TCB_SW_HARDENING_NEEDED,
	VF_TCB_CONFIGURATION_NEEDED,
	VF_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED,
	VF_TCB_OUT_OF_DATE,
	VF_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED,
	VF_TCB_TD_RELAUNCH_ADVISED,
	VF_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED,
	VF_TCB_REVOKED,
	VF_TCB_UNKNOWN,
	VF_TCB__COUNT
};

const char *vf_tcb_status_name(enum vf_tcb_status s);
TC_RESULT vf_tcb_status_parse(const char *s, enum vf_tcb_status *out);

enum vf_tristate { VF_REQUIRED, VF_IF_PRESENT, VF_OFF };

#define VF_REPORT_DATA_LEN 64
#define VF_GPU_NONCE_LEN 32

/* SNP TCB_VERSION components (AMD SEV-SNP ABI; Turin adds FMC). */
struct vf_snp_tcb {
	uint8_t bootloader, tee, snp, microcode, fmc;
};

/*
 * The appraisal policy. Defaults (vf_policy_init): TCB status in {UpToDate, SWHardeningNeeded}; debug
 * rejected; collateral required; revocation checked; GPU RIMs required; OCSP if present.
 * Reference-value allow-lists are JSON objects { claim_name: [ "hex", ... ] } (owned by the policy).
 */
struct vf_policy {
	uint32_t accepted_tcb_statuses; /* bit set of 1u << enum vf_tcb_status */
	bool allow_debug;
	bool require_collateral;
	bool check_revocation;
	enum vf_tristate gpu_rims;
	enum vf_tristate ocsp;
	bool allow_ocsp_on_hold;
	bool has_expected_nonce;
	uint8_t expected_nonce[VF_GPU_NONCE_LEN];
	bool has_expected_report_data;
	uint8_t expected_report_data[VF_REPORT_DATA_LEN];
	bool has_min_snp_tcb;
	struct vf_snp_tcb min_snp_tcb;
	char snp_product[16]; /* "" = any; "Milan", "Genoa", "Turin" */
	bool allow_simulated; /* trust sim roots (never in a trusted network) */
	json_t *reference_values; /* NULL or { "mrtd": ["hex", ...], ... } */
	json_t *extra;            /* other TEE-specific knobs as given (owned), NULL when none */
};

void vf_policy_init(struct vf_policy *p);
void vf_policy_cleanup(struct vf_policy *p);
/* Apply overrides from a JSON object (the case manifest's "policy" or a policy file). Unknown keys fail. */
TC_RESULT vf_policy_from_json(struct vf_policy *p, const json_t *obj);
/* The policy as canonical JSON (every knob, defaults included) and its SHA-256. */
TC_RESULT vf_policy_to_json(const struct vf_policy *p, json_t **out);
TC_RESULT vf_policy_digest(const struct vf_policy *p, uint8_t out[32]);

/* ------------------------------------------------------------------------------------------- appraisal */

#define VF_MAX_DEVICES 16
#define VF_DEVICE_ID_LEN 8

struct vf_device {
	char id[VF_DEVICE_ID_LEN]; /* "cpu0", "gpu0".."gpu15" */
	enum vf_tee tee;
	bool simulated;
	enum vf_tcb_status tcb_status; /* VF_TCB_UNKNOWN when not evaluated */
	bool has_tcb_status;           /* false: reported as null (not reached / not applicable) */
	json_t *advisory_ids;          /* array of strings (owned) */
	json_t *claims;                /* object of claim name -> lowercase hex / number / string (owned) */
};

struct vf_digest {
	char role[48];
	uint8_t sha256[32];
};

struct vf_appraisal {
	bool accepted;
	enum tc_code failure; /* TC_OK when accepted */
	char detail[TC_DETAIL_MAX];
	char remediation[256];
	struct vf_device devices[VF_MAX_DEVICES];
	size_t n_devices;
	uint8_t evidence_digest[32]; /* SHA-256 over the evidence items, in input order */
	uint8_t policy_digest[32];
	struct vf_digest collateral[VF_MAX_ITEMS]; /* every collateral item and anchor used */
	size_t n_collateral;
	int64_t appraised_at; /* the "now" the appraisal used */
	json_t *extra;        /* TEE-specific extra facts (tcb_date, tcb_evaluation_data_number, ...), owned */
};

void vf_appraisal_init(struct vf_appraisal *a);
void vf_appraisal_cleanup(struct vf_appraisal *a);
/* Add a device entry (claims/advisories initialised to empty); NULL when VF_MAX_DEVICES is reached. */
struct vf_device *vf_appraisal_add_device(struct vf_appraisal *a, const char *id, enum vf_tee tee);
/* Record the SHA-256 of a collateral item or anchor used. */
TC_RESULT vf_appraisal_add_digest(struct vf_appraisal *a, const char *role, const void *data, size_t len);
/* Mark the appraisal rejected with FAILURE and a detail; the first rejection wins (later calls ignored). */
void vf_reject(struct vf_appraisal *a, enum tc_code failure, const char *fmt, ...) TC_PRINTF(3, 4);
/* The appraisal as JSON (docs/appraisal.md): verdict, failure, detail, remediation, devices[], digests. */
TC_RESULT vf_appraisal_to_json(const struct vf_appraisal *a, json_t **out);

/*
 * Appraise INPUT under POLICY at time NOW (Unix seconds). Fills OUT (initialised by the callee). Returns an
 * error only when no appraisal could be made; a rejection is reported inside OUT with TC_OK.
 */
TC_RESULT vf_appraise(const struct vf_input *input, const struct vf_policy *policy, int64_t now,
		      struct vf_appraisal *out);

/* Per-TEE appraisers (verifier/tdx, verifier/snp, verifier/nvidia), called by vf_appraise. */
TC_RESULT vf_tdx_appraise(const struct vf_input *input, const struct vf_policy *policy, int64_t now,
			  struct vf_appraisal *out);
TC_RESULT vf_snp_appraise(const struct vf_input *input, const struct vf_policy *policy, int64_t now,
			  struct vf_appraisal *out);
TC_RESULT vf_nvidia_appraise(const struct vf_input *input, const struct vf_policy *policy, int64_t now,
			     struct vf_appraisal *out);

/* ------------------------------------------------------------------------------------ conformance cases */

/* A loaded case manifest (../shared/evidence/cases/SCHEMA.md) with its files read into memory. */
struct vf_case {
	char name[128];
	struct vf_input input;
	struct vf_policy policy;
	int64_t verify_at;
	json_t *manifest; /* owned */
	json_t *expect;   /* borrowed from manifest */
	struct tc_buf files[3 * VF_MAX_ITEMS];
	size_t n_files;
	struct vf_case_roles *roles; /* storage of the item role strings (private) */
};

/* Load PATH; relative file paths are resolved against the folder above the case's folder. */
TC_RESULT vf_case_load(const char *path, struct vf_case *out);
void vf_case_cleanup(struct vf_case *c);
/* Compare an appraisal with the case's expect block; on mismatch DIFF gets a one-line description. */
bool vf_case_check(const struct vf_case *c, const struct vf_appraisal *a, char *diff, size_t diff_size);

/* ------------------------------------------------------------------------- NVIDIA serialized evidence */

/*
 * NVIDIA's serialized GPU evidence JSON (attestation SDK / nvtrust collectors): one object or a list of
 * objects {"arch": "HOPPER", "nonce": "<hex, 32 bytes>", "evidence": "<base64 SPDM request || response>",
 * "certificate": "<base64 of the PEM chain, leaf first>"} (verifier/nvidia/vf_nvidia_evidence.c).
 */
struct vf_nvidia_gpu_evidence {
	char arch[16];
	uint8_t nonce[VF_GPU_NONCE_LEN];
	struct tc_buf spdm;       /* GET_MEASUREMENTS request || MEASUREMENTS response */
	struct tc_buf cert_chain; /* PEM text */
};

struct vf_nvidia_evidence {
	struct vf_nvidia_gpu_evidence gpus[VF_MAX_DEVICES];
	size_t n_gpus;
};

/* Parse the JSON text (TC_ERR_EVIDENCE_MALFORMED with the field named on failure). OUT is initialised here. */
TC_RESULT vf_nvidia_evidence_parse(const char *json, size_t len, struct vf_nvidia_evidence *out);
void vf_nvidia_evidence_cleanup(struct vf_nvidia_evidence *ev);
/* Append "gpu<i>.spdm" / "gpu<i>.cert_chain" items borrowing EV's bytes to INPUT->evidence (tee nvidia). */
TC_RESULT vf_nvidia_evidence_to_input(const struct vf_nvidia_evidence *ev, struct vf_input *input);

/* ---------------------------------------------------------------------------------- simulated TEEs */

/*
 * `teecert sim init DIR`: generate a complete test vendor PKI and collateral for one TEE in DIR (created;
 * private keys 0600 under DIR/keys/). Layout per TEE in docs/sim.md. Sim roots carry the simulated-root
 * marker, so appraisers trust them only with policy.allow_simulated.
 */
TC_RESULT vf_tdx_sim_init(const char *dir);
TC_RESULT vf_snp_sim_init(const char *dir);
TC_RESULT vf_nvidia_sim_init(const char *dir);

/*
 * Emitting simulated evidence (`teecert sim tdx|snp|nvidia`, docs/sim.md). What the generators take is
 * opaque here or plain data; the byte layouts stay behind verifier/<tee>/vf_<tee>_sim.h (the generators and
 * the unit tests), so cli/ needs only this header. Knobs are named as their command-line flags.
 */

/* TDX. The TCB presets of --tcb-level: their number, and preset I's name, the status the verifier must
 * conclude ("tcb_level_not_found" when no level matches) and a summary. */
size_t vf_tdx_sim_n_tcb_levels(void);
void vf_tdx_sim_tcb_level(size_t i, const char **name, const char **expect, const char **summary);
struct vf_tdx_sim_quote_opts;
/* Quote options: the defaults (v4, a fixed simulated TD, zero report data) with the preset TCB_LEVEL
 * applied; an unknown preset is TC_ERR_INVALID_ARGUMENT. */
TC_RESULT vf_tdx_sim_quote_opts_new(const char *tcb_level, struct vf_tdx_sim_quote_opts **out);
void vf_tdx_sim_quote_opts_free(struct vf_tdx_sim_quote_opts **o);
/* Apply knob NAME (the flag without "--": "report-data", "mrtd", "version", "bad-quote-sig", ...; VALUE NULL
 * for a switch). An unknown knob or a bad value is TC_ERR_INVALID_ARGUMENT and changes nothing. */
TC_RESULT vf_tdx_sim_quote_knob(struct vf_tdx_sim_quote_opts *o, const char *name, const char *value);
unsigned vf_tdx_sim_quote_version(const struct vf_tdx_sim_quote_opts *o);
/* The quote O describes, signed by the sim PKI in PKI_DIR, appended to OUT. */
TC_RESULT vf_tdx_sim_quote_make(const char *pki_dir, const struct vf_tdx_sim_quote_opts *o, struct tc_buf *out);
/* The TDX conformance set for the PKI in PKI_DIR: OUT_DIR/cases/<name>.json (schema 1), data under
 * OUT_DIR/tdx-sim/; *N_CASES gets the number of manifests. */
TC_RESULT vf_tdx_sim_cases(const char *pki_dir, const char *out_dir, size_t *n_cases);

/* SNP. RSA modulus of the sim ARK/ASK/ASVK: AMD's size by default; 2048 is much faster to generate. */
#define VF_SNP_SIM_RSA_BITS 4096
#define VF_SNP_SIM_RSA_BITS_FAST 2048
/* vf_snp_sim_init with a chosen RSA size (VF_SNP_SIM_RSA_BITS or _FAST). */
TC_RESULT vf_snp_sim_init_bits(const char *dir, int rsa_bits);
/*
 * The knobs of `teecert sim snp` (one table for the CLI's flags, its --help, and the case generator, so
 * every case names the exact command that reproduces it). NAME is the flag without "--"; ARG is NULL for
 * a switch, else the value's placeholder.
 */
struct vf_snp_sim_knob {
	const char *name;
	const char *arg;
	const char *help;
};
/* The knob table and its length. */
const struct vf_snp_sim_knob *vf_snp_sim_knobs(size_t *n);
/* What to emit (defaults: an UpToDate, VCEK-signed v5 Milan report issued at NOW). */
struct vf_snp_sim_opts;
TC_RESULT vf_snp_sim_opts_new(int64_t now, struct vf_snp_sim_opts **out);
void vf_snp_sim_opts_free(struct vf_snp_sim_opts **o);
/* Apply one knob (VALUE NULL for a switch). Unknown knobs and bad values fail with TC_ERR_INVALID_ARGUMENT. */
TC_RESULT vf_snp_sim_knob_set(struct vf_snp_sim_opts *o, const char *name, const char *value);
/* True when O signs with a VLEK (SIGNING_KEY 1) instead of a VCEK. */
bool vf_snp_sim_opts_vlek(const struct vf_snp_sim_opts *o);
/* A product line of the sim ("Milan", "Genoa", "Turin"); its file-name id ("milan"). */
struct vf_snp_sim_product;
const char *vf_snp_sim_product_id(const struct vf_snp_sim_product *p);
/* What vf_snp_sim_emit produces. */
struct vf_snp_sim_output {
	struct tc_buf report;    /* the ATTESTATION_REPORT (fewer bytes with truncate) */
	struct tc_buf leaf_pem;  /* the VCEK or VLEK certificate */
	struct tc_buf chain_pem; /* ark_ask_chain that issued it: ASK|ASVK + ARK */
	struct tc_buf crl_der;   /* a fresh ARK-signed CRL (lists the ASK/ASVK with vcek_revoked) */
	const struct vf_snp_sim_product *anchor_product; /* whose ARK verifies the leaf (wrong_product_chain!) */
};
void vf_snp_sim_output_init(struct vf_snp_sim_output *out);
void vf_snp_sim_output_cleanup(struct vf_snp_sim_output *out);
/* Emit a report per O from the sim PKI in PKI_DIR. OUT is initialised by the caller. */
TC_RESULT vf_snp_sim_emit(const char *pki_dir, const struct vf_snp_sim_opts *o, struct vf_snp_sim_output *out);
/* DIR (created, 0755) gets OUT's ark_ask_chain.pem and amd_crl.der: a --collateral folder for the key. */
TC_RESULT vf_snp_sim_collateral_write(const struct vf_snp_sim_output *out, const char *dir);
/* The SNP conformance set: OUT_DIR/cases/<name>.json (schema 1) and the data under OUT_DIR/snp-sim/, every
 * path relative to OUT_DIR. verify_at is NOW (or offsets from it). *N_CASES receives the count. */
TC_RESULT vf_snp_sim_cases(const char *pki_dir, const char *out_dir, int64_t now, size_t *n_cases);

/* NVIDIA (H100). Sizes the knobs are checked against. */
#define VF_NV_SIM_MAX_GPUS 8         /* GPUs (BROM + FMC leaf each) in one sim PKI */
#define VF_NV_SIM_BLOCKS 64          /* measurement blocks per MEASUREMENTS response, as H100s return */
#define VF_NV_SIM_NONCE_LEN 32       /* the SPDM nonce (VF_SPDM_NONCE_LEN) */
#define VF_NV_SIM_VERSION_MAX 64     /* driver / VBIOS version strings (VF_RIM_VERSION_MAX) */
#define VF_NV_SIM_TRAILING_MAX 65536 /* bytes after a signature: the SPDM input limit (VF_SPDM_MAX_INPUT) */

enum vf_nv_sim_chain {
	VF_NV_SIM_CHAIN_FULL,         /* FMC leaf, BROM, provisioner ICA, GH100 identity, root */
	VF_NV_SIM_CHAIN_MISSING_LEAF, /* without the FMC leaf */
	VF_NV_SIM_CHAIN_MISSING_ICA,  /* without the provisioner ICA */
	VF_NV_SIM_CHAIN_ROOT_ONLY,    /* the root alone */
};

enum vf_nv_sim_mode { VF_NV_SIM_MODE_LEGACY, VF_NV_SIM_MODE_SPT, VF_NV_SIM_MODE_MPT, VF_NV_SIM_MODE_PPCIE };

/* What the simulated GPUs answer, and how it is damaged (one failure each; docs/sim.md "## NVIDIA"). */
struct vf_nv_sim_knobs {
	size_t gpus; /* 0 or 1..VF_NV_SIM_MAX_GPUS */
	uint8_t nonce[VF_NV_SIM_NONCE_LEN];
	bool wrong_nonce;           /* the last GPU answers another nonce */
	bool bad_sig;               /* gpu0's signature has a flipped bit */
	size_t truncate;            /* gpu0's bytes cut to this length (0: not) */
	size_t trailing;            /* zero bytes appended after each signature */
	enum vf_nv_sim_chain chain; /* gpu0's chain */
	bool swap_chain;            /* GPU i ships GPU (i+1) mod n's chain (needs 2+ GPUs) */
	bool fwid_mismatch;         /* gpu0's FWID opaque field differs from its leaf's */
	bool no_fwid;               /* no FWID opaque field */
	bool expired_leaf;          /* gpu0's FMC leaf is re-issued with a validity window in the past */
	uint8_t mismatch_block;     /* SPDM block index (1..64) whose value differs from the RIMs; 0: none */
	bool nvdec_disabled;        /* NVDEC0 status 0x55: RIM index 35 (block 36) is not compared */
	enum vf_nv_sim_mode mode;
	uint8_t spdm_version;                       /* 0: SPDM 1.1 */
	char driver_version[VF_NV_SIM_VERSION_MAX]; /* "" = the PKI's */
	char vbios_version[VF_NV_SIM_VERSION_MAX];  /* "" = the PKI's */
};

enum vf_nv_sim_rim_fault {
	VF_NV_SIM_RIM_OK,
	VF_NV_SIM_RIM_TAMPERED,       /* a Hash0 edited after signing: reference digest fails */
	VF_NV_SIM_RIM_BAD_SIG,        /* SignatureValue with a flipped bit */
	VF_NV_SIM_RIM_FOREIGN_ROOT,   /* signed by a chain to a freshly generated, unpinned root */
	VF_NV_SIM_RIM_EXPIRED_SIGNER, /* signer certificate expired a year ago */
};

enum vf_nv_sim_rim_kind { VF_NV_SIM_RIM_DRIVER, VF_NV_SIM_RIM_VBIOS };

/* OCSP responses per GPU: its BROM's, then the provisioner ICA's, the GH100 identity's, the RIM signer's and
 * the RIM CA's. */
#define VF_NV_SIM_OCSP_RESPONSES 5
enum vf_nv_sim_ocsp_fault {
	VF_NV_SIM_OCSP_GOOD,
	VF_NV_SIM_OCSP_REVOKED,
	VF_NV_SIM_OCSP_ON_HOLD, /* revoked with reason certificateHold */
	VF_NV_SIM_OCSP_STALE,   /* nextUpdate a day before NOW */
	VF_NV_SIM_OCSP_BAD_SIG, /* one bit of the response signature flipped */
};
enum vf_nv_sim_ocsp_target { VF_NV_SIM_OCSP_TARGET_GPU, VF_NV_SIM_OCSP_TARGET_RIM };

/* A loaded sim PKI (the folder of vf_nvidia_sim_init). */
struct vf_nv_sim_pki;
TC_RESULT vf_nv_sim_pki_load(const char *dir, struct vf_nv_sim_pki **out);
void vf_nv_sim_pki_free(struct vf_nv_sim_pki **pki);
/* Per GPU (K->gpus, 0 = 1) its SPDM GET_MEASUREMENTS || MEASUREMENTS bytes and PEM chain, appended to SPDM[i]
 * and CHAINS[i] (VF_NV_SIM_MAX_GPUS buffers each). */
TC_RESULT vf_nv_sim_evidence(const struct vf_nv_sim_pki *pki, const struct vf_nv_sim_knobs *k, int64_t now,
			     struct tc_buf *spdm, struct tc_buf *chains);
/* The driver or VBIOS RIM (signed SWID XML) for VERSION (NULL: the PKI's) with FAULT, appended to OUT. */
TC_RESULT vf_nv_sim_rim(const struct vf_nv_sim_pki *pki, enum vf_nv_sim_rim_kind kind, const char *version,
			enum vf_nv_sim_rim_fault fault, int64_t now, struct tc_buf *out);
/* GPU's OCSP responses (DER) in the order above; FAULT hits TARGET's response. */
TC_RESULT vf_nv_sim_ocsp(const struct vf_nv_sim_pki *pki, size_t gpu, enum vf_nv_sim_ocsp_fault fault,
			 enum vf_nv_sim_ocsp_target target, int64_t now, struct tc_buf out[VF_NV_SIM_OCSP_RESPONSES]);
/* The NVIDIA conformance set (schema-1 manifests under OUT_DIR/cases); *N_CASES receives the count. */
TC_RESULT vf_nv_sim_cases(const char *pki_dir, const char *out_dir, int64_t now, size_t *n_cases);

/* ----------------------------------------------------------------------------------- evidence binding */

/*
 * DESIGN.md "Evidence binding" (verifier/vf_binding.c):
 *   report_data = SHA-512("teecert/v1" || SHA-256(SPKI DER) || nonce || workload_info_hash?)  (64 bytes)
 *   gpu_nonce   = SHA-256("teecert/gpu/v1" || SHA-256(SPKI DER) || nonce)                     (32 bytes)
 * NONCE is the 32-byte challenge of POST /v1/challenges; WORKLOAD_INFO_HASH is NULL or 32 bytes (SHA-256 of
 * the RFC 8785 canonical workload info).
 */
#define VF_BINDING_NONCE_LEN 32
#define VF_BINDING_HASH_LEN 32

TC_RESULT vf_binding_report_data(const uint8_t *spki_der, size_t spki_len, const uint8_t nonce[VF_BINDING_NONCE_LEN],
				 const uint8_t *workload_info_hash, uint8_t out[VF_REPORT_DATA_LEN]);
TC_RESULT vf_binding_gpu_nonce(const uint8_t *spki_der, size_t spki_len, const uint8_t nonce[VF_BINDING_NONCE_LEN],
			       uint8_t out[VF_GPU_NONCE_LEN]);
/* The SubjectPublicKeyInfo DER of a PEM CSR (PKCS #10), after checking the CSR's self-signature; appended to
 * OUT. A CSR that does not parse or verify -> TC_ERR_INVALID_ARGUMENT. */
TC_RESULT vf_binding_csr_spki(const char *csr_pem, size_t len, struct tc_buf *out);
/* workload_info_hash = SHA-256 of the RFC 8785 (JCS) canonical JSON of INFO (DESIGN.md "Certificates"). */
TC_RESULT vf_binding_workload_info_hash(const json_t *info, uint8_t out[VF_BINDING_HASH_LEN]);

/* ------------------------------------------------------------------------ evidence collection (real TEEs) */

/*
 * Collect CPU evidence on a confidential VM (docs/collect.md): Linux configfs-tsm first, then the
 * /dev/tdx_guest and /dev/sev-guest ioctls as fallbacks. NULL paths take the defaults below.
 */
#define VF_TSM_DEFAULT_ROOT "/sys/kernel/config/tsm/report"
#define VF_TDX_GUEST_DEVICE "/dev/tdx_guest"
#define VF_SEV_GUEST_DEVICE "/dev/sev-guest"
#define VF_NVML_DEFAULT_LIB "libnvidia-ml.so.1"
#define VF_COLLECT_TRIED_MAX 1024
#define VF_COLLECT_NAME_MAX 32

struct vf_collect_options {
	const char *tsm_root;   /* NULL: VF_TSM_DEFAULT_ROOT */
	const char *tdx_device; /* NULL: VF_TDX_GUEST_DEVICE */
	const char *sev_device; /* NULL: VF_SEV_GUEST_DEVICE */
	int privlevel;          /* configfs-tsm privlevel / SNP VMPL to request; -1: leave the default */
	bool no_fallback;       /* configfs-tsm only (no ioctl fallbacks) */
};

/* Collected CPU evidence (owned buffers). */
struct vf_cpu_evidence {
	enum vf_tee tee;
	char provider[VF_COLLECT_NAME_MAX];  /* configfs-tsm provider: "tdx_guest", "sev_guest" */
	char interface[VF_COLLECT_NAME_MAX]; /* "configfs-tsm", "tdx_guest-ioctl", "sev_guest-ioctl" */
	bool td_report_only;  /* TDX ioctl fallback: a TDREPORT (MAC'd locally), not a quote; not verifiable */
	struct tc_buf evidence;      /* TDX quote | TDX TDREPORT | SNP attestation report */
	struct tc_buf cert_table;    /* SNP: the raw GUID certificate table (auxblob / extended report), or empty */
	bool is_vlek;                /* SNP: the endorsement key in `endorsement` is a VLEK */
	struct tc_buf endorsement;   /* SNP: VCEK or VLEK (DER) from the table, or empty */
	struct tc_buf ark_ask_chain; /* SNP: ASK (or ASVK) then ARK as PEM, from the table, or empty */
	char tried[VF_COLLECT_TRIED_MAX]; /* which interfaces were tried and what the kernel said */
};

void vf_cpu_evidence_cleanup(struct vf_cpu_evidence *ev);

/*
 * Ask the TEE for evidence carrying REPORT_DATA. OUT is initialised here. No TEE interface present ->
 * TC_ERR_UNSUPPORTED with every interface tried in the detail; an interface present but failing (permission,
 * busy, racing writer, the evidence not carrying REPORT_DATA) -> TC_ERR_IO naming the interface and errno text.
 */
TC_RESULT vf_collect_cpu(const struct vf_collect_options *opt, const uint8_t report_data[VF_REPORT_DATA_LEN],
			 struct vf_cpu_evidence *out);

/*
 * A TDX quote carrying REPORT_DATA, appended to OUT: collected from this machine's TEE when SIM_PKI is NULL
 * (a TD report without a quoting service is refused), or made by the simulated Intel PKI in the folder
 * SIM_PKI (`teecert sim tdx --init`; only untrusted networks accept it). Used for a CA's own evidence
 * (teecert-ca init, enroll) and by clients (teecert request).
 */
TC_RESULT vf_tdx_quote_for(const char *sim_pki, const uint8_t report_data[VF_REPORT_DATA_LEN], struct tc_buf *out);

/*
 * Collect every GPU's evidence through NVML (dlopen of NVML_PATH, NULL: VF_NVML_DEFAULT_LIB): confidential
 * computing must be on; per GPU the SPDM GET_MEASUREMENTS request || response for NONCE and the attestation
 * certificate chain (PEM). OUT is initialised here. Library missing -> TC_ERR_UNSUPPORTED; NVML errors ->
 * TC_ERR_IO with nvmlErrorString's text; a report for another nonce -> TC_ERR_NONCE_MISMATCH.
 */
TC_RESULT vf_nvidia_collect(const char *nvml_path, const uint8_t nonce[VF_GPU_NONCE_LEN],
			    struct vf_nvidia_evidence *out);

/* ------------------------------------------------------------------------------- vendor collateral items */

/*
 * One vendor collateral item as the collateral service fetches and caches it (verifier/vf_collateral.c,
 * docs/collateral.md). vf_collateral_verify authenticates an item BEFORE it is cached, with the TEE
 * appraisers' own chain/signature code: signer chain to the pinned vendor root and its validity at NOW, the
 * signature over the exact bytes, the item's own validity window at NOW, and that the content is the item
 * that was asked for (WANT_KEY).
 */
enum vf_coll_kind {
	VF_COLL_TCB_INFO,      /* intel: PCS TDX TCB Info body; chain = TCB-Info-Issuer-Chain */
	VF_COLL_QE_IDENTITY,   /* intel: PCS TD_QE identity body; chain = SGX-Enclave-Identity-Issuer-Chain */
	VF_COLL_PCK_CRL,       /* intel: PCK CRL (DER); chain = SGX-PCK-CRL-Issuer-Chain */
	VF_COLL_ROOT_CA_CRL,   /* intel: Intel SGX Root CA CRL (DER), signed by the root */
	VF_COLL_VCEK,          /* amd: VCEK (DER) per chip and TCB; chain = the product's ark_ask_chain */
	VF_COLL_ARK_ASK_CHAIN, /* amd: KDS vcek cert_chain, ASK + ARK (PEM) */
	VF_COLL_ASVK_CHAIN,    /* amd: KDS vlek cert_chain, ASVK + ARK (PEM) */
	VF_COLL_AMD_CRL,       /* amd: KDS CRL (DER), signed by the ARK */
	VF_COLL_RIM,           /* nvidia: RIM (SWID XML) by RIM id */
	VF_COLL_OCSP,          /* nvidia: OCSP response (DER); chain = certificate || issuer (PEM) */
	VF_COLL__COUNT
};

#define VF_COLL_KEY_MAX 512

/* "tcb_info", ..., "ocsp" and back; the vendor of a kind ("intel", "amd", "nvidia"). */
const char *vf_coll_kind_name(enum vf_coll_kind kind);
TC_RESULT vf_coll_kind_parse(const char *s, enum vf_coll_kind *out);
const char *vf_coll_kind_vendor(enum vf_coll_kind kind);
/* True for items that never change once issued (VCEK per chip+TCB, AMD chains, RIM per id). */
bool vf_coll_kind_immutable(enum vf_coll_kind kind);

/* What verification found out about an item. */
struct vf_coll_check {
	char key[VF_COLL_KEY_MAX];  /* the item's identity derived from its content (the cache key) */
	bool has_window;            /* false for immutable items */
	int64_t not_before;         /* issueDate / thisUpdate */
	int64_t next_update;        /* nextUpdate */
	int64_t signer_not_after;   /* earliest notAfter along the signer chain (0: not applicable) */
};

/*
 * Bring fetched bytes into the stored form: CRLs in PEM or hex -> DER; an NVIDIA RIM service JSON envelope
 * ({"id","rim":"<base64 XML>",...}) -> the XML; everything else unchanged. Appended to OUT.
 */
TC_RESULT vf_collateral_normalize(enum vf_coll_kind kind, const uint8_t *raw, size_t len, struct tc_buf *out);

/*
 * Verify one item (normalised form) at NOW. CHAIN: the issuer chain the kind needs (see enum vf_coll_kind),
 * NULL otherwise. ANCHOR: the pinned root (PEM/DER), NULL for the vendor default (vf_default_anchor; AMD by
 * the product the item names). WANT_KEY: the key the item was requested under, or NULL to accept any (import
 * derives the key). Failures use the appraisal vocabulary: cert_chain_invalid / cert_expired (signer chain),
 * collateral_signature_invalid, collateral_expired (window), rim_chain_invalid / rim_signature_invalid,
 * tcb_mismatch (the content is another item than WANT_KEY).
 */
TC_RESULT vf_collateral_verify(enum vf_coll_kind kind, const uint8_t *raw, size_t len, const uint8_t *chain,
			       size_t chain_len, const uint8_t *anchor, size_t anchor_len, const char *want_key,
			       int64_t now, struct vf_coll_check *out);

/* DER OCSP request for the first certificate of CHAIN_PEM issued by the second (NVIDIA OCSP), no nonce,
 * appended to OUT; KEY (VF_COLL_KEY_MAX bytes) gets the certificate's serial in hex (the ocsp item key). */
TC_RESULT vf_collateral_ocsp_request(const uint8_t *chain_pem, size_t len, struct tc_buf *out, char *key);

/* One collateral item an input's evidence needs (verifier/vf_collateral_needs.c). */
#define VF_COLL_ROLE_MAX 48
#define VF_COLL_NEEDS_MAX 40
struct vf_coll_need {
	enum vf_coll_kind kind;
	char key[VF_COLL_KEY_MAX];          /* the service key (docs/collateral.md), e.g. FMSPC hex, RIM id */
	char role[VF_COLL_ROLE_MAX];        /* role the appraiser reads: "tcb_info", "ark_ask_chain", "driver_rim.1" */
	char chain_role[VF_COLL_ROLE_MAX];  /* role of the item's issuer chain ("tcb_info_issuer_chain"), "" if none */
	bool evidence;                      /* the item belongs to IN->evidence (a VCEK the evidence lacks) */
	/* kind ocsp: the certificate is number CERT_INDEX (leaf = 0) of the chain SRC_ROLE (evidence
	 * "gpu0.cert_chain", or the signer chain of collateral "driver_rim"), its issuer the next one
	 * (vf_collateral_ocsp_pair builds the pair) */
	char src_role[VF_COLL_ROLE_MAX];
	int cert_index;
	bool simulated; /* kind ocsp: the chain ends at a simulated root (`teecert sim`), unknown to NVIDIA */
};

/* What vf_collateral_needs_opts adds to the evidence's own needs. */
struct vf_coll_needs_opts {
	const char *snp_product; /* "Milan" | "Genoa" | "Turin": product of an SNP report that names none, or NULL */
	bool ocsp;               /* NVIDIA: OCSP responses for the GPU and RIM chains (key = serial hex) */
	bool rim_ocsp_only;      /* NVIDIA: only the RIM chains' OCSP (a second pass once the RIMs are in) */
};

/*
 * Which vendor collateral IN's evidence needs (pure; no network). TDX: tcb_info by the FMSPC of the quote's
 * PCK certificate (+ tcb_info_issuer_chain), qe_identity td_qe, pck_crl of the PCK issuer (platform or
 * processor, + pck_crl_issuer_chain), root_ca_crl root. SNP: the product's ark_ask_chain (asvk_chain for a
 * VLEK, under the role ark_ask_chain), amd_crl, and the VCEK (Product/CHIPID/TCB of the report) when the
 * evidence has neither VCEK nor VLEK; the product comes from the endorsement key, else from the report's
 * CPUID (v3+). NVIDIA: per GPU the driver RIM NV_GPU_DRIVER_<chip>_<version> and the VBIOS RIM
 * NV_GPU_VBIOS_<project>_<project sku>_<chip sku>_<VERSION> (nvtrust's RIM ids), each id once. Best effort:
 * what cannot be derived because the evidence does not parse is left out (the appraisal then names the
 * evidence failure); fails only on bad arguments or more than MAX needs (TC_ERR_TOO_LARGE).
 */
TC_RESULT vf_collateral_needs(const struct vf_input *in, struct vf_coll_need *out, size_t max, size_t *n);
/*
 * vf_collateral_needs with OPTS (NULL: none). snp_product: a report without CPUID (v2) and without an
 * endorsement key names no product; then this one is assumed (ark_ask_chain, amd_crl, vcek of that product).
 * ocsp: the certificates the NVIDIA appraiser asks OCSP about, each serial once: per GPU chain every one but
 * the leaf and the root (roles "ocsp.gpuN.I"), per RIM already in IN->collateral every one of its signer
 * chain but the root ("ocsp.driver_rim.I", ...); after a last certificate that is not self-issued, the
 * input's or the pinned nvidia_device_root / nvidia_rim_root is its issuer.
 */
TC_RESULT vf_collateral_needs_opts(const struct vf_input *in, const struct vf_coll_needs_opts *opts,
				   struct vf_coll_need *out, size_t max, size_t *n);
/* The PEM "certificate || issuer" an ocsp NEED of IN asks about (the chain of api_collateral_fetch_ocsp),
 * appended to OUT; TC_ERR_CERT_CHAIN_INVALID when IN does not hold it. */
TC_RESULT vf_collateral_ocsp_pair(const struct vf_input *in, const struct vf_coll_need *need, struct tc_buf *out);

#endif /* VF_H */
