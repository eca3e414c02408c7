/*
 * chain_rlp.c — Recursive Length Prefix, Ethereum yellow paper Appendix B.
 *
 * Encoder: byte strings and minimal big-endian integers appended to a tc_buf; lists are opened with
 * chain_rlp_list_begin and closed with chain_rlp_list_end, which slides the payload to make room for the
 * header, so nested lists need no temporary buffers.
 *
 * Decoder: strict. It accepts only the one canonical encoding of each item, because transaction hashes are
 * computed over the exact bytes: a single byte below 0x80 must be itself (not 0x81 xx), lengths below 56
 * use the short form, long-form lengths have no leading zero byte, and a list's payload is exactly a
 * sequence of (recursively canonical) items. All reads go through struct tc_cursor.
 */
#include <string.h>

#include "chain_internal.h"

/* Prefix ranges (yellow paper B, equations 180-183). */
#define RLP_STRING_SHORT 0x80 /* 0x80 + len, len 0..55 */
#define RLP_STRING_LONG 0xb7  /* 0xb7 + len-of-len, len >= 56 */
#define RLP_LIST_SHORT 0xc0   /* 0xc0 + len, len 0..55 */
#define RLP_LIST_LONG 0xf7    /* 0xf7 + len-of-len, len >= 56 */
#define RLP_SHORT_MAX 55
#define RLP_LEN_OF_LEN_MAX 8
#define RLP_HEADER_MAX (1 + RLP_LEN_OF_LEN_MAX)

/* ------------------------------------------------------------------------------------------ encoding */

/* Header for a payload of LEN bytes with base SHORT (0x80 strings, 0xc0 lists); returns its size. */
static size_t rlp_header(uint8_t hdr[RLP_HEADER_MAX], uint8_t short_base, size_t len)
{
	size_t lenlen = 0;

	if (len <= RLP_SHORT_MAX) {
		hdr[0] = (uint8_t)(short_base + len);
		return 1;
	}
	for (size_t v = len; v > 0; v >>= 8)
		lenlen++;
	/* Long form: 0xb7 / 0xf7 + len-of-len, then the length big-endian without leading zeros. */
	hdr[0] = (uint8_t)(short_base + RLP_SHORT_MAX + lenlen);
	for (size_t i = 0; i < lenlen; i++)
		hdr[1 + i] = (uint8_t)(len >> (8 * (lenlen - 1 - i)));
	return 1 + lenlen;
}

TC_RESULT chain_rlp_put_bytes(struct tc_buf *out, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint8_t hdr[RLP_HEADER_MAX];
	size_t hlen;

	TC_ENSURE(data != NULL || len == 0, TC_ERR_INVALID_ARGUMENT, "rlp: NULL data");
	/* A single byte in [0x00, 0x7f] is its own encoding. */
	if (len == 1 && p[0] < RLP_STRING_SHORT)
		return tc_buf_append_u8(out, p[0]);
	hlen = rlp_header(hdr, RLP_STRING_SHORT, len);
	TC_GUARD(tc_buf_reserve(out, hlen + len));
	TC_GUARD(tc_buf_append(out, hdr, hlen));
	return tc_buf_append(out, data, len);
}

TC_RESULT chain_rlp_put_u64(struct tc_buf *out, uint64_t v)
{
	struct chain_u256 u;

	chain_u256_from_u64(&u, v);
	return chain_rlp_put_u256(out, &u);
}

TC_RESULT chain_rlp_put_u256(struct tc_buf *out, const struct chain_u256 *v)
{
	const uint8_t *start;
	size_t n = chain_u256_minimal(v, &start);

	/* Integers are their minimal big-endian bytes: 0 is the empty string (0x80). */
	return chain_rlp_put_bytes(out, start, n);
}

TC_RESULT chain_rlp_list_begin(struct tc_buf *out, size_t *mark)
{
	*mark = out->len;
	return tc_ok();
}

TC_RESULT chain_rlp_list_end(struct tc_buf *out, size_t mark)
{
	uint8_t hdr[RLP_HEADER_MAX];
	size_t payload, hlen;

	TC_ENSURE(mark <= out->len, TC_ERR_INVALID_ARGUMENT, "rlp: list mark %zu past the end %zu", mark, out->len);
	payload = out->len - mark;
	hlen = rlp_header(hdr, RLP_LIST_SHORT, payload);
	/* Grow by the header size, then slide the payload right and write the header in front of it. */
	TC_GUARD(tc_buf_append(out, hdr, hlen));
	memmove(out->data + mark + hlen, out->data + mark, payload);
	memcpy(out->data + mark, hdr, hlen);
	return tc_ok();
}

/* ------------------------------------------------------------------------------------------ decoding */

/* Long-form length: LENLEN big-endian bytes, no leading zero, value > 55 (else the short form applies). */
static TC_RESULT rlp_long_len(struct tc_cursor *c, size_t lenlen, size_t *out)
{
	const uint8_t *p;
	uint64_t len = 0;

	TC_GUARD(tc_cursor_view(c, lenlen, &p));
	TC_ENSURE(p[0] != 0, CHAIN_ERR_MALFORMED, "rlp: leading zero in a long length at offset %zu",
		  tc_cursor_pos(c) - lenlen);
	for (size_t i = 0; i < lenlen; i++)
		len = len << 8 | p[i];
	TC_ENSURE(len > RLP_SHORT_MAX, CHAIN_ERR_MALFORMED, "rlp: long form for a length of %llu",
		  (unsigned long long)len);
	TC_ENSURE(len <= tc_cursor_remaining(c), TC_ERR_TRUNCATED, "rlp: item of %llu bytes, only %zu left",
		  (unsigned long long)len, tc_cursor_remaining(c));
	*out = (size_t)len;
	return tc_ok();
}

static TC_RESULT rlp_next_depth(struct tc_cursor *c, struct chain_rlp_item *out, unsigned depth)
{
	struct tc_cursor t = *c, items;
	struct chain_rlp_item item, child;
	uint8_t b;
	size_t len;

	TC_ENSURE(depth <= CHAIN_RLP_MAX_DEPTH, CHAIN_ERR_MALFORMED, "rlp: nesting deeper than %d",
		  CHAIN_RLP_MAX_DEPTH);
	TC_GUARD(tc_cursor_u8(&t, &b));
	if (b < RLP_STRING_SHORT) {
		item = (struct chain_rlp_item){ .is_list = false, .payload = t.data + t.pos - 1, .len = 1 };
		*c = t;
		*out = item;
		return tc_ok();
	}
	item.is_list = b >= RLP_LIST_SHORT;
	if (b <= RLP_STRING_LONG)
		len = (size_t)(b - RLP_STRING_SHORT);
	else if (b < RLP_LIST_SHORT)
		TC_GUARD(rlp_long_len(&t, (size_t)(b - RLP_STRING_LONG), &len));
	else if (b <= RLP_LIST_LONG)
		len = (size_t)(b - RLP_LIST_SHORT);
	else
		TC_GUARD(rlp_long_len(&t, (size_t)(b - RLP_LIST_LONG), &len));
	TC_GUARD(tc_cursor_view(&t, len, &item.payload));
	item.len = len;
	TC_ENSURE(item.is_list || len != 1 || item.payload[0] >= RLP_STRING_SHORT, CHAIN_ERR_MALFORMED,
		  "rlp: single byte 0x%02x below 0x80 must be encoded as itself", item.payload[0]);
	if (item.is_list) {
		tc_cursor_init(&items, item.payload, item.len);
		while (tc_cursor_remaining(&items) > 0)
			TC_GUARD(rlp_next_depth(&items, &child, depth + 1));
	}
	*c = t;
	*out = item;
	return tc_ok();
}

TC_RESULT chain_rlp_next(struct tc_cursor *c, struct chain_rlp_item *out)
{
	return rlp_next_depth(c, out, 0);
}

TC_RESULT chain_rlp_decode(const void *data, size_t len, struct chain_rlp_item *out)
{
	struct tc_cursor c;
	struct chain_rlp_item item;

	tc_cursor_init(&c, data, len);
	TC_GUARD(chain_rlp_next(&c, &item));
	TC_ENSURE(tc_cursor_remaining(&c) == 0, CHAIN_ERR_MALFORMED, "rlp: %zu trailing bytes after the item",
		  tc_cursor_remaining(&c));
	*out = item;
	return tc_ok();
}

TC_RESULT chain_rlp_enter(const struct chain_rlp_item *list, struct tc_cursor *out)
{
	TC_ENSURE(list->is_list, CHAIN_ERR_MALFORMED, "rlp: expected a list, found a byte string");
	tc_cursor_init(out, list->payload, list->len);
	return tc_ok();
}

static TC_RESULT rlp_get_string(struct tc_cursor *c, struct chain_rlp_item *out)
{
	struct tc_cursor t = *c;
	struct chain_rlp_item item;

	TC_GUARD(chain_rlp_next(&t, &item));
	TC_ENSURE(!item.is_list, CHAIN_ERR_MALFORMED, "rlp: expected a byte string at offset %zu, found a list",
		  tc_cursor_pos(c));
	*c = t;
	*out = item;
	return tc_ok();
}

/* Minimal big-endian integer of at most MAX bytes: no leading zero byte (0 is the empty string). */
static TC_RESULT rlp_get_uint(struct tc_cursor *c, size_t max, struct chain_rlp_item *out)
{
	struct tc_cursor t = *c;
	struct chain_rlp_item item;

	TC_GUARD(rlp_get_string(&t, &item));
	TC_ENSURE(item.len <= max, CHAIN_ERR_MALFORMED, "rlp: integer of %zu bytes exceeds %zu", item.len, max);
	TC_ENSURE(item.len == 0 || item.payload[0] != 0, CHAIN_ERR_MALFORMED,
		  "rlp: integer with a leading zero byte at offset %zu", tc_cursor_pos(c));
	*c = t;
	*out = item;
	return tc_ok();
}

TC_RESULT chain_rlp_get_u64(struct tc_cursor *c, uint64_t *out)
{
	struct chain_rlp_item item;
	uint64_t v = 0;

	TC_GUARD(rlp_get_uint(c, sizeof(uint64_t), &item));
	for (size_t i = 0; i < item.len; i++)
		v = v << 8 | item.payload[i];
	*out = v;
	return tc_ok();
}

TC_RESULT chain_rlp_get_u256(struct tc_cursor *c, struct chain_u256 *out)
{
	struct chain_rlp_item item;

	TC_GUARD(rlp_get_uint(c, CHAIN_U256_LEN, &item));
	memset(out->be, 0, sizeof(out->be));
	if (item.len > 0)
		memcpy(out->be + CHAIN_U256_LEN - item.len, item.payload, item.len);
	return tc_ok();
}

TC_RESULT chain_rlp_get_fixed(struct tc_cursor *c, void *out, size_t len)
{
	struct tc_cursor t = *c;
	struct chain_rlp_item item;

	TC_GUARD(rlp_get_string(&t, &item));
	TC_ENSURE(item.len == len, CHAIN_ERR_MALFORMED, "rlp: expected %zu bytes, found %zu", len, item.len);
	if (len > 0)
		memcpy(out, item.payload, len);
	*c = t;
	return tc_ok();
}

TC_RESULT chain_rlp_get_bytes(struct tc_cursor *c, const uint8_t **data, size_t *len)
{
	struct chain_rlp_item item;

	TC_GUARD(rlp_get_string(c, &item));
	*data = item.payload;
	*len = item.len;
	return tc_ok();
}
