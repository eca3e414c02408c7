/*
 * teecert-verifier — the stateless verifier REST service (DESIGN.md "Processes"): `serve` the verifier's
 * route table, `migrate` the schema. Thin: flags and the server live in api/ (api_cli.c).
 */
#include "api.h"
#include "cli.h"

#define PROG "teecert-verifier"

static int cmd_serve(int argc, char **argv)
{
	return api_cli_serve(PROG, "verifier", argc, argv);
}

static int cmd_migrate(int argc, char **argv)
{
	return api_cli_migrate(PROG, argc, argv);
}

static const struct cli_command commands[] = {
	{ "serve", cmd_serve, "serve the verifier REST API (--listen HOST:PORT --db DSN)" },
	{ "migrate", cmd_migrate, "apply the database schema migrations (--db DSN)" },
	{ NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return cli_dispatch(PROG, "teecert-verifier: evidence appraisal, admission and audit REST service", commands,
			    argc, argv);
}
