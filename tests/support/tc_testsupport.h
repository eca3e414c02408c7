/*
 * tc_testsupport.h — helpers for tests that use the throwaway PostgreSQL cluster of the `pg` CTest fixture
 * (deploy/pg.sh start $TEECERT_BUILD_DIR/testpg). Each test program creates its own database so tests can
 * run in parallel (ctest -j) without sharing a schema. Also (tc_testproc.c) the child processes of the
 * end-to-end tests: binaries spawned, waited for, run with captured output, servers started.
 */
#ifndef TC_TESTSUPPORT_H
#define TC_TESTSUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <libpq-fe.h>

#include "tc.h"

/* Room for any DSN these helpers produce. */
#define TC_TEST_DSN_MAX 512

/*
 * DSN of the fixture cluster's `teecert` database: $TEECERT_TEST_PG_DSN when set, else the contents of
 * $TEECERT_BUILD_DIR/testpg/dsn. NULL (with a message on stderr) when neither is available. The string is
 * static; it is read once.
 */
const char *tc_test_dsn_base(void);

/*
 * Create a fresh database named PREFIX_<pid>_<counter>_<random> (PREFIX: letters, digits, '_'; other
 * characters become '_') in the fixture cluster and write its DSN to DSN_OUT (SIZE bytes, at least
 * TC_TEST_DSN_MAX is safe). TC_ERR_DB_UNAVAILABLE when the cluster is not there.
 */
TC_RESULT tc_test_db_create(const char *prefix, char *dsn_out, size_t size);

/* Drop a database created by tc_test_db_create (given its DSN), disconnecting its sessions first. */
TC_RESULT tc_test_db_drop(const char *dsn);

/*
 * In a cmocka test: fail the test, naming EXPR, its code and detail, unless EXPR (a struct tc_result) is
 * TC_OK. Needs <cmocka.h> where it is used.
 */
#define tc_assert_ok(expr)                                                                                             \
	do {                                                                                                           \
		struct tc_result tc_assert_r__ = (expr);                                                               \
		if (tc_assert_r__.code != TC_OK)                                                                       \
			fail_msg("%s failed: %s: %s", #expr, tc_error_info(tc_assert_r__.code)->code,                  \
				 tc_error_detail());                                                                   \
	} while (0)

/* Run Q (no rows expected, or rows ignored) on PG; TC_ERR_DB_QUERY with the server's message otherwise. */
TC_RESULT tc_test_sql(PGconn *pg, const char *q);

/* ------------------------------------------------------------------------------- child processes */

/*
 * Start ARGV[0] (a path; ARGV NULL-terminated) with stdout to OUT_FD and stderr to ERR_FD (-1: inherited).
 * The child gets SIGKILL when the test process dies (PR_SET_PDEATHSIG), so a failed or timed-out test leaves
 * nothing behind. Returns its pid, or -1 when fork failed.
 */
pid_t tc_test_spawn(const char *const *argv, int out_fd, int err_fd);

/*
 * Wait up to MAX_MS for PID to exit. True when it did; false when it did not, and then it has been killed
 * (SIGKILL) and reaped. STATUS (may be NULL) gets the wait status in both cases.
 */
bool tc_test_wait(pid_t pid, unsigned max_ms, int *status);

/* Send SIG to PID and wait up to MAX_MS for it (then SIGKILL); returns its wait status. */
int tc_test_stop(pid_t pid, int sig, unsigned max_ms);

/* tc_test_run's results besides an exit status 0..255. */
#define TC_TEST_RUN_KILLED (-1)  /* ended by a signal */
#define TC_TEST_RUN_TIMEOUT (-2) /* still running after MAX_MS: killed */
#define TC_TEST_RUN_ERROR (-3)   /* could not be started */

/*
 * Run ARGV to completion (at most MAX_MS) with stdout and stderr together into OUT (SIZE bytes, NUL-terminated,
 * truncated); returns its exit status or one of TC_TEST_RUN_*.
 */
int tc_test_run(const char *const *argv, char *out, size_t size, unsigned max_ms);

/*
 * Start a server ARGV that prints "listening on http://127.0.0.1:PORT" as its first stdout line (listen on
 * 127.0.0.1:0 to get a free port); URL gets "http://127.0.0.1:PORT". Returns its pid, or -1 (the child
 * killed) when that line did not come: URL then holds what was read instead, for the failure message.
 * Stop it with tc_test_stop.
 */
pid_t tc_test_serve(const char *const *argv, char *url, size_t size);

#endif /* TC_TESTSUPPORT_H */
