/*
 * teecert-anchor — anchors signed checkpoints of the transparency log on opBNB (DESIGN.md "Transparency
 * log and anchoring", docs/anchor.md). It holds only the chain key. Thin: flags here, the state machine in
 * api_anchor_worker.c, the deployment in api_anchor_deploy.c.
 *
 *   teecert-anchor deploy --rpc URL --key FILE --db DSN [--chain-id N | --network NAME] [--artifact PATH]
 *   teecert-anchor run    --rpc URL[,URL2...] --key FILE --db DSN [--confirmations N | --finalized]
 *                         [--poll-ms N] [--once | --until-idle] [--stuck-ms N] [--max-fee-gwei N]
 *                         [--metrics-file PATH] ...
 *   teecert-anchor status --db DSN [--chain-id N | --network NAME] [--metrics]
 *   teecert-anchor address --key FILE
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "cli.h"

#define PROG "teecert-anchor"
#define DEFAULT_POLL_MS 2000
#define DEFAULT_DEPLOY_WAIT_MS 120000
#define ARTIFACT_MAX ((size_t)4 * 1024 * 1024)
#define URL_LIST_MAX 4096
#define METRICS_MAX ((size_t)64 * 1024)

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* Flags shared by the commands. */
struct flags {
	char rpc[URL_LIST_MAX];
	const char *key_file, *dsn, *artifact, *metrics_file;
	struct api_anchor_options opt;
	unsigned poll_ms, timeout_ms, deploy_wait_ms;
	bool once, until_idle, metrics;
};

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end = NULL;
	if (s == NULL || *s < '0' || *s > '9')
		return false;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s || *end != '\0' || v > max)
		return false;
	*out = v;
	return true;
}

enum {
	OPT_RPC = 1000,
	OPT_KEY,
	OPT_DB,
	OPT_CHAIN_ID,
	OPT_NETWORK,
	OPT_ARTIFACT,
	OPT_CONFIRMATIONS,
	OPT_FINALIZED,
	OPT_POLL_MS,
	OPT_ONCE,
	OPT_UNTIL_IDLE,
	OPT_STUCK_MS,
	OPT_MAX_FEE_GWEI,
	OPT_MIN_TIP_WEI,
	OPT_STALE_S,
	OPT_TIMEOUT_MS,
	OPT_WAIT_MS,
	OPT_LOG_LEVEL,
	OPT_METRICS,
	OPT_METRICS_FILE,
};

static const struct option long_opts[] = {
	{ "rpc", required_argument, NULL, OPT_RPC },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "db", required_argument, NULL, OPT_DB },
	{ "chain-id", required_argument, NULL, OPT_CHAIN_ID },
	{ "network", required_argument, NULL, OPT_NETWORK },
	{ "artifact", required_argument, NULL, OPT_ARTIFACT },
	{ "confirmations", required_argument, NULL, OPT_CONFIRMATIONS },
	{ "finalized", no_argument, NULL, OPT_FINALIZED },
	{ "poll-ms", required_argument, NULL, OPT_POLL_MS },
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "until-idle", no_argument, NULL, OPT_UNTIL_IDLE },
	{ "stuck-ms", required_argument, NULL, OPT_STUCK_MS },
	{ "max-fee-gwei", required_argument, NULL, OPT_MAX_FEE_GWEI },
	{ "min-tip-wei", required_argument, NULL, OPT_MIN_TIP_WEI },
	{ "finalized-stale-s", required_argument, NULL, OPT_STALE_S },
	{ "timeout-ms", required_argument, NULL, OPT_TIMEOUT_MS },
	{ "wait-ms", required_argument, NULL, OPT_WAIT_MS },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "metrics", no_argument, NULL, OPT_METRICS },
	{ "metrics-file", required_argument, NULL, OPT_METRICS_FILE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f, const char *cmd)
{
	fprintf(f,
		"usage: " PROG " %s [flags]\n"
		"  --rpc URL[,URL...]      JSON-RPC endpoints, tried in order with failover (deploy, run)\n"
		"  --key FILE              chain key: 64 hex digits, mode 0600 (deploy, run, address)\n"
		"  --db DSN                PostgreSQL connection string\n"
		"  --chain-id N            expected chain id (default 204, opBNB mainnet)\n"
		"  --network NAME          preset: opbnb (204) or opbnb-testnet (5611)\n"
		"  --artifact PATH         deploy: contract artifact JSON (default: the one embedded at build time)\n"
		"  --wait-ms N             deploy: how long to wait for the receipt (default 120000)\n"
		"  --confirmations N       run: blocks deep (including the anchor's) to confirm (default %d)\n"
		"  --finalized             run: confirm when the node's `finalized` head reaches the block\n"
		"  --poll-ms N             run: pause between passes (default %d)\n"
		"  --once                  run: one pass, then exit\n"
		"  --until-idle            run: exit once every checkpoint is anchored and confirmed\n"
		"  --stuck-ms N            run: bump both fees of a transaction unmined this long (default %d)\n"
		"  --max-fee-gwei N        run: cap of maxFeePerGas (default %d)\n"
		"  --min-tip-wei N         run: floor of maxPriorityFeePerGas (default 1)\n"
		"  --finalized-stale-s N   run: alert when the finalized head is older (default %d, 0: off)\n"
		"  --metrics-file PATH     run: write Prometheus text metrics there after every pass (atomically)\n"
		"  --metrics               status: Prometheus text instead of JSON\n"
		"  --timeout-ms N          per-request RPC timeout (default 10000)\n"
		"  --log-level LEVEL       debug, info, warn, error\n",
		cmd, API_ANCHOR_DEFAULT_CONFIRMATIONS, DEFAULT_POLL_MS, API_ANCHOR_DEFAULT_STUCK_MS,
		API_ANCHOR_DEFAULT_MAX_FEE_GWEI, API_ANCHOR_DEFAULT_FINALIZED_STALE_S);
}

/* The numeric flags: accepted range (parse_u64) and the tail of the "bad --NAME" message. */
static const struct num_flag {
	int opt;
	const char *name;
	uint64_t min, max;
	const char *hint;
} num_flags[] = {
	{ OPT_CHAIN_ID, "chain-id", 1, INT64_MAX, "" },
	{ OPT_CONFIRMATIONS, "confirmations", 1, 1000000, " (1..1000000)" },
	{ OPT_POLL_MS, "poll-ms", 0, 3600000, "" },
	{ OPT_STUCK_MS, "stuck-ms", 0, 86400000, "" },
	{ OPT_MAX_FEE_GWEI, "max-fee-gwei", 1, 1000000000, "" },
	{ OPT_MIN_TIP_WEI, "min-tip-wei", 0, UINT64_MAX, "" },
	{ OPT_STALE_S, "finalized-stale-s", 0, 30 * 86400, "" },
	{ OPT_TIMEOUT_MS, "timeout-ms", 1, 600000, "" },
	{ OPT_WAIT_MS, "wait-ms", 0, 86400000, "" },
};

static const struct num_flag *num_flag_of(int opt)
{
	for (size_t i = 0; i < sizeof(num_flags) / sizeof(num_flags[0]); i++)
		if (num_flags[i].opt == opt)
			return &num_flags[i];
	return NULL;
}

/* Returns -1 when parsing succeeded, else an exit code. NEED_DB: --db is required. */
static int parse_flags(int argc, char **argv, struct flags *f, bool need_db)
{
	memset(f, 0, sizeof(*f));
	api_anchor_options_defaults(&f->opt);
	f->poll_ms = DEFAULT_POLL_MS;
	f->deploy_wait_ms = DEFAULT_DEPLOY_WAIT_MS;
	bool confirmations_set = false;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		uint64_t v = 0;
		const struct num_flag *nf = num_flag_of(c);
		if (nf != NULL && (!parse_u64(optarg, nf->max, &v) || v < nf->min))
			return cli_usage_error(PROG, "bad --%s '%s'%s", nf->name, optarg, nf->hint);
		switch (c) {
		case OPT_RPC:
			if (strlen(optarg) >= sizeof(f->rpc))
				return cli_usage_error(PROG, "--rpc list is too long");
			snprintf(f->rpc, sizeof(f->rpc), "%s", optarg);
			break;
		case OPT_KEY:
			f->key_file = optarg;
			break;
		case OPT_DB:
			f->dsn = optarg;
			break;
		case OPT_ARTIFACT:
			f->artifact = optarg;
			break;
		case OPT_CHAIN_ID:
			f->opt.chain_id = v;
			break;
		case OPT_NETWORK:
			if (strcmp(optarg, "opbnb") == 0)
				f->opt.chain_id = API_ANCHOR_CHAIN_OPBNB_MAINNET;
			else if (strcmp(optarg, "opbnb-testnet") == 0)
				f->opt.chain_id = API_ANCHOR_CHAIN_OPBNB_TESTNET;
			else
				return cli_usage_error(PROG, "unknown --network '%s' (opbnb, opbnb-testnet)", optarg);
			break;
		case OPT_CONFIRMATIONS:
			f->opt.confirmations = (unsigned)v;
			confirmations_set = true;
			break;
		case OPT_FINALIZED:
			f->opt.use_finalized = true;
			break;
		case OPT_POLL_MS:
			f->poll_ms = (unsigned)v;
			break;
		case OPT_ONCE:
			f->once = true;
			break;
		case OPT_UNTIL_IDLE:
			f->until_idle = true;
			break;
		case OPT_STUCK_MS:
			f->opt.stuck_ms = (unsigned)v;
			break;
		case OPT_MAX_FEE_GWEI:
			chain_u256_from_u64(&f->opt.max_fee_cap, v * 1000000000u);
			break;
		case OPT_MIN_TIP_WEI:
			chain_u256_from_u64(&f->opt.min_priority_fee, v);
			break;
		case OPT_STALE_S:
			f->opt.finalized_stale_s = (unsigned)v;
			break;
		case OPT_TIMEOUT_MS:
			f->timeout_ms = (unsigned)v;
			break;
		case OPT_WAIT_MS:
			f->deploy_wait_ms = (unsigned)v;
			break;
		case OPT_LOG_LEVEL: {
			enum tc_log_level lvl;
			if (!tc_is_ok(tc_log_level_parse(optarg, &lvl)))
				return cli_usage_error(PROG, "bad --log-level '%s'", optarg);
			tc_log_set_level(lvl);
			break;
		}
		case OPT_METRICS:
			f->metrics = true;
			break;
		case OPT_METRICS_FILE:
			f->metrics_file = optarg;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return CLI_EXIT_OK;
		default:
			usage(stderr, argv[0]);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cli_usage_error(PROG, "unexpected argument '%s'", argv[optind]);
	if (f->opt.use_finalized && confirmations_set)
		return cli_usage_error(PROG, "--confirmations and --finalized exclude each other");
	if (f->once && f->until_idle)
		return cli_usage_error(PROG, "--once and --until-idle exclude each other");
	if (need_db && f->dsn == NULL)
		return cli_usage_error(PROG, "--db DSN is required");
	return -1;
}

static int fail(const char *what, struct tc_result r)
{
	fprintf(stderr, PROG ": %s: %s: %s\n", what, tc_error_info(r.code)->code, tc_error_detail());
	return CLI_EXIT_INTERNAL;
}

/*
 * Parse the flags, open the RPC client and load the key (both commands that send transactions need them):
 * -1 when all succeeded, else an exit code.
 */
static int open_chain(int argc, char **argv, struct flags *f, struct chain_rpc **rpc, struct chain_key *key)
{
	int rc = parse_flags(argc, argv, f, true);
	if (rc >= 0)
		return rc;
	memset(key, 0, sizeof(*key));
	if (f->rpc[0] == '\0' || f->key_file == NULL)
		return cli_usage_error(PROG, "--rpc URL and --key FILE are required");
	struct chain_rpc_options ro;
	memset(&ro, 0, sizeof(ro));
	ro.timeout_ms = f->timeout_ms;
	struct tc_result r = chain_rpc_options_parse_urls(f->rpc, &ro);
	if (!tc_is_ok(r))
		return cli_usage_error(PROG, "--rpc: %s", tc_error_detail());
	r = chain_rpc_new(&ro, rpc);
	if (!tc_is_ok(r))
		return cli_usage_error(PROG, "--rpc: %s", tc_error_detail());
	r = chain_key_load_file(key, f->key_file);
	if (!tc_is_ok(r)) {
		chain_rpc_free(rpc);
		return fail("loading the key", r);
	}
	return -1;
}

static TC_RESULT load_bytecode(const char *artifact, struct tc_buf *out)
{
	struct tc_result r = tc_ok();
	json_t *doc = NULL;
	struct tc_buf file;
	tc_buf_init(&file, ARTIFACT_MAX);
	const char *hex = api_anchor_contract_bytecode_hex;
	if (artifact != NULL) {
		TC_GUARD_GOTO(r, tc_file_read(artifact, ARTIFACT_MAX, &file), out);
		TC_GUARD_GOTO(r, tc_json_parse((const char *)file.data, file.len, ARTIFACT_MAX, &doc), out);
		hex = json_string_value(json_object_get(doc, "bytecode"));
		TC_ENSURE_GOTO(r, hex != NULL, out, TC_ERR_INVALID_ARGUMENT, "%s has no \"bytecode\" string", artifact);
	}
	size_t n = strlen(hex);
	TC_ENSURE_GOTO(r, n > 2 && hex[0] == '0' && hex[1] == 'x', out, TC_ERR_INVALID_ARGUMENT, "bytecode lacks 0x");
	TC_GUARD_GOTO(r, tc_hex_decode(hex + 2, n - 2, out), out);
out:
	json_decref(doc);
	tc_buf_cleanup(&file);
	return r;
}

static int cmd_deploy(int argc, char **argv)
{
	struct flags f;
	struct chain_rpc *rpc = NULL;
	struct chain_key key;
	int rc = open_chain(argc, argv, &f, &rpc, &key);
	if (rc >= 0)
		return rc;
	struct db_conn *db = NULL;
	struct tc_buf code;
	tc_buf_init(&code, ARTIFACT_MAX);
	struct db_anchor_config cfg;
	struct tc_result r = load_bytecode(f.artifact, &code);
	rc = CLI_EXIT_INTERNAL;
	if (!tc_is_ok(r)) {
		rc = fail("reading the contract bytecode", r);
		goto out;
	}
	if (!tc_is_ok(r = db_conn_open(f.dsn, &db)) || !tc_is_ok(r = db_schema_check(db))) {
		rc = fail("database", r);
		goto out;
	}
	r = api_anchor_deploy(rpc, db, &key, f.opt.chain_id, code.data, code.len, &f.opt, f.deploy_wait_ms, &cfg);
	if (!tc_is_ok(r)) {
		rc = fail("deploy", r);
		goto out;
	}
	char addr[CHAIN_ADDRESS_STR_SIZE];
	chain_address_to_eip55(cfg.contract, addr);
	printf("%s\n", addr);
	rc = CLI_EXIT_OK;
out:
	tc_buf_cleanup(&code);
	db_conn_free(&db);
	chain_rpc_free(&rpc);
	chain_key_cleanup(&key);
	return rc;
}

static void pause_ms(unsigned ms)
{
	/* In slices, so a signal ends the pause promptly. */
	while (ms > 0 && !stop_requested) {
		unsigned step = ms > 100 ? 100 : ms;
		struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)step * 1000000L };
		nanosleep(&ts, NULL);
		ms -= step;
	}
}

static bool transient(struct tc_result r)
{
	return r.code == TC_ERR_CHAIN_UNAVAILABLE || r.code == TC_ERR_DB_UNAVAILABLE || r.code == TC_ERR_DB_CONFLICT;
}

/* The worker's counters and the database's view, as a Prometheus text file (node_exporter textfile style). */
static void write_metrics(const char *path, struct api_anchor_worker *w, struct db_conn *db)
{
	struct db_anchor_tip tip;
	bool have_tip = db != NULL && tc_is_ok(db_anchor_tip(db, w->opt.chain_id, &tip));
	struct tc_buf b;
	tc_buf_init(&b, METRICS_MAX);
	struct tc_result r = api_anchor_metrics_format(&w->metrics, have_tip ? &tip : NULL, tc_time_now(), &b);
	if (tc_is_ok(r))
		r = tc_file_write(path, b.data, b.len, 0644);
	if (!tc_is_ok(r))
		tc_log(TC_LOG_WARN, "anchor_metrics_write_failed", "%s: %s", path, tc_error_detail());
	tc_buf_cleanup(&b);
}

static int cmd_run(int argc, char **argv)
{
	struct flags f;
	struct chain_rpc *rpc = NULL;
	struct chain_key key;
	int rc = open_chain(argc, argv, &f, &rpc, &key);
	if (rc >= 0)
		return rc;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	struct db_conn *db = NULL;
	struct api_anchor_worker w;
	struct tc_result r;
	rc = CLI_EXIT_INTERNAL;
	/* Start-up waits for an unreachable node or database instead of giving up (systemd restarts us anyway). */
	for (;;) {
		r = db == NULL ? db_conn_open(f.dsn, &db) : tc_ok();
		if (tc_is_ok(r))
			r = db_schema_check(db);
		if (tc_is_ok(r))
			r = api_anchor_worker_init(&w, rpc, db, &key, &f.opt);
		if (tc_is_ok(r))
			break;
		if (!transient(r) || f.once || stop_requested) {
			rc = fail("start-up", r);
			goto out;
		}
		tc_log(TC_LOG_WARN, "anchor_startup_retry", "%s: %s", tc_error_info(r.code)->code, tc_error_detail());
		pause_ms(f.poll_ms > 0 ? f.poll_ms : 1000);
	}
	char addr[CHAIN_ADDRESS_STR_SIZE];
	chain_address_to_eip55(w.cfg.contract, addr);
	tc_log(TC_LOG_INFO, "anchor_start", "contract=%s chain_id=%" PRIu64 " mode=%s", addr, f.opt.chain_id,
	       f.opt.use_finalized ? "finalized" : "depth");
	while (!stop_requested) {
		bool busy = true;
		r = api_anchor_tick(&w, &busy);
		if (!tc_is_ok(r)) {
			w.metrics.tick_errors++;
			tc_log(transient(r) ? TC_LOG_WARN : TC_LOG_ERROR, "anchor_tick_failed", "%s: %s (errors=%llu)",
			       tc_error_info(r.code)->code, tc_error_detail(), w.metrics.tick_errors);
			if (f.once) {
				rc = fail("run", r);
				goto out;
			}
		}
		if (f.metrics_file != NULL)
			write_metrics(f.metrics_file, &w, db);
		if (f.once || (f.until_idle && tc_is_ok(r) && !busy))
			break;
		pause_ms(f.poll_ms);
	}
	const struct api_anchor_metrics *m = &w.metrics;
	tc_log(TC_LOG_INFO, "anchor_stop",
	       "planned=%llu broadcasts=%llu rebroadcasts=%llu fee_bumps=%llu mined=%llu confirmed=%llu reorgs=%llu "
	       "dropped=%llu reverted=%llu finalized_stale_alerts=%llu fee_cap_alerts=%llu tick_errors=%llu",
	       m->planned, m->broadcasts, m->rebroadcasts, m->fee_bumps, m->mined, m->confirmed, m->reorgs, m->dropped,
	       m->reverted, m->finalized_stale_alerts, m->fee_cap_alerts, m->tick_errors);
	rc = CLI_EXIT_OK;
out:
	db_conn_free(&db);
	chain_rpc_free(&rpc);
	chain_key_cleanup(&key);
	return rc;
}

/* `status` as one JSON object (jansson builds it, so every string is escaped and every number exact). */
static json_t *status_json(bool found, const struct db_anchor_config *cfg, const struct db_anchor_tip *tip)
{
	if (!found)
		return json_pack("{s:b}", "configured", 0);
	json_t *states = json_object();
	if (states == NULL)
		return NULL;
	for (int s = 0; s < DB_ANCHOR_STATE_COUNT; s++) {
		if (json_object_set_new(states, db_anchor_state_name((enum db_anchor_state)s),
					json_integer((json_int_t)tip->count[s])) != 0) {
			json_decref(states);
			return NULL;
		}
	}
	char addr[CHAIN_ADDRESS_STR_SIZE], from[CHAIN_ADDRESS_STR_SIZE];
	chain_address_to_eip55(cfg->contract, addr);
	chain_address_to_eip55(cfg->from, from);
	/* "o" steals STATES, also when json_pack fails. */
	return json_pack("{s:b, s:I, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:o}", "configured", 1, "chain_id",
			 (json_int_t)cfg->chain_id, "contract", addr, "owner", from, "deploy_block",
			 (json_int_t)cfg->deploy_block, "last_tree_size", (json_int_t)tip->last_tree_size,
			 "confirmed_tree_size", (json_int_t)tip->confirmed_tree_size, "confirmed_block",
			 (json_int_t)tip->confirmed_block, "next_nonce", (json_int_t)tip->next_nonce, "states", states);
}

static int cmd_status(int argc, char **argv)
{
	struct flags f;
	int rc = parse_flags(argc, argv, &f, true);
	if (rc >= 0)
		return rc;
	struct db_conn *db = NULL;
	struct db_anchor_config cfg;
	struct db_anchor_tip tip;
	bool found = false;
	struct tc_result r = db_conn_open(f.dsn, &db);
	if (tc_is_ok(r))
		r = db_anchor_config_get(db, &cfg, &found);
	if (tc_is_ok(r) && found)
		f.opt.chain_id = cfg.chain_id;
	if (tc_is_ok(r))
		r = db_anchor_tip(db, f.opt.chain_id, &tip);
	db_conn_free(&db);
	if (!tc_is_ok(r))
		return fail("status", r);
	if (f.metrics) {
		struct tc_buf b;
		tc_buf_init(&b, METRICS_MAX);
		r = api_anchor_metrics_format(NULL, &tip, tc_time_now(), &b);
		if (tc_is_ok(r) && fwrite(b.data, 1, b.len, stdout) != b.len)
			r = tc_fail(TC_ERR_IO, "writing to stdout failed");
		tc_buf_cleanup(&b);
		if (!tc_is_ok(r))
			return fail("status", r);
	} else {
		json_t *doc = status_json(found, &cfg, &tip);
		if (doc == NULL)
			return fail("status", tc_fail(TC_ERR_NO_MEMORY, "building the status JSON"));
		int dumped = json_dumpf(doc, stdout, JSON_COMPACT);
		json_decref(doc);
		if (dumped != 0 || fputc('\n', stdout) == EOF)
			return fail("status", tc_fail(TC_ERR_IO, "writing to stdout failed"));
	}
	if (fflush(stdout) != 0)
		return fail("status", tc_fail(TC_ERR_IO, "writing to stdout failed"));
	return CLI_EXIT_OK;
}

/* The EIP-55 address of the chain key: the account to fund before `deploy` and `run`. No RPC, no database. */
static int cmd_address(int argc, char **argv)
{
	struct flags f;
	int rc = parse_flags(argc, argv, &f, false);
	if (rc >= 0)
		return rc;
	if (f.key_file == NULL)
		return cli_usage_error(PROG, "--key FILE is required");
	struct chain_key key;
	struct tc_result r = chain_key_load_file(&key, f.key_file);
	if (!tc_is_ok(r))
		return fail("loading the key", r);
	char addr[CHAIN_ADDRESS_STR_SIZE];
	chain_address_to_eip55(key.address, addr);
	chain_key_cleanup(&key);
	if (printf("%s\n", addr) < 0 || fflush(stdout) != 0)
		return fail("address", tc_fail(TC_ERR_IO, "writing to stdout failed"));
	return CLI_EXIT_OK;
}

static const struct cli_command commands[] = {
	{ "deploy", cmd_deploy, "deploy TeecertAnchor and record it (--rpc URL --key FILE --db DSN)" },
	{ "run", cmd_run, "anchor checkpoints (--rpc URL[,URL2] --key FILE --db DSN [--confirmations N|--finalized])" },
	{ "status", cmd_status, "print the contract and the anchor states as JSON, or --metrics (--db DSN)" },
	{ "address", cmd_address, "print the EIP-55 address of the chain key, the account to fund (--key FILE)" },
	{ NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return cli_dispatch(
		PROG,
		"teecert-anchor: anchors transparency-log checkpoints on opBNB (chain id 204; testnet 5611).\n"
		"See docs/anchor.md.",
		commands, argc, argv);
}
