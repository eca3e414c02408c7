/*
 * vf_nvidia_cert.c — facts from NVIDIA GPU certificates.
 *
 * The FMC leaf of an H100 chain carries a TCG DICE extension (OID 2.23.133.5.4.1, TCG "DICE
 * Attestation Architecture" v1.00 §6.1.1):
 *   DiceTcbInfo ::= SEQUENCE { vendor [0] IMPLICIT UTF8String OPTIONAL, model [1], version [2], svn [3],
 *     layer [4], index [5], fwids [6] IMPLICIT FWIDLIST OPTIONAL, flags [7], vendorInfo [8], type [9], ... }
 *   FWIDLIST ::= SEQUENCE SIZE (1..MAX) OF FWID
 *   FWID ::= SEQUENCE { hashAlg OBJECT IDENTIFIER, digest OCTET STRING }
 * The FWID digest equals the FWID opaque field (type 20) of the SPDM evidence the leaf's key signs.
 * The DER is read with the bounds-checked cursor (STYLE.md point 6).
 */
#include <string.h>

#include <openssl/objects.h>

#include "vf_nvidia.h"

#define DER_SEQUENCE 0x30
#define DER_INTEGER 0x02
#define DER_OID 0x06
#define DER_OCTET_STRING 0x04
#define DER_TCBINFO_FWIDS 0xA6 /* [6] constructed */
#define DER_SHORT_LEN_MAX 0x7F
#define DER_LONG_LEN_1 0x81
#define DER_LONG_LEN_2 0x82
#define VF_TCBINFO_VERSION 1
/* id-sha384 (2.16.840.1.101.3.4.2.2), content octets of the OID */
static const uint8_t vf_der_oid_sha384[] = { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02 };

/* One DER TLV: tag and a sub-cursor over its content (definite lengths up to 4 bytes). */
static TC_RESULT vf_der_tlv(struct tc_cursor *c, uint8_t *tag, struct tc_cursor *content)
{
	uint8_t b;
	size_t len = 0;

	TC_ENSURE(tc_is_ok(tc_cursor_u8(c, tag)) && tc_is_ok(tc_cursor_u8(c, &b)), TC_ERR_CERT_CHAIN_INVALID,
		  "TcbInfo: truncated DER header");
	TC_ENSURE((*tag & 0x1F) != 0x1F, TC_ERR_CERT_CHAIN_INVALID, "TcbInfo: multi-byte DER tag");
	if (b < 0x80) {
		len = b;
	} else {
		size_t n = b & 0x7F;

		TC_ENSURE(n >= 1 && n <= 4, TC_ERR_CERT_CHAIN_INVALID, "TcbInfo: bad DER length form 0x%02x", b);
		for (size_t i = 0; i < n; i++) {
			TC_ENSURE(tc_is_ok(tc_cursor_u8(c, &b)), TC_ERR_CERT_CHAIN_INVALID, "TcbInfo: truncated length");
			len = (len << 8) | b;
		}
	}
	TC_ENSURE(tc_is_ok(tc_cursor_sub(c, len, content)), TC_ERR_CERT_CHAIN_INVALID,
		  "TcbInfo: DER element of %zu bytes overruns its parent", len);
	return tc_ok();
}

/* True when C (a SEQUENCE's content) is FWID ::= SEQUENCE { hashAlg OID, digest OCTET STRING }. */
static bool vf_der_fwid(struct tc_cursor c, struct tc_cursor *digest)
{
	struct tc_cursor alg;
	uint8_t tag;

	return tc_is_ok(vf_der_tlv(&c, &tag, &alg)) && tag == DER_OID && tc_is_ok(vf_der_tlv(&c, &tag, digest)) &&
	       tag == DER_OCTET_STRING && tc_cursor_remaining(&c) == 0;
}

static TC_RESULT vf_der_take_fwid(struct tc_cursor *digest, uint8_t *out, size_t out_size, size_t *out_len,
				  bool *found)
{
	const uint8_t *d;

	if (tc_cursor_remaining(digest) != VF_NV_FWID_LEN) /* the SHA-384 FWID is the one GPUs report */
		return tc_ok();
	TC_ENSURE(out_size >= VF_NV_FWID_LEN, TC_ERR_INTERNAL, "FWID buffer too small");
	TC_GUARD(tc_cursor_view(digest, VF_NV_FWID_LEN, &d));
	memcpy(out, d, VF_NV_FWID_LEN);
	*out_len = VF_NV_FWID_LEN;
	*found = true;
	return tc_ok();
}

TC_RESULT vf_nv_cert_fwid(X509 *cert, uint8_t *out, size_t out_size, size_t *out_len, bool *found)
{
	ASN1_OBJECT *oid = OBJ_txt2obj(VF_DICE_TCBINFO_OID, 1);
	const ASN1_OCTET_STRING *val;
	struct tc_cursor c, seq;
	X509_EXTENSION *ext;
	uint8_t tag;
	int at;

	TC_ENSURE(oid != NULL, TC_ERR_NO_MEMORY, "OBJ_txt2obj failed");
	at = X509_get_ext_by_OBJ(cert, oid, -1);
	ASN1_OBJECT_free(oid);
	*found = false;
	if (at < 0)
		return tc_ok();
	ext = X509_get_ext(cert, at);
	val = X509_EXTENSION_get_data(ext);
	tc_cursor_init(&c, ASN1_STRING_get0_data(val), (size_t)ASN1_STRING_length(val));
	TC_GUARD(vf_der_tlv(&c, &tag, &seq));
	TC_ENSURE(tag == DER_SEQUENCE, TC_ERR_CERT_CHAIN_INVALID, "TcbInfo is not a SEQUENCE (tag 0x%02x)", tag);
	/*
	 * Two layouts: DiceTcbInfo with fwids [6] (a list of FWIDs), and the form H100 FMC leaves carry,
	 * SEQUENCE { version INTEGER, SubjectPublicKeyInfo, FWID } (TCG DICE composite device identifier).
	 */
	while (tc_cursor_remaining(&seq) > 0 && !*found) {
		struct tc_cursor item, digest;

		TC_GUARD(vf_der_tlv(&seq, &tag, &item));
		if (tag == DER_SEQUENCE && vf_der_fwid(item, &digest)) {
			TC_GUARD(vf_der_take_fwid(&digest, out, out_size, out_len, found));
			continue;
		}
		if (tag != DER_TCBINFO_FWIDS)
			continue;
		while (tc_cursor_remaining(&item) > 0 && !*found) {
			struct tc_cursor fwid;

			TC_GUARD(vf_der_tlv(&item, &tag, &fwid));
			TC_ENSURE(tag == DER_SEQUENCE && vf_der_fwid(fwid, &digest), TC_ERR_CERT_CHAIN_INVALID,
				  "TcbInfo fwids entry is not an FWID");
			TC_GUARD(vf_der_take_fwid(&digest, out, out_size, out_len, found));
		}
	}
	return tc_ok();
}

/* ------------------------------------------------------------------------------------------ builder */

/* Append TAG, a definite length (short or 1-2 byte long form) and CONTENT. */
static TC_RESULT vf_der_put(struct tc_buf *out, uint8_t tag, const uint8_t *content, size_t len)
{
	TC_ENSURE(len <= 0xFFFF, TC_ERR_INTERNAL, "DER element of %zu bytes", len);
	TC_GUARD(tc_buf_append_u8(out, tag));
	if (len <= DER_SHORT_LEN_MAX) {
		TC_GUARD(tc_buf_append_u8(out, (uint8_t)len));
	} else if (len <= 0xFF) {
		TC_GUARD(tc_buf_append_u8(out, DER_LONG_LEN_1));
		TC_GUARD(tc_buf_append_u8(out, (uint8_t)len));
	} else {
		TC_GUARD(tc_buf_append_u8(out, DER_LONG_LEN_2));
		TC_GUARD(tc_buf_append_u8(out, (uint8_t)(len >> 8)));
		TC_GUARD(tc_buf_append_u8(out, (uint8_t)len));
	}
	return tc_buf_append(out, content, len);
}

TC_RESULT vf_nv_cert_tcbinfo_der(EVP_PKEY *key, const uint8_t *fwid, size_t fwid_len, struct tc_buf *out)
{
	static const uint8_t version = VF_TCBINFO_VERSION;
	struct tc_buf body, fw, alg;
	unsigned char *spki = NULL;
	int spki_len = i2d_PUBKEY(key, &spki);
	struct tc_result r = tc_ok();

	tc_buf_init(&body, TC_BUF_DEFAULT_MAX);
	tc_buf_init(&fw, TC_BUF_DEFAULT_MAX);
	tc_buf_init(&alg, TC_BUF_DEFAULT_MAX);
	TC_ENSURE_GOTO(r, spki_len > 0, out, TC_ERR_CRYPTO, "i2d_PUBKEY failed");
	TC_ENSURE_GOTO(r, fwid_len == VF_NV_FWID_LEN, out, TC_ERR_INVALID_ARGUMENT, "FWID of %zu bytes", fwid_len);
	TC_GUARD_GOTO(r, vf_der_put(&alg, DER_OID, vf_der_oid_sha384, sizeof(vf_der_oid_sha384)), out);
	TC_GUARD_GOTO(r, vf_der_put(&alg, DER_OCTET_STRING, fwid, fwid_len), out);
	TC_GUARD_GOTO(r, vf_der_put(&fw, DER_SEQUENCE, alg.data, alg.len), out);
	TC_GUARD_GOTO(r, vf_der_put(&body, DER_INTEGER, &version, 1), out);
	TC_GUARD_GOTO(r, tc_buf_append(&body, spki, (size_t)spki_len), out);
	TC_GUARD_GOTO(r, tc_buf_append(&body, fw.data, fw.len), out);
	r = vf_der_put(out, DER_SEQUENCE, body.data, body.len);
out:
	OPENSSL_free(spki);
	tc_buf_cleanup(&body);
	tc_buf_cleanup(&fw);
	tc_buf_cleanup(&alg);
	return r;
}
