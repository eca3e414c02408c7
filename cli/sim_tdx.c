/* sim_tdx.c — placeholder until the tdx simulator lands. */
#include "cli.h"

int cli_sim_tdx(int argc, char **argv)
{
	return cli_usage_error("teecert sim tdx", "not available in this build yet");
}
