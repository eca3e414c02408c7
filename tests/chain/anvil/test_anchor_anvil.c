/*
 * test_anchor_anvil.c — teecert-anchor end to end against anvil (chain id 204) and PostgreSQL:
 *   - deploy, anchor checkpoints of 1, 1000 and 100000 entries, read the Anchored events back with our
 *     eth_getLogs client and compare them with the checkpoints; gas per anchor (constant in entries);
 *   - fee bump of a stuck transaction (mining off): same nonce, both fees +10% or more, one event;
 *   - reorg: evm_snapshot before mining, evm_revert after → the dropped anchor is detected and re-sent;
 *   - kill -9 of the worker process after broadcast and before the receipt, restart: no duplicate, no gap;
 *   - the node stopped after a broadcast and started again from its dumped state (deploy/anvil.sh keeps
 *     DIR/state.json: the chain survives, the pending transaction does not): the worker process keeps
 *     retrying, then re-sends the stored raw transaction; no duplicate, no gap, confirmed;
 *   - --finalized: confirmed only once the `finalized` head reaches the block; the stale-finality alert
 *     (counter, ALERT log line, once per period, recovery) in-process and from the binary, whose
 *     --metrics-file, `status` and `status --metrics` outputs are checked too.
 * The shared `anvil` fixture serves the first; the others start their own node (deploy/anvil.sh on a
 * temp dir) because they stop mining, rewind the chain, restart the node or mine 100 blocks. Worker
 * processes are killed at exit (and die with the test: PR_SET_PDEATHSIG) even when a test fails.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <fcntl.h>

#include "api.h"
#include "db_internal.h"
#include "tc_testsupport.h"

#define SKIP 77
#define PATH_MAX_LEN 512
#define NAME_PATH_MAX (PATH_MAX_LEN + 64)

/* One test's world: a node, a database, a key, the deployed contract. */
struct world {
	char dir[NAME_PATH_MAX]; /* own anvil's state dir ("" when using the fixture's) */
	char url[256];
	char dsn[TC_TEST_DSN_MAX];
	char key_file[NAME_PATH_MAX];
	struct chain_rpc *rpc;
	struct db_conn *db;
	struct chain_key key;
	struct db_anchor_config cfg;
	struct api_anchor_options opt;
	char log_path[NAME_PATH_MAX]; /* this process's own log lines while the world exists */
	FILE *log;
};

static char tmp_root[256];
/* Own nodes started so far: stopped again at exit even when a test failed half-way. */
#define MAX_OWN 8
static char own_dirs[MAX_OWN][NAME_PATH_MAX];
static size_t n_own;
/* Worker processes still running: killed at exit when a test failed before waiting for them. */
#define MAX_WORKERS 8
static pid_t workers[MAX_WORKERS];

/* The text of the file PATH (free() it). */
static char *slurp(const char *path)
{
	struct tc_buf b;
	tc_buf_init(&b, 16 * 1024 * 1024);
	if (!tc_is_ok(tc_file_read(path, 16 * 1024 * 1024, &b)) || !tc_is_ok(tc_buf_append_u8(&b, 0))) {
		tc_buf_cleanup(&b);
		fail_msg("cannot read %s", path);
	}
	size_t len;
	return (char *)tc_buf_steal(&b, &len);
}

/*
 * Logs stay in files, so a passing run prints a few lines and a failing one ends with its failure (a long
 * output is cut by CTest and by CI's view of it). A test that fails prints the last lines of the logs it
 * registered with watch_log (the teardown below), then cmocka's failure line is the last thing.
 */
#define MAX_WATCHED 4
#define TAIL_LINES 25
static char watched[MAX_WATCHED][NAME_PATH_MAX + 16];
static size_t n_watched;
static bool test_passed;

static void watch_log(const char *path)
{
	if (n_watched < MAX_WATCHED)
		snprintf(watched[n_watched++], sizeof(watched[0]), "%s", path);
}

static void print_tail(const char *path, size_t lines)
{
	struct tc_buf b;
	tc_buf_init(&b, 16 * 1024 * 1024);
	if (!tc_is_ok(tc_file_read(path, 16 * 1024 * 1024, &b)) || !tc_is_ok(tc_buf_append_u8(&b, 0))) {
		fprintf(stderr, "----- %s: cannot read (%s)\n", path, tc_error_detail());
		tc_buf_cleanup(&b);
		return;
	}
	const char *text = (const char *)b.data, *start = text + b.len - 1;
	for (size_t n = 0; start > text; start--)
		if (start[-1] == '\n' && start != text + b.len - 1 && ++n >= lines)
			break;
	fprintf(stderr, "----- last %zu lines of %s\n%s----- end of %s\n", lines, path, start, path);
	tc_buf_cleanup(&b);
}

static int test_setup(void **state)
{
	(void)state;
	n_watched = 0;
	test_passed = false;
	return 0;
}

/* The world's log stream while one exists (a failed test skips world_teardown: closed here then). */
static FILE *g_world_log;

static int test_teardown(void **state)
{
	(void)state;
	if (!test_passed)
		for (size_t i = 0; i < n_watched; i++)
			print_tail(watched[i], TAIL_LINES);
	if (g_world_log != NULL) {
		tc_log_set_stream(NULL);
		fclose(g_world_log);
		g_world_log = NULL;
	}
	return 0;
}

/* The exit status ST of a worker was 0 (its log, watched, is printed by the teardown otherwise). */
static void assert_worker_ok(int st)
{
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return;
	if (WIFSIGNALED(st))
		fail_msg("worker killed by signal %d", WTERMSIG(st));
	fail_msg("worker exited with %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static void sh(const char *cmd, char *out, size_t size)
{
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, size - 1, p);
	out[n] = '\0';
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	int st = pclose(p);
	if (st != 0)
		fail_msg("command failed (%d): %s", st, cmd);
}

/* Start anvil on DIR (PORT 0: any free port), loading DIR/state.json when present. */
static void anvil_start(const char *dir, unsigned port, char *url, size_t size)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "bash '%s/deploy/anvil.sh' start '%s' %u 2>&1", getenv("TEECERT_SOURCE_DIR"), dir,
		 port);
	sh(cmd, url, size);
}

static void anvil_stop(const char *dir)
{
	char cmd[1024], out[256];
	snprintf(cmd, sizeof(cmd), "bash '%s/deploy/anvil.sh' stop '%s' 2>&1", getenv("TEECERT_SOURCE_DIR"), dir);
	sh(cmd, out, sizeof(out));
}

static json_t *rpc_call(struct world *w, const char *method, json_t *params)
{
	json_t *res = NULL;
	tc_assert_ok(chain_rpc_call(w->rpc, method, params, &res));
	return res;
}

static void rpc_void(struct world *w, const char *method, json_t *params)
{
	json_decref(rpc_call(w, method, params));
}

static void sql(struct world *w, const char *q)
{
	tc_assert_ok(tc_test_sql(db_conn_pg(w->db), q));
}

static int64_t sql_int(struct world *w, const char *q)
{
	PGresult *res = PQexec(db_conn_pg(w->db), q);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		PQclear(res);
		fail_msg("SQL did not return one row: %s", q);
	}
	const char *c = PQgetvalue(res, 0, 0);
	int64_t v = PQgetisnull(res, 0, 0) ? -1 : c[0] == 't' ? 1 : c[0] == 'f' ? 0 : strtoll(c, NULL, 10);
	PQclear(res);
	return v;
}

/* The one text value of Q, copied to OUT. */
static void sql_text(struct world *w, const char *q, char *out, size_t size)
{
	PGresult *res = PQexec(db_conn_pg(w->db), q);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
		PQclear(res);
		fail_msg("SQL did not return one value: %s", q);
	}
	snprintf(out, size, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
}

static void root_of(uint64_t size, uint8_t root[CHAIN_HASH_LEN])
{
	char s[32];
	snprintf(s, sizeof(s), "root-%" PRIu64, size);
	chain_keccak256(s, strlen(s), root);
}

static void add_checkpoint(struct world *w, uint64_t size)
{
	uint8_t root[CHAIN_HASH_LEN];
	root_of(size, root);
	char hex[2 * CHAIN_HASH_LEN + 1], q[1024];
	tc_assert_ok(tc_hex_encode(root, sizeof(root), hex, sizeof(hex)));
	if (sql_int(w, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'log_checkpoints'"
		       " AND column_name = 'signature'") == 0)
		snprintf(q, sizeof(q), "INSERT INTO log_checkpoints (tree_size, root) VALUES (%" PRIu64 ", '\\x%s')",
			 size, hex);
	else /* migration 0002's table: the anchor only reads size and root; the note is not checked here */
		snprintf(q, sizeof(q),
			 "INSERT INTO log_checkpoints (tree_size, root, signed_at, note, key_name, key_id, signature)"
			 " VALUES (%" PRIu64
			 ", '\\x%s', now(), 'test', 'test', '\\x00000000', decode(repeat('00', 64), 'hex'))",
			 size, hex);
	sql(w, q);
}

/* A world on the node at URL (or a fresh own node when OWN). */
static void world_setup(struct world *w, const char *name, bool own)
{
	memset(w, 0, sizeof(*w));
	snprintf(w->log_path, sizeof(w->log_path), "%s/%s.log", tmp_root, name);
	w->log = fopen(w->log_path, "w");
	assert_non_null(w->log);
	tc_log_set_stream(w->log);
	g_world_log = w->log;
	watch_log(w->log_path);
	if (own) {
		snprintf(w->dir, sizeof(w->dir), "%s/%s", tmp_root, name);
		assert_int_equal(mkdir(w->dir, 0700), 0);
		assert_true(n_own < MAX_OWN);
		snprintf(own_dirs[n_own++], sizeof(own_dirs[0]), "%s", w->dir);
		anvil_start(w->dir, 0, w->url, sizeof(w->url));
	} else {
		char path[NAME_PATH_MAX];
		snprintf(path, sizeof(path), "%s/rpc_url", getenv("TEECERT_ANVIL_DIR"));
		struct tc_buf b;
		tc_buf_init(&b, 256);
		tc_assert_ok(tc_file_read(path, 255, &b));
		snprintf(w->url, sizeof(w->url), "%.*s", (int)strcspn((char *)b.data, "\r\n"), (char *)b.data);
		tc_buf_cleanup(&b);
	}
	struct chain_rpc_options ro;
	memset(&ro, 0, sizeof(ro));
	ro.urls[0] = w->url;
	ro.n_urls = 1;
	ro.backoff_base_ms = 50;
	ro.backoff_max_ms = 500;
	tc_assert_ok(chain_rpc_new(&ro, &w->rpc));

	/* A fresh funded key per world, so worlds never share nonces. */
	tc_assert_ok(chain_key_generate(&w->key));
	char hex[2 * CHAIN_PRIVKEY_LEN + 1];
	tc_assert_ok(tc_hex_encode(w->key.secret, CHAIN_PRIVKEY_LEN, hex, sizeof(hex)));
	snprintf(w->key_file, sizeof(w->key_file), "%s/%s.key", tmp_root, name);
	tc_assert_ok(tc_file_write(w->key_file, hex, strlen(hex), 0600));
	tc_secure_zero(hex, sizeof(hex));
	char addr[CHAIN_ADDRESS_STR_SIZE];
	chain_address_to_eip55(w->key.address, addr);
	rpc_void(w, "anvil_setBalance", json_pack("[s, s]", addr, "0x56bc75e2d63100000")); /* 100 ETH */

	tc_assert_ok(tc_test_db_create(name, w->dsn, sizeof(w->dsn)));
	tc_assert_ok(db_conn_open(w->dsn, &w->db));
	tc_assert_ok(db_migrate(w->db, NULL));
	/* Until migration 0002 brings the log's table, a stand-in of the same shape. */
	if (sql_int(w, "SELECT count(*) FROM pg_tables WHERE tablename = 'log_checkpoints'") == 0)
		sql(w, "CREATE TABLE log_checkpoints (tree_size bigint PRIMARY KEY, root bytea NOT NULL)");
	else /* checkpoints of sizes this test picks, without building a log of 100000 entries */
		sql(w, "ALTER TABLE log_checkpoints DISABLE TRIGGER log_checkpoints_check");

	api_anchor_options_defaults(&w->opt);
	w->opt.chain_id = 204;
	w->opt.confirmations = 1;
	w->opt.finalized_stale_s = 0;
	tc_assert_ok(api_anchor_deploy(w->rpc, w->db, &w->key, 204, NULL, 0, &w->opt, 30000, &w->cfg).code ==
				     TC_ERR_INVALID_ARGUMENT ?
			     tc_ok() :
			     tc_fail(TC_ERR_INTERNAL, "deploy without bytecode must be refused"));
	struct tc_buf code;
	tc_buf_init(&code, 64 * 1024);
	tc_assert_ok(tc_hex_decode(api_anchor_contract_bytecode_hex + 2, strlen(api_anchor_contract_bytecode_hex) - 2,
				   &code));
	tc_assert_ok(api_anchor_deploy(w->rpc, w->db, &w->key, 204, code.data, code.len, &w->opt, 30000, &w->cfg));
	/* A second deployment into the same database is refused. */
	struct db_anchor_config again;
	assert_int_equal(
		api_anchor_deploy(w->rpc, w->db, &w->key, 204, code.data, code.len, &w->opt, 30000, &again).code,
		TC_ERR_DB_CONFLICT);
	tc_buf_cleanup(&code);
}

static void world_teardown(struct world *w)
{
	db_conn_free(&w->db);
	if (w->dsn[0] != '\0' && !tc_is_ok(tc_test_db_drop(w->dsn)))
		fprintf(stderr, "drop %s: %s\n", w->dsn, tc_error_detail());
	chain_rpc_free(&w->rpc);
	chain_key_cleanup(&w->key);
	if (w->dir[0] != '\0')
		anvil_stop(w->dir);
	tc_log_set_stream(NULL);
	fclose(w->log);
	g_world_log = NULL;
}

static void pause_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Tick until the highest confirmed tree size is SIZE (at most MAX ticks). */
static void tick_until_confirmed(struct api_anchor_worker *aw, uint64_t size, int max)
{
	for (int i = 0; i < max; i++) {
		bool busy;
		tc_assert_ok(api_anchor_tick(aw, &busy));
		struct db_anchor_tip tip;
		tc_assert_ok(db_anchor_tip(aw->db, 204, &tip));
		if (tip.confirmed_tree_size == size)
			return;
		pause_ms(50);
	}
	fail_msg("tree size %" PRIu64 " not confirmed after %d ticks", size, max);
}

struct events {
	size_t n;
	struct chain_anchored_event ev[16];
	uint64_t block[16];
};

static struct tc_result collect(void *ctx, const struct chain_log *lg)
{
	struct events *e = ctx;
	if (e->n >= 16)
		return tc_fail(TC_ERR_TOO_LARGE, "too many events");
	TC_GUARD(chain_anchored_decode((const uint8_t(*)[CHAIN_HASH_LEN])lg->topics, lg->n_topics, lg->data,
				       lg->data_len, &e->ev[e->n]));
	e->block[e->n++] = lg->block_number;
	return tc_ok();
}

static void read_events(struct world *w, struct events *e)
{
	memset(e, 0, sizeof(*e));
	uint64_t head;
	tc_assert_ok(chain_rpc_block_number(w->rpc, &head));
	uint8_t topic[CHAIN_HASH_LEN];
	chain_abi_event_topic(CHAIN_ANCHORED_EVENT_SIG, topic);
	/* Ranges of 2 blocks force the paging. */
	tc_assert_ok(
		chain_rpc_get_logs(w->rpc, w->cfg.contract, topic, (uint64_t)w->cfg.deploy_block, head, 2, collect, e));
}

static void assert_event(const struct events *e, size_t i, uint64_t size, uint64_t prev)
{
	uint8_t root[CHAIN_HASH_LEN];
	root_of(size, root);
	assert_true(i < e->n);
	assert_int_equal(e->ev[i].tree_size, size);
	assert_int_equal(e->ev[i].prev_tree_size, prev);
	assert_memory_equal(e->ev[i].root, root, CHAIN_HASH_LEN);
}

/* ------------------------------------------------------------------------------------------- tests */

static void test_anchor_series_and_gas(void **state)
{
	(void)state;
	struct world w;
	world_setup(&w, "anchor_series", false);
	struct api_anchor_worker aw;
	tc_assert_ok(api_anchor_worker_init(&aw, w.rpc, w.db, &w.key, &w.opt));
	/* Nothing to do yet. */
	bool busy = true;
	tc_assert_ok(api_anchor_tick(&aw, &busy));
	assert_false(busy);
	add_checkpoint(&w, 1);
	add_checkpoint(&w, 1000);
	add_checkpoint(&w, 100000);
	tick_until_confirmed(&aw, 100000, 40);
	assert_int_equal(aw.metrics.confirmed, 3);

	struct events e;
	read_events(&w, &e);
	assert_int_equal(e.n, 3);
	assert_event(&e, 0, 1, 0);
	assert_event(&e, 1, 1000, 1);
	assert_event(&e, 2, 100000, 1000);

	int64_t g1 = sql_int(&w, "SELECT gas_used FROM anchor_txs WHERE tree_size = 1 AND state = 'confirmed'");
	int64_t g1k = sql_int(&w, "SELECT gas_used FROM anchor_txs WHERE tree_size = 1000 AND state = 'confirmed'");
	int64_t g100k = sql_int(&w, "SELECT gas_used FROM anchor_txs WHERE tree_size = 100000 AND state = 'confirmed'");
	printf("gas per anchor: 1 entry %" PRId64 " (first anchor: storage from zero), 1000 entries %" PRId64
	       ", 100000 entries %" PRId64 "\n",
	       g1, g1k, g100k);
	/* Constant in the number of entries: only calldata bytes (16 gas per non-zero byte) may differ. */
	assert_true(g1k > 0 && g100k > 0);
	assert_true(llabs(g100k - g1k) <= 16 * 8);
	assert_true(g1 >= g1k);
	/* Nonces consecutive from the deployment's 0. */
	assert_int_equal(sql_int(&w, "SELECT string_agg(nonce::text, ',' ORDER BY nonce) = '1,2,3' FROM anchor_txs"),
			 1);
	world_teardown(&w);
	test_passed = true;
}

static void test_fee_bump(void **state)
{
	(void)state;
	struct world w;
	world_setup(&w, "anchor_bump", true);
	w.opt.stuck_ms = 0;
	struct api_anchor_worker aw;
	tc_assert_ok(api_anchor_worker_init(&aw, w.rpc, w.db, &w.key, &w.opt));
	rpc_void(&w, "evm_setAutomine", json_pack("[b]", 0));
	add_checkpoint(&w, 7);
	bool busy;
	tc_assert_ok(api_anchor_tick(&aw, &busy)); /* plan, sign, store, broadcast */
	assert_int_equal(sql_int(&w, "SELECT count(*) FROM anchor_txs WHERE state = 'broadcast'"), 1);
	tc_assert_ok(api_anchor_tick(&aw, &busy)); /* still unmined after stuck_ms = 0: bump */
	assert_int_equal(aw.metrics.fee_bumps, 1);
	assert_int_equal(sql_int(&w, "SELECT count(*) FROM anchor_txs WHERE state = 'replaced'"), 1);
	/* Both fees up by at least 10%, same nonce, same checkpoint. */
	assert_int_equal(sql_int(&w, "SELECT count(*) FROM anchor_txs n JOIN anchor_txs o ON n.replaces = o.id"
				     " WHERE n.nonce = o.nonce AND n.tree_size = o.tree_size"
				     " AND n.max_fee_per_gas * 10 >= o.max_fee_per_gas * 11"
				     " AND n.max_priority_fee_per_gas * 10 >= o.max_priority_fee_per_gas * 11"),
			 1);
	rpc_void(&w, "evm_mine", NULL);
	rpc_void(&w, "evm_setAutomine", json_pack("[b]", 1));
	tick_until_confirmed(&aw, 7, 20);
	/* The replacement is the one mined; the original has no receipt; one event. */
	assert_int_equal(
		sql_int(&w, "SELECT count(*) FROM anchor_txs WHERE state = 'confirmed' AND replaces IS NOT NULL"), 1);
	struct events e;
	read_events(&w, &e);
	assert_int_equal(e.n, 1);
	assert_event(&e, 0, 7, 0);
	world_teardown(&w);
	test_passed = true;
}

static void test_reorg(void **state)
{
	(void)state;
	struct world w;
	world_setup(&w, "anchor_reorg", true);
	w.opt.confirmations = 3;
	struct api_anchor_worker aw;
	tc_assert_ok(api_anchor_worker_init(&aw, w.rpc, w.db, &w.key, &w.opt));
	json_t *snap = rpc_call(&w, "evm_snapshot", NULL);
	add_checkpoint(&w, 5);
	bool busy;
	tc_assert_ok(api_anchor_tick(&aw, &busy)); /* broadcast; automine mines it */
	tc_assert_ok(api_anchor_tick(&aw, &busy)); /* receipt → mined */
	assert_int_equal(sql_int(&w, "SELECT count(*) FROM anchor_txs WHERE state = 'mined'"), 1);
	int64_t first_block = sql_int(&w, "SELECT block_number FROM anchor_txs WHERE state = 'mined'");
	/* Rewind the chain to before the anchor, then build a different history. */
	json_t *ok = rpc_call(&w, "evm_revert", json_pack("[O]", snap));
	assert_true(json_is_true(ok));
	json_decref(ok);
	json_decref(snap);
	rpc_void(&w, "anvil_mine", json_pack("[s]", "0x2"));
	tc_assert_ok(api_anchor_tick(&aw, &busy)); /* receipt gone → back to broadcast and re-sent */
	assert_int_equal(aw.metrics.reorgs, 1);
	assert_true(aw.metrics.rebroadcasts >= 1);
	rpc_void(&w, "anvil_mine", json_pack("[s]", "0x3"));
	tick_until_confirmed(&aw, 5, 20);
	assert_true(sql_int(&w, "SELECT block_number FROM anchor_txs WHERE state = 'confirmed'") != first_block);
	struct events e;
	read_events(&w, &e);
	assert_int_equal(e.n, 1);
	assert_event(&e, 0, 5, 0);
	world_teardown(&w);
	test_passed = true;
}

/*
 * Run `teecert-anchor run` against W with the flags EXTRA (NULL-terminated) after the common ones; its
 * stdout and stderr go to LOG (NULL: inherited).
 */
static pid_t spawn_worker(struct world *w, const char *log, const char *const *extra)
{
	const char *argv[48];
	size_t n = 0;
	const char *bin = getenv("TEECERT_ANCHOR_BIN");
	const char *common[] = { bin,    "run",        "--rpc", w->url,      "--key", w->key_file,  "--db",
				 w->dsn, "--chain-id", "204",   "--poll-ms", "100",   "--stuck-ms", "600000" };
	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		argv[n++] = common[i];
	for (size_t i = 0; extra[i] != NULL; i++) {
		assert_true(n < sizeof(argv) / sizeof(argv[0]) - 1);
		argv[n++] = extra[i];
	}
	argv[n] = NULL;
	size_t slot;
	for (slot = 0; slot < MAX_WORKERS && workers[slot] != 0; slot++)
		;
	assert_true(slot < MAX_WORKERS);
	int fd = -1;
	if (log != NULL) {
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		assert_true(fd >= 0);
	}
	pid_t pid = tc_test_spawn(argv, fd, fd);
	if (fd >= 0)
		close(fd);
	assert_true(pid >= 0);
	workers[slot] = pid;
	return pid;
}

/* The worker PID has exited (reaped by the caller). */
static void worker_gone(pid_t pid)
{
	for (size_t i = 0; i < MAX_WORKERS; i++)
		if (workers[i] == pid)
			workers[i] = 0;
}

/* Wait up to MAX_MS for PID to exit; kill it and fail when it does not. Returns its wait status. */
static int wait_worker(pid_t pid, unsigned max_ms)
{
	int st = 0;
	bool exited = tc_test_wait(pid, max_ms, &st);
	worker_gone(pid);
	if (!exited)
		fail_msg("worker %d did not finish within %u ms", (int)pid, max_ms);
	return st;
}

static void kill_workers(void)
{
	for (size_t i = 0; i < MAX_WORKERS; i++) {
		if (workers[i] == 0)
			continue;
		tc_test_stop(workers[i], SIGKILL, UINT_MAX);
		workers[i] = 0;
	}
}

static size_t count_substr(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

static size_t count_in_file(const char *path, const char *needle)
{
	char *text = slurp(path);
	size_t n = count_substr(text, needle);
	free(text);
	return n;
}

static void test_kill_after_broadcast(void **state)
{
	(void)state;
	struct world w;
	world_setup(&w, "anchor_kill", true);
	char log[NAME_PATH_MAX + 16];
	snprintf(log, sizeof(log), "%s/worker.log", w.dir);
	watch_log(log);
	rpc_void(&w, "evm_setAutomine", json_pack("[b]", 0));
	add_checkpoint(&w, 3);
	static const char *const flags[] = { "--confirmations",  "1", "--finalized-stale-s", "0",
					     "--log-level=info", NULL };
	pid_t pid = spawn_worker(&w, log, flags);
	int i;
	for (i = 0; i < 200; i++) {
		if (sql_int(&w, "SELECT count(*) FROM anchor_txs WHERE state = 'broadcast'") == 1)
			break;
		pause_ms(50);
	}
	assert_true(i < 200);
	assert_int_equal(kill(pid, SIGKILL), 0);
	int st = wait_worker(pid, 10000);
	assert_true(WIFSIGNALED(st));
	/* The transaction is in the pool; a second checkpoint arrives while the worker is dead. */
	add_checkpoint(&w, 9);
	rpc_void(&w, "evm_setAutomine", json_pack("[b]", 1));
	rpc_void(&w, "evm_mine", NULL);
	static const char *const again[] = { "--confirmations", "1", "--finalized-stale-s", "0", "--until-idle", NULL };
	pid = spawn_worker(&w, log, again);
	st = wait_worker(pid, 30000);
	assert_worker_ok(st);
	/* No duplicate, no gap: one row per checkpoint, nonces 1 and 2, node nonce 3. */
	assert_int_equal(sql_int(&w, "SELECT count(*) FROM anchor_txs"), 2);
	assert_int_equal(sql_int(&w, "SELECT count(*) FROM anchor_txs WHERE state = 'confirmed'"), 2);
	assert_int_equal(sql_int(&w, "SELECT string_agg(nonce::text, ',' ORDER BY nonce) = '1,2' FROM anchor_txs"), 1);
	uint64_t nonce;
	tc_assert_ok(chain_rpc_nonce(w.rpc, w.key.address, false, &nonce));
	assert_int_equal(nonce, 3);
	struct events e;
	read_events(&w, &e);
	assert_int_equal(e.n, 2);
	assert_event(&e, 0, 3, 0);
	assert_event(&e, 1, 9, 3);
	world_teardown(&w);
	test_passed = true;
}

/* The port of an http://127.0.0.1:PORT URL. */
static unsigned url_port(const char *url)
{
	const char *colon = strrchr(url, ':');
	assert_non_null(colon);
	char *end = NULL;
	unsigned long port = strtoul(colon + 1, &end, 10);
	assert_true(end != colon + 1 && port > 0 && port <= 65535);
	return (unsigned)port;
}

static void test_node_restart(void **state)
{
	(void)state;
	struct world w;
	world_setup(&w, "anchor_restart", true);
	unsigned port = url_port(w.url);
	char log[NAME_PATH_MAX + 16], state_file[NAME_PATH_MAX + 16];
	snprintf(log, sizeof(log), "%s/worker.log", w.dir);
	snprintf(state_file, sizeof(state_file), "%s/state.json", w.dir);
	watch_log(log);
	rpc_void(&w, "evm_setAutomine", json_pack("[b]", 0));
	add_checkpoint(&w, 4);
	static const char *const flags[] = { "--confirmations", "1", "--finalized-stale-s", "0", "--until-idle", NULL };
	pid_t pid = spawn_worker(&w, log, flags);
	int i;
	for (i = 0; i < 200 && sql_int(&w, "SELECT count(*) FROM anchor_txs WHERE state = 'broadcast'") != 1; i++)
		pause_ms(50);
	assert_true(i < 200);
	char hex[2 * CHAIN_HASH_LEN + 1];
	uint8_t hash[CHAIN_HASH_LEN];
	sql_text(&w, "SELECT encode(tx_hash, 'hex') FROM anchor_txs WHERE tree_size = 4", hex, sizeof(hex));
	tc_assert_ok(tc_hex_decode_fixed(hex, strlen(hex), hash, sizeof(hash)));
	bool known = false;
	tc_assert_ok(chain_rpc_tx_known(w.rpc, hash, &known));
	assert_true(known); /* in the node's pool, unmined */
	uint64_t head_before;
	tc_assert_ok(chain_rpc_block_number(w.rpc, &head_before));

	/* The node goes away: SIGTERM, anvil dumps its chain (not its pool) to state.json and exits. */
	anvil_stop(w.dir);
	assert_int_equal(access(state_file, R_OK), 0);
	add_checkpoint(&w, 8); /* arrives while the node is down */
	/* The worker keeps running and failing its passes (each one after the RPC client's own retries). */
	for (i = 0; i < 600 && count_in_file(log, "\"event\":\"anchor_tick_failed\"") < 2; i++) {
		assert_int_equal(waitpid(pid, NULL, WNOHANG), 0);
		pause_ms(50);
	}
	assert_true(i < 600);
	assert_int_equal(count_in_file(log, "chain_unavailable"),
			 count_in_file(log, "\"event\":\"anchor_tick_failed\""));
	assert_int_equal(sql_int(&w, "SELECT count(*) FROM anchor_txs"), 1);

	/* Freeze the worker, so the restarted node can be looked at before the worker acts. */
	assert_int_equal(kill(pid, SIGSTOP), 0);
	char url[sizeof(w.url)];
	anvil_start(w.dir, port, url, sizeof(url));
	assert_string_equal(url, w.url);
	uint64_t head_after, pending;
	tc_assert_ok(chain_rpc_block_number(w.rpc, &head_after));
	assert_int_equal(head_after, head_before); /* the chain was kept (deployment, balance) */
	char addr[CHAIN_ADDRESS_STR_SIZE];
	chain_address_to_eip55(w.cfg.contract, addr);
	json_t *code = rpc_call(&w, "eth_getCode", json_pack("[s, s]", addr, "latest"));
	assert_true(json_is_string(code) && json_string_length(code) > 2);
	json_decref(code);
	tc_assert_ok(chain_rpc_tx_known(w.rpc, hash, &known));
	assert_false(known); /* ... but the pending transaction was lost */
	tc_assert_ok(chain_rpc_nonce(w.rpc, w.key.address, true, &pending));
	assert_int_equal(pending, 1);
	assert_int_equal(kill(pid, SIGCONT), 0);

	int st = wait_worker(pid, 60000);
	assert_worker_ok(st);
	char *text = slurp(log);
	/* The stored raw transaction was sent again (same hash), then the second checkpoint followed it. */
	assert_true(count_substr(text, "\"event\":\"anchor_rebroadcast\"") >= 1);
	assert_non_null(strstr(text, hex));
	free(text);
	assert_int_equal(sql_int(&w, "SELECT count(*) FROM anchor_txs"), 2);
	assert_int_equal(sql_int(&w, "SELECT count(*) FROM anchor_txs WHERE state = 'confirmed'"), 2);
	assert_true(sql_int(&w, "SELECT attempts FROM anchor_txs WHERE tree_size = 4") >= 2);
	char again[2 * CHAIN_HASH_LEN + 1];
	sql_text(&w, "SELECT encode(tx_hash, 'hex') FROM anchor_txs WHERE tree_size = 4", again, sizeof(again));
	assert_string_equal(again, hex);
	assert_int_equal(sql_int(&w, "SELECT string_agg(nonce::text, ',' ORDER BY nonce) = '1,2' FROM anchor_txs"), 1);
	uint64_t nonce;
	tc_assert_ok(chain_rpc_nonce(w.rpc, w.key.address, false, &nonce));
	assert_int_equal(nonce, 3);
	struct events e;
	read_events(&w, &e);
	assert_int_equal(e.n, 2);
	assert_event(&e, 0, 4, 0);
	assert_event(&e, 1, 8, 4);
	world_teardown(&w);
	test_passed = true;
}

/* Run the binary with ARGS (a shell-quoted tail) and capture its stdout. */
static void run_cli(const char *args, char *out, size_t size)
{
	char cmd[2048];
	snprintf(cmd, sizeof(cmd), "'%s' %s", getenv("TEECERT_ANCHOR_BIN"), args);
	sh(cmd, out, size);
}

static void test_finalized_and_stale_alert(void **state)
{
	(void)state;
	struct world w;
	world_setup(&w, "anchor_finalized", true);
	w.opt.use_finalized = true;
	w.opt.finalized_stale_s = 0; /* set once the genesis block is surely old enough */
	struct api_anchor_worker aw;
	tc_assert_ok(api_anchor_worker_init(&aw, w.rpc, w.db, &w.key, &w.opt));
	/*
	 * anvil's `finalized` block is latest - 64 (two epochs of 32 slots) and block 0 before that: here the
	 * finalized head stays at genesis while latest moves, like an L2 that stopped settling on L1.
	 */
	add_checkpoint(&w, 6);
	bool busy;
	tc_assert_ok(api_anchor_tick(&aw, &busy)); /* plan, sign, broadcast; automine mines it */
	tc_assert_ok(api_anchor_tick(&aw, &busy)); /* receipt → mined */
	assert_int_equal(sql_int(&w, "SELECT count(*) FROM anchor_txs WHERE state = 'mined'"), 1);
	uint64_t block = (uint64_t)sql_int(&w, "SELECT block_number FROM anchor_txs WHERE state = 'mined'");
	rpc_void(&w, "anvil_mine", json_pack("[s]", "0xa"));
	tc_assert_ok(api_anchor_tick(&aw, &busy));
	/* 11 blocks deep, but not finalized: still mined. */
	assert_true(busy);
	assert_int_equal(sql_int(&w, "SELECT count(*) FROM anchor_txs WHERE state = 'mined'"), 1);
	assert_true(aw.metrics.have_finalized);
	assert_int_equal(aw.metrics.finalized_block, 0);
	assert_int_equal(aw.metrics.confirmed, 0);

	assert_int_equal(aw.metrics.finalized_stale_alerts, 0);

	/* Genesis was stamped when anvil started: 2 s later it is older than finalized_stale_s = 1. */
	pause_ms(2100);
	aw.opt.finalized_stale_s = 1;
	tc_assert_ok(api_anchor_tick(&aw, &busy));
	assert_int_equal(aw.metrics.finalized_stale_alerts, 1);
	assert_true(aw.metrics.finalized_stale);
	assert_true(aw.metrics.finalized_age_s > 1);
	tc_assert_ok(api_anchor_tick(&aw, &busy)); /* still stale: not alerted again within the period */
	assert_int_equal(aw.metrics.finalized_stale_alerts, 1);
	pause_ms(1100);
	tc_assert_ok(api_anchor_tick(&aw, &busy)); /* one period later: reminded */
	assert_int_equal(aw.metrics.finalized_stale_alerts, 2);
	assert_int_equal(sql_int(&w, "SELECT count(*) FROM anchor_txs WHERE state = 'mined'"), 1);

	/* 96 more blocks: finalized = latest - 64 passes the anchor's block and is fresh. */
	rpc_void(&w, "anvil_mine", json_pack("[s]", "0x60"));
	tc_assert_ok(api_anchor_tick(&aw, &busy));
	assert_false(busy);
	assert_int_equal(sql_int(&w, "SELECT count(*) FROM anchor_txs WHERE state = 'confirmed'"), 1);
	assert_int_equal(aw.metrics.confirmed, 1);
	assert_true(aw.metrics.finalized_block >= block);
	assert_false(aw.metrics.finalized_stale);
	assert_int_equal(aw.metrics.finalized_stale_alerts, 2);
	char *text = slurp(w.log_path);
	assert_int_equal(
		count_substr(text, "\"level\":\"error\",\"event\":\"anchor_finalized_stale\",\"msg\":\"ALERT: "), 2);
	assert_int_equal(count_substr(text, "\"event\":\"anchor_finalized_recovered\""), 1);
	assert_non_null(strstr(text, "\"event\":\"anchor_confirmed\""));
	assert_non_null(strstr(text, "(finalized)"));
	free(text);

	/* The binary: one pass on the stale head (no new block for 2 s) writes the ALERT line and the metrics. */
	pause_ms(2100);
	char log[NAME_PATH_MAX + 16], prom[NAME_PATH_MAX + 16];
	snprintf(log, sizeof(log), "%s/worker.log", w.dir);
	snprintf(prom, sizeof(prom), "%s/anchor.prom", w.dir);
	watch_log(log);
	const char *const flags[] = {
		"--finalized", "--finalized-stale-s", "1", "--once", "--metrics-file", prom, NULL
	};
	int st = wait_worker(spawn_worker(&w, log, flags), 30000);
	assert_worker_ok(st);
	text = slurp(log);
	assert_int_equal(
		count_substr(text, "\"level\":\"error\",\"event\":\"anchor_finalized_stale\",\"msg\":\"ALERT: "), 1);
	free(text);
	watch_log(prom);
	text = slurp(prom);
	assert_non_null(strstr(text, "\nteecert_anchor_finalized_stale_total 1\n"));
	assert_non_null(strstr(text, "\nteecert_anchor_finalized_stale 1\n"));
	assert_non_null(strstr(text, "\nteecert_anchor_txs{state=\"confirmed\"} 1\n"));
	assert_non_null(strstr(text, "\nteecert_anchor_txs{state=\"broadcast\"} 0\n"));
	assert_non_null(strstr(text, "\nteecert_anchor_confirmed_tree_size 6\n"));
	assert_non_null(strstr(text, "\nteecert_anchor_last_tree_size 6\n"));
	assert_non_null(strstr(text, "# TYPE teecert_anchor_finalized_stale_total counter\n"));
	assert_non_null(strstr(text, "\nteecert_anchor_ticks_total 1\n"));
	free(text);

	/* `status`: JSON built by jansson; `status --metrics`: the database's view as Prometheus text. */
	char args[1024], out[8192];
	snprintf(args, sizeof(args), "status --db '%s'", w.dsn);
	run_cli(args, out, sizeof(out));
	json_error_t jerr;
	json_t *doc = json_loads(out, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL)
		fail_msg("status is not JSON (%s): %s", jerr.text, out);
	char addr[CHAIN_ADDRESS_STR_SIZE];
	chain_address_to_eip55(w.cfg.contract, addr);
	assert_true(json_is_true(json_object_get(doc, "configured")));
	assert_int_equal(json_integer_value(json_object_get(doc, "chain_id")), 204);
	assert_string_equal(json_string_value(json_object_get(doc, "contract")), addr);
	assert_int_equal(json_integer_value(json_object_get(doc, "confirmed_tree_size")), 6);
	assert_int_equal(json_integer_value(json_object_get(doc, "confirmed_block")), (json_int_t)block);
	assert_int_equal(json_integer_value(json_object_get(doc, "next_nonce")), 2);
	json_t *states = json_object_get(doc, "states");
	assert_int_equal(json_object_size(states), DB_ANCHOR_STATE_COUNT);
	assert_int_equal(json_integer_value(json_object_get(states, "confirmed")), 1);
	assert_int_equal(json_integer_value(json_object_get(states, "mined")), 0);
	json_decref(doc);
	snprintf(args, sizeof(args), "status --metrics --db '%s'", w.dsn);
	run_cli(args, out, sizeof(out));
	assert_non_null(strstr(out, "teecert_anchor_txs{state=\"confirmed\"} 1\n"));
	assert_non_null(strstr(out, "teecert_anchor_confirmed_tree_size 6\n"));
	assert_null(strstr(out, "_total")); /* the worker's counters live in the worker */
	world_teardown(&w);
	test_passed = true;
}

int main(void)
{
	const char *src = getenv("TEECERT_SOURCE_DIR");
	char anvil[PATH_MAX_LEN];
	snprintf(anvil, sizeof(anvil), "%s/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil", src ? src : ".");
	if (src == NULL || access(anvil, X_OK) != 0) {
		fprintf(stderr, "anvil not installed (%s): skipping\n", anvil);
		return SKIP;
	}
	snprintf(tmp_root, sizeof(tmp_root), "/tmp/teecert-anchor-test-XXXXXX");
	if (mkdtemp(tmp_root) == NULL)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_anchor_series_and_gas, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_fee_bump, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_reorg, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_kill_after_broadcast, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_node_restart, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(test_finalized_and_stale_alert, test_setup, test_teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	kill_workers();
	for (size_t i = 0; i < n_own; i++) {
		char stop[2 * NAME_PATH_MAX];
		snprintf(stop, sizeof(stop), "bash '%s/deploy/anvil.sh' stop '%s' >/dev/null 2>&1", src, own_dirs[i]);
		if (system(stop) != 0)
			fprintf(stderr, "could not stop anvil in %s\n", own_dirs[i]);
	}
	char cmd[PATH_MAX_LEN + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_root);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmp_root);
	return rc;
}
