/*
 * cmd_admit.c — `teecert admit peer|workload`: what a node does before peering or before running a workload
 * (DESIGN.md "Users", docs/admission.md):
 *   peer      POST VERIFIER/v1/admission/peer {chain, nonce?}
 *   workload  POST VERIFIER/v1/admission/workload {chain, workload_info_hash, nonce?}; the expected hash is
 *             given (--workload-info-hash) or computed here from the workload info JSON (--workload-info:
 *             SHA-256 of its RFC 8785 canonical form, vf_binding_workload_info_hash)
 * and report the decision with every reason.
 *
 * Table by default, the verifier's verdict JSON (with its JWS) with --json. Exit 0 allow, 2 deny, 3 the
 * verifier could not be asked or answered an error (its code printed), 1 usage.
 */
#include <ctype.h>
#include <string.h>

#include "cli.h"
#include "vf.h"

#define PROG "teecert admit"
#define ADMIT_URL_MAX 2048
#define ADMIT_CHAIN_MAX ((size_t)64 * 1024)
#define ADMIT_BODY_MAX ((size_t)256 * 1024)
#define ADMIT_INFO_MAX ((size_t)64 * 1024)
#define ADMIT_NONCE_HEX_MAX 128
#define ADMIT_HASH_HEX_LEN (2 * VF_BINDING_HASH_LEN)
#define ADMIT_TIMEOUT_MS 15000

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " peer --verifier URL --chain FILE [--nonce HEX] [--json] [TLS flags]\n"
		"       " PROG
		" workload --verifier URL --chain FILE (--workload-info FILE | --workload-info-hash HEX)\n"
		"                     [--nonce HEX] [--json]\n\n"
		"Ask the teecert-verifier at URL whether the peer presenting the PEM chain FILE (leaf first) may\n"
		"connect (peer), or whether the workload holding it may run (workload: the leaf must be a workload\n"
		"certificate recording exactly the expected workload info hash: the 64 hex digits given, or SHA-256\n"
		"of the RFC 8785 canonical JSON of the workload info file). Prints the decision and its reasons (or\n"
		"the signed verdict JSON with --json).\n"
		"Exit 0 allow, 2 deny, 3 the verifier could not be asked or answered an error, 1 usage.\n\n" CLI_HTTP_TLS_HELP);
}

static const char *str(const json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));

	return s ? s : "-";
}

static void print_table(const json_t *v)
{
	const json_t *cert = json_object_get(v, "certificate"), *anch = json_object_get(v, "anchored");
	const json_t *reasons = json_object_get(v, "reasons"), *x;
	char when[TC_TIME_RFC3339_LEN];
	size_t i;

	printf("%-12s %s\n", "decision", str(v, "decision"));
	printf("%-12s %s\n", "serial", str(cert, "serial"));
	printf("%-12s %s\n", "kind", str(cert, "kind"));
	printf("%-12s %s\n", "tee", str(cert, "tee"));
	printf("%-12s %s\n", "tcb_status", str(cert, "tcb_status"));
	if (json_is_integer(json_object_get(cert, "not_after")) &&
	    tc_is_ok(tc_time_format(json_integer_value(json_object_get(cert, "not_after")), when)))
		printf("%-12s %s\n", "not_after", when);
	else
		printf("%-12s %s\n", "not_after", str(cert, "not_after"));
	if (json_is_object(anch))
		printf("%-12s tree_size %lld, tx %s, block %lld\n", "anchored",
		       (long long)json_integer_value(json_object_get(anch, "tree_size")), str(anch, "tx_hash"),
		       (long long)json_integer_value(json_object_get(anch, "block")));
	else
		printf("%-12s %s\n", "anchored", "no");
	printf("%-12s %s\n", "checked_at", str(v, "checked_at"));
	printf("%-12s %s\n", "expires_at", str(v, "expires_at"));
	if (json_array_size(reasons) == 0)
		printf("%-12s %s\n", "reasons", "-");
	/* Each reason with its stable code (reason_codes, parallel to reasons) when the verifier sends one. */
	json_array_foreach(reasons, i, x) {
		const char *code = json_string_value(json_array_get(json_object_get(v, "reason_codes"), i));

		printf("%-12s %s%s%s%s\n", i == 0 ? "reasons" : "", json_is_string(x) ? json_string_value(x) : "?",
		       code ? " [" : "", code ? code : "", code ? "]" : "");
	}
}

static bool is_hex(const char *s, size_t max)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return n > 0 && n % 2 == 0 && n <= max;
}

/* The expected workload info hash (lowercase hex) from the --workload-info FILE (JCS SHA-256). */
static TC_RESULT workload_info_hash_of(const char *file, char hex[ADMIT_HASH_HEX_LEN + 1])
{
	struct tc_buf data;
	json_t *info = NULL;
	uint8_t h[VF_BINDING_HASH_LEN];
	struct tc_result r;

	tc_buf_init(&data, ADMIT_INFO_MAX);
	TC_GUARD_GOTO(r, tc_file_read(file, ADMIT_INFO_MAX, &data), out);
	TC_GUARD_GOTO(r, tc_json_parse((const char *)data.data, data.len, ADMIT_INFO_MAX, &info), out);
	TC_ENSURE_GOTO(r, json_is_object(info), out, TC_ERR_INVALID_ARGUMENT, "%s: not a JSON object", file);
	TC_GUARD_GOTO(r, vf_binding_workload_info_hash(info, h), out);
	TC_GUARD_GOTO(r, tc_hex_encode(h, sizeof(h), hex, ADMIT_HASH_HEX_LEN + 1), out);
out:
	json_decref(info);
	tc_buf_cleanup(&data);
	return r;
}

int cli_cmd_admit(int argc, char **argv)
{
	const char *verifier = NULL, *chain_file = NULL, *nonce = NULL, *info_file = NULL, *info_hash = NULL;
	bool json = false, workload;
	char url[ADMIT_URL_MAX], wih[ADMIT_HASH_HEX_LEN + 1];
	struct tc_buf chain, body, resp;
	json_t *req = NULL, *v = NULL;
	long status = 0;
	int rc = CLI_EXIT_INTERNAL;
	struct tc_result r;

	if (argc >= 2 && cli_is_help(argv[1])) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (argc < 2 || (strcmp(argv[1], "peer") != 0 && strcmp(argv[1], "workload") != 0))
		return cli_usage_error(PROG, "the first argument is peer or workload (see --help)");
	workload = strcmp(argv[1], "workload") == 0;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (cli_is_help(argv[i])) {
			usage(stdout);
			return CLI_EXIT_OK;
		} else if (i + 1 < argc && strcmp(argv[i], "--verifier") == 0)
			verifier = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--chain") == 0)
			chain_file = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--nonce") == 0)
			nonce = argv[++i];
		else if (i + 1 < argc && cli_http_tls_flag(argv[i], argv[i + 1]))
			i++;
		else if (workload && i + 1 < argc && strcmp(argv[i], "--workload-info") == 0)
			info_file = argv[++i];
		else if (workload && i + 1 < argc && strcmp(argv[i], "--workload-info-hash") == 0)
			info_hash = argv[++i];
		else if (workload && strcmp(argv[i], "--reference-values") == 0)
			return cli_usage_error(PROG, "--reference-values: the verifier's POST /v1/admission/workload "
						     "takes only the workload info hash (no reference values yet)");
		else
			return cli_usage_error(PROG, "unknown option or missing value '%s' (see --help)", argv[i]);
	}
	if (!verifier || !chain_file)
		return cli_usage_error(PROG, "--verifier and --chain are required");
	if (cli_http_tls_check(PROG) != CLI_EXIT_OK)
		return CLI_EXIT_USAGE;
	if (nonce && !is_hex(nonce, ADMIT_NONCE_HEX_MAX))
		return cli_usage_error(PROG, "--nonce must be 2..%d hex digits, even length", ADMIT_NONCE_HEX_MAX);
	if (workload && (info_file != NULL) == (info_hash != NULL))
		return cli_usage_error(PROG,
				       "admit workload needs one of --workload-info FILE and --workload-info-hash HEX");
	if (info_hash && (strlen(info_hash) != ADMIT_HASH_HEX_LEN || !is_hex(info_hash, ADMIT_HASH_HEX_LEN)))
		return cli_usage_error(PROG, "--workload-info-hash must be %d hex digits (SHA-256)",
				       ADMIT_HASH_HEX_LEN);
	if (info_file) {
		r = workload_info_hash_of(info_file, wih);
		if (!tc_is_ok(r))
			return cli_usage_error(PROG, "--workload-info: %s", tc_error_detail());
		info_hash = wih;
	}
	if ((size_t)snprintf(url, sizeof(url), "%s/v1/admission/%s", verifier, argv[1]) >= sizeof(url))
		return cli_usage_error(PROG, "--verifier URL too long");

	tc_buf_init(&chain, ADMIT_CHAIN_MAX);
	tc_buf_init(&body, ADMIT_BODY_MAX);
	tc_buf_init(&resp, ADMIT_BODY_MAX);
	r = tc_file_read(chain_file, ADMIT_CHAIN_MAX, &chain);
	if (!tc_is_ok(r)) {
		rc = cli_usage_error(PROG, "--chain: %s", tc_error_detail());
		goto out;
	}
	req = json_pack("{s:s%}", "chain", (const char *)chain.data, chain.len);
	if (req && ((nonce && json_object_set_new(req, "nonce", json_string(nonce)) != 0) ||
		    (info_hash && json_object_set_new(req, "workload_info_hash", json_string(info_hash)) != 0))) {
		json_decref(req);
		req = NULL;
	}
	r = req ? tc_json_dump(req, &body) : tc_fail(TC_ERR_NO_MEMORY, "request");
	if (tc_is_ok(r))
		r = cli_http_post_json(url, body.data, body.len, ADMIT_TIMEOUT_MS, &status, &resp);
	if (!tc_is_ok(r)) {
		fprintf(stderr, PROG ": the verifier is unreachable: %s\n", tc_error_detail());
		goto out;
	}
	r = tc_json_parse((const char *)resp.data, resp.len, ADMIT_BODY_MAX, &v);
	if (!tc_is_ok(r) || !json_is_object(v)) {
		fprintf(stderr, PROG ": POST %s: HTTP %ld, not a JSON object\n", url, status);
		goto out;
	}
	if (status != 200) {
		fprintf(stderr, PROG ": the verifier answered HTTP %ld: %s: %s\n", status, str(v, "code"),
			str(v, "detail"));
		goto out;
	}
	if (json) {
		tc_buf_reset(&body);
		r = tc_json_dump(v, &body);
		if (tc_is_ok(r))
			printf("%.*s\n", (int)body.len, (const char *)body.data);
	} else {
		print_table(v);
	}
	if (strcmp(str(v, "decision"), "allow") == 0)
		rc = CLI_EXIT_OK;
	else if (strcmp(str(v, "decision"), "deny") == 0)
		rc = CLI_EXIT_REJECTED;
	else
		fprintf(stderr, PROG ": unknown decision '%s'\n", str(v, "decision"));
out:
	json_decref(req);
	json_decref(v);
	tc_buf_cleanup(&chain);
	tc_buf_cleanup(&body);
	tc_buf_cleanup(&resp);
	return rc;
}
