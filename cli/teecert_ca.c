/*
 * teecert-ca — a CA instance (DESIGN.md "Processes"): `serve` the CA's route table, `migrate` the schema.
 * init/enroll arrive with the CA work. Thin: flags and the server live in api/ (api_cli.c).
 */
#include "api.h"
#include "cli.h"

#define PROG "teecert-ca"

static int cmd_serve(int argc, char **argv)
{
	return api_cli_serve(PROG, "ca", argc, argv);
}

static int cmd_migrate(int argc, char **argv)
{
	return api_cli_migrate(PROG, argc, argv);
}

static const struct cli_command commands[] = {
	{ "serve", cmd_serve, "serve the CA REST API (--listen HOST:PORT --db DSN)" },
	{ "migrate", cmd_migrate, "apply the database schema migrations (--db DSN)" },
	{ NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return cli_dispatch(PROG, "teecert-ca: certificate authority for confidential VMs and workloads", commands,
			    argc, argv);
}
