/* sim_snp.c — placeholder until the snp simulator lands. */
#include "cli.h"

int cli_sim_snp(int argc, char **argv)
{
	return cli_usage_error("teecert sim snp", "not available in this build yet");
}
