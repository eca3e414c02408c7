/*
 * ca_der.c — the small DER writer and reader of ca/ (X.690 §8 and §10: definite, minimal lengths; DER
 * INTEGER/BOOLEAN rules), the OID constants, SIGNED{} assembly and a minimal CBOR head writer.
 *
 * Why hand-built DER: OpenSSL 3.0 signs X509/X509_CRL/OCSP structures only with an EVP_PKEY it holds; our
 * keys live behind struct ca_signer (sign(digest)), so the to-be-signed structures are encoded here, signed
 * through the signer, and only then parsed by OpenSSL as a self-check. The reader is the one bounds-checked
 * path for our own extensions (decoders are fuzzed: tests/fuzz/ca).
 */
#include "ca_internal.h"

#include <string.h>
#include <time.h>

#include <openssl/evp.h>

/* ---------------------------------------------------------------------------------------------- OIDs */

#define CA_OID_DEF(name, ...)                                                                              \
	static const uint8_t name##_bytes[] = { __VA_ARGS__ };                                             \
	const struct ca_oid name = { name##_bytes, sizeof(name##_bytes) }

/* 2.25.294202798840466547262940463723324836766 (UUID OID of DESIGN.md) and its .1 ... .5 */
#define CA_ARC_BYTES                                                                                       \
	0x69, 0x83, 0xba, 0xd5, 0xb2, 0xf8, 0xec, 0xbb, 0xc2, 0xb1, 0xf1, 0x83, 0xba, 0x9b, 0xe9, 0xdd, 0xd9,     \
		0x8c, 0x97, 0x1e
CA_OID_DEF(CA_OIDB_APPRAISAL, CA_ARC_BYTES, 0x01);
CA_OID_DEF(CA_OIDB_WORKLOAD_INFO, CA_ARC_BYTES, 0x02);
CA_OID_DEF(CA_OIDB_HARDWARE_ID, CA_ARC_BYTES, 0x03);
CA_OID_DEF(CA_OIDB_ROLE, CA_ARC_BYTES, 0x04);
CA_OID_DEF(CA_OIDB_LOG_REF, CA_ARC_BYTES, 0x05);
CA_OID_DEF(CA_OIDB_TCG_DICE_CMW, 0x67, 0x81, 0x05, 0x05, 0x04, 0x09);               /* 2.23.133.5.4.9 */
CA_OID_DEF(CA_OIDB_RATLS_QUOTE, 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x8a, 0x39, 0x06); /* 1.2.840.113741.1337.6 */
CA_OID_DEF(CA_OIDB_SKI, 0x55, 0x1d, 0x0e);
CA_OID_DEF(CA_OIDB_KU, 0x55, 0x1d, 0x0f);
CA_OID_DEF(CA_OIDB_SAN, 0x55, 0x1d, 0x11);
CA_OID_DEF(CA_OIDB_BC, 0x55, 0x1d, 0x13);
CA_OID_DEF(CA_OIDB_CRL_NUMBER, 0x55, 0x1d, 0x14);
CA_OID_DEF(CA_OIDB_REASON_CODE, 0x55, 0x1d, 0x15);
CA_OID_DEF(CA_OIDB_CRLDP, 0x55, 0x1d, 0x1f);
CA_OID_DEF(CA_OIDB_AKI, 0x55, 0x1d, 0x23);
CA_OID_DEF(CA_OIDB_EKU, 0x55, 0x1d, 0x25);
CA_OID_DEF(CA_OIDB_AIA, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01);
CA_OID_DEF(CA_OIDB_AD_OCSP, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01);
CA_OID_DEF(CA_OIDB_KP_SERVER_AUTH, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01);
CA_OID_DEF(CA_OIDB_KP_CLIENT_AUTH, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02);
CA_OID_DEF(CA_OIDB_KP_OCSP_SIGNING, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x09);
CA_OID_DEF(CA_OIDB_OCSP_BASIC, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01);
CA_OID_DEF(CA_OIDB_OCSP_NONCE, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x02);
CA_OID_DEF(CA_OIDB_CN, 0x55, 0x04, 0x03);
CA_OID_DEF(CA_OIDB_O, 0x55, 0x04, 0x0a);
CA_OID_DEF(CA_OIDB_EXT_REQUEST, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x0e); /* PKCS#9 14 */

static const uint8_t ecdsa_sha256[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
static const uint8_t ecdsa_sha384[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03 };

bool ca_oid_eq(const struct ca_oid *oid, const uint8_t *der, size_t len)
{
	return oid->len == len && memcmp(oid->der, der, len) == 0;
}

/* -------------------------------------------------------------------------------------------- writer */

void ca_der_init(struct ca_der *w, struct tc_buf *out)
{
	w->out = out;
	w->depth = 0;
	w->err = tc_ok();
	if (out->max == 0 || out->max > CA_DER_MAX_OUTPUT)
		out->max = CA_DER_MAX_OUTPUT;
}

TC_RESULT ca_der_finish(struct ca_der *w)
{
	if (tc_is_ok(w->err) && w->depth != 0)
		w->err = tc_fail(TC_ERR_INTERNAL, "DER writer: %zu constructed values left open", w->depth);
	return w->err;
}

static void ca_der_append(struct ca_der *w, const void *data, size_t len)
{
	if (tc_is_ok(w->err) && len > 0)
		w->err = tc_buf_append(w->out, data, len);
}

/* Length octets of LEN (X.690 §8.1.3, §10.1: shortest form). */
static size_t ca_der_len_bytes(size_t len, uint8_t out[9])
{
	size_t n = 0, i;
	size_t v = len;

	if (len < 0x80) {
		out[0] = (uint8_t)len;
		return 1;
	}
	while (v != 0) {
		n++;
		v >>= 8;
	}
	out[0] = (uint8_t)(0x80 | n);
	for (i = 0; i < n; i++)
		out[1 + i] = (uint8_t)(len >> (8 * (n - 1 - i)));
	return 1 + n;
}

void ca_der_begin(struct ca_der *w, uint8_t tag)
{
	if (!tc_is_ok(w->err))
		return;
	if (w->depth >= CA_DER_MAX_DEPTH) {
		w->err = tc_fail(TC_ERR_INTERNAL, "DER writer nested too deep");
		return;
	}
	ca_der_append(w, &tag, 1);
	w->open[w->depth++] = w->out->len;
}

void ca_der_end(struct ca_der *w)
{
	uint8_t hdr[9];
	size_t start, clen, n;

	if (!tc_is_ok(w->err))
		return;
	if (w->depth == 0) {
		w->err = tc_fail(TC_ERR_INTERNAL, "DER writer: end without begin");
		return;
	}
	start = w->open[--w->depth];
	clen = w->out->len - start;
	n = ca_der_len_bytes(clen, hdr);
	w->err = tc_buf_reserve(w->out, n);
	if (!tc_is_ok(w->err))
		return;
	memmove(w->out->data + start + n, w->out->data + start, clen);
	memcpy(w->out->data + start, hdr, n);
	w->out->len += n;
	w->out->data[w->out->len] = '\0';
}

void ca_der_raw(struct ca_der *w, const void *data, size_t len)
{
	ca_der_append(w, data, len);
}

void ca_der_tlv(struct ca_der *w, uint8_t tag, const void *content, size_t len)
{
	uint8_t hdr[10];
	size_t n;

	hdr[0] = tag;
	n = ca_der_len_bytes(len, hdr + 1);
	ca_der_append(w, hdr, 1 + n);
	ca_der_append(w, content, len);
}

void ca_der_uint(struct ca_der *w, uint8_t tag, uint64_t v)
{
	uint8_t b[9];
	size_t n = 0, i;

	/* Big-endian magnitude, minimal, with a leading 0x00 when the top bit is set (X.690 §8.3.2). */
	for (i = 0; i < 8; i++) {
		uint8_t byte = (uint8_t)(v >> (8 * (7 - i)));

		if (n == 0 && byte == 0)
			continue;
		if (n == 0 && (byte & 0x80))
			b[n++] = 0;
		b[n++] = byte;
	}
	if (n == 0)
		b[n++] = 0;
	ca_der_tlv(w, tag, b, n);
}

void ca_der_uint_bytes(struct ca_der *w, const uint8_t *mag, size_t len)
{
	while (len > 1 && mag[0] == 0) {
		mag++;
		len--;
	}
	if (len == 0 || (mag[0] & 0x80)) {
		ca_der_begin(w, CA_DER_INTEGER);
		ca_der_append(w, "", 1);
		ca_der_append(w, mag, len);
		ca_der_end(w);
		return;
	}
	ca_der_tlv(w, CA_DER_INTEGER, mag, len);
}

void ca_der_bool(struct ca_der *w, bool v)
{
	uint8_t b = v ? 0xff : 0x00; /* X.690 §11.1 */

	ca_der_tlv(w, CA_DER_BOOLEAN, &b, 1);
}

void ca_der_oid(struct ca_der *w, const uint8_t *oid, size_t len)
{
	ca_der_tlv(w, CA_DER_OID, oid, len);
}

void ca_der_utf8(struct ca_der *w, uint8_t tag, const char *s)
{
	ca_der_tlv(w, tag, s, strlen(s));
}

void ca_der_time(struct ca_der *w, int64_t t, bool always_generalized)
{
	char s[TC_TIME_RFC3339_LEN];
	char out[16];
	struct tc_result r;
	size_t n;

	if (!tc_is_ok(w->err))
		return;
	r = tc_time_format(t, s); /* YYYY-MM-DDTHH:MM:SSZ */
	if (!tc_is_ok(r)) {
		w->err = r;
		return;
	}
	/* RFC 5280 §4.1.2.5.1/.2: YYMMDDHHMMSSZ for 1950..2049, YYYYMMDDHHMMSSZ otherwise. */
	bool utc = !always_generalized && t >= -631152000 && t < 2524608000;
	const char *y = utc ? s + 2 : s;
	size_t ylen = utc ? 2 : 4;

	memcpy(out, y, ylen);
	n = ylen;
	memcpy(out + n, s + 5, 2);
	memcpy(out + n + 2, s + 8, 2);
	memcpy(out + n + 4, s + 11, 2);
	memcpy(out + n + 6, s + 14, 2);
	memcpy(out + n + 8, s + 17, 2);
	out[n + 10] = 'Z';
	ca_der_tlv(w, utc ? CA_DER_UTCTIME : CA_DER_GENERALIZEDTIME, out, n + 11);
}

void ca_der_bit_string(struct ca_der *w, const uint8_t *data, size_t len)
{
	ca_der_begin(w, CA_DER_BIT_STRING);
	ca_der_append(w, "", 1);
	ca_der_append(w, data, len);
	ca_der_end(w);
}

void ca_der_sig_alg(struct ca_der *w, enum ca_sig_alg alg)
{
	ca_der_begin(w, CA_DER_SEQUENCE);
	if (alg == CA_SIG_ECDSA_SHA384)
		ca_der_oid(w, ecdsa_sha384, sizeof(ecdsa_sha384));
	else
		ca_der_oid(w, ecdsa_sha256, sizeof(ecdsa_sha256));
	ca_der_end(w);
}

void ca_der_extension(struct ca_der *w, const struct ca_oid *oid, bool critical, const struct tc_buf *value)
{
	ca_der_begin(w, CA_DER_SEQUENCE);
	ca_der_oid(w, oid->der, oid->len);
	if (critical)
		ca_der_bool(w, true); /* DEFAULT FALSE is omitted (X.690 §11.5) */
	ca_der_tlv(w, CA_DER_OCTET_STRING, value->data, value->len);
	ca_der_end(w);
}

TC_RESULT ca_sign_structure(const struct ca_signer *s, const uint8_t *tbs, size_t tbs_len, struct tc_buf *out)
{
	struct tc_buf sig = { 0 };
	struct ca_der w;
	struct tc_result r;

	tc_buf_init(&sig, CA_SIG_MAX);
	TC_GUARD_GOTO(r, ca_signer_sign_data(s, tbs, tbs_len, &sig), out);
	ca_der_init(&w, out);
	ca_der_begin(&w, CA_DER_SEQUENCE);
	ca_der_raw(&w, tbs, tbs_len);
	ca_der_sig_alg(&w, s->algorithm(s));
	ca_der_bit_string(&w, sig.data, sig.len);
	ca_der_end(&w);
	r = ca_der_finish(&w);
out:
	tc_buf_cleanup(&sig);
	return r;
}

/* -------------------------------------------------------------------------------------------- reader */

/* One TLV header: single-byte tags only (all we read), definite minimal length. */
static TC_RESULT ca_der_header(struct tc_cursor *c, uint8_t *tag, size_t *len, const char *what)
{
	uint8_t t, l0, b;
	size_t n, v = 0, i;

	TC_ENSURE(tc_is_ok(tc_cursor_u8(c, &t)), TC_ERR_EXTENSION_MALFORMED, "%s: truncated tag", what);
	TC_ENSURE((t & 0x1f) != 0x1f, TC_ERR_EXTENSION_MALFORMED, "%s: multi-byte tag", what);
	TC_ENSURE(tc_is_ok(tc_cursor_u8(c, &l0)), TC_ERR_EXTENSION_MALFORMED, "%s: truncated length", what);
	if (l0 < 0x80) {
		v = l0;
	} else {
		n = l0 & 0x7f;
		TC_ENSURE(n >= 1 && n <= 4, TC_ERR_EXTENSION_MALFORMED, "%s: bad length form 0x%02x", what, l0);
		for (i = 0; i < n; i++) {
			TC_ENSURE(tc_is_ok(tc_cursor_u8(c, &b)), TC_ERR_EXTENSION_MALFORMED, "%s: truncated length",
				  what);
			TC_ENSURE(!(i == 0 && b == 0), TC_ERR_EXTENSION_MALFORMED, "%s: non-minimal length", what);
			v = (v << 8) | b;
		}
		TC_ENSURE(v >= 0x80, TC_ERR_EXTENSION_MALFORMED, "%s: non-minimal length", what);
	}
	TC_ENSURE(v <= tc_cursor_remaining(c), TC_ERR_EXTENSION_MALFORMED, "%s: length %zu exceeds the %zu bytes left",
		  what, v, tc_cursor_remaining(c));
	*tag = t;
	*len = v;
	return tc_ok();
}

bool ca_der_peek(const struct tc_cursor *c, uint8_t *tag)
{
	if (tc_cursor_remaining(c) == 0)
		return false;
	*tag = c->data[c->pos];
	return true;
}

TC_RESULT ca_der_read(struct tc_cursor *c, uint8_t tag, const char *what, struct tc_cursor *content)
{
	struct tc_cursor save = *c;
	uint8_t t = 0;
	size_t len = 0;
	struct tc_result r = ca_der_header(c, &t, &len, what);

	if (!tc_is_ok(r)) {
		*c = save;
		return r;
	}
	if (t != tag) {
		*c = save;
		return tc_fail(TC_ERR_EXTENSION_MALFORMED, "%s: expected tag 0x%02x, found 0x%02x", what, tag, t);
	}
	TC_GUARD(tc_cursor_sub(c, len, content));
	return tc_ok();
}

TC_RESULT ca_der_read_raw(struct tc_cursor *c, uint8_t tag, const char *what, const uint8_t **p, size_t *len)
{
	size_t start = c->pos;
	struct tc_cursor content;

	TC_GUARD(ca_der_read(c, tag, what, &content));
	*p = c->data + start;
	*len = c->pos - start;
	return tc_ok();
}

TC_RESULT ca_der_read_uint(struct tc_cursor *c, uint8_t tag, const char *what, uint64_t max, uint64_t *out)
{
	struct tc_cursor v;
	uint64_t x = 0;
	size_t n, i;

	TC_GUARD(ca_der_read(c, tag, what, &v));
	n = tc_cursor_remaining(&v);
	TC_ENSURE(n >= 1 && n <= 9, TC_ERR_EXTENSION_MALFORMED, "%s: integer of %zu bytes", what, n);
	TC_ENSURE(!(v.data[v.pos] & 0x80), TC_ERR_EXTENSION_MALFORMED, "%s: negative integer", what);
	TC_ENSURE(!(n > 1 && v.data[v.pos] == 0 && !(v.data[v.pos + 1] & 0x80)), TC_ERR_EXTENSION_MALFORMED,
		  "%s: non-minimal integer", what);
	TC_ENSURE(!(n == 9 && v.data[v.pos] != 0), TC_ERR_EXTENSION_MALFORMED, "%s: integer too large", what);
	for (i = 0; i < n; i++)
		x = (x << 8) | v.data[v.pos + i];
	TC_ENSURE(x <= max, TC_ERR_EXTENSION_MALFORMED, "%s: value %llu above %llu", what, (unsigned long long)x,
		  (unsigned long long)max);
	*out = x;
	return tc_ok();
}

TC_RESULT ca_der_read_bool(struct tc_cursor *c, const char *what, bool *out)
{
	struct tc_cursor v;

	TC_GUARD(ca_der_read(c, CA_DER_BOOLEAN, what, &v));
	TC_ENSURE(tc_cursor_remaining(&v) == 1 && (v.data[v.pos] == 0 || v.data[v.pos] == 0xff),
		  TC_ERR_EXTENSION_MALFORMED, "%s: BOOLEAN is not DER", what);
	*out = v.data[v.pos] == 0xff;
	return tc_ok();
}

TC_RESULT ca_der_read_octets(struct tc_cursor *c, uint8_t tag, const char *what, size_t min, size_t max,
			     const uint8_t **p, size_t *len)
{
	struct tc_cursor v;
	size_t n;

	TC_GUARD(ca_der_read(c, tag, what, &v));
	n = tc_cursor_remaining(&v);
	TC_ENSURE(n >= min && n <= max, TC_ERR_EXTENSION_MALFORMED, "%s: %zu bytes (expected %zu..%zu)", what, n,
		  min, max);
	*p = v.data + v.pos;
	*len = n;
	return tc_ok();
}

TC_RESULT ca_der_read_string(struct tc_cursor *c, uint8_t tag, const char *what, char *out, size_t size)
{
	const uint8_t *p;
	size_t n;

	TC_GUARD(ca_der_read_octets(c, tag, what, 1, size - 1, &p, &n));
	TC_ENSURE(memchr(p, 0, n) == NULL, TC_ERR_EXTENSION_MALFORMED, "%s: embedded NUL", what);
	memcpy(out, p, n);
	out[n] = '\0';
	return tc_ok();
}

TC_RESULT ca_der_read_gentime(struct tc_cursor *c, const char *what, int64_t *out)
{
	const uint8_t *p;
	size_t n, i;
	char iso[TC_TIME_RFC3339_LEN];

	/* DER GeneralizedTime: YYYYMMDDHHMMSSZ, no fraction (X.690 §11.7, RFC 5280 §4.1.2.5.2). */
	TC_GUARD(ca_der_read_octets(c, CA_DER_GENERALIZEDTIME, what, 15, 15, &p, &n));
	for (i = 0; i < 14; i++)
		TC_ENSURE(p[i] >= '0' && p[i] <= '9', TC_ERR_EXTENSION_MALFORMED, "%s: bad GeneralizedTime", what);
	TC_ENSURE(p[14] == 'Z', TC_ERR_EXTENSION_MALFORMED, "%s: GeneralizedTime not in UTC", what);
	memcpy(iso, p, 4);
	iso[4] = '-';
	memcpy(iso + 5, p + 4, 2);
	iso[7] = '-';
	memcpy(iso + 8, p + 6, 2);
	iso[10] = 'T';
	memcpy(iso + 11, p + 8, 2);
	iso[13] = ':';
	memcpy(iso + 14, p + 10, 2);
	iso[16] = ':';
	memcpy(iso + 17, p + 12, 2);
	iso[19] = 'Z';
	iso[20] = '\0';
	TC_ENSURE(tc_is_ok(tc_time_parse(iso, out)), TC_ERR_EXTENSION_MALFORMED, "%s: invalid time %s", what, iso);
	return tc_ok();
}

TC_RESULT ca_der_expect_end(const struct tc_cursor *c, const char *what)
{
	TC_ENSURE(tc_cursor_remaining(c) == 0, TC_ERR_EXTENSION_MALFORMED, "%s: %zu unexpected trailing bytes", what,
		  tc_cursor_remaining(c));
	return tc_ok();
}

/* ------------------------------------------------------------------------------------------- helpers */

TC_RESULT ca_spki_key_sha1(const uint8_t *spki, size_t len, uint8_t out[20])
{
	struct tc_cursor c, seq, alg;
	const uint8_t *bits;
	size_t n;
	unsigned int md_len = 0;

	tc_cursor_init(&c, spki, len);
	TC_GUARD(ca_der_read(&c, CA_DER_SEQUENCE, "SubjectPublicKeyInfo", &seq));
	TC_GUARD(ca_der_read(&seq, CA_DER_SEQUENCE, "SubjectPublicKeyInfo.algorithm", &alg));
	TC_GUARD(ca_der_read_octets(&seq, CA_DER_BIT_STRING, "subjectPublicKey", 2, SIZE_MAX, &bits, &n));
	TC_ENSURE(bits[0] == 0, TC_ERR_EXTENSION_MALFORMED, "subjectPublicKey has unused bits");
	if (!EVP_Digest(bits + 1, n - 1, out, &md_len, EVP_sha1(), NULL))
		return tc_fail_openssl(TC_ERR_CRYPTO, "SHA-1 of the public key");
	return tc_ok();
}

TC_RESULT ca_x509_from_der(const uint8_t *der, size_t len, X509 **out)
{
	const unsigned char *p = der;
	X509 *x;

	TC_ENSURE(der != NULL && len > 0 && len <= CA_DER_MAX_OUTPUT, TC_ERR_INVALID_ARGUMENT, "no certificate");
	x = d2i_X509(NULL, &p, (long)len);
	if (x == NULL)
		return tc_fail_openssl(TC_ERR_INVALID_ARGUMENT, "certificate does not parse");
	if (p != der + len) {
		X509_free(x);
		return tc_fail(TC_ERR_INVALID_ARGUMENT, "trailing bytes after the certificate");
	}
	*out = x;
	return tc_ok();
}

TC_RESULT ca_cbor_head(struct tc_buf *b, uint8_t major, uint64_t arg)
{
	uint8_t h[9];
	size_t n, i;

	/* RFC 8949 §3 / §4.2.1 (preferred serialization: shortest argument). */
	if (arg < 24) {
		h[0] = (uint8_t)(major << 5 | arg);
		return tc_buf_append(b, h, 1);
	}
	n = arg <= 0xff ? 1 : arg <= 0xffff ? 2 : arg <= 0xffffffffu ? 4 : 8;
	h[0] = (uint8_t)(major << 5 | (n == 1 ? 24 : n == 2 ? 25 : n == 4 ? 26 : 27));
	for (i = 0; i < n; i++)
		h[1 + i] = (uint8_t)(arg >> (8 * (n - 1 - i)));
	return tc_buf_append(b, h, 1 + n);
}
