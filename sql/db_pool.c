/*
 * db_pool.c — a fixed-size connection pool for the request threads of a server.
 *
 * SIZE slots guarded by one mutex; a condition variable (on the monotonic clock) wakes waiters when a
 * connection comes back. Connections are opened lazily on first acquisition, so a service starts while
 * the database is down and /readyz reports it. A slot is claimed under the lock, but connecting and
 * checking happen outside it so one slow connect never blocks the other threads.
 */
#include "db_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DB_POOL_SIZE_MAX 1024
#define NS_PER_MS 1000000L
#define NS_PER_S 1000000000L

struct db_pool_slot {
	struct db_conn *conn; /* NULL until first use, or after a failed open */
	bool in_use;
};

struct db_pool {
	char *dsn;
	pthread_mutex_t lock;
	pthread_cond_t freed;
	struct db_pool_slot *slots;
	struct db_pool_stats stats;
};

TC_RESULT db_pool_new(const char *dsn, unsigned size, struct db_pool **out)
{
	TC_ENSURE(dsn != NULL && out != NULL, TC_ERR_INVALID_ARGUMENT, "db_pool_new: dsn and out are required");
	TC_ENSURE(size >= 1 && size <= DB_POOL_SIZE_MAX, TC_ERR_INVALID_ARGUMENT, "pool size %u is outside 1..%d", size,
		  DB_POOL_SIZE_MAX);
	struct db_pool *pool = calloc(1, sizeof(*pool));
	TC_ENSURE(pool != NULL, TC_ERR_NO_MEMORY, "db_pool_new: out of memory");
	struct tc_result r = tc_ok();
	pthread_condattr_t attr;
	bool attr_ok = false, lock_ok = false;

	pool->dsn = strdup(dsn);
	pool->slots = calloc(size, sizeof(*pool->slots));
	TC_ENSURE_GOTO(r, pool->dsn != NULL && pool->slots != NULL, out, TC_ERR_NO_MEMORY,
		       "db_pool_new: out of memory");
	TC_ENSURE_GOTO(r, pthread_mutex_init(&pool->lock, NULL) == 0, out, TC_ERR_INTERNAL, "mutex init failed");
	lock_ok = true;
	attr_ok = pthread_condattr_init(&attr) == 0;
	TC_ENSURE_GOTO(r,
		       attr_ok && pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 &&
			       pthread_cond_init(&pool->freed, &attr) == 0,
		       out, TC_ERR_INTERNAL, "condition variable init failed");
	pool->stats.size = size;
	*out = pool;
	pool = NULL;
out:
	if (attr_ok)
		pthread_condattr_destroy(&attr);
	if (pool != NULL) {
		if (lock_ok)
			pthread_mutex_destroy(&pool->lock);
		free(pool->slots);
		free(pool->dsn);
		free(pool);
	}
	return r;
}

void db_pool_free(struct db_pool **pool)
{
	if (pool == NULL || *pool == NULL)
		return;
	struct db_pool *p = *pool;
	for (unsigned i = 0; i < p->stats.size; i++)
		db_conn_free(&p->slots[i].conn);
	pthread_cond_destroy(&p->freed);
	pthread_mutex_destroy(&p->lock);
	free(p->slots);
	free(p->dsn);
	free(p);
	*pool = NULL;
}

static struct timespec deadline_after(unsigned timeout_ms)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += timeout_ms / 1000;
	t.tv_nsec += (long)(timeout_ms % 1000) * NS_PER_MS;
	if (t.tv_nsec >= NS_PER_S) {
		t.tv_sec++;
		t.tv_nsec -= NS_PER_S;
	}
	return t;
}

/* A free slot index, or -1. Prefers slots that already hold a connection. Caller holds the lock. */
static int free_slot(const struct db_pool *pool)
{
	int empty = -1;
	for (unsigned i = 0; i < pool->stats.size; i++) {
		if (pool->slots[i].in_use)
			continue;
		if (pool->slots[i].conn != NULL)
			return (int)i;
		if (empty < 0)
			empty = (int)i;
	}
	return empty;
}

/* Claim a slot, waiting up to TIMEOUT_MS. */
static TC_RESULT claim_slot(struct db_pool *pool, unsigned timeout_ms, int *out)
{
	struct timespec deadline = deadline_after(timeout_ms);
	bool waited = false;
	int slot;
	pthread_mutex_lock(&pool->lock);
	while ((slot = free_slot(pool)) < 0) {
		waited = true;
		if (pthread_cond_timedwait(&pool->freed, &pool->lock, &deadline) == ETIMEDOUT &&
		    (slot = free_slot(pool)) < 0)
			break;
	}
	if (waited)
		pool->stats.waited++;
	if (slot >= 0) {
		pool->slots[slot].in_use = true;
		pool->stats.in_use++;
		pool->stats.acquired++;
	}
	unsigned size = pool->stats.size;
	pthread_mutex_unlock(&pool->lock);
	TC_ENSURE(slot >= 0, TC_ERR_DB_UNAVAILABLE,
		  "no free database connection within %u ms: all %u connections of the pool are in use", timeout_ms,
		  size);
	*out = slot;
	return tc_ok();
}

static void give_back(struct db_pool *pool, int slot, bool failed, unsigned long long reconnects)
{
	pthread_mutex_lock(&pool->lock);
	pool->slots[slot].in_use = false;
	pool->stats.in_use--;
	pool->stats.reconnects += reconnects;
	if (failed) {
		pool->stats.errors++;
		pool->stats.acquired--;
	}
	pthread_cond_signal(&pool->freed);
	pthread_mutex_unlock(&pool->lock);
}

TC_RESULT db_pool_acquire(struct db_pool *pool, unsigned timeout_ms, struct db_conn **out)
{
	TC_ENSURE(pool != NULL && out != NULL, TC_ERR_INVALID_ARGUMENT, "db_pool_acquire: missing argument");
	int slot = 0;
	TC_GUARD(claim_slot(pool, timeout_ms, &slot));

	/* The slot is ours: connect or check without holding the lock. */
	struct db_pool_slot *s = &pool->slots[slot];
	struct tc_result r;
	unsigned long long before = 0;
	if (s->conn == NULL) {
		r = db_conn_open(pool->dsn, &s->conn);
	} else {
		before = s->conn->reconnects;
		r = db_conn_check(s->conn);
	}
	unsigned long long reconnects = s->conn != NULL ? s->conn->reconnects - before : 0;
	if (!tc_is_ok(r)) {
		give_back(pool, slot, true, reconnects);
		return r;
	}
	if (reconnects > 0) {
		pthread_mutex_lock(&pool->lock);
		pool->stats.reconnects += reconnects;
		pthread_mutex_unlock(&pool->lock);
	}
	*out = s->conn;
	return tc_ok();
}

void db_pool_release(struct db_pool *pool, struct db_conn *conn)
{
	if (pool == NULL || conn == NULL)
		return;
	/* A caller that left a transaction open must not hand it to the next request. */
	PGTransactionStatusType ts = PQtransactionStatus(conn->pg);
	if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) {
		PGresult *res = PQexec(conn->pg, "ROLLBACK");
		PQclear(res);
		tc_log(TC_LOG_WARN, "db_pool_release_rollback", "a connection came back inside a transaction");
	}
	conn->in_txn = false;
	for (unsigned i = 0; i < pool->stats.size; i++) {
		if (pool->slots[i].conn == conn) {
			give_back(pool, (int)i, false, 0);
			return;
		}
	}
	tc_log(TC_LOG_ERROR, "db_pool_release_unknown", "a connection not from this pool was released");
}

void db_pool_stats(struct db_pool *pool, struct db_pool_stats *out)
{
	pthread_mutex_lock(&pool->lock);
	*out = pool->stats;
	pthread_mutex_unlock(&pool->lock);
}
