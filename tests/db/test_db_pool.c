/*
 * test_db_pool.c — the connection pool against a real PostgreSQL: lazy opening, exhaustion with a clear
 * timeout, a waiter woken by a release, reconnection counted after a backend dies, an unreachable server.
 */
#include "db_test_util.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

#define POOL_SIZE 3
#define SHORT_TIMEOUT_MS 200

static struct db_test_env env;

static int group_setup(void **state)
{
	(void)state;
	return db_test_env_setup(&env, "pool", true);
}

static int group_teardown(void **state)
{
	(void)state;
	return db_test_env_teardown(&env);
}

static void test_exhaustion_times_out(void **state)
{
	(void)state;
	struct db_pool *pool = NULL;
	db_assert_ok(db_pool_new(env.dsn, POOL_SIZE, &pool));
	struct db_conn *c[POOL_SIZE];
	for (int i = 0; i < POOL_SIZE; i++) {
		db_assert_ok(db_pool_acquire(pool, SHORT_TIMEOUT_MS, &c[i]));
		assert_int_equal(db_test_int(c[i], "SELECT 1"), 1);
		for (int j = 0; j < i; j++)
			assert_ptr_not_equal(c[i], c[j]);
	}
	struct db_conn *extra = NULL;
	uint64_t t0 = tc_time_mono_ms();
	db_assert_code(db_pool_acquire(pool, SHORT_TIMEOUT_MS, &extra), TC_ERR_DB_UNAVAILABLE);
	uint64_t waited = tc_time_mono_ms() - t0;
	assert_null(extra);
	assert_true(waited >= SHORT_TIMEOUT_MS - 5);
	assert_non_null(strstr(tc_error_detail(), "in use"));
	assert_non_null(strstr(tc_error_detail(), "200 ms"));

	struct db_pool_stats st;
	db_pool_stats(pool, &st);
	assert_int_equal(st.size, POOL_SIZE);
	assert_int_equal(st.in_use, POOL_SIZE);
	assert_int_equal(st.acquired, POOL_SIZE);
	assert_int_equal(st.waited, 1);
	assert_int_equal(st.errors, 0);

	/* A released connection is handed out again (the same one: the pool is fixed). */
	db_pool_release(pool, c[1]);
	db_assert_ok(db_pool_acquire(pool, 0, &extra));
	assert_ptr_equal(extra, c[1]);
	for (int i = 0; i < POOL_SIZE; i++)
		db_pool_release(pool, c[i]);
	db_pool_stats(pool, &st);
	assert_int_equal(st.in_use, 0);
	assert_int_equal(st.acquired, POOL_SIZE + 1);
	db_pool_free(&pool);
	assert_null(pool);
}

struct waiter {
	struct db_pool *pool;
	struct db_conn *got;
	struct tc_result r;
};

static void *waiter_thread(void *arg)
{
	struct waiter *w = arg;
	w->r = db_pool_acquire(w->pool, 10000, &w->got);
	return NULL;
}

static void test_release_wakes_waiter(void **state)
{
	(void)state;
	struct db_pool *pool = NULL;
	db_assert_ok(db_pool_new(env.dsn, 1, &pool));
	struct db_conn *c = NULL;
	db_assert_ok(db_pool_acquire(pool, 0, &c));
	struct waiter w = { .pool = pool };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, waiter_thread, &w), 0);
	struct timespec ts = { .tv_sec = 0, .tv_nsec = 100 * 1000000L };
	nanosleep(&ts, NULL);
	/* A transaction left open by the borrower is rolled back on release, not handed on. */
	db_test_sql(c, "BEGIN; CREATE TABLE left_open (x int)");
	uint64_t t0 = tc_time_mono_ms();
	db_pool_release(pool, c);
	pthread_join(t, NULL);
	db_assert_ok(w.r);
	assert_ptr_equal(w.got, c);
	assert_true(tc_time_mono_ms() - t0 < 5000);
	assert_int_equal(PQtransactionStatus(db_conn_pg(w.got)), PQTRANS_IDLE);
	assert_int_equal(db_test_int(w.got, "SELECT to_regclass('left_open') IS NULL"), 1);
	struct db_pool_stats st;
	db_pool_stats(pool, &st);
	assert_int_equal(st.waited, 1);
	db_pool_release(pool, w.got);
	db_pool_free(&pool);
}

static void test_reconnect_counted(void **state)
{
	(void)state;
	struct db_pool *pool = NULL;
	db_assert_ok(db_pool_new(env.dsn, 1, &pool));
	struct db_conn *c = NULL;
	db_assert_ok(db_pool_acquire(pool, 0, &c));
	char sql[96];
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%d, 5000)", PQbackendPID(db_conn_pg(c)));
	db_pool_release(pool, c);
	assert_int_equal(db_test_int(env.conn, sql), 1);

	db_assert_ok(db_pool_acquire(pool, 0, &c));
	assert_int_equal(db_test_int(c, "SELECT 7"), 7);
	struct db_pool_stats st;
	db_pool_stats(pool, &st);
	assert_int_equal(st.reconnects, 1);
	assert_int_equal(st.errors, 0);
	db_pool_release(pool, c);
	db_pool_free(&pool);
}

static void test_unreachable_is_lazy_and_clear(void **state)
{
	(void)state;
	struct db_pool *pool = NULL;
	/* Port 1 on localhost: nothing listens; creating the pool still succeeds (lazy). */
	db_assert_ok(db_pool_new("postgresql://teecert@127.0.0.1:1/teecert?connect_timeout=2", 2, &pool));
	struct db_conn *c = NULL;
	db_assert_code(db_pool_acquire(pool, 100, &c), TC_ERR_DB_UNAVAILABLE);
	assert_null(c);
	assert_non_null(strstr(tc_error_detail(), "cannot connect"));
	db_assert_code(db_pool_acquire(pool, 100, &c), TC_ERR_DB_UNAVAILABLE);
	struct db_pool_stats st;
	db_pool_stats(pool, &st);
	assert_int_equal(st.errors, 2);
	assert_int_equal(st.in_use, 0);
	assert_int_equal(st.acquired, 0);
	db_pool_free(&pool);
}

static void test_bad_arguments(void **state)
{
	(void)state;
	struct db_pool *pool = NULL;
	db_assert_code(db_pool_new(env.dsn, 0, &pool), TC_ERR_INVALID_ARGUMENT);
	db_assert_code(db_pool_new(env.dsn, 100000, &pool), TC_ERR_INVALID_ARGUMENT);
	db_assert_code(db_pool_new(NULL, 2, &pool), TC_ERR_INVALID_ARGUMENT);
	assert_null(pool);
	db_pool_free(&pool);
	db_pool_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exhaustion_times_out), cmocka_unit_test(test_release_wakes_waiter),
		cmocka_unit_test(test_reconnect_counted),    cmocka_unit_test(test_unreachable_is_lazy_and_clear),
		cmocka_unit_test(test_bad_arguments),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
