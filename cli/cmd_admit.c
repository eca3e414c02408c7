/*
 * cmd_admit.c — `teecert admit peer`: what a node does before peering (DESIGN.md "Users", docs/admission.md):
 * POST VERIFIER/v1/admission/peer {chain, nonce?} and report the decision with every reason.
 *
 * Table by default, the verifier's verdict JSON (with its JWS) with --json. Exit 0 allow, 2 deny, 3 the
 * verifier could not be asked or answered an error (its code printed), 1 usage.
 */
#include <ctype.h>
#include <string.h>

#include "cli.h"

#define PROG "teecert admit"
#define ADMIT_URL_MAX 2048
#define ADMIT_CHAIN_MAX ((size_t)64 * 1024)
#define ADMIT_BODY_MAX ((size_t)256 * 1024)
#define ADMIT_NONCE_HEX_MAX 128
#define ADMIT_TIMEOUT_MS 15000

static void usage(FILE *f)
{
	fprintf(f, "usage: " PROG " peer --verifier URL --chain FILE [--nonce HEX] [--json]\n\n"
		   "Ask the teecert-verifier at URL whether the peer presenting the PEM chain FILE (leaf first) may\n"
		   "connect. Prints the decision and its reasons (or the signed verdict JSON with --json).\n"
		   "Exit 0 allow, 2 deny, 3 the verifier could not be asked or answered an error, 1 usage.\n");
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
	json_array_foreach(reasons, i, x)
		printf("%-12s %s\n", i == 0 ? "reasons" : "", json_is_string(x) ? json_string_value(x) : "?");
}

static bool is_hex(const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return n > 0 && n % 2 == 0 && n <= ADMIT_NONCE_HEX_MAX;
}

int cli_cmd_admit(int argc, char **argv)
{
	const char *verifier = NULL, *chain_file = NULL, *nonce = NULL;
	bool json = false;
	char url[ADMIT_URL_MAX];
	struct tc_buf chain, body, resp;
	json_t *req = NULL, *v = NULL;
	long status = 0;
	int rc = CLI_EXIT_INTERNAL;
	struct tc_result r;

	if (argc >= 2 && cli_is_help(argv[1])) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (argc < 2 || strcmp(argv[1], "peer") != 0)
		return cli_usage_error(PROG, "the first argument is peer (see --help)");
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
		else
			return cli_usage_error(PROG, "unknown option or missing value '%s' (see --help)", argv[i]);
	}
	if (!verifier || !chain_file)
		return cli_usage_error(PROG, "--verifier and --chain are required");
	if (nonce && !is_hex(nonce))
		return cli_usage_error(PROG, "--nonce must be 2..%d hex digits, even length", ADMIT_NONCE_HEX_MAX);
	if ((size_t)snprintf(url, sizeof(url), "%s/v1/admission/peer", verifier) >= sizeof(url))
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
	if (req && nonce)
		json_object_set_new(req, "nonce", json_string(nonce));
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
