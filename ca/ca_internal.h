/*
 * ca_internal.h — helpers shared between the files of ca/ only (not part of the door ca.h): the DER writer
 * and reader (ca_der.c), OID constants, certificate helpers used by issuance, CRL and OCSP.
 */
#ifndef CA_INTERNAL_H
#define CA_INTERNAL_H

#include <openssl/x509.h>

#include "ca.h"

/* ------------------------------------------------------------------------------------------ DER tags */

#define CA_DER_BOOLEAN 0x01
#define CA_DER_INTEGER 0x02
#define CA_DER_BIT_STRING 0x03
#define CA_DER_OCTET_STRING 0x04
#define CA_DER_NULL 0x05
#define CA_DER_OID 0x06
#define CA_DER_ENUMERATED 0x0a
#define CA_DER_UTF8STRING 0x0c
#define CA_DER_PRINTABLESTRING 0x13
#define CA_DER_IA5STRING 0x16
#define CA_DER_UTCTIME 0x17
#define CA_DER_GENERALIZEDTIME 0x18
#define CA_DER_SEQUENCE 0x30
#define CA_DER_SET 0x31
#define CA_DER_CTX(n) (0x80 | (n))           /* [n] IMPLICIT, primitive */
#define CA_DER_CTX_CONS(n) (0xa0 | (n))      /* [n] constructed (EXPLICIT or IMPLICIT SEQUENCE) */

#define CA_DER_MAX_DEPTH 16
#define CA_DER_MAX_OUTPUT ((size_t)4 * 1024 * 1024)

/*
 * DER writer over a tc_buf. Errors are sticky: each call after a failure does nothing, and ca_der_finish
 * reports the first failure (keeps encoders on one screen). begin/end wrap everything written in between
 * in a TLV whose length is filled in by end (content is moved by the length header size).
 */
struct ca_der {
	struct tc_buf *out;
	size_t open[CA_DER_MAX_DEPTH];
	size_t depth;
	struct tc_result err;
};

void ca_der_init(struct ca_der *w, struct tc_buf *out);
TC_RESULT ca_der_finish(struct ca_der *w);
void ca_der_begin(struct ca_der *w, uint8_t tag);
void ca_der_end(struct ca_der *w);
void ca_der_raw(struct ca_der *w, const void *data, size_t len); /* pre-encoded DER */
void ca_der_tlv(struct ca_der *w, uint8_t tag, const void *content, size_t len);
void ca_der_uint(struct ca_der *w, uint8_t tag, uint64_t v); /* INTEGER / ENUMERATED, non-negative */
/* Positive INTEGER from a big-endian magnitude (leading zeros stripped, 0x00 added when the top bit is set). */
void ca_der_uint_bytes(struct ca_der *w, const uint8_t *mag, size_t len);
void ca_der_bool(struct ca_der *w, bool v);
void ca_der_oid(struct ca_der *w, const uint8_t *oid, size_t len); /* OID content bytes */
void ca_der_utf8(struct ca_der *w, uint8_t tag, const char *s);
/* RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050 (or always GeneralizedTime). */
void ca_der_time(struct ca_der *w, int64_t t, bool always_generalized);
void ca_der_bit_string(struct ca_der *w, const uint8_t *data, size_t len); /* 0 unused bits */

/* DER reader over a tc_cursor (STYLE.md point 6): strict definite minimal lengths. Failures are
 * TC_ERR_EXTENSION_MALFORMED naming WHAT unless noted. */
TC_RESULT ca_der_read(struct tc_cursor *c, uint8_t tag, const char *what, struct tc_cursor *content);
/* Peek the next tag (false at the end). */
bool ca_der_peek(const struct tc_cursor *c, uint8_t *tag);
/* Whole TLV including header as a view (for copying pre-encoded parts). */
TC_RESULT ca_der_read_raw(struct tc_cursor *c, uint8_t tag, const char *what, const uint8_t **p, size_t *len);
TC_RESULT ca_der_read_uint(struct tc_cursor *c, uint8_t tag, const char *what, uint64_t max, uint64_t *out);
TC_RESULT ca_der_read_bool(struct tc_cursor *c, const char *what, bool *out);
TC_RESULT ca_der_read_octets(struct tc_cursor *c, uint8_t tag, const char *what, size_t min, size_t max,
			     const uint8_t **p, size_t *len);
/* A string into OUT (NUL-terminated, at most SIZE-1 bytes; embedded NULs refused). */
TC_RESULT ca_der_read_string(struct tc_cursor *c, uint8_t tag, const char *what, char *out, size_t size);
TC_RESULT ca_der_read_gentime(struct tc_cursor *c, const char *what, int64_t *out);
TC_RESULT ca_der_expect_end(const struct tc_cursor *c, const char *what);

/* ---------------------------------------------------------------------------------------- OID content */

struct ca_oid {
	const uint8_t *der;
	size_t len;
};

extern const struct ca_oid CA_OIDB_APPRAISAL, CA_OIDB_WORKLOAD_INFO, CA_OIDB_HARDWARE_ID, CA_OIDB_ROLE,
	CA_OIDB_LOG_REF, CA_OIDB_TCG_DICE_CMW, CA_OIDB_RATLS_QUOTE;
extern const struct ca_oid CA_OIDB_SKI, CA_OIDB_KU, CA_OIDB_SAN, CA_OIDB_BC, CA_OIDB_CRL_NUMBER,
	CA_OIDB_REASON_CODE, CA_OIDB_CRLDP, CA_OIDB_AKI, CA_OIDB_EKU, CA_OIDB_AIA, CA_OIDB_AD_OCSP,
	CA_OIDB_KP_SERVER_AUTH, CA_OIDB_KP_CLIENT_AUTH, CA_OIDB_KP_OCSP_SIGNING, CA_OIDB_OCSP_BASIC,
	CA_OIDB_OCSP_NONCE, CA_OIDB_CN, CA_OIDB_O, CA_OIDB_EXT_REQUEST;

bool ca_oid_eq(const struct ca_oid *oid, const uint8_t *der, size_t len);

/* AlgorithmIdentifier of the signer's algorithm (RFC 5758 §3.2: parameters absent). */
void ca_der_sig_alg(struct ca_der *w, enum ca_sig_alg alg);
/* Extension ::= SEQUENCE { extnID, critical DEFAULT FALSE, extnValue OCTET STRING }. */
void ca_der_extension(struct ca_der *w, const struct ca_oid *oid, bool critical, const struct tc_buf *value);

/*
 * SIGNED{ToBeSigned} (RFC 5280 §4.1.1.2 pattern): appends SEQUENCE { TBS, AlgorithmIdentifier, BIT STRING
 * signature } to OUT, the signature computed by the signer over TBS.
 */
TC_RESULT ca_sign_structure(const struct ca_signer *s, const uint8_t *tbs, size_t tbs_len, struct tc_buf *out);

/* SHA-1 of the subjectPublicKey BIT STRING value of an SPKI DER (RFC 5280 §4.2.1.2 method 1, RFC 6960 key
 * hash). */
TC_RESULT ca_spki_key_sha1(const uint8_t *spki, size_t len, uint8_t out[20]);

/* Parse a DER certificate (exactly LEN bytes) into an X509. */
TC_RESULT ca_x509_from_der(const uint8_t *der, size_t len, X509 **out);

/* CBOR helpers for the CMW extension (RFC 8949 §3: definite lengths, shortest argument). */
TC_RESULT ca_cbor_head(struct tc_buf *b, uint8_t major, uint64_t arg);

#endif /* CA_INTERNAL_H */
