/*
 * tc_json.c — JSON from outside (size limit before parsing, duplicate keys rejected, nothing after the
 * value), the declarative field spec the API handlers read bodies with (STYLE.md point 8), RFC 8785 (JCS)
 * canonical JSON for hashing workload info and log entries, and compact dumps.
 */
#include "tc.h"
#include "tc_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* The parser's own nesting limit (jansson JSON_PARSER_MAX_DEPTH); canonicalization keeps the same bound. */
#define TC_JSON_MAX_DEPTH 2048
/* RFC 8785 §3.2.2.3 serializes numbers as IEEE 754 doubles; larger integers would silently change. */
#define TC_JSON_SAFE_INT (INT64_C(1) << 53)

/* ------------------------------------------------------------------------------------------- parsing */

TC_RESULT tc_json_parse(const char *data, size_t len, size_t max, json_t **out)
{
	json_error_t err;
	json_t *v;

	TC_ENSURE(data != NULL || len == 0, TC_ERR_INVALID_ARGUMENT, "json_parse: NULL input");
	TC_ENSURE(len <= max, TC_ERR_TOO_LARGE, "JSON document of %zu bytes exceeds the limit of %zu", len, max);
	TC_ENSURE(len > 0, TC_ERR_JSON_MALFORMED, "empty JSON document");
	/* Without JSON_DISABLE_EOF_CHECK jansson rejects anything but whitespace after the value;
	 * without JSON_ALLOW_NUL it rejects \u0000, so every string is also a C string. */
	v = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
	TC_ENSURE(v != NULL, TC_ERR_JSON_MALFORMED, "line %d column %d (byte %d): %s", err.line, err.column,
		  err.position, err.text);
	*out = v;
	return tc_ok();
}

/* ---------------------------------------------------------------------------------------- field spec */

static const char *tc_json_kind_name(enum tc_json_kind kind)
{
	switch (kind) {
	case TC_JSON_STRING:
		return "a string";
	case TC_JSON_HEX:
		return "a hex string";
	case TC_JSON_BASE64:
		return "a base64 string";
	case TC_JSON_INT:
		return "an integer";
	case TC_JSON_BOOL:
		return "a boolean";
	case TC_JSON_OBJECT:
		return "an object";
	case TC_JSON_ARRAY:
		return "an array";
	case TC_JSON_TIME:
		return "an RFC 3339 time string";
	case TC_JSON_ANY:
		return "a value";
	}
	return "a value";
}

static bool tc_json_kind_matches(enum tc_json_kind kind, const json_t *v)
{
	switch (kind) {
	case TC_JSON_STRING:
	case TC_JSON_HEX:
	case TC_JSON_BASE64:
	case TC_JSON_TIME:
		return json_is_string(v);
	case TC_JSON_INT:
		return json_is_integer(v);
	case TC_JSON_BOOL:
		return json_is_boolean(v);
	case TC_JSON_OBJECT:
		return json_is_object(v);
	case TC_JSON_ARRAY:
		return json_is_array(v);
	case TC_JSON_ANY:
		return true;
	}
	return false;
}

/* Decode the string of a HEX/BASE64/TIME field; inner errors are re-raised naming the field. */
static TC_RESULT tc_json_field_decode(const struct tc_json_field *f, const json_t *v)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	struct tc_result r;

	switch (f->kind) {
	case TC_JSON_HEX:
		if (f->exact_len != 0)
			TC_ENSURE(n / 2 == f->exact_len && n % 2 == 0, TC_ERR_JSON_FIELD_INVALID,
				  "field '%s' must be %zu bytes (%zu hex digits), got %zu digits", f->name,
				  f->exact_len, f->exact_len * 2, n);
		if (f->max_len != 0)
			TC_ENSURE(n / 2 <= f->max_len, TC_ERR_JSON_FIELD_INVALID, "field '%s' is longer than %zu bytes",
				  f->name, f->max_len);
		r = tc_hex_decode(s, n, f->out);
		break;
	case TC_JSON_BASE64:
		/* Cheap bound before decoding: n characters carry at least n/4*3 - 2 bytes. */
		if (f->max_len != 0)
			TC_ENSURE(n / 4 * 3 <= f->max_len || n / 4 * 3 - f->max_len <= 2, TC_ERR_JSON_FIELD_INVALID,
				  "field '%s' is longer than %zu bytes", f->name, f->max_len);
		{
			struct tc_buf *b = f->out;
			size_t before = b->len;

			r = tc_base64_decode(s, n, b);
			if (tc_is_ok(r) && f->max_len != 0 && b->len - before > f->max_len) {
				tc_secure_zero(b->data + before, b->len - before);
				b->len = before;
				b->data[before] = '\0';
				return tc_fail(TC_ERR_JSON_FIELD_INVALID, "field '%s' is longer than %zu bytes",
					       f->name, f->max_len);
			}
		}
		break;
	case TC_JSON_TIME:
		r = tc_time_parse(s, f->out);
		break;
	default:
		return tc_fail(TC_ERR_INTERNAL, "field '%s': kind %d is not decoded", f->name, (int)f->kind);
	}
	if (!tc_is_ok(r))
		return tc_fail(TC_ERR_JSON_FIELD_INVALID, "field '%s': %s", f->name, tc_error_detail());
	return tc_ok();
}

static TC_RESULT tc_json_field_read(const struct tc_json_field *f, const json_t *v)
{
	TC_ENSURE(tc_json_kind_matches(f->kind, v), TC_ERR_JSON_FIELD_INVALID, "field '%s' must be %s", f->name,
		  tc_json_kind_name(f->kind));
	switch (f->kind) {
	case TC_JSON_STRING:
		if (f->max_len != 0)
			TC_ENSURE(json_string_length(v) <= f->max_len, TC_ERR_JSON_FIELD_INVALID,
				  "field '%s' is longer than %zu bytes", f->name, f->max_len);
		*(const char **)f->out = json_string_value(v);
		return tc_ok();
	case TC_JSON_HEX:
	case TC_JSON_BASE64:
	case TC_JSON_TIME:
		return tc_json_field_decode(f, v);
	case TC_JSON_INT: {
		int64_t i = (int64_t)json_integer_value(v);

		if (f->min != 0 || f->max != 0)
			TC_ENSURE(i >= f->min && i <= f->max, TC_ERR_JSON_FIELD_INVALID,
				  "field '%s' must be in %" PRId64 "..%" PRId64 ", got %" PRId64, f->name, f->min,
				  f->max, i);
		*(int64_t *)f->out = i;
		return tc_ok();
	}
	case TC_JSON_BOOL:
		*(bool *)f->out = json_is_true(v);
		return tc_ok();
	case TC_JSON_ARRAY:
		if (f->max_len != 0)
			TC_ENSURE(json_array_size(v) <= f->max_len, TC_ERR_JSON_FIELD_INVALID,
				  "field '%s' has more than %zu elements", f->name, f->max_len);
		*(const json_t **)f->out = v;
		return tc_ok();
	case TC_JSON_OBJECT:
	case TC_JSON_ANY:
		*(const json_t **)f->out = v;
		return tc_ok();
	}
	return tc_fail(TC_ERR_INTERNAL, "field '%s': unknown kind %d", f->name, (int)f->kind);
}

TC_RESULT tc_json_fields(const json_t *obj, const struct tc_json_field *spec, size_t n, bool allow_unknown)
{
	TC_ENSURE(spec != NULL || n == 0, TC_ERR_INVALID_ARGUMENT, "json_fields: NULL spec");
	TC_ENSURE(json_is_object(obj), TC_ERR_JSON_FIELD_INVALID, "expected a JSON object");
	if (!allow_unknown) {
		const char *key;
		size_t key_len;
		json_t *value;

		json_object_keylen_foreach((json_t *)obj, key, key_len, value)
		{
			bool known = false;

			for (size_t i = 0; i < n && !known; i++)
				known = strlen(spec[i].name) == key_len && memcmp(spec[i].name, key, key_len) == 0;
			TC_ENSURE(known, TC_ERR_JSON_FIELD_UNKNOWN, "unknown field '%.*s'",
				  (int)(key_len > 64 ? 64 : key_len), key);
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct tc_json_field *f = &spec[i];
		const json_t *v = json_object_get(obj, f->name);
		bool present = v != NULL && !json_is_null(v);

		if (f->present != NULL)
			*f->present = present;
		if (!present) {
			TC_ENSURE(!f->required, TC_ERR_JSON_FIELD_MISSING, "missing required field '%s'", f->name);
			continue;
		}
		TC_ENSURE(f->out != NULL, TC_ERR_INTERNAL, "field '%s' has no output", f->name);
		TC_GUARD(tc_json_field_read(f, v));
	}
	return tc_ok();
}

/* ------------------------------------------------------------------------------- RFC 8785 (JCS) output */

/* Yields the UTF-16 code units of a UTF-8 string one at a time (RFC 8785 §3.2.3 sorts by them). */
struct tc_utf16_iter {
	const unsigned char *p;
	size_t left;
	uint16_t low; /* pending low surrogate, 0 when none */
};

/* Next code unit, or -1 at the end. The string was validated before sorting. */
static int32_t tc_utf16_next(struct tc_utf16_iter *it)
{
	uint32_t cp = 0;
	size_t n;

	if (it->low != 0) {
		uint16_t low = it->low;

		it->low = 0;
		return low;
	}
	if (it->left == 0)
		return -1;
	n = tc_utf8_decode(it->p, it->left, &cp);
	if (n == 0)
		n = 1; /* unreachable after validation; keeps the loop finite */
	it->p += n;
	it->left -= n;
	if (cp < 0x10000)
		return (int32_t)cp;
	cp -= 0x10000;
	it->low = (uint16_t)(0xdc00 + (cp & 0x3ff));
	return (int32_t)(0xd800 + (cp >> 10));
}

struct tc_jcs_member {
	const char *key;
	size_t key_len;
	const json_t *value;
};

static int tc_jcs_member_cmp(const void *a, const void *b)
{
	const struct tc_jcs_member *x = a, *y = b;
	struct tc_utf16_iter i = { (const unsigned char *)x->key, x->key_len, 0 };
	struct tc_utf16_iter j = { (const unsigned char *)y->key, y->key_len, 0 };

	for (;;) {
		int32_t u = tc_utf16_next(&i), v = tc_utf16_next(&j);

		if (u != v)
			return u < v ? -1 : 1; /* -1 (end) sorts first: a prefix precedes longer keys */
		if (u < 0)
			return 0;
	}
}

static TC_RESULT tc_utf8_check(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = tc_utf8_decode(p + i, len - i, &cp);

		TC_ENSURE(n != 0, TC_ERR_INVALID_ARGUMENT, "string is not valid UTF-8 at byte %zu", i);
		i += n;
	}
	return tc_ok();
}

/* RFC 8785 §3.2.2.2: ECMAScript JSON.stringify string escaping — the two-character escapes for
 * \b \t \n \f \r " \\, \u00xx (lowercase) for the other controls, every other character as itself. */
static TC_RESULT tc_jcs_string(const char *s, size_t len, struct tc_buf *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;

	TC_GUARD(tc_utf8_check(s, len));
	TC_GUARD(tc_buf_append_u8(out, '"'));
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		char esc[6];
		size_t esc_len = 2;

		if (ch >= 0x20 && ch != '"' && ch != '\\')
			continue;
		TC_GUARD(tc_buf_append(out, s + run, i - run));
		run = i + 1;
		esc[0] = '\\';
		switch (ch) {
		case '\b':
			esc[1] = 'b';
			break;
		case '\t':
			esc[1] = 't';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '"':
			esc[1] = '"';
			break;
		case '\\':
			esc[1] = '\\';
			break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[ch >> 4];
			esc[5] = hex[ch & 0x0f];
			esc_len = 6;
			break;
		}
		TC_GUARD(tc_buf_append(out, esc, esc_len));
	}
	TC_GUARD(tc_buf_append(out, s + run, len - run));
	return tc_buf_append_u8(out, '"');
}

static TC_RESULT tc_jcs_value(const json_t *v, struct tc_buf *out, unsigned depth);

static TC_RESULT tc_jcs_object(const json_t *v, struct tc_buf *out, unsigned depth)
{
	struct tc_result r = tc_ok();
	size_t n = json_object_size(v), i = 0;
	struct tc_jcs_member *members = NULL;
	const char *key;
	size_t key_len;
	json_t *value;

	if (n == 0)
		return tc_buf_append_str(out, "{}");
	members = calloc(n, sizeof(*members));
	TC_ENSURE(members != NULL, TC_ERR_NO_MEMORY, "canonical JSON: cannot allocate %zu members", n);
	json_object_keylen_foreach((json_t *)v, key, key_len, value)
	{
		if (i == n)
			break;
		TC_GUARD_GOTO(r, tc_utf8_check(key, key_len), out);
		members[i++] = (struct tc_jcs_member){ key, key_len, value };
	}
	n = i;
	qsort(members, n, sizeof(*members), tc_jcs_member_cmp);
	TC_GUARD_GOTO(r, tc_buf_append_u8(out, '{'), out);
	for (i = 0; i < n; i++) {
		if (i > 0)
			TC_GUARD_GOTO(r, tc_buf_append_u8(out, ','), out);
		TC_GUARD_GOTO(r, tc_jcs_string(members[i].key, members[i].key_len, out), out);
		TC_GUARD_GOTO(r, tc_buf_append_u8(out, ':'), out);
		TC_GUARD_GOTO(r, tc_jcs_value(members[i].value, out, depth + 1), out);
	}
	TC_GUARD_GOTO(r, tc_buf_append_u8(out, '}'), out);
out:
	free(members);
	return r;
}

static TC_RESULT tc_jcs_value(const json_t *v, struct tc_buf *out, unsigned depth)
{
	TC_ENSURE(v != NULL, TC_ERR_INVALID_ARGUMENT, "canonical JSON: NULL value");
	TC_ENSURE(depth < TC_JSON_MAX_DEPTH, TC_ERR_UNSUPPORTED, "canonical JSON: nesting deeper than %d",
		  TC_JSON_MAX_DEPTH);
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return tc_jcs_object(v, out, depth);
	case JSON_ARRAY:
		TC_GUARD(tc_buf_append_u8(out, '['));
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i > 0)
				TC_GUARD(tc_buf_append_u8(out, ','));
			TC_GUARD(tc_jcs_value(json_array_get(v, i), out, depth + 1));
		}
		return tc_buf_append_u8(out, ']');
	case JSON_STRING:
		return tc_jcs_string(json_string_value(v), json_string_length(v), out);
	case JSON_INTEGER: {
		json_int_t i = json_integer_value(v);

		TC_ENSURE(i >= -TC_JSON_SAFE_INT && i <= TC_JSON_SAFE_INT, TC_ERR_UNSUPPORTED,
			  "canonical JSON: integer %" JSON_INTEGER_FORMAT " is not exact as an IEEE 754 double", i);
		return tc_buf_appendf(out, "%" JSON_INTEGER_FORMAT, i);
	}
	case JSON_REAL:
		return tc_fail(TC_ERR_UNSUPPORTED, "canonical JSON: real numbers are not supported");
	case JSON_TRUE:
		return tc_buf_append_str(out, "true");
	case JSON_FALSE:
		return tc_buf_append_str(out, "false");
	case JSON_NULL:
		return tc_buf_append_str(out, "null");
	}
	return tc_fail(TC_ERR_INTERNAL, "canonical JSON: unknown value type");
}

TC_RESULT tc_json_canonical(const json_t *value, struct tc_buf *out)
{
	size_t before = out->len;
	struct tc_result r = tc_jcs_value(value, out, 0);

	if (!tc_is_ok(r) && out->data != NULL) {
		out->len = before; /* no half documents */
		out->data[before] = '\0';
	}
	return r;
}

/* ------------------------------------------------------------------------------------------- dumping */

struct tc_json_dump_ctx {
	struct tc_buf *out;
	struct tc_result r;
};

static int tc_json_dump_cb(const char *buffer, size_t size, void *data)
{
	struct tc_json_dump_ctx *ctx = data;

	ctx->r = tc_buf_append(ctx->out, buffer, size);
	return tc_is_ok(ctx->r) ? 0 : -1;
}

TC_RESULT tc_json_dump(const json_t *value, struct tc_buf *out)
{
	struct tc_json_dump_ctx ctx = { out, tc_ok() };
	size_t before = out->len;

	TC_ENSURE(value != NULL, TC_ERR_INVALID_ARGUMENT, "json_dump: NULL value");
	TC_GUARD(tc_buf_reserve(out, 0));
	if (json_dump_callback(value, tc_json_dump_cb, &ctx, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER) !=
	    0) {
		out->len = before;
		out->data[before] = '\0';
		if (!tc_is_ok(ctx.r))
			return ctx.r;
		return tc_fail(TC_ERR_INVALID_ARGUMENT, "json_dump: value cannot be serialized");
	}
	return tc_ok();
}

json_t *tc_json_hex(const void *data, size_t len)
{
	struct tc_buf b = { 0 };
	json_t *s = NULL;

	if (tc_is_ok(tc_hex_encode_buf(data, len, &b)))
		s = json_stringn(b.len > 0 ? (const char *)b.data : "", b.len);
	tc_buf_cleanup(&b);
	return s;
}
