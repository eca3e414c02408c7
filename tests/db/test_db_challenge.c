/*
 * test_db_challenge.c — challenges against a real PostgreSQL: single use, unknown nonce, expiry by the
 * database clock, duplicate nonces, rollback, and two requests racing for one nonce.
 */
#include "db_test_util.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

/* Expiry test: a one-second challenge is consumed after this long. */
#define EXPIRY_SLEEP_MS 1200
/* Tolerance between the database clock and this process's clock (same machine). */
#define CLOCK_SLACK_S 5

static struct db_test_env env;

static int group_setup(void **state)
{
	(void)state;
	return db_test_env_setup(&env, "challenge", true);
}

static int group_teardown(void **state)
{
	(void)state;
	return db_test_env_teardown(&env);
}

static void fresh_nonce(uint8_t nonce[DB_NONCE_LEN])
{
	db_assert_ok(tc_random_bytes(nonce, DB_NONCE_LEN));
}

struct consume_arg {
	const uint8_t *nonce;
};

static struct tc_result consume_fn(struct db_conn *conn, void *arg)
{
	struct consume_arg *a = arg;
	return db_challenge_consume(conn, a->nonce);
}

static struct tc_result consume_txn(struct db_conn *conn, const uint8_t nonce[DB_NONCE_LEN])
{
	struct consume_arg a = { nonce };
	return db_txn_run(conn, consume_fn, &a);
}

static void test_single_use(void **state)
{
	(void)state;
	uint8_t nonce[DB_NONCE_LEN];
	fresh_nonce(nonce);
	int64_t expires = 0;
	db_assert_ok(db_challenge_insert(env.conn, nonce, 300, &expires));
	int64_t now = tc_time_now();
	assert_true(expires >= now + 300 - CLOCK_SLACK_S && expires <= now + 300 + CLOCK_SLACK_S);

	db_assert_ok(consume_txn(env.conn, nonce));
	db_assert_code(consume_txn(env.conn, nonce), TC_ERR_CHALLENGE_USED);
	db_assert_code(consume_txn(env.conn, nonce), TC_ERR_CHALLENGE_USED);
	/* Outside a transaction too (autocommit). */
	db_assert_code(db_challenge_consume(env.conn, nonce), TC_ERR_CHALLENGE_USED);
}

static void test_unknown_nonce(void **state)
{
	(void)state;
	uint8_t nonce[DB_NONCE_LEN];
	fresh_nonce(nonce);
	db_assert_code(consume_txn(env.conn, nonce), TC_ERR_CHALLENGE_NOT_FOUND);
	/* A known nonce differing in its last byte is another nonce. */
	int64_t expires;
	db_assert_ok(db_challenge_insert(env.conn, nonce, 300, &expires));
	nonce[DB_NONCE_LEN - 1] ^= 1;
	db_assert_code(consume_txn(env.conn, nonce), TC_ERR_CHALLENGE_NOT_FOUND);
	nonce[DB_NONCE_LEN - 1] ^= 1;
	db_assert_ok(consume_txn(env.conn, nonce));
}

static void test_expiry(void **state)
{
	(void)state;
	uint8_t live[DB_NONCE_LEN], dead[DB_NONCE_LEN], zero[DB_NONCE_LEN];
	fresh_nonce(live);
	fresh_nonce(dead);
	fresh_nonce(zero);
	int64_t expires;
	db_assert_ok(db_challenge_insert(env.conn, live, 60, &expires));
	db_assert_ok(db_challenge_insert(env.conn, dead, 1, &expires));
	db_assert_ok(db_challenge_insert(env.conn, zero, 0, &expires));
	db_assert_code(consume_txn(env.conn, zero), TC_ERR_CHALLENGE_EXPIRED);

	struct timespec ts = { .tv_sec = EXPIRY_SLEEP_MS / 1000, .tv_nsec = (EXPIRY_SLEEP_MS % 1000) * 1000000L };
	nanosleep(&ts, NULL);
	db_assert_code(consume_txn(env.conn, dead), TC_ERR_CHALLENGE_EXPIRED);
	/* An expired challenge stays unused; still expired on a second try. */
	db_assert_code(consume_txn(env.conn, dead), TC_ERR_CHALLENGE_EXPIRED);
	db_assert_ok(consume_txn(env.conn, live));
}

static void test_bad_arguments(void **state)
{
	(void)state;
	uint8_t nonce[DB_NONCE_LEN];
	fresh_nonce(nonce);
	int64_t expires = 42;
	db_assert_code(db_challenge_insert(env.conn, nonce, -1, &expires), TC_ERR_INVALID_ARGUMENT);
	db_assert_code(db_challenge_insert(env.conn, nonce, 86400 * 2, &expires), TC_ERR_INVALID_ARGUMENT);
	db_assert_code(db_challenge_insert(env.conn, NULL, 60, &expires), TC_ERR_INVALID_ARGUMENT);
	db_assert_code(db_challenge_insert(NULL, nonce, 60, &expires), TC_ERR_INVALID_ARGUMENT);
	db_assert_code(db_challenge_consume(env.conn, NULL), TC_ERR_INVALID_ARGUMENT);
	assert_int_equal(expires, 42);
}

static void test_duplicate_nonce_conflicts(void **state)
{
	(void)state;
	uint8_t nonce[DB_NONCE_LEN];
	fresh_nonce(nonce);
	int64_t expires;
	db_assert_ok(db_challenge_insert(env.conn, nonce, 60, &expires));
	db_assert_code(db_challenge_insert(env.conn, nonce, 60, &expires), TC_ERR_DB_CONFLICT);
	assert_non_null(strstr(tc_error_detail(), "23505"));
}

/* A consume whose transaction fails later is rolled back: the challenge is still usable. */
static struct tc_result consume_then_fail(struct db_conn *conn, void *arg)
{
	TC_GUARD(consume_fn(conn, arg));
	return tc_fail(TC_ERR_POLICY_VIOLATION, "the issuance failed after consuming the challenge");
}

static void test_rollback_keeps_challenge(void **state)
{
	(void)state;
	uint8_t nonce[DB_NONCE_LEN];
	fresh_nonce(nonce);
	int64_t expires;
	db_assert_ok(db_challenge_insert(env.conn, nonce, 60, &expires));
	struct consume_arg a = { nonce };
	db_assert_code(db_txn_run(env.conn, consume_then_fail, &a), TC_ERR_POLICY_VIOLATION);
	db_assert_ok(consume_txn(env.conn, nonce));
}

struct racer {
	const char *dsn;
	const uint8_t *nonce;
	pthread_barrier_t *start;
	struct tc_result r;
};

static void *race_thread(void *arg)
{
	struct racer *x = arg;
	struct db_conn *conn = NULL;
	struct tc_result r = db_conn_open(x->dsn, &conn);
	pthread_barrier_wait(x->start);
	if (tc_is_ok(r))
		r = consume_txn(conn, x->nonce);
	x->r = r;
	db_conn_free(&conn);
	return NULL;
}

static void test_race_one_winner(void **state)
{
	(void)state;
	enum { RACERS = 6 };
	uint8_t nonce[DB_NONCE_LEN];
	fresh_nonce(nonce);
	int64_t expires;
	db_assert_ok(db_challenge_insert(env.conn, nonce, 60, &expires));
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, RACERS);
	struct racer x[RACERS];
	pthread_t t[RACERS];
	for (int i = 0; i < RACERS; i++) {
		x[i] = (struct racer){ .dsn = env.dsn, .nonce = nonce, .start = &start };
		assert_int_equal(pthread_create(&t[i], NULL, race_thread, &x[i]), 0);
	}
	int ok = 0, used = 0;
	for (int i = 0; i < RACERS; i++) {
		pthread_join(t[i], NULL);
		ok += x[i].r.code == TC_OK;
		used += x[i].r.code == TC_ERR_CHALLENGE_USED;
	}
	pthread_barrier_destroy(&start);
	assert_int_equal(ok, 1);
	assert_int_equal(used, RACERS - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_use),
		cmocka_unit_test(test_unknown_nonce),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_duplicate_nonce_conflicts),
		cmocka_unit_test(test_rollback_keeps_challenge),
		cmocka_unit_test(test_race_one_winner),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
