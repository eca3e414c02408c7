/*
 * test_db_conn.c — connections against a real PostgreSQL: clear errors for bad DSNs and unreachable
 * servers, reconnection after the backend is terminated (pg_terminate_backend from another connection),
 * prepared statements prepared again on the new backend, and no silent reconnect inside a transaction.
 */
#include "db_test_util.h"

#include <string.h>

static struct db_test_env env;

/* A statement of this test, to watch it being prepared per backend. */
static const struct db_stmt stmt_add = {
	.name = "test_conn_add",
	.sql = "SELECT $1::bigint + $2::bigint",
	.nparams = 2,
};

static int group_setup(void **state)
{
	(void)state;
	return db_test_env_setup(&env, "conn", true);
}

static int group_teardown(void **state)
{
	(void)state;
	return db_test_env_teardown(&env);
}

static int64_t add(struct db_conn *conn, const char *a, const char *b)
{
	struct db_param params[] = { DB_PARAM_TEXT(a), DB_PARAM_TEXT(b) };
	PGresult *res = NULL;
	db_assert_ok(db_exec_prepared(conn, &stmt_add, params, &res));
	int64_t v = 0;
	db_assert_ok(db_value_int64(res, 0, 0, &v));
	PQclear(res);
	return v;
}

/* Is stmt_add prepared in CONN's current backend? (pg_prepared_statements is per session.) */
static bool prepared_on_backend(struct db_conn *conn)
{
	return db_test_int(conn, "SELECT count(*) FROM pg_prepared_statements WHERE name = 'test_conn_add'") == 1;
}

/* Terminate CONN's backend from another connection and wait until it is gone. */
static void kill_backend(struct db_conn *conn)
{
	int pid = PQbackendPID(db_conn_pg(conn));
	struct db_conn *admin = NULL;
	db_assert_ok(db_conn_open(env.dsn, &admin));
	char sql[96];
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%d, 5000)", pid);
	assert_int_equal(db_test_int(admin, sql), 1);
	db_conn_free(&admin);
}

static void test_bad_dsn(void **state)
{
	(void)state;
	struct db_conn *conn = (struct db_conn *)0x1;
	db_assert_code(db_conn_open("this is not = a dsn '", &conn), TC_ERR_DB_UNAVAILABLE);
	assert_ptr_equal(conn, (struct db_conn *)0x1);
	assert_non_null(strstr(tc_error_detail(), "cannot connect"));
	db_assert_code(db_conn_open("postgresql://teecert@127.0.0.1:1/teecert?connect_timeout=2", &conn),
		       TC_ERR_DB_UNAVAILABLE);
	assert_non_null(strstr(tc_error_detail(), "127.0.0.1"));
	db_assert_code(db_conn_open(NULL, &conn), TC_ERR_INVALID_ARGUMENT);
	db_assert_code(db_conn_check(NULL), TC_ERR_INVALID_ARGUMENT);
	db_conn_free(NULL);
	struct db_conn *none = NULL;
	db_conn_free(&none);
}

static void test_prepared_once_per_connection(void **state)
{
	(void)state;
	struct db_conn *conn = NULL;
	db_assert_ok(db_conn_open(env.dsn, &conn));
	assert_false(prepared_on_backend(conn));
	assert_int_equal(add(conn, "40", "2"), 42);
	assert_true(prepared_on_backend(conn));
	assert_int_equal(add(conn, "-5", "5"), 0);
	assert_int_equal(db_test_int(conn, "SELECT count(*) FROM pg_prepared_statements"), 1);
	/* A bad parameter is a clear query error, and the connection stays usable. */
	struct db_param params[] = { DB_PARAM_TEXT("x"), DB_PARAM_TEXT("1") };
	PGresult *res = NULL;
	db_assert_code(db_exec_prepared(conn, &stmt_add, params, &res), TC_ERR_DB_QUERY);
	assert_null(res);
	assert_non_null(strstr(tc_error_detail(), "22P02")); /* invalid_text_representation */
	assert_int_equal(add(conn, "1", "1"), 2);
	db_conn_free(&conn);
	assert_null(conn);
}

static void test_reconnect_via_check(void **state)
{
	(void)state;
	struct db_conn *conn = NULL;
	db_assert_ok(db_conn_open(env.dsn, &conn));
	assert_int_equal(add(conn, "1", "2"), 3);
	int old_pid = PQbackendPID(db_conn_pg(conn));
	kill_backend(conn);

	db_assert_ok(db_conn_check(conn));
	assert_int_not_equal(PQbackendPID(db_conn_pg(conn)), old_pid);
	assert_int_equal(conn->reconnects, 1);
	assert_false(prepared_on_backend(conn)); /* the new backend has none yet */
	assert_int_equal(add(conn, "2", "3"), 5);
	assert_true(prepared_on_backend(conn)); /* prepared again */
	db_conn_free(&conn);
}

static void test_reconnect_via_query(void **state)
{
	(void)state;
	struct db_conn *conn = NULL;
	db_assert_ok(db_conn_open(env.dsn, &conn));
	assert_int_equal(add(conn, "1", "2"), 3);
	int old_pid = PQbackendPID(db_conn_pg(conn));
	kill_backend(conn);

	/* No explicit check: the next prepared query notices, reconnects and prepares again. */
	assert_int_equal(add(conn, "20", "22"), 42);
	assert_int_not_equal(PQbackendPID(db_conn_pg(conn)), old_pid);
	assert_int_equal(conn->reconnects, 1);
	/* And a challenge query (prepared on the old backend too) works as well. */
	uint8_t nonce[DB_NONCE_LEN];
	db_assert_ok(tc_random_bytes(nonce, sizeof(nonce)));
	int64_t expires;
	db_assert_ok(db_challenge_insert(conn, nonce, 60, &expires));
	kill_backend(conn);
	db_assert_ok(db_challenge_consume(conn, nonce));
	assert_int_equal(conn->reconnects, 2);
	db_conn_free(&conn);
}

static struct tc_result kill_self_then_query(struct db_conn *conn, void *arg)
{
	int *calls = arg;
	(*calls)++;
	if (*calls == 1)
		kill_backend(conn);
	return db_exec(conn, "SELECT 1");
}

static void test_no_reconnect_inside_transaction(void **state)
{
	(void)state;
	struct db_conn *conn = NULL;
	db_assert_ok(db_conn_open(env.dsn, &conn));
	int calls = 0;
	db_assert_code(db_txn_run(conn, kill_self_then_query, &calls), TC_ERR_DB_UNAVAILABLE);
	assert_int_equal(calls, 1); /* not retried: the transaction's fate is unknown to the caller */
	assert_int_equal(conn->reconnects, 0);
	assert_false(conn->in_txn);
	/* The next transaction reconnects first. */
	calls = 1;
	db_assert_ok(db_txn_run(conn, kill_self_then_query, &calls));
	assert_int_equal(conn->reconnects, 1);
	db_conn_free(&conn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_dsn),
		cmocka_unit_test(test_prepared_once_per_connection),
		cmocka_unit_test(test_reconnect_via_check),
		cmocka_unit_test(test_reconnect_via_query),
		cmocka_unit_test(test_no_reconnect_inside_transaction),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
