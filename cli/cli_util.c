/*
 * cli_util.c — subcommand dispatch and usage errors shared by the four mains.
 */
#include <stdarg.h>
#include <string.h>

#include "cli.h"

int cli_is_help(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0 || strcmp(arg, "help") == 0;
}

int cli_usage_error(const char *prog, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_EXIT_USAGE;
}

static void print_help(FILE *f, const char *prog, const char *about, const struct cli_command *commands)
{
	fprintf(f, "usage: %s <command> [options]\n\n%s\n\ncommands:\n", prog, about);
	for (const struct cli_command *c = commands; c->name; c++)
		fprintf(f, "  %-14s %s\n", c->name, c->summary);
	fprintf(f, "\nRun '%s <command> --help' for the options of one command.\n", prog);
}

int cli_dispatch(const char *prog, const char *about, const struct cli_command *commands, int argc,
		 char **argv)
{
	if (argc < 2) {
		print_help(stderr, prog, about, commands);
		return CLI_EXIT_USAGE;
	}
	if (cli_is_help(argv[1])) {
		print_help(stdout, prog, about, commands);
		return CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("%s %s\n", prog, TEECERT_VERSION);
		return CLI_EXIT_OK;
	}
	for (const struct cli_command *c = commands; c->name; c++)
		if (strcmp(argv[1], c->name) == 0)
			return c->run(argc - 1, argv + 1);
	return cli_usage_error(prog, "unknown command '%s' (run '%s --help' for the list)", argv[1], prog);
}
