/*
 * tc_buf.c — growable byte buffer with a hard maximum (STYLE.md point 6).
 *
 * A zeroed struct is a valid empty buffer (max 0 means TC_BUF_DEFAULT_MAX). Once anything was reserved the
 * data is always followed by a NUL byte so text can be read as a C string. Reaching max fails with
 * TC_ERR_TOO_LARGE and keeps the old content untouched. Memory is zeroed before it is freed or moved,
 * because buffers carry keys and tokens as often as text.
 */
#include "tc.h"

#include <stdlib.h>
#include <string.h>

#define TC_BUF_MIN_CAP ((size_t)64)

static size_t tc_buf_max(const struct tc_buf *b)
{
	return b->max != 0 ? b->max : TC_BUF_DEFAULT_MAX;
}

void tc_buf_init(struct tc_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max != 0 ? max : TC_BUF_DEFAULT_MAX;
}

void tc_buf_cleanup(struct tc_buf *b)
{
	if (b->data != NULL) {
		tc_secure_zero(b->data, b->cap);
		free(b->data);
	}
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void tc_buf_reset(struct tc_buf *b)
{
	if (b->data == NULL)
		return;
	tc_secure_zero(b->data, b->len);
	b->len = 0;
	b->data[0] = '\0';
}

/* Ensure room for EXTRA more bytes plus the trailing NUL; cap includes the NUL. */
TC_RESULT tc_buf_reserve(struct tc_buf *b, size_t extra)
{
	size_t max = tc_buf_max(b);
	size_t need, cap;
	uint8_t *p;

	TC_ENSURE(b->len <= max && extra <= max - b->len, TC_ERR_TOO_LARGE,
		  "buffer limit of %zu bytes reached (have %zu, need %zu more)", max, b->len, extra);
	need = b->len + extra + 1;
	if (b->data != NULL && need <= b->cap)
		return tc_ok();
	cap = b->cap > TC_BUF_MIN_CAP ? b->cap : TC_BUF_MIN_CAP;
	while (cap < need)
		cap = cap <= SIZE_MAX / 2 ? cap * 2 : SIZE_MAX;
	if (cap > max + 1)
		cap = max + 1;
	/* Grow by copy, not realloc, so the old block can be zeroed before it is released. */
	p = malloc(cap);
	TC_ENSURE(p != NULL, TC_ERR_NO_MEMORY, "cannot allocate %zu bytes", cap);
	if (b->data != NULL) {
		memcpy(p, b->data, b->len);
		tc_secure_zero(b->data, b->cap);
		free(b->data);
	}
	p[b->len] = '\0';
	b->data = p;
	b->cap = cap;
	return tc_ok();
}

TC_RESULT tc_buf_append(struct tc_buf *b, const void *data, size_t n)
{
	TC_ENSURE(data != NULL || n == 0, TC_ERR_INVALID_ARGUMENT, "buf_append: NULL data");
	TC_GUARD(tc_buf_reserve(b, n));
	if (n > 0)
		memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
	return tc_ok();
}

TC_RESULT tc_buf_append_str(struct tc_buf *b, const char *s)
{
	TC_ENSURE(s != NULL, TC_ERR_INVALID_ARGUMENT, "buf_append_str: NULL string");
	return tc_buf_append(b, s, strlen(s));
}

TC_RESULT tc_buf_append_u8(struct tc_buf *b, uint8_t v)
{
	return tc_buf_append(b, &v, 1);
}

TC_RESULT tc_buf_appendf(struct tc_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	TC_ENSURE(n >= 0, TC_ERR_INVALID_ARGUMENT, "buf_appendf: bad format");
	TC_GUARD(tc_buf_reserve(b, (size_t)n));
	va_start(ap, fmt);
	n = vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	TC_ENSURE(n >= 0, TC_ERR_INVALID_ARGUMENT, "buf_appendf: bad format");
	b->len += (size_t)n;
	b->data[b->len] = '\0';
	return tc_ok();
}

uint8_t *tc_buf_steal(struct tc_buf *b, size_t *len)
{
	uint8_t *p = b->data;

	if (p == NULL || b->len == 0) {
		tc_buf_cleanup(b);
		if (len != NULL)
			*len = 0;
		return NULL;
	}
	if (len != NULL)
		*len = b->len;
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return p;
}
