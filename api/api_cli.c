/*
 * api_cli.c — the `serve` and `migrate` subcommands shared by teecert-ca and teecert-verifier, so that the
 * two mains stay thin (DESIGN.md "Processes"). Exit codes are those of cli/cli.h (0 ok, 1 usage,
 * 3 could not complete).
 *
 * serve refuses to start when the database cannot be reached or its schema is not the one this binary
 * knows, and prints `listening on http://HOST:PORT` (flushed) once it accepts connections: scripts and
 * tests read that line to learn an ephemeral port.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"

#define API_CLI_DEFAULT_LISTEN "127.0.0.1:8080"
#define API_CLI_MAX_POOL 1024
#define API_CLI_MAX_THREADS 1024
#define API_CLI_MAX_CONNECTIONS 65536
#define API_CLI_MAX_LIFETIME_S 86400

struct serve_opts {
	const char *listen;
	const char *dsn;
	const char *log_level;
	unsigned pool;
	unsigned threads;
	unsigned max_connections;
	unsigned challenge_lifetime_s;
	unsigned checkpoint_every_n, checkpoint_every_s;
	/* teecert-ca only */
	const char *ca_key, *passphrase_file, *ca_cert, *ca_name, *policy, *admin_token_file;
	const char *public_url, *log_origin, *log_key;
	/* teecert-verifier only: admission (docs/admission.md) */
	const char *trust_root, *signing_key;
	const char *collateral[4]; /* --collateral DIR, repeatable (one folder per vendor) */
	size_t n_collateral;
	const char *anchors[16];
	size_t n_anchors;
};

static void serve_usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s serve [--listen HOST:PORT] [--db DSN] [--pool N] [--threads N]\n"
		"       [--max-connections N] [--challenge-lifetime SECONDS] [--log-level debug|info|warn|error]\n\n"
		"Serve the REST API until SIGTERM/SIGINT (then finish in-flight requests and exit 0).\n\n"
		"  --listen HOST:PORT          address to bind (default %s; port 0 picks a free port;\n"
		"                              IPv6 as [ADDR]:PORT). Prints 'listening on http://HOST:PORT'.\n"
		"  --db DSN                    PostgreSQL conninfo or URI (default: $TEECERT_DB_DSN)\n"
		"  --pool N                    database connections (default %d)\n"
		"  --threads N                 HTTP worker threads (default %d)\n"
		"  --max-connections N         concurrent HTTP connections (default %d)\n"
		"  --challenge-lifetime S      lifetime of challenge nonces in seconds (default %d)\n"
		"  --log-level L               minimum log level (default info)\n\n"
		"teecert-ca only (docs/ca-service.md):\n"
		"  --ca-key FILE --passphrase-file F --ca-cert FILE [--ca-name NAME]   the issuing CA\n"
		"  --collateral DIR (repeatable) --trust-anchor ROLE=FILE --policy FILE appraisal inputs\n"
		"  --admin-token-file F        bearer token of the admin endpoints (revoke)\n"
		"  --public-url URL            base URL for the CRL distribution point and OCSP URL\n"
		"  --log-origin NAME           log id written into certificates (default " API_CA_LOG_ORIGIN_DEFAULT ")\n"
		"  --log-key FILE              sign checkpoints of the log with this Ed25519 key (teecert-ca log-key),\n"
		"                              named --log-origin, every --checkpoint-every N entries (default 256)\n"
		"                              or --checkpoint-interval S seconds (default 60)\n\n"
		"teecert-verifier only (docs/admission.md; without them the admission endpoints answer 503):\n"
		"  --trust-root PEM            the root(s) presented chains must reach\n"
		"  --signing-key PEM           P-256 key of the signed (JWS ES256) verdicts\n"
		"  --policy FILE               the current admission policy (a vf policy + require_anchored)\n",
		prog, API_CLI_DEFAULT_LISTEN, API_DEFAULT_POOL_SIZE, API_DEFAULT_THREADS, API_DEFAULT_MAX_CONNECTIONS,
		API_DEFAULT_CHALLENGE_LIFETIME_S);
}

static void migrate_usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s migrate [--db DSN]\n\n"
		"Apply the missing schema migrations, each in its own transaction, and print how many ran and the\n"
		"resulting schema version.\n\n"
		"  --db DSN    PostgreSQL conninfo or URI (default: $TEECERT_DB_DSN)\n",
		prog);
}

TC_PRINTF(3, 4) static int usage_error(const char *prog, const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s %s: ", prog, cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see '%s %s --help')\n", prog, cmd);
	return API_CLI_EXIT_USAGE;
}

/*
 * Option at ARGV[*I] named NAME ("--db"): true when it is, with its value in *VALUE ("--db X" or "--db=X").
 * *MISSING is set when the value is absent.
 */
static bool take_opt(int argc, char **argv, int *i, const char *name, const char **value, bool *missing)
{
	size_t n = strlen(name);
	const char *arg = argv[*i];

	if (strncmp(arg, name, n) != 0)
		return false;
	if (arg[n] == '=') {
		*value = arg + n + 1;
		return true;
	}
	if (arg[n] != '\0')
		return false;
	if (*i + 1 >= argc) {
		*missing = true;
		return true;
	}
	*value = argv[++*i];
	return true;
}

static bool parse_unsigned(const char *s, unsigned min, unsigned max, unsigned *out)
{
	char *end = NULL;

	errno = 0;
	unsigned long v = strtoul(s, &end, 10);

	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < min || v > max)
		return false;
	*out = (unsigned)v;
	return true;
}

static int parse_serve(const char *prog, int argc, char **argv, struct serve_opts *o, bool *help)
{
	static const struct {
		const char *name;
		unsigned min, max;
		size_t offset;
	} nums[] = {
		{ "--pool", 1, API_CLI_MAX_POOL, offsetof(struct serve_opts, pool) },
		{ "--threads", 1, API_CLI_MAX_THREADS, offsetof(struct serve_opts, threads) },
		{ "--max-connections", 1, API_CLI_MAX_CONNECTIONS, offsetof(struct serve_opts, max_connections) },
		{ "--challenge-lifetime", 1, API_CLI_MAX_LIFETIME_S,
		  offsetof(struct serve_opts, challenge_lifetime_s) },
		{ "--checkpoint-every", 1, 1000000, offsetof(struct serve_opts, checkpoint_every_n) },
		{ "--checkpoint-interval", 1, 86400, offsetof(struct serve_opts, checkpoint_every_s) },
	};
	static const struct {
		const char *name;
		size_t offset;
	} strs[] = {
		{ "--ca-key", offsetof(struct serve_opts, ca_key) },
		{ "--passphrase-file", offsetof(struct serve_opts, passphrase_file) },
		{ "--ca-cert", offsetof(struct serve_opts, ca_cert) },
		{ "--ca-name", offsetof(struct serve_opts, ca_name) },
		{ "--policy", offsetof(struct serve_opts, policy) },
		{ "--admin-token-file", offsetof(struct serve_opts, admin_token_file) },
		{ "--public-url", offsetof(struct serve_opts, public_url) },
		{ "--log-origin", offsetof(struct serve_opts, log_origin) },
		{ "--log-key", offsetof(struct serve_opts, log_key) },
		{ "--trust-root", offsetof(struct serve_opts, trust_root) },
		{ "--signing-key", offsetof(struct serve_opts, signing_key) },
	};

	for (int i = 1; i < argc; i++) {
		const char *v = NULL;
		bool missing = false;
		bool known = false;

		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			*help = true;
			return API_CLI_EXIT_OK;
		}
		if (take_opt(argc, argv, &i, "--listen", &v, &missing)) {
			o->listen = v;
			known = true;
		} else if (take_opt(argc, argv, &i, "--db", &v, &missing)) {
			o->dsn = v;
			known = true;
		} else if (take_opt(argc, argv, &i, "--log-level", &v, &missing)) {
			o->log_level = v;
			known = true;
		} else if (take_opt(argc, argv, &i, "--trust-anchor", &v, &missing)) {
			if (o->n_anchors == sizeof(o->anchors) / sizeof(o->anchors[0]))
				return usage_error(prog, "serve", "too many --trust-anchor options");
			o->anchors[o->n_anchors++] = v;
			known = true;
		} else if (take_opt(argc, argv, &i, "--collateral", &v, &missing)) {
			if (o->n_collateral == sizeof(o->collateral) / sizeof(o->collateral[0]))
				return usage_error(prog, "serve", "too many --collateral options");
			o->collateral[o->n_collateral++] = v;
			known = true;
		}
		for (size_t k = 0; !known && k < sizeof(strs) / sizeof(strs[0]); k++) {
			if (take_opt(argc, argv, &i, strs[k].name, &v, &missing)) {
				*(const char **)((char *)o + strs[k].offset) = v;
				known = true;
			}
		}
		for (size_t k = 0; !known && k < sizeof(nums) / sizeof(nums[0]); k++) {
			if (!take_opt(argc, argv, &i, nums[k].name, &v, &missing))
				continue;
			known = true;
			if (!missing &&
			    !parse_unsigned(v, nums[k].min, nums[k].max, (unsigned *)((char *)o + nums[k].offset)))
				return usage_error(prog, "serve", "bad value for %s", nums[k].name);
		}
		if (!known)
			return usage_error(prog, "serve", "unknown option '%s'", argv[i]);
		if (missing)
			return usage_error(prog, "serve", "option %s needs a value", argv[i]);
	}
	return API_CLI_EXIT_OK;
}

/* Refuse to serve a database we cannot use: unreachable, or a schema other than ours. */
static int preflight(const char *prog, const char *dsn)
{
	struct db_conn *conn = NULL;
	struct tc_result r = db_conn_open(dsn, &conn);

	if (!tc_is_ok(r)) {
		fprintf(stderr, "%s: cannot reach the database: %s\n", prog, tc_error_detail());
		return API_CLI_EXIT_INTERNAL;
	}
	r = db_schema_check(conn);
	db_conn_free(&conn);
	if (!tc_is_ok(r)) {
		fprintf(stderr, "%s: the database schema is not usable (%s: %s).\n", prog, tc_error_info(r.code)->code,
			tc_error_detail());
		if (r.code == TC_ERR_DB_SCHEMA_UNKNOWN)
			fprintf(stderr, "%s: the database is newer than this binary; upgrade %s.\n", prog, prog);
		else
			fprintf(stderr, "%s: run '%s migrate --db DSN' first.\n", prog, prog);
		return API_CLI_EXIT_INTERNAL;
	}
	return API_CLI_EXIT_OK;
}

/* teecert-ca serve: open the CA (key through the signer only), its appraisal inputs and the admin token. */
static int ca_setup(const char *prog, const struct serve_opts *o, struct api_ca **ca, struct tc_buf *token)
{
	struct api_ca_inputs in;
	struct db_conn *conn = NULL;
	struct api_ca_options co = { .name = o->ca_name, .key_file = o->ca_key, .passphrase_file = o->passphrase_file,
				     .cert_file = o->ca_cert, .public_url = o->public_url, .log_origin = o->log_origin };
	struct tc_result r = tc_ok();

	if (!o->ca_key || !o->ca_cert)
		return usage_error(prog, "serve", "%s", "the CA needs --ca-key FILE and --ca-cert FILE");
	api_ca_inputs_init(&in);
	for (size_t i = 0; tc_is_ok(r) && i < o->n_collateral; i++)
		r = api_ca_inputs_collateral_dir(&in, o->collateral[i]);
	for (size_t i = 0; tc_is_ok(r) && i < o->n_anchors; i++)
		r = api_ca_inputs_anchor(&in, o->anchors[i]);
	if (tc_is_ok(r) && o->policy)
		r = api_ca_inputs_policy_file(&in, o->policy);
	if (tc_is_ok(r) && o->admin_token_file)
		r = api_auth_token_load(o->admin_token_file, token);
	if (tc_is_ok(r))
		r = db_conn_open(o->dsn, &conn);
	if (tc_is_ok(r))
		r = api_ca_load(&co, conn, &in, ca);
	db_conn_free(&conn);
	api_ca_inputs_cleanup(&in);
	if (!tc_is_ok(r)) {
		fprintf(stderr, "%s serve: cannot set up the CA (%s): %s\n", prog, tc_error_info(r.code)->code,
			tc_error_detail());
		return API_CLI_EXIT_INTERNAL;
	}
	fprintf(stderr, "%s serve: CA '%s' (%s network)%s\n", prog, (*ca)->row.name, (*ca)->row.network,
		(*ca)->inputs.policy.allow_simulated ? ", simulated evidence allowed" : "");
	return API_CLI_EXIT_OK;
}

int api_cli_serve(const char *prog, const char *service, int argc, char **argv)
{
	struct serve_opts o = { .listen = API_CLI_DEFAULT_LISTEN,
				.dsn = getenv("TEECERT_DB_DSN"),
				.pool = API_DEFAULT_POOL_SIZE,
				.threads = API_DEFAULT_THREADS,
				.max_connections = API_DEFAULT_MAX_CONNECTIONS,
				.challenge_lifetime_s = API_DEFAULT_CHALLENGE_LIFETIME_S,
				.checkpoint_every_n = API_CHECKPOINT_EVERY_N_DEFAULT,
				.checkpoint_every_s = API_CHECKPOINT_EVERY_S_DEFAULT };
	struct api_config cfg;
	struct api_server *server = NULL;
	char host[API_HOST_MAX];
	uint16_t port = 0;
	bool help = false;
	enum tc_log_level level = TC_LOG_INFO;
	int rc = parse_serve(prog, argc, argv, &o, &help);

	if (rc != API_CLI_EXIT_OK || help) {
		if (help)
			serve_usage(stdout, prog);
		return rc;
	}
	if (o.log_level && !tc_is_ok(tc_log_level_parse(o.log_level, &level)))
		return usage_error(prog, "serve", "bad --log-level '%s' (debug, info, warn or error)", o.log_level);
	tc_log_set_level(level);
	if (!tc_is_ok(api_listen_parse(o.listen, host, sizeof(host), &port)))
		return usage_error(prog, "serve", "%s", tc_error_detail());
	if (!o.dsn || !o.dsn[0])
		return usage_error(prog, "serve", "%s", "no database: pass --db DSN or set TEECERT_DB_DSN");
	rc = preflight(prog, o.dsn);
	if (rc != API_CLI_EXIT_OK)
		return rc;

	struct api_ca *ca = NULL;
	struct api_admission *admission = NULL;
	struct api_checkpointer *checkpointer = NULL;
	struct tc_buf token;

	tc_buf_init(&token, API_CA_TOKEN_MAX + 2);
	if (strcmp(service, "ca") == 0) {
		rc = ca_setup(prog, &o, &ca, &token);
		if (rc != API_CLI_EXIT_OK) {
			tc_buf_cleanup(&token);
			return rc;
		}
	} else if (o.trust_root || o.signing_key) {
		struct api_admission_options ao = { .trust_root_file = o.trust_root,
						    .policy_file = o.policy,
						    .signing_key_file = o.signing_key };

		if (!o.trust_root || !o.signing_key)
			return usage_error(prog, "serve", "%s", "admission needs both --trust-root and --signing-key");
		if (!tc_is_ok(api_admission_load(&ao, &admission))) {
			fprintf(stderr, "%s: admission: %s\n", prog, tc_error_detail());
			return API_CLI_EXIT_USAGE;
		}
	}
	if (o.log_key && strcmp(service, "ca") == 0 &&
	    !tc_is_ok(api_checkpointer_start(o.dsn, o.log_key, o.log_origin ? o.log_origin : API_CA_LOG_ORIGIN_DEFAULT,
					     o.checkpoint_every_n, o.checkpoint_every_s, &checkpointer))) {
		fprintf(stderr, "%s: --log-key %s: %s\n", prog, o.log_key, tc_error_detail());
		api_ca_free(&ca);
		tc_buf_cleanup(&token);
		return API_CLI_EXIT_USAGE;
	}
	api_config_init(&cfg);
	cfg.ca = ca;
	cfg.admission = admission;
	cfg.admin_token = token.len ? token.data : NULL;
	cfg.admin_token_len = token.len;
	cfg.service = service;
	cfg.listen_host = host;
	cfg.port = port;
	cfg.dsn = o.dsn;
	cfg.pool_size = o.pool;
	cfg.threads = o.threads;
	cfg.max_connections = o.max_connections;
	cfg.challenge_lifetime_s = (int)o.challenge_lifetime_s;
	cfg.handle_signals = true;
	if (!tc_is_ok(api_server_start(&cfg, &server))) {
		fprintf(stderr, "%s: cannot start the server: %s\n", prog, tc_error_detail());
		api_checkpointer_stop(&checkpointer);
		api_ca_free(&ca);
		api_admission_free(&admission);
		tc_buf_cleanup(&token);
		return API_CLI_EXIT_INTERNAL;
	}
	bool v6 = strchr(host, ':') != NULL;

	printf("listening on http://%s%s%s:%u\n", v6 ? "[" : "", host, v6 ? "]" : "",
	       (unsigned)api_server_port(server));
	fflush(stdout);
	api_server_wait(server);
	unsigned left = api_server_stop(server);

	api_server_free(&server);
	api_checkpointer_stop(&checkpointer);
	api_ca_free(&ca);
	api_admission_free(&admission);
	tc_buf_cleanup(&token); /* zeroes the admin token */
	return left == 0 ? API_CLI_EXIT_OK : API_CLI_EXIT_INTERNAL;
}

int api_cli_migrate(const char *prog, int argc, char **argv)
{
	const char *dsn = getenv("TEECERT_DB_DSN");
	struct db_conn *conn = NULL;
	int applied = 0;

	for (int i = 1; i < argc; i++) {
		const char *v = NULL;
		bool missing = false;

		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			migrate_usage(stdout, prog);
			return API_CLI_EXIT_OK;
		}
		if (!take_opt(argc, argv, &i, "--db", &v, &missing))
			return usage_error(prog, "migrate", "unknown option '%s'", argv[i]);
		if (missing)
			return usage_error(prog, "migrate", "option %s needs a value", argv[i]);
		dsn = v;
	}
	if (!dsn || !dsn[0])
		return usage_error(prog, "migrate", "%s", "no database: pass --db DSN or set TEECERT_DB_DSN");
	if (!tc_is_ok(db_conn_open(dsn, &conn))) {
		fprintf(stderr, "%s: cannot reach the database: %s\n", prog, tc_error_detail());
		return API_CLI_EXIT_INTERNAL;
	}
	struct tc_result r = db_migrate(conn, &applied);

	db_conn_free(&conn);
	if (!tc_is_ok(r)) {
		fprintf(stderr, "%s: migration failed (%s): %s\n", prog, tc_error_info(r.code)->code,
			tc_error_detail());
		return API_CLI_EXIT_INTERNAL;
	}
	printf("applied %d migration%s; schema version %d\n", applied, applied == 1 ? "" : "s", db_schema_latest());
	fflush(stdout);
	return API_CLI_EXIT_OK;
}

int api_cli_parse_opts(const char *prog, const char *cmd, int argc, char **argv, const struct api_cli_opt *opts,
		       size_t n_opts, void *base, const char *repeat, const char **rep, size_t rep_max, size_t *n_rep,
		       bool *help)
{
	for (int i = 1; i < argc; i++) {
		const struct api_cli_opt *o = NULL;

		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			*help = true;
			return API_CLI_EXIT_OK;
		}
		for (size_t k = 0; k < n_opts && !o; k++)
			if (strcmp(argv[i], opts[k].name) == 0)
				o = &opts[k];
		if (!o && !(repeat && strcmp(argv[i], repeat) == 0))
			return usage_error(prog, cmd, "unknown option '%s'", argv[i]);
		if (i + 1 >= argc)
			return usage_error(prog, cmd, "option %s needs a value", argv[i]);
		if (o) {
			*(const char **)((char *)base + o->offset) = argv[++i];
		} else {
			if (*n_rep == rep_max)
				return usage_error(prog, cmd, "too many %s options", repeat);
			rep[(*n_rep)++] = argv[++i];
		}
	}
	return API_CLI_EXIT_OK;
}
