/*
 * tc_testsupport.h — helpers for tests that use the throwaway PostgreSQL cluster of the `pg` CTest fixture
 * (deploy/pg.sh start $TEECERT_BUILD_DIR/testpg). Each test program creates its own database so tests can
 * run in parallel (ctest -j) without sharing a schema.
 */
#ifndef TC_TESTSUPPORT_H
#define TC_TESTSUPPORT_H

#include <stddef.h>

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

#endif /* TC_TESTSUPPORT_H */
