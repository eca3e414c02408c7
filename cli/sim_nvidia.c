/* sim_nvidia.c — placeholder until the nvidia simulator lands. */
#include "cli.h"

int cli_sim_nvidia(int argc, char **argv)
{
	return cli_usage_error("teecert sim nvidia", "not available in this build yet");
}
