/*
 * vf_snp_sim.h — the simulated AMD SEV-SNP platform (`teecert sim snp`, docs/sim.md "SNP"). Private to
 * verifier/snp and the unit tests; what cli/sim_snp.c drives (knobs, opaque options, output, cases) is in
 * vf.h's sim section.
 *
 * A sim PKI (vf_snp_sim_init) is an AMD-shaped vendor PKI per product line: ARK (self-signed, carrying the
 * simulated-root marker VF_SIM_ROOT_OID), ASK and ASVK, all RSA with RSASSA-PSS/SHA-384 (salt 48) like AMD's,
 * plus an ARK-signed CRL. vf_snp_sim_emit() builds a byte-exact ATTESTATION_REPORT (vf_snp_report_encode, the
 * parser's own offsets) and signs it with a VCEK (or VLEK) it issues on the spot from the sim ASK (ASVK) with
 * the [KDS] extensions (vf_snp.h OIDs). Knobs break exactly one thing each, so that every SNP failure code
 * can be produced; vf_snp_sim_cases() writes a conformance set that uses them all.
 */
#ifndef VF_SNP_SIM_H
#define VF_SNP_SIM_H

#include "vf_snp.h"

#define VF_SNP_SIM_N_PRODUCTS 3
/* Version written by --unsupported-version: 1 predates SNP general availability (never accepted). */
#define VF_SNP_SIM_UNSUPPORTED_VERSION 1

/* One product line of the sim: index 0..VF_SNP_SIM_N_PRODUCTS-1. */
struct vf_snp_sim_product {
	const char *name;                     /* "Milan" (ARK-Milan, SEV-Milan, SEV-VLEK-Milan) */
	const char *id;                       /* "milan": file names */
	const char *product_name;             /* VCEK productName extension ("Milan-B0", as KDS writes it) */
	uint8_t family, model, stepping;      /* CPUID written into v3+ reports */
	uint8_t fw_major, fw_minor, fw_build; /* CURRENT/COMMITTED firmware version */
	enum vf_snp_tcb_layout layout;
	struct vf_snp_tcb baseline; /* default TCB floor; the default is max(this, TCB table latest) */
};

/* The table of product lines; NULL for an unknown name (either "Milan" or "milan"). */
const struct vf_snp_sim_product *vf_snp_sim_product(const char *name);
const struct vf_snp_sim_product *vf_snp_sim_product_at(size_t i);

/* What to emit. vf_snp_sim_opts_init sets the defaults: an UpToDate, VCEK-signed v5 Milan report. */
struct vf_snp_sim_opts {
	uint32_t version;                         /* 2, 3, 5 */
	const struct vf_snp_sim_product *product; /* default Milan */
	bool vlek;                                /* sign with a VLEK from the ASVK (SIGNING_KEY 1) */
	bool debug, migration_agent, smt;         /* GUEST_POLICY bits 19, 18, 16 (+ PLATFORM_INFO.SMT_EN) */
	uint32_t vmpl;
	bool has_reported, has_committed, has_launch, has_current;
	struct vf_snp_tcb reported, committed, launch, current; /* default: the TCB table's latest at NOW */
	uint8_t report_data[VF_SNP_REPORT_DATA_LEN];
	bool has_measurement;
	uint8_t measurement[VF_SNP_MEASUREMENT_LEN]; /* default: SHA-384("teecert sim snp measurement") */
	uint8_t host_data[VF_SNP_HOST_DATA_LEN];
	bool has_chip_id;
	uint8_t chip_id[VF_SNP_CHIP_ID_LEN]; /* default: the PKI's chip (pki.json); Turin keeps 8 bytes */
	/* faults, each producing one failure */
	bool bad_sig;             /* flip a bit of R after signing: evidence_signature_invalid */
	uint32_t sig_algo;        /* SIGNATURE_ALGO (default 1): other values evidence_unsupported_version */
	size_t truncate;          /* > 0: keep only this many bytes: evidence_malformed */
	bool unsupported_version; /* VERSION = VF_SNP_SIM_UNSUPPORTED_VERSION */
	bool vcek_tcb_mismatch;   /* the key's snpSPL is REPORTED_TCB's + 1: tcb_mismatch */
	bool chip_id_mismatch;    /* the VCEK's hwID differs from CHIP_ID in one byte: tcb_mismatch */
	bool vcek_expired;        /* the key's validity ended a year before NOW: cert_expired */
	bool vcek_revoked;        /* the CRL lists the issuing ASK/ASVK: cert_revoked */
	bool wrong_product_chain; /* the key is issued by the next product line's ASK: cert_chain_invalid */
	int64_t now;              /* issue time (Unix seconds) */
};

void vf_snp_sim_opts_init(struct vf_snp_sim_opts *o, int64_t now);

/* "bl,tee,snp,ucode[,fmc]" -> TCB (fmc 0 when absent). */
TC_RESULT vf_snp_sim_parse_tcb(const char *s, struct vf_snp_tcb *out);

/* The knob table (struct vf_snp_sim_knob, vf_snp_sim_knobs, vf_snp_sim_knob_set): vf.h. */
/* Apply a space-separated command line of knobs ("--product genoa --version 3 --vlek"). */
TC_RESULT vf_snp_sim_knobs_apply(struct vf_snp_sim_opts *o, const char *line);

/* The output, vf_snp_sim_emit, vf_snp_sim_collateral_write and vf_snp_sim_cases: vf.h (the options behind a
 * pointer, the product's id and the collateral folder: vf_snp_sim_door.c). */

/* ------------------------------------------------------------------- internal to the sim's .c files */

/* File names inside a sim PKI folder (docs/sim.md "SNP"). */
#define VF_SNP_SIM_KEYS_DIR "keys"
#define VF_SNP_SIM_PKI_JSON "pki.json"
#define VF_SNP_SIM_PATH_MAX 4096

/* The sim PKI of one product line, loaded from its folder (every pointer owned). */
struct vf_snp_sim_pki {
	const struct vf_snp_sim_product *product;
	X509 *ark, *ask, *asvk;
	EVP_PKEY *ark_key, *ask_key, *asvk_key;
};

TC_RESULT vf_snp_sim_pki_load(const char *dir, const struct vf_snp_sim_product *p, struct vf_snp_sim_pki *out);
void vf_snp_sim_pki_cleanup(struct vf_snp_sim_pki *pki);
/* The PKI's chip: CHIP_ID from pki.json. */
TC_RESULT vf_snp_sim_chip_id(const char *dir, uint8_t out[VF_SNP_CHIP_ID_LEN]);

/* Sign X (certificate) / CRL with an RSA key using RSASSA-PSS, SHA-384, MGF1-SHA-384, salt 48 (AMD's). */
TC_RESULT vf_snp_sim_sign_cert(X509 *x, EVP_PKEY *key);
TC_RESULT vf_snp_sim_sign_crl(X509_CRL *crl, EVP_PKEY *key);
/* AMD-style subject: OU, C, L, ST, O, CN (OU says "simulated"). */
TC_RESULT vf_snp_sim_name(const char *cn, X509_NAME **out);
/* An ARK-signed CRL valid [NOW - 1h, NOW + VF_SNP_SIM_CRL_DAYS), listing REVOKED (may be NULL). */
#define VF_SNP_SIM_CRL_DAYS 365
TC_RESULT vf_snp_sim_crl(const struct vf_snp_sim_pki *pki, X509 *revoked, int64_t now, struct tc_buf *der);
/* mkdir with MODE; an existing folder is fine (its mode is set to MODE). */
TC_RESULT vf_snp_sim_mkdir(const char *path, unsigned mode);

#endif /* VF_SNP_SIM_H */
