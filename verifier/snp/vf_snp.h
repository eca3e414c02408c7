/*
 * vf_snp.h — private door of verifier/snp (AMD SEV-SNP appraisal). Nothing here is part of vf.h; the unit
 * tests and fuzz targets include it to reach the parsers directly.
 *
 * Specs cited throughout:
 *  [ABI]  AMD "SEV Secure Nested Paging Firmware ABI Specification" (#56860): Table "ATTESTATION_REPORT
 *         Structure", TCB_VERSION (section 2.2; the Turin/Family 1Ah layout adds FMC), guest policy
 *         ("GUEST_POLICY Structure"), PLATFORM_INFO.
 *  [KDS]  AMD "Versioned Chip Endorsement Key (VCEK) Certificate and KDS Interface Specification" (#57230):
 *         VCEK/VLEK X.509 extensions under 1.3.6.1.4.1.3704.1.
 */
#ifndef VF_SNP_H
#define VF_SNP_H

#include <openssl/x509.h>

#include "vf_internal.h"

/* ------------------------------------------------------------------------------- attestation report */

/* [ABI] Table "ATTESTATION_REPORT Structure": 1184 bytes, signature over 0x000-0x29F at 0x2A0. */
#define VF_SNP_REPORT_LEN 0x4A0
#define VF_SNP_SIGNED_LEN 0x2A0
#define VF_SNP_SIG_COMPONENT_LEN 72 /* R and S, little-endian, zero-padded to 72 bytes */
#define VF_SNP_P384_COORD_LEN 48
#define VF_SNP_SHA384_LEN 48
#define VF_SNP_FAMILY_ID_LEN 16
#define VF_SNP_IMAGE_ID_LEN 16
#define VF_SNP_REPORT_DATA_LEN 64
#define VF_SNP_MEASUREMENT_LEN 48
#define VF_SNP_HOST_DATA_LEN 32
#define VF_SNP_KEY_DIGEST_LEN 48
#define VF_SNP_REPORT_ID_LEN 32
#define VF_SNP_CHIP_ID_LEN 64
#define VF_SNP_TURIN_HWID_LEN 8 /* Turin VCEK hwID: the first 8 bytes of CHIP_ID, the rest zero */

/*
 * Field offsets ([ABI] Table "ATTESTATION_REPORT Structure"). The parser reads in this order through one
 * cursor and checks it is at these offsets; the encoder (simulator, tests) writes at them, so the two cannot
 * drift (test_vf_snp_report round-trips every field).
 */
#define VF_SNP_OFF_VERSION 0x000
#define VF_SNP_OFF_GUEST_SVN 0x004
#define VF_SNP_OFF_POLICY 0x008
#define VF_SNP_OFF_FAMILY_ID 0x010
#define VF_SNP_OFF_IMAGE_ID 0x020
#define VF_SNP_OFF_VMPL 0x030
#define VF_SNP_OFF_SIGNATURE_ALGO 0x034
#define VF_SNP_OFF_CURRENT_TCB 0x038
#define VF_SNP_OFF_PLATFORM_INFO 0x040
#define VF_SNP_OFF_KEY_INFO 0x048
#define VF_SNP_OFF_REPORT_DATA 0x050
#define VF_SNP_OFF_MEASUREMENT 0x090
#define VF_SNP_OFF_HOST_DATA 0x0C0
#define VF_SNP_OFF_ID_KEY_DIGEST 0x0E0
#define VF_SNP_OFF_AUTHOR_KEY_DIGEST 0x110
#define VF_SNP_OFF_REPORT_ID 0x140
#define VF_SNP_OFF_REPORT_ID_MA 0x160
#define VF_SNP_OFF_REPORTED_TCB 0x180
#define VF_SNP_OFF_CPUID_FAM 0x188 /* v3+ */
#define VF_SNP_OFF_CPUID_MOD 0x189
#define VF_SNP_OFF_CPUID_STEP 0x18A
#define VF_SNP_OFF_CHIP_ID 0x1A0
#define VF_SNP_OFF_COMMITTED_TCB 0x1E0
#define VF_SNP_OFF_CURRENT_BUILD 0x1E8
#define VF_SNP_OFF_CURRENT_MINOR 0x1E9
#define VF_SNP_OFF_CURRENT_MAJOR 0x1EA
#define VF_SNP_OFF_COMMITTED_BUILD 0x1EC
#define VF_SNP_OFF_COMMITTED_MINOR 0x1ED
#define VF_SNP_OFF_COMMITTED_MAJOR 0x1EE
#define VF_SNP_OFF_LAUNCH_TCB 0x1F0
#define VF_SNP_OFF_LAUNCH_MIT_VECTOR 0x1F8 /* v5+ */
#define VF_SNP_OFF_CURRENT_MIT_VECTOR 0x200
#define VF_SNP_OFF_SIGNATURE VF_SNP_SIGNED_LEN /* R at +0, S at +VF_SNP_SIG_COMPONENT_LEN */
#define VF_SNP_KEY_INFO_SIGNING_KEY_SHIFT 2    /* SIGNING_KEY: bits 4:2 of KEY_INFO */

/* SIGNATURE_ALGO values ([ABI] Table "Signature Algorithm Encodings"). */
#define VF_SNP_SIG_ALGO_ECDSA_P384_SHA384 1

/* Report versions this verifier understands: 2 (base), 3 (+CPUID family/model/stepping), 5 (+mitigation
 * vectors). Version 4 was never published in the ABI; 1 predates SNP GA. */
#define VF_SNP_REPORT_V2 2
#define VF_SNP_REPORT_V3 3
#define VF_SNP_REPORT_V5 5

/* SIGNING_KEY (bits 4:2 of the dword at 0x048). */
enum vf_snp_signing_key { VF_SNP_KEY_VCEK = 0, VF_SNP_KEY_VLEK = 1, VF_SNP_KEY_NONE = 7 };

/* GUEST_POLICY bits ([ABI] "GUEST_POLICY Structure"). */
#define VF_SNP_POLICY_SMT (1ull << 16)           /* SMT allowed */
#define VF_SNP_POLICY_RESERVED1 (1ull << 17)     /* must be one */
#define VF_SNP_POLICY_MIGRATE_MA (1ull << 18)    /* association with a migration agent allowed */
#define VF_SNP_POLICY_DEBUG (1ull << 19)         /* debugging allowed */
#define VF_SNP_POLICY_SINGLE_SOCKET (1ull << 20) /* guest may run on one socket only */

/* PLATFORM_INFO bits ([ABI] "PLATFORM_INFO Field"). */
#define VF_SNP_PLATFORM_SMT_EN (1ull << 0)
#define VF_SNP_PLATFORM_TSME_EN (1ull << 1)

/* CPUID family of Turin (Zen 5). */
#define VF_SNP_CPUID_FAMILY_TURIN 0x1A

struct vf_snp_report {
	uint32_t version;
	uint32_t guest_svn;
	uint64_t policy;
	uint8_t family_id[VF_SNP_FAMILY_ID_LEN];
	uint8_t image_id[VF_SNP_IMAGE_ID_LEN];
	uint32_t vmpl;
	uint32_t signature_algo;
	uint64_t current_tcb;
	uint64_t platform_info;
	uint32_t key_info; /* AUTHOR_KEY_EN bit 0, MASK_CHIP_KEY bit 1, SIGNING_KEY bits 4:2 */
	uint8_t report_data[VF_SNP_REPORT_DATA_LEN];
	uint8_t measurement[VF_SNP_MEASUREMENT_LEN];
	uint8_t host_data[VF_SNP_HOST_DATA_LEN];
	uint8_t id_key_digest[VF_SNP_KEY_DIGEST_LEN];
	uint8_t author_key_digest[VF_SNP_KEY_DIGEST_LEN];
	uint8_t report_id[VF_SNP_REPORT_ID_LEN];
	uint8_t report_id_ma[VF_SNP_REPORT_ID_LEN];
	uint64_t reported_tcb;
	bool has_cpuid; /* version >= 3 */
	uint8_t cpuid_family, cpuid_model, cpuid_stepping;
	uint8_t chip_id[VF_SNP_CHIP_ID_LEN];
	uint64_t committed_tcb;
	uint8_t current_build, current_minor, current_major;
	uint8_t committed_build, committed_minor, committed_major;
	uint64_t launch_tcb;
	bool has_mit_vectors; /* version >= 5 */
	uint64_t launch_mit_vector, current_mit_vector;
	uint8_t sig_r[VF_SNP_SIG_COMPONENT_LEN]; /* little-endian as in the report */
	uint8_t sig_s[VF_SNP_SIG_COMPONENT_LEN];
	const uint8_t *signed_bytes; /* borrowed: the first VF_SNP_SIGNED_LEN bytes of the input */
};

/*
 * Parse a report (exactly the structure; trailing bytes are ignored). Short input -> TC_ERR_EVIDENCE_MALFORMED;
 * an unknown VERSION or SIGNATURE_ALGO -> TC_ERR_EVIDENCE_UNSUPPORTED_VERSION. Borrowed DATA must outlive OUT.
 */
TC_RESULT vf_snp_report_parse(const uint8_t *data, size_t len, struct vf_snp_report *out);

static inline enum vf_snp_signing_key vf_snp_report_signing_key(const struct vf_snp_report *r)
{
	return (enum vf_snp_signing_key)((r->key_info >> 2) & 7u);
}

/*
 * Encode R into the 1184-byte layout at the offsets above (reserved bytes zero; CPUID only for v3+, the
 * mitigation vectors only for v5+; signature from sig_r/sig_s). The inverse of vf_snp_report_parse for the
 * simulator and the tests.
 */
void vf_snp_report_encode(const struct vf_snp_report *r, uint8_t out[VF_SNP_REPORT_LEN]);

/* The report signature as big-endian r||s (2 x 48 bytes); fails (EVIDENCE_SIGNATURE_INVALID) when the
 * zero padding above 48 bytes is not zero. */
TC_RESULT vf_snp_report_sig_be(const struct vf_snp_report *r, uint8_t out[2 * VF_SNP_P384_COORD_LEN]);

/* ------------------------------------------------------------------------------------------ TCB_VERSION */

enum vf_snp_tcb_layout {
	VF_SNP_TCB_MILAN_GENOA, /* [ABI] TCB_VERSION: BOOT_LOADER[7:0] TEE[15:8] rsvd SNP[55:48] UCODE[63:56] */
	VF_SNP_TCB_TURIN,       /* Family 1Ah: FMC[7:0] BOOT_LOADER[15:8] TEE[23:16] SNP[31:24] rsvd UCODE[63:56] */
};

/* Decode a raw TCB_VERSION (fmc is 0 for Milan/Genoa). */
struct vf_snp_tcb vf_snp_tcb_decode(uint64_t raw, enum vf_snp_tcb_layout layout);
/* Encode (inverse of decode; for tests and the simulator). */
uint64_t vf_snp_tcb_encode(const struct vf_snp_tcb *t, enum vf_snp_tcb_layout layout);
/* True when every component of A is >= the one of B (fmc only for Turin). */
bool vf_snp_tcb_ge(const struct vf_snp_tcb *a, const struct vf_snp_tcb *b, enum vf_snp_tcb_layout layout);
/* "bl=3 tee=0 snp=8 ucode=115" (+ " fmc=N" for Turin) for details. */
void vf_snp_tcb_format(const struct vf_snp_tcb *t, enum vf_snp_tcb_layout layout, char *buf, size_t size);

/* The layout: Turin when the report carries CPUID family 1Ah, else when the endorsement key's product is
 * Turin (v2 reports carry no CPUID), else Milan/Genoa. PRODUCT may be NULL or "". */
enum vf_snp_tcb_layout vf_snp_tcb_layout_of(const struct vf_snp_report *r, const char *product);

/* ---------------------------------------------------------------------------- VCEK / VLEK extensions */

#define VF_SNP_PRODUCT_MAX 32
#define VF_SNP_HWID_MAX 64

/* [KDS] extension OIDs: the arc and the sub-arcs below it (parser and simulator use these). */
#define VF_SNP_OID_ARC "1.3.6.1.4.1.3704.1."
#define VF_SNP_EXT_STRUCT_VERSION "1"
#define VF_SNP_EXT_PRODUCT_NAME "2"
#define VF_SNP_EXT_BL_SPL "3.1"
#define VF_SNP_EXT_TEE_SPL "3.2"
#define VF_SNP_EXT_SNP_SPL "3.3"
#define VF_SNP_EXT_UCODE_SPL "3.8"
#define VF_SNP_EXT_FMC_SPL "3.9"
#define VF_SNP_EXT_SPL_PREFIX "3." /* spl_4..spl_7 (3.4-3.7): reserved components */
#define VF_SNP_EXT_HWID "4"
#define VF_SNP_EXT_CSP_ID "5"

/* [KDS] certificate common names: ARK-<product>, ASK SEV-<product>, ASVK SEV-VLEK-<product>, leaves. */
#define VF_SNP_CN_VCEK "SEV-VCEK"
#define VF_SNP_CN_VLEK "SEV-VLEK"
#define VF_SNP_CN_ARK_PREFIX "ARK-"
#define VF_SNP_CN_ASK_PREFIX "SEV-"
#define VF_SNP_CN_ASVK_PREFIX "SEV-VLEK-"

/* [KDS] extension OIDs under 1.3.6.1.4.1.3704.1 */
struct vf_snp_vcek_ext {
	bool has_struct_version;
	long struct_version;                   /* .1 */
	char product_name[VF_SNP_PRODUCT_MAX]; /* .2 IA5String, e.g. "Milan-B0", "Genoa", "Turin" */
	char product[16];                      /* product line: the part before '-' ("Milan") */
	bool has_bl, has_tee, has_snp, has_ucode, has_fmc;
	struct vf_snp_tcb tcb; /* .3.1 blSPL .3.2 teeSPL .3.3 snpSPL .3.8 ucodeSPL .3.9 fmcSPL */
	size_t hwid_len;       /* .4 hwID (0 when absent: VLEK); raw or OCTET-STRING-wrapped content */
	uint8_t hwid[VF_SNP_HWID_MAX];
	char csp_id[64]; /* .5 cspID (VLEK only), "" when absent */
};

/* Extract the AMD extensions of an endorsement key certificate. Malformed extension values fail with
 * TC_ERR_CERT_CHAIN_INVALID naming the OID. */
TC_RESULT vf_snp_vcek_ext_parse(X509 *cert, struct vf_snp_vcek_ext *out);
/* Same from DER or PEM bytes (for the fuzz target). */
TC_RESULT vf_snp_vcek_ext_parse_bytes(const uint8_t *data, size_t len, struct vf_snp_vcek_ext *out);

/* --------------------------------------------------------------------------------- endorsement chain */

/* The verified endorsement: VCEK <- ASK <- ARK or VLEK <- ASVK <- ARK. Every pointer is owned. */
struct vf_snp_endorsement {
	bool is_vlek;
	X509 *leaf, *ask, *ark;
	EVP_PKEY *leaf_key;
	struct vf_snp_vcek_ext ext;
};

void vf_snp_endorsement_cleanup(struct vf_snp_endorsement *e);

/*
 * Verify the endorsement chain: structure and signatures (memoized), then the time windows at NOW (every
 * call). Fails with TC_ERR_CERT_CHAIN_INVALID (wrong product line said plainly) or TC_ERR_CERT_EXPIRED.
 * LEAF/ASK_CHAIN/ANCHOR are the input bytes (VCEK or VLEK DER/PEM, ASK|ASVK + ARK PEM, ARK PEM).
 */
TC_RESULT vf_snp_chain_verify(const uint8_t *leaf, size_t leaf_len, bool is_vlek, const uint8_t *ask_chain,
			      size_t ask_chain_len, const uint8_t *anchor, size_t anchor_len, int64_t now,
			      struct vf_snp_endorsement *out);

/* The memo of verified chains: switch it off (tests compare results with and without it) and empty it. */
void vf_snp_chain_cache_enable(bool on);
void vf_snp_chain_cache_clear(void);
/* Hits since the last clear (tests). */
uint64_t vf_snp_chain_cache_hits(void);

/* ------------------------------------------------------------------------------------- TCB status table */

/* The built-in table: verifier/snp/snp_tcb_table.json as a NUL-terminated string, generated at build time
 * by vf_snp_embed.cmake into the library. */
extern const char vf_snp_tcb_table_data[];
const char *vf_snp_tcb_table_json(void);

struct vf_snp_tcb_verdict {
	enum vf_tcb_status status; /* UpToDate or OutOfDate */
	bool below_minimum;        /* reported TCB under the row's minimum: rejected whatever the policy */
	char bulletin[64];         /* the row used ("baseline" when no bulletin applies yet) */
	struct vf_snp_tcb latest, minimum;
};

/*
 * Derive the TCB status of TCB for PRODUCT ("Milan"...) and CPUID model (-1 when unknown) at NOW from the
 * table TABLE_JSON (NULL: the built-in one). Rows count from their publication date on. An unknown product
 * fails with TC_ERR_TCB_LEVEL_NOT_FOUND; a malformed table with TC_ERR_INTERNAL.
 */
TC_RESULT vf_snp_tcb_evaluate(const char *table_json, const char *product, int cpuid_model,
			      const struct vf_snp_tcb *tcb, enum vf_snp_tcb_layout layout, int64_t now,
			      struct vf_snp_tcb_verdict *out);

/* Tests only: evaluate with TABLE_JSON instead of the built-in table (NULL restores it). Not thread-safe. */
void vf_snp_tcb_table_override(const char *table_json);

#endif /* VF_SNP_H */
