/*
 * tc_log.c — structured logging: one JSON object per line, e.g.
 *   {"ts":"2025-01-02T03:04:05.678Z","level":"info","event":"cert_issued","request_id":"…","msg":"…",…}
 *
 * A line is built completely in memory and written with one fputs under a mutex, so lines from concurrent
 * request threads never interleave. The request id is per thread, set by the HTTP layer for each request.
 * Extra fields never overwrite the fixed keys.
 */
#include "tc.h"
#include "tc_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define TC_LOG_MSG_MAX 4096
#define TC_LOG_REQUEST_ID_MAX 128
#define TC_LOG_TS_LEN 32

static const char *const tc_log_level_names[] = { "debug", "info", "warn", "error" };
#define TC_LOG_LEVEL_COUNT (sizeof(tc_log_level_names) / sizeof(tc_log_level_names[0]))

static atomic_int tc_log_min = TC_LOG_INFO;
static pthread_mutex_t tc_log_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *tc_log_stream; /* NULL: stderr */
static _Thread_local char tc_log_rid[TC_LOG_REQUEST_ID_MAX];

void tc_log_set_level(enum tc_log_level min)
{
	atomic_store(&tc_log_min, (int)min);
}

TC_RESULT tc_log_level_parse(const char *s, enum tc_log_level *out)
{
	TC_ENSURE(s != NULL, TC_ERR_INVALID_ARGUMENT, "log level: NULL");
	for (size_t i = 0; i < TC_LOG_LEVEL_COUNT; i++) {
		if (strcasecmp(s, tc_log_level_names[i]) == 0) {
			*out = (enum tc_log_level)i;
			return tc_ok();
		}
	}
	return tc_fail(TC_ERR_INVALID_ARGUMENT, "unknown log level '%.32s' (expected debug, info, warn or error)", s);
}

void tc_log_set_request_id(const char *id)
{
	if (id == NULL) {
		tc_log_rid[0] = '\0';
		return;
	}
	snprintf(tc_log_rid, sizeof(tc_log_rid), "%s", id);
}

/* "" when this thread has no request id. */
const char *tc_log_request_id(void)
{
	return tc_log_rid;
}

void tc_log_set_stream(FILE *stream)
{
	pthread_mutex_lock(&tc_log_lock);
	tc_log_stream = stream;
	pthread_mutex_unlock(&tc_log_lock);
}

/* Replace every byte that is not part of valid UTF-8 with '?', so messages built from outside input
 * (or cut at TC_LOG_MSG_MAX inside a character) still make a valid JSON string. */
static void tc_log_utf8_sanitize(char *s)
{
	unsigned char *p = (unsigned char *)s;
	size_t left = strlen(s);

	while (left > 0) {
		uint32_t cp;
		size_t n = tc_utf8_decode(p, left, &cp);

		if (n == 0) {
			*p++ = '?';
			left--;
			continue;
		}
		p += n;
		left -= n;
	}
}

/* RFC 3339 UTC with milliseconds. */
static void tc_log_timestamp(char out[TC_LOG_TS_LEN])
{
	struct timespec ts;
	char base[TC_TIME_RFC3339_LEN];

	clock_gettime(CLOCK_REALTIME, &ts);
	if (!tc_is_ok(tc_time_format((int64_t)ts.tv_sec, base))) {
		snprintf(out, TC_LOG_TS_LEN, "%s", "0000-00-00T00:00:00.000Z");
		return;
	}
	/* base ends in 'Z': print it without, then the milliseconds. */
	snprintf(out, TC_LOG_TS_LEN, "%.19s.%03uZ", base, (unsigned)(ts.tv_nsec / 1000000) % 1000u);
}

static void tc_log_write(enum tc_log_level level, const char *event, const char *msg, const json_t *fields)
{
	char ts[TC_LOG_TS_LEN];
	json_t *line;
	char *text = NULL;
	size_t text_len;
	char *out = NULL;
	FILE *stream;

	if ((unsigned)level >= TC_LOG_LEVEL_COUNT)
		level = TC_LOG_ERROR;
	tc_log_timestamp(ts);
	line = json_object();
	if (line == NULL)
		goto fallback;
	json_object_set_new(line, "ts", json_string(ts));
	json_object_set_new(line, "level", json_string(tc_log_level_names[level]));
	/* json_string rejects invalid UTF-8; keep the line anyway with a marker. */
	json_object_set_new(line, "event", json_string(event != NULL ? event : "log"));
	if (tc_log_rid[0] != '\0')
		json_object_set_new(line, "request_id", json_string(tc_log_rid));
	if (msg != NULL) {
		json_t *m = json_string(msg);

		json_object_set_new(line, "msg", m != NULL ? m : json_string("(message is not valid UTF-8)"));
	}
	if (fields != NULL && json_is_object(fields)) {
		const char *key;
		json_t *value;

		json_object_foreach((json_t *)fields, key, value) {
			if (json_object_get(line, key) == NULL)
				json_object_set(line, key, value);
		}
	}
	text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	json_decref(line);
	if (text == NULL)
		goto fallback;
	text_len = strlen(text);
	out = malloc(text_len + 2);
	if (out == NULL)
		goto fallback;
	memcpy(out, text, text_len);
	out[text_len] = '\n';
	out[text_len + 1] = '\0';

	pthread_mutex_lock(&tc_log_lock);
	stream = tc_log_stream != NULL ? tc_log_stream : stderr;
	fputs(out, stream);
	fflush(stream);
	pthread_mutex_unlock(&tc_log_lock);
	free(text);
	free(out);
	return;

fallback:
	free(text);
	pthread_mutex_lock(&tc_log_lock);
	stream = tc_log_stream != NULL ? tc_log_stream : stderr;
	fputs("{\"level\":\"error\",\"event\":\"log_failed\",\"msg\":\"out of memory while logging\"}\n", stream);
	fflush(stream);
	pthread_mutex_unlock(&tc_log_lock);
}

void tc_log(enum tc_log_level level, const char *event, const char *fmt, ...)
{
	char msg[TC_LOG_MSG_MAX];
	va_list ap;

	if ((int)level < atomic_load(&tc_log_min))
		return;
	if (fmt == NULL) {
		tc_log_write(level, event, NULL, NULL);
		return;
	}
	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	tc_log_utf8_sanitize(msg);
	tc_log_write(level, event, msg, NULL);
}

void tc_log_fields(enum tc_log_level level, const char *event, const json_t *fields)
{
	if ((int)level < atomic_load(&tc_log_min))
		return;
	tc_log_write(level, event, NULL, fields);
}
