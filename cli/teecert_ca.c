/*
 * teecert-ca — a CA instance (DESIGN.md "Processes"): `init` a root CA, `serve` the CA's route table,
 * `migrate` the schema, `enroll` a sub-CA under a root. Thin: flags and the server live in api/
 * (api_cli.c, api_ca_init.c, api_enroll.c).
 */
#include "api.h"
#include "cli.h"

#define PROG "teecert-ca"

static int cmd_serve(int argc, char **argv)
{
	return api_cli_serve(PROG, "ca", argc, argv);
}

static int cmd_init(int argc, char **argv)
{
	return api_cli_ca_init(PROG, argc, argv);
}

static int cmd_enroll(int argc, char **argv)
{
	return api_cli_ca_enroll(PROG, argc, argv);
}

static int cmd_log_key(int argc, char **argv)
{
	return api_cli_log_key(PROG, argc, argv);
}

static int cmd_migrate(int argc, char **argv)
{
	return api_cli_migrate(PROG, argc, argv);
}

static const struct cli_command commands[] = {
	{ "init", cmd_init, "create a root CA: key, own evidence appraised, self-signed root (--name --network ...)" },
	{ "enroll", cmd_enroll, "enroll a sub-CA under a root: key, evidence, subroot certificate (--parent URL --name ...)" },
	{ "serve", cmd_serve, "serve the CA REST API (--listen HOST:PORT --db DSN)" },
	{ "migrate", cmd_migrate, "apply the database schema migrations (--db DSN)" },
	{ "log-key", cmd_log_key, "create the transparency log's signing key, print its verifier key (--out FILE)" },
	{ NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return cli_dispatch(PROG, "teecert-ca: certificate authority for confidential VMs and workloads", commands,
			    argc, argv);
}
