/*
 * tc.h — the public door of common/ (libtc_common): errors and results, bounded bytes, encodings, time,
 * logging, secrets and JSON helpers shared by every other module. See STYLE.md points 3-7.
 */
#ifndef TC_H
#define TC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

/* ------------------------------------------------------------------------------------------------ errors */

enum tc_code {
	TC_OK = 0,
#define X(name, code, http, hint) TC_ERR_##name,
#include "tc_errors.def"
#undef X
	TC_ERR__COUNT
};

/* One row of common/tc_errors.def. */
struct tc_error_info {
	const char *code; /* stable snake_case code, "ok" for TC_OK */
	int http_status;
	const char *hint;
};

/* Row of the table for CODE; out-of-range codes map to TC_ERR_INTERNAL's row. Never NULL. */
const struct tc_error_info *tc_error_info(enum tc_code code);
/* Reverse lookup of a stable code string; false when unknown. */
bool tc_error_from_string(const char *code, enum tc_code *out);

/*
 * The result every fallible function returns. warn_unused_result makes the compiler force callers to look
 * at it (with -Werror, ignoring it does not build). On failure the detail text is kept per thread and read
 * with tc_error_detail() until the next failure on that thread.
 */
struct tc_result {
	enum tc_code code;
};

#define TC_MUST_CHECK __attribute__((warn_unused_result))
#define TC_RESULT TC_MUST_CHECK struct tc_result
#define TC_PRINTF(f, a) __attribute__((format(printf, f, a)))

#define TC_DETAIL_MAX 512

static inline struct tc_result tc_ok(void)
{
	return (struct tc_result){ TC_OK };
}
static inline bool tc_is_ok(struct tc_result r)
{
	return r.code == TC_OK;
}

/* Record CODE with a formatted detail for this thread and return it as a result. */
struct tc_result tc_fail(enum tc_code code, const char *fmt, ...) TC_PRINTF(2, 3);
/* Same, with the OpenSSL error queue drained into the detail (and cleared) — STYLE.md point 3. */
struct tc_result tc_fail_openssl(enum tc_code code, const char *what);
/* Drain and discard the OpenSSL error queue (returns how many entries it held). */
int tc_openssl_clear(void);
/* Detail text of the last failure on this thread ("" when none). */
const char *tc_error_detail(void);

/* Propagate a failure upward. */
#define TC_GUARD(expr)                                                                                     \
	do {                                                                                               \
		struct tc_result tc__r = (expr);                                                           \
		if (tc__r.code != TC_OK)                                                                   \
			return tc__r;                                                                      \
	} while (0)
/* Fail with CODE and a formatted detail when COND is false. */
#define TC_ENSURE(cond, code, ...)                                                                         \
	do {                                                                                               \
		if (!(cond))                                                                               \
			return tc_fail((code), __VA_ARGS__);                                               \
	} while (0)
/* For functions with an out: label: store the result in R and jump when it failed. */
#define TC_GUARD_GOTO(r, expr, label)                                                                      \
	do {                                                                                               \
		(r) = (expr);                                                                              \
		if ((r).code != TC_OK)                                                                     \
			goto label;                                                                        \
	} while (0)
#define TC_ENSURE_GOTO(r, cond, label, code, ...)                                                          \
	do {                                                                                               \
		if (!(cond)) {                                                                             \
			(r) = tc_fail((code), __VA_ARGS__);                                                \
			goto label;                                                                        \
		}                                                                                          \
	} while (0)

/* ------------------------------------------------------------------------------------ cursor (reading) */

/*
 * A bounds-checked read cursor over borrowed bytes (STYLE.md point 6). Every parser of outside input reads
 * through one. Reads past the end fail with TC_ERR_TRUNCATED and leave the cursor unchanged.
 */
struct tc_cursor {
	const uint8_t *data;
	size_t len;
	size_t pos;
};

void tc_cursor_init(struct tc_cursor *c, const void *data, size_t len);
size_t tc_cursor_remaining(const struct tc_cursor *c);
TC_RESULT tc_cursor_u8(struct tc_cursor *c, uint8_t *out);
TC_RESULT tc_cursor_u16le(struct tc_cursor *c, uint16_t *out);
TC_RESULT tc_cursor_u32le(struct tc_cursor *c, uint32_t *out);
TC_RESULT tc_cursor_u64le(struct tc_cursor *c, uint64_t *out);
TC_RESULT tc_cursor_u16be(struct tc_cursor *c, uint16_t *out);
TC_RESULT tc_cursor_u24le(struct tc_cursor *c, uint32_t *out);
TC_RESULT tc_cursor_u32be(struct tc_cursor *c, uint32_t *out);
/* Copy N bytes into OUT. */
TC_RESULT tc_cursor_copy(struct tc_cursor *c, void *out, size_t n);
/* Borrow the next N bytes (pointer into the cursor's data). */
TC_RESULT tc_cursor_view(struct tc_cursor *c, size_t n, const uint8_t **out);
TC_RESULT tc_cursor_skip(struct tc_cursor *c, size_t n);
/* Take the next N bytes as a sub-cursor of their own. */
TC_RESULT tc_cursor_sub(struct tc_cursor *c, size_t n, struct tc_cursor *out);
/* Position relative to the start of the data (for messages and signed ranges). */
static inline size_t tc_cursor_pos(const struct tc_cursor *c)
{
	return c->pos;
}

/* --------------------------------------------------------------------------- growable buffer (writing) */

/*
 * A growable byte buffer with a hard maximum. The data is always followed by a NUL byte (not counted in
 * len) so text can be used as a C string. A buffer that reached max fails with TC_ERR_TOO_LARGE and keeps
 * what it had.
 */
struct tc_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	size_t max;
};

#define TC_BUF_DEFAULT_MAX ((size_t)64 * 1024 * 1024)

void tc_buf_init(struct tc_buf *b, size_t max);
/* Free the memory (zeroing it first) and reset to empty; safe on a zeroed or cleaned buffer. */
void tc_buf_cleanup(struct tc_buf *b);
void tc_buf_reset(struct tc_buf *b);
TC_RESULT tc_buf_reserve(struct tc_buf *b, size_t extra);
TC_RESULT tc_buf_append(struct tc_buf *b, const void *data, size_t n);
TC_RESULT tc_buf_append_str(struct tc_buf *b, const char *s);
TC_RESULT tc_buf_append_u8(struct tc_buf *b, uint8_t v);
TC_RESULT tc_buf_appendf(struct tc_buf *b, const char *fmt, ...) TC_PRINTF(2, 3);
/* Hand the data to the caller (free() it); the buffer becomes empty. Returns NULL for an empty buffer. */
uint8_t *tc_buf_steal(struct tc_buf *b, size_t *len);

/* Read a whole file (at most MAX bytes) into OUT (appended). */
TC_RESULT tc_file_read(const char *path, size_t max, struct tc_buf *out);
/* Write a file atomically (temp file + rename) with MODE permissions. */
TC_RESULT tc_file_write(const char *path, const void *data, size_t len, unsigned mode);

/* ------------------------------------------------------------------------------------------- encodings */

/* Lowercase hex of IN into OUT; out_size must be at least 2*len+1 (NUL-terminated). */
TC_RESULT tc_hex_encode(const void *in, size_t len, char *out, size_t out_size);
/* Append lowercase hex to a buffer. */
TC_RESULT tc_hex_encode_buf(const void *in, size_t len, struct tc_buf *out);
/* Decode hex (either case, even length, no prefix or whitespace) appending bytes to OUT. */
TC_RESULT tc_hex_decode(const char *hex, size_t hex_len, struct tc_buf *out);
/* Decode hex that must be exactly OUT_LEN bytes. */
TC_RESULT tc_hex_decode_fixed(const char *hex, size_t hex_len, void *out, size_t out_len);
/* Standard base64 with padding (RFC 4648 §4), appended to OUT as text. */
TC_RESULT tc_base64_encode(const void *in, size_t len, struct tc_buf *out);
/* Strict standard base64 decode (padding required, no whitespace), appended to OUT. */
TC_RESULT tc_base64_decode(const char *b64, size_t b64_len, struct tc_buf *out);
/* RFC 7468 textual encoding of DER under LABEL ("CERTIFICATE"): 64-column base64 lines, appended to OUT. */
TC_RESULT tc_pem_encode(const char *label, const void *der, size_t len, struct tc_buf *out);
/* base64url without padding (RFC 4648 §5), as JWS uses. */
TC_RESULT tc_base64url_encode(const void *in, size_t len, struct tc_buf *out);
TC_RESULT tc_base64url_decode(const char *b64, size_t b64_len, struct tc_buf *out);

/* ------------------------------------------------------------------------------------------------ time */

/* "YYYY-MM-DDTHH:MM:SSZ" plus NUL; fractional seconds are never written. */
#define TC_TIME_RFC3339_LEN 21

/* Parse RFC 3339 (Z or ±hh:mm offset, optional fraction, which is truncated) into Unix seconds. */
TC_RESULT tc_time_parse(const char *s, int64_t *out);
/* Format Unix seconds as RFC 3339 UTC. Years 0000..9999 only. */
TC_RESULT tc_time_format(int64_t t, char out[TC_TIME_RFC3339_LEN]);
/* Wall clock, Unix seconds / monotonic milliseconds. */
int64_t tc_time_now(void);
uint64_t tc_time_mono_ms(void);

/* ---------------------------------------------------------------------------------------------- logging */

/* Structured logs: one JSON object per line on stderr: {"ts","level","event","request_id"?, "msg"?, ...}. */
enum tc_log_level { TC_LOG_DEBUG, TC_LOG_INFO, TC_LOG_WARN, TC_LOG_ERROR };

void tc_log_set_level(enum tc_log_level min);
/* Parse "debug"/"info"/"warn"/"error". */
TC_RESULT tc_log_level_parse(const char *s, enum tc_log_level *out);
/* Request id of the calling thread, included in every line it logs; NULL clears it. */
void tc_log_set_request_id(const char *id);
const char *tc_log_request_id(void);
/* Log EVENT with an optional printf-style message. */
void tc_log(enum tc_log_level level, const char *event, const char *fmt, ...) TC_PRINTF(3, 4);
/* Log EVENT with extra fields from a JSON object (borrowed; may be NULL). */
void tc_log_fields(enum tc_log_level level, const char *event, const json_t *fields);
/* Send log lines to a stream instead of stderr (tests). */
void tc_log_set_stream(FILE *stream);

/* --------------------------------------------------------------------------------------------- secrets */

/* Zero memory in a way the compiler cannot remove. */
void tc_secure_zero(void *p, size_t n);
/* Constant-time equality of two buffers of the same length. */
bool tc_ct_equal(const void *a, const void *b, size_t n);
/* Fill OUT with N cryptographically secure random bytes. */
TC_RESULT tc_random_bytes(void *out, size_t n);

/* ------------------------------------------------------------------------------------------------ JSON */

/* Default size limit of JSON documents read from outside. */
#define TC_JSON_MAX_DEFAULT ((size_t)1024 * 1024)

/*
 * Parse a JSON document from outside: size checked against MAX before parsing, duplicate keys rejected,
 * any value type allowed at top level, nothing after the value. On failure: TC_ERR_TOO_LARGE or
 * TC_ERR_JSON_MALFORMED with line/column in the detail. *OUT is a new reference.
 */
TC_RESULT tc_json_parse(const char *data, size_t len, size_t max, json_t **out);

/* Declarative field spec for objects from outside (STYLE.md point 8). */
enum tc_json_kind {
	TC_JSON_STRING, /* out: const char ** (borrowed from the object); max_len applies */
	TC_JSON_HEX,    /* out: struct tc_buf * (decoded bytes); exact_len / max_len apply to bytes */
	TC_JSON_BASE64, /* out: struct tc_buf * (decoded bytes); max_len applies to bytes */
	TC_JSON_INT,    /* out: int64_t *; min/max apply */
	TC_JSON_BOOL,   /* out: bool * */
	TC_JSON_OBJECT, /* out: json_t ** (borrowed) */
	TC_JSON_ARRAY,  /* out: json_t ** (borrowed); max_len = maximum number of elements (0: no limit) */
	TC_JSON_TIME,   /* out: int64_t * (RFC 3339 string) */
	TC_JSON_ANY,    /* out: json_t ** (borrowed) */
};

struct tc_json_field {
	const char *name;
	enum tc_json_kind kind;
	bool required;
	void *out;
	size_t max_len;   /* 0: no limit */
	size_t exact_len; /* TC_JSON_HEX only; 0: any */
	int64_t min, max; /* TC_JSON_INT only; both 0: any */
	bool *present;    /* optional: set to whether the field was there */
};

/*
 * Read the fields of OBJ per SPEC (N entries). Unknown fields fail with TC_ERR_JSON_FIELD_UNKNOWN unless
 * ALLOW_UNKNOWN; a null value counts as absent. Errors name the field. Outputs of absent optional fields
 * are left untouched.
 */
TC_RESULT tc_json_fields(const json_t *obj, const struct tc_json_field *spec, size_t n, bool allow_unknown);

/*
 * Canonical JSON per RFC 8785 (JCS) of VALUE appended to OUT. Integers only (no floats): teecert documents
 * never carry them; a real number fails with TC_ERR_UNSUPPORTED.
 */
TC_RESULT tc_json_canonical(const json_t *value, struct tc_buf *out);

/* Dump VALUE compactly (object keys in insertion order) appended to OUT. */
TC_RESULT tc_json_dump(const json_t *value, struct tc_buf *out);

/* Array of bytes → JSON lowercase hex string (new reference), NULL on OOM. */
json_t *tc_json_hex(const void *data, size_t len);

#endif /* TC_H */
