/*
 * test_vf_snp_pki.h — helpers of the SNP unit tests: shared-file loading, a self-made AMD-shaped PKI
 * (ARK/ASK/VCEK with the KDS extensions, P-384 keys) and a report builder that signs like the AMD-SP.
 */
#ifndef TEST_VF_SNP_PKI_H
#define TEST_VF_SNP_PKI_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "vf_snp.h"

/* Read $TEECERT_SHARED/evidence/REL into OUT (fails the test when absent). */
void snp_test_read(const char *rel, struct tc_buf *out);

/* One extension: dotted OID and the DER of its value (the extnValue content). */
struct snp_test_ext {
	const char *oid;
	const uint8_t *der;
	size_t len;
};

EVP_PKEY *snp_test_key(void);
/* A certificate for CN signed by ISSUER_KEY (ISSUER NULL: self-signed). CA sets basicConstraints CA. */
X509 *snp_test_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, bool ca, long serial,
		    int64_t not_before, int64_t not_after, const struct snp_test_ext *exts, size_t n_exts);
/* DER / PEM of a certificate appended to OUT. */
void snp_test_der(X509 *x, struct tc_buf *out);
void snp_test_pem(X509 *x, struct tc_buf *out);

/* The KDS extensions of a VCEK / VLEK (hwid NULL: none). */
struct snp_test_vcek {
	const char *product_name;
	long struct_version;
	struct vf_snp_tcb tcb;
	bool with_fmc;
	const uint8_t *hwid;
	size_t hwid_len;
	bool wrap_hwid; /* DER OCTET STRING around the hwID */
};
X509 *snp_test_vcek_cert(const struct snp_test_vcek *v, const char *cn, EVP_PKEY *key, X509 *ask, EVP_PKEY *ask_key,
			 int64_t nb, int64_t na);

/* Report fields the builder writes (the rest zero). */
struct snp_test_report {
	uint32_t version;
	uint64_t policy;
	uint32_t vmpl;
	uint32_t signing_key; /* 0 VCEK, 1 VLEK */
	uint64_t current_tcb, reported_tcb, committed_tcb, launch_tcb;
	uint8_t family, model, stepping;
	uint8_t chip_id[64];
	uint8_t report_data[64];
	uint8_t measurement[48];
	uint64_t launch_mit, current_mit;
};
/* Build the 1184-byte report into OUT and sign it with KEY (ECDSA P-384/SHA-384, r/s little-endian). */
void snp_test_report_build(const struct snp_test_report *r, EVP_PKEY *key, uint8_t out[VF_SNP_REPORT_LEN]);

/* 2025-06-01T00:00:00Z, a fixed "now" for synthetic PKIs. */
#define SNP_TEST_NOW ((int64_t)1748736000)
#define SNP_TEST_YEAR ((int64_t)365 * 24 * 3600)

#endif
