/*
 * db_txn.c — the one transaction runner (STYLE.md point 9): BEGIN ISOLATION LEVEL SERIALIZABLE (or READ
 * COMMITTED for writers that lock explicitly, db_txn_run_read_committed), the caller's function, COMMIT; retried on serialization failures (40001) and deadlocks (40P01), which
 * PostgreSQL reports for the statement or the COMMIT that lost (PostgreSQL manual 13.2.3: "applications
 * using this level must be prepared to retry transactions due to serialization failures").
 *
 * Whether a failure is retryable is decided by the SQLSTATEs the statements of the attempt failed with
 * (conn->txn_retryable, set by db_fail_result), not by the function's result code, so a query file may
 * map errors as it likes, or run more statements after the failure, and the runner still retries.
 */
#include "db_internal.h"

#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

/* Backoff before attempt n (n >= 2): a random delay in [0, min(2^n, MAX) ms). */
#define DB_TXN_BACKOFF_MAX_MS 64u
#define NS_PER_MS 1000000L

static atomic_ullong txn_retries;

unsigned long long db_txn_retries(void)
{
	return atomic_load(&txn_retries);
}

static void backoff(int attempt)
{
	unsigned limit = 1u << (attempt < 6 ? attempt : 6);
	if (limit > DB_TXN_BACKOFF_MAX_MS)
		limit = DB_TXN_BACKOFF_MAX_MS;
	uint32_t rnd = 0;
	if (!tc_is_ok(tc_random_bytes(&rnd, sizeof(rnd))))
		rnd = (uint32_t)attempt; /* no randomness: a fixed small delay still works */
	long ns = (long)(rnd % (limit * 1000u)) * (NS_PER_MS / 1000);
	struct timespec ts = { .tv_sec = 0, .tv_nsec = ns };
	nanosleep(&ts, NULL);
}

/* Roll back whatever is left of the transaction; a dead connection has nothing to roll back. */
static void rollback(struct db_conn *conn)
{
	if (PQstatus(conn->pg) == CONNECTION_OK && PQtransactionStatus(conn->pg) != PQTRANS_IDLE) {
		PGresult *res = PQexec(conn->pg, "ROLLBACK");
		PQclear(res);
	}
	conn->in_txn = false;
}

/* One attempt: BEGIN, FN, COMMIT. Leaves the connection inside the transaction on failure. */
static TC_RESULT attempt_once(struct db_conn *conn, const char *begin, db_txn_fn fn, void *arg)
{
	TC_GUARD(db_conn_check(conn));
	TC_GUARD(db_exec(conn, begin));
	conn->in_txn = true;
	TC_GUARD(fn(conn, arg));
	TC_GUARD(db_exec(conn, "COMMIT"));
	conn->in_txn = false;
	return tc_ok();
}

bool db_txn_aborted(const struct db_conn *conn)
{
	return conn == NULL || conn->pg == NULL || PQtransactionStatus(conn->pg) != PQTRANS_INTRANS;
}

static TC_RESULT txn_run(struct db_conn *conn, const char *begin, db_txn_fn fn, void *arg)
{
	TC_ENSURE(conn != NULL && fn != NULL, TC_ERR_INVALID_ARGUMENT, "db_txn_run: missing argument");
	TC_ENSURE(!conn->in_txn, TC_ERR_INTERNAL, "db_txn_run: transactions do not nest");
	struct tc_result r = tc_ok();
	for (int attempt = 1; attempt <= DB_TXN_MAX_ATTEMPTS; attempt++) {
		if (attempt > 1) {
			atomic_fetch_add(&txn_retries, 1);
			backoff(attempt);
		}
		conn->txn_retryable = false;
		r = attempt_once(conn, begin, fn, arg);
		if (tc_is_ok(r))
			return r;
		bool retry = conn->txn_retryable;
		rollback(conn);
		if (!retry)
			return r;
		tc_log(TC_LOG_DEBUG, "db_txn_retry", "attempt %d: %s", attempt, tc_error_detail());
	}
	char last[TC_DETAIL_MAX];
	snprintf(last, sizeof(last), "%s", tc_error_detail());
	return tc_fail(TC_ERR_DB_CONFLICT, "gave up after %d attempts; last error: %s", DB_TXN_MAX_ATTEMPTS, last);
}

TC_RESULT db_txn_run(struct db_conn *conn, db_txn_fn fn, void *arg)
{
	return txn_run(conn, "BEGIN ISOLATION LEVEL SERIALIZABLE", fn, arg);
}

TC_RESULT db_txn_run_read_committed(struct db_conn *conn, db_txn_fn fn, void *arg)
{
	return txn_run(conn, "BEGIN ISOLATION LEVEL READ COMMITTED", fn, arg);
}
