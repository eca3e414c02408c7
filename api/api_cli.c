/*
 * api_cli.c — the `serve` and `migrate` subcommands shared by teecert-ca and teecert-verifier, so that the
 * two mains stay thin (DESIGN.md "Processes"). Exit codes are those of cli/cli.h (0 ok, 1 usage,
 * 3 could not complete).
 *
 * serve refuses to start when the database cannot be reached or its schema is not the one this binary
 * knows, and prints `listening on http[s]://HOST:PORT` (flushed) once it accepts connections: scripts and
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
#define API_CLI_DEFAULT_THREADS 0 /* a thread per connection: api_server.c "Threading model" */
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
	struct api_coll_cli coll; /* vendor collateral service (both services; api_collateral_cli.c) */
	/* teecert-verifier: evidence appraisal, read replica, per-client rate limit (docs/admission.md) */
	const char *appraisal_policies[API_APPRAISE_POLICIES_MAX];
	size_t n_appraisal_policies;
	const char *read_db, *rate_limit;
	unsigned rate_burst, admission_cache_ms;
	/* HTTPS and admin client certificates (both services; docs/ca-service.md "Admin authentication") */
	const char *tls_cert, *tls_key, *tls_key_passphrase_file, *client_ca, *admin_client_ca;
	const char *admin_sha256[API_TLS_ADMIN_FPS_MAX];
	size_t n_admin_sha256;
	const char *client_crl[API_TLS_CRL_FILES_MAX];
	size_t n_client_crl;
};

static void serve_usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s serve [--listen HOST:PORT] [--db DSN] [--pool N] [--threads N]\n"
		"       [--max-connections N] [--challenge-lifetime SECONDS] [--log-level debug|info|warn|error]\n\n"
		"Serve the REST API until SIGTERM/SIGINT (then finish in-flight requests and exit 0).\n\n"
		"  --listen HOST:PORT          address to bind (default %s; port 0 picks a free port;\n"
		"                              IPv6 as [ADDR]:PORT). Prints 'listening on http[s]://HOST:PORT'.\n"
		"  --db DSN                    PostgreSQL conninfo or URI (default: $TEECERT_DB_DSN)\n"
		"  --pool N                    database connections (default %d)\n"
		"  --threads N                 verifier: serve from a pool of N epoll worker threads instead of a\n"
		"                              thread per connection (default %d: a thread per connection; the CA\n"
		"                              always serves each connection on a thread of its own)\n"
		"  --max-connections N         concurrent HTTP connections (default %d)\n"
		"  --challenge-lifetime S      lifetime of challenge nonces in seconds (default %d)\n"
		"  --log-level L               minimum log level (default info)\n"
		"  --tls-cert PEM --tls-key PEM  serve HTTPS (TLS 1.2/1.3; P-256, P-384 or RSA key)\n"
		"  --tls-key-passphrase-file F the passphrase of an encrypted --tls-key (the file's first line)\n"
		"  --client-ca PEM             request client certificates from these CAs (verified with OpenSSL)\n"
		"  --admin-cert-sha256 HEX     a verified client certificate with this SHA-256 (DER) is an admin\n"
		"                              (repeatable); --admin-client-ca PEM: ... or one chaining to these\n"
		"  --client-crl PEM            CRLs of the client CAs (repeatable; each signed by a --client-ca or\n"
		"                              --admin-client-ca certificate): every certificate of a client chain\n"
		"                              then needs a current CRL from its issuer; re-read when the file\n"
		"                              changes (refresh it before its nextUpdate)\n\n"
		"teecert-ca only (docs/ca-service.md):\n"
		"  --ca-key FILE --passphrase-file F --ca-cert FILE [--ca-name NAME]   the issuing CA\n"
		"  --collateral DIR (repeatable) --trust-anchor ROLE=FILE --policy FILE appraisal inputs\n"
		"                              (the folders are imported into the collateral store at start)\n"
		"  --admin-token-file F        bearer token of the admin endpoints (revoke)\n"
		"  --public-url URL            base URL for the CRL distribution point and OCSP URL\n"
		"  --log-origin NAME           log id written into certificates (default " API_CA_LOG_ORIGIN_DEFAULT ")\n"
		"  --log-key FILE              sign checkpoints of the log with this Ed25519 key (teecert-ca log-key),\n"
		"                              named --log-origin, every --checkpoint-every N entries (default 256)\n"
		"                              or --checkpoint-interval S seconds (default 60)\n\n"
		"teecert-verifier only (docs/admission.md; without them the admission endpoints answer 503):\n"
		"  --trust-root PEM            the root(s) presented chains must reach\n"
		"  --signing-key PEM           P-256 key of the signed (JWS ES256) verdicts\n"
		"  --policy FILE               the current admission policy (a vf policy + require_anchored)\n"
		"  --appraisal-policy NAME=FILE a vf policy POST /v1/evidence/appraise may name (repeatable;\n"
		"                              \"default\" is the admission policy, else the built-in defaults)\n"
		"  --trust-anchor ROLE=FILE    trust anchors of the appraisal (default: the pinned vendor roots)\n"
		"  --read-db DSN               read-only routes (history, CAs, log, admission lookups) use this DSN\n"
		"  --rate-limit N/s            per-client token bucket (client certificate, else IP); 0: off\n"
		"  --rate-burst B              bucket size (default: the rate, at least 1)\n"
		"  --admission-cache-ms MS     reuse a chain's database facts (revocation, appraisal, anchor) this\n"
		"                              long (default 0: read on every admission; revocations then show\n"
		"                              within MS)\n",
		prog, API_CLI_DEFAULT_LISTEN, API_DEFAULT_POOL_SIZE, API_CLI_DEFAULT_THREADS,
		API_DEFAULT_MAX_CONNECTIONS, API_DEFAULT_CHALLENGE_LIFETIME_S);
	api_coll_cli_usage(f);
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
		{ "--threads", 0, API_CLI_MAX_THREADS, offsetof(struct serve_opts, threads) },
		{ "--max-connections", 1, API_CLI_MAX_CONNECTIONS, offsetof(struct serve_opts, max_connections) },
		{ "--challenge-lifetime", 1, API_CLI_MAX_LIFETIME_S,
		  offsetof(struct serve_opts, challenge_lifetime_s) },
		{ "--checkpoint-every", 1, 1000000, offsetof(struct serve_opts, checkpoint_every_n) },
		{ "--checkpoint-interval", 1, 86400, offsetof(struct serve_opts, checkpoint_every_s) },
		{ "--rate-burst", 0, 1000000, offsetof(struct serve_opts, rate_burst) },
		{ "--admission-cache-ms", 0, 60000, offsetof(struct serve_opts, admission_cache_ms) },
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
		{ "--read-db", offsetof(struct serve_opts, read_db) },
		{ "--rate-limit", offsetof(struct serve_opts, rate_limit) },
		{ "--tls-cert", offsetof(struct serve_opts, tls_cert) },
		{ "--tls-key", offsetof(struct serve_opts, tls_key) },
		{ "--tls-key-passphrase-file", offsetof(struct serve_opts, tls_key_passphrase_file) },
		{ "--client-ca", offsetof(struct serve_opts, client_ca) },
		{ "--admin-client-ca", offsetof(struct serve_opts, admin_client_ca) },
	};

	for (int i = 1; i < argc; i++) {
		const char *v = NULL;
		bool missing = false;
		bool known = false;

		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			*help = true;
			return API_CLI_EXIT_OK;
		}
		if (api_coll_cli_take(argc, argv, &i, &o->coll, &missing)) {
			known = true;
		} else if (take_opt(argc, argv, &i, "--listen", &v, &missing)) {
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
		} else if (take_opt(argc, argv, &i, "--appraisal-policy", &v, &missing)) {
			if (o->n_appraisal_policies == API_APPRAISE_POLICIES_MAX)
				return usage_error(prog, "serve", "too many --appraisal-policy options");
			o->appraisal_policies[o->n_appraisal_policies++] = v;
			known = true;
		} else if (take_opt(argc, argv, &i, "--admin-cert-sha256", &v, &missing)) {
			if (o->n_admin_sha256 == API_TLS_ADMIN_FPS_MAX)
				return usage_error(prog, "serve", "too many --admin-cert-sha256 options");
			o->admin_sha256[o->n_admin_sha256++] = v;
			known = true;
		} else if (take_opt(argc, argv, &i, "--client-crl", &v, &missing)) {
			if (o->n_client_crl == API_TLS_CRL_FILES_MAX)
				return usage_error(prog, "serve", "too many --client-crl options");
			o->client_crl[o->n_client_crl++] = v;
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

/* --rate-limit "N/s", "N/m" or "N" (per second) into requests per second; 0 is off. */
static bool parse_rate(const char *s, double *out)
{
	char *end = NULL;

	errno = 0;
	double v = strtod(s, &end);

	if (errno != 0 || end == s || s[0] == '-' || !(v >= 0 && v <= 1e9))
		return false;
	if (strcmp(end, "/m") == 0)
		v /= 60;
	else if (*end != '\0' && strcmp(end, "/s") != 0)
		return false;
	*out = v;
	return true;
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
	api_ca_inputs_init(&in); /* --collateral folders go into the store (api_coll_serve_open) */
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

/* HTTPS: *TLS stays NULL without --tls-cert/--tls-key. */
static int tls_setup(const char *prog, const struct serve_opts *o, struct api_tls **tls)
{
	struct api_tls_options to = { .cert_file = o->tls_cert,
				      .key_file = o->tls_key,
				      .key_passphrase_file = o->tls_key_passphrase_file,
				      .client_ca_file = o->client_ca,
				      .admin_client_ca_file = o->admin_client_ca,
				      .n_admin_sha256 = o->n_admin_sha256 };

	if (!o->tls_cert && !o->tls_key && !o->tls_key_passphrase_file && !o->client_ca && !o->admin_client_ca &&
	    o->n_admin_sha256 == 0 && o->n_client_crl == 0)
		return API_CLI_EXIT_OK;
	if (!o->tls_cert || !o->tls_key)
		return usage_error(prog, "serve", "%s", "HTTPS needs both --tls-cert and --tls-key");
	memcpy(to.admin_sha256, o->admin_sha256, sizeof(to.admin_sha256));
	memcpy(to.client_crl, o->client_crl, sizeof(to.client_crl));
	to.n_client_crl = o->n_client_crl;
	if (!tc_is_ok(api_tls_load(&to, tls)))
		return usage_error(prog, "serve", "%s", tc_error_detail());
	return API_CLI_EXIT_OK;
}

int api_cli_serve(const char *prog, const char *service, int argc, char **argv)
{
	struct serve_opts o = { .listen = API_CLI_DEFAULT_LISTEN,
				.dsn = getenv("TEECERT_DB_DSN"),
				.pool = API_DEFAULT_POOL_SIZE,
				.threads = API_CLI_DEFAULT_THREADS,
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
	double rate = 0;

	if (o.rate_limit && !parse_rate(o.rate_limit, &rate))
		return usage_error(prog, "serve", "bad --rate-limit '%s' (N/s, N/m or N; 0: off)", o.rate_limit);
	if (o.read_db && (rc = preflight(prog, o.read_db)) != API_CLI_EXIT_OK)
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
						    .signing_key_file = o.signing_key,
						    .db_cache_ms = o.admission_cache_ms };

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
	struct api_coll_serve *coll = NULL;

	rc = api_coll_serve_open(prog, &o.coll, o.dsn, ca, o.collateral, o.n_collateral, o.anchors, o.n_anchors, &coll);
	if (rc != API_CLI_EXIT_OK) {
		api_checkpointer_stop(&checkpointer);
		api_ca_free(&ca);
		api_admission_free(&admission);
		tc_buf_cleanup(&token);
		return rc;
	}
	struct api_tls *tls = NULL;

	rc = tls_setup(prog, &o, &tls);
	if (rc != API_CLI_EXIT_OK) {
		api_checkpointer_stop(&checkpointer);
		api_ca_free(&ca);
		api_coll_serve_free(&coll);
		api_admission_free(&admission);
		tc_buf_cleanup(&token);
		return rc;
	}
	struct api_appraise_inputs *appraise = NULL;

	if (strcmp(service, "verifier") == 0 &&
	    !tc_is_ok(api_appraise_inputs_new(o.anchors, o.n_anchors, o.appraisal_policies, o.n_appraisal_policies,
					      &appraise))) {
		rc = usage_error(prog, "serve", "%s", tc_error_detail());
		api_admission_free(&admission);
		api_coll_serve_free(&coll);
		api_tls_free(&tls);
		tc_buf_cleanup(&token);
		return rc;
	}
	api_config_init(&cfg);
	cfg.collateral = api_coll_serve_service(coll);
	cfg.tls = tls;
	api_appraise_inputs_apply(appraise, &cfg);
	cfg.read_dsn = o.read_db;
	cfg.rate_per_s = rate;
	cfg.rate_burst = o.rate_burst;
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
	/* api_server.c "Threading model": issuances wait for their batch, and a vendor fetch waits for the vendor. */
	cfg.thread_per_connection = ca != NULL || o.threads == 0;
	if (!cfg.thread_per_connection && !o.coll.offline)
		tc_log(TC_LOG_WARN, "server_pool_online",
		       "--threads %u without --collateral-offline: a request whose collateral is fetched from a vendor "
		       "stalls the other connections of its worker thread",
		       o.threads);
	cfg.max_connections = o.max_connections;
	cfg.challenge_lifetime_s = (int)o.challenge_lifetime_s;
	cfg.handle_signals = true;
	if (!tc_is_ok(api_server_start(&cfg, &server))) {
		fprintf(stderr, "%s: cannot start the server: %s\n", prog, tc_error_detail());
		api_checkpointer_stop(&checkpointer);
		api_ca_free(&ca);
		api_coll_serve_free(&coll);
		api_admission_free(&admission);
		api_tls_free(&tls);
		api_appraise_inputs_free(&appraise);
		tc_buf_cleanup(&token);
		return API_CLI_EXIT_INTERNAL;
	}
	bool v6 = strchr(host, ':') != NULL;

	printf("listening on %s://%s%s%s:%u\n", tls ? "https" : "http", v6 ? "[" : "", host, v6 ? "]" : "",
	       (unsigned)api_server_port(server));
	fflush(stdout);
	api_server_wait(server);
	unsigned left = api_server_stop(server);

	api_server_free(&server);
	api_checkpointer_stop(&checkpointer);
	api_ca_free(&ca);
	api_coll_serve_free(&coll);
	api_admission_free(&admission);
	api_tls_free(&tls); /* zeroes the TLS key */
	api_appraise_inputs_free(&appraise);
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
