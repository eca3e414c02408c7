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

/*
 * Simulated vendor PKIs (vf_sim_x509.c): the helpers the TDX, SNP and NVIDIA generators share. Files are
 * PEM: certificates VF_SIM_CERT_MODE, private keys unencrypted PKCS#8 VF_SIM_KEY_MODE (the PEM text is
 * zeroed after use); reads are bounded by VF_SIM_FILE_MAX.
 */
#define VF_SIM_FILE_MAX ((size_t)1024 * 1024)
#define VF_SIM_CERT_MODE 0644
#define VF_SIM_KEY_MODE 0600
#define VF_SIM_SERIAL_MAX 20 /* RFC 5280 §4.1.2.2: at most 20 octets */

/* Create folder PATH (an existing folder is fine) and set its mode to MODE. */
TC_RESULT vf_sim_mkdir(const char *path, unsigned mode);
/* A new EC key on CURVE (an OpenSSL group name: "P-256", SN_secp384r1). */
TC_RESULT vf_sim_key_new(const char *curve, EVP_PKEY **out);
TC_RESULT vf_sim_key_write(const char *path, EVP_PKEY *key);
/* A PEM private key; TYPE (EVP_PKEY_EC, ...) or EVP_PKEY_NONE for any. Fails with TC_ERR_INVALID_ARGUMENT. */
TC_RESULT vf_sim_key_read(const char *path, int type, EVP_PKEY **out);
/* PEM of CERT appended to OUT. */
TC_RESULT vf_sim_cert_pem(X509 *cert, struct tc_buf *out);
/* CERTS[0..N) as one PEM file. */
TC_RESULT vf_sim_certs_write(const char *path, X509 *const *certs, size_t n);
TC_RESULT vf_sim_cert_read(const char *path, X509 **out);
/* A random positive serial of LEN (1..VF_SIM_SERIAL_MAX) bytes, top byte 0x40..0x7f (full length). */
TC_RESULT vf_sim_serial(size_t len, ASN1_INTEGER **out);

/* One RDN of a name: FIELD is OpenSSL's short name ("CN", "O", "serialNumber"); a NULL VALUE is skipped. */
struct vf_sim_rdn {
	const char *field, *value;
};
/* A new name of RDNS[0..N) in that order (UTF8String values). */
TC_RESULT vf_sim_name(const struct vf_sim_rdn *rdns, size_t n, X509_NAME **out);

/* One extension in OpenSSL's configuration syntax, e.g. { NID_key_usage, "critical,keyCertSign" }; a NULL
 * VALUE is skipped. */
struct vf_sim_ext {
	int nid;
	const char *value;
};
/* Add one configuration-syntax extension to X, with ISSUER (NULL: X itself) for the AKI. */
TC_RESULT vf_sim_ext_conf(X509 *x, X509 *issuer, int nid, const char *value);
/* Add a non-critical extension OID_TEXT whose extnValue is the caller's DER[0..LEN). */
TC_RESULT vf_sim_ext_der(X509 *x, const char *oid_text, const uint8_t *der, size_t len);

struct vf_sim_cert_spec {
	X509_NAME *subject;         /* borrowed */
	X509 *issuer;               /* NULL: self-issued (issuer name = subject) */
	const ASN1_INTEGER *serial; /* NULL: a random one of SERIAL_LEN bytes, or 0 when SERIAL_LEN is 0 */
	size_t serial_len;
	int64_t not_before, not_after;
	EVP_PKEY *key;                 /* the subject's public key */
	const struct vf_sim_ext *exts; /* added in order, after the fields */
	size_t n_exts;
	bool simulated_root; /* then add the VF_SIM_ROOT_OID marker */
};
/* A new, UNSIGNED v3 certificate of SPEC; the caller adds its own extensions and signs it. */
TC_RESULT vf_sim_cert_new(const struct vf_sim_cert_spec *spec, X509 **out);

#endif /* VF_INTERNAL_H */
