/*
 * tc_encode.c — hex and base64 (RFC 4648 §4 standard, §5 URL-safe) encoders and strict decoders.
 *
 * Decoders validate the whole input before appending anything, so a failed decode leaves the output
 * buffer as it was. Base64 decoding is canonical (RFC 4648 §3.5): the unused bits of the last group must
 * be zero, so every byte string has exactly one accepted encoding.
 */
#include "tc.h"

#include <string.h>

static const char tc_hex_digits[] = "0123456789abcdef";
static const char tc_b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char tc_b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

#define TC_B64_PAD '='
#define TC_B64_BAD 0xff

/* ---------------------------------------------------------------------------------------------- hex */

static int tc_hex_nibble(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

TC_RESULT tc_hex_encode(const void *in, size_t len, char *out, size_t out_size)
{
	const uint8_t *p = in;

	TC_ENSURE(in != NULL || len == 0, TC_ERR_INVALID_ARGUMENT, "hex_encode: NULL input");
	TC_ENSURE(out != NULL && len <= (SIZE_MAX - 1) / 2 && out_size >= 2 * len + 1, TC_ERR_INVALID_ARGUMENT,
		  "hex_encode: output of %zu bytes too small for %zu input bytes", out_size, len);
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = tc_hex_digits[p[i] >> 4];
		out[2 * i + 1] = tc_hex_digits[p[i] & 0x0f];
	}
	out[2 * len] = '\0';
	return tc_ok();
}

TC_RESULT tc_hex_encode_buf(const void *in, size_t len, struct tc_buf *out)
{
	TC_ENSURE(in != NULL || len == 0, TC_ERR_INVALID_ARGUMENT, "hex_encode: NULL input");
	TC_ENSURE(len <= (SIZE_MAX - 1) / 2, TC_ERR_TOO_LARGE, "hex_encode: input too large");
	TC_GUARD(tc_buf_reserve(out, 2 * len));
	TC_GUARD(tc_hex_encode(in, len, (char *)out->data + out->len, out->cap - out->len));
	out->len += 2 * len;
	return tc_ok();
}

/* Check HEX and return the offset of the first bad character, or hex_len when all are digits. */
static size_t tc_hex_first_bad(const char *hex, size_t hex_len)
{
	for (size_t i = 0; i < hex_len; i++)
		if (tc_hex_nibble(hex[i]) < 0)
			return i;
	return hex_len;
}

static TC_RESULT tc_hex_check(const char *hex, size_t hex_len)
{
	size_t bad;

	TC_ENSURE(hex != NULL || hex_len == 0, TC_ERR_INVALID_ARGUMENT, "hex_decode: NULL input");
	TC_ENSURE(hex_len % 2 == 0, TC_ERR_HEX_INVALID, "hex string has odd length %zu", hex_len);
	bad = tc_hex_first_bad(hex, hex_len);
	TC_ENSURE(bad == hex_len, TC_ERR_HEX_INVALID, "invalid hex character 0x%02x at offset %zu",
		  (unsigned)(uint8_t)hex[bad], bad);
	return tc_ok();
}

static void tc_hex_decode_unchecked(const char *hex, size_t hex_len, uint8_t *out)
{
	for (size_t i = 0; i < hex_len / 2; i++)
		out[i] = (uint8_t)(tc_hex_nibble(hex[2 * i]) << 4 | tc_hex_nibble(hex[2 * i + 1]));
}

TC_RESULT tc_hex_decode(const char *hex, size_t hex_len, struct tc_buf *out)
{
	TC_GUARD(tc_hex_check(hex, hex_len));
	TC_GUARD(tc_buf_reserve(out, hex_len / 2));
	tc_hex_decode_unchecked(hex, hex_len, out->data + out->len);
	out->len += hex_len / 2;
	out->data[out->len] = '\0';
	return tc_ok();
}

TC_RESULT tc_hex_decode_fixed(const char *hex, size_t hex_len, void *out, size_t out_len)
{
	TC_ENSURE(out != NULL || out_len == 0, TC_ERR_INVALID_ARGUMENT, "hex_decode: NULL output");
	TC_ENSURE(out_len <= SIZE_MAX / 2 && hex_len == 2 * out_len, TC_ERR_HEX_INVALID,
		  "expected %zu hex digits (%zu bytes), got %zu", out_len <= SIZE_MAX / 2 ? 2 * out_len : 0, out_len,
		  hex_len);
	TC_GUARD(tc_hex_check(hex, hex_len));
	tc_hex_decode_unchecked(hex, hex_len, out);
	return tc_ok();
}

/* ------------------------------------------------------------------------------------------- base64 */

static TC_RESULT tc_b64_encode(const void *in, size_t len, const char *alphabet, bool pad, struct tc_buf *out)
{
	const uint8_t *p = in;
	size_t full = len / 3, rest = len % 3;
	size_t out_len;
	char *o;

	TC_ENSURE(in != NULL || len == 0, TC_ERR_INVALID_ARGUMENT, "base64_encode: NULL input");
	TC_ENSURE(full < SIZE_MAX / 4 - 1, TC_ERR_TOO_LARGE, "base64_encode: input too large");
	out_len = 4 * full + (rest == 0 ? 0 : pad ? 4 : rest + 1);
	TC_GUARD(tc_buf_reserve(out, out_len));
	o = (char *)out->data + out->len;
	for (size_t i = 0; i < full; i++, p += 3) {
		uint32_t v = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];

		*o++ = alphabet[v >> 18 & 0x3f];
		*o++ = alphabet[v >> 12 & 0x3f];
		*o++ = alphabet[v >> 6 & 0x3f];
		*o++ = alphabet[v & 0x3f];
	}
	if (rest > 0) {
		uint32_t v = (uint32_t)p[0] << 16 | (rest == 2 ? (uint32_t)p[1] << 8 : 0);

		*o++ = alphabet[v >> 18 & 0x3f];
		*o++ = alphabet[v >> 12 & 0x3f];
		if (rest == 2)
			*o++ = alphabet[v >> 6 & 0x3f];
		else if (pad)
			*o++ = TC_B64_PAD;
		if (pad)
			*o++ = TC_B64_PAD;
	}
	out->len += out_len;
	out->data[out->len] = '\0';
	return tc_ok();
}

/* The value of CH in ALPHABET (both alphabets share A-Z a-z 0-9 and differ in the last two), or TC_B64_BAD. */
static uint8_t tc_b64_value(const char *alphabet, char ch)
{
	unsigned c = (uint8_t)ch;

	if (c - 'A' < 26u)
		return (uint8_t)(c - 'A');
	if (c - 'a' < 26u)
		return (uint8_t)(c - 'a' + 26);
	if (c - '0' < 10u)
		return (uint8_t)(c - '0' + 52);
	if (c != 0 && c == (uint8_t)alphabet[62])
		return 62;
	if (c != 0 && c == (uint8_t)alphabet[63])
		return 63;
	return TC_B64_BAD;
}

/*
 * Decode the data characters of IN (padding already removed by the caller): every character must be in
 * ALPHABET, a final group of 1 character is impossible, and the unused low bits of the last character
 * must be zero (RFC 4648 §3.5).
 */
static TC_RESULT tc_b64_decode(const char *in, size_t n, const char *alphabet, const char *what, struct tc_buf *out)
{
	size_t rest = n % 4;
	size_t out_len = n / 4 * 3 + (rest == 0 ? 0 : rest - 1);
	uint8_t *o;
	uint32_t v = 0;

	TC_ENSURE(rest != 1, TC_ERR_BASE64_INVALID, "%s: impossible length (a lone final character)", what);
	TC_GUARD(tc_buf_reserve(out, out_len));
	o = out->data + out->len; /* OUT->len moves only once everything decoded */
	for (size_t i = 0; i < n; i++) {
		uint8_t c = tc_b64_value(alphabet, in[i]);

		if (c == TC_B64_BAD) {
			out->data[out->len] = '\0'; /* OUT as it was */
			return tc_fail(TC_ERR_BASE64_INVALID, "%s: invalid character 0x%02x at offset %zu", what,
				       (unsigned)(uint8_t)in[i], i);
		}
		v = v << 6 | c;
		if (i % 4 == 3) {
			*o++ = (uint8_t)(v >> 16);
			*o++ = (uint8_t)(v >> 8);
			*o++ = (uint8_t)v;
			v = 0;
		}
	}
	if ((rest == 2 && (v & 0x0f) != 0) || (rest == 3 && (v & 0x03) != 0)) {
		out->data[out->len] = '\0';
		return tc_fail(TC_ERR_BASE64_INVALID, "%s: non-zero bits in the final character", what);
	}
	if (rest == 2) {
		*o++ = (uint8_t)(v >> 4);
	} else if (rest == 3) {
		*o++ = (uint8_t)(v >> 10);
		*o++ = (uint8_t)(v >> 2);
	}
	out->len += out_len;
	out->data[out->len] = '\0';
	return tc_ok();
}

TC_RESULT tc_base64_encode(const void *in, size_t len, struct tc_buf *out)
{
	return tc_b64_encode(in, len, tc_b64_std, true, out);
}

TC_RESULT tc_base64_decode(const char *b64, size_t b64_len, struct tc_buf *out)
{
	size_t n = b64_len;

	TC_ENSURE(b64 != NULL || b64_len == 0, TC_ERR_INVALID_ARGUMENT, "base64_decode: NULL input");
	TC_ENSURE(b64_len % 4 == 0, TC_ERR_BASE64_INVALID, "base64: length %zu is not a multiple of 4", b64_len);
	/* At most two '=' and only at the very end (RFC 4648 §4). */
	if (n > 0 && b64[n - 1] == TC_B64_PAD)
		n--;
	if (n > 0 && b64[n - 1] == TC_B64_PAD)
		n--;
	TC_ENSURE(n == b64_len || n % 4 >= 2, TC_ERR_BASE64_INVALID, "base64: misplaced padding");
	return tc_b64_decode(b64, n, tc_b64_std, "base64", out);
}

/* "-----BEGIN LABEL-----\n" (WHAT = "-----BEGIN ") into OUT. */
static TC_RESULT pem_line(struct tc_buf *out, const char *what, const char *label)
{
	TC_GUARD(tc_buf_append_str(out, what));
	TC_GUARD(tc_buf_append_str(out, label));
	return tc_buf_append_str(out, "-----\n");
}

TC_RESULT tc_pem_encode(const char *label, const void *der, size_t len, struct tc_buf *out)
{
	struct tc_buf b64;
	struct tc_result r;

	TC_ENSURE(label != NULL && (der != NULL || len == 0), TC_ERR_INVALID_ARGUMENT,
		  "tc_pem_encode: missing argument");
	tc_buf_init(&b64, (len + 2) / 3 * 4 + 1);
	r = tc_base64_encode(der, len, &b64);
	if (tc_is_ok(r))
		r = pem_line(out, "-----BEGIN ", label);
	for (size_t at = 0; tc_is_ok(r) && at < b64.len; at += 64) {
		size_t n = b64.len - at < 64 ? b64.len - at : 64;

		r = tc_buf_append(out, b64.data + at, n);
		if (tc_is_ok(r))
			r = tc_buf_append_u8(out, '\n');
	}
	if (tc_is_ok(r))
		r = pem_line(out, "-----END ", label);
	tc_buf_cleanup(&b64);
	return r;
}

TC_RESULT tc_base64url_encode(const void *in, size_t len, struct tc_buf *out)
{
	return tc_b64_encode(in, len, tc_b64_url, false, out);
}

TC_RESULT tc_base64url_decode(const char *b64, size_t b64_len, struct tc_buf *out)
{
	TC_ENSURE(b64 != NULL || b64_len == 0, TC_ERR_INVALID_ARGUMENT, "base64url_decode: NULL input");
	return tc_b64_decode(b64, b64_len, tc_b64_url, "base64url", out);
}
