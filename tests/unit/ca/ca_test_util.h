/*
 * ca_test_util.h — fixtures shared by the ca/ tests: a hand-made accepted appraisal, CSRs from arbitrary
 * OpenSSL keys (for key types our signer does not make), and a whole root -> subroot -> cvm -> workload chain.
 */
#ifndef CA_TEST_UTIL_H
#define CA_TEST_UTIL_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ca.h"

#define CA_TEST_NOW 1752919234 /* 2025-07-19T10:00:34Z */

/* An accepted TDX appraisal with fmspc/ppid claims and two collateral digests (simulated as given). */
void ca_test_appraisal(struct vf_appraisal *a, bool simulated);
/* Fake evidence items (a "tdx_quote" and a GPU pair), static bytes. */
extern const struct vf_item ca_test_evidence[3];

/* PEM CSR for PKEY with subject CN and SANs "DNS:x", "IP:1.2.3.4", "URI:spiffe://x", "email:x" (NULL-ended). */
/* REQ as PEM text (malloc'd, NUL-terminated). */
char *ca_test_req_pem(X509_REQ *req);
char *ca_test_csr_pem(EVP_PKEY *pkey, const char *cn, const char *const *sans, const EVP_MD *md);

struct ca_test_chain {
	struct ca_signer *root_signer, *sub_signer;
	struct ca_issued root, sub, cvm, workload;
	EVP_PKEY *cvm_key, *workload_key;
	struct ca_issuer root_iss, sub_iss;
};

/* Build the chain at CA_TEST_NOW (network untrusted; CRL/OCSP URLs set). Asserts on failure. */
void ca_test_chain_build(struct ca_test_chain *c);
void ca_test_chain_free(struct ca_test_chain *c);

#endif
