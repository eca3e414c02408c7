/*
 * test_tc_log.c — every log line is one JSON object with ts/level/event/request_id/msg plus extra fields;
 * levels filter; invalid UTF-8 and long messages still give valid JSON; concurrent threads never
 * interleave lines and each carries its own request id.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>

#include <cmocka.h>

#include "tc.h"

#define LINE_MAX_LEN 16384

static FILE *stream;

static int setup(void **state)
{
	stream = tmpfile();
	if (stream == NULL)
		return -1;
	tc_log_set_stream(stream);
	tc_log_set_level(TC_LOG_INFO);
	tc_log_set_request_id(NULL);
	return 0;
}

static int teardown(void **state)
{
	tc_log_set_stream(NULL);
	fclose(stream);
	return 0;
}

/* Every line written so far, parsed; fails the test on a line that is not a JSON object. */
static json_t *read_lines(void)
{
	char line[LINE_MAX_LEN];
	json_t *all = json_array();

	fflush(stream);
	rewind(stream);
	while (fgets(line, sizeof(line), stream) != NULL) {
		json_error_t err;
		json_t *o;

		assert_non_null(strchr(line, '\n'));
		o = json_loads(line, JSON_REJECT_DUPLICATES, &err);
		if (o == NULL)
			fail_msg("not JSON: %s (%s)", line, err.text);
		assert_true(json_is_object(o));
		json_array_append_new(all, o);
	}
	assert_int_equal(ftruncate(fileno(stream), 0), 0);
	rewind(stream);
	return all;
}

static void test_shape(void **state)
{
	json_t *lines, *o;
	int64_t t;

	tc_log_set_request_id("req-123");
	tc_log(TC_LOG_WARN, "cert_issued", "serial %s for %d days", "0a1b", 7);
	lines = read_lines();
	assert_int_equal(json_array_size(lines), 1);
	o = json_array_get(lines, 0);
	assert_string_equal(json_string_value(json_object_get(o, "level")), "warn");
	assert_string_equal(json_string_value(json_object_get(o, "event")), "cert_issued");
	assert_string_equal(json_string_value(json_object_get(o, "request_id")), "req-123");
	assert_string_equal(json_string_value(json_object_get(o, "msg")), "serial 0a1b for 7 days");
	assert_true(tc_is_ok(tc_time_parse(json_string_value(json_object_get(o, "ts")), &t)));
	assert_true(llabs(t - tc_time_now()) <= 2);
	assert_int_equal(strlen(json_string_value(json_object_get(o, "ts"))), strlen("2025-01-01T00:00:00.000Z"));
	assert_string_equal(tc_log_request_id(), "req-123");
	json_decref(lines);

	/* Without a request id and message, those keys are absent. */
	tc_log_set_request_id(NULL);
	assert_string_equal(tc_log_request_id(), "");
	tc_log(TC_LOG_ERROR, "bare", NULL);
	lines = read_lines();
	o = json_array_get(lines, 0);
	assert_null(json_object_get(o, "request_id"));
	assert_null(json_object_get(o, "msg"));
	assert_int_equal(json_object_size(o), 3);
	json_decref(lines);
}

static void test_levels(void **state)
{
	json_t *lines;
	enum tc_log_level lvl = TC_LOG_ERROR;

	tc_log(TC_LOG_DEBUG, "hidden", "x");
	tc_log(TC_LOG_INFO, "shown", "x");
	tc_log_set_level(TC_LOG_ERROR);
	tc_log(TC_LOG_WARN, "hidden", "x");
	tc_log_fields(TC_LOG_INFO, "hidden", NULL);
	tc_log(TC_LOG_ERROR, "shown", "x");
	tc_log_set_level(TC_LOG_DEBUG);
	tc_log(TC_LOG_DEBUG, "shown", "x");
	tc_log_set_level(TC_LOG_INFO);
	lines = read_lines();
	assert_int_equal(json_array_size(lines), 3);
	for (size_t i = 0; i < json_array_size(lines); i++)
		assert_string_equal(json_string_value(json_object_get(json_array_get(lines, i), "event")), "shown");
	json_decref(lines);

	assert_true(tc_is_ok(tc_log_level_parse("debug", &lvl)));
	assert_int_equal(lvl, TC_LOG_DEBUG);
	assert_true(tc_is_ok(tc_log_level_parse("WARN", &lvl)));
	assert_int_equal(lvl, TC_LOG_WARN);
	assert_true(tc_is_ok(tc_log_level_parse("error", &lvl)));
	assert_int_equal(lvl, TC_LOG_ERROR);
	assert_int_equal(tc_log_level_parse("verbose", &lvl).code, TC_ERR_INVALID_ARGUMENT);
	assert_int_equal(tc_log_level_parse("", &lvl).code, TC_ERR_INVALID_ARGUMENT);
	assert_int_equal(tc_log_level_parse(NULL, &lvl).code, TC_ERR_INVALID_ARGUMENT);
	assert_int_equal(lvl, TC_LOG_ERROR);
}

static void test_fields(void **state)
{
	json_t *fields = json_pack("{s:s, s:i, s:s, s:{s:b}}", "serial", "01ff", "days", 7, "level", "spoofed",
				   "nested", "ok", 1);
	json_t *lines, *o;

	tc_log_fields(TC_LOG_INFO, "cert_issued", fields);
	lines = read_lines();
	o = json_array_get(lines, 0);
	assert_string_equal(json_string_value(json_object_get(o, "serial")), "01ff");
	assert_int_equal(json_integer_value(json_object_get(o, "days")), 7);
	assert_true(json_is_true(json_object_get(json_object_get(o, "nested"), "ok")));
	assert_string_equal(json_string_value(json_object_get(o, "level")), "info"); /* never overwritten */
	assert_int_equal(json_object_size(fields), 4);                               /* borrowed, unchanged */
	json_decref(lines);
	json_decref(fields);
}

static void test_hostile_messages(void **state)
{
	char *big = malloc(10000);
	json_t *lines;
	const char *msg;

	tc_log(TC_LOG_INFO, "bad_utf8", "value \xff\xfe and \xc3 and \"quotes\" \n newline");
	memset(big, 'x', 9999);
	big[9999] = '\0';
	big[4094] = '\xc3'; /* a two-byte character cut by the message limit */
	big[4095] = '\xa9';
	tc_log(TC_LOG_INFO, "long", "%s", big);
	lines = read_lines();
	assert_int_equal(json_array_size(lines), 2);
	msg = json_string_value(json_object_get(json_array_get(lines, 0), "msg"));
	assert_non_null(strstr(msg, "value ?? and ? and \"quotes\" \n newline"));
	msg = json_string_value(json_object_get(json_array_get(lines, 1), "msg"));
	assert_non_null(msg);
	assert_true(strlen(msg) < 4096);
	assert_true(strlen(msg) > 4000);
	json_decref(lines);
	free(big);
}

#define THREADS 4
#define LINES_PER_THREAD 250

static void *log_thread(void *arg)
{
	char rid[32];

	snprintf(rid, sizeof(rid), "thread-%d", (int)(intptr_t)arg);
	tc_log_set_request_id(rid);
	for (int i = 0; i < LINES_PER_THREAD; i++)
		tc_log(TC_LOG_INFO, "tick", "%s line %d %0200d", rid, i, 0);
	return NULL;
}

static void test_threads(void **state)
{
	pthread_t th[THREADS];
	json_t *lines;
	int per[THREADS] = { 0 };

	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, log_thread, (void *)(intptr_t)i), 0);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	lines = read_lines();
	assert_int_equal(json_array_size(lines), THREADS * LINES_PER_THREAD);
	for (size_t i = 0; i < json_array_size(lines); i++) {
		json_t *o = json_array_get(lines, i);
		const char *rid = json_string_value(json_object_get(o, "request_id"));
		int id = -1;

		assert_non_null(rid);
		assert_int_equal(sscanf(rid, "thread-%d", &id), 1);
		assert_true(id >= 0 && id < THREADS);
		assert_true(strncmp(json_string_value(json_object_get(o, "msg")), rid, strlen(rid)) == 0);
		per[id]++;
	}
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(per[i], LINES_PER_THREAD);
	assert_string_equal(tc_log_request_id(), ""); /* other threads' ids never leak here */
	json_decref(lines);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_shape, setup, teardown),
		cmocka_unit_test_setup_teardown(test_levels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
