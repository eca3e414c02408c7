/*
 * db.h — the public door of sql/ (libtc_sql): PostgreSQL connections and pool, the transaction runner,
 * schema migrations, and the queries (one C file per query, STYLE.md point 9).
 *
 * Other modules reach the database only through this header. Connections reconnect by themselves and
 * re-prepare their statements after a reconnect; the transaction runner retries serialization failures
 * and deadlocks.
 */
#ifndef DB_H
#define DB_H

#include <stdbool.h>
#include <stdint.h>

#include "tc.h"

/* -------------------------------------------------------------------------------------- connections */

struct db_conn; /* opaque: one libpq connection plus its prepared-statement state */

/* Connect to DSN (libpq conninfo or URI). Fails with TC_ERR_DB_UNAVAILABLE and libpq's message. */
TC_RESULT db_conn_open(const char *dsn, struct db_conn **out);
void db_conn_free(struct db_conn **conn);
/* Make sure the connection is usable: reconnect when it broke (statements are re-prepared lazily). */
TC_RESULT db_conn_check(struct db_conn *conn);
/* The raw libpq handle (struct pg_conn *), for query files inside sql/ only. */
struct pg_conn *db_conn_pg(struct db_conn *conn);

/* A fixed-size pool shared by the request threads of a server. */
struct db_pool;

struct db_pool_stats {
	unsigned size;          /* connections configured */
	unsigned in_use;        /* handed out right now */
	unsigned long long acquired;   /* total acquisitions */
	unsigned long long waited;     /* acquisitions that had to wait for a free connection */
	unsigned long long reconnects; /* reconnections after a broken connection */
	unsigned long long errors;     /* acquisitions that failed (database unreachable) */
};

/* Create a pool of SIZE connections to DSN; connections are opened lazily, so this succeeds while the
 * database is down. */
TC_RESULT db_pool_new(const char *dsn, unsigned size, struct db_pool **out);
void db_pool_free(struct db_pool **pool);
/* Borrow a connection (waits up to TIMEOUT_MS for a free one; checks/reconnects it). */
TC_RESULT db_pool_acquire(struct db_pool *pool, unsigned timeout_ms, struct db_conn **out);
void db_pool_release(struct db_pool *pool, struct db_conn *conn);
void db_pool_stats(struct db_pool *pool, struct db_pool_stats *out);

/* ------------------------------------------------------------------------------------- transactions */

/*
 * Run FN(conn, arg) inside BEGIN ISOLATION LEVEL SERIALIZABLE ... COMMIT. When a statement or the commit
 * fails with SQLSTATE 40001 (serialization_failure) or 40P01 (deadlock_detected), roll back and run FN
 * again, up to DB_TXN_MAX_ATTEMPTS times with a short randomized backoff. Any other failure rolls back and
 * is returned. FN must be safe to re-run (no side effects outside the database).
 */
#define DB_TXN_MAX_ATTEMPTS 8

typedef struct tc_result (*db_txn_fn)(struct db_conn *conn, void *arg);

TC_RESULT db_txn_run(struct db_conn *conn, db_txn_fn fn, void *arg);
/* How many times db_txn_run retried since the process started (for metrics and tests). */
unsigned long long db_txn_retries(void);

/* ---------------------------------------------------------------------------------------- migrations */

/* The newest schema version this binary knows (highest sql/migrations/NNNN-*.sql). */
int db_schema_latest(void);
/* Apply every missing migration, each in its own transaction; APPLIED gets how many ran (may be NULL).
 * Fails with TC_ERR_DB_SCHEMA_UNKNOWN when the database has a version this binary does not know. */
TC_RESULT db_migrate(struct db_conn *conn, int *applied);
/* Check the schema is exactly the one this binary knows: TC_ERR_DB_SCHEMA_OUTDATED (run migrate) or
 * TC_ERR_DB_SCHEMA_UNKNOWN (newer than this binary). Services call it at start and in /readyz. */
TC_RESULT db_schema_check(struct db_conn *conn);

/* ---------------------------------------------------------------------------------------- challenges */

#define DB_NONCE_LEN 32

/* Store a fresh challenge NONCE valid for LIFETIME_S seconds from the database clock; EXPIRES_AT gets the
 * expiry (Unix seconds). */
TC_RESULT db_challenge_insert(struct db_conn *conn, const uint8_t nonce[DB_NONCE_LEN], int lifetime_s,
			      int64_t *expires_at);
/* Consume a challenge once: TC_ERR_CHALLENGE_NOT_FOUND, TC_ERR_CHALLENGE_EXPIRED or TC_ERR_CHALLENGE_USED
 * when it cannot be used. Run it inside the transaction of the operation that uses it. */
TC_RESULT db_challenge_consume(struct db_conn *conn, const uint8_t nonce[DB_NONCE_LEN]);

#endif /* DB_H */
