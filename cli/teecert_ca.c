/* teecert-ca — placeholder main, replaced by the API/SQL work (serve, migrate). */
#include "cli.h"

static const struct cli_command commands[] = {
	{ NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return cli_dispatch("teecert-ca", "teecert-ca (no commands in this build yet)", commands, argc, argv);
}
