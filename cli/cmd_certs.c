/*
 * cmd_certs.c — `teecert certs get|list`: certificate history from a teecert-verifier (DESIGN.md "Users",
 * auditor; docs/admission.md "Certificate history"): GET /v1/certificates/{serial} and GET /v1/certificates
 * with the history filters. Table by default, the verifier's JSON with --json.
 *
 * Exit 0 found / listed, 2 no such certificate (404), 3 the verifier could not be asked or answered another
 * error (its code printed), 1 usage (a 400 naming the bad parameter included).
 */
#include <ctype.h>
#include <string.h>

#include <curl/curl.h>

#include "cli.h"

#define PROG "teecert certs"
#define CERTS_URL_MAX 4096
#define CERTS_BODY_MAX ((size_t)16 * 1024 * 1024)
#define CERTS_TIMEOUT_MS 15000
#define CERTS_SERIAL_HEX_MAX 64

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " get SERIAL --verifier URL [--json] [TLS flags]\n"
		"       " PROG " list --verifier URL [--kind K] [--tee T] [--issuer-ca NAME] [--status S]\n"
		"            [--issued-from RFC3339] [--issued-to RFC3339] [--hardware-id ID] [--workload-info-hash HEX]\n"
		"            [--limit N] [--cursor C] [--json]\n\n"
		"Certificate history from the teecert-verifier at URL. get: one certificate (status, appraisal, log\n"
		"inclusion); list: one page (the next cursor is printed when there is more). Exit 0 ok, 2 not found,\n"
		"3 the verifier could not be asked or answered an error, 1 usage.\n\n" CLI_HTTP_TLS_HELP);
}

static const char *str(const json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));

	return s ? s : "-";
}

/* The list filters: flag -> query parameter. */
static const struct {
	const char *flag, *param;
} filters[] = {
	{ "--kind", "kind" },
	{ "--tee", "tee" },
	{ "--issuer-ca", "issuer_ca" },
	{ "--status", "status" },
	{ "--issued-from", "issued_from" },
	{ "--issued-to", "issued_to" },
	{ "--hardware-id", "hardware_id" },
	{ "--workload-info-hash", "workload_info_hash" },
	{ "--limit", "limit" },
	{ "--cursor", "cursor" },
};
#define N_FILTERS (sizeof(filters) / sizeof(filters[0]))

/* GET URL; 200 -> *OUT (object) and CLI_EXIT_OK; otherwise the exit code, the error printed. */
static int get_json(const char *url, json_t **out)
{
	struct tc_buf resp;
	json_t *v = NULL;
	long status = 0;
	int rc = CLI_EXIT_INTERNAL;
	struct tc_result r;

	tc_buf_init(&resp, CERTS_BODY_MAX);
	r = cli_http_get(url, CERTS_TIMEOUT_MS, &status, &resp);
	if (!tc_is_ok(r)) {
		fprintf(stderr, PROG ": the verifier is unreachable: %s\n", tc_error_detail());
		goto out;
	}
	r = tc_json_parse((const char *)resp.data, resp.len, CERTS_BODY_MAX, &v);
	if (!tc_is_ok(r) || !json_is_object(v)) {
		fprintf(stderr, PROG ": GET %s: HTTP %ld, not a JSON object\n", url, status);
		goto out;
	}
	if (status != 200) {
		fprintf(stderr, PROG ": the verifier answered HTTP %ld: %s: %s\n", status, str(v, "code"),
			str(v, "detail"));
		rc = status == 404 ? CLI_EXIT_REJECTED : status == 400 ? CLI_EXIT_USAGE : CLI_EXIT_INTERNAL;
		goto out;
	}
	*out = v;
	v = NULL;
	rc = CLI_EXIT_OK;
out:
	json_decref(v);
	tc_buf_cleanup(&resp);
	return rc;
}

static void print_json(const json_t *v)
{
	struct tc_buf b;

	tc_buf_init(&b, CERTS_BODY_MAX);
	if (tc_is_ok(tc_json_dump(v, &b)))
		printf("%.*s\n", (int)b.len, (const char *)b.data);
	tc_buf_cleanup(&b);
}

static void print_one(const json_t *c)
{
	const json_t *log = json_object_get(c, "log"), *rev = json_object_get(c, "revoked");
	const json_t *app = json_object_get(c, "appraisal");

	printf("%-18s %s\n", "serial", str(c, "serial"));
	printf("%-18s %s\n", "kind", str(c, "kind"));
	printf("%-18s %s\n", "status", str(c, "status"));
	if (json_is_object(rev))
		printf("%-18s at %s, reason %lld\n", "revoked", str(rev, "at"),
		       (long long)json_integer_value(json_object_get(rev, "reason")));
	printf("%-18s %s\n", "subject", str(c, "subject"));
	printf("%-18s %s\n", "issuer_ca", str(c, "issuer_ca"));
	printf("%-18s %s\n", "not_before", str(c, "not_before"));
	printf("%-18s %s\n", "not_after", str(c, "not_after"));
	printf("%-18s %s\n", "tee", str(c, "tee"));
	printf("%-18s %s\n", "tcb_status", str(c, "tcb_status"));
	printf("%-18s %s\n", "appraisal", str(app, "verdict"));
	printf("%-18s %s\n", "hardware_id", str(c, "hardware_id"));
	printf("%-18s %s\n", "workload_info_hash", str(c, "workload_info_hash"));
	printf("%-18s %s\n", "issued_at", str(c, "issued_at"));
	printf("%-18s %lld\n", "log_seq", (long long)json_integer_value(json_object_get(c, "log_seq")));
	if (json_is_object(json_object_get(log, "inclusion")))
		printf("%-18s in tree of size %lld\n", "log_inclusion",
		       (long long)json_integer_value(json_object_get(json_object_get(log, "inclusion"), "tree_size")));
	else
		printf("%-18s %s\n", "log_inclusion", "no checkpoint yet");
}

static int cmd_get(int argc, char **argv)
{
	const char *verifier = NULL, *serial = NULL;
	bool json = false;
	char url[CERTS_URL_MAX];
	json_t *v = NULL;
	int rc;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (i + 1 < argc && strcmp(argv[i], "--verifier") == 0)
			verifier = argv[++i];
		else if (i + 1 < argc && cli_http_tls_flag(argv[i], argv[i + 1]))
			i++;
		else if (argv[i][0] != '-' && !serial)
			serial = argv[i];
		else
			return cli_usage_error(PROG, "unknown option or missing value '%s' (see --help)", argv[i]);
	}
	if (!verifier || !serial)
		return cli_usage_error(PROG, "certs get needs SERIAL and --verifier");
	if (cli_http_tls_check(PROG) != CLI_EXIT_OK)
		return CLI_EXIT_USAGE;
	for (const char *p = serial; *p; p++)
		if (!isxdigit((unsigned char)*p))
			return cli_usage_error(PROG, "SERIAL must be hex");
	if (strlen(serial) > CERTS_SERIAL_HEX_MAX)
		return cli_usage_error(PROG, "SERIAL is longer than %d hex digits", CERTS_SERIAL_HEX_MAX);
	if ((size_t)snprintf(url, sizeof(url), "%s/v1/certificates/%s", verifier, serial) >= sizeof(url))
		return cli_usage_error(PROG, "--verifier URL too long");
	rc = get_json(url, &v);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (json)
		print_json(v);
	else
		print_one(v);
	json_decref(v);
	return CLI_EXIT_OK;
}

static int cmd_list(int argc, char **argv)
{
	const char *verifier = NULL, *val[N_FILTERS] = { NULL };
	bool json = false;
	struct tc_buf url;
	json_t *v = NULL, *c;
	size_t i;
	int rc = CLI_EXIT_INTERNAL;
	struct tc_result r;

	for (int a = 2; a < argc; a++) {
		bool known = false;

		if (strcmp(argv[a], "--json") == 0) {
			json = true;
			continue;
		}
		if (a + 1 < argc && strcmp(argv[a], "--verifier") == 0) {
			verifier = argv[++a];
			continue;
		}
		if (a + 1 < argc && cli_http_tls_flag(argv[a], argv[a + 1])) {
			a++;
			continue;
		}
		for (size_t k = 0; k < N_FILTERS && !known; k++) {
			if (a + 1 < argc && strcmp(argv[a], filters[k].flag) == 0) {
				val[k] = argv[++a];
				known = true;
			}
		}
		if (!known)
			return cli_usage_error(PROG, "unknown option or missing value '%s' (see --help)", argv[a]);
	}
	if (!verifier)
		return cli_usage_error(PROG, "certs list needs --verifier");
	if (cli_http_tls_check(PROG) != CLI_EXIT_OK)
		return CLI_EXIT_USAGE;
	tc_buf_init(&url, CERTS_URL_MAX);
	r = tc_buf_append_str(&url, verifier);
	if (tc_is_ok(r))
		r = tc_buf_append_str(&url, "/v1/certificates");
	for (size_t k = 0, n = 0; k < N_FILTERS && tc_is_ok(r); k++) {
		char *esc;

		if (!val[k])
			continue;
		esc = curl_easy_escape(NULL, val[k], 0);
		r = esc ? tc_buf_append_str(&url, n++ == 0 ? "?" : "&") : tc_fail(TC_ERR_NO_MEMORY, "escape");
		if (tc_is_ok(r))
			r = tc_buf_append_str(&url, filters[k].param);
		if (tc_is_ok(r))
			r = tc_buf_append_str(&url, "=");
		if (tc_is_ok(r))
			r = tc_buf_append_str(&url, esc);
		curl_free(esc);
	}
	if (tc_is_ok(r))
		r = tc_buf_append_u8(&url, 0);
	if (!tc_is_ok(r)) {
		rc = cli_usage_error(PROG, "query too long");
		goto out;
	}
	rc = get_json((const char *)url.data, &v);
	if (rc != CLI_EXIT_OK)
		goto out;
	if (json) {
		print_json(v);
		goto out;
	}
	printf("%-40s %-8s %-13s %-5s %-18s %-12s %-20s %s\n", "SERIAL", "KIND", "STATUS", "TEE", "TCB_STATUS",
	       "ISSUER_CA", "NOT_AFTER", "SUBJECT");
	json_array_foreach(json_object_get(v, "certificates"), i, c)
		printf("%-40s %-8s %-13s %-5s %-18s %-12s %-20s %s\n", str(c, "serial"), str(c, "kind"),
		       str(c, "status"), str(c, "tee"), str(c, "tcb_status"), str(c, "issuer_ca"), str(c, "not_after"),
		       str(c, "subject"));
	printf("%zu certificate(s)", json_array_size(json_object_get(v, "certificates")));
	if (json_is_string(json_object_get(v, "next_cursor")))
		printf("; more with --cursor %s", str(v, "next_cursor"));
	printf("\n");
out:
	json_decref(v);
	tc_buf_cleanup(&url);
	return rc;
}

int cli_cmd_certs(int argc, char **argv)
{
	if (argc < 2 || cli_is_help(argv[1])) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	for (int i = 2; i < argc; i++)
		if (cli_is_help(argv[i])) {
			usage(stdout);
			return CLI_EXIT_OK;
		}
	if (strcmp(argv[1], "get") == 0)
		return cmd_get(argc, argv);
	if (strcmp(argv[1], "list") == 0)
		return cmd_list(argc, argv);
	return cli_usage_error(PROG, "unknown subcommand '%s' (get or list)", argv[1]);
}
