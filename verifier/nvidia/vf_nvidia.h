/*
 * vf_nvidia.h — private header of the NVIDIA H100 appraiser (verifier/nvidia/). Not part of vf.h.
 *
 * Pieces, one file each:
 *   vf_nvidia_spdm.c      DMTF DSP0274 SPDM 1.1 GET_MEASUREMENTS request || MEASUREMENTS response parser,
 *                         NVIDIA opaque-data TLVs, the signed range.
 *   vf_nvidia_cert.c      GPU certificate facts: TCG DICE TcbInfo (2.23.133.5.4.1) FWID of the leaf.
 *   vf_nvidia_rim.c       TCG RIM / SWID tag XML: XML-DSig verification with xmlsec1, content parsing.
 *   vf_nvidia_ocsp.c      RFC 6960 requests and response checking.
 *   vf_nvidia_cache.c     process-wide memo of time-independent verification results.
 *   vf_nvidia_evidence.c  NVIDIA's serialized evidence JSON ({arch, nonce, evidence, certificate}).
 *   vf_nvidia_appraise.c  the appraisal: check order of ../shared/evidence/cases/README.md.
 * See docs/nvidia.md.
 */
#ifndef VF_NVIDIA_H
#define VF_NVIDIA_H

#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "vf.h"
#include "vf_internal.h"

/* ------------------------------------------------------------------------------ SPDM (DSP0274 1.1) */

#define VF_SPDM_VERSION_11 0x11           /* SPDMVersion byte of SPDM 1.1 messages */
#define VF_SPDM_GET_MEASUREMENTS 0xE0     /* RequestResponseCode of GET_MEASUREMENTS (§10.11) */
#define VF_SPDM_MEASUREMENTS 0x60         /* RequestResponseCode of MEASUREMENTS */
#define VF_SPDM_REQUEST_LEN 37            /* header 4 + nonce 32 + SlotIDParam 1 (signature requested) */
#define VF_SPDM_NONCE_LEN 32
#define VF_SPDM_SIG_LEN 96                /* ECDSA P-384 r || s */
#define VF_SPDM_P384_COORD_LEN 48
#define VF_SPDM_MAX_BLOCKS 255            /* NumberOfBlocks is one byte */
#define VF_SPDM_MAX_INPUT (64u * 1024u)   /* hard limit on the captured bytes (binary) */
#define VF_SPDM_MAX_TRAILING 1            /* coco captures keep one 0x00 after the signature */
#define VF_DMTF_SPEC_DMTF 0x01            /* MeasurementSpecification bit 0: DMTF (§10.11.1) */
#define VF_NV_MAX_MEAS_VALUE 64           /* largest measurement value kept (SHA-384/512 digests) */
#define VF_NV_FWID_LEN 48                 /* SHA-384 FWID */
#define VF_SPDM_REQ_SIGNATURE 0x01        /* GET_MEASUREMENTS Param1 bit 0: signature requested */
#define VF_SPDM_MEAS_ALL 0xFF             /* GET_MEASUREMENTS Param2: all measurement blocks */
#define VF_SPDM_RECORD_LEN_BYTES 3        /* MeasurementRecordLength is 3 bytes little endian */
#define VF_SPDM_BLOCK_HEADER_LEN 4        /* Index | MeasurementSpecification | MeasurementSize (2) */
#define VF_DMTF_HEADER_LEN 3              /* DMTFSpecMeasurementValueType | DMTFSpecMeasurementValueSize (2) */
#define VF_DMTF_VALUE_FIRMWARE 0x01       /* value type H100s report: mutable firmware, digest */
#define VF_NV_OPAQUE_HEADER_LEN 4         /* DataType (2) | DataSize (2) */
#define VF_NV_VBIOS_LEN 8                 /* VBIOS version opaque field as H100s report it */

/* NVIDIA opaque-data field ids (NVIDIA nvtrust local_gpu_verifier OpaqueData.OPAQUE_DATA_TYPES). */
enum vf_nv_opaque_id {
	VF_NV_OPAQUE_CERT_ISSUER_NAME = 1,
	VF_NV_OPAQUE_CERT_AUTHORITY_KEY_IDENTIFIER = 2,
	VF_NV_OPAQUE_DRIVER_VERSION = 3,
	VF_NV_OPAQUE_GPU_INFO = 4,
	VF_NV_OPAQUE_SKU = 5,
	VF_NV_OPAQUE_VBIOS_VERSION = 6,
	VF_NV_OPAQUE_MANUFACTURER_ID = 7,
	VF_NV_OPAQUE_TAMPER_DETECTION = 8,
	VF_NV_OPAQUE_SMC = 9,
	VF_NV_OPAQUE_VPR = 10,
	VF_NV_OPAQUE_NVDEC0_STATUS = 11,
	VF_NV_OPAQUE_MSRSCNT = 12,
	VF_NV_OPAQUE_CPRINFO = 13,
	VF_NV_OPAQUE_BOARD_ID = 14,
	VF_NV_OPAQUE_CHIP_SKU = 15,
	VF_NV_OPAQUE_CHIP_SKU_MOD = 16,
	VF_NV_OPAQUE_PROJECT = 17,
	VF_NV_OPAQUE_PROJECT_SKU = 18,
	VF_NV_OPAQUE_PROJECT_SKU_MOD = 19,
	VF_NV_OPAQUE_FWID = 20,
	VF_NV_OPAQUE_PROTECTED_PCIE_STATUS = 21,
	VF_NV_OPAQUE_SWITCH_PDI = 22,
	VF_NV_OPAQUE_FLOORSWEPT_PORTS = 23,
	VF_NV_OPAQUE_POSITION_ID = 24,
	VF_NV_OPAQUE_LOCK_SWITCH_STATUS = 25,
	VF_NV_OPAQUE_GPU_LINK_CONN = 32,
	VF_NV_OPAQUE_SYS_ENABLE_STATUS = 33,
	VF_NV_OPAQUE_OPAQUE_DATA_VERSION = 34,
	VF_NV_OPAQUE_CHIP_INFO = 35,
	VF_NV_OPAQUE_FEATURE_FLAG = 36,
	VF_NV_OPAQUE_INVALID = 255,
};

#define VF_NV_MAX_OPAQUE_FIELDS 64
/* NVDEC0 status values (attestation-sdk verify.cpp): disabled means RIM index 35 is not compared. */
#define VF_NV_NVDEC0_ENABLED 0xAA
#define VF_NV_NVDEC0_DISABLED 0x55
#define VF_NV_NVDEC0_RIM_INDEX 35
/* FEATURE_FLAG values (nvtrust parse_feature_flag). */
#define VF_NV_FEATURE_SPT 0
#define VF_NV_FEATURE_MPT 1
#define VF_NV_FEATURE_PPCIE 2

struct vf_nv_opaque_field {
	uint16_t type;
	const uint8_t *value; /* borrowed from the parsed bytes */
	uint16_t len;
};

/* One DMTF measurement block (DSP0274 §10.11.1 Table 45 / DMTF measurement specification Table 46). */
struct vf_spdm_block {
	uint8_t index;
	uint8_t spec;
	uint8_t value_type;
	uint16_t value_len;
	const uint8_t *value; /* borrowed */
};

/* A parsed GET_MEASUREMENTS request || MEASUREMENTS response. Everything borrowed from the input bytes. */
struct vf_spdm {
	const uint8_t *msg;   /* request || response, start of the signed message */
	size_t signed_len;    /* bytes covered by the signature (everything before it) */
	size_t trailing;      /* bytes after the signature (0 or 1) */
	uint8_t req_param1, req_param2, req_slot;
	uint8_t req_nonce[VF_SPDM_NONCE_LEN];
	uint8_t version;
	uint8_t rsp_param1, rsp_param2;
	uint8_t n_blocks;
	struct vf_spdm_block blocks[VF_SPDM_MAX_BLOCKS];
	uint8_t rsp_nonce[VF_SPDM_NONCE_LEN];
	const uint8_t *opaque;
	uint16_t opaque_len;
	struct vf_nv_opaque_field fields[VF_NV_MAX_OPAQUE_FIELDS];
	size_t n_fields;
	const uint8_t *signature; /* VF_SPDM_SIG_LEN bytes */
};

/*
 * Parse DATA (binary, or hex text decoded into SCRATCH, which must outlive OUT) into OUT. Failures:
 * TC_ERR_EVIDENCE_MALFORMED (structure, lengths, more than MAX_TRAILING bytes after the signature) and
 * TC_ERR_EVIDENCE_UNSUPPORTED_VERSION (not SPDM 1.1, not GET_MEASUREMENTS/MEASUREMENTS, no signature
 * requested, a non-DMTF measurement block).
 */
TC_RESULT vf_spdm_parse(const uint8_t *data, size_t len, size_t max_trailing, struct tc_buf *scratch,
			struct vf_spdm *out);
/* Parse NVIDIA opaque data TLVs: [type u16le | size u16le | value] ... exactly covering the bytes. */
TC_RESULT vf_nv_opaque_parse(const uint8_t *data, size_t len, struct vf_nv_opaque_field *fields, size_t max,
			     size_t *n_out);
/* The field with TYPE, or NULL. */
const struct vf_nv_opaque_field *vf_spdm_field(const struct vf_spdm *s, uint16_t type);
/* The block with measurement INDEX (1-based SPDM index), or NULL. */
const struct vf_spdm_block *vf_spdm_block(const struct vf_spdm *s, uint8_t index);
/* Name of an opaque field id ("driver_version", ...) or NULL when unknown. */
const char *vf_nv_opaque_name(uint16_t type);
/* Inverse of vf_nv_vbios_version for the VF_NV_VBIOS_LEN-byte form: "96.00.5e.00.01" (five hex pairs, either
 * case) -> the field bytes (teecert sim builds its evidence with it). */
TC_RESULT vf_nv_vbios_encode(const char *version, uint8_t out[VF_NV_VBIOS_LEN]);
/* Driver version text (NUL-terminated in the evidence) into OUT. */
TC_RESULT vf_nv_driver_version(const struct vf_spdm *s, char *out, size_t out_size);
/* VBIOS version as nvtrust formats it ("96.00.5e.00.01", lowercase) into OUT. */
TC_RESULT vf_nv_vbios_version(const struct vf_spdm *s, char *out, size_t out_size);
/* Add the GPU's claims (versions, ids, measurements, opaque fields) to CLAIMS. */
TC_RESULT vf_spdm_claims(const struct vf_spdm *s, json_t *claims);

/* -------------------------------------------------------------------------------- GPU certificates */

#define VF_DICE_TCBINFO_OID "2.23.133.5.4.1"

/*
 * FWID digest of the TCG DICE TcbInfo extension (2.23.133.5.4.1, DICE Attestation Architecture §6.1.1:
 * fwids [6] IMPLICIT FWIDLIST, FWID ::= SEQUENCE { hashAlg OID, digest OCTET STRING }). Sets *FOUND false
 * when the certificate has no TcbInfo or no FWID. Malformed extension -> TC_ERR_CERT_CHAIN_INVALID.
 */
TC_RESULT vf_nv_cert_fwid(X509 *cert, uint8_t *out, size_t out_size, size_t *out_len, bool *found);
/*
 * DER value of the TcbInfo extension in the H100 FMC-leaf form that vf_nv_cert_fwid reads:
 * SEQUENCE { version INTEGER 1, SubjectPublicKeyInfo of KEY, FWID { sha384, FWID_LEN-byte digest } }.
 * Appended to OUT (teecert sim issues its leaves with it).
 */
TC_RESULT vf_nv_cert_tcbinfo_der(EVP_PKEY *key, const uint8_t *fwid, size_t fwid_len, struct tc_buf *out);

/* ---------------------------------------------------------------------------------------- RIMs */

#define VF_RIM_MAX_BYTES (2u * 1024u * 1024u)
#define VF_RIM_MAX_MEAS 256
#define VF_RIM_MAX_ALTS 8
#define VF_RIM_VERSION_MAX 64

struct vf_rim_meas {
	bool present;
	bool active;
	uint16_t size;
	uint8_t n_alts;
	uint8_t alts[VF_RIM_MAX_ALTS][VF_NV_MAX_MEAS_VALUE];
};

/* Parsed RIM content (after authentication). */
struct vf_rim {
	char version[VF_RIM_VERSION_MAX]; /* Meta@colloquialVersion, lowercase */
	char product[VF_RIM_VERSION_MAX]; /* Meta@product ("" when absent) */
	char tag_id[160];
	char manufacturer_id[16];
	struct vf_rim_meas meas[VF_RIM_MAX_MEAS]; /* by 0-based RIM index */
	size_t n_active;
};

/*
 * Authenticate RIM bytes: parse the XML safely (no network, no DTD, size limit), take the signer chain from
 * KeyInfo/X509Data (first certificate = signer), and parse the content into OUT. The XML signature itself is
 * verified by vf_rim_verify_signature; the caller verifies SIGNERS (leaf first) against the RIM root first.
 * Failures: TC_ERR_RIM_SIGNATURE_INVALID for an unusable document or signature structure,
 * TC_ERR_RIM_CHAIN_INVALID when no signer certificate is present.
 */
struct vf_rim_doc;
/* Initialise libxml2 + xmlsec1 once per process (also used by the RIM signer of teecert sim). */
TC_RESULT vf_rim_xmlsec_init(void);
TC_RESULT vf_rim_doc_parse(const uint8_t *xml, size_t len, struct vf_rim_doc **out);
void vf_rim_doc_free(struct vf_rim_doc **doc);
/* The signer certificates (leaf first), borrowed from DOC. */
STACK_OF(X509) *vf_rim_doc_certs(const struct vf_rim_doc *doc);
/* Verify the enveloped XML-DSig of DOC with the signer's key (W3C XML-DSig core validation, §3.2). */
TC_RESULT vf_rim_verify_signature(struct vf_rim_doc *doc);
/* Parse the SWID/TCG RIM content of DOC (only after its signature verified) into OUT. Content the
 * appraiser cannot use (no version, bad index, bad hash) -> TC_ERR_MEASUREMENT_MISMATCH. */
TC_RESULT vf_rim_content(const struct vf_rim_doc *doc, struct vf_rim *out);

/* ---------------------------------------------------------------------------------------- OCSP */

enum vf_ocsp_status { VF_OCSP_GOOD, VF_OCSP_REVOKED, VF_OCSP_ON_HOLD, VF_OCSP_UNKNOWN, VF_OCSP_NO_RESPONSE };

#define VF_OCSP_NONCE_LEN 32
#define VF_OCSP_MAX_BYTES (64u * 1024u)

/* DER OCSP request (RFC 6960 §4.1) for CERT issued by ISSUER, CertID over SHA-384, with a nonce extension
 * (§4.4.1) when NONCE is not NULL. Appended to OUT. */
TC_RESULT vf_ocsp_request(X509 *cert, X509 *issuer, const uint8_t *nonce, size_t nonce_len, struct tc_buf *out);

/*
 * Look for CERT's status in the DER OCSP response. *STATUS = VF_OCSP_NO_RESPONSE when the response does
 * not cover CERT. Otherwise checks (RFC 6960 §3.2): responseStatus successful; the signer is ISSUER or a
 * responder certificate issued by ISSUER with id-kp-OCSPSigning, valid at NOW; the signature;
 * thisUpdate <= NOW (+ skew) and NOW < nextUpdate when present; the nonce when NONCE is given.
 * Failures: TC_ERR_COLLATERAL_SIGNATURE_INVALID (signer/signature/format), TC_ERR_COLLATERAL_EXPIRED
 * (window), TC_ERR_NONCE_MISMATCH (nonce).
 */
TC_RESULT vf_ocsp_check(const uint8_t *der, size_t len, X509 *cert, X509 *issuer, int64_t now,
			const uint8_t *nonce, size_t nonce_len, enum vf_ocsp_status *status);

/* ---------------------------------------------------------------------------------------- cache */

/* A verified GPU chain (time-independent facts). Reference counted; release with vf_nv_chain_put. */
struct vf_nv_chain {
	int refs;
	uint8_t key[32];
	STACK_OF(X509) *certs; /* as given, leaf first */
	X509 *leaf;
	EVP_PKEY *leaf_key;
	int64_t not_before;    /* latest notBefore along the built path (anchor included) */
	int64_t not_after;     /* earliest notAfter along the built path */
	bool has_fwid;
	uint8_t fwid[VF_NV_FWID_LEN];
	size_t fwid_len;
};

/* A RIM whose signer chain structure and XML signature were checked (time-independent). */
struct vf_nv_rim_entry {
	int refs;
	uint8_t key[32];
	STACK_OF(X509) *certs;  /* signer chain from KeyInfo, leaf first */
	int64_t not_before, not_after;
	bool sig_ok;
	char sig_detail[TC_DETAIL_MAX];
	struct vf_rim rim;      /* valid when sig_ok */
};

#define VF_NV_CACHE_SLOTS 64

/* Cache key: SHA-256(domain || len(a) || a || len(b) || b). */
TC_RESULT vf_nv_cache_key(const char *domain, const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len,
			  uint8_t out[32]);
/* Look up a chain (new reference) or NULL. */
struct vf_nv_chain *vf_nv_cache_chain_get(const uint8_t key[32]);
/* Insert (the cache takes its own reference). */
void vf_nv_cache_chain_put(struct vf_nv_chain *c);
void vf_nv_chain_release(struct vf_nv_chain **c);
struct vf_nv_rim_entry *vf_nv_cache_rim_get(const uint8_t key[32]);
void vf_nv_cache_rim_put(struct vf_nv_rim_entry *e);
void vf_nv_rim_entry_release(struct vf_nv_rim_entry **e);
/* Turn the cache on or off (tests compare results with and without it) and empty it. */
void vf_nv_cache_enable(bool on);
void vf_nv_cache_clear(void);
/* Hits so far (tests). */
uint64_t vf_nv_cache_hits(void);

/* Lock shared by the cache and reference counts. */
void vf_nv_lock(void);
void vf_nv_unlock(void);

#endif /* VF_NVIDIA_H */
