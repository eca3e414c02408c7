/*
 * tc_cursor.c — the one bounds-checked reader of outside bytes (STYLE.md point 6, after s2n's stuffer).
 *
 * Every read checks `n <= remaining` (never `pos + n <= len`, which can overflow) and leaves the cursor
 * unchanged when it fails, so a caller can report the offset of the structure that did not fit.
 */
#include "tc.h"

#include <string.h>

void tc_cursor_init(struct tc_cursor *c, const void *data, size_t len)
{
	c->data = data;
	c->len = data != NULL ? len : 0;
	c->pos = 0;
}

size_t tc_cursor_remaining(const struct tc_cursor *c)
{
	return c->pos <= c->len ? c->len - c->pos : 0;
}

/* Borrow N bytes and advance; the single place where bounds are checked. */
static TC_RESULT tc_cursor_take(struct tc_cursor *c, size_t n, const uint8_t **out)
{
	size_t left = tc_cursor_remaining(c);

	TC_ENSURE(n <= left, TC_ERR_TRUNCATED, "need %zu bytes at offset %zu, only %zu left", n, c->pos, left);
	*out = c->data != NULL ? c->data + c->pos : NULL; /* empty cursor over NULL: no pointer math */
	c->pos += n;
	return tc_ok();
}

TC_RESULT tc_cursor_u8(struct tc_cursor *c, uint8_t *out)
{
	const uint8_t *p = NULL;

	TC_GUARD(tc_cursor_take(c, 1, &p));
	*out = p[0];
	return tc_ok();
}

TC_RESULT tc_cursor_u16le(struct tc_cursor *c, uint16_t *out)
{
	const uint8_t *p = NULL;

	TC_GUARD(tc_cursor_take(c, 2, &p));
	*out = (uint16_t)(p[0] | (uint16_t)p[1] << 8);
	return tc_ok();
}

TC_RESULT tc_cursor_u16be(struct tc_cursor *c, uint16_t *out)
{
	const uint8_t *p = NULL;

	TC_GUARD(tc_cursor_take(c, 2, &p));
	*out = (uint16_t)((uint16_t)p[0] << 8 | p[1]);
	return tc_ok();
}

/* 24-bit little-endian integers appear in SPDM (DMTF DSP0274 length fields). */
TC_RESULT tc_cursor_u24le(struct tc_cursor *c, uint32_t *out)
{
	const uint8_t *p = NULL;

	TC_GUARD(tc_cursor_take(c, 3, &p));
	*out = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
	return tc_ok();
}

TC_RESULT tc_cursor_u32le(struct tc_cursor *c, uint32_t *out)
{
	const uint8_t *p = NULL;

	TC_GUARD(tc_cursor_take(c, 4, &p));
	*out = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	return tc_ok();
}

TC_RESULT tc_cursor_u32be(struct tc_cursor *c, uint32_t *out)
{
	const uint8_t *p = NULL;

	TC_GUARD(tc_cursor_take(c, 4, &p));
	*out = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
	return tc_ok();
}

TC_RESULT tc_cursor_u64le(struct tc_cursor *c, uint64_t *out)
{
	const uint8_t *p = NULL;
	uint64_t v = 0;

	TC_GUARD(tc_cursor_take(c, 8, &p));
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	*out = v;
	return tc_ok();
}

TC_RESULT tc_cursor_copy(struct tc_cursor *c, void *out, size_t n)
{
	const uint8_t *p = NULL;

	TC_GUARD(tc_cursor_take(c, n, &p));
	if (n > 0)
		memcpy(out, p, n);
	return tc_ok();
}

TC_RESULT tc_cursor_view(struct tc_cursor *c, size_t n, const uint8_t **out)
{
	return tc_cursor_take(c, n, out);
}

TC_RESULT tc_cursor_skip(struct tc_cursor *c, size_t n)
{
	const uint8_t *p = NULL;

	return tc_cursor_take(c, n, &p);
}

TC_RESULT tc_cursor_sub(struct tc_cursor *c, size_t n, struct tc_cursor *out)
{
	const uint8_t *p = NULL;

	TC_GUARD(tc_cursor_take(c, n, &p));
	tc_cursor_init(out, p, n);
	return tc_ok();
}
