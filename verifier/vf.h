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

#endif /* VF_H */
