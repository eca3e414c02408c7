/*
 * cli.h — shared bits of the four command-line mains: exit codes and the subcommand table.
 */
#ifndef CLI_H
#define CLI_H

#include <stdio.h>

#include "tc.h"

/* Exit codes of every teecert binary (documented in docs/cli.md). */
enum cli_exit {
	CLI_EXIT_OK = 0,       /* success; for verify/admit: accepted */
	CLI_EXIT_USAGE = 1,    /* bad flags or arguments */
	CLI_EXIT_REJECTED = 2, /* the evidence/certificate was appraised and rejected */
	CLI_EXIT_INTERNAL = 3, /* could not complete (I/O, database, internal error) */
};

/* A subcommand: NAME, the function, and a one-line summary for --help. */
struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
	const char *summary;
};

/*
 * Dispatch argv[1] over COMMANDS (terminated by a NULL name). Handles --help/-h/help, --version, and
 * unknown commands (clear message, exit CLI_EXIT_USAGE).
 */
int cli_dispatch(const char *prog, const char *about, const struct cli_command *commands, int argc,
		 char **argv);
/* Print "PROG: message" to stderr, return CLI_EXIT_USAGE. */
int cli_usage_error(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* True when ARG is -h or --help. */
int cli_is_help(const char *arg);

/* teecert subcommands (cli/cmd_*.c) */
int cli_cmd_verify(int argc, char **argv);
int cli_cmd_appraise(int argc, char **argv);
int cli_cmd_conformance(int argc, char **argv);
int cli_cmd_bench(int argc, char **argv);

/* teecert sim (cli/cmd_sim.c dispatches; cli/sim_<tee>.c) and teecert collect (cli/cmd_collect.c) */
int cli_cmd_sim(int argc, char **argv);
int cli_sim_tdx(int argc, char **argv);
int cli_sim_snp(int argc, char **argv);
int cli_sim_nvidia(int argc, char **argv);
int cli_cmd_collect(int argc, char **argv);
/* teecert collateral import|export|status|fetch (cli/cmd_collateral.c) */
int cli_cmd_collateral(int argc, char **argv);
/* teecert audit: end-to-end check of one log entry against the log and the chain (cli/cmd_audit.c) */
int cli_cmd_audit(int argc, char **argv);
/* teecert cert show FILE [--json]: standard fields + teecert extensions decoded (cli/cmd_cert.c) */
int cli_cmd_cert(int argc, char **argv);
/* teecert request cvm|workload: challenge, key + CSR, evidence, certificate from a CA (cli/cmd_request.c) */
int cli_cmd_request(int argc, char **argv);
/* teecert admit peer|workload: ask a verifier whether a peer may connect or a workload may run (cli/cmd_admit.c) */
int cli_cmd_admit(int argc, char **argv);
/* teecert certs get|list: certificate history from a verifier (cli/cmd_certs.c) */
int cli_cmd_certs(int argc, char **argv);
/* teecert replay APPRAISAL_ID --db DSN: re-run a stored appraisal with its exact inputs (cli/cmd_replay.c) */
int cli_cmd_replay(int argc, char **argv);

/*
 * HTTP GET of URL (http/https only, no redirects, TIMEOUT_MS for the whole request, 0: 10 s) with libcurl
 * (cli/cli_http.c). The body is appended to BODY, whose max bounds it (TC_ERR_TOO_LARGE past it); *STATUS
 * gets the HTTP status. Transport failures (refused, timeout, DNS) are TC_ERR_IO.
 */
TC_RESULT cli_http_get(const char *url, unsigned timeout_ms, long *status, struct tc_buf *body);
/* HTTP POST of LEN bytes of JSON (Content-Type: application/json; NULL: an empty body) to URL; otherwise as
 * cli_http_get. */
TC_RESULT cli_http_post_json(const char *url, const void *json, size_t len, unsigned timeout_ms, long *status,
			     struct tc_buf *body);
/*
 * TLS of every later cli_http_* request of the process (https:// URLs). CACERT: PEM file of the CA
 * certificates that verify the server, instead of the system store (a private CA); without --cacert the
 * environment variable TEECERT_CACERT names it. CERT + KEY: a client certificate (PEM, the chain may follow
 * the leaf) and its unencrypted PEM private key, for servers started with --client-ca.
 */
#define CLI_HTTP_TLS_HELP                                                                                              \
	"  --cacert FILE          verify https:// servers with the CA certificates (PEM) in FILE instead of\n"         \
	"                         the system store (default: $TEECERT_CACERT)\n"                                       \
	"  --cert FILE --key FILE present this client certificate (PEM) and its private key (PEM) over https\n"
/* When ARG is --cacert, --cert or --key, keep VALUE (borrowed: argv outlives the requests), return true. */
bool cli_http_tls_flag(const char *arg, const char *value);
/* After the flags: CLI_EXIT_OK, or a usage error (printed for PROG) for --cert without --key (or the
 * reverse) or a TLS file that cannot be read. */
int cli_http_tls_check(const char *prog);

#endif /* CLI_H */
