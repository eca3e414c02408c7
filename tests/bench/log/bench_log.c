/*
 * bench_log.c — how fast the transparency log appends and proves, on a real PostgreSQL with durable
 * commits (deploy/pg.sh keeps fsync on):
 *   - appends per second, one entry per transaction (each commit waits for the WAL flush);
 *   - appends per second in batches of 100 and 1000 entries per transaction;
 *   - inclusion and consistency proofs (and roots) per second at 1k and 100k entries, each proof one
 *     batched subtree query (sql/db_log_proofs.c).
 * Every tenth proof is verified with chain.h so a fast wrong answer cannot pass. Exit status 0 unless
 * something failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain.h"
#include "db.h"
#include "tc_testsupport.h"

#define SINGLE_APPENDS 200
#define BATCH_SMALL 100
#define BATCH_LARGE 1000
#define PROOFS 1000
#define BIG_DEFAULT 100000

static struct db_conn *g_conn;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void check(struct tc_result r, const char *what)
{
	if (!tc_is_ok(r)) {
		fprintf(stderr, "bench_log: %s: %s: %s\n", what, tc_error_info(r.code)->code, tc_error_detail());
		exit(1);
	}
}

struct batch {
	uint64_t n;
};

static struct tc_result batch_fn(struct db_conn *conn, void *arg)
{
	const struct batch *b = arg;

	for (uint64_t i = 0; i < b->n; i++) {
		struct db_log_entry e = { .type = DB_LOG_ISSUANCE, .time = 1750000000, .has_appraisal_digest = true };

		snprintf(e.serial, sizeof(e.serial), "%016llx", (unsigned long long)i);
		memset(e.cert_sha256, (int)(i & 0xff), sizeof(e.cert_sha256));
		snprintf(e.issuer, sizeof(e.issuer), "CN=teecert bench sub-CA,O=teecert");
		snprintf(e.kind, sizeof(e.kind), "cvm");
		TC_GUARD(db_log_append(conn, &e, NULL, NULL));
	}
	return tc_ok();
}

/* Append TOTAL entries, PER_TXN per transaction; returns entries per second. */
static double append(uint64_t total, uint64_t per_txn)
{
	double t0 = now_s();

	for (uint64_t done = 0; done < total; done += per_txn) {
		struct batch b = { .n = total - done < per_txn ? total - done : per_txn };

		check(db_txn_run(g_conn, batch_fn, &b), "append");
	}
	return (double)total / (now_s() - t0);
}

static uint64_t pick(uint64_t n)
{
	uint64_t v = 0;

	check(tc_random_bytes(&v, sizeof(v)), "random");
	return v % n;
}

/* Proofs per second at the current log size. */
static void proofs(uint64_t size)
{
	struct chain_merkle_proof p;
	uint8_t root[CHAIN_HASH_LEN], old_root[CHAIN_HASH_LEN], leaf[CHAIN_HASH_LEN];
	double t0, inc, con, roots;

	check(db_log_root(g_conn, size, root), "root");
	t0 = now_s();
	for (int i = 0; i < PROOFS; i++) {
		uint64_t seq = pick(size);

		check(db_log_inclusion_proof(g_conn, seq, size, &p), "inclusion proof");
		if (i % 10 == 0) {
			struct db_log_entry e;
			bool found = false;

			check(db_log_entry_get(g_conn, seq, &e, NULL, leaf, &found), "entry");
			check(chain_merkle_verify_inclusion(seq, size, leaf, (const uint8_t(*)[CHAIN_HASH_LEN])p.hash, p.len,
							    root),
			      "verify inclusion");
		}
	}
	inc = PROOFS / (now_s() - t0);
	t0 = now_s();
	for (int i = 0; i < PROOFS; i++) {
		uint64_t m = 1 + pick(size);

		check(db_log_consistency_proof(g_conn, m, size, &p), "consistency proof");
		if (i % 10 == 0) {
			check(db_log_root(g_conn, m, old_root), "root");
			check(chain_merkle_verify_consistency(m, size, old_root, root,
							      (const uint8_t(*)[CHAIN_HASH_LEN])p.hash, p.len),
			      "verify consistency");
		}
	}
	con = PROOFS / (now_s() - t0);
	t0 = now_s();
	for (int i = 0; i < PROOFS; i++)
		check(db_log_root(g_conn, 1 + pick(size), root), "root");
	roots = PROOFS / (now_s() - t0);
	printf("log of %llu entries: %.0f inclusion proofs/s, %.0f consistency proofs/s, %.0f roots/s\n",
	       (unsigned long long)size, inc, con, roots);
}

int main(void)
{
	char dsn[TC_TEST_DSN_MAX];
	uint64_t big = BIG_DEFAULT, size;
	const char *env_big = getenv("BENCH_LOG_BIG");

	if (env_big && *env_big)
		big = strtoull(env_big, NULL, 10);
	check(tc_test_db_create("bench_log", dsn, sizeof(dsn)), "create database");
	check(db_conn_open(dsn, &g_conn), "connect");
	check(db_migrate(g_conn, NULL), "migrate");

	printf("appends, 1 entry per transaction (durable commit each): %.0f/s\n", append(SINGLE_APPENDS, 1));
	printf("appends, %d entries per transaction: %.0f/s\n", BATCH_SMALL, append(5 * BATCH_SMALL, BATCH_SMALL));
	check(db_log_size(g_conn, &size), "size");
	printf("appends, %d entries per transaction: %.0f/s\n", BATCH_LARGE, append(1000 - size % 1000 + 1000, BATCH_LARGE));
	check(db_log_size(g_conn, &size), "size");
	proofs(1000);
	if (big > size) {
		double t0 = now_s();
		double rate = append(big - size, BATCH_LARGE);

		printf("filled to %llu entries in %.1f s (%.0f appends/s in batches of %d)\n", (unsigned long long)big,
		       now_s() - t0, rate, BATCH_LARGE);
		proofs(big);
	}
	db_conn_free(&g_conn);
	check(tc_test_db_drop(dsn), "drop database");
	return 0;
}
