/*
 * db_test_util.h — fixtures shared by the tests in tests/db: a fresh database per test program (from the
 * `pg` fixture cluster, tests/support) and small SQL helpers that fail the test on error.
 */
#ifndef DB_TEST_UTIL_H
#define DB_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "db_internal.h"
#include "tc_testsupport.h"

/* The database of this test program (set by db_test_group_setup). */
struct db_test_env {
	char dsn[TC_TEST_DSN_MAX];
	struct db_conn *conn; /* an open connection to it */
};

/* Group setup: create a fresh database (named after PREFIX) and open a connection; migrate when asked. */
int db_test_env_setup(struct db_test_env *env, const char *prefix, bool migrate);
/* Group teardown: close and drop the database. */
int db_test_env_teardown(struct db_test_env *env);

/* Assert a result is OK, printing the detail when it is not. */
#define db_assert_ok(expr)                                                                                             \
	do {                                                                                                           \
		struct tc_result db__r = (expr);                                                                       \
		if (db__r.code != TC_OK)                                                                               \
			fail_msg("%s failed: %s: %s", #expr, tc_error_info(db__r.code)->code, tc_error_detail());      \
	} while (0)
/* Assert a result failed with CODE. */
#define db_assert_code(expr, want)                                                                                     \
	do {                                                                                                           \
		struct tc_result db__r = (expr);                                                                       \
		if (db__r.code != (want))                                                                              \
			fail_msg("%s: expected %s, got %s (%s)", #expr, tc_error_info(want)->code,                     \
				 tc_error_info(db__r.code)->code, tc_error_detail());                                  \
	} while (0)

/* Run SQL (no result) on CONN; fails the test on error. */
void db_test_sql(struct db_conn *conn, const char *sql);
/* The single integer (or boolean as 0/1) result of SQL; fails the test on error. */
int64_t db_test_int(struct db_conn *conn, const char *sql);

#endif /* DB_TEST_UTIL_H */
