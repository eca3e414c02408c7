/*
 * api_json_flat.c — a fast path for request bodies that are one flat JSON object of string (or null)
 * members, such as the admission bodies {chain, nonce, workload_info_hash} (routes flagged
 * API_ROUTE_FLAT_JSON).
 *
 * Why: a peer's certificate chain carries its raw evidence (the CMW extension), so an admission body is a
 * ~15 KB PEM string, and jansson's character-at-a-time lexer spent ~280 us on it — about half of the CPU of an
 * admission (docs/bench.md "Admission"). This scanner handles the common case in one tight pass and hands
 * everything else to tc_json_parse, so the result is always exactly what tc_json_parse would produce:
 *
 *   - an object whose member values are strings or null (RFC 8259 §4, §7), whitespace per §2;
 *   - strings of printable ASCII (0x20..0x7e) with the escapes \" \\ \/ \b \f \n \r \t;
 *   - keys distinct (tc_json_parse rejects duplicates);
 *
 * Any other byte, escape (\uXXXX), value type or structure -> the full parser, which accepts or rejects it
 * with its own error. Bytes are read through bounds checks on (p, end) only.
 */
#include <string.h>

#include "api_internal.h"

#define FLAT_MEMBERS_MAX 16

/* Bytes a string may hold as they are on the fast path: printable ASCII other than '"' and '\\'. */
static bool plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && is_ws(*p))
		p++;
	return p;
}

/* A string starting after its opening quote at *P: decoded into OUT, *P after the closing quote. False when
 * the fast path does not cover it (or it is malformed: the full parser will say so). */
static bool scan_string(const char **pp, const char *end, struct tc_buf *out)
{
	const char *p = *pp;

	tc_buf_reset(out);
	for (;;) {
		const char *run = p;

		while (end - p >= 8 && plain((unsigned char)p[0]) && plain((unsigned char)p[1]) &&
		       plain((unsigned char)p[2]) && plain((unsigned char)p[3]) && plain((unsigned char)p[4]) &&
		       plain((unsigned char)p[5]) && plain((unsigned char)p[6]) && plain((unsigned char)p[7]))
			p += 8;
		while (p < end && plain((unsigned char)*p))
			p++;
		if (p > run && !tc_is_ok(tc_buf_append(out, run, (size_t)(p - run))))
			return false;
		if (p >= end || (unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			return false;
		if (*p == '"') {
			*pp = p + 1;
			return tc_is_ok(tc_buf_append_u8(out, 0));
		}
		/* a backslash */
		if (p + 1 >= end)
			return false;
		char c = p[1], d;

		switch (c) {
		case '"':
		case '\\':
		case '/':
			d = c;
			break;
		case 'b':
			d = '\b';
			break;
		case 'f':
			d = '\f';
			break;
		case 'n':
			d = '\n';
			break;
		case 'r':
			d = '\r';
			break;
		case 't':
			d = '\t';
			break;
		default:
			return false; /* \uXXXX and invalid escapes: the full parser */
		}
		if (!tc_is_ok(tc_buf_append_u8(out, (uint8_t)d)))
			return false;
		p += 2;
	}
}

/* The fast path proper; false: not covered (nothing written to *OUT). */
static bool parse_flat(const char *data, size_t len, json_t **out)
{
	const char *p = data, *end = data + len;
	struct tc_buf key, val;
	json_t *obj = json_object();
	size_t n = 0;
	bool ok = false;

	tc_buf_init(&key, 256);
	tc_buf_init(&val, len + 1);
	if (!obj || !tc_is_ok(tc_buf_reserve(&val, len + 1))) /* one allocation for the longest value */
		goto done;
	p = skip_ws(p, end);
	if (p >= end || *p++ != '{')
		goto done;
	p = skip_ws(p, end);
	if (p < end && *p == '}') {
		p++;
		goto close;
	}
	for (;;) {
		json_t *v;

		if (p >= end || *p++ != '"' || !scan_string(&p, end, &key) || ++n > FLAT_MEMBERS_MAX)
			goto done;
		if (json_object_get(obj, (const char *)key.data)) /* duplicate: tc_json_parse refuses it */
			goto done;
		p = skip_ws(p, end);
		if (p >= end || *p++ != ':')
			goto done;
		p = skip_ws(p, end);
		if (p < end && *p == '"') {
			p++;
			if (!scan_string(&p, end, &val))
				goto done;
			v = json_stringn_nocheck((const char *)val.data, val.len - 1); /* ASCII: valid UTF-8 */
		} else if (end - p >= 4 && memcmp(p, "null", 4) == 0) {
			p += 4;
			v = json_null();
		} else {
			goto done;
		}
		if (!v || json_object_set_new_nocheck(obj, (const char *)key.data, v) != 0)
			goto done;
		p = skip_ws(p, end);
		if (p < end && *p == ',') {
			p = skip_ws(p + 1, end);
			continue;
		}
		if (p < end && *p == '}') {
			p++;
			break;
		}
		goto done;
	}
close:
	p = skip_ws(p, end);
	ok = p == end;
done:
	tc_buf_cleanup(&key);
	tc_buf_cleanup(&val);
	if (ok)
		*out = obj;
	else
		json_decref(obj);
	return ok;
}

TC_RESULT api_json_parse_flat(const char *data, size_t len, size_t max, json_t **out)
{
	TC_ENSURE(len <= max, TC_ERR_TOO_LARGE, "JSON document of %zu bytes exceeds the limit of %zu", len, max);
	if (len > 0 && parse_flat(data, len, out))
		return tc_ok();
	return tc_json_parse(data, len, max, out);
}
