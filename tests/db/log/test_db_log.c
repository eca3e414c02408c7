/*
 * test_db_log.c — the PostgreSQL-backed transparency log (migration 0002, sql/db_log_*.c):
 *   - the canonical entry encoding;
 *   - roots, inclusion and consistency proofs equal those of chain/'s in-memory reference tree for every
 *     size up to 70 (every index / every pair) and for random sizes up to 3000, and they verify;
 *   - the database itself refuses gaps, rewrites, bad hashes and entries committed without their nodes;
 *   - two threads appending concurrently (serializable, db_txn_run) leave a gap-free, consistent log;
 *   - checkpoints: signed notes verify, tampering is rejected, the database refuses a wrong root, and the
 *     "every N entries or T seconds" policy writes exactly when due.
 * The tests run in order on one log; a reference tree mirrors every append.
 */
#include "db_test_util.h"

#include <pthread.h>
#include <string.h>

#include "chain.h"

#define SMALL_MAX 70
#define LARGE_SIZE 3000
#define LARGE_BATCH 250
#define RANDOM_CHECKS 150
#define THREAD_APPENDS 40
#define T0 1750000000 /* entry times of the tests */

static struct db_test_env env;
static struct chain_merkle_mem ref;

static int group_setup(void **state)
{
	(void)state;
	chain_merkle_mem_init(&ref, 1u << 16);
	return db_test_env_setup(&env, "log", true);
}

static int group_teardown(void **state)
{
	(void)state;
	chain_merkle_mem_cleanup(&ref);
	return db_test_env_teardown(&env);
}

static uint64_t random_below(uint64_t n)
{
	uint64_t v = 0;

	db_assert_ok(tc_random_bytes(&v, sizeof(v)));
	return v % n;
}

/* A deterministic entry for number I (the seq is assigned on append). */
static void entry_make(uint64_t i, struct db_log_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->type = i % 7 == 3 ? DB_LOG_REVOCATION : DB_LOG_ISSUANCE;
	snprintf(e->serial, sizeof(e->serial), "%016llx", (unsigned long long)(0x1000 + i));
	memset(e->cert_sha256, (int)(i & 0xff), sizeof(e->cert_sha256));
	e->cert_sha256[0] = (uint8_t)(i >> 8);
	snprintf(e->issuer, sizeof(e->issuer), "CN=teecert test sub-CA %llu,O=teecert", (unsigned long long)(i % 3));
	snprintf(e->kind, sizeof(e->kind), "%s", i % 2 ? "workload" : "cvm");
	e->has_appraisal_digest = e->type == DB_LOG_ISSUANCE;
	memset(e->appraisal_digest, 0xa5, sizeof(e->appraisal_digest));
	e->has_workload_info_hash = i % 2 == 1;
	memset(e->workload_info_hash, 0x5a, sizeof(e->workload_info_hash));
	e->time = T0 + (int64_t)i;
}

/* --------------------------------------------------------------------------------------------- append */

struct batch {
	uint64_t first; /* entry_make numbers first .. first + n - 1 */
	size_t n;
	uint64_t seqs[LARGE_BATCH];
	uint8_t leaves[LARGE_BATCH][DB_LOG_HASH_LEN];
};

static struct tc_result batch_fn(struct db_conn *conn, void *arg)
{
	struct batch *b = arg;
	struct db_log_entry e;

	for (size_t i = 0; i < b->n; i++) {
		entry_make(b->first + i, &e);
		TC_GUARD(db_log_append(conn, &e, &b->seqs[i], b->leaves[i]));
	}
	return tc_ok();
}

/* Append N entries in one transaction and mirror them in the reference tree. */
static void append_batch(size_t n)
{
	struct batch *b = calloc(1, sizeof(*b));

	assert_non_null(b);
	assert_true(n <= LARGE_BATCH);
	b->first = ref.size;
	b->n = n;
	db_assert_ok(db_txn_run(env.conn, batch_fn, b));
	for (size_t i = 0; i < n; i++) {
		struct db_log_entry e;
		struct tc_buf bytes;
		uint8_t leaf[CHAIN_HASH_LEN];

		assert_int_equal(b->seqs[i], ref.size);
		entry_make(b->first + i, &e);
		e.seq = ref.size;
		tc_buf_init(&bytes, DB_LOG_ENTRY_MAX);
		db_assert_ok(db_log_entry_encode(&e, &bytes));
		db_assert_ok(chain_merkle_leaf_hash(bytes.data, bytes.len, leaf));
		assert_memory_equal(leaf, b->leaves[i], CHAIN_HASH_LEN);
		db_assert_ok(chain_merkle_mem_append_hash(&ref, leaf));
		tc_buf_cleanup(&bytes);
	}
	free(b);
}

/* ------------------------------------------------------------------------------------------ checks */

static void check_root(uint64_t n)
{
	struct chain_merkle_source src = chain_merkle_mem_source(&ref);
	uint8_t want[CHAIN_HASH_LEN], got[CHAIN_HASH_LEN];

	db_assert_ok(chain_merkle_root(&src, n, want));
	db_assert_ok(db_log_root(env.conn, n, got));
	assert_memory_equal(want, got, CHAIN_HASH_LEN);
}

static void check_inclusion(uint64_t i, uint64_t n)
{
	struct chain_merkle_source src = chain_merkle_mem_source(&ref);
	struct chain_merkle_proof want, got;
	uint8_t root[CHAIN_HASH_LEN];

	db_assert_ok(chain_merkle_inclusion_proof(&src, i, n, &want));
	db_assert_ok(db_log_inclusion_proof(env.conn, i, n, &got));
	assert_int_equal(want.len, got.len);
	assert_memory_equal(want.hash, got.hash, got.len * CHAIN_HASH_LEN);
	db_assert_ok(chain_merkle_root(&src, n, root));
	db_assert_ok(chain_merkle_verify_inclusion(i, n, ref.level[0].data + i * CHAIN_HASH_LEN,
						   (const uint8_t(*)[CHAIN_HASH_LEN])got.hash, got.len, root));
}

static void check_consistency(uint64_t m, uint64_t n)
{
	struct chain_merkle_source src = chain_merkle_mem_source(&ref);
	struct chain_merkle_proof want, got;
	uint8_t r1[CHAIN_HASH_LEN], r2[CHAIN_HASH_LEN];

	db_assert_ok(chain_merkle_consistency_proof(&src, m, n, &want));
	db_assert_ok(db_log_consistency_proof(env.conn, m, n, &got));
	assert_int_equal(want.len, got.len);
	assert_memory_equal(want.hash, got.hash, got.len * CHAIN_HASH_LEN);
	db_assert_ok(chain_merkle_root(&src, m, r1));
	db_assert_ok(chain_merkle_root(&src, n, r2));
	db_assert_ok(chain_merkle_verify_consistency(m, n, r1, r2, (const uint8_t(*)[CHAIN_HASH_LEN])got.hash,
						     got.len));
}

static uint64_t log_size(void)
{
	uint64_t n = 0;

	db_assert_ok(db_log_size(env.conn, &n));
	return n;
}

/* ------------------------------------------------------------------------------------------- tests */

/* The exact bytes of one entry (docs/log.md), so the encoding cannot drift unnoticed. */
static void test_entry_encoding(void **state)
{
	struct db_log_entry e;
	struct tc_buf out;
	static const char want[] =
		"{\"appraisal_digest\":null,\"cert_sha256\":\"0003030303030303030303030303030303030303030303030303"
		"030303030303\",\"issuer\":\"CN=teecert test sub-CA 0,O=teecert\",\"kind\":\"workload\",\"seq\":42,"
		"\"serial\":\"0000000000001003\",\"time\":\"2025-06-15T15:06:43Z\",\"type\":\"revocation\","
		"\"workload_info_hash\":\"5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a\"}";

	(void)state;
	entry_make(3, &e);
	e.seq = 42;
	tc_buf_init(&out, DB_LOG_ENTRY_MAX);
	db_assert_ok(db_log_entry_encode(&e, &out));
	assert_string_equal((const char *)out.data, want);
	tc_buf_cleanup(&out);

	/* Field checks mirror the table's CHECK constraints. */
	tc_buf_init(&out, DB_LOG_ENTRY_MAX);
	snprintf(e.serial, sizeof(e.serial), "ABC1");
	db_assert_code(db_log_entry_encode(&e, &out), TC_ERR_INVALID_ARGUMENT);
	entry_make(3, &e);
	snprintf(e.kind, sizeof(e.kind), "server");
	db_assert_code(db_log_entry_encode(&e, &out), TC_ERR_INVALID_ARGUMENT);
	entry_make(3, &e);
	e.issuer[0] = '\0';
	db_assert_code(db_log_entry_encode(&e, &out), TC_ERR_INVALID_ARGUMENT);
	tc_buf_cleanup(&out);
}

static void test_empty_log(void **state)
{
	uint8_t root[CHAIN_HASH_LEN];
	struct db_log_entry e;
	bool found = true;

	(void)state;
	assert_int_equal(log_size(), 0);
	check_root(0);
	db_assert_code(db_log_root(env.conn, 1, root), TC_ERR_NOT_FOUND);
	db_assert_ok(db_log_entry_get(env.conn, 0, &e, NULL, NULL, &found));
	assert_false(found);
	/* Appending outside a transaction is refused before any statement runs. */
	entry_make(0, &e);
	db_assert_code(db_log_append(env.conn, &e, NULL, NULL), TC_ERR_INVALID_ARGUMENT);
}

/* Sizes 1..70 one entry per transaction: every root, every inclusion and every consistency proof. */
static void test_every_small_size(void **state)
{
	(void)state;
	while (ref.size < SMALL_MAX) {
		append_batch(1);
		check_root(ref.size);
	}
	assert_int_equal(log_size(), SMALL_MAX);
	for (uint64_t n = 1; n <= SMALL_MAX; n++) {
		for (uint64_t i = 0; i < n; i++)
			check_inclusion(i, n);
		for (uint64_t m = 1; m <= n; m++)
			check_consistency(m, n);
	}
}

/* Stored entries read back as appended, with their canonical bytes and leaf hash. */
static void test_entry_get(void **state)
{
	struct db_log_entry want, got;
	struct tc_buf bytes, enc;
	uint8_t leaf[DB_LOG_HASH_LEN];
	bool found = false;

	(void)state;
	for (uint64_t seq = 0; seq < 8; seq++) {
		tc_buf_init(&bytes, DB_LOG_ENTRY_MAX);
		tc_buf_init(&enc, DB_LOG_ENTRY_MAX);
		db_assert_ok(db_log_entry_get(env.conn, seq, &got, &bytes, leaf, &found));
		assert_true(found);
		entry_make(seq, &want);
		want.seq = seq;
		assert_int_equal(got.seq, seq);
		assert_int_equal(got.type, want.type);
		assert_string_equal(got.serial, want.serial);
		assert_string_equal(got.issuer, want.issuer);
		assert_string_equal(got.kind, want.kind);
		assert_int_equal(got.time, want.time);
		assert_int_equal(got.has_appraisal_digest, want.has_appraisal_digest);
		assert_int_equal(got.has_workload_info_hash, want.has_workload_info_hash);
		assert_memory_equal(got.cert_sha256, want.cert_sha256, DB_LOG_HASH_LEN);
		db_assert_ok(db_log_entry_encode(&got, &enc));
		assert_int_equal(enc.len, bytes.len);
		assert_memory_equal(enc.data, bytes.data, bytes.len);
		assert_memory_equal(leaf, ref.level[0].data + seq * CHAIN_HASH_LEN, CHAIN_HASH_LEN);
		tc_buf_cleanup(&bytes);
		tc_buf_cleanup(&enc);
	}
	db_assert_ok(db_log_entry_get(env.conn, SMALL_MAX, &got, NULL, NULL, &found));
	assert_false(found);
}

/* Up to 3000 entries in batches; random sizes, indices and pairs. */
static void test_random_large_sizes(void **state)
{
	(void)state;
	while (ref.size < LARGE_SIZE)
		append_batch(LARGE_SIZE - ref.size < LARGE_BATCH ? LARGE_SIZE - ref.size : LARGE_BATCH);
	assert_int_equal(log_size(), LARGE_SIZE);
	for (int k = 0; k < RANDOM_CHECKS; k++) {
		uint64_t n = 1 + random_below(LARGE_SIZE);
		uint64_t m = 1 + random_below(n);

		check_root(n);
		check_inclusion(random_below(n), n);
		check_consistency(m, n);
	}
	/* The edges: the newest leaf, the whole log, powers of two and their neighbours. */
	check_inclusion(LARGE_SIZE - 1, LARGE_SIZE);
	check_consistency(LARGE_SIZE, LARGE_SIZE);
	check_consistency(1024, 2048);
	check_consistency(1023, 1025);
	check_root(2048);
	/* Every node is stored once: 2n - popcount(n) complete subtrees. */
	assert_int_equal(db_test_int(env.conn, "SELECT count(*) FROM log_nodes"),
			 2 * LARGE_SIZE - __builtin_popcount(LARGE_SIZE));
}

/* Beyond the log: no node, so no root or proof. */
static void test_beyond_the_log(void **state)
{
	struct chain_merkle_proof p;
	uint8_t root[CHAIN_HASH_LEN], h[CHAIN_HASH_LEN];

	(void)state;
	db_assert_code(db_log_root(env.conn, ref.size + 1, root), TC_ERR_NOT_FOUND);
	db_assert_code(db_log_inclusion_proof(env.conn, 0, ref.size + 1, &p), TC_ERR_NOT_FOUND);
	db_assert_code(db_log_consistency_proof(env.conn, 1, ref.size + 5, &p), TC_ERR_NOT_FOUND);
	db_assert_code(db_log_inclusion_proof(env.conn, 5, 5, &p), TC_ERR_INVALID_ARGUMENT);
	db_assert_code(db_log_consistency_proof(env.conn, 0, 5, &p), TC_ERR_INVALID_ARGUMENT);
	db_assert_code(db_log_subtree(env.conn, 2048, 11, h), TC_ERR_NOT_FOUND);
	db_assert_ok(db_log_subtree(env.conn, 1024, 10, h));
	assert_memory_equal(h, ref.level[10].data + CHAIN_HASH_LEN, CHAIN_HASH_LEN);
	db_assert_code(db_log_subtree(env.conn, 3, 1, h), TC_ERR_INVALID_ARGUMENT);
}

/* Run SQL expecting an error whose message contains WANT; the connection is left usable. */
static void sql_refused(const char *sql, const char *want)
{
	PGresult *res = PQexec(db_conn_pg(env.conn), sql);

	bool accepted = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
	bool reason = strstr(PQresultErrorMessage(res), want) != NULL;
	char msg[512];

	snprintf(msg, sizeof(msg), "%s", PQresultErrorMessage(res));
	PQclear(res);
	db_test_sql(env.conn, "ROLLBACK");
	if (accepted)
		fail_msg("the database accepted: %s", sql);
	if (!reason)
		fail_msg("%s failed for another reason: %s", sql, msg);
}

/* The invariants hold in the database itself, whatever a client sends. */
static void test_database_invariants(void **state)
{
	char sql[1024];
	uint64_t n = ref.size;

	(void)state;
	/* A valid row for seq = n + 1 (skipping n): refused by the append trigger. */
	snprintf(sql, sizeof(sql),
		 "BEGIN; INSERT INTO log_entries (seq, entry, leaf_hash, type, serial, cert_sha256, issuer, kind,"
		 " logged_at) VALUES (%llu, 'x{}', sha256('\\x00'::bytea || 'x{}'::bytea), 'issuance', 'aa',"
		 " sha256('c'), 'CN=x', 'cvm', now())",
		 (unsigned long long)(n + 1));
	sql_refused(sql, "is not the next sequence number");
	/* Re-using an old seq. */
	snprintf(sql, sizeof(sql),
		 "BEGIN; INSERT INTO log_entries (seq, entry, leaf_hash, type, serial, cert_sha256, issuer, kind,"
		 " logged_at) VALUES (%llu, 'x{}', sha256('\\x00'::bytea || 'x{}'::bytea), 'issuance', 'aa',"
		 " sha256('c'), 'CN=x', 'cvm', now())",
		 (unsigned long long)(n - 1));
	sql_refused(sql, "is not the next sequence number");
	/* The right seq with a leaf hash that is not SHA-256(0x00 || entry). */
	snprintf(sql, sizeof(sql),
		 "BEGIN; INSERT INTO log_entries (seq, entry, leaf_hash, type, serial, cert_sha256, issuer, kind,"
		 " logged_at) VALUES (%llu, 'x{}', sha256('x{}'::bytea), 'issuance', 'aa', sha256('c'), 'CN=x',"
		 " 'cvm', now())",
		 (unsigned long long)n);
	sql_refused(sql, "log_entries_leaf_hash_check");
	/* The right seq and hash but no nodes: refused at commit. */
	snprintf(sql, sizeof(sql),
		 "BEGIN; INSERT INTO log_entries (seq, entry, leaf_hash, type, serial, cert_sha256, issuer, kind,"
		 " logged_at) VALUES (%llu, 'x{}', sha256('\\x00'::bytea || 'x{}'::bytea), 'issuance', 'aa',"
		 " sha256('c'), 'CN=x', 'cvm', now()); COMMIT",
		 (unsigned long long)n);
	sql_refused(sql, "committed without its level 0 node");
	/* A node that does not hash its children. */
	sql_refused("BEGIN; INSERT INTO log_nodes VALUES (12, 0, sha256('nope'))", "does not hash what it covers");
	/* Rewrites and deletions. */
	sql_refused("BEGIN; UPDATE log_entries SET issuer = 'CN=evil' WHERE seq = 0", "append-only");
	sql_refused("BEGIN; DELETE FROM log_entries WHERE seq = 0", "append-only");
	sql_refused("BEGIN; DELETE FROM log_nodes WHERE level = 0 AND idx = 0", "append-only");
	sql_refused("BEGIN; TRUNCATE log_entries CASCADE", "append-only");
	sql_refused("BEGIN; UPDATE log_state SET size = size + 1", "only by appending");
	/* Nothing of the above stuck. */
	assert_int_equal(log_size(), n);
	assert_int_equal(db_test_int(env.conn, "SELECT count(*) FROM log_entries"), (int64_t)n);
	/* The database's own root function agrees with the reference. */
	assert_int_equal(db_test_int(env.conn, "SELECT count(*) FROM log_nodes WHERE level = 0 AND hash = sha256('\\x00'::bytea || (SELECT entry FROM log_entries WHERE seq = idx))"), (int64_t)n);
}

/* ------------------------------------------------------------------------------ concurrent appenders */

struct appender {
	const char *dsn;
	int id;
	pthread_barrier_t *barrier;
	uint64_t seqs[THREAD_APPENDS];
	struct tc_result r;
	char detail[TC_DETAIL_MAX]; /* the failing thread's own detail (details are per thread) */
};

struct one_append {
	int id, k;
	uint64_t seq;
};

static struct tc_result one_append_fn(struct db_conn *conn, void *arg)
{
	struct one_append *a = arg;
	struct db_log_entry e;

	entry_make((uint64_t)(100000 * (a->id + 1) + a->k), &e);
	return db_log_append(conn, &e, &a->seq, NULL);
}

static void *appender_main(void *arg)
{
	struct appender *w = arg;
	struct db_conn *conn = NULL;

	w->r = db_conn_open(w->dsn, &conn);
	pthread_barrier_wait(w->barrier);
	for (int k = 0; k < THREAD_APPENDS && tc_is_ok(w->r); k++) {
		struct one_append a = { .id = w->id, .k = k };

		w->r = db_txn_run(conn, one_append_fn, &a);
		w->seqs[k] = a.seq;
	}
	if (!tc_is_ok(w->r))
		snprintf(w->detail, sizeof(w->detail), "%s", tc_error_detail());
	db_conn_free(&conn);
	return NULL;
}

static void test_concurrent_appenders(void **state)
{
	struct appender w[2];
	pthread_t t[2];
	pthread_barrier_t barrier;
	uint64_t start = ref.size;
	unsigned long long retries = db_txn_retries();
	uint8_t *seen;

	(void)state;
	pthread_barrier_init(&barrier, NULL, 2);
	for (int i = 0; i < 2; i++) {
		w[i] = (struct appender){ .dsn = env.dsn, .id = i, .barrier = &barrier };
		assert_int_equal(pthread_create(&t[i], NULL, appender_main, &w[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&barrier);
	for (int i = 0; i < 2; i++)
		if (!tc_is_ok(w[i].r))
			fail_msg("appender %d: %s: %s", i, tc_error_info(w[i].r.code)->code, w[i].detail);
	/* Each seq was handed out exactly once, and they fill start .. start + 2N - 1. */
	assert_int_equal(log_size(), start + 2 * THREAD_APPENDS);
	seen = calloc(2 * THREAD_APPENDS, 1);
	assert_non_null(seen);
	for (int i = 0; i < 2; i++)
		for (int k = 0; k < THREAD_APPENDS; k++) {
			assert_true(w[i].seqs[k] >= start && w[i].seqs[k] < start + 2 * THREAD_APPENDS);
			assert_int_equal(seen[w[i].seqs[k] - start]++, 0);
			if (k > 0)
				assert_true(w[i].seqs[k] > w[i].seqs[k - 1]);
		}
	free(seen);
	print_message("concurrent appenders: %d appends, %llu serialization retries\n", 2 * THREAD_APPENDS,
		      db_txn_retries() - retries);
	/* Mirror the new entries from their stored leaf hashes and compare the trees. */
	for (uint64_t seq = start; seq < start + 2 * THREAD_APPENDS; seq++) {
		struct db_log_entry e;
		uint8_t leaf[DB_LOG_HASH_LEN];
		bool found = false;

		db_assert_ok(db_log_entry_get(env.conn, seq, &e, NULL, leaf, &found));
		assert_true(found);
		db_assert_ok(chain_merkle_mem_append_hash(&ref, leaf));
	}
	check_root(ref.size);
	check_consistency(start, ref.size);
	check_inclusion(start + 3, ref.size);
}

/* ---------------------------------------------------------------------------------------- checkpoints */

struct policy_run {
	const struct chain_note_signer *key;
	int64_t now;
	uint64_t every_n;
	int64_t every_s;
	bool written;
};

static struct tc_result policy_fn(struct db_conn *conn, void *arg)
{
	struct policy_run *p = arg;

	return db_log_maybe_checkpoint(conn, p->key, p->now, p->every_n, p->every_s, &p->written);
}

static bool policy(const struct chain_note_signer *key, int64_t now, uint64_t n, int64_t s)
{
	struct policy_run p = { .key = key, .now = now, .every_n = n, .every_s = s };

	db_assert_ok(db_txn_run(env.conn, policy_fn, &p));
	return p.written;
}

static void test_checkpoints(void **state)
{
	struct chain_note_signer *key = NULL;
	struct db_log_checkpoint *cp = calloc(1, sizeof(*cp)), *again = calloc(1, sizeof(*again));
	struct chain_checkpoint parsed;
	uint8_t root[CHAIN_HASH_LEN];
	struct chain_merkle_source src = chain_merkle_mem_source(&ref);
	bool found = true;
	char sql[256];

	(void)state;
	assert_non_null(cp);
	assert_non_null(again);
	db_assert_ok(chain_note_signer_generate("log.teecert.test/db", &key));
	db_assert_ok(db_log_checkpoint_latest(env.conn, cp, &found));
	assert_false(found);

	/* The first checkpoint is due: the log has entries (at least every_n of them). */
	assert_true(policy(key, T0 + 1000, 100, 3600));
	db_assert_ok(db_log_checkpoint_latest(env.conn, cp, &found));
	assert_true(found);
	assert_int_equal(cp->tree_size, ref.size);
	db_assert_ok(chain_merkle_root(&src, ref.size, root));
	assert_memory_equal(cp->root, root, CHAIN_HASH_LEN);
	assert_int_equal(cp->time, T0 + 1000);
	assert_string_equal(cp->key_name, "log.teecert.test/db");
	assert_memory_equal(cp->key_id, chain_note_signer_verifier(key)->key_id, DB_LOG_KEY_ID_LEN);
	db_assert_ok(chain_checkpoint_open(cp->note, strlen(cp->note), chain_note_signer_verifier(key), &parsed));
	assert_int_equal(parsed.tree_size, cp->tree_size);
	assert_memory_equal(parsed.root, root, CHAIN_HASH_LEN);
	assert_int_equal(parsed.time, cp->time);
	db_assert_ok(db_log_checkpoint_by_size(env.conn, ref.size, again, &found));
	assert_true(found);
	assert_string_equal(again->note, cp->note);
	db_assert_ok(db_log_checkpoint_by_size(env.conn, ref.size - 1, again, &found));
	assert_false(found);

	/* A tampered note (another size) does not verify. */
	{
		char *bad = strdup(cp->note);
		char *nl = strchr(bad, '\n');

		assert_non_null(nl);
		nl[1] = nl[1] == '9' ? '8' : (char)(nl[1] + 1);
		db_assert_code(chain_checkpoint_open(bad, strlen(bad), chain_note_signer_verifier(key), &parsed),
			       TC_ERR_INVALID_ARGUMENT);
		free(bad);
	}

	/* Nothing new: never due, however much time passes. */
	assert_false(policy(key, T0 + 99999, 100, 60));

	/* Fewer than every_n new entries: due only once the oldest has waited every_s seconds. */
	append_batch(5); /* entry times T0 + size .. */
	int64_t oldest = T0 + (int64_t)(ref.size - 5);
	assert_false(policy(key, oldest + 59, 100, 60));
	assert_true(policy(key, oldest + 60, 100, 60));
	db_assert_ok(db_log_checkpoint_latest(env.conn, cp, &found));
	assert_int_equal(cp->tree_size, ref.size);

	/* every_n new entries: due at once. */
	append_batch(10);
	assert_false(policy(key, oldest + 10, 11, 1000000));
	assert_true(policy(key, oldest + 10, 10, 1000000));
	db_assert_ok(db_log_checkpoint_latest(env.conn, cp, &found));
	assert_int_equal(cp->tree_size, ref.size);
	/* NOW went back 50 s; the checkpoint time does not go backwards. */
	assert_int_equal(cp->time, oldest + 60);

	/* The database refuses a checkpoint with a wrong root, an old size, or a size beyond the log. */
	*again = *cp;
	again->tree_size = ref.size + 1;
	db_assert_code(db_log_checkpoint_insert(env.conn, again), TC_ERR_DB_QUERY);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM log_checkpoints");
	int64_t before = db_test_int(env.conn, sql);
	append_batch(1);
	*again = *cp;
	again->tree_size = ref.size;
	db_assert_code(db_log_checkpoint_insert(env.conn, again), TC_ERR_DB_QUERY); /* root of the old size */
	again->tree_size = cp->tree_size;
	db_assert_code(db_log_checkpoint_insert(env.conn, again), TC_ERR_DB_QUERY); /* not above the latest */
	assert_int_equal(db_test_int(env.conn, sql), before);
	sql_refused("BEGIN; DELETE FROM log_checkpoints", "append-only");

	chain_note_signer_free(&key);
	assert_null(key);
	free(cp);
	free(again);
}

/* ------------------------------------------------------------------------------ batched appends */

struct many {
	uint64_t first; /* entry_make numbers */
	size_t n;
	uint64_t size_before; /* db_log_lock's answer */
	uint64_t first_seq;
	struct db_log_entry entries[DB_LOG_BATCH_MAX];
};

static struct tc_result many_fn(struct db_conn *conn, void *arg)
{
	struct many *m = arg;

	for (size_t i = 0; i < m->n; i++)
		entry_make(m->first + i, &m->entries[i]);
	/* Quotes, backslashes and commas travel in the statement's text arrays. */
	snprintf(m->entries[0].issuer, sizeof(m->entries[0].issuer), "CN=a \"quoted\" \\name\\,O={x}");
	TC_GUARD(db_log_lock(conn, &m->size_before));
	return db_log_append_batch(conn, m->entries, m->n, &m->first_seq);
}

/* db_log_append_batch (the group commit of issuances) stores the same tree as one append at a time: batch
 * sizes 1..DB_LOG_BATCH_MAX at every alignment, roots and proofs against the reference, at READ COMMITTED. */
static void test_batch_appends(void **state)
{
	static const size_t sizes[] = { 1, 2, 3, 5, 8, 13, 31, 32, 33, 64, 1, 7, DB_LOG_BATCH_MAX, 100, 2 };
	struct many *m = calloc(1, sizeof(*m));
	uint64_t start;

	(void)state;
	assert_non_null(m);
	assert_int_equal(log_size(), ref.size);
	start = ref.size;
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		m->first = ref.size;
		m->n = sizes[k];
		db_assert_ok(db_txn_run_read_committed(env.conn, many_fn, m));
		assert_int_equal(m->size_before, ref.size);
		assert_int_equal(m->first_seq, ref.size);
		for (size_t i = 0; i < m->n; i++) {
			struct tc_buf bytes;
			uint8_t leaf[CHAIN_HASH_LEN];

			assert_int_equal(m->entries[i].seq, ref.size);
			tc_buf_init(&bytes, DB_LOG_ENTRY_MAX);
			db_assert_ok(db_log_entry_encode(&m->entries[i], &bytes));
			db_assert_ok(chain_merkle_leaf_hash(bytes.data, bytes.len, leaf));
			db_assert_ok(chain_merkle_mem_append_hash(&ref, leaf));
			tc_buf_cleanup(&bytes);
		}
		check_root(ref.size);
		check_inclusion(ref.size - 1, ref.size);
		check_consistency(start + 1, ref.size);
		{
			struct db_log_entry got;
			bool found = false;

			db_assert_ok(db_log_entry_get(env.conn, m->first_seq, &got, NULL, NULL, &found));
			assert_true(found);
			assert_string_equal(got.issuer, m->entries[0].issuer);
			assert_string_equal(got.serial, m->entries[0].serial);
			assert_int_equal(got.time, m->entries[0].time);
			assert_int_equal(got.has_workload_info_hash, m->entries[0].has_workload_info_hash);
		}
	}
	assert_int_equal(log_size(), ref.size);
	for (size_t i = 0; i < RANDOM_CHECKS; i++) {
		uint64_t n = start + 1 + random_below(ref.size - start);

		check_inclusion(random_below(n), n);
	}
	/* Out of range: nothing stored. */
	m->n = 0;
	db_assert_code(db_txn_run_read_committed(env.conn, many_fn, m), TC_ERR_INVALID_ARGUMENT);
	m->n = DB_LOG_BATCH_MAX + 1;
	db_assert_code(db_log_append_batch(env.conn, m->entries, m->n, NULL), TC_ERR_INVALID_ARGUMENT);
	assert_int_equal(log_size(), ref.size);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entry_encoding),
		cmocka_unit_test(test_empty_log),
		cmocka_unit_test(test_every_small_size),
		cmocka_unit_test(test_entry_get),
		cmocka_unit_test(test_random_large_sizes),
		cmocka_unit_test(test_beyond_the_log),
		cmocka_unit_test(test_database_invariants),
		cmocka_unit_test(test_concurrent_appenders),
		cmocka_unit_test(test_checkpoints),
		cmocka_unit_test(test_batch_appends),
	};
	return cmocka_run_group_tests_name("db_log", tests, group_setup, group_teardown);
}
