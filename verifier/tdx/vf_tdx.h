/*
 * vf_tdx.h — private header of the Intel TDX appraiser (verifier/tdx/). Not part of the public door vf.h.
 *
 * Layout of the pieces (docs/tdx.md):
 *   vf_tdx_quote.c     quote v4/v5 parser (Intel TDX DCAP Quoting Library API, Appendix A "Quote Format")
 *   vf_tdx_pck.c       Intel SGX extensions of the PCK certificate (SGX PCK Certificate and CRL Profile)
 *   vf_tdx_json.c      PCS v4 bodies: signed-span scanner, TCB Info v3 (TDX), QE Identity v2 (TD_QE)
 *   vf_tdx_cache.c     bounded, thread-safe memo of time-independent verification results
 *   vf_tdx_chain.c     PCK / collateral signer chains and CRLs to the pinned Intel root (memoized)
 *   vf_tdx_tcb.c       TCB level matching and status convergence as Intel QVL does it
 *   vf_tdx_appraise.c  vf_tdx_appraise: the check order of ../shared/evidence/cases/README.md
 *   vf_tdx_sim*.c      the simulated platform (teecert sim tdx), built with the constants below (vf_tdx_sim.h)
 */
#ifndef VF_TDX_H
#define VF_TDX_H

#include <openssl/x509.h>

#include "vf.h"

/* ------------------------------------------------------------------------------------ quote constants */

/* Intel TDX DCAP Quoting Library API, A.3 "Version 4 Quote Format" / A.4 "Version 5 Quote Format". */
#define VF_TDX_QUOTE_V4 4
#define VF_TDX_QUOTE_V5 5
#define VF_TDX_HEADER_LEN 48
#define VF_TDX_QE_VENDOR_ID_LEN 16
#define VF_TDX_USER_DATA_LEN 20
#define VF_TDX_TEE_TYPE_TDX 0x00000081u
#define VF_TDX_ATT_KEY_ECDSA_P256 2      /* ECDSA-256-with-P-256 curve */
#define VF_TDX_BODY_TD_REPORT10 2        /* v5 body type: TD report of TDX 1.0 */
#define VF_TDX_BODY_TD_REPORT15 3        /* v5 body type: TD report of TDX 1.5 */
#define VF_TDX_TD_REPORT10_LEN 584
#define VF_TDX_TD_REPORT15_LEN 648
#define VF_TDX_CERT_PCK_CHAIN 5          /* certification data type: PCK leaf || intermediate || root, PEM */
#define VF_TDX_CERT_QE_REPORT 6          /* certification data type: QE report certification data */
#define VF_TDX_QE_REPORT_LEN 384         /* SGX REPORT body */
#define VF_TDX_ECDSA_SIG_LEN 64          /* r || s, big-endian */
#define VF_TDX_ECDSA_COORD_LEN 32
#define VF_TDX_ECDSA_KEY_LEN 64          /* x || y, big-endian */
#define VF_TDX_SVN_LEN 16                /* TEE_TCB_SVN, TEE_TCB_SVN2, CPUSVN */
#define VF_TDX_MEASUREMENT_LEN 48        /* SHA-384 registers */
#define VF_TDX_ATTRIBUTES_LEN 8
#define VF_TDX_REPORT_DATA_LEN 64
#define VF_TDX_RTMR_COUNT 4
#define VF_TDX_SGX_ATTRIBUTES_LEN 16
#define VF_TDX_SGX_HASH_LEN 32           /* MRENCLAVE / MRSIGNER */
#define VF_TDX_QE_AUTH_MAX 4096          /* sanity limit of the QE authentication data */
#define VF_TDX_FMSPC_LEN 6
#define VF_TDX_PCEID_LEN 2
#define VF_TDX_PPID_LEN 16
#define VF_TDX_SHA256_LEN 32
#define VF_TDX_TD_ATTR_DEBUG 0x01u       /* TDATTRIBUTES bit 0 (TUD.DEBUG), first byte */
#define VF_TDX_BODY_TYPE_LEN 2           /* v5 TD Quote Body Descriptor: type u16 */
#define VF_TDX_BODY_SIZE_LEN 4           /* v5 TD Quote Body Descriptor: size u32 */
#define VF_TDX_CERT_TYPE_LEN 2           /* certification data: type u16 */
#define VF_TDX_CERT_SIZE_LEN 4           /* certification data: size u32 */
#define VF_TDX_QE_AUTH_SIZE_LEN 2        /* QE authentication data: size u16 */

/* SGX REPORT body of the QE (SGX Developer Reference, "REPORT"): the reserved gaps between its fields. */
#define VF_TDX_QE_MISCSELECT_LEN 4
#define VF_TDX_QE_RESERVED1_LEN 28       /* after MISCSELECT (offset 20) */
#define VF_TDX_QE_RESERVED2_LEN 32       /* after MRENCLAVE (offset 96) */
#define VF_TDX_QE_RESERVED3_LEN 96       /* after MRSIGNER (offset 160) */
#define VF_TDX_QE_RESERVED4_LEN 60       /* after ISVSVN (offset 260) */

/* TD report (TDX module ABI TDREPORT / quote body), TDX 1.0 fields plus the TDX 1.5 additions. */
struct vf_tdx_report {
	uint8_t tee_tcb_svn[VF_TDX_SVN_LEN];
	uint8_t mrseam[VF_TDX_MEASUREMENT_LEN];
	uint8_t mrsignerseam[VF_TDX_MEASUREMENT_LEN];
	uint8_t seam_attributes[VF_TDX_ATTRIBUTES_LEN];
	uint8_t td_attributes[VF_TDX_ATTRIBUTES_LEN];
	uint8_t xfam[VF_TDX_ATTRIBUTES_LEN];
	uint8_t mrtd[VF_TDX_MEASUREMENT_LEN];
	uint8_t mrconfigid[VF_TDX_MEASUREMENT_LEN];
	uint8_t mrowner[VF_TDX_MEASUREMENT_LEN];
	uint8_t mrownerconfig[VF_TDX_MEASUREMENT_LEN];
	uint8_t rtmr[VF_TDX_RTMR_COUNT][VF_TDX_MEASUREMENT_LEN];
	uint8_t report_data[VF_TDX_REPORT_DATA_LEN];
	bool is_v15; /* body type 3: the two fields below are present */
	uint8_t tee_tcb_svn2[VF_TDX_SVN_LEN];
	uint8_t mrservicetd[VF_TDX_MEASUREMENT_LEN];
};

/* SGX REPORT body of the QE (SGX Developer Reference, REPORT structure), the fields we use. */
struct vf_tdx_qe_report {
	uint8_t cpusvn[VF_TDX_SVN_LEN];
	uint32_t miscselect;
	uint8_t attributes[VF_TDX_SGX_ATTRIBUTES_LEN];
	uint8_t mrenclave[VF_TDX_SGX_HASH_LEN];
	uint8_t mrsigner[VF_TDX_SGX_HASH_LEN];
	uint16_t isvprodid;
	uint16_t isvsvn;
	uint8_t report_data[VF_TDX_REPORT_DATA_LEN];
};

/* A parsed quote. Pointers borrow the caller's bytes. */
struct vf_tdx_quote {
	uint16_t version;
	uint16_t att_key_type;
	uint32_t tee_type;
	uint16_t body_type; /* v4: always VF_TDX_BODY_TD_REPORT10 */
	const uint8_t *qe_vendor_id;
	const uint8_t *signed_data; /* header (+ v5 body descriptor) + body */
	size_t signed_len;
	struct vf_tdx_report report;
	const uint8_t *signature;  /* VF_TDX_ECDSA_SIG_LEN */
	const uint8_t *att_key;    /* VF_TDX_ECDSA_KEY_LEN */
	const uint8_t *qe_report_raw; /* VF_TDX_QE_REPORT_LEN, the bytes the PCK signed */
	struct vf_tdx_qe_report qe_report;
	const uint8_t *qe_report_sig; /* VF_TDX_ECDSA_SIG_LEN */
	const uint8_t *qe_auth;
	size_t qe_auth_len;
	const uint8_t *pck_pem; /* certification data type 5 */
	size_t pck_pem_len;
	size_t quote_len; /* declared length; bytes after it are ignored */
};

/*
 * Parse a v4/v5 TDX quote by its declared lengths (trailing bytes allowed). Unsupported version, TEE type,
 * key type, body type or certification data type -> TC_ERR_EVIDENCE_UNSUPPORTED_VERSION; structure/length
 * errors -> TC_ERR_EVIDENCE_MALFORMED. The detail names the field and the value found.
 */
TC_RESULT vf_tdx_quote_parse(const uint8_t *data, size_t len, struct vf_tdx_quote *out);

/* ------------------------------------------------------------------------------- PCK SGX extensions */

#define VF_TDX_SGX_TCB_COMPONENTS 16
/* "Intel SGX PCK Certificate and CRL Profile": the extension and its entries (sgxExtensionId = OID.N). */
#define VF_TDX_SGX_EXT_OID "1.2.840.113741.1.13.1"
#define VF_TDX_SGX_EXT_PPID 1
#define VF_TDX_SGX_EXT_TCB 2
#define VF_TDX_SGX_EXT_PCEID 3
#define VF_TDX_SGX_EXT_FMSPC 4
#define VF_TDX_SGX_EXT_SGX_TYPE 5
#define VF_TDX_SGX_TCB_PCESVN 17 /* OID.2.17; .2.1 .. .2.16 are the component SVNs */
#define VF_TDX_SGX_TCB_CPUSVN 18 /* OID.2.18 */

/* Intel SGX PCK Certificate and CRL Profile, "Intel SGX Extensions" (OID 1.2.840.113741.1.13.1). */
struct vf_tdx_sgx_ext {
	uint8_t ppid[VF_TDX_PPID_LEN];
	uint8_t comp[VF_TDX_SGX_TCB_COMPONENTS]; /* SGX TCB Comp01..16 SVN */
	uint16_t pcesvn;
	uint8_t cpusvn[VF_TDX_SVN_LEN];
	uint8_t pceid[VF_TDX_PCEID_LEN];
	uint8_t fmspc[VF_TDX_FMSPC_LEN];
	int sgx_type; /* 0 Standard, 1 Scalable, 2 Scalable with Integrity */
};

/* Parse the SGX extensions of a PCK certificate (DER via OpenSSL ASN.1); -> TC_ERR_CERT_CHAIN_INVALID. */
TC_RESULT vf_tdx_sgx_ext_parse(X509 *pck, struct vf_tdx_sgx_ext *out);
/* Same from the extension's DER value (the OCTET STRING contents); for tests and fuzzing. */
TC_RESULT vf_tdx_sgx_ext_parse_der(const uint8_t *der, size_t len, struct vf_tdx_sgx_ext *out);

/* -------------------------------------------------------------------------------- PCS v4 collateral */

#define VF_TDX_ID_MAX 16
#define VF_TDX_DATE_MAX 32

/* A status with its advisories and date, as a TCB level of any kind carries. */
struct vf_tdx_level_status {
	enum vf_tcb_status status;
	char tcb_date[VF_TDX_DATE_MAX];
	json_t *advisory_ids; /* array of strings (owned; read-only once cached) */
};

struct vf_tdx_tcb_level {
	uint8_t sgx[VF_TDX_SGX_TCB_COMPONENTS];
	uint16_t pcesvn;
	uint8_t tdx[VF_TDX_SVN_LEN];
	struct vf_tdx_level_status st;
};

struct vf_tdx_module_level {
	uint8_t isvsvn;
	struct vf_tdx_level_status st;
};

struct vf_tdx_module_identity {
	char id[VF_TDX_ID_MAX]; /* "TDX_01" */
	uint8_t mrsigner[VF_TDX_MEASUREMENT_LEN];
	uint8_t attributes[VF_TDX_ATTRIBUTES_LEN];
	uint8_t attributes_mask[VF_TDX_ATTRIBUTES_LEN];
	struct vf_tdx_module_level *levels;
	size_t n_levels;
};

/* PCS API v4 "TCB Info" v3 for TDX (id "TDX"). */
struct vf_tdx_tcb_info {
	char id[VF_TDX_ID_MAX];
	int version;
	int64_t issue_date, next_update;
	uint8_t fmspc[VF_TDX_FMSPC_LEN];
	uint8_t pceid[VF_TDX_PCEID_LEN];
	int64_t tcb_type;
	int64_t tcb_evaluation_data_number;
	bool has_module;
	struct vf_tdx_module_identity module; /* tdxModule (no id, no levels) */
	struct vf_tdx_module_identity *identities;
	size_t n_identities;
	struct vf_tdx_tcb_level *levels;
	size_t n_levels;
};

struct vf_tdx_qe_level {
	uint16_t isvsvn;
	struct vf_tdx_level_status st;
};

/* PCS API v4 "Enclave Identity" v2 for the TD quoting enclave (id "TD_QE"). */
struct vf_tdx_qe_identity {
	char id[VF_TDX_ID_MAX];
	int version;
	int64_t issue_date, next_update;
	int64_t tcb_evaluation_data_number;
	uint32_t miscselect, miscselect_mask; /* as the hex strings read, big-endian, like Intel QVL */
	uint8_t attributes[VF_TDX_SGX_ATTRIBUTES_LEN];
	uint8_t attributes_mask[VF_TDX_SGX_ATTRIBUTES_LEN];
	uint8_t mrsigner[VF_TDX_SGX_HASH_LEN];
	uint16_t isvprodid;
	struct vf_tdx_qe_level *levels;
	size_t n_levels;
};

/*
 * Split a PCS response body {"<field>":{...},"signature":"hex"} (any member order, JSON whitespace allowed)
 * into the exact byte span of the <field> value (what the signature covers) and the 64-byte r||s signature.
 * The whole body must be one valid JSON object without duplicate keys. -> TC_ERR_COLLATERAL_SIGNATURE_INVALID.
 */
TC_RESULT vf_tdx_pcs_split(const uint8_t *body, size_t len, const char *field, size_t *span_off, size_t *span_len,
			   uint8_t sig[VF_TDX_ECDSA_SIG_LEN]);

/* Parse the signed inner object of a TCB Info / QE Identity body. Failures: TC_ERR_COLLATERAL_SIGNATURE_INVALID
 * (content malformed) or TC_ERR_TCB_MISMATCH (not a TDX v3 TCB info / TD_QE v2 identity). */
TC_RESULT vf_tdx_tcb_info_parse(const uint8_t *json, size_t len, struct vf_tdx_tcb_info **out);
void vf_tdx_tcb_info_free(struct vf_tdx_tcb_info *t);
TC_RESULT vf_tdx_qe_identity_parse(const uint8_t *json, size_t len, struct vf_tdx_qe_identity **out);
void vf_tdx_qe_identity_free(struct vf_tdx_qe_identity *q);

/* ------------------------------------------------------------------------------------------ memo cache */

/* Every memoized value starts with this header; the cache and each borrower hold one reference. */
struct vf_tdx_memo {
	unsigned refs;
	void (*destroy)(struct vf_tdx_memo *m);
};

/* Set-associative: a key (a SHA-256, so uniform) lives in one set of VF_TDX_CACHE_WAYS slots, least recently
 * used evicted. Large enough for the PCK chains and attestation keys of a fleet of a few hundred platforms
 * plus the collateral (a fully associative LRU smaller than the working set misses on every access). */
#define VF_TDX_CACHE_SLOTS 2048
#define VF_TDX_CACHE_WAYS 8

/* Look KEY up; on a hit the value is returned with a reference taken (release it). NULL on a miss. */
struct vf_tdx_memo *vf_tdx_cache_get(const uint8_t key[VF_TDX_SHA256_LEN]);
/* Insert VALUE under KEY (the cache takes its own reference; the caller keeps its reference). */
void vf_tdx_cache_put(const uint8_t key[VF_TDX_SHA256_LEN], struct vf_tdx_memo *value);
void vf_tdx_memo_release(struct vf_tdx_memo *m);
/* Tests and benchmarks: switch memoization off/on (on by default) and drop every entry. */
void vf_tdx_cache_set_enabled(bool enabled);
bool vf_tdx_cache_enabled(void);
void vf_tdx_cache_clear(void);
/* Number of entries, hits and misses since start (for tests). */
void vf_tdx_cache_stats(size_t *entries, uint64_t *hits, uint64_t *misses);

/* ---------------------------------------------------------------------------------- chains and CRLs */

/* The pinned anchor, parsed once per distinct byte string. */
struct vf_tdx_anchor {
	struct vf_tdx_memo memo;
	X509 *cert;
	bool simulated; /* carries the simulated-root marker (VF_SIM_ROOT_OID, teecert sim) */
	uint8_t sha256[VF_TDX_SHA256_LEN];
};

#define VF_TDX_CHAIN_MAX 8

/* A verified chain: its path built to the anchor, leaf-first (anchor included), with each validity window. */
struct vf_tdx_chain {
	struct vf_tdx_memo memo;
	STACK_OF(X509) *path;
	int64_t not_before[VF_TDX_CHAIN_MAX], not_after[VF_TDX_CHAIN_MAX];
	EVP_PKEY *leaf_key; /* borrowed from the leaf */
	uint8_t key[VF_TDX_SHA256_LEN];
	bool has_sgx_ext;
	struct vf_tdx_sgx_ext sgx_ext;
};

/* A CRL whose signature was verified by a given issuer. */
struct vf_tdx_crl {
	struct vf_tdx_memo memo;
	X509_CRL *crl;
	int64_t this_update, next_update;
};

/* A signed PCS document (TCB info or QE identity) whose signature verified, parsed. */
struct vf_tdx_doc {
	struct vf_tdx_memo memo;
	struct vf_tdx_tcb_info *tcb_info;
	struct vf_tdx_qe_identity *qe_identity;
};

TC_RESULT vf_tdx_anchor_get(const uint8_t *data, size_t len, struct vf_tdx_anchor **out);

/* Chain kinds: the PCK chain from the quote (leaf signer, SGX extensions parsed), a collateral signer chain
 * (leaf signer), or a CRL issuer chain (leaf is a CA). */
enum vf_tdx_chain_kind { VF_TDX_CHAIN_PCK, VF_TDX_CHAIN_SIGNER, VF_TDX_CHAIN_CRL_ISSUER };

/*
 * Verify PEM (strict PEM sequence, leaf first) to ANCHOR, time-independent part only (structure,
 * signatures, CA flags, every embedded certificate part of the path or equal to the anchor). Memoized by
 * SHA-256 of the exact bytes and the anchor. -> TC_ERR_CERT_CHAIN_INVALID. WHAT names the chain in details.
 */
TC_RESULT vf_tdx_chain_get(const uint8_t *pem, size_t len, const struct vf_tdx_anchor *anchor,
			   enum vf_tdx_chain_kind kind, const char *what, struct vf_tdx_chain **out);
/* notBefore <= NOW <= notAfter for every certificate of the path -> TC_ERR_CERT_EXPIRED. */
TC_RESULT vf_tdx_chain_check_time(const struct vf_tdx_chain *chain, int64_t now, const char *what);

/* Verify a DER CRL's issuer name and signature by ISSUER (memoized under ISSUER_KEY, the key of the chain or
 * anchor ISSUER comes from). -> TC_ERR_COLLATERAL_SIGNATURE_INVALID. */
TC_RESULT vf_tdx_crl_get(const uint8_t *der, size_t len, X509 *issuer, const uint8_t issuer_key[VF_TDX_SHA256_LEN],
			 const char *what, struct vf_tdx_crl **out);
/* thisUpdate <= NOW < nextUpdate -> TC_ERR_COLLATERAL_EXPIRED. */
TC_RESULT vf_tdx_crl_check_time(const struct vf_tdx_crl *crl, int64_t now, const char *what);
/* CERT (issued by the CRL's issuer) listed -> TC_ERR_CERT_REVOKED. */
TC_RESULT vf_tdx_crl_check_cert(const struct vf_tdx_crl *crl, X509 *cert, const char *what);

/* Verify a PCS body's signature with SIGNER's key and parse it (memoized). */
TC_RESULT vf_tdx_doc_get_tcb_info(const uint8_t *body, size_t len, const struct vf_tdx_chain *signer,
				  struct vf_tdx_doc **out);
TC_RESULT vf_tdx_doc_get_qe_identity(const uint8_t *body, size_t len, const struct vf_tdx_chain *signer,
				     struct vf_tdx_doc **out);

/* RFC 3339 text of T for details (never fails: falls back to "@<seconds>"). */
void vf_tdx_time_text(int64_t t, char out[TC_TIME_RFC3339_LEN]);

/* ---------------------------------------------------------------------------------- TCB evaluation */

/* The outcome of TCB evaluation: a failure code (TC_OK when matched) and the converged status. */
struct vf_tdx_tcb_result {
	enum tc_code failure;
	char detail[TC_DETAIL_MAX];
	enum vf_tcb_status status;
	enum vf_tcb_status platform_status, module_status, qe_status;
	bool has_module_status;
	json_t *advisory_ids; /* union over matched levels (new array, owned by the caller) */
	char tcb_date[VF_TDX_DATE_MAX]; /* date of the matched platform level */
	char module_id[VF_TDX_ID_MAX];
};

/*
 * Evaluate the TCB (Intel QVL semantics, docs/tdx.md): FMSPC/PCEID match, TDX module identity,
 * QE identity, platform level, TDX module level, QE level, convergence, TD relaunch check (v5 type 3).
 * Returns an error only on OOM; the verdict is in RES.
 */
TC_RESULT vf_tdx_tcb_evaluate(const struct vf_tdx_quote *q, const struct vf_tdx_sgx_ext *ext,
			      const struct vf_tdx_tcb_info *ti, const struct vf_tdx_qe_identity *qi,
			      struct vf_tdx_tcb_result *res);
void vf_tdx_tcb_result_cleanup(struct vf_tdx_tcb_result *res);

#endif /* VF_TDX_H */
