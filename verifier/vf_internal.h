/*
 * vf_internal.h — helpers shared by the appraisers inside verifier/ (not part of the public door vf.h).
 *
 * Certificate handling common to TDX (PCK, TCB signing), SNP (ARK/ASK/VCEK) and NVIDIA (device chain, RIM
 * signer): strict PEM parsing, chain building to ONE pinned anchor at a given time, with the check order of
 * ../shared/evidence/cases/README.md: structure and signatures first (cert_chain_invalid), then validity
 * (cert_expired).
 */
#ifndef VF_INTERNAL_H
#define VF_INTERNAL_H

#include <openssl/x509.h>

#include "vf.h"

/* True for the codes of the appraisal failure vocabulary (a rejection, not an internal error). */
bool vf_is_failure_code(enum tc_code code);

/*
 * Turn a check's result into the appraisal: a failure-vocabulary code rejects A (with the detail of the
 * failure) and returns true; TC_OK returns false; any other code is an internal error, which the caller
 * must propagate (returned through *INTERNAL, and the function returns true).
 *
 *     if (vf_check(a, check_something(...), &r)) return r;   // r is tc_ok() after a rejection
 */
bool vf_check(struct vf_appraisal *a, struct tc_result check, struct tc_result *internal);

/* SHA-256 / SHA-384 / SHA-512 one-shot (OpenSSL EVP). */
TC_RESULT vf_sha256(const void *data, size_t len, uint8_t out[32]);
TC_RESULT vf_sha384(const void *data, size_t len, uint8_t out[48]);
TC_RESULT vf_sha512(const void *data, size_t len, uint8_t out[64]);

/* One certificate from DER or PEM (a single CERTIFICATE block). Fails with FAIL_CODE and a detail. */
TC_RESULT vf_x509_parse(const uint8_t *data, size_t len, enum tc_code fail_code, X509 **out);

/*
 * A strict PEM sequence of CERTIFICATE blocks (only whitespace between and around blocks; every block must
 * decode; trailing NUL bytes tolerated). At least one certificate. Fails with FAIL_CODE naming the block
 * that is bad. *OUT is a new stack owning its certificates, in file order.
 */
TC_RESULT vf_x509_parse_pem_chain(const uint8_t *pem, size_t len, enum tc_code fail_code,
				  STACK_OF(X509) **out);

/* Chain verification options. */
#define VF_CHAIN_LEAF_SIGNER 0x1u /* the leaf must not be a CA and, when keyUsage is present, must have
				     digitalSignature */
#define VF_CHAIN_NOT_STRICT 0x2u /* no X509_V_FLAG_X509_STRICT: AMD VCEKs/VLEKs carry no AKI (and go-sev-guest's
				    sample has serial 0), which OpenSSL's strict mode refuses */

/*
 * Verify LEAF through UNTRUSTED intermediates (may be NULL; extra certs are ignored; a copy of the anchor
 * among them is fine) up to the pinned ANCHOR at time NOW:
 *  1. path building and every signature, CA flags and path length, ignoring time ->
 *     TC_ERR_CERT_CHAIN_INVALID (detail: OpenSSL's reason, the depth and the subject);
 *  2. then notBefore <= NOW <= notAfter of every certificate in the built path (anchor included) ->
 *     TC_ERR_CERT_EXPIRED (detail: which certificate, its window, and NOW).
 * CRLS (may be NULL) are checked by the caller (vf_x509_check_crl), not here. CHAIN_OUT (may be NULL)
 * receives the built path leaf-first (new stack, up-referenced certificates).
 * CHAIN_CODE lets a caller map structure failures to another code (e.g. TC_ERR_RIM_CHAIN_INVALID);
 * pass TC_ERR_CERT_CHAIN_INVALID normally.
 */
TC_RESULT vf_x509_verify_chain(X509 *leaf, STACK_OF(X509) *untrusted, X509 *anchor, int64_t now,
			       unsigned flags, enum tc_code chain_code, STACK_OF(X509) **chain_out);

/*
 * Check a DER CRL: signature by ISSUER (-> TC_ERR_COLLATERAL_SIGNATURE_INVALID), thisUpdate <= NOW <
 * nextUpdate (-> TC_ERR_COLLATERAL_EXPIRED), then that none of CERTS issued by ISSUER is listed
 * (-> TC_ERR_CERT_REVOKED). ROLE names the CRL in details.
 */
TC_RESULT vf_x509_check_crl(const uint8_t *der, size_t len, X509 *issuer, int64_t now, STACK_OF(X509) *certs,
			    const char *role);

/* ASN1_TIME -> Unix seconds. */
TC_RESULT vf_asn1_time_to_unix(const ASN1_TIME *t, int64_t *out);

/* Verify an ECDSA signature given as raw r||s (big-endian, 2*COORD_LEN bytes) over DIGEST with PKEY. */
bool vf_ecdsa_verify_raw(EVP_PKEY *pkey, const uint8_t *digest, size_t digest_len, const uint8_t *sig,
			 size_t coord_len);

/*
 * Simulated TEEs (teecert sim): every root of a generated test vendor PKI carries the extension
 * VF_SIM_ROOT_OID (our arc .99, DER NULL value, non-critical). An appraiser whose chain ends at such an
 * anchor marks its devices simulated and rejects with cert_chain_invalid unless policy->allow_simulated.
 */
#define VF_SIM_ROOT_OID "2.25.294202798840466547262940463723324836766.99"

bool vf_x509_is_simulated(X509 *anchor);
/* Add the simulated-root marker extension to X (used by the sim PKI generators). */
TC_RESULT vf_x509_mark_simulated(X509 *x);

#endif /* VF_INTERNAL_H */
