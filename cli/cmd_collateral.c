/*
 * cmd_collateral.c — `teecert collateral import|export|status|fetch` (docs/collateral.md): the vendor
 * collateral cache in PostgreSQL, filled online (Intel PCS / PCCS, AMD KDS, NVIDIA RIM service) or offline
 * from a folder of role-named files. Exit codes (cli.h): 0 done, 1 usage error, 2 an item was refused
 * (import/fetch verification failed), 3 database or network failure.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "cli.h"

#define COLL_PROG "teecert collateral"
#define COLL_CHAIN_MAX ((size_t)64 * 1024)

struct coll_args {
	const char *dsn;
	const char *at; /* verification time (RFC 3339), default now */
	struct api_collateral_config cfg;
};

static void coll_usage(FILE *f)
{
	fprintf(f,
		"usage: teecert collateral import DIR --db DSN [--at TIME]\n"
		"       teecert collateral export DIR --db DSN\n"
		"       teecert collateral status --db DSN [--at TIME]\n"
		"       teecert collateral fetch KIND KEY --db DSN [sources] [--at TIME]\n"
		"       teecert collateral fetch ocsp CHAIN.pem --db DSN [sources]\n"
		"  KIND KEY  tcb_info FMSPC | qe_identity td_qe | pck_crl platform|processor | root_ca_crl root |\n"
		"            vcek Product/CHIPIDHEX/bl.tee.snp.ucode[.fmc] | ark_ask_chain Product | asvk_chain Product |\n"
		"            amd_crl Product | rim RIM_ID\n"
		"  --db DSN             PostgreSQL (migrated: teecert-ca migrate)\n"
		"  --at TIME            verification time instead of now (RFC 3339), e.g. for archived collateral\n"
		"  sources: --intel-sgx-base URL, --intel-tdx-base URL (PCS v4 or a PCCS), --intel-root-crl URL,\n"
		"           --intel-update standard|early, --amd-kds URL, --nvidia-rim URL, --nvidia-ocsp URL,\n"
		"           --timeout-ms N, --attempts N\n"
		"exit: 0 done, 1 usage error, 2 an item was refused, 3 database/network failure\n");
}

static int64_t coll_fixed_clock(void *arg)
{
	return *(const int64_t *)arg;
}

static int coll_fail(struct tc_result r, const char *what)
{
	fprintf(stderr, "%s: %s: %s: %s\n", COLL_PROG, what, tc_error_info(r.code)->code, tc_error_detail());
	/* 422 rows of tc_errors.def are verification outcomes (a refused item), not failures to run. */
	return tc_error_info(r.code)->http_status == 422 ? CLI_EXIT_REJECTED : CLI_EXIT_INTERNAL;
}

/* Parse the common flags; positional arguments stay in ARGV[optind..]. */
static int coll_parse(int argc, char **argv, struct coll_args *a, int64_t *fixed_ms)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "at", required_argument, NULL, 'a' },
		{ "intel-sgx-base", required_argument, NULL, 1 },
		{ "intel-tdx-base", required_argument, NULL, 2 },
		{ "intel-root-crl", required_argument, NULL, 3 },
		{ "intel-update", required_argument, NULL, 4 },
		{ "amd-kds", required_argument, NULL, 5 },
		{ "nvidia-rim", required_argument, NULL, 6 },
		{ "nvidia-ocsp", required_argument, NULL, 7 },
		{ "timeout-ms", required_argument, NULL, 8 },
		{ "attempts", required_argument, NULL, 9 },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	memset(a, 0, sizeof(*a));
	api_collateral_config_init(&a->cfg);
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		char *end = NULL;
		unsigned long v;
		switch (c) {
		case 'd': a->dsn = optarg; break;
		case 'a': a->at = optarg; break;
		case 1: a->cfg.intel_sgx_base = optarg; break;
		case 2: a->cfg.intel_tdx_base = optarg; break;
		case 3: a->cfg.intel_root_crl_url = optarg; break;
		case 4: a->cfg.intel_update = optarg; break;
		case 5: a->cfg.amd_kds_base = optarg; break;
		case 6: a->cfg.nvidia_rim_base = optarg; break;
		case 7: a->cfg.nvidia_ocsp_url = optarg; break;
		case 8:
		case 9:
			v = strtoul(optarg, &end, 10);
			if (end == optarg || *end != 0 || v == 0 || v > 3600000)
				return cli_usage_error(COLL_PROG, "bad number '%s'", optarg);
			if (c == 8)
				a->cfg.timeout_ms = (unsigned)v;
			else
				a->cfg.max_attempts = (unsigned)v;
			break;
		case 'h': coll_usage(stdout); return -1;
		default: coll_usage(stderr); return CLI_EXIT_USAGE;
		}
	}
	if (a->dsn == NULL)
		return cli_usage_error(COLL_PROG, "--db DSN is required");
	a->cfg.dsn = a->dsn;
	if (a->at != NULL) {
		int64_t t;
		if (!tc_is_ok(tc_time_parse(a->at, &t)))
			return cli_usage_error(COLL_PROG, "--at: %s", tc_error_detail());
		*fixed_ms = t * 1000;
		a->cfg.clock_ms = coll_fixed_clock;
		a->cfg.clock_arg = fixed_ms;
	}
	return CLI_EXIT_OK;
}

static void coll_time(int64_t t, char out[TC_TIME_RFC3339_LEN])
{
	if (!tc_is_ok(tc_time_format(t, out)))
		snprintf(out, TC_TIME_RFC3339_LEN, "-");
}

static int coll_status(struct api_collateral *svc, struct db_conn *conn)
{
	struct db_collateral_item *items = NULL;
	size_t n = 0;
	struct tc_result r = db_collateral_list(conn, &items, &n);
	if (!tc_is_ok(r))
		return coll_fail(r, "status");
	int64_t now = api_collateral_now(svc);
	printf("%-7s %-14s %-40s %10s %-20s %-8s %s\n", "vendor", "kind", "key", "age", "next_update", "state",
	       "failures");
	for (size_t i = 0; i < n; i++) {
		const struct db_collateral_item *it = &items[i];
		char nu[TC_TIME_RFC3339_LEN] = "-";
		const char *state = "immutable";
		if (it->has_window) {
			coll_time(it->next_update, nu);
			state = now >= it->next_update ? "EXPIRED" : it->failures > 0 ? "stale" : "valid";
		}
		int64_t age = now - it->fetched_at;
		printf("%-7s %-14s %-40s %9" PRId64 "s %-20s %-8s %d%s%s\n", it->vendor, it->kind, it->key, age, nu, state,
		       it->failures, it->last_error[0] ? " " : "", it->last_error);
		db_collateral_item_cleanup(&items[i]);
	}
	free(items);
	char outcomes[16][DB_COLL_OUTCOME_MAX];
	int64_t counts[16];
	size_t k = 0;
	r = db_collateral_log_counts(conn, outcomes, counts, 16, &k);
	if (!tc_is_ok(r))
		return coll_fail(r, "status");
	printf("%zu item(s); fetches:", n);
	for (size_t i = 0; i < k; i++)
		printf(" %s=%" PRId64, outcomes[i], counts[i]);
	printf("\n");
	return CLI_EXIT_OK;
}

static int coll_fetch(struct api_collateral *svc, int argc, char **argv)
{
	if (argc - optind != 3)
		return cli_usage_error(COLL_PROG, "fetch needs KIND and KEY (or ocsp CHAIN.pem)");
	enum vf_coll_kind kind;
	if (!tc_is_ok(vf_coll_kind_parse(argv[optind + 1], &kind)))
		return cli_usage_error(COLL_PROG, "%s", tc_error_detail());
	struct db_collateral_item it;
	db_collateral_item_init(&it);
	struct tc_result r;
	if (kind == VF_COLL_OCSP) {
		struct tc_buf chain;
		tc_buf_init(&chain, COLL_CHAIN_MAX);
		r = tc_file_read(argv[optind + 2], COLL_CHAIN_MAX, &chain);
		if (tc_is_ok(r))
			r = api_collateral_fetch_ocsp(svc, chain.data, chain.len, &it);
		tc_buf_cleanup(&chain);
	} else {
		r = api_collateral_fetch(svc, kind, argv[optind + 2], &it);
	}
	int rc = CLI_EXIT_OK;
	if (!tc_is_ok(r)) {
		rc = coll_fail(r, "fetch");
	} else {
		char hex[2 * DB_COLL_HASH_LEN + 1] = "", nu[TC_TIME_RFC3339_LEN] = "-";
		(void)tc_is_ok(tc_hex_encode(it.sha256, sizeof(it.sha256), hex, sizeof(hex)));
		if (it.has_window)
			coll_time(it.next_update, nu);
		printf("%s/%s/%s: %zu bytes, sha256 %s, next_update %s, from %s\n", it.vendor, it.kind, it.key, it.raw.len,
		       hex, nu, it.source_url);
	}
	db_collateral_item_cleanup(&it);
	return rc;
}

int cli_cmd_collateral(int argc, char **argv)
{
	if (argc < 2 || cli_is_help(argv[1])) {
		coll_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	struct coll_args a;
	int64_t fixed_ms = 0;
	/* getopt permutes: sub-subcommand and positionals end up after the options. */
	int rc = coll_parse(argc, argv, &a, &fixed_ms);
	if (rc != CLI_EXIT_OK)
		return rc < 0 ? CLI_EXIT_OK : rc;
	int npos = argc - optind;
	if (npos < 1)
		return cli_usage_error(COLL_PROG, "missing subcommand (import, export, status, fetch)");
	const char *sub = argv[optind];
	struct api_collateral *svc = NULL;
	struct tc_result r = api_collateral_new(&a.cfg, &svc);
	if (!tc_is_ok(r))
		return coll_fail(r, "start");
	struct db_conn *conn = NULL;
	if (strcmp(sub, "import") == 0 || strcmp(sub, "export") == 0) {
		if (npos != 2) {
			rc = cli_usage_error(COLL_PROG, "%s needs DIR", sub);
			goto out;
		}
		size_t ok = 0, bad = 0;
		if (strcmp(sub, "import") == 0) {
			r = api_collateral_import_dir(svc, argv[optind + 1], &ok, &bad);
			if (!tc_is_ok(r)) {
				rc = coll_fail(r, "import");
				goto out;
			}
			printf("imported %zu item(s), refused %zu\n", ok, bad);
			rc = bad > 0 ? CLI_EXIT_REJECTED : CLI_EXIT_OK;
		} else {
			r = api_collateral_export_dir(svc, argv[optind + 1], &ok);
			if (!tc_is_ok(r)) {
				rc = coll_fail(r, "export");
				goto out;
			}
			printf("exported %zu item(s)\n", ok);
		}
	} else if (strcmp(sub, "status") == 0) {
		r = db_conn_open(a.dsn, &conn);
		if (!tc_is_ok(r)) {
			rc = coll_fail(r, "status");
			goto out;
		}
		rc = coll_status(svc, conn);
	} else if (strcmp(sub, "fetch") == 0) {
		rc = coll_fetch(svc, argc, argv);
	} else {
		rc = cli_usage_error(COLL_PROG, "unknown subcommand '%s' (import, export, status, fetch)", sub);
	}
out:
	db_conn_free(&conn);
	api_collateral_free(&svc);
	return rc;
}
