/*
 * ca.h — the public door of ca/ (libtc_ca): keys behind a signer interface, CSR intake, teecert X.509
 * extensions (encoders and decoders), certificate profiles and issuance, CRLs and the OCSP responder core.
 * No HTTP and no database here (DESIGN.md "Certificates", docs/ca.md).
 *
 * Every TBS structure (TBSCertificate, CertificationRequestInfo, TBSCertList, ResponseData) is built by a
 * small DER writer (ca_der.c) and signed through struct ca_signer: OpenSSL 3.0 has no public way to put a
 * signature computed elsewhere into an X509 / X509_CRL / OCSP_BASICRESP, and the signing key must never
 * leave the signer (STYLE.md point 7). CSRs are walked by the ca_der reader (their keys built with
 * EVP_PKEY_fromdata: ca_csr.c says why), OCSP requests parsed by OpenSSL; what ca_issue writes is checked by
 * OpenSSL in the tests (every profile, `openssl verify` of every chain), not re-parsed per certificate.
 */
#ifndef CA_H
#define CA_H

#include "tc.h"
#include "vf.h"

/* ------------------------------------------------------------------------------------------------ signer */

/* Signature algorithms a signer produces; the digest passed to sign() is the hash the algorithm names. */
enum ca_sig_alg {
	CA_SIG_ECDSA_SHA256, /* P-256 keys: ecdsa-with-SHA256, 32-byte digest */
	CA_SIG_ECDSA_SHA384, /* P-384 keys: ecdsa-with-SHA384, 48-byte digest */
};

/* Key kinds the file backend generates (P-384 is the default for CA keys, DESIGN.md "Certificates"). */
enum ca_key_kind { CA_KEY_P384, CA_KEY_P256 };

#define CA_SIG_MAX 160      /* largest signature a signer returns (DER ECDSA P-384: 104) */
#define CA_DIGEST_MAX 64

/*
 * The signer interface: the rest of teecert calls sign(digest) and never sees key bytes. A PKCS#11 or
 * TEE-sealing backend implements the same four functions. sign() appends a DER Ecdsa-Sig-Value (RFC 3279
 * §2.2.3) to SIG. public_key() appends the SubjectPublicKeyInfo DER. Implementations are safe to call from
 * several threads at once.
 */
struct ca_signer {
	TC_RESULT (*sign)(const struct ca_signer *s, const uint8_t *digest, size_t digest_len, struct tc_buf *sig);
	TC_RESULT (*public_key)(const struct ca_signer *s, struct tc_buf *spki_der);
	enum ca_sig_alg (*algorithm)(const struct ca_signer *s);
	void (*destroy)(struct ca_signer *s); /* zeroes and frees the key and the struct */
	void *impl;                           /* backend state */
};

/* Free *S (NULL-safe) and set it to NULL. */
void ca_signer_free(struct ca_signer **s);
/* Hash DATA with the signer's digest and sign it: the one call the certificate code makes. */
TC_RESULT ca_signer_sign_data(const struct ca_signer *s, const void *data, size_t len, struct tc_buf *sig);
/* Digest length of an algorithm (32 / 48). */
size_t ca_sig_alg_digest_len(enum ca_sig_alg alg);
/* "ecdsa-with-SHA256" / "ecdsa-with-SHA384". */
const char *ca_sig_alg_name(enum ca_sig_alg alg);

/* Limits of the file backend. */
#define CA_PASSPHRASE_MIN 12
#define CA_PASSPHRASE_MAX 1024
#define CA_KEY_FILE_MAX (64 * 1024)

/*
 * Read a passphrase from FILE (trailing "\n" / "\r\n" stripped) or, when FILE is NULL, from the environment
 * variable ENV. OUT receives the bytes (zero it with tc_buf_cleanup). Shorter than CA_PASSPHRASE_MIN ->
 * TC_ERR_KEY_PASSPHRASE.
 */
TC_RESULT ca_passphrase_load(const char *file, const char *env, struct tc_buf *out);

/*
 * File backend. ca_signer_file_generate makes a new key of KIND in the process; with PATH it is also stored
 * as an encrypted PKCS#8 PEM (PBES2: scrypt N=2^14 r=8 p=1, AES-256-CBC) with mode 0600; the file must not
 * exist yet. ca_signer_file_open loads such a file: a file readable or writable by group/other is refused
 * (TC_ERR_KEY_FILE_INSECURE), a wrong passphrase is TC_ERR_KEY_PASSPHRASE, a key that is not P-256/P-384 is
 * TC_ERR_KEY_UNSUPPORTED. Passphrase and file bytes are zeroed after use.
 */
TC_RESULT ca_signer_file_generate(enum ca_key_kind kind, const char *path, const uint8_t *pass, size_t pass_len,
				  struct ca_signer **out);
TC_RESULT ca_signer_file_open(const char *path, const uint8_t *pass, size_t pass_len, struct ca_signer **out);

/* -------------------------------------------------------------------------------------------------- CSR */

#define CA_CSR_PEM_MAX (32 * 1024)
#define CA_CSR_MAX_SANS 32
#define CA_SAN_VALUE_MAX 256
#define CA_RSA_MIN_BITS 3072
#define CA_RSA_MAX_BITS 8192

enum ca_key_type { CA_KEYTYPE_EC_P256, CA_KEYTYPE_EC_P384, CA_KEYTYPE_RSA };
enum ca_san_type { CA_SAN_DNS, CA_SAN_IP, CA_SAN_URI, CA_SAN_OTHER /* email, dirName, otherName, ... */ };

struct ca_san {
	enum ca_san_type type;
	char value[CA_SAN_VALUE_MAX]; /* DNS name, URI, or the IP address as text */
	uint8_t ip[16];
	size_t ip_len; /* 4 or 16 for CA_SAN_IP */
};

/* A parsed, self-signature-checked PKCS#10 request (RFC 2986). */
struct ca_csr {
	enum ca_key_type key_type;
	unsigned key_bits;
	struct tc_buf spki;    /* SubjectPublicKeyInfo DER: what the evidence binding hashes */
	struct tc_buf subject; /* subject Name DER, as requested */
	char subject_text[256]; /* RFC 2253 form, for logs */
	struct ca_san sans[CA_CSR_MAX_SANS];
	size_t n_sans;
};

/*
 * Parse a PEM CSR (at most CA_CSR_PEM_MAX bytes, else TC_ERR_TOO_LARGE), verify its self-signature and
 * key: not PEM / not PKCS#10 -> TC_ERR_CSR_INVALID; bad signature -> TC_ERR_CSR_SIGNATURE_INVALID; RSA below
 * CA_RSA_MIN_BITS -> TC_ERR_KEY_WEAK; another curve or key type -> TC_ERR_KEY_UNSUPPORTED. OUT is initialised
 * here. ca_csr_parse_der takes the DER form.
 */
TC_RESULT ca_csr_parse_pem(const char *pem, size_t len, struct ca_csr *out);
TC_RESULT ca_csr_parse_der(const uint8_t *der, size_t len, struct ca_csr *out);
void ca_csr_cleanup(struct ca_csr *c);

/*
 * Build a CSR for the signer's key (used by `teecert-ca init/enroll` and tests): subject CN=COMMON_NAME
 * (optionally O=ORG), optional DNS SANs; PEM appended to OUT.
 */
TC_RESULT ca_csr_build(const struct ca_signer *s, const char *common_name, const char *org, const char *const *dns,
		       size_t n_dns, struct tc_buf *pem_out);

/* ------------------------------------------------------------------------------------------- extensions */

/* OIDs (dotted) of the extensions teecert writes. The arc is DESIGN.md's UUID OID. */
#define CA_OID_ARC "2.25.294202798840466547262940463723324836766"
#define CA_OID_APPRAISAL CA_OID_ARC ".1"
#define CA_OID_WORKLOAD_INFO CA_OID_ARC ".2"
#define CA_OID_HARDWARE_ID CA_OID_ARC ".3"
#define CA_OID_ROLE CA_OID_ARC ".4"
#define CA_OID_LOG_REF CA_OID_ARC ".5"
#define CA_OID_TCG_DICE_CMW "2.23.133.5.4.9"
#define CA_OID_RATLS_QUOTE "1.2.840.113741.1337.6"

/* Certificate roles (ENUMERATED in the .4 extension, also the profile names). */
enum ca_role { CA_ROLE_ROOT, CA_ROLE_SUBROOT, CA_ROLE_CVM, CA_ROLE_WORKLOAD };
enum ca_network { CA_NETWORK_TRUSTED, CA_NETWORK_UNTRUSTED };

const char *ca_role_name(enum ca_role r); /* "root", "subroot", "cvm", "workload" */
TC_RESULT ca_role_parse(const char *s, enum ca_role *out);
const char *ca_network_name(enum ca_network n); /* "trusted", "untrusted" */
TC_RESULT ca_network_parse(const char *s, enum ca_network *out);

#define CA_EXT_FAILURE_MAX 48
#define CA_LOG_ID_MAX 64
#define CA_HWID_UEID_MAX 64
#define CA_FMSPC_LEN 6
#define CA_PPID_LEN 16
#define CA_CHIP_ID_MAX 64

/* .1 AppraisalSummary (ca/teecert.asn1). */
struct ca_ext_device {
	char id[VF_DEVICE_ID_LEN];
	enum vf_tee tee;
	bool simulated;
	bool has_tcb_status;
	enum vf_tcb_status tcb_status;
};

struct ca_ext_appraisal {
	bool accepted;
	char failure[CA_EXT_FAILURE_MAX]; /* stable code, "" when accepted */
	struct ca_ext_device devices[VF_MAX_DEVICES];
	size_t n_devices;
	uint8_t policy_digest[32];
	uint8_t evidence_digest[32];
	struct vf_digest collateral[VF_MAX_ITEMS];
	size_t n_collateral;
	int64_t appraised_at;
};

/* .3 HardwareIdentity: per device the hardware identifiers the appraisal found (claims fmspc, ppid,
 * chip_id, ueid). */
struct ca_ext_hwid_device {
	char id[VF_DEVICE_ID_LEN];
	enum vf_tee tee;
	bool has_fmspc, has_ppid;
	uint8_t fmspc[CA_FMSPC_LEN];
	uint8_t ppid[CA_PPID_LEN];
	uint8_t chip_id[CA_CHIP_ID_MAX];
	size_t chip_id_len; /* 0: absent */
	uint8_t ueid[CA_HWID_UEID_MAX];
	size_t ueid_len; /* 0: absent */
};

struct ca_ext_hwid {
	struct ca_ext_hwid_device devices[VF_MAX_DEVICES];
	size_t n_devices;
};

/* .4 CA role and network mode. */
struct ca_ext_role {
	enum ca_role role;
	enum ca_network network;
};

/* .5 log entry reference. */
struct ca_ext_log_ref {
	uint64_t seq;
	uint8_t log_id[CA_LOG_ID_MAX];
	size_t log_id_len;
};

/* One evidence item of the TCG DICE CMW extension (decoded: DATA borrows the decoded bytes). */
struct ca_ext_evidence_item {
	char role[48];
	char media_type[64];
	const uint8_t *data;
	size_t len;
};

struct ca_ext_evidence {
	struct ca_ext_evidence_item items[VF_MAX_ITEMS];
	size_t n_items;
};

/* Summaries from an appraisal (pure copies; hardware ids from the claims named above). */
TC_RESULT ca_ext_appraisal_from_vf(const struct vf_appraisal *a, struct ca_ext_appraisal *out);
TC_RESULT ca_ext_hwid_from_vf(const struct vf_appraisal *a, struct ca_ext_hwid *out);

/*
 * Encoders append the DER extnValue contents; decoders read exactly one value from bytes of outside origin
 * (strict DER: minimal lengths, no trailing bytes, DEFAULT values omitted) and fail with
 * TC_ERR_EXTENSION_MALFORMED naming the field.
 */
TC_RESULT ca_ext_appraisal_encode(const struct ca_ext_appraisal *v, struct tc_buf *out);
TC_RESULT ca_ext_appraisal_decode(const uint8_t *der, size_t len, struct ca_ext_appraisal *out);
TC_RESULT ca_ext_workload_info_encode(const uint8_t hash[VF_BINDING_HASH_LEN], struct tc_buf *out);
TC_RESULT ca_ext_workload_info_decode(const uint8_t *der, size_t len, uint8_t out[VF_BINDING_HASH_LEN]);
TC_RESULT ca_ext_hwid_encode(const struct ca_ext_hwid *v, struct tc_buf *out);
TC_RESULT ca_ext_hwid_decode(const uint8_t *der, size_t len, struct ca_ext_hwid *out);
TC_RESULT ca_ext_role_encode(const struct ca_ext_role *v, struct tc_buf *out);
TC_RESULT ca_ext_role_decode(const uint8_t *der, size_t len, struct ca_ext_role *out);
TC_RESULT ca_ext_log_ref_encode(const struct ca_ext_log_ref *v, struct tc_buf *out);
TC_RESULT ca_ext_log_ref_decode(const uint8_t *der, size_t len, struct ca_ext_log_ref *out);
/* TCG DICE CMW (2.23.133.5.4.9): OCTET STRING holding a CBOR CMW collection of the evidence items. */
TC_RESULT ca_ext_evidence_encode(const struct vf_item *items, size_t n, struct tc_buf *out);
TC_RESULT ca_ext_evidence_decode(const uint8_t *der, size_t len, struct ca_ext_evidence *out);
/* Intel RA-TLS (1.2.840.113741.1337.6): the TDX quote as an OCTET STRING; decode borrows from DER. */
TC_RESULT ca_ext_ratls_encode(const uint8_t *quote, size_t len, struct tc_buf *out);
TC_RESULT ca_ext_ratls_decode(const uint8_t *der, size_t len, const uint8_t **quote, size_t *quote_len);

/* Everything teecert-specific in one certificate, decoded (`teecert cert show`, admission). */
struct ca_cert_info {
	bool has_appraisal, has_workload_info, has_hwid, has_role, has_log_ref, has_evidence, has_ratls;
	struct ca_ext_appraisal appraisal;
	uint8_t workload_info_hash[VF_BINDING_HASH_LEN];
	struct ca_ext_hwid hwid;
	struct ca_ext_role role;
	struct ca_ext_log_ref log_ref;
	struct ca_ext_evidence evidence; /* items borrow from the certificate DER given */
	const uint8_t *ratls_quote;
	size_t ratls_quote_len;
};

/* Decode our extensions of a DER certificate (borrowed; must outlive OUT). A malformed teecert extension
 * fails (TC_ERR_EXTENSION_MALFORMED); absent ones are reported with has_* false. */
TC_RESULT ca_cert_info_parse(const uint8_t *cert_der, size_t len, struct ca_cert_info *out);
/* The decoded extensions as JSON (new reference). */
TC_RESULT ca_cert_info_to_json(const struct ca_cert_info *info, json_t **out);

/* ------------------------------------------------------------------------------------ profiles, issuance */

#define CA_BACKDATE_S 60
#define CA_SERIAL_LEN 16
#define CA_URL_MAX 512

struct ca_profile {
	enum ca_role role;
	int64_t validity_s;    /* lifetime; clamped to the issuer's notAfter (and the CVM cert's for workload) */
	int path_len;          /* CA profiles: basicConstraints pathLenConstraint, -1 for none */
	bool allow_dns, allow_ip, allow_uri; /* SAN types copied from the CSR; any other SAN is refused */
};

/* Defaults: root 20 years, no pathlen; subroot 5 years, pathlen 0; cvm 7 days, DNS+IP; workload 7 days,
 * DNS+IP+URI (clamped to the CVM certificate). */
void ca_profile_default(enum ca_role role, struct ca_profile *out);
/* Refuse profiles that break RFC 5280 or DESIGN.md (subroot pathlen != 0, end entities with pathlen, ...). */
TC_RESULT ca_profile_check(const struct ca_profile *p);

struct ca_issuer_facts;

/* The issuing CA: its certificate (NULL for a self-signed root) and signer, plus configuration. */
struct ca_issuer {
	const uint8_t *cert_der;
	size_t cert_len;
	const struct ca_signer *signer;
	/* Optional (ca_issuer_prepare): the certificate's checks and parsed facts done once. Used only while they
	 * stand for exactly CERT_DER and SIGNER; otherwise (or NULL) ca_issue parses the certificate itself. */
	const struct ca_issuer_facts *facts;
	const char *crl_url;  /* CRL distribution point URL, NULL: none */
	const char *ocsp_url; /* AIA OCSP URL, NULL: none */
	enum ca_network network;
	const uint8_t *log_id; /* log id for the .5 extension (NULL: no log reference written) */
	size_t log_id_len;
};

struct ca_issue_request {
	const struct ca_csr *csr;
	struct ca_profile profile;
	const struct vf_appraisal *appraisal; /* NULL: no appraisal/hardware extensions (must be accepted) */
	const struct vf_item *evidence;       /* raw evidence items for the CMW extension (and RA-TLS) */
	size_t n_evidence;
	const uint8_t *workload_info_hash; /* 32 bytes, workload profile only (required there) */
	const uint8_t *cvm_cert_der;       /* workload profile: the CVM certificate it is bound to */
	size_t cvm_cert_len;
	bool has_log_seq;
	uint64_t log_seq;
	int64_t now;
};

struct ca_issued {
	struct tc_buf der;
	struct tc_buf pem;
	uint8_t serial[CA_SERIAL_LEN];
	char serial_hex[2 * CA_SERIAL_LEN + 1];
	int64_t not_before, not_after; /* exactly what the certificate says */
	uint8_t sha256[32];            /* of the DER */
};

/*
 * Issue a certificate for REQ under ISSUER: checks the profile, the SANs against it, the CSR key against
 * the root's own key (root), the appraisal verdict (accepted), the workload binding; random positive 128-bit
 * serial; notBefore = now - CA_BACKDATE_S. OUT is initialised here.
 */
TC_RESULT ca_issue(const struct ca_issuer *issuer, const struct ca_issue_request *req, struct ca_issued *out);
/* Check ISSUER's certificate (a CA holding the signer's key) and keep its subject, key id, notAfter and parsed
 * form for ca_issue (set ISSUER->facts to it; free it after the last issuance). Not for a root being created. */
TC_RESULT ca_issuer_prepare(const struct ca_issuer *issuer, struct ca_issuer_facts **out);
void ca_issuer_facts_free(struct ca_issuer_facts **facts);
void ca_issued_cleanup(struct ca_issued *c);

/* ----------------------------------------------------------------------------------------------- CRL */

#define CA_SERIAL_MAX 20

/* CRLReason (RFC 5280 §5.3.1); CA_REASON_NONE omits the reasonCode extension. */
enum ca_crl_reason {
	CA_REASON_NONE = -1,
	CA_REASON_UNSPECIFIED = 0,
	CA_REASON_KEY_COMPROMISE = 1,
	CA_REASON_CA_COMPROMISE = 2,
	CA_REASON_AFFILIATION_CHANGED = 3,
	CA_REASON_SUPERSEDED = 4,
	CA_REASON_CESSATION_OF_OPERATION = 5,
	CA_REASON_CERTIFICATE_HOLD = 6,
	CA_REASON_REMOVE_FROM_CRL = 8,
	CA_REASON_PRIVILEGE_WITHDRAWN = 9,
	CA_REASON_AA_COMPROMISE = 10,
};

const char *ca_crl_reason_name(enum ca_crl_reason r); /* "keyCompromise", ... */
TC_RESULT ca_crl_reason_parse(const char *s, enum ca_crl_reason *out);

struct ca_revoked {
	uint8_t serial[CA_SERIAL_MAX]; /* big-endian magnitude of a positive serial */
	size_t serial_len;
	int64_t revoked_at;
	enum ca_crl_reason reason;
};

/* A v2 CRL (RFC 5280 §5) of ISSUER (must have a certificate) listing ENTRIES: AKI, cRLNumber, per-entry
 * reasonCode; DER appended to OUT. */
TC_RESULT ca_crl_build(const struct ca_issuer *issuer, const struct ca_revoked *entries, size_t n,
		       uint64_t crl_number, int64_t this_update, int64_t next_update, struct tc_buf *out);

/* ------------------------------------------------------------------------------------------------- OCSP */

#define CA_OCSP_REQUEST_MAX (16 * 1024)
#define CA_OCSP_MAX_SINGLE 16
#define CA_OCSP_NONCE_MAX 128 /* octets of a request's nonce (RFC 9654 §2.1; RFC 8954 had 32) */

enum ca_ocsp_cert_status { CA_OCSP_GOOD, CA_OCSP_REVOKED, CA_OCSP_UNKNOWN };

struct ca_ocsp_status {
	enum ca_ocsp_cert_status status;
	int64_t revoked_at;        /* CA_OCSP_REVOKED */
	enum ca_crl_reason reason; /* CA_OCSP_REVOKED; CA_REASON_NONE omits it */
};

/* Status of the certificate with SERIAL (big-endian magnitude) issued by the responder's CA. An error
 * result makes the response internalError (or tryLater for TC_ERR_DB_UNAVAILABLE). */
typedef struct tc_result (*ca_ocsp_lookup_fn)(void *ctx, const uint8_t *serial, size_t serial_len,
					      struct ca_ocsp_status *out);

struct ca_ocsp_responder {
	const uint8_t *ca_cert_der; /* the CA whose certificates this responder answers for */
	size_t ca_cert_len;
	const struct ca_signer *signer;    /* the CA's signer, or the delegated responder's */
	const uint8_t *responder_cert_der; /* NULL: the CA signs; else a cert with id-kp-OCSPSigning, included */
	size_t responder_cert_len;
	int64_t validity_s; /* nextUpdate = thisUpdate + validity_s (0: nextUpdate omitted) */
	ca_ocsp_lookup_fn lookup;
	void *lookup_ctx;
};

/* Outcome of one request, for metrics and logs. */
struct ca_ocsp_result {
	int response_status; /* OCSPResponseStatus: 0 successful, 1 malformedRequest, 2 internalError, 3 tryLater,
				6 unauthorized */
	size_t n_single;
	bool nonce_echoed;
};

/*
 * Answer the DER OCSPRequest REQ (RFC 6960 §4.1; the HTTP layer decodes GET base64 / reads the POST body).
 * OUT always receives a DER OCSPResponse when the result is TC_OK: malformed requests get malformedRequest,
 * requests with no CertID of this CA get unauthorized; otherwise a BasicOCSPResponse signed by the signer,
 * responderID byKey, nonce echoed, thisUpdate = NOW, nextUpdate. Error results only for internal failures.
 */
TC_RESULT ca_ocsp_respond(const struct ca_ocsp_responder *r, const uint8_t *req, size_t len, int64_t now,
			  struct tc_buf *out, struct ca_ocsp_result *result);

#endif /* CA_H */
